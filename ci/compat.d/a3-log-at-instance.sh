# A3: an instance without a log link logs to LOG@<parameter>.
setup() {
    script 'sv@/run' 'echo $1 1; echo $1 2; exec sleep 100'
    script 'LOG@/run' 'exec cat > log.$1'
}
steps() {
    ctl up sv@one
    ctl up sv@two
    wait_state sv@one UP
    wait_state sv@two UP
    wait_file LOG@/log.one 2
    wait_file LOG@/log.two 2
    snap
    show LOG@/log.one
    show LOG@/log.two
}

# nitro's README: a log chain, producer -> logger -> LOG.
setup() {
    script LOG/run 'exec cat > LOG.txt'
    script sv/run 'echo "sv says hi"; exec sleep 100'
    link sv/log ../mylog
    script mylog/run 'while read l; do echo "mylog: $l"; done'
}
steps() {
    wait_file LOG/LOG.txt
    wait_state sv UP
    snap
    show LOG/LOG.txt
}

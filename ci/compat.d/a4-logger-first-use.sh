# A4: a logger created for a producer stays DOWN until the producer starts.
setup() {
    script sv_a/run 'echo 1; exec sleep 100'
    file sv_a/down ''
    script 'LOG@/run' 'exec cat > log.$1'
}
steps() {
    sleep 0.5
    snap
    ctl up sv_a
    wait_state LOG@sv_a STARTING
    wait_state sv_a STARTING
    snap
    ctl down sv_a
    snap
    wait_file LOG@/log.sv_a
    show LOG@/log.sv_a
}

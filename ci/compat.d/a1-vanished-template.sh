# A1: the same for an instance whose template is gone.
setup() {
    script 'sv@/run' 'exec sleep 100'
}
steps() {
    ctl up sv@a
    wait_state sv@a UP
    ctl down sv@a
    rm -r "$SV/sv@"
    ctl up sv@a; note "up rc=$?"
    wait_state sv@a FATAL
    snap
    ctl rescan
    wait_gone sv@a
    snap
}

# nitro's README: a rescan adds new services (down ones stay down), and
# stops and removes those whose directory vanished.
setup() {
    script a/run 'exec sleep 100'
    # (Slow to stop: its DOWN comes after the new service's start.)
    script gone/run "trap 'sleep 0.5; exit 0' TERM; while :; do sleep 0.05; done"
}
steps() {
    wait_state a UP
    wait_state gone UP
    script new/run 'exec sleep 100'
    script newdown/run 'exec sleep 100'
    file newdown/down ''
    rm -r "$SV/gone"
    ctl rescan
    wait_gone gone
    wait_state new STARTING
    snap
}

# A1: starting a service whose directory is gone makes it FATAL (wstatus
# -1); a rescan drops it, silently.
setup() {
    script sv_a/run 'exec sleep 100'
}
steps() {
    wait_state sv_a UP
    ctl down sv_a
    rm -r "$SV/sv_a"
    ctl up sv_a; note "up rc=$?"
    wait_state sv_a FATAL
    snap
    ctl start sv_a; note "start rc=$?"
    ctl rescan
    wait_gone sv_a
    snap
}

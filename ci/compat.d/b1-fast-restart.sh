# B1: a restart asked for within a second of the start waits a second.
setup() {
    script sv/run 'echo started >> ../starts; exec sleep 100'
}
steps() {
    wait_file starts
    ctl restart sv; note "restart rc=$?"
    wait_file starts 2
    snap
}

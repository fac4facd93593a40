# B6: SYS is a listed and counted entry while SYS/setup and SYS/finish run.
setup() {
    script SYS/setup 'touch setup-running; sleep 1.5'
    script sv/run 'exec sleep 100'
}
steps() {
    wait_file SYS/setup-running 0
    snap
    note "$(ctl info | grep max_service)"
    note "list SYS: $(ctl list SYS)"
    ctl pidof SYS; note "pidof SYS rc=$?"
    wait_state sv STARTING
    snap
}

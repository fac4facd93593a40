# B6/B7: SYS/finish at shutdown: listed as ONESHOT; nitro stops the
# services while it still runs, nitro-rs only after it.
deviation="B7: nitro-rs runs SYS/finish before stopping the services"
setup() {
    script SYS/finish '"$NITROCTL" list > list-in-finish; sleep 0.5'
    script sv/run 'exec sleep 100'
}
steps() {
    wait_state sv UP
}
after() {
    show SYS/list-in-finish
}

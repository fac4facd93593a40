# B9: `nitroctl down` waits for DOWN (here: -t 2 times out, exit 3).
setup() {
    script slow/run "trap '' TERM; exec sleep 100"
}
steps() {
    wait_state slow STARTING
    ctl -t 2 down slow; note "down rc=$?"
}

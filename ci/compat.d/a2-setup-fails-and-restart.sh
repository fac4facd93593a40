# A2: a setup that keeps failing reports SETUP, SETUP, ...; a restart of a
# service with a slow finish reports RESTART twice, DOWN, STARTING.
setup() {
    script fails/setup 'n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n
[ $n -ge 2 ] || exit 1'
    script fails/run 'exec sleep 100'
    file fails/down ''
    script fin/run 'exec sleep 100'
    script fin/finish 'sleep 0.3'
}
steps() {
    wait_state fin UP
    ctl up fails
    wait_state fails UP 15
    ctl restart fin
    wait_state fin UP
    ctl down fails
}

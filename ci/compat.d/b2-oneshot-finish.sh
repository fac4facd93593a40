# B2: a one-shot taken down stays ONESHOT while its finish runs.
setup() {
    script one/setup 'true'
    script one/finish 'touch finishing; sleep 1'
}
steps() {
    wait_state one ONESHOT
    ctl down one &
    local down=$!
    wait_file one/finishing 0
    snap
    wait $down
    wait_state one DOWN
    snap
}

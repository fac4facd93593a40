# A2: what `nitroctl -v` prints for start, restart, a one-shot, a failure.
setup() {
    script 't@/run' 'exec sleep 100'
    script one/setup 'true'
    script bad/run '#!/nonexistent/interpreter'
    printf '#!/nonexistent/interpreter\n' >"$SV/bad/run"
    file bad/down ''
}
steps() {
    wait_state one ONESHOT
    note "start t@x: $("$EV" -v start t@x 2>&1 | tr '\n' '|') rc=$?"
    note "restart t@x: $("$EV" -v restart t@x 2>&1 | tr '\n' '|')"
    ctl stop one
    note "start one: $("$EV" -v start one 2>&1 | tr '\n' '|')"
    note "start bad: $("$EV" -v start bad 2>&1 | tr '\n' '|')"
}

# C1: `init 6` reboots and `init q` rescans (nitro's client swaps them).
deviation="C1: nitro's init q reboots and init 6 rescans"
setup() {
    script a/run 'echo $$ >> ../pids; exec sleep 100'
}
steps() {
    wait_state a STARTING
    ln -s "$BIN/nitroctl" "$RUN/init"
    "$RUN/init" q
    sleep 1
    note "runs after init q: $(wc -l < "$SV/pids")"
}

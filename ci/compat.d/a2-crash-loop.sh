# A2: a crash loop reports STARTING, DOWN, ... (DELAY is not announced by
# nitro; ours is left out as our documented addition).
setup() {
    script crash/run 'n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n
[ $n -ge 3 ] || exit 3
exec sleep 100'
}
steps() {
    wait_state crash UP 15
    show crash/n
}

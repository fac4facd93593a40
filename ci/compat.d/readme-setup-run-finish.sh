# nitro's README: setup runs first, then run; finish gets the exit status
# and signal; a service without run is a one-shot until taken down.
setup() {
    script sv/setup 'echo setup >> ../trace'
    script sv/run 'echo run >> ../trace; n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n
[ $n -ge 1 ] || exit 7
exec sleep 100'
    script sv/finish 'echo "finish $*" >> ../trace'
    script one/setup 'echo one-setup >> ../trace'
    script one/finish 'echo "one-finish $*" >> ../trace'
    file one/down ''
}
steps() {
    wait_state sv UP 10
    ctl up one
    wait_state one ONESHOT
    ctl down one
    wait_state one DOWN
    ctl down sv
    show trace
}

# nitro's README: down-signal picks the stop signal (SIGCONT follows).
setup() {
    script sv/run "trap 'echo HUP >> got; exit 0' HUP; trap 'echo CONT >> got' CONT; echo ready > ready; while :; do sleep 0.05; done"
    file sv/down-signal 'hup
'
}
steps() {
    wait_file sv/ready
    ctl down sv
    show sv/got
}

# C2: a dangling log link: nitro-rs logs to LOG and picks the link up once
# the logger exists; nitro's output bypasses LOG and the link sticks.
deviation="C2: nitro's dangling log link sticks"
setup() {
    script LOG/run 'exec cat > LOG.txt'
    script sv/run 'echo "sv says hi"; exec sleep 100'
    link sv/log ../nolog
}
steps() {
    wait_state sv UP
    script nolog/run 'exec cat > nolog.txt'
    ctl rescan
    ctl restart sv
    sleep 1
    show LOG/LOG.txt
    show nolog/nolog.txt
}

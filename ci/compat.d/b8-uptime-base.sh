# B8: the uptime of a DELAY service counts from when it went down; FATAL
# from setup 111 counts from the setup's start.
keep_uptime=1
setup() {
    script sv/run 'sleep 0.9; exit 1'
    script f111/setup 'sleep 1.5; exit 111'
    script f111/run 'exec sleep 100'
}
steps() {
    wait_state sv DELAY
    snap sv
    wait_state f111 FATAL
    sleep 0.6
    snap f111
}

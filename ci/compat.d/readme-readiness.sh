# nitro's README: notification-fd: a newline on fd N means UP; 0 waits for
# `nitroctl ready`.
setup() {
    script fd3/run 'while [ ! -e go ]; do sleep 0.05; done; echo >&3; exec sleep 100'
    file fd3/notification-fd '3'
    script fd0/run 'exec sleep 100'
    file fd0/notification-fd '0'
}
steps() {
    wait_state fd3 STARTING
    wait_state fd0 STARTING
    sleep 2.5
    snap
    touch "$SV/fd3/go"
    wait_state fd3 UP
    ctl ready fd0
    wait_state fd0 UP
    snap
}

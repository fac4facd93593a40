# B3: notification-fd: empty means none (UP after 2 s); " 3\n" is 3.
setup() {
    script empty/run 'exec sleep 100'
    file empty/notification-fd ''
    script spaced/run 'echo >&3; exec sleep 100'
    file spaced/notification-fd ' 3
'
}
steps() {
    wait_state spaced UP
    wait_state empty UP
    snap
}

# nitro's README: instances from symlinks and from `up`; the parameter as
# $1; a rescan removes DOWN instances nothing refers to.
setup() {
    script 'getty@/run' 'echo "$1" > "arg.$1"; exec sleep 100'
    link 'getty@tty1' 'getty@'
}
steps() {
    wait_state getty@tty1 UP
    ctl up getty@tty2
    wait_state getty@tty2 UP
    snap
    show getty@/arg.tty1
    show getty@/arg.tty2
    ctl down getty@tty2
    ctl rescan
    wait_gone getty@tty2
    snap
}

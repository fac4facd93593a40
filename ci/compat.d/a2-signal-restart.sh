# A2: a service killed by a signal restarts, through DOWN; finish gets -1 1.
setup() {
    script sv_a/run 'exec sleep 100'
    script sv_a/finish 'echo "$@" >> finish_args'
}
steps() {
    wait_state sv_a UP
    ctl hup sv_a
    wait_file sv_a/finish_args
    wait_state sv_a UP
    show sv_a/finish_args
}

# A4: a logger with its own down file is started by its producer, again
# after it was taken down. (The logger is ready at once, by its readiness
# pipe: nitro-rs announces it UP at once; nitro, for a logger its producer's
# restart started, only after the producer's 2 s timer.)
deviation="a logger's readiness is announced at once"

setup() {
    script sv/run 'echo 1; echo 2; echo 3; exec sleep 100'
    file sv/down ''
    link sv/log ../log
    # (Ready at once: its UP and the producer's do not race.)
    script log/run 'echo >&3; exec cat > log.txt'
    file log/notification-fd 3
    file log/down ''
}
steps() {
    sleep 0.5
    snap
    ctl up sv
    wait_file log/log.txt 3
    snap
    show log/log.txt
    ctl down log
    ctl restart sv
    wait_state sv UP
    snap
}

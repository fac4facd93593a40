# A5: `restart` (and `up`) re-read the log link; a self-restart does not.
#
# Until sv_a's `restart` makes it a logger, myotherlog is a service of its
# own whose cat ends at once (its stdin is /dev/null): it starts again every
# second or so, in both supervisors. Its third start comes a few
# milliseconds after sv_a's UP (both about 2 s in), so a `hup` sent as soon
# as sv_a is seen UP raced it; the steps wait for that round to be over
# (each start is marked in `starts`), and the next is a second away.
setup() {
    script sv_a/run 'echo "hello $$"; exec sleep 100'
    link sv_a/log ../mylog
    script mylog/run 'exec cat >> mylog.txt'
    script myotherlog/run 'echo >> starts; exec cat >> myotherlog.txt'
}
steps() {
    wait_state sv_a UP
    wait_file mylog/mylog.txt
    wait_file myotherlog/starts 3
    wait_left myotherlog STARTING
    ln -sfn ../myotherlog "$SV/sv_a/log"
    ctl hup sv_a
    wait_file mylog/mylog.txt 2
    ctl restart sv_a
    wait_file myotherlog/myotherlog.txt
    ctl up sv_a
    ln -sfn ../mylog "$SV/sv_a/log"
    ctl up sv_a
    ctl hup sv_a
    wait_file mylog/mylog.txt 3
    note "mylog: $(wc -l < "$SV/mylog/mylog.txt") lines, myotherlog: $(wc -l < "$SV/myotherlog/myotherlog.txt") lines"
}

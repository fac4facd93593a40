# A5: `restart` (and `up`) re-read the log link; a self-restart does not.
setup() {
    script sv_a/run 'echo "hello $$"; exec sleep 100'
    link sv_a/log ../mylog
    script mylog/run 'exec cat >> mylog.txt'
    script myotherlog/run 'exec cat >> myotherlog.txt'
}
steps() {
    wait_state sv_a UP
    wait_file mylog/mylog.txt
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

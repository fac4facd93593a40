# A6: a service whose log link points to itself reads its own output.
setup() {
    script sv_a/run 'echo 111; echo 222
read line; echo "got <$line>" >> got
read line2; echo "got2 <$line2>" >> got
exec sleep 100'
    link sv_a/log ../sv_a
}
steps() {
    wait_file sv_a/got 2
    wait_state sv_a UP
    snap
    show sv_a/got
}

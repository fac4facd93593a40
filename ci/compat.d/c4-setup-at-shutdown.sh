# C4: a SYS/setup still running at shutdown: nitro-rs stops it first.
deviation="C4: nitro-rs stops a running SYS/setup at shutdown"
setup() {
    script SYS/setup "trap 'echo TERM > ../setup.txt; exit 0' TERM; echo ready > ../ready; sleep 3 & wait; echo ended > ../setup.txt"
    script SYS/finish 'echo finish ran > ../finish.txt'
}
steps() {
    wait_file ready
}
after() {
    sleep 3.5
    show setup.txt
    show finish.txt
}

# nitro's README: LOG@ gives every service without a log link its own
# logger, whose output goes to LOG.
setup() {
    script LOG/run 'exec cat > LOG.txt'
    script 'LOG@/run' 'while read l; do echo "$1: $l"; done'
    script web/run 'echo hello; exec sleep 100'
}
steps() {
    wait_file LOG/LOG.txt
    wait_state web UP
    snap
    show LOG/LOG.txt
}

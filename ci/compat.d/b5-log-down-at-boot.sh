# B5: LOG with a down file (no SYS/setup): nitro starts it anyway.
deviation="B5: nitro-rs honours LOG/down"
setup() {
    script LOG/run 'exec cat > LOG.txt'
    file LOG/down ''
    script sv/run 'exec sleep 100'
}
steps() {
    wait_state sv STARTING
    snap
}

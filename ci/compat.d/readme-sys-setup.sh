# nitro's README: SYS/setup runs first and can bring services up in order
# with nitroctl; then every service not marked down comes up.
setup() {
    script SYS/setup '"$NITROCTL" start first; echo "setup saw $("$NITROCTL" list first | cut -d" " -f1)" > ../setup.txt'
    script first/run 'exec sleep 100'
    file first/down ''
    script second/run 'exec sleep 100'
    script third/run 'exec sleep 100'
    file third/down ''
}
steps() {
    wait_state second UP
    snap
    show setup.txt
}

# C3: orphans of services are reaped and stopped by nitro-rs (a child
# subreaper); nitro lets them live on.
deviation="C3: nitro-rs stops orphans at shutdown"
setup() {
    script sv/run "sh -c 'sleep 300 & echo \$! > ../orphan' &
exec sleep 100"
}
steps() {
    wait_file orphan
}
after() {
    local p
    p=$(cat "$SV/orphan")
    if kill -0 "$p" 2>/dev/null; then note "orphan alive after exit"; kill "$p"; else note "orphan gone"; fi
}

# C6: two services that log into each other (nitro crashes: a stack
# overflow; nitro-rs runs both).
deviation="C6: nitro crashes on a cycle of two loggers"
setup() {
    script a/run 'echo A-line; read l; echo "a got $l" > got; exec sleep 100'
    link a/log ../b
    script b/run 'echo B-line; read l; echo "b got $l" > got; exec sleep 100'
    link b/log ../a
}
steps() {
    sleep 1
    snap
}

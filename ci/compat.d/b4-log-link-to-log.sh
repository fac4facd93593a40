# B4: `log -> ../LOG` is the default log.
setup() {
    script LOG/run 'exec cat > LOG.txt'
    script sv/run 'echo "from sv"; exec sleep 100'
    link sv/log ../LOG
    script plain/run 'echo "from plain"; exec sleep 100'
}
steps() {
    wait_file LOG/LOG.txt 2
    note "$(sort "$SV/LOG/LOG.txt" | tr '\n' '|')"
    snap
}

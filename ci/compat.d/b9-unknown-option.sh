# B9: an unknown option is named before the usage line.
setup() { :; }
steps() {
    note "$(ctl -x 2>&1 | tr '\n' '|') rc=$?"
}

# Sourced by the test services: report results on the results port (the
# second serial port ttyS1 on x86_64, the virtconsole hvc0 on ARM: the host
# passes NITRO_RESULTS on the kernel command line), one line each, which the
# host side parses:
#   ok NAME [DETAIL]   fail NAME DETAIL   note TEXT   event NAME [DETAIL]
# An echo of a short line is one write(2): lines from concurrent services
# never interleave.
RESULTS=${NITRO_RESULTS:-/dev/ttyS1}
# The port's driver may be a module (ARM: virtio-mmio and virtio-console,
# in /lib/modules/early with the virtio keyboard): the first script to get
# here (SYS/setup, alone) loads them and waits for the device.
if [ ! -c "$RESULTS" ] && [ -d /lib/modules/early ]; then
    for _m in /lib/modules/early/*.ko; do insmod "$_m"; done
    _i=0
    while [ ! -c "$RESULTS" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
fi
report() { echo "$*" >"$RESULTS"; }
ok() { report "ok $*"; }
fail() { report "fail $*"; }
note() { report "note $*"; }
# check NAME COMMAND...: ok when COMMAND succeeds, else fail with COMMAND.
check() {
    _name=$1
    shift
    if "$@"; then ok "$_name"; else fail "$_name: failed: $*"; fi
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# stat_field PID N: field N of /proc/PID/stat, counting from the state
# (1 = state, 2 = ppid, 3 = pgrp, 4 = session, 5 = tty_nr).
stat_field() { sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f"$2"; }
# What the shutdown of this boot is: SCENARIO comes from the kernel command
# line (the kernel hands unknown name=value parameters to init's environment).
case ${SCENARIO:-main} in
    main) EXPECT=shutdown ;;
    *) EXPECT=reboot ;;
esac
# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds
# or the deadline passes.
wait_until() {
    _end=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
    shift
    while ! "$@"; do
        [ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ] || return 1
        sleep 0.1
    done
}

# Sourced by qemu/test: the `debian` scenario (x86_64). It builds the
# Debian system of images/debian (the base root comes from the cache in
# .cache/debian when its inputs are unchanged) with a key pair made for
# this run, then drives it from the host over SSH (QEMU user networking,
# a forward on 127.0.0.1 only, the image's host key pinned):
#
#   boot 1: kernel + our initramfs (nitro as /init, SYS/reincarnate ->
#     switch-root) + the ext4 disk; nitro-rs is /sbin/init on the Debian
#     root; log in, every daemon UP in `nitroctl list` and on the HTTP
#     socket (curl in the guest), daemon output in syslog through the log
#     chains, udev loaded the NIC's driver, agetty on the serial console
#     and respawned when killed, cron ran a job, sshd restarted from inside
#     the SSH session (whose command completes), then `reboot`: QEMU
#     (-no-reboot) exits;
#   boot 2: the same disk again: fsck found the root clean, a file written
#     in boot 1 is there, every daemon UP, then `poweroff`;
#   after: e2fsck -fn of the disk image finds it clean.
#
# Results are "ok debian/NAME" and "fail debian/NAME detail" lines through
# qemu/test's result(); every check in debian_expected that never reported
# fails. Each boot is bounded by NITRO_DEBIAN_BOOT_TIMEOUT seconds (default
# 240) and by qemu/test's overall deadline, which does not count the image
# build (bounded by NITRO_DEBIAN_BUILD_TIMEOUT, see images/debian/build).
# Every wait polls its condition against a deadline.

. "$ROOT/images/debian/lib.sh"

# The daemons that must be UP (their loggers included); boot-report is a
# one-shot.
DEBIAN_DAEMONS="udevd syslog sshd cron dhclient getty@ttyS0 LOG logger@udevd logger@sshd logger@cron logger@dhclient"

debian_expected() {
    local b c
    for b in boot1 boot2; do
        for c in qemu-started ssh-login pid1-is-nitro-on-debian-root all-daemons-up boot-time no-kernel-panic qemu-exited-by-itself; do
            echo "$b-$c"
        done
    done
    echo boot1-http-services boot1-logs-through-chains boot1-udev-loaded-nic-driver boot1-getty-on-console \
        boot1-getty-respawns boot1-cron-runs-job boot1-sshd-restart-in-session boot1-ssh-after-sshd-restart boot1-write-marker \
        boot1-kernel-restarting boot1-sys-final-reboot \
        boot2-root-clean-at-boot boot2-marker-survived boot2-kernel-power-down fsck-clean
}

DEBIAN_SEEN=" "
# dresult ok|fail NAME [DETAIL]: a result of this scenario.
dresult() {
    local r=$1 name=$2
    shift 2
    DEBIAN_SEEN="$DEBIAN_SEEN$name "
    result "$r" "debian/$name" "$@"
}

# debian_prepare: the tools of the host side, a key pair for this run, and
# the system in $DDIR/system. Sets DEBIAN_READY=1 on success.
debian_prepare() {
    DDIR=$WORK/test-debian
    DEBIAN_READY=
    rm -rf "$DDIR" && mkdir -p "$DDIR"
    [ "$ARCH" = x86_64 ] || die "the debian scenario runs on x86_64 only"
    PATH=$PATH:/usr/sbin:/sbin # (e2fsck)
    if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
        local sudo=
        [ "$(id -u)" = 0 ] || sudo=sudo
        say "installing openssh-client (the debian scenario logs in over SSH)"
        $sudo apt-get -o DPkg::Lock::Timeout=300 update -q >&2 || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends openssh-client >&2 ||
            die "apt-get install openssh-client failed"
    fi
    ssh-keygen -q -t ed25519 -N '' -C "nitro-qemu-test" -f "$DDIR/id_ed25519" || die "ssh-keygen failed"
    local t0=$SECONDS
    say "building the Debian system (images/debian/build)"
    if NITRO_QEMU_NOBUILD=1 NITRO_DEBIAN_OUT=$DDIR/system NITRO_DEBIAN_AUTHORIZED_KEYS=$DDIR/id_ed25519.pub \
        "$ROOT/images/debian/build" "$ARCH" >"$DDIR/build.log" 2>&1; then
        DEBIAN_READY=1
        # (what it installed and built, and the image; apt's output stays in the log)
        grep '^build: ' "$DDIR/build.log" | sed 's/^build: /     debian: /' || true
        note_line "image built in $((SECONDS - t0))s (log: $DDIR/build.log)"
    else
        dresult fail image-built "$(tail -n3 "$DDIR/build.log" | tr '\n' ' ')"
    fi
    # The build is not part of the boots' time budget.
    DEADLINE=$((DEADLINE + SECONDS - t0))
}

note_line() { printf '     debian: %s\n' "$*"; }

# free_port: a TCP port nothing listens on (the forward binds 127.0.0.1).
free_port() {
    local p _
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 30000))
        awk -v p="$(printf '%04X' "$p")" '$4 == "0A" && $2 ~ ":" p "$" { found = 1 } END { exit found }' \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null && { echo "$p"; return; }
    done
    die "no free TCP port found"
}

# dssh COMMAND: run COMMAND as root in the guest, at most 60 s.
dssh() {
    timeout -k 5 60 ssh -F none -i "$DDIR/id_ed25519" -p "$DPORT" -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$DDIR/known_hosts" -o HostKeyAlgorithms=ssh-ed25519 \
        -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o LogLevel=ERROR \
        root@127.0.0.1 "$@"
}

# until_deadline END COMMAND...: poll COMMAND once a second until it
# succeeds (0) or END (in $SECONDS) passes or QEMU is gone (1).
until_deadline() {
    local end=$1
    shift
    until "$@"; do
        [ $SECONDS -lt "$end" ] && kill -0 "$DQPID" 2>/dev/null || return 1
        sleep 1
    done
}

# debian_start N: start QEMU for boot N on the disk; sets DQPID, DCON.
debian_start() {
    local n=$1 left t
    left=$((DEADLINE - SECONDS))
    t=${NITRO_DEBIAN_BOOT_TIMEOUT:-240}
    [ "$left" -ge "$t" ] || t=$left
    DCON=$DDIR/console-$n.log
    if [ "$t" -le 20 ]; then
        dresult fail "boot$n-qemu-started" "no time left (NITRO_QEMU_TIMEOUT)"
        return 1
    fi
    DPORT=$(free_port)
    echo "[127.0.0.1]:$DPORT $(cut -d' ' -f1,2 "$DDIR/system/ssh/ssh_host_ed25519_key.pub")" >"$DDIR/known_hosts"
    debian_qemu_args "$DDIR/system" "$DPORT"
    say "booting scenario debian, boot $n ($ACCEL, at most ${t}s, ssh on 127.0.0.1:$DPORT)"
    DT0=$SECONDS
    DBOOT_END=$((SECONDS + t))
    timeout -k 5 "$t" "$QEMU" "${ACCEL_ARGS[@]}" "${ARGS[@]}" -no-reboot -serial "file:$DCON" \
        </dev/null >"$DDIR/qemu-$n.log" 2>&1 &
    DQPID=$!
    dresult ok "boot$n-qemu-started"
}

# debian_login N: wait for SSH to let us in, then the daemons.
debian_login() {
    local n=$1
    if until_deadline "$DBOOT_END" dssh true 2>/dev/null; then
        dresult ok "boot$n-ssh-login" "after $((SECONDS - DT0))s wall time"
    else
        dresult fail "boot$n-ssh-login" "no SSH login within $((SECONDS - DT0))s: $(tail -n2 "$DDIR/qemu-$n.log" | tr '\n' ' ')"
        return 1
    fi
    local exe root
    exe=$(dssh readlink /proc/1/exe) root=$(dssh "awk '\$2 == \"/\" { print \$1, \$3, substr(\$4, 1, 2) }' /proc/mounts | tail -n1")
    if [ "$exe" = /usr/sbin/nitro ] && [ "$root" = "/dev/vda ext4 rw" ] && dssh 'grep -q "^ID=debian" /etc/os-release'; then
        dresult ok "boot$n-pid1-is-nitro-on-debian-root" "pid 1 is $exe, / is $root"
    else
        dresult fail "boot$n-pid1-is-nitro-on-debian-root" "pid 1 is '$exe', / is '$root'"
    fi
    # (the boot's own report gives up after 120 s; so do we, 90 s after
    # the login)
    local end=$((SECONDS + 90))
    [ $end -le "$DBOOT_END" ] || end=$DBOOT_END
    if until_deadline $end debian_all_up; then
        dresult ok "boot$n-all-daemons-up" "$(echo "$DLIST" | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')"
    else
        dresult fail "boot$n-all-daemons-up" "$(echo "$DLIST" | tr '\n' ';')"
    fi
    # The boot's own report (images/debian/nitro/boot-report) in the kernel log.
    local up init
    up=$(grep -ao 'nitro: all [0-9]* services up at [0-9.]*s' "$DCON" | head -n1 || true)
    init=$(grep -ao '^\[ *[0-9.]*\] Run /init' "$DCON" | head -n1 | tr -d '[]' | awk '{ print $1 }' || true)
    if [ -n "$up" ]; then
        dresult ok "boot$n-boot-time" "${up#nitro: } (guest uptime; /init at ${init:-?}s)"
        DBOOT_TIMES="$DBOOT_TIMES boot $n: /init at ${init:-?}s, ${up#nitro: };"
    else
        dresult fail "boot$n-boot-time" "no 'all services up' line on the console: $(grep -ao 'nitro: services not up.*' "$DCON" | head -n1)"
    fi
}

# debian_all_up: whether every daemon is UP and nothing else is in any
# state but UP or ONESHOT (sets DLIST to `nitroctl list`).
debian_all_up() {
    local s
    DLIST=$(dssh nitroctl list 2>&1) || return 1
    for s in $DEBIAN_DAEMONS; do
        echo "$DLIST" | grep -q "^UP $s (pid [0-9]*)" || return 1
    done
    echo "$DLIST" | grep -q '^ONESHOT boot-report ' || return 1
    ! echo "$DLIST" | grep -qv '^\(UP\|ONESHOT\) '
}

# debian_checks_boot1: what the first boot proves besides the login.
debian_checks_boot1() {
    local json s missing='' out cron_t0=$SECONDS
    # A job for cron, checked at the end (cron reads /etc/cron.d at the
    # next minute).
    dssh "echo '* * * * * root touch /run/nitro-cron-test' >/etc/cron.d/nitro-test" || true
    json=$(dssh curl -s --unix-socket /run/nitro/http.sock http://localhost/services || true)
    for s in $DEBIAN_DAEMONS; do
        case $json in *"{\"name\":\"$s\",\"state\":\"UP\",\"pid\":"*) ;; *) missing="$missing $s" ;; esac
    done
    if [ -n "$json" ] && [ -z "$missing" ]; then
        dresult ok boot1-http-services "$(printf '%s' "$json" | grep -o '"name"' | wc -l) services, all daemons UP"
    else
        dresult fail boot1-http-services "not UP in GET /services:$missing: $json"
    fi
    # sshd -e and udevd print to stderr: their lines reach syslog only
    # through their logger@ services (tagged with the service's name).
    if dssh 'grep -q " sshd: Server listening on " /var/log/syslog && grep -q " udevd: " /var/log/syslog'; then
        dresult ok boot1-logs-through-chains "sshd's and udevd's stderr in /var/log/syslog"
    else
        dresult fail boot1-logs-through-chains "$(dssh 'tail -n5 /var/log/syslog' 2>&1 | tr '\n' ';')"
    fi
    out=$(dssh 'test -d /sys/module/virtio_net && ip -o link show | awk -F": " "\$2 != \"lo\" { print \$2 }"' || true)
    if [ -n "$out" ] && [ "$out" != eth0 ]; then
        dresult ok boot1-udev-loaded-nic-driver "virtio_net loaded, NIC named $out"
    else
        dresult fail boot1-udev-loaded-nic-driver "virtio_net or the renamed NIC missing: '$out'"
    fi
    out=$(dssh 'ps -o tty= -p "$(nitroctl pidof getty@ttyS0)"; cat /sys/class/tty/console/active' | tr '\n' ' ' || true)
    if [ "$out" = "ttyS0 ttyS0 " ] && grep -aq 'nitro-debian login:' "$DCON"; then
        dresult ok boot1-getty-on-console "agetty on ttyS0, the console; login prompt seen"
    else
        dresult fail boot1-getty-on-console "getty's tty and the console: '$out'"
    fi
    DGETTY_OLD=$(dssh nitroctl pidof getty@ttyS0 || true) DGETTY_NEW=
    dssh "kill $DGETTY_OLD" || true
    if [ -n "$DGETTY_OLD" ] && until_deadline $((SECONDS + 30)) debian_getty_back; then
        dresult ok boot1-getty-respawns "killed $DGETTY_OLD, UP again as $DGETTY_NEW"
    else
        dresult fail boot1-getty-respawns "killed '$DGETTY_OLD', now '$DGETTY_NEW'"
    fi
    if until_deadline $((cron_t0 + 90)) dssh test -e /run/nitro-cron-test &&
        dssh 'grep -q "CRON\[[0-9]*\]: (root) CMD (touch /run/nitro-cron-test)" /var/log/syslog'; then
        dresult ok boot1-cron-runs-job "a job from /etc/cron.d ran $((SECONDS - cron_t0))s after it was written, logged in syslog"
    else
        dresult fail boot1-cron-runs-job "no /run/nitro-cron-test or no CRON line in syslog after $((SECONDS - cron_t0))s"
    fi
    # The restart is asked for from the session that came through sshd;
    # the session's command must go on and end normally.
    out=$(dssh 'old=$(nitroctl pidof sshd); nitroctl -t 30 restart sshd; rc=$?; echo "completed $rc $old $(nitroctl pidof sshd)"' 2>&1) || true
    local word rc old new
    read -r word rc old new <<<"$out" || true
    if [ "$word" = completed ] && [ "$rc" = 0 ] && [ -n "$new" ] && [ "$old" != "$new" ]; then
        dresult ok boot1-sshd-restart-in-session "sshd $old -> $new, the session's command completed"
    else
        dresult fail boot1-sshd-restart-in-session "output: $out"
    fi
    if dssh true; then
        dresult ok boot1-ssh-after-sshd-restart
    else
        dresult fail boot1-ssh-after-sshd-restart "no login to the restarted sshd"
    fi
    DMARKER=boot1-$$-$RANDOM
    if dssh "echo $DMARKER >/root/nitro-test-marker"; then
        dresult ok boot1-write-marker
    else
        dresult fail boot1-write-marker "could not write /root/nitro-test-marker"
    fi
}

# debian_getty_back: whether the console's getty runs again under a new pid
# and is UP (sets DGETTY_NEW).
debian_getty_back() {
    DGETTY_NEW=$(dssh nitroctl pidof getty@ttyS0 2>/dev/null) && [ -n "$DGETTY_NEW" ] &&
        [ "$DGETTY_NEW" != "$DGETTY_OLD" ] && dssh nitroctl -t 10 wait-up getty@ttyS0 >/dev/null
}

# debian_end N HOW: ask the guest for `HOW` (reboot or poweroff) over SSH,
# then wait for QEMU to exit by itself (-no-reboot) and check the boot.
debian_end() {
    local n=$1 how=$2 rc=0 want check
    dssh "$how" >/dev/null 2>&1 || true
    wait "$DQPID" || rc=$?
    if [ $rc -eq 0 ]; then
        dresult ok "boot$n-qemu-exited-by-itself" "after $how, $((SECONDS - DT0))s after the start"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        dresult fail "boot$n-qemu-exited-by-itself" "killed after the boot's time limit"
    else
        dresult fail "boot$n-qemu-exited-by-itself" "exit status $rc: $(tail -n3 "$DDIR/qemu-$n.log" | tr '\n' ' ')"
    fi
    if grep -qE 'Kernel panic|Attempted to kill init' "$DCON"; then
        dresult fail "boot$n-no-kernel-panic" "$(grep -m1 -E 'Kernel panic|Attempted to kill init' "$DCON")"
    else
        dresult ok "boot$n-no-kernel-panic"
    fi
    # The kernel's last words say which reboot(2) command pid 1 used.
    want='reboot: Power down' check=kernel-power-down
    [ "$how" = poweroff ] || want='reboot: Restarting system' check=kernel-restarting
    if grep -q "$want" "$DCON"; then
        dresult ok "boot$n-$check" "$want"
    else
        dresult fail "boot$n-$check" "no '$want' on the console"
    fi
}

debian_scenario() {
    DBOOT_TIMES=
    if [ -n "$DEBIAN_READY" ]; then
        debian_boot1 && debian_boot2 && debian_fsck
    fi
    local name
    for name in $(debian_expected); do
        case $DEBIAN_SEEN in *" $name "*) ;; *) result fail "debian/$name" "never reported" ;; esac
    done
    [ -z "$DBOOT_TIMES" ] || note_line "${DBOOT_TIMES# }"
    note_line "scenario wall time $((SECONDS - DSTART))s (console logs in $DDIR)"
}

debian_boot1() {
    DSTART=$SECONDS
    debian_start 1 || return 1
    if debian_login 1; then
        debian_checks_boot1
    fi
    debian_end 1 reboot
    if grep -q '^SYS/final: reboot' "$DCON" && grep -q 'nitro: remounted / read-only' "$DCON"; then
        dresult ok boot1-sys-final-reboot "SYS/final ran, / remounted read-only"
    else
        dresult fail boot1-sys-final-reboot "no 'SYS/final: reboot' and '/ remounted read-only' on the console"
    fi
}

debian_boot2() {
    debian_start 2 || return 1
    if debian_login 2; then
        # SYS/setup's fsck of the read-only root said it was clean (the
        # first boot's shutdown left it so), and the kernel had no journal
        # to replay.
        if grep -aq '^debian-root: clean, ' "$DCON" && ! grep -aq 'EXT4-fs (vda): recovery complete' "$DCON"; then
            dresult ok boot2-root-clean-at-boot "$(grep -a -m1 '^debian-root: clean, ' "$DCON")"
        else
            dresult fail boot2-root-clean-at-boot "$(grep -a -m2 -E 'debian-root:|EXT4-fs \(vda\)' "$DCON" | tr '\n' ' ')"
        fi
        if [ "$(dssh cat /root/nitro-test-marker 2>&1)" = "$DMARKER" ]; then
            dresult ok boot2-marker-survived
        else
            dresult fail boot2-marker-survived "/root/nitro-test-marker does not hold $DMARKER"
        fi
    fi
    debian_end 2 poweroff
}

debian_fsck() {
    local out rc=0
    out=$(e2fsck -fn "$DDIR/system/disk.img" 2>&1) || rc=$?
    if [ $rc -eq 0 ]; then
        dresult ok fsck-clean "$(echo "$out" | tail -n1)"
    else
        dresult fail fsck-clean "e2fsck -fn exit $rc: $(echo "$out" | tail -n4 | tr '\n' ' ')"
    fi
}

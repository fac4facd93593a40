# Sourced by qemu/test for the rpi3 scenario (aarch64 only): the Raspberry
# Pi 3 SD card image of images/rpi3 on QEMU's raspi3b model.
#
#   NITRO_QEMU_SCENARIOS=rpi3 qemu/test aarch64
#
# 1. images/rpi3 builds the image (timed), builds it again with another
#    umask, time zone and locale (it must come out byte for byte the same),
#    and builds the test image: the same plus this scenario's check service
#    (qemu/guest/rpi3, with --overlay) and netcat for the HTTP check. Its
#    boot partition must equal the plain image's.
# 2. The kernel, device tree, initramfs and cmdline.txt are taken out of
#    the test image's boot partition (mcopy; QEMU's raspi model has no
#    firmware to read config.txt), and the whole image is the SD card.
# 3. Two boots of the same card. In each the check service reports on the
#    console (the board's one usable serial port: QEMU's second -serial is
#    the mini UART, ttyS1; the first is the PL011, which the device tree
#    gives to Bluetooth), as "@rpi3 ok|fail|note|event ..." lines; then the
#    host types into the root shell the getty logged in (root has no
#    password yet) `nitroctl Reboot` (boot 1: the watchdog resets the board
#    and QEMU, with -no-reboot, exits) or, in boot 2, sets a password with
#    passwd, logs out, logs in with it and types `nitroctl Shutdown` (the
#    watchdog powers the board off). Boot 2 also finds the file boot 1 wrote.
# 4. e2fsck -fn on the root partition, copied out of the image: clean.
# 5. A third boot with root= naming a partition the card lacks: the
#    initramfs reports it and starts its rescue shell, where `poweroff`
#    powers the board off.
#
# Uses qemu/test's result, WORK, DEADLINE, BOOT_TIMEOUT, QEMU and ROOT.
# Every wait polls with a deadline; every boot is bounded by timeout(1).

# The checks the guest reports in every boot (boot 2 adds one).
RPI3_GUEST_CHECKS="board-model root-is-sd-card-partition nitro-pid-1-on-sd-card modules-loaded
    watchdog-device services-up logger-chain http-socket-0600 http-get-services"

rpi3_scenario() {
    if [ "$ARCH" != aarch64 ]; then
        result fail rpi3/architecture "the raspi3b board is aarch64: run qemu/test aarch64"
        return
    fi
    local dir=$WORK/rpi3
    rm -rf "$dir" && mkdir -p "$dir"
    rpi3_images "$dir" || return 0
    rpi3_boot_files "$dir" || return 0
    rpi3_boot "$dir" 1 "nitroctl Reboot" "reboot: Restarting system"
    rpi3_boot "$dir" 2 "nitroctl Shutdown" "reboot: Power down" nitro-rs-1
    rpi3_fsck "$dir"
    rpi3_rescue "$dir"
}

# rpi3_build LOG ARGS...: images/rpi3 with the binaries qemu/test built.
rpi3_build() {
    local log=$1
    shift
    NITRO_QEMU_NOBUILD=1 NITRO_QEMU_CACHE=$CACHE "$ROOT/images/rpi3" "$@" >"$log" 2>&1
}

# rpi3_images DIR: plain.img (twice, compared) and test.img in DIR.
rpi3_images() {
    local dir=$1 t0=$SECONDS size
    if ! rpi3_build "$dir/build.log" -o "$dir/plain.img"; then
        result fail rpi3/image-builds "$(tail -n3 "$dir/build.log" | tr '\n' ' ')"
        return 1
    fi
    size=$(stat -c %s "$dir/plain.img")
    result ok rpi3/image-builds "$((size >> 20)) MiB, $(du -k "$dir/plain.img" | cut -f1) KiB allocated, $((SECONDS - t0))s"
    if [ $((size & (size - 1))) -eq 0 ]; then
        result ok rpi3/image-size-power-of-2 "$size bytes"
    else
        result fail rpi3/image-size-power-of-2 "$size bytes"
    fi
    # Again, as another user would: other umask, time zone and locale.
    if ! (umask 077 && export TZ=Pacific/Chatham LC_ALL=C.UTF-8 && rpi3_build "$dir/build2.log" -o "$dir/again.img"); then
        result fail rpi3/image-reproducible "second build failed: $(tail -n3 "$dir/build2.log" | tr '\n' ' ')"
    elif cmp -s "$dir/plain.img" "$dir/again.img"; then
        result ok rpi3/image-reproducible "sha256 $(sha256sum <"$dir/plain.img" | cut -c1-16)"
    else
        result fail rpi3/image-reproducible "$(cmp "$dir/plain.img" "$dir/again.img" 2>&1 | head -n1)"
    fi
    rm -f "$dir/again.img"
    rpi3_overlay "$dir/overlay" || return 1
    if ! rpi3_build "$dir/build-test.log" --overlay "$dir/overlay" -o "$dir/test.img"; then
        result fail rpi3/test-image-builds "$(tail -n3 "$dir/build-test.log" | tr '\n' ' ')"
        return 1
    fi
    # Everything before the root partition (partition table, boot
    # partition) is the same as in the image a user flashes.
    local root_start
    root_start=$(rpi3_partition "$dir/test.img" 2 start)
    if [ -n "$root_start" ] && cmp -s -n $((root_start * 512)) "$dir/plain.img" "$dir/test.img"; then
        result ok rpi3/test-image-boot-partition-unchanged
    else
        result fail rpi3/test-image-boot-partition-unchanged "the first ${root_start:-?} sectors differ"
    fi
}

# rpi3_overlay DIR: the check service, and netcat-openbsd with the
# libraries it needs (Debian's arm64 packages) for the HTTP check.
rpi3_overlay() {
    local dir=$1 pkg deb
    rm -rf "$dir" && mkdir -p "$dir"
    cp -RP "$QDIR/guest/rpi3/." "$dir/"
    for pkg in netcat-openbsd libbsd0 libmd0 libc6; do
        deb=$(deb_download "$pkg") && dpkg-deb -x "$deb" "$dir" || {
            result fail rpi3/test-image-builds "cannot fetch or unpack $pkg ($DEB_ARCH)"
            return 1
        }
    done
    rm -rf "$dir/usr/share"
}

# rpi3_partition IMAGE N start|size: partition N's field, in sectors.
rpi3_partition() {
    sfdisk -d "$1" 2>/dev/null | awk -v n="$1$2 :" -v f="$3" 'index($0, n) == 1 {
        s = $0; sub(".*[ ,]" f "= *", "", s); sub("[^0-9].*", "", s); print s }'
}

# rpi3_boot_files DIR: what a Raspberry Pi's firmware would load, copied
# out of the test image's boot partition into DIR/boot.
rpi3_boot_files() {
    local dir=$1 start f missing=
    start=$(rpi3_partition "$dir/test.img" 1 start)
    mkdir -p "$dir/boot"
    for f in kernel8.img bcm2837-rpi-3-b.dtb initrd.img cmdline.txt config.txt; do
        MTOOLS_SKIP_CHECK=1 mcopy -n -i "$dir/test.img@@$((${start:-0} * 512))" "::$f" "$dir/boot/$f" 2>>"$dir/mcopy.log" ||
            missing="$missing $f"
    done
    if [ -n "$missing" ] || [ -z "$start" ]; then
        result fail rpi3/boot-files-from-image "not in partition 1 (start ${start:-?}):$missing"
        return 1
    fi
    result ok rpi3/boot-files-from-image "$(cd "$dir/boot" && stat -c '%n %s' kernel8.img initrd.img | tr '\n' ' ')"
}

# rpi3_seen FILE TEXT [N]: whether the console log FILE has TEXT (a fixed
# string) at least N times (default 1).
rpi3_seen() {
    [ -e "$1" ] && [ "$(tr -d '\r' <"$1" | grep -aoF -- "$2" | wc -l)" -ge "${3:-1}" ]
}

# rpi3_wait_for PID END FILE TEXT [N]: poll until FILE shows TEXT (N
# times); fail when QEMU (PID) ended or the deadline END (in $SECONDS)
# passed.
rpi3_wait_for() {
    while [ $SECONDS -lt "$2" ] && kill -0 "$1" 2>/dev/null; do
        rpi3_seen "$3" "$4" "${5:-1}" && return 0
        sleep 0.2
    done
    rpi3_seen "$3" "$4" "${5:-1}"
}

# rpi3_start DIR NAME APPEND: boot the SD card DIR/test.img on raspi3b with
# the kernel, device tree and initramfs of DIR/boot and the kernel command
# line APPEND, its console on a pair of FIFOs in DIR/NAME (typed into
# through con.in, logged to console.log). Sets QPID and CPID (QEMU and the
# console reader), T0 and END (the deadline, in $SECONDS) and TLIMIT;
# returns 1 when no time is left.
rpi3_start() {
    local b=$1/$2 left
    rm -rf "$b" && mkdir -p "$b"
    left=$((DEADLINE - SECONDS))
    TLIMIT=$((left < BOOT_TIMEOUT ? left : BOOT_TIMEOUT))
    if [ $TLIMIT -le 5 ]; then
        result fail "rpi3/$2/boot" "no time left (NITRO_QEMU_TIMEOUT)"
        return 1
    fi
    say "booting the Raspberry Pi 3 image on raspi3b: $2 (tcg, at most ${TLIMIT}s)"
    mkfifo "$b/con.in" "$b/con.out"
    T0=$SECONDS END=$((SECONDS + TLIMIT))
    # -serial: the PL011 (unused: Bluetooth's), then the mini UART (ttyS1).
    timeout -k 5 $TLIMIT "$QEMU" -M raspi3b -accel tcg,thread=single -nodefaults -display none -no-reboot \
        -serial null -serial "pipe:$b/con" \
        -kernel "$1/boot/kernel8.img" -dtb "$1/boot/bcm2837-rpi-3-b.dtb" -initrd "$1/boot/initrd.img" \
        -append "$3" -drive "if=sd,format=raw,file=$1/test.img" </dev/null >"$b/qemu.log" 2>&1 &
    QPID=$!
    cat "$b/con.out" >"$b/console.log" &
    CPID=$!
}

# rpi3_type DIR NAME TEXT LINE [N]: once the console shows TEXT (N times;
# polled until QEMU ends or END passes), type LINE; 1 when it never did.
rpi3_type() {
    rpi3_wait_for $QPID $END "$1/$2/console.log" "$3" "${5:-1}" || return 1
    printf '%s\n' "$4" >"$1/$2/con.in"
}

# rpi3_stop DIR NAME WANT: wait for QEMU (bounded by its timeout), then the
# host's checks of that boot: QEMU exited by itself, no kernel panic, the
# kernel's last words WANT, no process left for nitro's SIGKILL.
rpi3_stop() {
    local b=$1/$2 sc=rpi3/$2 want=$3 rc=0 took
    wait $QPID || rc=$?
    took=$((SECONDS - T0))
    kill $CPID 2>/dev/null || true
    wait $CPID 2>/dev/null || true
    if [ $rc -eq 0 ]; then
        result ok "$sc/qemu-exited-by-itself" "after ${took}s"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        result fail "$sc/qemu-exited-by-itself" "killed after the ${TLIMIT}s timeout"
    else
        result fail "$sc/qemu-exited-by-itself" "exit status $rc: $(tail -n3 "$b/qemu.log" | tr '\n' ' ')"
    fi
    if grep -aqE 'Kernel panic|Attempted to kill init' "$b/console.log"; then
        result fail "$sc/no-kernel-panic" "$(grep -a -m1 -E 'Kernel panic|Attempted to kill init' "$b/console.log")"
    else
        result ok "$sc/no-kernel-panic"
    fi
    if rpi3_seen "$b/console.log" "$want"; then
        result ok "$sc/kernel-${want#reboot: }"
    else
        result fail "$sc/kernel-${want#reboot: }" "no '$want' in the console log"
    fi
    # Every process ended on its stop signal (a login shell too, hung up by
    # getty@/finish): nitro had no one left to SIGKILL.
    if rpi3_seen "$b/console.log" "sending SIGKILL to all processes"; then
        result fail "$sc/nothing-left-for-sigkill" "nitro had to SIGKILL what was left after 7 s"
    else
        result ok "$sc/nothing-left-for-sigkill"
    fi
    TOOK=$took
}

# rpi3_boot DIR N COMMAND WANT [PASSWORD]: boot N of the SD card as
# cmdline.txt says. Once the checks are done, at the root shell the getty
# logged in (root has no password yet), type COMMAND; the kernel must end
# with WANT. With PASSWORD: first set it with passwd and log out; getty
# must then ask for the login and login for the password, and COMMAND is
# typed in the shell that follows.
rpi3_boot() {
    local dir=$1 n=$2 cmd=$3 want=$4 pw=${5:-} name=boot$2 sc=rpi3/boot$2
    local b=$dir/boot$2 ps1="nitro-rpi3:" line
    rpi3_start "$dir" "$name" "$(cat "$dir/boot/cmdline.txt") RPI3_BOOT=$n" || return 0
    line="echo login-\$((6 * 7)); $cmd"
    local auto=no login=no
    if rpi3_wait_for $QPID $END "$b/console.log" "@rpi3 event ready" && rpi3_seen "$b/console.log" "$ps1"; then
        auto=yes
        if [ -z "$pw" ]; then
            rpi3_type "$dir" "$name" "$ps1" "$line"
        elif rpi3_type "$dir" "$name" "$ps1" "printf '%s\\n%s\\n' '$pw' '$pw' | passwd >/dev/null 2>&1; exit" &&
            rpi3_type "$dir" "$name" "nitro-rpi3 login: " root &&
            rpi3_type "$dir" "$name" "Password: " "$pw" &&
            rpi3_type "$dir" "$name" "$ps1" "$line" 2; then
            login=yes
        fi
    fi
    rpi3_stop "$dir" "$name" "$want"

    # The guest's reports.
    local line kind name rest detail seen=" "
    while IFS= read -r line; do
        line=${line#@rpi3 } kind=${line%% *} rest=${line#* }
        [ "$kind" != "$line" ] || rest=
        case $kind in
            ok | fail)
                name=${rest%% *} name=${name%:}
                detail=${rest#"$name"} detail=${detail#:} detail=${detail# }
                seen="$seen$name "
                result "$kind" "$sc/$name" $detail
                ;;
            note) printf '     %s: %s\n' "$sc" "$rest" ;;
            event) ;;
            *) printf '     %s: unparsed: %s\n' "$sc" "$line" ;;
        esac
    done < <(tr -d '\r' <"$b/console.log" | grep -ao '@rpi3 .*')
    local expected=$RPI3_GUEST_CHECKS
    [ "$n" != 2 ] || expected="$expected file-of-boot-1-persisted"
    for name in $expected; do
        case $seen in *" $name "*) ;; *) result fail "$sc/$name" "never reported" ;; esac
    done
    if [ $auto = yes ]; then
        result ok "$sc/console-root-shell" "getty logged root in (no password yet)"
    else
        result fail "$sc/console-root-shell" "no shell prompt ('$ps1...') on the console after the checks"
    fi
    if [ -n "$pw" ]; then
        if [ $login = yes ]; then
            result ok "$sc/password-login" "passwd, logout; getty asked for the login, login for the password"
        else
            result fail "$sc/password-login" "after passwd and logout: no login prompt, password prompt or shell"
        fi
    fi
    if rpi3_seen "$b/console.log" "login-42"; then
        result ok "$sc/typed-command-runs" "typed '$cmd'"
    else
        result fail "$sc/typed-command-runs" "no reply to the typed command"
    fi
    # Timing, from the guest's clock.
    local init up ready
    init=$(grep -ao '^\[ *[0-9.]*\] Run /init' "$b/console.log" | head -n1 | tr -d '[]' | awk '{ print $1 }')
    up=$(tr -d '\r' <"$b/console.log" | awk '$1 == "@rpi3" && $2 == "event" && $3 == "all-up" { print $4 }')
    ready=$(tr -d '\r' <"$b/console.log" | awk '$1 == "@rpi3" && $2 == "event" && $3 == "ready" { print $4 }')
    printf '     %s: /init at %ss, services up on the SD card at %ss, checks done at %ss (guest uptime), boot took %ss wall time\n' \
        "$sc" "${init:-?}" "${up:-?}" "${ready:-?}" "$TOOK"
}

# rpi3_rescue DIR: a boot whose root= names a partition the card does not
# have: the initramfs must say so and start its rescue shell on the
# console, where `poweroff` (nitroctl, not busybox's applet: see
# etc/profile) powers the board off.
rpi3_rescue() {
    local dir=$1 sc=rpi3/rescue b=$1/rescue ok=no
    rpi3_start "$dir" rescue "console=ttyS1,115200 root=/dev/mmcblk0p9 rootwait=3 panic=10" || return 0
    if rpi3_wait_for $QPID $END "$b/console.log" "initramfs rescue shell" &&
        rpi3_type "$dir" rescue ":/root# " "echo rescue-\$((6 * 7)); poweroff"; then
        ok=yes
    fi
    rpi3_stop "$dir" rescue "reboot: Power down"
    if rpi3_seen "$b/console.log" "initramfs: no root file system (root device /dev/mmcblk0p9 did not appear within 3 s)"; then
        result ok "$sc/missing-root-reported"
    else
        result fail "$sc/missing-root-reported" "no 'initramfs: no root file system' line on the console"
    fi
    if [ $ok = yes ] && rpi3_seen "$b/console.log" "rescue-42"; then
        result ok "$sc/rescue-shell" "typed 'poweroff'"
    else
        result fail "$sc/rescue-shell" "no rescue shell prompt or no reply to the typed command"
    fi
}

# rpi3_fsck DIR: the root partition of the card after both boots, checked
# without changing it.
rpi3_fsck() {
    local dir=$1 start size out
    start=$(rpi3_partition "$dir/test.img" 2 start)
    size=$(rpi3_partition "$dir/test.img" 2 size)
    if [ -z "$start" ] || [ -z "$size" ]; then
        result fail rpi3/root-fs-clean "no partition 2 in $dir/test.img"
        return
    fi
    dd if="$dir/test.img" of="$dir/root.ext4" bs=1M iflag=skip_bytes,count_bytes \
        skip=$((start * 512)) count=$((size * 512)) conv=sparse status=none
    # Clean: unmounted in order (state clean, no journal left to replay:
    # e2fsck -n would only warn about that) and no errors found.
    local state
    state=$(dumpe2fs -h "$dir/root.ext4" 2>/dev/null | awk -F': *' '
        /^Filesystem state:/ { s = $2 } /^Filesystem features:/ && / needs_recovery/ { r = " (journal needs recovery)" }
        END { print s r }')
    if [ "$state" != clean ]; then
        result fail rpi3/root-fs-clean "state '$state' after the shutdown"
    elif out=$(e2fsck -fn "$dir/root.ext4" 2>&1); then
        result ok rpi3/root-fs-clean "$(printf '%s\n' "$out" | tail -n1)"
    else
        result fail rpi3/root-fs-clean "e2fsck -fn: $(printf '%s\n' "$out" | tail -n4 | tr '\n' ' ')"
    fi
}

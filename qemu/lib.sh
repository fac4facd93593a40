# Shared by qemu/run and qemu/test (sourced, not run): where things live,
# fetching the kernel and busybox from Debian without installing them, and
# building the initramfs images.
#
# Everything downloaded or built goes under $CACHE (default .cache/qemu in
# the repository, gitignored); a second run reuses it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${NITRO_QEMU_CACHE:-$ROOT/.cache/qemu}
QDIR=$ROOT/qemu
# The host's build (mkinitramfs runs here); the guest's binaries are in
# $RELEASE, which set_arch points at the cross build for ARM.
HOST_RELEASE=$ROOT/target/release
RELEASE=$HOST_RELEASE

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "$*"; exit 1; }

# set_arch ARCH: the QEMU binary and machine, Debian architecture, kernel,
# console, results port and modules of ARCH.
#
# ROOTFS_MODULES: the kernel modules a virtio disk with ext4 needs (all
# modules in Debian's kernels), in load order: dependencies first.
# EARLY_MODULES: modules the guest loads before its first report (ARM: the
# virtio-mmio transport and virtio-console for the results port, the
# virtio keyboard for Ctrl-Alt-Del); /lib/modules/early in the images.
# RESULTS_DEV: the guest's device for the results; results_args FILE: the
# QEMU arguments that put it into FILE. disk_args IMG: a virtio disk.
set_arch() {
    EARLY_MODULES=() QEMU_USER=
    case $1 in
        x86_64)
            DEB_ARCH=amd64
            QEMU=qemu-system-x86_64 QEMU_PKG=qemu-system-x86
            MACHINE_ARGS=()
            KERNEL_META=linux-image-amd64
            CONSOLE=ttyS0
            RESULTS_DEV=/dev/ttyS1
            ROOTFS_MODULES=(
                drivers/virtio/virtio_ring.ko
                drivers/virtio/virtio.ko
                drivers/virtio/virtio_pci_legacy_dev.ko
                drivers/virtio/virtio_pci_modern_dev.ko
                drivers/virtio/virtio_pci.ko
                drivers/block/virtio_blk.ko
                lib/crc16.ko
                fs/mbcache.ko
                crypto/crc32c_generic.ko
                fs/jbd2/jbd2.ko
                fs/ext4/ext4.ko
            )
            ;;
        aarch64 | armv7)
            # virt has one PL011 (ttyAMA0) for the normal world, no PS/2:
            # the results go to a virtconsole (hvc0) and Ctrl-Alt-Del comes
            # from a virtio keyboard, all on virtio-mmio. Debian builds
            # virtio itself in, the transport and the drivers as modules.
            # virtio-mmio devices are legacy (v1) by default, and the guest's
            # virtio-input refuses legacy devices: make them all modern.
            if [ "$1" = aarch64 ]; then
                DEB_ARCH=arm64 QEMU=qemu-system-aarch64 KERNEL_META=linux-image-arm64
                MACHINE_ARGS=(-M virt -cpu cortex-a57 -global virtio-mmio.force-legacy=false)
                TRIPLE=aarch64-unknown-linux-gnu
            else
                DEB_ARCH=armhf QEMU=qemu-system-arm KERNEL_META=linux-image-armmp-lpae
                MACHINE_ARGS=(-M virt,highmem=off -cpu cortex-a15 -global virtio-mmio.force-legacy=false)
                TRIPLE=armv7-unknown-linux-gnueabihf
            fi
            QEMU_PKG=qemu-system-arm
            # qemu-user runs the guest's busybox on the host for its applet list
            [ "$1" = aarch64 ] && QEMU_USER=qemu-aarch64-static || QEMU_USER=qemu-arm-static
            CONSOLE=ttyAMA0
            RESULTS_DEV=/dev/hvc0
            RELEASE=$ROOT/target/$TRIPLE/release
            EARLY_MODULES=(
                drivers/virtio/virtio_mmio.ko
                drivers/char/virtio_console.ko
                drivers/virtio/virtio_input.ko
            )
            ROOTFS_MODULES=(
                drivers/block/virtio_blk.ko
                lib/crc16.ko
                fs/mbcache.ko
                crypto/crc32c_generic.ko
                fs/jbd2/jbd2.ko
                fs/ext4/ext4.ko
            )
            ;;
        *) die "architecture '$1' is not supported (x86_64, aarch64, armv7)" ;;
    esac
    ARCH=$1
    # Images and boot logs per architecture (the downloads are shared).
    WORK=$CACHE
    [ "$ARCH" = x86_64 ] || WORK=$CACHE/$ARCH
    mkdir -p "$WORK"
    ensure_tools
}

# results_args FILE: sets ARGS to the QEMU arguments of the results port,
# written to FILE.
results_args() {
    case $ARCH in
        x86_64) ARGS=(-serial "file:$1") ;;
        *) ARGS=(-device virtio-serial-device -chardev "file,id=results,path=$1"
            -device virtconsole,chardev=results) ;;
    esac
}

# disk_args IMG: sets ARGS to the QEMU arguments of a raw virtio disk
# (/dev/vda).
disk_args() {
    case $ARCH in
        x86_64) ARGS=(-drive "file=$1,format=raw,if=virtio") ;;
        *) ARGS=(-drive "file=$1,format=raw,if=none,id=disk" -device virtio-blk-device,drive=disk) ;;
    esac
}

# cad_args: sets ARGS to the QEMU arguments of a keyboard that `sendkey
# ctrl-alt-delete` reaches and whose keys the guest's VT keyboard handler
# turns into SIGINT for pid 1 (x86: the built-in i8042, nothing to add).
cad_args() {
    case $ARCH in
        x86_64) ARGS=() ;;
        *) ARGS=(-device virtio-keyboard-device) ;;
    esac
}

# ensure_tools: install with apt-get whatever host tool is missing (QEMU,
# mke2fs for the real-root image, xz to unpack the kernel; cpio only for
# mkinitramfs's unit test), and refresh the package lists when they do not
# know the kernel package. Root, or sudo, is needed only when something is
# missing. Note: bookworm's qemu-system-x86 conflicts with a backports
# qemu-utils, which apt then removes; nothing here needs qemu-img.
ensure_tools() {
    local need=() sudo=
    [ "$(id -u)" = 0 ] || sudo=sudo
    command -v "$QEMU" >/dev/null || need+=("$QEMU_PKG")
    [ -z "$QEMU_USER" ] || command -v "$QEMU_USER" >/dev/null || need+=(qemu-user-static)
    command -v mke2fs >/dev/null || need+=(e2fsprogs)
    command -v xz >/dev/null || need+=(xz-utils)
    command -v cpio >/dev/null || need+=(cpio)
    # curl: copied from the host into the guest for the in-guest HTTP checks
    # (same architecture only, see spec_curl)
    [ "$ARCH" != "$(uname -m)" ] || command -v curl >/dev/null || need+=(curl)
    if [ ${#need[@]} -gt 0 ] || { [ "$DEB_ARCH" = "$(dpkg --print-architecture)" ] &&
        ! apt-cache show "$KERNEL_META" >/dev/null 2>&1; }; then
        say "installing ${need[*]:-nothing} (and refreshing the package lists)"
        $sudo apt-get -o DPkg::Lock::Timeout=300 update -q >&2 || die "apt-get update failed"
    fi
    if [ ${#need[@]} -gt 0 ]; then
        # Nothing installed is removed without a word: first without
        # removals; when apt must remove something (seen: a newer qemu-utils
        # from backports that Debian's QEMU replaces), say what and go on.
        mkdir -p "$CACHE"
        local apt=(env DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends)
        if ! "${apt[@]}" --no-remove "${need[@]}" >&2 2>"$CACHE/apt-install.err"; then
            local gone
            gone=$("${apt[@]}" --simulate "${need[@]}" 2>/dev/null | awk '$1 == "Remv" { print $2 }' | tr '\n' ' ')
            [ -n "$gone" ] || { cat "$CACHE/apt-install.err" >&2; die "apt-get install ${need[*]} failed"; }
            say "installing ${need[*]} removes ${gone% }: going on"
            "${apt[@]}" "${need[@]}" >&2 || die "apt-get install ${need[*]} failed"
        fi
    fi
    command -v "$QEMU" >/dev/null || die "$QEMU not found"
}

# apt_arch apt-get|apt-cache ARGS...: apt for $DEB_ARCH. For the host's
# architecture the system's apt; for another one a private apt state in
# $CACHE/apt/$DEB_ARCH (package lists of the system's sources for that
# architecture only, no installed packages): nothing on the host changes,
# no `dpkg --add-architecture`. Index files that fail to download (seen:
# bookworm-security armhf, "File has unexpected size") are ignored by apt;
# main is enough for the kernel and busybox.
apt_arch() {
    local tool=$1
    shift
    if [ "$DEB_ARCH" = "$(dpkg --print-architecture)" ]; then
        "$tool" "$@"
        return
    fi
    local d=$CACHE/apt/$DEB_ARCH
    mkdir -p "$d/lists/partial" "$d/archives/partial"
    "$tool" -o APT::Architecture="$DEB_ARCH" -o APT::Architectures::="$DEB_ARCH" \
        -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d" -o Dir::Cache::archives="$d/archives" \
        -o Dir::Cache::pkgcache="$d/pkgcache.bin" -o Dir::Cache::srcpkgcache="$d/srcpkgcache.bin" \
        -o Dir::State::status=/dev/null "$@"
}

# apt_lists: make sure the (private) lists of $DEB_ARCH know the kernel.
apt_lists() {
    [ "$DEB_ARCH" != "$(dpkg --print-architecture)" ] || return 0
    apt_arch apt-cache show "$KERNEL_META" >/dev/null 2>&1 && return 0
    say "fetching the $DEB_ARCH package lists (private, in $CACHE/apt)"
    apt_arch apt-get -q update >&2 || true
}

# deb_download PACKAGE: the path of PACKAGE's .deb in the cache, downloading
# it with apt-get download when missing (no root install, no dependencies).
deb_download() {
    local pkg=$1 dir=$CACHE/deb f
    mkdir -p "$dir"
    f=$(ls "$dir/${pkg}_"*"_$DEB_ARCH.deb" 2>/dev/null | sort | tail -n1)
    if [ -z "$f" ]; then
        say "downloading $pkg"
        (cd "$dir" && apt_arch apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg:$DEB_ARCH" >&2) || die "apt-get download $pkg failed"
        f=$(ls "$dir/${pkg}_"*"_$DEB_ARCH.deb" | sort | tail -n1)
    fi
    printf '%s\n' "$f"
}

# fetch_kernel: sets KVER, KERNEL (what QEMU boots) and MODDIR. The versioned
# package is the one the linux-image-<arch> metapackage depends on; only
# ./boot and the few modules in ROOTFS_MODULES are unpacked.
fetch_kernel() {
    local pkg deb kdir
    apt_lists
    pkg=$(apt_arch apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
    if [ -z "$pkg" ]; then
        # Offline: whatever was fetched last.
        pkg=$(ls -d "$CACHE/kernel/"*"-${KERNEL_META#linux-image-}" 2>/dev/null | sort | tail -n1)
        pkg=${pkg##*/}
        [ -n "$pkg" ] || die "cannot resolve $KERNEL_META (apt-get update?)"
    fi
    KVER=${pkg#linux-image-}
    kdir=$CACHE/kernel/$pkg
    if [ ! -e "$kdir/.done" ]; then
        deb=$(deb_download "$pkg")
        rm -rf "$kdir" && mkdir -p "$kdir"
        local mods=() m
        for m in "${ROOTFS_MODULES[@]}" "${EARLY_MODULES[@]}"; do mods+=("./lib/modules/$KVER/kernel/$m"); done
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" ./boot "${mods[@]}" || die "unpacking $deb failed"
        # (ARM: QEMU boots Debian's arm64 Image.gz and armhf zImage as they are)
        [ "$ARCH" != x86_64 ] || extract_vmlinux "$kdir/boot/vmlinuz-$KVER" "$kdir/vmlinux"
        touch "$kdir/.done"
    fi
    MODDIR=$kdir/lib/modules/$KVER/kernel
    # The uncompressed ELF boots in about half the time under TCG (QEMU
    # loads it through its PVH note); the bzImage when extraction failed.
    if [ -s "$kdir/vmlinux" ]; then KERNEL=$kdir/vmlinux; else KERNEL=$kdir/boot/vmlinuz-$KVER; fi
}

# extract_vmlinux BZIMAGE OUT: the approach of the kernel's
# scripts/extract-vmlinux: find a compressed stream's magic in the bzImage,
# decompress from there, keep the first result that is an ELF file.
extract_vmlinux() {
    local img=$1 out=$2 magic tool off
    # (bash strings cannot hold the NUL that ends xz's magic; five bytes do)
    for spec in $'\xfd7zXZ:xz -dc' $'\x1f\x8b\x08:gzip -dc' $'\x28\xb5\x2f\xfd:zstd -dc'; do
        magic=${spec%%:*} tool=${spec#*:}
        command -v "${tool%% *}" >/dev/null || continue
        for off in $(LC_ALL=C grep -abo -- "$magic" "$img" 2>/dev/null | cut -d: -f1 || true); do
            # Trailing data after the stream makes the tool complain: the
            # ELF magic decides.
            tail -c "+$((off + 1))" "$img" | $tool >"$out.tmp" 2>/dev/null || true
            if [ "$(head -c4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
                mv "$out.tmp" "$out"
                return 0
            fi
        done
    done
    rm -f "$out.tmp"
    say "could not extract vmlinux from $img; booting the bzImage"
}

# fetch_busybox: sets BUSYBOX (a static busybox for the guests' shell and
# test scripts: guest content, not part of nitro).
fetch_busybox() {
    local deb dir=$CACHE/busybox-$DEB_ARCH
    if [ ! -x "$dir/bin/busybox" ]; then
        deb=$(deb_download busybox-static)
        rm -rf "$dir" && mkdir -p "$dir"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" ./bin/busybox || die "unpacking $deb failed"
    fi
    BUSYBOX=$dir/bin/busybox
}

# busybox_applets: the applet names of $BUSYBOX, sorted.
busybox_applets() {
    if [ -n "$QEMU_USER" ]; then "$QEMU_USER" "$BUSYBOX" --list; else "$BUSYBOX" --list; fi | LC_ALL=C sort
}

# build: the release binaries of the workspace, and nothing else; for ARM
# the guest's binaries come from ci/cross (without its qemu-user smoke test:
# the boots test more) and mkinitramfs from the host build.
# NITRO_QEMU_NOBUILD=1 boots the binaries already built.
build() {
    if [ "${NITRO_QEMU_NOBUILD:-}" != 1 ]; then
        (cd "$ROOT" && cargo build --release --workspace --quiet) || die "cargo build failed"
        if [ "$ARCH" != x86_64 ]; then
            NITRO_CROSS_SMOKE=no "$ROOT/ci/cross" "$ARCH" --quiet || die "ci/cross $ARCH failed"
        fi
    fi
    [ -x "$HOST_RELEASE/mkinitramfs" ] || die "$HOST_RELEASE/mkinitramfs missing after the build"
    for b in nitro nitroctl switch-root; do
        [ -x "$RELEASE/$b" ] || die "$RELEASE/$b missing after the build"
    done
}

# spec_base: the spec lines every image shares: the skeleton (with /lib),
# the early modules, nitro as /init, nitroctl with its halt/poweroff/reboot names, switch-root, and
# busybox with a link per applet (except the names nitroctl answers to).
spec_base() {
    cat <<EOF
dir /bin 0755
dir /sbin 0755
dir /dev 0755
dir /etc 0755
dir /proc 0755
dir /sys 0755
dir /run 0755
dir /tmp 1777
dir /root 0700
file /init 0755 $RELEASE/nitro
file /bin/nitroctl 0755 $RELEASE/nitroctl
symlink /bin/halt nitroctl
symlink /bin/poweroff nitroctl
symlink /bin/reboot nitroctl
file /bin/switch-root 0755 $RELEASE/switch-root
file /bin/busybox 0755 $BUSYBOX
dir /lib 0755
EOF
    spec_early_modules
    local a
    for a in $(busybox_applets); do
        case $a in
            busybox | halt | poweroff | reboot | init | linuxrc | switch_root) ;;
            *) echo "symlink /bin/$a busybox" ;;
        esac
    done
}

# spec_demo: the demo image of qemu/run (and of qemu/test's demo
# scenario): the demo services, the login shell's settings, and where the
# guest can run the host's curl, curl and a demo job to PUT with it.
spec_demo() {
    spec_base
    echo "file /etc/profile 0644 $QDIR/guest/profile"
    echo "tree /etc/nitro $QDIR/guest/demo"
    if guest_curl; then
        spec_curl
        echo "file /etc/demo-job.json 0644 $QDIR/guest/demo-job.json"
    fi
}

# guest_curl: whether the guest can run the host's curl (the same
# architecture): then spec_curl puts it into an image.
guest_curl() {
    [ "$ARCH" = "$(uname -m)" ] && [ -x /usr/bin/curl ]
}

# spec_host_progs PROG...: host programs (e.g. /usr/bin/curl) with every
# shared library `ldd` names and the dynamic loader, at their absolute paths
# (the loader finds the libraries in its default directories; no
# ld.so.cache needed). curl serves the guest's HTTP checks against nitro's
# unix socket (no TLS, no DNS: no /etc/ssl, no nsswitch). The spec must
# have declared /lib.
spec_host_progs() {
    local libs dirs=" /lib " files=" " f d p part prog
    for prog in "$@"; do
        libs=$(ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }') ||
            die "ldd $prog failed"
        for f in "$prog" $libs; do
            case $files in *" $f "*) continue ;; esac
            files="$files$f "
            # the parents, outermost first, each once
            d=${f%/*} p=
            for part in ${d//\// }; do
                p=$p/$part
                case $dirs in *" $p "*) ;; *) dirs="$dirs$p " && echo "dir $p 0755" ;; esac
            done
            echo "file $f 0755 $f"
        done
    done
}

# spec_curl: the host's curl (see spec_host_progs).
spec_curl() {
    spec_host_progs /usr/bin/curl
}

# spec_module_files DIR MODULE...: spec lines for the modules under DIR,
# numbered in load order.
spec_module_files() {
    local dir=$1 m n=0
    shift
    for m in "$@"; do
        n=$((n + 1))
        printf 'file %s/%02d-%s 0644 %s\n' "$dir" "$n" "${m##*/}" "$MODDIR/$m"
    done
}

# spec_modules: the kernel modules for a virtio ext4 root, under
# /lib/modules in load order (SYS/setup insmods them from there); the spec
# must have declared /lib.
spec_modules() {
    [ ${#EARLY_MODULES[@]} -gt 0 ] || echo "dir /lib/modules 0755"
    spec_module_files /lib/modules "${ROOTFS_MODULES[@]}"
}

# spec_early_modules: the modules the guest needs before anything else
# (ARM: the results port and the keyboard), in /lib/modules/early; the
# guest's lib/test.sh loads them (and so does the demo's typed command).
spec_early_modules() {
    [ ${#EARLY_MODULES[@]} -gt 0 ] || return 0
    echo "dir /lib/modules 0755"
    echo "dir /lib/modules/early 0755"
    spec_module_files /lib/modules/early "${EARLY_MODULES[@]}"
}

# make_image NAME: read a spec on stdin, write $WORK/NAME.cpio.gz.
make_image() {
    local spec=$WORK/$1.spec out=$WORK/$1.cpio.gz
    cat >"$spec"
    "$HOST_RELEASE/mkinitramfs" "$spec" -o "$out" || die "mkinitramfs $spec failed"
    printf '%s\n' "$out"
}

# kvm_usable: /dev/kvm can be opened (the guest may still fail to come up
# on it: callers fall back to TCG when it does not).
kvm_usable() {
    [ "$ARCH" = x86_64 ] && [ "$(uname -m)" = x86_64 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "${NITRO_QEMU_KVM:-auto}" != no ]
}

# accel_args: sets ACCEL (kvm or tcg) and ACCEL_ARGS. KVM is used only when
# a headless probe boot of this kernel reaches /init on it; the answer is
# cached per kernel and QEMU version (the probe costs up to 20 s once).
# NITRO_QEMU_KVM=no forces TCG, =yes skips the probe.
accel_args() {
    ACCEL=tcg
    ACCEL_ARGS=("${MACHINE_ARGS[@]}" -accel tcg)
    kvm_usable || return 0
    local key
    key="$KVER-$("$QEMU" --version | head -n1 | tr -c 'a-zA-Z0-9.\n' _)"
    local mark=$CACHE/kvm/probe-$key
    mkdir -p "$CACHE/kvm"
    if [ "${NITRO_QEMU_KVM:-auto}" != yes ] && [ ! -e "$mark" ]; then
        # (Everything of the probe, the shell's notes on the killed QEMU
        # included, stays out of sight; one line says what came of it.)
        kvm_probe >"$mark" 2>/dev/null
        if [ "$(cat "$mark")" = ok ]; then
            say "KVM works here: using it (probed once; NITRO_QEMU_KVM=no forces TCG)"
        else
            say "KVM does not bring the guest up here: using TCG (probed once, log in $CACHE/kvm/)"
        fi
    fi
    if [ "${NITRO_QEMU_KVM:-auto}" = yes ] || [ "$(cat "$mark")" = ok ]; then
        ACCEL=kvm
        ACCEL_ARGS=(-accel kvm -cpu host)
    fi
}

# kvm_probe: boot the probe image on KVM for at most 20 s; print ok when
# nitro started in it (its "booting" line on the console), else fail.
kvm_probe() {
    local img log=$CACHE/kvm/probe.log
    img=$({ spec_base; echo "dir /etc/nitro 0755"; } | make_image kvm-probe)
    rm -f "$log"
    "$QEMU" -accel kvm -cpu host -m 256M -nodefaults -display none -no-reboot \
        -serial "file:$log" -kernel "$KERNEL" -initrd "$img" \
        -append "console=$CONSOLE rdinit=/init panic=-1" </dev/null >"$CACHE/kvm/qemu.log" 2>&1 &
    local pid=$! ok=fail deadline=$((SECONDS + 20))
    while [ $SECONDS -lt $deadline ] && kill -0 $pid 2>/dev/null; do
        if grep -q 'nitro: booting' "$log" 2>/dev/null; then ok=ok; break; fi
        sleep 0.2
    done
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    echo $ok
}

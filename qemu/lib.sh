# Shared by qemu/run and qemu/test (sourced, not run): where things live,
# fetching the kernel and busybox from Debian without installing them, and
# building the initramfs images.
#
# Everything downloaded or built goes under $CACHE (default .cache/qemu in
# the repository, gitignored); a second run reuses it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${NITRO_QEMU_CACHE:-$ROOT/.cache/qemu}
QDIR=$ROOT/qemu
RELEASE=$ROOT/target/release

# Kernel modules a virtio disk with ext4 needs (all modules in Debian's
# kernel), in load order: dependencies first.
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

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "$*"; exit 1; }

# set_arch ARCH: the QEMU binary, Debian architecture and console of ARCH.
set_arch() {
    case $1 in
        x86_64)
            DEB_ARCH=amd64
            QEMU=qemu-system-x86_64
            KERNEL_META=linux-image-amd64
            CONSOLE=ttyS0
            ;;
        *) die "architecture '$1' is not supported yet (supported: x86_64)" ;;
    esac
    ARCH=$1
    ensure_tools
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
    command -v "$QEMU" >/dev/null || need+=(qemu-system-x86)
    command -v mke2fs >/dev/null || need+=(e2fsprogs)
    command -v xz >/dev/null || need+=(xz-utils)
    command -v cpio >/dev/null || need+=(cpio)
    if [ ${#need[@]} -gt 0 ] || ! apt-cache show "$KERNEL_META" >/dev/null 2>&1; then
        say "installing ${need[*]:-nothing} (and refreshing the package lists)"
        $sudo apt-get update -q >&2 || die "apt-get update failed"
    fi
    if [ ${#need[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >&2 ||
            die "apt-get install ${need[*]} failed"
    fi
    command -v "$QEMU" >/dev/null || die "$QEMU not found"
}

# deb_download PACKAGE: the path of PACKAGE's .deb in the cache, downloading
# it with apt-get download when missing (no root install, no dependencies).
deb_download() {
    local pkg=$1 dir=$CACHE/deb f
    mkdir -p "$dir"
    f=$(ls "$dir/${pkg}_"*"_$DEB_ARCH.deb" 2>/dev/null | sort | tail -n1)
    if [ -z "$f" ]; then
        say "downloading $pkg"
        (cd "$dir" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg:$DEB_ARCH" >&2) || die "apt-get download $pkg failed"
        f=$(ls "$dir/${pkg}_"*"_$DEB_ARCH.deb" | sort | tail -n1)
    fi
    printf '%s\n' "$f"
}

# fetch_kernel: sets KVER, KERNEL (what QEMU boots) and MODDIR. The versioned
# package is the one the linux-image-<arch> metapackage depends on; only
# ./boot and the few modules in ROOTFS_MODULES are unpacked.
fetch_kernel() {
    local pkg deb kdir
    pkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
    if [ -z "$pkg" ]; then
        # Offline: whatever was fetched last.
        pkg=$(ls "$CACHE/kernel" 2>/dev/null | sort | tail -n1)
        [ -n "$pkg" ] || die "cannot resolve $KERNEL_META (apt-get update?)"
    fi
    KVER=${pkg#linux-image-}
    kdir=$CACHE/kernel/$pkg
    if [ ! -e "$kdir/.done" ]; then
        deb=$(deb_download "$pkg")
        rm -rf "$kdir" && mkdir -p "$kdir"
        local mods=() m
        for m in "${ROOTFS_MODULES[@]}"; do mods+=("./lib/modules/$KVER/kernel/$m"); done
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" ./boot "${mods[@]}" || die "unpacking $deb failed"
        extract_vmlinux "$kdir/boot/vmlinuz-$KVER" "$kdir/vmlinux"
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
    local deb dir=$CACHE/busybox
    if [ ! -x "$dir/bin/busybox" ]; then
        deb=$(deb_download busybox-static)
        rm -rf "$dir" && mkdir -p "$dir"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" ./bin/busybox || die "unpacking $deb failed"
    fi
    BUSYBOX=$dir/bin/busybox
}

# build: the release binaries of the workspace, and nothing else
# (NITRO_QEMU_NOBUILD=1 boots the binaries already in target/release).
build() {
    if [ "${NITRO_QEMU_NOBUILD:-}" != 1 ]; then
        (cd "$ROOT" && cargo build --release --workspace --quiet) || die "cargo build failed"
    fi
    for b in nitro nitroctl mkinitramfs switch-root; do
        [ -x "$RELEASE/$b" ] || die "$RELEASE/$b missing after the build"
    done
}

# spec_base: the spec lines every image shares: the skeleton, nitro as
# /init, nitroctl with its halt/poweroff/reboot names, switch-root, and
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
EOF
    local a
    for a in $("$BUSYBOX" --list | LC_ALL=C sort); do
        case $a in
            busybox | halt | poweroff | reboot | init | linuxrc | switch_root) ;;
            *) echo "symlink /bin/$a busybox" ;;
        esac
    done
}

# spec_modules: the kernel modules for a virtio ext4 root, under
# /lib/modules in load order (SYS/setup insmods them from there); the spec
# must have declared /lib.
spec_modules() {
    echo "dir /lib/modules 0755"
    local m n=0
    for m in "${ROOTFS_MODULES[@]}"; do
        n=$((n + 1))
        printf 'file /lib/modules/%02d-%s 0644 %s\n' "$n" "${m##*/}" "$MODDIR/$m"
    done
}

# make_image NAME: read a spec on stdin, write $CACHE/NAME.cpio.gz.
make_image() {
    local spec=$CACHE/$1.spec out=$CACHE/$1.cpio.gz
    cat >"$spec"
    "$RELEASE/mkinitramfs" "$spec" -o "$out" || die "mkinitramfs $spec failed"
    printf '%s\n' "$out"
}

# kvm_usable: /dev/kvm can be opened (the guest may still fail to come up
# on it: callers fall back to TCG when it does not).
kvm_usable() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "${NITRO_QEMU_KVM:-auto}" != no ]
}

# accel_args: sets ACCEL (kvm or tcg) and ACCEL_ARGS. KVM is used only when
# a headless probe boot of this kernel reaches /init on it; the answer is
# cached per kernel and QEMU version (the probe costs up to 20 s once).
# NITRO_QEMU_KVM=no forces TCG, =yes skips the probe.
accel_args() {
    ACCEL=tcg
    ACCEL_ARGS=(-accel tcg)
    kvm_usable || return 0
    local key
    key="$KVER-$("$QEMU" --version | head -n1 | tr -c 'a-zA-Z0-9.\n' _)"
    local mark=$CACHE/kvm/probe-$key
    mkdir -p "$CACHE/kvm"
    if [ "${NITRO_QEMU_KVM:-auto}" != yes ] && [ ! -e "$mark" ]; then
        kvm_probe >"$mark"
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
    say "probing whether the guest comes up under KVM (once, at most 20 s)"
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
    say "KVM probe: $ok"
    echo $ok
}

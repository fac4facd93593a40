# Sourced (after qemu/lib.sh and set_arch) by images/debian/build,
# images/debian/boot and qemu/debian.sh: where the Debian system's files
# live and how QEMU boots it.
#
# Environment: NITRO_DEBIAN_CACHE (default .cache/debian: the cached base
# root and downloaded packages), NITRO_DEBIAN_OUT (default
# $NITRO_DEBIAN_CACHE/ARCH: the built system: disk.img, initramfs.cpio.gz,
# vmlinux, ssh/).

DEBIAN_SRC=$ROOT/images/debian
DEBIAN_CACHE=${NITRO_DEBIAN_CACHE:-$ROOT/.cache/debian}

# debian_check_arch ARCH: dies unless ARCH is one the system is built for.
debian_check_arch() {
    [ "$1" = x86_64 ] ||
        die "the Debian system is built for x86_64 only, not '$1' (ARM would need a foreign mmdebstrap stage under qemu-user: not done)"
}

# debian_setup: sets OUT, the output directory (after set_arch).
debian_setup() {
    debian_check_arch "$ARCH"
    OUT=${NITRO_DEBIAN_OUT:-$DEBIAN_CACHE/$ARCH}
    mkdir -p "$OUT"
}

# debian_cmdline: the kernel command line (the initramfs's rootfs service
# reads root= and rootfstype=).
debian_cmdline() {
    echo "console=$CONSOLE rdinit=/init root=/dev/vda rootfstype=ext4 panic=-1"
}

# debian_qemu_args DIR PORT: sets ARGS to the QEMU arguments that boot the
# system built in DIR (kernel, initramfs, disk), with user networking whose
# only way in is 127.0.0.1:PORT to the guest's port 22, and a virtio RNG
# (udev loads its driver). Add the console and the accelerator.
debian_qemu_args() {
    local dir=$1 port=$2
    ARGS=(-m 512M -smp 2 -nodefaults -display none
        -kernel "$dir/vmlinux" -initrd "$dir/initramfs.cpio.gz" -append "$(debian_cmdline)"
        -drive "file=$dir/disk.img,format=raw,if=virtio"
        -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=net0
        -device virtio-rng-pci)
}

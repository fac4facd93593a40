//! `switch-root [NEWROOT [INIT [ARG...]]]`: leave the initramfs for the real
//! root, as process 1. Defaults: NEWROOT `/newroot`, INIT `/sbin/init`; so
//! that `SYS/reincarnate` can be a plain symlink to this program.
//!
//! switch_root semantics (as busybox and klibc's run-init do it):
//! 1. NEWROOT must be a mount point, `/` a ramfs or tmpfs, and we pid 1;
//! 2. /dev, /proc, /sys and /run, where mounted, move into NEWROOT;
//! 3. everything on the initramfs is deleted, without crossing into other
//!    file systems (the memory it holds would otherwise be lost for good:
//!    the initramfs cannot be unmounted);
//! 4. chdir NEWROOT, mount --move . /, chroot ., chdir /;
//! 5. exec INIT with the remaining arguments and our environment.
//!
//! Nothing here allocates, and nothing needs a shell or busybox.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::ffi::CStr;
use core::mem::MaybeUninit;
use nitro::out::Out;
use nitro::path::Path;
use nitro::sys::{self, Args};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, RawDir};
use rustix::io::Errno;

nitro::entry!(main);

/// The mounts that move with us.
const MOVED: [&CStr; 4] = [c"/dev", c"/proc", c"/sys", c"/run"];
/// statfs(2) magic numbers of the file systems an initramfs lives on.
const RAMFS_MAGIC: u64 = 0x8584_58f6;
const TMPFS_MAGIC: u64 = 0x0102_1994;
/// Directory levels we descend into when deleting (each costs a 1 KiB
/// buffer on the stack); deeper trees are left in place, with a message.
const MAX_DEPTH: usize = 48;

fn say(parts: &[&[u8]]) {
    let mut o = Out::<512>::new();
    o.s(b"switch-root: ");
    for p in parts {
        o.s(p);
    }
    o.s(b"\n");
    o.flush(sys::fd(2));
}

fn say_errno(what: &[u8], subject: &[u8], e: Errno) {
    let mut o = Out::<32>::new();
    o.s(b": errno=").i(e.raw_os_error() as i64);
    say(&[what, subject, o.bytes()]);
}

fn dev_of(dirfd: impl AsFd, path: &CStr) -> Result<u64, Errno> {
    rustix::fs::statat(dirfd, path, AtFlags::SYMLINK_NOFOLLOW).map(|st| st.st_dev as u64)
}

fn main(args: Args) -> i32 {
    let newroot = args.get(1).unwrap_or(c"/newroot");
    let init = args.get(2).unwrap_or(c"/sbin/init");
    let default_argv = [init.as_ptr() as *const u8, core::ptr::null()];
    // INIT and its arguments are the tail of our own null-terminated argv.
    let argv: &[*const u8] = if args.len() > 2 { &args.argv()[2..] } else { &default_argv };

    if !rustix::process::getpid().is_init() {
        say(&[b"not process 1: refusing to delete the root file system"]);
        return 111;
    }
    match rustix::fs::statfs(c"/") {
        Ok(fs) if fs.f_type as u64 == RAMFS_MAGIC || fs.f_type as u64 == TMPFS_MAGIC => {}
        Ok(_) => {
            say(&[b"/ is not an initramfs (ramfs or tmpfs): refusing to delete it"]);
            return 111;
        }
        Err(e) => {
            say_errno(b"statfs /", b"", e);
            return 111;
        }
    }
    let root_dev = match dev_of(CWD, c"/") {
        Ok(d) => d,
        Err(e) => {
            say_errno(b"stat /", b"", e);
            return 111;
        }
    };
    match dev_of(CWD, newroot) {
        Ok(d) if d != root_dev => {}
        Ok(_) => {
            say(&[newroot.to_bytes(), b" is not a mount point"]);
            return 111;
        }
        Err(e) => {
            say_errno(b"stat ", newroot.to_bytes(), e);
            return 111;
        }
    }
    if let Err(e) = rustix::process::chdir(newroot) {
        say_errno(b"chdir ", newroot.to_bytes(), e);
        return 111;
    }

    for m in MOVED {
        move_mount(m, root_dev);
    }

    // From here on there is no way back: what is deleted is gone.
    match rustix::fs::open(c"/", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => remove_contents(&fd, root_dev, 0),
        Err(e) => say_errno(b"open /", b"", e),
    }

    if let Err(e) = rustix::mount::mount_move(c".", c"/") {
        say_errno(b"mount --move . /", b"", e);
        return 111;
    }
    if let Err(e) = rustix::process::chroot(c".") {
        say_errno(b"chroot .", b"", e);
        return 111;
    }
    if let Err(e) = rustix::process::chdir(c"/") {
        say_errno(b"chdir /", b"", e);
        return 111;
    }
    let e = sys::execve(init, argv, args.envp());
    say_errno(b"exec ", init.to_bytes(), e);
    111
}

/// Move mount `m` (an absolute path) to the same place under the new root
/// (our cwd); when that fails, detach it so it does not pin the initramfs.
fn move_mount(m: &CStr, root_dev: u64) {
    match dev_of(CWD, m) {
        Ok(d) if d != root_dev => {}
        _ => return, // not mounted (or missing): nothing to move
    }
    let rel = &m.to_bytes()[1..];
    let Ok(target) = Path::from(&[rel]) else { return };
    if let Err(Errno::NOENT) = dev_of(CWD, target.as_cstr()) {
        let _ = rustix::fs::mkdirat(CWD, target.as_cstr(), Mode::from_raw_mode(0o755));
    }
    if let Err(e) = rustix::mount::mount_move(m, target.as_cstr()) {
        say_errno(b"mount --move ", m.to_bytes(), e);
        let _ = rustix::mount::unmount(m, rustix::mount::UnmountFlags::DETACH);
    }
}

/// Delete everything in directory `dir` that lives on device `dev`: files,
/// and directories after their contents. Other file systems mounted below
/// (the new root) are left alone. Deleting while reading a directory may
/// skip entries, so each directory is read again until a pass deletes
/// nothing.
fn remove_contents(dir: &OwnedFd, dev: u64, depth: usize) {
    loop {
        if rustix::fs::seek(dir, rustix::fs::SeekFrom::Start(0)).is_err() {
            return;
        }
        let mut removed = false;
        let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut entries = RawDir::new(dir, &mut buf);
        while let Some(entry) = entries.next() {
            let Ok(entry) = entry else { break };
            let name = entry.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            let mut is_dir = entry.file_type() == FileType::Directory;
            if entry.file_type() == FileType::Unknown {
                match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory,
                    Err(_) => continue,
                }
            }
            if is_dir {
                if dev_of(dir, name) != Ok(dev) {
                    continue; // a mount point: not ours to delete
                }
                if depth >= MAX_DEPTH {
                    say(&[b"too deep, left in place: ", name.to_bytes()]);
                    continue;
                }
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                if let Ok(sub) = rustix::fs::openat(dir, name, flags, Mode::empty()) {
                    remove_contents(&sub, dev, depth + 1);
                }
                removed |= rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR).is_ok();
            } else {
                removed |= rustix::fs::unlinkat(dir, name, AtFlags::empty()).is_ok();
            }
        }
        if !removed {
            return;
        }
    }
}

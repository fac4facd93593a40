//! What only process 1 does: mount what it needs, own the console, and at
//! the very end run SYS/final, remount / read-only and halt or reboot.

use crate::config::TIMEOUT_SYS_FINAL;
use crate::out::{Out, parse_u64};
use crate::path::Path;
use crate::spawn::{self, Spawn};
use super::Core;
use crate::sys;
use linux_raw_sys::general as k;
use rustix::fd::AsRawFd;
use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::mount::MountFlags;
use rustix::system::RebootCommand;

/// Whether `dir` is a mount point (a different device than `/`; only
/// detects top-level mounts, which is all we mount). A missing directory
/// counts as mounted: there is nothing to mount on.
fn mounted(dir: &core::ffi::CStr) -> bool {
    let Ok(root) = rustix::fs::statat(CWD, c"/", AtFlags::empty()) else { return true };
    match rustix::fs::statat(CWD, dir, AtFlags::empty()) {
        Ok(st) => st.st_dev != root.st_dev,
        Err(_) => true,
    }
}

pub fn early(sup: &mut Core) {
    rustix::process::umask(Mode::from_raw_mode(0o022));
    if !sys::exists(c"/dev/null") && !mounted(c"/dev") {
        if let Err(e) = rustix::mount::mount(c"dev", c"/dev", c"devtmpfs", MountFlags::NOSUID, c"mode=0755") {
            sup.say_errno(b"mount /dev", e);
        }
    }
    if !mounted(c"/run") {
        if let Err(e) = rustix::mount::mount(c"run", c"/run", c"tmpfs", MountFlags::NOSUID | MountFlags::NODEV, c"mode=0755") {
            sup.say_errno(b"mount /run", e);
        }
    }
    // Only a real pid 1 (not one in a container) may turn off Ctrl-Alt-Del:
    // the kernel then sends us SIGINT instead of rebooting.
    sup.real_pid1 = rustix::system::reboot(RebootCommand::CadOff).is_ok();
    // The console belongs to the machine's init. Process 1 of a container
    // keeps the descriptors it was started with (the runtime's stdio, its
    // logs): /dev/console there may be the host's terminal.
    if sup.real_pid1 {
        own_console();
    }
}

/// The console on fds 0, 1 and 2, as our controlling terminal.
pub fn own_console() {
    let Ok(fd) = rustix::fs::open(c"/dev/console", OFlags::RDWR | OFlags::NOCTTY, Mode::empty()) else { return };
    use rustix::fd::AsRawFd;
    let raw = fd.as_raw_fd();
    for n in 0..3 {
        let _ = sys::dup_to(raw, n);
    }
    if raw > 2 {
        drop(fd);
    } else {
        core::mem::forget(fd);
    }
    let _ = rustix::process::setsid();
    let _ = sys::set_controlling_tty(0, true);
}

/// Send `sig` (and SIGCONT) to every direct child: as a subreaper these are
/// the orphans of services, left after the services stopped.
pub fn signal_children(pid: i32, sig: u32) {
    let mut p = Out::<64>::new();
    p.s(b"/proc/self/task/").u(pid as u64).s(b"/children");
    let Ok(path) = Path::from(&[p.bytes()]) else { return };
    let Ok(fd) = rustix::fs::open(path.as_cstr(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()) else { return };
    let mut buf = [0u8; 512];
    let mut carry = [0u8; 12];
    let mut carried = 0usize;
    loop {
        let n = match rustix::io::read(&fd, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in buf.iter().take(n) {
            if b.is_ascii_digit() && carried < carry.len() {
                carry[carried] = b;
                carried += 1;
            } else if carried > 0 {
                kill_one(carry.get(..carried).unwrap_or(&[]), sig);
                carried = 0;
            }
        }
    }
    if carried > 0 {
        kill_one(carry.get(..carried).unwrap_or(&[]), sig);
    }
}

fn kill_one(digits: &[u8], sig: u32) {
    if let Some(pid) = parse_u64(digits).filter(|&p| p > 1 && p < i32::MAX as u64) {
        let _ = sys::kill(pid as i32, sig);
        if sig == k::SIGTERM {
            let _ = sys::kill(pid as i32, k::SIGCONT);
        }
    }
}

/// The last steps of a real pid 1. Never returns.
pub fn halt(sup: &mut Core) -> ! {
    let why: &core::ffi::CStr = if sup.reboot { c"reboot" } else { c"shutdown" };
    if sys::exists(c"SYS/final") {
        sup.say(b"SYS/final starting");
        let argv = [c"SYS/final".as_ptr() as *const u8, why.as_ptr() as *const u8, core::ptr::null()];
        let spec = Spawn::new(c".", c"SYS/final", &argv, sup.envp);
        match spawn::spawn(&spec) {
            Ok(pid) => wait_for(sup, pid, TIMEOUT_SYS_FINAL),
            Err(_) => sup.say(b"SYS/final failed to start"),
        }
    }
    rustix::fs::sync();
    match rustix::mount::mount_remount(c"/", MountFlags::RDONLY, c"") {
        Ok(()) => sup.say(b"remounted / read-only"),
        Err(e) => sup.say_errno(b"could not remount / read-only", e),
    }
    rustix::fs::sync();
    sup.say(if sup.reboot { b"system reboot" } else { b"system halt" });
    let cmd = if sup.reboot { RebootCommand::Restart } else { RebootCommand::PowerOff };
    let e = rustix::system::reboot(cmd).err();
    sup.fatal(b"reboot", e)
}

/// Wait up to `ms` for child `pid` (reaping anything else that ends), then
/// kill it.
fn wait_for(sup: &mut Core, pid: i32, ms: u64) {
    let deadline = super::now() + ms;
    let pidfd = rustix::process::Pid::from_raw(pid).and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok());
    loop {
        loop {
            match rustix::process::wait(rustix::process::WaitOptions::NOHANG) {
                Ok(Some((p, _))) if p.as_raw_nonzero().get() == pid => return,
                Ok(Some(_)) => continue,
                _ => break,
            }
        }
        let now = super::now();
        if now >= deadline {
            let _ = sys::kill(pid, k::SIGKILL);
            let _ = rustix::process::waitpid(rustix::process::Pid::from_raw(pid), rustix::process::WaitOptions::empty());
            sup.say(b"SYS/final killed after timeout");
            return;
        }
        // Sleep until SYS/final ends (its pidfd is readable then) or the
        // deadline; without pidfds (Linux before 5.3), a tenth of a second
        // (poll(2) passes over a descriptor of -1).
        let fd = pidfd.as_ref().map_or(-1, |f| f.as_raw_fd());
        let left = (deadline - now).min(if fd < 0 { 100 } else { u64::MAX });
        let _ = sys::poll(&mut [sys::PollEntry { fd, events: sys::POLLIN, revents: 0 }], Some(left));
    }
}

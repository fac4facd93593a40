//! The only unsafe code of the project: the system calls rustix keeps private
//! (clone for fork, execve, exit_group, signal masks, signalfd, kill(-1),
//! dup3, setgroups), the process entry point, the start-up arguments and the
//! one accessor to the supervisor's static state. Each block says why it is
//! sound. Everything above this module is `#![deny(unsafe_code)]`.

#![allow(unsafe_code)]

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod arch;
#[cfg(target_arch = "arm")]
#[path = "arm.rs"]
mod arch;
#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod arch;

mod entry;
#[doc(hidden)]
pub mod mem;

pub use entry::{last_resort, leave, on_panic, Args, FATAL_HANDOVER, LAST_RESORT_DELAY};

use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};
use linux_raw_sys::general as k;
use rustix::fd::{FromRawFd, OwnedFd, RawFd};
use rustix::io::Errno;

fn check(ret: isize) -> Result<usize, Errno> {
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw_os_error(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}

/// Fork the process (clone with SIGCHLD as exit signal, no shared memory).
/// Returns `Ok(0)` in the child and the child's pid in the parent.
pub fn fork() -> Result<i32, Errno> {
    // Safety: clone without CLONE_VM gives the child a private copy of the
    // address space, exactly like fork(2); with a zero stack pointer the
    // child continues on its copy of the current stack. The process is
    // single-threaded, so no lock can be held by a vanished thread.
    let r = unsafe { arch::syscall6(k::__NR_clone as usize, [k::SIGCHLD as usize, 0, 0, 0, 0, 0]) };
    check(r).map(|pid| pid as i32)
}

/// Run `child(arg)` in a new process that shares our memory until it
/// execs (clone with CLONE_VM | CLONE_VFORK, as posix_spawn does): no copy
/// of our page tables, no copy-on-write faults after it. We are suspended
/// until the child has exec'd or exited, so it runs alone in our memory
/// meanwhile (what it writes through `arg`'s cells we see after), on our
/// own stack below this frame (past a small gap: nothing of ours lives there
/// while we wait, and those pages are ours already). `child` never
/// returns: it ends in execve or exit. Returns the child's pid.
#[inline(never)]
pub fn spawn_shared<A>(child: fn(&A) -> !, arg: &A) -> Result<i32, Errno> {
    struct Call<'x, A> {
        child: fn(&A) -> !,
        arg: &'x A,
    }
    extern "C" fn trampoline<A>(p: *mut u8) -> ! {
        // Safety: `p` is the Call in spawn_shared's frame, which stays put
        // while the parent is suspended (CLONE_VFORK).
        let c = unsafe { &*(p as *const Call<A>) };
        (c.child)(c.arg)
    }
    let call = Call { child, arg };
    let here = 0u8;
    let top = (core::ptr::addr_of!(here) as usize - 256) & !15;
    let flags = (k::CLONE_VM | k::CLONE_VFORK | k::SIGCHLD) as usize;
    // Safety: the child runs on unused stack below ours (a few KiB: the
    // process's stack grows for it as for us) while we are suspended, and
    // leaves only by execve or exit (`-> !`).
    let r = unsafe { arch::clone_run(flags, top, trampoline::<A>, &call as *const Call<A> as *mut u8) };
    check(r).map(|pid| pid as i32)
}

/// The whole pages of our text that a running supervisor does not run:
/// start-up's, scans', shutdown's, and the HTTP endpoint's and jobs' (build.rs
/// gathers them; `nitro::cold_code!` finds them).
#[derive(Clone, Copy)]
pub struct ColdCode {
    start: usize,
    len: usize,
}

impl ColdCode {
    /// The whole pages of `start..end` (none when they hold no whole page).
    pub fn inside(start: usize, end: usize, page: usize) -> Option<ColdCode> {
        if !page.is_power_of_two() {
            return None;
        }
        let (s, e) = (start.next_multiple_of(page), end & !(page - 1));
        (e > s).then_some(ColdCode { start: s, len: e - s })
    }

    /// These pages become a mapping of their own. A page fault maps the
    /// file's cached pages around it too (fault-around, 64 KiB), but never
    /// across mappings: so that code stays unmapped, and out of our memory,
    /// until something runs it. (Any advice that changes a mapping's flags
    /// splits it; MADV_RANDOM only turns read-ahead off there.) What
    /// start-up mapped there already is let go (MADV_DONTNEED: pages of the
    /// file, never written; a later call finds them in the page cache again).
    /// Call it from code outside these pages, or it maps them again at once.
    pub fn map_apart(self) {
        let advise = |advice: u32| {
            // Safety: advice about pages of our own text that nothing runs
            // now; dropped ones fault in again from the file, unchanged.
            unsafe { arch::syscall6(k::__NR_madvise as usize, [self.start, self.len, advice as usize, 0, 0, 0]) };
        };
        advise(k::MADV_RANDOM);
        advise(k::MADV_DONTNEED);
    }
}

/// execve(2). Returns only on failure.
pub fn execve(path: &CStr, argv: &[*const u8], envp: *const *const u8) -> Errno {
    // execve reads argv up to its null pointer: refuse arrays without one.
    if argv.last() != Some(&core::ptr::null()) {
        return Errno::INVAL;
    }
    // Safety: path is NUL-terminated; argv is null-terminated (checked) and
    // its entries point to NUL-terminated strings the caller keeps alive;
    // envp is the process environment or an array built like argv.
    let r = unsafe {
        arch::syscall6(
            k::__NR_execve as usize,
            [path.as_ptr() as usize, argv.as_ptr() as usize, envp as usize, 0, 0, 0],
        )
    };
    match check(r) {
        Err(e) => e,
        Ok(_) => Errno::INVAL,
    }
}

/// exit_group(2).
pub fn exit(code: i32) -> ! {
    loop {
        // Safety: exit_group takes a plain integer and does not return.
        unsafe { arch::syscall6(k::__NR_exit_group as usize, [code as usize, 0, 0, 0, 0, 0]) };
    }
}

/// A set of signals, as the kernel's 64-bit mask (bit n-1 for signal n).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigSet(pub u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);
    pub const fn with(self, sig: u32) -> SigSet {
        SigSet(self.0 | 1 << (sig - 1))
    }
}

/// Replace the signal mask (rt_sigprocmask SIG_SETMASK).
pub fn set_sigmask(set: SigSet) -> Result<(), Errno> {
    // Safety: the kernel reads 8 bytes from &set.0 and writes nothing back
    // (old set pointer is null).
    let r = unsafe {
        arch::syscall6(
            k::__NR_rt_sigprocmask as usize,
            [k::SIG_SETMASK as usize, &set.0 as *const u64 as usize, 0, 8, 0, 0],
        )
    };
    check(r).map(drop)
}

/// A signalfd reading the signals of `set` (non-blocking, close-on-exec).
pub fn signalfd(set: SigSet) -> Result<OwnedFd, Errno> {
    // Safety: the kernel reads the 8-byte mask; a new descriptor is returned.
    let r = unsafe {
        arch::syscall6(
            k::__NR_signalfd4 as usize,
            [usize::MAX, &set.0 as *const u64 as usize, 8, (k::O_NONBLOCK | k::O_CLOEXEC) as usize, 0, 0],
        )
    };
    // Safety: on success the return value is a new descriptor we own.
    check(r).map(|fd| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Reset every signal disposition to its default in a freshly forked child
/// (signals caught or ignored by the parent must not leak into services).
pub fn reset_signal_dispositions() {
    #[repr(C)]
    struct KSigaction {
        handler: usize,
        flags: usize,
        restorer: usize,
        mask: u64,
    }
    let act = KSigaction { handler: 0, flags: 0, restorer: 0, mask: 0 };
    for sig in 1..=64u32 {
        if sig == k::SIGKILL || sig == k::SIGSTOP {
            continue;
        }
        // Safety: SIG_DFL handler with an empty mask; the kernel copies the
        // struct and writes no old action (null pointer).
        unsafe {
            arch::syscall6(
                k::__NR_rt_sigaction as usize,
                [sig as usize, &act as *const KSigaction as usize, 0, 8, 0, 0],
            );
        }
    }
}

/// kill(2) with any pid, including -1 (every process we may signal) and
/// negative process groups, which rustix's typed Pid cannot express.
pub fn kill(pid: i32, sig: u32) -> Result<(), Errno> {
    // Safety: plain integer arguments.
    let r = unsafe { arch::syscall6(k::__NR_kill as usize, [pid as usize, sig as usize, 0, 0, 0, 0]) };
    check(r).map(drop)
}

/// dup3(2) onto an arbitrary descriptor number (used between fork and exec).
/// Duplicating a descriptor onto itself clears its close-on-exec flag.
pub fn dup_to(old: RawFd, new: RawFd) -> Result<(), Errno> {
    if old == new {
        // Safety: fcntl(F_SETFD, 0) on an integer descriptor.
        let r = unsafe {
            arch::syscall6(k::__NR_fcntl as usize, [old as usize, k::F_SETFD as usize, 0, 0, 0, 0])
        };
        return check(r).map(drop);
    }
    // Safety: plain integer arguments; the new descriptor replaces `new`.
    let r = unsafe { arch::syscall6(k::__NR_dup3 as usize, [old as usize, new as usize, 0, 0, 0, 0]) };
    check(r).map(drop)
}

/// dup3(2) with O_CLOEXEC: a close-on-exec copy of `old` at number `new`.
pub fn dup3_cloexec(old: RawFd, new: RawFd) -> Result<(), Errno> {
    // Safety: plain integer arguments; the new descriptor replaces `new`.
    let r = unsafe { arch::syscall6(k::__NR_dup3 as usize, [old as usize, new as usize, k::O_CLOEXEC as usize, 0, 0, 0]) };
    check(r).map(drop)
}

/// close(2) on a raw descriptor number (between fork and exec only).
pub fn close_raw(fd: RawFd) {
    // Safety: closing an integer descriptor; callers only pass descriptors
    // the child does not use afterwards.
    unsafe { arch::syscall6(k::__NR_close as usize, [fd as usize, 0, 0, 0, 0, 0]) };
}

/// Mark every descriptor from `first` on close-on-exec, so that nothing the
/// supervisor inherited passes into its children (close_range, Linux 5.11).
pub fn cloexec_from(first: u32) -> Result<(), Errno> {
    const CLOSE_RANGE_CLOEXEC: usize = 1 << 2;
    // Safety: plain integer arguments; no descriptor is closed.
    let r = unsafe {
        arch::syscall6(
            k::__NR_close_range as usize,
            [first as usize, u32::MAX as usize, CLOSE_RANGE_CLOEXEC, 0, 0, 0],
        )
    };
    check(r).map(drop)
}

/// setgroups(2) for the calling process (empty list: drop supplementary groups).
pub fn setgroups(groups: &[u32]) -> Result<(), Errno> {
    // Safety: the kernel reads groups.len() gids from the slice.
    let r = unsafe {
        arch::syscall6(
            setgroups_nr(),
            [groups.len(), groups.as_ptr() as usize, 0, 0, 0, 0],
        )
    };
    check(r).map(drop)
}

/// Drop every supplementary group. Unprivileged (a user's own supervisor:
/// user@NAME), setgroups(2) is refused; having none already is the same.
pub fn drop_groups() -> Result<(), Errno> {
    match setgroups(&[]) {
        Err(Errno::PERM) => {
            // Safety: size 0 asks only for the count; nothing is written.
            let n = unsafe { arch::syscall6(getgroups_nr(), [0; 6]) };
            if check(n)? == 0 { Ok(()) } else { Err(Errno::PERM) }
        }
        r => r,
    }
}

/// setgid(2) and setuid(2) for the whole (single-threaded) process.
pub fn setgid(gid: u32) -> Result<(), Errno> {
    // Safety: plain integer argument.
    let r = unsafe { arch::syscall6(setgid_nr(), [gid as usize, 0, 0, 0, 0, 0]) };
    check(r).map(drop)
}

pub fn setuid(uid: u32) -> Result<(), Errno> {
    // Safety: plain integer argument.
    let r = unsafe { arch::syscall6(setuid_nr(), [uid as usize, 0, 0, 0, 0, 0]) };
    check(r).map(drop)
}

// 32-bit ARM has 16-bit legacy calls under the plain names; use the 32-bit ones.
#[cfg(target_arch = "arm")]
fn setgroups_nr() -> usize { k::__NR_setgroups32 as usize }
#[cfg(not(target_arch = "arm"))]
fn setgroups_nr() -> usize { k::__NR_setgroups as usize }
#[cfg(target_arch = "arm")]
fn getgroups_nr() -> usize { k::__NR_getgroups32 as usize }
#[cfg(not(target_arch = "arm"))]
fn getgroups_nr() -> usize { k::__NR_getgroups as usize }
#[cfg(target_arch = "arm")]
fn setgid_nr() -> usize { k::__NR_setgid32 as usize }
#[cfg(not(target_arch = "arm"))]
fn setgid_nr() -> usize { k::__NR_setgid as usize }
#[cfg(target_arch = "arm")]
fn setuid_nr() -> usize { k::__NR_setuid32 as usize }
#[cfg(not(target_arch = "arm"))]
fn setuid_nr() -> usize { k::__NR_setuid as usize }

/// A value placed in a static and handed out exactly once as `&'static mut`:
/// the supervisor's tables live in .bss (pages untouched until used) rather
/// than on the stack, and the single hand-out keeps them free of aliasing.
///
/// The flag that says it was handed out is not beside the value: in front of
/// a page-aligned value (the supervisor's storage is, for its poll set) a
/// one-byte flag took a page of its own, 4 KiB more resident memory. The
/// flags are `FREE[ID]` instead, set at first so that they go to .data, the
/// page of small statics every run touches (in .bss the linker put them
/// after the large values, on a page of their own again). Each
/// singleton of a program names its own ID; two sharing one is still sound
/// (only the first `take` of the two succeeds).
pub struct Singleton<T, const ID: usize> {
    value: UnsafeCell<T>,
}

/// How many singletons a program can have.
const SINGLETONS: usize = 4;
static FREE: [AtomicBool; SINGLETONS] = [const { AtomicBool::new(true) }; SINGLETONS];

// Safety: the value is reachable only through `take`, which succeeds once.
unsafe impl<T, const ID: usize> Sync for Singleton<T, ID> {}

impl<T, const ID: usize> Singleton<T, ID> {
    pub const fn new(value: T) -> Self {
        const { assert!(ID < SINGLETONS) };
        Singleton { value: UnsafeCell::new(value) }
    }

    /// The one mutable reference; `None` on every later call.
    #[allow(clippy::mut_from_ref)] // the flag makes this the only reference
    pub fn take(&'static self) -> Option<&'static mut T> {
        if !FREE.get(ID)?.swap(false, Ordering::AcqRel) {
            return None;
        }
        // Safety: the flag guarantees this is the only reference ever made.
        Some(unsafe { &mut *self.value.get() })
    }
}

/// Whether something is at `path` (access(2) with F_OK; out of line: asked
/// in seven places).
#[inline(never)]
pub fn exists(path: &CStr) -> bool {
    rustix::fs::accessat(rustix::fs::CWD, path, rustix::fs::Access::EXISTS, rustix::fs::AtFlags::empty()).is_ok()
}

/// A unix socket of type `ty` named `path`, non-blocking and close-on-exec,
/// for the control socket (a datagram socket, passing credentials) and the
/// HTTP endpoint (a stream socket, listening with room for `backlog`): one
/// procedure for both. A socket file nobody answers on is stale and
/// replaced; `Errno::ISCONN` when a stream socket answers there,
/// `Errno::PROTOTYPE` when a datagram socket is there (a stream connect to
/// it says so); otherwise what the kernel said. SO_PASSCRED is set before
/// the name: a datagram that arrived between bind(2) and SO_PASSCRED would
/// carry no credentials and be refused (a client started together with
/// nitro was, now and then). Named under umask 0177: the socket is mode
/// 0600.
pub fn unix_socket(path: &CStr, ty: rustix::net::SocketType, backlog: i32) -> Result<OwnedFd, Errno> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let addr = SocketAddrUnix::new(path)?;
    let check = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
    match rustix::net::connect(&check, &addr) {
        Ok(()) => return Err(Errno::ISCONN),
        Err(Errno::PROTOTYPE) => return Err(Errno::PROTOTYPE),
        Err(Errno::CONNREFUSED) => {
            let _ = rustix::fs::unlinkat(rustix::fs::CWD, path, rustix::fs::AtFlags::empty());
        }
        Err(_) => {}
    }
    drop(check);
    let sock = rustix::net::socket_with(AddressFamily::UNIX, ty, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK, None)?;
    if ty == SocketType::DGRAM {
        rustix::net::sockopt::set_socket_passcred(&sock, true)?;
    }
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let r = rustix::net::bind(&sock, &addr);
    rustix::process::umask(old);
    r?;
    if ty == SocketType::STREAM {
        rustix::net::listen(&sock, backlog)?;
    }
    Ok(sock)
}

/// The C string at the start of `b`, up to its first NUL; `c""` when it has
/// none. (core's `CStr::from_bytes_until_nul` does the same with a word-wise
/// search, 250 bytes of code for strings of a few dozen bytes.)
pub fn cstr(b: &[u8]) -> &CStr {
    match b.iter().position(|&x| x == 0).and_then(|n| b.get(..=n)) {
        // Safety: the slice ends with a NUL and holds no other.
        Some(with_nul) => unsafe { CStr::from_bytes_with_nul_unchecked(with_nul) },
        None => c"",
    }
}

/// A datagram's sender as `recv_datagram` received it, to answer to: a
/// unix socket address of `len` bytes, written where it is kept (0: the
/// sender has no name). rustix's SocketAddrAny was 128 bytes of storage
/// copied out, and its generic address code.
pub struct Peer {
    addr: linux_raw_sys::net::sockaddr_un,
    len: u32,
}

impl Peer {
    pub const NONE: Peer = Peer { addr: linux_raw_sys::net::sockaddr_un { sun_family: 0, sun_path: [0; 108] }, len: 0 };

    /// Whether there is an address to answer to.
    pub fn is_named(&self) -> bool {
        self.len > 0
    }
}

// Safety: the pointer is to the address the kernel wrote, `len` bytes of it
// (at most the whole sockaddr_un: recv_datagram checks), and stays valid
// for the call.
unsafe impl rustix::net::addr::SocketAddrArg for Peer {
    unsafe fn with_sockaddr<R>(&self, f: impl FnOnce(*const rustix::net::addr::SocketAddrOpaque, rustix::net::addr::SocketAddrLen) -> R) -> R {
        f((&self.addr as *const linux_raw_sys::net::sockaddr_un).cast(), self.len)
    }
}

/// One datagram of a unix socket with SO_PASSCRED set (`recv_datagram`).
pub struct Datagram {
    /// Its length, even when it was longer than the buffer (MSG_TRUNC).
    pub len: usize,
    /// The sender's user (SCM_CREDENTIALS), when the kernel said.
    pub uid: Option<u32>,
}

/// recvmsg(2) of one datagram, without waiting, with its sender's address
/// and credentials. The control buffer holds exactly one SCM_CREDENTIALS
/// message: descriptors a sender passes (SCM_RIGHTS) find no room and are
/// never installed. (rustix's ancillary buffers take 0.9 KiB of code for
/// what is a single fixed message here.) The sender's address goes to
/// `from`, in place.
pub fn recv_datagram(fd: rustix::fd::BorrowedFd, buf: &mut [u8], from: &mut Peer) -> Result<Datagram, Errno> {
    use core::mem::{MaybeUninit, size_of};
    use linux_raw_sys::general::iovec;
    use linux_raw_sys::net::{MSG_CMSG_CLOEXEC, MSG_DONTWAIT, MSG_TRUNC, SCM_CREDENTIALS, SOL_SOCKET, cmsghdr, msghdr, sockaddr_un, ucred};
    use rustix::fd::AsRawFd;
    /// CMSG_SPACE(sizeof(struct ucred)): the header is a whole number of
    /// words on every architecture, so the data follows it directly.
    #[repr(C)]
    struct Credentials {
        hdr: cmsghdr,
        cred: ucred,
    }
    let mut control = MaybeUninit::<Credentials>::zeroed();
    let mut iov = iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() as _ };
    let mut msg = msghdr {
        msg_name: (&mut from.addr as *mut sockaddr_un).cast(),
        msg_namelen: size_of::<sockaddr_un>() as _,
        msg_iov: (&mut iov as *mut iovec).cast(),
        msg_iovlen: 1,
        msg_control: control.as_mut_ptr().cast(),
        msg_controllen: size_of::<Credentials>() as _,
        msg_flags: 0,
    };
    let flags = MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC;
    // Safety: msg points to the name storage, one iovec over `buf` and the
    // control buffer, each as long as msg says; the kernel writes only there.
    let r = unsafe { arch::syscall6(k::__NR_recvmsg as usize, [fd.as_raw_fd() as usize, &mut msg as *mut msghdr as usize, flags as usize, 0, 0, 0]) };
    let len = check(r)?;
    let namelen = msg.msg_namelen as u32;
    // (More than a family: an unbound sender has an empty name.)
    from.len = if namelen > 2 && namelen as usize <= size_of::<sockaddr_un>() { namelen } else { 0 };
    // Safety: all-zero integers at first, whatever the kernel wrote since.
    let c = unsafe { control.assume_init() };
    let credentials = msg.msg_controllen as usize >= size_of::<cmsghdr>() + size_of::<ucred>()
        && c.hdr.cmsg_len as usize >= size_of::<cmsghdr>() + size_of::<ucred>()
        && c.hdr.cmsg_level as u32 == SOL_SOCKET
        && c.hdr.cmsg_type as u32 == SCM_CREDENTIALS;
    Ok(Datagram { len, uid: credentials.then_some(c.cred.uid) })
}

/// Borrow a descriptor known by number: the standard descriptors, and the
/// descriptors the supervisor's tables keep as plain integers (they own them
/// and close them only when the entry that holds them is cleared).
pub fn fd(raw: RawFd) -> rustix::fd::BorrowedFd<'static> {
    // Safety: a stale or closed number makes the next call fail with EBADF;
    // the tables never keep a number after closing it.
    unsafe { rustix::fd::BorrowedFd::borrow_raw(raw) }
}

/// Take ownership of a descriptor known by number (to close it).
pub fn own(raw: RawFd) -> OwnedFd {
    // Safety: callers pass a descriptor they hold and forget the number.
    unsafe { OwnedFd::from_raw_fd(raw) }
}

/// getcwd(2) into a caller's buffer (rustix's version allocates); returns
/// the path's length without the NUL.
pub fn getcwd(buf: &mut [u8]) -> Result<usize, Errno> {
    // Safety: the kernel writes at most buf.len() bytes into buf.
    let r = unsafe { arch::syscall6(k::__NR_getcwd as usize, [buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0, 0]) };
    let n = check(r)?;
    // The kernel counts the NUL; a path not starting with '/' is unreachable.
    match buf.first() {
        Some(b'/') if n > 0 => Ok(n - 1),
        _ => Err(Errno::NOENT),
    }
}

/// One entry of ppoll(2)'s array, laid out as the kernel's `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct PollEntry {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

pub const POLLIN: i16 = 0x1;
pub const POLLOUT: i16 = 0x4;
pub const POLLERR: i16 = 0x8;
pub const POLLHUP: i16 = 0x10;

/// ppoll(2) over plain descriptor numbers (rustix's PollFd borrows, which
/// does not fit an array kept in a static). `None` waits without limit.
pub fn poll(fds: &mut [PollEntry], timeout_ms: Option<u64>) -> Result<usize, Errno> {
    let ts = timeout_ms.map(|ms| [(ms / 1000) as isize, ((ms % 1000) * 1_000_000) as isize]);
    let tsp = match &ts {
        Some(t) => t.as_ptr() as usize,
        None => 0,
    };
    // Safety: fds is a valid array of fds.len() pollfd structs the kernel
    // may write revents into; tsp is null or points to a timespec.
    let r = unsafe { arch::syscall6(k::__NR_ppoll as usize, [fds.as_mut_ptr() as usize, fds.len(), tsp, 0, 8, 0]) };
    check(r)
}

/// CLOCK_MONOTONIC in milliseconds, by the plain system call: the vDSO
/// would save the call but costs its ELF parser in every binary, and the
/// supervisor reads the clock only when something woke it.
pub fn monotonic_ms() -> u64 {
    let mut ts = [0isize; 2];
    // Safety: the kernel writes one timespec (two longs) into ts.
    let _ = unsafe {
        arch::syscall6(k::__NR_clock_gettime as usize, [k::CLOCK_MONOTONIC as usize, ts.as_mut_ptr() as usize, 0, 0, 0, 0])
    };
    (ts[0] as u64).wrapping_mul(1000).wrapping_add(ts[1] as u64 / 1_000_000)
}

/// CLOCK_REALTIME as (seconds, nanoseconds), by the plain system call as
/// [`monotonic_ms`] (for nitroctl, whose rustix clock_gettime brought 2.3 KiB
/// of vDSO lookup). On 32-bit ARM the 64-bit-time call (Linux 5.1 and
/// later), so that dates after 2038 are right; the old call before that.
pub fn realtime() -> (i64, i64) {
    #[cfg(target_arch = "arm")]
    {
        let mut ts = [0i64; 2];
        // Safety: the kernel writes one __kernel_timespec (two 64-bit
        // integers) into ts.
        let r = unsafe {
            arch::syscall6(k::__NR_clock_gettime64 as usize, [k::CLOCK_REALTIME as usize, ts.as_mut_ptr() as usize, 0, 0, 0, 0])
        };
        if r >= 0 {
            return (ts[0], ts[1]);
        }
    }
    let mut ts = [0isize; 2];
    // Safety: the kernel writes one timespec (two longs) into ts.
    let _ = unsafe {
        arch::syscall6(k::__NR_clock_gettime as usize, [k::CLOCK_REALTIME as usize, ts.as_mut_ptr() as usize, 0, 0, 0, 0])
    };
    (ts[0] as i64, ts[1] as i64)
}


/// Make the terminal on `fd` our controlling terminal (TIOCSCTTY), taking
/// it from another session when `steal` (needs CAP_SYS_ADMIN): SYS/setup
/// takes the console from pid 1, and pid 1 takes it back at shutdown.
pub fn set_controlling_tty(fd: RawFd, steal: bool) -> Result<(), Errno> {
    // Safety: TIOCSCTTY takes an integer argument and touches no memory.
    let r = unsafe {
        arch::syscall6(k::__NR_ioctl as usize, [fd as usize, linux_raw_sys::ioctl::TIOCSCTTY as usize, steal as usize, 0, 0, 0])
    };
    check(r).map(drop)
}

//! The one way a child process is started: setup, run, finish, SYS scripts
//! and job tasks all come through `spawn`. The parent learns why execve
//! failed, so a missing or broken program is known at once instead of as a
//! mysterious exit status.
//!
//! The child shares our memory until its execve (`sys::spawn_shared`:
//! clone with CLONE_VM | CLONE_VFORK on our own stack, no page tables
//! copied) and we are suspended until then: a failing child leaves its
//! errno in a cell of ours before it exits, and once we resume the cell is
//! final (no pipe, no read). The child must never block before its exec:
//! it opens the descriptors a job asks for non-blocking (a FIFO without a
//! peer, a terminal without carrier) and makes them blocking again
//! afterwards. What can still hold it is the kernel itself (a service
//! directory on a dead network mount), which would hold any supervisor that
//! looks at that directory.

use crate::job::{Fd, Mode as FileMode, TaskRef};
use crate::path::Path;
use crate::sys;
use core::cell::Cell;
use core::ffi::CStr;
use rustix::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;

/// A standard descriptor the child keeps as ours (see `Spawn::stdio`).
pub const KEEP: RawFd = -1;

pub struct Spawn<'a> {
    /// Directory to change into first (relative to the service directory).
    pub dir: &'a CStr,
    /// Program path (relative to `dir` unless absolute); for a job's task,
    /// a name without `/` is looked up along the task's `PATH` instead.
    pub path: &'a CStr,
    /// Null-terminated argument vector.
    pub argv: &'a [*const u8],
    pub envp: *const *const u8,
    /// What the child's descriptors 0, 1 and 2 become ([`KEEP`]: ours).
    pub stdio: [RawFd; 3],
    /// More descriptors to hand over: (ours, the number it gets).
    pub fds: &'a [(RawFd, RawFd)],
    /// A job's task: the child switches to its user and group (dropping
    /// supplementary groups) first, opens its descriptors itself (`fd[i]`
    /// becomes i) and looks a bare `path` up in its own `PATH`. Services
    /// run their scripts by path, as we are.
    pub task: Option<TaskRef<'a>>,
    /// Start a new session (services) — and take fd 0 as controlling tty.
    pub setsid: bool,
    pub ctty: bool,
}

impl<'a> Spawn<'a> {
    /// A child in a new session with our descriptors 0-2 and nothing else.
    #[inline(never)]
    pub fn new(dir: &'a CStr, path: &'a CStr, argv: &'a [*const u8], envp: *const *const u8) -> Spawn<'a> {
        Spawn {
            dir,
            path,
            argv,
            envp,
            stdio: [KEEP; 3],
            fds: &[],
            task: None,
            setsid: true,
            ctty: false,
        }
    }
}

impl<'a> Spawn<'a> {
    /// The job's task, if any; always none without the HTTP endpoint (no
    /// jobs there), so that its code is left out of the lean build.
    fn job_task(&self) -> Option<TaskRef<'a>> {
        self.task.filter(|_| cfg!(feature = "http"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// fork or pipe failed: temporary, retry later.
    Resources(Errno),
    /// Setting up or execve failed in the child with this error.
    Exec(Errno),
}

impl SpawnError {
    /// Errors worth a retry after a delay (nitro's list).
    pub fn is_temporary(self) -> bool {
        match self {
            SpawnError::Resources(_) => true,
            SpawnError::Exec(e) => {
                matches!(e, Errno::AGAIN | Errno::IO | Errno::MFILE | Errno::NOMEM | Errno::TXTBSY)
            }
        }
    }

    pub fn errno(self) -> Errno {
        match self {
            SpawnError::Resources(e) | SpawnError::Exec(e) => e,
        }
    }
}

/// What the child is handed: the spawn, and where it leaves the error that
/// stopped it (0: none, it exec'd).
struct ChildArgs<'s, 'a> {
    s: &'s Spawn<'a>,
    err: Cell<i32>,
}

/// The child, on its own part of our stack, sharing our memory until its
/// execve: it reads the spawn, writes only its own stack and `err`, and
/// execs or exits.
fn child_main(c: &ChildArgs) -> ! {
    let e = child(c.s);
    c.err.set(e.raw_os_error());
    sys::exit(if e == Errno::NOENT { 127 } else { 126 })
}

/// Start the child and exec; returns the child's pid once execve succeeded.
pub fn spawn(s: &Spawn) -> Result<i32, SpawnError> {
    let c = ChildArgs { s, err: Cell::new(0) };
    // We resume when the child has exec'd or exited: `err` is final.
    let pid = sys::spawn_shared(child_main, &c).map_err(SpawnError::Resources)?;
    match c.err.get() {
        0 => Ok(pid),
        // The child exits at once; the caller reaps it as usual.
        e => Err(SpawnError::Exec(Errno::from_raw_os_error(e))),
    }
}

/// Most descriptors a child can be given besides 0, 1 and 2.
pub const FDS_MAX: usize = 32;

/// In the child: set up and exec. Returns the error that stopped it.
fn child(s: &Spawn) -> Errno {
    let _ = sys::set_sigmask(sys::SigSet::EMPTY);
    if s.setsid {
        let _ = rustix::process::setsid();
    }
    // Credentials first: the directory, the files and the program are then
    // reached with the task's rights, not the supervisor's.
    if let Some(t) = s.job_task()
        && (t.group().is_some() || t.user().is_some())
    {
        if let Err(e) = sys::drop_groups() {
            return e;
        }
        if let Some(gid) = t.group() {
            if let Err(e) = sys::setgid(gid) {
                return e;
            }
        }
        if let Some(uid) = t.user() {
            if let Err(e) = sys::setuid(uid) {
                return e;
            }
        }
    }
    if let Err(e) = rustix::process::chdir(s.dir) {
        return e;
    }
    if let Err(e) = place_fds(s) {
        return e;
    }
    if s.ctty {
        let _ = sys::set_controlling_tty(0, true);
    }
    exec(s)
}

/// Put every descriptor on its number. Sources that are nobody else's
/// target (a service's stdio, as a rule) go straight onto their numbers.
/// Otherwise first every target number that is free is taken (with a copy
/// of a source, or of /dev/null when there is none), so that nothing opened
/// or copied from then on can land on one; then the sources are copied
/// aside and finally onto their targets. No source is overwritten before
/// it is used, whatever the numbers, and nothing needs a number above the
/// highest target (a target just under RLIMIT_NOFILE works).
fn place_fds(s: &Spawn) -> Result<(), Errno> {
    let task = s.job_task();
    let opens = task.map_or(&[][..], |t| t.fds());
    // (source, target), then (opened, target) once staged.
    let mut maps = [(0, 0); 3 + FDS_MAX];
    let mut n = 0;
    for (to, &from) in s.stdio.iter().enumerate() {
        if from != KEEP {
            *maps.get_mut(n).ok_or(Errno::MFILE)? = (from, to as RawFd);
            n += 1;
        }
    }
    for &m in s.fds {
        *maps.get_mut(n).ok_or(Errno::MFILE)? = m;
        n += 1;
    }
    let sources = n;
    let staged = maps.get(..sources).unwrap_or(&[]);
    // (Whether no source is another's target.)
    let direct = opens.is_empty() && staged.iter().all(|a| staged.iter().all(|b| core::ptr::eq(a, b) || b.1 != a.0));
    if !direct {
        let mut holder = if sources > 0 { maps[0].0 } else { NO_HOLDER };
        let free = |t: RawFd| rustix::io::fcntl_getfd(sys::fd(t)) == Err(Errno::BADF);
        for t in maps[..sources].iter().map(|m| m.1).chain(0..opens.len() as RawFd) {
            if free(t) {
                if holder == NO_HOLDER {
                    holder = keep(rustix::fs::open(c"/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?);
                }
                // (/dev/null opened may have taken this very number.)
                if holder != t {
                    sys::dup3_cloexec(holder, t)?;
                }
            }
        }
        for m in maps.iter_mut().take(sources) {
            m.0 = keep(rustix::io::fcntl_dupfd_cloexec(sys::fd(m.0), 3)?);
        }
        if let Some(t) = task {
            for (to, fd) in opens.iter().enumerate() {
                *maps.get_mut(n).ok_or(Errno::MFILE)? = (keep(open(&t, fd)?), to as RawFd);
                n += 1;
            }
        }
    }
    for &(from, to) in maps.iter().take(n) {
        sys::dup_to(from, to)?;
    }
    Ok(())
}

/// No descriptor yet to hold free target numbers with (a source's or
/// /dev/null's). (A sentinel, not an Option: 24 bytes smaller.)
const NO_HOLDER: RawFd = -1;

/// The number of a descriptor the child keeps until its exec.
fn keep(fd: OwnedFd) -> RawFd {
    let raw = fd.as_raw_fd();
    core::mem::forget(fd);
    raw
}

/// Open one of a job's descriptors (after the switch to the task's user,
/// relative paths from its `cwd`), without ever waiting: non-blocking,
/// then blocking again for the task.
// (Out of line: smaller on both architectures, measured.)
#[inline(never)]
fn open(t: &TaskRef, fd: &Fd) -> Result<OwnedFd, Errno> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let nb = OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match *fd {
        Fd::Null => rustix::fs::open(c"/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?,
        Fd::File { path, mode } => {
            let flags = match mode {
                FileMode::Read => OFlags::RDONLY,
                FileMode::Write => OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC,
                FileMode::ReadWrite => OFlags::RDWR | OFlags::CREATE,
                FileMode::Append => OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND,
            };
            let fd = rustix::fs::open(t.path(path), flags | nb, Mode::from_raw_mode(0o644))?;
            blocking(&fd, flags)?;
            fd
        }
        // A named pipe, created (0600) if missing, opened read-write: a
        // FIFO opened so has a reader and a writer.
        Fd::Pipe { path } => {
            let path = t.path(path);
            match rustix::fs::mknodat(CWD, path, rustix::fs::FileType::Fifo, Mode::from_raw_mode(0o600), 0) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e),
            }
            let fd = rustix::fs::open(path, OFlags::RDWR | nb, Mode::empty())?;
            blocking(&fd, OFlags::RDWR)?;
            fd
        }
        // A listening unix stream socket; a socket file left there is
        // replaced.
        Fd::UnixSocket { path } => {
            let path = t.path(path);
            let sock = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
            let addr = SocketAddrUnix::new(path)?;
            let is_socket = rustix::fs::statat(CWD, path, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Socket);
            if is_socket {
                let _ = rustix::fs::unlinkat(CWD, path, rustix::fs::AtFlags::empty());
            }
            rustix::net::bind(&sock, &addr)?;
            rustix::net::listen(&sock, 128)?;
            sock
        }
        // A listening TCP socket (SO_REUSEADDR).
        Fd::NetworkSocket { bind, port } => {
            let addr = core::net::SocketAddr::new(bind, port);
            let family = if addr.is_ipv4() { AddressFamily::INET } else { AddressFamily::INET6 };
            let sock = rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
            rustix::net::sockopt::set_socket_reuseaddr(&sock, true)?;
            rustix::net::bind(&sock, &addr)?;
            rustix::net::listen(&sock, 128)?;
            sock
        }
    };
    Ok(fd)
}

/// Blocking again: the status flags `fd` was opened with, but O_NONBLOCK
/// (F_SETFL takes only the status flags of them; no F_GETFL needed).
fn blocking(fd: &OwnedFd, flags: OFlags) -> Result<(), Errno> {
    rustix::fs::fcntl_setfl(fd.as_fd(), flags)
}

/// execve `path`, or with `search` the first `dir/path` along it that can
/// be executed (as execvp: EACCES is remembered, ENOENT and ENOTDIR go on).
fn exec(s: &Spawn) -> Errno {
    let name = s.path.to_bytes();
    let search = match s.job_task() {
        Some(t) if !name.iter().any(|&b| b == b'/') => t.search_path(),
        _ => return sys::execve(s.path, s.argv, s.envp),
    };
    let mut denied = false;
    for dir in crate::words::split(search, b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let Ok(p) = Path::from(&[dir, b"/", name]) else { continue };
        match sys::execve(p.as_cstr(), s.argv, s.envp) {
            Errno::ACCESS => denied = true,
            Errno::NOENT | Errno::NOTDIR => {}
            e => return e,
        }
    }
    if denied { Errno::ACCESS } else { Errno::NOENT }
}

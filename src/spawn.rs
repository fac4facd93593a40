//! The one way a child process is started: setup, run, finish, SYS scripts
//! and (later) job tasks all come through `spawn`. A close-on-exec pipe
//! tells the parent why execve failed, so a missing or broken program is
//! known at once instead of as a mysterious exit status.

use crate::sys;
use core::ffi::CStr;
use rustix::fd::{AsRawFd, RawFd};
use rustix::io::Errno;

/// What the child's descriptors 0, 1 and 2 become (`None`: keep ours).
#[derive(Clone, Copy)]
pub struct Stdio {
    pub stdin: Option<RawFd>,
    pub stdout: Option<RawFd>,
    pub stderr: Option<RawFd>,
}

pub struct Spawn<'a> {
    /// Directory to change into first (relative to the service directory).
    pub dir: &'a CStr,
    /// Program path (relative to `dir` unless absolute).
    pub path: &'a CStr,
    /// Null-terminated argument vector.
    pub argv: &'a [*const u8],
    pub envp: *const *const u8,
    pub stdio: Stdio,
    /// More descriptors to hand over: (ours, the number it gets).
    pub fds: &'a [(RawFd, RawFd)],
    /// Switch to this group and user (dropping supplementary groups) first.
    pub gid: Option<u32>,
    pub uid: Option<u32>,
    /// Start a new session (services) — and take fd 0 as controlling tty.
    pub setsid: bool,
    pub ctty: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// fork or pipe failed: temporary, retry later.
    Resources(Errno),
    /// chdir or execve failed in the child with this error.
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
}

/// Fork and exec; returns the child's pid once execve succeeded.
pub fn spawn(s: &Spawn) -> Result<i32, SpawnError> {
    let (rd, mut wr) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(SpawnError::Resources)?;
    // The report pipe must sit above every number the child's descriptors
    // are moved to.
    let top = s.fds.iter().map(|&(_, to)| to).max().unwrap_or(2).max(2);
    if wr.as_raw_fd() <= top {
        wr = rustix::io::fcntl_dupfd_cloexec(&wr, top + 1).map_err(SpawnError::Resources)?;
    }
    match sys::fork() {
        Err(e) => Err(SpawnError::Resources(e)),
        Ok(0) => {
            let e = child(s);
            let _ = rustix::io::write(&wr, &[e.raw_os_error() as u8]);
            sys::exit(if e == Errno::NOENT { 127 } else { 126 })
        }
        Ok(pid) => {
            drop(wr);
            let mut b = [0u8; 1];
            // Blocks only until the child's execve (the pipe closes) or
            // its report of failure.
            let n = loop {
                match rustix::io::read(&rd, &mut b) {
                    Err(Errno::INTR) => continue,
                    r => break r.unwrap_or(0),
                }
            };
            if n == 1 {
                // The child exits at once; the caller reaps it as usual.
                Err(SpawnError::Exec(Errno::from_raw_os_error(b[0] as i32)))
            } else {
                Ok(pid)
            }
        }
    }
}

/// In the child: set up and exec. Returns the error that stopped it.
fn child(s: &Spawn) -> Errno {
    let _ = sys::set_sigmask(sys::SigSet::EMPTY);
    if let Err(e) = rustix::process::chdir(s.dir) {
        return e;
    }
    if s.setsid {
        let _ = rustix::process::setsid();
    }
    // Every descriptor first moves above all target numbers (close-on-exec
    // copies), then onto its target: no source can be overwritten by an
    // earlier move, whatever the numbers.
    let top = s.fds.iter().map(|&(_, to)| to).max().unwrap_or(2).max(2);
    let stdio = [(s.stdio.stdin, 0), (s.stdio.stdout, 1), (s.stdio.stderr, 2)];
    let moves = stdio.iter().filter_map(|&(src, to)| src.map(|fd| (fd, to))).chain(s.fds.iter().copied());
    let mut staged: [(RawFd, RawFd); 3 + FDS_MAX] = [(0, 0); 3 + FDS_MAX];
    let mut n = 0;
    for (from, to) in moves {
        if n == staged.len() {
            return Errno::MFILE;
        }
        match rustix::io::fcntl_dupfd_cloexec(sys::fd(from), top + 1) {
            Ok(fd) => {
                staged[n] = (fd.as_raw_fd(), to);
                core::mem::forget(fd);
            }
            Err(e) => return e,
        }
        n += 1;
    }
    for &(from, to) in &staged[..n] {
        if let Err(e) = sys::dup_to(from, to) {
            return e;
        }
    }
    if s.ctty {
        let _ = sys::set_controlling_tty(0, true);
    }
    if s.gid.is_some() || s.uid.is_some() {
        if let Err(e) = sys::setgroups(&[]) {
            return e;
        }
    }
    if let Some(gid) = s.gid {
        if let Err(e) = sys::setgid(gid) {
            return e;
        }
    }
    if let Some(uid) = s.uid {
        if let Err(e) = sys::setuid(uid) {
            return e;
        }
    }
    sys::execve(s.path, s.argv, s.envp)
}

/// Most descriptors a child can be given besides 0, 1 and 2.
pub const FDS_MAX: usize = 32;

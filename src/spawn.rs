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
    /// An extra descriptor to hand over: (ours, the number it gets).
    pub extra: Option<(RawFd, RawFd)>,
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
    // The report pipe must not sit where the extra descriptor goes.
    if let Some((_, to)) = s.extra {
        if wr.as_raw_fd() == to {
            wr = rustix::io::fcntl_dupfd_cloexec(&wr, to + 1).map_err(SpawnError::Resources)?;
        }
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
    for (src, to) in [(s.stdio.stdin, 0), (s.stdio.stdout, 1), (s.stdio.stderr, 2)] {
        if let Some(fd) = src {
            if sys::dup_to(fd, to).is_err() {
                return Errno::BADF;
            }
        }
    }
    if let Some((from, to)) = s.extra {
        if let Err(e) = sys::dup_to(from, to) {
            return e;
        }
    }
    if s.ctty {
        let _ = rustix::process::ioctl_tiocsctty(sys::fd(0));
    }
    sys::execve(s.path, s.argv, s.envp)
}

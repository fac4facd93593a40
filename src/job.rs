//! A job as the supervisor runs it: up to [`TASKS_MAX`] tasks whose
//! strings all live in one byte arena, each string followed by a NUL so that
//! argv, envp, cwd and paths are ready for execve, chdir and open as they
//! are. Fixed size, no allocation; `http::job` fills one in from a
//! `PUT /job/NAME` body, validated.

use core::ffi::CStr;
use core::net::IpAddr;

/// Tasks in one job.
pub const TASKS_MAX: usize = 8;
/// Arguments after `exec` in one task.
pub const ARGS_MAX: usize = 32;
/// Environment entries of one task (TASK_EXIT comes on top).
pub const ENVS_MAX: usize = 32;
/// Descriptors of one task (`fd[i]` becomes descriptor i).
pub const FDS_MAX: usize = 16;
/// Bytes for every string of a job, NULs included.
pub const ARENA_MAX: usize = 12 * 1024;
/// Longest `exec`, `cwd` or descriptor path, in bytes.
pub const PATH_LEN_MAX: usize = crate::config::PATH_MAX - 1;
/// Longest unix socket path: `sun_path` less its NUL.
pub const SOCKET_PATH_MAX: usize = 107;

/// Where one string lives in its job's arena (its NUL not counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub(crate) off: u16,
    pub(crate) len: u16,
}

/// How a `file` descriptor is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `r`: O_RDONLY
    Read,
    /// `w`: O_WRONLY|O_CREAT|O_TRUNC
    Write,
    /// `rw`: O_RDWR|O_CREAT
    ReadWrite,
    /// `a`: O_WRONLY|O_CREAT|O_APPEND
    Append,
}

/// One descriptor of a task; paths resolve with [`TaskRef::path`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fd {
    Null,
    File {
        path: Span,
        mode: Mode,
    },
    /// A named pipe, created if missing.
    Pipe {
        path: Span,
    },
    /// A listening stream socket bound at `path`.
    UnixSocket {
        path: Span,
    },
    /// A listening TCP socket.
    NetworkSocket {
        bind: IpAddr,
        port: u16,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Env {
    /// `KEY=VALUE`
    pub(crate) kv: Span,
    pub(crate) key_len: u16,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Task {
    pub(crate) exec: Span,
    pub(crate) args: [Span; ARGS_MAX],
    pub(crate) nargs: u8,
    pub(crate) envs: [Env; ENVS_MAX],
    pub(crate) nenvs: u8,
    /// The value of `PATH` among `envs` (empty without one), where a bare
    /// `exec` is looked up.
    pub(crate) search: Span,
    pub(crate) cwd: Span,
    pub(crate) fds: [Fd; FDS_MAX],
    pub(crate) nfds: u8,
    pub(crate) user: Option<u32>,
    pub(crate) group: Option<u32>,
}

pub(crate) const SPAN0: Span = Span { off: 0, len: 0 };
pub(crate) const TASK0: Task = Task {
    exec: SPAN0,
    args: [SPAN0; ARGS_MAX],
    nargs: 0,
    envs: [Env { kv: SPAN0, key_len: 0 }; ENVS_MAX],
    nenvs: 0,
    search: SPAN0,
    cwd: SPAN0,
    fds: [Fd::Null; FDS_MAX],
    nfds: 0,
    user: None,
    group: None,
};

/// A validated job: fixed size (about 18 KiB), no allocation; fill one in
/// place with [`Job::parse_into`].
pub struct Job {
    pub(crate) arena: [u8; ARENA_MAX],
    pub(crate) used: usize,
    pub(crate) tasks: [Task; TASKS_MAX],
    pub(crate) ntasks: u8,
}

/// A copy in place of what is used: the derived `clone_from` builds the whole
/// 18 KiB job on the stack first, and every caller's frame then touches that
/// much stack (pages that stay resident).
impl Clone for Job {
    fn clone(&self) -> Job {
        let mut j = Job::new();
        j.clone_from(self);
        j
    }

    fn clone_from(&mut self, src: &Job) {
        // (Within bounds as every job is; the compiler is told so.)
        let (used, n) = (src.used.min(ARENA_MAX), src.len().min(TASKS_MAX));
        self.arena[..used].copy_from_slice(&src.arena[..used]);
        self.used = used;
        self.tasks[..n].copy_from_slice(&src.tasks[..n]);
        self.ntasks = n as u8;
    }
}

impl Default for Job {
    fn default() -> Self {
        Self::new()
    }
}

impl Job {
    pub const fn new() -> Job {
        Job { arena: [0; ARENA_MAX], used: 0, tasks: [TASK0; TASKS_MAX], ntasks: 0 }
    }

    pub fn clear(&mut self) {
        self.used = 0;
        self.ntasks = 0;
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.ntasks as usize
    }

    pub fn is_empty(&self) -> bool {
        self.ntasks == 0
    }

    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn task(&self, i: usize) -> Option<TaskRef<'_>> {
        let task = self.tasks.get(..self.len())?.get(i)?;
        Some(TaskRef { job: self, task })
    }

    pub fn tasks(&self) -> impl Iterator<Item = TaskRef<'_>> {
        self.tasks.iter().take(self.len()).map(move |task| TaskRef { job: self, task })
    }

    pub(crate) fn bytes(&self, s: Span) -> &[u8] {
        let start = s.off as usize;
        self.arena.get(start..start + s.len as usize).unwrap_or(&[])
    }

    fn cstr(&self, s: Span) -> &CStr {
        let start = s.off as usize;
        // Every span is followed by its NUL and holds none (checked when
        // stored), so this never falls back.
        crate::sys::cstr(self.arena.get(start..=start + s.len as usize).unwrap_or_default())
    }
}

/// One task of a job, with its strings resolved.
#[derive(Clone, Copy)]
pub struct TaskRef<'a> {
    job: &'a Job,
    task: &'a Task,
}

impl<'a> TaskRef<'a> {
    /// The program: a path, or a name to look up in the task's own PATH.
    pub fn exec(&self) -> &'a CStr {
        self.job.cstr(self.task.exec)
    }

    /// The arguments after `exec`.
    pub fn args(&self) -> impl Iterator<Item = &'a CStr> + use<'a> {
        let job = self.job;
        self.spans(&self.task.args, self.task.nargs).iter().map(move |&s| job.cstr(s))
    }

    /// argv as execve wants it: `exec`, then `args` (argc of them).
    pub fn argv(&self) -> impl Iterator<Item = &'a CStr> + use<'a> {
        core::iter::once(self.exec()).chain(self.args())
    }

    pub fn argc(&self) -> usize {
        1 + self.task.nargs as usize
    }

    /// The environment, `KEY=VALUE` each, in the order given.
    pub fn envs(&self) -> impl Iterator<Item = &'a CStr> + use<'a> {
        let job = self.job;
        self.envs_raw().iter().map(move |e| job.cstr(e.kv))
    }

    /// The value of one environment entry. (The exec's lookup reads
    /// `search_path`, noted while parsing, not this.)
    pub fn env(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.envs_raw().iter().find_map(|e| {
            let kv = self.job.bytes(e.kv);
            let (k, v) = kv.split_at_checked(e.key_len as usize)?;
            if k == key { v.get(1..) } else { None }
        })
    }

    /// The task's `PATH` (empty when it has none).
    pub fn search_path(&self) -> &'a [u8] {
        self.job.bytes(self.task.search)
    }

    pub fn cwd(&self) -> &'a CStr {
        self.job.cstr(self.task.cwd)
    }

    /// `fds()[i]` becomes descriptor i.
    pub fn fds(&self) -> &'a [Fd] {
        self.task.fds.get(..self.task.nfds as usize).unwrap_or(&[])
    }

    /// A descriptor's path.
    pub fn path(&self, s: Span) -> &'a CStr {
        self.job.cstr(s)
    }

    pub fn user(&self) -> Option<u32> {
        self.task.user
    }

    pub fn group(&self) -> Option<u32> {
        self.task.group
    }

    fn spans(&self, all: &'a [Span], n: u8) -> &'a [Span] {
        all.get(..n as usize).unwrap_or(&[])
    }

    fn envs_raw(&self) -> &'a [Env] {
        self.task.envs.get(..self.task.nenvs as usize).unwrap_or(&[])
    }
}

/// A job's state as `GET /job/NAME` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Running,
    /// Every task ran.
    Done,
    /// Taken down.
    Stopped,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Stopped => "stopped",
        }
    }
}


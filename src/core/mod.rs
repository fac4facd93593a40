//! The core of the supervisor: the service table and its state machines,
//! the processes they start and stop (the only place that forks, signals and
//! reaps), scans, SYS scripts, the shutdown phases, and jobs. It knows
//! nothing of sockets: the front-ends (`control`, `httpd`) turn requests
//! into a [`Command`] for [`Core::execute`], read the core's state through
//! its views (`services`, `info`, `jobs`) and its changes from one queue
//! ([`Events`]); the loop (`supervisor`) gives it the time and the ends of
//! children.

mod command;
mod events;
#[cfg(feature = "http")]
mod jobs;
mod lifecycle;
mod pid1;
mod scan;

pub use command::{Command, Outcome, Verb};
pub use events::{Event as Change, Events, Kind as ChangeKind, Read};
#[cfg(feature = "http")]
pub use jobs::{JobView, Jobs, PutError, JOBS_MAX, exit_text};

use crate::config::*;
use crate::name::{self, Name};
use crate::out::Out;
use crate::path::Path;
use crate::spawn::{self, KEEP, Spawn, SpawnError};
use crate::state::{Action, Deadline, Event, NEVER, Note, State, due, nearer};
use crate::sys::{self, Args};
use crate::table::{Drain, NO_FD, Slot, Table};
use core::ffi::CStr;
use linux_raw_sys::general as k;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::io::Errno;

/// CLOCK_MONOTONIC in milliseconds: the one clock of the supervisor.
pub fn now() -> u64 {
    sys::monotonic_ms()
}

/// Where the supervisor is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// SYS/setup runs; services start only on request.
    Boot,
    Up,
    /// Shutdown requested: SYS/setup is stopped and SYS/finish runs.
    SysFinish { finish_started: bool },
    /// Services are taken down, loggers drained.
    Stopping,
    /// What is left gets SIGTERM, then SIGKILL.
    KillTerm,
    KillKill,
    Done,
}

/// SYS/setup or SYS/finish: scripts of the system, not services.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SysKind {
    Setup,
    Finish,
}

/// A SYS script running. SYS shows in LIST, QUERY and INFO as an entry of
/// its own while it runs (as in nitro, where it is a table entry): SETUP
/// during SYS/setup, ONESHOT during SYS/finish, no pid, wstatus 0.
#[derive(Clone, Copy)]
struct SysTask {
    kind: SysKind,
    /// 0: none runs (`SysTask::NONE`).
    pid: i32,
    deadline: Deadline,
    /// When it started: the base of its uptime.
    since: u64,
}

impl SysTask {
    const NONE: SysTask = SysTask { kind: SysKind::Setup, pid: 0, deadline: NEVER, since: 0 };

    fn running(&self) -> bool {
        self.pid != 0
    }

    fn state(&self) -> State {
        match self.kind {
            SysKind::Setup => State::Setup,
            SysKind::Finish => State::Oneshot,
        }
    }
}

/// A service (or SYS) as the front-ends see it.
#[derive(Clone, Copy)]
pub struct ServiceView {
    pub name: Name,
    pub state: State,
    /// The run process (0: none).
    pub pid: u32,
    /// Raw wait status of the last run; -1 when exec failed.
    pub wstatus: i32,
    /// Seconds since the last start or stop.
    pub uptime: u32,
    /// Starts of the run process.
    pub starts: u32,
}

/// The services as [`Core::services`] walks them: one walker (out of
/// line) for every reader of the table.
pub struct Services<'c> {
    core: &'c Core,
    now: u64,
    /// SYS is yet to be looked at.
    sys: bool,
    slots: crate::table::Slots<'c>,
}

impl Iterator for Services<'_> {
    type Item = ServiceView;

    #[inline(never)]
    fn next(&mut self) -> Option<ServiceView> {
        if core::mem::take(&mut self.sys)
            && let Some(v) = self.core.sys_view(self.now)
        {
            return Some(v);
        }
        let s = self.slots.next()?;
        Some(self.core.view(s, self.now))
    }
}

/// The counters of INFO and metrics.
#[derive(Clone, Copy)]
pub struct Info {
    pub pid: i32,
    /// Entries listed: services, and SYS while its scripts run.
    pub entries: u32,
    pub total_reaps: u32,
    pub total_sv_reaps: u32,
}

pub struct Core {
    t: &'static mut Table,
    args: Option<Args>,
    phase: Phase,
    phase_deadline: Deadline,
    reboot: bool,
    want_rescan: bool,
    /// Code the loop does not run (start-up's, a scan's: build.rs sets it
    /// apart in release builds) ran since it was last let go.
    cold_ran: bool,
    want_shutdown: bool,
    want_reboot: bool,
    pid1: bool,
    real_pid1: bool,
    pid: i32,
    sys: SysTask,
    total_reaps: u32,
    total_sv_reaps: u32,
    /// Our own messages, never blocking.
    diag: crate::diag::Diag,
    /// How deep the start of loggers by their producers has gone.
    log_depth: u8,
    /// While a scan of the service directory runs: what it found once.
    scan: Option<scan::Scan>,
    null_fd: i32,
    /// The default log pipe: producers without a logger write to [1] while
    /// LOG runs; LOG reads [0].
    global_log: [i32; 2],
    /// The environment handed to children (our own, plus PATH if missing).
    envp: *const *const u8,
    env_buf: &'static mut [*const u8; ENV_MAX + 2],
    events: &'static mut Events,
    #[cfg(feature = "http")]
    jobs: &'static mut Jobs,
}

/// The core's large state, all zero-initialised: it lives in a static
/// (.bss), and pages of it that are never used are never touched.
#[repr(C)]
pub struct CoreStorage {
    table: Table,
    events: Events,
    env_buf: [*const u8; ENV_MAX + 2],
    #[cfg(feature = "http")]
    jobs: Jobs,
}

impl Default for CoreStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl CoreStorage {
    pub const fn new() -> CoreStorage {
        CoreStorage {
            table: Table::new(),
            events: Events::new(),
            env_buf: [core::ptr::null(); ENV_MAX + 2],
            #[cfg(feature = "http")]
            jobs: Jobs::new(),
        }
    }
}

const DEFAULT_PATH: &CStr = c"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Core {
    pub fn new(storage: &'static mut CoreStorage) -> Core {
        #[cfg(feature = "http")]
        let CoreStorage { table, events, env_buf, jobs } = storage;
        #[cfg(not(feature = "http"))]
        let CoreStorage { table, events, env_buf } = storage;
        Core {
            t: table,
            args: None,
            phase: Phase::Boot,
            phase_deadline: NEVER,
            reboot: false,
            want_rescan: false,
            cold_ran: true,
            want_shutdown: false,
            want_reboot: false,
            pid1: false,
            real_pid1: false,
            pid: 0,
            sys: SysTask::NONE,
            total_reaps: 0,
            total_sv_reaps: 0,
            diag: crate::diag::Diag::new(),
            log_depth: 0,
            scan: None,
            null_fd: NO_FD,
            global_log: [NO_FD, NO_FD],
            envp: core::ptr::null(),
            env_buf,
            events,
            #[cfg(feature = "http")]
            jobs,
        }
    }

    /// Whether services may start: not once shutdown has begun.
    fn up(&self) -> bool {
        matches!(self.phase, Phase::Boot | Phase::Up)
    }

    /// Whether to let go of the code the loop does not run (build.rs): it
    /// ran since the last call (start-up, a scan, a command that added a
    /// service), start-up is over (SYS/setup ended, the first scan ran)
    /// and shutdown has not begun.
    pub fn cold_code_ran(&mut self) -> bool {
        self.phase == Phase::Up && core::mem::take(&mut self.cold_ran)
    }

    /// The real init (not process 1 of a container): Ctrl-Alt-Del is ours.
    pub fn real_pid1(&self) -> bool {
        self.real_pid1
    }

    /// `- nitro: ` and the parts, as one line on our stderr (never blocking).
    pub fn say_parts(&self, msg: &[&[u8]]) {
        self.say_all(msg, None)
    }

    /// One message, one piece (most are): a call passes the slice itself,
    /// where `&[msg]` made every message a static slice of one (16 bytes).
    pub fn say(&self, msg: &[u8]) {
        self.say_parts(&[msg]);
    }

    /// The parts, then `: errno=N`.
    pub fn say_errno_parts(&self, what: &[&[u8]], e: Errno) {
        self.say_all(what, Some(e))
    }

    /// A line of the parts (and the error) to the diagnostics.
    fn say_all(&self, msg: &[&[u8]], e: Option<Errno>) {
        let mut o = Out::<512>::new();
        o.s(b"- nitro: ");
        for m in msg {
            o.s(m);
        }
        if let Some(e) = e {
            o.s(b": errno=").i(e.raw_os_error() as i64);
        }
        o.s(b"\n");
        self.diag.write(o.bytes());
    }

    pub fn say_errno(&self, what: &[u8], e: Errno) {
        self.say_errno_parts(&[what], e);
    }

    /// An unrecoverable error: hand over to SYS/fatal, or exit 111 (as
    /// process 1: the last resort, `sys::last_resort`).
    pub fn fatal(&self, what: &[u8], e: Option<Errno>) -> ! {
        match e {
            Some(e) => self.say_errno(what, e),
            None => self.say(what),
        }
        let argv = [c"SYS/fatal".as_ptr() as *const u8, core::ptr::null()];
        let envp = if self.envp.is_null() { [core::ptr::null()].as_ptr() } else { self.envp };
        let _ = sys::execve(c"SYS/fatal", &argv, envp);
        sys::leave(111)
    }

    // ---- start-up ------------------------------------------------------

    /// Set up the process (descriptors, signals, pid 1's mounts and
    /// console, the environment) and enter the service directory: from
    /// here on the working directory is the service directory. Returns the
    /// signals the loop must read (blocked, for a signalfd).
    #[inline(never)] // (out of line: smaller; linked apart as start-up code, build.rs)
    pub fn init(&mut self, args: Args) {
        self.args = Some(args);
        self.pid = rustix::process::getpid().as_raw_nonzero().get();
        self.pid1 = self.pid == 1;
        // Nothing we inherited passes on to the services (nitro bug 9).
        if sys::cloexec_from(3).is_err() {
            for fd in 3..1024 {
                let _ = rustix::io::fcntl_setfd(sys::fd(fd), rustix::io::FdFlags::CLOEXEC);
            }
        }
        // We catch nothing with handlers: signals arrive through a
        // signalfd, so children start with default dispositions.
        sys::reset_signal_dispositions();
        if self.pid1 {
            pid1::early(self);
        } else {
            let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
        }
        self.setup_env(&args);
        self.setup_stdio();
        self.diag.setup(self.real_pid1);

        let dir: &CStr = match args.get(1) {
            Some(d) if args.len() == 2 => d,
            _ => c"/etc/nitro",
        };
        if let Err(e) = rustix::process::chdir(dir) {
            let why: &[u8] = match e {
                Errno::NOENT => b"': no such directory",
                Errno::NOTDIR => b"': not a directory",
                Errno::ACCESS => b"': permission denied",
                _ => b"'",
            };
            let what: &[&[u8]] = &[b"service directory '", dir.to_bytes(), why];
            self.say_all(what, (why.len() == 1).then_some(e));
            self.fatal(b"cannot enter the service directory", None);
        }
        sys::FATAL_HANDOVER.store(true, core::sync::atomic::Ordering::Relaxed);
        match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
            Ok((r, w)) => self.global_log = [into_raw(r), into_raw(w)],
            Err(e) => self.fatal(b"global log pipe", Some(e)),
        }
    }

    /// Children get our environment, plus a default PATH when it has none.
    /// Adding PATH takes a copy of the pointer array; an environment too
    /// large for it is passed on whole, without PATH, and said so (never
    /// cut: the services would lose NITRO_SOCK among others).
    fn setup_env(&mut self, args: &Args) {
        self.envp = args.envp();
        if args.var(b"PATH").is_some() {
            return;
        }
        let env = args.env_ptrs();
        let n = env.len();
        if n > ENV_MAX {
            let mut o = Out::<16>::new();
            o.u(n as u64);
            self.say_parts(&[b"environment of ", o.bytes(), b" entries is too large to add PATH to; passed on without PATH"]);
            return;
        }
        self.env_buf[0] = DEFAULT_PATH.as_ptr() as *const u8;
        self.env_buf[1..=n].copy_from_slice(env);
        self.env_buf[n + 1] = core::ptr::null();
        self.envp = self.env_buf.as_ptr();
    }

    /// /dev/null for children's stdin; and fds 0-2 must exist, or our own
    /// descriptors would land there.
    fn setup_stdio(&mut self) {
        let null = rustix::fs::open(c"/dev/null", rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC, rustix::fs::Mode::empty());
        let null = match null {
            Ok(fd) => fd,
            Err(_) => match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
                // A pipe whose write end is closed reads as end-of-file.
                Ok((r, _w)) => r,
                Err(e) => self.fatal(b"no /dev/null and no pipe", Some(e)),
            },
        };
        let mut raw = into_raw(null);
        while raw <= 2 {
            // fds 0-2 were closed: keep this one there and take another.
            let _ = sys::dup_to(raw, raw);
            match rustix::io::fcntl_dupfd_cloexec(sys::fd(raw), 3) {
                Ok(fd) => raw = into_raw(fd),
                Err(e) => self.fatal(b"dup", Some(e)),
            }
        }
        for fd in 0..3 {
            if rustix::io::fcntl_getfd(sys::fd(fd)).is_err() {
                let _ = sys::dup_to(raw, fd);
            }
        }
        self.null_fd = raw;
    }

    /// Start: SYS/setup if there is one (services then start on request
    /// only, until it ends), else the first scan.
    pub fn boot(&mut self) {
        self.say(b"booting");
        let now = now();
        if sys::exists(c"SYS/setup") {
            self.start_sys(SysKind::Setup, now);
        }
        if !self.sys.running() {
            self.phase = Phase::Up;
            // Without SYS/setup, LOG takes the first slot before the scan
            // (as nitro's): the order of slots is the order of timers that
            // fall due together.
            if scan::runnable(b"LOG") {
                let _ = scan::add_service(self, b"LOG");
            }
            scan::rescan(self);
        }
    }

    /// Fire the core's due deadlines; the time of the next one.
    pub fn timers(&mut self, now: u64) -> Deadline {
        let mut next = NEVER;
        for s in 0..self.t.end() {
            if !self.t.get(s).used() {
                continue;
            }
            if due(self.t.get(s).m.deadline, now) {
                self.drive(s, Event::Timeout, now);
            }
            if due(self.t.get(s).drain.next, now) {
                self.check_drain(s, now);
            }
            if self.t.get(s).used() {
                next = nearer(next, nearer(self.t.get(s).m.deadline, self.t.get(s).drain.next));
            }
        }
        #[cfg(feature = "http")]
        for j in 0..JOBS_MAX {
            if due(self.jobs.slots[j].deadline, now) {
                self.job_timeout(j);
            }
            next = nearer(next, self.jobs.slots[j].deadline);
        }
        // (Only a running task has a deadline.)
        let task = &mut self.sys;
        if due(task.deadline, now) {
            let _ = sys::kill(task.pid, k::SIGKILL);
            task.deadline = NEVER;
        }
        next = nearer(next, task.deadline);
        if due(self.phase_deadline, now) {
            self.phase_deadline = NEVER;
            self.phase_timeout();
            self.advance_shutdown();
        }
        nearer(next, self.phase_deadline)
    }

    /// Readiness pipes to watch: (service, descriptor) to `add`.
    pub fn ready_fds(&self, mut add: impl FnMut(Slot, i32)) {
        for s in self.t.slots() {
            let fd = self.t.get(s).ready_fd;
            if fd != NO_FD {
                add(s, fd);
            }
        }
    }

    /// The end of a loop pass: a rescan or a shutdown asked for, the next
    /// shutdown step, and (unprivileged) the orphans that came to us since
    /// the last sweep of the shutdown.
    pub fn after_pass(&mut self) {
        if !self.pid1 && matches!(self.phase, Phase::KillTerm | Phase::KillKill) {
            let sig = if self.phase == Phase::KillTerm { k::SIGTERM } else { k::SIGKILL };
            pid1::signal_children(self.pid, sig);
        }
        if self.want_rescan {
            self.want_rescan = false;
            if self.up() {
                scan::rescan(self);
            }
        }
        if self.want_shutdown || self.want_reboot {
            self.begin_shutdown();
        }
        // (The phase is tested here, not in advance_shutdown: shutdown's
        // code sits apart from what runs every pass, build.rs.)
        if !self.up() {
            self.advance_shutdown();
        }
    }

    /// Everything has stopped: what is left is `finish`.
    pub fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    // ---- what the front-ends see ----------------------------------------

    /// The queue of changes, for the front-ends to read.
    pub fn events(&self) -> &Events {
        self.events
    }

    /// Every reader of the queue is at `min` or beyond.
    pub fn release_events(&mut self, min: u64) {
        self.events.release(min);
    }

    /// Every service in slot order, SYS first while its scripts run.
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn services(&self, now: u64) -> Services<'_> {
        Services { core: self, now, sys: true, slots: self.t.slots() }
    }

    /// One service (or SYS) by name.
    pub fn service(&self, name: &[u8], now: u64) -> Option<ServiceView> {
        match self.t.find(name) {
            Some(s) => Some(self.view(s, now)),
            None if name == b"SYS" => self.sys_view(now),
            None => None,
        }
    }

    pub fn info(&self) -> Info {
        Info {
            pid: self.pid,
            entries: (self.t.count() + self.sys.running() as usize) as u32,
            total_reaps: self.total_reaps,
            total_sv_reaps: self.total_sv_reaps,
        }
    }

    fn view(&self, s: Slot, now: u64) -> ServiceView {
        let sv = self.t.get(s);
        ServiceView {
            name: sv.name,
            state: sv.m.state,
            pid: sv.pid.max(0) as u32,
            wstatus: sv.m.wstatus,
            uptime: uptime(now, sv.m.since),
            starts: sv.starts,
        }
    }

    fn sys_view(&self, now: u64) -> Option<ServiceView> {
        let task = self.sys;
        if !task.running() {
            return None;
        }
        let name = Name::new(b"SYS")?;
        Some(ServiceView { name, state: task.state(), pid: 0, wstatus: 0, uptime: uptime(now, task.since), starts: 0 })
    }

    /// Readiness: a newline on the notification fd means UP.
    pub fn read_ready(&mut self, s: Slot, hup: bool) {
        let fd = self.t.get(s).ready_fd;
        if fd == NO_FD {
            return;
        }
        let mut buf = [0u8; 256];
        let r = rustix::io::read(sys::fd(fd), &mut buf);
        let ready = matches!(r, Ok(n) if buf[..n].iter().any(|&b| b == b'\n'));
        let closed = matches!(r, Ok(0)) || (hup && !matches!(r, Ok(n) if n > 0)) || matches!(r, Err(e) if e != Errno::AGAIN && e != Errno::INTR);
        if ready || closed {
            self.close_ready(s);
        }
        if ready {
            self.drive(s, Event::Ready, now());
        }
    }

    fn close_ready(&mut self, s: Slot) {
        let sv = self.t.get_mut(s);
        if sv.ready_fd != NO_FD {
            drop(sys::own(sv.ready_fd));
            sv.ready_fd = NO_FD;
        }
    }

    /// Reap every child that ended and feed its end to whoever it was.
    pub fn reap(&mut self) {
        // One clock read for a batch of exits (orphans can come by the
        // thousand).
        let mut at = 0;
        loop {
            match rustix::process::wait(rustix::process::WaitOptions::NOHANG) {
                Ok(Some((pid, status))) => {
                    self.total_reaps = self.total_reaps.wrapping_add(1);
                    if at == 0 {
                        at = now();
                    }
                    self.died(pid.as_raw_nonzero().get(), status.as_raw() as i32, at);
                }
                Ok(None) => return,
                Err(Errno::INTR) => {}
                Err(Errno::CHILD) => {
                    if matches!(self.phase, Phase::KillTerm | Phase::KillKill) {
                        self.phase = Phase::Done;
                    }
                    return;
                }
                Err(e) => {
                    self.say_errno(b"waitpid", e);
                    return;
                }
            }
        }
    }

    fn died(&mut self, pid: i32, status: i32, now: u64) {
        let task = self.sys;
        if task.pid == pid {
            self.total_sv_reaps = self.total_sv_reaps.wrapping_add(1);
            self.sys = SysTask::NONE;
            self.sys_ended(task.kind, status);
            return;
        }
        #[cfg(feature = "http")]
        if let Some(j) = (0..jobs::JOBS_MAX).find(|&j| self.jobs.slots[j].pid == pid && self.jobs.slots[j].phase == jobs::Phase::Running) {
            self.job_exited(j, status);
            return;
        }
        let found = self.t.slots().find(|&s| {
            let sv = self.t.get(s);
            sv.pid == pid || sv.setup_pid == pid || sv.finish_pid == pid
        });
        let Some(s) = found else { return };
        self.total_sv_reaps = self.total_sv_reaps.wrapping_add(1);
        let sv = self.t.get_mut(s);
        if sv.setup_pid == pid {
            sv.setup_pid = 0;
            let code = if status & 0x7f == 0 { (status >> 8) & 0xff } else { 128 + (status & 0x7f) };
            self.drive(s, Event::SetupExited(code), now);
        } else if sv.pid == pid {
            sv.pid = 0;
            self.close_ready(s);
            self.drive(s, Event::Exited(status), now);
        } else {
            sv.finish_pid = 0;
            self.drive(s, Event::FinishDone, now);
        }
    }

    // ---- carrying out the state machine --------------------------------

    /// Feed an event to a service and carry out what follows, until the
    /// machine waits for the outside world again.
    fn drive(&mut self, s: Slot, ev: Event, now: u64) {
        let mut ev = ev;
        loop {
            if !self.t.get(s).used() {
                return;
            }
            let up = self.up();
            let before = self.t.get(s).m.state;
            let step = self.t.get_mut(s).m.step(ev, now, up);
            let after = self.t.get(s).m.state;
            if before != after && (after == State::Down || after == State::Fatal) {
                self.cleanup(s);
            }
            // nitro's notification points (see state::Note); the forks of
            // setup, run and finish are announced where they happen.
            match step.note {
                Note::None => {}
                Note::State => self.notify(s),
                Note::Cleanup => {
                    self.notify_as(s, State::Down);
                    if matches!(after, State::Fatal | State::Delay) {
                        self.notify(s);
                    }
                }
            }
            let next = match step.action {
                Action::None => None,
                Action::StartSetup => {
                    self.start_logger(s, now);
                    self.start_setup(s)
                }
                Action::StartRun => Some(self.start_run(s)),
                Action::StartFinish => self.start_finish(s),
                Action::Stop => {
                    self.stop(s);
                    None
                }
                Action::Kill => {
                    let sv = self.t.get(s);
                    for pid in [sv.setup_pid, sv.pid, sv.finish_pid] {
                        if pid > 0 {
                            let _ = sys::kill(pid, k::SIGKILL);
                        }
                    }
                    None
                }
            };
            match next {
                Some(e) => ev = e,
                None => break,
            }
        }
        let sv = self.t.get(s);
        if sv.used() && sv.m.state == State::Down && !sv.seen && !sv.has_process() {
            scan::zap(self, s);
        }
    }

    /// Every start of a service first asks its logger up (loggers start on
    /// first use, as nitro's). A logger already starting or running ignores
    /// it, which also ends cycles of loggers at once; chains are followed
    /// LOG_CHAIN_MAX deep at most, so the recursion is bounded.
    fn start_logger(&mut self, s: Slot, now: u64) {
        let Some(l) = self.t.get(s).logger else { return };
        if l == s || self.log_depth >= crate::config::LOG_CHAIN_MAX {
            return;
        }
        self.log_depth += 1;
        self.drive(l, Event::WantUp, now);
        self.log_depth -= 1;
    }

    /// After a service came to rest (DOWN or FATAL).
    #[inline(never)] // (out of line: smaller, measured)
    fn cleanup(&mut self, s: Slot) {
        self.close_ready(s);
        self.t.get_mut(s).drain = Drain::NONE;
    }

    fn stop(&mut self, s: Slot) {
        let sv = self.t.get(s);
        if sv.setup_pid > 0 {
            let _ = sys::kill(sv.setup_pid, k::SIGTERM);
            let _ = sys::kill(sv.setup_pid, k::SIGCONT);
        }
        if sv.pid > 0 {
            let sig = self.down_signal(s);
            let _ = sys::kill(sv.pid, sig);
            let _ = sys::kill(sv.pid, k::SIGCONT);
        }
    }

    /// The first letter of `down-signal` picks the stop signal.
    fn down_signal(&self, s: Slot) -> u32 {
        // (Nothing read leaves the NUL, which is no letter.)
        let mut buf = [0u8; 1];
        let _ = self.read_small(s, b"down-signal", &mut buf);
        letter_signal(buf[0]).unwrap_or(k::SIGTERM)
    }

    /// Read a small file of the service (from the template for instances).
    /// Only a regular file counts: the open is non-blocking (a FIFO or a
    /// device there must not stop the supervisor) and anything else is
    /// named in a message and treated as absent.
    /// Out of descriptors or memory (the caller retries later, as for a
    /// failed spawn) is an error; any other failure reads as empty (0 bytes).
    fn read_small(&self, s: Slot, file: &[u8], buf: &mut [u8]) -> Result<usize, Errno> {
        use rustix::fs::OFlags;
        let Some(p) = self.script_path(s, file) else { return Ok(0) };
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match rustix::fs::open(p.as_cstr(), flags, rustix::fs::Mode::empty()) {
            Ok(fd) => fd,
            // (open(2) takes a number before it looks: whether the file is
            // there at all is asked without one.)
            Err(e @ (Errno::MFILE | Errno::NFILE | Errno::NOMEM)) => {
                return if self.script_exists(s, file) { Err(e) } else { Ok(0) };
            }
            Err(_) => return Ok(0),
        };
        let regular = rustix::fs::fstat(&fd).is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile);
        if !regular {
            self.say_parts(&[p.as_bytes(), b": not a regular file, ignored"]);
            return Ok(0);
        }
        Ok(rustix::io::read(&fd, buf).unwrap_or(0))
    }

    /// `notification-fd` as nitro reads it: nothing readable (missing,
    /// empty, unreadable) is -1 (UP after 2 s); otherwise every decimal
    /// digit of its first 64 bytes, in order, up to a NUL, makes the number
    /// (`" 3\n"` is 3; no digit at all is 0, which waits for `ready`; one
    /// too large for an i32 is i32::MAX).
    /// Not being able to open it for want of descriptors is an error: the
    /// service must not start as if it had none.
    fn notification_fd(&self, s: Slot) -> Result<i32, Errno> {
        let mut buf = [0u8; 64];
        let n = self.read_small(s, b"notification-fd", &mut buf)?;
        if n == 0 {
            return Ok(-1);
        }
        let digits = buf.iter().take(n).take_while(|&&b| b != 0).filter(|b| b.is_ascii_digit());
        Ok(digits.fold(0i32, |v, &d| v.saturating_mul(10).saturating_add((d - b'0') as i32)))
    }

    fn script_path(&self, s: Slot, file: &[u8]) -> Option<Path> {
        Path::from(&[name::script_dir(self.t.get(s).name.as_bytes()), b"/", file]).ok()
    }

    fn script_exists(&self, s: Slot, file: &[u8]) -> bool {
        match self.script_path(s, file) {
            Some(p) => sys::exists(p.as_cstr()),
            None => false,
        }
    }

    /// stdout of a service's scripts: its logger's pipe, else the default
    /// log while LOG runs, else ours.
    fn log_target(&self, s: Slot) -> i32 {
        let sv = self.t.get(s);
        if sv.name.is_log() {
            return KEEP;
        }
        if let Some(l) = sv.logger {
            let l = self.t.get(l);
            if l.used() && l.log_pipe[1] != NO_FD {
                return l.log_pipe[1];
            }
        }
        self.default_log()
    }

    /// Where output without a logger goes: the default log pipe while LOG
    /// runs and its input is open (at shutdown it is closed for LOG to
    /// drain); else nowhere new (`KEEP`: the child keeps ours).
    fn default_log(&self) -> i32 {
        if self.global_log[1] != NO_FD && self.log_running() { self.global_log[1] } else { KEEP }
    }

    fn log_running(&self) -> bool {
        self.t.find(b"LOG").is_some_and(|l| {
            let l = self.t.get(l);
            l.pid != 0 && matches!(l.m.state, State::Starting | State::Up)
        })
    }

    fn spawn_script(&mut self, s: Slot, script: &[u8], args: &[&[u8]], stdin: i32, fds: &[(i32, i32)]) -> Result<i32, SpawnError> {
        let name = &self.t.get(s).name;
        let too_long = SpawnError::Exec(Errno::NAMETOOLONG);
        // dir, program, then argv: script [args...] [instance]
        let mut c = crate::argv::CStrs::<320, 8>::new();
        c.push(&[name::script_dir(name.as_bytes())]).map_err(|_| too_long)?;
        c.push(&[b"./", script]).map_err(|_| too_long)?;
        c.push(&[script]).map_err(|_| too_long)?;
        for a in args {
            c.push(&[a]).map_err(|_| too_long)?;
        }
        if let Some((_, inst)) = name.template() {
            c.push(&[inst]).map_err(|_| too_long)?;
        }
        let is_log = name.is_log();
        let stdout = self.log_target(s);
        let envp = self.envp;
        let mut ptrs = [core::ptr::null(); 8];
        let mut spec = Spawn::new(c.get(0), c.get(1), c.vector(2, &mut ptrs), envp);
        // LOG's errors go where its output goes.
        spec.stdio = [stdin, stdout, if is_log { 1 } else { KEEP }];
        spec.fds = fds;
        spawn::spawn(&spec)
    }

    fn start_setup(&mut self, s: Slot) -> Option<Event> {
        if !self.script_exists(s, b"setup") {
            return Some(Event::SetupExited(0));
        }
        let null = self.null_fd;
        match self.spawn_script(s, b"setup", &[], null, &[]) {
            Ok(pid) => {
                self.t.get_mut(s).setup_pid = pid;
                self.notify(s);
                None
            }
            Err(SpawnError::Resources(e)) => {
                self.say_spawn_error(s, b"setup", e);
                Some(Event::SpawnFailed)
            }
            // A setup that cannot run at all is as fatal as exit 111.
            Err(SpawnError::Exec(e)) => {
                self.say_spawn_error(s, b"setup", e);
                Some(Event::SetupExited(111))
            }
        }
    }

    #[inline(never)] // (out of line: smaller, measured)
    fn start_run(&mut self, s: Slot) -> Event {
        if !self.script_exists(s, b"run") {
            // No run: a one-shot; unless the directory itself is gone.
            return if self.script_exists(s, b".") { Event::NoRun } else { Event::Vanished };
        }
        let notify_fd = match self.notification_fd(s) {
            Ok(n) => n,
            Err(e) => {
                self.say_spawn_error(s, b"run", e);
                return Event::SpawnFailed;
            }
        };
        let mut pipe: Option<(OwnedFd, OwnedFd)> = None;
        if notify_fd > 0 {
            if notify_fd > 1023 {
                self.say_parts(&[self.t.get(s).name.as_bytes(), b": notification-fd out of range"]);
                return Event::ExecFailed;
            }
            match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK) {
                Ok(p) => pipe = Some(p),
                Err(e) => {
                    self.say_errno(b"readiness pipe", e);
                    return Event::SpawnFailed;
                }
            }
        }
        let sv = self.t.get(s);
        let stdin = if sv.name.is_log() {
            self.global_log[0]
        } else if sv.log_pipe[0] != NO_FD {
            sv.log_pipe[0]
        } else {
            self.null_fd
        };
        let extra = pipe.as_ref().map(|(_, w)| (w.as_raw_fd(), notify_fd));
        match self.spawn_script(s, b"run", &[], stdin, extra.as_slice()) {
            Ok(pid) => {
                let sv = self.t.get_mut(s);
                sv.pid = pid;
                sv.starts = sv.starts.wrapping_add(1);
                if let Some((r, _w)) = pipe {
                    sv.ready_fd = into_raw(r);
                }
                Event::Launched { timed: notify_fd < 0 }
            }
            Err(err) => {
                self.say_spawn_error(s, b"run", err.errno());
                if err.is_temporary() { Event::SpawnFailed } else { Event::ExecFailed }
            }
        }
    }

    fn start_finish(&mut self, s: Slot) -> Option<Event> {
        if !self.script_exists(s, b"finish") {
            return Some(Event::FinishDone);
        }
        let ws = self.t.get(s).m.wstatus;
        let (status, signal): (i64, i64) = if ws == -1 {
            (111, 0)
        } else if ws & 0x7f != 0 {
            (-1, (ws & 0x7f) as i64)
        } else {
            (((ws >> 8) & 0xff) as i64, 0)
        };
        let mut a = Out::<24>::new();
        a.i(status);
        let mut b = Out::<24>::new();
        b.i(signal);
        let null = self.null_fd;
        match self.spawn_script(s, b"finish", &[a.bytes(), b.bytes()], null, &[]) {
            Ok(pid) => {
                self.t.get_mut(s).finish_pid = pid;
                self.notify(s);
                None
            }
            Err(SpawnError::Resources(e) | SpawnError::Exec(e)) => {
                self.say_spawn_error(s, b"finish", e);
                Some(Event::FinishDone)
            }
        }
    }

    fn say_spawn_error(&self, s: Slot, script: &[u8], e: Errno) {
        self.say_errno_parts(&[b"can't start ", self.t.get(s).name.as_bytes(), b"/", script], e);
    }
}


/// Whole seconds from `since` to `now`.
fn uptime(now: u64, since: u64) -> u32 {
    (now.saturating_sub(since) / 1000).min(u32::MAX as u64) as u32
}

pub fn into_raw(fd: OwnedFd) -> i32 {
    use rustix::fd::IntoRawFd;
    fd.into_raw_fd()
}

/// nitro's signal letters for down-signal (a table: a match on the letter
/// was a jump table's worth of code).
pub fn letter_signal(c: u8) -> Option<u32> {
    const LETTERS: &[u8; 10] = b"pchaiq12tk";
    const SIGNALS: [u8; 10] = [
        k::SIGSTOP as u8, k::SIGCONT as u8, k::SIGHUP as u8, k::SIGALRM as u8, k::SIGINT as u8,
        k::SIGQUIT as u8, k::SIGUSR1 as u8, k::SIGUSR2 as u8, k::SIGTERM as u8, k::SIGKILL as u8,
    ];
    LETTERS.iter().position(|&l| l == c).map(|i| SIGNALS[i] as u32)
}


impl Core {
    /// Announce a state of a service: its current one.
    fn notify(&mut self, s: Slot) {
        let state = self.t.get(s).m.state;
        self.notify_as(s, state);
    }

    /// Announce `state` for a service.
    fn notify_as(&mut self, s: Slot, state: State) {
        self.events.push_service(&self.t.get(s).name, state);
    }

    fn notify_name(&mut self, name: &[u8], state: State) {
        if let Some(n) = Name::new(name) {
            self.events.push_service(&n, state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_signal_letters_are_nitros() {
        let want = [
            (b'p', k::SIGSTOP), (b'c', k::SIGCONT), (b'h', k::SIGHUP), (b'a', k::SIGALRM), (b'i', k::SIGINT),
            (b'q', k::SIGQUIT), (b'1', k::SIGUSR1), (b'2', k::SIGUSR2), (b't', k::SIGTERM), (b'k', k::SIGKILL),
        ];
        for c in 0..=255u8 {
            let expected = want.iter().find(|w| w.0 == c).map(|w| w.1);
            assert_eq!(letter_signal(c), expected, "{c}");
        }
    }
}

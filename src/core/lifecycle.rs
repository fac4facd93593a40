//! The supervisor's life beyond single services: SYS/setup at boot,
//! SYS/finish at shutdown, the shutdown phases (services, then loggers, then
//! whatever is left gets SIGTERM and SIGKILL), and the end: SYS/reincarnate,
//! SYS/final and halt, re-exec or exit.

use crate::config::*;
use crate::out::Out;
use crate::spawn::{self, KEEP, Spawn, SpawnError};
use crate::state::{Event, NEVER, State};
use super::{Core, Phase, SysKind, SysTask};
use crate::sys;
use crate::table::{Drain, NO_FD, Slot};
use core::ffi::CStr;
use linux_raw_sys::general as k;
use rustix::io::Errno;

impl Core {
    pub(super) fn start_sys(&mut self, kind: SysKind, now: u64) {
        let (script, arg0): (&CStr, &CStr) = match kind {
            SysKind::Setup => (c"./setup", c"setup"),
            SysKind::Finish => (c"./finish", c"finish"),
        };
        let why: &CStr = if self.reboot { c"reboot" } else { c"shutdown" };
        let argv_setup = [arg0.as_ptr() as *const u8, core::ptr::null()];
        let argv_finish = [arg0.as_ptr() as *const u8, c"0".as_ptr() as *const u8, c"0".as_ptr() as *const u8, why.as_ptr() as *const u8, core::ptr::null()];
        let out = self.default_log();
        let argv: &[*const u8] = if kind == SysKind::Setup { &argv_setup } else { &argv_finish };
        let mut spec = Spawn::new(c"SYS", script, argv, self.envp);
        // SYS/setup keeps the console as stdin and takes it as its
        // controlling terminal; SYS/finish reads /dev/null.
        spec.stdio = [if kind == SysKind::Setup { KEEP } else { self.null_fd }, out, KEEP];
        spec.ctty = kind == SysKind::Setup && self.real_pid1;
        match spawn::spawn(&spec) {
            Ok(pid) => {
                let deadline = match kind {
                    SysKind::Setup => NEVER,
                    SysKind::Finish => now + TIMEOUT_SYS_FINISH,
                };
                let task = SysTask { kind, pid, deadline, since: now };
                self.sys = task;
                self.notify_name(b"SYS", task.state());
            }
            Err(SpawnError::Resources(e) | SpawnError::Exec(e)) => {
                self.say_errno(if kind == SysKind::Setup { b"can't start SYS/setup" } else { b"can't start SYS/finish" }, e);
            }
        }
    }

    pub(super) fn sys_ended(&mut self, kind: SysKind, status: i32) {
        // nitro's SYS entry: after setup it is launched, finds no SYS/run
        // and is a one-shot; then (as after finish) it is cleaned up.
        if kind == SysKind::Setup {
            self.notify_name(b"SYS", State::Oneshot);
        }
        self.notify_name(b"SYS", State::Down);
        match kind {
            SysKind::Setup => {
                if self.real_pid1 {
                    // SYS/setup had the console as its controlling tty.
                    super::pid1::own_console();
                }
                let mut o = Out::<16>::new();
                o.i(status as i64);
                self.say_parts(&[b"SYS/setup finished with status ", o.bytes()]);
                if self.phase == Phase::Boot {
                    self.phase = Phase::Up;
                    super::scan::rescan(self);
                }
            }
            SysKind::Finish => self.say(b"SYS/finish finished"),
        }
    }

    pub(super) fn begin_shutdown(&mut self) {
        if !self.up() {
            return;
        }
        self.reboot = self.want_reboot;
        self.say(if self.reboot { b"rebooting" } else { b"shutting down" });
        if self.real_pid1 {
            super::pid1::own_console();
            // Ctrl-Alt-Del from now on reboots at once.
            let _ = rustix::system::reboot(rustix::system::RebootCommand::CadOn);
        }
        self.phase = Phase::SysFinish { finish_started: false };
        // A SYS/setup still running is stopped first (nitro lets it live on).
        let task = self.sys;
        if task.running() && task.kind == SysKind::Setup {
            let _ = sys::kill(task.pid, k::SIGTERM);
            let _ = sys::kill(task.pid, k::SIGCONT);
            self.sys.deadline = super::now() + TIMEOUT_SHUTDOWN;
        }
    }

    /// Move the shutdown on as far as it can go now.
    pub(super) fn advance_shutdown(&mut self) {
        loop {
            let before = self.phase;
            match self.phase {
                Phase::Boot | Phase::Up | Phase::Done => return,
                Phase::SysFinish { finish_started } => {
                    if self.sys.running() {
                        return;
                    }
                    if !finish_started
                        && sys::exists(c"SYS/finish")
                    {
                        self.phase = Phase::SysFinish { finish_started: true };
                        self.start_sys(SysKind::Finish, super::now());
                        if self.sys.running() {
                            return;
                        }
                    }
                    self.phase = Phase::Stopping;
                    self.stop_services();
                }
                Phase::Stopping => {
                    let busy = |sup: &Self, loggers: bool| {
                        sup.t.slots().any(|s| {
                            let sv = sup.t.get(s);
                            sv.is_logger() == loggers && (!sv.m.state.is_stopped() || sv.has_process())
                        })
                    };
                    if busy(self, false) || self.jobs_running() {
                        return;
                    }
                    self.drain_loggers(super::now());
                    if busy(self, true) {
                        return;
                    }
                    self.kill_rest(k::SIGTERM);
                }
                Phase::KillTerm | Phase::KillKill => return,
            }
            if self.phase == before {
                return;
            }
        }
    }

    #[cfg(feature = "http")]
    fn jobs_running(&self) -> bool {
        self.jobs.running().next().is_some()
    }

    #[cfg(not(feature = "http"))]
    fn jobs_running(&self) -> bool {
        false
    }

    /// Every service but the loggers gets its down-signal; running jobs are
    /// stopped the same way.
    fn stop_services(&mut self) {
        let now = super::now();
        #[cfg(feature = "http")]
        for j in 0..super::jobs::JOBS_MAX {
            if self.jobs.slots[j].phase == super::jobs::Phase::Running {
                self.job_stop(j, false, now);
            }
        }
        for s in 0..self.t.end() {
            if self.t.get(s).used() && !self.t.get(s).is_logger() {
                self.drive(s, Event::WantDown, now);
            }
        }
    }

    /// Loggers are not signalled, they are drained: once nothing writes
    /// into a logger any more (every service whose output goes into it is
    /// down), the supervisor closes its own write end of the logger's pipe,
    /// so the logger reads what is left, sees end-of-file and exits by
    /// itself. Only one that stops making progress gets its down-signal
    /// (`check_drain`). Chains drain in order: a logger writes into its own
    /// logger (or LOG), whose input closes only after it is down; LOG's
    /// input (the default log) closes when every other service is down.
    fn drain_loggers(&mut self, now: u64) {
        for l in 0..self.t.end() {
            let sv = self.t.get(l);
            if !sv.used() || sv.log_pipe[1] == NO_FD {
                continue;
            }
            let fed = self.t.slots().any(|s| {
                let p = self.t.get(s);
                s != l && p.logger == Some(l) && (!p.m.state.is_stopped() || p.has_process())
            });
            if !fed {
                drop(sys::own(self.t.get(l).log_pipe[1]));
                self.t.get_mut(l).log_pipe[1] = NO_FD;
                self.let_drain(l, now);
            }
        }
        let log = self.t.find(b"LOG");
        let fed = self.t.slots().any(|s| {
            let p = self.t.get(s);
            Some(s) != log && (!p.m.state.is_stopped() || p.has_process())
        });
        if self.global_log[1] != NO_FD && !fed {
            drop(sys::own(self.global_log[1]));
            self.global_log[1] = NO_FD;
            if let Some(l) = log {
                self.let_drain(l, now);
            }
        }
        // Loggers that log into each other (a cycle) each wait for the
        // other: when every logger still busy has its input open, none can
        // ever drain, and they are stopped instead.
        let open_input = |sup: &Self, s: Slot| {
            let sv = sup.t.get(s);
            if sv.name.is_log() { sup.global_log[1] != NO_FD } else { sv.log_pipe[1] != NO_FD }
        };
        let busy = |sup: &Self, s: Slot| {
            let sv = sup.t.get(s);
            sv.is_logger() && (!sv.m.state.is_stopped() || sv.has_process())
        };
        if self.t.slots().any(|s| busy(self, s)) && self.t.slots().all(|s| !busy(self, s) || open_input(self, s)) {
            for s in 0..self.t.end() {
                if self.t.get(s).used() && busy(self, s) {
                    self.drive(s, Event::WantDown, now);
                }
            }
        }
    }

    /// A logger whose input was just closed: a running one gets time to
    /// drain; one that is not reading (down, delayed, in setup) is stopped.
    fn let_drain(&mut self, l: Slot, now: u64) {
        let sv = self.t.get(l);
        if sv.pid != 0 && matches!(sv.m.state, State::Starting | State::Up) {
            let level = self.pipe_level(l);
            self.t.get_mut(l).drain = Drain { next: now + LOG_DRAIN_CHECK, level, quiet: 0 };
        } else {
            self.drive(l, Event::WantDown, now);
        }
    }

    /// A draining logger's check: progress (its pipe emptier than at the
    /// last check) starts the count anew; LOG_DRAIN_QUIET checks without
    /// progress stop it. (Called when its check is due.)
    pub(super) fn check_drain(&mut self, l: Slot, now: u64) {
        let d = self.t.get(l).drain;
        let level = self.pipe_level(l);
        let quiet = if level < d.level { 0 } else { d.quiet + 1 };
        if quiet >= LOG_DRAIN_QUIET {
            self.t.get_mut(l).drain = Drain::NONE;
            self.drive(l, Event::WantDown, now);
        } else {
            self.t.get_mut(l).drain = Drain { next: now + LOG_DRAIN_CHECK, level, quiet };
        }
    }

    /// Bytes waiting in the pipe a logger reads (0 when unknown).
    fn pipe_level(&self, l: Slot) -> u32 {
        let sv = self.t.get(l);
        let fd = if sv.name.is_log() { self.global_log[0] } else { sv.log_pipe[0] };
        rustix::io::ioctl_fionread(sys::fd(fd)).map_or(0, |n| n.min(u32::MAX as u64) as u32)
    }

    /// After the services: everything else gets SIGTERM (and SIGCONT), then
    /// SIGKILL. As pid 1 that is every process; otherwise the orphans that
    /// were reparented to us as child subreaper.
    fn kill_rest(&mut self, sig: u32) {
        let now = super::now();
        if sig == k::SIGTERM {
            self.phase = Phase::KillTerm;
            self.phase_deadline = now + TIMEOUT_SIGTERM;
        } else {
            self.phase = Phase::KillKill;
            self.phase_deadline = now + TIMEOUT_SIGKILL;
        }
        if self.pid1 {
            if sig == k::SIGTERM {
                self.say(b"sending SIGTERM to all processes");
                let _ = sys::kill(-1, k::SIGTERM);
                let _ = sys::kill(-1, k::SIGCONT);
            } else {
                self.say(b"sending SIGKILL to all processes");
                // kill(-1, SIGKILL) can block on a process stuck in D
                // state: let a child take that risk.
                if let Ok(0) = sys::fork() {
                    let _ = sys::kill(-1, k::SIGKILL);
                    sys::exit(0);
                }
            }
        } else {
            super::pid1::signal_children(self.pid, sig);
        }
        // Nothing left at all: done at once.
        if let Err(Errno::CHILD) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {
            self.phase = Phase::Done;
        } else {
            self.reap();
        }
    }

    pub(super) fn phase_timeout(&mut self) {
        match self.phase {
            Phase::KillTerm => self.kill_rest(k::SIGKILL),
            Phase::KillKill => self.phase = Phase::Done,
            _ => {}
        }
    }

    /// The end (the front-ends have closed their sockets): hand over to
    /// SYS/reincarnate, or as real pid 1 run SYS/final and halt or reboot;
    /// else re-exec or exit.
    pub fn finish(&mut self) -> ! {
        self.say(b"all services stopped");
        let argv = [c"SYS/reincarnate".as_ptr() as *const u8, core::ptr::null()];
        let e = sys::execve(c"SYS/reincarnate", &argv, self.envp);
        if e != Errno::NOENT {
            self.say_errno(b"SYS/reincarnate failed to exec", e);
        }
        if self.real_pid1 {
            super::pid1::halt(self);
        }
        if self.reboot {
            if let Some(args) = self.args {
                // /proc/self/exe is us even when argv[0] is a relative name
                // (our working directory is the service directory now).
                self.say(b"re-executing");
                let _ = sys::execve(c"/proc/self/exe", args.argv(), self.envp);
                let e = match args.get(0) {
                    Some(arg0) => sys::execve(arg0, args.argv(), self.envp),
                    None => Errno::NOENT,
                };
                self.fatal(b"could not re-exec", Some(e));
            }
        }
        self.say(b"finished");
        sys::exit(0)
    }
}

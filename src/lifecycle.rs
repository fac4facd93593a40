//! The supervisor's life beyond single services: SYS/setup at boot,
//! SYS/finish at shutdown, the shutdown phases (services, then loggers, then
//! whatever is left gets SIGTERM and SIGKILL), and the end: SYS/reincarnate,
//! SYS/final and halt, re-exec or exit.

use crate::config::*;
use crate::out::Out;
use crate::spawn::{self, Spawn, SpawnError, Stdio};
use crate::state::{Event, State};
use crate::supervisor::{Phase, SysKind, SysTask, Supervisor};
use crate::sys;
use core::ffi::CStr;
use linux_raw_sys::general as k;
use rustix::io::Errno;

impl Supervisor {
    pub(crate) fn start_sys(&mut self, kind: SysKind, now: u64) {
        let (script, state): (&CStr, State) = match kind {
            SysKind::Setup => (c"./setup", State::Setup),
            SysKind::Finish => (c"./finish", State::Shutdown),
        };
        let arg0: &CStr = match kind {
            SysKind::Setup => c"setup",
            SysKind::Finish => c"finish",
        };
        let why: &CStr = if self.reboot { c"reboot" } else { c"shutdown" };
        let argv_setup = [arg0.as_ptr() as *const u8, core::ptr::null()];
        let argv_finish = [arg0.as_ptr() as *const u8, c"0".as_ptr() as *const u8, c"0".as_ptr() as *const u8, why.as_ptr() as *const u8, core::ptr::null()];
        let out = if self.log_running() { Some(self.global_log[1]) } else { None };
        let spec = Spawn {
            dir: c"SYS",
            path: script,
            argv: if kind == SysKind::Setup { &argv_setup } else { &argv_finish },
            envp: self.envp,
            // SYS/setup keeps the console as stdin and takes it as its
            // controlling terminal; SYS/finish reads /dev/null.
            stdio: Stdio { stdin: if kind == SysKind::Setup { None } else { Some(self.null_fd) }, stdout: out, stderr: None },
            fds: &[],
            gid: None,
            uid: None,
            setsid: true,
            ctty: kind == SysKind::Setup && self.pid1,
        };
        match spawn::spawn(&spec) {
            Ok(pid) => {
                let deadline = match kind {
                    SysKind::Setup => None,
                    SysKind::Finish => Some(now + TIMEOUT_SYS_FINISH),
                };
                self.sys = Some(SysTask { kind, pid, deadline });
                self.notify_name(b"SYS", state as u8);
            }
            Err(SpawnError::Resources(e) | SpawnError::Exec(e)) => {
                self.say_errno(&[if kind == SysKind::Setup { b"can't start SYS/setup" } else { b"can't start SYS/finish" }], e);
            }
        }
    }

    pub(crate) fn sys_ended(&mut self, kind: SysKind, status: i32) {
        self.notify_name(b"SYS", State::Down as u8);
        match kind {
            SysKind::Setup => {
                if self.pid1 {
                    // SYS/setup had the console as its controlling tty.
                    crate::pid1::own_console();
                }
                let mut o = Out::<96>::new();
                o.s(b"- nitro: SYS/setup finished with status ").i(status as i64).s(b"\n");
                o.flush(sys::fd(2));
                if self.phase == Phase::Boot {
                    self.phase = Phase::Up;
                    crate::scan::rescan(self);
                }
            }
            SysKind::Finish => self.say(&[b"SYS/finish finished"]),
        }
    }

    pub(crate) fn begin_shutdown(&mut self) {
        if !self.up() {
            return;
        }
        self.reboot = self.want_reboot;
        self.say(&[if self.reboot { b"rebooting" } else { b"shutting down" }]);
        if self.pid1 {
            crate::pid1::own_console();
        }
        if self.real_pid1 {
            // Ctrl-Alt-Del from now on reboots at once.
            let _ = rustix::system::reboot(rustix::system::RebootCommand::CadOn);
        }
        self.phase = Phase::SysFinish { finish_started: false };
        // A SYS/setup still running is stopped first (nitro lets it live on).
        if let Some(task) = self.sys {
            if task.kind == SysKind::Setup {
                let _ = sys::kill(task.pid, k::SIGTERM);
                let _ = sys::kill(task.pid, k::SIGCONT);
                self.sys = Some(SysTask { deadline: Some(Self::now() + TIMEOUT_SHUTDOWN), ..task });
            }
        }
    }

    /// Move the shutdown on as far as it can go now.
    pub(crate) fn advance_shutdown(&mut self) {
        loop {
            let before = self.phase;
            match self.phase {
                Phase::Boot | Phase::Up | Phase::Done => return,
                Phase::SysFinish { finish_started } => {
                    if self.sys.is_some() {
                        return;
                    }
                    if !finish_started
                        && rustix::fs::accessat(rustix::fs::CWD, c"SYS/finish", rustix::fs::Access::EXISTS, rustix::fs::AtFlags::empty()).is_ok()
                    {
                        self.phase = Phase::SysFinish { finish_started: true };
                        self.start_sys(SysKind::Finish, Self::now());
                        if self.sys.is_some() {
                            return;
                        }
                    }
                    self.phase = Phase::Stopping;
                    self.stop_all(false);
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
                    if busy(self, true) {
                        self.stop_all(true);
                        if busy(self, true) {
                            return;
                        }
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

    fn stop_all(&mut self, loggers: bool) {
        let now = Self::now();
        #[cfg(feature = "http")]
        if !loggers {
            for j in 0..crate::jobs::JOBS_MAX {
                if self.jobs.slots[j].phase == crate::jobs::Phase::Running {
                    self.job_stop(j, false, now);
                }
            }
        }
        for s in 0..self.t.end() {
            if self.t.get(s).used() && self.t.get(s).is_logger() == loggers {
                self.drive(s, Event::WantDown, now);
            }
        }
    }

    /// After the services: everything else gets SIGTERM (and SIGCONT), then
    /// SIGKILL. As pid 1 that is every process; otherwise the orphans that
    /// were reparented to us as child subreaper.
    fn kill_rest(&mut self, sig: u32) {
        let now = Self::now();
        if sig == k::SIGTERM {
            self.phase = Phase::KillTerm;
            self.phase_deadline = Some(now + TIMEOUT_SIGTERM);
        } else {
            self.phase = Phase::KillKill;
            self.phase_deadline = Some(now + TIMEOUT_SIGKILL);
        }
        if self.pid1 {
            if sig == k::SIGTERM {
                self.say(&[b"sending SIGTERM to all processes"]);
                let _ = sys::kill(-1, k::SIGTERM);
                let _ = sys::kill(-1, k::SIGCONT);
            } else {
                self.say(&[b"sending SIGKILL to all processes"]);
                // kill(-1, SIGKILL) can block on a process stuck in D
                // state: let a child take that risk.
                if let Ok(0) = sys::fork() {
                    let _ = sys::kill(-1, k::SIGKILL);
                    sys::exit(0);
                }
            }
        } else {
            crate::pid1::signal_children(self.pid, sig);
        }
        // Nothing left at all: done at once.
        if let Err(Errno::CHILD) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {
            self.phase = Phase::Done;
        } else {
            self.reap();
        }
    }

    pub(crate) fn phase_timeout(&mut self) {
        match self.phase {
            Phase::KillTerm => self.kill_rest(k::SIGKILL),
            Phase::KillKill => self.phase = Phase::Done,
            _ => {}
        }
    }

    /// The end: unlink the socket, hand over to SYS/reincarnate, or as real
    /// pid 1 run SYS/final and halt or reboot; else re-exec or exit.
    pub(crate) fn finish(&mut self) -> ! {
        self.say(&[b"all services stopped"]);
        crate::control::close(self);
        #[cfg(feature = "http")]
        crate::httpd::close(self);
        let argv = [c"SYS/reincarnate".as_ptr() as *const u8, core::ptr::null()];
        let e = sys::execve(c"SYS/reincarnate", &argv, self.envp);
        if e != Errno::NOENT {
            self.say_errno(&[b"SYS/reincarnate failed to exec"], e);
        }
        if self.real_pid1 {
            crate::pid1::halt(self);
        }
        if self.reboot {
            if let Some(args) = self.args {
                // /proc/self/exe is us even when argv[0] is a relative name
                // (our working directory is the service directory now).
                self.say(&[b"re-executing"]);
                let _ = sys::execve(c"/proc/self/exe", args.argv(), self.envp);
                let e = match args.get(0) {
                    Some(arg0) => sys::execve(arg0, args.argv(), self.envp),
                    None => Errno::NOENT,
                };
                self.fatal(b"could not re-exec", Some(e));
            }
        }
        self.say(&[b"finished"]);
        sys::exit(0)
    }
}

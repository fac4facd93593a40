//! The one command executor. The control socket (SPAT) and the HTTP
//! endpoint decode requests into a [`Command`] and encode its [`Outcome`];
//! what a command does (which commands create entries, what is announced)
//! is decided here, once.

use super::{Core, Info, ServiceView, now, scan};
use crate::name;
use crate::path::Path;
use crate::state::{Event, State};
use crate::sys;
use crate::table::Slot;

/// What a [`Command`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Start a service (creating an instance, or one that appeared since
    /// the last scan, and re-reading its `log` link).
    Up,
    /// Stop a service (creating it only while a SYS script runs, so that
    /// SYS/setup can keep services down).
    Down,
    Restart,
    /// STARTING becomes UP (`notification-fd` 0).
    Ready,
    /// Send the signal to a service's run process.
    Signal,
    Query,
    List,
    Info,
    Rescan,
    Shutdown,
    Reboot,
    /// Start job NAME from the job parsed into `Core::job_scratch`.
    #[cfg(feature = "http")]
    PutJob,
    #[cfg(feature = "http")]
    GetJob,
    /// Stop a job (SIGTERM, SIGKILL 7 s later) and remove it once down.
    #[cfg(feature = "http")]
    DeleteJob,
    #[cfg(feature = "http")]
    SignalJob,
}

/// A request to the core, whichever front-end decoded it: the verb, the
/// service or job it names (empty when it names none) and, for `Signal`
/// and `SignalJob`, the signal (1..=64; 0 otherwise). (A struct, not an
/// enum with a name in each variant: a decoder fills in three fields
/// whatever the verb, where building each variant was code of its own.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    pub verb: Verb,
    pub name: &'a [u8],
    pub sig: u32,
}

impl<'a> Command<'a> {
    pub const fn new(verb: Verb, name: &'a [u8]) -> Command<'a> {
        Command { verb, name, sig: 0 }
    }

    /// A command that names nothing (`List`, `Info`, `Rescan`, ...).
    pub const fn bare(verb: Verb) -> Command<'a> {
        Command { verb, name: b"", sig: 0 }
    }

    pub const fn signal(verb: Verb, name: &'a [u8], sig: u32) -> Command<'a> {
        Command { verb, name, sig }
    }
}

#[derive(Clone, Copy)]
pub enum Outcome {
    /// Done (rescan, shutdown, reboot are carried out after the pass; a
    /// signal was sent).
    Done,
    NoSuchService,
    /// The service's state after the command, or a query's answer.
    Service(ServiceView),
    /// The command took the service out of the table (a removed instance).
    Removed,
    /// `Signal` to a service without a run process.
    NotRunning,
    /// Read `Core::services`.
    List,
    Info(Info),
    /// The job is there: read it with `Core::job`; `created` for a new PUT
    /// (false when it replaced a finished job of that name).
    #[cfg(feature = "http")]
    Job { created: bool },
    /// PUT refused: a conflict (with the reason) or no free slot.
    #[cfg(feature = "http")]
    JobRefused(super::PutError),
    #[cfg(feature = "http")]
    NoSuchJob,
    /// DELETE: the job is still stopping (it is removed once down).
    #[cfg(feature = "http")]
    JobStopping,
    #[cfg(feature = "http")]
    JobNotRunning,
}

impl Core {
    pub fn execute(&mut self, cmd: Command) -> Outcome {
        let now = now();
        let (n, sig) = (cmd.name, cmd.sig);
        match cmd.verb {
            Verb::Up => self.step(n, true, Event::WantUp, now),
            Verb::Restart => self.step(n, true, Event::WantRestart, now),
            Verb::Down => {
                let create = self.sys.running();
                self.step(n, create, Event::WantDown, now)
            }
            Verb::Ready => self.step(n, false, Event::Ready, now),
            Verb::Signal => {
                let pid = self.t.find(n).map_or(0, |s| self.t.get(s).pid);
                match self.service(n, now) {
                    None => Outcome::NoSuchService,
                    Some(_) if pid <= 0 || !(1..=64).contains(&sig) || sys::kill(pid, sig).is_err() => Outcome::NotRunning,
                    Some(_) => Outcome::Done,
                }
            }
            Verb::Query => self.service(n, now).map_or(Outcome::NoSuchService, Outcome::Service),
            Verb::List => Outcome::List,
            Verb::Info => Outcome::Info(self.info()),
            Verb::Rescan => {
                self.want_rescan = true;
                Outcome::Done
            }
            Verb::Shutdown => {
                self.want_shutdown = true;
                Outcome::Done
            }
            Verb::Reboot => {
                self.want_reboot = true;
                Outcome::Done
            }
            #[cfg(feature = "http")]
            Verb::PutJob => match self.job_put(n) {
                Ok((_, replaced)) => Outcome::Job { created: !replaced },
                Err(e) => Outcome::JobRefused(e),
            },
            #[cfg(feature = "http")]
            Verb::GetJob => match self.jobs.find(n) {
                Some(_) => Outcome::Job { created: false },
                None => Outcome::NoSuchJob,
            },
            #[cfg(feature = "http")]
            Verb::DeleteJob => match self.jobs.find(n) {
                None => Outcome::NoSuchJob,
                Some(j) if self.job_stop(j, true, now) => Outcome::Removed,
                Some(_) => Outcome::JobStopping,
            },
            #[cfg(feature = "http")]
            Verb::SignalJob => match self.jobs.find(n) {
                None => Outcome::NoSuchJob,
                Some(j) => {
                    let pid = self.jobs.slots[j].pid;
                    if pid <= 0 || sys::kill(pid, sig).is_err() {
                        Outcome::JobNotRunning
                    } else {
                        Outcome::Job { created: false }
                    }
                }
            },
        }
    }

    /// up, down, restart, ready: find (or create) the service, step it, and
    /// announce the state it is in now, even if that was just announced (as
    /// nitro does).
    fn step(&mut self, n: &[u8], create: bool, ev: Event, now: u64) -> Outcome {
        let Some(s) = self.lookup(n, create) else {
            return Outcome::NoSuchService;
        };
        self.t.get_mut(s).seen = true;
        if ev == Event::Ready {
            self.close_ready(s);
        }
        self.drive(s, ev, now);
        if self.t.get(s).used() && self.t.get(s).name.as_bytes() == n {
            let state = self.t.get(s).m.state;
            self.notify_as(s, state);
            Outcome::Service(self.view(s, now))
        } else {
            self.notify_name(n, State::Down);
            Outcome::Removed
        }
    }

    /// A service by name; with `create`, as nitro: through adding it when
    /// its directory (the template's, for an instance) exists, which
    /// creates instances and services that appeared since the last scan,
    /// and re-reads the `log` link of a known one. A service whose
    /// directory is gone is only found (and becomes FATAL when started).
    fn lookup(&mut self, name: &[u8], create: bool) -> Option<Slot> {
        let known = self.t.find(name);
        let dir_exists = || {
            Path::from(&[name::script_dir(name), b"/."]).is_ok_and(|p| {
                sys::exists(p.as_cstr())
            })
        };
        if !create || !name::valid(name) || !self.up() || !dir_exists() {
            return known;
        }
        let s = scan::add_service(self, name).ok()?;
        if known.is_none() {
            // The request decides about this service.
            self.t.get_mut(s).fresh = false;
        }
        Some(s)
    }
}

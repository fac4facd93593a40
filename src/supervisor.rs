//! The event loop: the core and its front-ends around one poll(2). It
//! sleeps on the signalfd, the control socket, the subscribers behind, the
//! HTTP connections and the services' readiness pipes, with the nearest
//! deadline as timeout; it hands each wake-up to whom it belongs, and after
//! each pass the core's new changes to every front-end.

use crate::control::{Control, ControlStorage};
use crate::core::{Command, Core, CoreStorage, Verb, now};
use crate::state::NEVER;
use crate::sys::{self, Args, SigSet};
use crate::table::Slot;
use linux_raw_sys::general as k;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::io::Errno;

/// Everything the supervisor keeps, zero-initialised: it lives in a static
/// (.bss), and pages of it that are never used are never touched.
#[repr(C)]
pub struct Storage {
    core: CoreStorage,
    control: ControlStorage,
    poll: PollSet,
    #[cfg(feature = "http")]
    http: crate::httpd::HttpStorage,
}

impl Default for Storage {
    fn default() -> Self {
        Self::new()
    }
}

impl Storage {
    pub const fn new() -> Storage {
        Storage {
            core: CoreStorage::new(),
            control: ControlStorage::new(),
            poll: PollSet::new(),
            #[cfg(feature = "http")]
            http: crate::httpd::HttpStorage::new(),
        }
    }
}

#[cfg(feature = "http")]
const POLL_MAX: usize = crate::config::MAX_SERVICES + crate::notify::BACKLOG_SUBSCRIBERS + crate::httpd::CONN_MAX + crate::httpd::LINGER_MAX + 3;
#[cfg(not(feature = "http"))]
const POLL_MAX: usize = crate::config::MAX_SERVICES + crate::notify::BACKLOG_SUBSCRIBERS + 2;

/// Who a polled descriptor belongs to. (`repr(u8)` puts `Signal` at 0: an
/// all-zero poll set stays in .bss, not in the binary. Four bytes.)
#[derive(Clone, Copy)]
#[repr(u8)]
enum Src {
    Signal,
    Control,
    Ready(Slot),
    Subscriber(u8),
    #[cfg(feature = "http")]
    Http(crate::httpd::Source),
}

const _: () = assert!(core::mem::size_of::<Src>() == 4);

/// The descriptors of one poll(2) call and who each belongs to.
/// (`repr(C)`, page-aligned: the count, then the owners (4 bytes each),
/// then the descriptors: the few a small system polls share one page.)
#[repr(C, align(4096))]
pub struct PollSet {
    len: usize,
    src: [Src; POLL_MAX],
    fds: [sys::PollEntry; POLL_MAX],
}

impl PollSet {
    const fn new() -> PollSet {
        PollSet { fds: [sys::PollEntry { fd: 0, events: 0, revents: 0 }; POLL_MAX], src: [Src::Signal; POLL_MAX], len: 0 }
    }

    #[inline(never)] // (one call for its five sources: smaller)
    fn add(&mut self, fd: i32, events: i16, src: Src) {
        if self.len < POLL_MAX {
            self.fds[self.len] = sys::PollEntry { fd, events, revents: 0 };
            self.src[self.len] = src;
            self.len += 1;
        }
    }
}

pub struct Supervisor {
    core: Core,
    control: Control,
    #[cfg(feature = "http")]
    http: crate::httpd::Http,
    sigfd: OwnedFd,
    poll: &'static mut PollSet,
}

impl Supervisor {
    /// Set everything up: the core (into the service directory), the
    /// signals, the control socket, the HTTP endpoint.
    pub fn new(storage: &'static mut Storage, args: Args) -> Supervisor {
        #[cfg(feature = "http")]
        let Storage { core, control, poll, http } = storage;
        #[cfg(not(feature = "http"))]
        let Storage { core, control, poll } = storage;
        let mut core = Core::new(core);
        core.init(args);
        let mut mask = SigSet::EMPTY;
        for s in [k::SIGCHLD, k::SIGHUP, k::SIGINT, k::SIGTERM, k::SIGPIPE] {
            mask = mask.with(s);
        }
        if let Err(e) = sys::set_sigmask(mask) {
            core.fatal(b"sigprocmask", Some(e));
        }
        let sigfd = match sys::signalfd(mask) {
            Ok(fd) => fd,
            Err(e) => core.fatal(b"signalfd", Some(e)),
        };
        let control = Control::open(&core, &args, control);
        #[cfg(feature = "http")]
        let http = crate::httpd::Http::open(&core, &args, control.path(), http);
        Supervisor {
            core,
            control,
            #[cfg(feature = "http")]
            http,
            sigfd,
            poll,
        }
    }

    /// Supervise until the end. `cold`: the pages of our code the loop does
    /// not run, let go once start-up is over and again after a scan.
    pub fn run(&mut self, cold: Option<sys::ColdCode>) -> ! {
        self.core.boot();
        self.deliver();
        while !self.core.done() {
            let now = now();
            let next = self.core.timers(now);
            #[cfg(feature = "http")]
            let next = crate::state::nearer(next, self.http.timers(now));
            self.deliver();
            if self.core.done() {
                break;
            }
            if let (true, Some(c)) = (self.core.cold_code_ran(), cold) {
                c.map_apart();
            }
            self.wait((next != NEVER).then(|| next.saturating_sub(now)));
            self.core.reap();
            self.core.after_pass();
            self.deliver();
        }
        self.control.close();
        #[cfg(feature = "http")]
        self.http.close();
        self.core.finish()
    }

    /// The core's new changes to every reader; then the queue may forget
    /// what all have read.
    fn deliver(&mut self) {
        self.control.deliver(&self.core);
        let min = self.control.notify.min_seq();
        #[cfg(feature = "http")]
        let min = self.http.deliver(&self.core).map_or(min, |m| m.min(min));
        self.core.release_events(min);
    }

    fn wait(&mut self, timeout_ms: Option<u64>) {
        let p = &mut *self.poll;
        p.len = 0;
        p.add(self.sigfd.as_raw_fd(), sys::POLLIN, Src::Signal);
        if let Some(fd) = self.control.fd() {
            p.add(fd, sys::POLLIN, Src::Control);
        }
        self.core.ready_fds(|s, fd| p.add(fd, sys::POLLIN, Src::Ready(s)));
        for (i, fd) in self.control.notify.backlog.waiting() {
            p.add(fd, sys::POLLOUT, Src::Subscriber(i as u8));
        }
        #[cfg(feature = "http")]
        self.http.poll_set(|src, fd, ev| p.add(fd, ev, Src::Http(src)));
        match sys::poll(&mut p.fds[..p.len], timeout_ms) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => {
                self.core.say_errno(b"poll", e);
                return;
            }
        }
        for i in 0..self.poll.len {
            let ev = self.poll.fds[i].revents;
            if ev == 0 {
                continue;
            }
            match self.poll.src[i] {
                Src::Signal => self.read_signals(),
                Src::Control => self.control.handle(&mut self.core),
                Src::Ready(s) => self.core.read_ready(s, ev & (sys::POLLHUP | sys::POLLERR) != 0),
                Src::Subscriber(i) => self.control.notify.backlog.drain(i as usize, self.core.events()),
                #[cfg(feature = "http")]
                Src::Http(src) => self.http.ready(&mut self.core, src, ev, now()),
            }
        }
    }

    /// Signals are requests: SIGHUP rescans; SIGINT reboots the real init
    /// (Ctrl-Alt-Del) and shuts anything else down; SIGTERM shuts down
    /// (the real init ignores it); SIGCHLD is reaped after the pass.
    fn read_signals(&mut self) {
        let mut buf = [0u8; 128];
        while let Ok(128) = rustix::io::read(&self.sigfd, &mut buf) {
            let sig = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
            let cmd = match sig {
                k::SIGHUP => Verb::Rescan,
                k::SIGINT if self.core.real_pid1() => Verb::Reboot,
                k::SIGINT => Verb::Shutdown,
                k::SIGTERM if !self.core.real_pid1() => Verb::Shutdown,
                _ => continue,
            };
            self.core.execute(Command::bare(cmd));
        }
    }
}

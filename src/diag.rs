//! The supervisor's own messages (`- nitro: ...`) on its stderr, written so
//! that they can never block it: stderr may be a pipe nobody reads, a
//! logger that stopped, or a serial console held by flow control, and a
//! supervisor waiting in write(2) supervises nothing.
//!
//! Descriptor 2 is shared with every child (services without a logger write
//! their errors there), so it must stay blocking for them. The supervisor
//! writes through a private open file description of the same file instead,
//! opened anew with O_NONBLOCK (a pipe or FIFO through /proc/self/fd/2, the
//! console through /dev/console); a socket gets MSG_DONTWAIT; a regular file
//! never blocks and is written as it is. A message that does not fit is
//! dropped and counted; the next one that gets through says how many were
//! lost. Only where no private description can be had (no /proc) does a
//! zero-timeout poll(2) stand in, which is all but never blocking.

use crate::sys;
use crate::table::NO_FD;
use core::cell::Cell;
use core::ffi::CStr;
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::SendFlags;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Not looked at yet, or a regular file: plain write(2) to fd 2.
    Plain,
    /// Our own non-blocking description in `fd`.
    Private,
    /// A socket: send(2) with MSG_DONTWAIT on fd 2.
    Socket,
    /// None of the above could be set up: poll(2) first.
    Polled,
}

pub struct Diag {
    kind: Kind,
    fd: i32,
    dropped: Cell<u32>,
}

impl Default for Diag {
    fn default() -> Self {
        Self::new()
    }
}

impl Diag {
    pub const fn new() -> Diag {
        Diag { kind: Kind::Polled, fd: NO_FD, dropped: Cell::new(0) }
    }

    /// Look at what descriptor 2 is now and set up the way to write to it;
    /// `console` when it is the console pid 1 took.
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn setup(&mut self, console: bool) {
        if self.fd != NO_FD {
            drop(sys::own(self.fd));
            self.fd = NO_FD;
        }
        self.kind = Kind::Polled;
        let Ok(st) = rustix::fs::fstat(sys::fd(2)) else { return };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => self.kind = Kind::Plain,
            FileType::Socket => self.kind = Kind::Socket,
            _ => {
                let path: &CStr = if console { c"/dev/console" } else { c"/proc/self/fd/2" };
                let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
                if let Ok(fd) = rustix::fs::open(path, flags, Mode::empty()) {
                    self.fd = crate::core::into_raw(fd);
                    self.kind = Kind::Private;
                }
            }
        }
    }

    /// Write one message (one line), or drop and count it.
    pub fn write(&self, msg: &[u8]) {
        let dropped = self.dropped.get();
        if dropped > 0 {
            let mut o = crate::out::Out::<48>::new();
            o.s(b"- nitro: (").u(dropped as u64).s(b" messages dropped)\n");
            if !self.try_write(o.bytes()) {
                self.dropped.set(dropped.saturating_add(1));
                return;
            }
            self.dropped.set(0);
        }
        if !self.try_write(msg) {
            self.dropped.set(self.dropped.get().saturating_add(1));
        }
    }

    /// Whether all of `msg` went out; never waits.
    fn try_write(&self, msg: &[u8]) -> bool {
        let mut rest = msg;
        while !rest.is_empty() {
            let r = match self.kind {
                Kind::Plain => rustix::io::write(sys::fd(2), rest),
                Kind::Private => rustix::io::write(sys::fd(self.fd), rest),
                Kind::Socket => rustix::net::send(sys::fd(2), rest, SendFlags::DONTWAIT | SendFlags::NOSIGNAL),
                Kind::Polled => {
                    let mut p = [sys::PollEntry { fd: 2, events: sys::POLLOUT, revents: 0 }];
                    match sys::poll(&mut p, Some(0)) {
                        Ok(1) if p[0].revents & sys::POLLOUT != 0 => rustix::io::write(sys::fd(2), rest),
                        _ => Err(Errno::AGAIN),
                    }
                }
            };
            match r {
                Ok(0) => return false,
                Ok(n) => rest = &rest[n..],
                Err(Errno::INTR) => {}
                Err(_) => return false,
            }
        }
        true
    }
}

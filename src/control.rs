//! The control socket: nitro's SPAT protocol on a unix datagram socket, a
//! codec around the core's command executor. A datagram is decoded into
//! commands (`spat`), each is executed (`Core::execute`), and its outcome
//! is encoded as the reply to the sender's address. State changes go to
//! the subscribers in `notify/` (`notify::Notifier`), the requester among
//! them, before the reply.

use crate::config::{LIST_REPLY_MAX, REQUEST_MAX};
use crate::core::{Command, Core, Outcome, ServiceView, Verb};
use crate::notify::Notifier;
use crate::path::{self, Path};
use crate::spat::{self, Packet, Status, Writer, tag};
use crate::sys::{self, Args, Peer};
use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{SendFlags, SocketType};

pub struct Control {
    fd: Option<OwnedFd>,
    path: &'static Path,
    pub notify: Notifier,
    /// One LIST reply holds every service (a full table of the longest
    /// names): it lives in a static, touched only as far as it is used.
    list_buf: &'static mut [u8; LIST_REPLY_MAX],
}

/// The control front-end's large state, zero-initialised (.bss): the
/// socket's and `notify/`'s paths too, written in place (the loop's frame
/// held them, and they were copied on the way there).
#[repr(C)]
pub struct ControlStorage {
    notify: crate::notify::Backlog,
    path: Path,
    notify_dir: Path,
    list_buf: [u8; LIST_REPLY_MAX],
}

impl Default for ControlStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl ControlStorage {
    pub const fn new() -> ControlStorage {
        ControlStorage { list_buf: [0; LIST_REPLY_MAX], notify: crate::notify::Backlog::new(), path: Path::new(), notify_dir: Path::new() }
    }
}

impl Control {
    /// Create the socket directory and `notify/`, check for another
    /// instance and bind the socket (mode 0600). Unrecoverable errors are
    /// the core's fatal ones.
    // (Start-up code, linked apart by build.rs; inlined into
    // Supervisor::new, itself start-up code, where that is smaller.)
    pub fn open(core: &Core, args: &Args, storage: &'static mut ControlStorage) -> Control {
        let ControlStorage { notify: backlog, path, notify_dir, list_buf } = storage;
        if let Err(bad) = path::control_socket(args, path) {
            let mut o = crate::out::Out::<160>::new();
            bad.describe(&mut o);
            core.fatal(o.bytes(), None)
        }
        let path: &'static Path = path;
        let _ = notify_dir.push(path.dirname());
        let _ = rustix::fs::mkdirat(rustix::fs::CWD, notify_dir.as_cstr(), rustix::fs::Mode::from_raw_mode(0o700));
        let notify = match Notifier::open(notify_dir, backlog, core.events().next_seq()) {
            Ok(n) => n,
            Err(e) => core.fatal(b"could not open notify directory", Some(e)),
        };
        // Is someone there? A stream connect to a datagram socket says
        // EPROTOTYPE (another supervisor), a connection a stream listener.
        let sock = match sys::unix_socket(path.as_cstr(), SocketType::DGRAM, 0) {
            Ok(s) => s,
            Err(Errno::ISCONN) => core.fatal(b"socket in use outside of nitro", None),
            Err(Errno::PROTOTYPE) => core.fatal(b"socket already in use", None),
            Err(e) => core.fatal(b"could not bind control socket", Some(e)),
        };
        Control { fd: Some(sock), path, notify, list_buf }
    }

    /// Where the control socket is (the HTTP socket goes beside it).
    pub fn path(&self) -> &Path {
        self.path
    }

    pub fn fd(&self) -> Option<i32> {
        use rustix::fd::AsRawFd;
        self.fd.as_ref().map(|f| f.as_raw_fd())
    }

    pub fn close(&mut self) {
        if self.fd.take().is_some() {
            let _ = rustix::fs::unlinkat(rustix::fs::CWD, self.path.as_cstr(), rustix::fs::AtFlags::empty());
        }
    }

    /// The core's new changes to the subscribers.
    pub fn deliver(&mut self, core: &Core) {
        if let Some(fd) = &self.fd {
            self.notify.deliver(core.events(), fd.as_fd());
        }
    }

    /// Serve every datagram waiting on the socket.
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn handle(&mut self, core: &mut Core) {
        let me = rustix::process::geteuid();
        // The sender's address as received.
        let mut from = Peer::NONE;
        for _ in 0..64 {
            let mut buf = [0u8; REQUEST_MAX];
            let Some(fd) = &self.fd else { return };
            let d = match crate::sys::recv_datagram(fd.as_fd(), &mut buf, &mut from) {
                Ok(d) => d,
                Err(Errno::INTR) => continue,
                Err(_) => return,
            };
            // The socket's mode keeps others out; the sender's credentials
            // (SO_PASSCRED) keep them out even if someone loosens it.
            let allowed = d.uid.is_some_and(|u| u == 0 || u == me.as_raw());
            // Not for this user, or longer than any request can be: refuse,
            // do not guess (the answer lets the client end at once).
            if !allowed || d.len > REQUEST_MAX {
                self.reply(&from, &[0, 0, tag::ENOSYS]);
                continue;
            }
            self.serve(core, buf.get(..d.len).unwrap_or(&[]), &from);
        }
    }

    fn reply(&self, to: &Peer, bytes: &[u8]) {
        if let (Some(fd), true) = (&self.fd, to.is_named()) {
            let _ = rustix::net::sendto(fd, bytes, SendFlags::DONTWAIT, to);
        }
    }

    fn serve(&mut self, core: &mut Core, req: &[u8], from: &Peer) {
        let mut handled = false;
        for p in spat::packets(req) {
            let (t, payload) = match p {
                Ok(Packet::Data(t, payload)) => (t, payload),
                Ok(_) => continue,
                Err(_) => break,
            };
            if let Some(cmd) = decode(t, payload) {
                handled = true;
                self.command(core, cmd, from);
            }
        }
        if !handled {
            self.reply(from, &[0, 0, tag::ENOSYS]);
        }
    }

    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    fn command(&mut self, core: &mut Core, c: Command, from: &Peer) {
        let query = c.verb == Verb::Query;
        match core.execute(c) {
            Outcome::Service(v) if query => {
                let mut buf = [0u8; 32];
                let mut w = Writer::new(&mut buf);
                if status(&v).encode(&mut w).is_ok() {
                    self.reply(from, w.bytes());
                }
            }
            // The requester learns the resulting state (a notification it
            // gets as a subscriber), then OK.
            Outcome::Service(_) | Outcome::Removed => {
                self.deliver(core);
                self.reply(from, &[0, 0, tag::OK]);
            }
            Outcome::Done => self.reply(from, &[0, 0, tag::OK]),
            Outcome::List => {
                // Every service in one datagram, however many there are.
                let mut w = Writer::new(&mut self.list_buf[..]);
                for v in core.services(crate::core::now()) {
                    if spat::encode_list_entry(&mut w, v.name.as_bytes(), &status(&v)).is_err() {
                        break;
                    }
                }
                let len = w.len();
                self.reply(from, self.list_buf.get(..len).unwrap_or(&[]));
            }
            Outcome::Info(i) => {
                let mut buf = [0u8; 40];
                let mut w = Writer::new(&mut buf);
                let _ = w.u32(tag::NITRO_PID, i.pid as u32);
                let _ = w.u32(tag::PID, i.pid as u32);
                let _ = w.u32(tag::MAX_SERVICE, i.entries);
                let _ = w.u32(tag::TOTAL_REAPS, i.total_reaps);
                let _ = w.u32(tag::TOTAL_SV_REAPS, i.total_sv_reaps);
                self.reply(from, w.bytes());
            }
            _ => self.reply(from, &[0, 0, tag::ESRCH]),
        }
    }
}

/// The command a data packet carries; `None` for other tags and for a
/// signal packet without its signal byte. (The client's side is
/// `spat::Command::encode`.) Out of line: inlined into the loop, the
/// supervisor was 0.2 KiB larger.
#[inline(never)]
pub fn decode(t: u8, payload: &[u8]) -> Option<Command<'_>> {
    use Verb::*;
    // The verbs of tags CMD_UP to CMD_READY, in the order of their numbers
    // (a table: the match was a compare per tag).
    const VERBS: [Verb; 11] = {
        assert!(tag::CMD_READY - tag::CMD_UP == 10 && tag::CMD_SIGNAL == tag::CMD_UP + 9);
        [Up, Down, Restart, Info, List, Query, Rescan, Shutdown, Reboot, Signal, Ready]
    };
    let verb = *VERBS.get(t.wrapping_sub(tag::CMD_UP) as usize)?;
    Some(match verb {
        Signal => {
            let (&sig, name) = payload.split_first()?;
            Command::signal(verb, name, sig as u32)
        }
        // These name nothing: their payload is not read.
        Info | List | Rescan | Shutdown | Reboot => Command::bare(verb),
        _ => Command::new(verb, payload),
    })
}

// (Out of line on x86_64: smaller there, larger on aarch64.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn status(v: &ServiceView) -> Status {
    Status { state: v.state as u8, pid: v.pid, wstatus: v.wstatus, uptime: v.uptime }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spat::{Packet, packets};

    /// What a client encodes is what the supervisor decodes.
    #[test]
    fn requests_decode_into_the_core_commands() {
        let cases = [
            (spat::Command::Up(b"a"), Command::new(Verb::Up, b"a")),
            (spat::Command::Down(b"a"), Command::new(Verb::Down, b"a")),
            (spat::Command::Restart(b"a"), Command::new(Verb::Restart, b"a")),
            (spat::Command::Ready(b"a"), Command::new(Verb::Ready, b"a")),
            (spat::Command::Signal(15, b"web"), Command::signal(Verb::Signal, b"web", 15)),
            (spat::Command::Query(b"a"), Command::new(Verb::Query, b"a")),
            (spat::Command::List, Command::bare(Verb::List)),
            (spat::Command::Info, Command::bare(Verb::Info)),
            (spat::Command::Rescan, Command::bare(Verb::Rescan)),
            (spat::Command::Shutdown, Command::bare(Verb::Shutdown)),
            (spat::Command::Reboot, Command::bare(Verb::Reboot)),
        ];
        for (sent, want) in cases {
            let mut buf = [0u8; 64];
            let mut w = Writer::new(&mut buf);
            sent.encode(&mut w).unwrap();
            let Some(Ok(Packet::Data(t, p))) = packets(w.bytes()).next() else { panic!("{sent:?}") };
            assert_eq!(decode(t, p), Some(want), "{sent:?}");
        }
        assert_eq!(decode(tag::CMD_SIGNAL, &[]), None);
        assert_eq!(decode(tag::OK, &[]), None);
    }
}

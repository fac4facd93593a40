//! The control socket: nitro's SPAT protocol on a unix datagram socket.
//! Requests are decoded with `spat`, acted on, and answered to the sender's
//! address.

use crate::config::REQUEST_MAX;
use crate::name;
use crate::path::{self, Path};
use crate::scan;
use crate::spat::{self, Command, Packet, Status, Writer, tag};
use crate::state::{Event, State};
use crate::supervisor::Supervisor;
use crate::sys::{self, Args};
use crate::table::{Slot, Table};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::io::IoSliceMut;
use rustix::net::{AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

/// Create the socket directory, `notify/`, check for another instance and
/// bind the socket (mode 0600).
pub fn open(sup: &mut Supervisor, args: &Args) {
    sup.sock_path = match path::control_socket(args) {
        Ok(p) => p,
        Err(bad) => {
            let mut o = crate::out::Out::<160>::new();
            bad.describe(&mut o);
            sup.fatal(o.bytes(), None)
        }
    };
    let dir = Path::from(&[sup.sock_path.dirname()]).unwrap_or_default();
    let mode = rustix::fs::Mode::from_raw_mode(0o700);
    let _ = rustix::fs::mkdirat(rustix::fs::CWD, dir.as_cstr(), mode);
    sup.notify_dir = Path::from(&[dir.as_bytes(), b"/notify"]).unwrap_or_default();
    let _ = rustix::fs::mkdirat(rustix::fs::CWD, sup.notify_dir.as_cstr(), mode);
    match rustix::fs::openat(
        rustix::fs::CWD,
        sup.notify_dir.as_cstr(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) {
        Ok(fd) => sup.notify_fd = Some(fd),
        Err(e) => sup.fatal(b"could not open notify directory", Some(e)),
    }

    let addr = match SocketAddrUnix::new(sup.sock_path.as_cstr()) {
        Ok(a) => a,
        Err(e) => sup.fatal(b"control socket path", Some(e)),
    };
    // Created under umask 0177: the socket is mode 0600.
    // Is someone there? A stream connect to a datagram socket says
    // EPROTOTYPE (another supervisor), ECONNREFUSED a stale file.
    if let Ok(check) = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None) {
        match rustix::net::connect(&check, &addr) {
            Ok(()) => sup.fatal(b"socket in use outside of nitro", None),
            Err(Errno::PROTOTYPE) => sup.fatal(b"socket already in use", None),
            Err(Errno::CONNREFUSED) => {
                let _ = rustix::fs::unlinkat(rustix::fs::CWD, sup.sock_path.as_cstr(), rustix::fs::AtFlags::empty());
            }
            Err(_) => {}
        }
    }
    let sock = match rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK, None) {
        Ok(s) => s,
        Err(e) => sup.fatal(b"control socket", Some(e)),
    };
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let r = rustix::net::bind(&sock, &addr);
    rustix::process::umask(old);
    if let Err(e) = r {
        sup.fatal(b"could not bind control socket", Some(e));
    }
    if let Err(e) = rustix::net::sockopt::set_socket_passcred(&sock, true) {
        sup.fatal(b"SO_PASSCRED on the control socket", Some(e));
    }
    sup.ctl = Some(sock);
}

pub fn close(sup: &mut Supervisor) {
    if sup.ctl.take().is_some() {
        let _ = rustix::fs::unlinkat(rustix::fs::CWD, sup.sock_path.as_cstr(), rustix::fs::AtFlags::empty());
    }
}

/// Serve every datagram waiting on the socket.
pub fn handle(sup: &mut Supervisor) {
    let me = rustix::process::geteuid();
    for _ in 0..64 {
        let mut buf = [0u8; REQUEST_MAX];
        let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmCredentials(1))];
        let mut cmsg = RecvAncillaryBuffer::new(&mut space);
        let Some(ctl) = &sup.ctl else { return };
        let msg = match rustix::net::recvmsg(ctl, &mut [IoSliceMut::new(&mut buf)], &mut cmsg, RecvFlags::DONTWAIT | RecvFlags::TRUNC) {
            Ok(m) => m,
            Err(Errno::INTR) => continue,
            Err(_) => return,
        };
        // The socket's mode keeps others out; the sender's credentials
        // (SO_PASSCRED) keep them out even if someone loosens it.
        let allowed = cmsg.drain().any(|m| match m {
            RecvAncillaryMessage::ScmCredentials(c) => c.uid.is_root() || c.uid == me,
            _ => false,
        });
        let n = msg.bytes;
        let from: Option<SocketAddrUnix> = msg.address.and_then(|a| a.try_into().ok());
        if !allowed {
            // Not for this user: nothing it asks is available (the answer
            // lets its client end instead of waiting).
            reply_status(sup, from.as_ref(), tag::ENOSYS);
            continue;
        }
        if n > REQUEST_MAX {
            // Longer than any request can be: refuse, do not guess.
            reply_status(sup, from.as_ref(), tag::ENOSYS);
            continue;
        }
        serve(sup, &buf[..n], from.as_ref());
    }
}

fn reply(ctl: &Option<OwnedFd>, to: Option<&SocketAddrUnix>, bytes: &[u8]) {
    if let (Some(ctl), Some(to)) = (ctl, to) {
        let _ = rustix::net::sendto(ctl, bytes, SendFlags::DONTWAIT, to);
    }
}

fn reply_status(sup: &Supervisor, to: Option<&SocketAddrUnix>, t: u8) {
    reply(&sup.ctl, to, &[0, 0, t]);
}

fn serve(sup: &mut Supervisor, req: &[u8], from: Option<&SocketAddrUnix>) {
    let mut handled = false;
    for p in spat::packets(req) {
        let (t, payload) = match p {
            Ok(Packet::Data(t, payload)) => (t, payload),
            Ok(_) => continue,
            Err(_) => break,
        };
        if let Some(cmd) = Command::decode(t, payload) {
            handled = true;
            command(sup, cmd, from);
        }
    }
    if !handled {
        reply_status(sup, from, tag::ENOSYS);
    }
}

fn status_of(t: &Table, s: Slot, now: u64) -> Status {
    let sv = t.get(s);
    Status {
        state: sv.m.state as u8,
        pid: sv.pid.max(0) as u32,
        wstatus: sv.m.wstatus,
        uptime: (now.saturating_sub(sv.m.since) / 1000).min(u32::MAX as u64) as u32,
    }
}

/// The SYS entry while a SYS script runs (see `SysTask`).
fn sys_status(sup: &Supervisor, now: u64) -> Option<Status> {
    let task = sup.sys?;
    Some(Status { state: task.state() as u8, pid: 0, wstatus: 0, uptime: (now.saturating_sub(task.since) / 1000) as u32 })
}

/// Find a service for UP/RESTART, or for DOWN while a SYS script runs (so
/// that SYS/setup can keep services down): as nitro, these go through adding
/// the service when its directory (the template's, for an instance) exists,
/// which creates instances and services that appeared since the last scan,
/// and re-reads the `log` link of a known one. A service whose directory is
/// gone is only found (and becomes FATAL when started).
pub fn lookup(sup: &mut Supervisor, name: &[u8], create: bool) -> Option<Slot> {
    let known = sup.t.find(name);
    let dir_exists = || Path::from(&[name::script_dir(name), b"/."]).is_ok_and(|p| {
        rustix::fs::accessat(rustix::fs::CWD, p.as_cstr(), rustix::fs::Access::EXISTS, rustix::fs::AtFlags::empty()).is_ok()
    });
    if !create || !name::valid(name) || !sup.up() || !dir_exists() {
        return known;
    }
    let s = scan::add_service(sup, name).ok()?;
    if known.is_none() {
        // The request decides about this service.
        sup.t.get_mut(s).fresh = false;
    }
    Some(s)
}

fn command(sup: &mut Supervisor, cmd: Command, from: Option<&SocketAddrUnix>) {
    let now = Supervisor::now();
    match cmd {
        Command::Up(n) | Command::Restart(n) | Command::Down(n) | Command::Ready(n) => {
            let create = match cmd {
                Command::Up(_) | Command::Restart(_) => true,
                Command::Down(_) => sup.sys.is_some(),
                _ => false,
            };
            let Some(s) = lookup(sup, n, create) else {
                return reply_status(sup, from, tag::ESRCH);
            };
            sup.t.get_mut(s).seen = true;
            let ev = match cmd {
                Command::Up(_) => Event::WantUp,
                Command::Restart(_) => Event::WantRestart,
                Command::Down(_) => Event::WantDown,
                _ => Event::Ready,
            };
            if ev == Event::Ready {
                sup.close_ready(s);
            }
            sup.drive(s, ev, now);
            // The resulting state is announced after every such command,
            // even when it was just announced (as nitro), then OK.
            let state = if sup.t.get(s).used() && sup.t.get(s).name.as_bytes() == n {
                sup.t.get(s).m.state as u8
            } else {
                State::Down as u8
            };
            sup.notify_name(n, state);
            sup.notify_flush();
            reply_status(sup, from, tag::OK);
        }
        Command::Query(n) => {
            let st = match sup.t.find(n) {
                Some(s) => status_of(&sup.t, s, now),
                None => match sys_status(sup, now) {
                    Some(st) if n == b"SYS" => st,
                    _ => return reply_status(sup, from, tag::ESRCH),
                },
            };
            let mut buf = [0u8; 32];
            let mut w = Writer::new(&mut buf);
            if st.encode(&mut w).is_ok() {
                reply(&sup.ctl, from, w.bytes());
            }
        }
        Command::List => {
            // Every service in one datagram, however many there are (the
            // buffer holds a full table of the longest names).
            let sys = sys_status(sup, now);
            let mut w = Writer::new(&mut sup.list_buf[..]);
            if let Some(st) = sys {
                let _ = spat::encode_list_entry(&mut w, b"SYS", &st);
            }
            for s in sup.t.slots() {
                let st = status_of(&sup.t, s, now);
                if spat::encode_list_entry(&mut w, sup.t.get(s).name.as_bytes(), &st).is_err() {
                    break;
                }
            }
            let len = w.len();
            reply(&sup.ctl, from, &sup.list_buf[..len]);
        }
        Command::Info => {
            let mut buf = [0u8; 40];
            let mut w = Writer::new(&mut buf);
            let _ = w.u32(tag::NITRO_PID, sup.pid as u32);
            let _ = w.u32(tag::PID, sup.pid as u32);
            let sys = sys_status(sup, now).is_some() as usize;
            let _ = w.u32(tag::MAX_SERVICE, (sup.t.count() + sys) as u32);
            let _ = w.u32(tag::TOTAL_REAPS, sup.total_reaps);
            let _ = w.u32(tag::TOTAL_SV_REAPS, sup.total_sv_reaps);
            reply(&sup.ctl, from, w.bytes());
        }
        Command::Rescan => {
            sup.want_rescan = true;
            reply_status(sup, from, tag::OK);
        }
        Command::Shutdown => {
            sup.want_shutdown = true;
            reply_status(sup, from, tag::OK);
        }
        Command::Reboot => {
            sup.want_reboot = true;
            reply_status(sup, from, tag::OK);
        }
        Command::Signal(sig, n) => {
            let pid = sup.t.find(n).map_or(0, |s| sup.t.get(s).pid);
            if pid > 0 && (1..=64).contains(&sig) && sys::kill(pid, sig as u32).is_ok() {
                reply_status(sup, from, tag::OK);
            } else {
                reply_status(sup, from, tag::ESRCH);
            }
        }
    }
}

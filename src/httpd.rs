//! The HTTP endpoint inside the event loop: a listening unix stream socket,
//! a fixed set of connection slots, non-blocking reads and writes, the
//! 10 s idle deadline, and the dispatch of validated requests (`http::`)
//! to services, jobs, events and metrics.

use crate::http::job;
use crate::http::json::Json;
use crate::http::request::{self, Action, Parsed, Route};
use crate::http::response::{self, Head, Stream};
use crate::http::{Error, REQUEST_BUF_MAX, Status};
use crate::jobs::{Phase as JobPhase, PutError};
use crate::name::Name;
use crate::path::Path;
use crate::state::{Event, State};
use crate::supervisor::{Supervisor, into_raw};
use crate::sys::{self, Args};
use crate::table::{NO_FD, Slot, Table};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

/// Connection slots; one more connection is answered 503 and closed.
pub const CONN_MAX: usize = 16;
/// A reply is built whole before it is sent (its Content-Length must be
/// right, and the table may change before a slow client has read it all):
/// room for the largest, `/metrics` or `/services` of a full table whose
/// names all need escaping at their worst. Pages of it that a connection
/// never fills are never touched.
pub const OUT_MAX: usize = {
    let services = crate::config::MAX_SERVICES * SERVICE_JSON_MAX + 2;
    let body = if crate::metrics::BODY_MAX > services { crate::metrics::BODY_MAX } else { services };
    body + crate::http::response::HEAD_ROOM
};
/// One service in `/services`: the name escaped at its worst (`\u00XX` for
/// each byte), the longest state name and numbers, and a comma.
const SERVICE_JSON_MAX: usize = 9 + 6 * crate::config::NAME_MAX + 11 + 8 + 8 + 10 + 11 + 11 + 10 + 20 + 2;
/// Refused connections (403, 503) linger this long, or until the client
/// closes, so that it reads the answer instead of a reset.
pub const LINGER_MS: u64 = 1000;
pub const LINGER_MAX: usize = 16;
/// A connection idle this long (mid-request: 408) is closed.
pub const IDLE_MS: u64 = 10_000;

pub struct Conn {
    pub fd: i32,
    inbuf: [u8; REQUEST_BUF_MAX],
    in_len: usize,
    out: [u8; OUT_MAX],
    out_len: usize,
    out_sent: usize,
    pub deadline: Option<u64>,
    close_after: bool,
    continued: bool,
    /// 0: not streaming events; 1: chunked; 2: until close (HTTP/1.0).
    events: u8,
    missed: u32,
}

impl Conn {
    const EMPTY: Conn = Conn {
        fd: NO_FD,
        inbuf: [0; REQUEST_BUF_MAX],
        in_len: 0,
        out: [0; OUT_MAX],
        out_len: 0,
        out_sent: 0,
        deadline: None,
        close_after: false,
        continued: false,
        events: 0,
        missed: 0,
    };

    fn pending(&self) -> bool {
        self.out_sent < self.out_len
    }

    fn stream(&self) -> Option<Stream> {
        match self.events {
            1 => Some(Stream::Chunked),
            2 => Some(Stream::UntilClose),
            _ => None,
        }
    }
}

pub struct Http {
    /// Refused connections, answered and shut for writing, whose request is
    /// read and dropped until the client closes or the deadline passes.
    pub linger: [(i32, u64); LINGER_MAX],
    pub listen: i32,
    /// Out of descriptors: the listener is not polled until then, or the
    /// loop would spin on a connection it cannot accept.
    pub paused_until: Option<u64>,
    pub path: Path,
    pub conns: [Conn; CONN_MAX],
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Http {
    pub const fn new() -> Http {
        Http { linger: [(NO_FD, 0); LINGER_MAX], listen: NO_FD, paused_until: None, path: Path::new(), conns: [const { Conn::EMPTY }; CONN_MAX] }
    }

    /// Lingering refused connections to poll: (index, fd).
    pub fn lingering(&self) -> impl Iterator<Item = (usize, i32)> + '_ {
        self.linger.iter().enumerate().filter(|(_, (fd, _))| *fd != NO_FD).map(|(i, &(fd, _))| (i, fd))
    }

    /// Descriptors to poll: (index or None for the listener, fd, events).
    pub fn poll_set(&self) -> impl Iterator<Item = (Option<usize>, i32, i16)> + '_ {
        let listen = (self.listen != NO_FD && self.paused_until.is_none()).then_some((None, self.listen, sys::POLLIN));
        listen.into_iter().chain(self.conns.iter().enumerate().filter(|(_, c)| c.fd != NO_FD).map(|(i, c)| {
            let ev = if c.pending() { sys::POLLOUT } else if c.close_after { 0 } else { sys::POLLIN };
            (Some(i), c.fd, ev)
        }))
    }
}

/// Bind the HTTP socket: `$NITRO_HTTP`, else `http.sock` beside the control
/// socket; mode 0600. Failure is reported, not fatal: supervision goes on.
pub fn open(sup: &mut Supervisor, args: &Args) {
    let path = match crate::path::http_socket(args, &sup.sock_path) {
        Ok(p) => p,
        Err(bad) => {
            let mut o = crate::out::Out::<160>::new();
            bad.describe(&mut o);
            return sup.say(&[o.bytes(), b": no HTTP endpoint"]);
        }
    };
    let Ok(addr) = SocketAddrUnix::new(path.as_cstr()) else { return sup.say(&[b"HTTP socket path unusable: ", path.as_bytes()]) };
    if let Ok(check) = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None) {
        match rustix::net::connect(&check, &addr) {
            Ok(()) => return sup.say(&[b"HTTP socket in use: ", path.as_bytes()]),
            Err(Errno::CONNREFUSED) => {
                let _ = rustix::fs::unlinkat(rustix::fs::CWD, path.as_cstr(), rustix::fs::AtFlags::empty());
            }
            Err(_) => {}
        }
    }
    let sock = match rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK, None) {
        Ok(s) => s,
        Err(e) => return sup.say_errno(&[b"HTTP socket"], e),
    };
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let r = rustix::net::bind(&sock, &addr).and_then(|()| rustix::net::listen(&sock, CONN_MAX as i32));
    rustix::process::umask(old);
    if let Err(e) = r {
        return sup.say_errno(&[b"could not bind HTTP socket ", path.as_bytes()], e);
    }
    sup.http.listen = into_raw(sock);
    sup.http.path = path;
}

pub fn close(sup: &mut Supervisor) {
    if sup.http.listen != NO_FD {
        drop(sys::own(sup.http.listen));
        sup.http.listen = NO_FD;
        let _ = rustix::fs::unlinkat(rustix::fs::CWD, sup.http.path.as_cstr(), rustix::fs::AtFlags::empty());
    }
    for c in 0..CONN_MAX {
        drop_conn(sup, c);
    }
    for i in 0..LINGER_MAX {
        linger(sup.http, i, true);
    }
}

fn drop_conn(sup: &mut Supervisor, c: usize) {
    drop_conn_in(&mut sup.http, c)
}

fn drop_conn_in(http: &mut Http, c: usize) {
    let conn = &mut http.conns[c];
    if conn.fd != NO_FD {
        drop(sys::own(conn.fd));
    }
    conn.fd = NO_FD;
    conn.in_len = 0;
    conn.out_len = 0;
    conn.out_sent = 0;
    conn.deadline = None;
    conn.close_after = false;
    conn.continued = false;
    conn.events = 0;
    conn.missed = 0;
}

/// Answer a connection we will not keep (no slot, foreign user): one
/// non-blocking write and a shutdown for writing, then let it linger until
/// the client has sent its request and closed (closing at once, with the
/// request unread, would reset the connection before the answer is read).
fn refuse(http: &mut Http, fd: rustix::fd::OwnedFd, e: &Error, now: u64) {
    let mut buf = [0u8; 512];
    if let Ok(n) = response::error(&mut buf, e) {
        let _ = rustix::net::send(&fd, &buf[..n], rustix::net::SendFlags::DONTWAIT | rustix::net::SendFlags::NOSIGNAL);
    }
    let _ = rustix::net::shutdown(&fd, rustix::net::Shutdown::Write);
    if let Some(slot) = http.linger.iter_mut().find(|(f, _)| *f == NO_FD) {
        *slot = (into_raw(fd), now + LINGER_MS);
    }
}

/// A lingering connection is readable: drop what it sent; close it at
/// end-of-file, on error, or when `expired`.
pub fn linger(http: &mut Http, i: usize, expired: bool) {
    let Some(&(fd, _)) = http.linger.get(i) else { return };
    if fd == NO_FD {
        return;
    }
    let mut buf = [0u8; 512];
    let done = expired
        || loop {
            match rustix::io::read(sys::fd(fd), &mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(Errno::AGAIN) => break false,
                Err(Errno::INTR) => continue,
                Err(_) => break true,
            }
        };
    if done {
        drop(sys::own(fd));
        http.linger[i] = (NO_FD, 0);
    }
}

pub fn accept(sup: &mut Supervisor, now: u64) {
    for _ in 0..CONN_MAX {
        let fd = match rustix::net::accept_with(sys::fd(sup.http.listen), SocketFlags::CLOEXEC | SocketFlags::NONBLOCK) {
            Ok(fd) => fd,
            Err(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM) => {
                sup.http.paused_until = Some(now + 1000);
                return;
            }
            Err(_) => return,
        };
        // Only root and our own user get in (the socket's mode says the
        // same; this holds even if someone loosens it).
        let me = rustix::process::geteuid();
        match rustix::net::sockopt::socket_peercred(&fd) {
            Ok(cred) if cred.uid.is_root() || cred.uid == me => {}
            _ => {
                refuse(&mut sup.http, fd, &Error::new(Status::Forbidden, "forbidden"), now);
                continue;
            }
        }
        let Some(c) = sup.http.conns.iter().position(|c| c.fd == NO_FD) else {
            refuse(&mut sup.http, fd, &Error::new(Status::ServiceUnavailable, "too many connections"), now);
            continue;
        };
        let conn = &mut sup.http.conns[c];
        conn.fd = into_raw(fd);
        conn.deadline = Some(now + IDLE_MS);
    }
}

pub fn readable(sup: &mut Supervisor, c: usize, now: u64) {
    let conn = &mut sup.http.conns[c];
    if conn.fd == NO_FD {
        return;
    }
    let room = &mut conn.inbuf[conn.in_len..];
    if room.is_empty() {
        // The parser has already answered a request this large.
        return;
    }
    match rustix::io::read(sys::fd(conn.fd), room) {
        Ok(0) => return drop_conn(sup, c),
        Ok(n) => {
            conn.in_len += n;
            if conn.events == 0 {
                conn.deadline = Some(now + IDLE_MS);
            }
        }
        Err(Errno::AGAIN) | Err(Errno::INTR) => return,
        Err(_) => return drop_conn(sup, c),
    }
    if sup.http.conns[c].events != 0 {
        // An event stream takes no more requests; what the client sends
        // is ignored.
        sup.http.conns[c].in_len = 0;
        return;
    }
    process(sup, c, now);
    writable(sup, c);
}

/// Send what the socket takes now. Ok(true): everything went out.
fn send_out(conn: &mut Conn) -> Result<bool, Errno> {
    while conn.pending() {
        match rustix::net::send(sys::fd(conn.fd), &conn.out[conn.out_sent..conn.out_len], rustix::net::SendFlags::DONTWAIT | rustix::net::SendFlags::NOSIGNAL) {
            Ok(n) => conn.out_sent += n,
            Err(Errno::AGAIN) => return Ok(false),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    conn.out_sent = 0;
    conn.out_len = 0;
    Ok(true)
}

pub fn writable(sup: &mut Supervisor, c: usize) {
    let conn = &mut sup.http.conns[c];
    if conn.fd == NO_FD {
        return;
    }
    match send_out(conn) {
        Ok(true) => {}
        Ok(false) => return,
        Err(_) => return drop_conn_in(&mut sup.http, c),
    }
    let conn = &mut sup.http.conns[c];
    if conn.close_after {
        return drop_conn(sup, c);
    }
    if conn.events == 0 && conn.in_len > 0 {
        // A pipelined request waited for this reply to go out.
        let now = Supervisor::now();
        process(sup, c, now);
        if sup.http.conns[c].pending() {
            writable(sup, c);
        }
    }
}

pub fn timeout(sup: &mut Supervisor, c: usize) {
    let conn = &mut sup.http.conns[c];
    conn.deadline = None;
    if conn.in_len > 0 && !conn.pending() {
        let e = Error::new(Status::RequestTimeout, "request timeout");
        if let Ok(n) = response::error(&mut conn.out, &e) {
            conn.out_len = n;
            conn.out_sent = 0;
            conn.close_after = true;
            return writable(sup, c);
        }
    }
    drop_conn(sup, c);
}

/// A request with its names copied out of the connection buffer.
#[derive(Clone, Copy)]
enum Want {
    Jobs,
    GetJob(Name),
    PutJob(Name, Result<(), Error>),
    DeleteJob(Name),
    SignalJob(Name, u8),
    Services,
    GetService(Name),
    ServiceAction(Name, Action),
    SignalService(Name, u8),
    Rescan,
    Shutdown,
    Reboot,
    Events,
    Metrics,
}

fn name(n: &[u8]) -> Name {
    // Routing already checked the service-name rules (63 bytes at most).
    Name::new(n).unwrap_or(Name::EMPTY)
}

/// Serve the complete requests in the buffer, one reply at a time.
fn process(sup: &mut Supervisor, c: usize, now: u64) {
    loop {
        let conn = &mut sup.http.conns[c];
        if conn.fd == NO_FD || conn.pending() || conn.close_after || conn.events != 0 || conn.in_len == 0 {
            return;
        }
        let parsed = request::parse(&conn.inbuf[..conn.in_len]);
        let (want, head, used) = match parsed {
            Ok(Parsed::Partial) => return,
            Ok(Parsed::Body { expect_continue, .. }) => {
                if expect_continue && !conn.continued {
                    conn.continued = true;
                    let n = response::CONTINUE.len();
                    conn.out[..n].copy_from_slice(response::CONTINUE);
                    conn.out_len = n;
                }
                return;
            }
            Err(e) => {
                if let Ok(n) = response::error(&mut conn.out, &e) {
                    conn.out_len = n;
                }
                conn.close_after = true;
                conn.in_len = 0;
                return;
            }
            Ok(Parsed::Complete(req)) => {
                let want = match req.route {
                    Route::Jobs => Want::Jobs,
                    Route::GetJob(n) => Want::GetJob(name(n)),
                    Route::PutJob(n) => Want::PutJob(name(n), sup.jobs.scratch.parse_into(req.body)),
                    Route::DeleteJob(n) => Want::DeleteJob(name(n)),
                    Route::SignalJob(n, s) => Want::SignalJob(name(n), s),
                    Route::Services => Want::Services,
                    Route::GetService(n) => Want::GetService(name(n)),
                    Route::ServiceAction(n, a) => Want::ServiceAction(name(n), a),
                    Route::SignalService(n, s) => Want::SignalService(name(n), s),
                    Route::Rescan => Want::Rescan,
                    Route::Shutdown => Want::Shutdown,
                    Route::Reboot => Want::Reboot,
                    Route::Events => Want::Events,
                    Route::Metrics => Want::Metrics,
                };
                (want, Head { status: Status::Ok, version: req.version, keep_alive: req.keep_alive }, req.len)
            }
        };
        // Drop the request from the buffer; keep what follows.
        let conn = &mut sup.http.conns[c];
        conn.inbuf.copy_within(used..conn.in_len, 0);
        conn.in_len -= used;
        conn.continued = false;
        conn.deadline = Some(now + IDLE_MS);
        if !head.keep_alive {
            conn.close_after = true;
        }
        serve(sup, c, want, head, now);
    }
}

fn reply_error(sup: &mut Supervisor, c: usize, e: Error) {
    let conn = &mut sup.http.conns[c];
    match response::error(&mut conn.out, &e) {
        Ok(n) => conn.out_len = n,
        Err(_) => conn.out_len = 0,
    }
    conn.close_after = true;
}

fn reply_status(sup: &mut Supervisor, c: usize, head: Head) {
    let conn = &mut sup.http.conns[c];
    if let Ok(n) = response::json(&mut conn.out, head, |j| {
        j.begin_object()?;
        j.field_str(b"status", b"ok")?;
        j.end_object()
    }) {
        conn.out_len = n;
    }
}

fn service_json(j: &mut Json, t: &Table, s: Slot, now: u64) -> Result<(), crate::http::Full> {
    let sv = t.get(s);
    j.begin_object()?;
    j.field_str(b"name", sv.name.as_bytes())?;
    j.field_str(b"state", sv.m.state.name().as_bytes())?;
    j.field_u64(b"pid", sv.pid.max(0) as u64)?;
    j.key(b"wstatus")?;
    j.i64(sv.m.wstatus as i64)?;
    j.field_u64(b"uptime", now.saturating_sub(sv.m.since) / 1000)?;
    j.end_object()
}

fn job_json(j: &mut Json, slot: &crate::jobs::Slot) -> Result<(), crate::http::Full> {
    job::write_status(j, slot.name.as_bytes(), slot.state(), slot.task.min(slot.job.len().saturating_sub(1)), slot.pid.max(0) as u32, slot.exits())
}

fn serve(sup: &mut Supervisor, c: usize, want: Want, head: Head, now: u64) {
    let not_found = Error::new(Status::NotFound, "not found");
    match want {
        Want::Services => {
            let t = &*sup.t;
            let conn = &mut sup.http.conns[c];
            match response::json(&mut conn.out, head, |j| {
                j.begin_array()?;
                for s in t.slots() {
                    service_json(j, t, s, now)?;
                }
                j.end_array()
            }) {
                Ok(n) => conn.out_len = n,
                Err(_) => reply_error(sup, c, Error::new(Status::InternalServerError, "reply too large")),
            }
        }
        Want::GetService(n) => {
            let Some(s) = sup.t.find(n.as_bytes()) else { return reply_error(sup, c, not_found) };
            let t = &*sup.t;
            let conn = &mut sup.http.conns[c];
            if let Ok(len) = response::json(&mut conn.out, head, |j| service_json(j, t, s, now)) {
                conn.out_len = len;
            }
        }
        Want::ServiceAction(n, a) => {
            let (create, ev) = match a {
                Action::Up => (true, Event::WantUp),
                Action::Restart => (true, Event::WantRestart),
                Action::Down => (false, Event::WantDown),
                Action::Ready => (false, Event::Ready),
            };
            let s = crate::control::lookup(sup, n.as_bytes(), create);
            let Some(s) = s else { return reply_error(sup, c, not_found) };
            sup.t.get_mut(s).seen = true;
            if ev == Event::Ready {
                sup.close_ready(s);
            }
            sup.drive(s, ev, now);
            // The resulting state is announced, as for the control socket.
            let state = if sup.t.get(s).used() && sup.t.get(s).name == n { sup.t.get(s).m.state } else { State::Down };
            sup.notify_name(n.as_bytes(), state as u8);
            if !sup.t.get(s).used() {
                return reply_status(sup, c, head);
            }
            let t = &*sup.t;
            let conn = &mut sup.http.conns[c];
            if let Ok(len) = response::json(&mut conn.out, head, |j| service_json(j, t, s, now)) {
                conn.out_len = len;
            }
        }
        Want::SignalService(n, sig) => {
            let pid = sup.t.find(n.as_bytes()).map_or(0, |s| sup.t.get(s).pid);
            if pid <= 0 {
                return reply_error(sup, c, Error::new(Status::NotFound, "no such running service"));
            }
            match sys::kill(pid, sig as u32) {
                Ok(()) => reply_status(sup, c, head),
                Err(_) => reply_error(sup, c, Error::new(Status::NotFound, "no such running service")),
            }
        }
        Want::Rescan => {
            sup.want_rescan = true;
            reply_status(sup, c, Head { status: Status::Accepted, ..head });
        }
        Want::Shutdown => {
            sup.want_shutdown = true;
            reply_status(sup, c, Head { status: Status::Accepted, ..head });
        }
        Want::Reboot => {
            sup.want_reboot = true;
            reply_status(sup, c, Head { status: Status::Accepted, ..head });
        }
        Want::Jobs => {
            let jobs = &*sup.jobs;
            let conn = &mut sup.http.conns[c];
            if let Ok(n) = response::json(&mut conn.out, head, |j| {
                j.begin_array()?;
                for slot in jobs.slots.iter().filter(|s| s.phase != JobPhase::Free) {
                    job_json(j, slot)?;
                }
                j.end_array()
            }) {
                conn.out_len = n;
            }
        }
        Want::GetJob(n) => {
            let Some(i) = sup.jobs.find(n.as_bytes()) else { return reply_error(sup, c, not_found) };
            write_job(sup, c, i, head);
        }
        Want::PutJob(n, parsed) => {
            if let Err(e) = parsed {
                return reply_error(sup, c, e);
            }
            match sup.job_put(n) {
                Ok((i, replaced)) => {
                    let status = if replaced { Status::Ok } else { Status::Created };
                    write_job(sup, c, i, Head { status, ..head });
                }
                Err(PutError::Full) => reply_error(sup, c, Error::new(Status::ServiceUnavailable, "job table full")),
                Err(PutError::Conflict(why)) => reply_error(sup, c, Error::new(Status::Conflict, why)),
            }
        }
        Want::DeleteJob(n) => {
            let Some(i) = sup.jobs.find(n.as_bytes()) else { return reply_error(sup, c, not_found) };
            let down = sup.job_stop(i, true, now);
            let status = if down { Status::Ok } else { Status::Accepted };
            if down {
                // Gone already: answer with what it was.
                let conn = &mut sup.http.conns[c];
                if let Ok(len) = response::json(&mut conn.out, Head { status, ..head }, |j| {
                    j.begin_object()?;
                    j.field_str(b"name", n.as_bytes())?;
                    j.field_str(b"state", b"removed")?;
                    j.end_object()
                }) {
                    conn.out_len = len;
                }
            } else {
                write_job(sup, c, i, Head { status, ..head });
            }
        }
        Want::SignalJob(n, sig) => {
            let Some(i) = sup.jobs.find(n.as_bytes()) else { return reply_error(sup, c, not_found) };
            let pid = sup.jobs.slots[i].pid;
            if pid <= 0 || sys::kill(pid, sig as u32).is_err() {
                return reply_error(sup, c, Error::new(Status::Conflict, "job not running"));
            }
            write_job(sup, c, i, head);
        }
        Want::Metrics => {
            let conn = &mut sup.http.conns[c];
            let t = &*sup.t;
            let (reaps, sv_reaps) = (sup.total_reaps, sup.total_sv_reaps);
            match response::metrics(&mut conn.out, head, |w| crate::metrics::write(w, t, reaps, sv_reaps, now)) {
                Ok(n) => conn.out_len = n,
                Err(_) => reply_error(sup, c, Error::new(Status::InternalServerError, "reply too large")),
            }
        }
        Want::Events => {
            let conn = &mut sup.http.conns[c];
            match response::stream_head(&mut conn.out, head, response::CONTENT_NDJSON) {
                Ok((n, stream)) => {
                    conn.out_len = n;
                    conn.events = match stream {
                        Stream::Chunked => 1,
                        Stream::UntilClose => 2,
                    };
                    conn.deadline = None;
                    conn.close_after = false;
                }
                Err(_) => reply_error(sup, c, Error::new(Status::InternalServerError, "reply too large")),
            }
        }
    }
}

fn write_job(sup: &mut Supervisor, c: usize, i: usize, head: Head) {
    let slot = &sup.jobs.slots[i];
    let conn = &mut sup.http.conns[c];
    if let Ok(n) = response::json(&mut conn.out, head, |j| job_json(j, slot)) {
        conn.out_len = n;
    }
}

/// Hand state changes to every `GET /events` stream, one JSON object per
/// line. A stream whose client does not keep up is told how many changes
/// it missed, in a line `{"missed":N}`, once it has room again.
pub fn broadcast(http: &mut Http, changes: &[(Name, u8)]) {
    for c in 0..CONN_MAX {
        let conn = &mut http.conns[c];
        let Some(stream) = conn.stream() else { continue };
        if conn.fd == NO_FD {
            continue;
        }
        // Move what is still unsent to the front: the room left is then
        // what the client really has not read yet.
        if conn.out_sent > 0 {
            conn.out.copy_within(conn.out_sent..conn.out_len, 0);
            conn.out_len -= conn.out_sent;
            conn.out_sent = 0;
        }
        for &(name, state) in changes {
            let missed = conn.missed;
            let out = &mut conn.out[conn.out_len..];
            let r = stream.piece(out, |w| {
                let mut j = Json::new(w);
                if missed > 0 {
                    j.begin_object()?;
                    j.field_u64(b"missed", missed as u64)?;
                    j.end_object()?;
                    j.finish()?;
                    w.push(b"\n")?;
                    j = Json::new(w);
                }
                j.begin_object()?;
                j.field_str(b"service", name.as_bytes())?;
                j.field_str(b"state", State::name_of(state).as_bytes())?;
                j.end_object()?;
                j.finish()?;
                w.push(b"\n")?;
                Ok(())
            });
            match r {
                Ok(n) => {
                    conn.out_len += n;
                    conn.missed = 0;
                }
                Err(_) => conn.missed = conn.missed.saturating_add(1),
            }
        }
        if send_out(conn).is_err() {
            drop_conn_in(http, c);
        }
    }
}


//! The HTTP endpoint, a codec around the core's command executor: a
//! listening unix stream socket, a fixed set of connection slots, and
//! non-blocking reads and writes inside the one event loop. A request is
//! parsed (`http::request`) into a route, the route into a `Command` for
//! `Core::execute` (or a read of the core's views), and the outcome into a
//! reply (`http::response`). `GET /events` streams read the core's queue of
//! changes, each at its own position.

use crate::http::t;
use crate::core::{Change, ChangeKind, Core, Outcome, Read, ServiceView, Verb};
use crate::http::json::Json;
use crate::http::request::{self, Parsed, Route};
use crate::http::response::{self, Head, Stream};
use crate::http::{Error, Full, REQUEST_BUF_MAX, Status};
use crate::name::Name;
use crate::path::Path;
use crate::sys::{self, Args};
use crate::state::{Deadline, NEVER, due, nearer};
use crate::table::NO_FD;
use rustix::io::Errno;
use rustix::net::{SendFlags, SocketFlags, SocketType};

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

/// One connection's state; its two large buffers are apart (`Buffers`),
/// their pages touched only once a connection uses them: the loop looks at
/// every connection's state on every pass. All zero is a free slot.
pub struct Conn {
    fd: i32,
    in_len: usize,
    out_len: usize,
    out_sent: usize,
    deadline: Deadline,
    close_after: bool,
    continued: bool,
    /// An event stream (`GET /events`): 0 no, 1 chunked, 2 until close
    /// (a number, not an Option: an all-zero Conn stays in .bss); and its
    /// position in the queue.
    streaming: u8,
    seq: u64,
    /// Which events the stream wants: 0 all, 1 jobs', 2 job `job`'s.
    only: u8,
    job: Name,
}

/// A connection's buffers.
struct Buffers {
    inbuf: [u8; REQUEST_BUF_MAX],
    out: [u8; OUT_MAX],
}

impl Conn {
    const FREE: Conn = Conn {
        fd: NO_FD,
        in_len: 0,
        out_len: 0,
        out_sent: 0,
        deadline: NEVER,
        close_after: false,
        continued: false,
        streaming: 0,
        seq: 0,
        only: 0,
        job: Name::EMPTY,
    };

    fn pending(&self) -> bool {
        self.out_sent < self.out_len
    }

    fn stream(&self) -> Option<Stream> {
        match self.streaming {
            1 => Some(Stream::Chunked),
            2 => Some(Stream::UntilClose),
            _ => None,
        }
    }

    /// Forget the connection: close it, empty its buffers.
    fn drop_it(&mut self) {
        if self.fd != NO_FD {
            drop(sys::own(self.fd));
        }
        self.fd = NO_FD;
        self.in_len = 0;
        self.out_len = 0;
        self.out_sent = 0;
        self.deadline = NEVER;
        self.close_after = false;
        self.continued = false;
        self.streaming = 0;
    }

    /// Send what the socket takes now of `out`, the connection's reply.
    /// Ok(true): everything went out.
    fn send_out(&mut self, out: &[u8]) -> Result<bool, Errno> {
        while self.pending() {
            // (Always there: the reply was written into `out`.)
            let Some(rest) = out.get(self.out_sent..self.out_len) else { break };
            match rustix::net::send(sys::fd(self.fd), rest, SendFlags::DONTWAIT | SendFlags::NOSIGNAL) {
                Ok(n) => self.out_sent += n,
                Err(Errno::AGAIN) => return Ok(false),
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        self.out_sent = 0;
        self.out_len = 0;
        Ok(true)
    }

    /// The reply (into `out`) is an error: it closes the connection.
    fn error(&mut self, out: &mut [u8], e: &Error) {
        self.out_len = response::error(out, e).unwrap_or(0);
        self.close_after = true;
    }

    /// The reply written, or a 500 when it did not fit.
    fn finish(&mut self, r: Result<usize, Full>, out: &mut [u8]) {
        match r {
            Ok(n) => self.out_len = n,
            Err(_) => self.error(out, &Error::new(Status::InternalServerError, t!("reply too large"))),
        }
    }
}

/// The HTTP front-end's state, zero-initialised (.bss): in a static, not
/// in the `Http` that the loop's frame holds, where building it took
/// pages of stack.
pub struct HttpStorage {
    conns: [Conn; CONN_MAX],
    buffers: [Buffers; CONN_MAX],
    linger: [(i32, u64); LINGER_MAX],
    path: Path,
}

impl Default for HttpStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpStorage {
    pub const fn new() -> HttpStorage {
        HttpStorage {
            conns: [Conn::FREE; CONN_MAX],
            buffers: [const { Buffers { inbuf: [0; REQUEST_BUF_MAX], out: [0; OUT_MAX] } }; CONN_MAX],
            linger: [(NO_FD, 0); LINGER_MAX],
            path: Path::new(),
        }
    }
}

pub struct Http {
    /// Refused connections, answered and shut for writing, whose request is
    /// read and dropped until the client closes or the deadline passes.
    linger: &'static mut [(i32, u64); LINGER_MAX],
    listen: i32,
    /// Out of descriptors: the listener is not polled until then, or the
    /// loop would spin on a connection it cannot accept.
    paused_until: Deadline,
    path: &'static mut Path,
    conns: &'static mut [Conn; CONN_MAX],
    bufs: &'static mut [Buffers; CONN_MAX],
}

/// What to poll: the listener, a connection, a lingering refusal (by
/// index: a byte keeps the poll set's records small).
#[derive(Clone, Copy)]
pub enum Source {
    Listen,
    Conn(u8),
    Linger(u8),
}

impl Http {
    /// Bind the HTTP socket: `$NITRO_HTTP`, else `http.sock` beside the
    /// control socket; mode 0600. Failure is reported, not fatal:
    /// supervision goes on without the endpoint.
    pub fn open(core: &Core, args: &Args, ctl: &Path, storage: &'static mut HttpStorage) -> Http {
        let HttpStorage { conns, buffers: bufs, linger, path } = storage;
        let mut http = Http { linger, listen: NO_FD, paused_until: NEVER, path, conns, bufs };
        if let Err(bad) = crate::path::http_socket(args, ctl, http.path) {
            let mut o = crate::out::Out::<160>::new();
            bad.describe(&mut o);
            core.say_parts(&[o.bytes(), b": no HTTP endpoint"]);
            return http;
        }
        let path = &http.path;
        let sock = match sys::unix_socket(path.as_cstr(), SocketType::STREAM, CONN_MAX as i32) {
            Ok(s) => s,
            Err(Errno::ISCONN | Errno::PROTOTYPE) => {
                core.say_parts(&[b"HTTP socket in use: ", path.as_bytes()]);
                return http;
            }
            Err(e) => {
                core.say_errno_parts(&[b"could not bind HTTP socket ", path.as_bytes()], e);
                return http;
            }
        };
        http.listen = crate::core::into_raw(sock);
        http
    }

    pub fn close(&mut self) {
        if self.listen != NO_FD {
            drop(sys::own(self.listen));
            self.listen = NO_FD;
            let _ = rustix::fs::unlinkat(rustix::fs::CWD, self.path.as_cstr(), rustix::fs::AtFlags::empty());
        }
        for c in self.conns.iter_mut() {
            c.drop_it();
        }
        for i in 0..LINGER_MAX {
            self.linger(i, true);
        }
    }

    /// Descriptors to poll, with the events wanted, handed to `add`.
    // (Every pass of the loop runs it: always inlined there, never out of
    // line among the endpoint's code that build.rs sets apart as cold.)
    #[inline(always)]
    pub fn poll_set(&self, mut add: impl FnMut(Source, i32, i16)) {
        if self.listen != NO_FD && self.paused_until == NEVER {
            add(Source::Listen, self.listen, sys::POLLIN);
        }
        for (i, c) in self.conns.iter().enumerate() {
            if c.fd != NO_FD {
                let ev = if c.pending() { sys::POLLOUT } else if c.close_after { 0 } else { sys::POLLIN };
                add(Source::Conn(i as u8), c.fd, ev);
            }
        }
        for (i, &(fd, _)) in self.linger.iter().enumerate() {
            if fd != NO_FD {
                add(Source::Linger(i as u8), fd, sys::POLLIN);
            }
        }
    }

    /// Fire the endpoint's due deadlines; the time of the next one.
    // (Every pass of the loop runs it: always inlined there, never out of
    // line among the endpoint's code that build.rs sets apart as cold.)
    #[inline(always)]
    pub fn timers(&mut self, now: u64) -> Deadline {
        if due(self.paused_until, now) {
            self.paused_until = NEVER;
        }
        let mut next = self.paused_until;
        for i in 0..LINGER_MAX {
            let (fd, deadline) = self.linger[i];
            if fd != NO_FD {
                if deadline <= now {
                    self.linger(i, true);
                } else {
                    next = nearer(next, deadline);
                }
            }
        }
        for c in 0..CONN_MAX {
            if due(self.conns[c].deadline, now) {
                self.timeout(c);
            }
            next = nearer(next, self.conns[c].deadline);
        }
        next
    }

    /// Something happened on a descriptor of ours.
    // (Out of line on x86_64: smaller there.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn ready(&mut self, core: &mut Core, src: Source, revents: i16, now: u64) {
        match src {
            Source::Listen => self.accept(now),
            Source::Linger(i) => self.linger(i as usize, false),
            Source::Conn(c) => {
                let c = c as usize;
                if revents & sys::POLLOUT != 0 {
                    self.writable(core, c);
                }
                if revents & (sys::POLLIN | sys::POLLHUP | sys::POLLERR) != 0 {
                    self.readable(core, c, now);
                }
            }
        }
    }

    /// Answer a connection we will not keep (no slot, foreign user): one
    /// non-blocking write and a shutdown for writing, then let it linger
    /// until the client has sent its request and closed (closing at once,
    /// with the request unread, would reset the connection before the
    /// answer is read).
    fn refuse(&mut self, fd: rustix::fd::OwnedFd, e: &Error, now: u64) {
        let mut buf = [0u8; 512];
        if let Ok(n) = response::error(&mut buf, e) {
            let _ = rustix::net::send(&fd, &buf[..n], SendFlags::DONTWAIT | SendFlags::NOSIGNAL);
        }
        let _ = rustix::net::shutdown(&fd, rustix::net::Shutdown::Write);
        if let Some(slot) = self.linger.iter_mut().find(|(f, _)| *f == NO_FD) {
            *slot = (crate::core::into_raw(fd), now + LINGER_MS);
        }
    }

    /// A lingering connection is readable: drop what it sent; close it at
    /// end-of-file, on error, or when `expired`.
    fn linger(&mut self, i: usize, expired: bool) {
        let Some(&(fd, _)) = self.linger.get(i) else { return };
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
            self.linger[i] = (NO_FD, 0);
        }
    }

    fn accept(&mut self, now: u64) {
        for _ in 0..CONN_MAX {
            let fd = match rustix::net::accept_with(sys::fd(self.listen), SocketFlags::CLOEXEC | SocketFlags::NONBLOCK) {
                Ok(fd) => fd,
                Err(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM) => {
                    self.paused_until = now + 1000;
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
                    self.refuse(fd, &Error::new(Status::Forbidden, t!("forbidden")), now);
                    continue;
                }
            }
            let Some(conn) = self.conns.iter_mut().find(|c| c.fd == NO_FD) else {
                self.refuse(fd, &Error::new(Status::ServiceUnavailable, t!("too many connections")), now);
                continue;
            };
            conn.fd = crate::core::into_raw(fd);
            conn.deadline = now + IDLE_MS;
        }
    }

    /// Connection `c` and its buffers. (`c` is below CONN_MAX, a power of
    /// two: the mask says so to the compiler, with no bounds check.)
    fn slot(&mut self, c: usize) -> (&mut Conn, &mut Buffers) {
        const { assert!(CONN_MAX.is_power_of_two()) };
        let c = c % CONN_MAX;
        (&mut self.conns[c], &mut self.bufs[c])
    }

    fn readable(&mut self, core: &mut Core, c: usize, now: u64) {
        let (conn, b) = self.slot(c);
        if conn.fd == NO_FD {
            return;
        }
        let room = &mut b.inbuf[conn.in_len..];
        if room.is_empty() {
            // The parser has already answered a request this large.
            return;
        }
        match rustix::io::read(sys::fd(conn.fd), room) {
            Ok(0) => return conn.drop_it(),
            Ok(n) => {
                conn.in_len += n;
                if conn.stream().is_none() {
                    conn.deadline = now + IDLE_MS;
                }
            }
            Err(Errno::AGAIN) | Err(Errno::INTR) => return,
            Err(_) => return conn.drop_it(),
        }
        if conn.stream().is_some() {
            // An event stream takes no more requests; what the client sends
            // is ignored.
            conn.in_len = 0;
            return;
        }
        process(core, conn, b, now);
        self.writable(core, c);
    }

    fn writable(&mut self, core: &mut Core, c: usize) {
        let (conn, b) = self.slot(c);
        if conn.fd == NO_FD {
            return;
        }
        match conn.send_out(&b.out[..]) {
            Ok(true) => {}
            Ok(false) => return,
            Err(_) => return conn.drop_it(),
        }
        if conn.close_after {
            return conn.drop_it();
        }
        if conn.stream().is_some() {
            // Room again: the stream reads on in the queue.
            return stream(core, conn, b);
        }
        if conn.in_len > 0 {
            // A pipelined request waited for this reply to go out.
            process(core, conn, b, crate::core::now());
            if conn.pending() {
                self.writable(core, c);
            }
        }
    }

    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    fn timeout(&mut self, c: usize) {
        let (conn, b) = self.slot(c);
        conn.deadline = NEVER;
        if conn.in_len > 0 && !conn.pending() {
            conn.error(&mut b.out[..], &Error::new(Status::RequestTimeout, t!("request timeout")));
            conn.out_sent = 0;
            if conn.out_len > 0 {
                if conn.send_out(&b.out[..]).is_err() || !conn.pending() {
                    conn.drop_it();
                }
                return;
            }
        }
        conn.drop_it();
    }

    /// The core's new changes to every event stream; the oldest change a
    /// stream still has to get (one pass for both).
    // (Every pass of the loop runs it: always inlined there, never out of
    // line among the endpoint's code that build.rs sets apart as cold.)
    #[inline(always)]
    pub fn deliver(&mut self, core: &Core) -> Option<u64> {
        let mut min = None;
        for (conn, b) in self.conns.iter_mut().zip(self.bufs.iter_mut()) {
            if conn.fd != NO_FD && conn.stream().is_some() {
                stream(core, conn, b);
                // (A stream the send closed has no position to keep.)
                if conn.fd != NO_FD {
                    min = Some(min.map_or(conn.seq, |m: u64| m.min(conn.seq)));
                }
            }
        }
        min
    }
}

/// Write the changes from the stream's position into its buffer, as many
/// as fit, one JSON object per line (after `{"missed":N}` when the queue
/// went on without it), and send what the socket takes.
fn stream(core: &Core, conn: &mut Conn, b: &mut Buffers) {
    let Some(framing) = conn.stream() else { return };
    // Move what is still unsent to the front: the room left is then what
    // the client really has not read yet.
    if conn.out_sent > 0 {
        b.out.copy_within(conn.out_sent..conn.out_len, 0);
        conn.out_len -= conn.out_sent;
        conn.out_sent = 0;
    }
    loop {
        let mut seq = conn.seq;
        let at = seq;
        let item = core.events().read(&mut seq);
        match &item {
            Read::End => break,
            Read::Event(ev) => {
                let job = ev.kind != ChangeKind::Service;
                if (conn.only == 1 && !job) || (conn.only == 2 && (!job || ev.name != conn.job)) {
                    conn.seq = seq;
                    continue;
                }
            }
            Read::Missed(_) => {}
        }
        // (One closure for both kinds of line: one for each made two
        // copies of the piece's code.)
        let written = framing.json_piece(&mut b.out[conn.out_len..], &mut |j| match &item {
            Read::Event(ev) => event_json(j, ev, at),
            Read::Missed(n) => {
                j.begin_object();
                j.field_u64(b"missed", *n);
                j.end_object();
            }
            Read::End => {}
        });
        match written {
            Ok(n) => {
                conn.out_len += n;
                conn.seq = seq;
            }
            // No room: the client reads slower than the changes come; the
            // rest waits in the queue.
            Err(_) => break,
        }
    }
    if conn.send_out(&b.out[..]).is_err() {
        conn.drop_it();
    }
}

/// `{"service":"web","state":"UP","seq":4}` or
/// `{"job":"build","event":"ended","task":0,"exit":"3","seq":9}`.
fn event_json(j: &mut Json, ev: &Change, seq: u64) {
    j.begin_object();
    let event: &[u8] = match ev.kind {
        ChangeKind::Service => {
            j.field_str(b"service", ev.name.as_bytes());
            j.field_str(b"state", ev.state.name());
            b""
        }
        ChangeKind::TaskStarted => b"started",
        ChangeKind::TaskEnded => b"ended",
        ChangeKind::JobDone => b"done",
        ChangeKind::JobStopped => b"stopped",
        ChangeKind::JobRemoved => b"removed",
    };
    if !event.is_empty() {
        j.field_str(b"job", ev.name.as_bytes());
        j.field_str(b"event", event);
        if matches!(ev.kind, ChangeKind::TaskStarted | ChangeKind::TaskEnded) {
            j.field_u64(b"task", ev.task as u64);
        }
        if ev.kind == ChangeKind::TaskStarted {
            j.field_u64(b"pid", ev.pid.max(0) as u64);
        }
        if ev.kind == ChangeKind::TaskEnded {
            let mut o = crate::out::Out::<16>::new();
            crate::core::exit_text(ev.status, &mut o);
            j.field_str(b"exit", o.bytes());
        }
    }
    j.field_u64(b"seq", seq);
    j.end_object();
}

fn name(n: &[u8]) -> Name {
    // Routing already checked the service-name rules (63 bytes at most).
    Name::new(n).unwrap_or(Name::EMPTY)
}

/// Serve the complete requests in the buffer, one reply at a time.
fn process(core: &mut Core, conn: &mut Conn, b: &mut Buffers, now: u64) {
    loop {
        if conn.fd == NO_FD || conn.pending() || conn.close_after || conn.stream().is_some() || conn.in_len == 0 {
            return;
        }
        let mut after = None;
        let used = match request::parse(&b.inbuf[..conn.in_len]) {
            Ok(Parsed::Partial) => return,
            Ok(Parsed::Body { expect_continue, .. }) => {
                if expect_continue && !conn.continued {
                    conn.continued = true;
                    let n = response::CONTINUE.len();
                    b.out[..n].copy_from_slice(response::CONTINUE);
                    conn.out_len = n;
                }
                return;
            }
            Err(e) => {
                conn.error(&mut b.out[..], &e);
                conn.in_len = 0;
                return;
            }
            Ok(Parsed::Complete(req)) => {
                let head = Head { status: Status::Ok, version: req.version, keep_alive: req.keep_alive };
                if !head.keep_alive {
                    conn.close_after = true;
                }
                serve(core, conn, &mut b.out, req.route, req.body, head, now);
                if let Route::Events(q) = req.route {
                    conn.only = if q.job.is_some() { 2 } else { u8::from(q.jobs) };
                    conn.job = name(q.job.unwrap_or_default());
                    after = q.after;
                }
                req.len
            }
        };
        // Drop the request from the buffer; keep what follows.
        b.inbuf.copy_within(used..conn.in_len, 0);
        conn.in_len -= used;
        conn.continued = false;
        conn.deadline = if conn.stream().is_some() { NEVER } else { now + IDLE_MS };
        if conn.stream().is_some() {
            conn.seq = core.events().start_after(after);
        }
    }
}

fn service_json(j: &mut Json, v: &ServiceView) {
    j.begin_object();
    j.field_str(b"name", v.name.as_bytes());
    j.field_str(b"state", v.state.name());
    j.field_u64(b"pid", v.pid as u64);
    j.key(b"wstatus");
    j.i64(v.wstatus as i64);
    j.field_u64(b"uptime", v.uptime as u64);
    j.end_object();
}

fn job_json(j: &mut Json, v: &crate::core::JobView) {
    crate::http::job::write_status(j, v.name(), v.state(), v.task(), v.pid(), v.exits(), v.seq())
}

/// One request: the route as a command (or a read of the core's views),
/// the outcome as the reply. The reply goes to `out` (its length to the
/// connection); an error reply closes the connection after it; `GET
/// /events` makes the connection a stream.
// (Out of line on x86_64: smaller there, larger on aarch64.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn serve(core: &mut Core, conn: &mut Conn, out: &mut [u8; OUT_MAX], route: Route, body: &[u8], head: Head, now: u64) {
    let cmd = match route {
        Route::Core(cmd) => {
            if cmd.verb == Verb::PutJob
                && let Err(e) = core.job_scratch().parse_into(body)
            {
                return conn.error(out, &e);
            }
            Some(cmd)
        }
        // (No command: the table as it is.)
        Route::Jobs => None,
        Route::Metrics => {
            let r = response::metrics(out, head, &mut |w| crate::metrics::write(w, core, now));
            return conn.finish(r, out);
        }
        Route::Events(_) => {
            match response::stream_head(out, head, response::CONTENT_NDJSON) {
                Ok((n, s)) => {
                    conn.out_len = n;
                    conn.streaming = if s == Stream::Chunked { 1 } else { 2 };
                    conn.close_after = false;
                }
                Err(_) => conn.finish(Err(Full), out),
            }
            return;
        }
    };
    let (verb, job_name) = cmd.map_or((None, &[][..]), |c| (Some(c.verb), c.name));
    let signal = verb == Some(Verb::Signal);
    let not_found = Error::not_found();
    let reply = match cmd.map(|c| core.execute(c)) {
        None => Ok((Status::Ok, Body::Jobs)),
        Some(Outcome::Service(v)) => Ok((Status::Ok, Body::Service(v))),
        Some(Outcome::List) => Ok((Status::Ok, Body::Services)),
        Some(Outcome::Done) if signal => Ok((Status::Ok, Body::Ok)),
        Some(Outcome::Done | Outcome::Info(_)) => Ok((Status::Accepted, Body::Ok)),
        Some(Outcome::Removed) if verb == Some(Verb::DeleteJob) => Ok((Status::Ok, Body::Removed)),
        Some(Outcome::Removed) => Ok((Status::Ok, Body::Ok)),
        Some(Outcome::Job { created }) if created && verb == Some(Verb::PutJob) => job_reply(core, job_name, Status::Created),
        Some(Outcome::Job { .. }) => job_reply(core, job_name, Status::Ok),
        Some(Outcome::JobStopping) => job_reply(core, job_name, Status::Accepted),
        Some(Outcome::JobRefused(crate::core::PutError::BadName)) => Err(Error::bad(t!("bad name"))),
        Some(Outcome::JobRefused(crate::core::PutError::Full)) => Err(Error::new(Status::ServiceUnavailable, t!("job table full"))),
        Some(Outcome::JobRefused(crate::core::PutError::NameTaken)) => Err(Error::new(Status::Conflict, t!("name taken by a service"))),
        Some(Outcome::JobRefused(crate::core::PutError::StillRunning)) => Err(Error::new(Status::Conflict, t!("job still running"))),
        Some(Outcome::JobNotRunning) => Err(Error::new(Status::Conflict, t!("job not running"))),
        Some(Outcome::NotRunning) => Err(Error::new(Status::NotFound, t!("no such running service"))),
        Some(Outcome::NoSuchService) if signal => Err(Error::new(Status::NotFound, t!("no such running service"))),
        Some(Outcome::NoSuchService | Outcome::NoSuchJob) => Err(not_found),
    };
    let (status, body) = match reply {
        Ok(r) => r,
        Err(e) => return conn.error(out, &e),
    };
    // One writer for every body.
    let r = response::json(out, Head { status, ..head }, &mut |j| match &body {
        Body::Service(v) => service_json(j, v),
        Body::Services => {
            j.begin_array();
            for v in core.services(now) {
                service_json(j, &v);
            }
            j.end_array()
        }
        Body::Jobs => {
            j.begin_array();
            for v in core.jobs() {
                job_json(j, &v);
            }
            j.end_array()
        }
        Body::Ok => ok(j),
        Body::Removed => {
            j.begin_object();
            j.field_str(b"name", job_name);
            j.field_str(b"state", b"removed");
            j.end_object()
        }
        Body::Job(v) => job_json(j, v),
    });
    conn.finish(r, out)
}

/// A job's reply: the job as it is now.
fn job_reply<'c>(core: &'c Core, name: &[u8], status: Status) -> Result<(Status, Body<'c>), Error> {
    core.job(name).map(|v| (status, Body::Job(v))).ok_or(Error::not_found())
}

/// The body of a successful reply.
enum Body<'a> {
    Service(ServiceView),
    Services,
    Jobs,
    Ok,
    Removed,
    Job(crate::core::JobView<'a>),
}

fn ok(j: &mut Json) {
    j.begin_object();
    j.field_str(b"status", b"ok");
    j.end_object();
}

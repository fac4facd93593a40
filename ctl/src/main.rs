//! nitroctl: control a running nitro. This file does the I/O; what the
//! command line means and what replies mean is in the library (lib.rs).
//!
//! Every request gets its own datagram socket bound at
//! `<sockdir>/notify/<service>,<pid>_<i>`, so the supervisor's replies and the
//! service's later state notifications come back to it. All requests run
//! concurrently in one poll(2) loop, which also watches a signalfd for
//! SIGINT; the bound files are removed on every way out.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::ffi::CStr;
use nitro::config::{LIST_REPLY_MAX, PATH_MAX};
use nitro::name::Name;
use nitro::out::{Out, write_all};
use nitro::path::{self, Path};
use nitro::spat::{Command, Writer};
use nitro::sys::{self, Args, SigSet, Singleton};
use nitroctl::cli::{self, Bad, Cmd, Multi, Opts, Personality};
use nitroctl::reply::{Job, Step};
use nitroctl::{Sink, errno, norm};
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

nitro::entry!(main);

/// Requests handled at once (one socket each); more services are done in
/// batches of this size.
const BATCH: usize = 32;
/// Receive buffer: a whole LIST reply of a full service table fits.
const RECV_MAX: usize = 65536;
const _: () = assert!(LIST_REPLY_MAX <= RECV_MAX && RECV_MAX <= nitroctl::reply::REPLY_MAX);
/// Milliseconds of silence after which a waiting request asks again.
const REQUERY_MS: u64 = 1000;
/// Milliseconds a request may go without any answer: the supervisor
/// answers every request at once (the waits that follow have no bound but
/// `-t`), so silence this long means nothing is there to answer.
const ANSWER_MS: u64 = 10_000;
/// Milliseconds to wait before resending when the supervisor's queue is full.
const RESEND_MS: u64 = 10;
const SIGINT: u32 = 2;
const OUT_MAX: usize = 4096;

static RECV: Singleton<[u8; RECV_MAX], 0> = Singleton::new([0; RECV_MAX]);
static STDOUT: Singleton<Out<OUT_MAX>, 1> = Singleton::new(Out::new());

/// stdout through a buffer, stderr directly.
struct Io {
    out: &'static mut Out<OUT_MAX>,
}

impl Sink for Io {
    fn out(&mut self, s: &[u8]) {
        if self.out.bytes().len() + s.len() > OUT_MAX {
            self.out.flush(sys::fd(1));
        }
        if s.len() > OUT_MAX {
            write_all(sys::fd(1), s);
        } else {
            self.out.s(s);
        }
    }

    fn err(&mut self, s: &[u8]) {
        self.flush();
        write_all(sys::fd(2), s);
    }

    fn flush(&mut self) {
        self.out.flush(sys::fd(1));
    }
}

/// `nitroctl: <what><quote>subject<quote>: <strerror>` on stderr.
fn error(io: &mut Io, what: &str, subject: &[u8], quote: &str, e: Errno) {
    let mut o = Out::<{ PATH_MAX + 128 }>::new();
    o.t("nitroctl: ").t(what).t(quote).s(subject).t(quote).t(": ");
    errno::describe(&mut o, e.raw_os_error());
    o.t("\n");
    io.err(o.bytes());
}

/// Remove the reply sockets of clients that are gone (`NAME,PID_N` whose
/// PID no longer exists: a nitroctl killed mid-command, SIGKILL leaving no
/// chance to clean up). Where we may not remove them, they stay; the
/// supervisor also drops any it finds refusing a notification.
fn sweep(dir: &Path) {
    use core::mem::MaybeUninit;
    use rustix::fs::{AtFlags, Mode, OFlags, RawDir};
    let Ok(fd) = rustix::fs::open(dir.as_cstr(), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) else { return };
    let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
    let mut entries = RawDir::new(&fd, &mut buf);
    while let Some(Ok(e)) = entries.next() {
        let name = e.file_name().to_bytes();
        let Some(comma) = name.iter().rposition(|&b| b == b',') else { continue };
        let tail = name.get(comma + 1..).unwrap_or_default();
        let digits = tail.split(|&b| b == b'_').next().unwrap_or_default();
        let Some(pid) = nitro::out::parse_u64(digits).and_then(|p| i32::try_from(p).ok()).filter(|&p| p > 0) else { continue };
        if sys::kill(pid, 0) == Err(Errno::SRCH) {
            let _ = rustix::fs::unlinkat(&fd, e.file_name(), AtFlags::empty());
        }
    }
}

/// What a user needs to hear when nothing listens where we looked.
fn no_supervisor(io: &mut Io, sock: &Path) {
    let mut o = Out::<{ PATH_MAX + 96 }>::new();
    o.t("nitroctl: no supervisor listening at ").s(sock.as_bytes()).t(" (is nitro running? NITRO_SOCK names another socket)\n");
    io.err(o.bytes());
}

fn arg(args: &Args, i: usize) -> &'static [u8] {
    args.get(i).map_or(&b""[..], CStr::to_bytes)
}

fn main(args: Args) -> i32 {
    let (Some(recv), Some(out)) = (RECV.take(), STDOUT.take()) else { return 111 };
    let mut io = Io { out };
    let code = start(&args, recv, &mut io);
    io.flush();
    code
}

fn start(args: &Args, recv: &'static mut [u8; RECV_MAX], io: &mut Io) -> i32 {
    if rustix::process::getpid().is_init() {
        return exec_nitro(args, io);
    }
    let argc = args.len();
    let personality = cli::personality(arg(args, 0));
    let opts = if personality == Personality::Ctl {
        match cli::parse(argc, |i| arg(args, i)) {
            Ok(o) => o,
            Err(Bad::Usage) => {
                io.err(cli::USAGE);
                return 2;
            }
            Err(Bad::Timeout) => {
                io.err(cli::INVALID_TIMEOUT);
                return 2;
            }
            Err(Bad::Help) => {
                io.out.s(cli::HELP);
                io.out.t("\nsocket: ");
                let mut p = Path::new();
                match path::control_socket(args, &mut p) {
                    Ok(()) => io.out.s(p.as_bytes()),
                    Err(_) => io.out.t("(unusable)"),
                };
                io.out.t(" ($NITRO_SOCK, else /run/nitro/nitro.sock)\n");
                return 0;
            }
            Err(Bad::Version) => {
                io.out.t(concat!("nitroctl (nitro-rs) ", env!("CARGO_PKG_VERSION"), "\n"));
                return 0;
            }
            Err(Bad::Option(f)) => {
                // (Named by argv[0], as getopt does in nitro's nitroctl.)
                let mut o = Out::<{ PATH_MAX + 48 }>::new();
                o.s(arg(args, 0)).t(": unrecognized option: ").s(&[f]).t("\n");
                io.err(o.bytes());
                io.err(cli::USAGE);
                return 2;
            }
        }
    } else {
        match cli::multicall(personality, argc, args.get(1).map(CStr::to_bytes)) {
            Multi::Request(cmd) => Opts { timeout_ms: None, verbose: false, cmd, first: argc },
            Multi::Force { restart } => return force(restart, io),
            Multi::Record(r) => return write_record(r, io),
            Multi::Usage(u) => {
                io.err(u);
                return 2;
            }
        }
    };

    // Check every service argument before sending anything.
    let services = if opts.cmd.takes_services() { opts.first..argc } else { argc..argc };
    let mut cwd = None;
    for i in services.clone() {
        if service_name(args, arg(args, i), &mut cwd, io).is_none() {
            return 111;
        }
    }

    let mut sock = Path::new();
    match path::control_socket(args, &mut sock) {
        Ok(()) => {}
        Err(bad) => {
            let mut o = Out::<160>::new();
            o.t("nitroctl: ");
            bad.describe(&mut o);
            o.t("\n");
            io.err(o.bytes());
            return 111;
        }
    };
    let mut ctx = Ctx {
        addr: SocketAddrUnix::new(sock.as_cstr()),
        notify_dir: Path::from(&[path::dirname(sock.as_bytes()), b"/notify/"]),
        sock,
        sigfd: None,
        deadline: None,
        verbose: opts.verbose,
        pid: rustix::process::getpid().as_raw_nonzero().get() as u32,
        next: 0,
        interrupted: false,
        timed_out: false,
        recv,
    };
    // SIGINT is read from a signalfd, so that the bound files are removed.
    if sys::set_sigmask(SigSet::EMPTY.with(SIGINT)).is_ok() {
        ctx.sigfd = sys::signalfd(SigSet::EMPTY.with(SIGINT)).ok();
    }
    ctx.deadline = opts.timeout_ms.map(|t| sys::monotonic_ms().saturating_add(t));

    let mut code = 0;
    if services.is_empty() {
        code = ctx.batch(opts.cmd, &[Name::EMPTY], io);
    } else {
        let mut at = services.start;
        while at < services.end && !ctx.interrupted && !ctx.timed_out {
            let mut names = [Name::EMPTY; BATCH];
            let mut n = 0;
            while n < BATCH && at < services.end {
                match service_name(args, arg(args, at), &mut cwd, io) {
                    Some(name) => names[n] = name,
                    None => return code.max(111),
                }
                n += 1;
                at += 1;
            }
            code = code.max(ctx.batch(opts.cmd, &names[..n], io));
        }
    }
    if ctx.interrupted { 128 + SIGINT as i32 } else { code }
}

/// As process 1, nitroctl (installed as init) hands over to nitro.
fn exec_nitro(args: &Args, io: &mut Io) -> i32 {
    let search = args
        .var(b"PATH")
        .filter(|p| !p.is_empty())
        .unwrap_or(b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let mut err = Errno::NOENT;
    for dir in search.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let Ok(p) = Path::from(&[dir, b"/nitro"]) else { continue };
        let e = sys::execve(p.as_cstr(), args.argv(), args.envp());
        if e != Errno::NOENT && e != Errno::NOTDIR {
            err = e;
        }
    }
    error(io, "exec init failed", b"", "", err);
    111
}

/// `halt -w` / `-B`: append the record to each accounting file there is.
fn write_record(r: nitroctl::wtmp::Record, io: &mut Io) -> i32 {
    use rustix::fs::{Mode, OFlags};
    let (sec, nsec) = sys::realtime();
    let uts = rustix::system::uname();
    let rec = nitroctl::wtmp::record(r, sec, (nsec / 1000) as i32, uts.release().to_bytes());
    let mut code = 0;
    for f in nitroctl::wtmp::files(r) {
        let fd = match rustix::fs::open(*f, OFlags::WRONLY | OFlags::APPEND | OFlags::CLOEXEC | OFlags::NOCTTY, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => continue,
            Err(e) => {
                error(io, "could not open ", f.to_bytes(), "", e);
                code = 111;
                continue;
            }
        };
        if !write_all(rustix::fd::AsFd::as_fd(&fd), &rec) {
            error(io, "could not write ", f.to_bytes(), "", Errno::IO);
            code = 111;
        }
    }
    code
}

/// `halt -f`, `poweroff -f`, `reboot -f`: reboot(2) without the supervisor.
fn force(restart: bool, io: &mut Io) -> i32 {
    use rustix::system::{RebootCommand, reboot};
    let (cmd, what) = if restart {
        (RebootCommand::Restart, "force reboot failed")
    } else {
        (RebootCommand::PowerOff, "force shutdown failed")
    };
    let e = reboot(cmd).err().unwrap_or(Errno::INVAL);
    error(io, what, b"", "", e);
    111
}

/// The service an argument names (nitro's normalize), or None after
/// printing why there is none.
fn service_name(args: &Args, a: &[u8], cwd: &mut Option<Result<Path, Errno>>, io: &mut Io) -> Option<Name> {
    let abs;
    let name = if norm::is_pathlike(a) {
        let base: &[u8] = if a.first() == Some(&b'/') {
            b"/"
        } else {
            match cwd.get_or_insert_with(|| current_dir(args)) {
                Ok(p) => p.as_bytes(),
                Err(e) => {
                    error(io, "no such service: ", a, "", *e);
                    return None;
                }
            }
        };
        let Ok(p) = norm::absolute(base, a) else {
            error(io, "no such service: ", a, "", Errno::NAMETOOLONG);
            return None;
        };
        abs = p;
        let exists = rustix::fs::access(abs.as_cstr(), rustix::fs::Access::EXISTS);
        match norm::service(a, abs.as_bytes(), exists.is_ok()) {
            Ok(n) => n,
            Err(_) => {
                error(io, "no such service: ", abs.as_bytes(), "", exists.err().unwrap_or(Errno::NOENT));
                return None;
            }
        }
    } else {
        a
    };
    let n = Name::new(name);
    if n.is_none() {
        let mut o = Out::<256>::new();
        o.t("nitroctl: service name too long: ").s(name).t("\n");
        io.err(o.bytes());
    }
    n
}

/// $PWD when it is the working directory (it keeps symlinked names), else
/// the kernel's idea of it.
fn current_dir(args: &Args) -> Result<Path, Errno> {
    if let Some(pwd) = args.var(b"PWD").filter(|p| p.first() == Some(&b'/')) {
        if let Ok(p) = Path::from(&[pwd]) {
            if let (Ok(a), Ok(b)) = (rustix::fs::stat(p.as_cstr()), rustix::fs::stat(c".")) {
                if a.st_dev == b.st_dev && a.st_ino == b.st_ino {
                    return Ok(p);
                }
            }
        }
    }
    let mut buf = [0u8; PATH_MAX];
    let n = nitro::sys::getcwd(&mut buf)?;
    Path::from(&[buf.get(..n).unwrap_or_default()]).map_err(|_| Errno::NAMETOOLONG)
}

/// One request's socket and progress.
struct Slot<'a> {
    job: Job<'a>,
    fd: Option<OwnedFd>,
    /// Number of the request (the `_<n>` of its notify file).
    n: u32,
    /// Bound to its notify file, which is removed at the end.
    bound: bool,
    done: Option<i32>,
    /// When we last sent or received something (ms).
    last_io: u64,
    /// When the request went out, until the first answer comes.
    asked: Option<u64>,
}

impl Slot<'_> {
    /// What the request's notify file is named after: its service, or
    /// `ALL` for `events`.
    fn subject(&self) -> &[u8] {
        if self.job.cmd == Cmd::Events { b"ALL" } else { self.job.name }
    }
}

struct Ctx {
    sock: Path,
    addr: Result<SocketAddrUnix, Errno>,
    notify_dir: Result<Path, path::TooLong>,
    sigfd: Option<OwnedFd>,
    deadline: Option<u64>,
    verbose: bool,
    pid: u32,
    /// Number of the next request.
    next: u32,
    interrupted: bool,
    timed_out: bool,
    recv: &'static mut [u8; RECV_MAX],
}

impl Ctx {
    /// Run `cmd` for each name (one request with an empty name for commands
    /// without services) and return the highest exit code.
    fn batch(&mut self, cmd: Cmd, names: &[Name], io: &mut Io) -> i32 {
        let first = self.next;
        let mut slots: [Option<Slot>; BATCH] = [const { None }; BATCH];
        for (slot, name) in slots.iter_mut().zip(names) {
            let job = Job::new(cmd, name.as_bytes());
            let s = slot.insert(Slot { job, fd: None, n: self.next, bound: false, done: None, last_io: sys::monotonic_ms(), asked: None });
            self.next += 1;
            self.open(s, io);
            if self.interrupted {
                break;
            }
        }
        // While the supervisor answers (on another CPU, if there is one).
        if let (0, Ok(dir)) = (first, &self.notify_dir) {
            sweep(dir);
        }
        self.wait(&mut slots, io);
        let mut code = 0;
        for s in slots.iter().flatten() {
            if let (true, Ok(p)) = (s.bound, self.notify_file(s)) {
                let _ = rustix::fs::unlinkat(rustix::fs::CWD, p.as_cstr(), rustix::fs::AtFlags::empty());
            }
            code = code.max(s.done.unwrap_or(0));
        }
        code
    }

    /// `<sockdir>/notify/<subject>,<pid>_<n>`.
    fn notify_file(&self, s: &Slot) -> Result<Path, path::TooLong> {
        let mut tail = Out::<32>::new();
        tail.t(",").u(self.pid as u64).t("_").u(s.n as u64);
        Path::from(&[self.notify_dir.as_ref().map_err(|e| *e)?.as_bytes(), s.subject(), tail.bytes()])
    }

    /// Create, bind and send; on failure the slot is done with its code.
    /// Out of line (measured: 128 bytes less on x86_64).
    #[inline(never)]
    fn open(&mut self, s: &mut Slot, io: &mut Io) {
        let fd = match rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC, None) {
            Ok(fd) => fd,
            Err(e) => {
                error(io, "socket", b"", "", e);
                s.done = Some(111);
                return;
            }
        };
        let Ok(path) = self.notify_file(s) else {
            error(io, "could not bind socket to ", s.subject(), "'", Errno::NAMETOOLONG);
            s.done = Some(111);
            return;
        };
        match bind(&fd, &path) {
            Ok(bound) => s.bound = bound,
            // No notify/ beside the socket: nothing runs there.
            Err(Errno::NOENT) => {
                no_supervisor(io, &self.sock);
                s.done = Some(111);
                return;
            }
            Err(e) => {
                error(io, "could not bind socket to ", path.as_bytes(), "'", e);
                s.done = Some(111);
                return;
            }
        }
        s.fd = Some(fd);
        if let Some(req) = s.job.request() {
            s.asked = Some(sys::monotonic_ms());
            if let Err(code) = self.send(s, req, true, io) {
                s.done = Some(code);
            }
        }
    }

    /// Send a request, retrying while the supervisor's queue is full.
    /// Errors are reported when `report` (the first send), code 4.
    fn send(&mut self, s: &mut Slot, req: Command, report: bool, io: &mut Io) -> Result<(), i32> {
        let mut buf = [0u8; 3 + 1 + 256];
        let mut w = Writer::new(&mut buf);
        if req.encode(&mut w).is_err() {
            return Err(111);
        }
        let Some(fd) = &s.fd else { return Err(111) };
        s.last_io = sys::monotonic_ms();
        let e = match &self.addr {
            Ok(addr) => loop {
                match rustix::net::sendto(fd, w.bytes(), SendFlags::DONTWAIT, addr) {
                    Ok(_) => return Ok(()),
                    Err(Errno::INTR) => {}
                    Err(Errno::AGAIN) | Err(Errno::NOBUFS) if report => {
                        if pause(self.sigfd.as_ref(), RESEND_MS) {
                            self.interrupted = true;
                            return Err(130);
                        }
                        if self.deadline.is_some_and(|d| sys::monotonic_ms() >= d) {
                            // The wait loop reports the timeout.
                            return Ok(());
                        }
                    }
                    Err(e) => break e,
                }
            },
            Err(e) => *e,
        };
        if report {
            if matches!(e, Errno::NOENT | Errno::CONNREFUSED) {
                no_supervisor(io, &self.sock);
            } else {
                error(io, "sendto ", self.sock.as_bytes(), "", e);
            }
        }
        Err(4)
    }

    /// The poll loop: until every request is done, the deadline passes or
    /// SIGINT comes.
    fn wait(&mut self, slots: &mut [Option<Slot>; BATCH], io: &mut Io) {
        loop {
            if self.interrupted || slots.iter().flatten().all(|s| s.done.is_some()) {
                return;
            }
            let now = sys::monotonic_ms();
            if self.deadline.is_some_and(|d| now >= d) {
                for s in slots.iter_mut().flatten() {
                    if s.done.is_none() {
                        s.done = Some(3);
                    }
                }
                io.err(b"nitroctl: action timed out\n");
                self.timed_out = true;
                return;
            }
            // Give up on a supervisor that never answered; ask again where
            // a notification may have been lost.
            let mut wake = self.deadline;
            let mut gave_up = false;
            let earliest = |w: Option<u64>, at: u64| Some(w.map_or(at, |w| w.min(at)));
            for s in slots.iter_mut().flatten().filter(|s| s.done.is_none()) {
                if let Some(asked) = s.asked {
                    let by = asked.saturating_add(ANSWER_MS);
                    if now >= by {
                        let mut o = Out::<{ PATH_MAX + 96 }>::new();
                        o.t("nitroctl: no answer from the supervisor at ").s(self.sock.as_bytes()).t(" in 10 s\n");
                        io.err(o.bytes());
                        s.done = Some(111);
                        gave_up = true;
                        continue;
                    }
                    wake = earliest(wake, by);
                }
                if s.job.requeries() {
                    if now >= s.last_io.saturating_add(REQUERY_MS) {
                        let _ = self.send(s, Command::Query(s.job.name), false, io);
                        s.last_io = now;
                    }
                    wake = earliest(wake, s.last_io.saturating_add(REQUERY_MS));
                }
            }
            if gave_up {
                continue;
            }

            // poll: the signalfd, then slot i's socket at i + 1 (-1, which
            // poll(2) passes over, where there is none or it is done).
            let mut fds = [sys::PollEntry { fd: -1, events: sys::POLLIN, revents: 0 }; BATCH + 1];
            fds[0].fd = self.sigfd.as_ref().map_or(-1, |f| f.as_raw_fd());
            for (p, s) in fds[1..].iter_mut().zip(slots.iter()) {
                if let Some(Slot { fd: Some(fd), done: None, .. }) = s {
                    p.fd = fd.as_raw_fd();
                }
            }
            match sys::poll(&mut fds, wake.map(|w| w.saturating_sub(now))) {
                Ok(_) => {}
                Err(Errno::INTR) => continue,
                Err(e) => {
                    error(io, "poll", b"", "", e);
                    for s in slots.iter_mut().flatten() {
                        s.done.get_or_insert(111);
                    }
                    return;
                }
            }
            if fds[0].revents != 0 {
                self.interrupted = true;
                return;
            }
            for (p, s) in fds[1..].iter().zip(slots.iter_mut()) {
                if let (true, Some(s)) = (p.revents != 0, s) {
                    self.drain(s, io);
                }
            }
        }
    }

    /// Read every datagram waiting on a request's socket.
    fn drain(&mut self, s: &mut Slot, io: &mut Io) {
        let Some(fd) = &s.fd else { return };
        for _ in 0..64 {
            let n = match rustix::net::recv(fd, &mut self.recv[..], RecvFlags::DONTWAIT) {
                Ok((n, _)) => n,
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return,
                Err(e) => {
                    error(io, "recv", b"", "", e);
                    s.done = Some(111);
                    return;
                }
            };
            s.last_io = sys::monotonic_ms();
            s.asked = None;
            let d = self.recv.get(..n).unwrap_or_default();
            if let Step::Done(code) = s.job.on_datagram(d, self.verbose, io) {
                s.done = Some(code);
                return;
            }
        }
    }
}

/// Sleep `ms` unless SIGINT comes; true if it did.
fn pause(sigfd: Option<&OwnedFd>, ms: u64) -> bool {
    let mut p = [sys::PollEntry { fd: sigfd.map_or(-1, |f| f.as_raw_fd()), events: sys::POLLIN, revents: 0 }];
    matches!(sys::poll(&mut p, Some(ms)), Ok(1..))
}

/// Bind a request's socket to its notify file: Ok(true) when bound,
/// Ok(false) when the directory may not be written (nitro carries on; we
/// take an autobound address so that replies still arrive).
fn bind(fd: &OwnedFd, path: &Path) -> Result<bool, Errno> {
    let addr = SocketAddrUnix::new(path.as_cstr())?;
    let mut retried = false;
    loop {
        match rustix::net::bind(fd, &addr) {
            Ok(()) => {
                // The supervisor may run as another user (root reaching
                // a user's supervisor): it must be able to send here. The
                // notify directory (0700, the supervisor's) keeps others out.
                let _ = rustix::fs::chmod(path.as_cstr(), rustix::fs::Mode::from_raw_mode(0o777));
                return Ok(true);
            }
            Err(Errno::ADDRINUSE) if !retried => {
                // Only this process can have this pid: a stale file.
                let _ = rustix::fs::unlinkat(rustix::fs::CWD, path.as_cstr(), rustix::fs::AtFlags::empty());
                retried = true;
            }
            Err(Errno::ACCESS) => {
                let _ = rustix::net::bind(fd, &SocketAddrUnix::new_unnamed());
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
    }
}

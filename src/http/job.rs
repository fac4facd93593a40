//! A `PUT /job/NAME` body, parsed and validated into a [`Job`] (`crate::job`),
//! and a job's status as JSON.
//!
//! Strictness: unknown fields are refused (400 `unknown field`) rather than
//! ignored, because a misspelt optional field (`"usr": 1000`) would
//! otherwise run a task as root without a word. Duplicate fields and
//! duplicate environment names are refused too. The one exception is a
//! descriptor whose `type` we do not implement: its other fields are not
//! ours to judge, and it is answered 501, but only once the rest of the
//! body is valid (a body that is wrong anyway is 400).

use crate::http::t;
use super::json::{DEPTH_MAX, Reader, as_u64};
pub use crate::job::*;
use crate::job::{Env, TASK0, Task};
use super::{Error, Status};
use crate::http::json::Json;
use core::net::IpAddr;

impl Job {
    /// Parse and validate a `PUT /job/NAME` body into `self` (which is
    /// emptied first, and left empty on an error). The error is the reply:
    /// 400 with the reason, or 501 for a descriptor type not implemented.
    // (See `Parser`; on aarch64 out of line is the larger.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn parse_into(&mut self, body: &[u8]) -> Result<(), Error> {
        self.clear();
        let mut p = Parser { r: Reader::new(body), body, job: self, unsupported: false };
        let r = match p.root() {
            Ok(()) if p.unsupported => {
                Err(Error::new(Status::NotImplemented, t!("fd type not implemented")))
            }
            r => r,
        };
        if r.is_err() {
            self.clear();
        }
        r
    }

}

/// `{"name":"web","state":"running","task":0,"pid":812,"exits":["0"],"seq":7}`:
/// one job's status, the body of `GET /job/NAME` and an element of
/// `GET /jobs`. `exits` holds the TASK_EXIT text of each task that ended
/// (from its wait status).
pub fn write_status(j: &mut Json, name: &[u8], state: JobState, task: usize, pid: u32, exits: &[i32], seq: u64) {
    j.begin_object();
    j.field_str(b"name", name);
    j.field_str(b"state", state.as_str().as_bytes());
    j.field_u64(b"task", task as u64);
    j.field_u64(b"pid", pid as u64);
    j.key(b"exits");
    j.begin_array();
    for &e in exits {
        let mut o = crate::out::Out::<16>::new();
        crate::core::exit_text(e, &mut o);
        j.str(o.bytes());
    }
    j.end_array();
    j.field_u64(b"seq", seq);
    j.end_object();
}

/// A short string decoded on the stack (field names, `type`, `mode`,
/// `bind`: the longest IPv6 literal, with an IPv4 tail, is 45 bytes);
/// longer ones are marked, never cut to something that matches. (One size
/// for all: one copy of the code.)
struct Small {
    buf: [u8; 48],
    len: usize,
    long: bool,
}

impl Small {
    const EMPTY: Small = Small { buf: [0; 48], len: 0, long: false };

    /// The next string into `self` (which is empty). (Filled in place: not
    /// copied out through a Result.)
    fn read(&mut self, r: &mut Reader) -> Result<(), Error> {
        let s = self;
        r.string(&mut |p| {
            match s.buf.get_mut(s.len..s.len + p.len()) {
                Some(dst) if !s.long => {
                    dst.copy_from_slice(p);
                    s.len += p.len();
                }
                _ => s.long = true,
            }
            true
        })?;
        Ok(())
    }

    fn get(&self) -> Option<&[u8]> {
        if self.long { None } else { self.buf.get(..self.len) }
    }
}

/// The fields of the schema; a key not among them is unknown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Tasks,
    Exec,
    Args,
    Envs,
    Cwd,
    Fd,
    User,
    Group,
    Type,
    Path,
    Mode,
    Bind,
    Port,
}

impl Field {
    const ALL: [Field; 13] = [
        Field::Tasks,
        Field::Exec,
        Field::Args,
        Field::Envs,
        Field::Cwd,
        Field::Fd,
        Field::User,
        Field::Group,
        Field::Type,
        Field::Path,
        Field::Mode,
        Field::Bind,
        Field::Port,
    ];

    /// The field's name: its text in TEXTS, where the names follow each
    /// other in the order of `ALL`.
    fn name(self) -> super::Text {
        const {
            assert!(super::Text::run(&["tasks", "exec", "args", "envs", "cwd", "fd", "user", "group", "type", "path", "mode", "bind", "port"]));
            let mut i = 0;
            while i < Field::ALL.len() {
                assert!(Field::ALL[i] as usize == i);
                i += 1;
            }
        };
        t!("tasks").after(self as usize)
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }

    fn of(key: &Small) -> Option<Field> {
        Field::ALL.get(t!("tasks").among(Field::ALL.len(), key.get()?)?).copied()
    }
}

fn bad(reason: super::Text, f: Field) -> Error {
    Error::with(Status::BadRequest, reason, f.name())
}

fn wrong_type(f: Field) -> Error {
    bad(t!("wrong type"), f)
}

/// (Its larger steps are kept out of line: inlined into their one caller,
/// they made the whole parser 1 KiB larger.)
struct Parser<'a, 'j> {
    r: Reader<'a>,
    body: &'a [u8],
    job: &'j mut Job,
    /// A descriptor type we do not implement was seen (501 if all else is
    /// well).
    unsupported: bool,
}

/// Which of the `fields` of an object were seen; the first repeat is an
/// error.
fn seen(mask: &mut u16, f: Field) -> Result<(), Error> {
    if *mask & f.bit() != 0 {
        return Err(bad(t!("duplicate field"), f));
    }
    *mask |= f.bit();
    Ok(())
}

impl<'a, 'j> Parser<'a, 'j> {
    /// A member's key and colon; `None` for a key that is no field of ours.
    fn key(&mut self) -> Result<Option<Field>, Error> {
        let mut k = Small::EMPTY;
        k.read(&mut self.r)?;
        self.r.expect(b':', t!("expected :"))?;
        Ok(Field::of(&k))
    }

    /// Open `{` or `[` of field `f`; anything else there is a wrong type
    /// (or not JSON at all).
    fn open(&mut self, c: u8, f: Field, depth: usize) -> Result<(), Error> {
        if self.r.eat(c) {
            return Ok(());
        }
        self.r.skip(depth)?;
        Err(wrong_type(f))
    }

    fn more(&mut self, close: u8, first: &mut bool) -> Result<bool, Error> {
        self.r.more(close, first)
    }

    fn root(&mut self) -> Result<(), Error> {
        if self.r.peek().is_none() {
            return Err(super::json::malformed(t!("empty body")));
        }
        if !self.r.eat(b'{') {
            self.r.skip(0)?;
            self.r.end()?;
            return Err(Error::with(Status::BadRequest, t!("wrong type"), t!("job")));
        }
        let (mut mask, mut first) = (0, true);
        while self.more(b'}', &mut first)? {
            match self.key()? {
                Some(f @ Field::Tasks) => {
                    seen(&mut mask, f)?;
                    self.tasks()?;
                }
                _ => return Err(Error::bad(t!("unknown field"))),
            }
        }
        self.r.end()?;
        if mask & Field::Tasks.bit() == 0 {
            return Err(bad(t!("missing field"), Field::Tasks));
        }
        if self.job.ntasks == 0 {
            return Err(Error::bad(t!("empty task list")));
        }
        Ok(())
    }

    fn tasks(&mut self) -> Result<(), Error> {
        self.open(b'[', Field::Tasks, 1)?;
        let mut first = true;
        while self.more(b']', &mut first)? {
            let i = self.job.ntasks as usize;
            if i >= TASKS_MAX {
                return Err(Error::bad(t!("too many tasks")));
            }
            let mut t = TASK0;
            self.task(&mut t)?;
            if let Some(slot) = self.job.tasks.get_mut(i) {
                *slot = t;
            }
            self.job.ntasks += 1;
        }
        Ok(())
    }

    // (See `Parser`; on x86_64 inlined is the smaller.)
    #[cfg_attr(not(target_arch = "x86_64"), inline(never))]
    fn task(&mut self, t: &mut Task) -> Result<(), Error> {
        self.open(b'{', Field::Tasks, 2)?;
        let (mut mask, mut first) = (0, true);
        while self.more(b'}', &mut first)? {
            let f = match self.key()? {
                Some(
                    f @ (Field::Exec
                    | Field::Args
                    | Field::Envs
                    | Field::Cwd
                    | Field::Fd
                    | Field::User
                    | Field::Group),
                ) => f,
                _ => return Err(Error::bad(t!("unknown field"))),
            };
            seen(&mut mask, f)?;
            match f {
                Field::Exec => t.exec = self.path_string(f, PATH_LEN_MAX)?,
                Field::Cwd => t.cwd = self.path_string(f, PATH_LEN_MAX)?,
                Field::Args => self.args(t)?,
                Field::Envs => self.envs(t)?,
                Field::Fd => self.fds(t)?,
                Field::User => t.user = Some(self.id(f)?),
                _ => t.group = Some(self.id(f)?),
            }
        }
        for f in [Field::Exec, Field::Args, Field::Envs, Field::Cwd, Field::Fd] {
            if mask & f.bit() == 0 {
                return Err(bad(t!("missing field"), f));
            }
        }
        Ok(())
    }

    fn args(&mut self, t: &mut Task) -> Result<(), Error> {
        self.open(b'[', Field::Args, 3)?;
        let mut first = true;
        while self.more(b']', &mut first)? {
            let slot = t.args.get_mut(t.nargs as usize).ok_or(Error::bad(t!("too many args")))?;
            *slot = store(&mut self.r, self.job, Field::Args, ARENA_MAX)?;
            t.nargs += 1;
        }
        Ok(())
    }

    #[inline(never)] // (see `Parser`)
    fn envs(&mut self, t: &mut Task) -> Result<(), Error> {
        self.open(b'{', Field::Envs, 3)?;
        let mut first = true;
        while self.more(b'}', &mut first)? {
            let n = t.nenvs as usize;
            if n >= ENVS_MAX {
                return Err(Error::bad(t!("too many envs")));
            }
            let start = self.job.used;
            append(&mut self.r, self.job, Field::Envs, start, ARENA_MAX)?;
            let key = self.job.arena.get(start..self.job.used).unwrap_or(&[]);
            if key.is_empty() || key.iter().any(|&b| b == b'=') {
                return Err(Error::bad(t!("bad env name")));
            }
            let dup = t.envs.get(..n).unwrap_or(&[]).iter().any(|e| {
                let kv = self.job.bytes(e.kv);
                kv.get(..e.key_len as usize) == Some(key)
            });
            if dup {
                return Err(Error::bad(t!("duplicate env")));
            }
            let key_len = (self.job.used - start) as u16;
            self.r.expect(b':', t!("expected :"))?;
            push(self.job, b"=")?;
            if self.r.peek() != Some(b'"') {
                return Err(self.wrong(Field::Envs, 4));
            }
            append(&mut self.r, self.job, Field::Envs, start, ARENA_MAX)?;
            let len = self.job.used - start;
            push(self.job, b"\0")?;
            if self.job.arena.get(start..start + 5) == Some(b"PATH=") {
                t.search = Span { off: (start + 5) as u16, len: (len - 5) as u16 };
            }
            if let Some(slot) = t.envs.get_mut(n) {
                *slot = Env { kv: Span { off: start as u16, len: len as u16 }, key_len };
            }
            t.nenvs += 1;
        }
        Ok(())
    }

    // (See `Parser`; on aarch64 out of line is the larger.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    fn fds(&mut self, t: &mut Task) -> Result<(), Error> {
        self.open(b'[', Field::Fd, 3)?;
        let mut first = true;
        while self.more(b']', &mut first)? {
            if t.nfds as usize >= FDS_MAX {
                return Err(Error::bad(t!("too many fds")));
            }
            if let Some(fd) = self.descriptor()? {
                if let Some(slot) = t.fds.get_mut(t.nfds as usize) {
                    *slot = fd;
                }
                t.nfds += 1;
            }
        }
        Ok(())
    }

    /// One descriptor object. Its members are checked as JSON first and
    /// read once `type` (wherever it stands) says what they must be; `None`
    /// for a type we do not implement.
    fn descriptor(&mut self) -> Result<Option<Fd>, Error> {
        const DEPTH: usize = 4;
        self.open(b'{', Field::Fd, DEPTH)?;
        let mut raw: [Option<(usize, usize)>; 5] = [None; 5];
        let (mut mask, mut first, mut unknown) = (0, true, false);
        while self.more(b'}', &mut first)? {
            let field = self.key()?;
            self.r.peek();
            let start = self.r.pos();
            self.r.skip(DEPTH + 1)?;
            let range = (start, self.r.pos());
            let i = match field {
                Some(f @ Field::Type) => (f, 0),
                Some(f @ Field::Path) => (f, 1),
                Some(f @ Field::Mode) => (f, 2),
                Some(f @ Field::Bind) => (f, 3),
                Some(f @ Field::Port) => (f, 4),
                _ => {
                    unknown = true;
                    continue;
                }
            };
            seen(&mut mask, i.0)?;
            if let Some(slot) = raw.get_mut(i.1) {
                *slot = Some(range);
            }
        }
        let [ty, path, mode, bind, port] = raw;
        let mut kind = Small::EMPTY;
        self.small_member(&mut kind, ty, Field::Type)?;
        const { assert!(super::Text::run(&["null", "file", "pipe", "unix socket", "network socket"])) };
        let (fd, wants) = match kind.get().and_then(|w| t!("null").among(5, w)) {
            Some(0) => (Fd::Null, 0),
            Some(1) => {
                let path = self.fd_path(path, PATH_LEN_MAX)?;
                (Fd::File { path, mode: self.mode(mode)? }, Field::Path.bit() | Field::Mode.bit())
            }
            Some(2) => {
                (Fd::Pipe { path: self.fd_path(path, PATH_LEN_MAX)? }, Field::Path.bit())
            }
            Some(3) => {
                (Fd::UnixSocket { path: self.fd_path(path, SOCKET_PATH_MAX)? }, Field::Path.bit())
            }
            Some(4) => {
                let bind = self.bind(bind)?;
                let port = self.port(port)?;
                (Fd::NetworkSocket { bind, port }, Field::Bind.bit() | Field::Port.bit())
            }
            _ => {
                self.unsupported = true;
                return Ok(None);
            }
        };
        if unknown {
            return Err(Error::bad(t!("unknown field")));
        }
        let extra = mask & !(wants | Field::Type.bit());
        if let Some(&f) = [Field::Path, Field::Mode, Field::Bind, Field::Port]
            .iter()
            .find(|f| extra & f.bit() != 0)
        {
            return Err(bad(t!("unexpected field"), f));
        }
        Ok(Some(fd))
    }

    /// A reader over one member value already checked by `skip`.
    // (Out of line: smaller, measured.)
    #[inline(never)]
    fn value(&self, (start, end): (usize, usize)) -> Reader<'a> {
        Reader::new(self.body.get(start..end).unwrap_or(&[]))
    }

    /// A descriptor member that must be there and be a string: a reader at
    /// its opening quote.
    #[inline(never)] // (see `Parser`)
    fn string_member(&self, raw: Option<(usize, usize)>, f: Field) -> Result<Reader<'a>, Error> {
        let mut r = self.value(raw.ok_or(bad(t!("missing field"), f))?);
        if r.peek() != Some(b'"') {
            return Err(wrong_type(f));
        }
        Ok(r)
    }

    /// A short string member (`type`, `mode`, `bind`).
    fn small_member(&self, s: &mut Small, raw: Option<(usize, usize)>, f: Field) -> Result<(), Error> {
        s.read(&mut self.string_member(raw, f)?)
    }

    fn fd_path(&mut self, raw: Option<(usize, usize)>, limit: usize) -> Result<Span, Error> {
        let mut r = self.string_member(raw, Field::Path)?;
        let s = store(&mut r, self.job, Field::Path, limit)?;
        if s.len == 0 {
            return Err(bad(t!("empty field"), Field::Path));
        }
        Ok(s)
    }

    fn mode(&mut self, raw: Option<(usize, usize)>) -> Result<Mode, Error> {
        let mut s = Small::EMPTY;
        self.small_member(&mut s, raw, Field::Mode)?;
        const { assert!(super::Text::run(&["r", "w", "rw", "a"])) };
        let modes = [Mode::Read, Mode::Write, Mode::ReadWrite, Mode::Append];
        s.get().and_then(|w| modes.get(t!("r").among(modes.len(), w)?).copied()).ok_or(bad(t!("bad value"), Field::Mode))
    }

    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    fn bind(&mut self, raw: Option<(usize, usize)>) -> Result<IpAddr, Error> {
        let mut s = Small::EMPTY;
        self.small_member(&mut s, raw, Field::Bind)?;
        s.get().and_then(super::ip::parse).ok_or(bad(t!("bad value"), Field::Bind))
    }

    // (See `Parser`; on aarch64 out of line is the larger.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    fn port(&mut self, raw: Option<(usize, usize)>) -> Result<u16, Error> {
        let raw = raw.ok_or(bad(t!("missing field"), Field::Port))?;
        let n = integer(&mut self.value(raw), Field::Port)?;
        u16::try_from(n).map_err(|_| bad(t!("bad value"), Field::Port))
    }

    /// A user or group id: 0..=4294967294 (u32::MAX means "no change" to
    /// setuid/setgid, so it is no id).
    fn id(&mut self, f: Field) -> Result<u32, Error> {
        let n = integer(&mut self.r, f)?;
        match u32::try_from(n) {
            Ok(id) if id != u32::MAX => Ok(id),
            _ => Err(bad(t!("bad value"), f)),
        }
    }

    /// `exec` and `cwd`: a non-empty string up to `limit` bytes.
    fn path_string(&mut self, f: Field, limit: usize) -> Result<Span, Error> {
        if self.r.peek() != Some(b'"') {
            return Err(self.wrong(f, 3));
        }
        let s = store(&mut self.r, self.job, f, limit)?;
        if s.len == 0 {
            return Err(bad(t!("empty field"), f));
        }
        Ok(s)
    }

    /// A value of the wrong type is still checked as JSON: a broken body
    /// is "malformed JSON" wherever it breaks.
    fn wrong(&mut self, f: Field, depth: usize) -> Error {
        match self.r.skip(depth) {
            Ok(()) => wrong_type(f),
            Err(e) => e,
        }
    }
}

/// A non-negative integer without fraction or exponent.
fn integer(r: &mut Reader, f: Field) -> Result<u64, Error> {
    match r.peek() {
        Some(b'-' | b'0'..=b'9') => {}
        _ => {
            r.skip(DEPTH_MAX - 1)?;
            return Err(wrong_type(f));
        }
    }
    let text = r.number()?;
    if text.iter().any(|&b| matches!(b, b'.' | b'e' | b'E')) {
        return Err(wrong_type(f));
    }
    as_u64(text).ok_or(bad(t!("bad value"), f))
}

fn push(job: &mut Job, b: &[u8]) -> Result<(), Error> {
    let end = job.used + b.len();
    job.arena.get_mut(job.used..end).ok_or(Error::bad(t!("job too large")))?.copy_from_slice(b);
    job.used = end;
    Ok(())
}

/// Decode the next string onto the arena; it may make the bytes since
/// `start` at most `limit` long.
fn append(
    r: &mut Reader,
    job: &mut Job,
    f: Field,
    start: usize,
    limit: usize,
) -> Result<(), Error> {
    let mut arena_full = false;
    let res = r.string(&mut |p| {
        let end = job.used + p.len();
        if end - start > limit {
            return false;
        }
        match job.arena.get_mut(job.used..end) {
            Some(dst) => {
                dst.copy_from_slice(p);
                job.used = end;
                true
            }
            None => {
                arena_full = true;
                false
            }
        }
    });
    match res? {
        true => Ok(()),
        false if arena_full => Err(Error::bad(t!("job too large"))),
        false => Err(bad(t!("field too long"), f)),
    }
}

/// The next value must be a string: stored with its NUL.
fn store(r: &mut Reader, job: &mut Job, f: Field, limit: usize) -> Result<Span, Error> {
    if r.peek() != Some(b'"') {
        r.skip(DEPTH_MAX - 1)?;
        return Err(wrong_type(f));
    }
    let start = job.used;
    append(r, job, f, start, limit)?;
    let len = job.used - start;
    push(job, b"\0")?;
    Ok(Span { off: start as u16, len: len as u16 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response::Writer;

    const EXAMPLE: &str = r#"{"tasks": [
  {"exec": "node", "args": ["server.js"],
   "envs": {"PATH": "/bin:/usr/bin"}, "cwd": "/srv/app",
   "fd": [{"type": "file", "path": "/dev/null", "mode": "r"},
          {"type": "file", "path": "/var/log/app.log", "mode": "a"}],
   "user": 1000, "group": 1000}
]}"#;

    fn parse(s: &str) -> Result<Box<Job>, Error> {
        let mut job = Box::new(Job::new());
        job.parse_into(s.as_bytes())?;
        Ok(job)
    }

    fn reason(s: &str) -> (u16, String) {
        match parse(s) {
            Ok(_) => panic!("accepted: {s}"),
            Err(e) if e.detail().is_empty() => (e.status.code(), String::from_utf8_lossy(e.reason()).into_owned()),
            Err(e) => (e.status.code(), format!("{}: {}", String::from_utf8_lossy(e.reason()), String::from_utf8_lossy(e.detail()))),
        }
    }

    /// A valid one-task body with `extra` members appended to the task.
    fn one(extra: &str) -> String {
        format!(r#"{{"tasks":[{{"exec":"x","args":[],"envs":{{}},"cwd":"/","fd":[]{extra}}}]}}"#)
    }

    fn with_fd(fd: &str) -> String {
        format!(r#"{{"tasks":[{{"exec":"x","args":[],"envs":{{}},"cwd":"/","fd":[{fd}]}}]}}"#)
    }

    #[test]
    fn the_contract_example_parses_fully() {
        let job = parse(EXAMPLE).unwrap();
        assert_eq!(job.len(), 1);
        let t = job.task(0).unwrap();
        assert_eq!(t.exec(), c"node");
        assert_eq!(t.argv().collect::<Vec<_>>(), [c"node", c"server.js"]);
        assert_eq!(t.argc(), 2);
        assert_eq!(t.envs().collect::<Vec<_>>(), [c"PATH=/bin:/usr/bin"]);
        assert_eq!(t.env(b"PATH"), Some(&b"/bin:/usr/bin"[..]));
        assert_eq!(t.env(b"PAT"), None);
        assert_eq!(t.search_path(), b"/bin:/usr/bin");
        assert_eq!(t.cwd(), c"/srv/app");
        assert_eq!((t.user(), t.group()), (Some(1000), Some(1000)));
        let fds = t.fds();
        assert_eq!(fds.len(), 2);
        match fds[0] {
            Fd::File { path, mode } => assert_eq!((t.path(path), mode), (c"/dev/null", Mode::Read)),
            other => panic!("{other:?}"),
        }
        match fds[1] {
            Fd::File { path, mode } => {
                assert_eq!((t.path(path), mode), (c"/var/log/app.log", Mode::Append))
            }
            other => panic!("{other:?}"),
        }
        assert!(job.task(1).is_none());
    }

    /// A job copied over another (a finished job's slot taking a new one)
    /// is the copy: nothing of what the slot held before shows through.
    #[test]
    fn a_job_copied_in_place_is_the_copy() {
        let two = r#"{"tasks":[{"exec":"first","args":["a","b"],"envs":{"K":"v"},"cwd":"/x","fd":[]},
                               {"exec":"second","args":[],"envs":{},"cwd":"/","fd":[]}]}"#;
        let mut slot = parse(two).unwrap();
        let new = parse(EXAMPLE).unwrap();
        slot.clone_from(&new);
        assert_eq!(slot.len(), 1);
        assert!(slot.task(1).is_none());
        let (t, u) = (slot.task(0).unwrap(), new.task(0).unwrap());
        assert_eq!(t.argv().collect::<Vec<_>>(), u.argv().collect::<Vec<_>>());
        assert_eq!(t.envs().collect::<Vec<_>>(), u.envs().collect::<Vec<_>>());
        assert_eq!((t.cwd(), t.fds(), t.user(), t.group()), (u.cwd(), u.fds(), u.user(), u.group()));
        let copy = new.clone();
        assert_eq!(copy.task(0).unwrap().exec(), c"node");
    }

    #[test]
    fn every_descriptor_type() {
        let job = parse(&with_fd(
            r#"{"type":"null"},{"mode":"rw","type":"file","path":"/f"},{"type":"pipe","path":"/p"},
               {"type":"unix socket","path":"/s.sock"},{"type":"network socket","bind":"127.0.0.1","port":8080},
               {"port":0,"bind":"::1","type":"network socket"},{"type":"file","path":"/w","mode":"w"}"#,
        ))
        .unwrap();
        let t = job.task(0).unwrap();
        let f = t.fds();
        assert_eq!(f[0], Fd::Null);
        assert!(matches!(f[1], Fd::File { path, mode: Mode::ReadWrite } if t.path(path) == c"/f"));
        assert!(matches!(f[2], Fd::Pipe { path } if t.path(path) == c"/p"));
        assert!(matches!(f[3], Fd::UnixSocket { path } if t.path(path) == c"/s.sock"));
        assert_eq!(f[4], Fd::NetworkSocket { bind: "127.0.0.1".parse().unwrap(), port: 8080 });
        assert_eq!(f[5], Fd::NetworkSocket { bind: "::1".parse().unwrap(), port: 0 });
        assert!(matches!(f[6], Fd::File { mode: Mode::Write, .. }));
    }

    #[test]
    fn an_unknown_descriptor_type_is_501() {
        let e = parse(&with_fd(r#"{"type":"tty","device":"/dev/tty1","opts":{"raw":[true]}}"#))
            .err()
            .unwrap();
        assert_eq!((e.status, e.reason()), (Status::NotImplemented, &b"fd type not implemented"[..]));
        assert_eq!(reason(&with_fd(r#"{"path":"/x","type":"block device"}"#)).0, 501);
        assert_eq!(reason(&with_fd(r#"{"type":"unnamed pipe"}"#)).0, 501);
        assert_eq!(reason(&with_fd(r#"{"type":"a very long type name indeed"}"#)).0, 501);
        assert_eq!(reason(&with_fd(r#"{"type":"FILE","path":"/x","mode":"r"}"#)).0, 501);
        // ... but a body that is wrong anyway is 400
        assert_eq!(reason(&with_fd(r#"{"type":"tty"}],"bogus":1,"x":[{"#)).0, 400);
        let both = r#"{"tasks":[{"exec":"x","args":[],"envs":{},"cwd":"/","fd":[{"type":"tty"}]},{"exec":"y"}]}"#;
        assert_eq!(reason(both), (400, "missing field: args".into()));
        // a type that is not a string is a 400
        assert_eq!(reason(&with_fd(r#"{"type":7}"#)), (400, "wrong type: type".into()));
        assert_eq!(reason(&with_fd(r#"{"path":"/x"}"#)), (400, "missing field: type".into()));
    }

    #[test]
    fn descriptor_fields_are_checked() {
        let cases = [
            (r#"{"type":"file","path":"/x"}"#, "missing field: mode"),
            (r#"{"type":"file","mode":"r"}"#, "missing field: path"),
            (r#"{"type":"file","path":"/x","mode":"x"}"#, "bad value: mode"),
            (r#"{"type":"file","path":"/x","mode":"rwx"}"#, "bad value: mode"),
            (r#"{"type":"file","path":"/x","mode":1}"#, "wrong type: mode"),
            (r#"{"type":"file","path":"","mode":"r"}"#, "empty field: path"),
            (r#"{"type":"file","path":["/x"],"mode":"r"}"#, "wrong type: path"),
            (r#"{"type":"pipe","path":"/x","mode":"r"}"#, "unexpected field: mode"),
            (r#"{"type":"null","port":1}"#, "unexpected field: port"),
            (r#"{"type":"null","color":"red"}"#, "unknown field"),
            (r#"{"type":"null","type":"null"}"#, "duplicate field: type"),
            (r#"{"type":"network socket","bind":"localhost","port":80}"#, "bad value: bind"),
            (r#"{"type":"network socket","bind":"[::1]","port":80}"#, "bad value: bind"),
            (r#"{"type":"network socket","bind":"1.2.3.4","port":65536}"#, "bad value: port"),
            (r#"{"type":"network socket","bind":"1.2.3.4","port":-1}"#, "bad value: port"),
            (r#"{"type":"network socket","bind":"1.2.3.4","port":80.5}"#, "wrong type: port"),
            (r#"{"type":"network socket","bind":"1.2.3.4","port":"80"}"#, "wrong type: port"),
            (r#"{"type":"network socket","bind":"1.2.3.4"}"#, "missing field: port"),
            (r#"{"type":"network socket","port":1}"#, "missing field: bind"),
            (r#""file""#, "wrong type: fd"),
        ];
        for (fd, want) in cases {
            assert_eq!(reason(&with_fd(fd)), (400, want.into()), "{fd}");
        }
        let sock = |n: usize| {
            with_fd(&format!(r#"{{"type":"unix socket","path":"/{}"}}"#, "s".repeat(n - 1)))
        };
        assert!(parse(&sock(SOCKET_PATH_MAX)).is_ok());
        assert_eq!(reason(&sock(SOCKET_PATH_MAX + 1)), (400, "field too long: path".into()));
        let many = vec![r#"{"type":"null"}"#; FDS_MAX].join(",");
        assert!(parse(&with_fd(&many)).is_ok());
        assert_eq!(
            reason(&with_fd(&format!("{many},{{\"type\":\"null\"}}"))),
            (400, "too many fds".into())
        );
    }

    #[test]
    fn task_fields_are_required_typed_and_bounded() {
        let cases: &[(&str, &str)] = &[
            (r#"{"tasks":[{"args":[],"envs":{},"cwd":"/","fd":[]}]}"#, "missing field: exec"),
            (r#"{"tasks":[{"exec":"x","envs":{},"cwd":"/","fd":[]}]}"#, "missing field: args"),
            (r#"{"tasks":[{"exec":"x","args":[],"cwd":"/","fd":[]}]}"#, "missing field: envs"),
            (r#"{"tasks":[{"exec":"x","args":[],"envs":{},"fd":[]}]}"#, "missing field: cwd"),
            (r#"{"tasks":[{"exec":"x","args":[],"envs":{},"cwd":"/"}]}"#, "missing field: fd"),
            (r#"{"tasks":[{"exec":1,"args":[],"envs":{},"cwd":"/","fd":[]}]}"#, "wrong type: exec"),
            (
                r#"{"tasks":[{"exec":"","args":[],"envs":{},"cwd":"/","fd":[]}]}"#,
                "empty field: exec",
            ),
            (
                r#"{"tasks":[{"exec":"x","args":"a b","envs":{},"cwd":"/","fd":[]}]}"#,
                "wrong type: args",
            ),
            (
                r#"{"tasks":[{"exec":"x","args":[1],"envs":{},"cwd":"/","fd":[]}]}"#,
                "wrong type: args",
            ),
            (
                r#"{"tasks":[{"exec":"x","args":[],"envs":[],"cwd":"/","fd":[]}]}"#,
                "wrong type: envs",
            ),
            (
                r#"{"tasks":[{"exec":"x","args":[],"envs":{"A":1},"cwd":"/","fd":[]}]}"#,
                "wrong type: envs",
            ),
            (
                r#"{"tasks":[{"exec":"x","args":[],"envs":{},"cwd":null,"fd":[]}]}"#,
                "wrong type: cwd",
            ),
            (r#"{"tasks":[{"exec":"x","args":[],"envs":{},"cwd":"/","fd":{}}]}"#, "wrong type: fd"),
            (r#"{"tasks":{}}"#, "wrong type: tasks"),
            (r#"{"tasks":[[]]}"#, "wrong type: tasks"),
            (r#"{"tasks":[]}"#, "empty task list"),
            (r#"{}"#, "missing field: tasks"),
            (r#"[]"#, "wrong type: job"),
            (r#""tasks""#, "wrong type: job"),
            (r#"{"tasks":[],"tasks":[]}"#, "duplicate field: tasks"),
            (r#"{"Tasks":[]}"#, "unknown field"),
            (
                r#"{"tasks":[{"exec":"x","exec":"y","args":[],"envs":{},"cwd":"/","fd":[]}]}"#,
                "duplicate field: exec",
            ),
            (
                r#"{"tasks":[{"exec":"x","usr":0,"args":[],"envs":{},"cwd":"/","fd":[]}]}"#,
                "unknown field",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(reason(body), (400, want.to_string()), "{body}");
        }
        let cwd = |n: usize| {
            one("").replace(r#""cwd":"/""#, &format!(r#""cwd":"/{}""#, "a".repeat(n - 1)))
        };
        assert!(parse(&cwd(PATH_LEN_MAX)).is_ok());
        assert_eq!(reason(&cwd(PATH_LEN_MAX + 1)), (400, "field too long: cwd".into()));
        let exec = |n: usize| EXAMPLE.replace("\"node\"", &format!("\"{}\"", "n".repeat(n)));
        assert!(parse(&exec(PATH_LEN_MAX)).is_ok());
        assert_eq!(reason(&exec(PATH_LEN_MAX + 1)), (400, "field too long: exec".into()));
    }

    #[test]
    fn user_and_group_are_optional_ids() {
        let job = parse(&one("")).unwrap();
        assert_eq!((job.task(0).unwrap().user(), job.task(0).unwrap().group()), (None, None));
        let job = parse(&one(r#","user":0,"group":4294967294"#)).unwrap();
        assert_eq!(
            (job.task(0).unwrap().user(), job.task(0).unwrap().group()),
            (Some(0), Some(4294967294))
        );
        for (v, want) in [
            ("-1", "bad value: user"),
            ("4294967295", "bad value: user"),
            ("99999999999999999999999", "bad value: user"),
            ("1.0", "wrong type: user"),
            ("1e3", "wrong type: user"),
            ("\"1000\"", "wrong type: user"),
            ("null", "wrong type: user"),
            ("01", "malformed JSON: expected , or closing bracket"),
        ] {
            assert_eq!(reason(&one(&format!(r#","user":{v}"#))), (400, want.into()), "{v}");
        }
    }

    #[test]
    fn envs_are_stored_ready_for_execve() {
        let job = parse(&one("").replace(
            r#""envs":{}"#,
            r#""envs":{"A":"1","EMPTY":"","X\u00e9":"caf\u00e9 \ud83d\ude00","Q":"a=b"}"#,
        ))
        .unwrap();
        let t = job.task(0).unwrap();
        let envs: Vec<_> = t.envs().map(|c| c.to_bytes().to_vec()).collect();
        assert_eq!(envs, [&b"A=1"[..], b"EMPTY=", "Xé=café 😀".as_bytes(), b"Q=a=b"]);
        assert_eq!(t.env(b"Q"), Some(&b"a=b"[..]));
        assert_eq!(t.env(b"EMPTY"), Some(&b""[..]));
        // No PATH: a bare exec is looked up nowhere but `.`.
        assert_eq!(t.search_path(), b"");
        let paths = parse(&one("").replace(r#""envs":{}"#, r#""envs":{"PATHS":"/x","PATH":"/b:/c","PAT":"/y"}"#)).unwrap();
        assert_eq!(paths.task(0).unwrap().search_path(), b"/b:/c");
        let env = |e: &str| one("").replace(r#""envs":{}"#, &format!(r#""envs":{{{e}}}"#));
        assert_eq!(reason(&env(r#""A":"1","A":"2""#)), (400, "duplicate env".into()));
        assert_eq!(reason(&env(r#""":"1""#)), (400, "bad env name".into()));
        assert_eq!(reason(&env(r#""A=B":"1""#)), (400, "bad env name".into()));
        assert_eq!(reason(&env(r#""A":"\u0000""#)), (400, "malformed JSON: NUL in string".into()));
        let many: Vec<String> = (0..ENVS_MAX).map(|i| format!(r#""E{i}":"v""#)).collect();
        assert!(parse(&env(&many.join(","))).is_ok());
        assert_eq!(
            reason(&env(&format!(r#"{},"Z":"z""#, many.join(",")))),
            (400, "too many envs".into())
        );
    }

    #[test]
    fn args_keep_their_order_and_escapes() {
        let body =
            one("").replace(r#""args":[]"#, r#""args":["-c","echo \"hi\"\n","", "\\", "\/"]"#);
        let job = parse(&body).unwrap();
        let argv: Vec<_> = job.task(0).unwrap().argv().map(|c| c.to_bytes().to_vec()).collect();
        assert_eq!(argv, [&b"x"[..], b"-c", b"echo \"hi\"\n", b"", b"\\", b"/"]);
        let many: Vec<String> = (0..ARGS_MAX).map(|i| format!("\"{i}\"")).collect();
        let args = |a: &str| one("").replace(r#""args":[]"#, &format!(r#""args":[{a}]"#));
        assert_eq!(parse(&args(&many.join(","))).unwrap().task(0).unwrap().argc(), ARGS_MAX + 1);
        assert_eq!(
            reason(&args(&format!("{},\"x\"", many.join(",")))),
            (400, "too many args".into())
        );
        assert_eq!(reason(&args(r#""a\u0000b""#)), (400, "malformed JSON: NUL in string".into()));
    }

    #[test]
    fn task_count_is_bounded_and_order_kept() {
        let task =
            |i: usize| format!(r#"{{"exec":"t{i}","args":[],"envs":{{}},"cwd":"/","fd":[]}}"#);
        let tasks = |n: usize| {
            format!(r#"{{"tasks":[{}]}}"#, (0..n).map(task).collect::<Vec<_>>().join(","))
        };
        let job = parse(&tasks(TASKS_MAX)).unwrap();
        let names: Vec<_> = job.tasks().map(|t| t.exec().to_bytes().to_vec()).collect();
        assert_eq!(names.len(), TASKS_MAX);
        assert_eq!(names[7], b"t7");
        assert_eq!(reason(&tasks(TASKS_MAX + 1)), (400, "too many tasks".into()));
    }

    #[test]
    fn the_arena_is_bounded() {
        // args of 1000 bytes: the 13th no longer fits in 12 KiB
        let arg = format!("\"{}\"", "a".repeat(999));
        let args = |n: usize| {
            one("").replace(
                r#""args":[]"#,
                &format!(r#""args":[{}]"#, vec![arg.as_str(); n].join(",")),
            )
        };
        assert!(parse(&args(12)).is_ok());
        assert_eq!(reason(&args(13)), (400, "job too large".into()));
    }

    #[test]
    fn malformed_json_is_400() {
        for (body, want) in [
            ("", "malformed JSON: empty body"),
            ("   ", "malformed JSON: empty body"),
            (r#"{"tasks":[]"#, "malformed JSON: expected , or closing bracket"),
            (r#"{"tasks":[]} x"#, "malformed JSON: trailing data"),
            (r#"{"tasks":[]}{}"#, "malformed JSON: trailing data"),
            (r#"{tasks:[]}"#, "malformed JSON: expected string"),
            (r#"{"tasks" []}"#, "malformed JSON: expected :"),
            (r#"{"tasks":[{"exec":"x",}]}"#, "malformed JSON: expected string"),
            (r#"[1,2"#, "malformed JSON: expected , or closing bracket"),
            ("{\"tasks\":[{\"exec\":\"a\tb\"}]}", "malformed JSON: control character in string"),
            ("{\"tasks\":[{\"exec\":\"\\ud800\"}]}", "malformed JSON: lone surrogate"),
        ] {
            assert_eq!(reason(body), (400, want.into()), "{body:?}");
        }
        assert_eq!(reason("\u{feff}{\"tasks\":[]}").0, 400);
        let deep = format!(
            r#"{{"tasks":[{{"exec":"x","args":[],"envs":{{}},"cwd":"/","fd":[{{"type":"tty","x":{}}}]}}]}}"#,
            "[".repeat(100)
        );
        assert_eq!(reason(&deep), (400, "malformed JSON: nesting too deep".into()));
    }

    #[test]
    fn a_failed_parse_leaves_the_job_empty_and_a_job_is_reusable() {
        let mut job = Box::new(Job::new());
        job.parse_into(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(job.len(), 1);
        assert!(job.parse_into(b"{").is_err());
        assert!(job.is_empty());
        job.parse_into(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(job.task(0).unwrap().cwd(), c"/srv/app");
    }

    #[test]
    fn status_json() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        let mut j = Json::new(&mut w);
        write_status(&mut j, b"web", JobState::Running, 1, 812, &[0, 9], 41);
        j.finish().unwrap();
        assert_eq!(
            core::str::from_utf8(w.bytes()).unwrap(),
            r#"{"name":"web","state":"running","task":1,"pid":812,"exits":["0","SIGKILL"],"seq":41}"#
        );
    }

    #[test]
    fn mangled_bodies_never_panic() {
        const BYTES: &[u8] = b"{}[],:\"\\u0aZ \x00\xc3\xa9-1e.";
        let mut job = Box::new(Job::new());
        crate::http::mangled(EXAMPLE.as_bytes(), BYTES, 0x2545f4914f6cdd1d, 20_000, |b, _| match job.parse_into(b) {
            Ok(()) => {
                for t in job.tasks() {
                    assert!(!t.exec().is_empty());
                    assert_eq!(t.argv().count(), t.argc());
                }
            }
            Err(e) => assert!(matches!(e.status.code(), 400 | 501), "{e:?}"),
        });
    }

    #[test]
    fn a_job_is_fixed_storage_of_under_20_kib() {
        let n = core::mem::size_of::<Job>();
        println!("size_of::<Job>() = {n}");
        assert!(n < 20 * 1024, "{n}");
    }
}

//! An HTTP/1.0 or 1.1 request, from however many bytes have arrived so far
//! to a validated [`Request`]: our own strict reader lexes the head (checked
//! against httparse in the tests) without storing its header fields; the
//! limits, the request-smuggling rules, keep-alive and routing follow. Each call looks at the whole buffer again (at most
//! [`REQUEST_BUF_MAX`](super::REQUEST_BUF_MAX) bytes), so the caller keeps no
//! parser state between reads.

use crate::core::{Command, Verb};
use crate::http::t;
use crate::words::{self, Words};
use super::{BODY_MAX, Error, HEAD_MAX, HEADERS_MAX, Status, TARGET_MAX, Version, parse_signal};

/// A resource and method the endpoint serves: most are a command for the
/// core (`GET /services` is `List`, `GET /service/NAME` is `Query`). Names
/// are borrowed from the request buffer and already satisfy
/// `crate::name::valid`; signals are numbers 1..=64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /services`, `GET /service/NAME`,
    /// `POST /service/NAME/(up|down|restart|ready|signal/SIG)`,
    /// `GET|PUT|DELETE /job/NAME` (a PUT's body is the job),
    /// `POST /job/NAME/signal/SIG`, `POST /(rescan|shutdown|reboot)`.
    Core(Command<'a>),
    /// `GET /jobs`
    Jobs,
    /// `GET /events[?job=NAME|jobs][&after=SEQ]`
    Events(EventsQuery<'a>),
    /// `GET /metrics`
    Metrics,
}

/// Which events a stream wants, and from where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventsQuery<'a> {
    /// Only jobs' events (`jobs`).
    pub jobs: bool,
    /// Only this job's events (`job=NAME`).
    pub job: Option<&'a [u8]>,
    /// Start after this sequence number (`after=SEQ`), not from now.
    pub after: Option<u64>,
}

/// A complete, validated request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub route: Route<'a>,
    pub version: Version,
    /// Whether the connection stays open after the reply.
    pub keep_alive: bool,
    /// Exactly `Content-Length` bytes (empty without one).
    pub body: &'a [u8],
    /// Bytes of the buffer this request used, head and body; what follows
    /// is the next request.
    pub len: usize,
}

/// How far the bytes so far go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// The head is not complete yet; nothing is wrong so far.
    Partial,
    /// The head is complete and valid; the request ends at byte `len`.
    /// With `expect_continue`, send `response::CONTINUE` once before waiting.
    Body {
        len: usize,
        expect_continue: bool,
    },
    Complete(Request<'a>),
}

/// Read a request from the start of `buf`. An `Err` is the reply to send
/// (then close the connection).
#[inline(never)] // (out of line: smaller, measured)
pub fn parse(buf: &[u8]) -> Result<Parsed<'_>, Error> {
    let mut f = Fields::default();
    let (method, target, version, head_len) = match head(buf, &mut f) {
        Ok(h) if h.3 <= HEAD_MAX => h,
        Err(Lex::Partial) if buf.len() < HEAD_MAX => return Ok(Parsed::Partial),
        Ok(_) | Err(Lex::Partial | Lex::TooMany) => {
            return Err(Error::new(Status::HeaderFieldsTooLarge, t!("head too large")));
        }
        Err(Lex::Bad) => return Err(Error::bad(t!("malformed request"))),
        Err(Lex::LongTarget) => return Err(Error::new(Status::UriTooLong, t!("target too long"))),
    };
    let Fields { lengths, length, encodings, hosts, close, keep, expect_continue } = f;
    // Two framings, or two lengths, are how requests get smuggled past a
    // proxy: refuse them rather than pick one.
    if encodings > 0 && lengths > 0 {
        return Err(Error::bad(t!("Content-Length with Transfer-Encoding")));
    }
    if encodings > 0 {
        return Err(Error::new(Status::NotImplemented, t!("Transfer-Encoding not supported")));
    }
    if lengths > 1 {
        return Err(Error::bad(t!("duplicate Content-Length")));
    }
    let content_length = match lengths {
        0 => None,
        _ => Some(content_length(length)?),
    };
    if version == Version::Http11 && hosts != 1 {
        return Err(Error::bad(if hosts == 0 { t!("missing Host") } else { t!("duplicate Host") }));
    }
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => keep && !close,
    };

    let m = word(method);
    let route = route(m, target)?;

    let rest = buf.get(head_len..).unwrap_or(&[]);
    let body_len = match content_length {
        Some(n) => n,
        // PUT always carries a job; a POST may come bare (curl -X POST), but
        // bytes after its head that cannot start a request are a body sent
        // without a length.
        None if m == PUT => return Err(length_required()),
        None if m == POST && !could_start_request(rest) => return Err(length_required()),
        None => 0,
    };
    let len = head_len + body_len;
    match buf.get(head_len..len) {
        Some(body) => Ok(Parsed::Complete(Request { route, version, keep_alive, body, len })),
        None => {
            Ok(Parsed::Body { len, expect_continue: expect_continue && version == Version::Http11 })
        }
    }
}

/// What the header fields say, as far as we care.
#[derive(Default)]
struct Fields<'a> {
    lengths: usize,
    length: &'a [u8],
    encodings: usize,
    hosts: usize,
    close: bool,
    keep: bool,
    expect_continue: bool,
}

impl<'a> Fields<'a> {
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    fn add(&mut self, name: &[u8], value: &'a [u8]) {
        let value = trim(value);
        match lower_word(name) {
            CONTENT_LENGTH => {
                self.lengths += 1;
                self.length = value;
            }
            TRANSFER_ENCODING => self.encodings += 1,
            HOST => self.hosts += 1,
            EXPECT => self.expect_continue |= lower_word(value) == CONTINUE,
            CONNECTION => {
                for token in words::split(value, b',').map(trim) {
                    match lower_word(token) {
                        CLOSE => self.close = true,
                        KEEP_ALIVE => self.keep = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Which word of [`WORDS`] `w` is, whatever its case (header names and
/// their tokens); `NONE` for any other.
fn lower_word(w: &[u8]) -> usize {
    let mut buf = [0u8; WORD_MAX];
    let Some(lower) = buf.get_mut(..w.len()) else { return NONE };
    for (l, c) in lower.iter_mut().zip(w) {
        *l = c.to_ascii_lowercase();
    }
    word(lower)
}

/// Why a head could not be read (yet).
#[derive(Debug, PartialEq, Eq)]
enum Lex {
    /// The bytes end before the head does; nothing is wrong so far.
    Partial,
    /// More than HEADERS_MAX header fields.
    TooMany,
    /// A target longer than TARGET_MAX (told as soon as it shows, before
    /// the head is whole).
    LongTarget,
    Bad,
}

/// RFC 9112's request head, strictly: empty lines before the request line
/// are skipped; `METHOD SP target SP HTTP/1.0|1 EOL`; fields `name: value
/// EOL` with a token name, no space before the colon and no folding; an
/// ASCII target (httparse takes UTF-8 there too);
/// values of visible bytes, blanks and obs-text; an empty line ends it. EOL
/// is CRLF or a bare LF. Each field goes to `f`; the answer is the method,
/// the target, the version and the head's length. Bytes are judged as they
/// come, so garbage is refused before the head is complete.
fn head<'a>(buf: &'a [u8], f: &mut Fields<'a>) -> Result<(&'a [u8], &'a [u8], Version, usize), Lex> {
    let at = |i: usize| buf.get(i).copied().ok_or(Lex::Partial);
    let mut i = 0;
    loop {
        match at(i)? {
            b'\n' => i += 1,
            b'\r' if at(i + 1)? == b'\n' => i += 2,
            b'\r' => return Err(Lex::Bad),
            _ => break,
        }
    }
    // Ends a line at i: CRLF or LF; the index after it.
    let eol = |i: usize| match at(i)? {
        b'\n' => Ok(i + 1),
        b'\r' if at(i + 1)? == b'\n' => Ok(i + 2),
        _ => Err(Lex::Bad),
    };
    let start = i;
    while is_tchar(at(i)?) {
        i += 1;
    }
    let method = buf.get(start..i).ok_or(Lex::Bad)?;
    if method.is_empty() || at(i)? != b' ' {
        return Err(Lex::Bad);
    }
    i += 1;
    let start = i;
    // A URI is ASCII (RFC 3986; anything else is percent-encoded).
    while let 0x21..=0x7e = at(i)? {
        i += 1;
        if i - start > TARGET_MAX {
            return Err(Lex::LongTarget);
        }
    }
    let target = buf.get(start..i).ok_or(Lex::Bad)?;
    if target.is_empty() || at(i)? != b' ' {
        return Err(Lex::Bad);
    }
    i += 1;
    for (k, &want) in b"HTTP/1.".iter().enumerate() {
        if at(i + k)? != want {
            return Err(Lex::Bad);
        }
    }
    let version = match at(i + 7)? {
        b'0' => Version::Http10,
        b'1' => Version::Http11,
        _ => return Err(Lex::Bad),
    };
    i = eol(i + 8)?;
    let mut count = 0;
    loop {
        if matches!(at(i)?, b'\r' | b'\n') {
            return Ok((method, target, version, eol(i)?));
        }
        let start = i;
        while is_tchar(at(i)?) {
            i += 1;
        }
        let name = buf.get(start..i).ok_or(Lex::Bad)?;
        if name.is_empty() || at(i)? != b':' {
            return Err(Lex::Bad);
        }
        i += 1;
        let start = i;
        while let b'\t' | 0x20..=0x7e | 0x80.. = at(i)? {
            i += 1;
        }
        let value = buf.get(start..i).ok_or(Lex::Bad)?;
        i = eol(i)?;
        if count == HEADERS_MAX {
            return Err(Lex::TooMany);
        }
        count += 1;
        f.add(name, value);
    }
}

/// RFC 9110's tchar.
fn is_tchar(b: u8) -> bool {
    TCHARS.get(b as usize / 8).is_some_and(|bits| bits >> (b % 8) & 1 == 1)
}

/// The tchars as a bit per ASCII byte, made when compiling.
const TCHARS: [u8; 16] = {
    let mut set = [0u8; 16];
    let mut b = 0u8;
    while b < 128 {
        let punct = b"!#$%&'*+-.^_`|~";
        let mut i = 0;
        let mut hit = b.is_ascii_alphanumeric();
        while i < punct.len() {
            hit |= punct[i] == b;
            i += 1;
        }
        if hit {
            set[b as usize / 8] |= 1 << (b % 8);
        }
        b += 1;
    }
    set
};

fn length_required() -> Error {
    Error::new(Status::LengthRequired, t!("body without Content-Length"))
}

/// Content-Length: digits only (no sign, no list); too large is 413.
fn content_length(v: &[u8]) -> Result<usize, Error> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(Error::bad(t!("bad Content-Length")));
    }
    match crate::out::parse_u64(v) {
        Some(n) if n <= BODY_MAX as u64 => Ok(n as usize),
        _ => Err(Error::new(Status::PayloadTooLarge, t!("body too large"))),
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Whether `rest` can be (the start of) a pipelined request: empty, blank
/// lines, or an upper-case method token so far.
// (Out of line on x86_64: smaller there.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn could_start_request(rest: &[u8]) -> bool {
    let line = after_blank_lines(rest);
    if line.is_empty() {
        return true;
    }
    let token = match line.iter().position(|&b| b == b' ') {
        Some(0) => return false,
        Some(i) => line.get(..i).unwrap_or(&[]),
        None => line,
    };
    token.iter().all(u8::is_ascii_uppercase)
}

/// `buf` from its first byte that is neither CR nor LF (empty if none).
fn after_blank_lines(buf: &[u8]) -> &[u8] {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    buf.get(start..).unwrap_or(&[])
}

/// Path segments the longest route has.
const SEGMENTS_MAX: usize = 4;

/// The methods, the first segments of paths, what may follow a name, the
/// parameters of `/events` (`jobs`, `job`, `after`), the header fields and
/// tokens we read and the schemes of absolute targets (in lower case:
/// `lower_word`).
const WORDS: &[(&[u8], ())] = &[
    (b"GET", ()),
    (b"PUT", ()),
    (b"POST", ()),
    (b"DELETE", ()),
    (b"jobs", ()),
    (b"job", ()),
    (b"services", ()),
    (b"service", ()),
    (b"rescan", ()),
    (b"shutdown", ()),
    (b"reboot", ()),
    (b"events", ()),
    (b"metrics", ()),
    (b"up", ()),
    (b"down", ()),
    (b"restart", ()),
    (b"ready", ()),
    (b"signal", ()),
    (b"after", ()),
    (b"content-length", ()),
    (b"transfer-encoding", ()),
    (b"host", ()),
    (b"expect", ()),
    (b"connection", ()),
    (b"100-continue", ()),
    (b"close", ()),
    (b"keep-alive", ()),
    (b"http", ()),
    (b"https", ()),
];
const PACKED: Words<{ words::bytes(WORDS) }, { WORDS.len() }, ()> = Words::pack(WORDS);

/// The longest word (`transfer-encoding`): what `lower_word` copies at
/// most; a longer input is no word.
const WORD_MAX: usize = {
    let (mut i, mut max) = (0, 0);
    while i < WORDS.len() {
        if WORDS[i].0.len() > max {
            max = WORDS[i].0.len();
        }
        i += 1;
    }
    max
};

const NONE: usize = usize::MAX;
const GET: usize = PACKED.number(b"GET");
const PUT: usize = PACKED.number(b"PUT");
const POST: usize = PACKED.number(b"POST");
const DELETE: usize = PACKED.number(b"DELETE");
const JOBS: usize = PACKED.number(b"jobs");
const JOB: usize = PACKED.number(b"job");
const SERVICES: usize = PACKED.number(b"services");
const SERVICE: usize = PACKED.number(b"service");
const RESCAN: usize = PACKED.number(b"rescan");
const SHUTDOWN: usize = PACKED.number(b"shutdown");
const REBOOT: usize = PACKED.number(b"reboot");
const EVENTS: usize = PACKED.number(b"events");
const METRICS: usize = PACKED.number(b"metrics");
const UP: usize = PACKED.number(b"up");
const READY: usize = PACKED.number(b"ready");
const SIGNAL: usize = PACKED.number(b"signal");
const AFTER: usize = PACKED.number(b"after");
const CONTENT_LENGTH: usize = PACKED.number(b"content-length");
const TRANSFER_ENCODING: usize = PACKED.number(b"transfer-encoding");
const HOST: usize = PACKED.number(b"host");
const EXPECT: usize = PACKED.number(b"expect");
const CONNECTION: usize = PACKED.number(b"connection");
const CONTINUE: usize = PACKED.number(b"100-continue");
const CLOSE: usize = PACKED.number(b"close");
const KEEP_ALIVE: usize = PACKED.number(b"keep-alive");
const HTTP: usize = PACKED.number(b"http");
const HTTPS: usize = PACKED.number(b"https");

/// A word's number in [`WORDS`] (`NONE` for any other).
#[inline(never)]
fn word(w: &[u8]) -> usize {
    PACKED.find(w, 0, WORDS.len()).unwrap_or(NONE)
}

/// The shape of a path after its first segment.
const BARE: usize = 0;
const NAMED: usize = 1;
/// A name and `up`, `down`, `restart` or `ready`.
const ACTION: usize = 2;
/// A name, `signal` and a signal.
const SIGNALLED: usize = 3;

// (Out of line on x86_64: smaller there, larger on aarch64.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn route(m: usize, target: &[u8]) -> Result<Route<'_>, Error> {
    let path = origin_path(target).ok_or(Error::bad(t!("bad target")))?;
    let path = words::split(path, b'#').next().unwrap_or(&[]);
    let (path, query) = match path.iter().position(|&b| b == b'?') {
        Some(i) => (path.get(..i).unwrap_or(&[]), path.get(i + 1..).unwrap_or(&[])),
        None => (path, &[][..]),
    };
    let mut seg: [&[u8]; SEGMENTS_MAX] = [&[]; SEGMENTS_MAX];
    let mut parts = words::split(path.get(1..).unwrap_or(&[]), b'/');
    let mut n = 0;
    for (slot, part) in seg.iter_mut().zip(&mut parts) {
        *slot = part;
        n += 1;
    }
    if parts.next().is_some() {
        return Err(Error::not_found());
    }
    let [first, name, third, sig] = seg;
    let (first, third) = (word(first), word(third));
    let shape = match n {
        1 => BARE,
        2 => NAMED,
        3 if (UP..=READY).contains(&third) => ACTION,
        4 if third == SIGNAL => SIGNALLED,
        _ => return Err(Error::not_found()),
    };
    // The path is known by now: a wrong method is told what it takes.
    let on_path = |r: &&[u8; 3]| r[0] as usize == first && r[1] as usize == shape;
    let Some(known) = ROUTES.iter().find(on_path) else {
        return Err(Error::not_found());
    };
    let allow = match known[2] as usize {
        GET if first == JOB => t!("GET, PUT, DELETE"),
        GET => t!("GET"),
        _ => t!("POST"),
    };
    let name = if shape == BARE { &[][..] } else { valid_name(name)? };
    let sig = if shape == SIGNALLED { valid_signal(sig)? } else { 0 } as u32;
    let Some(row) = ROUTES.iter().position(|r| on_path(&r) && r[2] as usize == m) else {
        return Err(Error::method_not_allowed(allow));
    };
    Ok(match row {
        0 => Route::Jobs,
        1 => Route::Metrics,
        2 => Route::Events(events_query(query)?),
        5 => Route::Core(Command::new(ACTIONS.get(third - UP).copied().unwrap_or(Verb::Up), name)),
        _ => Route::Core(Command::signal(VERBS.get(row).copied().unwrap_or(Verb::List), name, sig)),
    })
}

/// The verb of each row of ROUTES that is a command (rows 0 to 2 are not;
/// row 5's verb is among ACTIONS).
const VERBS: [Verb; ROUTES.len()] = {
    use Verb::*;
    [List, List, List, List, Query, Up, Signal, GetJob, PutJob, DeleteJob, SignalJob, Rescan, Shutdown, Reboot]
};

/// `POST /service/NAME/ACTION`: the verbs of the words `up` to `ready`.
const ACTIONS: [Verb; 4] = {
    assert!(PACKED.number(b"down") == UP + 1 && PACKED.number(b"restart") == UP + 2 && READY == UP + 3);
    [Verb::Up, Verb::Down, Verb::Restart, Verb::Ready]
};

/// Every route: first segment, shape, method, as three bytes. `route`
/// turns row i into its request (`tests::routes` sends every one), and
/// answers a known path with another method 405 with the methods of its
/// first row (and `GET, PUT, DELETE` for a job).
const ROUTES: [[u8; 3]; 14] = {
    const fn r(first: usize, shape: usize, method: usize) -> [u8; 3] {
        [first as u8, shape as u8, method as u8]
    }
    [
        r(JOBS, BARE, GET),
        r(METRICS, BARE, GET),
        r(EVENTS, BARE, GET),
        r(SERVICES, BARE, GET),
        r(SERVICE, NAMED, GET),
        r(SERVICE, ACTION, POST),
        r(SERVICE, SIGNALLED, POST),
        r(JOB, NAMED, GET),
        r(JOB, NAMED, PUT),
        r(JOB, NAMED, DELETE),
        r(JOB, SIGNALLED, POST),
        r(RESCAN, BARE, POST),
        r(SHUTDOWN, BARE, POST),
        r(REBOOT, BARE, POST),
    ]
};

/// `job=NAME`, `jobs`, `after=SEQ`, joined by `&`; anything else is 400.
fn events_query(q: &[u8]) -> Result<EventsQuery<'_>, Error> {
    let mut e = EventsQuery::default();
    for p in words::split(q, b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match p.iter().position(|&b| b == b'=') {
            Some(i) => (p.get(..i).unwrap_or(&[]), p.get(i + 1..)),
            None => (p, None),
        };
        match (word(k), v) {
            (JOBS, None) => e.jobs = true,
            (JOB, Some(n)) => e.job = Some(valid_name(n)?),
            // Digits only (no sign, none empty), within u64.
            (AFTER, Some(n)) => e.after = Some(crate::out::parse_u64(n).ok_or(Error::bad(t!("bad after")))?),
            _ => return Err(Error::bad(t!("unknown parameter of /events"))),
        }
    }
    Ok(e)
}

/// `/path` as is; `http://host/path` (absolute form, which HTTP/1.1 servers
/// must accept) without scheme and authority.
#[inline(never)] // (out of line: smaller, measured)
fn origin_path(target: &[u8]) -> Option<&[u8]> {
    if target.first() == Some(&b'/') {
        return Some(target);
    }
    let scheme = target.iter().position(|&b| b == b':')?;
    let (s, rest) = (target.get(..scheme)?, target.get(scheme..)?);
    if !matches!(lower_word(s), HTTP | HTTPS) {
        return None;
    }
    let after = rest.strip_prefix(b"://")?;
    Some(match after.iter().position(|&b| b == b'/') {
        Some(i) => after.get(i..)?,
        None => b"/",
    })
}

/// A name segment is used as sent: percent-encoding is refused rather than
/// decoded, so what the client wrote is what the supervisor looks up. (A
/// target is visible ASCII, `head` admits nothing else: no control byte
/// or space can be in a name from it.)
fn valid_name(name: &[u8]) -> Result<&[u8], Error> {
    if name.iter().any(|&b| b == b'%') {
        return Err(Error::bad(t!("percent-encoding in name")));
    }
    if !crate::name::valid(name) {
        return Err(Error::bad(t!("bad name")));
    }
    Ok(name)
}

fn valid_signal(sig: &[u8]) -> Result<u8, Error> {
    parse_signal(sig).ok_or(Error::bad(t!("unknown signal")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &[u8]) -> Request<'_> {
        match parse(s) {
            Ok(Parsed::Complete(r)) => r,
            other => panic!("{:?} for {:?}", other, core::str::from_utf8(s)),
        }
    }

    fn err(s: &[u8]) -> Error {
        match parse(s) {
            Err(e) => e,
            other => panic!("{:?} for {:?}", other, core::str::from_utf8(s)),
        }
    }

    fn code(s: &[u8]) -> u16 {
        err(s).status.code()
    }

    fn get(target: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
    }

    fn with_method(m: &str, target: &str) -> Vec<u8> {
        format!("{m} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").into_bytes()
    }

    const PUT: &[u8] = b"PUT /job/web HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"tasks\":[]}\n";

    #[test]
    fn a_put_with_its_body_is_complete() {
        let r = req(PUT);
        assert_eq!(r.route, Route::Core(Command::new(Verb::PutJob, b"web")));
        assert_eq!(r.body, b"{\"tasks\":[]}\n");
        assert_eq!(r.len, PUT.len());
        assert!(r.keep_alive);
        assert_eq!(r.version, Version::Http11);
    }

    #[test]
    fn every_prefix_of_a_valid_request_is_partial_or_awaiting_the_body() {
        let head_len = PUT.len() - 13;
        for n in 0..PUT.len() {
            match parse(&PUT[..n]) {
                Ok(Parsed::Partial) => assert!(n < head_len, "{n}"),
                Ok(Parsed::Body { len, expect_continue: false }) => {
                    assert!(n >= head_len, "{n}");
                    assert_eq!(len, PUT.len());
                }
                other => panic!("{n}: {other:?}"),
            }
        }
    }

    #[test]
    fn pipelined_requests_are_read_one_at_a_time() {
        let mut two = get("/jobs");
        let first = two.len();
        two.extend_from_slice(&get("/metrics"));
        let r = req(&two);
        assert_eq!((r.route, r.len), (Route::Jobs, first));
        assert_eq!(req(&two[first..]).route, Route::Metrics);
    }

    #[test]
    fn expect_continue_is_reported_while_the_body_is_missing() {
        let head =
            b"PUT /job/a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(parse(head), Ok(Parsed::Body { len: head.len() + 2, expect_continue: true }));
        let mut whole = head.to_vec();
        whole.extend_from_slice(b"{}");
        assert_eq!(req(&whole).body, b"{}");
    }

    #[test]
    fn routes() {
        let cases: &[(&str, &str, Route)] = &[
            ("GET", "/jobs", Route::Jobs),
            ("GET", "/job/web", Route::Core(Command::new(Verb::GetJob, b"web"))),
            ("DELETE", "/job/web", Route::Core(Command::new(Verb::DeleteJob, b"web"))),
            ("POST", "/job/web/signal/TERM", Route::Core(Command::signal(Verb::SignalJob, b"web", 15))),
            ("POST", "/job/web/signal/SIGKILL", Route::Core(Command::signal(Verb::SignalJob, b"web", 9))),
            ("POST", "/job/web/signal/10", Route::Core(Command::signal(Verb::SignalJob, b"web", 10))),
            ("GET", "/services", Route::Core(Command::bare(Verb::List))),
            ("GET", "/service/getty@tty1", Route::Core(Command::new(Verb::Query, b"getty@tty1"))),
            ("POST", "/service/web/up", Route::Core(Command::new(Verb::Up, b"web"))),
            ("POST", "/service/web/down", Route::Core(Command::new(Verb::Down, b"web"))),
            ("POST", "/service/web/restart", Route::Core(Command::new(Verb::Restart, b"web"))),
            ("POST", "/service/web/ready", Route::Core(Command::new(Verb::Ready, b"web"))),
            ("POST", "/service/web/signal/HUP", Route::Core(Command::signal(Verb::Signal, b"web", 1))),
            ("POST", "/rescan", Route::Core(Command::bare(Verb::Rescan))),
            ("POST", "/shutdown", Route::Core(Command::bare(Verb::Shutdown))),
            ("POST", "/reboot", Route::Core(Command::bare(Verb::Reboot))),
            ("GET", "/events", Route::Events(EventsQuery::default())),
            ("GET", "/events?jobs", Route::Events(EventsQuery { jobs: true, ..EventsQuery::default() })),
            ("GET", "/events?job=build&after=17", Route::Events(EventsQuery { job: Some(b"build"), after: Some(17), ..EventsQuery::default() })),
            ("GET", "/metrics?x=1&y", Route::Metrics),
            ("GET", "/job/web?verbose", Route::Core(Command::new(Verb::GetJob, b"web"))),
            ("GET", "http://localhost/jobs", Route::Jobs),
            ("GET", "HTTP://localhost:80/job/a", Route::Core(Command::new(Verb::GetJob, b"a"))),
        ];
        for (m, t, want) in cases {
            assert_eq!(req(&with_method(m, t)).route, *want, "{m} {t}");
        }
    }

    #[test]
    fn a_bare_post_needs_no_length() {
        let r = req(b"POST /rescan HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!((r.route, r.body), (Route::Core(Command::bare(Verb::Rescan)), &b""[..]));
        // a pipelined request, or the start of one, after a bare POST is fine
        let two = b"POST /rescan HTTP/1.1\r\nHost: x\r\n\r\nGET /jobs HTTP/1.1\r\n";
        assert_eq!(req(two).route, Route::Core(Command::bare(Verb::Rescan)));
        assert_eq!(req(b"POST /rescan HTTP/1.1\r\nHost: x\r\n\r\nGE").route, Route::Core(Command::bare(Verb::Rescan)));
    }

    #[test]
    fn unknown_paths_are_404() {
        for t in [
            "/",
            "/jobs/",
            "/job",
            "/job/a/b",
            "/job/a/signal",
            "/service/a/sleep",
            "/service/a/signal/TERM/x",
            "/a/b/c/d/e/f",
            "//jobs",
            "/JOBS",
            "/job/a/signal/TERM/",
        ] {
            assert_eq!(code(&get(t)), 404, "{t}");
        }
        assert_eq!(code(&get("*")), 400);
        assert_eq!(code(&get("ftp://x/jobs")), 400);
    }

    #[test]
    fn wrong_method_on_a_known_path_is_405_with_allow() {
        let cases = [
            ("POST", "/jobs", "GET"),
            ("POST", "/job/a", "GET, PUT, DELETE"),
            ("PATCH", "/job/a", "GET, PUT, DELETE"),
            ("GET", "/job/a/signal/TERM", "POST"),
            ("PUT", "/services", "GET"),
            ("DELETE", "/service/a", "GET"),
            ("GET", "/service/a/up", "POST"),
            ("GET", "/service/a/signal/INT", "POST"),
            ("GET", "/rescan", "POST"),
            ("HEAD", "/shutdown", "POST"),
            ("DELETE", "/reboot", "POST"),
            ("POST", "/events", "GET"),
            ("BREW", "/metrics", "GET"),
        ];
        for (m, t, allow) in cases {
            let e = err(&with_method(m, t));
            assert_eq!((e.status, e.allow()), (Status::MethodNotAllowed, allow.as_bytes()), "{m} {t}");
        }
    }

    #[test]
    fn events_parameters_are_checked() {
        for t in ["/events?job", "/events?jobs=1", "/events?after=", "/events?after=-1", "/events?after=x", "/events?since=3", "/events?job=a,b"] {
            assert_eq!(code(&get(t)), 400, "{t}");
        }
        assert_eq!(req(&get("/events?job=a&jobs&after=0")).route, Route::Events(EventsQuery { jobs: true, job: Some(b"a"), after: Some(0) }));
        assert_eq!(req(&get("/events?")).route, Route::Events(EventsQuery::default()));
        let reason = |t: &str| err(&get(t)).reason().to_vec();
        for t in ["/events?after=", "/events?after=x", "/events?after=-1", "/events?after=18446744073709551616"] {
            assert_eq!(reason(t), b"bad after", "{t}");
        }
        assert_eq!(reason("/events?after=18446744073709551615&since=3"), b"unknown parameter of /events");
    }

    #[test]
    fn bad_names_and_signals_are_400() {
        for t in ["/job/a%2Fb", "/job/%2e%2e", "/service/x%00", "/service/%41/up"] {
            assert_eq!(err(&get(t)).reason(), b"percent-encoding in name", "{t}");
        }
        for t in [
            "/job/",
            "/job/.hidden",
            "/job/SYS",
            "/job/tpl@",
            "/job/a,b",
            "/service/..",
            &format!("/job/{}", "a".repeat(64)),
        ] {
            assert_eq!(err(&get(t)).reason(), b"bad name", "{t}");
        }
        assert_eq!(
            req(&get(&format!("/job/{}", "a".repeat(63)))).route,
            Route::Core(Command::new(Verb::GetJob, &[b'a'; 63]))
        );
        for s in ["FOO", "0", "65", "SIG", "%54ERM"] {
            let e = err(&with_method("POST", &format!("/job/a/signal/{s}")));
            assert_eq!(e.reason(), b"unknown signal", "{s}");
        }
        // control characters never get as far as the name rules
        assert_eq!(code(b"GET /job/a\x01b HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    }

    #[test]
    fn keep_alive_by_version_and_connection_header() {
        let ka = |s: &[u8]| req(s).keep_alive;
        assert!(ka(b"GET /jobs HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!ka(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        assert!(!ka(b"GET /jobs HTTP/1.1\r\nHost: x\r\nconnection: Keep-Alive, CLOSE\r\n\r\n"));
        assert!(ka(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"));
        assert!(!ka(b"GET /jobs HTTP/1.0\r\n\r\n"));
        assert!(ka(b"GET /jobs HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        assert!(ka(b"GET /jobs HTTP/1.0\r\nConnection: foo , keep-alive\r\n\r\n"));
        assert!(!ka(b"GET /jobs HTTP/1.0\r\nConnection: close\r\n\r\n"));
        assert_eq!(req(b"GET /jobs HTTP/1.0\r\n\r\n").version, Version::Http10);
    }

    #[test]
    fn host_is_required_once_in_http_1_1() {
        assert_eq!(err(b"GET /jobs HTTP/1.1\r\n\r\n").reason(), b"missing Host");
        assert_eq!(
            err(b"GET /jobs HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").reason(),
            b"duplicate Host"
        );
    }

    #[test]
    fn smuggling_attempts_are_refused() {
        let e = err(
            b"POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!((e.status, e.reason()), (Status::BadRequest, &b"duplicate Content-Length"[..]));
        assert_eq!(code(b"POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\n"), 400);
        let e = err(b"POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(
            (e.status, e.reason()),
            (Status::BadRequest, &b"Content-Length with Transfer-Encoding"[..])
        );
        assert_eq!(
            code(
                b"POST /rescan HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            ),
            501
        );
        assert_eq!(
            code(b"PUT /job/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n"),
            501
        );
        for v in ["-1", "+1", "1,1", "1 1", "0x10", "", "1.0"] {
            let r = format!("POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length: {v}\r\n\r\n");
            assert_eq!(err(r.as_bytes()).reason(), b"bad Content-Length", "{v}");
        }
        // no whitespace before the colon, no obsolete line folding
        assert_eq!(code(b"POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length : 1\r\n\r\nx"), 400);
        assert_eq!(code(b"POST /rescan HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"), 400);
        // bare LF line ends are accepted (RFC 9112 section 2.2 allows it)
        assert_eq!(req(b"GET /jobs HTTP/1.1\nHost: x\n\n").route, Route::Jobs);
    }

    #[test]
    fn a_body_without_a_length_is_411() {
        assert_eq!(code(b"PUT /job/a HTTP/1.1\r\nHost: x\r\n\r\n"), 411);
        assert_eq!(code(b"PUT /job/a HTTP/1.1\r\nHost: x\r\n\r\n{\"tasks\":[]}"), 411);
        assert_eq!(code(b"POST /job/a/signal/TERM HTTP/1.1\r\nHost: x\r\n\r\n{}"), 411);
        assert_eq!(code(b"POST /rescan HTTP/1.0\r\n\r\nhello"), 411);
    }

    #[test]
    fn oversize_head_target_and_body() {
        // exactly HEAD_MAX bytes of head is fine, one more is 431
        let fill = |n: usize| {
            let pre = "GET /jobs HTTP/1.1\r\nHost: x\r\nX: ";
            format!("{pre}{}\r\n\r\n", "a".repeat(n - pre.len() - 4)).into_bytes()
        };
        assert_eq!(req(&fill(HEAD_MAX)).len, HEAD_MAX);
        assert_eq!(code(&fill(HEAD_MAX + 1)), 431);
        // an endless head is 431 once it passes the limit, not before
        let endless = fill(HEAD_MAX + 100);
        assert_eq!(parse(&endless[..HEAD_MAX - 1]), Ok(Parsed::Partial));
        assert_eq!(code(&endless[..HEAD_MAX]), 431);
        let mut many = b"GET /jobs HTTP/1.1\r\nHost: x\r\n".to_vec();
        for _ in 0..HEADERS_MAX {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(code(&many), 431);
        // the target: 414 as soon as it passes its limit, complete or not
        let long = format!("/jobs?{}", "q".repeat(TARGET_MAX - 6));
        assert_eq!(req(&get(&long)).route, Route::Jobs);
        let longer = format!("/jobs?{}", "q".repeat(TARGET_MAX - 5));
        assert_eq!(code(&get(&longer)), 414);
        let partial = format!("GET /{}", "j".repeat(TARGET_MAX));
        assert_eq!(code(partial.as_bytes()), 414);
        let huge = format!("GET /{} HTTP/1.1\r\n", "j".repeat(HEAD_MAX));
        assert_eq!(code(huge.as_bytes()), 414);
        // the body: 413 from the head alone
        let at = format!("PUT /job/a HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY_MAX}\r\n\r\n");
        assert!(matches!(parse(at.as_bytes()), Ok(Parsed::Body { .. })));
        let over =
            format!("PUT /job/a HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", BODY_MAX + 1);
        assert_eq!(code(over.as_bytes()), 413);
        assert_eq!(code(b"PUT /job/a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 413);
    }

    #[test]
    fn malformed_heads_are_400() {
        for bad in [
            &b"GET\r\n\r\n"[..],
            b"GET /jobs\r\n\r\n",
            b"GET /jobs HTTP/2.0\r\nHost: x\r\n\r\n",
            b"GET /jobs HTTP/1.1 x\r\nHost: x\r\n\r\n",
            b"GET  /jobs HTTP/1.1\r\nHost: x\r\n\r\n",
            b"G(T /jobs HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /jobs HTTP/1.1\r\nHo st: x\r\n\r\n",
            b"GET /jobs HTTP/1.1\r\n: x\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ] {
            assert_eq!(code(bad), 400, "{:?}", bad);
        }
    }

    #[test]
    fn body_bytes_belong_to_the_request() {
        let r = req(b"DELETE /job/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET");
        assert_eq!((r.route, r.body, r.len), (Route::Core(Command::new(Verb::DeleteJob, b"a")), &b"abc"[..], 57));
    }

    #[test]
    fn mangled_requests_never_panic_and_never_read_past_the_end() {
        const BYTES: &[u8] = b" /:\r\n%?0aZ\x00\xff-,;=";
        crate::http::mangled(PUT, BYTES, 0x9e3779b97f4a7c15, 20_000, |b, r| {
            let cut = r as usize % (b.len() + 1);
            if let Ok(Parsed::Complete(req)) = parse(&b[..cut]) {
                assert!(req.len <= cut);
            }
        });
    }

    /// Our head reader against httparse on mangled requests: the same
    /// verdict (complete, partial, too many fields, malformed) and, when
    /// complete, the same method, target, version, length and fields.
    #[test]
    fn the_head_reader_agrees_with_httparse() {
        const BYTES: &[u8] = b" :\r\n\t/%0aZ\x00\x7f\x80\xff-,;=\"(";
        let many = |n: usize| {
            let mut h = b"GET /jobs HTTP/1.1\r\n".to_vec();
            for i in 0..n {
                h.extend_from_slice(format!("H{i}: {i}\r\n").as_bytes());
            }
            h.extend_from_slice(b"\r\n");
            h
        };
        let (full, over) = (many(HEADERS_MAX), many(HEADERS_MAX + 1));
        let heads: [&[u8]; 6] = [
            &full,
            &over,
            PUT,
            b"\r\nGET /services HTTP/1.0\nHost: a\nX-A:\t v \t\n\n",
            b"POST /service/a/up HTTP/1.1\r\nHost: h\r\nConnection: close, keep-alive\r\nExpect: 100-continue\r\n\r\nxyz",
            b"GET http://h/metrics HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
        ];
        let mut verdicts = [0usize; 4];
        for (k, h) in heads.iter().enumerate() {
            crate::http::mangled(h, BYTES, 0x2545_f491_4f6c_dd1d ^ k as u64, 50_000, |b, r| {
                let b = &b[..r as usize % (b.len() + 1)];
                let mut fields = [httparse::EMPTY_HEADER; HEADERS_MAX];
                let mut theirs = httparse::Request::new(&mut fields);
                let mut seen = Vec::new();
                let mut f = Fields::default();
                let ours = head(b, &mut f);
                let verdict = match (theirs.parse(b), &ours) {
                    (Ok(httparse::Status::Complete(n)), Ok((m, t, v, len))) => {
                        assert_eq!((theirs.method.unwrap().as_bytes(), theirs.path.unwrap().as_bytes()), (*m, *t), "{b:?}");
                        assert_eq!((theirs.version.unwrap() == 1, n), (*v == Version::Http11, *len), "{b:?}");
                        for h in theirs.headers.iter() {
                            seen.push((h.name.as_bytes().to_vec(), trim(h.value).to_vec()));
                        }
                        let mut mine = Fields::default();
                        for (name, value) in &seen {
                            mine.add(name, value);
                        }
                        assert_eq!((mine.lengths, mine.length, mine.encodings, mine.hosts), (f.lengths, f.length, f.encodings, f.hosts), "{b:?}");
                        assert_eq!((mine.close, mine.keep, mine.expect_continue), (f.close, f.keep, f.expect_continue), "{b:?}");
                        0
                    }
                    (Ok(httparse::Status::Partial), Err(Lex::Partial)) => 1,
                    (Err(httparse::Error::TooManyHeaders), Err(Lex::TooMany)) => 2,
                    (Err(_), Err(Lex::Bad)) => 3,
                    // A non-ASCII target is refused as it shows; httparse
                    // waits for its end to check it as UTF-8.
                    (Ok(httparse::Status::Partial), Err(Lex::Bad))
                        if b.split(|&c| c == b'\n').find(|l| !l.is_empty() && *l != b"\r").is_some_and(|l| l.iter().any(|&c| c >= 0x80)) => 3,
                    (t, o) => panic!("httparse {t:?}, ours {o:?} for {b:?}"),
                };
                verdicts[verdict] += 1;
            });
        }
        // Every verdict was reached many times, not only "malformed".
        assert!(verdicts.iter().all(|&n| n > 100), "{verdicts:?}");
    }
}

//! The HTTP/1.1 job endpoint's codecs (the contract: README, "The HTTP endpoint"): pure
//! functions over byte slices, no I/O, no allocation.
//!
//! * [`request`] turns the bytes read so far into `Partial`, a validated
//!   [`request::Request`] (route with borrowed names, keep-alive, body) or an
//!   [`Error`] that carries the contract's status code.
//! * [`response`] writes a whole response (head and body) into a
//!   caller-provided buffer, or the pieces of a chunked stream.
//! * [`json`] is a small strict JSON reader and writer; [`job`] turns a
//!   `PUT /job/NAME` body into a validated, fixed-size [`job::Job`].
//!
//! Driving it from a non-blocking loop: append what read(2) gave to the
//! connection's buffer (at most [`REQUEST_BUF_MAX`] bytes), call
//! [`request::parse`]; on `Partial` wait for more, on `Body` send
//! [`response::CONTINUE`] once if asked, on `Complete` act, write the reply
//! with [`response`], and drop `Request::len` bytes from the buffer (keep the
//! rest: a pipelined request). On an error, answer [`response::error`] and
//! close: after an error the request's end is unknown.

use crate::words::{self, Words};

mod ip;
pub mod job;
pub mod json;
pub mod request;
pub mod response;

/// Request line and headers, CRLFs included, at most this many bytes (431).
pub const HEAD_MAX: usize = 4096;
/// The request target (path and query) at most this many bytes (414).
pub const TARGET_MAX: usize = 1024;
/// A request body at most this many bytes (413).
pub const BODY_MAX: usize = 16384;
/// Header lines one request may have (431 past that).
pub const HEADERS_MAX: usize = 32;
/// A connection's input buffer never needs more than this.
pub const REQUEST_BUF_MAX: usize = HEAD_MAX + BODY_MAX;

/// The status codes this endpoint answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Continue,
    Ok,
    Created,
    Accepted,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    LengthRequired,
    PayloadTooLarge,
    UriTooLong,
    HeaderFieldsTooLarge,
    InternalServerError,
    NotImplemented,
    ServiceUnavailable,
}

impl Status {
    pub const fn code(self) -> u16 {
        match self {
            Status::Continue => 100,
            Status::Ok => 200,
            Status::Created => 201,
            Status::Accepted => 202,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::Conflict => 409,
            Status::LengthRequired => 411,
            Status::PayloadTooLarge => 413,
            Status::UriTooLong => 414,
            Status::HeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
        }
    }

    /// The reason phrase: a run of TEXTS in the order of the variants.
    pub fn phrase(self) -> &'static [u8] {
        const {
            assert!(Text::run(&[
                "Continue",
                "OK",
                "Created",
                "Accepted",
                "Bad Request",
                "Forbidden",
                "Not Found",
                "Method Not Allowed",
                "Request Timeout",
                "Conflict",
                "Length Required",
                "Content Too Large",
                "URI Too Long",
                "Request Header Fields Too Large",
                "Internal Server Error",
                "Not Implemented",
                "Service Unavailable",
            ]))
        };
        t!("Continue").after(self as usize).bytes()
    }
}

/// Every text an HTTP error can say (reasons, details, `Allow` values), in
/// one table packed when compiling (`crate::words`). A [`Text`] is its
/// number: an [`Error`] is then four bytes, carried in a register through
/// every `?` of the parsers, where a pointer to a static `&str` (16 bytes of
/// relocated data each) made it three words.
const TEXTS: &[(&[u8], ())] = &[
    (b"", ()),
    (b"method not allowed", ()),
    (b"malformed request", ()),
    (b"head too large", ()),
    (b"target too long", ()),
    (b"bad target", ()),
    (b"missing Host", ()),
    (b"duplicate Host", ()),
    (b"bad Content-Length", ()),
    (b"duplicate Content-Length", ()),
    (b"body without Content-Length", ()),
    (b"body too large", ()),
    (b"Transfer-Encoding not supported", ()),
    (b"Content-Length with Transfer-Encoding", ()),
    (b"not found", ()),
    (b"bad name", ()),
    (b"percent-encoding in name", ()),
    (b"bad after", ()),
    (b"unknown parameter of /events", ()),
    (b"unknown signal", ()),
    (b"GET", ()),
    (b"POST", ()),
    (b"GET, PUT, DELETE", ()),
    (b"forbidden", ()),
    (b"too many connections", ()),
    (b"request timeout", ()),
    (b"reply too large", ()),
    (b"job table full", ()),
    (b"job not running", ()),
    (b"no such running service", ()),
    (b"name taken by a service", ()),
    (b"job still running", ()),
    (b"malformed JSON", ()),
    (b"empty body", ()),
    (b"wrong type", ()),
    (b"expected , or closing bracket", ()),
    (b"trailing data", ()),
    (b"expected string", ()),
    (b"invalid UTF-8", ()),
    (b"unterminated string", ()),
    (b"NUL in string", ()),
    (b"bad escape", ()),
    (b"control character in string", ()),
    (b"lone surrogate", ()),
    (b"bad number", ()),
    (b"unexpected token", ()),
    (b"nesting too deep", ()),
    (b"expected value", ()),
    (b"expected :", ()),
    (b"field too long", ()),
    (b"job", ()),
    (b"job too large", ()),
    (b"unknown field", ()),
    (b"missing field", ()),
    (b"unexpected field", ()),
    (b"duplicate field", ()),
    (b"empty field", ()),
    (b"bad value", ()),
    (b"empty task list", ()),
    (b"too many tasks", ()),
    (b"too many args", ()),
    (b"too many envs", ()),
    (b"too many fds", ()),
    (b"bad env name", ()),
    (b"duplicate env", ()),
    (b"fd type not implemented", ()),
    (b"tasks", ()),
    (b"exec", ()),
    (b"args", ()),
    (b"envs", ()),
    (b"cwd", ()),
    (b"fd", ()),
    (b"user", ()),
    (b"group", ()),
    (b"type", ()),
    (b"path", ()),
    (b"mode", ()),
    (b"bind", ()),
    (b"port", ()),
    // The status phrases, in the order of Status.
    (b"Continue", ()),
    (b"OK", ()),
    (b"Created", ()),
    (b"Accepted", ()),
    (b"Bad Request", ()),
    (b"Forbidden", ()),
    (b"Not Found", ()),
    (b"Method Not Allowed", ()),
    (b"Request Timeout", ()),
    (b"Conflict", ()),
    (b"Length Required", ()),
    (b"Content Too Large", ()),
    (b"URI Too Long", ()),
    (b"Request Header Fields Too Large", ()),
    (b"Internal Server Error", ()),
    (b"Not Implemented", ()),
    (b"Service Unavailable", ()),
    // A descriptor's types and a file's modes, in the order of job::Fd and
    // job::Mode (http::job looks them up here).
    (b"null", ()),
    (b"file", ()),
    (b"pipe", ()),
    (b"unix socket", ()),
    (b"network socket", ()),
    (b"r", ()),
    (b"w", ()),
    (b"rw", ()),
    (b"a", ()),
];
const PACKED: Words<{ words::bytes(TEXTS) }, { TEXTS.len() }, ()> = Words::pack(TEXTS);
const _: () = assert!(TEXTS.len() <= 256);

/// A text of [`TEXTS`], written `t!("text")`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text(u8);

impl Text {
    /// The text `s`, looked up when compiling (in `t!`): a text missing from
    /// TEXTS does not compile.
    pub const fn of(s: &str) -> Text {
        Text(PACKED.number(s.as_bytes()) as u8)
    }

    pub fn bytes(self) -> &'static [u8] {
        PACKED.at(self.0 as usize)
    }

    /// Which of the `n` texts from this one `word` is (0 for this one).
    pub fn among(self, n: usize, word: &[u8]) -> Option<usize> {
        PACKED.find(word, self.0 as usize, n)
    }

    /// Whether `words` follow each other in TEXTS, in this order (for a
    /// compile-time check of the users of `among` and `after`).
    pub const fn run(words: &[&str]) -> bool {
        let mut i = 0;
        while i < words.len() {
            if Text::of(words[i]).0 as usize != Text::of(words[0]).0 as usize + i {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The text `i` places after this one.
    pub const fn after(self, i: usize) -> Text {
        Text(self.0 + i as u8)
    }
}

/// `t!("text")`: the [`Text`] of a string in TEXTS.
macro_rules! t {
    ($s:literal) => {
        const { $crate::http::Text::of($s) }
    };
}
pub(crate) use t;

/// A request that cannot be served as asked: the status, the short reason of
/// the `{"error":"..."}` body (`reason`, then `: detail` when there is one),
/// and for 405 the `Allow` header's value (kept where a detail would be).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    reason: Text,
    detail: Text,
}

impl Error {
    pub const fn new(status: Status, reason: Text) -> Error {
        Error { status, reason, detail: t!("") }
    }

    pub const fn with(status: Status, reason: Text, detail: Text) -> Error {
        Error { status, reason, detail }
    }

    pub const fn bad(reason: Text) -> Error {
        Error::new(Status::BadRequest, reason)
    }

    pub const fn not_found() -> Error {
        Error::new(Status::NotFound, t!("not found"))
    }

    pub const fn method_not_allowed(allow: Text) -> Error {
        Error { status: Status::MethodNotAllowed, reason: t!("method not allowed"), detail: allow }
    }

    pub fn reason(&self) -> &'static [u8] {
        self.reason.bytes()
    }

    /// What follows the reason in the body (`": detail"`), if anything.
    pub fn detail(&self) -> &'static [u8] {
        if self.status == Status::MethodNotAllowed { b"" } else { self.detail.bytes() }
    }

    /// The `Allow` header of a 405.
    pub fn allow(&self) -> &'static [u8] {
        if self.status == Status::MethodNotAllowed { self.detail.bytes() } else { b"" }
    }
}

/// The protocol version of a request; replies are HTTP/1.1 either way, but a
/// 1.0 client gets no chunked encoding and an explicit keep-alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// Where a write into a caller-provided buffer ran out of room (or, for the
/// JSON writer, out of nesting depth). What was written is not to be sent.
pub use crate::buf::Full;

pub use crate::signal::parse as parse_signal;

/// Test inputs: `count` copies of `base`, each with one to four random
/// edits (a byte replaced, inserted or removed; new bytes from `alphabet`),
/// from a fixed seed so every run sees the same inputs.
#[cfg(test)]
pub(crate) fn mangled(base: &[u8], alphabet: &[u8], seed: u64, count: usize, mut f: impl FnMut(&[u8], u64)) {
    let mut seed = seed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..count {
        let mut b = base.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() as usize % b.len().max(1);
            match next() % 3 {
                0 if !b.is_empty() => b[at] = alphabet[next() as usize % alphabet.len()],
                1 => b.insert(at.min(b.len()), alphabet[next() as usize % alphabet.len()]),
                _ if !b.is_empty() => drop(b.remove(at)),
                _ => {}
            }
        }
        f(&b, next());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_code_and_phrase() {
        assert_eq!(Status::NotImplemented.code(), 501);
        assert_eq!(Status::HeaderFieldsTooLarge.phrase(), b"Request Header Fields Too Large");
        // Every variant: its code and its phrase belong together (RFC 9110).
        let all = [
            (Status::Continue, 100, "Continue"),
            (Status::Ok, 200, "OK"),
            (Status::Created, 201, "Created"),
            (Status::Accepted, 202, "Accepted"),
            (Status::BadRequest, 400, "Bad Request"),
            (Status::Forbidden, 403, "Forbidden"),
            (Status::NotFound, 404, "Not Found"),
            (Status::MethodNotAllowed, 405, "Method Not Allowed"),
            (Status::RequestTimeout, 408, "Request Timeout"),
            (Status::Conflict, 409, "Conflict"),
            (Status::LengthRequired, 411, "Length Required"),
            (Status::PayloadTooLarge, 413, "Content Too Large"),
            (Status::UriTooLong, 414, "URI Too Long"),
            (Status::HeaderFieldsTooLarge, 431, "Request Header Fields Too Large"),
            (Status::InternalServerError, 500, "Internal Server Error"),
            (Status::NotImplemented, 501, "Not Implemented"),
            (Status::ServiceUnavailable, 503, "Service Unavailable"),
        ];
        for (s, code, phrase) in all {
            assert_eq!((s.code(), s.phrase()), (code, phrase.as_bytes()), "{s:?}");
        }
        assert_eq!(Error::method_not_allowed(t!("GET")).status.code(), 405);
        assert_eq!(Error::method_not_allowed(t!("GET")).allow(), b"GET");
        assert_eq!(Error::method_not_allowed(t!("GET")).detail(), b"");
        assert_eq!(Error::with(Status::BadRequest, t!("missing field"), t!("exec")).allow(), b"");
    }
}

//! Replies, written into a caller-provided buffer: a whole response (head
//! with `Content-Length`, then the body) in one call, or the head and the
//! chunks of a streamed body (`GET /events`). Every function writes at the
//! start of `out` and returns how many bytes it wrote; `Err(Full)` means
//! nothing usable was written (never a truncated body presented as whole).
//!
//! Bodies are written first, at `HEAD_ROOM` bytes into `out`, and moved to
//! just after the head once their length is known: one buffer, no guessing.

use super::json::Json;
use super::request::Request;
use super::{Error, Full, Status, Version};

pub const CONTENT_JSON: &str = "application/json";
/// `GET /events`: one JSON object per line.
pub const CONTENT_NDJSON: &str = "application/x-ndjson";
/// `GET /metrics`: the Prometheus text exposition format.
pub const CONTENT_METRICS: &str = "text/plain; version=0.0.4";

/// The interim reply to `Expect: 100-continue` (see `Parsed::Body`).
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
/// The end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Room kept for a response head before its body; the longest head we write
/// (status line, four headers) is under 200 bytes.
pub const HEAD_ROOM: usize = 256;
/// Room kept for a chunk's size line: at most 8 hex digits and CRLF.
const CHUNK_ROOM: usize = 10;

pub use crate::buf::Writer;


/// What a reply's head says besides its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub status: Status,
    /// The request's version: a 1.0 client kept alive is told so.
    pub version: Version,
    pub keep_alive: bool,
}

impl Head {
    /// A reply to `req` that keeps the connection as the request asked.
    pub fn to(req: &Request, status: Status) -> Head {
        Head { status, version: req.version, keep_alive: req.keep_alive }
    }

    /// A reply after which the connection is closed.
    pub fn closing(status: Status) -> Head {
        Head { status, version: Version::Http11, keep_alive: false }
    }
}

enum Framing {
    Length(usize),
    Chunked,
    /// HTTP/1.0 streams end when the connection does.
    UntilClose,
}

fn write_head(w: &mut Writer, h: &Head, ctype: &str, allow: &[u8], framing: Framing) {
    w.text("HTTP/1.1 ").u64(h.status.code() as u64).text(" ").push(h.status.phrase()).text("\r\n");
    if !ctype.is_empty() {
        w.text("Content-Type: ").text(ctype).text("\r\n");
    }
    let mut keep_alive = h.keep_alive;
    match framing {
        Framing::Length(n) => {
            w.text("Content-Length: ").u64(n as u64).text("\r\n");
        }
        Framing::Chunked => {
            w.text("Transfer-Encoding: chunked\r\n");
        }
        Framing::UntilClose => keep_alive = false,
    }
    if !allow.is_empty() {
        w.text("Allow: ").push(allow).text("\r\n");
    }
    if !keep_alive {
        w.text("Connection: close\r\n");
    } else if h.version == Version::Http10 {
        w.text("Connection: keep-alive\r\n");
    }
    w.text("\r\n");
}

/// Write the body with `f` at `room` bytes in, then `prefix` (given the body
/// length) in front of it; returns the total length.
fn body_after(out: &mut [u8], room: usize, f: &mut dyn FnMut(&mut Writer), prefix: &mut dyn FnMut(&mut Writer, usize)) -> Result<usize, Full> {
    let body_len = {
        let mut w = Writer::new(out.get_mut(room..).ok_or(Full)?);
        f(&mut w);
        w.done()?
    };
    let mut tmp = [0u8; HEAD_ROOM];
    let mut h = Writer::new(tmp.get_mut(..room).ok_or(Full)?);
    prefix(&mut h, body_len);
    h.done()?;
    let head = h.bytes();
    let head_len = head.len();
    let body_end = room.checked_add(body_len).ok_or(Full)?;
    if body_end > out.len() || head_len > room {
        return Err(Full);
    }
    out.copy_within(room..body_end, head_len);
    out.get_mut(..head_len).ok_or(Full)?.copy_from_slice(head);
    Ok(head_len + body_len)
}

/// A reply whose body `f` writes as text of type `ctype`.
pub fn text(out: &mut [u8], head: Head, ctype: &str, f: &mut dyn FnMut(&mut Writer)) -> Result<usize, Full> {
    body_after(out, HEAD_ROOM, f, &mut |w, n| write_head(w, &head, ctype, b"", Framing::Length(n)))
}

/// One JSON value written by `f` into `w`, then a newline; `w` fails if the
/// value is not one whole value.
fn json_line(w: &mut Writer, f: &mut dyn FnMut(&mut Json)) {
    let whole = {
        let mut j = Json::new(w);
        f(&mut j);
        j.finish().is_ok()
    };
    if !whole {
        w.fail();
    }
    w.push(b"\n");
}

/// A JSON reply: `f` writes exactly one value; a newline ends the body.
pub fn json(out: &mut [u8], head: Head, f: &mut dyn FnMut(&mut Json)) -> Result<usize, Full> {
    text(out, head, CONTENT_JSON, &mut |w| json_line(w, f))
}

/// `GET /metrics`.
pub fn metrics(out: &mut [u8], head: Head, f: &mut dyn FnMut(&mut Writer)) -> Result<usize, Full> {
    text(out, head, CONTENT_METRICS, f)
}

/// A reply without a body (`Content-Length: 0`).
pub fn empty(out: &mut [u8], head: Head) -> Result<usize, Full> {
    let mut w = Writer::new(out);
    write_head(&mut w, &head, "", b"", Framing::Length(0));
    w.done()
}

/// `{"error":"reason[: detail]"}` with the error's status (and `Allow` for
/// 405); the connection is closed after it.
pub fn error(out: &mut [u8], e: &Error) -> Result<usize, Full> {
    let head = Head::closing(e.status);
    body_after(
        out,
        HEAD_ROOM,
        &mut |w| {
            json_line(w, &mut |j| {
                j.begin_object();
                j.key(b"error");
                if e.detail().is_empty() {
                    j.str(e.reason());
                } else {
                    j.str_parts(&[e.reason(), b": ", e.detail()]);
                }
                j.end_object();
            })
        },
        &mut |w, n| write_head(w, &head, CONTENT_JSON, e.allow(), Framing::Length(n)),
    )
}

/// The head of a streamed body: chunked for HTTP/1.1, delimited by closing
/// the connection for HTTP/1.0. Write its pieces with the [`Stream`] this
/// returns; a piece needs `len + 10` bytes of `out` and writes `len + 5` or so.
pub fn stream_head(out: &mut [u8], head: Head, ctype: &str) -> Result<(usize, Stream), Full> {
    let (framing, stream) = match head.version {
        Version::Http11 => (Framing::Chunked, Stream::Chunked),
        Version::Http10 => (Framing::UntilClose, Stream::UntilClose),
    };
    let mut w = Writer::new(out);
    write_head(&mut w, &head, ctype, b"", framing);
    Ok((w.done()?, stream))
}

/// How a stream's pieces are framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Chunked,
    UntilClose,
}

impl Stream {
    /// One piece of the stream written by `f`; nothing at all (0 bytes) when
    /// `f` writes nothing, since an empty chunk would end the stream.
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn piece(self, out: &mut [u8], f: &mut dyn FnMut(&mut Writer)) -> Result<usize, Full> {
        match self {
            Stream::UntilClose => {
                let mut w = Writer::new(out);
                f(&mut w);
                w.done()
            }
            Stream::Chunked => {
                let n = body_after(out, CHUNK_ROOM, f, &mut |w, n| {
                    if n > 0 {
                        w.hex(n as u64).text("\r\n");
                    }
                })?;
                if n == 0 {
                    return Ok(0);
                }
                let mut w = Writer::new(out.get_mut(n..).ok_or(Full)?);
                w.push(b"\r\n");
                w.done().map(|k| n + k)
            }
        }
    }

    /// A piece holding one JSON value and its newline (an event).
    pub fn json_piece(self, out: &mut [u8], f: &mut dyn FnMut(&mut Json)) -> Result<usize, Full> {
        self.piece(out, &mut |w| json_line(w, f))
    }

    /// What ends the stream: the last chunk, or nothing (close instead).
    pub fn end(self) -> &'static [u8] {
        match self {
            Stream::Chunked => LAST_CHUNK,
            Stream::UntilClose => b"",
        }
    }
}

/// One chunk holding `data` (nothing for empty data).
pub fn chunk(out: &mut [u8], data: &[u8]) -> Result<usize, Full> {
    Stream::Chunked.piece(out, &mut |w| {
        w.push(data);
    })
}

/// A piece of an HTTP/1.0 stream: the data as is.
pub fn raw_chunk(out: &mut [u8], data: &[u8]) -> Result<usize, Full> {
    Stream::UntilClose.piece(out, &mut |w| {
        w.push(data);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::t;

    fn s(b: &[u8]) -> &str {
        core::str::from_utf8(b).unwrap()
    }

    #[test]
    fn a_json_reply_has_type_length_and_a_newline() {
        let mut out = [0u8; 512];
        let h = Head { status: Status::Ok, version: Version::Http11, keep_alive: true };
        let n = json(&mut out, h, &mut |j| {
            j.begin_object();
            j.key(b"name");
            j.str(b"web");
            j.key(b"pid");
            j.u64(812);
            j.end_object()
        })
        .unwrap();
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n{\"name\":\"web\",\"pid\":812}\n"
        );
    }

    #[test]
    fn keep_alive_and_close_headers() {
        let mut out = [0u8; 256];
        let n = empty(
            &mut out,
            Head { status: Status::Accepted, version: Version::Http10, keep_alive: true },
        )
        .unwrap();
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
        );
        let n = empty(&mut out, Head::closing(Status::Ok)).unwrap();
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let n = empty(
            &mut out,
            Head { status: Status::Created, version: Version::Http11, keep_alive: true },
        )
        .unwrap();
        assert_eq!(s(&out[..n]), "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    }

    #[test]
    fn errors_close_and_carry_reason_and_allow() {
        let mut out = [0u8; 512];
        let n = error(&mut out, &Error::method_not_allowed(t!("GET, PUT, DELETE"))).unwrap();
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json\r\nContent-Length: 31\r\n\
             Allow: GET, PUT, DELETE\r\nConnection: close\r\n\r\n{\"error\":\"method not allowed\"}\n"
        );
        let n = error(&mut out, &Error::with(Status::BadRequest, t!("missing field"), t!("exec"))).unwrap();
        assert!(
            s(&out[..n]).ends_with("\r\n\r\n{\"error\":\"missing field: exec\"}\n"),
            "{}",
            s(&out[..n])
        );
        assert!(s(&out[..n]).starts_with("HTTP/1.1 400 Bad Request\r\n"));
        let n = error(&mut out, &Error::new(Status::NotImplemented, t!("fd type not implemented")))
            .unwrap();
        assert!(s(&out[..n]).starts_with("HTTP/1.1 501 Not Implemented\r\n"));
    }

    #[test]
    fn metrics_are_prometheus_text() {
        let mut out = [0u8; 512];
        let h = Head { status: Status::Ok, version: Version::Http11, keep_alive: true };
        let n = metrics(&mut out, h, &mut |w| {
            w.text("nitro_reaps_total ").u64(7).text("\n");
        })
        .unwrap();
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 20\r\n\r\nnitro_reaps_total 7\n"
        );
    }

    #[test]
    fn a_body_that_does_not_fit_is_an_error_not_a_cut() {
        let h = Head::closing(Status::Ok);
        let mut small = [0u8; HEAD_ROOM + 8];
        assert_eq!(json(&mut small, h, &mut |j| j.str(b"0123456789")), Err(Full));
        assert_eq!(json(&mut small, h, &mut |j| j.str(b"01234")).map(|_| ()), Ok(()));
        let mut tiny = [0u8; 10];
        assert_eq!(empty(&mut tiny, h), Err(Full));
        assert_eq!(error(&mut tiny, &Error::bad(t!("job"))), Err(Full));
        // an unfinished JSON value is never sent
        let mut out = [0u8; 512];
        assert_eq!(json(&mut out, h, &mut |j| j.begin_array()), Err(Full));
    }

    #[test]
    fn chunked_stream() {
        let mut out = [0u8; 512];
        let h = Head { status: Status::Ok, version: Version::Http11, keep_alive: true };
        let (n, st) = stream_head(&mut out, h, CONTENT_NDJSON).unwrap();
        assert_eq!(st, Stream::Chunked);
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let line = [b'x'; 300];
        let n = chunk(&mut out, &line).unwrap();
        assert_eq!(&out[..5], b"12c\r\n");
        assert_eq!(&out[5..305], &line[..]);
        assert_eq!(&out[305..n], b"\r\n");
        assert_eq!(chunk(&mut out, b""), Ok(0));
        let n = st.piece(&mut out, &mut |w| {
            w.text("{}\n");
        })
        .unwrap();
        assert_eq!(s(&out[..n]), "3\r\n{}\n\r\n");
        assert_eq!(st.end(), b"0\r\n\r\n");
        assert_eq!(chunk(&mut out[..12], b"abc"), Err(Full));
        assert_eq!(chunk(&mut out[..CHUNK_ROOM + 2], b"abc"), Err(Full));
        assert_eq!(chunk(&mut out[..CHUNK_ROOM + 3], b"abc"), Ok(8));
    }

    #[test]
    fn http_1_0_streams_end_with_the_connection() {
        let mut out = [0u8; 256];
        let h = Head { status: Status::Ok, version: Version::Http10, keep_alive: true };
        let (n, st) = stream_head(&mut out, h, CONTENT_NDJSON).unwrap();
        assert_eq!(st, Stream::UntilClose);
        assert_eq!(
            s(&out[..n]),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(raw_chunk(&mut out, b"{}\n"), Ok(3));
        assert_eq!(st.end(), b"");
    }

    #[test]
    fn numbers() {
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        w.u64(0).text(" ").i64(i64::MIN).text(" ").hex(0);
        w.text(" ").hex(u64::MAX);
        assert_eq!(w.done(), Ok(41));
        assert_eq!(s(w.bytes()), "0 -9223372036854775808 0 ffffffffffffffff");
    }

    #[test]
    fn a_write_that_does_not_fit_stops_every_later_one() {
        let mut b = [0u8; 8];
        let mut w = Writer::new(&mut b);
        w.text("1234").text("56789").text("x");
        assert_eq!((w.bytes(), w.is_full(), w.done()), (&b"1234"[..], true, Err(Full)));
        let mut b = [0u8; 8];
        let mut w = Writer::new(&mut b);
        w.text("12345678");
        assert_eq!(w.done(), Ok(8));
    }
}

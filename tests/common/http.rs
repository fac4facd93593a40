//! An HTTP/1.1 client on nitro's unix stream socket for the black-box
//! tests: keep-alive connections, one response at a time by Content-Length.

use super::*;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn http_sock(h: &Harness) -> PathBuf {
    h.sock.parent().unwrap().join("http.sock")
}

/// Start nitro and wait until its HTTP endpoint answers. The probe asks
/// for `Connection: close` and waits for the close, so that no slot is
/// taken when this returns.
pub fn start_http(h: &mut Harness) {
    h.start();
    let p = http_sock(h);
    wait_until(10 * SEC, &format!("HTTP socket (stderr: {})", h.stderr()), || {
        let Ok(mut c) = Http::connect(&p) else { return false };
        c.send(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_ok()
            && c.resp().is_ok_and(|r| r.0 == 200)
            && c.closed_within(5 * SEC)
    });
}

/// A keep-alive HTTP/1.1 connection on the unix socket.
pub struct Http {
    pub s: UnixStream,
    buf: Vec<u8>,
}

pub fn io_err(what: String) -> io::Error {
    io::Error::other(what)
}

impl Http {
    pub fn connect(p: &Path) -> io::Result<Http> {
        let s = UnixStream::connect(p)?;
        s.set_read_timeout(Some(15 * SEC))?;
        s.set_write_timeout(Some(5 * SEC))?;
        Ok(Http { s, buf: Vec::new() })
    }

    pub fn send(&mut self, b: &[u8]) -> io::Result<()> {
        self.s.write_all(b)
    }

    /// One response: (status, head, body) by Content-Length.
    pub fn resp(&mut self) -> io::Result<(u16, String, String)> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                let status: u16 =
                    head.get(9..12).and_then(|s| s.parse().ok()).ok_or_else(|| io_err(format!("bad status line {head:?}")))?;
                let len: usize = head
                    .split("\r\n")
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    self.fill()?;
                }
                let body = String::from_utf8_lossy(&self.buf[end + 4..end + 4 + len]).into_owned();
                self.buf.drain(..end + 4 + len);
                return Ok((status, head, body));
            }
            self.fill()?;
        }
    }

    /// Read what comes (EINTR is retried: a read with a timeout returns it
    /// whenever the test process is stopped or frozen and thawed, signal
    /// handler or not; seen once in a `silent clients` run).
    pub fn fill(&mut self) -> io::Result<()> {
        let mut b = [0u8; 65536];
        let n = loop {
            match self.s.read(&mut b) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        match n {
            0 => Err(io_err(format!("connection closed; have {:?}", String::from_utf8_lossy(&self.buf)))),
            n => {
                self.buf.extend_from_slice(&b[..n]);
                Ok(())
            }
        }
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> io::Result<(u16, String)> {
        let req = match body {
            Some(b) => format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{b}", b.len()),
            None if method == "GET" => format!("{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n"),
            None => format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
        };
        self.send(req.as_bytes())?;
        let (st, _, body) = self.resp()?;
        Ok((st, body))
    }

    pub fn get(&mut self, path: &str) -> io::Result<(u16, String)> {
        self.request("GET", path, None)
    }

    /// Whether the server closes the connection within `d`, discarding
    /// whatever it still sends.
    pub fn closed_within(&mut self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut b = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.s.set_read_timeout(Some(left)).unwrap();
            match self.s.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return true, // reset
            }
        }
    }
}

/// One request on a fresh connection.
pub fn http1(h: &Harness, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut c = Http::connect(&http_sock(h)).expect("connect to the HTTP socket");
    c.request(method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// The number after `"key":` in a JSON text.
pub fn json_num(body: &str, key: &str) -> Option<i64> {
    let pat = format!("\"{key}\":");
    let at = body.find(&pat)? + pat.len();
    body[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect::<String>().parse().ok()
}

pub fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A job of one `/bin/sh -c script` task with descriptors `fds` (JSON
/// array items) and extra task fields `extra` (e.g. `,"user":65534`).
pub fn sh_job(h: &Harness, script: &str, fds: &str, extra: &str) -> String {
    format!(
        "{{\"tasks\":[{{\"exec\":\"/bin/sh\",\"args\":[\"-c\",{}],\"envs\":{{\"PATH\":\"/usr/bin:/bin\",\"T\":{},\"NITRO_TEST_TAG\":{}}},\"cwd\":{},\"fd\":[{fds}]{extra}}}]}}",
        js(script),
        js(h.root.to_str().unwrap()),
        js(&h.tag),
        js(h.root.to_str().unwrap())
    )
}

pub fn wait_job_done(_h: &Harness, c: &mut Http, name: &str) {
    wait_until(10 * SEC, &format!("job {name} done"), || {
        c.get(&format!("/job/{name}")).is_ok_and(|(s, b)| s == 200 && b.contains("\"state\":\"done\""))
    });
}


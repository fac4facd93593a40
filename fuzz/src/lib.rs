//! The fuzz targets' bodies, shared by the libFuzzer targets
//! (`fuzz_targets/*.rs`, run with `cargo fuzz`) and by the libFuzzer-free
//! driver (`src/bin/fallback.rs`). Each one feeds arbitrary bytes to a parser
//! of untrusted input and checks, besides "no panic", the invariants its
//! callers rely on.

use nitro::http::job::{FDS_MAX, Fd, Job, TASKS_MAX};
use nitro::core::Verb;
use nitro::http::request::{self, Parsed, Route};
use nitro::http::{BODY_MAX, HEAD_MAX, REQUEST_BUF_MAX, response};
use nitro::spat::{self, Command, Packet, Status, Writer};

/// `http::request::parse` on a connection buffer of arbitrary bytes (cut to
/// what a connection can hold, as the server does).
pub fn http_request(data: &[u8]) {
    let data = &data[..data.len().min(REQUEST_BUF_MAX)];
    match request::parse(data) {
        Ok(Parsed::Partial) => assert!(data.len() < HEAD_MAX, "partial past the head limit"),
        Ok(Parsed::Body { len, .. }) => {
            assert!(len > data.len(), "Body although the request is whole");
            assert!(len <= REQUEST_BUF_MAX, "request longer than a connection buffer");
        }
        Ok(Parsed::Complete(r)) => {
            assert!(r.len <= data.len(), "request past the end of the buffer");
            assert!(r.body.len() <= BODY_MAX);
            assert!(r.len - r.body.len() <= HEAD_MAX, "head past its limit");
            // The body is the last bytes of the request.
            let start = r.len - r.body.len();
            assert_eq!(&data[start..r.len], r.body);
            if let Route::Core(c) = r.route {
                // A command names a service or job exactly when its verb
                // takes one, and carries a signal exactly when it sends one.
                let bare = matches!(c.verb, Verb::List | Verb::Info | Verb::Rescan | Verb::Shutdown | Verb::Reboot);
                assert_eq!(bare, c.name.is_empty(), "{c:?}");
                if !bare {
                    assert!(nitro::name::valid(c.name), "route with an invalid name {c:?}");
                    assert!(nitro::name::Name::new(c.name).is_some());
                }
                if matches!(c.verb, Verb::Signal | Verb::SignalJob) {
                    assert!((1..=64).contains(&c.sig));
                } else {
                    assert_eq!(c.sig, 0, "{c:?}");
                }
            }
            // What follows the request does not change it.
            match request::parse(&data[..r.len]) {
                Ok(Parsed::Complete(again)) => {
                    assert_eq!((again.route, again.len, again.keep_alive), (r.route, r.len, r.keep_alive))
                }
                other => panic!("the request alone parses as {other:?}"),
            }
        }
        Err(e) => {
            let code = e.status.code();
            assert!((400..600).contains(&code), "error status {code}");
            // The server answers refused connections from a 512-byte
            // buffer: every error reply must fit there.
            let mut buf = [0u8; 512];
            let n = response::error(&mut buf, &e).expect("error reply fits in 512 bytes");
            assert!(buf[..n].starts_with(b"HTTP/1.1 "));
        }
    }
}

/// `Job::parse_into` on an arbitrary `PUT /job/NAME` body.
pub fn job_json(data: &[u8]) {
    let data = &data[..data.len().min(BODY_MAX)];
    let mut job = Box::new(Job::new());
    let r = job.parse_into(data);
    match r {
        Err(e) => {
            assert!(job.is_empty(), "a refused job is left empty");
            let code = e.status.code();
            assert!(code == 400 || code == 501, "job error status {code}");
            let mut buf = [0u8; 512];
            response::error(&mut buf, &e).expect("error reply fits");
        }
        Ok(()) => {
            assert!((1..=TASKS_MAX).contains(&job.len()));
            for t in job.tasks() {
                assert!(!t.exec().to_bytes().is_empty(), "empty exec accepted");
                assert!(!t.cwd().to_bytes().is_empty(), "empty cwd accepted");
                assert_eq!(t.argv().count(), t.argc());
                for e in t.envs() {
                    let kv = e.to_bytes();
                    let eq = kv.iter().position(|&b| b == b'=').expect("env without =");
                    assert!(eq > 0, "empty env name");
                    assert_eq!(t.env(&kv[..eq]), Some(&kv[eq + 1..]));
                }
                // The exec's lookup path is the task's PATH, or none.
                assert_eq!(t.search_path(), t.env(b"PATH").unwrap_or(b""));
                assert!(t.fds().len() <= FDS_MAX);
                for fd in t.fds() {
                    match *fd {
                        Fd::File { path, .. } | Fd::Pipe { path } | Fd::UnixSocket { path } => {
                            assert!(!t.path(path).to_bytes().is_empty(), "empty path accepted")
                        }
                        Fd::Null | Fd::NetworkSocket { .. } => {}
                    }
                }
            }
            // The same body parses the same way again (no state leaks from
            // the previous parse).
            let mut again = Box::new(Job::new());
            again.parse_into(data).expect("second parse of an accepted job");
            assert_eq!(again.len(), job.len());
        }
    }
}

/// The control socket's decoding of one datagram: `spat::packets`, then
/// `control::decode` and `Status::absorb` on every data packet; decoded
/// commands (encoded as nitroctl does) and statuses must read back as what
/// was read.
pub fn spat(data: &[u8]) {
    let mut st = Status::default();
    let mut n = 0;
    for p in spat::packets(data) {
        n += 1;
        assert!(n <= data.len(), "more packets than bytes");
        let Ok(p) = p else { continue };
        let Packet::Data(tag, payload) = p else { continue };
        assert!(payload.len() <= data.len());
        if let Some(cmd) = nitro::control::decode(tag, payload) {
            let mut buf = vec![0u8; payload.len() + 8];
            let mut w = Writer::new(&mut buf);
            wire(cmd).encode(&mut w).expect("a decoded command fits its own size");
            let bytes = w.bytes().to_vec();
            match spat::packets(&bytes).next() {
                Some(Ok(Packet::Data(t2, p2))) => {
                    assert_eq!(nitro::control::decode(t2, p2), Some(cmd), "command does not round-trip")
                }
                other => panic!("re-encoded command reads back as {other:?}"),
            }
        }
        if st.absorb(tag, payload) {
            let mut buf = [0u8; 64];
            let mut w = Writer::new(&mut buf);
            st.encode(&mut w).expect("status fits");
            let mut back = Status::default();
            for q in spat::packets(w.bytes()) {
                if let Ok(Packet::Data(t, p)) = q {
                    assert!(back.absorb(t, p));
                }
            }
            assert_eq!(back, st, "status does not round-trip");
        }
    }
}

/// A command of the control socket as nitroctl sends it.
fn wire(cmd: nitro::core::Command<'_>) -> Command<'_> {
    let n = cmd.name;
    match cmd.verb {
        Verb::Up => Command::Up(n),
        Verb::Down => Command::Down(n),
        Verb::Restart => Command::Restart(n),
        Verb::Ready => Command::Ready(n),
        Verb::Signal => Command::Signal(u8::try_from(cmd.sig).expect("a signal from one byte"), n),
        Verb::Query => Command::Query(n),
        Verb::List => Command::List,
        Verb::Info => Command::Info,
        Verb::Rescan => Command::Rescan,
        Verb::Shutdown => Command::Shutdown,
        Verb::Reboot => Command::Reboot,
        _ => panic!("the control socket decoded {cmd:?}"),
    }
}

/// Valid inputs to start mutating from (also written to the cargo-fuzz
/// corpus by `ci/fuzz`).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let s = |x: &str| x.as_bytes().to_vec();
    match target {
        "http_request" => vec![
            s("GET /jobs HTTP/1.1\r\nHost: localhost\r\n\r\n"),
            s("PUT /job/web HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"tasks\":[]}\n"),
            s("POST /service/web/signal/HUP HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            s("DELETE /job/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
            s("POST /rescan HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc"),
            s("PUT /job/a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"),
            s("GET http://localhost/service/getty@tty1?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            s("POST /job/j/signal/SIGKILL HTTP/1.1\nHost: x\n\n"),
        ],
        "job_json" => vec![
            s(r#"{"tasks":[{"exec":"node","args":["server.js"],"envs":{"PATH":"/bin:/usr/bin"},"cwd":"/srv/app","fd":[{"type":"file","path":"/dev/null","mode":"r"},{"type":"file","path":"/var/log/app.log","mode":"a"}],"user":1000,"group":1000}]}"#),
            s(r#"{"tasks":[{"exec":"/bin/sh","args":["-c","exit 3"],"envs":{},"cwd":"/","fd":[]},{"exec":"env","args":[],"envs":{"A":"\u00e9\ud83d\ude00\n"},"cwd":"/","fd":[{"type":"null"},{"type":"pipe","path":"/tmp/p"},{"type":"unix socket","path":"/tmp/s"},{"type":"network socket","bind":"::1","port":8080}]}]}"#),
            s(r#"{"tasks":[{"exec":"x","args":[],"envs":{},"cwd":"/","fd":[{"type":"tty","path":"/dev/tty1","extra":[1,{"a":null}]}]}]}"#),
            s(r#" { "tasks" : [ { "fd" : [ ] , "cwd" : "/" , "envs" : { "K" : "V" } , "args" : [ "a" , "b" ] , "exec" : "e" , "user" : 0 } ] } "#),
        ],
        "spat" => {
            let mut v = Vec::new();
            let mut buf = [0u8; 256];
            for cmd in [
                Command::Up(b"web"),
                Command::Down(b"a"),
                Command::Restart(b"getty@tty1"),
                Command::Info,
                Command::List,
                Command::Query(b"x"),
                Command::Rescan,
                Command::Shutdown,
                Command::Reboot,
                Command::Signal(15, b"web"),
                Command::Ready(b"web"),
            ] {
                let mut w = Writer::new(&mut buf);
                cmd.encode(&mut w).unwrap();
                v.push(w.bytes().to_vec());
            }
            let mut w = Writer::new(&mut buf);
            w.open(spat::tag::SERVICE).unwrap();
            spat::encode_list_entry(&mut w, b"web", &Status { state: 4, pid: 812, wstatus: 256, uptime: 9 }).ok();
            w.close(spat::tag::SERVICE).unwrap();
            v.push(w.bytes().to_vec());
            v
        }
        _ => Vec::new(),
    }
}

/// The targets by name.
pub const TARGETS: [(&str, fn(&[u8])); 3] =
    [("http_request", http_request), ("job_json", job_json), ("spat", spat)];

/// Tokens worth splicing into inputs.
pub fn dictionary(target: &str) -> &'static [&'static [u8]] {
    match target {
        "http_request" => &[
            b"\r\n", b"\r\n\r\n", b"\n", b" ", b":", b"HTTP/1.1", b"HTTP/1.0", b"Host: x\r\n",
            b"Content-Length: ", b"Transfer-Encoding: chunked\r\n", b"Connection: close\r\n",
            b"Connection: keep-alive\r\n", b"Expect: 100-continue\r\n", b"GET ", b"PUT ", b"POST ",
            b"DELETE ", b"/job/", b"/service/", b"/signal/", b"/jobs", b"%2F", b"?", b"@", b"0",
            b"16384", b"16385", b"99999999999999999999", b"\x00", b"\xff", b"http://",
        ],
        "job_json" => &[
            b"{", b"}", b"[", b"]", b",", b":", b"\"", b"\\", b"\\u", b"\\ud83d", b"\\udc00",
            b"\"tasks\"", b"\"exec\"", b"\"args\"", b"\"envs\"", b"\"cwd\"", b"\"fd\"", b"\"user\"",
            b"\"group\"", b"\"type\"", b"\"path\"", b"\"mode\"", b"\"bind\"", b"\"port\"", b"\"file\"",
            b"\"pipe\"", b"\"null\"", b"\"unix socket\"", b"\"network socket\"", b"null", b"true",
            b"-0", b"1e5", b"4294967295", b"65536", b"0.5", b"\x00", b"\xc3\xa9", b"\xed\xa0\x80",
        ],
        "spat" => &[b"\xff\xff", b"\xfe\xff", b"\x00\x00", b"\x04\x00", b"\x01\x00", b"\x78", b"\x81", b"\x66", b"\x67"],
        _ => &[],
    }
}

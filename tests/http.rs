//! The HTTP/1.1 endpoint, black-box (the contract: README, "The HTTP endpoint"):
//! the real `nitro` binary, curl as the reference client, raw unix stream
//! sockets for what curl would never send. Every status code of the
//! contract, jobs and their tasks' exact environment, descriptors and
//! credentials, services, events, metrics, and the connection limits.

mod common;
use common::*;
use nitro::state::State;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

// ---- clients ---------------------------------------------------------------

fn http_sock(h: &Harness) -> PathBuf {
    h.sock.parent().unwrap().join("http.sock")
}

/// Start nitro and wait for its HTTP socket too.
fn start(h: &mut Harness) {
    h.start();
    // The file shows at bind(2), connections are taken from listen(2) on.
    // The probe is a whole request, so that its slot is free again when
    // this returns.
    wait_until(10 * SEC, &format!("HTTP socket (stderr: {})", h.stderr()), || {
        let Ok(mut c) = UnixStream::connect(http_sock(h)) else { return false };
        c.set_read_timeout(Some(5 * SEC)).unwrap();
        let mut s = String::new();
        c.write_all(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_ok()
            && c.read_to_string(&mut s).is_ok()
            && s.starts_with("HTTP/1.1 200")
    });
}

#[derive(Debug, Clone)]
struct Resp {
    status: u16,
    /// Status line and headers, CRLFs kept.
    head: String,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Status and body, the body's trailing newline dropped.
    fn sb(&self) -> (u16, &str) {
        (self.status, self.body.trim_end_matches('\n'))
    }

    /// A JSON reply: right type, right length, one line.
    fn json(&self) -> &str {
        assert_eq!(self.header("Content-Type"), Some("application/json"), "{self:?}");
        assert_eq!(self.header("Content-Length"), Some(self.body.len().to_string().as_str()), "{self:?}");
        assert!(self.body.ends_with('\n'), "{self:?}");
        self.body.trim_end_matches('\n')
    }
}

/// Status line + headers up to the blank line; skips interim 1xx replies.
fn split_resp(mut b: &[u8]) -> Option<(Resp, usize)> {
    let mut used = 0;
    loop {
        let end = b.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&b[..end - 4]).into_owned();
        let status: u16 = head.get(9..12)?.parse().ok()?;
        if (100..200).contains(&status) {
            b = &b[end..];
            used += end;
            continue;
        }
        return Some((Resp { status, head, body: String::new() }, used + end));
    }
}

fn curl_bin() -> &'static str {
    static OK: OnceLock<bool> = OnceLock::new();
    let ok = *OK.get_or_init(|| {
        Command::new("sh").args(["-c", "command -v curl"]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
    });
    assert!(ok, "curl not found: tests/http.rs uses curl as the reference HTTP client; install it (apt-get install curl)");
    "curl"
}

/// Run curl against the HTTP socket with `args` (and `stdin` as the
/// request body when given, via `--data-binary @-`); the response parsed.
fn curl_with(h: &Harness, args: &[&str], stdin: Option<&[u8]>) -> Resp {
    let mut cmd = Command::new(curl_bin());
    cmd.args(["-sS", "-i", "--max-time", "10", "--unix-socket"]).arg(http_sock(h)).args(args);
    if stdin.is_some() {
        cmd.args(["--data-binary", "@-"]);
    }
    let mut child = cmd
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn curl");
    if let Some(b) = stdin {
        let mut i = child.stdin.take().unwrap();
        let b = b.to_vec();
        thread::spawn(move || {
            let _ = i.write_all(&b);
        });
    }
    let out = child.wait_with_output().unwrap();
    let (mut r, used) = split_resp(&out.stdout).unwrap_or_else(|| {
        panic!(
            "curl {args:?}: no HTTP response (exit {:?}, stderr {:?}, stdout {:?}); nitro stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout),
            h.stderr()
        )
    });
    r.body = String::from_utf8_lossy(&out.stdout[used..]).into_owned();
    r
}

fn curl(h: &Harness, method: &str, path: &str) -> Resp {
    curl_with(h, &["-X", method, &format!("http://localhost{path}")], None)
}

fn curl_body(h: &Harness, method: &str, path: &str, body: &str) -> Resp {
    curl_with(
        h,
        &["-X", method, "-H", "Content-Type: application/json", &format!("http://localhost{path}")],
        Some(body.as_bytes()),
    )
}

fn get(h: &Harness, path: &str) -> Resp {
    curl(h, "GET", path)
}

fn put_job(h: &Harness, name: &str, body: &str) -> Resp {
    curl_body(h, "PUT", &format!("/job/{name}"), body)
}

/// A raw connection to the HTTP socket.
struct Raw {
    s: UnixStream,
    buf: Vec<u8>,
}

impl Raw {
    fn new(h: &Harness) -> Raw {
        let s = UnixStream::connect(http_sock(h)).expect("connect to the HTTP socket");
        s.set_read_timeout(Some(15 * SEC)).unwrap();
        s.set_write_timeout(Some(5 * SEC)).unwrap();
        Raw { s, buf: Vec::new() }
    }

    fn send(&mut self, b: &[u8]) {
        self.s.write_all(b).expect("send to nitro");
    }

    /// Read more bytes; false on EOF or error (EINTR is retried, as in
    /// common::http).
    fn fill(&mut self) -> bool {
        let mut b = [0u8; 65536];
        let r = loop {
            match self.s.read(&mut b) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        match r {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&b[..n]);
                true
            }
        }
    }

    /// One response: head, then `Content-Length` bytes of body (none
    /// without the header: a stream, read on with `fill`).
    fn resp(&mut self) -> Resp {
        loop {
            if let Some((mut r, used)) = split_resp(&self.buf) {
                let len: usize = r.header("Content-Length").map_or(0, |v| v.parse().unwrap());
                while self.buf.len() < used + len {
                    assert!(self.fill(), "connection ended inside a body: {:?}", String::from_utf8_lossy(&self.buf));
                }
                r.body = String::from_utf8_lossy(&self.buf[used..used + len]).into_owned();
                self.buf.drain(..used + len);
                return r;
            }
            assert!(self.fill(), "no response; got {:?}", String::from_utf8_lossy(&self.buf));
        }
    }

    /// Whether the server closes the connection within `d` (nothing more
    /// arrives).
    fn closed_within(&mut self, d: Duration) -> bool {
        self.s.set_read_timeout(Some(d)).unwrap();
        let mut b = [0u8; 4096];
        let r = matches!(self.s.read(&mut b), Ok(0) | Err(_)) && {
            // a timeout is not a close
            let mut b2 = [0u8; 1];
            self.s.set_nonblocking(true).unwrap();
            let closed = matches!(self.s.read(&mut b2), Ok(0));
            self.s.set_nonblocking(false).unwrap();
            closed || matches!(self.s.read(&mut b2), Ok(0))
        };
        self.s.set_read_timeout(Some(15 * SEC)).unwrap();
        r
    }
}

fn raw(h: &Harness, req: &[u8]) -> Resp {
    let mut c = Raw::new(h);
    c.send(req);
    c.resp()
}

fn raw_put(h: &Harness, name: &str, body: &str) -> Resp {
    let req = format!("PUT /job/{name} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    raw(h, req.as_bytes())
}

// ---- JSON --------------------------------------------------------------------

fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The number after `"key":` in a JSON text.
fn num(body: &str, key: &str) -> u64 {
    let pat = format!("\"{key}\":");
    let at = body.find(&pat).unwrap_or_else(|| panic!("no {key} in {body}")) + pat.len();
    body[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

/// `"key":DIGITS` → `"key":N`, for values that vary (pids, uptimes).
fn norm(body: &str, keys: &[&str]) -> String {
    let mut s = body.to_string();
    for k in keys {
        let pat = format!("\"{k}\":");
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find(&pat) {
            out.push_str(&rest[..i + pat.len()]);
            rest = &rest[i + pat.len()..];
            let d = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '-').count();
            out.push('N');
            rest = &rest[d..];
        }
        out.push_str(rest);
        s = out;
    }
    s
}

/// The environment every test task gets: a PATH, `$T`, and the harness's
/// tag (so that a task left behind by a failing test is killed).
fn envs(h: &Harness) -> String {
    format!("{{\"PATH\":\"/usr/bin:/bin\",\"T\":{},\"NITRO_TEST_TAG\":{}}}", js(h.root.to_str().unwrap()), js(&h.tag))
}

/// One task: `/bin/sh -c script` with descriptors `fds` (a JSON array body).
fn sh_task(h: &Harness, script: &str, fds: &str) -> String {
    format!(
        "{{\"exec\":\"/bin/sh\",\"args\":[\"-c\",{}],\"envs\":{},\"cwd\":{},\"fd\":[{fds}]}}",
        js(script),
        envs(h),
        js(h.root.to_str().unwrap())
    )
}

fn job(tasks: &[String]) -> String {
    format!("{{\"tasks\":[{}]}}", tasks.join(","))
}

fn sh_job(h: &Harness, scripts: &[&str]) -> String {
    job(&scripts.iter().map(|s| sh_task(h, s, "")).collect::<Vec<_>>())
}

fn file_fd(path: &std::path::Path, mode: &str) -> String {
    format!("{{\"type\":\"file\",\"path\":{},\"mode\":\"{mode}\"}}", js(path.to_str().unwrap()))
}

/// Poll `GET /job/NAME` until its state is `state`; the last body.
fn wait_job(h: &Harness, name: &str, state: &str, timeout: Duration) -> String {
    let want = format!("\"state\":\"{state}\"");
    let mut last = String::new();
    wait_for(timeout, &format!("job {name} {state}"), || {
        let r = get(h, &format!("/job/{name}"));
        last = r.body.clone();
        (r.status == 200 && r.body.contains(&want)).then(|| r.json().to_string())
    })
}

fn wait_job_gone(h: &Harness, name: &str, timeout: Duration) {
    wait_until(timeout, &format!("job {name} removed"), || get(h, &format!("/job/{name}")).status == 404);
}

fn fd_targets(pid: i32) -> Vec<(i32, String)> {
    let mut v: Vec<(i32, String)> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .map(|e| {
            let n: i32 = e.file_name().to_str().unwrap().parse().unwrap();
            (n, fs::read_link(e.path()).map(|p| p.display().to_string()).unwrap_or_default())
        })
        .collect();
    v.sort();
    v
}

/// Wait until process `pid` runs `prog` (it has exec'd) and the dynamic
/// loader has closed the libraries it opened.
fn wait_exec(pid: i32, prog: &str) {
    wait_until(5 * SEC, &format!("{pid} to exec {prog}"), || {
        fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(prog.as_bytes()))
            && fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('S')))
            && !fd_targets(pid).iter().any(|(_, t)| t.contains(".so"))
    });
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

// ---- services, rescan, metrics ---------------------------------------------------

#[test]
fn services_list_get_and_actions() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.service("b", "trap 'echo HUP >> $T/sig' HUP\n: > $T/b-ready\nwhile :; do sleep 0.05; done");
    h.sleeper("c");
    h.file("c/notification-fd", "0\n");
    start(&mut h);
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let pb = wait_for(5 * SEC, "b", || h.pid_of("b"));
    let pc = wait_for(5 * SEC, "c", || h.pid_of("c"));

    let r = get(&h, "/services");
    assert_eq!(r.status, 200, "{r:?}");
    let body = norm(r.json(), &["uptime"]);
    let row = |n: &str, p: i32| format!("{{\"name\":\"{n}\",\"state\":\"STARTING\",\"pid\":{p},\"wstatus\":0,\"uptime\":N}}");
    let mut rows = vec![row("a", pa), row("b", pb), row("c", pc)];
    rows.sort();
    let mut got: Vec<String> =
        body.trim_start_matches('[').trim_end_matches(']').split("},").map(|s| s.trim_end_matches('}').to_string() + "}").collect();
    got.sort();
    assert_eq!(got, rows, "{body}");

    let r = get(&h, "/service/a");
    assert_eq!(norm(r.json(), &["uptime"]), row("a", pa));
    assert_eq!(get(&h, "/service/nope").sb(), (404, "{\"error\":\"not found\"}"));

    // ready: c waits for it (notification-fd 0)
    let r = curl(&h, "POST", "/service/c/ready");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.json().contains("\"name\":\"c\",\"state\":\"UP\""), "{r:?}");
    h.wait_state("c", State::Up, 2 * SEC);

    // signal
    wait_until(5 * SEC, "b ready", || h.path("b-ready").exists());
    assert_eq!(curl(&h, "POST", "/service/b/signal/HUP").sb(), (200, "{\"status\":\"ok\"}"));
    h.wait_lines("sig", 1, 5 * SEC);
    assert_eq!(h.state("b"), Some(State::Starting));
    assert_eq!(curl(&h, "POST", "/service/nope/signal/HUP").sb(), (404, "{\"error\":\"no such running service\"}"));
    assert_eq!(curl(&h, "POST", "/service/b/signal/NOPE").sb(), (400, "{\"error\":\"unknown signal\"}"));

    // down, up, restart
    let r = curl(&h, "POST", "/service/a/down");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.json().starts_with("{\"name\":\"a\",\"state\":\""), "{r:?}");
    h.wait_state("a", State::Down, 5 * SEC);
    assert!(!alive(pa));
    assert!(norm(get(&h, "/service/a").json(), &["uptime"]).starts_with("{\"name\":\"a\",\"state\":\"DOWN\",\"pid\":0,"));
    assert_eq!(curl(&h, "POST", "/service/a/up").status, 200);
    let pa2 = wait_for(5 * SEC, "a up again", || h.pid_of("a"));
    assert_ne!(pa2, pa);
    let r = curl(&h, "POST", "/service/a/restart");
    assert_eq!(r.status, 200, "{r:?}");
    let pa3 = wait_for(5 * SEC, "a restarted", || h.pid_of("a").filter(|&p| p != pa2));
    assert!(!alive(pa2) && alive(pa3));
}

#[test]
fn rescan_finds_a_new_service_and_metrics_are_prometheus_text() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.service("we\"b", "exec sleep 1000");
    start(&mut h);
    h.wait_state("a", State::Starting, 5 * SEC);
    h.sleeper("late");
    assert_eq!(curl(&h, "POST", "/rescan").sb(), (202, "{\"status\":\"ok\"}"));
    h.wait_state("late", State::Starting, 5 * SEC);

    // a restart counts
    let p = wait_for(5 * SEC, "a", || h.pid_of("a"));
    assert_eq!(curl(&h, "POST", "/service/a/restart").status, 200);
    wait_for(5 * SEC, "a restarted", || h.pid_of("a").filter(|&q| q != p));

    let r = get(&h, "/metrics");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("Content-Type"), Some("text/plain; version=0.0.4"));
    assert_eq!(r.header("Content-Length"), Some(r.body.len().to_string().as_str()));
    let m = &r.body;
    for want in [
        "# TYPE nitro_service_state gauge\n",
        "nitro_service_state{service=\"a\",state=\"STARTING\"} 3\n",
        "nitro_service_state{service=\"late\",state=\"STARTING\"} 3\n",
        "nitro_service_state{service=\"we\\\"b\",state=\"STARTING\"} 3\n",
        "nitro_service_up{service=\"a\"} 0\n",
        "nitro_service_restarts_total{service=\"a\"} 1\n",
        "nitro_service_restarts_total{service=\"late\"} 0\n",
        "# TYPE nitro_service_restarts_total counter\n",
        "nitro_slots_used 3\n",
        "# HELP nitro_slots_max Service table slots.\n# TYPE nitro_slots_max gauge\nnitro_slots_max ",
        "# TYPE nitro_service_reaps_total counter\nnitro_service_reaps_total ",
    ] {
        assert!(m.contains(want), "missing {want:?} in\n{m}");
    }
    assert!(m.contains("nitro_service_uptime_seconds{service=\"a\"} "), "{m}");
    let reaps = m.lines().find_map(|l| l.strip_prefix("nitro_reaps_total ")).unwrap();
    assert!(reaps.parse::<u64>().unwrap() >= 1, "{m}");
    // Every sample line is `name{labels} value` or `name value`.
    for l in m.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l:?}"));
        assert!(v.parse::<f64>().is_ok(), "bad value in {l:?}");
    }
}

#[test]
fn post_shutdown_stops_everything_and_nitro_exits_0() {
    let mut h = Harness::new();
    h.sleeper("a");
    start(&mut h);
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let r = put_job(&h, "j", &sh_job(&h, &["exec sleep 30"]));
    assert_eq!(r.status, 201, "{r:?}");
    let jp = num(&r.body, "pid") as i32;
    assert_eq!(curl(&h, "POST", "/shutdown").sb(), (202, "{\"status\":\"ok\"}"));
    let st = h.wait_exit(15 * SEC);
    assert_eq!(st.code(), Some(0), "{}", h.stderr());
    assert!(!alive(pa) && !alive(jp), "service or job outlived nitro");
    assert!(!http_sock(&h).exists(), "HTTP socket left behind");
}

#[test]
fn post_reboot_re_execs_and_the_endpoint_comes_back() {
    let mut h = Harness::new();
    h.sleeper("a");
    start(&mut h);
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    assert_eq!(curl(&h, "POST", "/reboot").sb(), (202, "{\"status\":\"ok\"}"));
    let pa2 = wait_for(15 * SEC, "a after the reboot", || h.pid_of("a").filter(|&p| p != pa));
    assert_eq!(h.try_exit(), None, "nitro exited on reboot");
    assert!(alive(pa2));
    wait_until(5 * SEC, "HTTP endpoint after the reboot", || {
        UnixStream::connect(http_sock(&h)).is_ok() && get(&h, "/services").status == 200
    });
}

// ---- events ----------------------------------------------------------------------

/// The payload of the complete chunks in `b`.
fn dechunk(mut b: &[u8]) -> String {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { break };
        let Ok(n) = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap_or("x"), 16) else { break };
        if n == 0 || b.len() < eol + 2 + n + 2 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        assert_eq!(&b[eol + 2 + n..eol + 4 + n], b"\r\n", "chunk not ended by CRLF");
        b = &b[eol + 4 + n..];
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn events_stream_state_changes_chunked_http_1_0_and_with_curl() {
    let mut h = Harness::new();
    h.sleeper("a");
    start(&mut h);
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));

    let mut c = Raw::new(&h);
    c.send(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let head = c.resp();
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(head.header("Content-Type"), Some("application/x-ndjson"));
    let mut c10 = Raw::new(&h);
    c10.send(b"GET /events HTTP/1.0\r\n\r\n");
    let head10 = c10.resp();
    assert_eq!(head10.status, 200);
    assert_eq!(head10.header("Transfer-Encoding"), None);
    assert_eq!(head10.header("Connection"), Some("close"));

    let out = h.path("curl-events");
    let mut cu = Command::new(curl_bin())
        .args(["-sNv", "--max-time", "20", "--unix-socket"])
        .arg(http_sock(&h))
        .arg("http://localhost/events")
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(h.path("curl-events.err")).unwrap())
        .spawn()
        .unwrap();
    // Its stream has begun once it has the head (curl -v shows it).
    wait_until(5 * SEC, "curl's event stream open", || h.read("curl-events.err").contains("< HTTP/1.1 200"));

    assert_eq!(curl(&h, "POST", "/service/a/restart").status, 200);
    wait_for(5 * SEC, "a restarted", || h.pid_of("a").filter(|&p| p != pa));
    // Every line carries its sequence number (seq), one more each line.
    let want = "{\"service\":\"a\",\"state\":\"STARTING\",\"seq\":N}";
    let deadline = Instant::now() + 5 * SEC;
    while !norm(&dechunk(&c.buf), &["seq"]).contains(want) && Instant::now() < deadline {
        c.s.set_read_timeout(Some(secs(0.2))).unwrap();
        c.fill();
    }
    let lines = dechunk(&c.buf);
    let lines: Vec<&str> = lines.lines().collect();
    let seqs: Vec<u64> = lines.iter().map(|l| num(l, "seq")).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{lines:?}");
    let normed: Vec<String> = lines.iter().map(|l| norm(l, &["seq"])).collect();
    assert!(normed.iter().any(|l| *l == "{\"service\":\"a\",\"state\":\"RESTART\",\"seq\":N}"), "{lines:?}");
    assert_eq!(normed.last().map(String::as_str), Some(want), "{lines:?}");
    for l in &normed {
        assert!(l.starts_with("{\"service\":\"a\",\"state\":\"") && l.ends_with("\",\"seq\":N}"), "{l:?}");
    }
    // HTTP/1.0: the same lines, unframed.
    let deadline = Instant::now() + 5 * SEC;
    while !norm(&String::from_utf8_lossy(&c10.buf), &["seq"]).contains(want) && Instant::now() < deadline {
        c10.s.set_read_timeout(Some(secs(0.2))).unwrap();
        c10.fill();
    }
    assert_eq!(String::from_utf8_lossy(&c10.buf).lines().collect::<Vec<_>>(), lines);
    // curl saw them too (it dechunks).
    wait_until(5 * SEC, "curl -N got the events", || norm(&h.read("curl-events"), &["seq"]).contains(want));
    let _ = cu.kill();
    let _ = cu.wait();
    assert_eq!(h.read("curl-events").lines().collect::<Vec<_>>(), lines);
    // The stream holds no slot forever: the other connections still work.
    assert_eq!(get(&h, "/jobs").sb(), (200, "[]"));
}

// ---- jobs ------------------------------------------------------------------------

#[test]
fn two_task_job_sees_task_exit_as_number_and_signal_name() {
    let mut h = Harness::new();
    start(&mut h);
    let body = sh_job(&h, &["echo \"${TASK_EXIT-unset}\" > $T/te0; exit 3", "echo \"$TASK_EXIT\" > $T/te1"]);
    let r = put_job(&h, "two", &body);
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(norm(r.json(), &["pid", "seq"]), "{\"name\":\"two\",\"state\":\"running\",\"task\":0,\"pid\":N,\"exits\":[],\"seq\":N}");
    assert!(num(&r.body, "pid") > 0);
    let done = wait_job(&h, "two", "done", 5 * SEC);
    assert_eq!(norm(&done, &["seq"]), "{\"name\":\"two\",\"state\":\"done\",\"task\":1,\"pid\":0,\"exits\":[\"3\",\"0\"],\"seq\":N}");
    assert_eq!(h.read("te0"), "unset\n");
    assert_eq!(h.read("te1"), "3\n");

    let r = put_job(&h, "sig", &sh_job(&h, &["kill -KILL $$", "echo \"$TASK_EXIT\" > $T/te2; exit 7"]));
    assert_eq!(r.status, 201, "{r:?}");
    let done = wait_job(&h, "sig", "done", 5 * SEC);
    assert_eq!(norm(&done, &["seq"]), "{\"name\":\"sig\",\"state\":\"done\",\"task\":1,\"pid\":0,\"exits\":[\"SIGKILL\",\"7\"],\"seq\":N}");
    assert_eq!(h.read("te2"), "SIGKILL\n");

    let r = get(&h, "/jobs");
    assert_eq!(r.status, 200);
    assert_eq!(
        norm(r.json(), &["seq"]),
        "[{\"name\":\"two\",\"state\":\"done\",\"task\":1,\"pid\":0,\"exits\":[\"3\",\"0\"],\"seq\":N},\
          {\"name\":\"sig\",\"state\":\"done\",\"task\":1,\"pid\":0,\"exits\":[\"SIGKILL\",\"7\"],\"seq\":N}]"
    );

    // A finished job is replaced and run again: 200.
    fs::remove_file(h.path("te1")).unwrap();
    let r = put_job(&h, "two", &body);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(norm(r.json(), &["pid", "seq"]), "{\"name\":\"two\",\"state\":\"running\",\"task\":0,\"pid\":N,\"exits\":[],\"seq\":N}");
    wait_job(&h, "two", "done", 5 * SEC);
    assert_eq!(h.read("te1"), "3\n");

    // A running one is not: 409, and it keeps running.
    let r = put_job(&h, "long", &sh_job(&h, &["exec sleep 30"]));
    assert_eq!(r.status, 201);
    let pid = num(&r.body, "pid") as i32;
    assert_eq!(put_job(&h, "long", &body).sb(), (409, "{\"error\":\"job still running\"}"));
    assert!(alive(pid));
    assert_eq!(get(&h, "/job/nope").sb(), (404, "{\"error\":\"not found\"}"));
}

#[test]
fn delete_a_running_job_terms_it_and_no_later_task_starts() {
    let mut h = Harness::new();
    start(&mut h);
    let r = put_job(
        &h,
        "del",
        &sh_job(&h, &["trap 'echo TERM > $T/termed; exit 0' TERM\necho $$ > $T/jpid\nwhile :; do sleep 0.05; done", ": > $T/second"]),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let pid = h.wait_pid_file("jpid", 5 * SEC);
    let r = curl(&h, "DELETE", "/job/del");
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(norm(r.json(), &["seq"]), format!("{{\"name\":\"del\",\"state\":\"running\",\"task\":0,\"pid\":{pid},\"exits\":[],\"seq\":N}}"));
    wait_job_gone(&h, "del", 5 * SEC);
    assert_eq!(h.read("termed"), "TERM\n");
    assert!(!alive(pid));
    assert!(never_within(secs(0.3), || h.path("second").exists()), "the next task started after DELETE");
    assert_eq!(curl(&h, "DELETE", "/job/del").sb(), (404, "{\"error\":\"not found\"}"));
    assert_eq!(get(&h, "/jobs").sb(), (200, "[]"));

    // A finished job goes at once: 200.
    assert_eq!(put_job(&h, "fin", &sh_job(&h, &["true"])).status, 201);
    wait_job(&h, "fin", "done", 5 * SEC);
    assert_eq!(curl(&h, "DELETE", "/job/fin").sb(), (200, "{\"name\":\"fin\",\"state\":\"removed\"}"));
    assert_eq!(get(&h, "/job/fin").status, 404);
}

#[test]
fn delete_kills_a_task_that_ignores_sigterm_after_7_s() {
    let mut h = Harness::new();
    start(&mut h);
    let r = put_job(&h, "stub", &sh_job(&h, &["trap '' TERM\necho $$ > $T/kpid\nwhile :; do sleep 0.1; done"]));
    assert_eq!(r.status, 201, "{r:?}");
    let pid = h.wait_pid_file("kpid", 5 * SEC);
    let t0 = Instant::now();
    assert_eq!(curl(&h, "DELETE", "/job/stub").status, 202);
    assert!(never_within(secs(5.5), || !alive(pid)), "killed before 7 s");
    let r = get(&h, "/job/stub");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains("\"state\":\"running\""), "{r:?}");
    // A second DELETE while stopping is still 202 and changes nothing.
    assert_eq!(curl(&h, "DELETE", "/job/stub").status, 202);
    wait_job_gone(&h, "stub", 4 * SEC);
    let took = t0.elapsed();
    assert!(!alive(pid));
    assert!(took >= secs(6.8) && took < secs(9.0), "SIGKILL after {took:?}");
}

#[test]
fn signals_to_a_job_and_finished_jobs() {
    let mut h = Harness::new();
    start(&mut h);
    let r = put_job(&h, "s", &sh_job(&h, &["trap 'echo USR1 >> $T/usr1' USR1\necho $$ > $T/spid\nwhile :; do sleep 0.05; done"]));
    assert_eq!(r.status, 201, "{r:?}");
    let pid = h.wait_pid_file("spid", 5 * SEC);
    let r = curl(&h, "POST", "/job/s/signal/USR1");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(norm(r.json(), &["seq"]), format!("{{\"name\":\"s\",\"state\":\"running\",\"task\":0,\"pid\":{pid},\"exits\":[],\"seq\":N}}"));
    h.wait_lines("usr1", 1, 5 * SEC);
    assert_eq!(curl(&h, "POST", "/job/s/signal/SIGKILL").status, 200);
    let done = wait_job(&h, "s", "done", 5 * SEC);
    assert_eq!(norm(&done, &["seq"]), "{\"name\":\"s\",\"state\":\"done\",\"task\":0,\"pid\":0,\"exits\":[\"SIGKILL\"],\"seq\":N}");
    assert_eq!(curl(&h, "POST", "/job/s/signal/TERM").sb(), (409, "{\"error\":\"job not running\"}"));
    assert_eq!(curl(&h, "POST", "/job/nope/signal/TERM").sb(), (404, "{\"error\":\"not found\"}"));
    assert_eq!(curl(&h, "POST", "/job/s/signal/99").sb(), (400, "{\"error\":\"unknown signal\"}"));
}

#[test]
fn job_names_services_and_the_full_table() {
    let mut h = Harness::new();
    h.sleeper("svc");
    start(&mut h);
    h.wait_state("svc", State::Starting, 5 * SEC);
    assert_eq!(put_job(&h, "svc", &sh_job(&h, &["true"])).sb(), (409, "{\"error\":\"name taken by a service\"}"));
    assert_eq!(put_job(&h, ".hidden", &sh_job(&h, &["true"])).sb(), (400, "{\"error\":\"bad name\"}"));
    // Only running jobs fill the table.
    for i in 0..16 {
        let r = put_job(&h, &format!("j{i}"), &sh_job(&h, &["exec sleep 100"]));
        assert_eq!(r.status, 201, "job {i}: {r:?}");
    }
    assert_eq!(put_job(&h, "j16", &sh_job(&h, &["true"])).sb(), (503, "{\"error\":\"job table full\"}"));
    assert_eq!(curl(&h, "POST", "/job/j3/signal/KILL").status, 200);
    wait_job(&h, "j3", "done", 5 * SEC);
    assert_eq!(put_job(&h, "j16", &sh_job(&h, &["true"])).status, 201);
    assert_eq!(get(&h, "/job/j3").status, 404, "the finished job gave way");
    let r = get(&h, "/jobs");
    assert_eq!(r.json().matches("\"name\":").count(), 16);
}

/// Finished jobs never block new ones: 100 one-shot jobs in a row all
/// start; the table keeps the 16 latest, the oldest finished giving way
/// first (each announced as removed).
#[test]
fn a_hundred_one_shot_jobs_in_a_row_all_run() {
    let mut h = Harness::new();
    start(&mut h);
    // A stream of the first job's events, open all along (read at the end).
    let mut c = Raw::new(&h);
    c.send(b"GET /events?job=once0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(c.resp().status, 200);
    assert_eq!(put_job(&h, "once0", &sh_job(&h, &["true"])).status, 201);
    wait_job(&h, "once0", "done", 5 * SEC);
    for i in 1..100 {
        let r = put_job(&h, &format!("once{i}"), &sh_job(&h, &["true"]));
        assert_eq!(r.status, 201, "job {i}: {r:?}");
        wait_job(&h, &format!("once{i}"), "done", 5 * SEC);
    }
    let r = get(&h, "/jobs");
    assert_eq!(r.json().matches("\"name\":").count(), 16);
    assert_eq!(get(&h, "/job/once83").status, 404);
    for i in 84..100 {
        assert_eq!(get(&h, &format!("/job/once{i}")).status, 200, "once{i}");
    }
    let deadline = Instant::now() + 10 * SEC;
    while !dechunk(&c.buf).contains("removed") {
        assert!(Instant::now() < deadline, "{:?}", dechunk(&c.buf));
        c.s.set_read_timeout(Some(secs(0.2))).unwrap();
        c.fill();
    }
    let lines: Vec<String> = dechunk(&c.buf).lines().map(|l| norm(l, &["seq", "pid"])).collect();
    assert_eq!(
        lines,
        [
            "{\"job\":\"once0\",\"event\":\"started\",\"task\":0,\"pid\":N,\"seq\":N}",
            "{\"job\":\"once0\",\"event\":\"ended\",\"task\":0,\"exit\":\"0\",\"seq\":N}",
            "{\"job\":\"once0\",\"event\":\"done\",\"seq\":N}",
            "{\"job\":\"once0\",\"event\":\"removed\",\"seq\":N}",
        ]
    );
}

#[test]

fn a_service_cannot_take_the_name_of_a_job() {
    let mut h = Harness::new();
    start(&mut h);
    assert_eq!(put_job(&h, "taken", &sh_job(&h, &["exec sleep 30"])).status, 201);
    // no directory: nothing to create
    assert_eq!(curl(&h, "POST", "/service/taken/up").sb(), (404, "{\"error\":\"not found\"}"));
    h.sleeper("taken");
    let r = curl(&h, "POST", "/service/taken/up");
    assert_ne!(r.status, 200, "{r:?}");
    // (The rescan runs in the pass that answered it: the next request is
    // served after it.)
    assert_eq!(curl(&h, "POST", "/rescan").status, 202);
    assert_eq!(get(&h, "/service/taken").status, 404, "a service took the name of job `taken`");
}

// ---- a task's exact process ------------------------------------------------------

#[test]
fn exec_is_looked_up_in_the_tasks_path_env_is_exact_and_cwd_is_honoured() {
    let mut h = Harness::new();
    start(&mut h);
    fs::create_dir_all(h.path("bin")).unwrap();
    fs::create_dir_all(h.path("wd")).unwrap();
    let tool = h.path("bin/mytool");
    fs::write(&tool, "#!/bin/sh\nprintf '%s|' \"$0\" \"$@\" > \"$OUT\"\npwd >> \"$OUT\"\n").unwrap();
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
    let root = h.root.to_str().unwrap();
    let t = |exec: &str, args: &str, envs: &str, cwd: &str, fds: &str| {
        format!("{{\"exec\":{},\"args\":[{args}],\"envs\":{envs},\"cwd\":{},\"fd\":[{fds}]}}", js(exec), js(cwd))
    };
    let out = h.path("out");
    let env1 = h.path("env1");
    let env2 = h.path("env2");
    let body = job(&[
        // `mytool` is only in the task's PATH, not in nitro's.
        t(
            "mytool",
            &format!("{},{},{}", js("a b"), js("\"q\"\\"), js("ünï")),
            &format!("{{\"PATH\":{},\"OUT\":{},\"NITRO_TEST_TAG\":{}}}", js(&format!("/nonexistent:{root}/bin")), js(out.to_str().unwrap()), js(&h.tag)),
            &format!("{root}/wd"),
            "",
        ),
        t("env", "", "{\"PATH\":\"/usr/bin:/bin\",\"X\":\"1 2=3\",\"EMPTY\":\"\"}", "/", &format!("{{\"type\":\"null\"}},{}", file_fd(&env1, "w"))),
        t("/usr/bin/env", "", "{}", "/", &format!("{{\"type\":\"null\"}},{}", file_fd(&env2, "w"))),
        // not in this task's PATH (it is in nitro's): 127
        t("true", "", "{\"PATH\":\"/nonexistent\"}", "/", ""),
        t("/usr/bin/env", "", "{}", "/", &format!("{{\"type\":\"null\"}},{}", file_fd(&h.path("env3"), "w"))),
    ]);
    let r = put_job(&h, "env", &body);
    assert_eq!(r.status, 201, "{r:?}");
    let done = wait_job(&h, "env", "done", 5 * SEC);
    assert_eq!(norm(&done, &["seq"]), "{\"name\":\"env\",\"state\":\"done\",\"task\":4,\"pid\":0,\"exits\":[\"0\",\"0\",\"0\",\"127\",\"0\"],\"seq\":N}");
    assert_eq!(h.read("out"), format!("{root}/bin/mytool|a b|\"q\"\\|ünï|{root}/wd\n"));
    assert_eq!(h.read("env1"), "PATH=/usr/bin:/bin\nX=1 2=3\nEMPTY=\nTASK_EXIT=0\n");
    assert_eq!(h.read("env2"), "TASK_EXIT=0\n");
    assert_eq!(h.read("env3"), "TASK_EXIT=127\n");
}

#[test]
fn every_fd_type_file_pipe_unix_and_network_socket() {
    let mut h = Harness::new();
    start(&mut h);
    let p = |s: &str| h.path(s);
    fs::write(p("in"), "input-data\n").unwrap();
    fs::write(p("out"), "old content that is longer than what replaces it\n").unwrap();
    fs::write(p("app"), "old\n").unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let script = r#"
import os, socket
T = os.environ['T']
def w(name, data):
    with open(os.path.join(T, name), 'w') as f:
        f.write(data)
os.write(1, b'copied:' + os.read(0, 1000))
os.write(2, b'appended\n')
w('fd3', os.readlink('/proc/self/fd/3'))
# Opened without waiting, handed over blocking (O_NONBLOCK 0o4000 cleared;
# O_APPEND 0o2000 kept).
def flags(fd):
    info = open('/proc/self/fdinfo/%d' % fd).read()
    return int(info.split('flags:')[1].split()[0], 8)
w('flags', ','.join('%o' % (flags(fd) & 0o6000) for fd in (0, 1, 2, 4)))
got = b''
while not got.endswith(b'\n'):
    got += os.read(4, 100)
w('fifo-got', got.decode())
for fd, msg in ((5, b'unix-hello\n'), (6, b'tcp-hello\n')):
    s = socket.socket(fileno=fd)
    c, _ = s.accept()
    c.sendall(msg)
    c.close()
w('done', 'ok')
"#;
    let fds = [
        file_fd(&p("in"), "r"),
        file_fd(&p("out"), "w"),
        file_fd(&p("app"), "a"),
        "{\"type\":\"null\"}".to_string(),
        format!("{{\"type\":\"pipe\",\"path\":{}}}", js(p("fifo").to_str().unwrap())),
        format!("{{\"path\":{},\"type\":\"unix socket\"}}", js(p("u.sock").to_str().unwrap())),
        format!("{{\"type\":\"network socket\",\"bind\":\"127.0.0.1\",\"port\":{port}}}"),
    ]
    .join(",");
    let task = format!(
        "{{\"exec\":\"python3\",\"args\":[\"-c\",{}],\"envs\":{},\"cwd\":\"/\",\"fd\":[{fds}]}}",
        js(script),
        format!(
            "{{\"PATH\":{},\"T\":{},\"NITRO_TEST_TAG\":{}}}",
            js(&std::env::var("PATH").unwrap()),
            js(h.root.to_str().unwrap()),
            js(&h.tag)
        )
    );
    let r = put_job(&h, "fds", &job(&[task]));
    assert_eq!(r.status, 201, "{r:?}");
    assert!(fs::metadata(p("fifo")).unwrap().file_type().is_fifo(), "named pipe created");
    assert!(fs::metadata(p("u.sock")).unwrap().file_type().is_socket());
    fs::OpenOptions::new().write(true).open(p("fifo")).unwrap().write_all(b"through-the-pipe\n").unwrap();
    let mut u = UnixStream::connect(p("u.sock")).expect("connect to the job's unix socket");
    u.set_read_timeout(Some(10 * SEC)).unwrap();
    let mut s = String::new();
    u.read_to_string(&mut s).unwrap();
    assert_eq!(s, "unix-hello\n");
    let mut t = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the job's TCP socket");
    t.set_read_timeout(Some(10 * SEC)).unwrap();
    let mut s = String::new();
    t.read_to_string(&mut s).unwrap();
    assert_eq!(s, "tcp-hello\n");
    let done = wait_job(&h, "fds", "done", 10 * SEC);
    assert!(norm(&done, &["seq"]).ends_with("\"exits\":[\"0\"],\"seq\":N}"), "{done}\n{}", h.stderr());
    assert_eq!(h.read("out"), "copied:input-data\n");
    assert_eq!(h.read("app"), "old\nappended\n");
    assert_eq!(h.read("fd3"), "/dev/null");
    assert_eq!(h.read("flags"), "0,0,2000,0", "O_NONBLOCK cleared, O_APPEND kept");
    assert_eq!(h.read("fifo-got"), "through-the-pipe\n");
    assert_eq!(h.read("done"), "ok");
}

#[test]
fn no_descriptor_leaks_into_a_task_and_0_defaults_to_dev_null() {
    let mut h = Harness::new();
    // Something nitro itself holds open (control socket, HTTP socket and
    // connections, a log pipe) must not show up in the task.
    h.sleeper("a");
    start(&mut h);
    let _idle = Raw::new(&h);
    let r = put_job(&h, "bare", &sh_job(&h, &["exec sleep 30"]));
    assert_eq!(r.status, 201, "{r:?}");
    let pid = num(&r.body, "pid") as i32;
    wait_exec(pid, "sleep");
    let fds = fd_targets(pid);
    assert_eq!(fds.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1, 2], "{fds:?}");
    assert_eq!(fds[0].1, "/dev/null");

    let many = [
        "{\"type\":\"null\"}".to_string(),
        file_fd(&h.path("o"), "w"),
        file_fd(&h.path("o"), "a"),
        file_fd(&h.path("o"), "rw"),
        format!("{{\"type\":\"pipe\",\"path\":{}}}", js(h.path("f").to_str().unwrap())),
    ]
    .join(",");
    let r = put_job(&h, "many", &job(&[sh_task(&h, "exec sleep 30", &many)]));
    assert_eq!(r.status, 201, "{r:?}");
    let pid = num(&r.body, "pid") as i32;
    wait_exec(pid, "sleep");
    let fds = fd_targets(pid);
    assert_eq!(fds.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4], "{fds:?}");
    assert_eq!(fds[0].1, "/dev/null");
    assert_eq!(fds[3].1, h.path("o").display().to_string());
    // One descriptor given: 0 is it, 1 and 2 the default log (not /dev/null).
    let r = put_job(&h, "one", &job(&[sh_task(&h, "exec sleep 30", &file_fd(&h.path("i"), "w"))]));
    let pid = num(&r.body, "pid") as i32;
    wait_exec(pid, "sleep");
    let fds = fd_targets(pid);
    assert_eq!(fds.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1, 2], "{fds:?}");
    assert_eq!(fds[0].1, h.path("i").display().to_string());
    let nitro_out = fs::read_link(format!("/proc/{}/fd/1", h.nitro_pid())).unwrap().display().to_string();
    assert_eq!(fds[1].1, nitro_out, "stdout is the default log");
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn user_and_group_are_switched_with_no_supplementary_groups() {
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    let mut h = Harness::new();
    start(&mut h);
    // The task opens its descriptors as 65534: a directory it may write.
    let dir = h.path("nobody");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let out = h.path("nobody/id.out");
    let task = format!(
        "{{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"id -u; id -g; grep Groups /proc/self/status\"],\"envs\":{},\"cwd\":\"/\",\"fd\":[{{\"type\":\"null\"}},{}],\"user\":65534,\"group\":65534}}",
        envs(&h),
        file_fd(&out, "w")
    );
    let r = put_job(&h, "ids", &job(&[task]));
    assert_eq!(r.status, 201, "{r:?}");
    wait_job(&h, "ids", "done", 5 * SEC);
    let l = h.read_lines("nobody/id.out");
    assert_eq!(l.len(), 3, "{l:?}");
    assert_eq!((l[0].as_str(), l[1].as_str()), ("65534", "65534"));
    assert_eq!(l[2].trim_end(), "Groups:", "supplementary groups left: {l:?}");
    // user alone: the uid changes and the supplementary groups still go.
    let out = h.path("nobody/id2.out");
    let task = format!(
        "{{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"id -u; grep Groups /proc/self/status\"],\"envs\":{},\"cwd\":\"/\",\"fd\":[{{\"type\":\"null\"}},{}],\"user\":65534}}",
        envs(&h),
        file_fd(&out, "w")
    );
    assert_eq!(put_job(&h, "uid", &job(&[task])).status, 201);
    wait_job(&h, "uid", "done", 5 * SEC);
    let l = h.read_lines("nobody/id2.out");
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(l[0], "65534");
    assert_eq!(l[1].trim_end(), "Groups:", "supplementary groups left: {l:?}");
}

/// A user's own supervisor (user@NAME: unprivileged, no supplementary
/// groups) runs tasks as its user; a task may name that user and group
/// (the switch has nothing to do), any other user is a task that cannot
/// start (126).
#[test]
#[ignore = "needs root (CI runs it)"]
fn a_users_own_supervisor_runs_tasks_as_that_user() {
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    let mut h = Harness::new();
    h.as_user = Some(65534);
    start(&mut h);
    let dir = h.path("nobody");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let ids = "id -u; id -g; grep Groups /proc/self/status";
    for (name, extra) in [("plain", ""), ("named", ",\"user\":65534,\"group\":65534")] {
        let out = h.path(&format!("nobody/{name}.out"));
        let task = format!(
            "{{\"exec\":\"/bin/sh\",\"args\":[\"-c\",{}],\"envs\":{},\"cwd\":\"/\",\"fd\":[{{\"type\":\"null\"}},{}]{extra}}}",
            js(ids),
            envs(&h),
            file_fd(&out, "w")
        );
        assert_eq!(put_job(&h, name, &job(&[task])).status, 201);
        let st = wait_job(&h, name, "done", 5 * SEC);
        assert!(st.contains("\"exits\":[\"0\"]"), "{name}: {st}");
        let l = h.read_lines(&format!("nobody/{name}.out"));
        assert_eq!(l.len(), 3, "{name}: {l:?}");
        assert_eq!((l[0].as_str(), l[1].as_str()), ("65534", "65534"), "{name}");
        assert_eq!(l[2].trim_end(), "Groups:", "{name}: supplementary groups: {l:?}");
    }
    // Root from a user's supervisor: refused by the kernel, the task
    // cannot start, the job goes on to its end.
    let task = format!("{{\"exec\":\"/bin/true\",\"args\":[],\"envs\":{},\"cwd\":\"/\",\"fd\":[],\"user\":0}}", envs(&h));
    assert_eq!(put_job(&h, "root", &job(&[task])).status, 201);
    let st = wait_job(&h, "root", "done", 5 * SEC);
    assert!(st.contains("\"exits\":[\"126\"]"), "{st}");
}

// ---- errors ------------------------------------------------------------------

#[test]
fn job_body_errors_are_400_and_unknown_fd_types_501() {
    let mut h = Harness::new();
    start(&mut h);
    let ok = sh_task(&h, "true", "");
    let long = "x".repeat(300);
    let cases: Vec<(String, u16, &str)> = vec![
        (job(&[ok.replace("\"fd\":[]", "\"fd\":[{\"type\":\"tty\",\"path\":\"/dev/tty1\"}]")]), 501, "fd type not implemented"),
        (job(&[ok.replace("\"fd\":[]", "\"fd\":[{\"type\":\"block device\"}]")]), 501, "fd type not implemented"),
        ("{\"tasks\":[".into(), 400, "malformed JSON"),
        ("{\"tasks\":[]".into(), 400, "malformed JSON"),
        ("not json".into(), 400, "malformed JSON"),
        ("".into(), 400, "malformed JSON: empty body"),
        ("[]".into(), 400, "wrong type: job"),
        ("{}".into(), 400, "missing field: tasks"),
        (job(&[ok.replace(",\"cwd\":", ",\"cwdx\":")]), 400, "unknown field"),
        (job(&[ok.replace("\"fd\":[]", "\"fd\":[],\"usr\":0")]), 400, "unknown field"),
        (job(&[ok.replace("\"args\":[", "\"args\":\"x\",\"a\":[")]), 400, "wrong type: args"),
        (job(&[ok.replace("\"fd\":[]", "\"fd\":[],\"user\":\"root\"")]), 400, "wrong type: user"),
        ("{\"tasks\":[]}".into(), 400, "empty task list"),
        (job(&vec![ok.clone(); 9]), 400, "too many tasks"),
        (job(&[ok.replace("\"/bin/sh\"", &js(&long))]), 400, "field too long: exec"),
        (job(&[ok.replace("\"fd\":[]", "\"fd\":[{\"type\":\"file\",\"path\":\"/x\",\"mode\":\"rwx\"}]")]), 400, "bad value: mode"),
        (job(&[ok.replace("\"fd\":[]", "\"fd\":[{\"type\":\"file\",\"path\":\"/x\"}]")]), 400, "missing field: mode"),
        // a body that is wrong anyway is 400 even with an unknown type
        (format!("{{\"tasks\":[{}]", ok.replace("\"fd\":[]", "\"fd\":[{\"type\":\"tty\"}]")), 400, "malformed JSON"),
    ];
    for (i, (body, status, reason)) in cases.iter().enumerate() {
        let r = raw_put(&h, &format!("e{i}"), body);
        let j = r.json().to_string();
        assert_eq!(r.status, *status, "case {i} {body}: {r:?}");
        assert!(j.starts_with(&format!("{{\"error\":\"{reason}")), "case {i} {body}: {j}");
        assert_eq!(r.header("Connection"), Some("close"));
    }
    // The missing field of a task is named.
    let no_cwd = ok.replace(&format!(",\"cwd\":{}", js(h.root.to_str().unwrap())), "");
    assert_eq!(put_job(&h, "m", &job(&[no_cwd])).sb(), (400, "{\"error\":\"missing field: cwd\"}"));
    // None of them made a job.
    assert_eq!(get(&h, "/jobs").sb(), (200, "[]"));
}

#[test]
fn protocol_errors_have_their_status_codes() {
    let mut h = Harness::new();
    h.sleeper("a");
    start(&mut h);
    let big_head = format!("GET /jobs HTTP/1.1\r\nHost: x\r\nX-Fill: {}\r\n\r\n", "a".repeat(5000));
    let long_target = format!("GET /jobs?{} HTTP/1.1\r\nHost: x\r\n\r\n", "q".repeat(1100));
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 404, "not found"),
        (b"GET /job/a/b HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 404, "not found"),
        (b"GET /job/nope HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 404, "not found"),
        (b"GET /service/nope HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 404, "not found"),
        (b"POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec(), 405, "method not allowed"),
        (b"PUT /job/a HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 411, "body without Content-Length"),
        (b"PUT /job/a HTTP/1.1\r\nHost: x\r\nContent-Length: 16385\r\n\r\n".to_vec(), 413, "body too large"),
        (long_target.into_bytes(), 414, "target too long"),
        (big_head.into_bytes(), 431, "head too large"),
        (b"PUT /job/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(), 501, "Transfer-Encoding not supported"),
        (b"POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n".to_vec(), 400, "duplicate Content-Length"),
        (b"POST /rescan HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(), 400, "Content-Length with Transfer-Encoding"),
        (b"GET /jobs HTTP/1.1\r\n\r\n".to_vec(), 400, "missing Host"),
        (b"GET /job/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 400, "percent-encoding in name"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(), 400, "malformed request"),
    ];
    for (req, status, reason) in &cases {
        let mut c = Raw::new(&h);
        c.send(req);
        let r = c.resp();
        assert_eq!(r.sb(), (*status, format!("{{\"error\":\"{reason}\"}}").as_str()), "{:?}", String::from_utf8_lossy(req));
        r.json();
        assert_eq!(r.header("Connection"), Some("close"), "{r:?}");
        assert!(c.closed_within(5 * SEC), "connection kept after {status}");
    }
    // 405 says what is allowed.
    let r = raw(&h, b"PATCH /job/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_eq!((r.status, r.header("Allow")), (405, Some("GET, PUT, DELETE")));
    let r = curl(&h, "DELETE", "/services");
    assert_eq!((r.status, r.header("Allow")), (405, Some("GET")), "{r:?}");
    let r = get(&h, "/service/a/up");
    assert_eq!((r.status, r.header("Allow")), (405, Some("POST")), "{r:?}");
    // curl sending a body over 16 KiB (Expect: 100-continue): 413.
    let r = put_job(&h, "big", &format!("{{\"tasks\":[{}]}}", " ".repeat(17000)));
    assert_eq!(r.sb(), (413, "{\"error\":\"body too large\"}"));
    // The same with the whole body sent at once on a raw socket.
    let big = format!("PUT /job/big HTTP/1.1\r\nHost: x\r\nContent-Length: 17000\r\n\r\n{}", "x".repeat(17000));
    let mut c = Raw::new(&h);
    let _ = c.s.write_all(big.as_bytes());
    assert_eq!(c.resp().status, 413);
    // Supervision and the endpoint are fine.
    assert_eq!(get(&h, "/jobs").sb(), (200, "[]"));
    assert_eq!(h.state("a"), Some(State::Starting));
}

#[test]
fn keep_alive_connection_close_pipelining_and_http_1_0() {
    let mut h = Harness::new();
    start(&mut h);
    // Two requests on one connection, one after the other.
    let mut c = Raw::new(&h);
    c.send(b"GET /jobs HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = c.resp();
    assert_eq!(r.sb(), (200, "[]"));
    assert_eq!(r.header("Connection"), None);
    let body = sh_job(&h, &["true"]);
    c.send(format!("PUT /job/k HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    assert_eq!(c.resp().status, 201);
    // Pipelined: three at once, answered in order.
    c.send(b"GET /job/k HTTP/1.1\r\nHost: x\r\n\r\nGET /nope/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(c.resp().status, 200);
    // (an error closes: what follows it is not read)
    assert_eq!(c.resp().status, 404);
    assert!(c.closed_within(5 * SEC));
    // Connection: close is honoured.
    let mut c = Raw::new(&h);
    c.send(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let r = c.resp();
    assert_eq!((r.status, r.header("Connection")), (200, Some("close")));
    assert!(c.closed_within(5 * SEC), "Connection: close not honoured");
    // HTTP/1.0: closed after the reply unless keep-alive is asked for.
    let mut c = Raw::new(&h);
    c.send(b"GET /jobs HTTP/1.0\r\n\r\n");
    let r = c.resp();
    assert_eq!((r.status, r.header("Connection")), (200, Some("close")));
    assert!(c.closed_within(5 * SEC));
    let mut c = Raw::new(&h);
    c.send(b"GET /jobs HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let r = c.resp();
    assert_eq!((r.status, r.header("Connection")), (200, Some("keep-alive")));
    c.send(b"GET /job/k HTTP/1.0\r\n\r\n");
    assert_eq!(c.resp().status, 200);
    assert!(c.closed_within(5 * SEC));
    // curl reuses one connection for two URLs.
    let out = Command::new(curl_bin())
        .args(["-sS", "-v", "--max-time", "10", "--unix-socket"])
        .arg(http_sock(&h))
        .args(["http://localhost/jobs", "http://localhost/job/k"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Re-using existing connection") || err.contains("Reusing existing"), "curl did not reuse the connection:\n{err}");
}

#[test]
fn the_17th_connection_gets_503() {
    let mut h = Harness::new();
    start(&mut h);
    // Connections are accepted in the order they came: the 17th is refused
    // once the 16 before it hold every slot.
    let idle: Vec<Raw> = (0..16).map(|_| Raw::new(&h)).collect();
    let mut c = Raw::new(&h);
    let r = c.resp();
    assert_eq!(r.sb(), (503, "{\"error\":\"too many connections\"}"));
    assert!(c.closed_within(5 * SEC));
    // A slot taken is usable; a slot freed is reused.
    let mut first = idle.into_iter().next().unwrap();
    first.send(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(first.resp().sb(), (200, "[]"));
    // (nitro freed the slot when it closed the connection.)
    assert!(first.closed_within(5 * SEC));
    assert_eq!(get(&h, "/jobs").sb(), (200, "[]"));
}

#[test]
fn a_silent_half_request_gets_408_and_never_stalls_supervision() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.service("crash", "exit 1");
    h.sleeper("a");
    start(&mut h);
    let mut half = Raw::new(&h);
    let t0 = Instant::now();
    half.send(b"PUT /job/slow HTTP/1.1\r\nHost: x\r\nContent-Le");
    let mut body_half = Raw::new(&h);
    body_half.send(b"PUT /job/slow2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"tasks\":");
    thread::sleep(secs(0.5));
    let before = sub.count(State::Starting, "crash");
    // Meanwhile, another client is served at once, jobs run, services
    // restart and actions take effect.
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(get(&h, "/jobs").status, 200);
        assert!(t.elapsed() < secs(1.0), "a request took {:?}", t.elapsed());
        thread::sleep(secs(0.5));
    }
    assert_eq!(put_job(&h, "quick", &sh_job(&h, &["true"])).status, 201);
    wait_job(&h, "quick", "done", 3 * SEC);
    let pa = wait_for(2 * SEC, "a", || h.pid_of("a"));
    assert_eq!(curl(&h, "POST", "/service/a/restart").status, 200);
    wait_for(3 * SEC, "a restarted", || h.pid_of("a").filter(|&p| p != pa));
    assert!(sub.count(State::Starting, "crash") >= before + 2, "crash-looping service not restarted: {:?}", sub.states_of("crash"));
    // Then the silent clients are told 408 and dropped, after 10 s.
    let r = half.resp();
    let took = t0.elapsed();
    assert_eq!(r.sb(), (408, "{\"error\":\"request timeout\"}"));
    assert!(took >= secs(9.5) && took < secs(12.0), "408 after {took:?}");
    assert!(half.closed_within(2 * SEC));
    assert_eq!(body_half.resp().status, 408);
    assert_eq!(get(&h, "/job/slow").status, 404);
}

/// Open the way to the HTTP socket for everyone (root only): only nitro's
/// peer credential check is left to refuse uid 65534.
fn open_socket_to_all(h: &Harness) -> PathBuf {
    let sock = http_sock(h);
    for p in [h.root.clone(), sock.parent().unwrap().to_path_buf(), sock.clone()] {
        fs::set_permissions(&p, fs::Permissions::from_mode(0o777)).unwrap();
    }
    assert_eq!(fs::metadata(&sock).unwrap().permissions().mode() & 0o777, 0o777);
    sock
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn a_foreign_uid_gets_403() {
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    let mut h = Harness::new();
    start(&mut h);
    let sock = open_socket_to_all(&h);
    // A raw client as uid 65534: connect, send a request, read what comes.
    let script = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(b'GET /jobs HTTP/1.1\r\nHost: x\r\n\r\n')
except OSError:
    pass
b = b''
while True:
    try:
        d = s.recv(4096)
    except OSError:  # ECONNRESET after the answer: nitro closed unread input
        break
    if not d:
        break
    b += d
sys.stdout.buffer.write(b)
"#;
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script])
        .arg(&sock)
        .output()
        .expect("setpriv (util-linux) and /usr/bin/python3");
    let (mut r, used) = split_resp(&out.stdout)
        .unwrap_or_else(|| panic!("no response as uid 65534: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr)));
    r.body = String::from_utf8_lossy(&out.stdout[used..]).into_owned();
    assert_eq!(r.sb(), (403, "{\"error\":\"forbidden\"}"));
    assert_eq!(r.header("Connection"), Some("close"));
    // and root is still served
    assert_eq!(get(&h, "/jobs").sb(), (200, "[]"));
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn curl_sees_the_403_and_the_503() {
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    let mut h = Harness::new();
    start(&mut h);
    let sock = open_socket_to_all(&h);
    for i in 0..20 {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", curl_bin(), "-sS", "-i", "--max-time", "10", "--unix-socket"])
            .arg(&sock)
            .arg("http://localhost/jobs")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("HTTP/1.1 403"), "try {i}: {text:?} {}", String::from_utf8_lossy(&out.stderr));
    }
    // (Accepted in order: these 16 take every slot before curl comes.)
    let _idle: Vec<Raw> = (0..16).map(|_| Raw::new(&h)).collect();
    for i in 0..20 {
        let r = curl_with(&h, &["http://localhost/jobs"], None);
        assert_eq!(r.status, 503, "try {i}");
    }
}

// ---- the socket, odd names, sizes -------------------------------------------------

#[test]
fn nitro_http_sets_the_socket_path_and_its_mode_is_0600() {
    let mut h = Harness::new();
    let p = h.path("api.sock");
    h.env("NITRO_HTTP", p.to_str().unwrap());
    h.start();
    wait_until(5 * SEC, "socket at $NITRO_HTTP", || UnixStream::connect(&p).is_ok());
    assert!(!http_sock(&h).exists(), "http.sock created although NITRO_HTTP is set");
    let m = fs::metadata(&p).unwrap();
    assert!(m.file_type().is_socket());
    assert_eq!(m.permissions().mode() & 0o777, 0o600, "socket mode {:o}", m.permissions().mode());
    let mut c = UnixStream::connect(&p).unwrap();
    c.set_read_timeout(Some(10 * SEC)).unwrap();
    c.write_all(b"GET /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut s = String::new();
    c.read_to_string(&mut s).unwrap();
    assert!(s.starts_with("HTTP/1.1 200 OK\r\n") && s.ends_with("\r\n\r\n[]\n"), "{s:?}");
    let st = h.shutdown(15 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(!p.exists(), "socket left behind");
}

/// Whether python3's json module accepts `text`.
fn valid_json(text: &str) -> Result<(), String> {
    let mut c = Command::new("python3")
        .args(["-c", "import json,sys; json.loads(sys.stdin.buffer.read().decode('utf-8'))"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    if o.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&o.stderr).into_owned()) }
}

#[test]
fn odd_names_are_escaped_in_json_and_metrics() {
    let mut h = Harness::new();
    h.sleeper("q\"t\\b\tx\u{1}é");
    start(&mut h);
    wait_until(5 * SEC, "service up", || get(&h, "/services").body.contains("STARTING"));
    let r = get(&h, "/services");
    assert!(r.json().contains("\"name\":\"q\\\"t\\\\b\\u0009x\\u0001é\""), "{r:?}");
    valid_json(&r.body).unwrap_or_else(|e| panic!("{e}: {:?}", r.body));
    let m = get(&h, "/metrics").body;
    assert!(m.contains("nitro_service_up{service=\"q\\\"t\\\\b\tx\u{1}é\"} 0\n"), "{m}");
    // A job name with a quote and a backslash, sent raw.
    let r = raw_put(&h, "a\"b\\c", &sh_job(&h, &["true"]));
    assert_eq!(r.status, 201, "{r:?}");
    assert!(r.json().starts_with("{\"name\":\"a\\\"b\\\\c\","), "{r:?}");
    wait_job(&h, "a\"b\\c", "done", 5 * SEC);
    let r = get(&h, "/jobs");
    valid_json(&r.body).unwrap_or_else(|e| panic!("{e}: {:?}", r.body));
}

/// A full table of 500 services whose names all need escaping at their
/// worst still fits one reply: every byte of the names doubles in
/// `/metrics` (`"` and `\\`), and becomes `\\u0001` (six bytes) in
/// `/services`.
#[test]
fn metrics_and_services_fit_a_full_table_of_worst_case_names() {
    let full_table = |pick: &dyn Fn(usize) -> char| {
        let mut h = Harness::new();
        for i in 0..500 {
            let name = format!("{}{i:03}", pick(i).to_string().repeat(60));
            h.sleeper(&name);
            h.file(&format!("{name}/down"), "");
        }
        start(&mut h);
        wait_until(20 * SEC, "500 services", || get(&h, "/services").body.matches("\"name\"").count() == 500);
        h
    };
    let h = full_table(&|i| if i % 2 == 0 { '"' } else { '\\' });
    let r = get(&h, "/metrics");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("Content-Length"), Some(r.body.len().to_string().as_str()));
    assert!(r.body.len() > 256 * 1024, "{} bytes", r.body.len());
    for family in ["nitro_service_state{", "nitro_service_up{", "nitro_service_restarts_total{", "nitro_service_uptime_seconds{"] {
        assert_eq!(r.body.matches(family).count(), 500, "{family}");
    }
    assert!(r.body.contains(&format!("nitro_service_up{{service=\"{}000\"}} 0\n", "\\\"".repeat(60))));
    drop(h);
    let h = full_table(&|_| '\u{1}');
    let r = get(&h, "/services");
    assert_eq!(r.status, 200);
    valid_json(&r.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.body.matches(&"\\u0001".repeat(60)).count(), 500);
}

/// A stream asked to start before the oldest event still held (the ring
/// keeps 256 once nobody reads them) is told how many it missed, as
/// `{"missed":N}`, then goes on from the oldest held: nothing is skipped
/// without a word.
#[test]
fn a_stream_from_before_the_history_is_told_what_it_missed() {
    let mut h = Harness::new();
    for i in 0..200 {
        h.sleeper(&format!("s{i}"));
    }
    start(&mut h);
    wait_until(10 * SEC, "every sleeper UP", || {
        let r = get(&h, "/services");
        r.body.matches("\"UP\"").count() == 200
    });
    let mut c = Raw::new(&h);
    c.send(b"GET /events?after=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    let head = c.resp();
    assert_eq!(head.status, 200, "{head:?}");
    let deadline = Instant::now() + 5 * SEC;
    while dechunk(&c.buf).lines().count() < 3 {
        assert!(Instant::now() < deadline, "{:?}", dechunk(&c.buf));
        c.s.set_read_timeout(Some(secs(0.2))).unwrap();
        c.fill();
    }
    let text = dechunk(&c.buf);
    let lines: Vec<&str> = text.lines().collect();
    let missed = num(lines[0], "missed");
    assert_eq!(lines[0], format!("{{\"missed\":{missed}}}"), "{lines:?}");
    // 200 services came up: at least 400 events (seq 0, 1, ...), the
    // last 256 held; after=0 wanted every one from seq 1.
    assert!(missed >= 400 - 256 - 1, "{lines:?}");
    // The first held event is the one after those missed.
    assert_eq!(num(lines[1], "seq"), missed + 1, "{lines:?}");
    assert_eq!(num(lines[2], "seq"), missed + 2, "{lines:?}");
}

/// An event stream from `GET /events?job=NAME&after=SEQ`, read until a line
/// contains `until`; its lines with `seq` and `pid` as N.
fn job_events(h: &Harness, query: &str, until: &str) -> (Vec<String>, Vec<u64>) {
    let mut c = Raw::new(h);
    c.send(format!("GET /events?{query} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    let head = c.resp();
    assert_eq!(head.status, 200, "{head:?}");
    let deadline = Instant::now() + 10 * SEC;
    while !dechunk(&c.buf).contains(until) {
        assert!(Instant::now() < deadline, "no {until} in {:?}", dechunk(&c.buf));
        c.s.set_read_timeout(Some(secs(0.2))).unwrap();
        c.fill();
    }
    let raw = dechunk(&c.buf);
    let seqs = raw.lines().map(|l| num(l, "seq")).collect();
    (raw.lines().map(|l| norm(l, &["seq", "pid"])).collect(), seqs)
}

/// Job changes are events: a task started (pid) or ended (its TASK_EXIT),
/// the job done, stopped or removed. `?job=NAME` follows one job, `?jobs`
/// all jobs; services' events are left out of both. The `seq` a job's
/// status reports, given as `after`, misses nothing that happened since,
/// however late the stream opens (here: after the job is done).
#[test]
fn job_changes_are_events_and_after_seq_misses_none() {
    let mut h = Harness::new();
    h.sleeper("a");
    start(&mut h);
    wait_for(5 * SEC, "a", || h.pid_of("a"));
    let r = put_job(&h, "two", &sh_job(&h, &["exit 3", "exit 0"]));
    assert_eq!(r.status, 201, "{r:?}");
    let first = num(&r.body, "seq");
    // Events of others in between: a service restarts, another job runs.
    assert_eq!(curl(&h, "POST", "/service/a/restart").status, 200);
    assert_eq!(put_job(&h, "other", &sh_job(&h, &["exit 0"])).status, 201);
    let done = wait_job(&h, "two", "done", 5 * SEC);
    assert!(num(&done, "seq") > first, "{done}");

    let (lines, seqs) = job_events(&h, &format!("job=two&after={first}"), "\"event\":\"done\"");
    assert_eq!(
        lines,
        [
            "{\"job\":\"two\",\"event\":\"ended\",\"task\":0,\"exit\":\"3\",\"seq\":N}",
            "{\"job\":\"two\",\"event\":\"started\",\"task\":1,\"pid\":N,\"seq\":N}",
            "{\"job\":\"two\",\"event\":\"ended\",\"task\":1,\"exit\":\"0\",\"seq\":N}",
            "{\"job\":\"two\",\"event\":\"done\",\"seq\":N}",
        ]
    );
    assert!(seqs[0] > first && seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(*seqs.last().unwrap(), num(&done, "seq"));

    // ?jobs: both jobs, no service; the first event of all was job two's
    // start, which the PUT reported.
    let (lines, seqs) = job_events(&h, &format!("jobs&after={}", first - 1), "\"job\":\"other\",\"event\":\"done\"");
    assert_eq!(seqs[0], first);
    assert_eq!(lines[0], "{\"job\":\"two\",\"event\":\"started\",\"task\":0,\"pid\":N,\"seq\":N}");
    assert!(lines.iter().all(|l| l.starts_with("{\"job\":")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("{\"job\":\"other\",\"event\":\"started\"")), "{lines:?}");
    // Everything: services too, in one order.
    let (lines, _) = job_events(&h, &format!("after={}", first - 1), "\"job\":\"other\",\"event\":\"done\"");
    assert!(lines.iter().any(|l| l.starts_with("{\"service\":\"a\",\"state\":\"RESTART\"")), "{lines:?}");

    // A running job deleted: its task ends by SIGTERM, the job is stopped,
    // then removed.
    let r = put_job(&h, "del", &sh_job(&h, &["exec sleep 100", "exit 0"]));
    assert_eq!(r.status, 201, "{r:?}");
    let seq = num(&r.body, "seq");
    assert_eq!(curl(&h, "DELETE", "/job/del").status, 202);
    let (lines, _) = job_events(&h, &format!("job=del&after={seq}"), "\"event\":\"removed\"");
    assert_eq!(
        lines,
        [
            "{\"job\":\"del\",\"event\":\"ended\",\"task\":0,\"exit\":\"SIGTERM\",\"seq\":N}",
            "{\"job\":\"del\",\"event\":\"stopped\",\"seq\":N}",
            "{\"job\":\"del\",\"event\":\"removed\",\"seq\":N}",
        ]
    );
    // The control socket's subscribers see services only (nitro's protocol).
    let sub = h.subscribe();
    assert_eq!(put_job(&h, "quiet", &sh_job(&h, &["exit 0"])).status, 201);
    wait_job(&h, "quiet", "done", 5 * SEC);
    h.ctl_ok(&["restart", "a"]);
    sub.wait_for(State::Up, "a", 5 * SEC);
    assert!(sub.lines().iter().all(|l| !l.contains("quiet")), "{:?}", sub.lines());
}

/// examples/restart-on-exit runs a job again while its last task fails,
/// waiting longer each time, and stops once it succeeds: here a job that
/// fails twice, then succeeds (waits of 1 s, then 2 s).
#[test]
fn the_restart_on_exit_example_reruns_a_failing_job_until_it_succeeds() {
    let mut h = Harness::new();
    start(&mut h);
    curl_bin();
    let count = h.path("runs");
    let body = sh_job(&h, &[&format!("n=$(cat {0} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {0}; [ $n -ge 3 ] || exit 4", count.display()), "exit $TASK_EXIT"]);
    let spec = h.path("job.json");
    fs::write(&spec, body).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/restart-on-exit");
    let t = Instant::now();
    let mut child = Command::new(&script)
        .args(["flaky", spec.to_str().unwrap()])
        .env("NITRO_HTTP", http_sock(&h))
        .env("RESTART_DELAY_MAX", "2")
        .stdout(Stdio::null())
        .stderr(fs::File::create(h.path("example.err")).unwrap())
        .spawn()
        .unwrap();
    let status = wait_for(30 * SEC, "restart-on-exit to finish", || child.try_wait().unwrap());
    let err = h.read("example.err");
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(h.read("runs"), "3\n");
    assert_eq!(
        err,
        "restart-on-exit: flaky: last task ended with 4; again in 1s\n\
         restart-on-exit: flaky: last task ended with 4; again in 2s\n\
         restart-on-exit: flaky: done\n"
    );
    assert!(t.elapsed() >= 3 * SEC, "{:?}", t.elapsed());
    let r = get(&h, "/job/flaky");
    assert_eq!(norm(r.json(), &["seq"]), "{\"name\":\"flaky\",\"state\":\"done\",\"task\":1,\"pid\":0,\"exits\":[\"0\",\"0\"],\"seq\":N}");
}

/// The whole pages of the binary's `.text.nitro_cold` section (build.rs's
/// linker script gathers the code a running supervisor does not run there:
/// start-up's, scans', shutdown's, HTTP requests' and jobs'), from its ELF
/// section headers; None without one.
fn cold_pages(bin: &std::path::Path) -> Option<(u64, u64)> {
    let f = fs::read(bin).unwrap();
    let u16_at = |o: usize| u16::from_le_bytes(f[o..o + 2].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(f[o..o + 8].try_into().unwrap());
    let (shoff, shentsize, shnum, shstrndx) = (u64_at(0x28) as usize, u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| shoff + i * shentsize;
    let names = u64_at(header(shstrndx) + 0x18) as usize;
    for i in 0..shnum {
        let h = header(i);
        let name_at = names + u32::from_le_bytes(f[h..h + 4].try_into().unwrap()) as usize;
        let name = &f[name_at..name_at + f[name_at..].iter().position(|&b| b == 0).unwrap()];
        if name == b".text.nitro_cold" {
            let (addr, size) = (u64_at(h + 0x10), u64_at(h + 0x20));
            return Some((addr.next_multiple_of(4096), (addr + size) & !4095));
        }
    }
    None
}

/// Rss of our mapping that starts at `lo` (None: no mapping starts there).
fn rss_at(pid: i32, lo: u64) -> Option<(u64, u64)> {
    let smaps = fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let mut lines = smaps.lines();
    while let Some(l) = lines.next() {
        let Some((range, _)) = l.split_once(' ') else { continue };
        let Some((a, b)) = range.split_once('-') else { continue };
        let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else { continue };
        if a != lo {
            continue;
        }
        let rss = lines.find_map(|l| l.strip_prefix("Rss:")).unwrap();
        return Some((b, rss.trim().trim_end_matches(" kB").parse().unwrap()));
    }
    None
}

/// That code is unmapped once start-up is over, mapped by what runs it,
/// and let go again after a scan or a command that adds a service.
/// (A release build's: ci/test runs it so after the debug tests. Without
/// optimisation the loop calls small functions of the HTTP modules on
/// every pass, and build.rs keeps nothing apart.)
#[test]
fn the_cold_code_is_mapped_only_while_it_runs() {
    let cold = cold_pages(&nitro_bin());
    if cfg!(debug_assertions) {
        assert_eq!(cold, None, "a debug build keeps no code apart");
        return;
    }
    let (lo, hi) = cold.expect("no .text.nitro_cold in a release build");
    assert!(hi > lo, "no whole page of HTTP code apart");
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    wait_until(5 * SEC, "HTTP socket", || http_sock(&h).exists());
    let pid = h.nitro_pid();
    // Started, supervising, listening: none of it mapped.
    assert_eq!(rss_at(pid, lo), Some((hi, 0)), "{:?}", fs::read_to_string(format!("/proc/{pid}/maps")));
    assert_eq!(get(&h, "/services").status, 200);
    let (end, rss) = rss_at(pid, lo).unwrap();
    assert!(end == hi && rss > 0, "HTTP code still unmapped after a request: {rss} kB");
    // A restart by name adds the service (scan's code): all of it is let
    // go at the end of that pass.
    h.ctl_ok(&["restart", "a"]);
    wait_until(5 * SEC, "the cold code let go after a restart", || rss_at(pid, lo) == Some((hi, 0)));
    assert_eq!(get(&h, "/services").status, 200);
    assert!(rss_at(pid, lo).is_some_and(|(_, rss)| rss > 0));
    h.ctl_ok(&["rescan"]);
    wait_until(5 * SEC, "the cold code let go after a rescan", || rss_at(pid, lo) == Some((hi, 0)));
    // A service's own restart runs none of it.
    h.wait_state("a", State::Up, 5 * SEC);
    let svc = h.pid_of("a").unwrap();
    assert!(kill(svc, Signal::KILL));
    wait_until(5 * SEC, "a restarted", || h.pid_of("a").is_some_and(|p| p != svc));
    assert_eq!(rss_at(pid, lo), Some((hi, 0)), "cold code mapped by a restart");
}

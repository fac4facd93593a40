//! nitroctl against a fake supervisor: a thread that binds a datagram socket
//! at $NITRO_SOCK and answers requests with nitro's byte sequences.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nitroctl");

const OK: &[u8] = &[0, 0, 80];
const ESRCH: &[u8] = &[0, 0, 81];
const ENOSYS: &[u8] = &[0, 0, 82];

const DOWN: u8 = 1;
const STARTING: u8 = 3;
const UP: u8 = 4;
const SHUTDOWN: u8 = 6;
const FATAL: u8 = 8;

fn packet(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u16).to_le_bytes().to_vec();
    v.push(tag);
    v.extend_from_slice(payload);
    v
}

fn notif(state: u8, name: &str) -> Vec<u8> {
    packet(state, name.as_bytes())
}

fn status(state: u8, pid: u32, wstatus: i32, uptime: u32) -> Vec<u8> {
    let mut v = packet(102, &[state]);
    v.extend(packet(103, &pid.to_le_bytes()));
    v.extend(packet(104, &wstatus.to_le_bytes()));
    v.extend(packet(105, &uptime.to_le_bytes()));
    v
}

fn list(entries: &[(&str, u8, u32, i32, u32)]) -> Vec<u8> {
    let mut v = Vec::new();
    for &(name, state, pid, ws, up) in entries {
        v.extend([0xff, 0xff, 100]);
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        v.extend(packet(101, &n));
        v.extend(status(state, pid, ws, up));
        v.extend([0xfe, 0xff, 100]);
    }
    v
}

/// A request as the fake server sees it.
struct Req {
    tag: u8,
    payload: Vec<u8>,
    from: PathBuf,
}

impl Req {
    fn name(&self) -> String {
        let p = if self.tag == 129 { &self.payload[1..] } else { &self.payload[..] };
        String::from_utf8(p.to_vec()).unwrap()
    }
}

struct Fake {
    dir: PathBuf,
    sock: PathBuf,
    stop: Arc<AtomicBool>,
    pub requests: Arc<AtomicUsize>,
    /// What went wrong in the server thread (a malformed request, a failed
    /// assertion in a handler): checked after every nitroctl run and at the
    /// end, so that it fails the test instead of vanishing with the thread.
    failures: Arc<Mutex<Vec<String>>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// The server's side of a request: answer with `send` (to the requester).
type Handler = dyn Fn(&Req, &dyn Fn(&[u8])) + Send + Sync;

impl Fake {
    fn new(test: &str, handler: Box<Handler>) -> Fake {
        let dir = std::env::temp_dir().join(format!("nitroctl-{}-{}", std::process::id(), test));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("notify")).unwrap();
        let sock = dir.join("nitro.sock");
        let srv = UnixDatagram::bind(&sock).unwrap();
        srv.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let (st, rq, fl) = (stop.clone(), requests.clone(), failures.clone());
        let thread = thread::spawn(move || {
            let mut buf = vec![0u8; 1024];
            let fail = |what: String| fl.lock().unwrap().push(what);
            while !st.load(Ordering::Relaxed) {
                let Ok((n, from)) = srv.recv_from(&mut buf) else { continue };
                rq.fetch_add(1, Ordering::Relaxed);
                let d = &buf[..n];
                if n < 3 || u16::from_le_bytes([d[0], d[1]]) as usize + 3 != n {
                    fail(format!("malformed request {d:?}"));
                    continue;
                }
                let Some(from) = from.as_pathname().map(Path::to_path_buf) else { continue };
                let req = Req { tag: d[2], payload: d[3..].to_vec(), from: from.clone() };
                let send = |b: &[u8]| {
                    let _ = srv.send_to(b, &from);
                };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&req, &send)));
                if let Err(p) = r {
                    let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                    fail(format!("handler failed on tag {}: {}", req.tag, msg.unwrap_or_default()));
                }
            }
        });
        Fake { dir, sock, stop, requests, failures, thread: Some(thread) }
    }

    /// Fail the test with what went wrong in the server thread, if anything.
    fn check(&self) {
        let f = self.failures.lock().unwrap();
        assert!(f.is_empty(), "fake server: {f:?}");
    }

    /// Run nitroctl to its end (20 s at most, then it is killed and the test
    /// fails) and check the server.
    fn output(&self, c: &mut Command) -> Output {
        let child = c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let o = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(o) => o.unwrap(),
            Err(_) => {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                self.check();
                panic!("nitroctl did not finish within 20 s");
            }
        };
        self.check();
        o
    }

    fn run(&self, args: &[&str]) -> Output {
        self.output(&mut self.cmd(args))
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).env("NITRO_SOCK", &self.sock).current_dir(&self.dir);
        c
    }

    fn notify_files(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.join("notify"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if !thread::panicking() {
            self.check();
        }
    }
}

fn out(o: &Output) -> &str {
    std::str::from_utf8(&o.stdout).unwrap()
}

fn err(o: &Output) -> &str {
    std::str::from_utf8(&o.stderr).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn list_prints_sorted_lines() {
    let f = Fake::new(
        "list",
        Box::new(|r, send| {
            assert_eq!(r.tag, 124);
            assert!(r.from.file_name().unwrap().to_str().unwrap().starts_with(','));
            send(&list(&[("web", UP, 100, 0, 12), ("LOG", UP, 7, 0, 30), ("db", FATAL, 0, -1, 3)]))
        }),
    );
    for args in [&[][..], &["list"], &["l"], &["-t", "5", "list"]] {
        let o = f.run(args);
        assert_eq!(code(&o), 0, "{}", err(&o));
        assert_eq!(
            out(&o),
            "UP LOG (pid 7) (wstatus 0) 30s\nFATAL db (wstatus -1) 3s\nUP web (pid 100) (wstatus 0) 12s\n"
        );
    }
    assert!(f.notify_files().is_empty());
}

#[test]
fn list_of_500_long_names_and_of_none() {
    let names: Vec<String> = (0..500).rev().map(|i| format!("{:x>60}{:03}", "", i)).collect();
    let big: Vec<(&str, u8, u32, i32, u32)> = names.iter().map(|n| (n.as_str(), UP, 1, 0, 5)).collect();
    let reply = list(&big);
    assert!(reply.len() > 4096 * 10);
    let empty = Arc::new(AtomicBool::new(false));
    let e2 = empty.clone();
    let f = Fake::new(
        "biglist",
        Box::new(move |_, send| if e2.load(Ordering::Relaxed) { send(&[]) } else { send(&reply) }),
    );
    let o = f.run(&["list"]);
    assert_eq!(code(&o), 0);
    let lines: Vec<&str> = out(&o).lines().collect();
    assert_eq!(lines.len(), 500);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(*l, format!("UP {:x>60}{:03} (pid 1) (wstatus 0) 5s", "", i));
    }
    empty.store(true, Ordering::Relaxed);
    let o = f.run(&["list"]);
    assert_eq!((code(&o), out(&o)), (0, ""));
    assert!(f.notify_files().is_empty());
}

#[test]
fn list_services_queries_each() {
    let f = Fake::new(
        "listq",
        Box::new(|r, send| {
            assert_eq!(r.tag, 125);
            match r.name().as_str() {
                "a" => {
                    // A notification first must not be taken for the reply.
                    send(&notif(UP, "a"));
                    send(&status(UP, 10, 0, 1));
                }
                "b" => send(&status(DOWN, 0, 256, 9)),
                _ => send(ESRCH),
            }
        }),
    );
    let o = f.run(&["list", "a", "b"]);
    assert_eq!(code(&o), 0);
    let mut lines: Vec<&str> = out(&o).lines().collect();
    lines.sort();
    assert_eq!(lines, ["DOWN b (wstatus 256) 9s", "UP a (pid 10) (wstatus 0) 1s"]);
    let o = f.run(&["list", "a", "zz"]);
    assert_eq!(code(&o), 111);
    assert_eq!(err(&o), "nitroctl: no such service 'zz'\n");
}

/// Up: state notification, then OK; later notifications as the service
/// comes up (or fails).
fn up_server(fail: &'static str) -> Box<Handler> {
    Box::new(move |r, send| match r.tag {
        120 | 122 => {
            let name = r.name();
            send(&notif(STARTING, &name));
            send(OK);
            thread::sleep(Duration::from_millis(100));
            send(&notif(if name == fail { FATAL } else { UP }, &name));
        }
        121 => {
            send(&notif(SHUTDOWN, &r.name()));
            send(OK);
            thread::sleep(Duration::from_millis(100));
            send(&notif(DOWN, &r.name()));
        }
        _ => send(ENOSYS),
    })
}

#[test]
fn start_waits_for_up_and_reports_fatal() {
    let f = Fake::new("start", up_server("bad"));
    let o = f.run(&["start", "web"]);
    assert_eq!((code(&o), out(&o), err(&o)), (0, "", ""));
    let o = f.run(&["-v", "start", "web"]);
    assert_eq!((code(&o), out(&o)), (0, "STARTING web\nUP web\n"));
    let o = f.run(&["start", "bad"]);
    assert_eq!((code(&o), err(&o)), (1, "nitroctl: failed to start 'bad'\n"));
    let o = f.run(&["restart", "bad"]);
    assert_eq!((code(&o), err(&o)), (1, "nitroctl: failed to restart 'bad'\n"));
    let o = f.run(&["start", "web", "bad", "x"]);
    assert_eq!(code(&o), 1);
    let o = f.run(&["fast-start", "bad"]);
    assert_eq!(code(&o), 0, "STARTING is enough");
    let o = f.run(&["up", "bad"]);
    assert_eq!(code(&o), 0);
    assert!(f.notify_files().is_empty());
}

#[test]
fn stop_waits_for_down() {
    let f = Fake::new("stop", up_server(""));
    let t = Instant::now();
    let o = f.run(&["-v", "stop", "web"]);
    assert_eq!((code(&o), out(&o)), (0, "SHUTDOWN web\nDOWN web\n"));
    assert!(t.elapsed() >= Duration::from_millis(100));
    let o = f.run(&["fast-stop", "web"]);
    assert_eq!(code(&o), 0);
    let o = f.run(&["d", "web"]);
    assert_eq!(code(&o), 0);
    assert!(f.notify_files().is_empty());
}

#[test]
fn a_lost_notification_is_made_up_for_by_a_query() {
    let queried = Arc::new(AtomicBool::new(false));
    let q2 = queried.clone();
    let f = Fake::new(
        "requery",
        Box::new(move |r, send| match r.tag {
            121 => {
                send(&notif(SHUTDOWN, &r.name()));
                send(OK);
                // The DOWN notification is dropped.
            }
            125 => {
                q2.store(true, Ordering::Relaxed);
                send(&status(DOWN, 0, 0, 0));
            }
            _ => send(ENOSYS),
        }),
    );
    let t = Instant::now();
    let o = f.run(&["stop", "web"]);
    assert_eq!(code(&o), 0);
    assert!(queried.load(Ordering::Relaxed));
    assert!(t.elapsed() < Duration::from_secs(3));
}

fn query_server() -> Box<Handler> {
    Box::new(|r, send| match (r.tag, r.name().as_str()) {
        (125, "web") => send(&status(UP, 4242, 0, 3)),
        (125, "db") => send(&status(UP, 77, 0, 3)),
        (125, "off") => send(&status(DOWN, 0, 0, 3)),
        (129, "web") => {
            assert_eq!(r.payload[0], 9);
            send(OK)
        }
        (129, "web2") => {
            assert_eq!(r.payload[0], 19);
            send(OK)
        }
        (123, _) => {
            let mut v = Vec::new();
            for (t, x) in [(106u8, 1u32), (103, 1), (107, 3), (108, 20), (109, 10), (111, 5)] {
                v.extend(packet(t, &x.to_le_bytes()));
            }
            send(&v)
        }
        (126..=128, _) => send(OK),
        (125 | 129, _) => send(ESRCH),
        _ => send(ENOSYS),
    })
}

#[test]
fn pidof_and_check() {
    let f = Fake::new("pidof", query_server());
    let o = f.run(&["pidof", "web"]);
    assert_eq!((code(&o), out(&o)), (0, "4242\n"));
    let o = f.run(&["pidof", "web", "db"]);
    assert_eq!(code(&o), 0);
    let mut l: Vec<&str> = out(&o).lines().collect();
    l.sort();
    assert_eq!(l, ["4242", "77"]);
    let o = f.run(&["pidof", "off"]);
    assert_eq!((code(&o), out(&o)), (1, ""));
    let o = f.run(&["check", "web"]);
    assert_eq!((code(&o), out(&o)), (0, ""));
    let o = f.run(&["check", "off"]);
    assert_eq!(code(&o), 1);
    let o = f.run(&["check", "nope"]);
    assert_eq!((code(&o), err(&o)), (111, "nitroctl: no such service 'nope'\n"));
    assert!(f.notify_files().is_empty());
}

#[test]
fn info_signals_and_global_commands() {
    let f = Fake::new("info", query_server());
    let o = f.run(&["info"]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        out(&o),
        "nitro_pid 1\npid 1\nmax_service 3\ntotal_reaps 20\ntotal_sv_reaps 10\n# unknown tag 0x6f\n"
    );
    assert_eq!(code(&f.run(&["kill", "web"])), 0);
    assert_eq!(code(&f.run(&["p", "web2"])), 0);
    let o = f.run(&["kill", "nope"]);
    assert_eq!((code(&o), err(&o)), (111, "nitroctl: no such service 'nope'\n"));
    for c in ["rescan", "s", "Shutdown", "Reboot"] {
        assert_eq!(code(&f.run(&[c])), 0, "{c}");
    }
    let o = f.run(&["ready", "web"]);
    assert_eq!((code(&o), err(&o)), (111, "nitroctl: command not implemented in server\n"));
    assert!(f.notify_files().is_empty());
}

#[test]
fn wait_up_queries_then_listens() {
    let f = Fake::new(
        "waitup",
        Box::new(|r, send| {
            assert_eq!(r.tag, 125);
            if r.from.to_str().unwrap().contains("/web,") {
                send(&status(STARTING, 5, 0, 0));
                thread::sleep(Duration::from_millis(50));
                send(&notif(FATAL, "web"));
                send(&notif(UP, "web"));
            }
        }),
    );
    let o = f.run(&["-v", "wait-up", "web"]);
    assert_eq!((code(&o), out(&o)), (0, "STARTING web\nFATAL web\nUP web\n"));
}

#[test]
fn timeout_exits_3_and_cleans_up() {
    let f = Fake::new("timeout", Box::new(|_, _| {}));
    let t = Instant::now();
    let o = f.run(&["-t", "0.2", "start", "a", "b"]);
    assert_eq!((code(&o), err(&o)), (3, "nitroctl: action timed out\n"));
    assert!(t.elapsed() < Duration::from_millis(1500));
    let o = f.run(&["-t0.2", "list"]);
    assert_eq!(code(&o), 3);
    assert!(f.notify_files().is_empty());
}

#[test]
fn sigint_exits_130_and_cleans_up() {
    let f = Fake::new("sigint", Box::new(|_, _| {}));
    for args in [&["wait-up", "web"][..], &["events"]] {
        let child = f.cmd(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let t = Instant::now();
        while f.notify_files().is_empty() && t.elapsed() < Duration::from_secs(5) {
            thread::sleep(Duration::from_millis(10));
        }
        let files = f.notify_files();
        assert_eq!(files.len(), 1);
        if args[0] == "events" {
            assert!(files[0].starts_with("ALL,"), "{files:?}");
        } else {
            assert!(files[0].starts_with(&format!("web,{}_", child.id())), "{files:?}");
        }
        let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        assert!(ok.success());
        let o = child.wait_with_output().unwrap();
        assert_eq!(code(&o), 130);
        assert!(f.notify_files().is_empty());
    }
}

#[test]
fn events_prints_every_notification() {
    let f = Fake::new("events", Box::new(|_, _| {}));
    let child = f.cmd(&["events"]).stdout(Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while f.notify_files().is_empty() && t.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(10));
    }
    let file = f.dir.join("notify").join(&f.notify_files()[0]);
    let s = UnixDatagram::unbound().unwrap();
    s.send_to(&notif(STARTING, "a"), &file).unwrap();
    s.send_to(&notif(UP, "b"), &file).unwrap();
    // Interrupt it once it has printed both lines (each is flushed).
    let mut child = child;
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    for _ in 0..2 {
        std::io::BufRead::read_line(&mut stdout, &mut printed).unwrap();
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    std::io::Read::read_to_string(&mut stdout, &mut printed).unwrap();
    let st = child.wait().unwrap();
    assert_eq!((st.code().unwrap_or(-1), printed.as_str()), (130, "STARTING a\nUP b\n"));
    assert_eq!(f.requests.load(Ordering::Relaxed), 0);
}

#[test]
fn usage_and_argument_errors() {
    let f = Fake::new("usage", Box::new(|_, send| send(OK)));
    for args in [&["up"][..], &["bogus"], &["-t"], &["kill"], &["pidof"]] {
        let o = f.run(args);
        assert_eq!((code(&o), err(&o)), (2, "usage: nitroctl COMMAND [SERVICE ...]\n"), "{args:?}");
    }
    // An unknown option is named first, as nitro's getopt does.
    let o = f.run(&["-x"]);
    assert_eq!((code(&o), err(&o)), (2, format!("{BIN}: unrecognized option: x\nusage: nitroctl COMMAND [SERVICE ...]\n").as_str()));
    let o = f.run(&["-t", "soon", "list"]);
    assert_eq!((code(&o), err(&o)), (2, "nitroctl: invalid timeout\n"));
    let long = "x".repeat(64);
    let o = f.run(&["up", &long]);
    assert_eq!(code(&o), 111);
    assert_eq!(err(&o), format!("nitroctl: service name too long: {long}\n"));
    let o = f.run(&["up", "missing/dir"]);
    assert_eq!(code(&o), 111);
    assert!(err(&o).starts_with("nitroctl: no such service: /"), "{}", err(&o));
    assert_eq!(f.requests.load(Ordering::Relaxed), 0);
}

#[test]
fn service_paths_are_normalised() {
    let f = Fake::new(
        "norm",
        Box::new(|r, send| if r.name() == "web" { send(&status(UP, 9, 0, 0)) } else { send(ESRCH) }),
    );
    std::fs::create_dir_all(f.dir.join("sv/web")).unwrap();
    let sv = f.dir.join("sv");
    let o = f.output(f.cmd(&["pidof", "."]).current_dir(sv.join("web")).env_remove("PWD"));
    assert_eq!((code(&o), out(&o)), (0, "9\n"), "{}", err(&o));
    let o = f.output(f.cmd(&["pidof", "./web/"]).current_dir(&sv).env("PWD", &sv));
    assert_eq!((code(&o), out(&o)), (0, "9\n"), "{}", err(&o));
    let abs = format!("{}/web/.", sv.display());
    let o = f.run(&["pidof", &abs]);
    assert_eq!((code(&o), out(&o)), (0, "9\n"));
    let o = f.output(f.cmd(&["pidof", "../web"]).current_dir(sv.join("web")));
    assert_eq!((code(&o), out(&o)), (0, "9\n"), "{}", err(&o));
}

#[test]
fn no_supervisor_is_a_send_error() {
    let f = Fake::new("nosup", Box::new(|_, _| {}));
    let o = f.output(f.cmd(&["up", "web"]).env("NITRO_SOCK", f.dir.join("absent.sock")));
    assert_eq!(code(&o), 4);
    let want = format!("nitroctl: no supervisor listening at {}/absent.sock (is nitro running? NITRO_SOCK names another socket)\n", f.dir.display());
    assert_eq!(err(&o), want);
    assert!(f.notify_files().is_empty());
    // No notify directory: the bind fails; nitro's exit code, our words.
    let o = f.output(f.cmd(&["list"]).env("NITRO_SOCK", "/nonexistent/dir/sock"));
    assert_eq!(code(&o), 111);
    assert_eq!(err(&o), "nitroctl: no supervisor listening at /nonexistent/dir/sock (is nitro running? NITRO_SOCK names another socket)\n");
    // Another error of the bind is still named as such.
    // (notify is a file here: ENOTDIR.)
    let odd = f.dir.join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("notify"), "").unwrap();
    let o = f.output(f.cmd(&["list"]).env("NITRO_SOCK", odd.join("sock")));
    assert_eq!(code(&o), 111);
    assert!(err(&o).starts_with("nitroctl: could not bind socket to '"), "{}", err(&o));
    assert!(err(&o).ends_with(": Not a directory\n"), "{}", err(&o));
}

#[test]
fn multicall_init_and_halt() {
    let f = Fake::new("multi", Box::new(|r, send| {
        assert!(matches!(r.tag, 126..=128));
        send(OK)
    }));
    let link = |name: &str| {
        let p = f.dir.join(name);
        std::os::unix::fs::symlink(BIN, &p).unwrap();
        p
    };
    let (init, halt, reboot) = (link("init"), link("halt"), link("reboot"));
    let run = |p: &Path, args: &[&str]| {
        let mut c = Command::new(p);
        c.args(args).env("NITRO_SOCK", &f.sock);
        f.output(&mut c)
    };
    for a in ["0", "6", "q"] {
        assert_eq!(code(&run(&init, &[a])), 0);
    }
    let o = run(&init, &["5"]);
    assert_eq!((code(&o), err(&o)), (2, "usage: init [0|6|q]\n"));
    assert_eq!(code(&run(&halt, &[])), 0);
    assert_eq!(code(&run(&reboot, &[])), 0);
    assert_eq!(code(&run(&halt, &["-w"])), 0);
    assert_eq!(f.requests.load(Ordering::Relaxed), 5);
}

#[test]
fn more_services_than_one_batch() {
    let f = Fake::new("batches", query_server());
    let mut args = vec!["pidof"];
    args.extend(std::iter::repeat_n("web", 70));
    let o = f.run(&args);
    assert_eq!(code(&o), 0);
    assert_eq!(out(&o), "4242\n".repeat(70));
    assert_eq!(f.requests.load(Ordering::Relaxed), 70);
    args.push("off");
    assert_eq!(code(&f.run(&args)), 1);
    assert!(f.notify_files().is_empty());
}

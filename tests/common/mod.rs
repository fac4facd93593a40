//! The black-box harness: a temporary service directory, the real `nitro`
//! binary running unprivileged on it with its own control socket, `nitroctl`
//! with a wall-clock limit, a raw SPAT client for what nitroctl cannot show,
//! and a subscriber that records the notification stream.
//!
//! Every wait polls a condition against a hard deadline; nothing sleeps and
//! hopes. Dropping the harness stops nitro (SIGTERM, then SIGKILL after
//! 20 s) and kills every process that still carries the test's tag in its
//! environment, so a failing test leaks no process.

#![allow(dead_code)]

pub mod http;

use nitro::spat::{self, Command, Packet, Status, Writer, tag};
use nitro::state::State;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub const SEC: Duration = Duration::from_secs(1);

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The nitro binary under test.
pub fn nitro_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nitro"))
}

/// nitroctl, built next to nitro by `cargo build --workspace`.
pub fn nitroctl_bin() -> PathBuf {
    let p = nitro_bin().with_file_name("nitroctl");
    if !p.exists() {
        panic!(
            "nitroctl not found at {}: build it with `cargo build` \
             (plain `cargo test` at the top builds every member)",
            p.display()
        );
    }
    p
}

/// Where the tests' service directories go: NITRO_TEST_DIR if set, else
/// /dev/shm when it is a tmpfs that allows exec (as /run, where service
/// state usually lives), else the temporary directory. Not a disk: a test's
/// services that write a file per line (a counter, a log) must not wait on
/// the disk (seen: a producer in ext4's discard for seconds on a slow CI
/// disk, so its pipe never filled in time).
pub fn test_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os("NITRO_TEST_DIR") {
            return PathBuf::from(d);
        }
        let shm_ok = fs::read_to_string("/proc/self/mounts").is_ok_and(|m| {
            m.lines().any(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                f.len() > 3 && f[1] == "/dev/shm" && f[2] == "tmpfs" && !f[3].split(',').any(|o| o == "noexec")
            })
        });
        if shm_ok && fs::metadata("/dev/shm").is_ok_and(|m| m.permissions().mode() & 0o1777 == 0o1777) {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        }
    })
    .clone()
}

/// Poll `cond` every 20 ms until it holds; fail the test with `what` when
/// `timeout` passes first.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {:?} waiting for: {}", timeout, what);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Poll `f` until it returns Some; fail after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {:?} waiting for: {}", timeout, what);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `cond` stays false for the whole of `d` (checked every 20 ms).
pub fn never_within(d: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + d;
    while Instant::now() < deadline {
        if cond() {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
    !cond()
}

pub fn kill(pid: i32, sig: rustix::process::Signal) -> bool {
    match rustix::process::Pid::from_raw(pid) {
        Some(p) => rustix::process::kill_process(p, sig).is_ok(),
        None => false,
    }
}

pub use rustix::process::Signal;

/// Whether a process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            // "pid (comm) S ...": the state follows the last ')'.
            let st = s.rsplit_once(')').map(|(_, r)| r.trim_start().chars().next()).flatten();
            !matches!(st, Some('Z') | Some('X') | None)
        }
        Err(_) => false,
    }
}

/// Parent pid of a process, from /proc.
pub fn ppid(pid: i32) -> Option<i32> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = s.rsplit_once(')')?.1;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Output of one nitroctl run.
#[derive(Debug, Clone)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// One parsed `nitroctl list` line.
#[derive(Debug, Clone, PartialEq)]
pub struct ListLine {
    pub state: String,
    pub name: String,
    pub pid: Option<u32>,
    pub wstatus: i32,
    pub uptime: u64,
}

/// Parse `STATE name (pid N) (wstatus W) Ss`; panics on any other shape.
pub fn parse_list_line(l: &str) -> ListLine {
    try_parse_list_line(l).unwrap_or_else(|| panic!("malformed list line: {l:?}"))
}

pub fn try_parse_list_line(l: &str) -> Option<ListLine> {
    let (state, rest) = l.split_once(' ')?;
    let (name, mut rest) = rest.split_once(' ')?;
    let mut pid = None;
    if let Some(r) = rest.strip_prefix("(pid ") {
        let (n, r) = r.split_once(") ")?;
        pid = Some(n.parse().ok()?);
        rest = r;
    }
    let r = rest.strip_prefix("(wstatus ")?;
    let (w, r) = r.split_once(") ")?;
    let up = r.strip_suffix('s')?;
    Some(ListLine {
        state: state.to_string(),
        name: name.to_string(),
        pid,
        wstatus: w.parse().ok()?,
        uptime: up.parse().ok()?,
    })
}

/// A recorded notification.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: Instant,
    pub state: u8,
    pub name: String,
}

impl Event {
    pub fn state_name(&self) -> &'static str {
        std::str::from_utf8(State::name_of(self.state)).unwrap()
    }
}

/// A socket bound at `<sockdir>/notify/ALL,<pid>_<n>`: a thread records
/// every notification nitro sends there.
pub struct Subscriber {
    events: Arc<Mutex<Vec<Event>>>,
    stop: Arc<AtomicBool>,
    path: PathBuf,
    thread: Option<thread::JoinHandle<()>>,
}

impl Subscriber {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// `STATE name` strings of everything recorded so far.
    pub fn lines(&self) -> Vec<String> {
        self.events().iter().map(|e| format!("{} {}", e.state_name(), e.name)).collect()
    }

    /// The events of one service, as state names.
    pub fn states_of(&self, name: &str) -> Vec<&'static str> {
        self.events().iter().filter(|e| e.name == name).map(|e| e.state_name()).collect()
    }

    pub fn has(&self, state: State, name: &str) -> bool {
        self.events().iter().any(|e| e.state == state as u8 && e.name == name)
    }

    /// Wait until `STATE name` was recorded; return when it happened.
    pub fn wait_for(&self, state: State, name: &str, timeout: Duration) -> Instant {
        wait_for(timeout, &format!("notification {} {} (got {:?})", name_str(state), name, self.lines()), || {
            self.events().iter().find(|e| e.state == state as u8 && e.name == name).map(|e| e.at)
        })
    }

    /// Wait for the `n`-th (1-based) `STATE name`.
    pub fn wait_for_nth(&self, state: State, name: &str, n: usize, timeout: Duration) -> Instant {
        wait_for(timeout, &format!("notification #{n} {} {}", name_str(state), name), || {
            self.events().iter().filter(|e| e.state == state as u8 && e.name == name).nth(n - 1).map(|e| e.at)
        })
    }

    pub fn count(&self, state: State, name: &str) -> usize {
        self.events().iter().filter(|e| e.state == state as u8 && e.name == name).count()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = fs::remove_file(&self.path);
    }
}

/// A test environment: temp dir with `sv/` (the service directory), `run/`
/// (the socket directory, created by nitro) and nitro's output files.
pub struct Harness {
    pub root: PathBuf,
    pub svdir: PathBuf,
    pub sock: PathBuf,
    /// A unique marker in the environment of nitro and all its children.
    pub tag: String,
    nitro: Option<Child>,
    n: AtomicUsize,
    extra_env: Vec<(String, String)>,
    /// Shell commands run (by `sh -c`, which then execs nitro in place)
    /// before nitro starts, e.g. to open descriptors nitro inherits.
    pub wrapper: Option<String>,
    /// nitro's stderr instead of the file `nitro.err` (e.g. a full pipe).
    pub stderr_to: Option<std::os::fd::OwnedFd>,
    /// Run nitro as this uid and gid, with no supplementary groups (a
    /// user's own supervisor); needs root. The temp root is opened to it.
    pub as_user: Option<u32>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Short: socket paths (with 63-byte service names in notify files)
        // must fit in the 108 bytes of sun_path.
        let root = test_dir().join(format!("nt{}-{}", std::process::id(), n));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("sv")).unwrap();
        let tag = format!("{}-{}-{}", std::process::id(), n, Instant::now().elapsed().as_nanos());
        Harness {
            svdir: root.join("sv"),
            sock: root.join("run").join("nitro.sock"),
            root,
            tag,
            nitro: None,
            n: AtomicUsize::new(0),
            extra_env: Vec::new(),
            wrapper: None,
            stderr_to: None,
            as_user: None,
        }
    }

    /// An extra environment variable for nitro (and so for its services).
    pub fn env(&mut self, k: &str, v: &str) {
        self.extra_env.push((k.into(), v.into()));
    }

    // ---- files -----------------------------------------------------------

    /// Path inside the temp root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Path inside the service directory.
    pub fn sv(&self, rel: &str) -> PathBuf {
        self.svdir.join(rel)
    }

    pub fn mkdir(&self, rel: &str) {
        fs::create_dir_all(self.sv(rel)).unwrap();
    }

    /// Write `sv/<rel>` (parents created), mode 0644.
    pub fn file(&self, rel: &str, contents: &str) {
        let p = self.sv(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, contents).unwrap();
    }

    /// Write an executable `#!/bin/sh` script at `sv/<rel>`. Scripts see
    /// `$T` (the temp root) and `$NITROCTL`.
    pub fn script(&self, rel: &str, body: &str) {
        let p = self.sv(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        // Write to a temporary name and rename: never ETXTBSY, never a
        // half-written script seen by a running nitro.
        let tmp = p.with_extension("tmp~");
        fs::write(&tmp, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).unwrap();
        fs::rename(&tmp, &p).unwrap();
    }

    /// A service whose run script is `body`.
    pub fn service(&self, name: &str, body: &str) {
        self.script(&format!("{name}/run"), body);
    }

    /// A service that sleeps until stopped.
    pub fn sleeper(&self, name: &str) {
        self.service(name, "exec sleep 1000");
    }

    pub fn symlink(&self, rel: &str, target: &str) {
        let p = self.sv(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, &p).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        let p = self.sv(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&p).unwrap(),
            Ok(_) => fs::remove_file(&p).unwrap(),
            Err(_) => {}
        }
    }

    /// Contents of a file in the temp root, "" when missing.
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    /// Lines of a file in the temp root.
    pub fn read_lines(&self, rel: &str) -> Vec<String> {
        self.read(rel).lines().map(str::to_string).collect()
    }

    /// Wait until a file in the temp root has at least `n` lines.
    pub fn wait_lines(&self, rel: &str, n: usize, timeout: Duration) -> Vec<String> {
        wait_for(timeout, &format!("{n} lines in {rel} (have {:?})", self.read_lines(rel)), || {
            let l = self.read_lines(rel);
            (l.len() >= n).then_some(l)
        })
    }

    /// Wait for a file in the temp root holding a pid; return it.
    pub fn wait_pid_file(&self, rel: &str, timeout: Duration) -> i32 {
        wait_for(timeout, &format!("pid in {rel}"), || self.read(rel).trim().parse().ok())
    }

    // ---- nitro -----------------------------------------------------------

    /// Create `run/notify/` before nitro starts (nitro ignores EEXIST), so
    /// that a subscriber can see the very first notifications.
    pub fn precreate_notify(&self) {
        fs::create_dir_all(self.sock.parent().unwrap().join("notify")).unwrap();
    }

    /// Start nitro on `sv/` (absolute path) and wait for its socket.
    pub fn start(&mut self) {
        self.spawn_nitro(&[self.svdir.to_str().unwrap().to_string()]);
        self.wait_socket();
    }

    /// Start nitro with these arguments; do not wait.
    pub fn spawn_nitro(&mut self, args: &[String]) {
        assert!(self.nitro.is_none(), "nitro already started");
        let out = fs::File::create(self.path("nitro.out")).unwrap();
        let err: Stdio = match self.stderr_to.take() {
            Some(fd) => fd.into(),
            None => fs::File::create(self.path("nitro.err")).unwrap().into(),
        };
        let mut bin = nitro_bin();
        if self.as_user.is_some() {
            // The checkout may sit under a directory the user cannot enter:
            // its own copy of nitro, in the temp root opened to it.
            use std::os::unix::fs::PermissionsExt;
            let copy = self.path("nitro-copy");
            fs::copy(&bin, &copy).unwrap();
            for p in [&self.root, &self.svdir] {
                fs::set_permissions(p, fs::Permissions::from_mode(0o777)).unwrap();
            }
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
            bin = copy;
        }
        let mut cmd = match &self.wrapper {
            None => std::process::Command::new(&bin),
            Some(w) => {
                let mut c = std::process::Command::new("/bin/sh");
                c.arg("-c").arg(format!("{w}\nexec \"$0\" \"$@\"")).arg(&bin);
                c
            }
        };
        cmd.args(args)
            .env("NITRO_SOCK", &self.sock)
            .env("NITRO_TEST_TAG", &self.tag)
            .env("T", &self.root)
            .env("NITROCTL", nitroctl_bin())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .current_dir(&self.root)
            .process_group(0);
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        if let Some(u) = self.as_user {
            // (std drops the supplementary groups when root sets a uid.)
            use std::os::unix::process::CommandExt;
            cmd.uid(u).gid(u);
        }
        self.nitro = Some(cmd.spawn().expect("spawn nitro"));
    }

    pub fn wait_socket(&self) {
        wait_until(10 * SEC, &format!("control socket {} (stderr: {})", self.sock.display(), self.stderr()), || {
            self.sock.exists()
        });
    }

    pub fn nitro_pid(&self) -> i32 {
        self.nitro.as_ref().expect("nitro not started").id() as i32
    }

    /// nitro's stderr so far.
    pub fn stderr(&self) -> String {
        self.read("nitro.err")
    }

    /// nitro's stdout so far.
    pub fn stdout(&self) -> String {
        self.read("nitro.out")
    }

    pub fn signal_nitro(&self, sig: Signal) {
        assert!(kill(self.nitro_pid(), sig), "could not signal nitro");
    }

    /// nitro's exit status, if it has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.nitro.as_mut().and_then(|c| c.try_wait().unwrap())
    }

    /// Wait for nitro to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let c = self.nitro.as_mut().expect("nitro not started");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st;
            }
            if Instant::now() >= deadline {
                panic!("nitro did not exit within {timeout:?}; stderr:\n{}", self.read("nitro.err"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM nitro and wait for it to exit.
    pub fn shutdown(&mut self, timeout: Duration) -> ExitStatus {
        self.signal_nitro(Signal::TERM);
        self.wait_exit(timeout)
    }

    /// Live processes (not zombies) carrying this test's tag, nitro included.
    pub fn tagged_pids(&self) -> Vec<i32> {
        let needle = format!("NITRO_TEST_TAG={}", self.tag);
        let mut v = Vec::new();
        let Ok(rd) = fs::read_dir("/proc") else { return v };
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
            let Ok(env) = fs::read(format!("/proc/{pid}/environ")) else { continue };
            if env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()) && alive(pid) {
                v.push(pid);
            }
        }
        v
    }

    fn kill_leftovers(&self) {
        for _ in 0..3 {
            let pids = self.tagged_pids();
            if pids.is_empty() {
                return;
            }
            for p in pids {
                kill(p, Signal::KILL);
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    // ---- nitroctl --------------------------------------------------------

    /// Run nitroctl with these arguments (20 s wall-clock limit).
    pub fn ctl(&self, args: &[&str]) -> Out {
        self.ctl_in(&self.root, args)
    }

    /// Run nitroctl in directory `cwd`.
    pub fn ctl_in(&self, cwd: &Path, args: &[&str]) -> Out {
        self.ctl_full(cwd, args, 20 * SEC)
    }

    pub fn ctl_full(&self, cwd: &Path, args: &[&str], limit: Duration) -> Out {
        let child = std::process::Command::new(nitroctl_bin())
            .args(args)
            .env("NITRO_SOCK", &self.sock)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nitroctl");
        let pid = child.id() as i32;
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        match rx.recv_timeout(limit) {
            Ok(Ok(o)) => Out {
                code: o.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
            Ok(Err(e)) => panic!("nitroctl {args:?}: {e}"),
            Err(_) => {
                kill(pid, Signal::KILL);
                panic!("nitroctl {args:?} did not finish within {limit:?}");
            }
        }
    }

    /// nitroctl must succeed (exit 0); returns stdout.
    pub fn ctl_ok(&self, args: &[&str]) -> String {
        let o = self.ctl(args);
        assert_eq!(o.code, 0, "nitroctl {args:?} failed: {o:?}\nnitro stderr:\n{}", self.stderr());
        o.stdout
    }

    /// Start a long-running nitroctl (e.g. `events`), stdout to a file.
    pub fn ctl_background(&self, args: &[&str], out_rel: &str) -> Background {
        let out = fs::File::create(self.path(out_rel)).unwrap();
        let err = fs::File::create(self.path(&format!("{out_rel}.err"))).unwrap();
        let child = std::process::Command::new(nitroctl_bin())
            .args(args)
            .env("NITRO_SOCK", &self.sock)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn nitroctl");
        Background { child: Some(child) }
    }

    /// `nitroctl list` parsed.
    pub fn list(&self) -> Vec<ListLine> {
        self.ctl_ok(&["list"]).lines().map(parse_list_line).collect()
    }

    // ---- raw protocol ----------------------------------------------------

    /// A client socket bound outside `notify/` (replies only).
    pub fn raw_socket(&self) -> UnixDatagram {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let p = self.path(&format!("c{n}"));
        let _ = fs::remove_file(&p);
        let s = UnixDatagram::bind(&p).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        s
    }

    /// Send one datagram; collect every reply datagram arriving within
    /// `quiet` of the previous one (at most `limit` in total).
    pub fn raw(&self, bytes: &[u8], quiet: Duration) -> Vec<Vec<u8>> {
        let s = self.raw_socket();
        s.set_read_timeout(Some(quiet)).unwrap();
        s.send_to(bytes, &self.sock).expect("send to nitro");
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1 << 17];
        while let Ok(n) = s.recv(&mut buf) {
            got.push(buf[..n].to_vec());
            if got.len() > 100 {
                break;
            }
        }
        got
    }

    /// Send one command; the first reply (within 5 s).
    pub fn request(&self, cmd: Command) -> Option<Vec<u8>> {
        let mut b = [0u8; 512];
        let mut w = Writer::new(&mut b);
        cmd.encode(&mut w).unwrap();
        let s = self.raw_socket();
        s.set_read_timeout(Some(5 * SEC)).unwrap();
        s.send_to(w.bytes(), &self.sock).ok()?;
        let mut buf = vec![0u8; 1 << 17];
        let n = s.recv(&mut buf).ok()?;
        Some(buf[..n].to_vec())
    }

    /// QUERY a service: its status, or None (ESRCH / no answer).
    pub fn query(&self, name: &str) -> Option<Status> {
        let r = self.request(Command::Query(name.as_bytes()))?;
        if r == [0, 0, tag::ESRCH] {
            return None;
        }
        let mut st = Status::default();
        for p in spat::packets(&r) {
            match p {
                Ok(Packet::Data(t, payload)) => {
                    st.absorb(t, payload);
                }
                _ => break,
            }
        }
        Some(st)
    }

    pub fn state(&self, name: &str) -> Option<State> {
        self.query(name).and_then(|s| State::from_u8(s.state))
    }

    pub fn pid_of(&self, name: &str) -> Option<i32> {
        self.query(name).map(|s| s.pid as i32).filter(|&p| p != 0)
    }

    /// Wait until `name` is in `state`; returns its status.
    pub fn wait_state(&self, name: &str, state: State, timeout: Duration) -> Status {
        wait_for(timeout, &format!("{name} to be {} (is {:?}); nitro stderr:\n{}", name_str(state), self.state(name), self.stderr()), || {
            self.query(name).filter(|s| s.state == state as u8)
        })
    }

    /// Wait until `name` is in one of `states`.
    pub fn wait_states(&self, name: &str, states: &[State], timeout: Duration) -> State {
        wait_for(timeout, &format!("{name} to be one of {states:?} (is {:?})", self.state(name)), || {
            self.state(name).filter(|s| states.contains(s))
        })
    }

    /// LIST over the raw protocol: (name, status), in table order.
    pub fn raw_list(&self) -> Vec<(String, Status)> {
        let s = self.raw_socket();
        s.set_read_timeout(Some(5 * SEC)).unwrap();
        let mut b = [0u8; 8];
        let mut w = Writer::new(&mut b);
        Command::List.encode(&mut w).unwrap();
        s.send_to(w.bytes(), &self.sock).unwrap();
        let mut buf = vec![0u8; 1 << 17];
        let n = s.recv(&mut buf).expect("LIST reply");
        parse_list_reply(&buf[..n])
    }

    // ---- notifications ---------------------------------------------------

    /// Subscribe to every notification (`notify/ALL,<pid>_<n>`). The notify
    /// directory must exist (nitro running, or `precreate_notify`).
    pub fn subscribe(&self) -> Subscriber {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let path = self.sock.parent().unwrap().join("notify").join(format!("ALL,{}_{}", std::process::id(), 1000 + n));
        let _ = fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).expect("bind subscriber");
        sock.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ev, st) = (events.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while !st.load(Ordering::Relaxed) {
                let Ok(n) = sock.recv(&mut buf) else { continue };
                let at = Instant::now();
                for p in spat::packets(&buf[..n]) {
                    if let Ok(Packet::Data(s @ 1..=9, name)) = p {
                        ev.lock().unwrap().push(Event {
                            at,
                            state: s,
                            name: String::from_utf8_lossy(spat::name_of(name)).into_owned(),
                        });
                    }
                }
            }
        });
        Subscriber { events, stop, path, thread: Some(thread) }
    }
}

/// Decode a LIST reply.
pub fn parse_list_reply(d: &[u8]) -> Vec<(String, Status)> {
    let mut v = Vec::new();
    let mut cur: Option<(String, Status)> = None;
    for p in spat::packets(d) {
        match p {
            Ok(Packet::Open(tag::SERVICE)) => cur = Some((String::new(), Status::default())),
            Ok(Packet::Close(tag::SERVICE)) => v.extend(cur.take()),
            Ok(Packet::Data(tag::NAME, n)) => {
                if let Some(c) = cur.as_mut() {
                    c.0 = String::from_utf8_lossy(spat::name_of(n)).into_owned();
                }
            }
            Ok(Packet::Data(t, payload)) => {
                if let Some(c) = cur.as_mut() {
                    c.1.absorb(t, payload);
                }
            }
            Ok(_) => {}
            Err(_) => panic!("truncated LIST reply"),
        }
    }
    v
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(mut c) = self.nitro.take() {
            if c.try_wait().ok().flatten().is_none() {
                kill(c.id() as i32, Signal::TERM);
                let deadline = Instant::now() + 20 * SEC;
                while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(20));
                }
                if c.try_wait().ok().flatten().is_none() {
                    let _ = rustix::process::kill_process_group(
                        rustix::process::Pid::from_raw(c.id() as i32).unwrap(),
                        Signal::KILL,
                    );
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
        self.kill_leftovers();
        if !thread::panicking() || std::env::var_os("NITRO_TEST_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.root);
        } else {
            eprintln!("keeping {}", self.root.display());
        }
    }
}

/// A long-running nitroctl; interrupted (SIGINT) and reaped on drop.
pub struct Background {
    child: Option<Child>,
}

impl Background {
    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    /// Its exit code if it has exited.
    pub fn try_code(&mut self) -> Option<i32> {
        let c = self.child.as_mut()?;
        c.try_wait().unwrap().map(|st| st.code().unwrap_or(-1))
    }

    /// SIGINT it and wait (5 s); its exit code.
    pub fn interrupt(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        kill(c.id() as i32, Signal::INT);
        let deadline = Instant::now() + 5 * SEC;
        loop {
            if let Some(st) = c.try_wait().unwrap() {
                return st.code();
            }
            if Instant::now() >= deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("nitroctl did not stop on SIGINT");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A producer printing numbered lines; the numbering continues across
/// restarts. `$T/n` holds the last number printed, replaced atomically
/// after the line was written (never seen empty or half-written); so it may
/// be one behind the pipe, never ahead: every number up to `$T/n` was
/// written, and a restart may repeat the last number, never skip one.
#[allow(dead_code)]
pub const PRODUCER: &str = "i=$(cat $T/n 2>/dev/null || echo 0)\n\
    while :; do i=$((i+1)); echo $i; echo $i > $T/n.new; mv -f $T/n.new $T/n; sleep 0.005; done";

/// The lines of a log as numbers.
#[allow(dead_code)]
pub fn numbers(lines: &[String]) -> Vec<u64> {
    lines.iter().map(|l| l.parse().unwrap_or_else(|_| panic!("not a number: {l:?}"))).collect()
}

/// A state's name as text (for messages).
pub fn name_str(state: State) -> &'static str {
    std::str::from_utf8(state.name()).unwrap()
}

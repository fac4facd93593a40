//! The reliability and security fault suite (issue 7, items 1-8; item 9,
//! fuzzing, lives in fuzz/). Black-box: the real `nitro` and `nitroctl`
//! against temporary service directories, as in the other test files.
//!
//! Run it alone with `ci/faults` (release build). Every case is bounded by
//! deadlines; nothing sleeps and hopes: waits poll a condition against a
//! deadline, and the only plain sleeps are measurement windows (CPU use,
//! restart counts) whose length is the point of the measurement.
//!
//! Sizes: CI runs reduced counts and windows so that the whole suite stays
//! under about 3 minutes on 2 busy cores. `NITRO_FAULTS_FULL=1` runs the
//! issue's numbers: a 30 s crash loop, 10,000 restarts and 100,000
//! requests, 1,000 HTTP requests a second for 30 s.
//!
//! Tests that measure time or CPU take the `heavy()` lock, so that they do
//! not run at the same time as each other (the others, mostly waiting,
//! still run in parallel with them). Figures are printed to stderr as
//! `FAULTS: ...` lines (`cargo test -- --nocapture` shows them; ci/faults
//! does).
//!
//! What other files already cover is referenced, not repeated:
//! * SIGKILL 7 s after an ignored SIGTERM: services.rs
//!   `service_ignoring_sigterm_is_killed_after_seven_seconds` (and the QEMU
//!   boot test); for jobs, http.rs `delete_kills_a_task_that_ignores_sigterm_after_7_s`.
//! * orphans killed at shutdown, also ignoring SIGTERM: lifecycle.rs
//!   `orphans_of_services_are_reaped_and_killed_at_shutdown`,
//!   `orphan_ignoring_sigterm_is_killed_at_shutdown`.
//! * a full service table: protocol.rs
//!   `a_full_table_refuses_the_501st_service_and_keeps_running`; a full job
//!   table (16 jobs, the 17th is 503): http.rs `job_names_services_and_the_full_table`.
//! * the logger restarted once: logging.rs
//!   `log_lines_survive_restarts_of_the_producer_and_of_the_logger`.
//! * truncated SPAT packets, oversize names, 300 random datagrams: protocol.rs
//!   `garbage_datagrams_get_enosys_esrch_or_nothing_and_nitro_keeps_serving`;
//!   nitroctl's re-query after a lost notification against a fake server:
//!   ctl/tests/fake_server.rs `a_lost_notification_is_made_up_for_by_a_query`.
//! * the 17th connection 503, a silent half request 408 after 10 s, the
//!   status code of each smuggling attempt, the HTTP socket's 0600 at
//!   $NITRO_HTTP, 403 for a foreign uid on a loosened socket, task
//!   descriptors and user/group switching: http.rs `the_17th_connection_gets_503`,
//!   `a_silent_half_request_gets_408_and_never_stalls_supervision`,
//!   `protocol_errors_have_their_status_codes`,
//!   `nitro_http_sets_the_socket_path_and_its_mode_is_0600`, `a_foreign_uid_gets_403`,
//!   `no_descriptor_leaks_into_a_task_and_0_defaults_to_dev_null`,
//!   `user_and_group_are_switched_with_no_supplementary_groups`.
//! * services not inheriting nitro's descriptors (run only): lifecycle.rs
//!   `services_do_not_inherit_descriptors_of_nitros_parent`.

mod common;
use common::http::*;
use common::*;
use nitro::spat::{Command, Writer, tag};
use nitro::state::State;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

// ---- sizes and serialisation ---------------------------------------------------

/// The issue's full numbers instead of CI's reduced ones.
fn full() -> bool {
    std::env::var("NITRO_FAULTS_FULL").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Crash-loop window (issue: 30 s; CI: 10 s).
fn crash_window() -> u64 {
    if full() { 30 } else { 10 }
}

/// Restarts and requests of the resource test (issue: 10,000 and 100,000;
/// CI: 2,000 and 20,000).
fn resource_counts() -> (usize, usize) {
    if full() { (10_000, 100_000) } else { (2_000, 20_000) }
}

/// HTTP load: requests per second and seconds (issue: 1,000/s for 30 s;
/// CI: 1,000/s for 10 s).
fn load_plan() -> (u32, u64) {
    if full() { (1000, 30) } else { (1000, 10) }
}

static HEAVY: Mutex<()> = Mutex::new(());

/// Held by the tests that measure time or CPU, so that they never overlap.
fn heavy() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn report(line: String) {
    eprintln!("FAULTS: {line}");
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

// ---- /proc ---------------------------------------------------------------------

/// Fields after the `(comm)` of /proc/PID/stat (field 3, the state, first).
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(s.rsplit_once(')')?.1.split_whitespace().map(str::to_string).collect())
}

fn proc_state(pid: i32) -> Option<char> {
    stat_fields(pid)?.first()?.chars().next()
}

/// utime + stime of a process (not its children), in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let f = stat_fields(pid).expect("process gone");
    // fields 14 and 15 of stat; f[0] is field 3
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn clock_ticks_per_sec() -> u64 {
    let o = std::process::Command::new("getconf").arg("CLK_TCK").output();
    o.ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100)
}

/// (number, target) of each open descriptor of a process.
fn fds_of(pid: i32) -> Vec<(i32, String)> {
    let mut v: Vec<(i32, String)> = fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let n = e.file_name().to_str()?.parse().ok()?;
                    Some((n, fs::read_link(e.path()).map(|p| p.display().to_string()).unwrap_or_default()))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// (bytes queued, capacity) of the pipe that is descriptor `fd` of `pid`,
/// through a new read end opened from /proc (nothing is read from it).
fn pipe_fill(pid: i32, fd: i32) -> Option<(u64, u64)> {
    use rustix::fs::{Mode, OFlags, open};
    let path = format!("/proc/{pid}/fd/{fd}");
    let f = open(path.as_str(), OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let used = rustix::io::ioctl_fionread(&f).ok()?;
    let cap = rustix::pipe::fcntl_getpipe_size(&f).ok()? as u64;
    Some((used, cap))
}

fn fd_numbers(pid: i32) -> Vec<i32> {
    fds_of(pid).into_iter().map(|f| f.0).collect()
}

/// A line of /proc/PID/status, value only.
fn status_field(pid: i32, key: &str) -> String {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().to_string()).unwrap_or_default()
}

/// The process's anonymous memory in kB, counted page by page
/// (/proc/PID/smaps_rollup). Not VmHWM or VmRSS: since Linux 6.2 those
/// come from per-CPU counters read without their CPUs' pending deltas, off
/// by up to 31 pages a CPU, and the peak keeps the highest misreading. Our
/// text is dropped and mapped again after every scan (`sys::ColdCode`), and
/// such a churn drove VmHWM 88-140 kB above the most ever mapped.
fn anon_kb(pid: i32) -> u64 {
    let s = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let v = s.lines().find_map(|l| l.strip_prefix("Anonymous:")).expect("Anonymous in smaps_rollup");
    v.trim().trim_end_matches("kB").trim().parse().expect("Anonymous")
}

/// Children of `pid` (from /proc/*/stat) with their state letter.
fn children_of(pid: i32) -> Vec<(i32, char)> {
    let mut v = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Some(f) = stat_fields(p) else { continue };
        if f.get(1).and_then(|x| x.parse::<i32>().ok()) == Some(pid) {
            v.push((p, f[0].chars().next().unwrap_or('?')));
        }
    }
    v
}

/// Wait until a process has exec'd `prog` (its cmdline starts with it).
fn wait_exec(pid: i32, prog: &str) {
    wait_until(5 * SEC, &format!("{pid} to exec {prog}"), || {
        fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(prog.as_bytes()))
    });
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

// ---- control socket ------------------------------------------------------------

fn encode(cmd: Command) -> Vec<u8> {
    let mut b = [0u8; 512];
    let mut w = Writer::new(&mut b);
    cmd.encode(&mut w).unwrap();
    w.bytes().to_vec()
}

/// Send one command from `s` and read its first reply (5 s).
fn ask(h: &Harness, s: &UnixDatagram, cmd: Command) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(5 * SEC)).unwrap();
    s.send_to(&encode(cmd), &h.sock).ok()?;
    let mut buf = vec![0u8; 1 << 17];
    let n = s.recv(&mut buf).ok()?;
    Some(buf[..n].to_vec())
}

/// Read replies from `s` until none comes for `quiet`.
fn drain(s: &UnixDatagram, quiet: Duration) {
    s.set_read_timeout(Some(quiet)).unwrap();
    let mut buf = vec![0u8; 1 << 17];
    while s.recv(&mut buf).is_ok() {}
}

/// An xorshift generator with a fixed seed: reproducible "random".
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// =================================================================================
// 1. Crash loops
// =================================================================================

/// A service that exits at once restarts about once a second, and the
/// supervisor's own CPU time (utime + stime) over the loop stays under 1 %
/// of the wall time. The issue asks for 30 s; CI watches 10 s (7..13 starts
/// expected), NITRO_FAULTS_FULL=1 the full 30 s (21..39). The 1 % bound is
/// the issue's and needs no margin: nitro uses well under 0.1 % here.
/// (A basic pacing check with 3.5 s is services.rs
/// `a_service_that_exits_at_once_restarts_about_once_a_second`.)
#[test]
fn crash_loop_restarts_once_a_second_and_costs_the_supervisor_under_1_percent_cpu() {
    let _g = heavy();
    let mut h = Harness::new();
    h.service("loop", "echo x >> $T/runs\nexit 1");
    h.start();
    let pid = h.nitro_pid();
    h.wait_lines("runs", 2, 5 * SEC);
    let window = crash_window();
    let (c0, t0, w0) = (h.read_lines("runs").len(), cpu_ticks(pid), Instant::now());
    thread::sleep(Duration::from_secs(window)); // the measurement window
    let (c1, t1, wall) = (h.read_lines("runs").len(), cpu_ticks(pid), w0.elapsed());
    let starts = c1 - c0;
    let cpu = (t1 - t0) as f64 / clock_ticks_per_sec() as f64;
    let pct = 100.0 * cpu / wall.as_secs_f64();
    report(format!(
        "crash loop: {starts} starts in {:.1} s; supervisor CPU {:.3} s = {pct:.3} % of wall time",
        wall.as_secs_f64(),
        cpu
    ));
    let (lo, hi) = ((window as f64 * 0.7) as usize, (window as f64 * 1.3).ceil() as usize);
    assert!((lo..=hi).contains(&starts), "{starts} starts in {window} s: not about once a second");
    assert!(pct < 1.0, "supervisor used {pct:.2} % CPU in a crash loop");
    assert!(h.try_exit().is_none());
    assert_eq!(h.state("loop").map(|s| matches!(s, State::Delay | State::Starting)), Some(true));
}

// =================================================================================
// 2. Stubborn services
// =================================================================================

/// A stopped (SIGSTOP) service is continued and stopped by `nitroctl stop`:
/// SIGTERM then SIGCONT, so it is DOWN at once, far from the 7 s SIGKILL.
#[test]
fn a_paused_service_is_continued_and_stopped_promptly() {
    let mut h = Harness::new();
    h.sleeper("x");
    h.start();
    let pid = wait_for(5 * SEC, "x", || h.pid_of("x"));
    wait_exec(pid, "sleep");
    h.ctl_ok(&["pause", "x"]);
    wait_until(5 * SEC, "x stopped (T)", || proc_state(pid) == Some('T'));
    let t0 = Instant::now();
    let o = h.ctl(&["stop", "x"]);
    let took = t0.elapsed();
    assert_eq!(o.code, 0, "{o:?}");
    report(format!("stop of a SIGSTOPped service: {took:?}"));
    assert!(took < secs(3.0), "stop of a paused service took {took:?} (the SIGKILL comes at 7 s)");
    let st = h.query("x").unwrap();
    assert_eq!(st.state, State::Down as u8);
    // Killed by the SIGTERM (15), not by the SIGKILL (9).
    assert_eq!(st.wstatus & 0x7f, 15, "wstatus {:#x}", st.wstatus);
    assert!(!alive(pid));
}

/// Children a service starts in their own session (`setsid`), left behind
/// when it exits: while nitro runs they are its children (subreaper) and
/// those that exit are reaped (no zombies); at shutdown every one of them is
/// gone, grandchildren included.
#[test]
fn setsid_orphans_are_reaped_while_running_and_gone_after_shutdown() {
    let mut h = Harness::new();
    h.service(
        "spawner",
        "if [ ! -e $T/once ]; then\n\
         : > $T/once\n\
         setsid sleep 1000 & echo $! >> $T/orphans\n\
         setsid sh -c 'sleep 1000 & echo $! >> $T/orphans; exec sleep 1000' & echo $! >> $T/orphans\n\
         for i in 1 2 3 4 5 6 7 8; do setsid sleep 0.3 & echo $! >> $T/short; done\n\
         : > $T/spawned\n\
         exit 0\n\
         fi\n\
         exec sleep 1000",
    );
    h.start();
    let nitro = h.nitro_pid();
    wait_until(5 * SEC, "orphans spawned", || h.path("spawned").exists());
    let orphans: Vec<i32> = h.wait_lines("orphans", 3, 5 * SEC).iter().map(|l| l.parse().unwrap()).collect();
    let short: Vec<i32> = h.read_lines("short").iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(short.len(), 8);
    // The orphans are re-parented to nitro (the grandchild stays with its
    // parent, itself an orphan)...
    wait_until(5 * SEC, "orphans re-parented to nitro", || {
        orphans.iter().all(|&p| ppid(p).is_some_and(|pp| pp == nitro || orphans.contains(&pp)))
            && orphans.iter().filter(|&&p| ppid(p) == Some(nitro)).count() == 2
    });
    // ...and the short-lived ones, once they exit, are reaped: no zombie.
    wait_until(5 * SEC, &format!("short-lived orphans reaped (children of nitro: {:?})", children_of(nitro)), || {
        short.iter().all(|&p| !Path::new(&format!("/proc/{p}")).exists() || ppid(p) != Some(nitro))
            && children_of(nitro).iter().all(|&(_, s)| s != 'Z')
    });
    // The service itself went on (restarted after its quick exit).
    wait_until(5 * SEC, "spawner running again", || h.pid_of("spawner").is_some());
    let t0 = Instant::now();
    let st = h.shutdown(25 * SEC);
    let took = t0.elapsed();
    report(format!("shutdown with setsid orphans and a grandchild: {took:?}"));
    assert_eq!(st.code(), Some(0));
    for p in &orphans {
        assert!(!alive(*p), "orphan {p} outlived nitro");
    }
    assert!(h.tagged_pids().is_empty(), "processes left: {:?}", h.tagged_pids());
}

/// The grandchild of the test above (child of a setsid orphan) is only
/// re-parented to nitro when its parent dies of the SIGTERM sweep; it must
/// get SIGTERM too (the sweep repeats for newly re-parented orphans), not
/// wait for the SIGKILL sweep 7 s later: the shutdown is prompt and both
/// are gone when nitro has exited (checked here, before the harness would
/// kill any survivor).
#[test]
fn grandchildren_of_orphans_get_sigterm_at_shutdown_too() {
    let mut h = Harness::new();
    h.service(
        "spawner",
        "setsid sh -c 'sleep 1000 & echo $! >> $T/orphans; echo $$ >> $T/orphans; exec sleep 1000' &\nexec sleep 1000",
    );
    h.start();
    let pids: Vec<i32> = h.wait_lines("orphans", 2, 5 * SEC).iter().map(|l| l.parse().unwrap()).collect();
    let t0 = Instant::now();
    assert_eq!(h.shutdown(25 * SEC).code(), Some(0));
    assert!(t0.elapsed() < secs(5.0), "shutdown took {:?}", t0.elapsed());
    for p in pids {
        assert!(!alive(p), "{p} outlived nitro");
    }
}

// =================================================================================
// 3. Resources
// =================================================================================

/// One round of the resource test: `restarts` restarts (POST
/// /service/rK/restart over one keep-alive connection, in rounds of every
/// service at once, each waited for: the pids change) and about `requests` requests (HTTP of every
/// kind, SPAT queries, lists and infos, a few nitroctl runs, jobs with
/// descriptors, event streams, a subscriber that does not read). Returns
/// the number of requests made.
/// Services the resource test restarts, all at once in each round.
const RESTARTED: usize = 100;

fn resource_round(h: &Harness, restarts: usize, requests: usize) -> usize {
    let sock = http_sock(h);
    let made = Arc::new(AtomicU64::new(0));
    // Every connection slot at once, each with the largest reply: pages of
    // all 16 slots' buffers are touched in every round.
    let mut all: Vec<Http> = (0..16).map(|_| Http::connect(&sock).unwrap()).collect();
    for c in all.iter_mut() {
        c.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    for c in all.iter_mut() {
        assert_eq!(c.resp().unwrap().0, 200);
    }
    for c in all.iter_mut() {
        c.send(b"GET /services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        assert_eq!(c.resp().unwrap().0, 200);
        assert!(c.closed_within(5 * SEC));
    }
    drop(all);
    // Restarts: every service at once, round after round, over one
    // keep-alive connection, each round waited for (every pid changed). A
    // restart less than a second after a start waits a second (as nitro),
    // so the restarts are spread over many services.
    let mut threads = Vec::new();
    {
        let (sock, made) = (sock.clone(), made.clone());
        threads.push(thread::spawn(move || {
            let mut c = Http::connect(&sock).unwrap();
            let pids = |c: &mut Http| -> Vec<i64> {
                let (st, b) = c.get("/services").unwrap();
                assert_eq!(st, 200, "{b}");
                (0..RESTARTED)
                    .map(|k| {
                        let at = b.find(&format!("\"name\":\"r{k}\"")).expect("service listed");
                        json_num(&b[at..], "pid").unwrap()
                    })
                    .collect()
            };
            let mut reqs = 0u64;
            let deadline = Instant::now() + 10 * SEC;
            let mut now = pids(&mut c);
            while now.contains(&0) {
                assert!(Instant::now() < deadline, "not all running: {now:?}");
                now = pids(&mut c);
                reqs += 1;
            }
            let mut left = restarts;
            while left > 0 {
                let n = left.min(RESTARTED);
                for k in 0..n {
                    let (st, b) = c.request("POST", &format!("/service/r{k}/restart"), None).unwrap();
                    assert_eq!(st, 200, "{b}");
                }
                reqs += n as u64;
                let deadline = Instant::now() + 10 * SEC;
                loop {
                    let p = pids(&mut c);
                    reqs += 1;
                    if (0..n).all(|k| p[k] != 0 && p[k] != now[k]) {
                        now = p;
                        break;
                    }
                    assert!(Instant::now() < deadline, "a service did not restart: {p:?}");
                    thread::sleep(Duration::from_millis(20));
                }
                left -= n;
            }
            made.fetch_add(reqs, Ordering::Relaxed);
        }));
    }
    // HTTP requests of every kind over keep-alive connections; an error
    // reply closes the connection, so those reconnect (accept and close).
    let http_share = requests / 2;
    for t in 0..2 {
        let (sock, made) = (sock.clone(), made.clone());
        threads.push(thread::spawn(move || {
            let paths = ["/services", "/service/r0", "/metrics", "/jobs", "/service/r1"];
            let mut c = Http::connect(&sock).unwrap();
            let n = http_share / 2;
            for i in 0..n {
                if i % 97 == 0 {
                    // A 404 and a 400: the connection is closed by nitro.
                    let bad = if i % 2 == 0 { "/nope" } else { "/job/.." };
                    let (st, _) = c.get(bad).unwrap();
                    assert!(st == 404 || st == 400);
                    c = Http::connect(&sock).unwrap();
                } else {
                    let (st, b) = c.get(paths[(i + t) % paths.len()]).unwrap();
                    assert_eq!(st, 200, "{b}");
                }
            }
            made.fetch_add(n as u64, Ordering::Relaxed);
        }));
    }
    // Control socket: QUERY, LIST, INFO and a bad packet, from two sockets.
    let ctl_share = requests - http_share - requests / 100;
    for t in 0..2 {
        let (ctl, made, root) = (h.sock.clone(), made.clone(), h.root.clone());
        threads.push(thread::spawn(move || {
            let p = root.join(format!("res-ctl{t}"));
            let _ = fs::remove_file(&p);
            let s = UnixDatagram::bind(&p).unwrap();
            s.set_read_timeout(Some(5 * SEC)).unwrap();
            let mut buf = vec![0u8; 1 << 17];
            let n = ctl_share / 2;
            for i in 0..n {
                let cmd = match i % 4 {
                    0 => encode(Command::Query(b"r0")),
                    1 => encode(Command::List),
                    2 => encode(Command::Info),
                    _ => encode(Command::Query(b"no-such-service")),
                };
                s.send_to(&cmd, &ctl).unwrap();
                s.recv(&mut buf).expect("control reply");
            }
            made.fetch_add(n as u64, Ordering::Relaxed);
            let _ = fs::remove_file(&p);
        }));
    }
    // A subscriber that never reads (nitro keeps a backlog for it), removed
    // at the end of the round.
    let lazy_path = h.sock.parent().unwrap().join("notify").join(format!("ALL,{}_lazy", std::process::id()));
    let _ = fs::remove_file(&lazy_path);
    let lazy = UnixDatagram::bind(&lazy_path).unwrap();
    // Jobs with descriptors of each kind, event streams, nitroctl: the rest.
    let rest = requests / 100;
    let mut c = Http::connect(&sock).unwrap();
    let fdspec = format!(
        "{{\"type\":\"null\"}},{{\"type\":\"file\",\"path\":{},\"mode\":\"a\"}},{{\"type\":\"pipe\",\"path\":{}}},{{\"type\":\"unix socket\",\"path\":{}}}",
        js(h.path("job.out").to_str().unwrap()),
        js(h.path("job.fifo").to_str().unwrap()),
        js(h.path("job.sock").to_str().unwrap())
    );
    let body = sh_job(h, "exit 3", &fdspec, "");
    let mut own = 0;
    for i in 0..rest.max(4) / 4 {
        let name = format!("j{}", i % 4);
        let (st, b) = c.request("PUT", &format!("/job/{name}"), Some(&body)).unwrap();
        assert!(st == 201 || st == 200, "{st} {b}");
        wait_job_done(h, &mut c, &name);
        // An event stream, opened and dropped.
        let mut ev = Http::connect(&sock).unwrap();
        ev.send(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let (st, _, _) = ev.resp().unwrap();
        assert_eq!(st, 200);
        drop(ev);
        if i % 5 == 0 {
            assert_eq!(h.ctl(&["list"]).code, 0);
        }
        own += 4;
    }
    for j in 0..4 {
        let _ = c.request("DELETE", &format!("/job/j{j}"), None);
    }
    for t in threads {
        t.join().expect("a load thread failed");
    }
    drop(lazy);
    let _ = fs::remove_file(&lazy_path);
    // One more change, so that nitro notices the lazy subscriber is gone
    // (on a new connection: the old one may have idled out meanwhile).
    drop(c);
    let (st, _) = http1(h, "POST", "/service/r0/restart", None);
    assert_eq!(st, 200);
    made.load(Ordering::Relaxed) as usize + own
}

/// Wait until nitro's descriptor count has been the same for 0.5 s.
fn settled_fds(pid: i32) -> Vec<(i32, String)> {
    let mut last = fds_of(pid);
    let mut since = Instant::now();
    let deadline = Instant::now() + 10 * SEC;
    loop {
        thread::sleep(Duration::from_millis(50));
        let now = fds_of(pid);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= Duration::from_millis(500) {
            return now;
        }
        assert!(Instant::now() < deadline, "nitro's descriptors never settled: {last:?}");
    }
}

/// After many restarts and requests, nitro's open descriptors are the same
/// and its anonymous memory has not grown (after a warm-up round; a growth
/// of at most 8 kB is allowed for a page first touched late; its text is
/// file-backed, and how much of it is mapped depends on what ran last). CI: 2,000 restarts and
/// 20,000 requests; NITRO_FAULTS_FULL=1: 10,000 and 100,000 (the issue's).
#[test]
fn many_restarts_and_requests_leak_no_descriptor_and_no_memory() {
    let _g = heavy();
    let mut h = Harness::new();
    for k in 0..RESTARTED {
        h.sleeper(&format!("r{k}"));
    }
    h.sleeper("LOG"); // a default logger, so that its pipe is in use
    start_http(&mut h);
    let pid = h.nitro_pid();
    let (restarts, requests) = resource_counts();
    let t0 = Instant::now();
    // The warm-up touches every buffer the main round will: among them the
    // backlog of the subscriber that does not read, 1,024 changes of about
    // 66 bytes, filled only after some 500 restarts (two changes each).
    let warm_restarts = (restarts / 10).max(700);
    let warm = resource_round(&h, warm_restarts, requests / 10);
    let fd0 = settled_fds(pid);
    let anon0 = anon_kb(pid);
    let made = resource_round(&h, restarts, requests);
    let took = t0.elapsed();
    let fd1 = settled_fds(pid);
    let anon1 = anon_kb(pid);
    report(format!(
        "resources: warm-up {warm_restarts} restarts + {warm} requests, then {restarts} restarts + {made} requests ({:.1} s in all): \
         descriptors {} -> {}, anonymous memory {anon0} kB -> {anon1} kB",
        took.as_secs_f64(),
        fd0.len(),
        fd1.len()
    ));
    assert_eq!(fd1, fd0, "nitro's descriptors changed");
    assert!(anon1 <= anon0 + 8, "anonymous memory grew from {anon0} kB to {anon1} kB");
    assert!(h.try_exit().is_none());
    let starts: u64 = {
        let (_, m) = http1(&h, "GET", "/metrics", None);
        m.lines()
            .filter(|l| l.starts_with("nitro_service_restarts_total{service=\"r") || l.starts_with("nitro_service_starts_total{service=\"r"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    report(format!("resources: metrics count {starts} starts/restarts of r0..r{}", RESTARTED - 1));
}

/// The lowest descriptor number not among `fds`: with RLIMIT_NOFILE set
/// to it, nitro cannot open any new descriptor.
fn lowest_free_fd(fds: &[(i32, String)]) -> i32 {
    (0..).find(|n| !fds.iter().any(|f| f.0 == *n)).unwrap()
}

fn set_nofile(pid: i32, soft: u64) {
    let o = std::process::Command::new("prlimit")
        .args([format!("--pid={pid}"), format!("--nofile={soft}:")])
        .output()
        .expect("prlimit (util-linux)");
    assert!(o.status.success(), "prlimit: {}", String::from_utf8_lossy(&o.stderr));
}

/// EMFILE at spawn: a service that needs a descriptor of the supervisor to
/// start (its readiness pipe) waits in DELAY and is retried every 2 s,
/// never FATAL, and never starts as if it had no `notification-fd`; one
/// that needs none starts all the same (spawning takes no descriptor);
/// nitro stays alive, answers nitroctl, does not spin (the HTTP listener
/// pauses while accept(2) fails); once descriptors are free again,
/// everything comes up and the waiting HTTP client is served.
/// The limit is lowered on the running nitro (`prlimit --pid`, the same as
/// starting it under a low `ulimit -n`, but exact): RLIMIT_NOFILE becomes
/// the lowest free descriptor number, so that no new descriptor can be
/// opened at all. "Load drops" is the limit going back up.
#[test]
fn emfile_at_spawn_is_retried_every_2_s_and_services_come_up_when_descriptors_free() {
    let _g = heavy();
    let mut h = Harness::new();
    for s in ["s1", "s2", "s3"] {
        h.service(s, "echo >&3\nexec sleep 1000");
        h.file(&format!("{s}/notification-fd"), "3\n");
        h.file(&format!("{s}/down"), "");
    }
    // The limit is inherited by every child, and dash cannot run a script
    // file under a limit of 10 or less (it moves the script's descriptor
    // to 10 or above): how many descriptors nitro holds, so the limit,
    // depends on the environment, so `plain` execs without a script file.
    h.file("plain/run", "#!/usr/bin/env -S sh -c \"exec sleep 1000\"\n");
    fs::set_permissions(h.sv("plain/run"), fs::Permissions::from_mode(0o755)).unwrap();
    h.file("plain/down", "");
    start_http(&mut h);
    let pid = h.nitro_pid();
    let fds = settled_fds(pid);
    let limit = lowest_free_fd(&fds);
    set_nofile(pid, limit as u64);
    let err_before = h.stderr().matches("errno=24").count();
    let t0 = Instant::now();
    let cpu0 = cpu_ticks(pid);
    let o = h.ctl(&["up", "s1", "s2", "s3", "plain"]);
    assert_eq!(o.code, 0, "{o:?}");
    for s in ["s1", "s2", "s3"] {
        h.wait_state(s, State::Delay, 5 * SEC);
    }
    wait_for(5 * SEC, &format!("plain UP under a limit of {limit} (nitro's descriptors: {fds:?})"), || {
        (h.state("plain") == Some(State::Up)).then_some(())
    });
    // An HTTP client now: accept(2) fails with EMFILE; it waits.
    let sock = http_sock(&h);
    let client = thread::spawn(move || -> io::Result<(u16, String)> {
        let mut c = Http::connect(&sock)?;
        c.get("/services")
    });
    // Over 5 s: still DELAY (never FATAL), retried every 2 s.
    let mut seen_fatal = false;
    while t0.elapsed() < secs(5.0) {
        for s in ["s1", "s2", "s3"] {
            seen_fatal |= h.state(s) == Some(State::Fatal);
        }
        let o = h.ctl(&["list"]);
        assert_eq!(o.code, 0, "nitroctl list under EMFILE: {o:?}");
        thread::sleep(Duration::from_millis(200));
    }
    let window = t0.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid) - cpu0) as f64 / clock_ticks_per_sec() as f64;
    let errors = h.stderr().matches("errno=24").count() - err_before;
    report(format!(
        "EMFILE: limit {limit}, {errors} failed spawns of 3 services in {window:.1} s, supervisor CPU {cpu:.3} s"
    ));
    assert!(!seen_fatal, "a spawn that hit EMFILE made a service FATAL");
    assert!(h.try_exit().is_none(), "nitro died: {}", h.stderr());
    // 3 services, one try each every 2 s: 3 rounds in 5 s, 9 failures
    // (up to 12 with timing); a tight loop would be thousands.
    assert!((6..=15).contains(&errors), "{errors} failed spawns in {window:.1} s: not a 2 s retry\n{}", h.stderr());
    assert!(cpu < 0.25, "nitro used {cpu:.2} s CPU in {window:.1} s under EMFILE");
    assert!(!client.is_finished(), "the HTTP client was served although nitro had no descriptor left");
    // The load drops.
    let t1 = Instant::now();
    set_nofile(pid, 1024);
    for s in ["s1", "s2", "s3"] {
        h.wait_states(s, &[State::Starting, State::Up], 5 * SEC);
    }
    h.wait_state("s1", State::Up, 5 * SEC);
    let up = t1.elapsed();
    let (st, _) = client.join().unwrap().expect("the waiting HTTP client served");
    assert_eq!(st, 200);
    report(format!("EMFILE: all services up {up:?} after the limit was raised; the waiting HTTP client was served"));
    assert!(h.try_exit().is_none());
}

// =================================================================================
// 4. No descriptor leaks into children
// =================================================================================

/// A script line that lists the descriptors a program exec'd by the script
/// gets into `$T/<file>`. (Not `ls /proc/$$/fd`: dash keeps close-on-exec
/// copies of redirected descriptors at 10 and up, and its script at 10 or
/// 11, which no exec'd program ever sees. A subshell points its stdout at
/// the file with `exec`, which saves nothing, and execs ls, which lists
/// itself.)
fn list_fds(file: &str) -> String {
    format!("(exec > $T/{file}.tmp; exec ls -l /proc/self/fd); mv $T/{file}.tmp $T/{file}")
}

/// Descriptor numbers from an `ls -l /proc/PID/fd` listing.
fn listed_fds(h: &Harness, file: &str) -> Vec<i32> {
    let text = h.read(file);
    let mut v: Vec<i32> = text
        .lines()
        .filter_map(|l| {
            let (left, target) = l.split_once(" -> ")?;
            // ls's own descriptor on the directory it reads
            if target.starts_with("/proc/") && target.ends_with("/fd") {
                return None;
            }
            left.rsplit(' ').next()?.parse().ok()
        })
        .collect();
    v.sort();
    v
}

/// setup, run, finish, loggers (named, LOG) and job tasks each hold only 0,
/// 1, 2 and what they asked for (notification-fd, job fds), also when nitro
/// itself was started with extra inherited descriptors (5 and 6, not
/// close-on-exec), while nitro holds HTTP connections and log pipes.
#[test]
fn no_descriptor_leaks_into_setup_run_finish_loggers_or_tasks() {
    let mut h = Harness::new();
    h.wrapper = Some("exec 5</dev/null 6>>$T/leak".into());
    h.script("a/setup", &list_fds("a.setup"));
    h.service("a", &format!("{}\nexec sleep 1000", list_fds("a.run")));
    h.script("a/finish", &list_fds("a.finish"));
    h.service("n", &format!("{}\necho >&4\nexec sleep 1000", list_fds("n.run")));
    h.file("n/notification-fd", "4\n");
    h.service("p", &format!("{}\nwhile :; do echo line; sleep 0.2; done", list_fds("p.run")));
    h.symlink("p/log", "../lg");
    h.service("lg", &format!("{}\nexec cat > /dev/null", list_fds("lg.run")));
    h.service("LOG", &format!("{}\nexec cat > /dev/null", list_fds("LOG.run")));
    start_http(&mut h);
    // nitro really holds the inherited descriptors
    let nitro = h.nitro_pid();
    let held: Vec<i32> = fd_numbers(nitro);
    assert!(held.contains(&5) && held.contains(&6), "nitro did not inherit 5 and 6: {:?}", fds_of(nitro));
    let _idle = Http::connect(&http_sock(&h)).unwrap();
    h.ctl_ok(&["up", "lg"]);
    for f in ["a.setup", "a.run", "n.run", "p.run", "lg.run", "LOG.run"] {
        wait_until(5 * SEC, &format!("{f} listed"), || h.path(f).exists());
    }
    // The exec'd run of `a`, seen from outside: 0 is /dev/null.
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    wait_exec(pa, "sleep");
    let fa = fds_of(pa);
    assert_eq!(fa.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1, 2], "run of a: {fa:?}");
    assert_eq!(fa[0].1, "/dev/null");
    h.ctl_ok(&["stop", "a"]);
    wait_until(10 * SEC, "a.finish listed", || h.path("a.finish").exists());
    // The job task: no fds given, and three given.
    let mut c = Http::connect(&http_sock(&h)).unwrap();
    let (st, b) = c.request("PUT", "/job/j", Some(&sh_job(&h, &list_fds("job.none"), "", ""))).unwrap();
    assert_eq!(st, 201, "{b}");
    let three = format!(
        "{{\"type\":\"null\"}},{{\"type\":\"file\",\"path\":{},\"mode\":\"w\"}},{{\"type\":\"null\"}}",
        js(h.path("job.out").to_str().unwrap())
    );
    let (st, b) = c.request("PUT", "/job/k", Some(&sh_job(&h, &list_fds("job.three"), &three, ""))).unwrap();
    assert_eq!(st, 201, "{b}");
    wait_job_done(&h, &mut c, "j");
    wait_job_done(&h, &mut c, "k");
    let mut bad = Vec::new();
    for (f, want) in [
        ("a.setup", vec![0, 1, 2]),
        ("a.run", vec![0, 1, 2]),
        ("a.finish", vec![0, 1, 2]),
        ("n.run", vec![0, 1, 2, 4]),
        ("p.run", vec![0, 1, 2]),
        ("lg.run", vec![0, 1, 2]),
        ("LOG.run", vec![0, 1, 2]),
        ("job.none", vec![0, 1, 2]),
        ("job.three", vec![0, 1, 2]),
    ] {
        let got = listed_fds(&h, f);
        if got != want {
            bad.push(format!("{f}: {got:?}, want {want:?}:\n{}", h.read(f)));
        }
    }
    assert!(bad.is_empty(), "descriptors leaked:\n{}", bad.join("\n"));
}

// =================================================================================
// 5. Logs
// =================================================================================

/// A logger that appends its stdin to `$T/log`, is ready at once
/// (notification-fd 3) and on SIGTERM stops without losing a byte it has
/// read: a line interrupted mid-way is written without its newline, and
/// the next logger writes the rest.
const LOGGER: &str = "trap 'stop=1' TERM\necho $$ >> $T/log.pids\necho >&3\n\
    while :; do\n\
    if IFS= read -r l; then echo \"$l\" >> $T/log; [ -z \"$stop\" ] || exit 0\n\
    else printf %s \"$l\" >> $T/log; exit 0; fi\n\
    done";


fn assert_contiguous(v: &[u64]) {
    assert_eq!(v.first(), Some(&1), "starts at 1");
    for w in v.windows(2) {
        assert!(w[1] == w[0] + 1, "gap, repeat or reordering: {} then {}", w[0], w[1]);
    }
}

/// Stop the producer, then wait until the logger has emptied the pipe and
/// written its last number (`$T/n`; it may be one line behind the pipe, or
/// empty when the producer died in the middle of writing it).
fn stop_producer_and_drain(h: &Harness) -> Vec<u64> {
    assert_eq!(h.ctl(&["stop", "prod"]).code, 0);
    let last: u64 = h.read("n").trim().parse().unwrap_or(0);
    let logger = h.pid_of("logger").expect("logger running");
    wait_until(15 * SEC, &format!("logger drained the pipe up to {last}"), || {
        pipe_fill(logger, 0).is_some_and(|(used, _)| used == 0)
            && h.read("log").ends_with('\n')
            && numbers(&h.read_lines("log")).last().is_some_and(|&l| l >= last)
    });
    numbers(&h.read_lines("log"))
}

/// Ten graceful logger restarts while the producer writes: no line lost,
/// none doubled.
#[test]
fn ten_graceful_logger_restarts_lose_no_line() {
    let mut h = Harness::new();
    h.service("prod", PRODUCER);
    h.symlink("prod/log", "../logger");
    h.service("logger", LOGGER);
    h.file("logger/notification-fd", "3\n");
    h.start();
    h.ctl_ok(&["up", "logger"]);
    h.wait_lines("log", 20, 10 * SEC);
    for _ in 0..10 {
        let before = h.read_lines("log").len();
        let o = h.ctl(&["restart", "logger"]);
        assert_eq!(o.code, 0, "{o:?}");
        h.wait_lines("log", before + 10, 10 * SEC);
    }
    let v = stop_producer_and_drain(&h);
    assert_contiguous(&v);
    assert_eq!(h.read_lines("log.pids").len(), 11, "logger ran 11 times");
    report(format!("10 logger restarts: {} lines, none lost", v.len()));
}

/// A logger that stops reading (SIGSTOP) blocks only its producer: another
/// logged producer keeps flowing, a crash-looping service keeps restarting,
/// nitroctl and HTTP answer at once, a restart works; after SIGCONT every
/// line arrives.
#[test]
fn a_stopped_logger_blocks_only_its_producer() {
    let mut h = Harness::new();
    h.service("prod", "i=0\nwhile :; do i=$((i+1)); echo $i; echo $i > $T/n; done");
    h.symlink("prod/log", "../logger");
    h.service("logger", LOGGER);
    h.file("logger/notification-fd", "3\n");
    h.service("other", "while :; do echo x; sleep 0.05; done");
    h.symlink("other/log", "../otherlog");
    h.service("otherlog", "exec cat >> $T/other.log");
    h.service("crash", "echo x >> $T/crash.runs\nexit 1");
    h.service("fast", "echo >&3\nexec sleep 1000");
    h.file("fast/notification-fd", "3\n");
    start_http(&mut h);
    h.ctl_ok(&["up", "logger", "otherlog"]);
    h.wait_lines("log", 100, 10 * SEC);
    let lpid = h.pid_of("logger").unwrap();
    let ppid_ = h.pid_of("prod").unwrap();
    h.ctl_ok(&["pause", "logger"]);
    wait_until(5 * SEC, "logger stopped", || proc_state(lpid) == Some('T'));
    // The producer fills the pipe and blocks in write(2): the pipe is full
    // but for the page the logger was reading when it stopped (up to 4095
    // bytes of it consumed) and the tail of every page too short for one
    // more line (a line is under 8 bytes; measured: 61,412 of 65,536 with
    // the writer blocked), and the producer sleeps in pipe_write
    // (anon_pipe_write on newer kernels; /proc/PID/stack tells).
    let full = || {
        let stack = fs::read_to_string(format!("/proc/{ppid_}/stack")).unwrap_or_default();
        pipe_fill(lpid, 0).is_some_and(|(used, cap)| used + 4096 + cap / 4096 * 8 >= cap)
            && (stack.is_empty() || stack.contains("pipe_write"))
    };
    // And it stays so: $T/n does not change for 0.5 s.
    let deadline = Instant::now() + 20 * SEC;
    let mut last = (String::new(), Instant::now());
    loop {
        let n = h.read("n");
        if !full() || n != last.0 || n.is_empty() {
            last = (n, Instant::now());
        } else if last.1.elapsed() >= secs(0.5) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the producer did not block: pipe {:?}; producer {ppid_} state {:?} n {:?} stack {:?}",
            pipe_fill(lpid, 0),
            proc_state(ppid_),
            h.read("n"),
            fs::read_to_string(format!("/proc/{ppid_}/stack")),
        );
        thread::sleep(Duration::from_millis(20));
    }
    let read_n = || wait_for(2 * SEC, "a number in $T/n", || h.read("n").trim().parse::<u64>().ok());
    let blocked_at = read_n();
    // Everything else goes on.
    let crash0 = h.read_lines("crash.runs").len();
    let other0 = h.read_lines("other.log").len();
    let mut worst = Duration::ZERO;
    let t0 = Instant::now();
    while t0.elapsed() < secs(3.0) {
        let t = Instant::now();
        assert_eq!(h.ctl(&["list"]).code, 0);
        let (st, _) = http1(&h, "GET", "/services", None);
        assert_eq!(st, 200);
        worst = worst.max(t.elapsed());
    }
    let pf = h.pid_of("fast").unwrap();
    let t = Instant::now();
    h.ctl_ok(&["restart", "fast"]);
    let restart_took = t.elapsed();
    assert_ne!(h.pid_of("fast"), Some(pf));
    let crash1 = h.read_lines("crash.runs").len();
    let other1 = h.read_lines("other.log").len();
    report(format!(
        "stopped logger: producer blocked at line {blocked_at}; meanwhile list+GET worst {worst:?}, restart {restart_took:?}, \
         crash loop +{} runs, other producer +{} lines",
        crash1 - crash0,
        other1 - other0
    ));
    assert!(worst < secs(2.0), "nitroctl list + GET /services took {worst:?} while a logger was stopped");
    assert!(restart_took < secs(3.0), "restart took {restart_took:?}");
    assert!(crash1 >= crash0 + 2, "crash loop stalled: {crash0} -> {crash1}");
    assert!(other1 >= other0 + 20, "the other producer stalled: {other0} -> {other1}");
    // The producer is still blocked where it was.
    assert!(full(), "pipe no longer full: {:?}", pipe_fill(lpid, 0));
    assert_eq!(read_n(), blocked_at);
    assert_eq!(h.pid_of("prod"), Some(ppid_));
    h.ctl_ok(&["cont", "logger"]);
    let n = h.read_lines("log").len();
    h.wait_lines("log", n + 1000, 10 * SEC);
    let v = stop_producer_and_drain(&h);
    assert_contiguous(&v);
    report(format!("stopped logger: all {} lines arrived after SIGCONT", v.len()));
}

// =================================================================================
// 6. Control clients
// =================================================================================

/// 100 nitroctl start/stop calls at once over 4 services: all finish
/// within the deadline (each exits 0, or 3 when its -t 8 ran out because a
/// later command of the storm took the service the other way), nitro
/// survives, and a final command for each service is obeyed exactly: the
/// list shows it, and exactly one run process exists for each UP service.
#[test]
fn a_storm_of_100_concurrent_starts_and_stops_ends_consistent() {
    let _g = heavy();
    let mut h = Harness::new();
    for k in 0..4 {
        let s = format!("s{k}");
        h.service(&s, "echo >&3\nexec sleep 1000");
        h.file(&format!("{s}/notification-fd"), "3\n");
        if k % 2 == 1 {
            h.file(&format!("{s}/down"), "");
        }
    }
    h.start();
    h.wait_state("s0", State::Up, 5 * SEC);
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let t0 = Instant::now();
    let mut kids = Vec::new();
    for i in 0..100 {
        let s = format!("s{}", i % 4);
        let cmd = if rng.next() % 2 == 0 { "start" } else { "stop" };
        let child = std::process::Command::new(nitroctl_bin())
            .args(["-t", "8", cmd, &s])
            .env("NITRO_SOCK", &h.sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        kids.push((cmd, s, child));
    }
    let deadline = Instant::now() + 20 * SEC;
    let mut codes = std::collections::BTreeMap::new();
    for (cmd, s, mut child) in kids {
        let st = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("nitroctl {cmd} {s} still running after 20 s");
            }
            thread::sleep(Duration::from_millis(10));
        };
        let code = st.code().unwrap_or(-1);
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(code == 0 || code == 3, "nitroctl {cmd} {s}: exit {code}: {err}");
        *codes.entry(code).or_insert(0) += 1;
    }
    let storm = t0.elapsed();
    assert!(h.try_exit().is_none());
    // The final word: s0, s2 up, s1, s3 down.
    for k in 0..4 {
        let s = format!("s{k}");
        let o = h.ctl(&[if k % 2 == 0 { "start" } else { "stop" }, &s]);
        assert_eq!(o.code, 0, "final command for {s}: {o:?}");
    }
    let l = h.list();
    let states: Vec<(String, String)> = l.iter().map(|l| (l.name.clone(), l.state.clone())).collect();
    assert_eq!(
        states,
        [("s0", "UP"), ("s1", "DOWN"), ("s2", "UP"), ("s3", "DOWN")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Exactly one run process per UP service, nothing else.
    let nitro = h.nitro_pid();
    let want: Vec<i32> = l.iter().filter_map(|l| l.pid.map(|p| p as i32)).collect();
    wait_until(5 * SEC, "only the UP services' processes left", || {
        let mut got: Vec<i32> = h.tagged_pids().into_iter().filter(|&p| p != nitro).collect();
        got.sort();
        let mut w = want.clone();
        w.sort();
        got == w
    });
    report(format!("100 concurrent start/stop: all done in {storm:?}, exit codes {codes:?}"));
}

/// nitroctl never hangs on a lost notification: its socket file is moved
/// out of notify/ while it waits, so the DOWN notification finds no one;
/// once the file is back, the re-query (after 1 s without news) learns the
/// state and nitroctl exits 0. (Without the re-query it would wait forever.)
#[test]
fn stop_returns_although_its_down_notification_was_lost() {
    let mut h = Harness::new();
    h.service("x", "trap '' TERM\nexec sleep 1000");
    h.start();
    let pid = wait_for(5 * SEC, "x", || h.pid_of("x"));
    wait_exec(pid, "sleep");
    let mut bg = h.ctl_background(&["stop", "x"], "stop.out");
    let notify = h.sock.parent().unwrap().join("notify");
    let file = wait_for(5 * SEC, "nitroctl's notify socket", || {
        fs::read_dir(&notify).ok()?.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).find(|n| n.starts_with("x,"))
    });
    h.wait_state("x", State::Shutdown, 5 * SEC);
    let away = h.path("away");
    fs::rename(notify.join(&file), &away).unwrap();
    // x ignores SIGTERM: kill it ourselves, now that no one hears.
    assert!(kill(pid, Signal::KILL));
    h.wait_state("x", State::Down, 5 * SEC);
    // The DOWN notification was sent (and lost) before our query saw DOWN.
    assert_eq!(bg.try_code(), None, "nitroctl returned without hearing DOWN");
    fs::rename(&away, notify.join(&file)).unwrap();
    let t0 = Instant::now();
    let code = wait_for(5 * SEC, "nitroctl stop to return", || bg.try_code());
    assert_eq!(code, 0, "{}", h.read("stop.out.err"));
    report(format!("lost notification: nitroctl stop returned {:?} after its socket was back", t0.elapsed()));
}

/// 10,000 random datagrams (fixed seed; none decoding to RESCAN, SHUTDOWN
/// or REBOOT), from bound and unbound sockets, then nitroctl list works,
/// the service is untouched and nitro holds no more descriptors than before.
#[test]
fn ten_thousand_random_datagrams_do_not_hurt() {
    let _g = heavy();
    let mut h = Harness::new();
    // A name random bytes will not hit.
    let a = "victim-service-0x5eed";
    h.sleeper(a);
    h.start();
    let pid = wait_for(5 * SEC, "a", || h.pid_of(a));
    let nitro = h.nitro_pid();
    let fds0 = settled_fds(nitro);
    let bound: Vec<UnixDatagram> = (0..4).map(|_| h.raw_socket()).collect();
    let anon = UnixDatagram::unbound().unwrap();
    for s in bound.iter().chain([&anon]) {
        s.set_write_timeout(Some(5 * SEC)).unwrap();
    }
    let mut rng = Rng(0x9e3779b97f4a7c15 ^ 0x1234);
    let mut sent = 0;
    let t0 = Instant::now();
    while sent < 10_000 {
        let len = match rng.next() % 4 {
            0 => (rng.next() % 8) as usize,
            1 => (rng.next() % 80) as usize,
            _ => (rng.next() % 700) as usize,
        };
        let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Often a plausible command tag with a random payload.
        if len >= 3 && rng.next() % 2 == 0 {
            d[2] = tag::CMD_UP + (rng.next() % 11) as u8;
            let plen = (len - 3) as u16;
            if rng.next() % 2 == 0 {
                d[..2].copy_from_slice(&plen.to_le_bytes());
            }
        }
        let risky = nitro::spat::packets(&d).any(|p| {
            matches!(p, Ok(nitro::spat::Packet::Data(t, _)) if (tag::CMD_RESCAN..=tag::CMD_REBOOT).contains(&t))
        });
        if risky {
            continue;
        }
        let s = if sent % 5 == 4 { &anon } else { &bound[sent % 4] };
        s.send_to(&d, &h.sock).expect("send a datagram to nitro");
        sent += 1;
        if sent % 1000 == 0 {
            for b in &bound {
                drain(b, Duration::from_millis(1));
            }
        }
    }
    let took = t0.elapsed();
    assert!(h.try_exit().is_none(), "nitro died: {}", h.stderr());
    let l = h.list();
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].pid, Some(pid as u32));
    let s = h.raw_socket();
    let r = ask(&h, &s, Command::Query(a.as_bytes())).expect("QUERY answered");
    assert!(r.starts_with(&[1, 0, tag::STATE]), "{r:?}");
    drop(bound);
    let fds1 = settled_fds(nitro);
    assert_eq!(fds1, fds0, "nitro's descriptors changed");
    report(format!("10,000 random datagrams sent in {took:?}; nitro fine"));
}

// =================================================================================
// 7. HTTP load and abuse
// =================================================================================

struct LoadResult {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
}

/// `rate` requests a second for `dur`, over `conns` keep-alive connections
/// (one thread each, each paced to rate/conns; a thread that falls behind
/// catches up at full speed).
fn http_load(sock: &Path, rate: u32, dur: Duration, conns: usize) -> LoadResult {
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let t0 = Instant::now();
    let per = rate as f64 / conns as f64;
    let threads: Vec<_> = (0..conns)
        .map(|t| {
            let (ok, errors, first, sock) = (ok.clone(), errors.clone(), first.clone(), sock.to_path_buf());
            thread::spawn(move || {
                let paths = ["/services", "/service/probe", "/jobs", "/service/crash", "/metrics"];
                let mut c: Option<Http> = None;
                let mut i = 0u64;
                loop {
                    let due = t0 + Duration::from_secs_f64(i as f64 / per);
                    if due >= t0 + dur {
                        break;
                    }
                    let now = Instant::now();
                    if due > now {
                        thread::sleep(due - now);
                    }
                    let r = (|| -> io::Result<(u16, String)> {
                        if c.is_none() {
                            c = Some(Http::connect(&sock)?);
                        }
                        c.as_mut().unwrap().get(paths[(i as usize + t) % paths.len()])
                    })();
                    match r {
                        Ok((200, _)) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            first.lock().unwrap().get_or_insert(format!("{other:?}"));
                            c = None;
                        }
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    LoadResult {
        ok: ok.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        first_error: first.lock().unwrap().clone(),
        elapsed: t0.elapsed(),
    }
}

/// Supervision latency: `n` restarts of `probe` (ready at once through
/// notification-fd), each from the RESTART request to the UP notification.
fn restart_latencies(h: &Harness, sub: &Subscriber, n: usize) -> Vec<f64> {
    let s = h.raw_socket();
    let mut v = Vec::new();
    for _ in 0..n {
        let ups = sub.count(State::Up, "probe");
        let t0 = Instant::now();
        ask(h, &s, Command::Restart(b"probe")).expect("RESTART answered");
        let at = sub.wait_for_nth(State::Up, "probe", ups + 1, 10 * SEC);
        v.push(at.duration_since(t0).as_secs_f64() * 1000.0);
        drain(&s, Duration::from_millis(1));
    }
    v
}

/// Intervals (ms) between the last `n` starts of the crash-looping service.
fn crash_intervals(sub: &Subscriber, since: Instant) -> Vec<f64> {
    let at: Vec<Instant> =
        sub.events().iter().filter(|e| e.name == "crash" && e.state == State::Starting as u8 && e.at >= since).map(|e| e.at).collect();
    at.windows(2).map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1000.0).collect()
}

/// 1,000 HTTP requests a second offered (CI: for 10 s; NITRO_FAULTS_FULL=1:
/// 30 s) from 4 keep-alive connections: no error. The rate achieved is
/// reported, not asserted: it is what the machine gives the test beside
/// the other tests (a CI machine shared with a disk-bound test gave 749/s);
/// nitro's own capacity is a figure of the benchmark (bench/run, row 3:
/// HTTP requests/s). Supervision latency within 2x of idle: the median time from a
/// RESTART request to the UP notification, and the median crash-loop
/// restart interval. Margin: on 2 busy cores (the load generator itself
/// uses CPU, and so do the other tests) the restart latency may also exceed
/// 2x idle by up to 50 ms, a scheduling allowance; the crash-loop interval
/// (about 1 s) must stay within 2x with no allowance.
#[test]
fn http_load_of_1000_requests_a_second_without_errors_and_supervision_keeps_pace() {
    let _g = heavy();
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.service("probe", "echo >&3\nexec sleep 1000");
    h.file("probe/notification-fd", "3\n");
    h.service("crash", "exit 1");
    start_http(&mut h);
    h.wait_state("probe", State::Up, 5 * SEC);
    // Idle.
    let idle_since = Instant::now();
    let mut idle = restart_latencies(&h, &sub, 9);
    wait_until(10 * SEC, "4 idle crash-loop intervals", || crash_intervals(&sub, idle_since).len() >= 4);
    let mut idle_cl = crash_intervals(&sub, idle_since);
    // Loaded.
    let (rate, secs_) = load_plan();
    let sock = http_sock(&h);
    let load = thread::spawn(move || http_load(&sock, rate, Duration::from_secs(secs_), 4));
    thread::sleep(Duration::from_millis(500)); // let the load ramp up
    let load_since = Instant::now();
    let mut busy = restart_latencies(&h, &sub, 9);
    let r = load.join().unwrap();
    let mut busy_cl = crash_intervals(&sub, load_since);
    let achieved = r.ok as f64 / r.elapsed.as_secs_f64();
    let (mi, mb) = (median(&mut idle), median(&mut busy));
    let (ci, cb) = (median(&mut idle_cl), if busy_cl.is_empty() { f64::NAN } else { median(&mut busy_cl) });
    report(format!(
        "HTTP load: {} ok, {} errors in {:.1} s = {achieved:.0} requests/s (target {rate}/s); \
         restart->UP median idle {mi:.1} ms, under load {mb:.1} ms; crash-loop interval median idle {ci:.0} ms, under load {cb:.0} ms",
        r.ok,
        r.errors,
        r.elapsed.as_secs_f64()
    ));
    assert_eq!(r.errors, 0, "first error: {:?}", r.first_error);
    assert!(mb <= 2.0 * mi + 50.0, "restart latency under load {mb:.1} ms vs idle {mi:.1} ms");
    assert!(busy_cl.len() >= 3, "crash loop stalled under load: {busy_cl:?}");
    assert!(cb <= 2.0 * ci, "crash-loop interval under load {cb:.0} ms vs idle {ci:.0} ms");
    assert!(h.try_exit().is_none());
}

/// 16 connections that send half a request and go silent take every slot:
/// each further client gets 503 at once (never hangs) for the whole 10 s;
/// meanwhile the control socket works (restart, list); at the idle timeout
/// the 16 get 408 and a new client is served.
#[test]
fn sixteen_silent_clients_give_503_until_the_idle_timeout_and_supervision_goes_on() {
    let mut h = Harness::new();
    h.service("fast", "echo >&3\nexec sleep 1000");
    h.file("fast/notification-fd", "3\n");
    start_http(&mut h);
    let sock = http_sock(&h);
    let t0 = Instant::now();
    let mut silent: Vec<Http> = (0..16)
        .map(|i| {
            let mut c = Http::connect(&sock).unwrap();
            c.send(format!("GET /service/fast HTTP/1.1\r\nHost: x\r\nX-N: {i}").as_bytes()).unwrap();
            c
        })
        .collect();
    // The 17th and later: 503, promptly, until the idle timeout.
    let mut refused = 0;
    let mut restarts = 0;
    let mut worst = Duration::ZERO;
    while t0.elapsed() < secs(8.5) {
        let t = Instant::now();
        // (nothing sent: the 503 comes unasked, and the socket is closed)
        let mut c = Http::connect(&sock).unwrap();
        let (st, _, body) = c.resp().unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!((st, body.trim_end()), (503, "{\"error\":\"too many connections\"}"), "at {:?}", t0.elapsed());
        refused += 1;
        if refused % 10 == 0 {
            let p = h.pid_of("fast");
            h.ctl_ok(&["restart", "fast"]);
            assert_ne!(h.pid_of("fast"), p);
            restarts += 1;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert!(worst < secs(1.0), "a refusal took {worst:?}");
    // Then the idle timeout: 408 for each, and a new client gets in.
    for c in silent.iter_mut() {
        let (st, _, _) = c.resp().expect("408 for a silent client");
        assert_eq!(st, 408);
    }
    let freed = t0.elapsed();
    assert!(freed >= secs(9.5) && freed < secs(13.0), "slots freed after {freed:?}");
    let (st, _) = wait_for(3 * SEC, "a client served after the timeout", || {
        Http::connect(&sock).and_then(|mut c| c.get("/jobs")).ok().filter(|r| r.0 == 200)
    });
    assert_eq!(st, 200);
    report(format!("16 silent clients: {refused} refusals (503, worst {worst:?}), {restarts} restarts meanwhile, 408 at {freed:?}"));
}

/// Half-closed connections: a client that sends half a request and shuts
/// down its writing side is dropped at once (its slot is free again); one
/// that sends a whole request and then shuts down still gets its answer.
#[test]
fn half_closed_connections_free_their_slot_and_get_their_answer() {
    let mut h = Harness::new();
    h.sleeper("a");
    start_http(&mut h);
    let sock = http_sock(&h);
    let mut half: Vec<Http> = (0..16)
        .map(|_| {
            let mut c = Http::connect(&sock).unwrap();
            c.send(b"GET /services HTTP/1.1\r\nHost").unwrap();
            c.s.shutdown(std::net::Shutdown::Write).unwrap();
            c
        })
        .collect();
    for c in half.iter_mut() {
        assert!(c.closed_within(3 * SEC), "a half-closed half request kept its slot");
    }
    let t = Instant::now();
    let (st, _) = Http::connect(&sock).unwrap().get("/jobs").unwrap();
    assert_eq!(st, 200, "after 16 half-closed clients");
    assert!(t.elapsed() < secs(1.0));
    // A whole request, then shutdown(SHUT_WR): answered.
    let mut c = Http::connect(&sock).unwrap();
    c.send(b"GET /jobs HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    c.s.shutdown(std::net::Shutdown::Write).unwrap();
    let (st, _, body) = c.resp().expect("an answer to a whole request sent before the half-close");
    assert_eq!((st, body.as_str()), (200, "[]\n"));
}

/// Request smuggling: whatever follows a refused request on the same
/// connection is never executed, and the connection is closed.
#[test]
fn smuggled_requests_are_refused_and_never_executed() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.sleeper("b");
    start_http(&mut h);
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let pb = wait_for(5 * SEC, "b", || h.pid_of("b"));
    let inner = "POST /service/b/down HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    let l = inner.len();
    let cases: Vec<(String, u16)> = vec![
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: {l}\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length: {l}\r\nContent-Length: 0\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length: 0, {l}\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{inner}"), 501),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 0\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n{inner}"), 400),
        (format!("POST /service/a/down HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: identity\r\n\r\n{inner}"), 400),
    ];
    for (req, want) in &cases {
        let mut c = Http::connect(&http_sock(&h)).unwrap();
        c.send(req.as_bytes()).unwrap();
        let (st, head, body) = c.resp().unwrap_or_else(|e| panic!("{req:?}: {e}"));
        assert_eq!(st, *want, "{req:?}: {head} {body}");
        assert!(c.closed_within(5 * SEC), "connection kept open after {req:?}");
    }
    // Nothing was done: both still run with their pids (every request of
    // those connections has been read and answered by now).
    assert_eq!(h.pid_of("a"), Some(pa));
    assert_eq!(h.pid_of("b"), Some(pb));
    assert!(matches!(h.state("a"), Some(State::Starting | State::Up)));
    assert!(matches!(h.state("b"), Some(State::Starting | State::Up)));
}

// =================================================================================
// 8. Access
// =================================================================================

/// Try, as uid/gid 65534 with no supplementary groups, to reach a socket:
/// `stream` connect or a datagram. Returns "ok" or the errno name.
fn connect_as_nobody(path: &Path, stream: bool) -> String {
    let py = if stream {
        "import socket,sys,errno\ns=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\n\
         try:\n s.connect(sys.argv[1]); print('ok')\nexcept OSError as e: print(errno.errorcode[e.errno])"
    } else {
        "import socket,sys,errno\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n\
         try:\n s.sendto(b'\\x00\\x00\\x7c',sys.argv[1]); print('ok')\nexcept OSError as e: print(errno.errorcode[e.errno])"
    };
    let o = std::process::Command::new("/usr/bin/python3")
        .args(["-c", py])
        .arg(path)
        .uid(65534)
        .gid(65534)
        .output()
        .expect("python3 as uid 65534");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Both sockets are mode 0600 at their default paths; a foreign uid that
/// can reach the directory is refused by the socket file itself (EACCES),
/// for the control socket and the HTTP socket. (The second layer, 403 by
/// SO_PEERCRED on a loosened HTTP socket: http.rs `a_foreign_uid_gets_403`.)
#[test]
#[ignore = "needs root (CI runs it)"]
fn sockets_are_0600_and_refuse_a_foreign_uid() {
    let mut h = Harness::new();
    start_http(&mut h);
    for p in [h.sock.clone(), http_sock(&h)] {
        let m = fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(m, 0o600, "{} has mode {m:o}", p.display());
    }
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    // Open the directories: only the sockets' own mode is left.
    for d in [h.root.clone(), h.sock.parent().unwrap().to_path_buf()] {
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(connect_as_nobody(&http_sock(&h), true), "EACCES");
    assert_eq!(connect_as_nobody(&h.sock, false), "EACCES");
    // root still gets in
    assert_eq!(http1(&h, "GET", "/jobs", None).0, 200);
    assert_eq!(h.ctl(&["list"]).code, 0);
}

/// The control socket's second layer: with its mode loosened (and the
/// notify directory open), a foreign uid still controls nothing: the
/// supervisor reads the sender's credentials (SO_PASSCRED) and answers
/// ENOSYS, as the HTTP socket answers 403 (nitro v0.8 has no such check).
#[test]
#[ignore = "needs root (CI runs it)"]
fn a_loosened_control_socket_still_refuses_a_foreign_uid() {
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    wait_for(5 * SEC, "a", || h.pid_of("a"));
    let run = h.sock.parent().unwrap().to_path_buf();
    for p in [h.root.clone(), run.clone(), run.join("notify"), h.sock.clone()] {
        fs::set_permissions(&p, fs::Permissions::from_mode(0o777)).unwrap();
    }
    // The checkout may sit under a directory uid 65534 cannot enter: give
    // it its own copy of nitroctl in the (opened) test directory.
    let ctl = h.root.join("nitroctl-copy");
    fs::copy(nitroctl_bin(), &ctl).unwrap();
    fs::set_permissions(&ctl, fs::Permissions::from_mode(0o755)).unwrap();
    let o = std::process::Command::new(&ctl)
        .args(["-t", "5", "list"])
        .env("NITRO_SOCK", &h.sock)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains(" a "), "uid 65534 listed the services: {out}");
    // It is told no (ENOSYS: exit 111), not left waiting for the timeout.
    assert_eq!(o.status.code(), Some(111), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Job names with `/`, `..`, percent-encoding or control characters are
/// refused: 400 (bad name), or 404 where a `/` makes it another path
/// (`/job/a/b` is no route). No job is created, no file is touched.
#[test]
fn job_names_with_slash_dotdot_or_control_characters_are_refused() {
    let mut h = Harness::new();
    start_http(&mut h);
    let body = sh_job(&h, ": > $T/ran", "", "");
    let targets: Vec<(Vec<u8>, &[u16])> = vec![
        (b"/job/a/b".to_vec(), &[404]),
        (b"/job/../x".to_vec(), &[404]),
        (b"/job/..".to_vec(), &[400]),
        (b"/job/.".to_vec(), &[400]),
        (b"/job/%2e%2e".to_vec(), &[400]),
        (b"/job/a%2Fb".to_vec(), &[400]),
        (b"/job/a%00".to_vec(), &[400]),
        (b"/job/a\x01b".to_vec(), &[400]),
        (b"/job/a\x1bb".to_vec(), &[400]),
        (b"/job/a\x7fb".to_vec(), &[400]),
        (b"/job/a\tb".to_vec(), &[400]),
        (b"/job/a\rb".to_vec(), &[400]),
        (b"/job/a\xffb".to_vec(), &[400, 201]),
        (b"/job/.hidden".to_vec(), &[400]),
        (b"/job/a,b".to_vec(), &[400]),
        (b"/job/SYS".to_vec(), &[400]),
        (b"/job//".to_vec(), &[400, 404]),
        (b"/job/".to_vec(), &[400]),
        (b"//job/x".to_vec(), &[404]),
        (b"http://x/job/../job/y".to_vec(), &[404]),
    ];
    let mut got = Vec::new();
    for (t, ok) in &targets {
        let mut req = b"PUT ".to_vec();
        req.extend_from_slice(t);
        req.extend_from_slice(format!(" HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        let mut c = Http::connect(&http_sock(&h)).unwrap();
        c.send(&req).unwrap();
        let (st, _, b) = c.resp().unwrap();
        got.push(format!("{:?} -> {st} {}", String::from_utf8_lossy(t), b.trim_end()));
        assert!(ok.contains(&st), "PUT {:?}: {st} {b}", String::from_utf8_lossy(t));
    }
    let (_, jobs) = http1(&h, "GET", "/jobs", None);
    // (a name with a non-UTF-8 byte is a valid service name: allowed, and
    // the only job that may exist.)
    assert!(jobs.trim_end() == "[]" || jobs.matches("\"name\"").count() == 1, "{jobs}");
    report(format!("bad job names: {}", got.join("; ")));
}

/// A task with user/group 65534 has no supplementary groups even when
/// nitro itself has some (it was started with groups 4, 24, 27): setgroups
/// to none really happens. A group alone drops them too. (http.rs
/// `user_and_group_are_switched_with_no_supplementary_groups` runs nitro
/// with no supplementary groups, where a missing setgroups would not show.)
#[test]
#[ignore = "needs root (CI runs it)"]
fn user_and_group_switching_drops_supplementary_groups_nitro_has() {
    assert!(is_root(), "needs root: run as root, with --include-ignored");
    let mut h = Harness::new();
    h.wrapper = Some("exec setpriv --groups=4,24,27 \"$0\" \"$@\"".into());
    start_http(&mut h);
    let nitro = h.nitro_pid();
    assert_eq!(status_field(nitro, "Groups:"), "4 24 27", "nitro's own groups");
    let out = h.path("ids");
    fs::write(&out, "").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o666)).unwrap();
    let fds = format!("{{\"type\":\"null\"}},{{\"type\":\"file\",\"path\":{},\"mode\":\"a\"}}", js(out.to_str().unwrap()));
    let mut c = Http::connect(&http_sock(&h)).unwrap();
    let script = "echo \"$(id -u) $(id -g) [$(grep Groups: /proc/self/status | cut -f2 | tr -d ' ')]\"";
    for (name, extra) in [("both", ",\"user\":65534,\"group\":65534"), ("grp", ",\"group\":65534"), ("usr", ",\"user\":65534")] {
        let (st, b) = c.request("PUT", &format!("/job/{name}"), Some(&sh_job(&h, script, &fds, extra))).unwrap();
        assert_eq!(st, 201, "{b}");
        wait_job_done(&h, &mut c, name);
    }
    let l = h.read_lines("ids");
    assert_eq!(l.len(), 3, "{l:?}");
    assert_eq!(l[0].trim_end(), "65534 65534 []", "user+group");
    assert_eq!(l[1].trim_end(), "0 65534 []", "group only");
    assert_eq!(l[2].trim_end(), "65534 0 []", "user only");
}

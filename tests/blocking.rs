//! Nothing can block the supervisor: control files that are FIFOs, job
//! descriptors on FIFOs, a stderr nobody reads. Each case would freeze a
//! supervisor that opened or wrote blocking (no `nitroctl list`, no
//! shutdown); here the supervisor must go on answering and supervising.
//!
//! Black-box, like the other suites: the real binaries, unprivileged.

mod common;
use common::http::*;
use common::*;
use nitro::state::State;
use std::fs;
use std::os::fd::OwnedFd;
use std::time::Instant;

fn mkfifo(p: &std::path::Path) {
    rustix::fs::mknodat(rustix::fs::CWD, p.to_str().unwrap(), rustix::fs::FileType::Fifo, rustix::fs::Mode::from_raw_mode(0o644), 0).unwrap();
}

/// `nitroctl list` answers within 5 s.
fn answers(h: &Harness) {
    let o = h.ctl_full(&h.root, &["list"], 5 * SEC);
    assert_eq!(o.code, 0, "{o:?}");
}

/// A FIFO as `notification-fd` is not a file to read: the service gets no
/// readiness pipe (UP after 2 s, as for a missing file) and a message names
/// the file, while the supervisor goes on answering.
#[test]
fn a_fifo_as_notification_fd_never_blocks_the_supervisor() {
    let mut h = Harness::new();
    h.sleeper("a");
    mkfifo(&h.sv("a/notification-fd"));
    h.start();
    answers(&h);
    h.wait_state("a", State::Up, 5 * SEC);
    answers(&h);
    wait_until(5 * SEC, "a message naming a/notification-fd", || h.stderr().contains("a/notification-fd: not a regular file"));
}

/// A FIFO as `down-signal` at shutdown: the default signal (SIGTERM), and
/// the supervisor exits as usual.
#[test]
fn a_fifo_as_down_signal_never_blocks_the_shutdown() {
    let mut h = Harness::new();
    h.service("a", "trap 'echo TERM > $T/got; exit 0' TERM\n: > $T/a.trap\nwhile :; do sleep 0.05; done");
    mkfifo(&h.sv("a/down-signal"));
    h.start();
    // (Its trap is set: a SIGTERM before that would end it unheard.)
    wait_until(5 * SEC, "a's trap", || h.path("a.trap").exists());
    answers(&h);
    let t0 = Instant::now();
    assert_eq!(h.shutdown(10 * SEC).code(), Some(0));
    assert!(t0.elapsed() < 5 * SEC, "shutdown took {:?}", t0.elapsed());
    assert_eq!(h.read("got").trim(), "TERM");
}

/// A job whose `file` descriptor is a FIFO: opened for reading it is there
/// at once (the task reads end-of-file until a writer comes); opened for
/// writing with no reader (the writer job runs first, while nothing has the
/// FIFO open) the task cannot start (126). Either way the PUT is answered at
/// once and the supervisor goes on.
#[test]
fn a_job_file_descriptor_on_a_fifo_never_blocks_the_supervisor() {
    let mut h = Harness::new();
    h.sleeper("a");
    start_http(&mut h);
    let fifo = h.path("fifo");
    mkfifo(&fifo);
    let fd = |mode: &str| format!("{{\"type\":\"file\",\"path\":{},\"mode\":\"{mode}\"}}", js(fifo.to_str().unwrap()));
    let mut c = Http::connect(&http_sock(&h)).unwrap();
    let t0 = Instant::now();
    let (st, b) = c.request("PUT", "/job/writer", Some(&sh_job(&h, "echo wrote > $T/writer.ran", &format!("{{\"type\":\"null\"}},{}", fd("w")), ""))).unwrap();
    assert_eq!(st, 201, "{b}");
    wait_job_done(&h, &mut c, "writer");
    let (st, b) = c.request("PUT", "/job/reader", Some(&sh_job(&h, "echo read > $T/reader.ran", &fd("r"), ""))).unwrap();
    assert_eq!(st, 201, "{b}");
    assert!(t0.elapsed() < 5 * SEC, "PUTs took {:?}", t0.elapsed());
    answers(&h);
    wait_job_done(&h, &mut c, "reader");
    assert_eq!(h.read("reader.ran").trim(), "read");
    let (_, b) = c.get("/job/writer").unwrap();
    assert!(b.contains("\"exits\":[\"126\"]"), "{b}");
    assert_eq!(h.read("writer.ran"), "");
}

/// Job descriptors are opened by the task, with its credentials: a task run
/// as nobody cannot open a file only root may write (126), where the
/// supervisor, as root, could.
#[test]
#[ignore = "needs root (CI runs it)"]
fn job_descriptors_are_opened_with_the_tasks_credentials() {
    let mut h = Harness::new();
    start_http(&mut h);
    let dir = h.path("rootonly");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let file = dir.join("out");
    let fd = format!("{{\"type\":\"null\"}},{{\"type\":\"file\",\"path\":{},\"mode\":\"w\"}}", js(file.to_str().unwrap()));
    let mut c = Http::connect(&http_sock(&h)).unwrap();
    let job = sh_job(&h, "echo hi", &fd, ",\"user\":65534,\"group\":65534").replace(&format!("\"cwd\":{}", js(h.root.to_str().unwrap())), "\"cwd\":\"/\"");
    let (st, b) = c.request("PUT", "/job/nobody", Some(&job)).unwrap();
    assert_eq!(st, 201, "{b}");
    wait_job_done(&h, &mut c, "nobody");
    let (_, b) = c.get("/job/nobody").unwrap();
    assert!(b.contains("\"exits\":[\"126\"]"), "{b}");
    assert!(!file.exists(), "the file was created with the supervisor's credentials");
    // As root the same job writes it.
    let job = sh_job(&h, "echo hi", &fd, "");
    let (st, b) = c.request("PUT", "/job/root", Some(&job)).unwrap();
    assert_eq!(st, 201, "{b}");
    wait_job_done(&h, &mut c, "root");
    assert_eq!(fs::read_to_string(&file).unwrap(), "hi\n");
}

/// A pipe filled to the brim, as stderr nobody reads.
fn full_pipe() -> (OwnedFd, OwnedFd) {
    use rustix::fd::IntoRawFd;
    use std::os::fd::FromRawFd;
    let (r, w) = rustix::pipe::pipe().unwrap();
    rustix::fs::fcntl_setfl(&w, rustix::fs::OFlags::NONBLOCK).unwrap();
    let chunk = [b'x'; 4096];
    while rustix::io::write(&w, &chunk).is_ok() {}
    rustix::fs::fcntl_setfl(&w, rustix::fs::OFlags::empty()).unwrap();
    // Safety: both descriptors are ours and handed over whole.
    unsafe { (OwnedFd::from_raw_fd(r.into_raw_fd()), OwnedFd::from_raw_fd(w.into_raw_fd())) }
}

/// The supervisor's stderr is a pipe nobody reads: its messages are
/// dropped, never waited for; services start, requests are answered and a
/// shutdown completes.
#[test]
fn a_stderr_nobody_reads_never_blocks_the_supervisor() {
    let mut h = Harness::new();
    h.sleeper("a");
    // A service that cannot start makes the supervisor talk every 2 s.
    h.script("broken/run", "exit 0");
    fs::set_permissions(h.sv("broken/run"), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let (_r, w) = full_pipe();
    h.stderr_to = Some(w);
    h.start();
    answers(&h);
    h.wait_state("a", State::Up, 5 * SEC);
    h.wait_state("broken", State::Fatal, 5 * SEC);
    h.ctl_ok(&["restart", "a"]);
    answers(&h);
    let t0 = Instant::now();
    assert_eq!(h.shutdown(10 * SEC).code(), Some(0));
    assert!(t0.elapsed() < 5 * SEC, "shutdown took {:?}", t0.elapsed());
}

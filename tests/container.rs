//! nitro as process 1 of a container: a new PID namespace
//! (`unshare --pid --fork --mount-proc`), where it is pid 1 but not the
//! machine's init. It reaps and shuts down as pid 1 does, but SIGTERM and
//! SIGINT mean shutdown (nobody presses Ctrl-Alt-Del in a container), Reboot
//! re-executes it, and it keeps the descriptors it was started with: the
//! host's console (/dev/console) is not the container's to take.
//!
//! Needs root (CI is root): `cargo test -- --include-ignored`.

mod common;
use common::*;
use nitro::state::State;
use std::time::Instant;

/// nitro as pid 1 of a new PID and mount namespace.
fn start_in_container(h: &mut Harness) {
    h.wrapper = Some("exec unshare --pid --fork --mount-proc \"$0\" \"$@\"".into());
    h.start();
}

/// The host pid of the container's pid 1: unshare's only child.
fn pid1_of(h: &Harness) -> i32 {
    let u = h.nitro_pid();
    wait_for(5 * SEC, "unshare's child", || {
        let c = std::fs::read_to_string(format!("/proc/{u}/task/{u}/children")).ok()?;
        c.split_whitespace().next()?.parse().ok()
    })
}

fn assert_pid1_in_namespace(h: &Harness) {
    let info = h.ctl_ok(&["info"]);
    assert!(info.lines().any(|l| l == "nitro_pid 1"), "{info}");
}

/// The messages went to the stderr nitro was given, not to /dev/console.
fn assert_kept_its_stderr(h: &Harness, last: &str) {
    let err = h.stderr();
    assert!(err.contains("- nitro: booting") && err.contains(last), "stderr: {err:?}");
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn sigterm_shuts_a_container_down_and_its_output_stays_its_own() {
    let mut h = Harness::new();
    h.service("a", "trap 'echo TERM > $T/a.got; exit 0' TERM\n: > $T/a.trap\nwhile :; do sleep 0.05; done");
    start_in_container(&mut h);
    // (Its trap is set: a SIGTERM before that would end it unheard.)
    wait_until(5 * SEC, "a's trap", || h.path("a.trap").exists());
    assert_pid1_in_namespace(&h);
    let p1 = pid1_of(&h);
    assert!(kill(p1, Signal::TERM));
    assert_eq!(h.wait_exit(15 * SEC).code(), Some(0));
    assert_eq!(h.read("a.got").trim(), "TERM");
    assert_kept_its_stderr(&h, "- nitro: finished");
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn sigint_shuts_a_container_down() {
    let mut h = Harness::new();
    h.sleeper("a");
    start_in_container(&mut h);
    h.wait_state("a", State::Starting, 5 * SEC);
    assert!(kill(pid1_of(&h), Signal::INT));
    assert_eq!(h.wait_exit(15 * SEC).code(), Some(0));
    assert_kept_its_stderr(&h, "- nitro: shutting down");
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn kill_term_1_from_a_service_shuts_the_container_down() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.service("killer", "kill -TERM 1\nexec sleep 1000");
    h.file("killer/down", "");
    start_in_container(&mut h);
    h.wait_state("a", State::Starting, 5 * SEC);
    let t0 = Instant::now();
    h.ctl_ok(&["up", "killer"]);
    assert_eq!(h.wait_exit(15 * SEC).code(), Some(0));
    assert!(t0.elapsed() < 5 * SEC, "{:?}", t0.elapsed());
    assert_kept_its_stderr(&h, "- nitro: shutting down");
}

#[test]
#[ignore = "needs root (CI runs it)"]
fn reboot_re_executes_process_1_of_a_container() {
    let mut h = Harness::new();
    h.service("a", "echo $$ >> $T/a.pids\nexec sleep 1000");
    start_in_container(&mut h);
    h.wait_lines("a.pids", 1, 5 * SEC);
    let p1 = pid1_of(&h);
    h.ctl_ok(&["Reboot"]);
    h.wait_lines("a.pids", 2, 15 * SEC);
    assert_eq!(pid1_of(&h), p1, "the same process, re-executed");
    assert_pid1_in_namespace(&h);
    assert!(h.stderr().contains("- nitro: re-executing"), "{}", h.stderr());
    assert!(kill(p1, Signal::TERM));
    assert_eq!(h.wait_exit(15 * SEC).code(), Some(0));
}

//! Service life cycle: setup, run, finish, one-shots, exec failures, down
//! files, down-signal, notification-fd, restart pacing and stop escalation.

mod common;
use common::*;
use nitro::state::State;
use std::time::Instant;

#[test]
fn setup_runs_first_then_run_then_up_after_two_seconds() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.script("a/setup", "echo setup >> $T/trace\nwhile [ ! -e $T/go ]; do sleep 0.02; done");
    h.script("a/run", "echo run >> $T/trace\nexec sleep 1000");
    h.start();
    h.wait_state("a", State::Setup, 5 * SEC);
    // (SETUP is entered at the fork; the script writes its line a little later.)
    assert_eq!(h.wait_lines("trace", 1, 5 * SEC), ["setup"]);
    assert!(never_within(secs(0.3), || h.read_lines("trace").len() > 1), "run started during setup");
    std::fs::write(h.path("go"), "").unwrap();
    let st = h.wait_state("a", State::Starting, 5 * SEC);
    assert!(st.pid > 0);
    assert_eq!(h.wait_lines("trace", 2, 5 * SEC), ["setup", "run"]);
    h.wait_state("a", State::Up, 5 * SEC);
    // The 2 s between STARTING and UP, as the supervisor announced them.
    let starting = sub.wait_for(State::Starting, "a", 5 * SEC);
    let up = sub.wait_for(State::Up, "a", 5 * SEC);
    let dt = up - starting;
    assert!(dt > secs(1.5) && dt < secs(4.0), "UP {dt:?} after STARTING");
}

#[test]
fn run_is_execed_without_arguments_in_the_service_directory() {
    let mut h = Harness::new();
    h.service("a", "echo \"$0|$#|$*|$(pwd -P)\" > $T/out\nexec sleep 1000");
    h.start();
    let l = h.wait_lines("out", 1, 5 * SEC);
    let dir = std::fs::canonicalize(h.sv("a")).unwrap();
    assert!(l[0].ends_with(&format!("|0||{}", dir.display())), "{l:?}");
    // The pid nitro reports is the run process itself (exec'd, not a child).
    let pid = h.pid_of("a").unwrap();
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(cmdline.starts_with("sleep\0"), "{cmdline:?}");
}

#[test]
fn setup_exit_111_is_fatal_and_start_reports_failure() {
    let mut h = Harness::new();
    h.script("a/setup", "echo x >> $T/count\nexit 111");
    h.script("a/run", "echo run >> $T/runs\nexec sleep 1000");
    h.file("a/down", "");
    h.start();
    assert_eq!(h.state("a"), Some(State::Down));
    let o = h.ctl(&["start", "a"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("nitroctl: failed to start 'a'"), "{o:?}");
    let l = h.list();
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].state.as_str(), l[0].pid, l[0].wstatus), ("FATAL", None, -1));
    // FATAL is not retried, and run never started.
    assert!(never_within(secs(1.5), || h.read_lines("count").len() > 1));
    assert_eq!(h.read("runs"), "");
    assert_eq!(h.state("a"), Some(State::Fatal));
}

#[test]
fn setup_failing_otherwise_is_retried_about_once_a_second() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.script("a/setup", "echo x >> $T/count\nexit 1");
    h.service("a", "exec sleep 1000");
    h.start();
    h.wait_lines("count", 1, 5 * SEC);
    std::thread::sleep(secs(3.5));
    let n = h.read_lines("count").len();
    assert!((2..=5).contains(&n), "setup ran {n} times in 3.5 s after its first run");
    assert!(sub.has(State::Delay, "a"), "DELAY is notified: {:?}", sub.lines());
    assert!(!sub.has(State::Starting, "a"));
}

#[test]
fn service_without_run_is_a_oneshot_and_finish_runs_when_taken_down() {
    let mut h = Harness::new();
    h.script("b/setup", "echo setup >> $T/trace");
    h.script("b/finish", "echo \"finish $*\" >> $T/trace");
    h.start();
    h.wait_state("b", State::Oneshot, 5 * SEC);
    let l = h.list();
    assert_eq!((l[0].state.as_str(), l[0].name.as_str(), l[0].pid), ("ONESHOT", "b", None));
    assert_eq!(h.read_lines("trace"), ["setup"]);
    assert_eq!(h.ctl(&["stop", "b"]).code, 0);
    assert_eq!(h.state("b"), Some(State::Down));
    assert_eq!(h.read_lines("trace"), ["setup", "finish 0 0"]);
    // start of a one-shot waits for ONESHOT.
    let o = h.ctl(&["start", "b"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(h.state("b"), Some(State::Oneshot));
}

#[test]
fn run_that_is_not_executable_is_fatal_with_wstatus_minus_one_and_finish_gets_111_0() {
    let mut h = Harness::new();
    h.file("a/run", "#!/bin/sh\nexec sleep 1000\n");
    h.script("a/finish", "echo \"$*\" >> $T/finish");
    h.file("a/down", "");
    h.start();
    let o = h.ctl(&["start", "a"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("failed to start 'a'"), "{o:?}");
    let st = h.wait_state("a", State::Fatal, 5 * SEC);
    assert_eq!(st.wstatus, -1);
    assert_eq!(st.pid, 0);
    assert_eq!(h.wait_lines("finish", 1, 5 * SEC), ["111 0"]);
    let l = h.list();
    assert_eq!((l[0].state.as_str(), l[0].wstatus), ("FATAL", -1));
    // Not retried.
    assert!(never_within(secs(1.5), || h.read_lines("finish").len() > 1));
    assert_eq!(h.state("a"), Some(State::Fatal));
}

#[test]
fn run_with_a_missing_interpreter_is_fatal() {
    let mut h = Harness::new();
    h.file("a/run", "#!/nonexistent/interpreter\n");
    std::fs::set_permissions(h.sv("a/run"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    h.script("a/finish", "echo \"$*\" >> $T/finish");
    h.start();
    let st = h.wait_state("a", State::Fatal, 5 * SEC);
    assert_eq!(st.wstatus, -1);
    assert_eq!(h.wait_lines("finish", 1, 5 * SEC), ["111 0"]);
    assert!(never_within(secs(1.2), || h.state("a") != Some(State::Fatal)));
}

#[test]
fn finish_gets_exit_status_or_minus_one_and_the_signal() {
    let mut h = Harness::new();
    h.service("a", "echo run >> $T/runs\nif [ ! -e $T/second ]; then : > $T/second; exit 3; fi\nexec sleep 1000");
    h.script("a/finish", "echo \"$#:$*\" >> $T/finish");
    h.start();
    assert_eq!(h.wait_lines("finish", 1, 5 * SEC)[0], "2:3 0");
    h.wait_lines("runs", 2, 5 * SEC);
    let pid = wait_for(5 * SEC, "second run", || h.pid_of("a"));
    let o = h.ctl(&["kill", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(h.wait_lines("finish", 2, 5 * SEC)[1], "2:-1 9");
    let st = wait_for(5 * SEC, "restart after SIGKILL", || h.query("a").filter(|s| s.pid != 0 && s.pid as i32 != pid));
    assert_eq!(st.wstatus, 9, "raw wait status of the killed run");
}

#[test]
fn list_shows_the_raw_wait_status_of_the_last_exit() {
    let mut h = Harness::new();
    h.service("a", "if [ ! -e $T/second ]; then : > $T/second; exit 3; fi\nexec sleep 1000");
    h.start();
    wait_until(5 * SEC, "second run", || h.path("second").exists() && h.pid_of("a").is_some_and(|_| {
        h.list().first().is_some_and(|l| l.wstatus == 3 << 8)
    }));
}

#[test]
fn finish_is_killed_after_seven_seconds() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.script("a/finish", "echo $$ > $T/finish.pid\nexec sleep 1000");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["fast-stop", "a"]).code, 0);
    let fpid = h.wait_pid_file("finish.pid", 5 * SEC);
    assert!(alive(fpid));
    assert_eq!(h.state("a"), Some(State::Shutdown));
    h.wait_state("a", State::Down, 12 * SEC);
    let dt = t0.elapsed();
    assert!(dt >= secs(6.5) && dt < secs(10.0), "finish killed after {dt:?}");
    wait_until(2 * SEC, "finish process gone", || !alive(fpid));
}

#[test]
fn nitroctl_fast_stop_from_inside_finish_cancels_the_pending_restart() {
    let mut h = Harness::new();
    // (fast-stop returns at SHUTDOWN; `down` would wait for DOWN, which
    // comes only once this finish has ended.)
    h.service("a", "echo run >> $T/runs\nsleep 0.2\nexit 1");
    h.script("a/finish", "\"$NITROCTL\" fast-stop .\necho \"down=$?\" >> $T/finish");
    h.start();
    assert_eq!(h.wait_lines("finish", 1, 5 * SEC), ["down=0"]);
    h.wait_state("a", State::Down, 5 * SEC);
    assert!(never_within(secs(1.5), || h.read_lines("runs").len() > 1), "restarted: {:?}", h.read_lines("runs"));
    assert_eq!(h.state("a"), Some(State::Down));
}

#[test]
fn down_file_creates_the_service_down_and_up_starts_it() {
    let mut h = Harness::new();
    h.service("a", "echo run >> $T/runs\nexec sleep 1000");
    h.file("a/down", "");
    h.sleeper("b");
    h.start();
    h.wait_state("b", State::Starting, 5 * SEC);
    assert_eq!(h.state("a"), Some(State::Down));
    assert_eq!(h.read("runs"), "");
    let l = h.list();
    assert_eq!(l[0].state, "DOWN");
    assert_eq!(l[0].pid, None);
    let o = h.ctl(&["up", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    h.wait_lines("runs", 1, 5 * SEC);
    h.wait_state("a", State::Starting, 5 * SEC);
}

#[test]
fn down_signal_letter_picks_the_stop_signal_and_sigcont_follows() {
    let mut h = Harness::new();
    h.service(
        "a",
        "trap 'echo HUP >> $T/sig; h=1' HUP\ntrap 'echo CONT >> $T/sig; c=1' CONT\ntrap 'echo TERM >> $T/sig' TERM\n\
         : > $T/ready\nwhile [ -z \"$h\" ] || [ -z \"$c\" ]; do sleep 0.02; done\nexit 0",
    );
    h.file("a/down-signal", "hup\n");
    h.start();
    wait_until(5 * SEC, "run ready", || h.path("ready").exists());
    let o = h.ctl(&["stop", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    let sig = h.read_lines("sig");
    assert!(sig.contains(&"HUP".to_string()) && sig.contains(&"CONT".to_string()), "{sig:?}");
    assert!(!sig.contains(&"TERM".to_string()), "{sig:?}");
    assert_eq!(sig[0], "HUP");
}

#[test]
fn default_stop_signal_is_sigterm() {
    let mut h = Harness::new();
    h.service("a", "trap 'echo TERM >> $T/sig; exit 0' TERM\n: > $T/ready\nwhile :; do sleep 0.02; done");
    h.script("a/finish", "echo \"$*\" > $T/finish");
    h.start();
    wait_until(5 * SEC, "run ready", || h.path("ready").exists());
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["stop", "a"]).code, 0);
    assert!(t0.elapsed() < secs(3.0));
    assert_eq!(h.read_lines("sig"), ["TERM"]);
    assert_eq!(h.read("finish").trim(), "0 0");
}

#[test]
fn service_ignoring_sigterm_is_killed_after_seven_seconds() {
    let mut h = Harness::new();
    h.service("a", "trap '' TERM\nexec sleep 1000");
    h.script("a/finish", "echo \"$*\" > $T/finish");
    h.start();
    let pid = wait_for(5 * SEC, "run pid", || h.pid_of("a"));
    // Let the shell set its trap and exec sleep.
    wait_until(5 * SEC, "sleep exec'd", || {
        std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with("sleep"))
    });
    let t0 = Instant::now();
    let o = h.ctl(&["stop", "a"]);
    let dt = t0.elapsed();
    assert_eq!(o.code, 0, "{o:?}");
    assert!(dt >= secs(6.5) && dt < secs(10.0), "SIGKILL after {dt:?}");
    assert_eq!(h.read("finish").trim(), "-1 9");
    assert!(!alive(pid));
}

#[test]
fn notification_fd_3_stays_starting_until_a_newline_is_written() {
    let mut h = Harness::new();
    h.service("a", "while [ ! -e $T/go ]; do sleep 0.02; done\nprintf 'ready\\n' >&3\nexec sleep 1000");
    h.file("a/notification-fd", "3\n");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    // Past the 2 s that would make a service without notification-fd UP.
    assert!(never_within(secs(2.6), || h.state("a") != Some(State::Starting)), "left STARTING on its own: {:?}", h.state("a"));
    std::fs::write(h.path("go"), "").unwrap();
    let t0 = Instant::now();
    h.wait_state("a", State::Up, 3 * SEC);
    assert!(t0.elapsed() < secs(1.5));
}

/// The highest descriptor number a limit of 1024 allows works as the
/// readiness fd: nothing in the spawn path needs a number above it.
#[test]
fn notification_fd_1023_works_under_a_limit_of_1024_descriptors() {
    let mut h = Harness::new();
    h.wrapper = Some("ulimit -n 1024".into());
    // (the shell's redirections stop at fd 9: write through /proc)
    h.service("a", "printf 'ready\\n' > /proc/self/fd/1023\nexec sleep 1000");
    h.file("a/notification-fd", "1023\n");
    h.start();
    h.wait_state("a", State::Up, secs(1.5));
    assert_eq!(h.query("a").unwrap().wstatus, 0);
}

#[test]
fn notification_fd_0_stays_starting_until_nitroctl_ready() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/notification-fd", "0\n");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    assert!(never_within(secs(2.6), || h.state("a") != Some(State::Starting)));
    let o = h.ctl(&["ready", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    h.wait_state("a", State::Up, 2 * SEC);
}

#[test]
fn a_service_that_exits_at_once_restarts_about_once_a_second() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.service("a", "echo x >> $T/runs\nexit 1");
    h.start();
    h.wait_lines("runs", 1, 5 * SEC);
    std::thread::sleep(secs(3.5));
    let n = h.read_lines("runs").len();
    assert!((2..=5).contains(&n), "{n} runs in 3.5 s: not paced");
    assert!(sub.has(State::Delay, "a"), "DELAY notified: {:?}", sub.lines());
    // Between runs the service waits in DELAY.
    let st = h.wait_state("a", State::Delay, 3 * SEC);
    assert_eq!(st.wstatus, 1 << 8);
}

#[test]
fn a_service_that_ran_over_a_second_restarts_without_delay() {
    let mut h = Harness::new();
    h.service("a", "date +%s.%N >> $T/runs\nsleep 1.3\nexit 0");
    h.start();
    let l = h.wait_lines("runs", 2, 8 * SEC);
    let t: Vec<f64> = l.iter().map(|s| s.parse().unwrap()).collect();
    let gap = t[1] - t[0];
    assert!(gap > 1.2 && gap < 2.1, "second start {gap} s after the first");
}

#[test]
fn stop_of_a_service_in_delay_makes_it_down() {
    let mut h = Harness::new();
    h.service("a", "echo x >> $T/runs\nexit 1");
    h.start();
    h.wait_state("a", State::Delay, 5 * SEC);
    let o = h.ctl(&["stop", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(h.state("a"), Some(State::Down));
    let n = h.read_lines("runs").len();
    assert!(never_within(secs(1.5), || h.read_lines("runs").len() != n));
}

#[test]
fn stop_during_setup_kills_setup_and_never_runs() {
    let mut h = Harness::new();
    h.script("a/setup", "echo $$ > $T/setup.pid\nexec sleep 1000");
    h.service("a", ": > $T/ran\nexec sleep 1000");
    h.start();
    let sp = h.wait_pid_file("setup.pid", 5 * SEC);
    assert_eq!(h.state("a"), Some(State::Setup));
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["stop", "a"]).code, 0);
    assert!(t0.elapsed() < secs(3.0));
    assert_eq!(h.state("a"), Some(State::Down));
    assert!(!alive(sp));
    assert!(never_within(secs(1.2), || h.path("ran").exists()));
}

#[test]
fn up_while_stopping_restarts_the_service() {
    let mut h = Harness::new();
    h.service("a", "trap 'sleep 0.5; exit 0' TERM\necho run >> $T/runs\nwhile :; do sleep 0.02; done");
    h.start();
    // (The line comes after the trap is set.)
    h.wait_lines("runs", 1, 5 * SEC);
    h.ctl_ok(&["fast-stop", "a"]);
    assert_eq!(h.state("a"), Some(State::Shutdown));
    h.ctl_ok(&["up", "a"]);
    h.wait_lines("runs", 2, 5 * SEC);
    assert!(matches!(h.state("a"), Some(State::Starting | State::Up)));
}

#[test]
fn restart_of_a_oneshot_runs_finish_then_setup_again() {
    let mut h = Harness::new();
    h.script("o/setup", "echo setup >> $T/trace");
    h.script("o/finish", "echo finish >> $T/trace");
    h.start();
    h.wait_state("o", State::Oneshot, 5 * SEC);
    let o = h.ctl(&["restart", "o"]);
    assert_eq!(o.code, 0, "{o:?}");
    h.wait_state("o", State::Oneshot, 5 * SEC);
    assert_eq!(h.read_lines("trace"), ["setup", "finish", "setup"]);
}

#[test]
fn down_signal_k_kills_at_once() {
    let mut h = Harness::new();
    h.service("a", "trap '' TERM\nexec sleep 1000");
    h.file("a/down-signal", "k");
    h.script("a/finish", "echo \"$*\" > $T/finish");
    h.start();
    wait_for(5 * SEC, "a", || h.pid_of("a"));
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["stop", "a"]).code, 0);
    assert!(t0.elapsed() < secs(3.0));
    assert_eq!(h.read("finish").trim(), "-1 9");
}

// ---- nitro's exact behaviour (see ci/compat for the side-by-side) ---------

/// Starting a service whose directory was deleted makes it FATAL with
/// wstatus -1 (not a one-shot); `start` fails; a rescan drops it silently.
#[test]
fn a_service_whose_directory_is_gone_is_fatal_when_started_and_a_rescan_drops_it() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.sleeper("a");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    h.ctl_ok(&["down", "a"]);
    h.remove("a");
    assert_eq!(h.ctl(&["up", "a"]).code, 0);
    let st = h.wait_state("a", State::Fatal, 5 * SEC);
    assert_eq!((st.wstatus, st.pid), (-1, 0));
    let o = h.ctl(&["start", "a"]);
    assert_eq!((o.code, o.stderr.as_str()), (1, "nitroctl: failed to start 'a'\n"));
    // (The start's FATAL, then FATAL as the state after the request.)
    sub.wait_for_nth(State::Fatal, "a", 4, 5 * SEC);
    let before = sub.lines().len();
    h.ctl_ok(&["rescan"]);
    assert_eq!(h.state("a"), None);
    assert!(never_within(secs(0.3), || sub.lines().len() > before), "the removal was announced: {:?}", sub.lines());
    // The events of the `up`: the cycle's end (DOWN), FATAL, and FATAL as
    // the state after the request.
    let a = sub.states_of("a");
    let after_down = a.iter().rposition(|s| *s == "SHUTDOWN").unwrap();
    assert_eq!(&a[after_down..after_down + 5], ["SHUTDOWN", "DOWN", "DOWN", "FATAL", "FATAL"], "{a:?}");
}

/// The same for an instance whose template directory was deleted.
#[test]
fn an_instance_whose_template_is_gone_is_fatal_when_started() {
    let mut h = Harness::new();
    h.script("t@/run", "exec sleep 1000");
    h.start();
    h.ctl_ok(&["up", "t@x"]);
    h.wait_state("t@x", State::Starting, 5 * SEC);
    h.ctl_ok(&["down", "t@x"]);
    h.remove("t@");
    h.ctl_ok(&["up", "t@x"]);
    assert_eq!(h.wait_state("t@x", State::Fatal, 5 * SEC).wstatus, -1);
    h.ctl_ok(&["rescan"]);
    assert_eq!(h.state("t@x"), None);
}

/// A restart asked for less than a second after the start waits a second
/// in DELAY, like a crash; one after a longer run starts at once.
#[test]
fn a_restart_within_a_second_of_the_start_waits_a_second() {
    let mut h = Harness::new();
    h.service("a", "date +%s.%N >> $T/starts\nexec sleep 1000");
    h.start();
    h.wait_lines("starts", 1, 5 * SEC);
    let o = h.ctl(&["fast-restart", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    let l = h.wait_lines("starts", 2, 5 * SEC);
    let gap = l[1].parse::<f64>().unwrap() - l[0].parse::<f64>().unwrap();
    assert!(gap >= 0.95, "second start {gap:.3} s after the first");
    h.wait_state("a", State::Up, 5 * SEC);
    let t0 = Instant::now();
    h.ctl_ok(&["fast-restart", "a"]);
    h.wait_lines("starts", 3, 5 * SEC);
    assert!(t0.elapsed() < secs(0.9), "a restart after 2 s of run waited {:?}", t0.elapsed());
}

/// A one-shot taken down stays ONESHOT while its finish runs, then DOWN;
/// announced as ONESHOT (finish forked), ONESHOT (the request), DOWN.
#[test]
fn a_oneshot_taken_down_stays_oneshot_while_its_finish_runs() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.script("one/setup", "true");
    h.script("one/finish", "touch $T/finishing\nwhile [ ! -e $T/release ]; do sleep 0.02; done");
    h.start();
    h.wait_state("one", State::Oneshot, 5 * SEC);
    let mut down = h.ctl_background(&["down", "one"], "down.out");
    wait_until(5 * SEC, "finish running", || h.path("finishing").exists());
    assert_eq!(h.state("one"), Some(State::Oneshot));
    std::fs::write(h.path("release"), "").unwrap();
    assert_eq!(wait_for(5 * SEC, "down returned", || down.try_code()), 0);
    sub.wait_for(State::Down, "one", 5 * SEC);
    assert_eq!(sub.states_of("one"), ["SETUP", "ONESHOT", "ONESHOT", "ONESHOT", "DOWN"]);
}

/// A run that ends before it is UP stays STARTING while its finish runs
/// (announced as such), then, under a second, waits in DELAY.
#[test]
fn a_run_that_ends_before_up_stays_starting_through_its_finish() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.service("a", "if [ ! -e $T/once ]; then : > $T/once; exit 7; fi\nexec sleep 1000");
    h.script("a/finish", "echo \"$1 $2 $(\"$NITROCTL\" list a | cut -d' ' -f1)\" > $T/finish");
    h.start();
    assert_eq!(h.wait_lines("finish", 1, 5 * SEC), ["7 0 STARTING"]);
    sub.wait_for_nth(State::Starting, "a", 3, 5 * SEC);
    let a: Vec<&str> = sub.states_of("a").into_iter().filter(|s| *s != "DELAY").collect();
    assert_eq!(&a[..4], ["STARTING", "STARTING", "DOWN", "STARTING"], "{a:?}");
}

/// notification-fd as nitro reads it: empty means none (UP after 2 s);
/// every digit counts (" 3\n" is fd 3); no digit at all is 0 (`ready`).
#[test]
fn notification_fd_is_read_as_nitro_reads_it() {
    let mut h = Harness::new();
    h.sleeper("empty");
    h.file("empty/notification-fd", "");
    h.service("spaced", "echo >&3\nexec sleep 1000");
    h.file("spaced/notification-fd", " 3\n");
    h.sleeper("letters");
    h.file("letters/notification-fd", "none\n");
    h.start();
    h.wait_state("spaced", State::Up, secs(1.5));
    h.wait_state("empty", State::Up, 5 * SEC);
    assert_eq!(h.state("letters"), Some(State::Starting));
    h.ctl_ok(&["ready", "letters"]);
    h.wait_state("letters", State::Up, SEC);
}

/// The uptime base: a DELAY counts from when the run ended (0 s in the
/// 1 s wait); a FATAL from setup exit 111 from when setup started.
#[test]
fn uptime_counts_from_the_end_of_the_cycle_and_from_setup_for_fatal() {
    let mut h = Harness::new();
    h.service("sv", "sleep 0.9\nexit 1");
    h.script("f111/setup", "sleep 1.5\nexit 111");
    h.sleeper("f111");
    h.start();
    let st = h.wait_state("sv", State::Delay, 5 * SEC);
    assert_eq!(st.uptime, 0);
    h.wait_state("f111", State::Fatal, 5 * SEC);
    wait_until(3 * SEC, "f111 uptime 2 s", || h.query("f111").is_some_and(|s| s.uptime >= 2));
    assert!(h.query("f111").unwrap().uptime <= 3);
}

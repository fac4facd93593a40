//! nitroctl against the real supervisor: commands, output formats, waiting
//! semantics, exit codes, argument normalisation.

mod common;
use common::*;
use nitro::state::State;
use std::time::Instant;

/// a: running; b: one-shot; c: down; d: crash-looping is avoided.
fn three(h: &mut Harness) {
    h.sleeper("c");
    h.script("b/setup", "true");
    h.sleeper("a");
    h.file("a/down", "");
    h.start();
    h.wait_state("c", State::Starting, 5 * SEC);
    h.wait_state("b", State::Oneshot, 5 * SEC);
}

#[test]
fn list_prints_sorted_lines_in_nitros_format() {
    let mut h = Harness::new();
    three(&mut h);
    let pid = h.pid_of("c").unwrap();
    let o = h.ctl(&["list"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    let lines = o.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let re = |l: &str, prefix: &str| {
        let rest = l.strip_prefix(prefix).unwrap_or_else(|| panic!("{l:?} does not start with {prefix:?}"));
        let secs = rest.strip_suffix('s').unwrap();
        assert!(secs.parse::<u32>().unwrap() < 5, "{l:?}");
    };
    re(lines[0], "DOWN a (wstatus 0) ");
    re(lines[1], "ONESHOT b (wstatus 0) ");
    re(lines[2], &format!("STARTING c (pid {pid}) (wstatus 0) "));
    // No command means list; `l` too.
    assert_eq!(h.ctl(&[]).lines().len(), 3);
    assert_eq!(h.ctl(&["l"]).lines().len(), 3);
}

#[test]
fn list_uptime_counts_seconds_since_the_last_state_change() {
    let mut h = Harness::new();
    h.script("b/setup", "true");
    h.start();
    h.wait_state("b", State::Oneshot, 5 * SEC);
    std::thread::sleep(secs(2.2));
    let l = parse_list_line(h.ctl_ok(&["list", "b"]).trim());
    assert!(l.uptime >= 2 && l.uptime <= 4, "{l:?}");
}

#[test]
fn list_with_no_services_prints_nothing() {
    let mut h = Harness::new();
    h.start();
    let o = h.ctl(&["list"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
}

#[test]
fn list_of_named_services_queries_each() {
    let mut h = Harness::new();
    three(&mut h);
    let o = h.ctl(&["list", "c", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    let mut names: Vec<String> = o.lines().iter().map(|l| parse_list_line(l).name).collect();
    names.sort();
    assert_eq!(names, ["a", "c"]);
    let o = h.ctl(&["list", "a", "nope"]);
    assert_eq!(o.code, 111, "{o:?}");
    assert!(o.stderr.contains("nitroctl: no such service 'nope'"), "{o:?}");
    assert!(o.stdout.starts_with("DOWN a "), "{o:?}");
}

/// `up` answers at once; `down` waits for DOWN (as nitro's nitroctl does).
#[test]
fn up_answers_at_once_down_waits_for_down_and_unknown_services_are_111() {
    let mut h = Harness::new();
    // STARTING until `ready`, and SHUTDOWN until the test releases it.
    h.service("a", "trap 'while [ ! -e $T/release ]; do sleep 0.02; done; exit 0' TERM\ntouch $T/trap\nwhile :; do sleep 0.02; done");
    h.file("a/notification-fd", "0\n");
    h.file("a/down", "");
    h.start();
    let o = h.ctl(&["up", "a"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
    assert_eq!(h.state("a"), Some(State::Starting));
    wait_until(5 * SEC, "the trap set", || h.path("trap").exists());
    let mut down = h.ctl_background(&["d", "a"], "down.out");
    h.wait_state("a", State::Shutdown, 5 * SEC);
    assert!(never_within(secs(0.3), || down.try_code().is_some()), "down returned before DOWN");
    std::fs::write(h.path("release"), "").unwrap();
    assert_eq!(wait_for(5 * SEC, "down to return", || down.try_code()), 0);
    assert_eq!(h.state("a"), Some(State::Down));
    assert_eq!(h.ctl(&["u", "a"]).code, 0);
    h.wait_state("a", State::Starting, 5 * SEC);
    for cmd in ["up", "down", "start", "stop", "restart", "fast-start", "fast-stop", "fast-restart", "ready", "pidof", "check", "wait-up", "wait-down", "hup"] {
        let o = h.ctl(&[cmd, "nope"]);
        assert_eq!(o.code, 111, "{cmd}: {o:?}");
        assert!(o.stderr.contains("nitroctl: no such service 'nope'"), "{cmd}: {o:?}");
    }
}

#[test]
fn start_waits_for_up_and_fast_start_for_starting() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.sleeper("b");
    h.file("b/down", "");
    h.start();
    let t0 = Instant::now();
    let o = h.ctl(&["start", "a"]);
    let dt = t0.elapsed();
    assert_eq!(o.code, 0, "{o:?}");
    assert!(dt >= secs(1.5) && dt < secs(4.0), "start returned after {dt:?}");
    assert_eq!(h.state("a"), Some(State::Up));
    let t0 = Instant::now();
    let o = h.ctl(&["fast-start", "b"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(t0.elapsed() < secs(1.5));
    assert!(matches!(h.state("b"), Some(State::Starting | State::Up)));
    // start of something already up returns at once.
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["start", "a"]).code, 0);
    assert!(t0.elapsed() < secs(1.5));
}

#[test]
fn restart_gives_a_new_process_and_waits_for_up() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.sleeper("b");
    h.start();
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let pb = wait_for(5 * SEC, "b", || h.pid_of("b"));
    let t0 = Instant::now();
    let o = h.ctl(&["restart", "a"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(t0.elapsed() >= secs(1.5));
    assert_eq!(h.state("a"), Some(State::Up));
    assert_ne!(h.pid_of("a"), Some(pa));
    assert!(!alive(pa));
    let t0 = Instant::now();
    let o = h.ctl(&["r", "b"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(t0.elapsed() < secs(1.5));
    assert_ne!(h.pid_of("b"), Some(pb));
    // restart of a DOWN service starts it.
    h.ctl_ok(&["stop", "b"]);
    h.ctl_ok(&["fast-restart", "b"]);
    assert!(h.pid_of("b").is_some());
}

#[test]
fn start_and_restart_of_a_failing_service_exit_1() {
    let mut h = Harness::new();
    h.script("bad/setup", "exit 111");
    h.sleeper("bad");
    h.file("bad/down", "");
    h.start();
    for cmd in ["start", "fast-start", "restart", "fast-restart"] {
        let o = h.ctl(&[cmd, "bad"]);
        assert_eq!(o.code, 1, "{cmd}: {o:?}");
        let what = if cmd.contains("restart") { "restart" } else { "start" };
        assert_eq!(o.stderr, format!("nitroctl: failed to {what} 'bad'\n"), "{cmd}");
    }
}

#[test]
fn stop_waits_for_down_and_fast_stop_for_shutdown() {
    let mut h = Harness::new();
    h.service("slow", "trap 'sleep 1; exit 0' TERM\ntouch $T/slow.trap\nwhile :; do sleep 0.02; done");
    h.service("slow2", "trap 'sleep 1; exit 0' TERM\ntouch $T/slow2.trap\nwhile :; do sleep 0.02; done");
    h.start();
    wait_until(5 * SEC, "the traps set", || h.path("slow.trap").exists() && h.path("slow2.trap").exists());
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["stop", "slow"]).code, 0);
    assert!(t0.elapsed() >= secs(0.8), "stop returned after {:?}", t0.elapsed());
    assert_eq!(h.state("slow"), Some(State::Down));
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["fast-stop", "slow2"]).code, 0);
    assert!(t0.elapsed() < secs(0.8), "fast-stop returned after {:?}", t0.elapsed());
    assert_eq!(h.state("slow2"), Some(State::Shutdown));
    // stop of a DOWN service returns at once.
    let t0 = Instant::now();
    assert_eq!(h.ctl(&["stop", "slow"]).code, 0);
    assert!(t0.elapsed() < secs(1.0));
}

#[test]
fn pidof_prints_pids_in_argument_order_and_exits_1_without_pid() {
    let mut h = Harness::new();
    three(&mut h);
    h.sleeper("d");
    h.ctl_ok(&["up", "d"]);
    let pc = h.pid_of("c").unwrap();
    let pd = wait_for(5 * SEC, "d", || h.pid_of("d"));
    let o = h.ctl(&["pidof", "d", "c"]);
    assert_eq!((o.code, o.stdout.clone()), (0, format!("{pd}\n{pc}\n")), "{o:?}");
    let o = h.ctl(&["pidof", "c", "d"]);
    assert_eq!(o.stdout, format!("{pc}\n{pd}\n"));
    let o = h.ctl(&["pidof", "a"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""), "{o:?}");
    let o = h.ctl(&["pidof", "b"]);
    assert_eq!(o.code, 1, "one-shot has no pid: {o:?}");
    let o = h.ctl(&["pidof", "c", "a"]);
    assert_eq!((o.code, o.stdout.clone()), (1, format!("{pc}\n")));
}

#[test]
fn check_prints_nothing_and_exits_1_without_pid() {
    let mut h = Harness::new();
    three(&mut h);
    let o = h.ctl(&["check", "c"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
    let o = h.ctl(&["check", "a"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    assert_eq!(h.ctl(&["check", "c", "a"]).code, 1);
}

#[test]
fn info_prints_the_five_counters() {
    let mut h = Harness::new();
    three(&mut h);
    let o = h.ctl(&["info"]);
    assert_eq!(o.code, 0, "{o:?}");
    let keys: Vec<&str> = o.lines().iter().map(|l| l.split_once(' ').unwrap().0).collect();
    assert_eq!(keys, ["nitro_pid", "pid", "max_service", "total_reaps", "total_sv_reaps"]);
    let val = |k: &str| -> i64 { o.lines().iter().find(|l| l.starts_with(&format!("{k} "))).unwrap().split_once(' ').unwrap().1.parse().unwrap() };
    assert_eq!(val("nitro_pid"), h.nitro_pid() as i64);
    assert_eq!(val("pid"), h.nitro_pid() as i64);
    assert_eq!(val("max_service"), 3);
    // b's setup was reaped.
    assert!(val("total_sv_reaps") >= 1);
    assert!(val("total_reaps") >= val("total_sv_reaps"));
}

#[test]
fn events_prints_state_changes_until_interrupted() {
    let mut h = Harness::new();
    h.sleeper("x");
    h.file("x/down", "");
    h.start();
    let mut ev = h.ctl_background(&["events"], "events.out");
    // Wait until its notify socket is bound.
    let notify = h.sock.parent().unwrap().join("notify");
    wait_until(5 * SEC, "events subscribed", || {
        std::fs::read_dir(&notify).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with("ALL,"))
    });
    h.ctl_ok(&["up", "x"]);
    wait_until(5 * SEC, "UP x in events", || h.read_lines("events.out").contains(&"UP x".to_string()));
    h.ctl_ok(&["stop", "x"]);
    wait_until(5 * SEC, "DOWN x in events", || h.read_lines("events.out").contains(&"DOWN x".to_string()));
    let code = ev.interrupt();
    let lines = h.read_lines("events.out");
    // (STARTING twice: when run is forked, and as the state after `up`,
    // as nitro announces it.)
    let want = ["STARTING x", "STARTING x", "UP x", "SHUTDOWN x", "DOWN x"];
    let got: Vec<&str> = lines.iter().map(String::as_str).filter(|l| want.contains(l)).collect();
    assert_eq!(got, want, "{lines:?}");
    assert_eq!(code, Some(130), "exit code after SIGINT");
    // Its socket file is gone.
    assert!(!std::fs::read_dir(&notify).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with("ALL,")));
}

#[test]
fn wait_up_and_wait_down_wait_for_the_state() {
    let mut h = Harness::new();
    h.sleeper("x");
    h.file("x/down", "");
    h.start();
    let notify = h.sock.parent().unwrap().join("notify");
    let subscribed = |w: &Background| {
        let prefix = format!("x,{}_", w.pid());
        std::fs::read_dir(&notify).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with(&prefix))
    };
    let mut w = h.ctl_background(&["wait-up", "x"], "wait-up.out");
    wait_until(5 * SEC, "wait-up listening", || subscribed(&w));
    h.ctl_ok(&["up", "x"]);
    let t0 = Instant::now();
    let code = wait_for(6 * SEC, "wait-up exits", || w.try_code());
    assert_eq!(code, 0);
    assert!(t0.elapsed() >= secs(1.2), "wait-up returned before UP");
    assert_eq!(h.state("x"), Some(State::Up));
    // Already up: at once.
    assert_eq!(h.ctl(&["wait-up", "x"]).code, 0);
    let mut w = h.ctl_background(&["wait-down", "x"], "wait-down.out");
    wait_until(5 * SEC, "wait-down listening", || subscribed(&w));
    assert!(never_within(secs(0.3), || w.try_code().is_some()), "wait-down returned while x is up");
    h.ctl_ok(&["down", "x"]);
    assert_eq!(wait_for(5 * SEC, "wait-down exits", || w.try_code()), 0);
    assert_eq!(h.ctl(&["wait-down", "x"]).code, 0);
}

#[test]
fn signal_commands_deliver_signals_to_the_service() {
    let mut h = Harness::new();
    h.service(
        "x",
        "for s in HUP USR1 USR2 ALRM INT QUIT; do trap \"echo $s >> \\$T/sig\" $s; done\n\
         : > $T/ready\nwhile :; do sleep 0.02; done",
    );
    h.sleeper("down");
    h.file("down/down", "");
    h.start();
    wait_until(5 * SEC, "x ready", || h.path("ready").exists());
    let want = [("hup", "HUP"), ("1", "USR1"), ("2", "USR2"), ("a", "ALRM"), ("interrupt", "INT"), ("q", "QUIT"), ("h", "HUP")];
    for (i, (cmd, sig)) in want.iter().enumerate() {
        let o = h.ctl(&[cmd, "x"]);
        assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""), "{cmd}");
        let l = h.wait_lines("sig", i + 1, 5 * SEC);
        assert_eq!(l[i], *sig, "{cmd}");
    }
    // A service without a process: ESRCH.
    let o = h.ctl(&["hup", "down"]);
    assert_eq!(o.code, 111, "{o:?}");
    let o = h.ctl(&["hup", "nope"]);
    assert_eq!(o.code, 111, "{o:?}");
    assert!(o.stderr.contains("no such service 'nope'"), "{o:?}");
    // pause/cont: the process stops and continues.
    let pid = h.pid_of("x").unwrap();
    h.ctl_ok(&["pause", "x"]);
    wait_until(5 * SEC, "stopped", || proc_state(pid) == Some('T'));
    h.ctl_ok(&["c", "x"]);
    wait_until(5 * SEC, "continued", || proc_state(pid) != Some('T'));
    h.ctl_ok(&["kill", "x"]);
    wait_until(5 * SEC, "killed", || !alive(pid));
}

fn proc_state(pid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s.rsplit_once(')')?.1.trim_start().chars().next()
}

#[test]
fn timeout_option_gives_up_with_exit_3() {
    let mut h = Harness::new();
    h.sleeper("x");
    h.file("x/notification-fd", "0");
    h.file("x/down", "");
    h.start();
    let t0 = Instant::now();
    let o = h.ctl(&["-t", "0.5", "start", "x"]);
    let dt = t0.elapsed();
    assert_eq!(o.code, 3, "{o:?}");
    assert_eq!(o.stderr, "nitroctl: action timed out\n");
    assert!(dt >= secs(0.4) && dt < secs(2.0), "{dt:?}");
    assert_eq!(h.state("x"), Some(State::Starting));
    // -t also bounds wait-up.
    let o = h.ctl(&["-t", "0.3", "wait-up", "x"]);
    assert_eq!(o.code, 3, "{o:?}");
    h.ctl_ok(&["ready", "x"]);
    assert_eq!(h.ctl(&["-t", "1", "wait-up", "x"]).code, 0);
}

#[test]
fn service_arguments_that_are_paths_become_their_basename() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.sleeper("b");
    h.start();
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let want = format!("{pa}\n");
    let o = h.ctl_in(&h.sv("a"), &["pidof", "."]);
    assert_eq!((o.code, o.stdout.as_str()), (0, want.as_str()), "{o:?}");
    let abs = format!("{}/a/.", h.svdir.display());
    assert_eq!(h.ctl(&["pidof", &abs]).stdout, want);
    let abs = format!("{}/a/", h.svdir.display());
    assert_eq!(h.ctl(&["pidof", &abs]).stdout, want);
    let o = h.ctl_in(&h.sv("b"), &["pidof", "../a"]);
    assert_eq!(o.stdout, want, "{o:?}");
    // A plain name is used as is, wherever we are.
    assert_eq!(h.ctl_in(&h.sv("b"), &["pidof", "a"]).stdout, want);
    // A missing path with a slash is an error, before anything is sent.
    let o = h.ctl(&["pidof", "/nonexistent/dir/a"]);
    assert_eq!(o.code, 111, "{o:?}");
    assert!(!o.stderr.is_empty());
    let o = h.ctl_in(&h.sv("b"), &["down", "../nope"]);
    assert_eq!(o.code, 111, "{o:?}");
    assert!(h.pid_of("b").is_some());
}

#[test]
fn several_services_at_once_highest_exit_code_wins() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.sleeper("b");
    h.file("b/down", "");
    h.script("bad/setup", "exit 111");
    h.file("bad/down", "");
    h.start();
    let o = h.ctl(&["fast-start", "a", "b"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(h.pid_of("a").is_some() && h.pid_of("b").is_some());
    let o = h.ctl(&["fast-restart", "a", "bad", "b"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("failed to restart 'bad'"));
    let o = h.ctl(&["fast-start", "bad", "nope", "a"]);
    assert_eq!(o.code, 111, "{o:?}");
    let o = h.ctl(&["stop", "a", "b"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!((h.state("a"), h.state("b")), (Some(State::Down), Some(State::Down)));
}

#[test]
fn many_services_in_one_command() {
    let mut h = Harness::new();
    let names: Vec<String> = (0..40).map(|i| format!("s{i:02}")).collect();
    for n in &names {
        h.script(&format!("{n}/setup"), "true");
        h.file(&format!("{n}/down"), "");
    }
    h.start();
    let mut args = vec!["start"];
    args.extend(names.iter().map(String::as_str));
    let o = h.ctl(&args);
    assert_eq!(o.code, 0, "{o:?}");
    for n in &names {
        assert_eq!(h.state(n), Some(State::Oneshot), "{n}");
    }
    let mut args = vec!["list"];
    args.extend(names.iter().map(String::as_str));
    assert_eq!(h.ctl_ok(&args).lines().count(), 40);
}

#[test]
fn names_over_63_bytes_are_refused_with_111() {
    let mut h = Harness::new();
    let n63 = "n".repeat(63);
    h.sleeper(&n63);
    h.start();
    h.wait_state(&n63, State::Starting, 5 * SEC);
    let o = h.ctl(&["pidof", &n63]);
    assert_eq!(o.code, 0, "{o:?}");
    let n64 = "n".repeat(64);
    for cmd in ["up", "pidof", "list", "down"] {
        let o = h.ctl(&[cmd, &n64]);
        assert_eq!(o.code, 111, "{cmd}: {o:?}");
        assert!(!o.stderr.is_empty());
    }
}

#[test]
fn bad_usage_exits_2() {
    let mut h = Harness::new();
    h.start();
    for args in [&["frobnicate"][..], &["up"], &["-t"], &["-t", "x", "list"], &["-x", "list"], &["pidof"]] {
        let o = h.ctl(args);
        assert_eq!(o.code, 2, "{args:?}: {o:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
        assert_eq!(o.stdout, "", "{args:?}");
    }
}

#[test]
fn verbose_up_shows_the_resulting_state() {
    let mut h = Harness::new();
    h.sleeper("x");
    h.file("x/down", "");
    h.start();
    let o = h.ctl(&["-v", "up", "x"]);
    assert_eq!(o.code, 0, "{o:?}");
    // A state line of x (nitroctl stops at the first notification, which
    // may be the intermediate SETUP rather than the resulting STARTING).
    let l = o.lines();
    assert!(!l.is_empty() && l.iter().all(|l| l.ends_with(" x")), "{o:?}");
}

/// The announcements of a restart, as `-v` shows them (nitro's points:
/// the request's state, the cycle's end, the new run, UP); `-v start` of a
/// new instance shows STARTING twice (the fork, then the request's state).
#[test]
fn verbose_restart_and_start_show_nitros_sequence() {
    let mut h = Harness::new();
    h.script("t@/run", "exec sleep 1000");
    h.start();
    let o = h.ctl(&["-v", "start", "t@x"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "STARTING t@x\nSTARTING t@x\nUP t@x\n"));
    let o = h.ctl(&["-v", "restart", "t@x"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "RESTART t@x\nDOWN t@x\nSTARTING t@x\nUP t@x\n"));
}

/// A service killed by a signal restarts through DOWN (the end of its
/// cycle); a crash loop announces STARTING and DOWN (and DELAY, ours).
#[test]
fn a_signalled_or_crashing_service_restarts_through_down() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.sleeper("a");
    h.service("crash", "n=$(cat $T/n 2>/dev/null || echo 0); echo $((n + 1)) > $T/n\n[ $n -ge 2 ] || exit 3\nexec sleep 1000");
    h.start();
    h.wait_state("a", State::Up, 5 * SEC);
    h.ctl_ok(&["hup", "a"]);
    sub.wait_for_nth(State::Starting, "a", 2, 5 * SEC);
    // (RESTART is announced only when a finish script is forked.)
    assert_eq!(sub.states_of("a"), ["STARTING", "UP", "DOWN", "STARTING"]);
    h.wait_state("crash", State::Up, 10 * SEC);
    assert_eq!(
        sub.states_of("crash"),
        ["STARTING", "DOWN", "DELAY", "STARTING", "DOWN", "DELAY", "STARTING", "UP"]
    );
}

/// `--help`, `-h` and `help` list every command, the options, the socket
/// and the exit codes on stdout, exit 0; `-V`/`--version` the version.
#[test]
fn help_lists_every_command_the_socket_and_the_exit_codes() {
    let h = Harness::new();
    for flag in ["--help", "-h", "help"] {
        let o = h.ctl(&[flag]);
        assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{flag}");
        for word in [
            "list", "up", "down", "start", "stop", "restart", "fast-start", "fast-stop", "fast-restart", "ready",
            "wait-up", "wait-down", "wait-starting", "pidof", "check", "info", "events", "rescan", "Shutdown",
            "Reboot", "pause", "cont", "hup", "alarm", "interrupt", "quit", "term", "kill", "-t SECS", "-v",
        ] {
            assert!(o.stdout.contains(word), "{flag}: no {word} in\n{}", o.stdout);
        }
        let sock = format!("socket: {}", h.sock.display());
        assert!(o.stdout.contains(&sock), "{flag}: no {sock} in\n{}", o.stdout);
        assert!(o.stdout.contains("111") && o.stdout.contains("130"), "{}", o.stdout);
    }
    for flag in ["-V", "--version"] {
        let o = h.ctl(&[flag]);
        assert_eq!(o.code, 0);
        assert!(o.stdout.starts_with("nitroctl (nitro-rs) "), "{}", o.stdout);
    }
}

/// Without a supervisor at the socket, nitroctl says so, names the socket
/// and the variable, and exits as nitro's does (111 before sending, 4 when
/// the send fails).
#[test]
fn without_a_supervisor_nitroctl_names_the_socket_it_tried() {
    let h = Harness::new();
    let o = h.ctl(&["list"]);
    let want = format!("nitroctl: no supervisor listening at {} (is nitro running? NITRO_SOCK names another socket)\n", h.sock.display());
    assert_eq!((o.code, o.stderr.as_str()), (111, want.as_str()));
    // A notify directory left behind, no socket: the send fails.
    std::fs::create_dir_all(h.sock.with_file_name("notify")).unwrap();
    for args in [&["list"][..], &["up", "a"]] {
        let o = h.ctl(args);
        assert_eq!((o.code, o.stderr.as_str()), (4, want.as_str()), "{args:?}");
    }
}

/// Root reaches a supervisor run by another user: the supervisor must be
/// able to answer into root's reply socket (it once could not, and
/// `nitroctl list` hung for ever). Commands that wait for notifications
/// (down, start) finish too.
#[test]
#[ignore = "needs root (CI runs it)"]
fn root_reaches_another_users_supervisor() {
    use std::os::unix::fs::chown;
    let mut h = Harness::new();
    h.sleeper("a");
    // The supervisor runs as nobody, from a copy of nitro nobody can reach
    // (the build tree may sit in root's home).
    let nitro = h.path("nitro");
    std::fs::copy(nitro_bin(), &nitro).unwrap();
    for e in walk(&h.root) {
        chown(&e, Some(65534), Some(65534)).unwrap();
    }
    h.wrapper = Some(format!("exec setpriv --reuid=65534 --regid=65534 --clear-groups {} \"$@\"", nitro.display()));
    h.start();
    // (Through nitroctl: the harness's own raw socket is root's too.)
    wait_until(10 * SEC, "a UP in nitroctl list", || {
        let o = h.ctl_full(&h.root, &["list"], 10 * SEC);
        assert_eq!((o.code, o.stderr.as_str()), (0, ""));
        o.stdout.starts_with("UP a (pid ")
    });
    let o = h.ctl_full(&h.root, &["down", "a"], 10 * SEC);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
    let o = h.ctl_full(&h.root, &["start", "a"], 10 * SEC);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""));
}

/// The control socket's mode keeps other users out; its credentials check
/// keeps them out even when someone loosens the mode: a request from
/// another user (not root) is refused (ENOSYS: "not implemented"), and
/// nothing happens.
#[test]
#[ignore = "needs root (CI runs it)"]
fn another_user_is_refused_even_through_a_loosened_socket() {
    use std::os::unix::fs::PermissionsExt;
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.start();
    // (The socket and its directory, which nitro makes 0700.)
    std::fs::set_permissions(h.sock.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&h.sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    // A nitroctl nobody can run (the build tree may sit in root's home).
    let ctl = h.path("nitroctl");
    std::fs::copy(nitroctl_bin(), &ctl).unwrap();
    let o = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&ctl)
        .args(["up", "a"])
        .env("NITRO_SOCK", &h.sock)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("setpriv (util-linux)");
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stderr).as_ref()),
        (Some(111), "nitroctl: command not implemented in server\n")
    );
    // Root's own request still works, and `a` was never started.
    let o = h.ctl(&["list", "a"]);
    assert_eq!((o.code, o.stdout.split(' ').next()), (0, Some("DOWN")), "{}", o.stderr);
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![p.to_path_buf()];
    if p.is_dir() && !p.is_symlink() {
        for e in std::fs::read_dir(p).unwrap() {
            all.extend(walk(&e.unwrap().path()));
        }
    }
    all
}

/// A supervisor that takes a request but never answers (here: stopped)
/// does not hold nitroctl for ever: without -t it gives up after 10 s,
/// saying so, with 111.
#[test]
fn a_supervisor_that_never_answers_is_given_up_after_10_s() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    h.wait_state("a", State::Up, 10 * SEC);
    assert!(kill(h.nitro_pid(), rustix::process::Signal::STOP));
    let t = Instant::now();
    let o = h.ctl_full(&h.root, &["down", "a"], 30 * SEC);
    let took = t.elapsed();
    assert!(kill(h.nitro_pid(), rustix::process::Signal::CONT));
    let want = format!("nitroctl: no answer from the supervisor at {} in 10 s\n", h.sock.display());
    assert_eq!((o.code, o.stderr.as_str()), (111, want.as_str()));
    assert!(took >= 10 * SEC && took < 15 * SEC, "{took:?}");
    // Answered once, a wait has no bound but -t.
    h.ctl_ok(&["down", "a"]);
}

/// Reply sockets left by a nitroctl that was killed (NAME,PID_N of a pid
/// that is gone) are removed by the next nitroctl; a live client's stay.
#[test]
fn stale_reply_sockets_of_killed_clients_are_removed() {
    use std::os::unix::net::UnixDatagram;
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    h.wait_state("a", State::Up, 10 * SEC);
    let notify = h.sock.with_file_name("notify");
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    let gone = dead.id();
    dead.wait().unwrap();
    let stale = [notify.join(format!("a,{gone}_0")), notify.join(format!("ALL,{gone}_3"))];
    let _keep: Vec<UnixDatagram> = stale.iter().map(|p| UnixDatagram::bind(p).unwrap()).collect();
    let live = notify.join(format!("a,{}_0", std::process::id()));
    let _live = UnixDatagram::bind(&live).unwrap();
    assert!(stale.iter().all(|p| p.exists()));
    h.ctl_ok(&["list"]);
    assert!(stale.iter().all(|p| !p.exists()), "stale sockets remain");
    assert!(live.exists(), "a live client's socket was removed");
}

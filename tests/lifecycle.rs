//! The supervisor's own life: SYS/setup, SYS/finish, shutdown by signal and
//! by nitroctl, reboot (re-exec), orphans, the socket file.

mod common;
use common::*;
use nitro::state::State;
use std::time::Instant;

#[test]
fn sys_setup_runs_before_any_service_and_nitroctl_works_inside_it() {
    let mut h = Harness::new();
    h.precreate_notify();
    let sub = h.subscribe();
    h.script(
        "SYS/setup",
        "\"$NITROCTL\" list > $T/list-in-setup\n\
         \"$NITROCTL\" up first; echo \"up=$?\" >> $T/trace\n\
         \"$NITROCTL\" down kept-down; echo \"down=$?\" >> $T/trace\n\
         while [ ! -e $T/first-ran ]; do sleep 0.02; done\n\
         sleep 0.3\necho setup-done >> $T/trace",
    );
    h.service("first", ": > $T/first-ran\nexec sleep 1000");
    h.file("first/down", "");
    h.service("a", "echo a-run >> $T/trace\nexec sleep 1000");
    h.service("kept-down", "echo kept-down-run >> $T/trace\nexec sleep 1000");
    h.start();
    h.wait_state("a", State::Starting, 10 * SEC);
    let trace = h.wait_lines("trace", 4, 5 * SEC);
    assert_eq!(trace, ["up=0", "down=0", "setup-done", "a-run"]);
    // Services were not even in the table while SYS/setup ran; SYS was
    // (as in nitro: an entry of its own, SETUP while its setup runs).
    assert_eq!(h.read("list-in-setup"), "SETUP SYS (wstatus 0) 0s\n");
    assert!(matches!(h.state("first"), Some(State::Starting | State::Up)));
    // A service taken down by SYS/setup stays down after the scan.
    assert_eq!(h.state("kept-down"), Some(State::Down));
    // SYS shows in the notifications as SETUP, then (no SYS/run: a one-shot)
    // ONESHOT, then DOWN; then the scan starts the services.
    sub.wait_for(State::Down, "SYS", 5 * SEC);
    assert_eq!(sub.states_of("SYS"), ["SETUP", "ONESHOT", "DOWN"]);
    let sys_down = sub.wait_for(State::Down, "SYS", SEC);
    let a_start = sub.wait_for(State::Starting, "a", SEC);
    assert!(a_start >= sys_down);
    // Once SYS/setup is over, SYS is gone from the list.
    assert!(h.list().iter().all(|l| l.name != "SYS"));
}

#[test]
fn sys_finish_runs_first_at_shutdown_with_0_0_shutdown() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.script("SYS/finish", "echo \"$*\" > $T/finish-args\n\"$NITROCTL\" list > $T/list-in-finish");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert_eq!(h.read("finish-args").trim(), "0 0 shutdown");
    // SYS is listed as a one-shot while its finish runs; the services are
    // still up.
    let l = h.read_lines("list-in-finish");
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(l[0], "ONESHOT SYS (wstatus 0) 0s");
    let l = parse_list_line(&l[1]);
    assert!(l.state == "STARTING" || l.state == "UP", "services still up while SYS/finish runs: {l:?}");
}

#[test]
fn sigterm_stops_all_services_removes_the_socket_and_exits_0() {
    let mut h = Harness::new();
    h.service("a", "trap 'echo a >> $T/stopped; exit 0' TERM\ntouch $T/a.trap\nwhile :; do sleep 0.02; done");
    h.service("b", "trap 'echo b >> $T/stopped; exit 0' TERM\ntouch $T/b.trap\nwhile :; do sleep 0.02; done");
    h.script("c/setup", "true");
    h.script("c/finish", "echo c >> $T/stopped");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    h.wait_state("b", State::Starting, 5 * SEC);
    h.wait_state("c", State::Oneshot, 5 * SEC);
    wait_until(5 * SEC, "the traps set", || h.path("a.trap").exists() && h.path("b.trap").exists());
    let t0 = Instant::now();
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0), "stderr:\n{}", h.stderr());
    assert!(t0.elapsed() < secs(5.0), "shutdown took {:?}", t0.elapsed());
    let mut s = h.read_lines("stopped");
    s.sort();
    assert_eq!(s, ["a", "b", "c"]);
    assert!(!h.sock.exists(), "socket file left behind");
    assert!(h.tagged_pids().is_empty(), "processes left: {:?}", h.tagged_pids());
}

#[test]
fn nitroctl_shutdown_stops_everything_and_nitro_exits_0() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.sleeper("b");
    h.start();
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let pb = wait_for(5 * SEC, "b", || h.pid_of("b"));
    let o = h.ctl(&["Shutdown"]);
    assert_eq!(o.code, 0, "{o:?}");
    let st = h.wait_exit(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(!alive(pa) && !alive(pb));
    assert!(!h.sock.exists());
    // nitroctl against a stopped nitro: send failed (4).
    let o = h.ctl(&["list"]);
    assert_eq!(o.code, 4, "{o:?}");
}

#[test]
fn nitro_stops_services_in_setup_and_finish_at_shutdown() {
    let mut h = Harness::new();
    h.script("a/setup", "echo $$ > $T/setup.pid\nexec sleep 1000");
    h.service("a", "exec sleep 1000");
    h.service("b", "exit 1");
    h.script("b/finish", "echo $$ > $T/finish.pid\nexec sleep 1000");
    h.start();
    let sp = h.wait_pid_file("setup.pid", 5 * SEC);
    let fp = h.wait_pid_file("finish.pid", 5 * SEC);
    let t0 = Instant::now();
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(!alive(sp) && !alive(fp));
    // finish is given its 7 s, not more.
    assert!(t0.elapsed() < secs(10.0), "{:?}", t0.elapsed());
}

#[test]
fn sys_setup_still_running_is_stopped_at_shutdown() {
    let mut h = Harness::new();
    h.script("SYS/setup", "echo $$ > $T/setup.pid\nexec sleep 1000");
    h.sleeper("a");
    h.start();
    let sp = h.wait_pid_file("setup.pid", 5 * SEC);
    assert_eq!(h.state("a"), None, "services wait for SYS/setup");
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(!alive(sp), "SYS/setup outlived nitro");
    assert!(h.tagged_pids().is_empty(), "{:?}", h.tagged_pids());
}

#[test]
fn orphans_of_services_are_reaped_and_killed_at_shutdown() {
    let mut h = Harness::new();
    // Double fork: the inner sleep is re-parented to nitro (subreaper).
    h.service("a", "sh -c 'sleep 1000 & echo $! > $T/orphan.pid'\nexec sleep 1000");
    h.start();
    let orphan = h.wait_pid_file("orphan.pid", 5 * SEC);
    wait_until(5 * SEC, "orphan re-parented to nitro", || ppid(orphan) == Some(h.nitro_pid()));
    let info = h.ctl_ok(&["info"]);
    assert!(info.contains("total_reaps"), "{info}");
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(!alive(orphan), "orphan survived nitro");
    assert!(h.tagged_pids().is_empty(), "processes left: {:?}", h.tagged_pids());
}

#[test]
fn orphan_ignoring_sigterm_is_killed_at_shutdown() {
    let mut h = Harness::new();
    h.service("a", "sh -c 'trap \"\" TERM; exec sleep 1000' &\necho $! > $T/orphan.pid\nexit 0");
    h.file("a/down", "");
    h.start();
    h.ctl_ok(&["up", "a"]);
    let orphan = h.wait_pid_file("orphan.pid", 5 * SEC);
    h.ctl_ok(&["down", "a"]);
    wait_until(5 * SEC, "orphan re-parented to nitro", || ppid(orphan) == Some(h.nitro_pid()));
    // Its trap is set once it has exec'd sleep (SIG_IGN survives exec).
    wait_until(5 * SEC, "orphan exec'd sleep", || {
        std::fs::read(format!("/proc/{orphan}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep"))
    });
    let t0 = Instant::now();
    let st = h.shutdown(25 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(t0.elapsed() >= secs(6.0), "SIGKILL only after the SIGTERM grace: {:?}", t0.elapsed());
    assert!(!alive(orphan));
}

#[test]
fn reaped_orphans_are_counted_in_total_reaps() {
    let mut h = Harness::new();
    h.service("a", "sh -c 'sleep 0.1 & echo $! > $T/orphan.pid'\nexec sleep 1000");
    h.start();
    let orphan = h.wait_pid_file("orphan.pid", 5 * SEC);
    wait_until(5 * SEC, "orphan exited and reaped", || !std::path::Path::new(&format!("/proc/{orphan}")).exists());
    let info = h.ctl_ok(&["info"]);
    let get = |k: &str| -> u64 {
        info.lines().find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix(' ')).map(|v| v.parse().unwrap())).unwrap()
    };
    assert!(get("total_reaps") > get("total_sv_reaps"), "{info}");
}

#[test]
fn nitroctl_reboot_re_execs_nitro_and_boots_again() {
    let mut h = Harness::new();
    h.service("a", "echo $$ >> $T/a.pids\nexec sleep 1000");
    h.script("SYS/finish", "echo \"$*\" >> $T/finish-args");
    h.start();
    let nitro = h.nitro_pid();
    let p1 = wait_for(5 * SEC, "a running", || h.pid_of("a"));
    let o = h.ctl(&["Reboot"]);
    assert_eq!(o.code, 0, "{o:?}");
    wait_until(15 * SEC, "a restarted with a new pid", || h.pid_of("a").is_some_and(|p| p != p1 as i32));
    assert!(!alive(p1));
    assert_eq!(h.try_exit(), None, "nitro must not exit on Reboot");
    let info = h.ctl_ok(&["info"]);
    assert!(info.starts_with(&format!("nitro_pid {nitro}\n")), "{info}");
    assert_eq!(h.read("finish-args").trim(), "0 0 reboot");
    assert_eq!(h.stderr().lines().filter(|l| *l == "- nitro: booting").count(), 2, "{}", h.stderr());
    assert_eq!(h.read_lines("a.pids").len(), 2);
}

#[test]
fn a_second_nitro_on_the_same_socket_refuses_to_start() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    let out = std::process::Command::new(nitro_bin())
        .arg(&h.svdir)
        .env("NITRO_SOCK", &h.sock)
        .env("NITRO_TEST_TAG", &h.tag)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(111), "{out:?}");
    // The first one is unharmed.
    assert!(h.sock.exists());
    h.wait_state("a", State::Starting, 5 * SEC);
}

#[test]
fn a_stale_socket_file_is_replaced() {
    let mut h = Harness::new();
    h.sleeper("a");
    std::fs::create_dir_all(h.sock.parent().unwrap()).unwrap();
    drop(std::os::unix::net::UnixDatagram::bind(&h.sock).unwrap());
    assert!(h.sock.exists());
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
}

#[test]
fn socket_directory_and_notify_directory_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let mut h = Harness::new();
    h.start();
    let dir = h.sock.parent().unwrap();
    assert_eq!(std::fs::metadata(dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(dir.join("notify")).unwrap().permissions().mode() & 0o777, 0o700);
    // Created under umask 077: no access for group or others.
    assert_eq!(std::fs::metadata(&h.sock).unwrap().permissions().mode() & 0o077, 0);
}

#[test]
fn services_do_not_inherit_descriptors_of_nitros_parent() {
    let mut h = Harness::new();
    // nitro inherits fds 7 and 8 without close-on-exec.
    h.wrapper = Some("exec 7</dev/null 8>>$T/leak".into());
    h.sleeper("a");
    h.start();
    let pid = wait_for(5 * SEC, "a", || h.pid_of("a"));
    wait_until(5 * SEC, "sleep exec'd", || {
        std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with("sleep"))
    });
    let mut fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    fds.sort();
    assert_eq!(fds, ["0", "1", "2"], "descriptors in run");
}

/// An environment of 200 entries without PATH reaches the services whole,
/// with a default PATH added (not cut at some capacity).
#[test]
fn two_hundred_environment_entries_reach_the_services_with_path_added() {
    let mut h = Harness::new();
    let vars: String = (0..200).map(|i| format!("export V{i}=value{i}\n")).collect();
    h.wrapper = Some(format!("unset PATH\n{vars}"));
    h.service("a", "env > $T/env\nexec sleep 1000");
    h.start();
    let env = h.wait_lines("env", 200, 5 * SEC).join("\n");
    for i in 0..200 {
        assert!(env.contains(&format!("V{i}=value{i}")), "V{i} missing");
    }
    assert!(env.contains("NITRO_SOCK="), "NITRO_SOCK missing");
    assert!(env.contains("PATH=/usr/local/sbin:"), "no default PATH: {env}");
}

/// A NITRO_SOCK too long for a socket path is an error naming the
/// variable, whatever its length: never a silent fall back to the system's
/// socket.
#[test]
fn a_nitro_sock_too_long_is_an_error_naming_it() {
    for len in [120, 300] {
        let mut h = Harness::new();
        h.sleeper("a");
        let sock = format!("{}/{}", h.root.display(), "s".repeat(len));
        h.env("NITRO_SOCK", &sock);
        h.spawn_nitro(&[h.svdir.to_str().unwrap().to_string()]);
        let st = h.wait_exit(5 * SEC);
        assert_eq!(st.code(), Some(111), "len {len}");
        let err = h.stderr();
        assert!(err.contains(&format!("NITRO_SOCK is {} bytes long; a socket path can have at most 107", sock.len())), "{err}");
        let o = std::process::Command::new(nitroctl_bin()).arg("list").env("NITRO_SOCK", &sock).output().unwrap();
        assert_eq!(o.status.code(), Some(111));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("nitroctl: NITRO_SOCK is") && err.contains("at most 107"), "{err}");
    }
}

/// A NITRO_HTTP too long is named; supervision goes on without the endpoint.
#[test]
fn a_nitro_http_too_long_is_named_and_supervision_goes_on() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.env("NITRO_HTTP", &format!("{}/{}", h.root.display(), "h".repeat(300)));
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    wait_until(5 * SEC, "the message", || h.stderr().contains("NITRO_HTTP is") && h.stderr().contains("no HTTP endpoint"));
    assert!(!h.sock.with_file_name("http.sock").exists());
}

#[test]
fn sigint_shuts_down_an_unprivileged_nitro() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.script("SYS/finish", "echo \"$*\" > $T/finish-args");
    h.start();
    let pa = wait_for(5 * SEC, "a", || h.pid_of("a"));
    h.signal_nitro(Signal::INT);
    let st = h.wait_exit(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert_eq!(h.read("finish-args").trim(), "0 0 shutdown");
    assert!(!alive(pa));
}

#[test]
fn nothing_starts_once_shutdown_has_begun() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.service("x", ": > $T/x-ran\nexec sleep 1000");
    h.file("x/down", "");
    h.script("SYS/finish", "\"$NITROCTL\" up x; \"$NITROCTL\" restart a; sleep 0.5");
    h.start();
    wait_for(5 * SEC, "a", || h.pid_of("a"));
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(!h.path("x-ran").exists(), "x was started during shutdown");
}

#[test]
fn services_start_with_default_signal_dispositions_and_an_empty_mask() {
    let mut h = Harness::new();
    // nitro inherits ignored HUP, INT and USR1.
    h.wrapper = Some("trap '' HUP INT USR1".into());
    h.sleeper("a");
    h.start();
    let pid = wait_for(5 * SEC, "a", || h.pid_of("a"));
    wait_until(5 * SEC, "sleep exec'd", || {
        std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with("sleep"))
    });
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |k: &str| status.lines().find_map(|l| l.strip_prefix(k)).unwrap().trim().to_string();
    assert_eq!(field("SigBlk:"), "0000000000000000", "blocked signals in run");
    assert_eq!(field("SigIgn:"), "0000000000000000", "ignored signals in run");
    // And nitro itself reacts to SIGHUP (rescan).
    h.sleeper("b");
    h.signal_nitro(Signal::HUP);
    h.wait_state("b", State::Starting, 5 * SEC);
}

#[test]
fn services_started_after_a_reboot_have_an_empty_signal_mask() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    let p1 = wait_for(5 * SEC, "a", || h.pid_of("a"));
    h.ctl_ok(&["Reboot"]);
    let p2 = wait_for(15 * SEC, "a after reboot", || h.pid_of("a").filter(|&p| p != p1));
    wait_until(5 * SEC, "sleep exec'd", || {
        std::fs::read_to_string(format!("/proc/{p2}/cmdline")).is_ok_and(|c| c.starts_with("sleep"))
    });
    let status = std::fs::read_to_string(format!("/proc/{p2}/status")).unwrap();
    let blk = status.lines().find_map(|l| l.strip_prefix("SigBlk:")).unwrap().trim().to_string();
    assert_eq!(blk, "0000000000000000");
    // SIGTERM still shuts the re-executed nitro down.
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
}

#[test]
fn multi_call_names_init_halt_poweroff_reboot() {
    let mut h = Harness::new();
    h.start();
    let bin = h.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for n in ["init", "halt", "poweroff", "reboot"] {
        std::os::unix::fs::symlink(nitroctl_bin(), bin.join(n)).unwrap();
    }
    let sock = h.sock.clone();
    let run = |name: &str, args: &[&str]| -> Out {
        let o = std::process::Command::new(bin.join(name))
            .args(args)
            .env("NITRO_SOCK", &sock)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        }
    };
    // init q: rescan.
    h.sleeper("a");
    assert_eq!(run("init", &["q"]).code, 0);
    let p1 = wait_for(5 * SEC, "a started by init q", || h.pid_of("a"));
    // Usage errors.
    assert_eq!(run("init", &[]).code, 2);
    assert_eq!(run("init", &["7"]).code, 2);
    // (halt -w and -B write login records: halt_w_and_b_write_login_records.)
    // init 6 and reboot: re-exec.
    assert_eq!(run("init", &["6"]).code, 0);
    let p2 = wait_for(15 * SEC, "a restarted by init 6", || h.pid_of("a").filter(|&p| p != p1));
    assert!(h.try_exit().is_none(), "init 6 must reboot, not shut down");
    wait_until(5 * SEC, "socket back", || h.sock.exists());
    assert_eq!(run("reboot", &[]).code, 0);
    wait_for(15 * SEC, "a restarted by reboot", || h.pid_of("a").filter(|&p| p != p2));
    assert!(h.try_exit().is_none());
    wait_until(5 * SEC, "socket back", || h.sock.exists());
    // poweroff: shutdown.
    assert_eq!(run("poweroff", &[]).code, 0);
    assert_eq!(h.wait_exit(20 * SEC).code(), Some(0));
}

#[test]
fn init_0_and_halt_shut_down() {
    for name in ["init", "halt"] {
        let mut h = Harness::new();
        h.start();
        let bin = h.path("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(nitroctl_bin(), bin.join(name)).unwrap();
        let args: &[&str] = if name == "init" { &["0"] } else { &[] };
        let st = std::process::Command::new(bin.join(name)).args(args).env("NITRO_SOCK", &h.sock).status().unwrap();
        assert_eq!(st.code(), Some(0));
        assert_eq!(h.wait_exit(20 * SEC).code(), Some(0), "{name}");
    }
}

#[test]
fn a_log_link_cycle_does_not_hang_nitro() {
    let mut h = Harness::new();
    h.service("a", "exec cat");
    h.symlink("a/log", "../b");
    h.service("b", "exec cat");
    h.symlink("b/log", "../a");
    h.start();
    h.ctl_ok(&["up", "a", "b"]);
    assert_eq!(h.list().len(), 2);
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
}

#[test]
fn shutdown_does_not_wait_for_crash_looping_services() {
    let mut h = Harness::new();
    h.service("loop", "exit 1");
    h.sleeper("a");
    h.start();
    h.wait_state("loop", State::Delay, 5 * SEC);
    let t0 = Instant::now();
    let st = h.shutdown(20 * SEC);
    assert_eq!(st.code(), Some(0));
    assert!(t0.elapsed() < secs(3.0), "{:?}", t0.elapsed());
}

/// `halt -w` appends a shutdown record to /var/log/wtmp, `halt -B` a boot
/// record to it and to /run/utmp, only where those files exist, and neither
/// asks the supervisor anything. Run in a private mount namespace with
/// files of ours bound over the system's.
#[test]
#[ignore = "needs root (CI runs it)"]
fn halt_w_and_b_write_login_records() {
    let h = Harness::new();
    let (wtmp, utmp) = (h.path("wtmp"), h.path("utmp"));
    std::fs::write(&wtmp, "").unwrap();
    std::fs::write(&utmp, "").unwrap();
    let halt = h.path("halt");
    std::os::unix::fs::symlink(nitroctl_bin(), &halt).unwrap();
    let script = format!(
        "mount --bind {w} /var/log/wtmp && mount -t tmpfs none /run && touch /run/utmp && mount --bind {u} /run/utmp && {halt} -w && {halt} -B",
        w = wtmp.display(),
        u = utmp.display(),
        halt = halt.display()
    );
    let st = std::process::Command::new("unshare").args(["-m", "sh", "-c", &script]).env("NITRO_SOCK", &h.sock).status().unwrap();
    assert!(st.success());
    let records = |p: &std::path::Path| -> Vec<(i16, String)> {
        std::fs::read(p)
            .unwrap()
            .chunks(384)
            .map(|r| {
                assert_eq!(r.len(), 384, "a whole struct utmp");
                let user = r[44..76].split(|&b| b == 0).next().unwrap();
                (i16::from_ne_bytes([r[0], r[1]]), String::from_utf8_lossy(user).into_owned())
            })
            .collect()
    };
    assert_eq!(records(&wtmp), [(1, "shutdown".to_string()), (2, "reboot".to_string())]);
    assert_eq!(records(&utmp), [(2, "reboot".to_string())]);
    // ut_tv.tv_sec (a 32-bit field at offset 340): the time of the call.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for r in std::fs::read(&wtmp).unwrap().chunks(384) {
        let t = i32::from_ne_bytes(r[340..344].try_into().unwrap()) as i64;
        assert!((now - 60..=now).contains(&t), "record time {t}, now {now}");
    }
}

/// `nitro --help`/`-h` and `--version`/`-V` answer on stdout and exit 0
/// (not taken as a service directory); a service directory that cannot be
/// entered is named, with the reason, and nitro exits 111.
#[test]
fn help_version_and_a_missing_service_directory_is_named() {
    let run = |args: &[&str]| {
        let o = std::process::Command::new(nitro_bin())
            .args(args)
            .env("NITRO_SOCK", "/nonexistent/dir/nitro.sock")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    for flag in ["--help", "-h"] {
        let (code, out, err) = run(&[flag]);
        assert_eq!((code, err.as_str()), (Some(0), ""), "{flag}");
        assert!(out.starts_with("usage: nitro [SERVICE-DIRECTORY]\n") && out.contains("NITRO_SOCK"), "{out}");
    }
    for flag in ["--version", "-V"] {
        let (code, out, _) = run(&[flag]);
        assert_eq!(code, Some(0));
        assert!(out.starts_with("nitro (nitro-rs) "), "{out}");
    }
    let (code, _, err) = run(&["/nonexistent-service-dir"]);
    assert_eq!(code, Some(111));
    assert!(err.contains("service directory '/nonexistent-service-dir': no such directory"), "{err}");
    let file = std::env::temp_dir().join(format!("nitro-notdir-{}", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let (code, _, err) = run(&[file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, Some(111));
    assert!(err.contains("': not a directory"), "{err}");
}

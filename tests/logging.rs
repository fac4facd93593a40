//! Log pipes: `log` links, template loggers, LOG and LOG@, and that no line
//! is lost when either side of a pipe restarts.

mod common;
use common::*;
use nitro::state::State;

/// A logger that appends its stdin, line by line, to `$T/<file>`, and stops
/// cleanly on SIGTERM without dropping a line it has read.
fn logger_script(file: &str) -> String {
    format!(
        "trap 'stop=1' TERM\necho $$ >> $T/{file}.pids\n\
         while [ -z \"$stop\" ] && IFS= read -r l; do echo \"$l\" >> $T/{file}; done"
    )
}


/// No number skipped, no going back (a repeat of the last one is allowed).
fn assert_contiguous(v: &[u64]) {
    assert_eq!(v.first(), Some(&1), "starts at 1");
    for w in v.windows(2) {
        assert!(w[1] == w[0] + 1 || w[1] == w[0], "gap or reordering: {} then {} in {:?}", w[0], w[1], v);
    }
}

#[test]
fn log_link_connects_producer_stdout_to_logger_stdin() {
    let mut h = Harness::new();
    h.service("prod", PRODUCER);
    h.symlink("prod/log", "../logger");
    h.service("logger", &logger_script("log"));
    h.start();
    // (Started explicitly: see loggers_created_through_log_links_are_started_at_boot.)
    h.ctl_ok(&["up", "logger"]);
    let l = h.wait_lines("log", 30, 10 * SEC);
    assert_contiguous(&numbers(&l));
    let names: Vec<String> = h.list().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["logger", "prod"]);
}

#[test]
fn log_lines_survive_restarts_of_the_producer_and_of_the_logger() {
    let mut h = Harness::new();
    h.service("prod", PRODUCER);
    h.symlink("prod/log", "../logger");
    h.service("logger", &logger_script("log"));
    h.start();
    h.ctl_ok(&["up", "logger"]);
    h.wait_lines("log", 50, 10 * SEC);
    let p1 = h.pid_of("prod").unwrap();
    let o = h.ctl(&["restart", "prod"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_ne!(h.pid_of("prod"), Some(p1), "producer restarted");
    let n = h.read_lines("log").len();
    h.wait_lines("log", n + 50, 10 * SEC);
    let l1 = h.pid_of("logger").unwrap();
    let o = h.ctl(&["restart", "logger"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_ne!(h.pid_of("logger"), Some(l1), "logger restarted");
    // The producer kept writing while the logger was away.
    let n = h.read_lines("log").len();
    h.wait_lines("log", n + 50, 10 * SEC);
    // Stop the producer first, then let the logger drain the pipe: every
    // number up to $T/n was written.
    assert_eq!(h.ctl(&["stop", "prod"]).code, 0);
    let last: u64 = h.read("n").trim().parse().unwrap();
    wait_until(10 * SEC, "logger drained the pipe", || {
        numbers(&h.read_lines("log")).last().is_some_and(|&l| l >= last)
    });
    let v = numbers(&h.read_lines("log"));
    assert_contiguous(&v);
    assert!(v.len() as u64 >= last, "{} lines for {} numbers", v.len(), last);
    assert_eq!(h.read_lines("log.pids").len(), 2, "logger ran twice");
}

#[test]
fn log_link_to_a_template_instantiates_it_with_the_producer_name() {
    let mut h = Harness::new();
    h.service("prod", "while :; do echo hello; sleep 0.05; done");
    h.symlink("prod/log", "../mylog@");
    h.script("mylog@/run", "echo \"$*\" > $T/arg\nexec cat >> $T/log");
    h.start();
    wait_until(5 * SEC, "mylog@prod created", || h.state("mylog@prod").is_some());
    h.ctl_ok(&["up", "mylog@prod"]);
    h.wait_lines("log", 2, 10 * SEC);
    assert_eq!(h.read("arg").trim(), "prod");
    let names: Vec<String> = h.list().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["mylog@prod", "prod"]);
    assert!(h.read_lines("log").iter().all(|l| l == "hello"));
}

#[test]
fn log_link_of_an_instance_instantiates_the_logger_with_the_parameter() {
    let mut h = Harness::new();
    h.script("getty@/run", "while :; do echo \"line $1\"; sleep 0.05; done");
    h.symlink("getty@/log", "../mylog@");
    h.script("mylog@/run", "exec cat >> $T/log-$1");
    h.symlink("getty@tty1", "getty@");
    h.start();
    wait_until(5 * SEC, "mylog@tty1 created", || h.state("mylog@tty1").is_some());
    h.ctl_ok(&["up", "mylog@tty1"]);
    h.wait_lines("log-tty1", 2, 10 * SEC);
    assert_eq!(h.read_lines("log-tty1")[0], "line tty1");
    assert!(h.state("mylog@tty1").is_some());
}

#[test]
fn services_without_log_link_write_to_log() {
    let mut h = Harness::new();
    h.script("LOG/run", "exec cat >> $T/LOG");
    h.script("a/setup", "echo from-setup-a");
    h.service("a", "while :; do echo hello-a; sleep 0.05; done");
    h.service("b", "while :; do echo hello-b; sleep 0.05; done");
    h.symlink("b/log", "../blog");
    h.script("blog/run", "exec cat >> $T/blog");
    h.start();
    h.ctl_ok(&["up", "blog"]);
    wait_until(10 * SEC, "a's output in LOG", || h.read_lines("LOG").iter().any(|l| l == "hello-a"));
    h.wait_lines("blog", 2, 10 * SEC);
    let log = h.read_lines("LOG");
    assert!(!log.iter().any(|l| l == "hello-b"), "b has its own logger: {log:?}");
    assert!(h.read_lines("blog").iter().all(|l| l == "hello-b"));
    // setup's stdout is the service's log too (LOG runs before a starts).
    assert!(log.iter().any(|l| l == "from-setup-a"), "{log:?}\nnitro stdout: {}", h.stdout());
}

#[test]
fn without_log_service_output_goes_to_nitro_stdout() {
    let mut h = Harness::new();
    h.service("a", "echo to-nitro-stdout\nexec sleep 1000");
    h.start();
    wait_until(5 * SEC, "line on nitro's stdout", || h.stdout().contains("to-nitro-stdout"));
}

#[test]
fn log_at_template_gives_every_service_its_own_logger_which_logs_to_log() {
    let mut h = Harness::new();
    h.script("LOG/run", "exec cat >> $T/LOG");
    h.script("LOG@/run", "while IFS= read -r l; do echo \"$1: $l\"; done");
    h.service("a", "while :; do echo hello; sleep 0.05; done");
    h.service("b", "while :; do echo hi; sleep 0.05; done");
    h.start();
    wait_until(5 * SEC, "LOG@ instances created", || h.state("LOG@a").is_some() && h.state("LOG@b").is_some());
    h.ctl_ok(&["up", "LOG@a", "LOG@b"]);
    wait_until(10 * SEC, "both prefixed in LOG", || {
        let l = h.read_lines("LOG");
        l.iter().any(|l| l == "a: hello") && l.iter().any(|l| l == "b: hi")
    });
    let names: Vec<String> = h.list().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["LOG", "LOG@a", "LOG@b", "a", "b"]);
    // LOG itself has no LOG@LOG, LOG@a no LOG@LOG@a.
    assert!(h.state("LOG@LOG").is_none());
}

/// At shutdown the producers stop first; their loggers then read what is
/// left and stop after them (LOG after the logger that writes into it),
/// and every line a producer wrote reached the file.
#[test]
fn loggers_are_stopped_after_their_producers_at_shutdown() {
    let mut h = Harness::new();
    h.service("prod", PRODUCER);
    h.symlink("prod/log", "../logger");
    h.service("logger", &logger_script("log"));
    h.script("LOG/run", &logger_script("LOG"));
    h.service("other", "exec sleep 1000");
    h.start();
    h.ctl_ok(&["up", "logger"]);
    let sub = h.subscribe();
    h.wait_lines("log", 20, 10 * SEC);
    let st = h.shutdown(20 * SEC);
    assert!(st.success(), "nitro exit status {st:?}");
    let ev = sub.events();
    let down = |n: &str| {
        ev.iter().rposition(|e| e.name == n && e.state == State::Down as u8).unwrap_or_else(|| panic!("DOWN {n}: {:?}", sub.lines()))
    };
    let (dp, dot, dl, dlog) = (down("prod"), down("other"), down("logger"), down("LOG"));
    assert!(dl > dp, "logger down before its producer: {:?}", sub.lines());
    assert!(dlog > dl && dlog > dot, "LOG down before what writes into it: {:?}", sub.lines());
    // Everything the producer wrote reached the file.
    let last: u64 = h.read("n").trim().parse().unwrap();
    let v = numbers(&h.read_lines("log"));
    assert_contiguous(&v);
    assert!(v.last().is_some_and(|&l| l >= last), "lines lost at shutdown: log ends at {:?}, producer wrote {last}", v.last());
}

/// A producer writes 300 lines at once and a logger takes 10 ms a line: at
/// shutdown (SIGTERM, and nitroctl Shutdown) the logger still gets every
/// line, because it is not signalled but left to read to end-of-file.
#[test]
fn a_slow_logger_gets_every_line_at_shutdown() {
    for how in ["SIGTERM", "nitroctl Shutdown"] {
        let mut h = Harness::new();
        h.service("prod", "i=0\nwhile [ $i -lt 300 ]; do i=$((i+1)); echo $i; done\ntouch $T/written\nexec sleep 1000");
        h.symlink("prod/log", "../logger");
        h.service("logger", "while IFS= read -r l; do echo \"$l\" >> $T/log; sleep 0.01; done");
        h.start();
        h.ctl_ok(&["up", "logger"]);
        wait_until(10 * SEC, "300 lines written", || h.path("written").exists());
        if how == "SIGTERM" {
            h.signal_nitro(Signal::TERM);
        } else {
            h.ctl_ok(&["Shutdown"]);
        }
        assert_eq!(h.wait_exit(20 * SEC).code(), Some(0), "{how}");
        let v = numbers(&h.read_lines("log"));
        assert_eq!(v, (1..=300).collect::<Vec<u64>>(), "{how}: lines lost");
    }
}

/// A chain `sv` → `mylog` → `LOG`, both loggers slow: at shutdown each
/// stage drains in order and LOG gets all 300 lines.
#[test]
fn a_three_stage_chain_loses_no_line_at_shutdown() {
    for how in ["SIGTERM", "nitroctl Shutdown"] {
        let mut h = Harness::new();
        h.service("sv", "i=0\nwhile [ $i -lt 300 ]; do i=$((i+1)); echo $i; done\ntouch $T/written\nexec sleep 1000");
        h.symlink("sv/log", "../mylog");
        h.service("mylog", "while IFS= read -r l; do echo \"$l\"; sleep 0.005; done");
        h.script("LOG/run", "while IFS= read -r l; do echo \"$l\" >> $T/log; sleep 0.005; done");
        h.start();
        h.ctl_ok(&["up", "mylog"]);
        wait_until(10 * SEC, "300 lines written", || h.path("written").exists());
        if how == "SIGTERM" {
            h.signal_nitro(Signal::TERM);
        } else {
            h.ctl_ok(&["Shutdown"]);
        }
        assert_eq!(h.wait_exit(20 * SEC).code(), Some(0), "{how}");
        let v = numbers(&h.read_lines("log"));
        assert_eq!(v, (1..=300).collect::<Vec<u64>>(), "{how}: lines lost");
    }
}

/// A logger that does not exit at end-of-file (here: it never reads) is not
/// waited for forever: 7 s after its pipe stopped getting emptier it gets
/// its down-signal, and the shutdown completes.
#[test]
fn a_logger_that_never_exits_on_end_of_file_is_stopped_after_7_s_without_progress() {
    let mut h = Harness::new();
    h.service("prod", "echo one line\nexec sleep 1000");
    h.symlink("prod/log", "../logger");
    h.service("logger", "trap 'echo TERM > $T/got; exit 0' TERM\n: > $T/logger.trap\nwhile :; do sleep 0.05; done");
    h.start();
    h.ctl_ok(&["up", "logger"]);
    h.wait_state("prod", State::Starting, 5 * SEC);
    // (Its trap is set: a SIGTERM before that would end it unheard.)
    wait_until(5 * SEC, "the logger's trap", || h.path("logger.trap").exists());
    let t0 = std::time::Instant::now();
    assert_eq!(h.shutdown(20 * SEC).code(), Some(0));
    let took = t0.elapsed();
    assert_eq!(h.read("got").trim(), "TERM");
    assert!(took >= secs(6.5) && took < secs(12.0), "shutdown took {took:?}");
}

#[test]
fn loggers_created_through_log_links_are_started_at_boot() {
    let mut h = Harness::new();
    // Several pairs: whatever the directory order, some producer is read
    // before its logger.
    for i in 0..6 {
        h.service(&format!("p{i}"), "while :; do echo x; sleep 0.1; done");
        h.symlink(&format!("p{i}/log"), &format!("../l{i}"));
        h.service(&format!("l{i}"), "exec cat > /dev/null");
    }
    h.service("q", "while :; do echo x; sleep 0.1; done");
    h.symlink("q/log", "../tlog@");
    h.script("tlog@/run", "exec cat > /dev/null");
    h.script("LOG@/run", "exec cat > /dev/null");
    h.service("r", "while :; do echo x; sleep 0.1; done");
    h.start();
    let mut names: Vec<String> = (0..6).map(|i| format!("l{i}")).collect();
    names.push("tlog@q".into());
    names.push("LOG@r".into());
    for n in &names {
        let st = h.wait_states(n, &[State::Down, State::Starting, State::Up], 5 * SEC);
        if st == State::Down {
            assert!(
                !never_within(secs(1.0), || h.state(n) != Some(State::Down)),
                "logger {n} never started; list:\n{}",
                h.ctl(&["list"]).stdout
            );
        }
    }
}

#[test]
fn default_log_lines_survive_a_restart_of_log() {
    let mut h = Harness::new();
    h.script("LOG/run", &logger_script("log"));
    h.service("prod", PRODUCER);
    h.start();
    h.wait_lines("log", 30, 10 * SEC);
    let o = h.ctl(&["restart", "LOG"]);
    assert_eq!(o.code, 0, "{o:?}");
    let n = h.read_lines("log").len();
    h.wait_lines("log", n + 30, 10 * SEC);
    assert_eq!(h.ctl(&["stop", "prod"]).code, 0);
    let last: u64 = h.read("n").trim().parse().unwrap();
    wait_until(10 * SEC, "LOG drained the pipe", || numbers(&h.read_lines("log")).last().is_some_and(|&l| l >= last));
    assert_contiguous(&numbers(&h.read_lines("log")));
}

// ---- nitro's exact behaviour (see ci/compat for the side-by-side) ---------

/// An instance without a log link logs to LOG@<parameter> (LOG@ gets the
/// parameter as $1).
#[test]
fn an_instance_logs_to_log_at_its_parameter() {
    let mut h = Harness::new();
    h.script("sv@/run", "echo $1 1\necho $1 2\nexec sleep 1000");
    h.script("LOG@/run", "exec cat > $T/log.$1");
    h.start();
    h.ctl_ok(&["up", "sv@one", "sv@two"]);
    assert_eq!(h.wait_lines("log.one", 2, 5 * SEC), ["one 1", "one 2"]);
    assert_eq!(h.wait_lines("log.two", 2, 5 * SEC), ["two 1", "two 2"]);
    let names: Vec<String> = h.list().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["LOG@one", "LOG@two", "sv@one", "sv@two"]);
}

/// A logger created for a producer stays DOWN until the producer starts
/// (whatever its own down file says); a start of the producer starts it,
/// also after someone took it down; its producer's stop leaves it running.
#[test]
fn loggers_start_on_first_use_by_their_producer() {
    let mut h = Harness::new();
    h.service("sv", "echo 1\necho 2\necho 3\nexec sleep 1000");
    h.file("sv/down", "");
    h.symlink("sv/log", "../log");
    h.service("log", "exec cat > $T/log.txt");
    h.file("log/down", "");
    h.script("LOG@/run", "exec cat > $T/at.$1");
    h.service("other", "echo x\nexec sleep 1000");
    h.file("other/down", "");
    h.start();
    h.wait_state("LOG@other", State::Down, 5 * SEC);
    assert!(never_within(secs(0.5), || h.state("log") != Some(State::Down) || h.state("LOG@other") != Some(State::Down)));
    h.ctl_ok(&["up", "sv", "other"]);
    assert_eq!(h.wait_lines("log.txt", 3, 5 * SEC), ["1", "2", "3"]);
    assert_eq!(h.wait_lines("at.other", 1, 5 * SEC), ["x"]);
    h.ctl_ok(&["stop", "log"]);
    h.ctl_ok(&["restart", "sv"]);
    h.wait_states("log", &[State::Starting, State::Up], 5 * SEC);
    h.ctl_ok(&["stop", "sv"]);
    assert!(matches!(h.state("log"), Some(State::Starting | State::Up)), "a producer's stop stopped its logger");
}

/// `restart` and `up` re-read the log link; a restart by itself (a signal)
/// does not.
#[test]
fn restart_and_up_re_read_the_log_link() {
    let mut h = Harness::new();
    h.service("sv", "echo \"hello $$\"\nexec sleep 1000");
    h.symlink("sv/log", "../mylog");
    h.service("mylog", "exec cat >> $T/mylog.txt");
    h.service("myotherlog", "exec cat >> $T/myotherlog.txt");
    h.start();
    h.wait_lines("mylog.txt", 1, 5 * SEC);
    h.wait_state("sv", State::Up, 5 * SEC);
    h.remove("sv/log");
    h.symlink("sv/log", "../myotherlog");
    h.ctl_ok(&["hup", "sv"]);
    h.wait_lines("mylog.txt", 2, 5 * SEC);
    assert_eq!(h.read("myotherlog.txt"), "");
    h.ctl_ok(&["restart", "sv"]);
    h.wait_lines("myotherlog.txt", 1, 5 * SEC);
    h.remove("sv/log");
    h.symlink("sv/log", "../mylog");
    h.ctl_ok(&["up", "sv"]);
    h.ctl_ok(&["hup", "sv"]);
    h.wait_lines("mylog.txt", 3, 5 * SEC);
    assert_eq!(h.read_lines("myotherlog.txt").len(), 1);
}

/// A service whose log link names itself reads its own output.
#[test]
fn a_service_logging_into_itself_reads_its_own_output() {
    let mut h = Harness::new();
    h.service("sv", "echo 111\necho 222\nread l\necho \"got <$l>\" >> $T/got\nread l\necho \"got <$l>\" >> $T/got\nexec sleep 1000");
    h.symlink("sv/log", "../sv");
    h.start();
    assert_eq!(h.wait_lines("got", 2, 5 * SEC), ["got <111>", "got <222>"]);
}

/// `log -> ../LOG` is the default log.
#[test]
fn a_log_link_to_log_is_the_default_log() {
    let mut h = Harness::new();
    h.script("LOG/run", "exec cat > $T/LOG.txt");
    h.service("sv", "echo from sv\nexec sleep 1000");
    h.symlink("sv/log", "../LOG");
    h.service("plain", "echo from plain\nexec sleep 1000");
    h.start();
    let mut l = h.wait_lines("LOG.txt", 2, 5 * SEC);
    l.sort();
    assert_eq!(l, ["from plain", "from sv"]);
}

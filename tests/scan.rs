//! What is a service: names, templates and instances, and rescans.

mod common;
use common::*;
use nitro::state::State;

fn names(h: &Harness) -> Vec<String> {
    h.list().into_iter().map(|l| l.name).collect()
}

#[test]
fn invalid_names_and_directories_without_run_or_setup_are_not_services() {
    let mut h = Harness::new();
    h.sleeper("good");
    h.sleeper(".hidden");
    h.sleeper("a,b");
    h.sleeper("tpl@");
    h.script("onlyfinish/finish", "true");
    h.file("onlydown/down", "");
    h.mkdir("empty");
    h.file("plainfile", "not a directory");
    h.script("SYS/run", "exec sleep 1000");
    h.sleeper(&"x".repeat(64));
    h.script("setuponly/setup", "true");
    h.start();
    h.wait_state("good", State::Starting, 5 * SEC);
    assert_eq!(names(&h), ["good", "setuponly"]);
    // Nothing else was started either.
    assert!(h.stderr().lines().all(|l| !l.contains(".hidden")));
}

#[test]
fn symlinks_to_service_directories_are_services() {
    let mut h = Harness::new();
    std::fs::create_dir_all(h.path("elsewhere/real")).unwrap();
    std::fs::write(h.path("elsewhere/real/run"), "#!/bin/sh\necho \"$(pwd -P)\" > $T/cwd\nexec sleep 1000\n").unwrap();
    std::fs::set_permissions(h.path("elsewhere/real/run"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    h.symlink("linked", h.path("elsewhere/real").to_str().unwrap());
    h.start();
    h.wait_state("linked", State::Starting, 5 * SEC);
    let cwd = h.wait_lines("cwd", 1, 5 * SEC);
    assert_eq!(cwd[0], std::fs::canonicalize(h.path("elsewhere/real")).unwrap().to_str().unwrap());
}

#[test]
fn a_template_is_not_a_service_but_an_instance_link_is() {
    let mut h = Harness::new();
    h.script("getty@/run", "echo \"$#:$1:$(pwd -P)\" >> $T/args-$1\nexec sleep 1000");
    h.symlink("getty@tty1", "getty@");
    h.start();
    h.wait_state("getty@tty1", State::Starting, 5 * SEC);
    assert_eq!(names(&h), ["getty@tty1"]);
    let tpl = std::fs::canonicalize(h.sv("getty@")).unwrap();
    assert_eq!(h.wait_lines("args-tty1", 1, 5 * SEC), [format!("1:tty1:{}", tpl.display())]);
}

#[test]
fn up_of_an_instance_creates_it_and_passes_the_parameter() {
    let mut h = Harness::new();
    h.script("getty@/run", "echo \"$#:$1\" >> $T/args\nexec sleep 1000");
    h.script("getty@/finish", "echo \"$*\" >> $T/finish");
    h.start();
    assert_eq!(names(&h), Vec::<String>::new());
    let o = h.ctl(&["up", "getty@tty2"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(h.wait_lines("args", 1, 5 * SEC), ["1:tty2"]);
    assert_eq!(names(&h), ["getty@tty2"]);
    // finish gets the parameter as third argument.
    assert_eq!(h.ctl(&["stop", "getty@tty2"]).code, 0);
    assert_eq!(h.read_lines("finish"), ["-1 15 tty2"]);
    // No such template: no instance.
    let o = h.ctl(&["up", "nope@x"]);
    assert_eq!(o.code, 111, "{o:?}");
    assert!(o.stderr.contains("no such service 'nope@x'"), "{o:?}");
}

#[test]
fn rescan_removes_down_instances_nothing_refers_to_and_keeps_running_ones() {
    let mut h = Harness::new();
    h.script("w@/run", "exec sleep 1000");
    h.symlink("w@linked", "w@");
    h.start();
    h.ctl_ok(&["up", "w@one", "w@two"]);
    h.wait_state("w@one", State::Starting, 5 * SEC);
    h.ctl_ok(&["stop", "w@one"]);
    h.ctl_ok(&["stop", "w@linked"]);
    assert_eq!(names(&h), ["w@linked", "w@one", "w@two"]);
    h.ctl_ok(&["rescan"]);
    wait_until(5 * SEC, "w@one removed", || h.state("w@one").is_none());
    // w@two runs, w@linked is still referred to by its link.
    assert_eq!(names(&h), ["w@linked", "w@two"]);
    assert!(matches!(h.state("w@two"), Some(State::Starting | State::Up)));
    assert_eq!(h.state("w@linked"), Some(State::Down));
}

#[test]
fn rescan_by_nitroctl_starts_new_services_and_keeps_down_ones_down() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    h.sleeper("b");
    h.sleeper("c");
    h.file("c/down", "");
    let o = h.ctl(&["rescan"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
    h.wait_state("b", State::Starting, 5 * SEC);
    assert_eq!(h.state("c"), Some(State::Down));
    assert_eq!(names(&h), ["a", "b", "c"]);
}

#[test]
fn rescan_by_sighup_stops_and_removes_vanished_services() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.sleeper("gone");
    h.start();
    let pid = wait_for(5 * SEC, "gone running", || h.pid_of("gone"));
    h.remove("gone");
    h.sleeper("new");
    h.signal_nitro(Signal::HUP);
    wait_until(10 * SEC, "gone removed from the list", || h.state("gone").is_none());
    wait_until(5 * SEC, "its process stopped", || !alive(pid));
    h.wait_state("new", State::Starting, 5 * SEC);
    assert_eq!(names(&h), ["a", "new"]);
}

#[test]
fn one_letter_rescan_and_scan_are_rescan() {
    let mut h = Harness::new();
    h.start();
    h.sleeper("a");
    h.ctl_ok(&["s"]);
    h.wait_state("a", State::Starting, 5 * SEC);
    h.sleeper("b");
    h.ctl_ok(&["scan"]);
    h.wait_state("b", State::Starting, 5 * SEC);
}

#[test]
fn down_file_is_only_read_when_the_service_is_created() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    h.wait_state("a", State::Starting, 5 * SEC);
    h.file("a/down", "");
    // (The rescan runs in the pass that answered it: a query sent after
    // the answer is served after the rescan.)
    h.ctl_ok(&["rescan"]);
    assert!(matches!(h.state("a"), Some(State::Starting | State::Up)));
}

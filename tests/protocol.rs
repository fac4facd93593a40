//! The control socket seen raw: replies byte for byte, garbage datagrams,
//! oversize names, notifications to requesters and subscribers, and a full
//! service table.

mod common;
use common::*;
use nitro::spat::{Command, Writer, tag};
use nitro::state::State;
use std::os::unix::net::UnixDatagram;
use std::time::Instant;

const OK: [u8; 3] = [0, 0, tag::OK];
const ESRCH: [u8; 3] = [0, 0, tag::ESRCH];
const ENOSYS: [u8; 3] = [0, 0, tag::ENOSYS];

fn encode(cmd: Command) -> Vec<u8> {
    let mut b = [0u8; 1024];
    let mut w = Writer::new(&mut b);
    cmd.encode(&mut w).unwrap();
    w.bytes().to_vec()
}

/// The replies to one datagram: the first within 5 s (a loaded machine can
/// be slow to schedule nitro), then whatever follows within 0.3 s.
fn one_reply(h: &Harness, bytes: &[u8]) -> Vec<Vec<u8>> {
    let s = h.raw_socket();
    s.set_read_timeout(Some(5 * SEC)).unwrap();
    s.send_to(bytes, &h.sock).expect("send to nitro");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1 << 17];
    while let Ok(n) = s.recv(&mut buf) {
        got.push(buf[..n].to_vec());
        s.set_read_timeout(Some(secs(0.3))).unwrap();
        if got.len() > 100 {
            break;
        }
    }
    got
}

#[test]
fn status_replies_are_exactly_three_bytes() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.start();
    assert_eq!(one_reply(&h, &encode(Command::Up(b"a"))), [OK.to_vec()]);
    assert_eq!(one_reply(&h, &encode(Command::Up(b"nope"))), [ESRCH.to_vec()]);
    assert_eq!(one_reply(&h, &encode(Command::Down(b"nope"))), [ESRCH.to_vec()]);
    assert_eq!(one_reply(&h, &encode(Command::Ready(b"nope"))), [ESRCH.to_vec()]);
    assert_eq!(one_reply(&h, &encode(Command::Query(b"nope"))), [ESRCH.to_vec()]);
    assert_eq!(one_reply(&h, &encode(Command::Signal(1, b"nope"))), [ESRCH.to_vec()]);
    assert_eq!(one_reply(&h, &encode(Command::Rescan)), [OK.to_vec()]);
    // Unknown command tag.
    assert_eq!(one_reply(&h, &[0, 0, 200]), [ENOSYS.to_vec()]);
    assert_eq!(one_reply(&h, &[0, 0, tag::OK]), [ENOSYS.to_vec()]);
}

#[test]
fn query_reply_layout_matches_nitro() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    let pid = wait_for(5 * SEC, "a", || h.pid_of("a")) as u32;
    let r = &one_reply(&h, &encode(Command::Query(b"a")))[0];
    assert_eq!(r.len(), 4 + 7 + 7 + 7);
    assert_eq!(&r[..4], &[1, 0, tag::STATE, State::Starting as u8][..], "{r:?}");
    assert_eq!(&r[4..7], &[4, 0, tag::PID]);
    assert_eq!(&r[7..11], &pid.to_le_bytes());
    assert_eq!(&r[11..18], &[4, 0, tag::WSTATUS, 0, 0, 0, 0]);
    assert_eq!(&r[18..21], &[4, 0, tag::UPTIME]);
}

#[test]
fn list_reply_names_carry_a_trailing_nul() {
    let mut h = Harness::new();
    h.script("b/setup", "true");
    h.start();
    h.wait_state("b", State::Oneshot, 5 * SEC);
    let r = &one_reply(&h, &encode(Command::List))[0];
    assert_eq!(&r[..8], &[0xff, 0xff, tag::SERVICE, 2, 0, tag::NAME, b'b', 0], "{r:?}");
    assert_eq!(&r[r.len() - 3..], &[0xfe, 0xff, tag::SERVICE]);
    assert_eq!(r.len(), 3 + 5 + 4 + 7 + 7 + 7 + 3);
}

#[test]
fn info_reply_has_the_five_counters() {
    let mut h = Harness::new();
    h.start();
    let r = &one_reply(&h, &encode(Command::Info))[0];
    let tags: Vec<u8> = nitro::spat::packets(r)
        .map(|p| match p.unwrap() {
            nitro::spat::Packet::Data(t, v) => {
                assert_eq!(v.len(), 4);
                t
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(tags, [tag::NITRO_PID, tag::PID, tag::MAX_SERVICE, tag::TOTAL_REAPS, tag::TOTAL_SV_REAPS]);
    assert_eq!(&r[3..7], &(h.nitro_pid() as u32).to_le_bytes());
}

#[test]
fn empty_list_is_an_empty_datagram() {
    let mut h = Harness::new();
    h.start();
    assert_eq!(one_reply(&h, &encode(Command::List)), [Vec::<u8>::new()]);
}

#[test]
fn requester_in_notify_dir_gets_the_resulting_state_then_ok() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.start();
    let p = h.sock.parent().unwrap().join("notify").join(format!("a,{}_77", std::process::id()));
    let s = UnixDatagram::bind(&p).unwrap();
    s.set_read_timeout(Some(secs(2.0))).unwrap();
    s.send_to(&encode(Command::Up(b"a")), &h.sock).unwrap();
    let mut buf = [0u8; 256];
    let mut got = Vec::new();
    loop {
        let n = s.recv(&mut buf).expect("reply");
        got.push(buf[..n].to_vec());
        if buf[..n] == OK {
            break;
        }
    }
    // The notification(s) of a come before OK; the last one is the state
    // the service is in now.
    assert!(got.len() >= 2, "{got:?}");
    let last = &got[got.len() - 2];
    assert_eq!(last, &[1, 0, State::Starting as u8, b'a'], "{got:?}");
    // Later changes of a arrive too.
    h.ctl_ok(&["down", "a"]);
    let n = loop {
        let n = s.recv(&mut buf).expect("later notification");
        if buf[2] == State::Down as u8 {
            break n;
        }
    };
    assert_eq!(&buf[..n], &[1, 0, State::Down as u8, b'a']);
    let _ = std::fs::remove_file(&p);
}

#[test]
fn subscribers_get_notifications_and_stale_ones_are_removed() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.sleeper("b");
    h.file("b/down", "");
    h.start();
    let notify = h.sock.parent().unwrap().join("notify");
    // Only `b,` files get b's events; a file nobody listens on goes away.
    let pb = notify.join(format!("b,{}_5", std::process::id()));
    let sb = UnixDatagram::bind(&pb).unwrap();
    sb.set_read_timeout(Some(secs(0.5))).unwrap();
    let stale = notify.join("ALL,999999_0");
    drop(UnixDatagram::bind(&stale).unwrap());
    let sub = h.subscribe();
    h.ctl_ok(&["up", "a"]);
    sub.wait_for(State::Starting, "a", 5 * SEC);
    let mut buf = [0u8; 64];
    assert!(sb.recv(&mut buf).is_err(), "b's subscriber got a's events");
    wait_until(2 * SEC, "stale subscriber removed", || !stale.exists());
    h.ctl_ok(&["up", "b"]);
    let n = sb.recv(&mut buf).expect("b's event");
    assert_eq!(&buf[3..n], b"b");
    let _ = std::fs::remove_file(&pb);
}

#[test]
fn garbage_datagrams_get_exactly_their_answer_and_nitro_keeps_serving() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.start();
    let pid = wait_for(5 * SEC, "a", || h.pid_of("a"));
    let long = vec![b'x'; 300];
    let mut up_long = vec![44, 1, tag::CMD_UP];
    up_long.extend_from_slice(&long);
    let mut query_long = vec![44, 1, tag::CMD_QUERY];
    query_long.extend_from_slice(&long);
    let mut sig_long = vec![45, 1, tag::CMD_SIGNAL, 1];
    sig_long.extend_from_slice(&long);
    // Every datagram from a bound socket gets exactly one reply: ENOSYS when
    // nothing in it decodes to a command, else the command's own answer.
    let query_a = |r: &[u8]| r.starts_with(&[1, 0, tag::STATE]);
    let cases: Vec<(&str, Vec<u8>, &dyn Fn(&[u8]) -> bool)> = vec![
        ("empty", vec![], &|r| r == ENOSYS),
        ("one byte", vec![0x42], &|r| r == ENOSYS),
        ("two bytes", vec![1, 0], &|r| r == ENOSYS),
        ("truncated up", vec![5, 0, tag::CMD_UP, b'a'], &|r| r == ENOSYS),
        ("length past end", vec![0xfd, 0xff, tag::CMD_QUERY, b'a'], &|r| r == ENOSYS),
        ("group opener alone", vec![0xff, 0xff, 0x64], &|r| r == ENOSYS),
        ("group closer alone", vec![0xfe, 0xff, 0x64], &|r| r == ENOSYS),
        // (Unknown groups are skipped: the query inside one is served.)
        ("unterminated group with a query", vec![0xff, 0xff, 0x64, 1, 0, tag::CMD_QUERY, b'a'], &query_a),
        ("up with 300-byte name", up_long, &|r| r == ESRCH),
        ("query with 300-byte name", query_long, &|r| r == ESRCH),
        ("signal with 300-byte name", sig_long, &|r| r == ESRCH),
        ("signal without signal byte", vec![0, 0, tag::CMD_SIGNAL], &|r| r == ENOSYS),
        ("signal 0", vec![2, 0, tag::CMD_SIGNAL, 0, b'a'], &|r| r == ESRCH),
        ("signal 200", vec![2, 0, tag::CMD_SIGNAL, 200, b'a'], &|r| r == ESRCH),
        ("up with empty name", vec![0, 0, tag::CMD_UP], &|r| r == ESRCH),
        ("up with NUL in name", vec![3, 0, tag::CMD_UP, b'a', 0, b'b'], &|r| r == ESRCH),
        ("up with slash", vec![3, 0, tag::CMD_UP, b'a', b'/', b'b'], &|r| r == ESRCH),
        ("up of SYS", vec![3, 0, tag::CMD_UP, b'S', b'Y', b'S'], &|r| r == ESRCH),
        ("up of a template", vec![2, 0, tag::CMD_UP, b'a', b'@'], &|r| r == ESRCH),
        ("down ..", vec![2, 0, tag::CMD_DOWN, b'.', b'.'], &|r| r == ESRCH),
        ("oversize datagram", vec![0u8; 8000], &|r| r == ENOSYS),
        ("huge datagram", vec![0x55u8; 60000], &|r| r == ENOSYS),
    ];
    // One socket for everything: replies come in order, so a missing or an
    // extra reply shifts the rest, and the final query finds it out.
    let s = h.raw_socket();
    s.set_read_timeout(Some(5 * SEC)).unwrap();
    let mut buf = vec![0u8; 1 << 17];
    let mut next_reply = |what: &str| -> Vec<u8> {
        let n = s.recv(&mut buf).unwrap_or_else(|e| panic!("{what}: no reply: {e}"));
        buf[..n].to_vec()
    };
    for (what, bytes, want) in &cases {
        s.send_to(bytes, &h.sock).unwrap();
        let r = next_reply(what);
        assert!(want(&r), "{what}: reply {r:?}");
        assert!(h.try_exit().is_none(), "nitro died on {what}: {}", h.stderr());
    }
    // Random bytes (fixed seed), minus anything that would decode to a
    // command acting on the whole supervisor.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut sent = 0;
    while sent < 300 {
        let len = (rnd() % 600) as usize;
        let d: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        let risky = nitro::spat::packets(&d).any(|p| {
            matches!(p, Ok(nitro::spat::Packet::Data(t, _)) if (tag::CMD_RESCAN..=tag::CMD_REBOOT).contains(&t))
        });
        if risky {
            continue;
        }
        // One reply per command it decodes to, or one ENOSYS.
        let mut commands = 0;
        for p in nitro::spat::packets(&d) {
            match p {
                Ok(nitro::spat::Packet::Data(t, payload)) => commands += usize::from(nitro::control::decode(t, payload).is_some()),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        s.send_to(&d, &h.sock).unwrap();
        for _ in 0..commands.max(1) {
            next_reply(&format!("datagram {d:?}"));
        }
        sent += 1;
    }
    s.send_to(&encode(Command::Query(b"a")), &h.sock).unwrap();
    let r = next_reply("the final query");
    assert!(query_a(&r), "a reply too many or too few before the final query: {r:?}");
    // Datagrams without a return address.
    let anon = UnixDatagram::unbound().unwrap();
    anon.send_to(&encode(Command::List), &h.sock).unwrap();
    anon.send_to(&[1, 2, 3, 4, 5], &h.sock).unwrap();
    // Still serving, and `a` untouched.
    let l = h.list();
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].pid, Some(pid as u32));
    assert!(h.try_exit().is_none());
}

#[test]
fn several_commands_in_one_datagram_are_all_served() {
    let mut h = Harness::new();
    h.sleeper("a");
    h.file("a/down", "");
    h.sleeper("b");
    h.file("b/down", "");
    h.start();
    let mut d = encode(Command::Up(b"a"));
    d.extend(encode(Command::Up(b"b")));
    let _ = one_reply(&h, &d);
    h.wait_state("a", State::Starting, 5 * SEC);
    h.wait_state("b", State::Starting, 5 * SEC);
}

/// 63-byte names, unique by their first bytes.
fn long_name(i: usize) -> String {
    let mut n = format!("svc{i:03}-");
    while n.len() < 63 {
        n.push((b'a' + (n.len() % 26) as u8) as char);
    }
    n
}

#[test]
fn a_table_of_500_services_is_listed_in_full() {
    let mut h = Harness::new();
    // Half one-shots (setup is /bin/true: no process stays), half down.
    for i in 0..500 {
        let n = if i % 2 == 0 { long_name(i) } else { format!("s{i}") };
        if i % 4 < 2 {
            h.file(&format!("{n}/setup"), "#!/bin/true\n");
            std::fs::set_permissions(h.sv(&format!("{n}/setup")), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        } else {
            h.file(&format!("{n}/run"), "#!/bin/sh\nexec sleep 1000\n");
            h.file(&format!("{n}/down"), "");
        }
    }
    h.start();
    wait_until(30 * SEC, "all one-shots up", || {
        let l = h.raw_list();
        l.len() == 500 && l.iter().all(|(_, s)| s.state == State::Oneshot as u8 || s.state == State::Down as u8)
    });
    let o = h.ctl(&["list"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<ListLine> = o.lines().iter().map(|l| parse_list_line(l)).collect();
    assert_eq!(lines.len(), 500);
    let mut sorted: Vec<String> = lines.iter().map(|l| l.name.clone()).collect();
    sorted.sort();
    assert_eq!(lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>(), sorted, "list is sorted");
    assert_eq!(lines.iter().filter(|l| l.name.len() == 63).count(), 250);
    assert_eq!(lines.iter().filter(|l| l.state == "ONESHOT").count(), 250);
    let info = h.ctl_ok(&["info"]);
    assert!(info.contains("\nmax_service 500\n"), "{info}");
    // A 63-byte name works in every command.
    let n = long_name(2);
    assert_eq!(h.ctl(&["list", &n]).code, 0);
    h.ctl_ok(&["up", &n]);
    h.ctl_ok(&["stop", &n]);
}

#[test]
fn a_full_table_refuses_the_501st_service_and_keeps_running() {
    let mut h = Harness::new();
    for i in 0..501 {
        let n = format!("s{i:03}");
        h.file(&format!("{n}/run"), "#!/bin/sh\nexec sleep 1000\n");
        h.file(&format!("{n}/down"), "");
    }
    h.start();
    wait_until(10 * SEC, "scan done", || h.raw_list().len() == 500);
    let listed: Vec<String> = h.list().into_iter().map(|l| l.name).collect();
    assert_eq!(listed.len(), 500);
    let missing = (0..501).map(|i| format!("s{i:03}")).find(|n| !listed.contains(n)).unwrap();
    let err = h.stderr();
    assert!(err.contains("too many services") && err.contains(&missing), "stderr: {err}");
    let o = h.ctl(&["up", &missing]);
    assert_eq!(o.code, 111, "{o:?}");
    // Everything else still works. (Which one is refused is the directory's
    // order: tmpfs lists the newest first, ext4 in hash order.)
    h.ctl_ok(&["up", &listed[0]]);
    h.ctl_ok(&["stop", &listed[1]]);
    assert!(h.try_exit().is_none());
    // Removing a service frees a slot for the refused one (the first
    // rescan removes it, see the next test; the second adds the new one).
    let victim = listed[1].clone();
    h.remove(&victim);
    h.ctl_ok(&["rescan"]);
    wait_until(10 * SEC, "vanished service removed", || h.state(&victim).is_none());
    h.ctl_ok(&["rescan"]);
    wait_until(10 * SEC, "refused service added by rescan", || h.state(&missing).is_some());
}

#[test]
fn one_rescan_replaces_a_vanished_service_in_a_full_table() {
    let mut h = Harness::new();
    for i in 0..500 {
        let n = format!("s{i:03}");
        h.file(&format!("{n}/run"), "#!/bin/sh\nexec sleep 1000\n");
        h.file(&format!("{n}/down"), "");
    }
    h.start();
    wait_until(10 * SEC, "scan done", || h.raw_list().len() == 500);
    h.remove("s123");
    h.file("new/run", "#!/bin/sh\nexec sleep 1000\n");
    h.file("new/down", "");
    h.ctl_ok(&["rescan"]);
    wait_until(10 * SEC, "s123 removed", || h.state("s123").is_none());
    assert!(h.state("new").is_some(), "new service not added by the rescan that freed a slot; stderr:\n{}", h.stderr());
}

#[test]
fn notifications_are_not_lost_when_a_subscriber_is_slow() {
    slow_subscriber_gets_everything(15);
}

#[test]
fn notifications_are_not_lost_in_a_burst_of_400() {
    slow_subscriber_gets_everything(200);
}

fn slow_subscriber_gets_everything(count: usize) {
    let mut h = Harness::new();
    let names: Vec<String> = (0..count).map(|i| format!("o{i:03}")).collect();
    for n in &names {
        h.file(&format!("{n}/setup"), "#!/bin/true\n");
        std::fs::set_permissions(h.sv(&format!("{n}/setup")), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        h.file(&format!("{n}/down"), "");
    }
    h.start();
    // A subscriber that does not read while the changes happen.
    let p = h.sock.parent().unwrap().join("notify").join(format!("ALL,{}_99", std::process::id()));
    let s = UnixDatagram::bind(&p).unwrap();
    let mut args = vec!["start"];
    args.extend(names.iter().map(String::as_str));
    h.ctl_ok(&args);
    // count x (SETUP, ONESHOT) happened; now read them all.
    s.set_read_timeout(Some(secs(1.0))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while let Ok(n) = s.recv(&mut buf) {
        for p in nitro::spat::packets(&buf[..n]).flatten() {
            if let nitro::spat::Packet::Data(st @ 1..=9, name) = p {
                got.push((st, String::from_utf8_lossy(name).into_owned()));
            }
        }
    }
    let _ = std::fs::remove_file(&p);
    let oneshots = got.iter().filter(|(s, _)| *s == State::Oneshot as u8).count();
    assert_eq!(oneshots, count, "received {} of {} notifications", got.len(), 2 * count);
}

/// A request sent the moment the control socket appears is served: the
/// socket passes credentials from its first datagram on (SO_PASSCRED set
/// before bind; once it came after, and such a request was refused).
#[test]
fn a_request_sent_as_soon_as_the_socket_appears_is_served() {
    // The order itself, as the kernel saw it: SO_PASSCRED on the control
    // socket before its bind (the race is too narrow to hit at will).
    let mut h = Harness::new();
    let trace = h.path("strace.out");
    h.wrapper = Some(format!("exec strace -f -o {} -e trace=bind,setsockopt \"$0\" \"$@\"", trace.display()));
    h.start();
    let log = std::fs::read_to_string(&trace).expect("strace output (is strace installed? apt-get install strace)");
    let lines: Vec<&str> = log.lines().collect();
    let bind = lines.iter().position(|l| l.contains("bind(") && l.contains("nitro.sock")).expect("the control socket's bind");
    let fd = lines[bind].split("bind(").nth(1).and_then(|r| r.split(',').next()).unwrap();
    let cred = lines.iter().position(|l| l.contains(&format!("setsockopt({fd}, SOL_SOCKET, SO_PASSCRED, [1]")));
    assert!(cred.is_some_and(|c| c < bind), "SO_PASSCRED not before bind:\n{log}");
    // (Through nitro itself: a signal would reach strace.)
    h.ctl_ok(&["Shutdown"]);
    drop(h);
    // And end to end: a request the moment the socket appears.
    for _ in 0..5 {
        let mut h = Harness::new();
        h.sleeper("a");
        h.file("a/down", "");
        let s = h.raw_socket();
        s.set_read_timeout(Some(5 * SEC)).unwrap();
        let arg = h.svdir.to_str().unwrap().to_string();
        h.spawn_nitro(&[arg]);
        let t = Instant::now();
        // (Spinning, no sleep: as early as a client can be.)
        while !h.sock.exists() {
            assert!(t.elapsed() < 10 * SEC, "no control socket");
        }
        s.send_to(&encode(Command::Up(b"a")), &h.sock).expect("send to nitro");
        let mut buf = [0u8; 64];
        let n = s.recv(&mut buf).expect("an answer");
        assert_eq!(&buf[..n], OK, "refused: {:?}", &buf[..n]);
        h.wait_state("a", State::Starting, 5 * SEC);
    }
}

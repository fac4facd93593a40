//! One request and what the supervisor sends back: the request datagram,
//! how each received datagram is read (status reply, state notification,
//! QUERY, LIST or INFO reply; never past its end) and when the request is
//! done with which exit code.

use crate::Sink;
use crate::cli::Cmd;
use nitro::out::Out;
use nitro::spat::{self, Command, Packet, Status, tag};
use nitro::state::State;

/// After a datagram: keep waiting, or done with this exit code.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Step {
    Wait,
    Done(i32),
}

/// What kind of datagram arrived, told by its first packet.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Kind {
    Empty,
    Ok,
    Esrch,
    Enosys,
    /// State packets (tag 1..=9): notifications.
    Notification,
    /// STATE first: a QUERY reply.
    Query,
    /// A SERVICE group first: a LIST reply.
    List,
    /// Anything else (INFO replies start with NITRO_PID).
    Other,
}

pub fn kind(d: &[u8]) -> Kind {
    match spat::packets(d).next() {
        None => Kind::Empty,
        Some(Ok(Packet::Data(tag::OK, _))) => Kind::Ok,
        Some(Ok(Packet::Data(tag::ESRCH, _))) => Kind::Esrch,
        Some(Ok(Packet::Data(tag::ENOSYS, _))) => Kind::Enosys,
        Some(Ok(Packet::Data(1..=9, _))) => Kind::Notification,
        Some(Ok(Packet::Data(tag::STATE, _))) => Kind::Query,
        Some(Ok(Packet::Open(tag::SERVICE))) => Kind::List,
        _ => Kind::Other,
    }
}

/// The status in a QUERY reply.
pub fn query_status(d: &[u8]) -> Status {
    let mut st = Status::default();
    for p in spat::packets(d) {
        match p {
            Ok(Packet::Data(t, payload)) => {
                st.absorb(t, payload);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    st
}

/// `STATE name (pid N) (wstatus W) Ss\n`, the pid part only with a pid.
pub fn list_line(o: &mut nitro::out::Text, name: &[u8], st: &Status) {
    o.s(State::name_of(st.state)).t(" ").s(name).t(" ");
    if st.pid != 0 {
        o.t("(pid ").u(st.pid as u64).t(") ");
    }
    o.t("(wstatus ").i(st.wstatus as i64).t(") ").u(st.uptime as u64).t("s\n");
}

/// One line of `list`.
fn print_line(sink: &mut impl Sink, name: &[u8], st: &Status) {
    let mut line = Out::<192>::new();
    list_line(&mut line, name, st);
    sink.out(line.bytes());
}

/// The entries of a LIST reply: (where the entry starts in the reply,
/// name, status). Unknown packets and groups are skipped; a truncated
/// packet ends it.
pub struct Entries<'a> {
    it: spat::Packets<'a>,
    len: usize,
}

pub fn entries(d: &[u8]) -> Entries<'_> {
    Entries { it: spat::packets(d), len: d.len() }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (usize, &'a [u8], Status);

    fn next(&mut self) -> Option<Self::Item> {
        // Inside a SERVICE group.
        let mut open = false;
        let mut name: Option<&'a [u8]> = None;
        let mut st = Status::default();
        let mut at = 0;
        // Depth of unknown groups inside (or outside) a SERVICE group.
        let mut skip = 0usize;
        loop {
            let left = self.it.rest().len();
            match self.it.next()? {
                Err(_) => return None,
                Ok(Packet::Open(t)) if t == tag::SERVICE && skip == 0 && !open => {
                    open = true;
                    name = None;
                    st = Status::default();
                    at = self.len - left;
                }
                Ok(Packet::Open(_)) => skip += 1,
                Ok(Packet::Close(_)) if skip > 0 => skip -= 1,
                Ok(Packet::Close(t)) if t == tag::SERVICE => {
                    if let (true, Some(n)) = (core::mem::take(&mut open), name) {
                        return Some((at, n, st));
                    }
                }
                Ok(Packet::Close(_)) => {}
                Ok(Packet::Data(t, p)) if skip == 0 && open => {
                    if t == tag::NAME {
                        name = Some(spat::name_of(p));
                    } else {
                        st.absorb(t, p);
                    }
                }
                Ok(Packet::Data(..)) => {}
            }
        }
    }
}

/// Entries of a LIST reply that are sorted (twice what nitro and nitro-rs
/// serve).
const INDEX_MAX: usize = 1024;
/// The longest reply print_list is given (nitroctl's receive buffer is no
/// longer): offsets in it fit in the index's u16.
pub const REPLY_MAX: usize = 1 << 16;

/// A LIST entry in the sort's index: where it starts in the reply (which
/// is also its order of arrival), where its name starts, the name's length.
/// Six bytes: the index of INDEX_MAX entries is 6 KiB of stack, where one
/// of slices and statuses took 40 KiB, every page of it touched (probed)
/// whenever the function was entered, a page fault each in a new process.
type Indexed = [u16; 3];

/// Print every LIST entry, sorted by name (bytes), then by arrival. Out of
/// line, so that only `list` enters its frame. `d` is one datagram, at
/// most 64 KiB (REPLY_MAX): its offsets fit in u16.
#[inline(never)]
pub fn print_list(d: &[u8], sink: &mut impl Sink) {
    // Index the entries once and sort them: linear in the reply, n log n in
    // the services; then print each from where it starts.
    debug_assert!(d.len() <= REPLY_MAX);
    let mut index: [Indexed; INDEX_MAX] = [[0; 3]; INDEX_MAX];
    let mut n = 0;
    for (at, name, _) in entries(d) {
        let Some(slot) = index.get_mut(n) else { return print_list_unindexed(d, sink) };
        let name_at = name.as_ptr() as usize - d.as_ptr() as usize;
        *slot = [at as u16, name_at as u16, name.len() as u16];
        n += 1;
    }
    let index = &mut index[..n];
    heapsort(d, index);
    for e in index.iter() {
        if let Some((_, name, st)) = entries(d.get(e[0] as usize..).unwrap_or_default()).next() {
            print_line(sink, name, &st);
        }
    }
}

/// Sort list entries by (name, arrival): a heapsort, a few hundred bytes
/// of code where core's sort costs kilobytes.
fn heapsort(d: &[u8], v: &mut [Indexed]) {
    fn less(d: &[u8], a: &Indexed, b: &Indexed) -> bool {
        let name = |e: &Indexed| d.get(e[1] as usize..e[1] as usize + e[2] as usize).unwrap_or_default();
        (name(a), a[0]) < (name(b), b[0])
    }
    fn sift(d: &[u8], v: &mut [Indexed], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && less(d, &v[child], &v[child + 1]) {
                child += 1;
            }
            if !less(d, &v[root], &v[child]) {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(d, v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(d, v, 0, end);
    }
}

/// A reply too long to index (no nitro serves that many services): every
/// entry as it comes, unsorted, rather than any left out.
fn print_list_unindexed(d: &[u8], sink: &mut impl Sink) {
    for (_, name, st) in entries(d) {
        print_line(sink, name, &st);
    }
}

/// The lines of an INFO reply.
pub fn print_info(d: &[u8], sink: &mut impl Sink) {
    for p in spat::packets(d) {
        let (t, payload) = match p {
            Ok(Packet::Data(t, payload)) => (t, payload),
            Ok(_) => continue,
            Err(_) => break,
        };
        let label = match t {
            tag::NITRO_PID => "nitro_pid ",
            tag::PID => "pid ",
            tag::MAX_SERVICE => "max_service ",
            tag::TOTAL_REAPS => "total_reaps ",
            tag::TOTAL_SV_REAPS => "total_sv_reaps ",
            _ => "",
        };
        let mut line = Out::<64>::new();
        match (label, spat::as_u32(payload)) {
            ("", _) | (_, None) => line.t("# unknown tag 0x").hex2(t),
            (l, Some(v)) => line.t(l).u(v as u64),
        };
        line.t("\n");
        sink.out(line.bytes());
    }
}

fn is_state(s: u8, set: &[State]) -> bool {
    set.iter().any(|&x| x as u8 == s)
}

/// One request: a command for one service (or none).
pub struct Job<'a> {
    pub cmd: Cmd,
    /// The service; empty for commands without one.
    pub name: &'a [u8],
    /// The last state reported, so repeated QUERY replies print once.
    last: u8,
}

impl<'a> Job<'a> {
    pub fn new(cmd: Cmd, name: &'a [u8]) -> Job<'a> {
        Job { cmd, name, last: 0 }
    }

    /// The request to send; `None` for `events`, which only listens.
    pub fn request(&self) -> Option<Command<'a>> {
        let n = self.name;
        Some(match self.cmd {
            Cmd::List if n.is_empty() => Command::List,
            Cmd::List | Cmd::Pidof | Cmd::Check => Command::Query(n),
            Cmd::WaitUp | Cmd::WaitDown | Cmd::WaitStarting => Command::Query(n),
            Cmd::Info => Command::Info,
            Cmd::Rescan => Command::Rescan,
            Cmd::Shutdown => Command::Shutdown,
            Cmd::Reboot => Command::Reboot,
            Cmd::Up | Cmd::Start | Cmd::FastStart => Command::Up(n),
            Cmd::Down | Cmd::Stop | Cmd::FastStop => Command::Down(n),
            Cmd::Restart | Cmd::FastRestart => Command::Restart(n),
            Cmd::Ready => Command::Ready(n),
            Cmd::Signal(s) => Command::Signal(s, n),
            Cmd::Events => return None,
        })
    }

    /// Waiting for a target state: if nothing arrives for a while, a QUERY
    /// for the service is sent again (a notification may have been lost).
    pub fn requeries(&self) -> bool {
        matches!(
            self.cmd,
            Cmd::Start
                | Cmd::Down
                | Cmd::Stop
                | Cmd::Restart
                | Cmd::FastStart
                | Cmd::FastStop
                | Cmd::FastRestart
                | Cmd::WaitUp
                | Cmd::WaitDown
                | Cmd::WaitStarting
        )
    }

    /// Whether state notifications of this service are shown with `-v`.
    fn shows_states(&self) -> bool {
        matches!(self.cmd, Cmd::Up | Cmd::Down) || self.requeries()
    }

    /// Interpret one datagram.
    pub fn on_datagram(&mut self, d: &[u8], verbose: bool, sink: &mut impl Sink) -> Step {
        let k = kind(d);
        match k {
            Kind::Esrch => {
                let mut o = Out::<128>::new();
                o.t("nitroctl: no such service '").s(self.name).t("'\n");
                sink.err(o.bytes());
                return Step::Done(111);
            }
            Kind::Enosys => {
                sink.err(b"nitroctl: command not implemented in server\n");
                return Step::Done(111);
            }
            _ => {}
        }
        match self.cmd {
            Cmd::Events => {
                self.print_states(d, sink, true);
                sink.flush();
                Step::Wait
            }
            Cmd::List if self.name.is_empty() => match k {
                Kind::List | Kind::Empty => {
                    print_list(d, sink);
                    Step::Done(0)
                }
                _ => Step::Wait,
            },
            Cmd::Info => match k {
                Kind::Other => {
                    print_info(d, sink);
                    Step::Done(0)
                }
                _ => Step::Wait,
            },
            Cmd::Rescan | Cmd::Shutdown | Cmd::Reboot | Cmd::Signal(_) => {
                if k == Kind::Ok { Step::Done(0) } else { Step::Wait }
            }
            // `down` waits for DOWN, as `stop` (nitro's nitroctl does).
            Cmd::Up | Cmd::Ready => match k {
                Kind::Ok => Step::Done(0),
                Kind::Notification if self.mine(d) => {
                    if verbose && self.cmd != Cmd::Ready {
                        self.print_states(d, sink, false);
                    }
                    Step::Done(0)
                }
                _ => Step::Wait,
            },
            Cmd::List | Cmd::Pidof | Cmd::Check => {
                if k != Kind::Query {
                    return Step::Wait;
                }
                let st = query_status(d);
                let mut o = Out::<192>::new();
                match self.cmd {
                    Cmd::List => {
                        list_line(&mut o, self.name, &st);
                        sink.out(o.bytes());
                        Step::Done(0)
                    }
                    _ if st.pid == 0 => Step::Done(1),
                    Cmd::Pidof => {
                        o.u(st.pid as u64).t("\n");
                        sink.out(o.bytes());
                        Step::Done(0)
                    }
                    _ => Step::Done(0),
                }
            }
            _ => self.on_state_datagram(k, d, verbose, sink),
        }
    }

    /// Commands waiting for a target state: the states in notifications and
    /// in QUERY replies are tested against it.
    fn on_state_datagram(&mut self, k: Kind, d: &[u8], verbose: bool, sink: &mut impl Sink) -> Step {
        match k {
            Kind::Query => {
                let s = query_status(d).state;
                if verbose && self.shows_states() && s != self.last {
                    self.print_state(s, self.name, sink);
                }
                self.last = s;
                self.test(s, sink)
            }
            Kind::Notification => {
                let mut step = Step::Wait;
                for p in spat::packets(d) {
                    let Ok(Packet::Data(s @ 1..=9, name)) = p else { break };
                    if spat::name_of(name) != self.name {
                        continue;
                    }
                    if verbose && self.shows_states() {
                        self.print_state(s, self.name, sink);
                    }
                    self.last = s;
                    step = self.test(s, sink);
                    if step != Step::Wait {
                        break;
                    }
                }
                step
            }
            _ => Step::Wait,
        }
    }

    /// Whether a notification datagram is about our service.
    fn mine(&self, d: &[u8]) -> bool {
        spat::packets(d).any(|p| matches!(p, Ok(Packet::Data(1..=9, n)) if spat::name_of(n) == self.name))
    }

    fn print_state(&self, s: u8, name: &[u8], sink: &mut impl Sink) {
        let mut o = Out::<96>::new();
        o.s(State::name_of(s)).t(" ").s(name).t("\n");
        sink.out(o.bytes());
    }

    /// Print the state packets of a notification datagram (all of them for
    /// `events`, our service's otherwise).
    fn print_states(&self, d: &[u8], sink: &mut impl Sink, all: bool) {
        for p in spat::packets(d) {
            let Ok(Packet::Data(s @ 1..=9, name)) = p else { break };
            let name = spat::name_of(name);
            if all || name == self.name {
                self.print_state(s, name, sink);
            }
        }
    }

    /// Whether state `s` ends the wait, and how.
    fn test(&self, s: u8, sink: &mut impl Sink) -> Step {
        use State::*;
        let (ok, fails): (&[State], Option<&str>) = match self.cmd {
            Cmd::Start => (&[Up, Oneshot], Some("start")),
            Cmd::Restart => (&[Up, Oneshot], Some("restart")),
            Cmd::FastStart => (&[Starting, Up, Oneshot], Some("start")),
            Cmd::FastRestart => (&[Starting, Up, Oneshot], Some("restart")),
            Cmd::Down | Cmd::Stop | Cmd::WaitDown => (&[Down, Fatal], None),
            Cmd::FastStop => (&[Shutdown, Down, Fatal], None),
            Cmd::WaitUp => (&[Up, Oneshot], None),
            Cmd::WaitStarting => (&[Starting, Up, Oneshot], None),
            _ => return Step::Wait,
        };
        if is_state(s, ok) {
            return Step::Done(0);
        }
        if let (Some(what), true) = (fails, s == Fatal as u8) {
            let mut o = Out::<128>::new();
            o.t("nitroctl: failed to ").t(what).t(" '").s(self.name).t("'\n");
            sink.err(o.bytes());
            return Step::Done(1);
        }
        Step::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::sig;
    use crate::testsink::Buf;
    use nitro::spat::Writer;

    fn notif(state: u8, name: &[u8]) -> Vec<u8> {
        let mut b = [0u8; 128];
        let mut w = Writer::new(&mut b);
        spat::encode_notification(&mut w, state, name).unwrap();
        w.bytes().to_vec()
    }

    fn query(state: u8, pid: u32) -> Vec<u8> {
        let mut b = [0u8; 64];
        let mut w = Writer::new(&mut b);
        Status { state, pid, wstatus: 0, uptime: 7 }.encode(&mut w).unwrap();
        w.bytes().to_vec()
    }

    const OK: &[u8] = &[0, 0, 80];
    const ESRCH: &[u8] = &[0, 0, 81];
    const ENOSYS: &[u8] = &[0, 0, 82];

    fn run(cmd: Cmd, name: &[u8], verbose: bool, ds: &[&[u8]]) -> (Vec<Step>, Buf) {
        let mut j = Job::new(cmd, name);
        let mut b = Buf::default();
        let steps = ds.iter().map(|d| j.on_datagram(d, verbose, &mut b)).collect();
        (steps, b)
    }

    #[test]
    fn requests_per_command() {
        assert_eq!(Job::new(Cmd::List, b"").request(), Some(Command::List));
        assert_eq!(Job::new(Cmd::List, b"a").request(), Some(Command::Query(b"a")));
        assert_eq!(Job::new(Cmd::Start, b"a").request(), Some(Command::Up(b"a")));
        assert_eq!(Job::new(Cmd::FastStop, b"a").request(), Some(Command::Down(b"a")));
        assert_eq!(Job::new(Cmd::FastRestart, b"a").request(), Some(Command::Restart(b"a")));
        assert_eq!(Job::new(Cmd::WaitUp, b"a").request(), Some(Command::Query(b"a")));
        assert_eq!(Job::new(Cmd::Signal(sig::TERM), b"a").request(), Some(Command::Signal(15, b"a")));
        assert_eq!(Job::new(Cmd::Events, b"").request(), None);
        assert!(Job::new(Cmd::Stop, b"a").requeries());
        assert!(!Job::new(Cmd::Up, b"a").requeries());
    }

    #[test]
    fn classification_never_confuses_query_and_notification() {
        assert_eq!(kind(OK), Kind::Ok);
        assert_eq!(kind(ESRCH), Kind::Esrch);
        assert_eq!(kind(&query(4, 1)), Kind::Query);
        assert_eq!(kind(&notif(4, b"web")), Kind::Notification);
        assert_eq!(kind(&[]), Kind::Empty);
        assert_eq!(kind(&[0, 0]), Kind::Other);
        // A query reply whose state byte is 1..9 is still a query reply.
        let (s, _) = run(Cmd::Up, b"a", false, &[&query(4, 1)]);
        assert_eq!(s, [Step::Wait]);
    }

    #[test]
    fn up_is_done_at_the_first_reply_and_down_waits_for_down() {
        let (s, b) = run(Cmd::Up, b"web", true, &[&notif(3, b"web")]);
        assert_eq!(s, [Step::Done(0)]);
        assert_eq!(b.out_str(), "STARTING web\n");
        let (s, b) = run(Cmd::Down, b"web", false, &[&notif(6, b"web"), OK, &notif(1, b"web")]);
        assert_eq!(s, [Step::Wait, Step::Wait, Step::Done(0)]);
        assert!(b.out.is_empty());
        let (s, _) = run(Cmd::Down, b"web", false, &[&notif(8, b"web")]);
        assert_eq!(s, [Step::Done(0)]);
        let (s, _) = run(Cmd::Ready, b"web", false, &[&notif(4, b"web")]);
        assert_eq!(s, [Step::Done(0)]);
        let (s, b) = run(Cmd::Up, b"nope", false, &[ESRCH]);
        assert_eq!(s, [Step::Done(111)]);
        assert_eq!(b.err_str(), "nitroctl: no such service 'nope'\n");
        let (s, b) = run(Cmd::Up, b"x", false, &[ENOSYS]);
        assert_eq!(s, [Step::Done(111)]);
        assert_eq!(b.err_str(), "nitroctl: command not implemented in server\n");
    }

    #[test]
    fn start_waits_for_up_and_fails_on_fatal() {
        let (s, b) = run(Cmd::Start, b"web", true, &[&notif(3, b"web"), OK, &notif(4, b"web")]);
        assert_eq!(s, [Step::Wait, Step::Wait, Step::Done(0)]);
        assert_eq!(b.out_str(), "STARTING web\nUP web\n");
        let (s, b) = run(Cmd::Start, b"web", false, &[&notif(3, b"web"), &notif(8, b"web")]);
        assert_eq!(s, [Step::Wait, Step::Done(1)]);
        assert_eq!(b.err_str(), "nitroctl: failed to start 'web'\n");
        let (s, b) = run(Cmd::Restart, b"web", false, &[&notif(8, b"web")]);
        assert_eq!(s, [Step::Done(1)]);
        assert_eq!(b.err_str(), "nitroctl: failed to restart 'web'\n");
        let (s, _) = run(Cmd::Start, b"web", false, &[&notif(5, b"web")]);
        assert_eq!(s, [Step::Done(0)]);
        // Another service's notification (should not come, but) is ignored.
        let (s, _) = run(Cmd::Start, b"web", false, &[&notif(4, b"other")]);
        assert_eq!(s, [Step::Wait]);
    }

    #[test]
    fn fast_variants_and_stop() {
        let (s, _) = run(Cmd::FastStart, b"a", false, &[&notif(2, b"a"), &notif(3, b"a")]);
        assert_eq!(s, [Step::Wait, Step::Done(0)]);
        let (s, b) = run(Cmd::FastRestart, b"a", false, &[&notif(8, b"a")]);
        assert_eq!(s, [Step::Done(1)]);
        assert_eq!(b.err_str(), "nitroctl: failed to restart 'a'\n");
        let (s, _) = run(Cmd::Stop, b"a", false, &[&notif(6, b"a"), OK, &notif(1, b"a")]);
        assert_eq!(s, [Step::Wait, Step::Wait, Step::Done(0)]);
        let (s, _) = run(Cmd::Stop, b"a", false, &[&notif(8, b"a")]);
        assert_eq!(s, [Step::Done(0)]);
        let (s, _) = run(Cmd::FastStop, b"a", false, &[&notif(4, b"a"), &notif(6, b"a")]);
        assert_eq!(s, [Step::Wait, Step::Done(0)]);
    }

    #[test]
    fn requery_replies_count_as_states() {
        let (s, b) = run(Cmd::Start, b"a", true, &[&notif(3, b"a"), &query(3, 9), &query(4, 9)]);
        assert_eq!(s, [Step::Wait, Step::Wait, Step::Done(0)]);
        // The repeated STARTING from the query is not printed twice.
        assert_eq!(b.out_str(), "STARTING a\nUP a\n");
    }

    #[test]
    fn wait_commands() {
        let (s, b) = run(Cmd::WaitUp, b"a", true, &[&query(3, 1), &notif(8, b"a"), &notif(4, b"a")]);
        assert_eq!(s, [Step::Wait, Step::Wait, Step::Done(0)]);
        assert_eq!(b.out_str(), "STARTING a\nFATAL a\nUP a\n");
        assert!(b.err.is_empty());
        let (s, _) = run(Cmd::WaitDown, b"a", false, &[&query(8, 0)]);
        assert_eq!(s, [Step::Done(0)]);
        let (s, _) = run(Cmd::WaitStarting, b"a", false, &[&query(1, 0), &notif(2, b"a"), &notif(3, b"a")]);
        assert_eq!(s, [Step::Wait, Step::Wait, Step::Done(0)]);
        let (s, _) = run(Cmd::WaitUp, b"a", false, &[ESRCH]);
        assert_eq!(s, [Step::Done(111)]);
    }

    #[test]
    fn pidof_check_and_list_query() {
        let (s, b) = run(Cmd::Pidof, b"a", false, &[&notif(4, b"a"), &query(4, 1234)]);
        assert_eq!(s, [Step::Wait, Step::Done(0)]);
        assert_eq!(b.out_str(), "1234\n");
        let (s, b) = run(Cmd::Pidof, b"a", false, &[&query(1, 0)]);
        assert_eq!(s, [Step::Done(1)]);
        assert!(b.out.is_empty());
        let (s, b) = run(Cmd::Check, b"a", false, &[&query(4, 5)]);
        assert_eq!(s, [Step::Done(0)]);
        assert!(b.out.is_empty());
        let (s, _) = run(Cmd::Check, b"a", false, &[&query(4, 0)]);
        assert_eq!(s, [Step::Done(1)]);
        let (s, b) = run(Cmd::List, b"web", false, &[&notif(4, b"web"), &query(4, 42)]);
        assert_eq!(s, [Step::Wait, Step::Done(0)]);
        assert_eq!(b.out_str(), "UP web (pid 42) (wstatus 0) 7s\n");
    }

    #[test]
    fn signals_and_global_commands() {
        let (s, _) = run(Cmd::Signal(sig::KILL), b"a", false, &[&notif(6, b"a"), OK]);
        assert_eq!(s, [Step::Wait, Step::Done(0)]);
        let (s, b) = run(Cmd::Signal(sig::KILL), b"zz", false, &[ESRCH]);
        assert_eq!(s, [Step::Done(111)]);
        assert_eq!(b.err_str(), "nitroctl: no such service 'zz'\n");
        for c in [Cmd::Rescan, Cmd::Shutdown, Cmd::Reboot] {
            assert_eq!(run(c, b"", false, &[OK]).0, [Step::Done(0)]);
        }
    }

    fn list_of(entries: &[(&[u8], Status, bool)]) -> Vec<u8> {
        let mut buf = vec![0u8; 200 * entries.len() + 16];
        let mut w = Writer::new(&mut buf);
        for (name, st, nul) in entries {
            if *nul {
                spat::encode_list_entry(&mut w, name, st).unwrap();
            } else {
                w.open(tag::SERVICE).unwrap();
                w.packet(tag::NAME, name).unwrap();
                st.encode(&mut w).unwrap();
                w.close(tag::SERVICE).unwrap();
            }
        }
        w.bytes().to_vec()
    }

    #[test]
    fn list_is_sorted_by_name() {
        let st = |state, pid, wstatus, uptime| Status { state, pid, wstatus, uptime };
        let d = list_of(&[
            (b"web", st(4, 100, 0, 12), true),
            (b"LOG", st(4, 7, 0, 30), false),
            (b"db", st(8, 0, -1, 3), true),
        ]);
        let (s, b) = run(Cmd::List, b"", false, &[&d]);
        assert_eq!(s, [Step::Done(0)]);
        assert_eq!(
            b.out_str(),
            "UP LOG (pid 7) (wstatus 0) 30s\nFATAL db (wstatus -1) 3s\nUP web (pid 100) (wstatus 0) 12s\n"
        );
        let (s, b) = run(Cmd::List, b"", false, &[&[]]);
        assert_eq!(s, [Step::Done(0)]);
        assert!(b.out.is_empty());
    }

    #[test]
    fn list_keeps_duplicates_and_skips_unknown_things() {
        let st = Status { state: 1, pid: 0, wstatus: 0, uptime: 0 };
        let mut d = list_of(&[(b"b", st, true), (b"a", st, true), (b"b", st, true)]);
        // An unknown group with a SERVICE group inside, an unknown packet,
        // and a truncated packet at the end.
        let mut extra = [0u8; 64];
        let mut w = Writer::new(&mut extra);
        w.open(77).unwrap();
        spat::encode_list_entry(&mut w, b"hidden", &st).unwrap();
        w.close(77).unwrap();
        w.packet(99, b"junk").unwrap();
        let n = w.len();
        d.extend_from_slice(&extra[..n]);
        d.extend_from_slice(&[9, 0, 101, b'x']);
        let (_, b) = run(Cmd::List, b"", false, &[&d]);
        assert_eq!(b.out_str(), "DOWN a (wstatus 0) 0s\nDOWN b (wstatus 0) 0s\nDOWN b (wstatus 0) 0s\n");
    }

    #[test]
    fn big_list_of_long_names() {
        let names: Vec<Vec<u8>> = (0..500).rev().map(|i| format!("{:0>63}", i).into_bytes()).collect();
        let st = Status { state: 4, pid: 1, wstatus: 0, uptime: 1 };
        let es: Vec<(&[u8], Status, bool)> = names.iter().map(|n| (&n[..], st, true)).collect();
        let d = list_of(&es);
        assert!(d.len() <= nitro::config::LIST_REPLY_MAX);
        let (s, b) = run(Cmd::List, b"", false, &[&d]);
        assert_eq!(s, [Step::Done(0)]);
        let lines: Vec<&str> = b.out_str().lines().collect();
        assert_eq!(lines.len(), 500);
        assert!(lines[0].starts_with(&format!("UP {:0>63} ", 0)));
        assert!(lines[499].starts_with(&format!("UP {:0>63} ", 499)));
    }

    #[test]
    fn a_list_too_long_to_sort_is_printed_whole_as_it_came() {
        let st = Status { state: State::Up as u8, pid: 1, wstatus: 0, uptime: 0 };
        let names: Vec<String> = (0..INDEX_MAX + 76).rev().map(|i| format!("s{i}")).collect();
        let es: Vec<(&[u8], Status, bool)> = names.iter().map(|n| (n.as_bytes(), st, true)).collect();
        let (s, b) = run(Cmd::List, b"", false, &[&list_of(&es)]);
        assert_eq!(s, [Step::Done(0)]);
        let got: Vec<String> = b.out_str().lines().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
        assert_eq!(got, names);
    }

    #[test]
    fn info_lines() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        for (t, v) in [(106, 1), (103, 1), (107, 12), (108, 40), (109, 30)] {
            w.u32(t, v).unwrap();
        }
        w.u32(110, 5).unwrap();
        let n = w.len();
        let (s, b) = run(Cmd::Info, b"", false, &[&buf[..n]]);
        assert_eq!(s, [Step::Done(0)]);
        assert_eq!(
            b.out_str(),
            "nitro_pid 1\npid 1\nmax_service 12\ntotal_reaps 40\ntotal_sv_reaps 30\n# unknown tag 0x6e\n"
        );
    }

    #[test]
    fn events_print_every_notification_and_flush() {
        let (s, b) = run(Cmd::Events, b"", false, &[&notif(3, b"a"), &notif(4, b"b")]);
        assert_eq!(s, [Step::Wait, Step::Wait]);
        assert_eq!(b.out_str(), "STARTING a\nUP b\n");
        assert_eq!(b.flushes, 2);
    }

    #[test]
    fn list_line_format() {
        let mut o = Out::<128>::new();
        list_line(&mut o, b"x", &Status { state: 9, pid: 0, wstatus: 256, uptime: 0 });
        assert_eq!(o.bytes(), b"DELAY x (wstatus 256) 0s\n");
        o.clear();
        list_line(&mut o, b"x", &Status { state: 42, pid: 3, wstatus: 0, uptime: 1 });
        assert_eq!(o.bytes(), b"??? x (pid 3) (wstatus 0) 1s\n");
    }
}

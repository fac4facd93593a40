//! The one queue through which changes leave the core: every announced
//! state change of a service, and what happens to jobs (a task started or
//! ended, a job done, stopped or removed), numbered. Readers (the control socket's subscribers, HTTP
//! event streams) each keep the sequence number of the next event they
//! want and read at their own pace; the core never waits for them.
//!
//! The queue is a ring of fixed records in a static (.bss). A reader that
//! falls more than `EVENTS_MAX` events behind loses the oldest and is told
//! how many (`Read::Missed`). When every reader has caught up, the last
//! `HISTORY` events move to the ring's first records and it goes on from
//! there, so the memory it touches is that of the largest burst plus the
//! history, not of its whole capacity; the history is what a new reader
//! can ask for (`start_after`: a client that learnt a job's sequence
//! number from its status misses nothing that followed).

use crate::name::Name;
use crate::state::State;

/// Events the ring holds: more than one pass can produce (a full table of
/// services each announcing two changes), so a reader that is served after
/// every pass never misses one.
pub const EVENTS_MAX: usize = 2 * crate::config::MAX_SERVICES + 24;

/// What an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A service (or SYS) announced `state`.
    Service,
    /// Task `task` of job `name` started as `pid`.
    TaskStarted,
    /// Task `task` of job `name` ended with wait status `status` (its
    /// TASK_EXIT text is `exit_text(status)`).
    TaskEnded,
    /// Every task of the job ran.
    JobDone,
    /// The job was stopped (DELETE or a shutdown) before its end.
    JobStopped,
    /// The job is gone from the table.
    JobRemoved,
}

/// Events kept for readers that start in the past (`after=SEQ`) once
/// every current reader has read them. Only HTTP streams can ask for them:
/// without the endpoint, none (and the ring's pages beyond a burst stay
/// untouched).
pub const HISTORY: usize = if cfg!(feature = "http") { 256 } else { 0 };

/// One announced change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub name: Name,
    pub kind: Kind,
    /// For `Kind::Service`.
    pub state: State,
    pub task: u8,
    pub pid: i32,
    /// For `Kind::TaskEnded`: the task's wait status.
    pub status: i32,
}

// (Kind::Service and State::Free, zero: an all-zero ring stays in .bss,
// not in the binary.)
const EMPTY: Event = Event { name: Name::EMPTY, kind: Kind::Service, state: State::Free, task: 0, pid: 0, status: 0 };

impl Event {
    pub fn job(name: Name, kind: Kind, task: usize, pid: i32, status: i32) -> Event {
        Event { name, kind, task: task.min(255) as u8, pid, status, ..EMPTY }
    }
}

const _: () = assert!(core::mem::size_of::<Event>() == 76);

/// (`repr(C)`, counters first: beside the first records they use. Page
/// aligned: 50 services' start (STARTING, then UP: 100 records of 76
/// bytes and the counters) fill two pages, not three.)
#[repr(C, align(4096))]
pub struct Events {
    /// Sequence number of the event at ring index 0 (the ring restarts
    /// there when everyone has read everything).
    base: u64,
    /// The next event's sequence number; `next - EVENTS_MAX` at most is
    /// still held.
    next: u64,
    ring: [Event; EVENTS_MAX],
}

/// What a reader gets at its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read<'a> {
    /// (Where it is in the ring: no 76-byte copy for every reader.)
    Event(&'a Event),
    /// This many events were lost before the oldest still held.
    Missed(u64),
    /// Nothing new.
    End,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub const fn new() -> Events {
        Events { ring: [EMPTY; EVENTS_MAX], base: 0, next: 0 }
    }

    /// The sequence number the next event gets: where a new reader starts.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// The oldest event still held.
    fn oldest(&self) -> u64 {
        self.next.saturating_sub(EVENTS_MAX as u64).max(self.base)
    }

    /// Add an event; its sequence number.
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn push(&mut self, ev: Event) -> u64 {
        *self.slot() = ev;
        self.next - 1
    }

    /// Add a service's change, written into its record in place.
    pub fn push_service(&mut self, name: &Name, state: State) {
        *self.slot() = Event { name: *name, state, ..EMPTY };
    }

    /// The record the next event goes to; it is numbered.
    fn slot(&mut self) -> &mut Event {
        let i = ((self.next - self.base) % EVENTS_MAX as u64) as usize;
        self.next += 1;
        &mut self.ring[i]
    }

    /// The oldest sequence number a reader can still start from: where one
    /// that asks to start after `seq` begins (`None`: from now on).
    pub fn start_after(&self, seq: Option<u64>) -> u64 {
        match seq {
            Some(s) => s.saturating_add(1).min(self.next),
            None => self.next,
        }
    }

    /// What a reader at `*seq` gets; moves it on.
    pub fn read(&self, seq: &mut u64) -> Read<'_> {
        let oldest = self.oldest();
        if *seq < oldest {
            let missed = oldest - *seq;
            *seq = oldest;
            return Read::Missed(missed);
        }
        if *seq >= self.next {
            return Read::End;
        }
        let ev = &self.ring[((*seq - self.base) % EVENTS_MAX as u64) as usize];
        *seq += 1;
        Read::Event(ev)
    }

    /// Every reader is at `min` or beyond: when that is everything, the
    /// last `HISTORY` events move to the first records and the ring goes on
    /// from there (not while they wrap around its end: later, then).
    pub fn release(&mut self, min: u64) {
        if min < self.next {
            return;
        }
        let keep = (self.next - self.oldest()).min(HISTORY as u64);
        let from = self.next - keep;
        let at = ((from - self.base) % EVENTS_MAX as u64) as usize;
        let k = keep as usize;
        if at == 0 || at + k > EVENTS_MAX {
            return;
        }
        self.ring.copy_within(at..at + k, 0);
        self.base = from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: usize) -> (Name, State) {
        (Name::new(format!("s{i}").as_bytes()).unwrap(), State::Up)
    }

    #[test]
    fn readers_read_at_their_pace_and_learn_what_they_missed() {
        let mut e = Box::new(Events::new());
        let mut a = e.next_seq();
        for i in 0..3 {
            let (n, s) = ev(i);
            e.push_service(&n, s);
        }
        assert!(matches!(e.read(&mut a), Read::Event(x) if x.name.as_bytes() == b"s0"));
        let mut b = a;
        for i in 3..(3 + EVENTS_MAX) {
            let (n, s) = ev(i);
            e.push_service(&n, s);
        }
        // b was at 1; the ring now holds 3..3+EVENTS_MAX.
        assert_eq!(e.read(&mut b), Read::Missed(2));
        assert!(matches!(e.read(&mut b), Read::Event(x) if x.name.as_bytes() == b"s3"));
        let mut c = e.next_seq();
        assert_eq!(e.read(&mut c), Read::End);
    }

    #[test]
    fn the_ring_starts_again_with_its_history_once_everyone_has_read_everything() {
        let mut e = Box::new(Events::new());
        let mut r = e.next_seq();
        let n = HISTORY + 10;
        for i in 0..n {
            let (nm, s) = ev(i);
            e.push_service(&nm, s);
        }
        while e.read(&mut r) != Read::End {}
        e.release(r);
        assert_eq!(e.base, (n - HISTORY) as u64, "the last HISTORY events kept");
        assert_eq!(e.ring[0].name.as_bytes(), b"s10", "moved to the first record");
        // A reader that starts after a kept event reads on from there; one
        // from before the history learns what it missed.
        let mut late = e.start_after(Some(n as u64 - 3));
        assert!(matches!(e.read(&mut late), Read::Event(x) if x.name.as_bytes() == format!("s{}", n - 2).as_bytes()));
        let mut old = e.start_after(Some(5));
        assert_eq!(e.read(&mut old), Read::Missed(4));
        assert!(matches!(e.read(&mut old), Read::Event(x) if x.name.as_bytes() == b"s10"));
        // The next event follows the history.
        let (nm, s) = ev(999);
        assert_eq!(e.next_seq(), n as u64);
        e.push_service(&nm, s);
        assert_eq!(e.ring[HISTORY].name.as_bytes(), b"s999");
        assert!(matches!(e.read(&mut r), Read::Event(x) if x.name.as_bytes() == b"s999"));
        // A reader behind keeps the ring from moving.
        let mut behind = e.next_seq() - 1;
        e.release(behind);
        assert_eq!(e.base, (n - HISTORY) as u64);
        assert!(matches!(e.read(&mut behind), Read::Event(x) if x.name.as_bytes() == b"s999"));
        // start_after never goes past now.
        assert_eq!(e.start_after(Some(u64::MAX - 1)), e.next_seq());
        assert_eq!(e.start_after(None), e.next_seq());
    }
}

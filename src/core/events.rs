//! The one queue through which changes leave the core: every announced
//! state change, numbered. Readers (the control socket's subscribers, HTTP
//! event streams) each keep the sequence number of the next event they
//! want and read at their own pace; the core never waits for them.
//!
//! The queue is a ring of fixed records in a static (.bss). A reader that
//! falls more than `EVENTS_MAX` events behind loses the oldest and is told
//! how many (`Read::Missed`). When every reader has caught up the ring starts
//! again at its first record, so the memory it touches is that of the
//! largest burst, not of its whole capacity.

use crate::name::Name;
use crate::state::State;

/// Events the ring holds: more than one pass can produce (a full table of
/// services each announcing two changes), so a reader that is served after
/// every pass never misses one.
pub const EVENTS_MAX: usize = 2 * crate::config::MAX_SERVICES + 24;

/// One announced change: a service (or SYS) and its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub name: Name,
    pub state: State,
}

// (State::Free, zero: an all-zero ring stays in .bss, not in the binary.)
const EMPTY: Event = Event { name: Name::EMPTY, state: State::Free };

pub struct Events {
    ring: [Event; EVENTS_MAX],
    /// Sequence number of the event at ring index 0 (the ring restarts
    /// there when everyone has read everything).
    base: u64,
    /// The next event's sequence number; `next - EVENTS_MAX` at most is
    /// still held.
    next: u64,
}

/// What a reader gets at its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    Event(Event),
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

    pub fn push(&mut self, name: Name, state: State) {
        let i = ((self.next - self.base) % EVENTS_MAX as u64) as usize;
        self.ring[i] = Event { name, state };
        self.next += 1;
    }

    /// What a reader at `*seq` gets; moves it on.
    pub fn read(&self, seq: &mut u64) -> Read {
        let oldest = self.oldest();
        if *seq < oldest {
            let missed = oldest - *seq;
            *seq = oldest;
            return Read::Missed(missed);
        }
        if *seq >= self.next {
            return Read::End;
        }
        let ev = self.ring[((*seq - self.base) % EVENTS_MAX as u64) as usize];
        *seq += 1;
        Read::Event(ev)
    }

    /// Every reader is at `min` or beyond: when that is everything, the
    /// ring starts again at its first record.
    pub fn release(&mut self, min: u64) {
        if min >= self.next {
            self.base = self.next;
        }
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
            e.push(n, s);
        }
        assert!(matches!(e.read(&mut a), Read::Event(x) if x.name.as_bytes() == b"s0"));
        let mut b = a;
        for i in 3..(3 + EVENTS_MAX) {
            let (n, s) = ev(i);
            e.push(n, s);
        }
        // b was at 1; the ring now holds 3..3+EVENTS_MAX.
        assert_eq!(e.read(&mut b), Read::Missed(2));
        assert!(matches!(e.read(&mut b), Read::Event(x) if x.name.as_bytes() == b"s3"));
        let mut c = e.next_seq();
        assert_eq!(e.read(&mut c), Read::End);
    }

    #[test]
    fn the_ring_starts_again_once_everyone_has_read_everything() {
        let mut e = Box::new(Events::new());
        let mut r = e.next_seq();
        for i in 0..5 {
            let (n, s) = ev(i);
            e.push(n, s);
        }
        while e.read(&mut r) != Read::End {}
        e.release(r);
        assert_eq!(e.base, 5);
        let (n, s) = ev(9);
        e.push(n, s);
        assert_eq!(e.ring[0].name.as_bytes(), b"s9", "written at the first record again");
        assert!(matches!(e.read(&mut r), Read::Event(x) if x.name.as_bytes() == b"s9"));
        // A reader behind keeps the ring going on.
        let mut late = r;
        for i in 0..3 {
            let (n, s) = ev(i);
            e.push(n, s);
        }
        e.release(late);
        assert_eq!(e.base, 5);
        assert!(matches!(e.read(&mut late), Read::Event(x) if x.name.as_bytes() == b"s0"));
    }
}

//! The service table: a fixed array of slots, reached by index. A slot is
//! either free or holds one service; indices stay stable while a service
//! exists (loggers are referred to by slot).

use crate::config::MAX_SERVICES;
use crate::name::Name;
use crate::state::{Deadline, Machine, NEVER, State};

pub type Slot = u16;
pub const NO_SLOT: Slot = Slot::MAX;
/// "No descriptor". 0 is never one of ours: the supervisor keeps 0, 1 and 2
/// open, so every descriptor it creates is 3 or above. (Zero also keeps an
/// empty table all zero bytes, in .bss rather than in the binary.)
pub const NO_FD: i32 = 0;

#[derive(Clone, Copy)]
pub struct Service {
    pub name: Name,
    pub m: Machine,
    /// Pids of the run, setup and finish processes (0: none).
    pub pid: i32,
    pub setup_pid: i32,
    pub finish_pid: i32,
    /// Read end of the readiness pipe while STARTING with notification-fd.
    pub ready_fd: i32,
    /// When this service is a logger: the pipe its producers write into
    /// (read end = its stdin). Held for the logger's whole life.
    pub log_pipe: [i32; 2],
    /// The logger this service's output goes to.
    pub logger: Option<Slot>,
    /// Found by the last scan, or referred to, or created on request.
    pub seen: bool,
    /// Added by the running scan and to be started when it ends.
    pub fresh: bool,
    /// Times the run process was started (for metrics).
    pub starts: u32,
    /// At shutdown: a logger whose input was closed, left to read what is
    /// in its pipe and exit by itself (`Drain::NONE`: not draining).
    pub drain: Drain,
}

/// A logger draining its pipe at shutdown: checked once a second; it gets
/// its down-signal only after `LOG_DRAIN_QUIET` checks in a row that found
/// its pipe no emptier than before (it is stuck, or done reading and still
/// not gone), never while it makes progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drain {
    /// The next check ([`NEVER`]: the logger is not draining).
    pub next: Deadline,
    /// Bytes in the pipe at the last check.
    pub level: u32,
    /// Checks in a row without progress.
    pub quiet: u8,
}

impl Drain {
    pub const NONE: Drain = Drain { next: NEVER, level: 0, quiet: 0 };
}

impl Service {
    pub const EMPTY: Service = Service {
        name: Name::EMPTY,
        m: Machine::new(State::Free, 0),
        pid: 0,
        setup_pid: 0,
        finish_pid: 0,
        ready_fd: NO_FD,
        log_pipe: [NO_FD, NO_FD],
        logger: None,
        seen: false,
        fresh: false,
        starts: 0,
        drain: Drain::NONE,
    };

    pub fn used(&self) -> bool {
        self.m.state != State::Free
    }

    pub fn is_logger(&self) -> bool {
        self.log_pipe[0] != NO_FD || self.name.is_log()
    }

    /// Whether any process of the service is alive.
    #[inline(never)] // (out of line: smaller, measured)
    pub fn has_process(&self) -> bool {
        self.pid != 0 || self.setup_pid != 0 || self.finish_pid != 0
    }
}

/// (`repr(C)`, counters first: they share a page with the first slots,
/// and a table touches only as many pages as its slots in use need.)
#[repr(C)]
pub struct Table {
    /// One past the highest slot ever in use: iteration stops there.
    hi: usize,
    count: usize,
    slots: [Service; MAX_SERVICES],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

/// The slots in use (`Table::slots`): one walker, out of line, for every
/// loop over the table.
pub struct Slots<'t> {
    t: &'t Table,
    next: usize,
}

impl Iterator for Slots<'_> {
    type Item = Slot;

    #[inline(never)]
    fn next(&mut self) -> Option<Slot> {
        while self.next < self.t.hi {
            let i = self.next;
            self.next += 1;
            if self.t.slots.get(i).is_some_and(Service::used) {
                return Some(i as Slot);
            }
        }
        None
    }
}

impl Table {
    pub const fn new() -> Table {
        Table { slots: [Service::EMPTY; MAX_SERVICES], hi: 0, count: 0 }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// One past the highest slot in use: loops that change the table walk
    /// `0..end()` by index and skip free slots.
    pub fn end(&self) -> Slot {
        self.hi as Slot
    }

    /// The slots in use, in slot order.
    pub fn slots(&self) -> Slots<'_> {
        Slots { t: self, next: 0 }
    }

    // Out of line: called from 50 places, where the clamp and the multiply
    // cost more than a call (-0.5 KiB).
    #[inline(never)]
    pub fn get(&self, s: Slot) -> &Service {
        &self.slots[(s as usize).min(MAX_SERVICES - 1)]
    }

    #[inline(never)]
    pub fn get_mut(&mut self, s: Slot) -> &mut Service {
        &mut self.slots[(s as usize).min(MAX_SERVICES - 1)]
    }

    pub fn find(&self, name: &[u8]) -> Option<Slot> {
        self.slots().find(|&s| self.get(s).name.as_bytes() == name)
    }

    /// Put a new service into a free slot.
    pub fn insert(&mut self, name: Name, now: u64) -> Result<Slot, Full> {
        let i = self.slots.iter().position(|s| !s.used()).ok_or(Full)?;
        self.slots[i] = Service { name, m: Machine::new(State::Down, now), seen: true, ..Service::EMPTY };
        self.count += 1;
        self.hi = self.hi.max(i + 1);
        Ok(i as Slot)
    }

    /// Free a slot; the caller has closed its descriptors.
    pub fn remove(&mut self, s: Slot) {
        let i = s as usize;
        if i < MAX_SERVICES && self.slots[i].used() {
            self.slots[i] = Service::EMPTY;
            self.count -= 1;
            while self.hi > 0 && !self.slots[self.hi - 1].used() {
                self.hi -= 1;
            }
            for o in self.slots[..self.hi].iter_mut() {
                if o.logger == Some(s) {
                    o.logger = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_n_means_n_services() {
        let mut t = Box::new(Table::new());
        for i in 0..MAX_SERVICES {
            let mut n = [b'a'; 8];
            n[..3].copy_from_slice(&[(i / 100) as u8 + b'0', (i / 10 % 10) as u8 + b'0', (i % 10) as u8 + b'0']);
            assert!(t.insert(Name::new(&n).unwrap(), 0).is_ok(), "slot {i}");
        }
        assert_eq!(t.count(), MAX_SERVICES);
        assert_eq!(t.insert(Name::new(b"one-more").unwrap(), 0), Err(Full));
    }

    #[test]
    fn removal_frees_the_slot_and_forgets_logger_references() {
        let mut t = Box::new(Table::new());
        let a = t.insert(Name::new(b"a").unwrap(), 0).unwrap();
        let b = t.insert(Name::new(b"b").unwrap(), 0).unwrap();
        t.get_mut(a).logger = Some(b);
        t.remove(b);
        assert_eq!(t.get(a).logger, None);
        assert_eq!(t.find(b"b"), None);
        assert_eq!(t.insert(Name::new(b"c").unwrap(), 0), Ok(b));
        assert_eq!(t.slots().count(), 2);
    }
}

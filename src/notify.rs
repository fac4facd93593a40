//! State notifications to subscribers: every socket file in `notify/` whose
//! name starts with `ALL,` or `<service>,` gets a packet `u16 len(name),
//! u8 state, name` per change. After each loop pass the new changes of the
//! core's queue are sent in one sweep of the directory.
//!
//! nitro drops a notification when the subscriber's queue is full (Linux
//! queues 10 datagrams per unix socket by default). We do not: a subscriber
//! that would block gets a connected socket and its own position in the
//! core's queue, and reads on from there as soon as poll(2) says its socket
//! is writable again. Only a subscriber that falls more than the queue
//! holds behind loses the oldest changes.

use crate::config::NAME_MAX;
use crate::core::{ChangeKind, Events, Read};
use crate::path::Path;
use crate::spat;
use crate::sys;
use crate::table::NO_FD;
use core::mem::MaybeUninit;
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

/// Subscribers that can be behind at the same time.
pub const BACKLOG_SUBSCRIBERS: usize = 16;
const FILE_MAX: usize = 128;

/// Subscribers that could not take a notification at once, as parallel
/// arrays: the per-pass check (`waiting`) reads only the small `fds`.
pub struct Backlog {
    /// Connected to the subscriber's socket; NO_FD when the slot is free.
    fds: [i32; BACKLOG_SUBSCRIBERS],
    /// The next change of the queue it gets.
    seqs: [u64; BACKLOG_SUBSCRIBERS],
    file_lens: [u8; BACKLOG_SUBSCRIBERS],
    files: [[u8; FILE_MAX]; BACKLOG_SUBSCRIBERS],
}

impl Default for Backlog {
    fn default() -> Self {
        Self::new()
    }
}

impl Backlog {
    pub const fn new() -> Backlog {
        Backlog {
            fds: [NO_FD; BACKLOG_SUBSCRIBERS],
            seqs: [0; BACKLOG_SUBSCRIBERS],
            file_lens: [0; BACKLOG_SUBSCRIBERS],
            files: [[0; FILE_MAX]; BACKLOG_SUBSCRIBERS],
        }
    }

    fn file(&self, i: usize) -> &[u8] {
        &self.files[i][..self.file_lens[i] as usize]
    }

    fn find(&self, file: &[u8]) -> Option<usize> {
        (0..BACKLOG_SUBSCRIBERS).find(|&i| self.fds[i] != NO_FD && self.file(i) == file)
    }

    fn free(&mut self, i: usize) {
        if self.fds[i] != NO_FD {
            drop(sys::own(self.fds[i]));
        }
        self.fds[i] = NO_FD;
        self.file_lens[i] = 0;
    }

    /// Take a slot for a subscriber that will read on from `seq`: connect
    /// a socket to it.
    fn open(&mut self, file: &[u8], addr: &SocketAddrUnix, seq: u64) -> Option<usize> {
        let i = self.fds.iter().position(|&fd| fd == NO_FD)?;
        // (A name longer than FILE_MAX has no place.)
        let name = self.files.get_mut(i)?.get_mut(..file.len())?;
        let fd: OwnedFd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK, None).ok()?;
        rustix::net::connect(&fd, addr).ok()?;
        name.copy_from_slice(file);
        self.file_lens[i] = file.len() as u8;
        self.fds[i] = crate::core::into_raw(fd);
        self.seqs[i] = seq;
        Some(i)
    }

    /// Send what a subscriber's socket takes now; free the slot when it
    /// has caught up or is gone.
    pub fn drain(&mut self, i: usize, events: &Events) {
        if i >= BACKLOG_SUBSCRIBERS || self.fds[i] == NO_FD {
            return;
        }
        let file = self.files[i].get(..self.file_lens[i] as usize).unwrap_or(&[]);
        match send_from(events, sys::fd(self.fds[i]), None, file, &mut self.seqs[i]) {
            Err(Errno::AGAIN | Errno::INTR) => {}
            _ => self.free(i),
        }
    }

    /// Subscribers with a backlog, to be polled for POLLOUT.
    pub fn waiting(&self) -> impl Iterator<Item = (usize, i32)> + '_ {
        self.fds.iter().enumerate().filter(|&(_, &fd)| fd != NO_FD).map(|(i, &fd)| (i, fd))
    }
}

pub struct Notifier {
    dir: &'static Path,
    dirfd: OwnedFd,
    /// The next change not yet swept to the subscribers.
    sent: u64,
    pub backlog: &'static mut Backlog,
}

/// Whether notify file `file` subscribes to `service`.
pub fn subscribes(file: &[u8], service: &[u8]) -> bool {
    file.starts_with(b"ALL,")
        || (file.len() > service.len() && file.starts_with(service) && file[service.len()] == b',')
}

/// Send subscriber `file` the changes from `*seq` on, through `fd` to `to`
/// (or to `fd`'s connected peer). `*seq` moves past each change sent or
/// not subscribed to (and past those the queue no longer holds: nitro's
/// protocol has no word for them); Err when a send failed, `*seq` then at
/// that change. One loop for the sweep and for a subscriber behind.
fn send_from(events: &Events, fd: BorrowedFd, to: Option<&SocketAddrUnix>, file: &[u8], seq: &mut u64) -> Result<(), Errno> {
    loop {
        let mut next = *seq;
        match events.read(&mut next) {
            Read::End => return Ok(()),
            Read::Event(ev) if ev.kind == ChangeKind::Service && subscribes(file, ev.name.as_bytes()) => {
                send_change(fd, to, ev.state as u8, ev.name.as_bytes())?;
            }
            // (Jobs are not part of nitro's protocol.)
            _ => {}
        }
        *seq = next;
    }
}

/// One notification packet, to `to` (or to the connected peer).
// (Out of line on x86_64: smaller there, larger on aarch64.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn send_change(fd: BorrowedFd, to: Option<&SocketAddrUnix>, state: u8, name: &[u8]) -> Result<(), Errno> {
    let mut pkt = [0u8; 3 + NAME_MAX];
    let mut w = spat::Writer::new(&mut pkt);
    if spat::encode_notification(&mut w, state, name).is_err() {
        return Ok(());
    }
    let r = match to {
        Some(to) => rustix::net::sendto(fd, w.bytes(), SendFlags::DONTWAIT, to),
        None => rustix::net::send(fd, w.bytes(), SendFlags::DONTWAIT),
    };
    r.map(drop)
}

impl Notifier {
    /// `notify/` in `dir` (the socket's directory, which becomes the path of
    /// `notify/`), created (0700) if missing; the sweep starts with the
    /// change numbered `seq`.
    pub fn open(dir: &'static mut Path, backlog: &'static mut Backlog, seq: u64) -> Result<Notifier, Errno> {
        dir.push(b"/notify").map_err(|_| Errno::NAMETOOLONG)?;
        let dir: &'static Path = dir;
        let _ = rustix::fs::mkdirat(rustix::fs::CWD, dir.as_cstr(), rustix::fs::Mode::from_raw_mode(0o700));
        let flags = rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC;
        let dirfd = rustix::fs::openat(rustix::fs::CWD, dir.as_cstr(), flags, rustix::fs::Mode::empty())?;
        Ok(Notifier { dir, dirfd, sent: seq, backlog })
    }

    /// The oldest change a subscriber still has to get.
    pub fn min_seq(&self) -> u64 {
        self.backlog.waiting().map(|(i, _)| self.backlog.seqs[i]).fold(self.sent, u64::min)
    }

    /// Send the changes since the last sweep, from `ctl` (the control
    /// socket), to every subscriber of each; one that would block is left
    /// behind with its own position, one that is gone is removed.
    pub fn deliver(&mut self, events: &Events, ctl: BorrowedFd) {
        let next = events.next_seq();
        if self.sent >= next {
            return;
        }
        let from = self.sent;
        self.sent = next;
        if rustix::fs::seek(&self.dirfd, rustix::fs::SeekFrom::Start(0)).is_err() {
            return;
        }
        let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut dir = rustix::fs::RawDir::new(&self.dirfd, &mut buf);
        while let Some(Ok(ent)) = dir.next() {
            let file = ent.file_name().to_bytes();
            if file.first() == Some(&b'.') || self.backlog.find(file).is_some() {
                continue;
            }
            let Ok(path) = Path::from(&[self.dir.as_bytes(), b"/", file]) else { continue };
            let Ok(addr) = SocketAddrUnix::new(path.as_cstr()) else { continue };
            let mut seq = from;
            match send_from(events, ctl, Some(&addr), file, &mut seq) {
                // Behind: it reads on from this change by itself.
                Err(Errno::AGAIN) => drop(self.backlog.open(file, &addr, seq)),
                // Nobody listens there any more: a stale subscriber.
                Err(Errno::CONNREFUSED | Errno::NOENT) => {
                    let _ = rustix::fs::unlinkat(&self.dirfd, ent.file_name(), rustix::fs::AtFlags::empty());
                }
                // Caught up; or it cannot be sent to (not a socket, no
                // permission): the rest of this sweep's changes are not
                // tried on it either.
                _ => {}
            }
        }
        for i in 0..BACKLOG_SUBSCRIBERS {
            self.backlog.drain(i, events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriber_files_match_by_prefix() {
        assert!(subscribes(b"ALL,123_0", b"web"));
        assert!(subscribes(b"web,123_0", b"web"));
        assert!(!subscribes(b"webx,123_0", b"web"));
        assert!(!subscribes(b"we,1", b"web"));
        assert!(!subscribes(b"web", b"web"));
        assert!(!subscribes(b",123_0", b"web"));
    }
}

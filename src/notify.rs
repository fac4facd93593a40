//! State notifications to subscribers: every socket file in `notify/` whose
//! name starts with `ALL,` or `<service>,` gets a packet `u16 len(name),
//! u8 state, name` per state change. Changes are collected during a loop
//! pass and sent in one sweep of the directory.
//!
//! nitro drops a notification when the subscriber's queue is full (Linux
//! queues 10 datagrams per unix socket by default). We do not: a subscriber
//! that would block gets a connected socket and a backlog, which is sent as
//! soon as poll(2) says the socket is writable again. Only a subscriber that
//! falls more than `BACKLOG_LEN` changes behind loses the oldest of them.

use crate::config::NAME_MAX;
use crate::name::Name;
use crate::path::Path;
use crate::spat;
use crate::supervisor::{Supervisor, into_raw};
use crate::sys;
use crate::table::NO_FD;
use core::mem::MaybeUninit;
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::net::{AddressFamily, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

const PENDING_MAX: usize = 64;
/// Subscribers that can be behind at the same time, and how far.
pub const BACKLOG_SUBSCRIBERS: usize = 16;
pub const BACKLOG_LEN: usize = 1024;
const FILE_MAX: usize = 128;

pub struct Pending {
    items: heapless::Vec<(Name, u8), PENDING_MAX>,
}

impl Default for Pending {
    fn default() -> Self {
        Self::new()
    }
}

impl Pending {
    pub const fn new() -> Pending {
        Pending { items: heapless::Vec::new() }
    }

    pub fn push(&mut self, name: Name, state: u8) {
        let _ = self.items.push((name, state));
    }

    pub fn is_full(&self) -> bool {
        self.items.is_full()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

type Queue = heapless::Deque<(Name, u8), BACKLOG_LEN>;

/// Subscribers that could not take a notification at once, kept as
/// parallel arrays so that the per-pass check (`waiting`) reads only the
/// small `fds` array, not the large queues.
pub struct Backlog {
    /// Connected to the subscriber's socket; NO_FD when the slot is free.
    fds: [i32; BACKLOG_SUBSCRIBERS],
    file_lens: [u8; BACKLOG_SUBSCRIBERS],
    files: [[u8; FILE_MAX]; BACKLOG_SUBSCRIBERS],
    /// Changes dropped because the subscriber fell too far behind.
    pub lost: [u32; BACKLOG_SUBSCRIBERS],
    queues: [Queue; BACKLOG_SUBSCRIBERS],
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
            file_lens: [0; BACKLOG_SUBSCRIBERS],
            files: [[0; FILE_MAX]; BACKLOG_SUBSCRIBERS],
            lost: [0; BACKLOG_SUBSCRIBERS],
            queues: [const { Queue::new() }; BACKLOG_SUBSCRIBERS],
        }
    }

    fn file(&self, i: usize) -> &[u8] {
        &self.files[i][..self.file_lens[i] as usize]
    }

    fn find(&self, file: &[u8]) -> Option<usize> {
        (0..BACKLOG_SUBSCRIBERS).find(|&i| self.fds[i] != NO_FD && self.file(i) == file)
    }

    fn push(&mut self, i: usize, name: Name, state: u8) {
        let q = &mut self.queues[i];
        if q.is_full() {
            q.pop_front();
            self.lost[i] = self.lost[i].wrapping_add(1);
        }
        let _ = q.push_back((name, state));
    }

    fn free(&mut self, i: usize) {
        if self.fds[i] != NO_FD {
            drop(sys::own(self.fds[i]));
        }
        self.fds[i] = NO_FD;
        self.file_lens[i] = 0;
        self.queues[i].clear();
    }

    /// Take a slot for a subscriber: connect a socket to it.
    fn open(&mut self, file: &[u8], addr: &SocketAddrUnix) -> Option<usize> {
        let i = self.fds.iter().position(|&fd| fd == NO_FD)?;
        if file.len() > FILE_MAX {
            return None;
        }
        let fd: OwnedFd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK, None).ok()?;
        rustix::net::connect(&fd, addr).ok()?;
        self.files[i][..file.len()].copy_from_slice(file);
        self.file_lens[i] = file.len() as u8;
        self.fds[i] = into_raw(fd);
        Some(i)
    }

    /// Send what a subscriber's socket takes now; free the slot when the
    /// backlog is empty or the subscriber is gone.
    pub fn drain(&mut self, i: usize) {
        if i >= BACKLOG_SUBSCRIBERS || self.fds[i] == NO_FD {
            return;
        }
        while let Some(&(name, state)) = self.queues[i].front() {
            let mut pkt = [0u8; 3 + NAME_MAX];
            let mut w = spat::Writer::new(&mut pkt);
            if spat::encode_notification(&mut w, state, name.as_bytes()).is_ok() {
                match rustix::net::send(sys::fd(self.fds[i]), w.bytes(), SendFlags::DONTWAIT) {
                    Ok(_) => {}
                    Err(Errno::AGAIN) | Err(Errno::INTR) => return,
                    Err(_) => break,
                }
            }
            self.queues[i].pop_front();
        }
        self.free(i);
    }

    /// Subscribers with a backlog, to be polled for POLLOUT.
    pub fn waiting(&self) -> impl Iterator<Item = (usize, i32)> + '_ {
        self.fds.iter().enumerate().filter(|&(_, &fd)| fd != NO_FD).map(|(i, &fd)| (i, fd))
    }
}

/// Whether notify file `file` subscribes to `service`.
pub fn subscribes(file: &[u8], service: &[u8]) -> bool {
    file.starts_with(b"ALL,")
        || (file.len() > service.len() && file.starts_with(service) && file[service.len()] == b',')
}

pub fn flush(sup: &mut Supervisor) {
    if sup.notes.is_empty() {
        return;
    }
    #[cfg(feature = "http")]
    crate::httpd::broadcast(sup.http, &sup.notes.items);
    let (Some(dirfd), Some(ctl)) = (&sup.notify_fd, &sup.ctl) else {
        sup.notes.items.clear();
        return;
    };
    if rustix::fs::seek(dirfd, rustix::fs::SeekFrom::Start(0)).is_err() {
        sup.notes.items.clear();
        return;
    }
    let backlog = &mut *sup.backlog;
    let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
    let mut dir = rustix::fs::RawDir::new(dirfd, &mut buf);
    while let Some(Ok(ent)) = dir.next() {
        let file = ent.file_name().to_bytes();
        if file.first() == Some(&b'.') {
            continue;
        }
        if !sup.notes.items.iter().any(|(n, _)| subscribes(file, n.as_bytes())) {
            continue;
        }
        let Ok(path) = Path::from(&[sup.notify_dir.as_bytes(), b"/", file]) else { continue };
        let Ok(addr) = SocketAddrUnix::new(path.as_cstr()) else { continue };
        let mut behind = backlog.find(file);
        for &(name, state) in sup.notes.items.iter() {
            if !subscribes(file, name.as_bytes()) {
                continue;
            }
            if let Some(i) = behind {
                backlog.push(i, name, state);
                continue;
            }
            let mut pkt = [0u8; 3 + NAME_MAX];
            let mut w = spat::Writer::new(&mut pkt);
            if spat::encode_notification(&mut w, state, name.as_bytes()).is_err() {
                continue;
            }
            match rustix::net::sendto(ctl, w.bytes(), SendFlags::DONTWAIT, &addr) {
                Ok(_) => {}
                Err(Errno::AGAIN) => {
                    behind = backlog.open(file, &addr);
                    if let Some(i) = behind {
                        backlog.push(i, name, state);
                    }
                }
                Err(Errno::CONNREFUSED) | Err(Errno::NOENT) => {
                    // Nobody listens there any more: a stale subscriber.
                    let _ = rustix::fs::unlinkat(dirfd, ent.file_name(), rustix::fs::AtFlags::empty());
                    break;
                }
                Err(_) => {}
            }
        }
    }
    sup.notes.items.clear();
    for i in 0..BACKLOG_SUBSCRIBERS {
        backlog.drain(i);
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

    #[test]
    fn a_full_backlog_drops_the_oldest_and_counts() {
        // The backlog is large (it lives in .bss in the binary): build it
        // on a thread with room for it.
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let mut b = Box::new(Backlog::new());
                let n = Name::new(b"x").unwrap();
                for s in 0..(BACKLOG_LEN + 3) {
                    b.push(0, n, (s % 9 + 1) as u8);
                }
                assert_eq!(b.lost[0], 3);
                assert_eq!(b.queues[0].len(), BACKLOG_LEN);
                assert_eq!(b.queues[0].front().map(|e| e.1), Some((3 % 9 + 1) as u8));
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

//! State notifications to subscribers: every socket file in `notify/` whose
//! name starts with `ALL,` or `<service>,` gets a packet `u16 len(name),
//! u8 state, name` per state change. Changes are collected during a loop
//! pass and sent in one sweep of the directory.

use crate::name::Name;
use crate::path::Path;
use crate::spat;
use crate::supervisor::Supervisor;
use core::mem::MaybeUninit;
use rustix::io::Errno;
use rustix::net::{SendFlags, SocketAddrUnix};

const PENDING_MAX: usize = 64;

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

    /// Whether the latest pending change of `name` is already `state`.
    pub fn has_latest(&self, name: &[u8], state: u8) -> bool {
        self.items.iter().rev().find(|(n, _)| n.as_bytes() == name).is_some_and(|&(_, s)| s == state)
    }

    pub fn is_full(&self) -> bool {
        self.items.is_full()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
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
    let (Some(dirfd), Some(ctl)) = (&sup.notify_fd, &sup.ctl) else {
        sup.notes.items.clear();
        return;
    };
    if rustix::fs::seek(dirfd, rustix::fs::SeekFrom::Start(0)).is_err() {
        sup.notes.items.clear();
        return;
    }
    let mut buf = [MaybeUninit::<u8>::uninit(); 2048];
    let mut dir = rustix::fs::RawDir::new(dirfd, &mut buf);
    while let Some(Ok(ent)) = dir.next() {
        let file = ent.file_name().to_bytes();
        if file.first() == Some(&b'.') {
            continue;
        }
        let Ok(path) = Path::from(&[sup.notify_dir.as_bytes(), b"/", file]) else { continue };
        let Ok(addr) = SocketAddrUnix::new(path.as_cstr()) else { continue };
        for (name, state) in sup.notes.items.iter() {
            if !subscribes(file, name.as_bytes()) {
                continue;
            }
            let mut pkt = [0u8; 3 + crate::config::NAME_MAX];
            let mut w = spat::Writer::new(&mut pkt);
            if spat::encode_notification(&mut w, *state, name.as_bytes()).is_err() {
                continue;
            }
            match rustix::net::sendto(ctl, w.bytes(), SendFlags::DONTWAIT, &addr) {
                Ok(_) => {}
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

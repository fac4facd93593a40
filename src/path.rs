//! Bounded, NUL-terminated path buffers, and where the control socket lives
//! (shared by the supervisor and nitroctl).

use crate::config::PATH_MAX;
use crate::sys::Args;
use core::ffi::CStr;

/// A path of at most PATH_MAX-1 bytes, always NUL-terminated.
#[derive(Clone)]
pub struct Path {
    buf: [u8; PATH_MAX],
    len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLong;

impl Default for Path {
    fn default() -> Self {
        Self::new()
    }
}

impl Path {
    pub const fn new() -> Path {
        Path { buf: [0; PATH_MAX], len: 0 }
    }

    pub fn from(parts: &[&[u8]]) -> Result<Path, TooLong> {
        let mut p = Path::new();
        for part in parts {
            p.push(part)?;
        }
        Ok(p)
    }

    pub fn push(&mut self, s: &[u8]) -> Result<&mut Self, TooLong> {
        if s.contains(&0) || self.len + s.len() >= PATH_MAX {
            return Err(TooLong);
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
        self.buf[self.len] = 0;
        Ok(self)
    }

    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.buf[len] = 0;
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_cstr(&self) -> &CStr {
        // The buffer always holds a NUL at `len` and none before it.
        CStr::from_bytes_until_nul(&self.buf[..=self.len]).unwrap_or(c"")
    }

    /// Everything before the last `/` (`.` when there is none, `/` for `/x`).
    pub fn dirname(&self) -> &[u8] {
        dirname(self.as_bytes())
    }
}

pub fn dirname(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        None => b".",
        Some(0) => b"/",
        Some(i) => &p[..i],
    }
}

pub fn basename(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        None => p,
        Some(i) => &p[i + 1..],
    }
}

/// The control socket: `$NITRO_SOCK` if set and non-empty, else the target
/// of the symlink `/etc/nitro.sock`, else `/run/nitro/nitro.sock`.
pub fn control_socket(args: &Args) -> Path {
    if let Some(v) = args.var(b"NITRO_SOCK").filter(|v| !v.is_empty()) {
        if let Ok(p) = Path::from(&[v]) {
            return p;
        }
    }
    let mut buf = [0u8; PATH_MAX];
    if let Ok(n) = rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/etc/nitro.sock", &mut buf[..]) {
        if n > 0 {
            if let Ok(p) = Path::from(&[&buf[..n]]) {
                return p;
            }
        }
    }
    Path::from(&[b"/run/nitro/nitro.sock"]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_bounded_and_terminated() {
        let mut p = Path::from(&[b"/run/nitro", b"/notify"]).unwrap();
        assert_eq!(p.as_cstr().to_bytes(), b"/run/nitro/notify");
        assert_eq!(p.dirname(), b"/run/nitro");
        p.truncate(4);
        assert_eq!(p.as_cstr(), c"/run");
        assert_eq!(Path::from(&[&[b'a'; PATH_MAX][..]]).err(), Some(TooLong));
        assert_eq!(dirname(b"sock"), b".");
        assert_eq!(dirname(b"/sock"), b"/");
        assert_eq!(basename(b"/etc/nitro/web"), b"web");
    }
}

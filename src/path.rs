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
        let end = self.len + s.len();
        // (The NUL after it within PATH_MAX, too.)
        let Some([dst @ .., nul]) = self.buf.get_mut(self.len..=end) else { return Err(TooLong) };
        if s.iter().any(|&b| b == 0) {
            return Err(TooLong);
        }
        dst.copy_from_slice(s);
        *nul = 0;
        self.len = end;
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
        crate::sys::cstr(self.buf.get(..=self.len).unwrap_or_default())
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

/// The longest path a unix socket can be bound at: `sun_path` less its NUL.
pub const SOCKET_PATH_MAX: usize = 107;

/// A socket path that cannot be used, and where it came from: never
/// replaced by a default (a test instance's `nitroctl Shutdown` must not
/// reach the system's supervisor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unusable {
    /// `NITRO_SOCK`, `NITRO_HTTP` or `/etc/nitro.sock`.
    pub source: &'static str,
    pub len: usize,
}

impl Unusable {
    /// `NITRO_SOCK is 300 bytes long; a socket path can have at most 107`
    pub fn describe(&self, o: &mut crate::out::Text) {
        o.t(self.source).t(" is ").u(self.len as u64).t(" bytes long; a socket path can have at most ").u(SOCKET_PATH_MAX as u64);
    }
}

// (Out of line on x86_64: smaller there, larger on aarch64.)
#[cfg_attr(target_arch = "x86_64", inline(never))]
fn socket_path(v: &[u8], source: &'static str, into: &mut Path) -> Result<(), Unusable> {
    let bad = Unusable { source, len: v.len() };
    if v.len() > SOCKET_PATH_MAX {
        return Err(bad);
    }
    into.push(v).map(drop).map_err(|_| bad)
}

/// The control socket: `$NITRO_SOCK` if set and non-empty, else the target
/// of the symlink `/etc/nitro.sock`, else `/run/nitro/nitro.sock`; written
/// into the empty path `into` (in place: no path is copied on the way).
pub fn control_socket(args: &Args, into: &mut Path) -> Result<(), Unusable> {
    if let Some(v) = args.var(b"NITRO_SOCK").filter(|v| !v.is_empty()) {
        return socket_path(v, "NITRO_SOCK", into);
    }
    let mut buf = [0u8; PATH_MAX];
    if let Ok(n) = rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/etc/nitro.sock", &mut buf[..]) {
        if n > 0 {
            return socket_path(&buf[..n.min(buf.len())], "/etc/nitro.sock", into);
        }
    }
    socket_path(b"/run/nitro/nitro.sock", "the default socket path", into)
}

/// The HTTP socket: `$NITRO_HTTP` if set and non-empty, else `http.sock`
/// beside the control socket `ctl`; written into the empty path `into`.
pub fn http_socket(args: &Args, ctl: &Path, into: &mut Path) -> Result<(), Unusable> {
    match args.var(b"NITRO_HTTP").filter(|v| !v.is_empty()) {
        Some(v) => socket_path(v, "NITRO_HTTP", into),
        None => {
            let dir = ctl.dirname();
            let r = into.push(dir).and_then(|p| p.push(b"/http.sock")).map(|_| ());
            let bad = Unusable { source: "the HTTP socket beside the control socket", len: dir.len() + 10 };
            match r {
                Ok(()) if into.len() <= SOCKET_PATH_MAX => Ok(()),
                _ => Err(bad),
            }
        }
    }
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

//! Service names: non-empty, under 64 bytes, no leading `.`, no `/`, `,` or
//! newline, not `SYS`, not ending in `@` (that is a template).

use crate::config::NAME_MAX;

/// A validated-length name stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    len: u8,
    bytes: [u8; NAME_MAX],
}

impl Name {
    pub const EMPTY: Name = Name { len: 0, bytes: [0; NAME_MAX] };

    /// Any byte string that fits (validity is checked by [`valid`]).
    pub fn new(s: &[u8]) -> Option<Name> {
        let mut n = Name::EMPTY;
        n.bytes.get_mut(..s.len())?.copy_from_slice(s);
        n.len = s.len() as u8;
        Some(n)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Whether this is `LOG`, the default logger (out of line: asked in a
    /// dozen places).
    #[inline(never)]
    pub fn is_log(&self) -> bool {
        self.as_bytes() == b"LOG"
    }

    /// `tpl@arg` splits into (`tpl@`, `arg`); a plain name has no argument.
    pub fn template(&self) -> Option<(&[u8], &[u8])> {
        split_template(self.as_bytes())
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
    }
}

/// `tpl@arg` → (`tpl@`, `arg`), at the first `@`.
pub fn split_template(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = s.iter().position(|&b| b == b'@')?;
    Some((&s[..=at], &s[at + 1..]))
}

/// The directory a service's scripts live in: the template's for instances.
pub fn script_dir(s: &[u8]) -> &[u8] {
    split_template(s).map_or(s, |(tpl, _)| tpl)
}

/// Whether `s` may name a service (instances included).
pub fn valid(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= NAME_MAX
        && s[0] != b'.'
        && s != b"SYS"
        && !s.ends_with(b"@")
        && !s.iter().any(|&b| b == b'/' || b == b',' || b == b'\n' || b == 0)
}

/// Services that never get an implicit logger.
pub fn is_log_root(s: &[u8]) -> bool {
    s == b"LOG" || s.starts_with(b"LOG@") || s == b"SYS"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_name_rules() {
        assert!(valid(b"web"));
        assert!(valid(b"getty@tty1"));
        assert!(valid(&[b'a'; 63]));
        assert!(!valid(&[b'a'; 64]));
        for bad in [&b""[..], b".hidden", b"a/b", b"a,b", b"a\nb", b"SYS", b"tpl@"] {
            assert!(!valid(bad), "{:?}", bad);
        }
    }

    #[test]
    fn templates_split_at_the_first_at() {
        assert_eq!(split_template(b"getty@tty1"), Some((&b"getty@"[..], &b"tty1"[..])));
        assert_eq!(split_template(b"x@a@b"), Some((&b"x@"[..], &b"a@b"[..])));
        assert_eq!(script_dir(b"plain"), b"plain");
        assert_eq!(script_dir(b"LOG@web"), b"LOG@");
    }
}

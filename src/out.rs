//! Formatted output without core::fmt: a fixed buffer that collects text and
//! numbers and is written out in one write(2). Text past the capacity is cut.

use rustix::fd::BorrowedFd;

/// Text collected in a buffer: `Out<N>` holds up to N bytes and derefs to
/// `Text`, whose methods serve every capacity with one copy of the code.
pub struct Buf<B: ?Sized> {
    len: usize,
    buf: B,
}

pub type Out<const N: usize> = Buf<[u8; N]>;
pub type Text = Buf<[u8]>;

impl<const N: usize> Default for Out<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Out<N> {
    pub const fn new() -> Self {
        Buf { buf: [0; N], len: 0 }
    }
}

impl<const N: usize> core::ops::Deref for Out<N> {
    type Target = Text;
    fn deref(&self) -> &Text {
        self
    }
}

impl<const N: usize> core::ops::DerefMut for Out<N> {
    fn deref_mut(&mut self) -> &mut Text {
        self
    }
}

impl Text {
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn s(&mut self, s: &[u8]) -> &mut Self {
        let n = s.len().min(self.buf.len() - self.len);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), s.get(..n)) {
            dst.copy_from_slice(src);
            self.len += n;
        }
        self
    }

    pub fn t(&mut self, s: &str) -> &mut Self {
        self.s(s.as_bytes())
    }

    pub fn u(&mut self, v: u64) -> &mut Self {
        let mut tmp = [0u8; 20];
        self.s(crate::buf::decimal(v, &mut tmp))
    }

    pub fn i(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.s(b"-");
        }
        self.u(v.unsigned_abs())
    }

    pub fn hex2(&mut self, v: u8) -> &mut Self {
        const D: &[u8; 16] = b"0123456789abcdef";
        self.s(&[D[(v >> 4) as usize], D[(v & 15) as usize]])
    }

    /// Write everything out (retrying short writes) and empty the buffer.
    pub fn flush(&mut self, fd: BorrowedFd) -> bool {
        let ok = write_all(fd, self.bytes());
        self.len = 0;
        ok
    }
}

/// write(2) until all is written; false on error.
pub fn write_all(fd: BorrowedFd, mut b: &[u8]) -> bool {
    while !b.is_empty() {
        match rustix::io::write(fd, b) {
            Ok(0) => return false,
            Ok(n) => b = &b[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return false,
        }
    }
    true
}

/// Parse a decimal number (no sign); None on anything else or overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as u64)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_text() {
        let mut o = Out::<64>::new();
        o.t("pid ").i(-42).t(" ").u(0).t(" ").u(u64::MAX).t(" 0x").hex2(0xaf);
        assert_eq!(o.bytes(), b"pid -42 0 18446744073709551615 0xaf");
        assert_eq!(parse_u64(b"123"), Some(123));
        assert_eq!(parse_u64(b"1x"), None);
        assert_eq!(parse_u64(b""), None);
    }

    #[test]
    fn overflow_is_cut_not_a_panic() {
        let mut o = Out::<4>::new();
        o.t("abcdef").u(12345);
        assert_eq!(o.bytes(), b"abcd");
    }
}

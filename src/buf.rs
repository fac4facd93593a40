//! The one byte writer of the project: bytes into a caller-provided buffer,
//! never past its end. A write that does not fit is an error (`Full`) and
//! the caller decides (refuse, roll back with `truncate`, or report).
//! The SPAT codec and the HTTP responses build on it.

/// The buffer is too small for what was to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Bytes written into a caller-provided buffer, never past its end.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Forget what was written after `len` (to roll back a partial write).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    pub fn push(&mut self, s: &[u8]) -> Result<&mut Self, Full> {
        let end = self.len.checked_add(s.len()).ok_or(Full)?;
        self.buf.get_mut(self.len..end).ok_or(Full)?.copy_from_slice(s);
        self.len = end;
        Ok(self)
    }

    pub fn text(&mut self, s: &str) -> Result<&mut Self, Full> {
        self.push(s.as_bytes())
    }

    pub fn u64(&mut self, v: u64) -> Result<&mut Self, Full> {
        let mut tmp = [0u8; 20];
        self.push(decimal(v, &mut tmp))
    }

    pub fn i64(&mut self, v: i64) -> Result<&mut Self, Full> {
        if v < 0 {
            self.push(b"-")?;
        }
        self.u64(v.unsigned_abs())
    }

    /// Lower-case hex without leading zeros (chunk sizes).
    pub fn hex(&mut self, mut v: u64) -> Result<&mut Self, Full> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut tmp = [0u8; 16];
        let mut i = tmp.len();
        loop {
            i -= 1;
            if let Some(slot) = tmp.get_mut(i) {
                *slot = DIGITS[(v & 15) as usize];
            }
            v >>= 4;
            if v == 0 || i == 0 {
                break;
            }
        }
        self.push(tmp.get(i..).unwrap_or(&[]))
    }
}

/// `v` in decimal, in the tail of `tmp`.
pub fn decimal(mut v: u64, tmp: &mut [u8; 20]) -> &[u8] {
    let mut i = tmp.len();
    loop {
        i -= 1;
        if let Some(slot) = tmp.get_mut(i) {
            *slot = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    tmp.get(i..).unwrap_or(&[])
}

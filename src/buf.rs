//! The one byte writer of the project: bytes into a caller-provided buffer,
//! never past its end. A write that does not fit writes nothing and leaves
//! the writer full: every later write is refused too, and the caller asks
//! once, at the end (`done`), whether all of it fit. (Each write returning
//! a `Result` for its caller to test was a test and a branch at every one
//! of the HTTP writer's hundred-odd call sites.) The SPAT codec and the
//! HTTP responses build on it.

/// The buffer is too small for what was to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Bytes written into a caller-provided buffer, never past its end.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    full: bool,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0, full: false }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What was written (whole writes only, before the first that failed).
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Forget what was written after `len` (to roll back a partial write).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Whether a write did not fit (or the writer was made to fail).
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Refuse every later write: what is written is not to be used (the
    /// JSON writer's answer to misuse).
    pub fn fail(&mut self) {
        self.full = true;
    }

    /// The length written, if every write fit.
    pub fn done(&self) -> Result<usize, Full> {
        if self.full { Err(Full) } else { Ok(self.len) }
    }

    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        // (No overflow: both are lengths of slices, at most isize::MAX.)
        let end = self.len + s.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) if !self.full => {
                dst.copy_from_slice(s);
                self.len = end;
            }
            _ => self.full = true,
        }
        self
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        self.push(s.as_bytes())
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        let mut tmp = [0u8; 20];
        self.push(decimal(v, &mut tmp))
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.push(b"-");
        }
        self.u64(v.unsigned_abs())
    }

    /// Lower-case hex without leading zeros (chunk sizes).
    pub fn hex(&mut self, mut v: u64) -> &mut Self {
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

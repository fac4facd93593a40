//! Several NUL-terminated strings in one fixed buffer, and the pointer
//! arrays execve(2) wants: argument vectors without allocation.

use core::ffi::CStr;

pub struct CStrs<const BYTES: usize, const MAX: usize> {
    buf: [u8; BYTES],
    len: usize,
    starts: [u16; MAX],
    count: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

impl<const BYTES: usize, const MAX: usize> Default for CStrs<BYTES, MAX> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const BYTES: usize, const MAX: usize> CStrs<BYTES, MAX> {
    pub const fn new() -> Self {
        CStrs { buf: [0; BYTES], len: 0, starts: [0; MAX], count: 0 }
    }

    /// Append one string made of `parts`; returns its index.
    pub fn push(&mut self, parts: &[&[u8]]) -> Result<usize, Overflow> {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        // One slot of `ptrs` stays free for the terminating null.
        if self.count + 1 >= MAX || self.len + n + 1 > BYTES || self.len > u16::MAX as usize {
            return Err(Overflow);
        }
        if parts.iter().any(|p| p.iter().any(|&b| b == 0)) {
            return Err(Overflow);
        }
        let start = self.len;
        for p in parts {
            if let Some(dst) = self.buf.get_mut(self.len..self.len + p.len()) {
                dst.copy_from_slice(p);
            }
            self.len += p.len();
        }
        // (The sizes were checked above: neither `get_mut` misses.)
        if let (Some(nul), Some(slot)) = (self.buf.get_mut(self.len), self.starts.get_mut(self.count)) {
            *nul = 0;
            *slot = start as u16;
        }
        self.len += 1;
        self.count += 1;
        Ok(self.count - 1)
    }

    pub fn get(&self, i: usize) -> &CStr {
        let start = self.starts.get(i).map_or(self.len, |&s| s as usize);
        crate::sys::cstr(self.buf.get(start..self.len).unwrap_or_default())
    }

    /// The null-terminated pointer array of strings `from..`, for execve,
    /// written into `out`.
    pub fn vector<'a>(&'a self, from: usize, out: &'a mut [*const u8; MAX]) -> &'a [*const u8] {
        let starts = self.starts.get(from..self.count).unwrap_or(&[]);
        out.fill(core::ptr::null());
        for (p, &start) in out.iter_mut().zip(starts) {
            *p = self.buf.as_ptr().wrapping_add(start as usize);
        }
        // (push keeps a slot free: the one after the last is null.)
        out.get(..=starts.len()).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_vectors() {
        let mut a = CStrs::<64, 6>::new();
        let dir = a.push(&[b"tpl@"]).unwrap();
        a.push(&[b"run"]).unwrap();
        a.push(&[b"-", b"1"]).unwrap();
        assert_eq!(a.get(dir), c"tpl@");
        let mut out = [core::ptr::null(); 6];
        let v = a.vector(1, &mut out).to_vec();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0], a.get(1).as_ptr() as *const u8);
        assert_eq!(v[1], a.get(2).as_ptr() as *const u8);
        assert_eq!(a.get(2), c"-1");
        assert!(v[2].is_null());
    }

    #[test]
    fn overflow_is_an_error() {
        let mut a = CStrs::<8, 3>::new();
        assert!(a.push(&[b"abcdefgh"]).is_err());
        a.push(&[b"a"]).unwrap();
        a.push(&[b"b"]).unwrap();
        assert_eq!(a.push(&[b"c"]), Err(Overflow));
        assert!(a.push(&[b"x\0"]).is_err());
    }
}

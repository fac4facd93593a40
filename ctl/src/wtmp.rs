//! `halt -w` and `halt -B` (also `poweroff`, `reboot`): append a record to
//! the login accounting files, as nitro's client does and as `last` reads
//! them. The record is the C library's `struct utmp` of Linux (384 bytes on
//! x86_64, aarch64 and armv7 alike: 32-bit session and time fields).

/// What the record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// `-w`: the system goes down (RUN_LVL, user "shutdown").
    Shutdown,
    /// `-B`: the system came up (BOOT_TIME, user "reboot").
    Boot,
}

pub const SIZE: usize = 384;
const RUN_LVL: i16 = 1;
const BOOT_TIME: i16 = 2;

/// The files a record goes to; each only when it exists (never created).
pub fn files(r: Record) -> &'static [&'static core::ffi::CStr] {
    match r {
        Record::Shutdown => &[c"/var/log/wtmp"],
        Record::Boot => &[c"/var/log/wtmp", c"/run/utmp"],
    }
}

fn put(b: &mut [u8; SIZE], at: usize, s: &[u8], room: usize) {
    let n = s.len().min(room);
    b[at..at + n].copy_from_slice(&s[..n]);
}

/// The record at `sec`.`usec` of the wall clock, the kernel release in the
/// host field (as sysvinit writes it).
pub fn record(r: Record, sec: i64, usec: i32, release: &[u8]) -> [u8; SIZE] {
    let mut b = [0u8; SIZE];
    let (kind, user, line): (i16, &[u8], &[u8]) = match r {
        Record::Shutdown => (RUN_LVL, b"shutdown", b"~~"),
        Record::Boot => (BOOT_TIME, b"reboot", b"~"),
    };
    b[0..2].copy_from_slice(&kind.to_ne_bytes());
    put(&mut b, 8, line, 32); // ut_line
    put(&mut b, 40, b"~~", 4); // ut_id
    put(&mut b, 44, user, 32); // ut_user
    put(&mut b, 76, release, 256); // ut_host
    b[340..344].copy_from_slice(&(sec as i32).to_ne_bytes()); // ut_tv
    b[344..348].copy_from_slice(&usec.to_ne_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_struct_utmp() {
        let b = record(Record::Shutdown, 1_700_000_000, 5, b"6.1.0");
        assert_eq!(i16::from_ne_bytes([b[0], b[1]]), 1);
        assert_eq!(&b[8..11], b"~~\0");
        assert_eq!(&b[40..43], b"~~\0");
        assert_eq!(&b[44..53], b"shutdown\0");
        assert_eq!(&b[76..82], b"6.1.0\0");
        assert_eq!(i32::from_ne_bytes(b[340..344].try_into().unwrap()), 1_700_000_000);
        assert_eq!(i32::from_ne_bytes(b[344..348].try_into().unwrap()), 5);
        let b = record(Record::Boot, 1, 0, &[b'x'; 300]);
        assert_eq!(i16::from_ne_bytes([b[0], b[1]]), 2);
        assert_eq!(&b[44..51], b"reboot\0");
        assert_eq!(b[331], b'x');
        assert_eq!(b[332], 0, "the host field is cut at 256 bytes");
    }
}

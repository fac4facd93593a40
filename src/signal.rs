//! Signal names, one table for both directions: how TASK_EXIT tells a
//! task killed by a signal (`SIGKILL`) and which names the HTTP endpoint
//! takes (`KILL`, `SIGKILL`, `kill`). The numbers come from the kernel
//! headers: they differ on mips, sparc and alpha.

use crate::words::{self, Words};
use linux_raw_sys::general as k;

const NAMES: &[(&[u8], u8)] = &[
    (b"HUP", k::SIGHUP as u8),
    (b"INT", k::SIGINT as u8),
    (b"QUIT", k::SIGQUIT as u8),
    (b"ILL", k::SIGILL as u8),
    (b"TRAP", k::SIGTRAP as u8),
    (b"ABRT", k::SIGABRT as u8),
    (b"BUS", k::SIGBUS as u8),
    (b"FPE", k::SIGFPE as u8),
    (b"KILL", k::SIGKILL as u8),
    (b"USR1", k::SIGUSR1 as u8),
    (b"SEGV", k::SIGSEGV as u8),
    (b"USR2", k::SIGUSR2 as u8),
    (b"PIPE", k::SIGPIPE as u8),
    (b"ALRM", k::SIGALRM as u8),
    (b"TERM", k::SIGTERM as u8),
    (b"STKFLT", k::SIGSTKFLT as u8),
    (b"CHLD", k::SIGCHLD as u8),
    (b"CONT", k::SIGCONT as u8),
    (b"STOP", k::SIGSTOP as u8),
    (b"TSTP", k::SIGTSTP as u8),
    (b"TTIN", k::SIGTTIN as u8),
    (b"TTOU", k::SIGTTOU as u8),
    (b"URG", k::SIGURG as u8),
    (b"XCPU", k::SIGXCPU as u8),
    (b"XFSZ", k::SIGXFSZ as u8),
    (b"VTALRM", k::SIGVTALRM as u8),
    (b"PROF", k::SIGPROF as u8),
    (b"WINCH", k::SIGWINCH as u8),
    (b"IO", k::SIGIO as u8),
    (b"PWR", k::SIGPWR as u8),
    (b"SYS", k::SIGSYS as u8),
];
const PACKED: Words<{ words::bytes(NAMES) }, { NAMES.len() }, u8> = Words::pack(NAMES);

/// Highest signal number (SIGRTMAX on Linux).
pub const MAX: u8 = 64;

/// Signal `n`'s name without `SIG`; `None` for one without a name here
/// (the real-time signals).
pub fn name(n: u32) -> Option<&'static [u8]> {
    PACKED.word(u8::try_from(n).ok()?)
}

/// `TERM`, `SIGTERM` (any case) or a number 1..=64 → the signal number.
pub fn parse(s: &[u8]) -> Option<u8> {
    if let Some(n) = crate::out::parse_u64(s) {
        return (1..=MAX as u64).contains(&n).then_some(n as u8);
    }
    // (`SIGVTALRM`, the longest, is 9 bytes.)
    let mut buf = [0u8; 9];
    let upper = buf.get_mut(..s.len())?;
    for (u, c) in upper.iter_mut().zip(s) {
        *u = c.to_ascii_uppercase();
    }
    let bare = upper.strip_prefix(b"SIG").unwrap_or(upper);
    PACKED.value(PACKED.find(bare, 0, NAMES.len())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_prefixes() {
        assert_eq!(parse(b"TERM"), Some(15));
        assert_eq!(parse(b"SIGKILL"), Some(9));
        assert_eq!(parse(b"sigusr1"), Some(k::SIGUSR1 as u8));
        assert_eq!(parse(b"hup"), Some(1));
        assert_eq!(parse(b"SigWinch"), Some(k::SIGWINCH as u8));
        assert_eq!(parse(b"SIGVTALRM"), Some(k::SIGVTALRM as u8));
        assert_eq!(parse(b"1"), Some(1));
        assert_eq!(parse(b"64"), Some(64));
        for bad in [
            &b"0"[..],
            b"65",
            b"99999999999999999999999",
            b"",
            b"SIG",
            b"FOO",
            b"SIGSIGTERM",
            b"SIGVTALRMX",
            b"-1",
            b"TERM ",
        ] {
            assert_eq!(parse(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn every_name_both_ways() {
        for &(n, v) in NAMES {
            assert_eq!(name(v as u32), Some(n));
            assert_eq!(parse(n), Some(v));
        }
        assert_eq!((name(0), name(34), name(300)), (None, None, None));
    }
}

//! nitroctl's pure logic, tested on the host: the command line turned into
//! requests (`cli`), the supervisor's replies and notifications turned into
//! output and "done with exit code N" (`reply`), the service argument
//! normalisation's string part (`norm`) and a small strerror (`errno`).
//! `main.rs` does the I/O: sockets, poll, signals, the clock.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

pub mod cli;
pub mod errno;
pub mod norm;
pub mod reply;
pub mod wtmp;

/// Where output goes: stdout and stderr in the binary, buffers in tests.
pub trait Sink {
    fn out(&mut self, s: &[u8]);
    fn err(&mut self, s: &[u8]);
    /// Push out what `out` collected (after each `events` line).
    fn flush(&mut self) {}
}

#[cfg(test)]
pub(crate) mod testsink {
    #[derive(Default)]
    pub struct Buf {
        pub out: Vec<u8>,
        pub err: Vec<u8>,
        pub flushes: usize,
    }

    impl super::Sink for Buf {
        fn out(&mut self, s: &[u8]) {
            self.out.extend_from_slice(s);
        }
        fn err(&mut self, s: &[u8]) {
            self.err.extend_from_slice(s);
        }
        fn flush(&mut self) {
            self.flushes += 1;
        }
    }

    impl Buf {
        pub fn out_str(&self) -> &str {
            core::str::from_utf8(&self.out).unwrap()
        }
        pub fn err_str(&self) -> &str {
            core::str::from_utf8(&self.err).unwrap()
        }
    }
}

//! Process start-up without a C library: the kernel's initial stack holds
//! argc, the argv pointers, a null, the envp pointers and a null.

#![allow(unsafe_code)]

use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};

/// The process arguments and environment, as the kernel laid them out.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl Args {
    /// Read argc/argv/envp from the initial stack pointer.
    ///
    /// # Safety
    /// `sp` must be the stack pointer the kernel passed to `_start`.
    pub unsafe fn from_stack(sp: *const usize) -> Args {
        // Safety: the kernel's layout: sp[0] = argc, then argc pointers and
        // a null, then the environment pointers and a null.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const u8;
            let envp = argv.add(argc + 1);
            Args { argc, argv, envp }
        }
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `i`, if present.
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc {
            return None;
        }
        // Safety: i < argc, and each argv entry is a NUL-terminated string
        // that lives as long as the process.
        unsafe { Some(CStr::from_ptr(*self.argv.add(i) as *const core::ffi::c_char)) }
    }

    /// The argv array including its null terminator, for re-executing
    /// ourselves.
    pub fn argv(&self) -> &'static [*const u8] {
        // Safety: the kernel placed argc pointers and a null at argv; the
        // array lives as long as the process.
        unsafe { core::slice::from_raw_parts(self.argv, self.argc + 1) }
    }

    /// The null-terminated environment array, passed on to children.
    pub fn envp(&self) -> *const *const u8 {
        self.envp
    }

    /// The environment variables, as `NAME=value` byte strings.
    pub fn env(&self) -> EnvIter {
        EnvIter { p: self.envp }
    }

    /// The value of environment variable `name`.
    pub fn var(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.env().find_map(|kv| {
            let rest = kv.strip_prefix(name)?;
            rest.strip_prefix(b"=")
        })
    }
}

pub struct EnvIter {
    p: *const *const u8,
}

impl Iterator for EnvIter {
    type Item = &'static [u8];
    fn next(&mut self) -> Option<&'static [u8]> {
        // Safety: p walks the null-terminated environment array, whose
        // strings are NUL-terminated and live as long as the process.
        unsafe {
            let s = *self.p;
            if s.is_null() {
                return None;
            }
            self.p = self.p.add(1);
            Some(CStr::from_ptr(s as *const core::ffi::c_char).to_bytes())
        }
    }
}

/// Set by the supervisor once it sits in its service directory: a panic then
/// hands over to `SYS/fatal` as nitro does on an unrecoverable error.
pub static FATAL_HANDOVER: AtomicBool = AtomicBool::new(false);

/// What a panic does (all builds abort; nothing unwinds). The code is written
/// not to panic; this is the last line of defence.
pub fn on_panic() -> ! {
    let _ = rustix::io::write(super::fd(2), b"- nitro: internal error\n");
    if FATAL_HANDOVER.load(Ordering::Relaxed) {
        let argv = [c"SYS/fatal".as_ptr() as *const u8, core::ptr::null()];
        let env = [core::ptr::null()];
        let _ = super::execve(c"SYS/fatal", &argv, env.as_ptr());
        if rustix::process::getpid().is_init() {
            // Pid 1 must not exit (the kernel would panic): stay, inert.
            loop {
                let _ = rustix::event::pause();
            }
        }
    }
    super::exit(111)
}

/// Define the program's entry point: `nitro::entry!(main)` with
/// `fn main(args: nitro::sys::Args) -> i32`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        $crate::__entry_asm!();
        $crate::__export_mem!();

        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        extern "C" fn __nitro_entry(sp: *const usize) -> ! {
            // Safety: called only from _start with the kernel's stack pointer.
            let args = unsafe { $crate::sys::Args::from_stack(sp) };
            $crate::sys::exit($main(args))
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo) -> ! {
            $crate::sys::on_panic()
        }

        // The prebuilt core refers to the unwinding personality even with
        // panic=abort (in builds without LTO); nothing ever unwinds.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        extern "C" fn rust_eh_personality() {}
    };
}

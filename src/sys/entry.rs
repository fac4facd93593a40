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

    /// The page size, from the auxiliary vector the kernel puts after the
    /// environment (AT_PAGESZ); 4096 if it is not there.
    pub fn page_size(&self) -> usize {
        const AT_NULL: usize = 0;
        const AT_PAGESZ: usize = 6;
        // Safety: the kernel's layout: after the environment's null come
        // (type, value) pairs up to one of type AT_NULL.
        unsafe {
            let mut a = self.envp.add(self.env_ptrs().len() + 1) as *const usize;
            loop {
                match *a {
                    AT_NULL => return 4096,
                    AT_PAGESZ => return *a.add(1),
                    _ => a = a.add(2),
                }
            }
        }
    }

    /// The null-terminated environment array, passed on to children.
    pub fn envp(&self) -> *const *const u8 {
        self.envp
    }

    /// The environment array without its null: the strings' addresses.
    pub fn env_ptrs(&self) -> &'static [*const u8] {
        // Safety: the kernel placed the environment's pointers and a null
        // at envp; the array lives as long as the process.
        unsafe {
            let mut n = 0;
            while !(*self.envp.add(n)).is_null() {
                n += 1;
            }
            core::slice::from_raw_parts(self.envp, n)
        }
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
/// hands over to `SYS/fatal` as nitro does on an unrecoverable error. (In
/// .data, whose page is in use anyway: as the one small static after the
/// tables in .bss it cost a page of its own.)
#[unsafe(link_section = ".data")]
pub static FATAL_HANDOVER: AtomicBool = AtomicBool::new(false);

/// What a panic does (all builds abort; nothing unwinds). The code is written
/// not to panic; this is the last line of defence.
pub fn on_panic() -> ! {
    note(b"- nitro: internal error\n");
    if FATAL_HANDOVER.load(Ordering::Relaxed) {
        let argv = [c"SYS/fatal".as_ptr() as *const u8, core::ptr::null()];
        let env = [core::ptr::null()];
        let _ = super::execve(c"SYS/fatal", &argv, env.as_ptr());
    }
    leave(111)
}

/// Milliseconds pid 1 waits, reaping, before it reboots as a last resort.
pub const LAST_RESORT_DELAY: u64 = 10_000;

/// End the process with `code`; but process 1 must never end (the kernel
/// would panic and the machine would be stuck with nobody to reap or to
/// reboot it): the real init takes the last resort instead.
pub fn leave(code: i32) -> ! {
    if rustix::process::getpid().is_init() {
        last_resort();
    }
    super::exit(code)
}

/// Process 1 cannot go on (its supervisor failed and SYS/fatal, if any,
/// could not take over). In a container (Ctrl-Alt-Del cannot be turned on)
/// ending is fine: the container ends. The real init instead keeps the
/// machine recoverable: Ctrl-Alt-Del now reboots at once (the kernel does
/// it), orphans are still reaped, and after LAST_RESORT_DELAY ms the file
/// systems are synced and the machine reboots. It never returns.
pub fn last_resort() -> ! {
    use rustix::system::{RebootCommand, reboot};
    if reboot(RebootCommand::CadOn).is_err() {
        super::exit(111);
    }
    note(b"- nitro: process 1 cannot go on: rebooting in 10 s (Ctrl-Alt-Del reboots now)\n");
    rustix::fs::sync();
    let deadline = super::monotonic_ms() + LAST_RESORT_DELAY;
    while super::monotonic_ms() < deadline {
        while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {}
        let _ = super::poll(&mut [], Some(100));
    }
    rustix::fs::sync();
    let e = reboot(RebootCommand::Restart).err();
    // Not allowed to reboot either: stay, reaping, never exiting.
    let _ = e;
    note(b"- nitro: reboot failed; staying up, reaping\n");
    loop {
        let _ = rustix::process::wait(rustix::process::WaitOptions::empty());
        let _ = super::poll(&mut [], Some(1000));
    }
}

/// A message on stderr that never waits: written only when poll(2) says
/// the descriptor takes it now (the console may be stopped by flow control).
fn note(msg: &[u8]) {
    let mut p = [super::PollEntry { fd: 2, events: super::POLLOUT, revents: 0 }];
    if matches!(super::poll(&mut p, Some(0)), Ok(1)) && p[0].revents & super::POLLOUT != 0 {
        let _ = rustix::io::write(super::fd(2), msg);
    }
}

/// The code a running supervisor does not run (`sys::ColdCode`), which
/// build.rs's linker script gathers between `__nitro_cold_start` and
/// `__nitro_cold_end` (release builds): `nitro::cold_code!(args)` in
/// `main`, for `Supervisor::run`.
#[macro_export]
macro_rules! cold_code {
    ($args:expr) => {{
        #[allow(unsafe_code)]
        unsafe extern "C" {
            static __nitro_cold_start: u8;
            static __nitro_cold_end: u8;
        }
        // (Only the addresses of the linker's symbols are taken.)
        let (start, end) = (&raw const __nitro_cold_start as usize, &raw const __nitro_cold_end as usize);
        $crate::sys::ColdCode::inside(start, end, $args.page_size())
    }};
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
            $crate::sys::leave($main(args))
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

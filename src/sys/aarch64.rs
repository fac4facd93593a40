//! aarch64: the svc instruction and the process entry point.

use core::arch::asm;

/// Raw six-argument system call.
///
/// # Safety
/// The caller upholds the contract of system call `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // Safety: the kernel ABI: number in x8, arguments in x0-x5, result in x0.
    unsafe {
        asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a[0] as isize => ret,
            in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
            options(nostack),
        );
    }
    ret
}

/// clone(2) with `flags` (CLONE_VM among them) onto the stack whose top is
/// `stack`: the child calls `f(arg)` there, which never returns; the
/// parent gets the child's pid (or -errno).
///
/// # Safety
/// `stack` is the 16-byte aligned top of memory nothing else uses until
/// the child execs or exits; `f` ends in execve or exit.
pub unsafe fn clone_run(flags: usize, stack: usize, f: extern "C" fn(*mut u8) -> !, arg: *mut u8) -> isize {
    let ret: isize;
    // Safety: the kernel ABI (number in x8, arguments x0-x4: flags, stack,
    // parent tid, tls, child tid; result in x0); the child starts on the
    // new stack with every other register as the parent's and leaves
    // through `f`.
    unsafe {
        asm!(
            "svc 0",
            "cbnz x0, 2f",
            "mov x29, xzr",
            "mov x0, {arg}",
            "blr {f}",
            "udf #0",
            "2:",
            arg = in(reg) arg,
            f = in(reg) f,
            in("x8") linux_raw_sys::general::__NR_clone as usize,
            inlateout("x0") flags as isize => ret,
            in("x1") stack, in("x2") 0usize, in("x3") 0usize, in("x4") 0usize,
            out("x30") _,
        );
    }
    ret
}

#[macro_export]
#[doc(hidden)]
macro_rules! __entry_asm {
    () => {
        core::arch::global_asm!(
            ".globl _start",
            ".type _start,%function",
            "_start:",
            "mov x29, #0",
            "mov x30, #0",
            "mov x0, sp",
            "and sp, x0, #-16",
            "bl __nitro_entry",
            "udf #0",
        );
    };
}

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

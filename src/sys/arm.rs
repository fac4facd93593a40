//! 32-bit ARM (EABI): the svc instruction and the process entry point.

use core::arch::asm;

/// Raw six-argument system call.
///
/// # Safety
/// The caller upholds the contract of system call `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // Safety: the EABI: number in r7, arguments in r0-r5, result in r0.
    unsafe {
        asm!(
            "svc 0",
            in("r7") nr,
            inlateout("r0") a[0] as isize => ret,
            in("r1") a[1], in("r2") a[2], in("r3") a[3], in("r4") a[4], in("r5") a[5],
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
            "mov fp, #0",
            "mov lr, #0",
            "mov r0, sp",
            "bic sp, r0, #15",
            "bl __nitro_entry",
            "udf #0",
        );
    };
}

// The ARM EHABI personality routines are referenced by the .ARM.exidx
// entries of core and of our own functions even with panic=abort; nothing
// ever unwinds, so they are never called.
#[unsafe(no_mangle)]
pub extern "C" fn __aeabi_unwind_cpp_pr0() {}
#[unsafe(no_mangle)]
pub extern "C" fn __aeabi_unwind_cpp_pr1() {}
#[unsafe(no_mangle)]
pub extern "C" fn __aeabi_unwind_cpp_pr2() {}

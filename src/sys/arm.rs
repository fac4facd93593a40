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
    #[cfg(not(target_feature = "thumb-mode"))]
    unsafe {
        asm!(
            "svc 0",
            in("r7") nr,
            inlateout("r0") a[0] as isize => ret,
            in("r1") a[1], in("r2") a[2], in("r3") a[3], in("r4") a[4], in("r5") a[5],
            options(nostack),
        );
    }
    // In Thumb code r7 is the frame pointer, which asm! may not name: the
    // number goes through another register and r7 is restored after.
    #[cfg(target_feature = "thumb-mode")]
    unsafe {
        asm!(
            "mov {saved}, r7",
            "mov r7, {nr}",
            "svc 0",
            "mov r7, {saved}",
            nr = in(reg) nr,
            saved = out(reg) _,
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
        // ARM code whatever the rest is (an entry address without the Thumb
        // bit starts in ARM state); the linker makes the call interwork.
        core::arch::global_asm!(
            ".arm",
            ".globl _start",
            ".type _start,%function",
            "_start:",
            "mov fp, #0",
            "mov lr, #0",
            "mov r0, sp",
            "bic r1, r0, #15",
            "mov sp, r1",
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

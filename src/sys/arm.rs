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

/// clone(2) with `flags` (CLONE_VM among them) onto the stack whose top is
/// `stack`: the child calls `f(arg)` there, which never returns; the
/// parent gets the child's pid (or -errno).
///
/// # Safety
/// `stack` is the 8-byte aligned top of memory nothing else uses until the
/// child execs or exits; `f` ends in execve or exit.
pub unsafe fn clone_run(flags: usize, stack: usize, f: extern "C" fn(*mut u8) -> !, arg: *mut u8) -> isize {
    let ret: isize;
    // Safety: the EABI (number in r7, arguments r0-r4: flags, stack,
    // parent tid, tls, child tid; result in r0). r7 is Thumb's frame
    // pointer: kept in another register and restored in the parent. The
    // child starts on the new stack with every other register as the
    // parent's and leaves through `f`.
    unsafe {
        asm!(
            "mov {saved}, r7",
            "mov r7, {nr}",
            "svc 0",
            "cmp r0, #0",
            "bne 2f",
            "mov r0, {arg}",
            "blx {f}",
            "udf #0",
            "2:",
            "mov r7, {saved}",
            nr = in(reg) linux_raw_sys::general::__NR_clone as usize,
            arg = in(reg) arg,
            f = in(reg) f,
            saved = out(reg) _,
            inlateout("r0") flags as isize => ret,
            in("r1") stack, in("r2") 0usize, in("r3") 0usize, in("r4") 0usize,
            out("lr") _,
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

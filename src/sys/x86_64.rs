//! x86_64: the syscall instruction and the process entry point.

use core::arch::asm;

/// Raw six-argument system call.
///
/// # Safety
/// The caller upholds the contract of system call `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // Safety: the kernel ABI; rcx and r11 are clobbered by `syscall`.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
            in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// The entry point's assembly: hand the initial stack pointer (argc, argv,
/// envp) to `__nitro_entry` on a 16-byte aligned stack.
#[macro_export]
#[doc(hidden)]
macro_rules! __entry_asm {
    () => {
        core::arch::global_asm!(
            ".globl _start",
            ".type _start,@function",
            "_start:",
            "xor ebp, ebp",
            "mov rdi, rsp",
            "and rsp, -16",
            "call __nitro_entry",
            "ud2",
        );
    };
}

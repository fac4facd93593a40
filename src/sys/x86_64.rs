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

/// clone(2) with `flags` (CLONE_VM among them) onto the stack whose top is
/// `stack`: the child calls `f(arg)` there, which never returns; the
/// parent gets the child's pid (or -errno).
///
/// # Safety
/// `stack` is the 16-byte aligned top of memory nothing else uses until
/// the child execs or exits; `f` ends in execve or exit.
pub unsafe fn clone_run(flags: usize, stack: usize, f: extern "C" fn(*mut u8) -> !, arg: *mut u8) -> isize {
    let ret: isize;
    // Safety: the kernel ABI (rcx and r11 clobbered by `syscall`, so no
    // input may live there: `out`, not `lateout`); the child starts on the
    // new stack with every other register as the parent's and leaves
    // through `f`.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, {arg}",
            "call {f}",
            "ud2",
            "2:",
            arg = in(reg) arg,
            f = in(reg) f,
            inlateout("rax") linux_raw_sys::general::__NR_clone as isize => ret,
            in("rdi") flags, in("rsi") stack, in("rdx") 0usize, in("r10") 0usize, in("r8") 0usize,
            out("rcx") _, out("r11") _,
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

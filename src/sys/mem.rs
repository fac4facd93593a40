//! The C string and memory primitives the compiler emits calls to. Without a
//! C library they must come from us — but only in our own binaries: the
//! `entry!` macro exports them under their C names there, so the library
//! never replaces libc's versions in programs that link it (tests, fuzzers).
//! Volatile accesses keep the optimiser from turning these loops back into
//! calls to themselves.

#![allow(unsafe_code)]

use core::ptr::{read_volatile, write_volatile};

/// # Safety
/// `s` points to a NUL-terminated string.
pub unsafe fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // Safety: the string is NUL-terminated, so every byte up to it is readable.
    unsafe {
        while read_volatile(s.add(n)) != 0 {
            n += 1;
        }
    }
    n
}

/// # Safety
/// `a` and `b` point to at least `n` readable bytes.
pub unsafe fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // Safety: i < n, within both buffers.
        let (x, y) = unsafe { (read_volatile(a.add(i)), read_volatile(b.add(i))) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// Copy `n` bytes from `s` to `d`, first byte first: correct for disjoint
/// buffers and for overlapping ones with `d` below `s`.
///
/// # Safety
/// `d` and `s` point to `n` bytes each.
unsafe fn copy_forward(d: *mut u8, s: *const u8, n: usize) {
    let mut i = 0;
    while i < n {
        // Safety: i < n, within both buffers.
        unsafe { write_volatile(d.add(i), read_volatile(s.add(i))) };
        i += 1;
    }
}

/// # Safety
/// `d` and `s` point to `n` bytes each and do not overlap.
pub unsafe fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    // Safety: the caller's contract.
    unsafe { copy_forward(d, s, n) };
    d
}

/// # Safety
/// `d` and `s` point to `n` bytes each; they may overlap.
pub unsafe fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    if (d as usize) <= (s as usize) {
        // Safety: copying forwards never overwrites bytes still to be read.
        unsafe { copy_forward(d, s, n) };
        return d;
    }
    let mut i = n;
    while i > 0 {
        i -= 1;
        // Safety: i < n; copying backwards for a destination above the source.
        unsafe { write_volatile(d.add(i), read_volatile(s.add(i))) };
    }
    d
}

/// # Safety
/// `d` points to `n` writable bytes.
pub unsafe fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // Safety: i < n.
        unsafe { write_volatile(d.add(i), c as u8) };
        i += 1;
    }
    d
}

/// The C names of the functions above, for a binary of ours (used by
/// `entry!`).
#[macro_export]
#[doc(hidden)]
macro_rules! __export_mem {
    () => {
        #[allow(unsafe_code)]
        mod __nitro_mem {
            use $crate::sys::mem as m;
            /// # Safety
            /// As C's.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
                // Safety: same contract.
                unsafe { m::strlen(s) }
            }
            /// # Safety
            /// As C's.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
                // Safety: same contract.
                unsafe { m::memcmp(a, b, n) }
            }
            /// # Safety
            /// As C's.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
                // Safety: same contract.
                unsafe { m::memcmp(a, b, n) }
            }
            /// # Safety
            /// As C's.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
                // Safety: same contract.
                unsafe { m::memcpy(d, s, n) }
            }
            /// # Safety
            /// As C's.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
                // Safety: same contract.
                unsafe { m::memmove(d, s, n) }
            }
            /// # Safety
            /// As C's.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
                // Safety: same contract.
                unsafe { m::memset(d, c, n) }
            }
        }
    };
}

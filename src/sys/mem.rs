//! The C string and memory primitives the compiler emits calls to. Without a
//! C library they must come from us. Volatile accesses keep the optimiser
//! from turning these loops back into calls to themselves.

#![allow(unsafe_code)]

use core::ptr::read_volatile;

/// # Safety
/// `s` points to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // Safety: the string is NUL-terminated, so every byte up to it is readable.
    unsafe {
        while read_volatile(s.add(n)) != 0 {
            n += 1;
        }
    }
    n
}

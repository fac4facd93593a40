//! `nitro [SERVICE-DIRECTORY]`: the supervisor, as pid 1 or not.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use nitro::supervisor::{Storage, Supervisor};
use nitro::sys::{Args, Singleton};

nitro::entry!(main);

/// The large tables live in zero-initialised statics (.bss): pages of the
/// service table that are never used are never touched.
static STORAGE: Singleton<Storage> = Singleton::new(Storage::new());

fn main(args: Args) -> i32 {
    let Some(storage) = STORAGE.take() else { return 111 };
    Supervisor::new(storage, args).run()
}

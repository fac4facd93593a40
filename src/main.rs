//! `nitro [SERVICE-DIRECTORY]`: the supervisor, as pid 1 or not.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use nitro::config::LIST_REPLY_MAX;
use nitro::supervisor::Supervisor;
use nitro::sys::{Args, Singleton};
use nitro::table::Table;

nitro::entry!(main);

/// The large tables live in zero-initialised statics (.bss): pages of the
/// service table that are never used are never touched.
static TABLE: Singleton<Table> = Singleton::new(Table::new());
static LIST_BUF: Singleton<[u8; LIST_REPLY_MAX]> = Singleton::new([0; LIST_REPLY_MAX]);

fn main(args: Args) -> i32 {
    let (Some(table), Some(list_buf)) = (TABLE.take(), LIST_BUF.take()) else { return 111 };
    let mut sup = Supervisor::new(table, list_buf);
    sup.init(args);
    sup.run();
    0
}

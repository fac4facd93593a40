#![no_std]
#![no_main]

nitro::entry!(main);

fn main(_args: nitro::sys::Args) -> i32 {
    0
}

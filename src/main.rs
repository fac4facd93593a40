#![no_std]
#![no_main]

nitro::entry!(main);

fn main(args: nitro::sys::Args) -> i32 {
    let _ = rustix::io::write(nitro::sys::fd(1), args.get(0).map(|a| a.to_bytes()).unwrap_or(b"?"));
    0
}

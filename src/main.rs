//! `nitro [SERVICE-DIRECTORY]`: the supervisor, as pid 1 or not.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use nitro::supervisor::{Storage, Supervisor};
use nitro::sys::{Args, Singleton};

nitro::entry!(main);

/// The large tables live in zero-initialised statics (.bss): pages of the
/// service table that are never used are never touched.
static STORAGE: Singleton<Storage, 0> = Singleton::new(Storage::new());

#[cfg(feature = "http")]
const HTTP_HELP: &str = "  NITRO_HTTP  the HTTP socket (default: http.sock beside the control socket)\n";
#[cfg(not(feature = "http"))]
const HTTP_HELP: &str = "";

fn main(args: Args) -> i32 {
    // (Not as process 1: its arguments are the kernel's.)
    if args.len() == 2 && !rustix::process::getpid().is_init() {
        let text: Option<&[&str]> = match args.get(1).map(|a| a.to_bytes()) {
            Some(b"-h" | b"--help") => Some(&[
                "usage: nitro [SERVICE-DIRECTORY]\n\n\
                 Starts every service of SERVICE-DIRECTORY (default /etc/nitro) and keeps it\n\
                 running; as process 1 it is the system's init. nitroctl controls it.\n\n\
                 environment:\n  \
                 NITRO_SOCK  the control socket (default: the target of /etc/nitro.sock,\n              \
                 else /run/nitro/nitro.sock)\n",
                HTTP_HELP,
            ]),
            Some(b"-V" | b"--version") => Some(&[concat!("nitro (nitro-rs) ", env!("CARGO_PKG_VERSION"), "\n")]),
            _ => None,
        };
        if let Some(text) = text {
            for t in text {
                nitro::out::write_all(nitro::sys::fd(1), t.as_bytes());
            }
            return 0;
        }
    }
    let Some(storage) = STORAGE.take() else { return 111 };
    // Code only start-up, scans, shutdown, HTTP and jobs run sits apart in
    // release builds (build.rs): once start-up is over, none of it stays
    // mapped.
    #[cfg(nitro_cold)]
    let cold = nitro::cold_code!(args);
    #[cfg(not(nitro_cold))]
    let cold = None;
    Supervisor::new(storage, args).run(cold)
}

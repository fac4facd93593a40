// The binaries start from their own `_start` and link no C library: tell the
// linker so, for the binaries only (build scripts and tests keep std).
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-nostartfiles");
        println!("cargo:rustc-link-arg-bins=-nostdlib");
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=-no-pie");
        println!("cargo:rustc-link-arg-bins=-Wl,--gc-sections");
        println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
        // One read-only+executable segment and no RELRO padding: a static
        // binary without dynamic relocations gains nothing from either.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-rosegment");
        println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

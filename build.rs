// The binaries start from their own `_start` and link no C library: tell the
// linker so, for the binaries only (build scripts and tests keep std).
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-nostartfiles");
        println!("cargo:rustc-link-arg-bins=-nostdlib");
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=-no-pie");
        println!("cargo:rustc-link-arg-bins=-Wl,--gc-sections");
        println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
        // One read-only+executable segment and no RELRO padding: a static
        // binary without dynamic relocations gains nothing from either.
        // rustup's x86_64 rustc links with its bundled lld; the ARM builds
        // (ci/cross) link with Debian's cross gcc, i.e. GNU ld, which spells
        // the first flag differently. NITRO_LINKER=gnu|lld overrides.
        let gnu = match std::env::var("NITRO_LINKER").as_deref() {
            Ok("gnu") => true,
            Ok("lld") => false,
            _ => arch != "x86_64",
        };
        if gnu {
            println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
            println!("cargo:rustc-link-arg-bins=-Wl,-z,common-page-size=16");
        } else {
            println!("cargo:rustc-link-arg-bins=-Wl,--no-rosegment");
        }
        println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
        // Unwind tables serve nothing (panic=abort, no backtraces), but the
        // prebuilt core brings them: about 9 KiB of .eh_frame. A script that
        // only adds rules to the linker's own (INSERT) drops them, with lld
        // and with GNU ld.
        // On 32-bit ARM they are .ARM.exidx/.ARM.extab (EHABI), 2.4 KiB.
        let arm = if arch == "arm" { " *(.ARM.exidx*) *(.ARM.extab*)" } else { "" };
        // The same script gathers the code that only HTTP requests and jobs
        // run (by module: their functions' sections are named after their
        // mangled symbols) between two symbols, before the rest of the
        // text: main gives its whole pages a mapping of their own
        // (`cold_code_apart!`), so that a supervisor nobody talks HTTP to
        // never maps them (tests/http.rs checks that); start-up's code goes
        // with them, its work done before. Of core::jobs only
        // the `impl Core` methods (`35_$LT$impl...`): `Jobs::find` runs for
        // every service added. Only nitro with HTTP has such code (nitroctl
        // shares this script).
        // Release builds only: without optimisation nothing is inlined, and
        // the loop calls small functions of those modules on every pass.
        let http = std::env::var_os("CARGO_FEATURE_HTTP").is_some() && std::env::var("CARGO_PKG_NAME").as_deref() == Ok("nitro");
        let cold = if http && std::env::var("PROFILE").as_deref() == Ok("release") {
            println!("cargo:rustc-cfg=nitro_cold");
            let modules = [
                "_ZN5nitro4http",
                "_ZN5nitro5httpd",
                "_ZN5nitro7metrics",
                "_ZN5nitro4core4jobs35_",
                // Start-up, done once before the split: what it mapped is
                // let go with the rest.
                "_ZN5nitro10supervisor10Supervisor3new",
                "_ZN5nitro4core4Core4init",
                "_ZN5nitro7control7Control4open",
            ];
            let inputs = modules.map(|m| format!("*(.text.{m}*)")).join(" ");
            format!("  .text.nitro_cold : {{ __nitro_cold_start = .; {inputs} __nitro_cold_end = .; }}\n")
        } else {
            String::new()
        };
        let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
        let script = out.join("sections.ld");
        let rules = format!(
            "SECTIONS {{\n  /DISCARD/ : {{ *(.eh_frame) *(.eh_frame_hdr){arm} }}\n{cold}}}\nINSERT BEFORE .text;\n"
        );
        std::fs::write(&script, rules).expect("write the linker script");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
    println!("cargo:rustc-check-cfg=cfg(nitro_cold)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NITRO_LINKER");
}

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
            // Identical code folded into one copy: the panic entry points
            // (each a jump to our handler), get/get_mut pairs, outlined
            // sequences (nitro -80 bytes, lean -72). Nothing here compares
            // function addresses. (GNU ld has no ICF; --icf=safe finds
            // nothing, for rustc marks no address as insignificant.)
            println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
        }
        println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
        // Unwind tables serve nothing (panic=abort, no backtraces), but the
        // prebuilt core brings them: about 9 KiB of .eh_frame. A script that
        // only adds rules to the linker's own (INSERT) drops them, with lld
        // and with GNU ld.
        // On 32-bit ARM they are .ARM.exidx/.ARM.extab (EHABI), 2.4 KiB.
        // .comment (the compiler's and linker's version strings, which
        // strip keeps) goes too: 75-139 bytes, its name and its section
        // header, about 0.2 KiB of every binary.
        let arm = if arch == "arm" { " *(.ARM.exidx*) *(.ARM.extab*)" } else { "" };
        // The same script gathers, for nitro, the code a running supervisor
        // does not run: start-up's, scans' (they run at start-up, on a
        // rescan and when a command creates a service), shutdown's, and what
        // only HTTP requests and jobs run. It goes by module or function: a
        // function's section is named after its mangled symbol; of
        // core::jobs only the `impl Core` methods, `35_$LT$impl...`, since
        // `Jobs::find` runs for every service added. The code lies between
        // two symbols before the rest of the text; once start-up is over,
        // Supervisor::run gives its whole pages a mapping of their own
        // (`sys::ColdCode`): a supervisor that is only supervising never maps
        // them again (tests/http.rs checks that). Release builds only:
        // unoptimised, the loop calls small functions of those modules on
        // every pass. (nitroctl shares this script.)
        let nitro = std::env::var("CARGO_PKG_NAME").as_deref() == Ok("nitro");
        let cold = if nitro && std::env::var("PROFILE").as_deref() == Ok("release") {
            println!("cargo:rustc-cfg=nitro_cold");
            let modules = [
                "_ZN5nitro4http",
                "_ZN5nitro5httpd",
                "_ZN5nitro7metrics",
                "_ZN5nitro4core4jobs35_",
                // Start-up, done once before the split: what it mapped is
                // let go with the rest.
                "_ZN5nitro4main",
                "_ZN5nitro10supervisor10Supervisor3new",
                "_ZN5nitro4core4Core4init",
                "_ZN5nitro7control7Control4open",
                "_ZN5nitro4core4scan",
                // SYS/setup, SYS/finish and the shutdown's phases; process
                // 1's mounts, console and end.
                "_ZN5nitro4core9lifecycle",
                "_ZN5nitro4core4pid1",
            ];
            let inputs = modules.map(|m| format!("*(.text.{m}*)")).join(" ");
            format!("  .text.nitro_cold : {{ __nitro_cold_start = .; {inputs} __nitro_cold_end = .; }}\n")
        } else {
            String::new()
        };
        let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
        let script = out.join("sections.ld");
        let rules = format!(
            "SECTIONS {{\n  /DISCARD/ : {{ *(.eh_frame) *(.eh_frame_hdr) *(.comment){arm} }}\n{cold}}}\nINSERT BEFORE .text;\n"
        );
        std::fs::write(&script, rules).expect("write the linker script");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
    println!("cargo:rustc-check-cfg=cfg(nitro_cold)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NITRO_LINKER");
}

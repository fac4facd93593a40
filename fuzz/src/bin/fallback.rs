//! A libFuzzer-free fuzz driver for machines without a nightly toolchain or
//! sanitizer runtime: feeds seeded, deterministic mutations of each target's
//! seeds (and of `corpus/TARGET/*` when present) to the same target bodies
//! the cargo-fuzz targets use. A panic prints the input, saves it to
//! `artifacts/TARGET/crash-fallback-SEED-N` and exits non-zero.
//!
//!   cargo run --release --no-default-features --bin fallback -- TARGET|all [SECONDS] [SEED]
//!   cargo run --release --no-default-features --bin fallback -- seed-corpus

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

thread_local! {
    static CURRENT: RefCell<(String, u64, u64, Vec<u8>)> = const { RefCell::new((String::new(), 0, 0, Vec::new())) };
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>], dict: &[&[u8]]) {
    for _ in 0..1 + rng.below(6) {
        let len = input.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                input.drain(i..i + n);
            }
            4 | 5 if !dict.is_empty() => {
                let tok = dict[rng.below(dict.len())];
                let i = rng.below(len + 1);
                input.splice(i..i, tok.iter().copied());
            }
            6 if len > 0 => {
                // duplicate a range (repeats, long fields)
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let piece = input[i..i + n].to_vec();
                let reps = if rng.below(8) == 0 { 300 } else { 3 };
                for _ in 0..1 + rng.below(reps) {
                    let at = rng.below(input.len() + 1);
                    input.splice(at..at, piece.iter().copied());
                }
            }
            7 if !pool.is_empty() => {
                // splice with another input
                let other = &pool[rng.below(pool.len())];
                let a = rng.below(len + 1);
                let b = rng.below(other.len() + 1);
                input.truncate(a);
                input.extend_from_slice(&other[b..]);
            }
            8 => input.truncate(rng.below(len + 1)),
            _ if len > 0 => {
                // an interesting byte
                let i = rng.below(len);
                input[i] = [0u8, 0xff, b'"', b'\\', b'\r', b'\n', b' ', b'0', b'9', 0x7f, 0x80][rng.below(11)];
            }
            _ => input.push(rng.next() as u8),
        }
    }
    input.truncate(64 * 1024);
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                v.push(b);
            }
        }
    }
    v.sort();
    v
}

fn run(target: &str, f: fn(&[u8]), secs: f64, seed: u64) -> u64 {
    let mut pool = nitro_fuzz::seeds(target);
    pool.extend(corpus(target));
    let dict = nitro_fuzz::dictionary(target);
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut n = 0u64;
    // The pool inputs as they are, first.
    for input in pool.clone() {
        CURRENT.with(|c| *c.borrow_mut() = (target.to_string(), seed, n, input.clone()));
        f(&input);
        n += 1;
    }
    while Instant::now() < deadline {
        for _ in 0..256 {
            let mut input = if pool.is_empty() { Vec::new() } else { pool[rng.below(pool.len())].clone() };
            mutate(&mut rng, &mut input, &pool, dict);
            CURRENT.with(|c| *c.borrow_mut() = (target.to_string(), seed, n, input.clone()));
            f(&input);
            n += 1;
            // Keep some mutants as new starting points (bounded pool).
            if rng.below(64) == 0 {
                if pool.len() < 4096 {
                    pool.push(input);
                } else {
                    let i = rng.below(pool.len());
                    pool[i] = input;
                }
            }
        }
    }
    n
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("seed-corpus") {
        // Write the built-in seeds where cargo fuzz looks for its corpus.
        for (name, _) in nitro_fuzz::TARGETS {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name);
            std::fs::create_dir_all(&dir).expect("create corpus dir");
            for (i, s) in nitro_fuzz::seeds(name).iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i}")), s).expect("write seed");
            }
        }
        return;
    }
    let which = args.get(1).map(String::as_str).unwrap_or("all");
    let secs: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20.0);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        CURRENT.with(|c| {
            if let Ok(c) = c.try_borrow() {
                let (target, seed, n, input) = &*c;
                eprintln!("CRASH in {target} (seed {seed}, input #{n}, {} bytes): {:?}", input.len(), String::from_utf8_lossy(input));
                let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts").join(target);
                let _ = std::fs::create_dir_all(&dir);
                let p = dir.join(format!("crash-fallback-{seed}-{n}"));
                if std::fs::write(&p, input).is_ok() {
                    eprintln!("input saved to {}", p.display());
                }
            }
        });
        default_hook(info);
        std::process::exit(101);
    }));
    let mut any = false;
    for (name, f) in nitro_fuzz::TARGETS {
        if which != "all" && which != name {
            continue;
        }
        any = true;
        let t0 = Instant::now();
        let n = run(name, f, secs, seed);
        println!("{name}: {n} inputs in {:.1} s, no crash", t0.elapsed().as_secs_f64());
    }
    if !any {
        eprintln!("unknown target {which}; targets: http_request, job_json, spat, all");
        std::process::exit(2);
    }
}

//! `mkinitramfs SPEC [-o OUTPUT]`: build a gzip-compressed newc cpio archive
//! (what the kernel unpacks as its initramfs) from a plain text spec, without
//! root and byte for byte reproducibly.
//!
//! The spec has one entry per line; `#` starts a comment line, blank lines
//! are skipped, fields are separated by blanks, modes are octal:
//!
//! ```text
//! dir     PATH MODE
//! file    PATH MODE SOURCE
//! symlink PATH TARGET
//! nod     PATH MODE c|b MAJOR MINOR
//! tree    PATH SOURCE-DIRECTORY
//! ```
//!
//! `tree` adds a host directory recursively under PATH (which it creates),
//! in byte order of the names; its modes are normalised the way git keeps
//! them (directories 0755, files 0755 if executable else 0644), so a fresh
//! clone yields the same archive. A relative SOURCE is relative to the
//! spec file's directory.
//!
//! Reproducible: entries are written in spec order, every entry has mtime 0
//! and uid/gid 0, inode numbers count up from 1 in archive order, the gzip
//! header carries mtime 0 and no file name. Every parent directory must come
//! before its entries (the kernel does not create missing parents), and a
//! path may appear only once: both are checked, so a mistake in a spec is an
//! error here rather than a file silently missing at boot.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// File type bits of st_mode, as the newc header carries them.
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;

/// One archive member, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir { path: String, mode: u32 },
    File { path: String, mode: u32, source: PathBuf },
    Symlink { path: String, target: String },
    Nod { path: String, mode: u32, block: bool, major: u32, minor: u32 },
}

impl Entry {
    fn path(&self) -> &str {
        match self {
            Entry::Dir { path, .. } | Entry::File { path, .. } | Entry::Symlink { path, .. } | Entry::Nod { path, .. } => path,
        }
    }
}

#[derive(Debug)]
pub struct Error {
    line: usize,
    msg: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.msg)
        } else {
            f.write_str(&self.msg)
        }
    }
}

fn err<T>(line: usize, msg: impl Into<String>) -> Result<T, Error> {
    Err(Error { line, msg: msg.into() })
}

/// An archive path: absolute in the spec, stored without the leading `/`
/// (as the kernel's own gen_init_cpio does); no `.`/`..` components, no
/// empty ones.
fn archive_path(line: usize, p: &str) -> Result<String, Error> {
    let Some(rest) = p.strip_prefix('/') else { return err(line, format!("path {p:?} is not absolute")) };
    if rest.is_empty() {
        return err(line, "the root directory is implicit");
    }
    if rest.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return err(line, format!("path {p:?} is not normalised"));
    }
    Ok(rest.to_string())
}

fn parse_mode(line: usize, s: &str) -> Result<u32, Error> {
    match u32::from_str_radix(s, 8) {
        Ok(m) if m <= 0o7777 => Ok(m),
        _ => err(line, format!("bad mode {s:?} (octal, at most 7777)")),
    }
}

fn parse_num(line: usize, s: &str) -> Result<u32, Error> {
    s.parse().or_else(|_| err(line, format!("bad number {s:?}")))
}

/// Parse a spec into entries; `base` resolves relative sources.
pub fn parse(text: &str, base: &Path) -> Result<Vec<Entry>, Error> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        let source = |s: &str| if Path::new(s).is_absolute() { PathBuf::from(s) } else { base.join(s) };
        match (f[0], f.len()) {
            ("dir", 3) => out.push(Entry::Dir { path: archive_path(n, f[1])?, mode: parse_mode(n, f[2])? }),
            ("file", 4) => out.push(Entry::File { path: archive_path(n, f[1])?, mode: parse_mode(n, f[2])?, source: source(f[3]) }),
            ("symlink", 3) => out.push(Entry::Symlink { path: archive_path(n, f[1])?, target: f[2].to_string() }),
            ("nod", 6) => {
                let block = match f[3] {
                    "b" => true,
                    "c" => false,
                    t => return err(n, format!("device type {t:?} is neither c nor b")),
                };
                out.push(Entry::Nod {
                    path: archive_path(n, f[1])?,
                    mode: parse_mode(n, f[2])?,
                    block,
                    major: parse_num(n, f[4])?,
                    minor: parse_num(n, f[5])?,
                });
            }
            ("tree", 3) => {
                let path = archive_path(n, f[1])?;
                out.push(Entry::Dir { path: path.clone(), mode: 0o755 });
                walk(&source(f[2]), &path, &mut out).or_else(|e| err(n, format!("tree {}: {e}", f[2])))?;
            }
            ("dir" | "file" | "symlink" | "nod" | "tree", _) => return err(n, format!("wrong number of fields for {}", f[0])),
            (kw, _) => return err(n, format!("unknown entry type {kw:?}")),
        }
    }
    check(&out)?;
    Ok(out)
}

/// A host directory, recursively, names in byte order.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<Entry>) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)?.map(|e| e.map(|e| e.file_name())).collect::<Result<_, _>>()?;
    names.sort();
    for name in names {
        let Some(s) = name.to_str() else { return Err(io::Error::other(format!("{name:?}: not UTF-8"))) };
        let host = dir.join(&name);
        let path = format!("{prefix}/{s}");
        let meta = fs::symlink_metadata(&host)?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&host)?;
            let Some(t) = target.to_str() else { return Err(io::Error::other(format!("{target:?}: not UTF-8"))) };
            out.push(Entry::Symlink { path, target: t.to_string() });
        } else if meta.is_dir() {
            out.push(Entry::Dir { path: path.clone(), mode: 0o755 });
            walk(&host, &path, out)?;
        } else if meta.is_file() {
            let mode = if meta.permissions().mode() & 0o111 != 0 { 0o755 } else { 0o644 };
            out.push(Entry::File { path, mode, source: host });
        } else {
            return Err(io::Error::other(format!("{}: not a file, directory or symlink", host.display())));
        }
    }
    Ok(())
}

/// Every parent declared before its children (as a directory); no path twice.
fn check(entries: &[Entry]) -> Result<(), Error> {
    let mut dirs: HashSet<&str> = HashSet::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for e in entries {
        let p = e.path();
        if let Some((parent, _)) = p.rsplit_once('/')
            && !dirs.contains(parent)
        {
            return err(0, format!("/{p}: parent directory /{parent} is not declared before it"));
        }
        if !seen.insert(p) {
            return err(0, format!("/{p}: declared twice"));
        }
        if matches!(e, Entry::Dir { .. }) {
            dirs.insert(p);
        }
    }
    Ok(())
}

/// The uncompressed newc archive of `entries`.
pub fn cpio(entries: &[Entry]) -> Result<Vec<u8>, Error> {
    let mut w: Vec<u8> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let ino = i as u32 + 1;
        let b = cpio::NewcBuilder::new(e.path()).ino(ino).uid(0).gid(0).mtime(0);
        let ioerr = |x: io::Error| Error { line: 0, msg: format!("/{}: {x}", e.path()) };
        let data: Vec<u8> = match e {
            Entry::Dir { .. } | Entry::Nod { .. } => Vec::new(),
            Entry::File { source, .. } => fs::read(source).map_err(|x| Error { line: 0, msg: format!("/{}: {}: {x}", e.path(), source.display()) })?,
            Entry::Symlink { target, .. } => target.as_bytes().to_vec(),
        };
        let b = match e {
            Entry::Dir { mode, .. } => b.mode(S_IFDIR | mode).nlink(2),
            Entry::File { mode, .. } => b.mode(S_IFREG | mode).nlink(1),
            Entry::Symlink { .. } => b.mode(S_IFLNK | 0o777).nlink(1),
            Entry::Nod { mode, block, major, minor, .. } => {
                b.mode(if *block { S_IFBLK } else { S_IFCHR } | mode).nlink(1).rdev_major(*major).rdev_minor(*minor)
            }
        };
        let Ok(size) = u32::try_from(data.len()) else { return err(0, format!("/{}: larger than 4 GiB", e.path())) };
        let mut fw = b.write(&mut w, size);
        fw.write_all(&data).map_err(ioerr)?;
        fw.finish().map_err(ioerr)?;
    }
    cpio::newc::trailer(&mut w).map_err(|x| Error { line: 0, msg: x.to_string() })?;
    Ok(w)
}

/// gzip with a fixed header (mtime 0, no name, OS "unknown").
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    g.write_all(data).expect("writing to memory");
    g.finish().expect("writing to memory")
}

fn usage() -> ! {
    eprintln!("usage: mkinitramfs SPEC [-o OUTPUT.cpio.gz]   (SPEC - reads stdin; no -o writes stdout)");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (spec, output) = match args.as_slice() {
        [s] => (s.as_str(), None),
        [s, o, out] if o == "-o" => (s.as_str(), Some(out.as_str())),
        _ => usage(),
    };
    let fail = |msg: String| -> ! {
        eprintln!("mkinitramfs: {msg}");
        std::process::exit(1)
    };
    let (text, base) = if spec == "-" {
        let mut s = String::new();
        io::Read::read_to_string(&mut io::stdin(), &mut s).unwrap_or_else(|e| fail(format!("stdin: {e}")));
        (s, PathBuf::from("."))
    } else {
        let t = fs::read_to_string(spec).unwrap_or_else(|e| fail(format!("{spec}: {e}")));
        (t, Path::new(spec).parent().map(Path::to_path_buf).unwrap_or_default())
    };
    let entries = parse(&text, &base).unwrap_or_else(|e| fail(format!("{spec}: {e}")));
    let archive = gzip(&cpio(&entries).unwrap_or_else(|e| fail(e.to_string())));
    match output {
        None => io::stdout().write_all(&archive).unwrap_or_else(|e| fail(format!("stdout: {e}"))),
        Some(out) => {
            // Write beside the target and rename: a reader never sees half an archive.
            let tmp = format!("{out}.tmp{}", std::process::id());
            fs::write(&tmp, &archive).unwrap_or_else(|e| fail(format!("{tmp}: {e}")));
            fs::rename(&tmp, out).unwrap_or_else(|e| fail(format!("{out}: {e}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A scratch directory with a couple of source files.
    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mkinitramfs-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("tree/sub")).unwrap();
        fs::write(d.join("hello"), b"hello, world\n").unwrap();
        fs::write(d.join("tree/run"), b"#!/bin/sh\nexec true\n").unwrap();
        fs::set_permissions(d.join("tree/run"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::write(d.join("tree/sub/data"), b"x").unwrap();
        std::os::unix::fs::symlink("../other", d.join("tree/log")).unwrap();
        d
    }

    const SPEC: &str = "\
# a small image
dir /bin 0755
file /bin/hello 0644 hello
symlink /bin/sh hello
dir /dev 0755
nod /dev/console 0600 c 5 1
nod /dev/vda 0660 b 254 0
dir /etc 0755
tree /etc/nitro tree
";

    /// (name, mode, ino, uid, gid, mtime, rdev, data) of each member.
    type Member = (String, u32, u32, u32, u32, u32, (u32, u32), Vec<u8>);

    fn members(gz: &[u8]) -> Vec<Member> {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(gz).read_to_end(&mut raw).unwrap();
        let mut r: &[u8] = &raw;
        let mut out = Vec::new();
        loop {
            let mut rd = cpio::NewcReader::new(r).unwrap();
            if rd.entry().is_trailer() {
                break;
            }
            let e = rd.entry();
            let head = (e.name().to_string(), e.mode(), e.ino(), e.uid(), e.gid(), e.mtime(), (e.rdev_major(), e.rdev_minor()));
            let mut data = Vec::new();
            rd.read_to_end(&mut data).unwrap();
            out.push((head.0, head.1, head.2, head.3, head.4, head.5, head.6, data));
            r = rd.finish().unwrap();
        }
        out
    }

    fn build(dir: &Path) -> Vec<u8> {
        gzip(&cpio(&parse(SPEC, dir).unwrap()).unwrap())
    }

    #[test]
    fn archive_of_a_small_spec_reads_back_in_spec_order() {
        let d = scratch("readback");
        let m = members(&build(&d));
        let names: Vec<&str> = m.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            ["bin", "bin/hello", "bin/sh", "dev", "dev/console", "dev/vda", "etc", "etc/nitro", "etc/nitro/log", "etc/nitro/run", "etc/nitro/sub", "etc/nitro/sub/data"]
        );
        let get = |n: &str| m.iter().find(|x| x.0 == n).unwrap();
        assert_eq!(get("bin").1, 0o040755);
        assert_eq!(get("bin/hello").1, 0o100644);
        assert_eq!(get("bin/hello").7, b"hello, world\n");
        assert_eq!(get("bin/sh").1, 0o120777);
        assert_eq!(get("bin/sh").7, b"hello");
        assert_eq!((get("dev/console").1, get("dev/console").6), (0o020600, (5, 1)));
        assert_eq!((get("dev/vda").1, get("dev/vda").6), (0o060660, (254, 0)));
        // Modes from a tree are normalised: 0700 on the host becomes 0755.
        assert_eq!(get("etc/nitro/run").1, 0o100755);
        assert_eq!(get("etc/nitro/sub/data").1, 0o100644);
        assert_eq!(get("etc/nitro/log").7, b"../other");
        for (i, x) in m.iter().enumerate() {
            assert_eq!((x.2, x.3, x.4, x.5), (i as u32 + 1, 0, 0, 0), "{}", x.0);
        }
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn two_builds_are_byte_for_byte_identical() {
        let d = scratch("repro");
        let a = build(&d);
        // Touch every source: mtimes must not leak into the archive.
        for f in ["hello", "tree/run", "tree/sub/data"] {
            let data = fs::read(d.join(f)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(10));
            fs::write(d.join(f), data).unwrap();
        }
        let b = build(&d);
        assert_eq!(a, b);
        // gzip header: magic, deflate, no flags, mtime 0.
        assert_eq!(&a[..8], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn gnu_cpio_lists_the_archive_when_installed() {
        let d = scratch("gnucpio");
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&build(&d)[..]).read_to_end(&mut raw).unwrap();
        fs::write(d.join("a.cpio"), &raw).unwrap();
        let Ok(out) = std::process::Command::new("cpio").arg("-t").arg("--quiet").arg("-F").arg(d.join("a.cpio")).output() else {
            eprintln!("cpio(1) not installed; skipped");
            return;
        };
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 12);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn mistakes_in_a_spec_are_errors() {
        let b = Path::new(".");
        for (spec, what) in [
            ("file /a/b 0644 x\n", "parent directory /a"),
            ("dir /a 0755\ndir /a 0755\n", "declared twice"),
            ("dir a 0755\n", "not absolute"),
            ("dir /a/../b 0755\n", "not normalised"),
            ("dir /a 0855\n", "bad mode"),
            ("nod /c 0600 x 1 2\n", "neither c nor b"),
            ("fifo /p 0600\n", "unknown entry type"),
            ("symlink /s\n", "wrong number of fields"),
        ] {
            let e = parse(spec, b).unwrap_err().to_string();
            assert!(e.contains(what), "{spec:?}: {e}");
        }
    }
}

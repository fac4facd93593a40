//! Reading the service directory: which services exist, which are new,
//! which vanished, and who logs to whom.

use crate::config::MAX_SERVICES;
use crate::name::{self, Name};
use crate::path::{self, Path};
use crate::state::{Event, State};
use super::{Core, into_raw};
use crate::sys;
use crate::table::{NO_FD, Slot};
use core::mem::MaybeUninit;
use rustix::fs::{AtFlags, CWD, FileType};
use rustix::io::Errno;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    NoSuchService,
    TableFull,
}

/// What a scan reads once for all its entries.
#[derive(Clone, Copy)]
pub(super) struct Scan {
    /// Its time (services it creates are DOWN since then).
    now: u64,
    /// Whether the LOG@ template exists.
    log_at: bool,
}

fn is_dir(path: &core::ffi::CStr) -> bool {
    rustix::fs::statat(CWD, path, AtFlags::empty())
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

fn exists(p: &[&[u8]]) -> bool {
    Path::from(p).is_ok_and(|p| sys::exists(p.as_cstr()))
}

/// Whether `name` names a service we could run: a valid name whose
/// directory (the template's, for instances) has `run` or `setup`.
pub fn runnable(name: &[u8]) -> bool {
    if !name::valid(name) {
        return false;
    }
    let dir = name::script_dir(name);
    exists(&[dir, b"/run"]) || exists(&[dir, b"/setup"])
}

/// Find a service, or create it if it can exist. New services are DOWN.
pub fn add_service(sup: &mut Core, name: &[u8]) -> Result<Slot, AddError> {
    sup.cold_ran = true;
    add(sup, name, 0)
}

fn add(sup: &mut Core, name: &[u8], depth: u32) -> Result<Slot, AddError> {
    if let Some(s) = sup.t.find(name) {
        if depth == 0 {
            refresh_log(sup, s, depth);
        }
        return Ok(s);
    }
    if !runnable(name) {
        sup.say_parts(&[b"no such service: ", name]);
        return Err(AddError::NoSuchService);
    }
    // A name is a service or a job, never both.
    #[cfg(feature = "http")]
    if sup.jobs.find(name).is_some() {
        sup.say_parts(&[b"name taken by a job: ", name]);
        return Err(AddError::NoSuchService);
    }
    let n = Name::new(name).ok_or(AddError::NoSuchService)?;
    let now = sup.scan.map_or_else(super::now, |c| c.now);
    let s = match sup.t.insert(n, now) {
        Ok(s) => s,
        Err(_) => {
            let mut o = crate::out::Out::<16>::new();
            o.u(MAX_SERVICES as u64);
            sup.say_parts(&[b"too many services, limit=", o.bytes(), b", refusing ", name]);
            return Err(AddError::TableFull);
        }
    };
    // Started by the next start_fresh unless it has a `down` file; a
    // logger created for a producer is created DOWN whatever its files say:
    // the producer's start starts it (loggers start on first use).
    sup.t.get_mut(s).fresh = depth == 0 && !exists(&[name::script_dir(name), b"/down"]);
    refresh_log(sup, s, depth);
    Ok(s)
}

/// Who does this service log to: its `log` link, else `LOG@<name>` when
/// the LOG@ template exists, else the default log. An instance's implicit
/// logger, like a link to a template, takes the instance's parameter
/// (`sv@one` logs to `LOG@one`). A link to `LOG` is the default log; a
/// link to the service itself makes it read its own output.
fn refresh_log(sup: &mut Core, s: Slot, depth: u32) {
    let name = sup.t.get(s).name;
    let me = name.as_bytes();
    // Our parameter, or our name: what a template logger is instantiated with.
    let param = name.template().map_or(me, |(_, arg)| arg);
    let mut target = [0u8; 256];
    let link = Path::from(&[name::script_dir(me), b"/log"]);
    let base: Option<&[u8]> = match link.map(|p| rustix::fs::readlinkat_raw(CWD, p.as_cstr(), &mut target[..])) {
        Ok(Ok(n)) => {
            let mut t = &target[..n.min(target.len())];
            while t.len() > 1 && t.ends_with(b"/") {
                t = &t[..t.len() - 1];
            }
            Some(path::basename(t))
        }
        Ok(Err(Errno::INVAL)) => {
            sup.say_parts(&[b"warning: ignoring log, it is not a symlink: ", me]);
            None
        }
        _ if !name::is_log_root(me) && sup.scan.map_or_else(|| is_dir(c"LOG@"), |c| c.log_at) => Some(b"LOG@"),
        _ => None,
    };
    let logger_name = base.and_then(|base| {
        let tail: &[u8] = if base.ends_with(b"@") { param } else { b"" };
        Name::new(Path::from(&[base, tail]).ok()?.as_bytes())
    });
    let logger = match logger_name {
        Some(l) if l.is_log() => None,
        Some(l) if l.as_bytes() == me => Some(s),
        Some(l) if depth < crate::config::LOG_CHAIN_MAX as u32 => add(sup, l.as_bytes(), depth + 1).ok(),
        _ => None,
    };
    let Some(j) = logger else {
        sup.t.get_mut(s).logger = None;
        return;
    };
    if sup.t.get(j).log_pipe[0] == NO_FD {
        match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
            Ok((r, w)) => sup.t.get_mut(j).log_pipe = [into_raw(r), into_raw(w)],
            Err(e) => {
                sup.say_errno(b"can't create log pipe", e);
                sup.t.get_mut(s).logger = None;
                return;
            }
        }
    }
    sup.t.get_mut(j).seen = true;
    sup.t.get_mut(s).logger = Some(j);
}

/// Re-read the service directory: add new services (starting them unless
/// they have a `down` file), refresh log links, take down and remove
/// services whose directory vanished and instances nothing refers to.
pub fn rescan(sup: &mut Core) {
    sup.cold_ran = true;
    let now = super::now();
    sup.scan = Some(Scan { now, log_at: is_dir(c"LOG@") });
    scan_dir(sup, now);
    sup.scan = None;
    start_fresh(sup, now);
}

fn scan_dir(sup: &mut Core, now: u64) {
    for s in 0..sup.t.end() {
        sup.t.get_mut(s).seen = false;
    }
    // First what stays, then what goes, then what is new: a full table
    // frees the slots of vanished services before new ones need them.
    // (Nothing stays in an empty table: the first scan reads once.)
    if sup.t.count() > 0 && !read_dir(sup, Pass::Keep) {
        for s in 0..sup.t.end() {
            sup.t.get_mut(s).seen = true;
        }
        return;
    }
    // Loggers of what stays, stay.
    for s in 0..sup.t.end() {
        let sv = sup.t.get(s);
        if let (true, true, Some(l)) = (sv.used(), sv.seen, sv.logger) {
            sup.t.get_mut(l).seen = true;
        }
    }
    for s in (0..sup.t.end()).rev() {
        if !sup.t.get(s).used() || sup.t.get(s).seen {
            continue;
        }
        sup.drive(s, Event::WantDown, now);
        let sv = sup.t.get(s);
        if sv.used() && sv.m.state == State::Down && !sv.has_process() {
            zap(sup, s);
        }
    }
    read_dir(sup, Pass::Add);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Mark existing services (and live template instances) as seen.
    Keep,
    /// Add the services that are not in the table yet.
    Add,
}

fn read_dir(sup: &mut Core, pass: Pass) -> bool {
    let dir = match rustix::fs::openat(CWD, c".", rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC, rustix::fs::Mode::empty()) {
        Ok(d) => d,
        Err(e) => {
            sup.say_errno(b"can't read service directory", e);
            return false;
        }
    };
    let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
    let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
    while let Some(Ok(ent)) = entries.next() {
        let fname = ent.file_name();
        let n = fname.to_bytes();
        // The entry's type as the directory gives it; a link (or a file
        // system that does not say) is looked at.
        let dir = match ent.file_type() {
            FileType::Directory => true,
            FileType::Symlink | FileType::Unknown => is_dir(fname),
            _ => false,
        };
        if n.first() == Some(&b'.') || !dir {
            continue;
        }
        if n.ends_with(b"@") {
            if pass == Pass::Keep {
                // Running instances of a template stay.
                for s in 0..sup.t.end() {
                    let sv = sup.t.get_mut(s);
                    if sv.used() && sv.name.as_bytes().starts_with(n) && sv.m.state != State::Down {
                        sv.seen = true;
                    }
                }
            }
            continue;
        }
        if !name::valid(n) {
            continue;
        }
        match (pass, sup.t.find(n)) {
            (Pass::Keep, Some(s)) => {
                sup.t.get_mut(s).seen = true;
                refresh_log(sup, s, 0);
            }
            (Pass::Add, None) => {
                if let Ok(s) = add_service(sup, n) {
                    sup.t.get_mut(s).seen = true;
                }
            }
            _ => {}
        }
    }
    true
}

/// Start the services created since the last call (by a scan), in the
/// order they were created (directory order), LOG first: nitro starts LOG
/// before its first scan. Loggers named by a producer's link are not
/// among them: the producer's start starts them.
pub fn start_fresh(sup: &mut Core, now: u64) {
    for log_pass in [true, false] {
        for s in 0..sup.t.end() {
            let sv = sup.t.get_mut(s);
            if sv.used() && sv.fresh && sv.name.is_log() == log_pass {
                sv.fresh = false;
                sup.drive(s, Event::WantUp, now);
            }
        }
    }
}

/// Remove a service that is down for good: close its pipes, free the slot.
pub fn zap(sup: &mut Core, s: Slot) {
    sup.cold_ran = true;
    sup.close_ready(s);
    let sv = sup.t.get_mut(s);
    for fd in sv.log_pipe {
        if fd != NO_FD {
            drop(sys::own(fd));
        }
    }
    sv.log_pipe = [NO_FD, NO_FD];
    sup.t.remove(s);
}

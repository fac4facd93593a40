//! Service arguments: `nitroctl up .` inside `/etc/nitro/web` means `web`.
//! The argument is made absolute and cleaned textually; if that path exists
//! the service is its last component, a plain name is used as is, and a
//! missing path with a `/` is an error. The file-system part (cwd, access)
//! is in main.rs.

use nitro::path::{Path, TooLong};

/// Whether the argument has to be looked at as a path at all. A plain name
/// (no `/`, not `.` or `..`) always ends up as itself: if it exists as a
/// file its last component is the name again.
pub fn is_pathlike(arg: &[u8]) -> bool {
    arg == b"." || arg == b".." || arg.iter().any(|&b| b == b'/')
}

/// `arg` made absolute against `cwd` (an absolute path), with `.`, `..`
/// and repeated or trailing slashes removed textually.
pub fn absolute(cwd: &[u8], arg: &[u8]) -> Result<Path, TooLong> {
    let mut p = Path::new();
    let base: &[u8] = if arg.first() == Some(&b'/') { b"" } else { cwd };
    for part in base.split(|&b| b == b'/').chain(arg.split(|&b| b == b'/')) {
        match part {
            b"" | b"." => {}
            b".." => {
                let cut = p.as_bytes().iter().rposition(|&b| b == b'/').unwrap_or(0);
                p.truncate(cut);
            }
            _ => {
                p.push(b"/")?.push(part)?;
            }
        }
    }
    if p.is_empty() {
        p.push(b"/")?;
    }
    Ok(p)
}

/// Why an argument names no service.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum NoService {
    /// The path does not exist (report it with the access(2) error).
    Missing,
}

/// The service an argument names, given its absolute form and whether that
/// exists.
pub fn service<'a>(arg: &'a [u8], abs: &'a [u8], exists: bool) -> Result<&'a [u8], NoService> {
    if exists {
        let base = nitro::path::basename(abs);
        if !base.is_empty() {
            return Ok(base);
        }
    }
    if !arg.iter().any(|&b| b == b'/') {
        return Ok(arg);
    }
    Err(NoService::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abs(cwd: &str, arg: &str) -> String {
        String::from_utf8(absolute(cwd.as_bytes(), arg.as_bytes()).unwrap().as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn paths_are_made_absolute_and_clean() {
        assert_eq!(abs("/etc/nitro/web", "."), "/etc/nitro/web");
        assert_eq!(abs("/etc/nitro/web", ".."), "/etc/nitro");
        assert_eq!(abs("/etc/nitro/web", "../a"), "/etc/nitro/a");
        assert_eq!(abs("/x", "/etc/nitro/a/."), "/etc/nitro/a");
        assert_eq!(abs("/x", "/etc//nitro///a/"), "/etc/nitro/a");
        assert_eq!(abs("/", ".."), "/");
        assert_eq!(abs("/a", "../../.."), "/");
        assert_eq!(abs("/a/b", "c/./d/../e"), "/a/b/c/e");
        assert!(absolute(b"/", &[b'a'; 300]).is_err());
    }

    #[test]
    fn the_service_is_the_last_component_of_an_existing_path() {
        assert_eq!(service(b".", b"/etc/nitro/web", true), Ok(&b"web"[..]));
        assert_eq!(service(b"/etc/nitro/a/.", b"/etc/nitro/a", true), Ok(&b"a"[..]));
        assert_eq!(service(b"web", b"/home/web", false), Ok(&b"web"[..]));
        assert_eq!(service(b"x/y", b"/home/x/y", false), Err(NoService::Missing));
        assert_eq!(service(b"/", b"/", true), Err(NoService::Missing));
        assert!(is_pathlike(b"."));
        assert!(is_pathlike(b"a/b"));
        assert!(!is_pathlike(b"web"));
        assert!(!is_pathlike(b"getty@tty1"));
    }
}

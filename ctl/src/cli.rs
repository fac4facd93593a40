//! The command line: `nitroctl [-t SECS] [-v] COMMAND [SERVICE...]`, and the
//! other names the binary answers to (`init`, `halt`, `poweroff`, `reboot`).

use nitro::words::{self, Words};

/// Linux signal numbers (the same on x86_64, arm and aarch64).
pub mod sig {
    pub const HUP: u8 = 1;
    pub const INT: u8 = 2;
    pub const QUIT: u8 = 3;
    pub const KILL: u8 = 9;
    pub const USR1: u8 = 10;
    pub const USR2: u8 = 12;
    pub const ALRM: u8 = 14;
    pub const TERM: u8 = 15;
    pub const CONT: u8 = 18;
    pub const STOP: u8 = 19;
}

/// What the user asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Cmd {
    /// Without services: LIST; with services: QUERY each and print a line.
    List,
    Info,
    Rescan,
    Shutdown,
    Reboot,
    Up,
    Down,
    Ready,
    Start,
    Stop,
    Restart,
    FastStart,
    FastStop,
    FastRestart,
    Pidof,
    Check,
    WaitUp,
    WaitDown,
    WaitStarting,
    Events,
    Signal(u8),
}

/// The command words, then the one-letter forms (nitro's streq1; where
/// several words share a first letter, the one nitro tests first wins: `p`
/// is pause, not pidof). The first entry that matches counts.
const WORDS: &[(&[u8], Cmd)] = &[
    (b"list", Cmd::List),
    (b"info", Cmd::Info),
    (b"rescan", Cmd::Rescan),
    (b"scan", Cmd::Rescan),
    (b"Reboot", Cmd::Reboot),
    (b"Shutdown", Cmd::Shutdown),
    (b"up", Cmd::Up),
    (b"down", Cmd::Down),
    (b"ready", Cmd::Ready),
    (b"start", Cmd::Start),
    (b"stop", Cmd::Stop),
    (b"restart", Cmd::Restart),
    (b"fast-start", Cmd::FastStart),
    (b"fast-stop", Cmd::FastStop),
    (b"fast-restart", Cmd::FastRestart),
    (b"pidof", Cmd::Pidof),
    (b"check", Cmd::Check),
    (b"wait-up", Cmd::WaitUp),
    (b"wait-down", Cmd::WaitDown),
    (b"wait-starting", Cmd::WaitStarting),
    (b"events", Cmd::Events),
    (b"pause", Cmd::Signal(sig::STOP)),
    (b"cont", Cmd::Signal(sig::CONT)),
    (b"hup", Cmd::Signal(sig::HUP)),
    (b"alarm", Cmd::Signal(sig::ALRM)),
    (b"interrupt", Cmd::Signal(sig::INT)),
    (b"quit", Cmd::Signal(sig::QUIT)),
    (b"term", Cmd::Signal(sig::TERM)),
    (b"kill", Cmd::Signal(sig::KILL)),
    (b"1", Cmd::Signal(sig::USR1)),
    (b"2", Cmd::Signal(sig::USR2)),
    (b"l", Cmd::List),
    (b"s", Cmd::Rescan),
    (b"u", Cmd::Up),
    (b"d", Cmd::Down),
    (b"r", Cmd::FastRestart),
    (b"p", Cmd::Signal(sig::STOP)),
    (b"c", Cmd::Signal(sig::CONT)),
    (b"h", Cmd::Signal(sig::HUP)),
    (b"a", Cmd::Signal(sig::ALRM)),
    (b"i", Cmd::Signal(sig::INT)),
    (b"q", Cmd::Signal(sig::QUIT)),
    (b"t", Cmd::Signal(sig::TERM)),
    (b"k", Cmd::Signal(sig::KILL)),
];
const PACKED: Words<{ words::bytes(WORDS) }, { WORDS.len() }, Cmd> = Words::pack(WORDS);

impl Cmd {
    pub fn lookup(word: &[u8]) -> Option<Cmd> {
        PACKED.get(word)
    }

    /// Commands that act on services and make no sense without one.
    pub fn needs_service(self) -> bool {
        !matches!(
            self,
            Cmd::List | Cmd::Info | Cmd::Rescan | Cmd::Shutdown | Cmd::Reboot | Cmd::Events
        )
    }

    /// Commands that take service arguments (the others ignore extra words).
    pub fn takes_services(self) -> bool {
        self == Cmd::List || self.needs_service()
    }
}

/// A parsed command line.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Opts {
    /// `-t`, in milliseconds.
    pub timeout_ms: Option<u64>,
    pub verbose: bool,
    pub cmd: Cmd,
    /// Index of the first service argument.
    pub first: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Bad {
    /// `usage: nitroctl COMMAND [SERVICE ...]`, exit 2.
    Usage,
    /// `nitroctl: invalid timeout`, exit 2.
    Timeout,
    /// `nitroctl: unrecognized option: x` (as nitro's getopt), then the
    /// usage; exit 2.
    Option(u8),
    /// `-h`, `--help` or `help`: the help on stdout, exit 0.
    Help,
    /// `-V` or `--version`: the version on stdout, exit 0.
    Version,
}

pub const USAGE: &[u8] = b"usage: nitroctl COMMAND [SERVICE ...]\n";

/// `nitroctl --help`; main adds the socket it would use.
pub const HELP: &[u8] = b"usage: nitroctl [-t SECS] [-v] COMMAND [SERVICE...]

commands (a one-letter form is given in brackets):
  list [SERVICE...]    [l] the state of every service, or of those named
  up SERVICE...        [u] start; answers at once
  down SERVICE...      [d] stop; waits until it is DOWN
  start SERVICE...     start; waits until it is UP (exit 1 when FATAL)
  stop SERVICE...      stop; waits until it is DOWN
  restart SERVICE...   stop and start; waits until it is UP
  fast-start, fast-stop, fast-restart [r] SERVICE...
                       the same, waiting only until the change has begun
  ready SERVICE...     mark a service with notification-fd 0 as UP
  wait-up, wait-down, wait-starting SERVICE...
                       wait until the service is in that state
  pidof SERVICE...     print each service's pid (exit 1 when it has none)
  check SERVICE...     exit 0 when every service has a pid, else 1
  info                 the supervisor's pid, slots and reap counts
  events               print every state change until interrupted
  rescan               [s] read the service directory again
  Shutdown, Reboot     stop every service, then power off or reboot
                       (an unprivileged supervisor just exits)
  pause cont hup alarm interrupt quit term kill 1 2 SERVICE...
                       [p c h a i q t k] send that signal (1, 2: SIGUSR1/2)

options:
  -t SECS              give up after SECS seconds (exit 3)
  -v                   print each state change while waiting
  -h, --help           this help;  -V, --version  the version

exit: 0 done; 1 failed or no pid; 2 usage; 3 timed out; 4 could not send;
      111 no such service or an error; 130 interrupted
";
pub const INVALID_TIMEOUT: &[u8] = b"nitroctl: invalid timeout\n";

/// getopt("t:v") up to the first non-option, then the command word.
/// `arg(i)` is argument i (0 = program name), for i < argc.
pub fn parse<'a>(argc: usize, arg: impl Fn(usize) -> &'a [u8]) -> Result<Opts, Bad> {
    let mut timeout_ms = None;
    let mut verbose = false;
    let mut i = 1;
    while i < argc {
        let a = arg(i);
        match a {
            b"--" => {
                i += 1;
                break;
            }
            b"-h" | b"--help" => return Err(Bad::Help),
            b"-V" | b"--version" => return Err(Bad::Version),
            _ => {}
        }
        let Some(flags) = a.strip_prefix(b"-").filter(|f| !f.is_empty()) else { break };
        let mut rest = flags;
        while let Some((&f, tail)) = rest.split_first() {
            rest = tail;
            match f {
                b'v' => verbose = true,
                b't' => {
                    let value = if !tail.is_empty() {
                        tail
                    } else {
                        i += 1;
                        if i >= argc {
                            return Err(Bad::Usage);
                        }
                        arg(i)
                    };
                    timeout_ms = Some(parse_timeout(value).ok_or(Bad::Timeout)?);
                    break;
                }
                _ => return Err(Bad::Option(f)),
            }
        }
        i += 1;
    }
    if i < argc && arg(i) == b"help" {
        return Err(Bad::Help);
    }
    let cmd = if i < argc {
        let c = Cmd::lookup(arg(i)).ok_or(Bad::Usage)?;
        i += 1;
        c
    } else {
        Cmd::List
    };
    if cmd.needs_service() && i >= argc {
        return Err(Bad::Usage);
    }
    Ok(Opts { timeout_ms, verbose, cmd, first: i })
}

/// A non-negative decimal number of seconds with an optional fraction
/// (`5`, `0.2`, `.5`, `3.`), in milliseconds rounded up. Huge values
/// saturate (they mean "practically forever").
pub fn parse_timeout(s: &[u8]) -> Option<u64> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(dot) => (s.get(..dot)?, s.get(dot + 1..)?),
        None => (s, &b""[..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let mut secs: u64 = 0;
    for &d in int {
        secs = secs.saturating_mul(10).saturating_add((d - b'0') as u64);
    }
    let mut ms: u64 = 0;
    let mut scale = 100;
    let mut more = false;
    for &d in frac {
        if scale > 0 {
            ms += (d - b'0') as u64 * scale;
            scale /= 10;
        } else if d != b'0' {
            more = true;
        }
    }
    Some(secs.saturating_mul(1000).saturating_add(ms + more as u64))
}

/// The name the binary was called by.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Personality {
    Ctl,
    Init,
    Halt,
    Reboot,
}

pub fn personality(argv0: &[u8]) -> Personality {
    if argv0.ends_with(b"init") {
        Personality::Init
    } else if argv0.ends_with(b"halt") || argv0.ends_with(b"poweroff") {
        Personality::Halt
    } else if argv0.ends_with(b"reboot") {
        Personality::Reboot
    } else {
        Personality::Ctl
    }
}

/// What `init`, `halt`, `poweroff` and `reboot` do.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Multi {
    /// Ask the supervisor.
    Request(Cmd),
    /// `-f`: reboot(2) right away; true = restart, false = power off.
    Force { restart: bool },
    /// `-w`/`-B`: write a login accounting record and do nothing else.
    Record(crate::wtmp::Record),
    /// Print this and exit 2.
    Usage(&'static [u8]),
}

/// `argc` counts the program name; `arg1` is the first argument.
pub fn multicall(p: Personality, argc: usize, arg1: Option<&[u8]>) -> Multi {
    match p {
        Personality::Init => match (argc, arg1) {
            (2, Some(b"0")) => Multi::Request(Cmd::Shutdown),
            (2, Some(b"6")) => Multi::Request(Cmd::Reboot),
            (2, Some(b"q")) => Multi::Request(Cmd::Rescan),
            _ => Multi::Usage(b"usage: init [0|6|q]\n"),
        },
        Personality::Halt | Personality::Reboot => {
            let restart = p == Personality::Reboot;
            match arg1 {
                Some(b"-f") => Multi::Force { restart },
                Some(b"-w") => Multi::Record(crate::wtmp::Record::Shutdown),
                Some(b"-B") => Multi::Record(crate::wtmp::Record::Boot),
                _ => Multi::Request(if restart { Cmd::Reboot } else { Cmd::Shutdown }),
            }
        }
        Personality::Ctl => Multi::Usage(USAGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Opts, Bad> {
        let v: Vec<&[u8]> = core::iter::once("nitroctl").chain(args.iter().copied()).map(str::as_bytes).collect();
        parse(v.len(), |i| v[i])
    }

    #[test]
    fn no_command_is_list() {
        assert_eq!(p(&[]), Ok(Opts { timeout_ms: None, verbose: false, cmd: Cmd::List, first: 1 }));
        assert_eq!(p(&["-v"]).unwrap().cmd, Cmd::List);
    }

    #[test]
    fn full_words_and_single_letters() {
        for (w, c) in [
            ("u", Cmd::Up),
            ("up", Cmd::Up),
            ("d", Cmd::Down),
            ("l", Cmd::List),
            ("s", Cmd::Rescan),
            ("scan", Cmd::Rescan),
            ("rescan", Cmd::Rescan),
            ("r", Cmd::FastRestart),
            ("p", Cmd::Signal(sig::STOP)),
            ("c", Cmd::Signal(sig::CONT)),
            ("i", Cmd::Signal(sig::INT)),
            ("k", Cmd::Signal(sig::KILL)),
            ("1", Cmd::Signal(sig::USR1)),
            ("2", Cmd::Signal(sig::USR2)),
            ("t", Cmd::Signal(sig::TERM)),
            ("info", Cmd::Info),
            ("pidof", Cmd::Pidof),
            ("fast-stop", Cmd::FastStop),
            ("wait-starting", Cmd::WaitStarting),
        ] {
            assert_eq!(Cmd::lookup(w.as_bytes()), Some(c), "{w}");
        }
        for bad in ["", "x", "S", "R", "upp", "Up", "-", "lis"] {
            assert_eq!(Cmd::lookup(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn options_getopt_style() {
        let o = p(&["-t", "5", "-v", "start", "web"]).unwrap();
        assert_eq!(o, Opts { timeout_ms: Some(5000), verbose: true, cmd: Cmd::Start, first: 5 });
        let o = p(&["-t0.25", "stop", "a", "b"]).unwrap();
        assert_eq!((o.timeout_ms, o.cmd, o.first), (Some(250), Cmd::Stop, 3));
        let o = p(&["-vvt", "1", "up", "a"]).unwrap();
        assert_eq!((o.timeout_ms, o.verbose, o.first), (Some(1000), true, 4));
        let o = p(&["--", "list"]).unwrap();
        assert_eq!((o.cmd, o.first), (Cmd::List, 3));
        assert_eq!(p(&["-x", "list"]), Err(Bad::Option(b'x')));
        assert_eq!(p(&["-t"]), Err(Bad::Usage));
        assert_eq!(p(&["-t", "abc", "list"]), Err(Bad::Timeout));
        assert_eq!(p(&["-t", "-1", "list"]), Err(Bad::Timeout));
        assert_eq!(p(&["-", "list"]), Err(Bad::Usage));
        // Options end at the command.
        assert_eq!(p(&["up", "-v"]).unwrap().first, 2);
    }

    #[test]
    fn service_commands_need_a_service() {
        assert_eq!(p(&["up"]), Err(Bad::Usage));
        assert_eq!(p(&["kill"]), Err(Bad::Usage));
        assert_eq!(p(&["pidof"]), Err(Bad::Usage));
        assert_eq!(p(&["nonsense", "x"]), Err(Bad::Usage));
        assert!(p(&["info"]).is_ok());
        assert!(p(&["events"]).is_ok());
        assert!(p(&["Shutdown"]).is_ok());
        assert_eq!(p(&["list", "a", "b"]).unwrap().first, 2);
    }

    #[test]
    fn timeouts_like_strtod() {
        assert_eq!(parse_timeout(b"5"), Some(5000));
        assert_eq!(parse_timeout(b"0.2"), Some(200));
        assert_eq!(parse_timeout(b".5"), Some(500));
        assert_eq!(parse_timeout(b"3."), Some(3000));
        assert_eq!(parse_timeout(b"0"), Some(0));
        assert_eq!(parse_timeout(b"0.0001"), Some(1));
        assert_eq!(parse_timeout(b"99999999999999999999999"), Some(u64::MAX));
        for bad in ["", ".", "1.2.3", "1e3", "-1", " 1", "1s"] {
            assert_eq!(parse_timeout(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn multicall_names() {
        assert_eq!(personality(b"/sbin/init"), Personality::Init);
        assert_eq!(personality(b"halt"), Personality::Halt);
        assert_eq!(personality(b"/sbin/poweroff"), Personality::Halt);
        assert_eq!(personality(b"reboot"), Personality::Reboot);
        assert_eq!(personality(b"/usr/bin/nitroctl"), Personality::Ctl);
        let i = Personality::Init;
        assert_eq!(multicall(i, 2, Some(b"0")), Multi::Request(Cmd::Shutdown));
        assert_eq!(multicall(i, 2, Some(b"6")), Multi::Request(Cmd::Reboot));
        assert_eq!(multicall(i, 2, Some(b"q")), Multi::Request(Cmd::Rescan));
        assert!(matches!(multicall(i, 2, Some(b"5")), Multi::Usage(_)));
        assert!(matches!(multicall(i, 1, None), Multi::Usage(_)));
        assert!(matches!(multicall(i, 3, Some(b"0")), Multi::Usage(_)));
        let h = Personality::Halt;
        assert_eq!(multicall(h, 1, None), Multi::Request(Cmd::Shutdown));
        assert_eq!(multicall(h, 2, Some(b"-f")), Multi::Force { restart: false });
        assert_eq!(multicall(h, 2, Some(b"-w")), Multi::Record(crate::wtmp::Record::Shutdown));
        assert_eq!(multicall(h, 2, Some(b"-B")), Multi::Record(crate::wtmp::Record::Boot));
        let r = Personality::Reboot;
        assert_eq!(multicall(r, 1, None), Multi::Request(Cmd::Reboot));
        assert_eq!(multicall(r, 2, Some(b"-f")), Multi::Force { restart: true });
    }
}

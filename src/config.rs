//! Every capacity and timing of the supervisor, in one place, with units.

/// Service table slots. Capacity N means N services (nitro refuses its last).
pub const MAX_SERVICES: usize = 500;
/// Longest service name in bytes (names are under 64 bytes).
pub const NAME_MAX: usize = 63;
/// Longest path the supervisor builds (socket paths are further limited by
/// the 108-byte `sun_path`).
pub const PATH_MAX: usize = 256;
/// Environment entries passed on to children when PATH has to be added
/// (a larger environment is passed on whole, without PATH).
pub const ENV_MAX: usize = 1024;

/// Milliseconds to wait after a failed fork, pipe or temporary exec error.
pub const DELAY_SPAWN_ERROR: u64 = 2000;
/// Milliseconds until a service without readiness notification counts as UP.
pub const DELAY_STARTING: u64 = 2000;
/// A run that ended, for whatever reason (crash, signal, `restart`), less
/// than this many milliseconds after its start...
pub const FAST_RESTART: u64 = 1000;
/// ...waits this long (DELAY) before its next start.
pub const DELAY_RESPAWN: u64 = 1000;
/// Milliseconds between the down-signal and SIGKILL.
pub const TIMEOUT_SHUTDOWN: u64 = 7000;
/// At shutdown a logger whose producers are all gone reads what is left in
/// its pipe and exits by itself. It is checked every LOG_DRAIN_CHECK ms and
/// gets its down-signal (SIGKILL TIMEOUT_SHUTDOWN later) once LOG_DRAIN_QUIET
/// checks in a row saw its pipe no emptier: 7 s without progress.
pub const LOG_DRAIN_CHECK: u64 = 1000;
pub const LOG_DRAIN_QUIET: u8 = 7;
/// Milliseconds a finish script may run before SIGKILL.
pub const TIMEOUT_FINISH: u64 = 7000;
/// At the end of a shutdown: milliseconds after SIGTERM to everything, and
/// after SIGKILL to everything, before going on regardless.
pub const TIMEOUT_SIGTERM: u64 = 7000;
pub const TIMEOUT_SIGKILL: u64 = 7000;
/// Milliseconds SYS/finish and SYS/final may run.
pub const TIMEOUT_SYS_FINISH: u64 = 30000;
pub const TIMEOUT_SYS_FINAL: u64 = 30000;

/// Log links are followed this many loggers deep: when creating loggers
/// for a producer, and when a producer's start starts its logger chain.
pub const LOG_CHAIN_MAX: u8 = 8;

/// Largest control request we read; longer datagrams are refused (ENOSYS).
pub const REQUEST_MAX: usize = 512;
/// One LIST reply holds every service and SYS: a full entry is
/// 3+3+64+4+7+7+7+3 bytes.
pub const LIST_ENTRY_MAX: usize = 3 + (3 + NAME_MAX + 1) + 4 + 7 + 7 + 7 + 3;
pub const LIST_REPLY_MAX: usize = (MAX_SERVICES + 1) * LIST_ENTRY_MAX;

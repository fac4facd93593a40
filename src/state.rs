//! The per-service state machine: a pure function from (state, event) to a
//! new state and at most one action. Nothing here forks, kills or reads a
//! clock; the supervisor feeds in events and the current time, and carries
//! out the action (`supervisor.rs`). Every pair is handled: an event that
//! makes no sense in a state (a stale timer, a late exit) changes nothing.

use crate::config::*;
use crate::words::{self, Words};

/// nitro's nine states, with their wire numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// A table slot not in use. Never on the wire; it exists so that an
    /// empty table is all zero bytes and lives in .bss.
    Free = 0,
    Down = 1,
    Setup = 2,
    Starting = 3,
    Up = 4,
    Oneshot = 5,
    Shutdown = 6,
    Restart = 7,
    Fatal = 8,
    Delay = 9,
}

/// The states' names, in the order of their numbers (a packed table: the
/// names and where each ends, where a match on the state made a table of
/// pointers and lengths).
const NAMES: Words<{ words::bytes(NAME_TABLE) }, { NAME_TABLE.len() }, ()> = Words::pack(NAME_TABLE);
const NAME_TABLE: &[(&[u8], ())] = &[
    (b"FREE", ()),
    (b"DOWN", ()),
    (b"SETUP", ()),
    (b"STARTING", ()),
    (b"UP", ()),
    (b"ONESHOT", ()),
    (b"SHUTDOWN", ()),
    (b"RESTART", ()),
    (b"FATAL", ()),
    (b"DELAY", ()),
];

impl State {
    pub fn from_u8(n: u8) -> Option<State> {
        Some(match n {
            1 => State::Down,
            2 => State::Setup,
            3 => State::Starting,
            4 => State::Up,
            5 => State::Oneshot,
            6 => State::Shutdown,
            7 => State::Restart,
            8 => State::Fatal,
            9 => State::Delay,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static [u8] {
        NAMES.at(self as usize)
    }

    /// The state's name for a wire number, `???` for anything else.
    pub fn name_of(n: u8) -> &'static [u8] {
        State::from_u8(n).map_or(b"???", State::name)
    }

    /// Down for good (until asked): what shutdown waits for.
    pub fn is_stopped(self) -> bool {
        matches!(self, State::Down | State::Fatal)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    WantUp,
    WantDown,
    WantRestart,
    /// The setup script ended with this exit code (0 go on, 111 fatal,
    /// anything else retry); a missing setup script counts as 0.
    SetupExited(i32),
    /// `run` was spawned; `timed` when readiness is the 2 s timer.
    Launched { timed: bool },
    /// There is no `run`: a one-shot.
    NoRun,
    /// There is no `run` and no directory any more (deleted, or its
    /// template deleted): FATAL, as nitro does.
    Vanished,
    /// fork/pipe failed or exec failed with a temporary error.
    SpawnFailed,
    /// exec of `run` failed for good.
    ExecFailed,
    /// The run process ended with this raw wait status.
    Exited(i32),
    /// The finish script ended, is absent, or could not be spawned.
    FinishDone,
    /// The service's deadline passed.
    Timeout,
    /// Readiness: a newline on the notification fd, or `nitroctl ready`.
    Ready,
}

/// What the supervisor must do after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    /// Run `setup` (or feed `SetupExited(0)` back when there is none). The
    /// service is starting: its logger is started first.
    StartSetup,
    /// Run `run` (then feed Launched/NoRun/Vanished/SpawnFailed/ExecFailed
    /// back).
    StartRun,
    /// Run `finish` (or feed FinishDone back when there is none).
    StartFinish,
    /// Send the stop signals: SIGTERM to setup, the down-signal to run, then
    /// SIGCONT to both.
    Stop,
    /// SIGKILL to setup, run and finish.
    Kill,
}

/// What a step announces, at nitro's notification points (besides the
/// forks of setup and finish, which the supervisor announces itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    None,
    /// The new state: STARTING (run forked), UP (readiness or the 2 s
    /// timer), ONESHOT (no `run`), FATAL (setup exited 111), DELAY (not
    /// nitro's: our addition).
    State,
    /// A run/finish cycle ended: DOWN, then the new state when it is FATAL
    /// (or DELAY, our addition).
    Cleanup,
}

/// The outcome of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub note: Note,
}

/// A time something is due, in milliseconds of CLOCK_MONOTONIC, or
/// [`NEVER`]. One word, not an `Option`: a timer set or cleared is one
/// store, and [`due`] and [`nearer`] one comparison each. `NEVER` is 0 so
/// that the tables holding deadlines start all zero (.bss); a deadline is
/// always a time plus a delay, never 0.
pub type Deadline = u64;

/// No deadline.
pub const NEVER: Deadline = 0;

/// Whether `d` is set and has come by `now`. (Less one, `NEVER` wraps to
/// the largest time: never due, the farthest of all.)
pub fn due(d: Deadline, now: u64) -> bool {
    d.wrapping_sub(1) < now
}

/// The nearer of two deadlines (`NEVER` only when both are).
#[inline(never)] // (out of line: smaller, measured)
pub fn nearer(a: Deadline, b: Deadline) -> Deadline {
    if a.wrapping_sub(1) < b.wrapping_sub(1) { a } else { b }
}

/// The part of a service the state machine owns. Times are milliseconds of
/// CLOCK_MONOTONIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    pub state: State,
    /// When the service's timer fires ([`NEVER`]: it is not set).
    pub deadline: Deadline,
    /// The base of the reported uptime: set when setup or run is forked,
    /// when a one-shot is up, and when a run/finish cycle ends; also the
    /// base of the fast-restart rule.
    pub since: u64,
    /// Raw wait status of the last run process; -1 when exec failed.
    pub wstatus: i32,
    /// STARTING, but run has ended and its finish runs: a run that ends
    /// before it is UP keeps STARTING through its finish, as in nitro.
    pub finishing: bool,
}

const fn step(action: Action, note: Note) -> Step {
    Step { action, note }
}

const NOTHING: Step = step(Action::None, Note::None);

impl Machine {
    pub const fn new(state: State, now: u64) -> Machine {
        Machine { state, deadline: NEVER, since: now, wstatus: 0, finishing: false }
    }

    fn set(&mut self, state: State, deadline: Deadline) {
        self.state = state;
        self.deadline = deadline;
        self.finishing = false;
    }

    fn begin_setup(&mut self, now: u64, note: Note) -> Step {
        self.set(State::Setup, NEVER);
        self.since = now;
        step(Action::StartSetup, note)
    }

    /// A run/finish cycle is over (nitro's cleanup): the uptime base is
    /// reset and DOWN is announced, whatever comes next.
    fn cleanup(&mut self, state: State, deadline: Deadline, now: u64) -> Step {
        self.set(state, deadline);
        self.since = now;
        step(Action::None, Note::Cleanup)
    }

    /// One step. `up` is false once the supervisor is shutting down: then
    /// nothing starts any more.
    // (Out of line on x86_64: smaller there, larger on aarch64.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn step(&mut self, ev: Event, now: u64, up: bool) -> Step {
        use Event as E;
        use State as S;
        match (ev, self.state) {
            // A free slot has no service to step.
            (_, S::Free) => NOTHING,
            (E::WantUp, _) if !up => NOTHING,
            (E::WantUp, S::Down | S::Fatal | S::Delay) => self.begin_setup(now, Note::None),
            (E::WantUp, S::Shutdown) => {
                self.state = S::Restart;
                NOTHING
            }
            (E::WantUp, _) => NOTHING,

            (E::WantDown, S::Setup | S::Starting | S::Up) => {
                self.set(S::Shutdown, now + TIMEOUT_SHUTDOWN);
                step(Action::Stop, Note::None)
            }
            (E::WantDown, S::Restart | S::Shutdown) => {
                // Already stopping: keep the kill deadline, cancel a restart.
                self.state = S::Shutdown;
                step(Action::Stop, Note::None)
            }
            // A one-shot taken down stays ONESHOT while its finish runs.
            (E::WantDown, S::Oneshot) if self.deadline == NEVER => {
                self.deadline = now + TIMEOUT_FINISH;
                step(Action::StartFinish, Note::None)
            }
            (E::WantDown, S::Oneshot) => NOTHING,
            // Silently: nitro announces none of these.
            (E::WantDown, S::Fatal | S::Delay) => {
                self.set(S::Down, NEVER);
                self.since = now;
                NOTHING
            }
            (E::WantDown, S::Down) => NOTHING,

            (E::WantRestart, _) if !up => NOTHING,
            (E::WantRestart, S::Setup | S::Starting | S::Up) => {
                self.set(S::Restart, now + TIMEOUT_SHUTDOWN);
                step(Action::Stop, Note::None)
            }
            (E::WantRestart, S::Shutdown | S::Restart) => {
                self.state = S::Restart;
                step(Action::Stop, Note::None)
            }
            // (A one-shot whose finish already runs restarts when it ends.)
            (E::WantRestart, S::Oneshot) if self.deadline != NEVER => {
                self.state = S::Restart;
                NOTHING
            }
            (E::WantRestart, S::Oneshot) => {
                self.set(S::Restart, now + TIMEOUT_FINISH);
                step(Action::StartFinish, Note::None)
            }
            (E::WantRestart, S::Down | S::Fatal | S::Delay) => self.begin_setup(now, Note::None),

            // Setup ended while the service was being stopped: no run ever
            // started, nothing to finish; the cycle is over.
            (E::SetupExited(_), S::Setup) if !up => self.cleanup(S::Down, NEVER, now),
            (E::SetupExited(0), S::Setup) => step(Action::StartRun, Note::None),
            (E::SetupExited(111), S::Setup) => {
                // (The uptime still counts from the fork of setup.)
                self.wstatus = -1;
                self.set(S::Fatal, NEVER);
                step(Action::None, Note::State)
            }
            (E::SetupExited(_), S::Setup) => {
                self.set(S::Delay, now + DELAY_RESPAWN);
                step(Action::None, Note::State)
            }
            (E::SetupExited(_), S::Shutdown) => self.cleanup(S::Down, NEVER, now),
            (E::SetupExited(_), S::Restart) if up => {
                self.cleanup(S::Restart, NEVER, now);
                self.begin_setup(now, Note::Cleanup)
            }
            (E::SetupExited(_), S::Restart) => self.cleanup(S::Down, NEVER, now),
            (E::SetupExited(_), _) => NOTHING,

            (E::Launched { timed }, S::Setup) => {
                let deadline = if timed { now + DELAY_STARTING } else { NEVER };
                self.set(S::Starting, deadline);
                self.since = now;
                step(Action::None, Note::State)
            }
            (E::NoRun, S::Setup) => {
                self.set(S::Oneshot, NEVER);
                self.since = now;
                step(Action::None, Note::State)
            }
            (E::Vanished, S::Setup) => {
                self.wstatus = -1;
                self.set(S::Fatal, now + TIMEOUT_FINISH);
                self.since = now;
                step(Action::StartFinish, Note::None)
            }
            (E::SpawnFailed, S::Setup) => {
                self.wstatus = -1;
                self.set(S::Delay, now + DELAY_SPAWN_ERROR);
                step(Action::None, Note::State)
            }
            (E::ExecFailed, S::Setup) => {
                self.wstatus = -1;
                self.set(S::Fatal, now + TIMEOUT_FINISH);
                self.since = now;
                step(Action::StartFinish, Note::None)
            }
            (E::Launched { .. } | E::NoRun | E::Vanished | E::SpawnFailed | E::ExecFailed, _) => NOTHING,

            (E::Exited(ws), S::Starting) if !self.finishing => {
                self.wstatus = ws;
                self.set(S::Starting, now + TIMEOUT_FINISH);
                self.finishing = true;
                step(Action::StartFinish, Note::None)
            }
            (E::Exited(ws), S::Up) => {
                self.wstatus = ws;
                self.set(S::Restart, now + TIMEOUT_FINISH);
                step(Action::StartFinish, Note::None)
            }
            (E::Exited(ws), S::Shutdown | S::Restart | S::Fatal) => {
                self.wstatus = ws;
                self.deadline = now + TIMEOUT_FINISH;
                step(Action::StartFinish, Note::None)
            }
            (E::Exited(ws), _) => {
                self.wstatus = ws;
                NOTHING
            }

            (E::FinishDone, S::Starting) if !self.finishing => NOTHING,
            (E::FinishDone, S::Restart | S::Starting) if !up => self.cleanup(S::Down, NEVER, now),
            // Whatever ended the run (a crash, a signal, `restart`): less
            // than a second after its start, the next start waits a second.
            (E::FinishDone, S::Restart | S::Starting) if now.saturating_sub(self.since) < FAST_RESTART => {
                self.cleanup(S::Delay, now + DELAY_RESPAWN, now)
            }
            (E::FinishDone, S::Restart | S::Starting) => {
                self.cleanup(S::Restart, NEVER, now);
                self.begin_setup(now, Note::Cleanup)
            }
            (E::FinishDone, S::Shutdown | S::Oneshot) => self.cleanup(S::Down, NEVER, now),
            (E::FinishDone, S::Fatal) => self.cleanup(S::Fatal, NEVER, now),
            (E::FinishDone, _) => NOTHING,

            (E::Timeout, S::Delay) if up => self.begin_setup(now, Note::None),
            (E::Timeout, S::Delay) => {
                self.set(S::Down, NEVER);
                self.since = now;
                NOTHING
            }
            (E::Timeout, S::Starting) if self.finishing => {
                self.deadline = NEVER;
                step(Action::Kill, Note::None)
            }
            (E::Timeout, S::Starting) => {
                self.set(S::Up, NEVER);
                step(Action::None, Note::State)
            }
            // Only a finish script can hold a timer in ONESHOT and FATAL.
            (E::Timeout, S::Shutdown | S::Restart | S::Fatal | S::Oneshot) => {
                self.deadline = NEVER;
                step(Action::Kill, Note::None)
            }
            (E::Timeout, _) => {
                self.deadline = NEVER;
                NOTHING
            }

            (E::Ready, S::Starting) if !self.finishing => {
                self.set(S::Up, NEVER);
                step(Action::None, Note::State)
            }
            (E::Ready, _) => NOTHING,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Event as E;
    use Note as N;
    use State as S;

    fn m(state: S) -> Machine {
        Machine::new(state, 0)
    }

    fn st(action: A, note: N) -> Step {
        Step { action, note }
    }

    #[test]
    fn deadlines_are_due_once_passed_and_never_is_the_farthest() {
        assert!(!due(NEVER, 0) && !due(NEVER, u64::MAX - 1));
        assert!(!due(1000, 999) && due(1000, 1000) && due(1000, 1001));
        assert_eq!(nearer(NEVER, NEVER), NEVER);
        assert_eq!((nearer(NEVER, 5), nearer(5, NEVER)), (5, 5));
        assert_eq!((nearer(3, 5), nearer(5, 3)), (3, 3));
    }

    #[test]
    fn start_runs_setup_then_run_then_up_after_two_seconds() {
        let mut s = m(S::Down);
        assert_eq!(s.step(E::WantUp, 10, true), st(A::StartSetup, N::None));
        assert_eq!((s.state, s.since), (S::Setup, 10));
        assert_eq!(s.step(E::SetupExited(0), 20, true), st(A::StartRun, N::None));
        assert_eq!(s.step(E::Launched { timed: true }, 30, true), st(A::None, N::State));
        assert_eq!((s.state, s.deadline, s.since), (S::Starting, 2030, 30));
        assert_eq!(s.step(E::Timeout, 2030, true), st(A::None, N::State));
        assert_eq!((s.state, s.deadline), (S::Up, NEVER));
    }

    #[test]
    fn readiness_fd_service_waits_for_ready() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: false }, 0, true);
        assert_eq!((s.state, s.deadline), (S::Starting, NEVER));
        assert_eq!(s.step(E::Ready, 5, true), st(A::None, N::State));
        assert_eq!(s.state, S::Up);
    }

    #[test]
    fn a_crash_within_a_second_ends_the_cycle_then_waits_in_delay() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 1000, true);
        assert_eq!(s.step(E::Exited(256), 1200, true), st(A::StartFinish, N::None));
        assert_eq!(s.state, S::Starting);
        assert_eq!(s.step(E::FinishDone, 1250, true), st(A::None, N::Cleanup));
        assert_eq!((s.state, s.deadline, s.since), (S::Delay, 2250, 1250));
        assert_eq!(s.step(E::Timeout, 2250, true), st(A::StartSetup, N::None));
        assert_eq!(s.wstatus, 256);
    }

    #[test]
    fn a_run_that_ends_before_up_stays_starting_through_its_finish() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 1000, true);
        assert_eq!(s.step(E::Exited(7 << 8), 1300, true), st(A::StartFinish, N::None));
        assert_eq!((s.state, s.finishing, s.deadline), (S::Starting, true, 1300 + TIMEOUT_FINISH));
        // Neither readiness nor its timer make it UP now; the timer kills
        // the finish.
        assert_eq!(s.step(E::Ready, 1400, true), st(A::None, N::None));
        assert_eq!(s.state, S::Starting);
        assert_eq!(s.step(E::FinishDone, 1500, true), st(A::None, N::Cleanup));
        assert_eq!((s.state, s.finishing), (S::Delay, false));
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 0, true);
        s.step(E::Exited(0), 100, true);
        assert_eq!(s.step(E::Timeout, 100 + TIMEOUT_FINISH, true), st(A::Kill, N::None));
    }

    #[test]
    fn a_requested_restart_within_a_second_of_the_start_waits_too() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 1000, true);
        assert_eq!(s.step(E::WantRestart, 1100, true), st(A::Stop, N::None));
        assert_eq!(s.step(E::Exited(15), 1150, true), st(A::StartFinish, N::None));
        assert_eq!(s.step(E::FinishDone, 1160, true), st(A::None, N::Cleanup));
        assert_eq!((s.state, s.deadline), (S::Delay, 2160));
    }

    #[test]
    fn a_restart_after_a_second_of_run_starts_at_once() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 0, true);
        s.step(E::Timeout, 2000, true);
        s.step(E::WantRestart, 5000, true);
        s.step(E::Exited(15), 5001, true);
        // The cycle's end (DOWN) and the new start in one step.
        assert_eq!(s.step(E::FinishDone, 5002, true), st(A::StartSetup, N::Cleanup));
        assert_eq!((s.state, s.since), (S::Setup, 5002));
    }

    #[test]
    fn a_restart_of_a_down_fatal_or_delayed_service_starts_at_once() {
        for from in [S::Down, S::Fatal, S::Delay] {
            assert_eq!(m(from).step(E::WantRestart, 5, true), st(A::StartSetup, N::None), "{from:?}");
        }
    }

    #[test]
    fn down_signals_then_kills_after_seven_seconds() {
        let mut s = m(S::Up);
        assert_eq!(s.step(E::WantDown, 100, true), st(A::Stop, N::None));
        assert_eq!((s.state, s.deadline), (S::Shutdown, 7100));
        assert_eq!(s.step(E::Timeout, 7100, true), st(A::Kill, N::None));
        assert_eq!(s.step(E::Exited(9), 7101, true), st(A::StartFinish, N::None));
        assert_eq!(s.step(E::FinishDone, 7102, true), st(A::None, N::Cleanup));
        assert_eq!((s.state, s.since), (S::Down, 7102));
    }

    #[test]
    fn down_during_restart_cancels_the_restart() {
        let mut s = m(S::Up);
        s.step(E::Exited(0), 5000, true);
        assert_eq!(s.state, S::Restart);
        s.step(E::WantDown, 5001, true);
        assert_eq!(s.state, S::Shutdown);
        s.step(E::FinishDone, 5002, true);
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn setup_exit_codes() {
        let mut s = m(S::Down);
        s.step(E::WantUp, 100, true);
        assert_eq!(s.step(E::SetupExited(111), 1600, true), st(A::None, N::State));
        // FATAL from setup: the uptime still counts from the setup's fork.
        assert_eq!((s.state, s.wstatus, s.since), (S::Fatal, -1, 100));
        let mut s = m(S::Setup);
        assert_eq!(s.step(E::SetupExited(1), 0, true), st(A::None, N::State));
        assert_eq!((s.state, s.deadline), (S::Delay, 1000));
    }

    #[test]
    fn exec_failure_is_fatal_after_finish_and_announces_down_then_fatal() {
        let mut s = m(S::Setup);
        assert_eq!(s.step(E::ExecFailed, 0, true), st(A::StartFinish, N::None));
        assert_eq!((s.state, s.wstatus), (S::Fatal, -1));
        assert_eq!(s.step(E::FinishDone, 1, true), st(A::None, N::Cleanup));
        assert_eq!((s.state, s.deadline), (S::Fatal, NEVER));
        assert_eq!(s.step(E::WantUp, 2, true), st(A::StartSetup, N::None));
    }

    #[test]
    fn a_vanished_service_is_fatal_with_wstatus_minus_one() {
        let mut s = m(S::Down);
        s.wstatus = 15;
        s.step(E::WantUp, 10, true);
        s.step(E::SetupExited(0), 10, true);
        assert_eq!(s.step(E::Vanished, 11, true), st(A::StartFinish, N::None));
        assert_eq!((s.state, s.wstatus, s.since), (S::Fatal, -1, 11));
        assert_eq!(s.step(E::FinishDone, 11, true), st(A::None, N::Cleanup));
        // A rescan that removes it takes it down without a word.
        assert_eq!(s.step(E::WantDown, 12, true), st(A::None, N::None));
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn a_oneshot_taken_down_stays_oneshot_while_its_finish_runs() {
        let mut s = m(S::Setup);
        assert_eq!(s.step(E::NoRun, 0, true), st(A::None, N::State));
        assert_eq!(s.state, S::Oneshot);
        assert_eq!(s.step(E::WantDown, 1, true), st(A::StartFinish, N::None));
        assert_eq!((s.state, s.deadline), (S::Oneshot, 1 + TIMEOUT_FINISH));
        // Asked again while it runs: nothing new.
        assert_eq!(s.step(E::WantDown, 2, true), st(A::None, N::None));
        assert_eq!(s.step(E::Timeout, 1 + TIMEOUT_FINISH, true), st(A::Kill, N::None));
        assert_eq!(s.step(E::FinishDone, 8000, true), st(A::None, N::Cleanup));
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn a_restart_of_a_oneshot_runs_finish_in_restart() {
        let mut s = m(S::Setup);
        s.step(E::NoRun, 0, true);
        assert_eq!(s.step(E::WantRestart, 5000, true), st(A::StartFinish, N::None));
        assert_eq!(s.state, S::Restart);
        assert_eq!(s.step(E::FinishDone, 5001, true), st(A::StartSetup, N::Cleanup));
    }

    #[test]
    fn nothing_starts_during_shutdown() {
        let mut s = m(S::Down);
        assert_eq!(s.step(E::WantUp, 0, false).action, A::None);
        assert_eq!(s.step(E::WantRestart, 0, false).action, A::None);
        let mut s = m(S::Up);
        s.step(E::Exited(0), 0, false);
        assert_eq!(s.step(E::FinishDone, 0, false), st(A::None, N::Cleanup));
        assert_eq!(s.state, S::Down);
        let mut s = m(S::Delay);
        assert_eq!(s.step(E::Timeout, 0, false), st(A::None, N::None));
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn down_during_setup_skips_finish_and_ends_the_cycle() {
        let mut s = m(S::Setup);
        assert_eq!(s.step(E::WantDown, 0, true), st(A::Stop, N::None));
        assert_eq!(s.step(E::SetupExited(143), 1, true), st(A::None, N::Cleanup));
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn delay_and_fatal_go_down_silently() {
        for from in [S::Delay, S::Fatal] {
            let mut s = m(from);
            assert_eq!(s.step(E::WantDown, 3, true), st(A::None, N::None), "{from:?}");
            assert_eq!(s.state, S::Down);
        }
    }

    /// Every (state, event) pair, running and shutting down, with and without
    /// a timer set: the step never panics and keeps the machine's promises.
    #[test]
    fn every_event_in_every_state_keeps_the_invariants() {
        let states = [S::Down, S::Setup, S::Starting, S::Up, S::Oneshot, S::Shutdown, S::Restart, S::Fatal, S::Delay];
        let events = [
            E::WantUp, E::WantDown, E::WantRestart, E::SetupExited(0), E::SetupExited(1),
            E::SetupExited(111), E::Launched { timed: true }, E::Launched { timed: false }, E::NoRun, E::Vanished,
            E::SpawnFailed, E::ExecFailed, E::Exited(0), E::FinishDone, E::Timeout, E::Ready,
        ];
        let mut checked = 0;
        for st in states {
            for ev in events {
                for up in [true, false] {
                    for deadline in [NEVER, 3] {
                        let mut s = Machine { deadline, ..m(st) };
                        let a = s.step(ev, 5, up).action;
                        let what = format!("{st:?} + {ev:?} (up {up}, timer {deadline:?}) -> {:?} {a:?}", s.state);
                        assert_ne!(s.state, S::Free, "{what}");
                        // Nothing starts once shutdown has begun.
                        if !up {
                            assert!(!matches!(a, A::StartSetup | A::StartRun), "{what}");
                        }
                        // The actions fit the state they leave the service in.
                        match a {
                            A::StartSetup => assert_eq!(s.state, S::Setup, "{what}"),
                            A::StartRun => assert_eq!(s.state, S::Setup, "{what}"),
                            A::StartFinish => assert!(matches!(s.state, S::Restart | S::Shutdown | S::Fatal | S::Oneshot | S::Starting), "{what}"),
                            A::Stop => assert!(matches!(s.state, S::Shutdown | S::Restart), "{what}"),
                            A::Kill => assert!(matches!(s.state, S::Shutdown | S::Restart | S::Fatal | S::Oneshot | S::Starting), "{what}"),
                            A::None => {}
                        }
                        // Waiting states have their timer; resting ones none.
                        if s.state == S::Delay && st != S::Delay {
                            assert!(s.deadline != NEVER, "{what}");
                        }
                        if matches!(s.state, S::Down | S::Up | S::Oneshot) && s.state != st {
                            assert_eq!(s.deadline, NEVER, "{what}");
                        }
                        // A timeout is never left behind as a stale timer.
                        if ev == E::Timeout && a == A::None && s.state == st {
                            assert_eq!(s.deadline, NEVER, "{what}");
                        }
                        // Readiness only ever moves a running STARTING to UP.
                        if ev == E::Ready {
                            assert_eq!(s.state, if st == S::Starting { S::Up } else { st }, "{what}");
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 9 * 16 * 2 * 2);
    }

    #[test]
    fn names_match_the_wire_numbers() {
        for n in 1..=9 {
            assert_eq!(State::from_u8(n).unwrap() as u8, n);
        }
        assert_eq!(State::name_of(4), b"UP");
        assert_eq!(State::name_of(0), b"???");
        assert_eq!((State::Free.name(), State::Starting.name(), State::Delay.name()), (&b"FREE"[..], &b"STARTING"[..], &b"DELAY"[..]));
    }
}

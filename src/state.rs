//! The per-service state machine: a pure function from (state, event) to a
//! new state and at most one action. Nothing here forks, kills or reads a
//! clock; the supervisor feeds in events and the current time, and carries
//! out the action (`supervisor.rs`). Every pair is handled: an event that
//! makes no sense in a state (a stale timer, a late exit) changes nothing.

use crate::config::*;

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

    pub fn name(self) -> &'static str {
        match self {
            State::Free => "FREE",
            State::Down => "DOWN",
            State::Setup => "SETUP",
            State::Starting => "STARTING",
            State::Up => "UP",
            State::Oneshot => "ONESHOT",
            State::Shutdown => "SHUTDOWN",
            State::Restart => "RESTART",
            State::Fatal => "FATAL",
            State::Delay => "DELAY",
        }
    }

    /// The state's name for a wire number, `???` for anything else.
    pub fn name_of(n: u8) -> &'static str {
        State::from_u8(n).map_or("???", State::name)
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
    /// Run `setup` (or feed `SetupExited(0)` back when there is none).
    StartSetup,
    /// Run `run` (then feed Launched/NoRun/SpawnFailed/ExecFailed back).
    StartRun,
    /// Run `finish` (or feed FinishDone back when there is none).
    StartFinish,
    /// Send the stop signals: SIGTERM to setup, the down-signal to run, then
    /// SIGCONT to both.
    Stop,
    /// SIGKILL to setup, run and finish.
    Kill,
}

/// The part of a service the state machine owns. Times are milliseconds of
/// CLOCK_MONOTONIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    pub state: State,
    /// When the service's timer fires, if it is set.
    pub deadline: Option<u64>,
    /// Last start or stop: the base of the reported uptime and of the
    /// fast-crash rule.
    pub since: u64,
    /// Raw wait status of the last run process; -1 when exec failed.
    pub wstatus: i32,
    /// The run process ended on its own (not asked to): a restart after a
    /// fast crash waits; a requested restart does not.
    pub crashed: bool,
}

impl Machine {
    pub const fn new(state: State, now: u64) -> Machine {
        Machine { state, deadline: None, since: now, wstatus: 0, crashed: false }
    }

    fn set(&mut self, state: State, deadline: Option<u64>) {
        self.state = state;
        self.deadline = deadline;
    }

    fn begin_setup(&mut self, now: u64) -> Action {
        self.crashed = false;
        self.set(State::Setup, None);
        self.since = now;
        Action::StartSetup
    }

    fn settle(&mut self, state: State, now: u64) -> Action {
        self.set(state, None);
        self.since = now;
        Action::None
    }

    /// One step. `up` is false once the supervisor is shutting down: then
    /// nothing starts any more.
    pub fn step(&mut self, ev: Event, now: u64, up: bool) -> Action {
        use Event as E;
        use State as S;
        match (ev, self.state) {
            // A free slot has no service to step.
            (_, S::Free) => Action::None,
            (E::WantUp, _) if !up => Action::None,
            (E::WantUp, S::Down | S::Fatal | S::Delay) => self.begin_setup(now),
            (E::WantUp, S::Shutdown) => {
                self.state = S::Restart;
                Action::None
            }
            (E::WantUp, _) => Action::None,

            (E::WantDown, S::Setup | S::Starting | S::Up) => {
                self.set(S::Shutdown, Some(now + TIMEOUT_SHUTDOWN));
                Action::Stop
            }
            (E::WantDown, S::Restart | S::Shutdown) => {
                // Already stopping: keep the kill deadline, cancel a restart.
                self.state = S::Shutdown;
                Action::Stop
            }
            (E::WantDown, S::Oneshot) => {
                self.set(S::Shutdown, Some(now + TIMEOUT_FINISH));
                Action::StartFinish
            }
            (E::WantDown, S::Fatal | S::Delay) => self.settle(S::Down, now),
            (E::WantDown, S::Down) => Action::None,

            (E::WantRestart, _) if !up => Action::None,
            (E::WantRestart, S::Setup | S::Starting | S::Up) => {
                self.crashed = false;
                self.set(S::Restart, Some(now + TIMEOUT_SHUTDOWN));
                Action::Stop
            }
            (E::WantRestart, S::Shutdown | S::Restart) => {
                self.crashed = false;
                self.state = S::Restart;
                Action::Stop
            }
            (E::WantRestart, S::Oneshot) => {
                self.set(S::Restart, Some(now + TIMEOUT_FINISH));
                Action::StartFinish
            }
            (E::WantRestart, S::Down | S::Fatal | S::Delay) => self.begin_setup(now),

            (E::SetupExited(_), S::Setup) if !up => self.settle(S::Down, now),
            (E::SetupExited(0), S::Setup) => Action::StartRun,
            (E::SetupExited(111), S::Setup) => {
                self.wstatus = -1;
                self.settle(S::Fatal, now)
            }
            (E::SetupExited(_), S::Setup) => {
                self.set(S::Delay, Some(now + DELAY_RESPAWN));
                Action::None
            }
            // Taken down or restarted while setup ran: run never started,
            // so there is nothing to finish.
            (E::SetupExited(_), S::Shutdown) => self.settle(S::Down, now),
            (E::SetupExited(_), S::Restart) if up => self.begin_setup(now),
            (E::SetupExited(_), S::Restart) => self.settle(S::Down, now),
            (E::SetupExited(_), _) => Action::None,

            (E::Launched { timed }, S::Setup) => {
                let deadline = if timed { Some(now + DELAY_STARTING) } else { None };
                self.set(S::Starting, deadline);
                self.since = now;
                Action::None
            }
            (E::NoRun, S::Setup) => self.settle(S::Oneshot, now),
            (E::SpawnFailed, S::Setup) => {
                self.wstatus = -1;
                self.set(S::Delay, Some(now + DELAY_SPAWN_ERROR));
                Action::None
            }
            (E::ExecFailed, S::Setup) => {
                self.wstatus = -1;
                self.set(S::Fatal, Some(now + TIMEOUT_FINISH));
                self.since = now;
                Action::StartFinish
            }
            (E::Launched { .. } | E::NoRun | E::SpawnFailed | E::ExecFailed, _) => Action::None,

            (E::Exited(ws), S::Starting | S::Up) => {
                self.wstatus = ws;
                self.crashed = true;
                self.set(S::Restart, Some(now + TIMEOUT_FINISH));
                Action::StartFinish
            }
            (E::Exited(ws), S::Shutdown | S::Restart | S::Fatal) => {
                self.wstatus = ws;
                self.deadline = Some(now + TIMEOUT_FINISH);
                Action::StartFinish
            }
            (E::Exited(ws), _) => {
                self.wstatus = ws;
                Action::None
            }

            (E::FinishDone, S::Restart) if !up => self.settle(S::Down, now),
            (E::FinishDone, S::Restart) if self.crashed && now.saturating_sub(self.since) < FAST_CRASH => {
                self.set(S::Delay, Some(now + DELAY_RESPAWN));
                Action::None
            }
            (E::FinishDone, S::Restart) => self.begin_setup(now),
            (E::FinishDone, S::Shutdown) => self.settle(S::Down, now),
            (E::FinishDone, S::Fatal) => self.settle(S::Fatal, now),
            (E::FinishDone, _) => Action::None,

            (E::Timeout, S::Delay) if up => self.begin_setup(now),
            (E::Timeout, S::Delay) => self.settle(S::Down, now),
            (E::Timeout, S::Starting) => {
                self.set(S::Up, None);
                Action::None
            }
            (E::Timeout, S::Shutdown | S::Restart) => {
                self.deadline = None;
                Action::Kill
            }
            (E::Timeout, S::Fatal) => {
                // Only a finish script can hold a timer in FATAL.
                self.deadline = None;
                Action::Kill
            }
            (E::Timeout, _) => {
                self.deadline = None;
                Action::None
            }

            (E::Ready, S::Starting) => {
                self.set(S::Up, None);
                Action::None
            }
            (E::Ready, _) => Action::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Event as E;
    use State as S;

    fn m(state: S) -> Machine {
        Machine::new(state, 0)
    }

    #[test]
    fn start_runs_setup_then_run_then_up_after_two_seconds() {
        let mut s = m(S::Down);
        assert_eq!(s.step(E::WantUp, 10, true), A::StartSetup);
        assert_eq!(s.state, S::Setup);
        assert_eq!(s.step(E::SetupExited(0), 20, true), A::StartRun);
        assert_eq!(s.step(E::Launched { timed: true }, 30, true), A::None);
        assert_eq!((s.state, s.deadline), (S::Starting, Some(2030)));
        assert_eq!(s.step(E::Timeout, 2030, true), A::None);
        assert_eq!((s.state, s.deadline), (S::Up, None));
    }

    #[test]
    fn readiness_fd_service_waits_for_ready() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: false }, 0, true);
        assert_eq!((s.state, s.deadline), (S::Starting, None));
        s.step(E::Ready, 5, true);
        assert_eq!(s.state, S::Up);
    }

    #[test]
    fn restart_waits_one_second_after_a_fast_crash() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 1000, true);
        assert_eq!(s.step(E::Exited(256), 1200, true), A::StartFinish);
        assert_eq!(s.state, S::Restart);
        assert_eq!(s.step(E::FinishDone, 1250, true), A::None);
        assert_eq!((s.state, s.deadline), (S::Delay, Some(2250)));
        assert_eq!(s.step(E::Timeout, 2250, true), A::StartSetup);
        assert_eq!(s.wstatus, 256);
    }

    #[test]
    fn a_requested_restart_never_waits() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 1000, true);
        assert_eq!(s.step(E::WantRestart, 1100, true), A::Stop);
        assert_eq!(s.step(E::Exited(15), 1150, true), A::StartFinish);
        assert_eq!(s.step(E::FinishDone, 1160, true), A::StartSetup);
        assert_eq!(s.state, S::Setup);
    }

    #[test]
    fn a_crash_after_a_long_run_restarts_at_once() {
        let mut s = m(S::Setup);
        s.step(E::Launched { timed: true }, 0, true);
        s.step(E::Timeout, 2000, true);
        s.step(E::Exited(9), 50_000, true);
        assert_eq!(s.step(E::FinishDone, 50_001, true), A::StartSetup);
    }

    #[test]
    fn down_signals_then_kills_after_seven_seconds() {
        let mut s = m(S::Up);
        assert_eq!(s.step(E::WantDown, 100, true), A::Stop);
        assert_eq!((s.state, s.deadline), (S::Shutdown, Some(7100)));
        assert_eq!(s.step(E::Timeout, 7100, true), A::Kill);
        assert_eq!(s.step(E::Exited(9), 7101, true), A::StartFinish);
        assert_eq!(s.step(E::FinishDone, 7102, true), A::None);
        assert_eq!(s.state, S::Down);
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
        let mut s = m(S::Setup);
        s.step(E::SetupExited(111), 0, true);
        assert_eq!((s.state, s.wstatus), (S::Fatal, -1));
        let mut s = m(S::Setup);
        s.step(E::SetupExited(1), 0, true);
        assert_eq!((s.state, s.deadline), (S::Delay, Some(1000)));
    }

    #[test]
    fn exec_failure_is_fatal_after_finish() {
        let mut s = m(S::Setup);
        assert_eq!(s.step(E::ExecFailed, 0, true), A::StartFinish);
        assert_eq!((s.state, s.wstatus), (S::Fatal, -1));
        s.step(E::FinishDone, 1, true);
        assert_eq!((s.state, s.deadline), (S::Fatal, None));
        assert_eq!(s.step(E::WantUp, 2, true), A::StartSetup);
    }

    #[test]
    fn oneshot_down_runs_finish() {
        let mut s = m(S::Setup);
        s.step(E::NoRun, 0, true);
        assert_eq!(s.state, S::Oneshot);
        assert_eq!(s.step(E::WantDown, 1, true), A::StartFinish);
        assert_eq!(s.state, S::Shutdown);
        s.step(E::FinishDone, 2, true);
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn nothing_starts_during_shutdown() {
        let mut s = m(S::Down);
        assert_eq!(s.step(E::WantUp, 0, false), A::None);
        assert_eq!(s.step(E::WantRestart, 0, false), A::None);
        let mut s = m(S::Up);
        s.step(E::Exited(0), 0, false);
        s.step(E::FinishDone, 0, false);
        assert_eq!(s.state, S::Down);
        let mut s = m(S::Delay);
        s.step(E::Timeout, 0, false);
        assert_eq!(s.state, S::Down);
    }

    #[test]
    fn down_during_setup_skips_finish() {
        let mut s = m(S::Setup);
        assert_eq!(s.step(E::WantDown, 0, true), A::Stop);
        assert_eq!(s.step(E::SetupExited(143), 1, true), A::None);
        assert_eq!(s.state, S::Down);
    }

    /// Every (state, event) pair, running and shutting down, with and without
    /// a timer set: the step never panics and keeps the machine's promises.
    #[test]
    fn every_event_in_every_state_keeps_the_invariants() {
        let states = [S::Down, S::Setup, S::Starting, S::Up, S::Oneshot, S::Shutdown, S::Restart, S::Fatal, S::Delay];
        let events = [
            E::WantUp, E::WantDown, E::WantRestart, E::SetupExited(0), E::SetupExited(1),
            E::SetupExited(111), E::Launched { timed: true }, E::Launched { timed: false }, E::NoRun,
            E::SpawnFailed, E::ExecFailed, E::Exited(0), E::FinishDone, E::Timeout, E::Ready,
        ];
        let mut checked = 0;
        for st in states {
            for ev in events {
                for up in [true, false] {
                    for deadline in [None, Some(3)] {
                        let mut s = Machine { deadline, ..m(st) };
                        let a = s.step(ev, 5, up);
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
                            A::StartFinish => assert!(matches!(s.state, S::Restart | S::Shutdown | S::Fatal), "{what}"),
                            A::Stop => assert!(matches!(s.state, S::Shutdown | S::Restart), "{what}"),
                            A::Kill => assert!(matches!(s.state, S::Shutdown | S::Restart | S::Fatal), "{what}"),
                            A::None => {}
                        }
                        // Waiting states have their timer; resting ones none.
                        if s.state == S::Delay && st != S::Delay {
                            assert!(s.deadline.is_some(), "{what}");
                        }
                        if matches!(s.state, S::Down | S::Up | S::Oneshot) && s.state != st {
                            assert_eq!(s.deadline, None, "{what}");
                        }
                        // A timeout is never left behind as a stale timer.
                        if ev == E::Timeout && a == A::None && s.state == st {
                            assert_eq!(s.deadline, None, "{what}");
                        }
                        // Readiness only ever moves STARTING to UP.
                        if ev == E::Ready {
                            assert_eq!(s.state, if st == S::Starting { S::Up } else { st }, "{what}");
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 9 * 15 * 2 * 2);
    }

    #[test]
    fn names_match_the_wire_numbers() {
        for n in 1..=9 {
            assert_eq!(State::from_u8(n).unwrap() as u8, n);
        }
        assert_eq!(State::name_of(4), "UP");
        assert_eq!(State::name_of(0), "???");
    }
}

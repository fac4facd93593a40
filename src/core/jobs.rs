//! Jobs: named lists of tasks run one after another, never restarted. A
//! job lives in a fixed table beside the services (a name is either a
//! service or a job) and its tasks start through the one spawn path, with
//! exactly the argv, environment (plus TASK_EXIT), working directory,
//! descriptors and credentials the job asked for.

use crate::config::TIMEOUT_SHUTDOWN;
use crate::state::{Deadline, NEVER};
use crate::job::{Job, JobState, TASKS_MAX, TaskRef};
use crate::name::Name;
use crate::out::Out;
use crate::spawn::{self, KEEP, Spawn};
use super::Core;
use crate::sys;
use linux_raw_sys::general as k;
use rustix::io::Errno;

/// Jobs the table holds (running or finished).
pub const JOBS_MAX: usize = 16;
use super::events::{Event as Change, Kind};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Free,
    Running,
    Done,
    Stopped,
}

/// A job's state, small: the loop looks at every slot on every pass, so
/// its definition (tasks and strings, 18 KiB) lives apart (`Jobs::defs`).
pub(super) struct Slot {
    pub name: Name,
    pub phase: Phase,
    /// The task running now (or the last one).
    pub task: usize,
    pub pid: i32,
    /// The wait status of each task that ended.
    exits: [i32; TASKS_MAX],
    pub nexits: usize,
    /// SIGKILL after this, once asked to stop.
    pub deadline: Deadline,
    pub stopping: bool,
    /// Remove the job once its task is gone (DELETE).
    pub remove: bool,
    /// Sequence number of the job's latest event.
    pub seq: u64,
}

impl Slot {
    const EMPTY: Slot = Slot {
        name: Name::EMPTY,
        phase: Phase::Free,
        task: 0,
        pid: 0,
        exits: [0; TASKS_MAX],
        nexits: 0,
        deadline: NEVER,
        stopping: false,
        remove: false,
        seq: 0,
    };

    pub fn state(&self) -> JobState {
        match self.phase {
            Phase::Running | Phase::Free => JobState::Running,
            Phase::Done => JobState::Done,
            Phase::Stopped => JobState::Stopped,
        }
    }

    fn last_exit(&self) -> Option<i32> {
        self.exits.get(self.nexits.checked_sub(1)?).copied()
    }

    fn record_exit(&mut self, status: i32) {
        if let Some(e) = self.exits.get_mut(self.nexits) {
            *e = status;
            self.nexits += 1;
        }
    }
}

/// A job as the front-ends see it.
#[derive(Clone, Copy)]
pub struct JobView<'a>(&'a Slot, &'a Job);

impl<'a> JobView<'a> {
    pub fn name(&self) -> &'a [u8] {
        self.0.name.as_bytes()
    }

    pub fn state(&self) -> JobState {
        self.0.state()
    }

    /// The task running now, or the last one.
    pub fn task(&self) -> usize {
        self.0.task.min(self.1.len().saturating_sub(1))
    }

    // (Out of line on x86_64: smaller there.)
    #[cfg_attr(target_arch = "x86_64", inline(never))]
    pub fn pid(&self) -> u32 {
        self.0.pid.max(0) as u32
    }

    /// Sequence number of the job's latest event (`GET /events?after=`
    /// this misses nothing that follows).
    pub fn seq(&self) -> u64 {
        self.0.seq
    }

    /// The wait status of each task that has ended (`exit_text` tells it).
    pub fn exits(&self) -> &'a [i32] {
        self.0.exits.get(..self.0.nexits).unwrap_or(&[])
    }
}

impl Core {
    /// Every job, in slot order.
    pub fn jobs(&self) -> impl Iterator<Item = JobView<'_>> {
        self.jobs.slots.iter().zip(self.jobs.defs.iter()).filter(|(s, _)| s.phase != Phase::Free).map(|(s, d)| JobView(s, d))
    }

    pub fn job(&self, name: &[u8]) -> Option<JobView<'_>> {
        self.jobs.find(name).map(|j| JobView(&self.jobs.slots[j], &self.jobs.defs[j]))
    }

    /// Where a request's job is parsed, before `Command::PutJob` takes it
    /// (so a bad body never damages a finished job of the same name).
    pub fn job_scratch(&mut self) -> &mut Job {
        &mut self.jobs.scratch
    }
}

/// Why a job cannot start: its name is too long to keep (HTTP: 400; the
/// router refuses any name against the rules first), is a service's or
/// that of a job still running (409), or no slot is free (503).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutError {
    BadName,
    NameTaken,
    StillRunning,
    Full,
}

/// (`repr(C)`: the small slots first, together.)
#[repr(C)]
pub struct Jobs {
    pub(super) slots: [Slot; JOBS_MAX],
    /// Each slot's job definition, touched only when a job is put or runs.
    pub(super) defs: [Job; JOBS_MAX],
    /// A request's job is parsed here first, so that a bad body never
    /// damages a finished job of the same name.
    pub(super) scratch: Job,
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

impl Jobs {
    pub const fn new() -> Jobs {
        Jobs { slots: [const { Slot::EMPTY }; JOBS_MAX], defs: [const { Job::new() }; JOBS_MAX], scratch: Job::new() }
    }

    /// Slot `j`, a slot number (the mask tells the compiler so: JOBS_MAX
    /// is a power of two; an index was a bounds check in each caller).
    fn at(&mut self, j: usize) -> &mut Slot {
        const { assert!(JOBS_MAX.is_power_of_two()) };
        &mut self.slots[j % JOBS_MAX]
    }

    pub fn find(&self, name: &[u8]) -> Option<usize> {
        self.slots.iter().position(|j| j.phase != Phase::Free && j.name.as_bytes() == name)
    }

    pub fn running(&self) -> impl Iterator<Item = usize> + '_ {
        (0..JOBS_MAX).filter(|&i| self.slots[i].phase == Phase::Running)
    }
}

/// How a task ended (its wait status), as TASK_EXIT says it: the exit
/// number, or the name of the signal that killed it; appended to `o`.
pub fn exit_text(status: i32, o: &mut crate::out::Text) {
    let sig = status & 0x7f;
    if sig == 0 {
        o.u(((status >> 8) & 0xff) as u64);
        return;
    }
    o.s(b"SIG");
    match crate::signal::name(sig as u32) {
        Some(name) => o.s(name),
        None => o.u(sig as u64),
    };
}

impl Core {
    /// Start task `jobs[j].task`; on failure record it as ended (127 when
    /// the program was not found, 126 otherwise) and go on.
    pub fn job_start_task(&mut self, j: usize) {
        loop {
            let slot = &self.jobs.slots[j];
            let Some(task) = self.jobs.defs[j].task(slot.task) else {
                self.job_phase(j, Phase::Done);
                return;
            };
            match self.job_spawn(j, &task) {
                Ok(pid) => {
                    self.jobs.slots[j].pid = pid;
                    self.job_event(j, Kind::TaskStarted, 0);
                    return;
                }
                Err(e) => {
                    let name = self.jobs.slots[j].name;
                    let mut o = Out::<16>::new();
                    o.u(self.jobs.slots[j].task as u64);
                    self.say_errno_parts(&[b"job ", name.as_bytes(), b": task ", o.bytes(), b" failed to start"], e);
                    self.task_ended(j, if e == Errno::NOENT { 127 << 8 } else { 126 << 8 });
                    let slot = &mut self.jobs.slots[j];
                    slot.task += 1;
                    if slot.task >= self.jobs.defs[j].len() || slot.stopping {
                        let end = if slot.stopping { Phase::Stopped } else { Phase::Done };
                        self.job_phase(j, end);
                        return;
                    }
                }
            }
        }
    }

    /// Announce an event of job `j` (its current task and pid).
    fn job_event(&mut self, j: usize, kind: Kind, status: i32) {
        let slot = self.jobs.at(j);
        let ev = Change::job(slot.name, kind, slot.task, slot.pid, status);
        self.jobs.at(j).seq = self.events.push(ev);
    }

    /// The current task of job `j` ended with wait status `status`.
    fn task_ended(&mut self, j: usize, status: i32) {
        self.jobs.at(j).record_exit(status);
        self.job_event(j, Kind::TaskEnded, status);
    }

    /// Job `j` is done, stopped, or gone (`Free`): so it is announced.
    fn job_phase(&mut self, j: usize, phase: Phase) {
        let kind = match phase {
            Phase::Done => Kind::JobDone,
            Phase::Stopped => Kind::JobStopped,
            Phase::Free => Kind::JobRemoved,
            Phase::Running => return,
        };
        self.job_event(j, kind, 0);
        self.jobs.at(j).phase = phase;
    }

    fn job_spawn(&self, j: usize, task: &TaskRef) -> Result<i32, Errno> {
        let slot = &self.jobs.slots[j];
        // argv: exec, then args; envp: exactly envs, plus TASK_EXIT after
        // the first task. Both null-filled, with room for every entry a
        // task can have and the null after them.
        let mut argv_ptrs = [core::ptr::null(); 2 + crate::job::ARGS_MAX];
        for (a, p) in task.argv().zip(&mut argv_ptrs[..1 + crate::job::ARGS_MAX]) {
            *p = a.as_ptr() as *const u8;
        }
        // "TASK_EXIT=", an exit text (`SIGVTALRM` is the longest) and its NUL.
        let mut task_exit = Out::<24>::new();
        let mut envp = [core::ptr::null(); 2 + crate::job::ENVS_MAX];
        let mut free = envp[..1 + crate::job::ENVS_MAX].iter_mut();
        let envs = task.envs().filter(|e| !e.to_bytes().starts_with(b"TASK_EXIT="));
        // (envs first: zip asks it first, so no slot is skipped at its end.)
        for (e, p) in envs.zip(free.by_ref()) {
            *p = e.as_ptr() as *const u8;
        }
        if let (Some(last), Some(p)) = (slot.last_exit(), free.next()) {
            task_exit.s(b"TASK_EXIT=");
            exit_text(last, &mut task_exit);
            task_exit.s(b"\0");
            *p = task_exit.bytes().as_ptr();
        }
        // Descriptors: fd[i] becomes i, opened by the child; 0 defaults to
        // /dev/null, 1 and 2 to the default log.
        let given = task.fds().len();
        let log = self.default_log();
        let mut spec = Spawn::new(task.cwd(), task.exec(), &argv_ptrs, envp.as_ptr());
        spec.stdio = [if given > 0 { KEEP } else { self.null_fd }, if given > 1 { KEEP } else { log }, if given > 2 { KEEP } else { log }];
        spec.task = Some(*task);
        spawn::spawn(&spec).map_err(spawn::SpawnError::errno)
    }

    /// A job's task ended with wait status `status`.
    pub fn job_exited(&mut self, j: usize, status: i32) {
        self.task_ended(j, status);
        let slot = &mut self.jobs.slots[j];
        slot.pid = 0;
        slot.deadline = NEVER;
        if slot.stopping {
            let remove = slot.remove;
            self.job_phase(j, Phase::Stopped);
            if remove {
                self.job_phase(j, Phase::Free);
            }
            return;
        }
        slot.task += 1;
        if slot.task >= self.jobs.defs[j].len() {
            self.job_phase(j, Phase::Done);
            return;
        }
        self.job_start_task(j);
    }

    /// Stop a job: SIGTERM to its task, SIGKILL 7 s later; no later task
    /// starts. Returns whether it is already down.
    pub fn job_stop(&mut self, j: usize, remove: bool, now: u64) -> bool {
        let slot = self.jobs.at(j);
        slot.remove |= remove;
        if slot.phase != Phase::Running || slot.pid == 0 {
            let (running, remove) = (slot.phase == Phase::Running, slot.remove);
            if running {
                self.job_phase(j, Phase::Stopped);
            }
            if remove {
                self.job_phase(j, Phase::Free);
            }
            return true;
        }
        if !slot.stopping {
            slot.stopping = true;
            slot.deadline = now + TIMEOUT_SHUTDOWN;
            let _ = sys::kill(slot.pid, k::SIGTERM);
            let _ = sys::kill(slot.pid, k::SIGCONT);
        }
        false
    }

    pub fn job_timeout(&mut self, j: usize) {
        let slot = &mut self.jobs.slots[j];
        slot.deadline = NEVER;
        if slot.pid > 0 {
            let _ = sys::kill(slot.pid, k::SIGKILL);
        }
    }

    /// Start job `name` from the parsed scratch job; Ok: its slot and
    /// whether it replaced a finished job of that name.
    pub fn job_put(&mut self, name: &[u8]) -> Result<(usize, bool), PutError> {
        let job_name = Name::new(name).ok_or(PutError::BadName)?;
        if self.t.find(name).is_some() {
            return Err(PutError::NameTaken);
        }
        let (j, replaced) = match self.jobs.find(name) {
            Some(j) if self.jobs.slots[j].phase == Phase::Running => return Err(PutError::StillRunning),
            Some(j) => (j, true),
            None => match self.jobs.slots.iter().position(|s| s.phase == Phase::Free) {
                Some(j) => (j, false),
                // No free slot: the job that finished first gives way (its
                // end was announced when it came; its removal is now).
                // Only running jobs make the table full.
                None => match self.jobs.slots.iter().enumerate().filter(|(_, s)| s.phase != Phase::Running).min_by_key(|(_, s)| s.seq) {
                    Some((j, _)) => {
                        self.job_phase(j, Phase::Free);
                        (j, false)
                    }
                    None => return Err(PutError::Full),
                },
            },
        };
        let Jobs { slots, defs, scratch } = &mut *self.jobs;
        defs[j].clone_from(scratch);
        let slot = &mut slots[j];
        slot.name = job_name;
        slot.phase = Phase::Running;
        slot.task = 0;
        slot.pid = 0;
        slot.nexits = 0;
        slot.deadline = NEVER;
        slot.stopping = false;
        slot.remove = false;
        self.job_start_task(j);
        Ok((j, replaced))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(status: i32) -> Vec<u8> {
        let mut o = Out::<16>::new();
        exit_text(status, &mut o);
        o.bytes().to_vec()
    }

    #[test]
    fn task_exit_is_the_number_or_the_signal_name() {
        assert_eq!(text(0), b"0");
        assert_eq!(text(3 << 8), b"3");
        assert_eq!(text(255 << 8), b"255");
        assert_eq!(text(9), b"SIGKILL");
        assert_eq!(text(15 | 0x80), b"SIGTERM");
        assert_eq!(text(40), b"SIG40");
        // The longest names whole (a text field of 8 bytes cut them).
        assert_eq!(text(linux_raw_sys::general::SIGVTALRM as i32), b"SIGVTALRM");
        assert_eq!(text(linux_raw_sys::general::SIGSTKFLT as i32), b"SIGSTKFLT");
    }
}

//! Global admission control (backpressure): while too much waits, submissions are answered with a
//! typed reason and a retry-after hint instead of being accepted, so a load spike cannot grow the queue
//! (and every tick's work) without bound. Nothing admitted is ever dropped: a task turned away was
//! never accepted, and the coordinator knows it.
//!
//! # States
//! - `accepting`: every valid submission is accepted.
//! - `deferring`: submissions are answered `SubmitError::Deferred` ("hold it, submit it again after
//!   `retry_after_ms`"). Entered when the tasks waiting unplaced reach `admission_pending_high`, or
//!   when the engine is busy (a tick's work reached `admission_tick_work_max`); left when no more
//!   than `admission_pending_low` wait and the engine is no longer busy.
//! - `rejecting`: submissions are refused `SubmitError::Overloaded`, also with a retry-after hint.
//!   Entered when the tasks waiting reach `admission_pending_reject` (the queue grows even though
//!   submissions are deferred: the fleet has shrunk, or coordinators ignore the hint); back to
//!   `deferring` once no more than `admission_pending_high` wait.
//!
//! Queue delay, per requirement set: besides the states above, a submission is deferred while the
//! oldest task waiting with the same requirements has waited `admission_wait_high_ms` or more, until
//! that wait is back to half of it (the sojourn-time signal of CoDel, per kind of work: a backlog of
//! GPU tests defers GPU tests, not CPU ones). It bounds the wait of admitted tasks where a count of
//! tasks cannot, since tasks differ in size and in how many workers may run them.
//!
//! Backlog, per requirement set: a submission is also deferred while the tasks waiting with the same
//! requirements (as of the last tick, plus those admitted since) number `admission_set_pending_per_worker`
//! times the workers eligible for them, so one large suite for a few workers is not admitted whole
//! (from the tick after its requirements are first seen, when their eligible workers are counted).
//!
//! Each pair of marks is a hysteresis band that keeps the state from flapping around one threshold.
//! The engine is *busy* from a tick whose work (submissions judged, placements and ended attempts)
//! reaches `admission_tick_work_max` until one whose work is at most half of it; work is counted, not
//! timed, so the decision is the same on any machine and in a replay.

use bevy_ecs::prelude::*;

/// What admission control answers submissions now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AdmissionState {
    /// Submissions are accepted.
    #[default]
    Accepting,
    /// Submissions are deferred (answered with a retry-after hint).
    Deferring,
    /// Submissions are refused as overloaded (with a retry-after hint).
    Rejecting,
}

impl AdmissionState {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            AdmissionState::Accepting => "accepting",
            AdmissionState::Deferring => "deferring",
            AdmissionState::Rejecting => "rejecting",
        }
    }
}

/// The thresholds of admission control, in tasks waiting unplaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marks {
    /// Deferring ends at or below this.
    pub low: u64,
    /// Deferring starts here (and rejecting ends at or below it).
    pub high: u64,
    /// Rejecting starts here.
    pub reject: u64,
}

/// Admission control's state, kept between submissions and ticks.
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// What submissions are answered now.
    pub state: AdmissionState,
    /// The engine's last ticks did too much work (see the module docs).
    pub busy: bool,
    /// The work counters' total at the end of the last tick.
    pub work_mark: u64,
    /// Per requirement set (by index): its oldest waiting task has waited too long (see the module docs).
    pub slow_sets: Vec<bool>,
    /// Per requirement set: tasks waiting at the last tick, plus those admitted since.
    pub set_pending: Vec<u64>,
    /// Per requirement set: how many may wait before its submissions are deferred (0: no bound).
    pub set_pending_max: Vec<u64>,
}

/// Whether a requirement set's submissions are deferred after its oldest waiting task has waited
/// `wait_ns`, given whether they were (0 `high_ns`: never).
pub fn still_slow(slow: bool, wait_ns: u64, high_ns: u64) -> bool {
    match high_ns {
        0 => false,
        _ if slow => wait_ns > high_ns / 2,
        _ => wait_ns >= high_ns,
    }
}

/// The state admission control moves to with `pending` tasks waiting and the engine `busy` or not.
pub fn next_state(state: AdmissionState, pending: u64, busy: bool, marks: Marks) -> AdmissionState {
    let rejecting = match state {
        AdmissionState::Rejecting => pending > marks.high,
        _ => pending >= marks.reject,
    };
    let deferring = match state {
        AdmissionState::Accepting => pending >= marks.high || busy,
        _ => pending > marks.low || busy,
    };
    if rejecting {
        AdmissionState::Rejecting
    } else if deferring {
        AdmissionState::Deferring
    } else {
        AdmissionState::Accepting
    }
}

/// Whether the engine is busy after a tick that did `work`, given whether it was (0 `work_max`: never).
pub fn still_busy(busy: bool, work: u64, work_max: u64) -> bool {
    match work_max {
        0 => false,
        _ if busy => work > work_max / 2,
        _ => work >= work_max,
    }
}

#[cfg(test)]
mod tests {
    use super::AdmissionState::{Accepting, Deferring, Rejecting};
    use super::*;

    const MARKS: Marks = Marks { low: 5, high: 10, reject: 20 };

    #[test]
    fn every_transition_with_its_hysteresis() {
        // accepting: stays below high, defers at high, rejects at once at the reject mark
        assert_eq!(next_state(Accepting, 9, false, MARKS), Accepting);
        assert_eq!(next_state(Accepting, 10, false, MARKS), Deferring);
        assert_eq!(next_state(Accepting, 20, false, MARKS), Rejecting);
        // deferring: holds above low, accepts at low, rejects at the reject mark
        assert_eq!(next_state(Deferring, 6, false, MARKS), Deferring);
        assert_eq!(next_state(Deferring, 5, false, MARKS), Accepting);
        assert_eq!(next_state(Deferring, 20, false, MARKS), Rejecting);
        // rejecting: holds above high, defers at high, accepts only through deferring
        assert_eq!(next_state(Rejecting, 11, false, MARKS), Rejecting);
        assert_eq!(next_state(Rejecting, 10, false, MARKS), Deferring);
        assert_eq!(next_state(Rejecting, 4, false, MARKS), Accepting);
        // a busy engine defers whatever waits, and stops deferring only when it is no longer busy
        assert_eq!(next_state(Accepting, 0, true, MARKS), Deferring);
        assert_eq!(next_state(Deferring, 0, true, MARKS), Deferring);
        assert_eq!(next_state(Deferring, 0, false, MARKS), Accepting);
    }

    #[test]
    fn busy_from_the_budget_until_half_of_it() {
        assert!(!still_busy(false, 99, 100));
        assert!(still_busy(false, 100, 100));
        assert!(still_busy(true, 51, 100));
        assert!(!still_busy(true, 50, 100));
        assert!(!still_busy(false, 1_000_000, 0), "no budget, never busy");
    }

    #[test]
    fn slow_from_the_high_wait_until_half_of_it() {
        assert!(!still_slow(false, 59, 60));
        assert!(still_slow(false, 60, 60));
        assert!(still_slow(true, 31, 60));
        assert!(!still_slow(true, 30, 60));
        assert!(!still_slow(false, u64::MAX, 0), "off");
    }
}

//! Global admission control: while too many tasks wait unplaced, submissions are refused with a
//! typed reason and a retry-after hint, so a load spike cannot grow the queue (and every tick's work)
//! without bound. Nothing admitted is ever dropped: a refused task was never accepted.
//!
//! States: `accepting → shedding` when the tasks waiting reach `admission_pending_high`;
//! `shedding → accepting` when they are back to `admission_pending_low` or fewer. The gap between the
//! two is the hysteresis that keeps the state from flapping around one threshold.

use bevy_ecs::prelude::*;

/// Whether submissions are being refused.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// Submissions are refused.
    pub shedding: bool,
}

/// Whether to shed load with `pending` tasks waiting, given the current state (hysteresis).
pub fn sheds(shedding: bool, pending: u64, high: u64, low: u64) -> bool {
    if shedding { pending > low } else { pending >= high }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hysteresis_between_the_thresholds() {
        // accepting: stays below high, switches at high
        assert!(!sheds(false, 9, 10, 5));
        assert!(sheds(false, 10, 10, 5));
        // shedding: stays above low, switches at low
        assert!(sheds(true, 6, 10, 5));
        assert!(!sheds(true, 5, 10, 5));
        // between the thresholds the state holds either way
        assert!(!sheds(false, 7, 10, 5) && sheds(true, 7, 10, 5));
    }
}

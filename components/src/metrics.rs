//! Engine metrics: latency histograms (submit→assign, tick time, run time) and counters.
//! Written by the systems as things happen; tick time is written by the facade, which measures it.

use bevy_ecs::prelude::*;
use hdrhistogram::Histogram;

/// The largest latency the histograms record, in nanoseconds (one day); larger values are clamped.
pub const LATENCY_NS_MAX: u64 = 86_400 * 1_000_000_000;

/// Counters of what happened since the engine started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Tasks accepted.
    pub tasks_accepted: u64,
    /// Commands refused (each task of a batch counts once).
    pub commands_rejected: u64,
    /// Placements made (each attempt counts once).
    pub placements: u64,
    /// Tasks completed.
    pub tasks_completed: u64,
    /// Tasks failed for good.
    pub tasks_failed: u64,
    /// Attempts that ended without completing (failure reports, timeouts, lost workers).
    pub attempts_failed: u64,
    /// Tasks put back in the queue.
    pub requeues: u64,
    /// Tasks cancelled.
    pub tasks_cancelled: u64,
    /// Tasks found unschedulable.
    pub tasks_unschedulable: u64,
    /// Attempts that ran past their timeout.
    pub timeouts: u64,
    /// Workers registered.
    pub workers_registered: u64,
    /// Workers lost to missed heartbeats.
    pub workers_lost: u64,
    /// Workers removed (by the coordinator or after draining).
    pub workers_removed: u64,
    /// Quarantines of workers that failed too often.
    pub quarantines: u64,
    /// Queued tasks recalled from their worker for an idle one (work stealing decisions).
    pub steals: u64,
    /// Recalled tasks their worker gave back (moved to the thief, or back to the queue when the thief
    /// could no longer take them).
    pub migrations: u64,
    /// Tasks placed now (assigned or running): a gauge, not a count.
    pub placed_now: u64,
    /// Tasks running now: a gauge.
    pub running_now: u64,
    /// Submissions refused by admission control.
    pub admissions_refused: u64,
    /// Submissions deferred by admission control (answered with a retry-after hint).
    pub admissions_deferred: u64,
    /// Ticks run.
    pub ticks: u64,
}

/// Histograms and counters.
#[derive(Resource, Debug, Clone)]
pub struct Metrics {
    /// Submission (or requeue) to assignment, in nanoseconds of engine time.
    pub wait_ns: Histogram<u64>,
    /// Wall time of each tick, in nanoseconds.
    pub tick_ns: Histogram<u64>,
    /// Run time reported with completions, in nanoseconds.
    pub run_ns: Histogram<u64>,
    /// Counters.
    pub counters: Counters,
}

impl Default for Metrics {
    fn default() -> Self {
        let histogram = || Histogram::new_with_bounds(1, LATENCY_NS_MAX, 3).expect("static histogram bounds are valid");
        Metrics { wait_ns: histogram(), tick_ns: histogram(), run_ns: histogram(), counters: Counters::default() }
    }
}

/// Records `value_ns` into `histogram`, clamped to its range.
#[inline]
pub fn record_ns(histogram: &mut Histogram<u64>, value_ns: u64) {
    histogram.saturating_record(value_ns.clamp(1, LATENCY_NS_MAX));
}

//! Work lists handed from one stage of the tick to the next, so each stage touches only what changed
//! instead of scanning every task or worker.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bevy_ecs::prelude::*;

use crate::capability::HardwareSet;
use crate::clock::Timestamp;
use crate::family::{ModelFamily, TestType};
use crate::symbols::Symbol;

/// Task entities to process.
#[derive(Resource, Debug, Default)]
pub struct TaskWork {
    /// Admitted this tick, awaiting analysis and indexing.
    pub admitted: Vec<Entity>,
    /// Ended this tick (completed, failed, cancelled, unschedulable), to despawn at the end of the tick.
    pub ended: Vec<Entity>,
}

/// Workers the index stage must look at.
#[derive(Resource, Debug, Default)]
pub struct WorkerWork {
    /// Newly registered workers, awaiting their shape's links to requirement sets and their listing.
    pub registered: Vec<Entity>,
}

/// How an attempt ended, for performance history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The worker entity (it may have left by the time history is updated).
    pub worker: Entity,
    /// The task's family.
    pub family: ModelFamily,
    /// The hardware the task runs on (see `ballast_systems::predict::hardware_used`).
    pub hardware: HardwareSet,
    /// The task's model.
    pub model: Option<Symbol>,
    /// The task's test type (durations are normalized by it).
    pub test_type: TestType,
    /// Run time, for completions.
    pub duration_ns: Option<u64>,
    /// Submission to completion, for completions.
    pub response_ns: u64,
    /// The run time predicted for this attempt.
    pub predicted_ns: u64,
}

/// Attempt outcomes of this tick, for the complete stage.
#[derive(Resource, Debug, Default)]
pub struct Outcomes {
    /// In the order they were reported.
    pub outcomes: Vec<Outcome>,
}

/// Deadlines of running attempts with a timeout: `(deadline, task entity, attempt)`, earliest first.
/// Lazy: an entry whose task is no longer on that attempt is dropped when it comes up.
#[derive(Resource, Debug, Default)]
pub struct Timeouts {
    /// The heap.
    pub heap: BinaryHeap<Reverse<(Timestamp, Entity, u8)>>,
}

/// When the health stage next scans heartbeats and thermal timers.
#[derive(Resource, Debug, Default)]
pub struct HealthSchedule {
    /// The next scan's time.
    pub next_check_at: Timestamp,
}

//! Task components: the submitted spec ([`Task`]), the derived profile ([`TaskProfile`]) and the
//! lifecycle ([`Lifecycle`]).
//!
//! Lifecycle: `pending → assigned → running → completed | failed | cancelled`, and `pending →
//! unschedulable` when no registered worker could ever run it. An assigned or running task whose
//! attempt ends without completing (worker failure report, worker lost, timeout) goes back to
//! `pending` while it has attempts left, else to `failed`. Terminal tasks are removed at the end of
//! the tick that ended them; their ids stay known so a resubmission is refused.

use bevy_ecs::prelude::*;

use crate::clock::Timestamp;
use crate::family::{ModelFamily, TestType};
use crate::history::PredictionSource;
use crate::ids::{ClassId, RequirementsId, TaskId, WorkerSlot};
use crate::symbols::Symbol;
use crate::worker::DeviceMask;

/// How many priority levels there are: priorities run from 0 (lowest) to `PRIORITY_LEVELS - 1`
/// (most urgent). Ten levels cover the five of the original system with room on both sides.
pub const PRIORITY_LEVELS: usize = 10;

/// A submitted task: what the coordinator said about it. Never changes after admission.
#[derive(Component, Clone, Copy, Debug)]
pub struct Task {
    /// The coordinator's id.
    pub id: TaskId,
    /// Its interned hard requirements.
    pub requirements: RequirementsId,
    /// 0 (lowest) to 9 (most urgent).
    pub priority: u8,
    /// What kind of test it is.
    pub test_type: TestType,
    /// The most attempts it may take (assignments that did not complete count).
    pub attempts_max: u8,
    /// The model under test.
    pub model: Option<Symbol>,
    /// Tasks sharing a key never run at the same time.
    pub concurrency_key: Option<Symbol>,
    /// When it was accepted.
    pub submitted_at: Timestamp,
    /// An attempt running longer than this fails (0: no timeout), in nanoseconds.
    pub timeout_ns: u64,
    /// When the coordinator wants it done (informational; reported when missed).
    pub deadline: Option<Timestamp>,
    /// Whether it calibrates new workers (see `TaskSpec::calibration`).
    pub calibration: bool,
}

/// What analysis derived from the task. Rebuilt from [`Task`] on demand.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct TaskProfile {
    /// Whether analysis has run.
    pub analyzed: bool,
    /// The model family.
    pub family: ModelFamily,
    /// Predicted run time on a reference worker, in nanoseconds.
    pub predicted_duration_ns: u64,
    /// Its requirement class, once indexed.
    pub class: Option<ClassId>,
}

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting for a worker.
    #[default]
    Pending,
    /// Placed on a worker, not started yet.
    Assigned,
    /// Started on its worker.
    Running,
    /// Finished successfully.
    Completed,
    /// Out of attempts, or failed without retry.
    Failed,
    /// Cancelled by the coordinator.
    Cancelled,
    /// No registered worker could ever run it.
    Unschedulable,
}

impl TaskState {
    /// Whether the task has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskState::Completed | TaskState::Failed | TaskState::Cancelled | TaskState::Unschedulable)
    }

    /// Whether the task holds a reservation on a worker.
    pub fn is_placed(self) -> bool {
        matches!(self, TaskState::Assigned | TaskState::Running)
    }

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Assigned => "assigned",
            TaskState::Running => "running",
            TaskState::Completed => "completed",
            TaskState::Failed => "failed",
            TaskState::Cancelled => "cancelled",
            TaskState::Unschedulable => "unschedulable",
        }
    }
}

/// Where a placed task holds its reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The worker's slot.
    pub slot: WorkerSlot,
    /// The GPU devices reserved.
    pub devices: DeviceMask,
}

/// A task's lifecycle.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Lifecycle {
    /// The state.
    pub state: TaskState,
    /// Attempts started so far (each assignment is one).
    pub attempts: u8,
    /// When it last entered the pending queue.
    pub enqueued_at: Timestamp,
    /// When the state was entered.
    pub state_since: Timestamp,
    /// Its reservation, while assigned or running.
    pub assignment: Option<Assignment>,
    /// The run time predicted for the current attempt on its worker, in nanoseconds.
    pub predicted_ns: u64,
    /// Whether it sits in its class's pending queue (or in a concurrency key's wait list).
    pub queued: bool,
    /// What the match stage knew when it placed the current attempt.
    pub placement: PlacementNote,
    /// Assignments given back unstarted (work stealing): they were not attempts and do not use up
    /// `attempts_max`.
    pub migrations: u8,
    /// When it was last given back (it may not move again for `steal_hysteresis_ms`).
    pub migrated_at: Option<Timestamp>,
}

impl Lifecycle {
    /// Attempts that count against `attempts_max`: assignments that were not moves.
    #[inline]
    pub fn attempts_used(&self) -> u8 {
        self.attempts.saturating_sub(self.migrations)
    }
}

/// How the match stage chose a worker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PlacementMethod {
    /// Through the shape-and-level index (large classes).
    #[default]
    Search,
    /// Every eligible worker scored exactly (small classes).
    Exact,
    /// A batch of tasks weighed against the candidate workers at once.
    Batch,
    /// Rotation (round-robin policies).
    Rotate,
    /// Seeded sampling (random, power-of-two).
    Sample,
    /// Every eligible worker and device weighed for the tightest packing (packing policies).
    Pack,
    /// Taken from another worker's run queue by an idle one (work stealing).
    Steal,
    /// Put back where a previous engine had placed it, when a service recovered its journal.
    Restored,
}

impl PlacementMethod {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            PlacementMethod::Search => "indexed search",
            PlacementMethod::Exact => "exact scan",
            PlacementMethod::Batch => "batch",
            PlacementMethod::Rotate => "rotation",
            PlacementMethod::Sample => "sampling",
            PlacementMethod::Pack => "packing scan",
            PlacementMethod::Steal => "work stealing",
            PlacementMethod::Restored => "restored",
        }
    }
}

/// What the match stage knew when it placed an attempt, kept for `explain`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlacementNote {
    /// How the worker was chosen.
    pub method: PlacementMethod,
    /// Where the run-time prediction came from.
    pub source: PredictionSource,
    /// Predicted nanoseconds until the worker could start it (0 with a free slot).
    pub ready_ns: u64,
    /// Whether its model was warm on the worker.
    pub warm: bool,
    /// Whether the worker had a free slot, so it could start the task at once: its timeout then counts
    /// from the placement; otherwise from its start (time in a run queue does not count).
    pub free_slot: bool,
    /// The worker's dominant reserved share with it, in millionths.
    pub share_ppm: u32,
    /// The family's smoothed success rate on the worker, in millionths.
    pub success_ppm: u32,
    /// The prediction's uncertainty, in milliseconds.
    pub uncertainty_ms: u32,
    /// What the placement cost more constrained work on the worker, in eighths of its run time: the
    /// pressure of the work it took a seat from, times the seats (see `ballast_systems::scarcity`).
    pub scarcity_eighths: u32,
}

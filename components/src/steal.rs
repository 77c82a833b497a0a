//! Work stealing's bookkeeping: the recalls in flight (see `ballast_systems::steal` for the protocol).

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use crate::clock::Timestamp;
use crate::ids::{WorkerId, WorkerSlot};

/// A queued task the engine asked its worker to give back, for an idle worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recall {
    /// The worker holding the task (it stays there until the worker gives it back).
    pub victim: WorkerSlot,
    /// The idle worker meant to take it.
    pub thief: WorkerId,
    /// When it was asked.
    pub at: Timestamp,
}

/// The recalls in flight, by task entity. A task has at most one; it ends when the worker gives the
/// task back, starts it, or loses it, or when it times out.
#[derive(Resource, Clone, Debug, Default)]
pub struct Recalls {
    /// Recalls by task.
    pub by_task: FxHashMap<Entity, Recall>,
    /// When the steal stage next looks for thieves and victims.
    pub next_scan_at: Timestamp,
}

impl Recalls {
    /// How many recalls are meant for `thief`.
    pub fn incoming(&self, thief: WorkerId) -> u32 {
        self.by_task.values().filter(|recall| recall.thief == thief).count() as u32
    }
}

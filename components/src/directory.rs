//! The directory: from the stable external ids to entities, from worker slots to entities, the free
//! list of worker slots, and the ids of tasks that have ended (so a resubmission is refused).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bevy_ecs::prelude::*;
use roaring::RoaringTreemap;
use rustc_hash::FxHashMap;

use crate::ids::{TaskId, WorkerId, WorkerSlot};

/// Id and slot lookups.
#[derive(Resource, Debug, Default)]
pub struct Directory {
    /// Live workers by id.
    pub workers: FxHashMap<WorkerId, Entity>,
    /// Live workers by slot (`None`: a free slot).
    pub slots: Vec<Option<Entity>>,
    free_slots: BinaryHeap<Reverse<u32>>,
    /// Live tasks by id.
    pub tasks: FxHashMap<TaskId, Entity>,
    /// Ids of tasks that ended (completed, failed, cancelled or unschedulable).
    pub ended_tasks: RoaringTreemap,
}

impl Directory {
    /// Takes the lowest free worker slot (so slots stay dense and the choice is deterministic).
    pub fn allocate_slot(&mut self, entity: Entity) -> WorkerSlot {
        match self.free_slots.pop() {
            Some(Reverse(slot)) => {
                assert!(self.slots[slot as usize].is_none(), "free slot {slot} is occupied");
                self.slots[slot as usize] = Some(entity);
                WorkerSlot(slot)
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("workers_max fits in u32");
                self.slots.push(Some(entity));
                WorkerSlot(slot)
            }
        }
    }

    /// Returns a slot to the free list.
    pub fn free_slot(&mut self, slot: WorkerSlot) {
        assert!(self.slots[slot.index()].take().is_some(), "slot {} freed twice", slot.0);
        self.free_slots.push(Reverse(slot.0));
    }

    /// The worker entity in `slot`.
    #[inline]
    pub fn worker_in(&self, slot: WorkerSlot) -> Option<Entity> {
        self.slots.get(slot.index()).copied().flatten()
    }

    /// Whether `task` was ever accepted (live or ended).
    pub fn knows_task(&self, task: TaskId) -> bool {
        self.tasks.contains_key(&task) || self.ended_tasks.contains(task.0)
    }
}

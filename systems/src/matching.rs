//! Stage 5, match: places pending tasks on workers, most urgent first, one requirement class at a time.
//!
//! Reads and writes: the [`Pool`]. Runs after index (so shapes, classes and eligibility are current)
//! and before complete and report.
//!
//! # Design
//! Tasks of one class are interchangeable, so a placement is "pop the class's most urgent task, find the
//! class's best worker with room":
//! - the classes with pending tasks are ordered in a per-tick heap by the urgency of their head task
//!   (priority plus aging, then admission order), so a class that cannot place anything blocks only
//!   itself;
//! - the best worker is found over the class's eligible *shapes*, best static score first: within a
//!   shape the best worker sits in the lowest non-empty level (a bit scan), and the scan stops once no
//!   remaining shape can beat the best found (see [`ballast_components::shape`]).
//!
//! The hard capability filter was applied once per (requirement set, shape); the dynamic fit (free slots,
//! CPU, memory, GPU devices) is checked on the one or few workers the scan reaches. A placement costs a
//! few shape visits and one level move, whatever the pool size and however many classes share a worker.
//!
//! A shape none of whose workers has room for the class is skipped until one of its workers gains room,
//! and then only that worker is looked at (see [`Candidates`](ballast_components::class::Candidates)),
//! so a saturated pool costs nothing per waiting class.
//!
//! Concurrency keys: a task whose key is held waits on the key's list and the class moves on, so a
//! held key never blocks tasks behind it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bevy_ecs::prelude::*;

use ballast_components::class::{Class, RequirementSet};
use ballast_components::config::PolicyName;
use ballast_components::directory::Directory;
use ballast_components::ids::{ClassId, WorkerSlot};
use ballast_components::queue::Urgency;
use ballast_components::shape::{ShapeId, ShapeSet, Shapes};
use ballast_components::task::TaskState;
use ballast_components::worker::DeviceMask;

use crate::policy::{LEVEL_WEIGHT, static_score};
use crate::pool::{Pool, WorkerData};

/// A worker found for a class: its score, slot and the GPU devices it would use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Found {
    score: i64,
    slot: WorkerSlot,
    devices: DeviceMask,
}

impl Found {
    /// Whether this beats `other`: a higher score, then a lower slot.
    fn beats(&self, other: &Option<Found>) -> bool {
        other.is_none_or(|other| (self.score, Reverse(self.slot)) > (other.score, Reverse(other.slot)))
    }
}

/// Borrowed parts of the pool the search reads, split from the classes it mutates.
struct Search<'a, 'w, 's> {
    policy: PolicyName,
    directory: &'a Directory,
    shapes: &'a Shapes,
    workers: &'a Query<'w, 's, WorkerData>,
}

impl Search<'_, '_, '_> {
    /// The devices one more task of the set would take on the worker in `slot`, if it fits now.
    fn fit(&self, slot: WorkerSlot, set: &RequirementSet) -> Option<DeviceMask> {
        let entity = self.directory.worker_in(slot)?;
        let worker = self.workers.get(entity).ok()?;
        let capabilities = &self.shapes.shape(slot).capabilities;
        worker.load.fit(capabilities, &set.requirements.demand, &set.requirements.gpu_models)
    }

    /// The best worker with room for one more task of the class, over its unskipped shapes and the
    /// workers of skipped shapes that gained room since they were skipped. `examined` is scratch.
    fn best(
        &self,
        class: &mut Class,
        set: &RequirementSet,
        examined: &mut ShapeSet,
    ) -> Option<(WorkerSlot, DeviceMask)> {
        let mut best = self.best_in_inbox(class, set);
        let candidates = &mut class.candidates;
        let mut to_skip: Vec<ShapeId> = Vec::new();
        examined.clear();
        'tiers: for tier in &candidates.tiers {
            if best.is_some_and(|best| tier.score <= best.score) {
                // Tiers come best-first and a level never adds to a score.
                break;
            }
            let mut levels = self.shapes.levels_in_use;
            while levels != 0 {
                let level = levels.trailing_zeros() as u8;
                levels &= levels - 1;
                let score = tier.score - LEVEL_WEIGHT * i64::from(level);
                if best.is_some_and(|best| score <= best.score) {
                    continue 'tiers;
                }
                let at_level = &self.shapes.shapes_at_level[usize::from(level)];
                for word in 0..tier.shapes.word_count().min(at_level.word_count()) {
                    let mut bits = tier.shapes.word(word) & at_level.word(word) & !candidates.skipped.word(word);
                    while bits != 0 {
                        let shape = ShapeId((word * 64) as u32 + bits.trailing_zeros());
                        bits &= bits - 1;
                        if examined.contains(shape) {
                            continue;
                        }
                        match self.scan_shape(shape, level, set) {
                            Some((found_level, slot, devices)) => {
                                let found =
                                    Found { score: tier.score - LEVEL_WEIGHT * i64::from(found_level), slot, devices };
                                if found.beats(&best) {
                                    best = Some(found);
                                }
                                if found_level == level {
                                    // Nothing else in this tier can do better; between equal scores the
                                    // shape found first wins.
                                    continue 'tiers;
                                }
                                examined.insert(shape);
                            }
                            None => to_skip.push(shape),
                        }
                    }
                }
            }
        }
        for shape in to_skip {
            candidates.skip(shape);
        }
        best.map(|found| (found.slot, found.devices))
    }

    /// The first worker of `shape`, from `level` up, with room for one more task of the set: its level,
    /// slot and devices.
    fn scan_shape(&self, shape: ShapeId, level: u8, set: &RequirementSet) -> Option<(u8, WorkerSlot, DeviceMask)> {
        let shape = &self.shapes.shapes[shape.index()];
        let mut levels = shape.nonempty & (u64::MAX << level);
        while levels != 0 {
            let level = levels.trailing_zeros() as u8;
            levels &= levels - 1;
            for slot in shape.levels[usize::from(level)].iter() {
                let slot = WorkerSlot(slot);
                if let Some(devices) = self.fit(slot, set) {
                    return Some((level, slot, devices));
                }
            }
        }
        None
    }

    /// The best of the freed workers in the inbox; those without room for the class leave it.
    fn best_in_inbox(&self, class: &mut Class, set: &RequirementSet) -> Option<Found> {
        let mut best: Option<Found> = None;
        let family = class.key.family;
        class.candidates.inbox.retain(|&slot| {
            // The slot may have been reused by a worker of another shape since it was noted.
            if !set.eligible.contains(slot.0) {
                return false;
            }
            let Some(level) = self.shapes.level_of[slot.index()] else {
                return false;
            };
            let Some(devices) = self.fit(slot, set) else {
                return false;
            };
            let capabilities = &self.shapes.shape(slot).capabilities;
            let score =
                static_score(self.policy, &set.requirements, family, capabilities) - LEVEL_WEIGHT * i64::from(level);
            let found = Found { score, slot, devices };
            if found.beats(&best) {
                best = Some(found);
            }
            true
        });
        best
    }
}

/// The order of a class in the tick's heap of classes: its head's urgency, then its head's admission
/// sequence, then the class id.
type ClassOrder = ((Urgency, Reverse<u64>), Reverse<u32>);

/// The match stage.
pub fn match_tasks_to_workers(
    mut pool: Pool,
    mut active: Local<BinaryHeap<ClassOrder>>,
    mut examined: Local<ShapeSet>,
) {
    let now = pool.now();
    let aging_step_ns = pool.config.priority_aging_ms.saturating_mul(1_000_000);
    let mut budget = pool.config.placements_per_tick_max;
    active.clear();
    for (index, class) in pool.classes.classes.iter().enumerate() {
        if class.candidates.is_blocked() {
            continue;
        }
        if let Some(head) = class.pending.head(now, aging_step_ns) {
            active.push((head.order(), Reverse(index as u32)));
        }
    }
    while budget > 0 {
        let Some((_, Reverse(class_index))) = active.pop() else {
            break;
        };
        let class_id = ClassId(class_index);
        let class = &mut pool.classes.classes[class_id.index()];
        let head = class.pending.head(now, aging_step_ns).expect("an active class has a head");
        let queued = class.pending.pop(head.level).expect("the head exists");
        let requeue_class = |pool: &mut Pool, active: &mut BinaryHeap<ClassOrder>| {
            let class = &pool.classes.classes[class_id.index()];
            if class.candidates.is_blocked() {
                return;
            }
            if let Some(head) = class.pending.head(now, aging_step_ns) {
                active.push((head.order(), Reverse(class_index)));
            }
        };
        // Lazily drop tasks that were cancelled or otherwise left the queue.
        let (key, priority) = match pool.tasks.get(queued.entity) {
            Ok(data) if data.lifecycle.state == TaskState::Pending && data.lifecycle.queued => {
                (data.task.concurrency_key, data.task.priority)
            }
            _ => {
                requeue_class(&mut pool, &mut active);
                continue;
            }
        };
        if let Some(key) = key {
            let state = pool.keys.keys.entry(key).or_default();
            if state.holder.is_some() {
                state.waiting.push_back(queued.entity);
                requeue_class(&mut pool, &mut active);
                continue;
            }
        }
        let choice = {
            let search = Search {
                policy: pool.config.policy,
                directory: &pool.directory,
                shapes: &pool.shapes,
                workers: &pool.workers,
            };
            let classes = &mut *pool.classes;
            let class = &mut classes.classes[class_id.index()];
            let set = &classes.requirement_sets[class.key.requirements.index()];
            search.best(class, set, &mut examined)
        };
        match choice {
            Some((slot, devices)) => {
                pool.place(queued.entity, slot, devices);
                budget -= 1;
                requeue_class(&mut pool, &mut active);
            }
            None => {
                // Nothing fits now: the task keeps its place and the class waits for an eligible worker
                // to be freed. With no eligible worker at all (a task woken from a key wait into a class
                // whose workers all left), the index stage declares its tasks unschedulable next tick.
                let classes = &mut *pool.classes;
                let class = &mut classes.classes[class_id.index()];
                class.pending.push_front(priority, queued);
                let requirements = class.key.requirements;
                if classes.requirement_sets[requirements.index()].eligible.is_empty() {
                    classes.emptied.push(requirements);
                }
            }
        }
    }
}

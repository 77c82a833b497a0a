//! Stage 5, match: places pending tasks on workers, most urgent first, one requirement class at a time.
//!
//! Reads and writes: the [`Pool`]. Runs after index (so classes, eligibility and freed workers are
//! current) and before complete and report.
//!
//! # Design
//! Tasks of one class are interchangeable, so a placement is "pop the class's most urgent task, pop
//! the class's best candidate worker":
//! - the classes with pending tasks are ordered in a per-tick heap by the urgency of their head task
//!   (priority plus aging), so a class that cannot place anything now blocks only itself;
//! - each class keeps a lazy max-heap of candidate workers keyed by score. An entry whose worker
//!   changed since it was scored is re-scored when it reaches the top; anything that raises a score
//!   pushes a fresh entry (see [`CandidateHeap`](ballast_components::queue::CandidateHeap)).
//!
//! A placement therefore costs O(log workers + log classes), not O(workers). The hard capability
//! filter was applied once per requirement set (its `eligible` bitmap); the dynamic fit (free slots,
//! CPU, memory, GPU devices) is checked on the one candidate at the top.
//!
//! A class that finds no worker with room is marked blocked and skipped by later ticks until one of
//! its eligible workers is freed, so a saturated pool costs nothing per waiting class.
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
use ballast_components::index::CapabilityIndex;
use ballast_components::queue::{Candidate, Urgency};
use ballast_components::requirements::{Demand, GPU_MILLI_WHOLE, Requirements};
use ballast_components::task::TaskState;
use ballast_components::worker::{Capabilities, DeviceMask, Load, ratio_ppm};

use crate::pool::{Pool, WorkerData};

/// The best score.
pub const SCORE_MAX: u32 = 1_000_000;

/// How well one more task of `demand` suits the worker under `policy`; higher is better.
pub fn score(policy: PolicyName, capabilities: &Capabilities, load: &Load, demand: &Demand) -> u32 {
    match policy {
        PolicyName::ResourceAware => SCORE_MAX - dominant_share_after_ppm(capabilities, load, demand),
        PolicyName::LeastLoaded => {
            SCORE_MAX - ratio_ppm(u64::from(load.slots_used) + 1, u64::from(capabilities.slots.max(1)))
        }
    }
}

/// The worker's dominant reserved share, in millionths, if one more task of `demand` were placed.
pub fn dominant_share_after_ppm(capabilities: &Capabilities, load: &Load, demand: &Demand) -> u32 {
    let mut share = ratio_ppm(u64::from(load.slots_used) + 1, u64::from(capabilities.slots));
    if capabilities.cpu_milli > 0 {
        share =
            share.max(ratio_ppm(u64::from(load.cpu_milli_used + demand.cpu_milli), u64::from(capabilities.cpu_milli)));
    }
    if capabilities.memory_mib > 0 {
        share = share.max(ratio_ppm(load.memory_used_mib + demand.memory_mib, capabilities.memory_mib));
    }
    if !capabilities.gpus.is_empty() {
        let used: u64 = load.gpu_milli_used.iter().map(|&milli| u64::from(milli)).sum();
        let wanted = u64::from(demand.gpu.count) * u64::from(demand.gpu.milli);
        share = share.max(ratio_ppm(used + wanted, capabilities.gpus.len() as u64 * u64::from(GPU_MILLI_WHOLE)));
    }
    share
}

/// Scores a worker in `slot` for a class, reading it through the pool's query.
fn candidate_for(
    policy: PolicyName,
    directory: &Directory,
    workers: &Query<WorkerData>,
    slot: WorkerSlot,
    requirements: &Requirements,
    version: u32,
) -> Option<(Candidate, DeviceMask)> {
    let entity = directory.worker_in(slot)?;
    let worker = workers.get(entity).ok()?;
    let devices = worker.load.fit(worker.capabilities, &requirements.demand, &requirements.gpu_models)?;
    let score = score(policy, worker.capabilities, worker.load, &requirements.demand);
    Some((Candidate::new(score, slot, version), devices))
}

/// Borrowed parts of the pool the candidate search reads, split from the classes it mutates.
struct PoolParts<'a, 'w, 's> {
    policy: PolicyName,
    directory: &'a Directory,
    index: &'a CapabilityIndex,
    workers: &'a Query<'w, 's, WorkerData>,
    versions: &'a [u32],
}

impl PoolParts<'_, '_, '_> {
    /// A fresh candidate for the worker in `slot`, if it is eligible, schedulable and fits now.
    fn candidate(&self, slot: WorkerSlot, set: &RequirementSet) -> Option<(Candidate, DeviceMask)> {
        if !set.eligible.contains(slot.0) || !self.index.schedulable.contains(slot.0) {
            return None;
        }
        candidate_for(self.policy, self.directory, self.workers, slot, &set.requirements, self.versions[slot.index()])
    }

    /// Rebuilds a class's candidate heap from its eligible, schedulable workers that fit now.
    fn build(&self, class: &mut Class, set: &RequirementSet) {
        let mut entries = std::mem::take(&mut class.candidates.heap).into_vec();
        entries.clear();
        for slot in set.eligible.iter() {
            if let Some((candidate, _)) = self.candidate(WorkerSlot(slot), set) {
                entries.push(candidate);
            }
        }
        class.candidates.heap = BinaryHeap::from(entries);
        class.candidates.freed.clear();
        class.candidates.built = true;
    }

    /// The best worker for the class that can take one more of its tasks now, with the devices it would
    /// use. Scores the workers freed since the class last placed, then pops stale entries until the top
    /// is current.
    fn best(&self, class: &mut Class, set: &RequirementSet) -> Option<(WorkerSlot, DeviceMask)> {
        let candidates = &mut class.candidates;
        if candidates.built && candidates.heap.len() > 2 * set.eligible.len() as usize + 64 {
            candidates.built = false;
        }
        if !candidates.built {
            self.build(class, set);
        } else {
            for slot in std::mem::take(&mut class.candidates.freed) {
                if let Some((candidate, _)) = self.candidate(slot, set) {
                    class.candidates.heap.push(candidate);
                }
            }
        }
        let heap = &mut class.candidates.heap;
        while let Some(&top) = heap.peek() {
            let slot = top.slot();
            let current = top.version == self.versions[slot.index()];
            let fresh = self.candidate(slot, set);
            match fresh {
                Some((_, devices)) if current => return Some((slot, devices)),
                Some((candidate, _)) => {
                    heap.pop();
                    heap.push(candidate);
                }
                None => {
                    debug_assert!(!current, "a current candidate no longer fits");
                    heap.pop();
                }
            }
        }
        None
    }
}

/// The order of a class in the tick's heap of classes: its head's urgency, then its head's admission
/// sequence, then the class id.
type ClassOrder = ((Urgency, Reverse<u64>), Reverse<u32>);

/// The match stage.
pub fn match_tasks_to_workers(mut pool: Pool, mut active: Local<BinaryHeap<ClassOrder>>) {
    let now = pool.now();
    let aging_step_ns = pool.config.priority_aging_ms.saturating_mul(1_000_000);
    let mut budget = pool.config.placements_per_tick_max;
    active.clear();
    for (index, class) in pool.classes.classes.iter().enumerate() {
        if class.candidates.blocked {
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
            if let Some(head) = pool.classes.classes[class_id.index()].pending.head(now, aging_step_ns) {
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
            let classes = &mut *pool.classes;
            let parts = PoolParts {
                policy: pool.config.policy,
                directory: &pool.directory,
                index: &pool.index,
                workers: &pool.workers,
                versions: &classes.versions,
            };
            let class = &mut classes.classes[class_id.index()];
            let set = &classes.requirement_sets[class.key.requirements.index()];
            parts.best(class, set)
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
                class.candidates.blocked = true;
                let requirements = class.key.requirements;
                if classes.requirement_sets[requirements.index()].eligible.is_empty() {
                    classes.emptied.push(requirements);
                }
            }
        }
    }
}

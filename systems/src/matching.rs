//! Stage 5, match: places pending tasks on workers, most urgent first, one requirement class at a time.
//!
//! Reads and writes: the [`Pool`]. Runs after index (so shapes, classes and eligibility are current)
//! and before complete and report.
//!
//! # Design
//! Tasks of one class share their hard requirements, so the match loop pops the most urgent class head
//! (priority plus aging, then admission order, from a per-tick heap of classes) and asks the policy's
//! selector for a worker with room:
//! - [`search`]: large classes, through the shape-and-level index. The best worker of a shape sits in
//!   its lowest non-empty level; tiers of shapes with equal static cost are walked cheapest first and
//!   the walk stops when nothing left can beat the best found. A placement costs a few shape visits
//!   and one level move, whatever the pool size and however many classes share a worker.
//! - [`exact`]: small classes (`exact_scan_workers_max`), every eligible worker scored exactly: the
//!   task's predicted run time there, the wait for a slot in its run queue, its load after placement.
//! - [`batch`]: batch policies (min-min, max-min, sufferage, and composite when `batch_assignment` is
//!   on) weigh a whole batch of same-priority tasks against the candidate workers at once.
//! - [`rotate`] and [`sample`]: round-robin, weighted round-robin, random and power-of-two.
//! - [`pack`]: packing policies (best fit, dot product, fgd, frag-aware) weigh every eligible worker and
//!   GPU device option, whatever the class size.
//!
//! A shape none of whose workers has room for a class is skipped until one of its workers gains room,
//! and then only that worker is looked at (see [`Candidates`](ballast_components::class::Candidates));
//! a class that skips every shape is blocked and costs nothing per tick.
//!
//! Concurrency keys: a task whose key is held waits on the key's list and the class moves on, so a
//! held key never blocks tasks behind it.

mod batch;
mod exact;
mod pack;
mod rotate;
mod sample;
mod search;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bevy_ecs::prelude::*;

use ballast_components::class::RequirementSet;
use ballast_components::clock::Timestamp;
use ballast_components::config::{CompositeWeights, PolicyName};
use ballast_components::directory::Directory;
use ballast_components::history::WarmModels;
use ballast_components::ids::{ClassId, WorkerSlot};
use ballast_components::queue::{Queued, Urgency};
use ballast_components::shape::{ShapeSet, Shapes};
use ballast_components::task::{PlacementMethod, TaskState};
use ballast_components::worker::DeviceMask;

use crate::policy::{Scarcity, TaskFacts};
use crate::pool::{Pool, TaskData, WorkerData};

/// A worker chosen for a task: its slot and the GPU devices the task takes there.
pub type Choice = (WorkerSlot, DeviceMask);

/// How a policy chooses, for a class of a given size.
fn method(policy: PolicyName, eligible: u64, exact_max: u32, batch_assignment: bool) -> PlacementMethod {
    let small = eligible <= u64::from(exact_max);
    match policy {
        _ if policy.is_packing() => PlacementMethod::Pack,
        PolicyName::RoundRobin | PolicyName::WeightedRoundRobin => PlacementMethod::Rotate,
        PolicyName::Random | PolicyName::PowerOfTwo => PlacementMethod::Sample,
        PolicyName::MinMin | PolicyName::MaxMin | PolicyName::Sufferage if small => PlacementMethod::Batch,
        PolicyName::Composite | PolicyName::Adaptive | PolicyName::Priority | PolicyName::Affinity
            if small && batch_assignment =>
        {
            PlacementMethod::Batch
        }
        _ if small => PlacementMethod::Exact,
        _ => PlacementMethod::Search,
    }
}

/// What the selectors read: the pool's state, split from the classes they update.
pub(crate) struct Context<'a, 'w, 's> {
    pub policy: PolicyName,
    pub weights: CompositeWeights,
    pub now: Timestamp,
    pub directory: &'a Directory,
    pub shapes: &'a Shapes,
    pub workers: &'a Query<'w, 's, WorkerData>,
    pub tasks: &'a Query<'w, 's, TaskData>,
    pub warm: &'a WarmModels,
}

impl Context<'_, '_, '_> {
    /// The devices one more task of the set would take on the worker in `slot`, if it fits now.
    pub fn fit(&self, slot: WorkerSlot, set: &RequirementSet) -> Option<DeviceMask> {
        let entity = self.directory.worker_in(slot)?;
        let worker = self.workers.get(entity).ok()?;
        let capabilities = &self.shapes.shape(slot).capabilities;
        worker.load.fit(capabilities, &set.requirements.demand, &set.requirements.gpu_models)
    }

    /// Nanoseconds until the worker in `slot` can start one more task (see [`ready_ns`](crate::pool::ready_ns)).
    pub fn ready_ns(&self, slot: WorkerSlot, lanes: &mut Vec<u64>) -> u64 {
        let Some(worker) = self.directory.worker_in(slot).and_then(|entity| self.workers.get(entity).ok()) else {
            return 0;
        };
        crate::pool::ready_ns(self.now, worker.capabilities.slots, &worker.tasks.tasks, self.tasks, lanes)
    }

    /// Whether the task's model ran last on the worker in `slot`.
    pub fn warm(&self, task: &TaskFacts, slot: WorkerSlot) -> bool {
        task.model.is_some_and(|model| self.warm.workers(model).contains(&slot))
    }
}

/// The order of a class in the tick's heap of classes: its head's urgency, then its head's admission
/// sequence, then the class id.
type ClassOrder = ((Urgency, Reverse<u64>), Reverse<u32>);

/// Scratch the stage keeps between ticks, so a tick allocates nothing in the steady state.
#[derive(Default)]
pub struct Scratch {
    active: BinaryHeap<ClassOrder>,
    examined: ShapeSet,
    lanes: Vec<u64>,
    batch: batch::BatchScratch,
    pack: pack::PackScratch,
    /// When requirement sets' pressure was last brought up to date.
    pressure_at: Timestamp,
}

/// The match stage.
pub fn match_tasks_to_workers(mut pool: Pool, mut scratch: Local<Scratch>) {
    let now = pool.now();
    let aging_step_ns = pool.config.priority_aging_ms.saturating_mul(1_000_000);
    let mut budget = pool.config.placements_per_tick_max;
    let scratch = &mut *scratch;
    scratch.active.clear();
    if pool.config.policy.is_packing() {
        scratch.pack.refresh(&pool.classes);
    }
    for (index, class) in pool.classes.classes.iter().enumerate() {
        if class.candidates.is_blocked() {
            continue;
        }
        if let Some(head) = class.pending.head(now, aging_step_ns) {
            scratch.active.push((head.order(), Reverse(index as u32)));
        }
    }
    while budget > 0 {
        let Some((_, Reverse(class_index))) = scratch.active.pop() else {
            break;
        };
        let class_id = ClassId(class_index);
        let eligible =
            pool.classes.requirement_set(pool.classes.classes[class_id.index()].key.requirements).eligible.len();
        let mut method =
            method(pool.config.policy, eligible, pool.config.exact_scan_workers_max, pool.config.batch_assignment);
        if method == PlacementMethod::Batch {
            if !head_calibrates(&pool, class_id, aging_step_ns) {
                budget -= batch::place_batch(&mut pool, scratch, class_id, budget);
                continue;
            }
            // A calibration task is placed on its own (see `newest_unmeasured`), scored exactly if no
            // unmeasured worker has room.
            method = PlacementMethod::Exact;
        }
        let Some(queued) = pop_placeable(&mut pool, &mut scratch.active, class_id) else {
            continue;
        };
        let choice = choose(&mut pool, scratch, class_id, queued, method);
        match choice {
            Some((slot, devices)) => {
                pool.place(queued.entity, slot, devices, method);
                budget -= 1;
                requeue_class(&pool, &mut scratch.active, class_id);
            }
            None => put_back(&mut pool, class_id, queued),
        }
    }
    let elapsed_ns = now.since(scratch.pressure_at);
    scratch.pressure_at = now;
    crate::scarcity::update_pressure(&mut pool.classes, elapsed_ns);
}

/// Pops the head of a class that can be placed now: stale entries (cancelled, already placed) are
/// dropped, a task whose concurrency key is held waits on the key. Re-queues the class when it pops
/// something it cannot use.
fn pop_placeable(pool: &mut Pool, active: &mut BinaryHeap<ClassOrder>, class_id: ClassId) -> Option<Queued> {
    let now = pool.now();
    let aging_step_ns = pool.config.priority_aging_ms.saturating_mul(1_000_000);
    let class = &mut pool.classes.classes[class_id.index()];
    let head = class.pending.head(now, aging_step_ns)?;
    let queued = class.pending.pop(head.level).expect("the head exists");
    let key = match pool.tasks.get(queued.entity) {
        Ok(data) if data.lifecycle.state == TaskState::Pending && data.lifecycle.queued => data.task.concurrency_key,
        _ => {
            requeue_class(pool, active, class_id);
            return None;
        }
    };
    if let Some(key) = key {
        let state = pool.keys.keys.entry(key).or_default();
        if state.holder.is_some() {
            state.waiting.push_back(queued.entity);
            requeue_class(pool, active, class_id);
            return None;
        }
    }
    Some(queued)
}

/// Puts a class back in the tick's heap if it has a head and is not blocked.
fn requeue_class(pool: &Pool, active: &mut BinaryHeap<ClassOrder>, class_id: ClassId) {
    let now = pool.now();
    let aging_step_ns = pool.config.priority_aging_ms.saturating_mul(1_000_000);
    let class = &pool.classes.classes[class_id.index()];
    if class.candidates.is_blocked() {
        return;
    }
    if let Some(head) = class.pending.head(now, aging_step_ns) {
        active.push((head.order(), Reverse(class_id.0)));
    }
}

/// Returns a task that found no worker to the front of its class queue. With no eligible worker at all
/// (a task woken from a key wait into a class whose workers all left), the index stage declares the
/// class's tasks unschedulable next tick.
fn put_back(pool: &mut Pool, class_id: ClassId, queued: Queued) {
    let priority = pool.tasks.get(queued.entity).map(|data| data.task.priority).expect("a live task");
    let classes = &mut *pool.classes;
    let class = &mut classes.classes[class_id.index()];
    class.pending.push_front(priority, queued);
    let requirements = class.key.requirements;
    if classes.requirement_sets[requirements.index()].eligible.is_empty() {
        classes.emptied.push(requirements);
    }
}

/// Whether the class's head is a calibration task.
fn head_calibrates(pool: &Pool, class_id: ClassId, aging_step_ns: u64) -> bool {
    let pending = &pool.classes.classes[class_id.index()].pending;
    pending
        .head(pool.now(), aging_step_ns)
        .and_then(|head| pending.front(head.level))
        .and_then(|queued| pool.tasks.get(queued.entity).ok())
        .is_some_and(|data| data.task.calibration)
}

/// For a calibration task: the newest eligible worker with room that has completed nothing yet (its
/// speed unmeasured), ties to the lower slot. O(eligible workers), for the few calibration tasks.
fn newest_unmeasured(context: &Context, set: &RequirementSet) -> Option<Choice> {
    let mut best: Option<(Timestamp, WorkerSlot, DeviceMask)> = None;
    for slot in set.eligible.iter().map(WorkerSlot) {
        if context.shapes.level_of[slot.index()].is_none() {
            continue;
        }
        let Some(worker) = context.directory.worker_in(slot).and_then(|entity| context.workers.get(entity).ok()) else {
            continue;
        };
        if worker.history.speed.samples > 0 || best.is_some_and(|(newest, _, _)| worker.worker.registered_at <= newest)
        {
            continue;
        }
        if let Some(devices) = context.fit(slot, set) {
            best = Some((worker.worker.registered_at, slot, devices));
        }
    }
    best.map(|(_, slot, devices)| (slot, devices))
}

/// Asks the policy's selector for a worker for one task.
fn choose(
    pool: &mut Pool,
    scratch: &mut Scratch,
    class_id: ClassId,
    queued: Queued,
    method: PlacementMethod,
) -> Option<Choice> {
    let pool = &mut *pool;
    let context = Context {
        policy: pool.config.policy,
        weights: pool.adaptive.weights_under(&pool.config),
        now: pool.clock.now,
        directory: &pool.directory,
        shapes: &pool.shapes,
        workers: &pool.workers,
        tasks: &pool.tasks,
        warm: &pool.warm,
    };
    let classes = &mut *pool.classes;
    let class = &mut classes.classes[class_id.index()];
    let set = &classes.requirement_sets[class.key.requirements.index()];
    let data = context.tasks.get(queued.entity).expect("a live task");
    let task = TaskFacts {
        requirements: &set.requirements,
        family: class.key.family,
        model: data.task.model,
        test_type: data.task.test_type,
        priority: data.task.priority,
        priors: &pool.config.priors,
        scarcity: (classes.pressured_sets > 0)
            .then_some(Scarcity { sets: &classes.requirement_sets, own: class.key.requirements }),
    };
    if data.task.calibration
        && let Some(choice) = newest_unmeasured(&context, set)
    {
        return Some(choice);
    }
    match method {
        PlacementMethod::Search => search::best(&context, class, set, &task, &mut scratch.examined),
        PlacementMethod::Exact => exact::best(&context, class, set, &task, &mut scratch.lanes),
        PlacementMethod::Rotate => rotate::next(&context, class, set),
        PlacementMethod::Sample => sample::pick(&context, class, set, &mut pool.randomness.rng),
        PlacementMethod::Pack => pack::best(&context, class, set, &mut scratch.pack),
        PlacementMethod::Batch => unreachable!("batches are placed by batch::place_batch"),
        PlacementMethod::Steal | PlacementMethod::Restored => {
            unreachable!("the match stage neither steals nor restores")
        }
    }
}

//! Batch placement: a batch of pending tasks of the same priority is weighed against the candidate
//! workers at once, instead of one task at a time in queue order.
//!
//! # Rules
//! Every task's best and second-best worker are known (by the policy's exact cost, with each worker's
//! wait for a slot and load updated as the batch fills it). Each step places one task on its best
//! worker: min-min the task whose best cost is lowest, max-min the one whose best cost is highest,
//! sufferage (and composite) the one that would lose most if its best worker went to another task
//! (second best minus best). Braun et al. (2001) found min-min and sufferage best among the fast
//! heuristics for mapping independent tasks onto heterogeneous machines.
//!
//! A placement only raises the placed worker's costs, so after it only the tasks whose best or second
//! best was that worker are re-scored over every worker: a batch of T tasks on W workers costs about
//! O(T² + T·W) cost evaluations rather than O(T²·W). Tasks alike in everything a cost reads (class,
//! model, test type, priority) share one re-scoring per step, so a batch of interchangeable tasks, whose
//! best worker is the same for all, costs O(T·W) rather than O(T²·W).

use ballast_components::class::RequirementSet;
use ballast_components::config::PolicyName;
use ballast_components::history::History;
use ballast_components::ids::{ClassId, WorkerSlot};
use ballast_components::queue::Queued;
use ballast_components::symbols::Symbol;
use ballast_components::task::{PlacementMethod, TaskState};
use ballast_components::worker::{DeviceMask, Load};

use super::{Context, Scratch, exact::block, requeue_class};
use crate::policy::{Scarcity, TaskFacts, WorkerFacts, exact_cost, predicted};
use crate::pool::Pool;

/// A task in the batch.
#[derive(Clone, Copy, Debug)]
struct BatchTask {
    queued: Queued,
    class: ClassId,
    priority: u8,
}

/// A candidate worker, as the batch fills it.
#[derive(Clone, Debug)]
struct BatchWorker {
    slot: WorkerSlot,
    load: Load,
    lanes: Vec<u64>,
}

impl BatchWorker {
    fn ready_ns(&self) -> u64 {
        self.lanes.iter().copied().min().unwrap_or(0)
    }
}

/// A task's best and second-best workers (indices into the batch's workers) and costs.
#[derive(Clone, Copy, Debug, Default)]
struct Best {
    best: Option<(u128, usize)>,
    second: Option<(u128, usize)>,
}

/// Scratch kept between ticks.
#[derive(Default)]
pub(crate) struct BatchScratch {
    tasks: Vec<BatchTask>,
    workers: Vec<BatchWorker>,
    /// Predicted run time and its uncertainty of task `t` on worker `w` at `t * workers + w`; `None` if
    /// not eligible.
    run_ns: Vec<Option<(u64, u64)>>,
    best: Vec<Best>,
    placed: Vec<bool>,
    classes: Vec<ClassId>,
    /// The candidate workers' slots, ascending.
    slots: Vec<u32>,
}

/// Gathers a batch starting with `first` (already popped from the tick's heap), weighs it, places what
/// fits, and returns the placements made.
pub(super) fn place_batch(pool: &mut Pool, scratch: &mut Scratch, first: ClassId, budget: u32) -> u32 {
    let batch = &mut scratch.batch;
    gather(pool, &mut scratch.active, batch, first);
    if batch.tasks.is_empty() {
        if batch.slots.is_empty() {
            // No worker has room for any of these classes: they wait, at no cost per tick, until one
            // of their workers gains room.
            for &class in &batch.classes {
                block(&mut pool.classes.classes[class.index()]);
            }
        }
        return 0;
    }
    weigh(pool, batch, &mut scratch.lanes);
    let decisions = match pool.config.policy {
        PolicyName::MinMin => decide(pool, batch, budget, Rule::MinMin).0,
        PolicyName::MaxMin => decide(pool, batch, budget, Rule::MaxMin).0,
        PolicyName::Sufferage => decide(pool, batch, budget, Rule::Sufferage).0,
        // Composite and its variants: when the batch is a static mapping (at least
        // `STATIC_MAPPING_TASKS_PER_WORKER` tasks per eligible worker, so run queues form), weigh it
        // both ways and keep the mapping predicted to finish first (sufferage is better when a few
        // tasks have one good worker, min-min when many similar tasks compete). On online arrivals
        // the predicted end of a batch says little, and sufferage alone measured best
        // (ARCHITECTURE.md, Placement).
        _ if (batch.tasks.len() as u64) < STATIC_MAPPING_TASKS_PER_WORKER * eligible_workers(pool, batch) => {
            decide(pool, batch, budget, Rule::Sufferage).0
        }
        _ => {
            let workers = batch.workers.clone();
            let (sufferage, sufferage_end) = decide(pool, batch, budget, Rule::Sufferage);
            let filled = std::mem::replace(&mut batch.workers, workers);
            let (min_min, min_min_end) = decide(pool, batch, budget, Rule::MinMin);
            if (min_min_end, std::cmp::Reverse(min_min.len())) < (sufferage_end, std::cmp::Reverse(sufferage.len())) {
                min_min
            } else {
                batch.workers = filled;
                sufferage
            }
        }
    };
    batch.placed.clear();
    batch.placed.resize(batch.tasks.len(), false);
    for &(task, _, _) in &decisions {
        batch.placed[task] = true;
    }
    for &(task, slot, devices) in &decisions {
        pool.place(batch.tasks[task].queued.entity, slot, devices, PlacementMethod::Batch);
    }
    // Tasks left over go back to the front of their queues, in the order they came out.
    for (index, task) in batch.tasks.iter().enumerate().rev() {
        if !batch.placed[index] {
            pool.classes.classes[task.class.index()].pending.push_front(task.priority, task.queued);
        }
    }
    for &class in &batch.classes {
        let left_over = batch.tasks.iter().zip(&batch.placed).any(|(task, placed)| task.class == class && !placed);
        if left_over {
            let classes = &mut *pool.classes;
            let requirements = classes.classes[class.index()].key.requirements;
            if classes.requirement_sets[requirements.index()].eligible.is_empty() {
                classes.emptied.push(requirements);
            }
            block(&mut classes.classes[class.index()]);
        } else {
            requeue_class(pool, &mut scratch.active, class);
        }
    }
    decisions.len() as u32
}

/// Pops the batch: the heads of `first` and of every other batch class whose head has the same
/// priority, in urgency order, up to `batch_tasks_max` tasks.
fn gather(
    pool: &mut Pool,
    active: &mut std::collections::BinaryHeap<super::ClassOrder>,
    batch: &mut BatchScratch,
    first: ClassId,
) {
    let now = pool.now();
    let aging_step_ns = pool.config.priority_aging_ms.saturating_mul(1_000_000);
    let tasks_max = pool.config.batch_tasks_max as usize;
    batch.tasks.clear();
    batch.classes.clear();
    let Some(level) = pool.classes.classes[first.index()].pending.head(now, aging_step_ns).map(|head| head.level)
    else {
        return;
    };
    batch.classes.push(first);
    // Join every other batch class whose head is at the same priority level.
    while let Some(&(_, std::cmp::Reverse(index))) = active.peek() {
        let class = ClassId(index);
        let head = pool.classes.classes[class.index()].pending.head(now, aging_step_ns);
        let eligible =
            pool.classes.requirement_set(pool.classes.classes[class.index()].key.requirements).eligible.len();
        let same = head.is_some_and(|head| head.level == level)
            && super::method(
                pool.config.policy,
                eligible,
                pool.config.exact_scan_workers_max,
                pool.config.batch_assignment,
            ) == PlacementMethod::Batch;
        if !same {
            break;
        }
        active.pop();
        batch.classes.push(class);
    }
    // The candidate workers: those with room now for a task of one of the classes.
    list_candidates(pool, &batch.classes, &mut batch.slots);
    let mut claimed_keys: Vec<Symbol> = Vec::new();
    let mut open: Vec<bool> = vec![true; batch.classes.len()];
    while batch.tasks.len() < tasks_max {
        // The most urgent head among the open classes.
        let mut next: Option<(usize, ballast_components::queue::Head)> = None;
        for (position, &class) in batch.classes.iter().enumerate() {
            if !open[position] {
                continue;
            }
            match pool.classes.classes[class.index()].pending.head(now, aging_step_ns) {
                Some(head) if head.level == level => {
                    if next.is_none_or(|(_, best)| head.order() > best.order()) {
                        next = Some((position, head));
                    }
                }
                _ => open[position] = false,
            }
        }
        let Some((position, head)) = next else { break };
        let class = batch.classes[position];
        let queued = pool.classes.classes[class.index()].pending.pop(head.level).expect("the head exists");
        let (key, priority) = match pool.tasks.get(queued.entity) {
            Ok(data) if data.lifecycle.state == TaskState::Pending && data.lifecycle.queued => {
                (data.task.concurrency_key, data.task.priority)
            }
            _ => continue, // cancelled or already placed: dropped
        };
        if let Some(key) = key {
            if claimed_keys.contains(&key) {
                // Another task of this batch has the key: this one waits in its queue for a later tick.
                pool.classes.classes[class.index()].pending.push_front(priority, queued);
                open[position] = false;
                continue;
            }
            let state = pool.keys.keys.entry(key).or_default();
            if state.holder.is_some() {
                state.waiting.push_back(queued.entity);
                continue;
            }
            claimed_keys.push(key);
        }
        batch.tasks.push(BatchTask { queued, class, priority });
    }
}

/// Lists in `slots` the schedulable workers with a free seat that have room for a task of at least one
/// of `classes` now (a worker with a free slot but not the GPU or memory a class needs is no candidate),
/// and returns their free seats.
fn list_candidates(pool: &Pool, classes: &[ClassId], slots: &mut Vec<u32>) -> u64 {
    let open = &pool.index.has_free_slot & &pool.index.schedulable;
    let mut listed = roaring::RoaringBitmap::new();
    let mut seats = 0u64;
    let mut consider = |slot: u32, set: &RequirementSet| {
        if listed.contains(slot) {
            return;
        }
        let Some(worker) = pool.directory.worker_in(WorkerSlot(slot)).and_then(|entity| pool.workers.get(entity).ok())
        else {
            return;
        };
        let requirements = &set.requirements;
        if worker.load.fit(worker.capabilities, &requirements.demand, &requirements.gpu_models).is_some() {
            listed.insert(slot);
            seats += u64::from(worker.load.seats(worker.capabilities).saturating_sub(worker.load.slots_used));
        }
    };
    for &class in classes {
        let set = class_set(pool, class);
        let candidates = &pool.classes.classes[class.index()].candidates;
        if candidates.all_skipped() {
            // Every shape had no room at the last look: only the workers that gained room since can.
            for &slot in &candidates.inbox {
                if open.contains(slot.0) && set.eligible.contains(slot.0) {
                    consider(slot.0, set);
                }
            }
        } else if open.len() < set.eligible.len() {
            // Walk the smaller of the two sets and test the other.
            open.iter().filter(|&slot| set.eligible.contains(slot)).for_each(|slot| consider(slot, set));
        } else {
            set.eligible.iter().filter(|&slot| open.contains(slot)).for_each(|slot| consider(slot, set));
        }
    }
    slots.clear();
    slots.extend(listed.iter());
    seats
}

/// Lists the candidate workers and predicts every task's run time on each.
fn weigh(pool: &Pool, batch: &mut BatchScratch, lanes: &mut Vec<u64>) {
    let context = context(pool);
    batch.workers.clear();
    for &slot in &batch.slots {
        let slot = WorkerSlot(slot);
        let entity = context.directory.worker_in(slot).expect("a listed worker is live");
        let worker = context.workers.get(entity).expect("a listed worker is live");
        context.ready_ns(slot, lanes);
        let mut worker_lanes = if worker.tasks.tasks.len() < worker.capabilities.slots as usize {
            vec![0; worker.capabilities.slots.max(1) as usize]
        } else {
            lanes.clone()
        };
        worker_lanes.sort_unstable();
        batch.workers.push(BatchWorker { slot, load: worker.load.clone(), lanes: worker_lanes });
    }
    let worker_count = batch.workers.len();
    batch.run_ns.clear();
    batch.run_ns.resize(batch.tasks.len() * worker_count, None);
    for (task_index, task) in batch.tasks.iter().enumerate() {
        let set = class_set(pool, task.class);
        let facts = task_facts(pool, task, set);
        for (worker_index, worker) in batch.workers.iter().enumerate() {
            if !set.eligible.contains(worker.slot.0) {
                continue;
            }
            let Some(facts_worker) = worker_facts(&context, worker, &facts) else { continue };
            let prediction = predicted(&facts, &facts_worker);
            batch.run_ns[task_index * worker_count + worker_index] =
                Some((prediction.duration_ns, prediction.uncertainty_ns));
        }
    }
}

fn context<'a, 'w, 's>(pool: &'a Pool<'w, 's>) -> Context<'a, 'w, 's> {
    Context {
        policy: pool.config.policy,
        weights: pool.adaptive.weights_under(&pool.config),
        now: pool.clock.now,
        directory: &pool.directory,
        shapes: &pool.shapes,
        workers: &pool.workers,
        tasks: &pool.tasks,
        warm: &pool.warm,
    }
}

fn class_set<'a>(pool: &'a Pool, class: ClassId) -> &'a RequirementSet {
    pool.classes.requirement_set(pool.classes.classes[class.index()].key.requirements)
}

fn task_facts<'a>(pool: &'a Pool, task: &BatchTask, set: &'a RequirementSet) -> TaskFacts<'a> {
    let data = pool.tasks.get(task.queued.entity).expect("a gathered task is live");
    let key = pool.classes.classes[task.class.index()].key;
    TaskFacts {
        requirements: &set.requirements,
        family: key.family,
        model: data.task.model,
        test_type: data.task.test_type,
        priority: task.priority,
        priors: &pool.config.priors,
        scarcity: Scarcity::of(&pool.classes, key.requirements),
    }
}

fn worker_facts<'a>(context: &'a Context, worker: &'a BatchWorker, task: &TaskFacts) -> Option<WorkerFacts<'a>> {
    let entity = context.directory.worker_in(worker.slot)?;
    let data = context.workers.get(entity).ok()?;
    Some(WorkerFacts {
        capabilities: &context.shapes.shape(worker.slot).capabilities,
        load: &worker.load,
        history: data.history,
        shape: context.shapes.shape(worker.slot),
        ready_ns: worker.ready_ns(),
        warm: context.warm(task, worker.slot),
    })
}

/// A batch with at least this many tasks per eligible worker is a static mapping: run queues will
/// form, and the order of placement within it matters.
const STATIC_MAPPING_TASKS_PER_WORKER: u64 = 4;

/// The workers eligible for any class of the batch, whether they have room now or not.
fn eligible_workers(pool: &Pool, batch: &BatchScratch) -> u64 {
    let mut eligible = roaring::RoaringBitmap::new();
    for &class in &batch.classes {
        eligible |= &class_set(pool, class).eligible;
    }
    eligible.len()
}

/// Which task a batch places next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// The task whose best cost is lowest.
    MinMin,
    /// The task whose best cost is highest.
    MaxMin,
    /// The task that would lose most without its best worker.
    Sufferage,
}

/// Chooses which tasks go where, in placement order: (task index, slot, devices), and the predicted
/// time at which the last worker of the batch finishes, in nanoseconds from now.
fn decide(
    pool: &Pool,
    batch: &mut BatchScratch,
    budget: u32,
    rule: Rule,
) -> (Vec<(usize, WorkerSlot, DeviceMask)>, u64) {
    let context = context(pool);
    let policy = context.policy;
    let worker_count = batch.workers.len();
    let task_count = batch.tasks.len();
    batch.placed.clear();
    batch.placed.resize(task_count, false);
    batch.best.clear();
    batch.best.resize(task_count, Best::default());
    let mut decisions = Vec::new();
    // What the costs read, looked up once per batch rather than once per (task, worker) pair.
    let tasks: Vec<(TaskFacts, &[WorkerSlot])> = batch
        .tasks
        .iter()
        .map(|task| {
            let facts = task_facts(pool, task, class_set(pool, task.class));
            let warm = facts.model.map_or(&[][..], |model| context.warm.workers(model));
            (facts, warm)
        })
        .collect();
    let histories: Vec<Option<&History>> = batch
        .workers
        .iter()
        .map(|worker| {
            let entity = context.directory.worker_in(worker.slot)?;
            context.workers.get(entity).ok().map(|data| data.history)
        })
        .collect();
    // The cost of task `t` on worker `w` as the batch has filled it, with the devices, if it fits.
    let cost = |batch: &BatchScratch, t: usize, w: usize| -> Option<(u128, DeviceMask)> {
        let (run, uncertainty) = batch.run_ns[t * worker_count + w]?;
        let (facts, warm) = &tasks[t];
        let worker = &batch.workers[w];
        let shape = context.shapes.shape(worker.slot);
        let devices =
            worker.load.fit(&shape.capabilities, &facts.requirements.demand, &facts.requirements.gpu_models)?;
        let worker_facts = WorkerFacts {
            capabilities: &shape.capabilities,
            load: &worker.load,
            history: histories[w]?,
            shape,
            ready_ns: worker.ready_ns(),
            warm: warm.contains(&worker.slot),
        };
        let prediction = crate::predict::Prediction {
            duration_ns: run,
            uncertainty_ns: uncertainty,
            source: crate::predict::PredictionSource::Prior,
        };
        Some((exact_cost(policy, context.weights, facts, &worker_facts, prediction), devices))
    };
    let rescore = |batch: &BatchScratch, t: usize| -> Best {
        let mut best = Best::default();
        for w in 0..worker_count {
            let Some((cost, _)) = cost(batch, t, w) else { continue };
            if best.best.is_none_or(|(best_cost, _)| cost < best_cost) {
                best.second = best.best;
                best.best = Some((cost, w));
            } else if best.second.is_none_or(|(second_cost, _)| cost < second_cost) {
                best.second = Some((cost, w));
            }
        }
        best
    };
    // Tasks alike in everything a cost reads score alike: one re-scoring per group and step.
    let mut groups: rustc_hash::FxHashMap<(ClassId, Option<Symbol>, u8, u8), usize> = Default::default();
    let group: Vec<usize> = tasks
        .iter()
        .zip(&batch.tasks)
        .map(|((facts, _), task)| {
            let next = groups.len();
            *groups.entry((task.class, facts.model, facts.test_type as u8, task.priority)).or_insert(next)
        })
        .collect();
    let mut group_best: Vec<(usize, Best)> = vec![(usize::MAX, Best::default()); groups.len()];
    for (t, &g) in group.iter().enumerate() {
        if group_best[g].0 != 0 {
            group_best[g] = (0, rescore(batch, t));
        }
        batch.best[t] = group_best[g].1;
    }
    while (decisions.len() as u32) < budget {
        // Pick the task to place next by the policy's rule.
        let mut chosen: Option<(usize, u128, u128)> = None; // (task, key, best cost)
        for t in 0..task_count {
            if batch.placed[t] {
                continue;
            }
            let Some((best_cost, _)) = batch.best[t].best else { continue };
            let key = match rule {
                Rule::MinMin => u128::MAX - best_cost,
                Rule::MaxMin => best_cost,
                Rule::Sufferage => batch.best[t].second.map_or(u128::MAX, |(second, _)| second - best_cost),
            };
            let better = match chosen {
                None => true,
                Some((_, chosen_key, chosen_best)) => {
                    (key, std::cmp::Reverse(best_cost)) > (chosen_key, std::cmp::Reverse(chosen_best))
                }
            };
            if better {
                chosen = Some((t, key, best_cost));
            }
        }
        let Some((t, _, _)) = chosen else { break };
        let (_, w) = batch.best[t].best.expect("chosen tasks have a best");
        let (_, devices) = cost(batch, t, w).expect("the best worker fits");
        // Fill the worker: its load, and the slot lane the task takes.
        let set = class_set(pool, batch.tasks[t].class);
        let worker = &mut batch.workers[w];
        let capabilities = &context.shapes.shape(worker.slot).capabilities;
        worker.load.reserve(capabilities, &set.requirements.demand, devices);
        let (run, _) = batch.run_ns[t * worker_count + w].expect("eligible");
        if let Some(lane) = worker.lanes.iter_mut().min() {
            *lane += run;
        }
        batch.placed[t] = true;
        decisions.push((t, worker.slot, devices));
        // Only tasks that counted on this worker need a new look (once per group of alike tasks).
        let step = decisions.len();
        for (other, &g) in group.iter().enumerate() {
            if batch.placed[other] {
                continue;
            }
            let touched = batch.best[other].best.is_some_and(|(_, best)| best == w)
                || batch.best[other].second.is_some_and(|(_, second)| second == w);
            if touched {
                if group_best[g].0 != step {
                    group_best[g] = (step, rescore(batch, other));
                }
                batch.best[other] = group_best[g].1;
            }
        }
    }
    let end = batch.workers.iter().filter_map(|worker| worker.lanes.iter().copied().max()).max().unwrap_or(0);
    (decisions, end)
}

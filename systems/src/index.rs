//! Stage 4, index: brings shapes, requirement sets and classes up to date before matching.
//!
//! Reads and writes: the [`Pool`]. In order:
//! 1. newly registered workers: a new shape is linked to every requirement set it meets (and to their
//!    classes); the worker joins the eligible sets of its shape's requirement sets and is listed at
//!    its level, which notes it in the inbox of blocked classes that may use it;
//! 2. admitted tasks get their class (requirement set × family); a new requirement set is linked to
//!    every shape that meets it; a task whose set has no eligible worker is unschedulable, the others
//!    join their class queue;
//! 3. requirement sets whose last eligible worker left make their pending tasks unschedulable.
//!
//! Before all that, classes re-score their shapes: every shape, at most four times a second, when a
//! requirement set's pressure moved (scarcity charges, see [`crate::scarcity`]); else the shapes whose
//! history changed, at most once every ten seconds.

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use ballast_components::class::{Candidates, ClassKey, RequirementSet};
use ballast_components::clock::Timestamp;
use ballast_components::config::PolicyName;
use ballast_components::ids::{ClassId, RequirementsId};
use ballast_components::message::{Event, Explanation};
use ballast_components::shape::{Shape, ShapeId};
use ballast_components::task::TaskState;

use crate::explain::{RequirementCounts, count_exclusions, meets_requirements};
use crate::policy::scored_shape;
use crate::pool::Pool;

/// The index stage.
pub fn index_tasks_and_workers(
    mut pool: Pool,
    mut exclusions: Local<FxHashMap<RequirementsId, RequirementCounts>>,
    mut last_rescore: Local<(Timestamp, Timestamp)>,
) {
    exclusions.clear();
    let (history_at, pressure_at) = &mut *last_rescore;
    if !rescore_for_pressure(&mut pool, pressure_at) {
        rescore_classes(&mut pool, history_at);
    }
    list_registered_workers(&mut pool);
    classify_admitted_tasks(&mut pool, &mut exclusions);
    strand_orphaned_tasks(&mut pool, &mut exclusions);
}

fn list_registered_workers(pool: &mut Pool) {
    let registered = std::mem::take(&mut pool.worker_work.registered);
    for &entity in &registered {
        if !pool.is_live_worker(entity) {
            continue;
        }
        let worker = pool.workers.get(entity).expect("a live worker");
        let slot = worker.worker.slot;
        let draining = worker.health.draining;
        let shape = pool.shapes.shape_of[slot.index()];
        if !pool.shapes.shapes[shape.index()].linked {
            link_shape(pool, shape);
        }
        if !draining {
            let classes = &mut *pool.classes;
            for &requirements in &pool.shapes.shapes[shape.index()].requirement_sets {
                classes.requirement_sets[requirements.index()].eligible.insert(slot.0);
            }
        }
        pool.relevel(entity, true);
    }
    let mut registered = registered;
    registered.clear();
    pool.worker_work.registered = registered;
}

/// Links a new shape to every indexed requirement set it meets, and to their classes.
fn link_shape(pool: &mut Pool, shape: ShapeId) {
    let (policy, weights) = (pool.config.policy, pool.adaptive.weights_under(&pool.config));
    let classes = &mut *pool.classes;
    let shape_data = &mut pool.shapes.shapes[shape.index()];
    for (index, set) in classes.requirement_sets.iter_mut().enumerate() {
        if !set.indexed || !meets_requirements(&shape_data.capabilities, &set.requirements) {
            continue;
        }
        set.shapes.push(shape);
        shape_data.requirement_sets.push(RequirementsId(index as u32));
        for &class in &set.classes {
            let family = classes.classes[class.index()].key.family;
            // Scarcity charges follow at the next pressure re-score (the shape's sets are being listed).
            let scored =
                scored_shape(policy, weights, &pool.config.priors, (&set.requirements, 0), family, shape, shape_data);
            classes.classes[class.index()].candidates.add_shape(scored);
            shape_data.classes.push(class);
        }
    }
    shape_data.linked = true;
    if classes.pressured_sets > 0 {
        classes.pressure_changed = true;
    }
}

/// The scarcity charge of a task of the set `own` on an idle worker of `shape` (see
/// [`crate::scarcity`]).
fn idle_charge(sets: &[RequirementSet], pressured: bool, own: RequirementsId, shape: &mut Shape) -> u32 {
    if !pressured {
        return 0;
    }
    if shape.idle_blocks.len() <= own.index() {
        shape.idle_blocks.resize(own.index() + 1, None);
    }
    let weighed = shape.requirement_sets.len();
    let entry = &mut shape.idle_blocks[own.index()];
    let blocks = match entry {
        Some(blocks) if blocks.sets_weighed == weighed => blocks,
        _ => entry.insert(crate::scarcity::idle_blocks(sets, own, &shape.requirement_sets, &shape.capabilities)),
    };
    crate::scarcity::idle_eighths(sets, own, blocks)
}

/// Re-scores every class's shapes when a requirement set's pressure moved, at most once per
/// `PRESSURE_RESCORE_INTERVAL_NS` of engine time: scarcity charges follow the pressure, and history
/// is taken in at the same time. Whether it re-scored.
fn rescore_for_pressure(pool: &mut Pool, last_rescore: &mut Timestamp) -> bool {
    let now = pool.now();
    if !pool.classes.pressure_changed || now.since(*last_rescore) < PRESSURE_RESCORE_INTERVAL_NS {
        return false;
    }
    *last_rescore = now;
    let (policy, weights) = (pool.config.policy, pool.adaptive.weights_under(&pool.config));
    let classes = &mut *pool.classes;
    classes.pressure_changed = false;
    let pressured = classes.pressured_sets > 0;
    // A cost is a function of the charge, the shape's history and the weights: where neither the
    // charge nor the history moved, it stands (the adaptive policy's weights move, so it re-scores all).
    let weights_fixed = policy != PolicyName::Adaptive;
    // By requirement set: the charge on a shape is the set's, whichever class of it is placed.
    for (index, set) in classes.requirement_sets.iter().enumerate() {
        if set.classes.is_empty() {
            continue;
        }
        for &shape_id in &set.shapes {
            let shape = &mut pool.shapes.shapes[shape_id.index()];
            let charge = idle_charge(&classes.requirement_sets, pressured, RequirementsId(index as u32), shape);
            for &class_id in &set.classes {
                let class = &mut classes.classes[class_id.index()];
                if weights_fixed && !shape.history_changed && class.candidates.costs.charge(shape_id) == Some(charge) {
                    continue;
                }
                class.candidates.add_shape(scored_shape(
                    policy,
                    weights,
                    &pool.config.priors,
                    (&set.requirements, charge),
                    class.key.family,
                    shape_id,
                    shape,
                ));
            }
        }
    }
    for shape_id in std::mem::take(&mut pool.shapes.history_changed) {
        pool.shapes.shapes[shape_id.index()].history_changed = false;
    }
    true
}

/// How often shape costs may follow pressure: a quarter of a second of engine time (pressure moves in
/// eighths and fades over seconds; a re-score costs one cost computation per class and shape).
const PRESSURE_RESCORE_INTERVAL_NS: u64 = 250_000_000;

/// Recomputes the static costs of the shapes whose history changed, for every class that may use them,
/// at most once per `RESCORE_INTERVAL_NS` of engine time. A shape whose cost did not change (costs are
/// rounded, so small drifts do not) stays in its tier.
fn rescore_classes(pool: &mut Pool, last_rescore: &mut Timestamp) {
    let now = pool.now();
    if pool.shapes.history_changed.is_empty() || now.since(*last_rescore) < RESCORE_INTERVAL_NS {
        return;
    }
    *last_rescore = now;
    let (policy, weights) = (pool.config.policy, pool.adaptive.weights_under(&pool.config));
    let changed = std::mem::take(&mut pool.shapes.history_changed);
    let classes = &mut *pool.classes;
    let pressured = classes.pressured_sets > 0;
    for &shape_id in &changed {
        let shape = &mut pool.shapes.shapes[shape_id.index()];
        shape.history_changed = false;
        for position in 0..shape.classes.len() {
            let class_id = shape.classes[position];
            let requirements = classes.classes[class_id.index()].key.requirements;
            let charge = idle_charge(&classes.requirement_sets, pressured, requirements, shape);
            let class = &mut classes.classes[class_id.index()];
            let set = &classes.requirement_sets[requirements.index()];
            class.candidates.add_shape(scored_shape(
                policy,
                weights,
                &pool.config.priors,
                (&set.requirements, charge),
                class.key.family,
                shape_id,
                shape,
            ));
        }
    }
    let mut changed = changed;
    changed.clear();
    pool.shapes.history_changed = changed;
}

/// How often static shape costs follow history. History moves slowly (an eighth of the way per sample)
/// and a re-score costs one cost computation per class and changed shape; ten seconds measured about
/// 1% of engine time on the default simulation, one second 8%.
const RESCORE_INTERVAL_NS: u64 = 10_000_000_000;

/// Links a new requirement set to every shape that meets it, and computes its eligible workers.
fn index_requirement_set(pool: &mut Pool, requirements: RequirementsId) {
    let classes = &mut *pool.classes;
    let set = &mut classes.requirement_sets[requirements.index()];
    for (index, shape) in pool.shapes.shapes.iter_mut().enumerate() {
        if shape.linked && meets_requirements(&shape.capabilities, &set.requirements) {
            set.shapes.push(ShapeId(index as u32));
            shape.requirement_sets.push(requirements);
            set.eligible |= &shape.workers;
        }
    }
    set.eligible -= &pool.index.draining;
    set.indexed = true;
}

/// The class of `key`, created with its candidate shapes on first use.
fn class_of(pool: &mut Pool, key: ClassKey) -> ClassId {
    if let Some(class) = pool.classes.class_id(key) {
        return class;
    }
    let (policy, weights) = (pool.config.policy, pool.adaptive.weights_under(&pool.config));
    let set = &pool.classes.requirement_sets[key.requirements.index()];
    let pressured = pool.classes.pressured_sets > 0;
    let mut candidates = Candidates::default();
    for &shape in &set.shapes {
        let shape_data = &mut pool.shapes.shapes[shape.index()];
        let charge = idle_charge(&pool.classes.requirement_sets, pressured, key.requirements, shape_data);
        candidates.add_shape(scored_shape(
            policy,
            weights,
            &pool.config.priors,
            (&set.requirements, charge),
            key.family,
            shape,
            shape_data,
        ));
    }
    let shapes: Vec<ShapeId> = set.shapes.clone();
    let class = pool.classes.create_class(key, candidates);
    for shape in shapes {
        pool.shapes.shapes[shape.index()].classes.push(class);
    }
    class
}

fn classify_admitted_tasks(pool: &mut Pool, exclusions: &mut FxHashMap<RequirementsId, RequirementCounts>) {
    let admitted = std::mem::take(&mut pool.task_work.admitted);
    for &entity in &admitted {
        let Ok(data) = pool.tasks.get(entity) else {
            continue;
        };
        if data.lifecycle.state != TaskState::Pending {
            continue;
        }
        let requirements = data.task.requirements;
        let family = data.profile.family;
        if !pool.classes.requirement_sets[requirements.index()].indexed {
            index_requirement_set(pool, requirements);
        }
        let class = class_of(pool, ClassKey { requirements, family });
        pool.classes.requirement_sets[requirements.index()].admitted += 1;
        pool.classes.admitted_total += 1;
        pool.tasks.get_mut(entity).expect("checked above").profile.class = Some(class);
        if pool.classes.requirement_sets[requirements.index()].eligible.is_empty() {
            declare_unschedulable(pool, exclusions, entity);
        } else {
            pool.enqueue(entity, false);
        }
    }
    let mut admitted = admitted;
    admitted.clear();
    pool.task_work.admitted = admitted;
}

fn strand_orphaned_tasks(pool: &mut Pool, exclusions: &mut FxHashMap<RequirementsId, RequirementCounts>) {
    let mut emptied = std::mem::take(&mut pool.classes.emptied);
    emptied.sort_unstable();
    emptied.dedup();
    let now = pool.now();
    for &requirements in &emptied {
        let set = &pool.classes.requirement_sets[requirements.index()];
        if !set.eligible.is_empty() {
            continue;
        }
        for position in 0..set.classes.len() {
            let class = pool.classes.requirement_sets[requirements.index()].classes[position];
            loop {
                let pending = &mut pool.classes.classes[class.index()].pending;
                let Some(head) = pending.head(now, 0) else {
                    break;
                };
                let queued = pending.pop(head.level).expect("the head exists");
                let live = pool
                    .tasks
                    .get(queued.entity)
                    .is_ok_and(|data| data.lifecycle.state == TaskState::Pending && data.lifecycle.queued);
                if live {
                    declare_unschedulable(pool, exclusions, queued.entity);
                }
            }
        }
    }
    emptied.clear();
    pool.classes.emptied = emptied;
}

/// Ends a pending task as unschedulable, explaining which requirements excluded which workers.
fn declare_unschedulable(
    pool: &mut Pool,
    exclusions: &mut FxHashMap<RequirementsId, RequirementCounts>,
    entity: Entity,
) {
    let data = pool.tasks.get(entity).expect("a live task");
    let task = data.task.id;
    let requirements = data.task.requirements;
    let counts = exclusions.entry(requirements).or_insert_with(|| {
        count_exclusions(
            &pool.classes.requirement_sets[requirements.index()].requirements,
            &pool.symbols,
            pool.workers
                .iter()
                .filter(|worker| pool.directory.workers.get(&worker.worker.id) == Some(&worker.entity))
                .map(|worker| (worker.capabilities, worker.health)),
        )
    });
    let explanation = Explanation {
        task,
        state: TaskState::Unschedulable,
        workers_registered: counts.workers_registered,
        filters: counts.filters.clone(),
        eligible: 0,
        unhealthy: 0,
        busy: 0,
        available: 0,
        waiting_for_key: None,
        queued_ahead: None,
        placement: None,
    };
    pool.finish(
        entity,
        TaskState::Unschedulable,
        Event::TaskUnschedulable { task, explanation: Box::new(explanation) },
    );
}

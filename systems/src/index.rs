//! Stage 4, index: brings the requirement classes up to date before matching.
//!
//! Reads and writes: the [`Pool`]. In order:
//! 1. newly registered workers join the eligible sets of the requirement sets they meet;
//! 2. admitted tasks get their class (requirement set × family); a new requirement set computes its
//!    eligible workers from the capability index; a task whose set has no eligible worker is
//!    unschedulable, the others join their class queue;
//! 3. requirement sets whose last eligible worker left make their pending tasks unschedulable;
//! 4. workers whose scores may have risen are pushed afresh into the candidate heaps of their classes.

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use ballast_components::class::ClassKey;
use ballast_components::ids::{RequirementsId, WorkerSlot};
use ballast_components::message::{Event, Explanation};
use ballast_components::task::TaskState;

use crate::explain::{RequirementCounts, count_exclusions, meets_requirements};
use crate::pool::Pool;

/// The index stage.
pub fn index_tasks_and_workers(mut pool: Pool, mut exclusions: Local<FxHashMap<RequirementsId, RequirementCounts>>) {
    exclusions.clear();
    join_requirement_sets(&mut pool);
    classify_admitted_tasks(&mut pool, &mut exclusions);
    strand_orphaned_tasks(&mut pool, &mut exclusions);
    push_freed_workers(&mut pool);
}

fn join_requirement_sets(pool: &mut Pool) {
    let registered = std::mem::take(&mut pool.worker_work.registered);
    for &entity in &registered {
        let Ok(worker) = pool.workers.get(entity) else {
            continue;
        };
        if worker.health.draining {
            continue;
        }
        let slot = worker.worker.slot;
        let classes = &mut *pool.classes;
        for (index, set) in classes.requirement_sets.iter_mut().enumerate() {
            if set.indexed && meets_requirements(worker.capabilities, &set.requirements) {
                set.eligible.insert(slot.0);
                classes.memberships[slot.index()].push(RequirementsId(index as u32));
            }
        }
        pool.worker_work.freed.push(slot);
    }
    let mut registered = registered;
    registered.clear();
    pool.worker_work.registered = registered;
}

/// Computes the eligible workers of a new requirement set.
fn index_requirement_set(pool: &mut Pool, requirements: RequirementsId) {
    let classes = &mut *pool.classes;
    let set = &mut classes.requirement_sets[requirements.index()];
    let candidates = pool.index.static_candidates(&set.requirements);
    for slot in candidates.iter() {
        let Some(entity) = pool.directory.worker_in(WorkerSlot(slot)) else {
            continue;
        };
        let Ok(worker) = pool.workers.get(entity) else {
            continue;
        };
        if !worker.health.draining && meets_requirements(worker.capabilities, &set.requirements) {
            set.eligible.insert(slot);
            classes.memberships[slot as usize].push(requirements);
        }
    }
    set.indexed = true;
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
        let class = pool.classes.class_of(ClassKey { requirements, family });
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
            pool.workers.iter().map(|worker| (worker.capabilities, worker.health)),
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
    };
    pool.finish(
        entity,
        TaskState::Unschedulable,
        Event::TaskUnschedulable { task, explanation: Box::new(explanation) },
    );
}

fn push_freed_workers(pool: &mut Pool) {
    let mut freed = std::mem::take(&mut pool.worker_work.freed);
    freed.sort_unstable();
    freed.dedup();
    for &slot in &freed {
        let schedulable = pool
            .directory
            .worker_in(slot)
            .and_then(|entity| pool.workers.get(entity).ok())
            .is_some_and(|worker| worker.health.schedulable());
        if !schedulable {
            continue;
        }
        let classes = &mut *pool.classes;
        for &requirements in &classes.memberships[slot.index()] {
            let set = &classes.requirement_sets[requirements.index()];
            let eligible_len = set.eligible.len() as usize;
            for &class in &set.classes {
                classes.classes[class.index()].candidates.note_freed(slot, eligible_len);
            }
        }
    }
    freed.clear();
    pool.worker_work.freed = freed;
}

//! Stage 6, steal: idle workers take queued tasks from overloaded ones (work stealing).
//!
//! Reads and writes: the [`Pool`]. Runs after matching, so a worker still idle here found nothing
//! pending it could run. Costs nothing unless some worker may hold a run queue (`prefetch_max` > 0)
//! and `stealing` is on.
//!
//! # Which task, for whom
//! A *thief* is a schedulable worker with a slot that nothing will fill (fewer tasks placed than
//! slots). A *victim* holds tasks waiting behind its busy slots: assigned, not started, and predicted
//! to start only after one of its running tasks ends (list scheduling of its tasks' predictions, as
//! [`crate::pool::ready_ns`]). For each thief, in slot order, the stage weighs the waiting tasks of
//! every victim, highest priority first, then latest predicted end, and recalls the one whose move
//! gains the most. A move must:
//! - never break a requirement: the thief is eligible for the task's requirement set and has room;
//! - pay for itself: the task's predicted end on the thief (now + `steal_migration_ms` + a
//!   `steal_cold_start_ms` when its model has not run there lately + its predicted run there) is
//!   earlier than on the victim by at least `steal_gain_min_permille` of its run time (the
//!   hysteresis band), which also keeps warm models together;
//! - not undo a recent one: a task that moved stays put for `steal_hysteresis_ms`.
//!
//! The stage looks once per `steal_interval_ms` of engine time (it weighs every waiting task of every
//! victim). A thief gets at most `steal_batch_max` tasks a scan and no more than it has free slots (counting
//! the recalls already meant for it). With `prediction`, a full worker with nothing queued whose
//! soonest running task is predicted to end before a move would arrive (`steal_migration_ms`) is a
//! thief for one task too: the move is under way while its slot frees (proactive rebalancing).
//!
//! # Protocol: a move is one step, and only when the victim agrees
//! 1. The stage records a recall and emits [`Event::TaskRecalled`]: the task *stays on the victim*
//!    (its reservation, its place in the victim's task list) until the victim answers.
//! 2. If the victim's worker has not started the task, it drops it from its run queue and answers
//!    [`Command::TaskReleased`]. In that one step the engine releases the task from the victim and
//!    places it on the thief ([`Event::TaskMigrated`]), or, if the thief is gone, full, unschedulable
//!    or no longer has a free slot, puts it at the front of its class queue
//!    ([`Event::TaskRequeued`] with `Released`), where the match stage places it again.
//! 3. If the worker had started it, it runs there: its [`Command::TaskStarted`] ends the recall, and a
//!    later `TaskReleased` is refused (`AlreadyStarted`). A worker runs only the tasks the engine has
//!    on it, so nothing runs twice.
//! 4. If the victim is lost first, its tasks are requeued as usual, the recall with them; a late
//!    `TaskReleased` is refused (`NotOnWorker`). If the thief is lost first, step 2 finds it gone.
//!    An unanswered recall is forgotten after `steal_recall_timeout_ms` (the task stays).
//!
//! So at every instant a live task is on exactly one worker or in its class queue. A move is not an
//! attempt: it does not count against `attempts_max` ([`Lifecycle::attempts_used`]).
//!
//! [`Event::TaskRecalled`]: ballast_components::message::Event::TaskRecalled
//! [`Event::TaskMigrated`]: ballast_components::message::Event::TaskMigrated
//! [`Event::TaskRequeued`]: ballast_components::message::Event::TaskRequeued
//! [`Command::TaskReleased`]: ballast_components::message::Command::TaskReleased
//! [`Command::TaskStarted`]: ballast_components::message::Command::TaskStarted
//! [`Lifecycle::attempts_used`]: ballast_components::task::Lifecycle::attempts_used

use bevy_ecs::prelude::*;

use ballast_components::clock::Timestamp;
use ballast_components::ids::{WorkerId, WorkerSlot};
use ballast_components::task::TaskState;
use ballast_components::worker::Load;

use crate::pool::Pool;

/// The most waiting tasks weighed per tick, and per thief.
const CANDIDATES_MAX: usize = 4_096;
const CANDIDATES_PER_THIEF_MAX: usize = 256;

/// A task waiting in a victim's run queue.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    /// The task.
    pub task: Entity,
    /// Its priority.
    pub priority: u8,
    /// Predicted nanoseconds from now until it ends on the victim.
    pub end_on_victim_ns: u64,
    /// Its predicted run time on the victim, in nanoseconds.
    pub run_on_victim_ns: u64,
    /// Admission order, for ties.
    pub task_id: u64,
    /// Taken by a thief this tick.
    pub taken: bool,
}

/// Whether moving a task pays: its predicted end on the thief (`end_on_thief_ns` from now, migration
/// and cold start included) is earlier than on the victim by at least `gain_min_permille` of its run
/// time. Returns the gain in nanoseconds.
pub fn steal_gain_ns(
    end_on_victim_ns: u64,
    run_on_victim_ns: u64,
    end_on_thief_ns: u64,
    gain_min_permille: u32,
) -> Option<u64> {
    let gain = end_on_victim_ns.checked_sub(end_on_thief_ns)?;
    let band = run_on_victim_ns.saturating_mul(u64::from(gain_min_permille)) / 1_000;
    (gain > 0 && gain >= band).then_some(gain)
}

/// Scratch kept between ticks.
#[derive(Default)]
pub struct StealScratch {
    /// Thieves: slot, entity, how many tasks they may take, and in how long they can start one.
    thieves: Vec<(WorkerSlot, Entity, u32, u64)>,
    victims: Vec<Entity>,
    candidates: Vec<Candidate>,
    lanes: Vec<u64>,
}

/// The steal stage.
pub fn steal_work(mut pool: Pool, mut scratch: Local<StealScratch>) {
    if !pool.config.stealing || pool.config.prefetch_max == 0 {
        return;
    }
    let now = pool.now();
    if now < pool.recalls.next_scan_at {
        return;
    }
    pool.recalls.next_scan_at = now.plus_ns(pool.config.steal_interval_ms.saturating_mul(1_000_000));
    let timeout_ns = pool.config.steal_recall_timeout_ms.saturating_mul(1_000_000);
    pool.recalls.by_task.retain(|_, recall| now.since(recall.at) < timeout_ns);
    let scratch = &mut *scratch;
    scratch.thieves.clear();
    scratch.victims.clear();
    let prediction = pool.config.prediction;
    let soon_ns = pool.config.steal_migration_ms.saturating_mul(1_000_000);
    for worker in pool.workers.iter() {
        let slots = worker.capabilities.slots;
        let used = worker.load.slots_used;
        if used > slots {
            scratch.victims.push(worker.entity);
        } else if !worker.health.schedulable() {
            continue;
        } else if used < slots {
            scratch.thieves.push((worker.worker.slot, worker.entity, slots - used, 0));
        } else if prediction && used > 0 && worker.load.has_seat(worker.capabilities) {
            // Proactive: full, nothing queued, and predicted to free a slot before a move would arrive.
            let soonest = worker
                .tasks
                .tasks
                .iter()
                .filter_map(|&task| pool.tasks.get(task).ok())
                .filter(|data| data.lifecycle.state == TaskState::Running)
                .map(|data| data.lifecycle.predicted_ns.saturating_sub(now.since(data.lifecycle.state_since)))
                .min();
            if let Some(ready_ns) = soonest.filter(|&ready_ns| ready_ns <= soon_ns) {
                scratch.thieves.push((worker.worker.slot, worker.entity, 1, ready_ns));
            }
        }
    }
    if scratch.thieves.is_empty() || scratch.victims.is_empty() {
        return;
    }
    scratch.thieves.sort_unstable_by_key(|&(slot, ..)| slot);
    gather_candidates(&pool, now, scratch);
    if scratch.candidates.is_empty() {
        return;
    }
    let thieves = std::mem::take(&mut scratch.thieves);
    for &(_, thief, free, ready_ns) in &thieves {
        steal_for(&mut pool, thief, free, ready_ns, &mut scratch.candidates);
    }
    scratch.thieves = thieves;
}

/// Lists the waiting tasks of every victim with their predicted end there, best to steal first.
fn gather_candidates(pool: &Pool, now: Timestamp, scratch: &mut StealScratch) {
    let hysteresis_ns = pool.config.steal_hysteresis_ms.saturating_mul(1_000_000);
    scratch.candidates.clear();
    for &victim in &scratch.victims {
        let Ok(worker) = pool.workers.get(victim) else { continue };
        let slots = worker.capabilities.slots.max(1) as usize;
        let lanes = &mut scratch.lanes;
        lanes.clear();
        lanes.resize(slots, 0);
        let placed =
            || worker.tasks.tasks.iter().filter_map(|&task| pool.tasks.get(task).ok().map(|data| (task, data)));
        for (_, data) in placed().filter(|(_, data)| data.lifecycle.state == TaskState::Running) {
            let lifecycle = data.lifecycle;
            let elapsed = now.since(lifecycle.state_since);
            let remaining = lifecycle.predicted_ns.saturating_sub(elapsed).max(lifecycle.predicted_ns / 2);
            let lane = lanes.iter_mut().min().expect("at least one slot");
            *lane = (*lane).max(remaining);
        }
        for (task, data) in placed().filter(|(_, data)| data.lifecycle.state == TaskState::Assigned) {
            let lifecycle = data.lifecycle;
            let lane = lanes.iter_mut().min().expect("at least one slot");
            let start_ns = *lane;
            *lane += lifecycle.predicted_ns;
            let moved_lately = lifecycle.migrated_at.is_some_and(|at| now.since(at) < hysteresis_ns);
            if start_ns == 0 || moved_lately || pool.recalls.by_task.contains_key(&task) {
                continue; // it starts as soon as its worker sees it, or it may not move now
            }
            scratch.candidates.push(Candidate {
                task,
                priority: data.task.priority,
                end_on_victim_ns: start_ns + lifecycle.predicted_ns,
                run_on_victim_ns: lifecycle.predicted_ns,
                task_id: data.task.id.0,
                taken: false,
            });
        }
    }
    scratch.candidates.sort_unstable_by(|a, b| {
        b.priority.cmp(&a.priority).then(b.end_on_victim_ns.cmp(&a.end_on_victim_ns)).then(a.task_id.cmp(&b.task_id))
    });
    scratch.candidates.truncate(CANDIDATES_MAX);
}

/// Recalls for one thief (`free` tasks it may take, the first of which it can start in `ready_ns`) the
/// waiting tasks whose move gains the most, up to its budget.
fn steal_for(pool: &mut Pool, thief: Entity, free: u32, ready_ns: u64, candidates: &mut [Candidate]) {
    let config = &pool.config;
    let (migration_ns, cold_ns) =
        (config.steal_migration_ms.saturating_mul(1_000_000), config.steal_cold_start_ms.saturating_mul(1_000_000));
    let gain_min_permille = config.steal_gain_min_permille;
    let (thief_id, slot, mut load, budget): (WorkerId, WorkerSlot, Load, u32) = {
        let Ok(worker) = pool.workers.get(thief) else { return };
        let incoming = pool.recalls.incoming(worker.worker.id);
        let budget = free.saturating_sub(incoming).min(config.steal_batch_max);
        (worker.worker.id, worker.worker.slot, worker.load.clone(), budget)
    };
    for _ in 0..budget {
        let mut best: Option<(u8, u64, usize)> = None;
        let worker = pool.workers.get(thief).expect("a thief is live");
        let shape = pool.shapes.shape(slot);
        for (index, candidate) in
            candidates.iter().enumerate().filter(|(_, candidate)| !candidate.taken).take(CANDIDATES_PER_THIEF_MAX)
        {
            if best.is_some_and(|(priority, _, _)| candidate.priority < priority) {
                break; // sorted by priority: nothing further can win
            }
            let Ok(data) = pool.tasks.get(candidate.task) else { continue };
            let set = pool.classes.requirement_set(data.task.requirements);
            let requirements = &set.requirements;
            if !set.eligible.contains(slot.0)
                || load.fit(worker.capabilities, &requirements.demand, &requirements.gpu_models).is_none()
            {
                continue;
            }
            let run_ns = crate::predict::predict(
                &pool.config.priors,
                data.task.model,
                data.profile.family,
                data.task.test_type,
                crate::predict::hardware_used(requirements),
                worker.history,
                shape,
            )
            .duration_ns;
            let warm = data.task.model.is_none_or(|model| pool.warm.workers(model).contains(&slot));
            let end_on_thief_ns = migration_ns.max(ready_ns) + if warm { 0 } else { cold_ns } + run_ns;
            let Some(gain) = steal_gain_ns(
                candidate.end_on_victim_ns,
                candidate.run_on_victim_ns,
                end_on_thief_ns,
                gain_min_permille,
            ) else {
                continue;
            };
            if best.is_none_or(|(_, best_gain, _)| gain > best_gain) {
                best = Some((candidate.priority, gain, index));
            }
        }
        let Some((_, _, index)) = best else { return };
        let candidate = &mut candidates[index];
        candidate.taken = true;
        let task = candidate.task;
        let data = pool.tasks.get(task).expect("a candidate is live");
        let requirements = &pool.classes.requirement_set(data.task.requirements).requirements;
        let worker = pool.workers.get(thief).expect("a thief is live");
        let devices = load
            .fit(worker.capabilities, &requirements.demand, &requirements.gpu_models)
            .expect("the candidate was checked to fit");
        load.reserve_unchecked(&requirements.demand, devices);
        pool.recall(task, thief_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_must_beat_the_band() {
        // 10 s left on the victim for a 2 s task; 2.2 s on the thief: gains 7.8 s, more than 25% of 2 s.
        assert_eq!(steal_gain_ns(10_000, 2_000, 2_200, 250), Some(7_800));
        // Ends later on the thief: no move.
        assert_eq!(steal_gain_ns(2_000, 2_000, 2_200, 250), None);
        // Gains 400, less than 25% of 2,000 (500): inside the band, no move.
        assert_eq!(steal_gain_ns(2_600, 2_000, 2_200, 250), None);
        // Exactly the band: a move.
        assert_eq!(steal_gain_ns(2_700, 2_000, 2_200, 250), Some(500));
    }
}

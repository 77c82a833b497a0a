//! The scheduler's shared state as one system parameter ([`Pool`]), and the operations every stage
//! uses to change it consistently: enqueue, place, release, requeue, finish, drain and remove.
//!
//! Reads and writes: the directory, the requirement classes, the capability index, concurrency keys,
//! the outbox, metrics, the work lists and timeouts; worker and task components.
//!
//! Invariants kept here, and nowhere else:
//! - a task is in exactly one place: its class queue (or a key's wait list), one worker's task list
//!   (with a reservation in that worker's [`Load`]), or ended;
//! - a reservation is made by [`Pool::place`] and undone by [`Pool::release`], nothing else;
//! - every change to a worker's load or health re-levels it ([`Pool::relevel`]), and a change that gives
//!   it room notes it in the inbox of every blocked class that may use it.

use bevy_ecs::prelude::*;
use bevy_ecs::query::QueryData;
use bevy_ecs::system::SystemParam;

use ballast_components::adaptive::AdaptiveState;
use ballast_components::class::Classes;
use ballast_components::clock::{Clock, Randomness, Timestamp};
use ballast_components::config::EngineConfig;
use ballast_components::directory::Directory;
use ballast_components::history::{History, WarmModels};
use ballast_components::ids::{WorkerId, WorkerSlot};
use ballast_components::index::CapabilityIndex;
use ballast_components::message::{Event, FailureReason, Outbox, RemovalReason, RequeueReason};
use ballast_components::metrics::{Metrics, record_ns};
use ballast_components::queue::{ConcurrencyKeys, Queued};
use ballast_components::shape::Shapes;
use ballast_components::symbols::{Symbol, Symbols};
use ballast_components::task::{Assignment, Lifecycle, PlacementMethod, PlacementNote, Task, TaskProfile, TaskState};
use ballast_components::work::{Outcome, Outcomes, TaskWork, Timeouts, WorkerWork};
use ballast_components::worker::{
    Capabilities, DeviceMask, Health, HealthState, Load, Thermal, ThermalState, Utilization, Worker, WorkerTasks,
    thermal_effect,
};

/// Everything a worker entity carries that the scheduler reads or writes (history aside).
#[derive(QueryData)]
#[query_data(mutable)]
pub struct WorkerData {
    /// The entity.
    pub entity: Entity,
    /// Identity.
    pub worker: &'static Worker,
    /// Static capabilities.
    pub capabilities: &'static Capabilities,
    /// The capacity ledger.
    pub load: &'static mut Load,
    /// Health and draining.
    pub health: &'static mut Health,
    /// Thermal state.
    pub thermal: &'static mut Thermal,
    /// Reported utilization.
    pub utilization: &'static mut Utilization,
    /// Placed tasks.
    pub tasks: &'static mut WorkerTasks,
    /// Performance history (read here, written by the complete stage).
    pub history: &'static History,
}

/// Everything a task entity carries.
#[derive(QueryData)]
#[query_data(mutable)]
pub struct TaskData {
    /// The submitted spec.
    pub task: &'static Task,
    /// The derived profile.
    pub profile: &'static mut TaskProfile,
    /// The lifecycle.
    pub lifecycle: &'static mut Lifecycle,
}

/// The outcome of a task's attempt on `worker`, for history (`duration_ns` when it completed).
fn outcome_of(
    data: &TaskDataReadOnlyItem,
    classes: &Classes,
    worker: Entity,
    duration_ns: Option<u64>,
    now: Timestamp,
) -> Outcome {
    Outcome {
        worker,
        hardware: crate::predict::hardware_used(&classes.requirement_set(data.task.requirements).requirements),
        family: data.profile.family,
        model: data.task.model,
        test_type: data.task.test_type,
        duration_ns,
        response_ns: now.since(data.task.submitted_at),
        predicted_ns: data.lifecycle.predicted_ns,
    }
}

/// The scheduler's shared state.
#[derive(SystemParam)]
pub struct Pool<'w, 's> {
    /// Engine time.
    pub clock: Res<'w, Clock>,
    /// Configuration.
    pub config: Res<'w, EngineConfig>,
    /// Id lookups.
    pub directory: ResMut<'w, Directory>,
    /// Requirement sets and classes.
    pub classes: ResMut<'w, Classes>,
    /// The capability index.
    pub index: ResMut<'w, CapabilityIndex>,
    /// Worker shapes and levels.
    pub shapes: ResMut<'w, Shapes>,
    /// Interned strings.
    pub symbols: ResMut<'w, Symbols>,
    /// Concurrency keys.
    pub keys: ResMut<'w, ConcurrencyKeys>,
    /// Events out.
    pub outbox: ResMut<'w, Outbox>,
    /// Metrics.
    pub metrics: ResMut<'w, Metrics>,
    /// Task work lists.
    pub task_work: ResMut<'w, TaskWork>,
    /// Worker work lists.
    pub worker_work: ResMut<'w, WorkerWork>,
    /// Attempt outcomes for history.
    pub outcomes: ResMut<'w, Outcomes>,
    /// Attempt deadlines.
    pub timeouts: ResMut<'w, Timeouts>,
    /// Where each model ran last.
    pub warm: ResMut<'w, WarmModels>,
    /// The engine's seeded randomness.
    pub randomness: ResMut<'w, Randomness>,
    /// The adaptive policy's bandit (written by the complete stage).
    pub adaptive: Res<'w, AdaptiveState>,
    /// Admission control.
    pub admission: ResMut<'w, ballast_components::admission::Admission>,
    /// Work stealing's recalls in flight.
    pub recalls: ResMut<'w, ballast_components::steal::Recalls>,
    /// Load forecasts (written by the forecast stage).
    pub forecast: Res<'w, ballast_components::forecast::Forecast>,
    /// Workers.
    pub workers: Query<'w, 's, WorkerData>,
    /// Tasks.
    pub tasks: Query<'w, 's, TaskData>,
    /// Deferred despawns.
    pub commands: Commands<'w, 's>,
    /// Scratch for [`ready_ns`].
    pub lanes: Local<'s, Vec<u64>>,
}

/// Nanoseconds until a worker with `slots` slots and the tasks `placed` can start one more: its running
/// tasks' predicted remaining time and its queued tasks' predicted run times, laid on its slots in order
/// (list scheduling). 0 while it has a free slot.
pub fn ready_ns(now: Timestamp, slots: u32, placed: &[Entity], tasks: &Query<TaskData>, lanes: &mut Vec<u64>) -> u64 {
    let slots = slots.max(1) as usize;
    if placed.len() < slots {
        return 0;
    }
    lanes.clear();
    lanes.resize(slots, 0);
    let lifecycles = || placed.iter().filter_map(|&task| tasks.get(task).ok()).map(|data| *data.lifecycle);
    for lifecycle in lifecycles().filter(|lifecycle| lifecycle.state == TaskState::Running) {
        // A task past its prediction is not about to end: expect at least half a prediction more (for a
        // memoryless run time the whole prediction would be right; half hedges).
        let elapsed = now.since(lifecycle.state_since);
        let remaining = lifecycle.predicted_ns.saturating_sub(elapsed).max(lifecycle.predicted_ns / 2);
        let lane = lanes.iter_mut().min().expect("at least one slot");
        *lane = (*lane).max(remaining);
    }
    lanes.sort_unstable();
    for lifecycle in lifecycles().filter(|lifecycle| lifecycle.state != TaskState::Running) {
        let lane = lanes.iter_mut().min().expect("at least one slot");
        *lane += lifecycle.predicted_ns;
    }
    lanes.iter().copied().min().unwrap_or(0)
}

impl Pool<'_, '_> {
    /// The time of the current tick.
    #[inline]
    pub fn now(&self) -> Timestamp {
        self.clock.now
    }

    /// Puts a pending, indexed task into its class queue: at the back when new, at the front when it
    /// comes back (it already waited its turn once).
    pub fn enqueue(&mut self, task: Entity, front: bool) {
        let now = self.clock.now;
        let mut data = self.tasks.get_mut(task).expect("enqueueing a live task");
        let class = data.profile.class.expect("a task is indexed before it is queued");
        assert_eq!(data.lifecycle.state, TaskState::Pending, "only pending tasks are queued");
        data.lifecycle.queued = true;
        data.lifecycle.enqueued_at = now;
        let sequence = self.classes.next_sequence;
        self.classes.next_sequence += 1;
        let queued = Queued { entity: task, enqueued_at: now, sequence };
        let pending = &mut self.classes.classes[class.index()].pending;
        if front {
            pending.push_front(data.task.priority, queued);
        } else {
            pending.push_back(data.task.priority, queued);
        }
    }

    /// Places a pending task on the worker in `slot`, reserving `devices`. The caller checked the fit.
    /// `method` is noted for `explain`.
    pub fn place(&mut self, task: Entity, slot: WorkerSlot, devices: DeviceMask, method: PlacementMethod) {
        self.place_from(task, slot, devices, method, None);
    }

    /// [`Pool::place`], or with `from` the hand-over of a task its worker `from` just gave back
    /// (work stealing): a move, not a new attempt, reported as [`Event::TaskMigrated`].
    fn place_from(
        &mut self,
        task: Entity,
        slot: WorkerSlot,
        devices: DeviceMask,
        method: PlacementMethod,
        from: Option<WorkerId>,
    ) {
        let now = self.clock.now;
        let worker_entity = self.directory.worker_in(slot).expect("placing on a live slot");
        let (ready_ns, starts_now) = {
            let worker = self.workers.get(worker_entity).expect("a live slot holds a worker");
            let ready = ready_ns(now, worker.capabilities.slots, &worker.tasks.tasks, &self.tasks, &mut self.lanes);
            // With a free slot the worker can start it at once; otherwise it waits in the run queue.
            (ready, worker.tasks.tasks.len() < worker.capabilities.slots as usize)
        };
        let mut data = self.tasks.get_mut(task).expect("placing a live task");
        assert_eq!(data.lifecycle.state, TaskState::Pending, "only pending tasks are placed");
        let requirements = &self.classes.requirement_set(data.task.requirements).requirements;
        let mut worker = self.workers.get_mut(worker_entity).expect("a live slot holds a worker");
        assert!(worker.health.schedulable(), "placing on an unschedulable worker");
        let share_ppm = crate::policy::dominant_share_after_ppm(worker.capabilities, &worker.load, requirements);
        let scarcity_eighths = crate::policy::Scarcity::of(&self.classes, data.task.requirements)
            .map_or(0, |scarcity| scarcity.charge(self.shapes.shape(slot), &worker.load));
        worker.load.reserve(worker.capabilities, &requirements.demand, devices);
        self.metrics.counters.placed_now += 1;
        worker.tasks.tasks.push(task);
        if worker.thermal.state == ThermalState::Cold {
            // Its effect on placement (partial load) applies from the next health scan.
            *worker.thermal = Thermal { state: ThermalState::Warming, since: now, ..Thermal::default() };
        }
        let has_free_slot = worker.load.has_seat(worker.capabilities);
        let worker_id = worker.worker.id;
        let allowed = crate::predict::hardware_used(&self.classes.requirement_set(data.task.requirements).requirements);
        let prediction = crate::predict::predict(
            &self.config.priors,
            data.task.model,
            data.profile.family,
            data.task.test_type,
            allowed,
            worker.history,
            self.shapes.shape(slot),
        );

        let placement = PlacementNote {
            method,
            source: prediction.source,
            ready_ns,
            warm: data.task.model.is_some_and(|model| self.warm.workers(model).contains(&slot)),
            free_slot: starts_now,
            share_ppm,
            success_ppm: crate::policy::smoothed_success_ppm(&worker.history.by_family[data.profile.family.index()])
                as u32,
            uncertainty_ms: u32::try_from(prediction.uncertainty_ns / 1_000_000).unwrap_or(u32::MAX),
            scarcity_eighths,
        };
        let lifecycle = &mut *data.lifecycle;
        lifecycle.placement = placement;
        lifecycle.state = TaskState::Assigned;
        lifecycle.attempts = lifecycle.attempts.saturating_add(1);
        lifecycle.assignment = Some(Assignment { slot, devices });
        lifecycle.predicted_ns = prediction.duration_ns;
        lifecycle.state_since = now;
        lifecycle.queued = false;
        if from.is_none() {
            record_ns(&mut self.metrics.wait_ns, now.since(lifecycle.enqueued_at));
            self.metrics.counters.placements += 1;
        }
        let attempt = lifecycle.attempts;
        // A timeout limits an attempt's running time: armed now when the worker can start it now, else
        // when it starts (`Pool::start`); once per attempt either way.
        if data.task.timeout_ns > 0 && starts_now {
            self.timeouts.heap.push(std::cmp::Reverse((now.plus_ns(data.task.timeout_ns), task, attempt)));
        }
        if let Some(key) = data.task.concurrency_key {
            let state = self.keys.keys.entry(key).or_default();
            assert!(state.holder.is_none(), "a concurrency key is held twice");
            state.holder = Some(task);
        }
        let task_id = data.task.id;
        self.index.set_has_free_slot(slot, has_free_slot);
        self.relevel(worker_entity, false);
        let event = match from {
            Some(from) => Event::TaskMigrated { task: task_id, from, to: worker_id, attempt },
            None => Event::TaskAssigned { task: task_id, worker: worker_id, attempt },
        };
        self.outbox.events.push(event);
    }

    /// Recomputes the level of a worker after a change of its load or health. With `gained_room`, a
    /// worker that now has room is noted in the inbox of every class that skips its shape.
    pub fn relevel(&mut self, worker_entity: Entity, gained_room: bool) {
        let worker = self.workers.get(worker_entity).expect("re-leveling a live worker");
        let slot = worker.worker.slot;
        let level = crate::policy::level(self.config.policy, worker.capabilities, worker.load, worker.health);
        self.shapes.set_level(slot, level);
        if self.config.policy.is_packing() {
            self.shapes.set_pack_state(slot, level.map(|_| worker.load.clone()));
        }
        if gained_room && level.is_some() {
            let shape = self.shapes.shape_of[slot.index()];
            for &class in &self.shapes.shapes[shape.index()].classes {
                self.classes.classes[class.index()].candidates.note_freed(shape, slot);
            }
        }
    }

    /// Ends the current attempt of a placed task: releases its reservation and its concurrency key.
    /// Returns the worker's entity and id. The task's state is left to the caller.
    fn release(&mut self, task: Entity) -> (Entity, WorkerId) {
        let mut data = self.tasks.get_mut(task).expect("releasing a live task");
        assert!(data.lifecycle.state.is_placed(), "releasing a task that is not placed");
        let assignment = data.lifecycle.assignment.take().expect("a placed task has an assignment");
        if data.lifecycle.state == TaskState::Running {
            self.metrics.counters.running_now -= 1;
        }
        self.recalls.by_task.remove(&task);
        let demand = self.classes.requirement_set(data.task.requirements).requirements.demand;
        let worker_entity = self.directory.worker_in(assignment.slot).expect("a placed task's worker is live");
        let mut worker = self.workers.get_mut(worker_entity).expect("a live slot holds a worker");
        worker.load.release(&demand, assignment.devices);
        self.metrics.counters.placed_now -= 1;
        let position = worker
            .tasks
            .tasks
            .iter()
            .position(|&placed| placed == task)
            .expect("a placed task is listed on its worker");
        worker.tasks.tasks.remove(position);
        let worker_id = worker.worker.id;
        let key = data.task.concurrency_key;
        self.index.set_has_free_slot(assignment.slot, true);
        self.relevel(worker_entity, true);
        if let Some(key) = key {
            self.release_key(key, task);
        }
        (worker_entity, worker_id)
    }

    /// Releases `key` held by `task` and wakes the next task waiting for it.
    fn release_key(&mut self, key: Symbol, task: Entity) {
        if let Some(state) = self.keys.keys.get_mut(&key)
            && state.holder == Some(task)
        {
            state.holder = None;
            self.wake_key(key);
        }
    }

    /// If nobody holds `key`, sends the first task still waiting for it back to the front of its
    /// class queue; forgets the key once nobody holds or waits for it.
    fn wake_key(&mut self, key: Symbol) {
        let Some(state) = self.keys.keys.get_mut(&key) else {
            return;
        };
        if state.holder.is_some() {
            return;
        }
        let mut woken = None;
        while let Some(next) = state.waiting.pop_front() {
            let waiting = self
                .tasks
                .get(next)
                .is_ok_and(|data| data.lifecycle.state == TaskState::Pending && data.lifecycle.queued);
            if waiting {
                woken = Some(next);
                break;
            }
        }
        if state.waiting.is_empty() && woken.is_none() {
            self.keys.keys.remove(&key);
        }
        if let Some(next) = woken {
            self.enqueue(next, true);
        }
    }

    /// Removes the worker if it is draining and its last task has ended.
    fn remove_if_drained(&mut self, worker_entity: Entity) {
        let drained =
            self.workers.get(worker_entity).is_ok_and(|worker| worker.health.draining && worker.tasks.tasks.is_empty());
        if drained {
            self.remove_worker(worker_entity, RemovalReason::Drained);
        }
    }

    /// Marks the task started on its worker.
    pub fn start(&mut self, task: Entity) {
        let now = self.clock.now;
        let mut data = self.tasks.get_mut(task).expect("starting a live task");
        assert_eq!(data.lifecycle.state, TaskState::Assigned, "only assigned tasks start");
        data.lifecycle.state = TaskState::Running;
        data.lifecycle.state_since = now;
        // A task that waited in the run queue gets its deadline from its start.
        if data.task.timeout_ns > 0 && !data.lifecycle.placement.free_slot {
            let attempt = data.lifecycle.attempts;
            self.timeouts.heap.push(std::cmp::Reverse((now.plus_ns(data.task.timeout_ns), task, attempt)));
        }
        self.metrics.counters.running_now += 1;
        // Its worker started it before giving it back: the recall is void.
        self.recalls.by_task.remove(&task);
    }

    /// Asks the worker holding a queued task to give it back for `thief` (work stealing): the task
    /// stays where it is until the worker answers (see `crate::steal`).
    pub fn recall(&mut self, task: Entity, thief: WorkerId) {
        let now = self.clock.now;
        let data = self.tasks.get(task).expect("recalling a live task");
        assert_eq!(data.lifecycle.state, TaskState::Assigned, "only queued tasks are recalled");
        let victim = data.lifecycle.assignment.expect("an assigned task has an assignment").slot;
        let task_id = data.task.id;
        let victim_entity = self.directory.worker_in(victim).expect("a placed task's worker is live");
        let victim_id = self.workers.get(victim_entity).expect("a live slot holds a worker").worker.id;
        let recall = ballast_components::steal::Recall { victim, thief, at: now };
        assert!(self.recalls.by_task.insert(task, recall).is_none(), "a task is recalled once at a time");
        self.metrics.counters.steals += 1;
        self.outbox.events.push(Event::TaskRecalled { task: task_id, worker: victim_id, to: thief });
    }

    /// The worker gave back a task it had not started: it leaves the worker and, in the same step, goes
    /// to the idle worker it was recalled for if that one can still take it (a free slot, schedulable,
    /// eligible, room), or to the front of its class queue.
    pub fn give_back(&mut self, task: Entity) {
        let recall = self.recalls.by_task.get(&task).copied();
        let (worker_entity, worker_id) = self.release(task);
        self.metrics.counters.migrations += 1;
        let now = self.clock.now;
        let mut data = self.tasks.get_mut(task).expect("a live task");
        let lifecycle = &mut *data.lifecycle;
        lifecycle.state = TaskState::Pending;
        lifecycle.state_since = now;
        // The assignment it leaves never started: it does not count as an attempt.
        lifecycle.migrations = lifecycle.migrations.saturating_add(1);
        lifecycle.migrated_at = Some(now);
        let task_id = data.task.id;
        match recall.and_then(|recall| self.thief_fit(task, recall.thief)) {
            Some((slot, devices)) => self.place_from(task, slot, devices, PlacementMethod::Steal, Some(worker_id)),
            None => {
                self.enqueue(task, true);
                let reason = RequeueReason::Released;
                self.outbox.events.push(Event::TaskRequeued { task: task_id, worker: worker_id, reason });
            }
        }
        self.remove_if_drained(worker_entity);
    }

    /// Where `thief` would hold the pending `task` now: its slot and devices, if it is a live,
    /// schedulable worker with a free slot (or an empty run queue with room), eligible for the task and
    /// with room for it.
    fn thief_fit(&self, task: Entity, thief: WorkerId) -> Option<(WorkerSlot, DeviceMask)> {
        let &entity = self.directory.workers.get(&thief)?;
        let worker = self.workers.get(entity).ok()?;
        let data = self.tasks.get(task).ok()?;
        let set = self.classes.requirement_set(data.task.requirements);
        let slot = worker.worker.slot;
        // A free slot, or (a thief recalled for ahead of its slot freeing) nothing queued and room to
        // queue it first.
        let usable = worker.health.schedulable()
            && worker.load.slots_used <= worker.capabilities.slots
            && worker.load.has_seat(worker.capabilities)
            && set.eligible.contains(slot.0);
        if !usable {
            return None;
        }
        let requirements = &set.requirements;
        let devices = worker.load.fit(worker.capabilities, &requirements.demand, &requirements.gpu_models)?;
        Some((slot, devices))
    }

    /// Moves a worker to another thermal state and, when thermal-aware, applies its effect on placement
    /// (seat limit, spared), keeping the index in step.
    pub fn set_thermal(&mut self, worker_entity: Entity, thermal: Thermal) {
        let aware = self.config.thermal_aware;
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        *worker.thermal = thermal;
        if !aware {
            return;
        }
        let (seat_limit, hot) = thermal_effect(thermal.state, worker.capabilities.slots);
        let gained_room = seat_limit.is_none_or(|limit| worker.load.seat_limit.is_some_and(|old| limit > old));
        worker.load.seat_limit = seat_limit;
        worker.load.hot = hot;
        let has_seat = worker.load.has_seat(worker.capabilities);
        let slot = worker.worker.slot;
        self.index.set_has_free_slot(slot, has_seat);
        self.relevel(worker_entity, gained_room && has_seat);
    }

    /// Sets how many tasks a worker may hold beyond its slots (adaptive prefetch), keeping the index in
    /// step: a worker whose run queue grew may take work again.
    pub fn set_prefetch(&mut self, worker_entity: Entity, prefetch: u32) {
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        if worker.load.prefetch == prefetch {
            return;
        }
        let grew = prefetch > worker.load.prefetch;
        worker.load.prefetch = prefetch;
        let has_seat = worker.load.has_seat(worker.capabilities);
        let slot = worker.worker.slot;
        self.index.set_has_free_slot(slot, has_seat);
        self.relevel(worker_entity, grew && has_seat);
    }

    /// Completes a placed task that ran `duration_ns`.
    pub fn complete(&mut self, task: Entity, duration_ns: u64) {
        let (worker_entity, worker_id) = self.release(task);
        self.note_attempt(worker_entity, false);
        let data = self.tasks.get(task).expect("completing a live task");
        let task_id = data.task.id;
        let outcome = outcome_of(&data, &self.classes, worker_entity, Some(duration_ns), self.clock.now);
        self.outcomes.outcomes.push(outcome);
        record_ns(&mut self.metrics.run_ns, duration_ns);
        self.finish(task, TaskState::Completed, Event::TaskCompleted { task: task_id, worker: worker_id, duration_ns });
        self.remove_if_drained(worker_entity);
    }

    /// Fails a placed task for good with the worker's reason.
    pub fn fail(&mut self, task: Entity, reason: String) {
        let (worker_entity, worker_id) = self.release(task);
        // A test's own failure says nothing against the worker.
        self.note_attempt(worker_entity, false);
        let data = self.tasks.get(task).expect("failing a live task");
        let task_id = data.task.id;
        let outcome = outcome_of(&data, &self.classes, worker_entity, None, self.clock.now);
        self.outcomes.outcomes.push(outcome);
        self.metrics.counters.attempts_failed += 1;
        let event =
            Event::TaskFailed { task: task_id, worker: Some(worker_id), reason: FailureReason::Reported(reason) };
        self.finish(task, TaskState::Failed, event);
        self.remove_if_drained(worker_entity);
    }

    /// Ends the attempt of a placed task that did not complete: requeues it while it has attempts left,
    /// fails it otherwise.
    pub fn retry_or_fail(&mut self, task: Entity, reason: RequeueReason) {
        let (worker_entity, worker_id) = self.release(task);
        self.metrics.counters.attempts_failed += 1;
        if reason != RequeueReason::WorkerLost {
            self.note_attempt(worker_entity, true);
        }
        let now = self.clock.now;
        if reason != RequeueReason::WorkerLost {
            let data = self.tasks.get(task).expect("retrying a live task");
            let outcome = outcome_of(&data, &self.classes, worker_entity, None, now);
            self.outcomes.outcomes.push(outcome);
        }
        let mut data = self.tasks.get_mut(task).expect("retrying a live task");
        let task_id = data.task.id;
        let attempts = data.lifecycle.attempts_used();
        if attempts >= data.task.attempts_max {
            let failure = FailureReason::AttemptsExhausted { attempts, last: reason };
            self.finish(
                task,
                TaskState::Failed,
                Event::TaskFailed { task: task_id, worker: Some(worker_id), reason: failure },
            );
        } else {
            data.lifecycle.state = TaskState::Pending;
            data.lifecycle.state_since = now;
            self.enqueue(task, true);
            self.metrics.counters.requeues += 1;
            self.outbox.events.push(Event::TaskRequeued { task: task_id, worker: worker_id, reason });
        }
        self.remove_if_drained(worker_entity);
    }

    /// Cancels a task in any live state.
    pub fn cancel(&mut self, task: Entity) {
        let data = self.tasks.get(task).expect("cancelling a live task");
        let task_id = data.task.id;
        let placed = data.lifecycle.state.is_placed();
        let mut worker = None;
        if placed {
            let (worker_entity, worker_id) = self.release(task);
            worker = Some((worker_entity, worker_id));
        }
        self.finish(
            task,
            TaskState::Cancelled,
            Event::TaskCancelled { task: task_id, worker: worker.map(|(_, id)| id) },
        );
        if let Some((worker_entity, _)) = worker {
            self.remove_if_drained(worker_entity);
        }
    }

    /// Ends a task for good: it leaves the directory (its id stays known) and is despawned at the end
    /// of the tick. A queued task is dropped lazily when it reaches the head of its queue.
    pub fn finish(&mut self, task: Entity, state: TaskState, event: Event) {
        assert!(state.is_terminal(), "finishing into a live state");
        let now = self.clock.now;
        let mut data = self.tasks.get_mut(task).expect("finishing a live task");
        assert!(data.lifecycle.assignment.is_none(), "a finished task holds no reservation");
        assert!(!data.lifecycle.state.is_terminal(), "a task finishes once");
        data.lifecycle.state = state;
        data.lifecycle.state_since = now;
        data.lifecycle.queued = false;
        let task_id = data.task.id;
        let key = data.task.concurrency_key;
        self.directory.tasks.remove(&task_id);
        self.directory.ended_tasks.insert(task_id.0);
        self.task_work.ended.push(task);
        let counters = &mut self.metrics.counters;
        match state {
            TaskState::Completed => counters.tasks_completed += 1,
            TaskState::Failed => counters.tasks_failed += 1,
            TaskState::Cancelled => counters.tasks_cancelled += 1,
            TaskState::Unschedulable => counters.tasks_unschedulable += 1,
            TaskState::Pending | TaskState::Assigned | TaskState::Running => unreachable!("checked terminal above"),
        }
        self.outbox.events.push(event);
        if let Some(key) = key {
            // It may have been waiting for the key: make sure a free key does not strand the others.
            self.wake_key(key);
        }
    }

    /// Sets a worker's health and keeps the schedulable set, the heaps and the queue in step with it.
    /// Entering `Unresponsive` requeues its tasks.
    pub fn set_health(&mut self, worker_entity: Entity, to: HealthState) {
        let now = self.clock.now;
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        let from = worker.health.state;
        if from == to {
            return;
        }
        worker.health.state = to;
        worker.health.state_since = now;
        let schedulable = worker.health.schedulable();
        let slot = worker.worker.slot;
        let worker_id = worker.worker.id;
        let tasks = (to == HealthState::Unresponsive).then(|| worker.tasks.tasks.clone());
        self.index.set_schedulable(slot, schedulable);
        self.relevel(worker_entity, schedulable);
        self.outbox.events.push(Event::WorkerHealthChanged { worker: worker_id, from, to });
        // Last placed first: each goes to the front of its queue, so they end up in placement order.
        for task in tasks.into_iter().flatten().rev() {
            self.retry_or_fail(task, RequeueReason::WorkerLost);
        }
    }

    /// Counts an ended attempt on a worker, and quarantines the worker when at least
    /// `quarantine_failure_permille` of its recent attempts failed and that is at least three times the
    /// fleet's rate (so a failing test suite does not empty the pool). A quarantined worker keeps its
    /// running tasks and its eligibility (its tasks wait for it rather than becoming unschedulable),
    /// but gets no new work until the health stage ends the quarantine.
    fn note_attempt(&mut self, worker_entity: Entity, failed: bool) {
        if !self.config.quarantine {
            return;
        }
        let now = self.clock.now;
        let counters = &self.metrics.counters;
        let fleet_permille = counters.attempts_failed * 1_000 / counters.placements.max(1);
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        if worker.health.quarantined_until.is_some() {
            return;
        }
        let Some(rate) = worker.health.record_attempt(failed, self.config.quarantine_failures_min) else {
            return;
        };
        if rate < self.config.quarantine_failure_permille || u64::from(rate) < 3 * fleet_permille {
            return;
        }
        let until = now.plus_ns(self.config.quarantine_ms.saturating_mul(1_000_000));
        worker.health.quarantined_until = Some(until);
        worker.health.recent_attempts = 0;
        worker.health.recent_failures = 0;
        let (slot, worker_id) = (worker.worker.slot, worker.worker.id);
        self.index.set_schedulable(slot, false);
        self.relevel(worker_entity, false);
        self.metrics.counters.quarantines += 1;
        self.outbox.events.push(Event::WorkerQuarantined { worker: worker_id, failure_permille: rate, until });
    }

    /// Ends a worker's quarantine: it takes work again (if otherwise healthy), its record starting afresh.
    pub fn end_quarantine(&mut self, worker_entity: Entity) {
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        if worker.health.quarantined_until.take().is_none() {
            return;
        }
        let schedulable = worker.health.schedulable();
        let (slot, worker_id) = (worker.worker.slot, worker.worker.id);
        self.index.set_schedulable(slot, schedulable);
        self.relevel(worker_entity, schedulable);
        self.outbox.events.push(Event::WorkerQuarantineEnded { worker: worker_id });
    }

    /// Records a heartbeat: the worker is alive now.
    pub fn heartbeat(&mut self, worker_entity: Entity, utilization: Option<Utilization>) {
        let now = self.clock.now;
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        worker.health.last_heartbeat_at = now;
        if let Some(utilization) = utilization {
            if let Some(heat) = utilization.heat {
                // A reported heat replaces the estimate from load.
                worker.thermal.heat_milli = (heat * 1_000.0).round() as u32;
                worker.thermal.heat_at = now;
            }
            *worker.utilization = utilization;
        }
        if worker.health.state != HealthState::Healthy {
            self.set_health(worker_entity, HealthState::Healthy);
        }
    }

    /// Starts draining a worker: no new work; it leaves once its last task ends (now, if it has none).
    pub fn drain(&mut self, worker_entity: Entity) {
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        if worker.health.draining {
            return;
        }
        worker.health.draining = true;
        let slot = worker.worker.slot;
        let worker_id = worker.worker.id;
        let idle = worker.tasks.tasks.is_empty();
        self.index.set_schedulable(slot, false);
        self.index.draining.insert(slot.0);
        self.relevel(worker_entity, false);
        self.leave_requirement_sets(slot);
        self.outbox.events.push(Event::WorkerDraining { worker: worker_id });
        if idle {
            self.remove_worker(worker_entity, RemovalReason::Drained);
        }
    }

    /// Takes the worker in `slot` out of the eligible workers of every requirement set its shape meets.
    fn leave_requirement_sets(&mut self, slot: WorkerSlot) {
        let classes = &mut *self.classes;
        for &requirements in &self.shapes.shape(slot).requirement_sets {
            let set = &mut classes.requirement_sets[requirements.index()];
            if set.eligible.remove(slot.0) && set.eligible.is_empty() {
                classes.emptied.push(requirements);
            }
        }
    }

    /// Whether `worker_entity` is a worker still in the pool (a removed one lingers as an entity until the
    /// end of the stage, when its despawn is applied).
    pub fn is_live_worker(&self, worker_entity: Entity) -> bool {
        self.workers
            .get(worker_entity)
            .is_ok_and(|worker| self.directory.workers.get(&worker.worker.id) == Some(&worker_entity))
    }

    /// Removes a worker from the pool now: its tasks are requeued (or failed when out of attempts),
    /// its slot is freed and its entity despawned.
    pub fn remove_worker(&mut self, worker_entity: Entity, reason: RemovalReason) {
        assert!(self.is_live_worker(worker_entity), "removing a worker that already left");
        let mut worker = self.workers.get_mut(worker_entity).expect("a live worker");
        // Stop drain-completion from removing it a second time while its tasks are released.
        worker.health.draining = false;
        let tasks = worker.tasks.tasks.clone();
        let slot = worker.worker.slot;
        let worker_id = worker.worker.id;
        self.index.set_schedulable(slot, false);
        worker.health.state = HealthState::Unresponsive;
        self.relevel(worker_entity, false);
        let tasks_released = tasks.len() as u32;
        // Last placed first: each goes to the front of its queue, so they end up in placement order.
        for task in tasks.into_iter().rev() {
            self.retry_or_fail(task, RequeueReason::WorkerLost);
        }
        let worker = self.workers.get(worker_entity).expect("still live until despawned");
        assert!(worker.tasks.tasks.is_empty() && worker.load.is_idle(), "a removed worker keeps no reservation");
        self.index.remove(slot, worker.capabilities);
        self.leave_requirement_sets(slot);
        self.shapes.leave(slot);
        self.warm.forget_worker(slot);
        self.directory.workers.remove(&worker_id);
        self.directory.free_slot(slot);
        self.commands.entity(worker_entity).despawn();
        match reason {
            RemovalReason::Lost => self.metrics.counters.workers_lost += 1,
            RemovalReason::Removed | RemovalReason::Drained => self.metrics.counters.workers_removed += 1,
        }
        self.outbox.events.push(Event::WorkerRemoved { worker: worker_id, reason, tasks_released });
    }
}

//! The engine facade: a validated config, commands in, events out, `tick(now)` with injected time,
//! a read-only view and `explain`.
//!
//! Two ways in: [`Engine::push`] queues a command for the next tick's admit stage (refusals come back
//! as [`Event::CommandRejected`]); the typed methods ([`Engine::submit`], [`Engine::register_worker`], …)
//! apply one command at once and return its typed error. Both run the same admission code.
//!
//! [`Engine::record_to`] records every command and event from then on (see [`crate::record`]).

use std::time::Instant;

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemState;
use rustc_hash::FxHashSet;

use ballast_components::adaptive::AdaptiveState;
use ballast_components::class::Classes;
use ballast_components::clock::{Clock, Randomness, Timestamp};
use ballast_components::config::{ConfigError, EngineConfig};
use ballast_components::directory::Directory;
use ballast_components::history::{History, WarmModels};
pub use ballast_components::history::{PastRun, RUN_NS_MAX};
use ballast_components::ids::{TaskId, WorkerId, WorkerSlot};
use ballast_components::index::CapabilityIndex;
use ballast_components::message::{
    Command, CommandError, Event, Explanation, Inbox, Outbox, PlacementExplanation, RegisterError, SubmitError,
    TaskCommandError, TaskSpec, UtilizationReport, WorkerCommandError, WorkerSpec,
};
use ballast_components::metrics::{Metrics, record_ns};
use ballast_components::queue::ConcurrencyKeys;
use ballast_components::shape::Shapes;
use ballast_components::symbols::Symbols;
use ballast_components::task::{Lifecycle, Task, TaskProfile, TaskState};
use ballast_components::work::{HealthSchedule, Outcomes, TaskWork, Timeouts, WorkerWork};
use ballast_components::worker::{Capabilities, Health, HealthState, Load, Worker, WorkerTasks};
use ballast_systems::admit::admit;
use ballast_systems::complete::record_run;
use ballast_systems::explain::{count_exclusions, meets_requirements};
use ballast_systems::pool::Pool;

use crate::record::{self, Apply, ConfigDto, Header, Line, PastRunDto, RecordError, RecordStats, Recorder, SimHeader};
use crate::schedule::initialized_schedule;
use crate::view::View;

mod restore;
pub use restore::{RestoreReport, RestoredPlacement, RestoredTask, RestoredWorker};

/// Why a tick was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TickError {
    /// Time went backwards.
    #[error("tick time {now_ns} ns is before the previous tick's {last_ns} ns")]
    TimeWentBackwards {
        /// The time given.
        now_ns: u64,
        /// The previous tick's time.
        last_ns: u64,
    },
}

/// Why `explain` could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// The task is not live (never submitted, or already ended).
    #[error("task {0} is not live (never submitted, or already ended)")]
    UnknownTask(TaskId),
}

/// Why a history import was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The worker is not registered.
    #[error("worker {0} is not registered")]
    UnknownWorker(WorkerId),
    /// The model id is not acceptable.
    #[error("model id: {0}")]
    BadModel(#[from] ballast_components::symbols::SymbolError),
    /// A run's duration is out of range.
    #[error("a run of {0} ns on worker {1}, over 30 days")]
    TooLong(u64, WorkerId),
}

/// What a batch submission did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Tasks accepted.
    pub accepted: usize,
    /// Tasks refused, each with its reason.
    pub rejected: Vec<SubmitError>,
}

/// The scheduling engine.
pub struct Engine {
    world: World,
    schedule: Schedule,
    admission: SystemState<Pool<'static, 'static>>,
    busy_ns: u64,
    recorder: Option<Recorder>,
    /// Events at the front of the outbox that are already recorded.
    events_recorded: usize,
}

impl Engine {
    /// An engine with `config`, after validating it.
    pub fn new(config: EngineConfig) -> Result<Engine, ConfigError> {
        config.validate()?;
        let mut world = World::new();
        world.insert_resource(Clock::default());
        world.insert_resource(Directory::default());
        world.insert_resource(Classes::new(config.requirement_sets_max));
        world.insert_resource(CapabilityIndex::default());
        world.insert_resource(Shapes::default());
        world.insert_resource(Symbols::new(config.symbol_len_max, config.symbol_count_max));
        world.insert_resource(ConcurrencyKeys::default());
        world.insert_resource(Inbox::default());
        world.insert_resource(Outbox::default());
        world.insert_resource(Metrics::default());
        world.insert_resource(TaskWork::default());
        world.insert_resource(WorkerWork::default());
        world.insert_resource(Outcomes::default());
        world.insert_resource(Timeouts::default());
        world.insert_resource(HealthSchedule::default());
        world.insert_resource(ballast_components::admission::Admission::default());
        world.insert_resource(ballast_components::steal::Recalls::default());
        world.insert_resource(ballast_components::forecast::Forecast::default());
        world.insert_resource(WarmModels::default());
        world.insert_resource(ballast_components::adaptive::AdaptiveState::default());
        world.insert_resource(Randomness::new(config.seed));
        let executor = config.executor;
        world.insert_resource(config);
        let schedule = initialized_schedule(&mut world, executor).unwrap_or_else(|error| {
            panic!("the tick schedule does not build: {}", error.to_string(&Default::default(), &world))
        });
        let admission = SystemState::new(&mut world);
        Ok(Engine { world, schedule, admission, busy_ns: 0, recorder: None, events_recorded: 0 })
    }

    /// The engine's configuration.
    pub fn config(&self) -> &EngineConfig {
        self.world.resource::<EngineConfig>()
    }

    /// The time of the last tick.
    pub fn now(&self) -> Timestamp {
        self.world.resource::<Clock>().now
    }

    /// Queues a command for the next tick. Refusals come back as [`Event::CommandRejected`].
    pub fn push(&mut self, command: Command) -> Result<(), CommandError> {
        let max = self.config().inbox_len_max;
        let inbox = self.world.resource::<Inbox>();
        if inbox.commands.len() >= max {
            return Err(CommandError::InboxFull { max });
        }
        if let Some(recorder) = self.recorder.as_mut() {
            let now = self.world.resource::<Clock>().now.0;
            recorder.command(now, Apply::Tick, &command);
        }
        self.world.resource_mut::<Inbox>().commands.push(command);
        Ok(())
    }

    /// Runs one tick at `now`: admit queued commands, check health, analyze, index, match, record.
    pub fn tick(&mut self, now: Timestamp) -> Result<(), TickError> {
        let mut clock = self.world.resource_mut::<Clock>();
        if now < clock.now {
            return Err(TickError::TimeWentBackwards { now_ns: now.0, last_ns: clock.now.0 });
        }
        clock.now = now;
        clock.tick_count += 1;
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.tick(now.0);
        }
        let started = Instant::now();
        self.schedule.run(&mut self.world);
        let elapsed_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.busy_ns = self.busy_ns.saturating_add(elapsed_ns);
        record_ns(&mut self.world.resource_mut::<Metrics>().tick_ns, elapsed_ns);
        self.record_events();
        Ok(())
    }

    /// Moves the events produced so far to the end of `into`.
    pub fn take_events(&mut self, into: &mut Vec<Event>) {
        self.record_events();
        self.events_recorded = 0;
        into.append(&mut self.world.resource_mut::<Outbox>().events);
    }

    /// Records the events in the outbox not recorded yet.
    fn record_events(&mut self) {
        let Some(recorder) = self.recorder.as_mut() else { return };
        let now = self.world.resource::<Clock>().now.0;
        let events = &self.world.resource::<Outbox>().events;
        for event in events.get(self.events_recorded..).unwrap_or_default() {
            recorder.event(now, event);
        }
        self.events_recorded = events.len();
    }

    /// Starts recording every command and event from now on to `sink`, one JSON object per line,
    /// after a header with the engine's config (the format: [`crate::record`]). A recording already
    /// running is finished first.
    pub fn record_to(&mut self, sink: Box<dyn std::io::Write + Send>) -> Result<(), RecordError> {
        self.start_recording(sink, None)
    }

    pub(crate) fn start_recording(
        &mut self,
        sink: Box<dyn std::io::Write + Send>,
        sim: Option<SimHeader>,
    ) -> Result<(), RecordError> {
        if let Some(previous) = self.finish_recording() {
            previous?;
        }
        let header = Line::Header(Box::new(Header {
            format: record::FORMAT.to_owned(),
            version: record::VERSION,
            ballast_version: env!("CARGO_PKG_VERSION").to_owned(),
            source: if sim.is_some() { "sim" } else { "engine" }.to_owned(),
            config: ConfigDto::from(self.config()),
            sim,
        }));
        self.recorder = Some(Recorder::new(sink, &header)?);
        self.events_recorded = self.world.resource::<Outbox>().events.len();
        Ok(())
    }

    /// Adds a line of the recording's own (the simulator's ground truth); nothing when not recording.
    #[cfg(feature = "sim")]
    pub(crate) fn record_line(&mut self, line: &Line<'_>) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.write(line);
        }
    }

    /// Whether a recording is running.
    pub fn is_recording(&self) -> bool {
        self.recorder.is_some()
    }

    /// Ends the recording (its `end` line, then a flush); `None` when none was running.
    pub fn finish_recording(&mut self) -> Option<Result<RecordStats, RecordError>> {
        self.record_events();
        let recorder = self.recorder.take()?;
        Some(recorder.finish(self.now().0))
    }

    /// Adds an event produced outside a tick (by an edge such as the handle).
    pub(crate) fn push_event(&mut self, event: Event) {
        self.world.resource_mut::<Outbox>().events.push(event);
    }

    /// The events produced so far.
    pub fn events(&mut self) -> Vec<Event> {
        self.record_events();
        self.events_recorded = 0;
        std::mem::take(&mut self.world.resource_mut::<Outbox>().events)
    }

    /// Wall time spent inside [`Engine::tick`], in nanoseconds.
    pub fn busy_ns(&self) -> u64 {
        self.busy_ns
    }

    /// Applies one command now; returns its refusals (none when it was applied; a batch's refused
    /// tasks, each with its reason, when some were accepted). [`Engine::submit_each`] says which task
    /// of a batch each refusal is for.
    pub fn apply(&mut self, command: Command) -> Vec<CommandError> {
        self.apply_now(command)
    }

    /// Submits `specs` now as one batch and answers for each, in order: accepted, or refused with its
    /// reason. A batch refused as a whole (empty, too long) is one error.
    pub fn submit_each(&mut self, specs: Vec<TaskSpec>) -> Result<Vec<Result<(), SubmitError>>, SubmitError> {
        ballast_systems::admit::check_batch(self.config(), specs.len())?;
        if let Some(recorder) = self.recorder.as_mut() {
            let now = self.world.resource::<Clock>().now.0;
            recorder.command(now, Apply::Now, &Command::SubmitBatch(specs.clone()));
        }
        let mut outcomes: Vec<Result<(), SubmitError>> = vec![Ok(()); specs.len()];
        let mut specs = specs;
        ballast_systems::admit::submit_tasks_each(
            &mut self.world,
            &mut self.admission,
            &mut specs,
            &mut |index, error| {
                outcomes[index] = Err(error);
            },
        );
        self.admission.apply(&mut self.world);
        self.record_events();
        Ok(outcomes)
    }

    /// Applies one command now; returns its refusals.
    pub(crate) fn apply_now(&mut self, command: Command) -> Vec<CommandError> {
        if let Some(recorder) = self.recorder.as_mut() {
            let now = self.world.resource::<Clock>().now.0;
            recorder.command(now, Apply::Now, &command);
        }
        let mut refused = Vec::new();
        admit(&mut self.world, &mut self.admission, [command], &mut |_, error| refused.push(error));
        self.admission.apply(&mut self.world);
        self.record_events();
        refused
    }

    /// Registers a worker now.
    pub fn register_worker(&mut self, spec: WorkerSpec) -> Result<(), RegisterError> {
        match self.apply_now(Command::RegisterWorker(spec)).pop() {
            None => Ok(()),
            Some(CommandError::Register(error)) => Err(error),
            Some(other) => unreachable!("a registration is refused with a RegisterError, not {other:?}"),
        }
    }

    /// Records a heartbeat now.
    pub fn heartbeat(
        &mut self,
        worker: WorkerId,
        utilization: Option<UtilizationReport>,
    ) -> Result<(), WorkerCommandError> {
        self.worker_command(Command::Heartbeat { worker, utilization })
    }

    /// Starts draining a worker now.
    pub fn drain_worker(&mut self, worker: WorkerId) -> Result<(), WorkerCommandError> {
        self.worker_command(Command::DrainWorker { worker })
    }

    /// Removes a worker now; its tasks are requeued.
    pub fn remove_worker(&mut self, worker: WorkerId) -> Result<(), WorkerCommandError> {
        self.worker_command(Command::RemoveWorker { worker })
    }

    fn worker_command(&mut self, command: Command) -> Result<(), WorkerCommandError> {
        match self.apply_now(command).pop() {
            None => Ok(()),
            Some(CommandError::Worker(error)) => Err(error),
            Some(other) => unreachable!("a worker command is refused with a WorkerCommandError, not {other:?}"),
        }
    }

    /// Submits one task now. It is placed at the next tick.
    pub fn submit(&mut self, spec: TaskSpec) -> Result<(), SubmitError> {
        match self.apply_now(Command::SubmitTask(spec)).pop() {
            None => Ok(()),
            Some(CommandError::Submit(error)) => Err(error),
            Some(other) => unreachable!("a submission is refused with a SubmitError, not {other:?}"),
        }
    }

    /// Submits a batch now. The batch as a whole is refused when empty or too long; otherwise each task
    /// is accepted or refused on its own.
    pub fn submit_batch(&mut self, specs: Vec<TaskSpec>) -> Result<BatchOutcome, SubmitError> {
        let len = specs.len();
        let mut rejected = Vec::new();
        for error in self.apply_now(Command::SubmitBatch(specs)) {
            match error {
                CommandError::Submit(error @ (SubmitError::EmptyBatch | SubmitError::BatchTooLarge { .. })) => {
                    return Err(error);
                }
                CommandError::Submit(error) => rejected.push(error),
                other => unreachable!("a submission is refused with a SubmitError, not {other:?}"),
            }
        }
        Ok(BatchOutcome { accepted: len - rejected.len(), rejected })
    }

    /// Cancels a task now.
    pub fn cancel(&mut self, task: TaskId) -> Result<(), TaskCommandError> {
        self.task_command(Command::CancelTask { task })
    }

    /// Records that the worker started the task.
    pub fn task_started(&mut self, task: TaskId, worker: WorkerId) -> Result<(), TaskCommandError> {
        self.task_command(Command::TaskStarted { task, worker })
    }

    /// Records that the worker gave back a task it had not started (the answer to
    /// [`Event::TaskRecalled`]): the task moves to the worker it was recalled for, or back to the queue.
    pub fn task_released(&mut self, task: TaskId, worker: WorkerId) -> Result<(), TaskCommandError> {
        self.task_command(Command::TaskReleased { task, worker })
    }

    /// Records that the task completed on the worker after running `duration_ns`.
    pub fn task_completed(&mut self, task: TaskId, worker: WorkerId, duration_ns: u64) -> Result<(), TaskCommandError> {
        self.task_command(Command::TaskCompleted { task, worker, duration_ns })
    }

    /// Records that the task's attempt failed on the worker.
    pub fn task_failed(
        &mut self,
        task: TaskId,
        worker: WorkerId,
        reason: String,
        retryable: bool,
    ) -> Result<(), TaskCommandError> {
        self.task_command(Command::TaskFailed { task, worker, reason, retryable })
    }

    fn task_command(&mut self, command: Command) -> Result<(), TaskCommandError> {
        match self.apply_now(command).pop() {
            None => Ok(()),
            Some(CommandError::Task(error)) => Err(error),
            Some(other) => unreachable!("a task command is refused with a TaskCommandError, not {other:?}"),
        }
    }

    /// Adds past runs to the performance history, as if they had just completed; returns how many.
    /// Nothing is added when one is refused.
    pub fn import_history(&mut self, runs: impl IntoIterator<Item = PastRun>) -> Result<usize, HistoryError> {
        let runs: Vec<PastRun> = runs.into_iter().collect();
        let mut resolved = Vec::with_capacity(runs.len());
        for run in &runs {
            if run.duration_ns > RUN_NS_MAX {
                return Err(HistoryError::TooLong(run.duration_ns, run.worker));
            }
            let entity = *self
                .world
                .resource::<Directory>()
                .workers
                .get(&run.worker)
                .ok_or(HistoryError::UnknownWorker(run.worker))?;
            let model = match &run.model {
                Some(model) => Some(self.world.resource_mut::<Symbols>().intern(model)?),
                None => None,
            };
            resolved.push((entity, model));
        }
        let priors = self.world.resource::<EngineConfig>().priors.clone();
        for (run, (entity, model)) in runs.iter().zip(resolved) {
            let slot = self.world.get::<Worker>(entity).expect("registered workers carry Worker").slot;
            let normalized = ballast_components::history::normalized_ns(run.duration_ns, run.test_type);
            self.world.resource_scope(|world, mut shapes: Mut<Shapes>| {
                let shape = shapes.shape_of[slot.index()];
                if !shapes.shapes[shape.index()].history_changed {
                    shapes.shapes[shape.index()].history_changed = true;
                    shapes.history_changed.push(shape);
                }
                let mut history = world.get_mut::<History>(entity).expect("registered workers carry History");
                let outcome = run.completed.then_some(normalized);
                record_run(
                    &priors,
                    &mut history,
                    &mut shapes.shapes[shape.index()],
                    (run.family, ballast_components::capability::HardwareSet::EMPTY),
                    model,
                    outcome,
                );
            });
        }
        if let Some(recorder) = self.recorder.as_mut() {
            let now = self.world.resource::<Clock>().now.0;
            recorder.write(&Line::ImportHistory { t: now, runs: runs.iter().map(PastRunDto::of).collect() });
        }
        Ok(runs.len())
    }

    /// Clears the tick-time histogram, for a harness that measures a steady state after a warm-up.
    pub fn reset_tick_histogram(&mut self) {
        self.world.resource_mut::<Metrics>().tick_ns.reset();
    }

    /// A read-only view of the engine's state.
    pub fn view(&self) -> View<'_> {
        View::new(&self.world)
    }

    /// The underlying world, read-only (for tools that need more than the view).
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Why a live task is where it is: per requirement, how many workers it excludes, and how many
    /// eligible workers are unhealthy, busy or available now.
    pub fn explain(&self, task: TaskId) -> Result<Explanation, ExplainError> {
        let world = &self.world;
        let directory = world.resource::<Directory>();
        let classes = world.resource::<Classes>();
        let symbols = world.resource::<Symbols>();
        let entity = *directory.tasks.get(&task).ok_or(ExplainError::UnknownTask(task))?;
        let spec = world.get::<Task>(entity).ok_or(ExplainError::UnknownTask(task))?;
        let lifecycle = world.get::<Lifecycle>(entity).ok_or(ExplainError::UnknownTask(task))?;
        let requirements = &classes.requirement_set(spec.requirements).requirements;
        let workers = || {
            directory.slots.iter().flatten().filter_map(|&worker| {
                Some((
                    worker,
                    world.get::<Capabilities>(worker)?,
                    world.get::<Health>(worker)?,
                    world.get::<Load>(worker)?,
                ))
            })
        };
        let counts = count_exclusions(
            requirements,
            symbols,
            workers().map(|(_, capabilities, health, _)| (capabilities, health)),
        );
        let mut explanation = Explanation {
            task,
            state: lifecycle.state,
            workers_registered: counts.workers_registered,
            filters: counts.filters,
            eligible: counts.eligible,
            unhealthy: 0,
            busy: 0,
            available: 0,
            waiting_for_key: None,
            queued_ahead: None,
            placement: None,
        };
        for (_, capabilities, health, load) in workers() {
            if health.draining || !meets_requirements(capabilities, requirements) {
                continue;
            }
            if health.state != HealthState::Healthy {
                explanation.unhealthy += 1;
            } else if load.fit(capabilities, &requirements.demand, &requirements.gpu_models).is_some() {
                explanation.available += 1;
            } else {
                explanation.busy += 1;
            }
        }
        if lifecycle.state == TaskState::Pending {
            if let Some(key) = spec.concurrency_key {
                let holder = world.resource::<ConcurrencyKeys>().keys.get(&key).and_then(|state| state.holder);
                if holder.is_some_and(|holder| holder != entity) {
                    explanation.waiting_for_key = Some(symbols.name(key).to_owned());
                }
            }
            let profile = world.get::<TaskProfile>(entity);
            if let Some(class) = profile.and_then(|profile| profile.class) {
                // Only a task that sits in its class queue has a place in it (not one waiting for a key).
                let pending = &classes.classes[class.index()].pending;
                let position = pending.iter().position(|(_, queued)| queued.entity == entity);
                explanation.queued_ahead = position.map(|position| {
                    let still_pending = |queued: Entity| {
                        world.get::<Lifecycle>(queued).is_some_and(|other| other.state == TaskState::Pending)
                    };
                    pending.iter().take(position).filter(|(_, queued)| still_pending(queued.entity)).count() as u64
                });
            }
        }
        if let Some(assignment) = lifecycle.assignment {
            explanation.placement = self.explain_placement(spec, lifecycle, assignment.slot);
        }
        Ok(explanation)
    }

    /// Where an assigned or running task sits and the terms of the score that put it there.
    fn explain_placement(&self, spec: &Task, lifecycle: &Lifecycle, slot: WorkerSlot) -> Option<PlacementExplanation> {
        let world = &self.world;
        let worker = world.resource::<Directory>().worker_in(slot)?;
        let config = world.resource::<EngineConfig>();
        let note = &lifecycle.placement;
        let factors = ballast_systems::policy::cost_factors(
            config.policy,
            world.resource::<AdaptiveState>().weights_under(config),
            spec.priority,
            lifecycle.predicted_ns,
            note,
        );
        Some(PlacementExplanation {
            worker: world.get::<Worker>(worker)?.id,
            policy: config.policy,
            method: note.method,
            prediction_source: note.source,
            factors,
        })
    }

    /// Checks the engine's invariants from scratch (O(tasks + workers)); returns every violation found.
    /// The simulator runs it after every tick in tests; the engine never needs it to run correctly.
    pub fn check_invariants(&self) -> Vec<String> {
        let world = &self.world;
        let directory = world.resource::<Directory>();
        let classes = world.resource::<Classes>();
        let keys = world.resource::<ConcurrencyKeys>();
        let mut violations = Vec::new();
        let mut placed: FxHashSet<Entity> = FxHashSet::default();
        for (slot, worker_entity) in directory.slots.iter().enumerate() {
            let Some(worker_entity) = *worker_entity else {
                continue;
            };
            let (Some(worker), Some(capabilities), Some(load), Some(tasks)) = (
                world.get::<Worker>(worker_entity),
                world.get::<Capabilities>(worker_entity),
                world.get::<Load>(worker_entity),
                world.get::<WorkerTasks>(worker_entity),
            ) else {
                violations.push(format!("slot {slot} holds an entity without worker components"));
                continue;
            };
            if worker.slot.index() != slot {
                violations.push(format!("{} sits in slot {slot} but says {}", worker.id, worker.slot.0));
            }
            let mut expected =
                Load { prefetch: load.prefetch, seat_limit: load.seat_limit, hot: load.hot, ..Load::default() };
            for &task_entity in &tasks.tasks {
                if !placed.insert(task_entity) {
                    violations.push(format!("a task is listed on two workers (again on {})", worker.id));
                }
                match (world.get::<Task>(task_entity), world.get::<Lifecycle>(task_entity)) {
                    (Some(task), Some(lifecycle)) => match lifecycle.assignment {
                        Some(assignment) if assignment.slot == worker.slot && lifecycle.state.is_placed() => {
                            let demand = classes.requirement_set(task.requirements).requirements.demand;
                            expected.reserve_unchecked(&demand, assignment.devices);
                        }
                        _ => violations
                            .push(format!("{} is listed on {} but is {:?}", task.id, worker.id, lifecycle.state)),
                    },
                    _ => violations.push(format!("{} lists a task entity that does not exist", worker.id)),
                }
            }
            if expected != *load {
                violations
                    .push(format!("{}: ledger {load:?} differs from its tasks' reservations {expected:?}", worker.id));
            }
            if !load.within(capabilities) {
                violations.push(format!("{} is over capacity: {load:?}", worker.id));
            }
            let shapes = world.resource::<Shapes>();
            let health = world.get::<Health>(worker_entity).expect("workers carry Health");
            let expected_level = ballast_systems::policy::level(self.config().policy, capabilities, load, health);
            // A worker registered since the last tick is listed by the next one.
            let listed = !world.resource::<WorkerWork>().registered.contains(&worker_entity);
            if listed && shapes.level_of.get(slot).copied().flatten() != expected_level {
                violations.push(format!(
                    "{} is listed at level {:?}, not {expected_level:?}",
                    worker.id, shapes.level_of[slot]
                ));
            }
            if listed && self.config().policy.is_packing() {
                let filed = shapes.pack_state(worker.slot);
                let expected_filed = expected_level.map(|_| load);
                if filed != expected_filed {
                    violations
                        .push(format!("{} is filed for packing under {filed:?}, not {expected_filed:?}", worker.id));
                }
            }
            if shapes.shape(worker.slot).capabilities != *capabilities {
                violations.push(format!("{} sits in a shape of other capabilities", worker.id));
            }
        }
        let placed_now = world.resource::<Metrics>().counters.placed_now;
        if placed_now != placed.len() as u64 {
            violations.push(format!("the placed-task gauge says {placed_now}, the workers list {}", placed.len()));
        }
        let mut queued: FxHashSet<Entity> = FxHashSet::default();
        for (index, class) in classes.classes.iter().enumerate() {
            queued.extend(class.pending.iter().map(|(_, entry)| entry.entity));
            for tier in &class.candidates.tiers {
                let skipped = (0..tier.shapes.word_count())
                    .map(|word| (tier.shapes.word(word) & class.candidates.skipped.word(word)).count_ones() as usize)
                    .sum::<usize>();
                if skipped != tier.skipped_count {
                    violations.push(format!(
                        "class {index}: a tier counts {} skipped shapes but holds {skipped}",
                        tier.skipped_count
                    ));
                }
            }
        }
        for state in keys.keys.values() {
            queued.extend(state.waiting.iter().copied());
            if let Some(holder) = state.holder
                && !placed.contains(&holder)
            {
                violations.push("a concurrency key is held by a task that is not placed".to_owned());
            }
        }
        let mut running = 0u64;
        for (&id, &entity) in &directory.tasks {
            let Some(lifecycle) = world.get::<Lifecycle>(entity) else {
                violations.push(format!("{id} is in the directory without an entity"));
                continue;
            };
            let task = world.get::<Task>(entity).expect("tasks carry Task");
            if lifecycle.attempts_used() > task.attempts_max {
                violations.push(format!(
                    "{id} took {} attempts, more than its {}",
                    lifecycle.attempts_used(),
                    task.attempts_max
                ));
            }
            if lifecycle.state == TaskState::Running {
                running += 1;
            }
            match lifecycle.state {
                TaskState::Pending => {
                    let admitted_this_tick = world.resource::<TaskWork>().admitted.contains(&entity);
                    let in_queue = lifecycle.queued && queued.contains(&entity);
                    if !(admitted_this_tick || in_queue) {
                        violations.push(format!("{id} is pending but in no queue"));
                    }
                    if placed.contains(&entity) {
                        violations.push(format!("{id} is pending but listed on a worker"));
                    }
                }
                TaskState::Assigned | TaskState::Running => {
                    if !placed.contains(&entity) {
                        violations.push(format!("{id} is {:?} but listed on no worker", lifecycle.state));
                    }
                }
                terminal => violations.push(format!("{id} is {terminal:?} but still in the directory")),
            }
        }
        let running_now = world.resource::<Metrics>().counters.running_now;
        if running_now != running {
            violations.push(format!("the running-task gauge says {running_now}, the tasks {running}"));
        }
        // A recall leaves its task where it is: assigned (not started) on the victim it names.
        for (&entity, recall) in &world.resource::<ballast_components::steal::Recalls>().by_task {
            let on_victim = world.get::<Lifecycle>(entity).is_some_and(|lifecycle| {
                lifecycle.state == TaskState::Assigned
                    && lifecycle.assignment.is_some_and(|assignment| assignment.slot == recall.victim)
            });
            if !on_victim || !placed.contains(&entity) {
                violations.push(format!("a recall names a task not queued on its worker (slot {})", recall.victim.0));
            }
        }
        violations
    }
}

impl Drop for Engine {
    /// A recording still running is finished (its `end` line written and flushed).
    fn drop(&mut self) {
        if let Some(Err(error)) = self.finish_recording() {
            eprintln!("ballast: the recording could not be finished: {error}");
        }
    }
}

//! Stage 1, admit: applies the commands that arrived since the last tick, in arrival order.
//!
//! An exclusive system: registrations and submissions spawn entities, and a later command of the
//! same tick may refer to them, so spawns happen immediately. Consecutive submissions are validated
//! together and spawned in one batch; every other run of commands shares one borrow of the [`Pool`].
//!
//! Reads and writes: everything in [`Pool`], and spawns worker and task entities.
//! Invariants: each command is applied or refused with a typed error, never both, never half;
//! an accepted task is listed in [`TaskWork::admitted`](ballast_components::work::TaskWork) for analysis.

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemState;

use ballast_components::admission::{AdmissionState, Marks, next_state};
use ballast_components::class::ClassError;
use ballast_components::clock::{Clock, Timestamp};
use ballast_components::config::EngineConfig;
use ballast_components::history::History;
use ballast_components::ids::{TaskId, WorkerId, WorkerSlot};
use ballast_components::message::{
    Command, CommandError, CommandKind, Event, Inbox, RegisterError, SubmitError, TaskCommandError, TaskSpec,
    UtilizationReport, WorkerCommandError, WorkerSpec,
};
use ballast_components::requirements::{Demand, GPU_MILLI_WHOLE, GpuDemand, Requirements};
use ballast_components::symbols::{Symbol, SymbolError, Symbols};
use ballast_components::task::{Lifecycle, PRIORITY_LEVELS, Task, TaskProfile, TaskState};
use ballast_components::worker::{
    Capabilities, GPU_DEVICES_MAX, GpuDevice, Health, Load, Thermal, Utilization, Worker, WorkerTasks,
};

use crate::pool::Pool;

/// The longest failure reason kept from a worker's report, in bytes; longer ones are cut.
pub const FAILURE_REASON_LEN_MAX: usize = 1_024;

/// Where refusals go: events (inside a tick) or the caller (the facade's direct calls).
pub type Refusals<'a> = &'a mut dyn FnMut(CommandKind, CommandError);

/// The admit stage: drains the inbox; refusals become [`Event::CommandRejected`].
pub fn admit_commands(world: &mut World, state: &mut SystemState<Pool>, mut batch: Local<Vec<Command>>) {
    std::mem::swap(&mut *batch, &mut world.resource_mut::<Inbox>().commands);
    if batch.is_empty() {
        return;
    }
    let mut refused = Vec::new();
    admit(world, state, batch.drain(..), &mut |command, error| refused.push((command, error)));
    let mut outbox = world.resource_mut::<ballast_components::message::Outbox>();
    for (command, error) in refused {
        outbox.events.push(Event::CommandRejected { command, error });
    }
}

/// Applies `commands` in order. Each refusal is passed to `refusals`.
pub fn admit(
    world: &mut World,
    state: &mut SystemState<Pool>,
    commands: impl IntoIterator<Item = Command>,
    refusals: Refusals<'_>,
) {
    let mut commands = commands.into_iter().peekable();
    let mut submissions: Vec<TaskSpec> = Vec::new();
    while let Some(command) = commands.next() {
        match command {
            Command::RegisterWorker(spec) => {
                if let Err(error) = register_worker(world, state, spec) {
                    refuse(world, refusals, CommandKind::RegisterWorker, error.into());
                }
            }
            Command::SubmitTask(spec) => {
                submissions.push(spec);
                gather_submissions(&mut commands, &mut submissions, world, refusals);
                submit_tasks(world, state, &mut submissions, refusals);
            }
            Command::SubmitBatch(specs) => {
                if let Err(error) = check_batch(world.resource::<EngineConfig>(), specs.len()) {
                    refuse(world, refusals, CommandKind::SubmitBatch, error.into());
                } else {
                    submissions.extend(specs);
                }
                gather_submissions(&mut commands, &mut submissions, world, refusals);
                submit_tasks(world, state, &mut submissions, refusals);
            }
            command => {
                let mut pool = pool(state, world);
                let mut next = Some(command);
                while let Some(command) = next.take() {
                    let kind = command.kind();
                    if let Err(error) = apply(&mut pool, command) {
                        pool.metrics.counters.commands_rejected += 1;
                        refusals(kind, error);
                    }
                    if commands.peek().is_some_and(|command| !spawns(command)) {
                        next = commands.next();
                    }
                }
                state.apply(world);
            }
        }
    }
}

/// Borrows the pool from `world`. The engine inserts every resource the pool needs before the first tick.
pub fn pool<'w, 's>(state: &'s mut SystemState<Pool<'static, 'static>>, world: &'w mut World) -> Pool<'w, 's> {
    state.get_mut(world).expect("the engine inserts every resource of the pool")
}

fn refuse(world: &mut World, refusals: Refusals<'_>, kind: CommandKind, error: CommandError) {
    world.resource_mut::<ballast_components::metrics::Metrics>().counters.commands_rejected += 1;
    refusals(kind, error);
}

/// Whether the command spawns an entity.
fn spawns(command: &Command) -> bool {
    matches!(command, Command::RegisterWorker(_) | Command::SubmitTask(_) | Command::SubmitBatch(_))
}

/// Moves the submissions that directly follow into `submissions`, so they are spawned in one batch.
fn gather_submissions(
    commands: &mut std::iter::Peekable<impl Iterator<Item = Command>>,
    submissions: &mut Vec<TaskSpec>,
    world: &mut World,
    refusals: Refusals<'_>,
) {
    while let Some(command) =
        commands.next_if(|command| matches!(command, Command::SubmitTask(_) | Command::SubmitBatch(_)))
    {
        match command {
            Command::SubmitTask(spec) => submissions.push(spec),
            Command::SubmitBatch(specs) => match check_batch(world.resource::<EngineConfig>(), specs.len()) {
                Ok(()) => submissions.extend(specs),
                Err(error) => refuse(world, refusals, CommandKind::SubmitBatch, error.into()),
            },
            _ => unreachable!("next_if matched a submission"),
        }
    }
}

/// The batch-level checks of a submission of `len` tasks: not empty, not over `submit_batch_len_max`.
pub fn check_batch(config: &EngineConfig, len: usize) -> Result<(), SubmitError> {
    if len == 0 {
        return Err(SubmitError::EmptyBatch);
    }
    if len > config.submit_batch_len_max {
        return Err(SubmitError::BatchTooLarge { len, max: config.submit_batch_len_max });
    }
    Ok(())
}

/// Applies one command that spawns nothing.
pub fn apply(pool: &mut Pool, command: Command) -> Result<(), CommandError> {
    match command {
        Command::Heartbeat { worker, utilization } => {
            let entity = worker_entity(pool, worker)?;
            let utilization = utilization.map(|report| check_utilization(worker, report, pool.now())).transpose()?;
            pool.heartbeat(entity, utilization);
        }
        Command::DrainWorker { worker } => {
            let entity = worker_entity(pool, worker)?;
            pool.drain(entity);
        }
        Command::RemoveWorker { worker } => {
            let entity = worker_entity(pool, worker)?;
            pool.remove_worker(entity, ballast_components::message::RemovalReason::Removed);
        }
        Command::CancelTask { task } => {
            let entity = task_entity(pool, task)?;
            pool.cancel(entity);
        }
        Command::TaskStarted { task, worker } => {
            let entity = placed_task(pool, task, worker)?;
            if pool.tasks.get(entity).is_ok_and(|data| data.lifecycle.state == TaskState::Running) {
                return Err(TaskCommandError::AlreadyStarted(task).into());
            }
            pool.start(entity);
        }
        Command::TaskReleased { task, worker } => {
            let entity = placed_task(pool, task, worker)?;
            if pool.tasks.get(entity).is_ok_and(|data| data.lifecycle.state == TaskState::Running) {
                return Err(TaskCommandError::AlreadyStarted(task).into());
            }
            pool.give_back(entity);
        }
        Command::TaskCompleted { task, worker, duration_ns } => {
            let entity = placed_task(pool, task, worker)?;
            pool.complete(entity, duration_ns);
        }
        Command::TaskFailed { task, worker, reason, retryable } => {
            let entity = placed_task(pool, task, worker)?;
            if retryable {
                pool.retry_or_fail(entity, ballast_components::message::RequeueReason::AttemptFailed);
            } else {
                pool.fail(entity, truncate(reason, FAILURE_REASON_LEN_MAX));
            }
        }
        Command::RegisterWorker(_) | Command::SubmitTask(_) | Command::SubmitBatch(_) => {
            unreachable!("spawning commands are admitted by `admit`")
        }
    }
    Ok(())
}

fn truncate(mut text: String, len_max: usize) -> String {
    if text.len() > len_max {
        let mut cut = len_max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

fn worker_entity(pool: &Pool, worker: WorkerId) -> Result<Entity, WorkerCommandError> {
    pool.directory.workers.get(&worker).copied().ok_or(WorkerCommandError::UnknownWorker(worker))
}

fn task_entity(pool: &Pool, task: TaskId) -> Result<Entity, TaskCommandError> {
    pool.directory.tasks.get(&task).copied().ok_or(TaskCommandError::UnknownTask(task))
}

/// The entity of `task`, which must be placed on `worker`.
fn placed_task(pool: &Pool, task: TaskId, worker: WorkerId) -> Result<Entity, TaskCommandError> {
    let entity = task_entity(pool, task)?;
    let worker_slot = pool
        .directory
        .workers
        .get(&worker)
        .and_then(|&worker_entity| pool.workers.get(worker_entity).ok())
        .map(|data| data.worker.slot)
        .ok_or(TaskCommandError::UnknownWorker(worker))?;
    let data = pool.tasks.get(entity).map_err(|_| TaskCommandError::UnknownTask(task))?;
    match data.lifecycle.assignment {
        Some(assignment) if assignment.slot == worker_slot => Ok(entity),
        _ => Err(TaskCommandError::NotOnWorker { task, worker, state: data.lifecycle.state.name() }),
    }
}

fn check_utilization(
    worker: WorkerId,
    report: UtilizationReport,
    now: Timestamp,
) -> Result<Utilization, WorkerCommandError> {
    let heat = report.heat.unwrap_or(0.0);
    for (field, value) in [("cpu", report.cpu), ("memory", report.memory), ("gpu", report.gpu), ("heat", heat)] {
        if !(0.0..=1.0).contains(&value) {
            return Err(WorkerCommandError::BadUtilization { worker, field, value });
        }
    }
    Ok(Utilization { cpu: report.cpu, memory: report.memory, gpu: report.gpu, heat: report.heat, reported_at: now })
}

/// Registers a worker: validates, spawns, allocates its slot and indexes it.
fn register_worker(world: &mut World, state: &mut SystemState<Pool>, spec: WorkerSpec) -> Result<(), RegisterError> {
    let capabilities = {
        let mut pool = pool(state, world);
        if pool.directory.workers.contains_key(&spec.id) {
            return Err(RegisterError::Duplicate(spec.id));
        }
        if pool.directory.workers.len() >= pool.config.workers_max as usize {
            return Err(RegisterError::PoolFull { max: pool.config.workers_max });
        }
        let config = pool.config.clone();
        worker_capabilities(&spec, &config, &mut pool.symbols)?
    };
    let now = world.resource::<Clock>().now;
    let entity = world.spawn_empty().id();
    let slot = {
        let mut pool = pool(state, world);
        let slot = pool.directory.allocate_slot(entity);
        pool.directory.workers.insert(spec.id, entity);
        let (shape, _) = pool.shapes.intern(&capabilities);
        pool.shapes.join(slot, shape);
        pool.index.insert(slot, &capabilities);
        pool.index.set_schedulable(slot, true);
        pool.index.set_has_free_slot(slot, true);
        pool.worker_work.registered.push(entity);
        pool.metrics.counters.workers_registered += 1;
        pool.outbox.events.push(Event::WorkerRegistered { worker: spec.id });
        slot
    };
    let prefetch = world.resource::<EngineConfig>().prefetch_max;
    world.entity_mut(entity).insert(worker_bundle(spec.id, slot, capabilities, prefetch, now));
    Ok(())
}

fn worker_bundle(
    id: WorkerId,
    slot: WorkerSlot,
    capabilities: Capabilities,
    prefetch: u32,
    now: Timestamp,
) -> (Worker, Capabilities, Load, Health, Thermal, Utilization, WorkerTasks, History) {
    (
        Worker { id, slot, registered_at: now },
        capabilities,
        Load { prefetch, ..Load::default() },
        Health { state_since: now, last_heartbeat_at: now, ..Health::default() },
        Thermal { since: now, heat_at: now, ..Thermal::default() },
        Utilization { reported_at: now, ..Utilization::default() },
        WorkerTasks::default(),
        History::default(),
    )
}

/// Checks a worker spec and interns its strings.
pub fn worker_capabilities(
    spec: &WorkerSpec,
    config: &EngineConfig,
    symbols: &mut Symbols,
) -> Result<Capabilities, RegisterError> {
    let worker = spec.id;
    let range = |field: &'static str, value: u64, low: u64, high: u64| {
        if (low..=high).contains(&value) {
            Ok(())
        } else {
            Err(RegisterError::OutOfRange { worker, field, value, range: format!("{low}..={high}") })
        }
    };
    range("slots", u64::from(spec.slots), 1, u64::from(config.slots_per_worker_max))?;
    range("cpu_milli", u64::from(spec.cpu_milli), 0, u64::from(config.cpu_milli_max))?;
    range("memory_mib", spec.memory_mib, 0, config.memory_mib_max)?;
    range("gpus", spec.gpus.len() as u64, 0, GPU_DEVICES_MAX as u64)?;
    range("tags", spec.tags.len() as u64, 0, config.tags_max as u64)?;
    let mut gpus = Vec::with_capacity(spec.gpus.len());
    for gpu in &spec.gpus {
        range("gpu memory_mib", gpu.memory_mib, 0, config.memory_mib_max)?;
        let model = gpu
            .model
            .as_deref()
            .map(|model| symbols.intern(model))
            .transpose()
            .map_err(|error| RegisterError::BadString { worker, field: "gpu model", error })?;
        gpus.push(GpuDevice { model, memory_mib: gpu.memory_mib });
    }
    let tags =
        intern_sorted(&spec.tags, symbols).map_err(|error| RegisterError::BadString { worker, field: "tag", error })?;
    Ok(Capabilities {
        hardware: spec.hardware,
        browsers: spec.browsers,
        cpu_milli: spec.cpu_milli,
        memory_mib: spec.memory_mib,
        slots: spec.slots,
        gpus: gpus.into_boxed_slice(),
        tags,
    })
}

fn intern_sorted(names: &[String], symbols: &mut Symbols) -> Result<Box<[Symbol]>, SymbolError> {
    let mut interned = names.iter().map(|name| symbols.intern(name)).collect::<Result<Vec<_>, _>>()?;
    interned.sort_unstable();
    interned.dedup();
    Ok(interned.into_boxed_slice())
}

/// Validates and spawns a run of submissions as one batch.
fn submit_tasks(world: &mut World, state: &mut SystemState<Pool>, specs: &mut Vec<TaskSpec>, refusals: Refusals<'_>) {
    submit_tasks_each(world, state, specs, &mut |_, error| refusals(CommandKind::SubmitTask, error.into()));
}

/// Validates and spawns `specs` (drained) as one batch, in order, without the batch-level checks;
/// each refusal is passed to `refused` with the index of its spec, so every spec is either accepted
/// or refused exactly once.
pub fn submit_tasks_each(
    world: &mut World,
    state: &mut SystemState<Pool>,
    specs: &mut Vec<TaskSpec>,
    refused: &mut dyn FnMut(usize, SubmitError),
) {
    if specs.is_empty() {
        return;
    }
    let now = world.resource::<Clock>().now;
    let mut accepted: Vec<(Task, TaskProfile, Lifecycle)> = Vec::with_capacity(specs.len());
    {
        let mut pool = pool(state, world);
        let config = pool.config.clone();
        for (index, spec) in specs.drain(..).enumerate() {
            match check_task(&mut pool, &config, spec, now) {
                Ok(task) => {
                    pool.directory.tasks.insert(task.id, Entity::PLACEHOLDER);
                    let lifecycle = Lifecycle { enqueued_at: now, state_since: now, ..Lifecycle::default() };
                    accepted.push((task, TaskProfile::default(), lifecycle));
                }
                Err(error) => {
                    pool.metrics.counters.commands_rejected += 1;
                    refused(index, error);
                }
            }
        }
    }
    let ids: Vec<TaskId> = accepted.iter().map(|(task, _, _)| task.id).collect();
    let entities: Vec<Entity> = world.spawn_batch(accepted).collect();
    let mut pool = pool(state, world);
    pool.metrics.counters.tasks_accepted += ids.len() as u64;
    for (id, entity) in ids.into_iter().zip(entities) {
        pool.directory.tasks.insert(id, entity);
        pool.task_work.admitted.push(entity);
        pool.outbox.events.push(Event::TaskAccepted { task: id });
    }
}

/// Measures the queue delay of each requirement set (the wait of its oldest task still queued, over
/// its classes and priority levels) for admission control; runs once per tick, after matching. A
/// queue's front that was cancelled (dropped lazily) is skipped along with its level.
pub fn measure_queue_delay(mut pool: Pool, mut waits: Local<Vec<u64>>) {
    let high_ns = pool.config.admission_wait_high_ms.saturating_mul(1_000_000);
    let per_worker = pool.config.admission_set_pending_per_worker;
    if (high_ns == 0 && per_worker == 0) || !pool.config.backpressure {
        return;
    }
    let now = pool.now();
    let sets = pool.classes.requirement_sets.len();
    waits.clear();
    waits.resize(sets, 0);
    let mut pending = std::mem::take(&mut pool.admission.set_pending);
    pending.clear();
    pending.resize(sets, 0);
    let mut pending_max = std::mem::take(&mut pool.admission.set_pending_max);
    pending_max.clear();
    pending_max.extend(pool.classes.requirement_sets.iter().map(|set| per_worker * set.eligible.len().max(1)));
    for class in &pool.classes.classes {
        let set = class.key.requirements.index();
        pending[set] += class.pending.len() as u64;
        for level in 0..PRIORITY_LEVELS as u8 {
            let Some(queued) = class.pending.front(level) else { continue };
            let live = pool.tasks.get(queued.entity).is_ok_and(|data| data.lifecycle.queued);
            if live {
                waits[set] = waits[set].max(now.since(queued.enqueued_at));
            }
        }
    }
    pool.admission.set_pending = pending;
    pool.admission.set_pending_max = pending_max;
    let slow = &mut pool.admission.slow_sets;
    slow.resize(waits.len(), false);
    for (slow, &wait_ns) in slow.iter_mut().zip(waits.iter()) {
        *slow = ballast_components::admission::still_slow(*slow, wait_ns, high_ns);
    }
}

/// Checks one submission and interns what it names. Nothing is changed when it is refused, except
/// that new strings may stay interned.
fn check_task(pool: &mut Pool, config: &EngineConfig, spec: TaskSpec, now: Timestamp) -> Result<Task, SubmitError> {
    let task = spec.id;
    if pool.directory.knows_task(task) {
        return Err(SubmitError::Duplicate(task));
    }
    if pool.directory.tasks.len() as u64 >= config.tasks_max {
        return Err(SubmitError::QueueFull { task, max: config.tasks_max });
    }
    // Admission control, judged at each submission: live tasks that are not placed are waiting. With
    // prediction, also those expected to wait by the time a deferred submission comes back, so a rising
    // queue is met before it reaches the marks.
    // The forecast can defer, never refuse; the answer reports the tasks waiting now.
    if config.backpressure {
        let pending = crate::forecast::pending_now(&pool.directory, &pool.metrics);
        let marks = Marks {
            low: config.admission_pending_low,
            high: config.admission_pending_high,
            reject: config.admission_pending_reject,
        };
        let mut judged = pending;
        let forecast = &pool.forecast.pending;
        if config.prediction && forecast.primed {
            let steps = config.admission_retry_after_ms as f64 / ballast_components::forecast::STEP_MS as f64;
            let expected = (forecast.forecast(steps).round() as u64).min(marks.reject - 1);
            judged = judged.max(expected);
        }
        let state = next_state(pool.admission.state, judged, pool.admission.busy, marks);
        pool.admission.state = state;
        let retry_after_ms = config.admission_retry_after_ms;
        match state {
            AdmissionState::Accepting => {}
            AdmissionState::Deferring => {
                pool.metrics.counters.admissions_deferred += 1;
                return Err(SubmitError::Deferred { task, pending, retry_after_ms });
            }
            AdmissionState::Rejecting => {
                pool.metrics.counters.admissions_refused += 1;
                return Err(SubmitError::Overloaded { task, pending, retry_after_ms });
            }
        }
    }
    let range = |field: &'static str, value: u64, low: u64, high: u64| {
        if (low..=high).contains(&value) {
            Ok(())
        } else {
            Err(SubmitError::OutOfRange { task, field, value, range: format!("{low}..={high}") })
        }
    };
    let requirements = &spec.requirements;
    range("priority", u64::from(spec.priority), 0, PRIORITY_LEVELS as u64 - 1)?;
    range("memory_mib", requirements.memory_mib, 0, config.memory_mib_max)?;
    range("cpu_milli", u64::from(requirements.cpu_milli), 0, u64::from(config.cpu_milli_max))?;
    range("tags", requirements.tags.len() as u64, 0, config.tags_max as u64)?;
    range("gpu_models", requirements.gpu_models.len() as u64, 0, config.tags_max as u64)?;
    let gpu = requirements.gpu;
    range("gpu count", u64::from(gpu.count), 0, GPU_DEVICES_MAX as u64)?;
    if gpu.count == 0 {
        range("gpu milli without a gpu", u64::from(gpu.milli), 0, 0)?;
        range("gpu memory_mib without a gpu", gpu.memory_mib, 0, 0)?;
    } else {
        range("gpu milli", u64::from(gpu.milli), 1, u64::from(GPU_MILLI_WHOLE))?;
        range("gpu memory_mib", gpu.memory_mib, 0, config.memory_mib_max)?;
        if gpu.milli < GPU_MILLI_WHOLE {
            range("gpu count of a fractional share", u64::from(gpu.count), 1, 1)?;
        }
    }
    if let Some(timeout_ms) = spec.timeout_ms {
        range("timeout_ms", timeout_ms, 1, config.timeout_ms_max)?;
    }
    if let Some(attempts_max) = spec.attempts_max {
        range("attempts_max", u64::from(attempts_max), 1, u64::from(config.attempts_max))?;
    }
    let bad_string = |field: &'static str| move |error| SubmitError::BadString { task, field, error };
    let model =
        spec.model_id.as_deref().map(|model| pool.symbols.intern(model)).transpose().map_err(bad_string("model_id"))?;
    let concurrency_key = spec
        .concurrency_key
        .as_deref()
        .map(|key| pool.symbols.intern(key))
        .transpose()
        .map_err(bad_string("concurrency_key"))?;
    let tags = intern_sorted(&requirements.tags, &mut pool.symbols).map_err(bad_string("tag"))?;
    let gpu_models = intern_sorted(&requirements.gpu_models, &mut pool.symbols).map_err(bad_string("gpu model"))?;
    let interned = Requirements {
        hardware_any: requirements.hardware_any,
        browsers_any: requirements.browsers_any,
        gpu_models,
        tags,
        demand: Demand {
            cpu_milli: requirements.cpu_milli,
            memory_mib: requirements.memory_mib,
            gpu: if gpu.count == 0 { GpuDemand::NONE } else { gpu },
        },
    };
    let (requirements, _) = pool.classes.intern_requirements(interned).map_err(|error| match error {
        ClassError::TooManyRequirementSets { max } => SubmitError::TooManyRequirementSets { task, max },
    })?;
    if config.backpressure {
        let set = requirements.index();
        let admission = &mut *pool.admission;
        let slow = admission.slow_sets.get(set).copied().unwrap_or(false);
        let backlog = match (admission.set_pending.get(set), admission.set_pending_max.get(set)) {
            (Some(&pending), Some(&max)) => max > 0 && pending >= max,
            _ => false,
        };
        if slow || backlog {
            pool.metrics.counters.admissions_deferred += 1;
            let pending = crate::forecast::pending_now(&pool.directory, &pool.metrics);
            return Err(SubmitError::Deferred { task, pending, retry_after_ms: config.admission_retry_after_ms });
        }
        if let Some(pending) = admission.set_pending.get_mut(set) {
            *pending += 1;
        }
    }
    Ok(Task {
        id: task,
        requirements,
        priority: spec.priority,
        test_type: spec.test_type,
        attempts_max: spec.attempts_max.unwrap_or(config.attempts_max),
        model,
        concurrency_key,
        submitted_at: now,
        timeout_ns: spec.timeout_ms.map_or(0, |timeout_ms| timeout_ms.saturating_mul(1_000_000)),
        deadline: spec.deadline,
        calibration: spec.calibration,
    })
}

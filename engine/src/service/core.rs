//! The engine thread: the one owner of the [`Engine`] in service mode.
//!
//! It applies each request's commands at once, in order, with a typed result per command (per task
//! for a batch); numbers every event; ticks on the wall clock; and hands the changes of each request
//! and each tick to the journal thread as one [`Unit`], whose reply the journal thread sends once the
//! unit is durable. A request that changed nothing the engine owes (heartbeats) is answered at once.
//! Queries (a task, a worker, the state, a metrics sample) are answered from the engine as it is.
//!
//! Engine time: nanoseconds of wall time since this process started, plus the engine time of the last
//! durable batch before it, so that time only moves forward across restarts.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use tokio::sync::oneshot;

use ballast_components::clock::Timestamp;
use ballast_components::history::PastRun;
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{Command, Event};
use ballast_components::worker::{HealthState, ThermalState};

use super::journal::{Entry, Unit};
use super::metrics::{EngineSample, HistogramSample, latency_bounds, tick_bounds};
use super::wire::{
    CommandResult, CommandsReply, CountersInfo, ErrorBody, ExplanationInfo, FilterInfo, Parsed, QueueDepthInfo,
    RejectedTask, StateInfo, TaskInfo, WorkerInfo, command_error, submit_error,
};
use crate::engine::Engine;
use crate::view::TaskLookup;

/// Named counts (a state and how many are in it).
type Counts = Vec<(&'static str, u64)>;

/// What the HTTP threads ask of the engine thread.
#[derive(Debug)]
pub enum Request {
    /// Apply commands; the reply comes once their changes are durable.
    Commands {
        /// The commands, parsed.
        commands: Vec<Parsed>,
        /// Where the results go.
        reply: oneshot::Sender<Result<CommandsReply, ErrorBody>>,
    },
    /// One task.
    Task {
        /// Its id.
        id: u64,
        /// Where the answer goes (`None`: never submitted).
        reply: oneshot::Sender<Option<TaskInfo>>,
    },
    /// One worker.
    Worker {
        /// Its id.
        id: u64,
        /// Where the answer goes (`None`: not registered).
        reply: oneshot::Sender<Option<WorkerInfo>>,
    },
    /// The engine's state.
    State {
        /// Where the answer goes.
        reply: oneshot::Sender<StateInfo>,
    },
    /// A sample of the engine's metrics.
    Metrics {
        /// Where the answer goes.
        reply: oneshot::Sender<EngineSample>,
    },
}

/// The engine thread's state.
pub struct Core {
    engine: Engine,
    next_seq: u64,
    units: Sender<Unit>,
    time_base_ns: u64,
    started: Instant,
    tick_interval: Duration,
}

impl Core {
    /// A core over a restored `engine` whose last event was `last_seq`, continuing engine time from
    /// `time_base_ns`.
    pub fn new(engine: Engine, last_seq: u64, time_base_ns: u64, units: Sender<Unit>, tick_interval: Duration) -> Core {
        Core { engine, next_seq: last_seq + 1, units, time_base_ns, started: Instant::now(), tick_interval }
    }

    fn now(&self) -> Timestamp {
        let elapsed = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        Timestamp(self.time_base_ns.saturating_add(elapsed).max(self.engine.now().0))
    }

    /// Runs until every request sender is gone; an error when the journal thread stopped.
    pub fn run(mut self, requests: Receiver<Request>) -> Result<(), String> {
        let mut next_tick = Instant::now();
        loop {
            match requests.recv_deadline(next_tick) {
                Ok(request) => self.handle(request)?,
                Err(RecvTimeoutError::Timeout) => {
                    self.tick()?;
                    // A late tick (a slow tick, a busy machine) skips the ticks it missed.
                    next_tick = (next_tick + self.tick_interval).max(Instant::now());
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }

    fn tick(&mut self) -> Result<(), String> {
        let now = self.now();
        if let Err(error) = self.engine.tick(now) {
            return Err(format!("the engine refused a tick: {error}"));
        }
        let mut entries = Vec::new();
        self.number_events(&mut entries);
        if entries.is_empty() {
            return Ok(());
        }
        self.send(Unit { entries, tick_ns: now.0, reply: None })
    }

    fn send(&self, unit: Unit) -> Result<(), String> {
        self.units.send(unit).map_err(|_| "the journal thread stopped".to_owned())
    }

    /// Numbers the events produced so far and adds them to `entries`, each assignment with its devices.
    fn number_events(&mut self, entries: &mut Vec<Entry>) {
        for event in self.engine.events() {
            let assigned = match &event {
                Event::TaskAssigned { task, .. } | Event::TaskMigrated { task, .. } => Some(*task),
                _ => None,
            };
            entries.push(Entry::Event { seq: self.next_seq, event });
            self.next_seq += 1;
            if let Some(task) = assigned
                && let TaskLookup::Live(view) = self.engine.view().task(task)
                && let Some(assignment) = view.lifecycle.assignment
                && assignment.devices != 0
            {
                entries.push(Entry::Devices { task: task.0, mask: assignment.devices });
            }
        }
    }

    fn handle(&mut self, request: Request) -> Result<(), String> {
        match request {
            Request::Commands { commands, reply } => self.commands(commands, reply),
            Request::Task { id, reply } => {
                let _ = reply.send(self.task(id));
                Ok(())
            }
            Request::Worker { id, reply } => {
                let _ = reply.send(self.worker(id));
                Ok(())
            }
            Request::State { reply } => {
                let _ = reply.send(self.state());
                Ok(())
            }
            Request::Metrics { reply } => {
                let _ = reply.send(self.sample());
                Ok(())
            }
        }
    }

    fn commands(
        &mut self,
        commands: Vec<Parsed>,
        reply: oneshot::Sender<Result<CommandsReply, ErrorBody>>,
    ) -> Result<(), String> {
        let mut results = Vec::with_capacity(commands.len());
        let mut entries = Vec::new();
        for parsed in commands {
            let (command, tasks_json) = match parsed {
                Parsed::Refused(error) => {
                    results.push(CommandResult::error(error));
                    continue;
                }
                Parsed::Command { command, tasks_json } => (command, tasks_json),
            };
            results.push(self.command(command, tasks_json, &mut entries));
            self.number_events(&mut entries);
        }
        if entries.is_empty() {
            let _ = reply.send(Ok(CommandsReply { results }));
            return Ok(());
        }
        let tick_ns = self.engine.now().0;
        self.send(Unit { entries, tick_ns, reply: Some((reply, results)) })
    }

    /// Applies one command; its journal changes (but not its events) go to `entries`.
    fn command(&mut self, command: Command, tasks_json: Vec<Box<str>>, entries: &mut Vec<Entry>) -> CommandResult {
        match command {
            Command::SubmitTask(spec) => {
                let id = spec.id.0;
                match self.engine.submit_each(vec![spec]) {
                    Ok(mut outcomes) => match outcomes.pop() {
                        Some(Ok(())) => {
                            entries.push(Entry::Task { id, json: tasks_json.into_iter().next().unwrap_or_default() });
                            CommandResult::ok()
                        }
                        Some(Err(error)) => CommandResult::error(submit_error(&error)),
                        None => CommandResult::error(ErrorBody::new("rejected", "the engine answered nothing")),
                    },
                    Err(error) => CommandResult::error(submit_error(&error)),
                }
            }
            Command::SubmitBatch(specs) => {
                let ids: Vec<u64> = specs.iter().map(|spec| spec.id.0).collect();
                match self.engine.submit_each(specs) {
                    Ok(outcomes) => {
                        let mut rejected = Vec::new();
                        let mut accepted = 0;
                        for ((index, outcome), json) in outcomes.into_iter().enumerate().zip(tasks_json) {
                            match outcome {
                                Ok(()) => {
                                    accepted += 1;
                                    entries.push(Entry::Task { id: ids[index], json });
                                }
                                Err(error) => {
                                    rejected.push(RejectedTask { task: ids[index], index, error: submit_error(&error) })
                                }
                            }
                        }
                        CommandResult::Ok { ok: true, accepted: Some(accepted), rejected }
                    }
                    Err(error) => CommandResult::error(submit_error(&error)),
                }
            }
            Command::RegisterWorker(spec) => {
                let journaled = spec.clone();
                self.apply(Command::RegisterWorker(spec), || Some(Entry::Worker(journaled)), entries)
            }
            Command::TaskStarted { task, worker } => {
                self.apply(Command::TaskStarted { task, worker }, || Some(Entry::Started { task: task.0 }), entries)
            }
            Command::TaskCompleted { task, worker, duration_ns } => {
                let run = self.past_run(task, worker, duration_ns, true);
                self.apply(Command::TaskCompleted { task, worker, duration_ns }, || run.map(Entry::Run), entries)
            }
            Command::TaskFailed { task, worker, reason, retryable } => {
                let run = self.past_run(task, worker, 0, false);
                self.apply(Command::TaskFailed { task, worker, reason, retryable }, || run.map(Entry::Run), entries)
            }
            other => self.apply(other, || None, entries),
        }
    }

    fn apply(
        &mut self,
        command: Command,
        entry: impl FnOnce() -> Option<Entry>,
        entries: &mut Vec<Entry>,
    ) -> CommandResult {
        match self.engine.apply(command).first() {
            None => {
                entries.extend(entry());
                CommandResult::ok()
            }
            Some(error) => CommandResult::error(command_error(error)),
        }
    }

    /// The history record of an attempt of a placed task that its worker reports as ended.
    fn past_run(&self, task: TaskId, worker: WorkerId, duration_ns: u64, completed: bool) -> Option<PastRun> {
        let view = self.engine.view();
        let TaskLookup::Live(task) = view.task(task) else { return None };
        (task.worker == Some(worker)).then(|| PastRun {
            worker,
            model: task.task.model.map(|model| view.symbols().name(model).to_owned()),
            family: task.profile.family,
            test_type: task.task.test_type,
            duration_ns,
            completed,
        })
    }

    fn task(&self, id: u64) -> Option<TaskInfo> {
        let view = self.engine.view();
        match view.task(TaskId(id)) {
            TaskLookup::Unknown => None,
            TaskLookup::Ended => Some(TaskInfo {
                task: id,
                state: "ended",
                worker: None,
                attempts: None,
                priority: None,
                family: None,
                explain: None,
                explanation: None,
            }),
            TaskLookup::Live(task) => {
                let explanation = self.engine.explain(TaskId(id)).ok();
                Some(TaskInfo {
                    task: id,
                    state: task.lifecycle.state.name(),
                    worker: task.worker.map(|worker| worker.0),
                    attempts: Some(task.lifecycle.attempts_used()),
                    priority: Some(task.task.priority),
                    family: Some(task.profile.family.name()),
                    explain: explanation.as_ref().map(ToString::to_string),
                    explanation: explanation.map(|explanation| ExplanationInfo {
                        workers_registered: explanation.workers_registered,
                        eligible: explanation.eligible,
                        unhealthy: explanation.unhealthy,
                        busy: explanation.busy,
                        available: explanation.available,
                        filters: explanation
                            .filters
                            .iter()
                            .map(|count| FilterInfo { filter: count.filter.to_string(), excluded: count.excluded })
                            .collect(),
                        queued_ahead: explanation.queued_ahead,
                        waiting_for_key: explanation.waiting_for_key.clone(),
                        placement: explanation.placement.as_ref().map(ToString::to_string),
                    }),
                })
            }
        }
    }

    fn worker(&self, id: u64) -> Option<WorkerInfo> {
        let view = self.engine.view();
        let worker = view.worker(WorkerId(id))?;
        let history = worker.history;
        let (completed, failed) = history
            .by_family
            .iter()
            .fold((0u64, 0u64), |(c, f), stats| (c + u64::from(stats.completed), f + u64::from(stats.failed)));
        Some(WorkerInfo {
            worker: id,
            health: worker.health.state.name(),
            draining: worker.health.draining,
            quarantined: worker.health.quarantined_until.is_some_and(|until| until > view.now()),
            thermal: worker.thermal.state.name(),
            hardware: worker.capabilities.hardware.iter().map(|kind| kind.name()).collect(),
            slots: worker.capabilities.slots,
            tasks: worker.task_count,
            cpu_milli_used: worker.load.cpu_milli_used,
            cpu_milli: worker.capabilities.cpu_milli,
            memory_mib_used: worker.load.memory_used_mib,
            memory_mib: worker.capabilities.memory_mib,
            completed,
            failed,
        })
    }

    /// Workers per health state and per thermal state.
    fn health_counts(&self) -> (Counts, Counts) {
        let view = self.engine.view();
        let now = view.now();
        let mut health = [0u64; 5];
        let mut thermal = [0u64; ThermalState::ALL.len()];
        for worker in view.workers() {
            health[match worker.health.state {
                HealthState::Healthy => 0,
                HealthState::Suspect => 1,
                HealthState::Unresponsive => 2,
            }] += 1;
            if worker.health.draining {
                health[3] += 1;
            }
            if worker.health.quarantined_until.is_some_and(|until| until > now) {
                health[4] += 1;
            }
            if let Some(index) = ThermalState::ALL.iter().position(|state| *state == worker.thermal.state) {
                thermal[index] += 1;
            }
        }
        let names = ["healthy", "suspect", "unresponsive", "draining", "quarantined"];
        (
            names.into_iter().zip(health).collect(),
            ThermalState::ALL.iter().map(|state| state.name()).zip(thermal).collect(),
        )
    }

    fn state(&self) -> StateInfo {
        let view = self.engine.view();
        let c = view.counters();
        let (health, thermal) = self.health_counts();
        let admission = self.engine.world().resource::<ballast_components::admission::Admission>().state.name();
        StateInfo {
            now_ns: view.now().0,
            ready: true,
            last_seq: self.next_seq - 1,
            workers: view.worker_count(),
            live_tasks: view.live_task_count(),
            placed: c.placed_now,
            running: c.running_now,
            admission,
            queue_depth: view
                .queue_depths()
                .into_iter()
                .map(|depth| QueueDepthInfo {
                    class: depth.class.0,
                    family: depth.family.name(),
                    pending: depth.entries,
                })
                .collect(),
            workers_by_health: health.into_iter().collect(),
            workers_by_thermal: thermal.into_iter().collect(),
            counters: CountersInfo {
                tasks_accepted: c.tasks_accepted,
                placements: c.placements,
                tasks_completed: c.tasks_completed,
                tasks_failed: c.tasks_failed,
                tasks_cancelled: c.tasks_cancelled,
                tasks_unschedulable: c.tasks_unschedulable,
                requeues: c.requeues,
                steals: c.steals,
                migrations: c.migrations,
                deferrals: c.admissions_deferred,
                rejections: c.admissions_refused,
                commands_rejected: c.commands_rejected,
                quarantines: c.quarantines,
            },
        }
    }

    fn sample(&self) -> EngineSample {
        let view = self.engine.view();
        let metrics = view.metrics();
        let (workers_by_health, workers_by_thermal) = self.health_counts();
        EngineSample {
            counters: metrics.counters,
            wait: HistogramSample::of(&metrics.wait_ns, &latency_bounds()),
            tick: HistogramSample::of(&metrics.tick_ns, &tick_bounds()),
            run: HistogramSample::of(&metrics.run_ns, &latency_bounds()),
            queue_depth: view
                .queue_depths()
                .into_iter()
                .map(|depth| (depth.class.0, depth.family.name(), depth.entries))
                .collect(),
            workers_by_health,
            workers_by_thermal,
            live_tasks: view.live_task_count() as u64,
            last_seq: self.next_seq - 1,
        }
    }
}

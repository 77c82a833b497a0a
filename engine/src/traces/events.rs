//! `ballast replay events` of a recording of an embedded engine (`source: "engine"`): a coordinator's
//! real run, Ballast's own trace format (`crate::record`; a simulated run's recording replays through
//! `crate::sim::replay`).
//!
//! Such a recording holds no model of how fast each worker is, only what was reported. Two ways:
//!
//! - **Verbatim** (the recorded config, every worker): every recorded command is fed again at its place
//!   between the recorded ticks. The engine is deterministic, so it answers with the recorded events,
//!   and the replay checks that it does, event by event.
//! - **What-if** (another policy, another config, or fewer workers): the coordinator's commands that do
//!   not depend on placement (registrations, heartbeats, drains, removals, submissions, cancellations,
//!   history) are fed at their recorded times; the workers' answers are simulated from the recording:
//!   each attempt of a task takes the run time it took in the recording (its `task_completed` duration,
//!   or the time from its start to its `task_failed`) and ends the same way, on whichever worker the
//!   new placement chooses. A worker runs as many tasks at once as it has slots and queues the rest
//!   (its run queue). An attempt the recording never saw (a task that was never run, or more attempts
//!   than recorded) completes after the task's last recorded run time, or the median run time of the
//!   recording when it has none. Run times do not change with the worker: the recording holds no speeds.
//!
//! Both read the file twice (the first pass collects each task's attempts), line by line; memory grows
//! with the number of tasks (a few dozen bytes each), not with the file.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use hdrhistogram::Histogram;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rustc_hash::{FxHashMap, FxHashSet};
use xxhash_rust::xxh3::Xxh3;

use ballast_components::clock::Timestamp;
use ballast_components::config::EngineConfig;
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{Command, Event};

use crate::engine::Engine;
use crate::record::{Apply, Line, Reader, RecordError};
use crate::sim::Distribution;

/// How to replay an engine recording.
#[derive(Clone, Debug, Default)]
pub struct EngineReplayOptions {
    /// Use this engine config instead of the recorded one (with `--policy` applied by the caller).
    pub config: Option<EngineConfig>,
    /// Leave out this share of the workers (0 to 100), chosen by the recorded engine seed.
    pub drop_workers_percent: f64,
    /// Record the replay too.
    pub record: Option<std::path::PathBuf>,
}

/// What a run did, from its events: the same measures for the recorded run and its replay.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct EventSummary {
    /// The placement policy.
    pub policy: String,
    /// Workers registered.
    pub workers: u64,
    /// Tasks accepted.
    pub tasks: u64,
    /// Tasks that completed.
    pub tasks_completed: u64,
    /// Tasks that failed for good.
    pub tasks_failed: u64,
    /// Tasks cancelled.
    pub tasks_cancelled: u64,
    /// Tasks no worker could run.
    pub tasks_unschedulable: u64,
    /// Tasks accepted that never ended.
    pub tasks_open: u64,
    /// Placements (each attempt counts).
    pub placements: u64,
    /// Tasks put back in the queue.
    pub requeues: u64,
    /// Commands refused.
    pub commands_rejected: u64,
    /// Accepted to first assigned, in seconds.
    pub wait_seconds: Distribution,
    /// Accepted to completed, in seconds.
    pub response_seconds: Distribution,
    /// First acceptance to the last end, in seconds.
    pub makespan_seconds: f64,
    /// A hash of every assignment (time, task, worker, attempt) in order.
    pub trace_hash: String,
}

/// What a replay of an engine recording measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EngineReplayOutcome {
    /// `verbatim` or `what-if`.
    pub mode: String,
    /// The recorded run, from its events.
    pub recorded: EventSummary,
    /// The replay, from its events.
    pub replay: EventSummary,
    /// Whether the replay made exactly the recorded assignments.
    pub same_assignments: bool,
    /// Verbatim mode: the first recorded event the replay did not reproduce (none: all were).
    pub first_difference: Option<String>,
    /// Workers the replay left out.
    pub workers_dropped: u32,
    /// Warnings (a recording cut short).
    pub warnings: Vec<String>,
}

/// Accumulates an [`EventSummary`] from event lines.
struct Summarizer {
    summary: EventSummary,
    accepted_at: FxHashMap<u64, u64>,
    waited: FxHashSet<u64>,
    wait_ns: Histogram<u64>,
    response_ns: Histogram<u64>,
    first_ns: Option<u64>,
    last_end_ns: u64,
    trace: Xxh3,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 1 << 50, 3).expect("static bounds are valid")
}

impl Summarizer {
    fn new(policy: &str) -> Summarizer {
        Summarizer {
            summary: EventSummary { policy: policy.to_owned(), ..EventSummary::default() },
            accepted_at: FxHashMap::default(),
            waited: FxHashSet::default(),
            wait_ns: histogram(),
            response_ns: histogram(),
            first_ns: None,
            last_end_ns: 0,
            trace: Xxh3::new(),
        }
    }

    fn ended(&mut self, t: u64, task: u64) {
        self.last_end_ns = self.last_end_ns.max(t);
        self.accepted_at.remove(&task);
        self.waited.remove(&task);
    }

    fn observe(&mut self, line: &Line<'_>) {
        let summary = &mut self.summary;
        match *line {
            Line::WorkerRegistered { .. } => summary.workers += 1,
            Line::TaskAccepted { t, task } => {
                summary.tasks += 1;
                self.first_ns.get_or_insert(t);
                self.accepted_at.insert(task, t);
            }
            Line::TaskMigrated { t, task, to, attempt, .. } => {
                crate::record::hash_assignment(&mut self.trace, t, task, to, attempt);
            }
            Line::TaskAssigned { t, task, worker, attempt } => {
                summary.placements += 1;
                crate::record::hash_assignment(&mut self.trace, t, task, worker, attempt);
                if let Some(&accepted) = self.accepted_at.get(&task)
                    && self.waited.insert(task)
                {
                    self.wait_ns.saturating_record((t - accepted.min(t)).max(1));
                }
            }
            Line::TaskRequeued { .. } => summary.requeues += 1,
            Line::TaskDone { t, task, .. } => {
                summary.tasks_completed += 1;
                if let Some(&accepted) = self.accepted_at.get(&task) {
                    self.response_ns.saturating_record((t - accepted.min(t)).max(1));
                }
                self.ended(t, task);
            }
            Line::TaskFailedForGood { t, task, .. } => {
                summary.tasks_failed += 1;
                self.ended(t, task);
            }
            Line::TaskCancelled { t, task, .. } => {
                summary.tasks_cancelled += 1;
                self.ended(t, task);
            }
            Line::TaskUnschedulable { t, task, .. } => {
                summary.tasks_unschedulable += 1;
                self.ended(t, task);
            }
            Line::CommandRejected { .. } => summary.commands_rejected += 1,
            _ => {}
        }
    }

    /// Tasks accepted and not ended.
    fn open_tasks(&self) -> usize {
        self.accepted_at.len()
    }

    fn finish(mut self) -> EventSummary {
        self.summary.tasks_open = self.accepted_at.len() as u64;
        self.summary.wait_seconds = Distribution::of(&self.wait_ns, 1e9);
        self.summary.response_seconds = Distribution::of(&self.response_ns, 1e9);
        self.summary.makespan_seconds =
            self.first_ns.map_or(0.0, |first| self.last_end_ns.saturating_sub(first) as f64 / 1e9);
        self.summary.trace_hash = format!("{:016x}", self.trace.digest());
        self.summary
    }
}

/// How one recorded attempt ended.
#[derive(Clone, Debug)]
enum Outcome {
    Completed { duration_ns: u64 },
    Failed { after_ns: u64, reason: String, retryable: bool },
}

/// Replays the engine recording at `path`.
pub fn replay_engine(path: &Path, options: &EngineReplayOptions) -> Result<EngineReplayOutcome, RecordError> {
    let percent = options.drop_workers_percent;
    if !(0.0..=100.0).contains(&percent) {
        return Err(RecordError::BadLine { line: 0, message: format!("--drop-workers is {percent}, outside 0..=100") });
    }
    let reader = Reader::open(path)?;
    let recorded_config =
        reader.header().config.to_config().map_err(|message| RecordError::BadLine { line: 1, message })?;
    let config = options.config.clone().unwrap_or_else(|| recorded_config.clone());
    let verbatim = config == recorded_config && percent == 0.0;
    let mut engine = Engine::new(config.clone())
        .map_err(|error| RecordError::BadLine { line: 1, message: format!("the engine config is invalid: {error}") })?;
    if let Some(record) = &options.record {
        let file = File::create(record)
            .map_err(|source| RecordError::Io { context: format!("creating {}", record.display()), source })?;
        engine.record_to(Box::new(file))?;
    }
    let policy = config.policy.name();
    let outcome = if verbatim {
        verbatim_replay(reader, &mut engine, policy)?
    } else {
        let (attempts, median_ns, workers) = first_pass(Reader::open(path)?)?;
        let dropped = dropped_workers(&workers, percent, config.seed);
        what_if_replay(reader, &mut engine, policy, &attempts, median_ns, &dropped)?
    };
    if let Some(finished) = engine.finish_recording() {
        finished?;
    }
    Ok(outcome)
}

/// Feeds every recorded command again and compares every event.
fn verbatim_replay(
    mut reader: Reader<BufReader<File>>,
    engine: &mut Engine,
    policy: &str,
) -> Result<EngineReplayOutcome, RecordError> {
    let recorded_policy = reader.header().config.policy.clone();
    let mut recorded = Summarizer::new(&recorded_policy);
    let mut replayed = Summarizer::new(policy);
    // Events the replay produced that no recorded line has matched yet.
    let mut produced: VecDeque<String> = VecDeque::new();
    let mut first_difference = None;
    let mut events = Vec::new();
    while let Some(line) = reader.next_line()? {
        let number = reader.line_number();
        if line.kind().starts_with("event.") {
            recorded.observe(&line);
            let text = serde_json::to_string(&line).unwrap_or_default();
            match produced.pop_front() {
                Some(replayed_text) if replayed_text == text => {}
                Some(replayed_text) => {
                    first_difference
                        .get_or_insert_with(|| format!("line {number}: recorded {text}, replayed {replayed_text}"));
                }
                None => {
                    first_difference.get_or_insert_with(|| format!("line {number}: recorded {text}, never replayed"));
                }
            }
            continue;
        }
        feed(engine, number, &line)?;
        engine.take_events(&mut events);
        let now = engine.now().0;
        for event in events.drain(..) {
            let line = Line::of_event(now, &event);
            replayed.observe(&line);
            produced.push_back(serde_json::to_string(&line).unwrap_or_default());
        }
    }
    if let Some(text) = produced.pop_front() {
        first_difference.get_or_insert_with(|| format!("the end: the replay also produced {text}"));
    }
    Ok(EngineReplayOutcome::new("verbatim", recorded, replayed, first_difference, 0, reader.warnings()))
}

/// Applies one recorded non-event line to the engine.
fn feed(engine: &mut Engine, number: u64, line: &Line<'static>) -> Result<(), RecordError> {
    match line {
        Line::Tick { t } => engine
            .tick(Timestamp(*t))
            .map_err(|error| RecordError::Inconsistent { line: number, message: error.to_string() })?,
        Line::ImportHistory { runs, .. } => {
            engine.import_history(runs.iter().map(|run| run.to_run())).map_err(|error| RecordError::Inconsistent {
                line: number,
                message: format!("the history was refused: {error}"),
            })?;
        }
        line => {
            if let Some((apply, command)) = line.to_command() {
                apply_command(engine, number, apply, command)?;
            }
        }
    }
    Ok(())
}

/// Queues or applies a command as recorded. A refusal is an event, as it was when recorded.
fn apply_command(engine: &mut Engine, number: u64, apply: Apply, command: Command) -> Result<(), RecordError> {
    let inbox_full = |error| RecordError::Inconsistent { line: number, message: format!("{error}") };
    match apply {
        Apply::Tick => engine.push(command).map_err(inbox_full),
        Apply::Now => {
            // The typed calls return their refusal; the engine reports it as an event too.
            let _ = engine.apply_now(command);
            Ok(())
        }
    }
}

/// Pass one: every task's recorded attempts, the median run time, and the registered workers in order.
#[allow(clippy::type_complexity)]
fn first_pass(
    mut reader: Reader<BufReader<File>>,
) -> Result<(FxHashMap<u64, Vec<Outcome>>, u64, Vec<u64>), RecordError> {
    let mut attempts: FxHashMap<u64, Vec<Outcome>> = FxHashMap::default();
    let mut started: FxHashMap<u64, u64> = FxHashMap::default();
    let mut workers = Vec::new();
    let mut durations = histogram();
    while let Some(line) = reader.next_line()? {
        match line {
            Line::RegisterWorker { worker, .. } => workers.push(worker.id),
            Line::TaskStarted { t, task, .. } => {
                started.insert(task, t);
            }
            Line::TaskCompleted { task, duration_ns, .. } => {
                durations.saturating_record(duration_ns.max(1));
                attempts.entry(task).or_default().push(Outcome::Completed { duration_ns });
            }
            Line::TaskFailed { t, task, reason, retryable, .. } => {
                let after_ns = started.get(&task).map_or(0, |&start| t.saturating_sub(start));
                attempts.entry(task).or_default().push(Outcome::Failed {
                    after_ns,
                    reason: reason.into_owned(),
                    retryable,
                });
            }
            _ => {}
        }
    }
    let median_ns = if durations.is_empty() { 1_000_000_000 } else { durations.value_at_quantile(0.5) };
    Ok((attempts, median_ns, workers))
}

/// The workers to leave out: `percent` of them, chosen by a shuffle seeded from `seed`.
fn dropped_workers(workers: &[u64], percent: f64, seed: u64) -> FxHashSet<u64> {
    let count = ((workers.len() as f64) * percent / 100.0).round() as usize;
    let mut order: Vec<u64> = workers.to_vec();
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0xd209_0000_0000_0001);
    for index in (1..order.len()).rev() {
        order.swap(index, rng.random_range(0..=index));
    }
    order.into_iter().take(count).collect()
}

/// A simulated worker of a what-if replay.
#[derive(Default)]
struct Lane {
    slots: u32,
    running: u32,
    queue: VecDeque<(u64, u8)>,
}

/// When a running attempt ends: (end, task, attempt, worker, start), times in nanoseconds.
type End = (u64, u64, u8, u64, u64);

/// The simulated workers of a what-if replay.
struct Workers<'a> {
    attempts: &'a FxHashMap<u64, Vec<Outcome>>,
    median_ns: u64,
    lanes: FxHashMap<u64, Lane>,
    /// Where the engine last placed each task, and which attempt.
    placed: FxHashMap<u64, (u64, u8)>,
    /// Tasks holding a slot.
    running: FxHashMap<u64, (u64, u8)>,
    /// Ends of running attempts, the earliest first.
    ends: BinaryHeap<Reverse<End>>,
    /// Workers that may start queued tasks.
    dirty: Vec<u64>,
    /// Moves of each task by work stealing (an assignment that was a move is not a new attempt).
    moves: FxHashMap<u64, u8>,
    /// Recalled tasks given back, to report.
    released: Vec<Command>,
}

impl Workers<'_> {
    /// How attempt `attempt` (1-based) of `task` ends, and after how long.
    fn outcome(&self, task: u64, attempt: u8) -> Outcome {
        let recorded = self.attempts.get(&task).map(Vec::as_slice).unwrap_or_default();
        let attempt = attempt.saturating_sub(self.moves.get(&task).copied().unwrap_or(0)).max(1);
        match recorded.get(usize::from(attempt) - 1) {
            Some(outcome) => outcome.clone(),
            // Beyond the recorded attempts: the last recorded run time, and it completes.
            None => match recorded.last() {
                Some(Outcome::Completed { duration_ns }) => Outcome::Completed { duration_ns: *duration_ns },
                _ => Outcome::Completed { duration_ns: self.median_ns },
            },
        }
    }

    fn free_slot(&mut self, task: u64) {
        if let Some((worker, _)) = self.running.remove(&task) {
            if let Some(lane) = self.lanes.get_mut(&worker) {
                lane.running = lane.running.saturating_sub(1);
            }
            self.dirty.push(worker);
        }
    }

    /// Takes note of an event of the replayed engine.
    fn absorb(&mut self, event: &Event) {
        match *event {
            Event::TaskAssigned { task, worker, attempt } => {
                self.placed.insert(task.0, (worker.0, attempt));
                if let Some(lane) = self.lanes.get_mut(&worker.0) {
                    lane.queue.push_back((task.0, attempt));
                    self.dirty.push(worker.0);
                }
            }
            Event::TaskRequeued { task, .. }
            | Event::TaskCompleted { task, .. }
            | Event::TaskFailed { task, .. }
            | Event::TaskCancelled { task, .. } => {
                self.placed.remove(&task.0);
                self.free_slot(task.0);
            }
            Event::WorkerRemoved { worker, .. } => {
                self.lanes.remove(&worker.0);
            }
            // A queued task is given back; one already started runs on (its start ends the recall).
            Event::TaskRecalled { task, worker, .. }
                if self.placed.get(&task.0).is_some_and(|&(on, _)| on == worker.0)
                    && !self.running.contains_key(&task.0) =>
            {
                self.placed.remove(&task.0);
                self.released.push(Command::TaskReleased { task, worker });
            }
            Event::TaskMigrated { task, to, attempt, .. } => {
                *self.moves.entry(task.0).or_default() += 1;
                self.placed.insert(task.0, (to.0, attempt));
                if let Some(lane) = self.lanes.get_mut(&to.0) {
                    lane.queue.push_back((task.0, attempt));
                    self.dirty.push(to.0);
                }
            }
            _ => {}
        }
    }

    /// Starts queued tasks on workers with free slots at `now`; the starts to report.
    fn start(&mut self, now: u64, starts: &mut Vec<Command>) {
        while let Some(worker) = self.dirty.pop() {
            while let Some(lane) = self.lanes.get_mut(&worker).filter(|lane| lane.running < lane.slots.max(1)) {
                let Some((task, attempt)) = lane.queue.pop_front() else { break };
                if self.placed.get(&task) != Some(&(worker, attempt)) || self.running.contains_key(&task) {
                    continue; // it left this worker since
                }
                lane.running += 1;
                self.running.insert(task, (worker, attempt));
                let length_ns = match self.outcome(task, attempt) {
                    Outcome::Completed { duration_ns } => duration_ns,
                    Outcome::Failed { after_ns, .. } => after_ns,
                };
                self.ends.push(Reverse((now + length_ns.max(1), task, attempt, worker, now)));
                starts.push(Command::TaskStarted { task: TaskId(task), worker: WorkerId(worker) });
            }
        }
    }

    /// The reports of attempts that ended by `now`.
    fn ended_by(&mut self, now: u64, reports: &mut Vec<Command>) {
        while let Some(&Reverse((end_ns, task, attempt, worker, started_ns))) = self.ends.peek() {
            if end_ns > now {
                break;
            }
            self.ends.pop();
            if self.running.get(&task) != Some(&(worker, attempt)) {
                continue; // stopped since (requeued, cancelled, its worker removed)
            }
            self.free_slot(task);
            reports.push(match self.outcome(task, attempt) {
                Outcome::Completed { .. } => Command::TaskCompleted {
                    task: TaskId(task),
                    worker: WorkerId(worker),
                    duration_ns: end_ns - started_ns,
                },
                Outcome::Failed { reason, retryable, .. } => {
                    Command::TaskFailed { task: TaskId(task), worker: WorkerId(worker), reason, retryable }
                }
            });
        }
    }
}

/// The workers report what ended by `now`, then the engine ticks at `now`.
fn tick(engine: &mut Engine, workers: &mut Workers<'_>, now: u64, number: u64) -> Result<(), RecordError> {
    let mut reports = Vec::new();
    workers.ended_by(now, &mut reports);
    for report in reports {
        apply_command(engine, number, Apply::Tick, report)?;
    }
    feed(engine, number, &Line::Tick { t: now })
}

/// The workers take note of the engine's new events and start what they can.
fn settle(
    engine: &mut Engine,
    workers: &mut Workers<'_>,
    replayed: &mut Summarizer,
    number: u64,
) -> Result<(), RecordError> {
    let now = engine.now().0;
    for event in engine.events() {
        replayed.observe(&Line::of_event(now, &event));
        workers.absorb(&event);
    }
    let mut starts = std::mem::take(&mut workers.released);
    workers.start(now, &mut starts);
    for start in starts {
        apply_command(engine, number, Apply::Tick, start)?;
    }
    Ok(())
}

/// Feeds the coordinator's commands and simulates the workers' answers.
fn what_if_replay(
    mut reader: Reader<BufReader<File>>,
    engine: &mut Engine,
    policy: &str,
    attempts: &FxHashMap<u64, Vec<Outcome>>,
    median_ns: u64,
    dropped: &FxHashSet<u64>,
) -> Result<EngineReplayOutcome, RecordError> {
    let recorded_policy = reader.header().config.policy.clone();
    let mut recorded = Summarizer::new(&recorded_policy);
    let mut replayed = Summarizer::new(policy);
    let mut workers = Workers {
        attempts,
        median_ns,
        lanes: FxHashMap::default(),
        placed: FxHashMap::default(),
        running: FxHashMap::default(),
        ends: BinaryHeap::new(),
        dirty: Vec::new(),
        moves: FxHashMap::default(),
        released: Vec::new(),
    };
    let (mut last_tick_ns, mut ticks) = (0u64, 0u64);
    let mut live_workers: Vec<u64> = Vec::new();
    while let Some(line) = reader.next_line()? {
        let number = reader.line_number();
        match &line {
            line if line.kind().starts_with("event.") => {
                recorded.observe(line);
                continue;
            }
            // The workers' answers are simulated.
            Line::TaskStarted { .. }
            | Line::TaskCompleted { .. }
            | Line::TaskFailed { .. }
            | Line::TaskReleased { .. } => continue,
            Line::Tick { t } => {
                ticks += 1;
                last_tick_ns = *t;
                tick(engine, &mut workers, *t, number)?;
            }
            line => match line.to_command() {
                Some((apply, command)) => {
                    let worker = match &command {
                        Command::RegisterWorker(spec) => Some(spec.id.0),
                        Command::Heartbeat { worker, .. }
                        | Command::DrainWorker { worker }
                        | Command::RemoveWorker { worker } => Some(worker.0),
                        _ => None,
                    };
                    if worker.is_some_and(|worker| dropped.contains(&worker)) {
                        continue;
                    }
                    // A registration of a worker that is live already is refused by the engine: its
                    // simulated worker, and the tasks in its lanes, stay as they are.
                    if let Command::RegisterWorker(spec) = &command
                        && !workers.lanes.contains_key(&spec.id.0)
                    {
                        workers.lanes.insert(spec.id.0, Lane { slots: spec.slots, ..Lane::default() });
                        live_workers.push(spec.id.0);
                    }
                    apply_command(engine, number, apply, command)?;
                }
                None => feed(engine, number, line)?,
            },
        }
        settle(engine, &mut workers, &mut replayed, number)?;
    }
    // The recording ends where the recorded run did; the replay may need longer (fewer workers, a
    // worse policy). It goes on ticking at the recorded pace, its workers heartbeating as the
    // coordinator did, until every task has ended or nothing has ended for an hour. The pace is the
    // recording's mean tick gap, within 10 ms and 1 s (a recording whose ticks share one time has no
    // pace of its own), so the tail takes at most 360,000 ticks of quiet.
    let number = reader.line_number();
    let tick_gap_ns = last_tick_ns.checked_div(ticks).map_or(100_000_000, |gap| gap.clamp(10_000_000, 1_000_000_000));
    let heartbeat_every_ns = (engine.config().heartbeat_suspect_after_ms / 3).max(1).saturating_mul(1_000_000);
    let mut now = last_tick_ns;
    let mut last_beat_ns = now;
    let mut last_end = (now, replayed.open_tasks());
    while replayed.open_tasks() > 0 && now - last_end.0 < 3_600_000_000_000 {
        now = now.saturating_add(tick_gap_ns);
        if now - last_beat_ns >= heartbeat_every_ns {
            last_beat_ns = now;
            live_workers.retain(|worker| workers.lanes.contains_key(worker));
            for &worker in &live_workers {
                apply_command(
                    engine,
                    number,
                    Apply::Tick,
                    Command::Heartbeat { worker: WorkerId(worker), utilization: None },
                )?;
            }
        }
        tick(engine, &mut workers, now, number)?;
        settle(engine, &mut workers, &mut replayed, number)?;
        if replayed.open_tasks() != last_end.1 {
            last_end = (now, replayed.open_tasks());
        }
    }
    Ok(EngineReplayOutcome::new("what-if", recorded, replayed, None, dropped.len(), reader.warnings()))
}

impl EngineReplayOutcome {
    fn new(
        mode: &str,
        recorded: Summarizer,
        replayed: Summarizer,
        first_difference: Option<String>,
        workers_dropped: usize,
        warnings: &[String],
    ) -> EngineReplayOutcome {
        let (recorded, replay) = (recorded.finish(), replayed.finish());
        EngineReplayOutcome {
            mode: mode.to_owned(),
            same_assignments: recorded.trace_hash == replay.trace_hash,
            recorded,
            replay,
            first_difference,
            workers_dropped: workers_dropped as u32,
            warnings: warnings.to_vec(),
        }
    }

    /// The recorded run beside its replay.
    pub fn table(&self) -> String {
        crate::sim::report::SideBySide::new(Some(&self.recorded), &self.replay)
            .text("policy", |summary| summary.policy.clone())
            .text("trace hash", |summary| summary.trace_hash.clone())
            .number("workers", 0, |summary| summary.workers as f64)
            .number("tasks", 0, |summary| summary.tasks as f64)
            .number("completed", 0, |summary| summary.tasks_completed as f64)
            .number("failed", 0, |summary| summary.tasks_failed as f64)
            .number("cancelled", 0, |summary| summary.tasks_cancelled as f64)
            .number("unschedulable", 0, |summary| summary.tasks_unschedulable as f64)
            .number("never ended", 0, |summary| summary.tasks_open as f64)
            .number("placements", 0, |summary| summary.placements as f64)
            .number("requeues", 0, |summary| summary.requeues as f64)
            .number("refused commands", 0, |summary| summary.commands_rejected as f64)
            .number("makespan (s)", 1, |summary| summary.makespan_seconds)
            .number("wait mean (s)", 3, |summary| summary.wait_seconds.mean)
            .number("wait p99 (s)", 3, |summary| summary.wait_seconds.p99)
            .number("response mean (s)", 3, |summary| summary.response_seconds.mean)
            .number("response p99 (s)", 3, |summary| summary.response_seconds.p99)
            .render("recorded", "replay")
    }
}

//! The discrete-event simulator: simulated time, one `u64` seed, a fixed-algorithm PRNG (PCG-64 MCG).
//!
//! The simulator plays the coordinator and the workers. It owns simulated workers that run what the
//! engine assigns (up to their slots at once, the rest in their run queue, in order), with a
//! ground-truth duration model and failures ([`workload`]); it submits the scenario's tasks as they
//! arrive, heartbeats, cancels a few tasks, and ticks the engine every `tick_interval_ms` of simulated
//! time. The engine sees only what a coordinator would send.
//!
//! # Invariant checker
//! After every tick the simulator checks the tick's events against its own record of every task and
//! worker: no task assigned while it is already placed or ended (duplication), no worker given more
//! than its capacity, no task past its attempt limit, no task ending twice. At the end every task must
//! be completed, failed, cancelled or unschedulable (anything else is lost). With
//! `check_engine_every_tick` it also runs the engine's own O(n) consistency check after every tick.
//!
//! # Determinism
//! Everything the run does follows from the seed: one PRNG stream draws the pool and the workload, in
//! arrival order; whether an attempt fails is drawn from a generator keyed by (seed, task, attempt), so
//! the workload a policy sees never depends on where earlier tasks ran (every policy gets the same
//! tasks, and a replay of a recording under another policy gets the same failures for the same
//! attempts). An event queue ordered by (time, sequence number) and an engine that is itself
//! deterministic do the rest. `trace_hash` hashes every
//! assignment (tick time, task, worker, attempt) in order; two runs with the same seed and config give
//! the same hash, whichever executor runs the engine.

pub mod replay;
pub mod report;
pub mod timeline;
pub mod workload;
pub mod workload_file;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use hdrhistogram::Histogram;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::Xxh3;

use ballast_components::capability::{BrowserSet, HardwareKind, HardwareSet};
use ballast_components::clock::Timestamp;
use ballast_components::config::{ConfigError, EngineConfig};
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{
    Command, CommandError, CommandKind, Event, RequeueReason, RequirementSpec, SubmitError, TaskSpec,
    UtilizationReport, WorkerCommandError, WorkerSpec,
};
use ballast_components::requirements::GpuDemand;
use ballast_components::task::PRIORITY_LEVELS;

use crate::engine::{Engine, HistoryError, PastRun};
use crate::record::{Line, PoolDto, SimHeader, SimTaskDto};
pub use replay::{ReplayOptions, ReplayOutcome, replay};
pub use report::{Baseline, Distribution, EligibleSet, PriorityWait, SimReport};
use timeline::{Count, TimelineRecorder};
pub use timeline::{HardwareEfficiency, LoadRow, Timeline, WorkerEfficiency, WorkerLoad};
pub use workload::Scenario;
use workload::{Arrivals, FailureRates, LoadOf, Pool, SimTaskSpec, SimWorker, TaskMaker};

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Workers in the pool.
    pub workers: u32,
    /// Tasks to submit.
    pub tasks: u64,
    /// The seed of every random draw.
    pub seed: u64,
    /// The pool and workload.
    pub scenario: Scenario,
    /// A workload file's pool and tasks, instead of the scenario's (see [`workload_file`]).
    pub workload: Option<std::sync::Arc<workload_file::Workload>>,
    /// The engine's config (policy and executor included; the scenario sets the run-queue depth).
    pub engine: EngineConfig,
    /// Simulated time between engine ticks, in milliseconds.
    pub tick_interval_ms: u64,
    /// Simulated time between heartbeats of each worker, in milliseconds.
    pub heartbeat_interval_ms: u64,
    /// Run the engine's own O(n) consistency check after every tick (for tests).
    pub check_engine_every_tick: bool,
    /// Stop if nothing ends for this long of simulated time, in seconds (the remaining tasks count as lost).
    pub stall_seconds_max: u64,
    /// Record every command, event and the simulator's ground truth to this file (JSON lines; see
    /// [`crate::record`]).
    pub record: Option<std::path::PathBuf>,
    /// Keep the engine's history across runs in this file (see [`crate::record::load_history`]):
    /// loaded after the workers register, saved with this run's outcomes at the end.
    pub history_file: Option<std::path::PathBuf>,
    /// The run-queue depth the engine is given (`prefetch_max`), instead of the scenario's.
    pub prefetch: Option<u32>,
    /// Whether the engine is thermal-aware, instead of the scenario's choice (on where machines heat
    /// up) or the engine config's.
    pub thermal_aware: Option<bool>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            workers: 10_000,
            tasks: 1_000_000,
            seed: 1,
            scenario: Scenario::Default,
            workload: None,
            engine: EngineConfig::default(),
            // 50 ms: placement latency well under the shortest task (a few hundred ms on a GPU).
            tick_interval_ms: 50,
            heartbeat_interval_ms: 10_000,
            check_engine_every_tick: false,
            stall_seconds_max: 24 * 3_600,
            record: None,
            history_file: None,
            prefetch: None,
            thermal_aware: None,
        }
    }
}

impl SimConfig {
    /// A config for `scenario` at its default size.
    pub fn for_scenario(scenario: Scenario) -> SimConfig {
        let (workers, tasks) = scenario.default_size();
        SimConfig { workers, tasks, scenario, ..SimConfig::default() }
    }
}

/// Why a simulation could not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The engine config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A simulation parameter is out of range.
    #[error("{field} is {value}, outside {range}")]
    OutOfRange {
        /// The parameter.
        field: &'static str,
        /// Its value.
        value: u64,
        /// The allowed range.
        range: &'static str,
    },
    /// The scenario's history could not be given to the engine.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The engine refused a command a harness sent it.
    #[error("the engine refused a command: {0}")]
    Refused(String),
    /// A run lost or duplicated tasks.
    #[error("a run broke an invariant:\n{0}")]
    Invariants(String),
    /// A recording could not be written or replayed.
    #[error("{0}")]
    Record(String),
    /// A workload file could not be used.
    #[error(transparent)]
    Workload(#[from] workload_file::WorkloadError),
    /// A parameter that is not a whole number is not acceptable.
    #[error("{field} is {value}, outside {range}")]
    Invalid {
        /// The parameter.
        field: &'static str,
        /// Its value, as written.
        value: String,
        /// The allowed range.
        range: &'static str,
    },
}

impl From<crate::record::RecordError> for SimError {
    fn from(error: crate::record::RecordError) -> SimError {
        SimError::Record(error.to_string())
    }
}

/// Progress of a running simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Tasks that have ended.
    pub tasks_ended: u64,
    /// Tasks in the run.
    pub tasks_total: u64,
    /// Simulated time, in nanoseconds.
    pub sim_time_ns: u64,
}

/// What the simulator knows of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TaskFate {
    NotArrived,
    Pending,
    Placed,
    Completed,
    Failed,
    Cancelled,
    Unschedulable,
    /// The engine refused its submission for good (a limit of its config, a field out of range): a
    /// refusal with its reason, not a lost task.
    Refused,
}

impl TaskFate {
    fn ended(self) -> bool {
        matches!(
            self,
            TaskFate::Completed | TaskFate::Failed | TaskFate::Cancelled | TaskFate::Unschedulable | TaskFate::Refused
        )
    }
}

/// Where the current attempt of a placed task is on its worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// In the worker's run queue.
    Queued,
    /// In one of its slots.
    Running,
    /// Its end was reported (or it was stopped): it no longer holds a slot.
    Done,
    /// Recalled and given back unstarted: the engine decides where it goes next.
    Released,
}

/// Ground truth and bookkeeping of one task.
#[derive(Clone, Copy, Debug)]
struct TaskTruth {
    fate: TaskFate,
    run: Run,
    attempts: u8,
    /// Assignments that were moves by work stealing (not attempts).
    moves: u8,
    priority: u8,
    test_type: TestType,
    family: ModelFamily,
    allowed: HardwareSet,
    worker: u32,
    memory_mib: u32,
    cpu_milli: u32,
    gpu_milli: u32,
    work_seconds: f32,
    /// The simulator's number for the task's model (for cold starts), `u32::MAX` without one.
    model: u32,
    arrival_ns: u64,
    placed_ns: u64,
    started_ns: u64,
    first_placed_ns: u64,
    min_duration_ns: u64,
    /// Its requirements, as an index into `Simulation::groups` (`u32::MAX` past [`GROUPS_MAX`]).
    group: u32,
    /// When the submission that was accepted was made (its arrival, or a later resubmission).
    submitted_ns: u64,
    /// The coordinator asked the engine to cancel it: a running attempt is stopped, never reported.
    cancel_sent: bool,
}

/// What a simulated worker has reserved by the engine, as the simulator sees it.
#[derive(Clone, Copy, Debug, Default)]
struct WorkerUse {
    seats: u32,
    cpu_milli: u64,
    memory_mib: u64,
    gpu_milli: u64,
}

/// What a simulated worker is running and has queued, and which models it has loaded.
#[derive(Clone, Debug, Default)]
struct Lanes {
    running: u32,
    queue: VecDeque<u32>,
    /// Loaded models, most recently used last (model ids interned by the simulator).
    models: Vec<u32>,
    /// How hot the machine is (0..=1, when the pool heats), as of `heat_at_ns`.
    heat: f64,
    heat_at_ns: u64,
}

/// How an attempt will end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum AttemptEnd {
    Complete,
    FailRetryable,
    FailPermanent,
}

/// Something that happens at a simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    Arrival,
    Finish {
        task: u32,
        attempt: u8,
        end: AttemptEnd,
    },
    Cancel {
        task: u32,
    },
    Heartbeats,
    /// The coordinator submits again a task whose submission was deferred or refused.
    Resubmit {
        task: u32,
    },
    /// A worker leaves (churn).
    Leave,
    /// A worker that left registers again.
    Rejoin {
        worker: u32,
    },
}

/// The key that decides a task's best possible speed in the pool.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SpeedKey {
    family: ModelFamily,
    hardware_any: HardwareSet,
    browsers_any: BrowserSet,
    memory_mib: u64,
    cpu_milli: u32,
    gpu: GpuDemand,
}

/// A short description of `requirements` (`cuda|rocm, 1 GPU ≥ 20 GiB, memory ≥ 8 GiB`; `any` for none).
fn describe_requirements(requirements: &RequirementSpec) -> String {
    let gib = |mib: u64| mib as f64 / 1024.0;
    let mut parts = Vec::new();
    if !requirements.hardware_any.is_empty() {
        parts.push(requirements.hardware_any.to_string());
    }
    if !requirements.browsers_any.is_empty() {
        parts.push(requirements.browsers_any.to_string());
    }
    let gpu = requirements.gpu;
    if gpu.count > 0 {
        let share = if gpu.milli >= 1_000 { String::new() } else { format!(" × {:.2}", f64::from(gpu.milli) / 1e3) };
        let plural = if gpu.count == 1 { "" } else { "s" };
        let memory = if gpu.memory_mib > 0 { format!(" ≥ {:.0} GiB", gib(gpu.memory_mib)) } else { String::new() };
        parts.push(format!("{} GPU{plural}{share}{memory}", gpu.count));
    }
    if !requirements.gpu_models.is_empty() {
        parts.push(requirements.gpu_models.join("|"));
    }
    if requirements.memory_mib > 0 {
        parts.push(format!("memory ≥ {:.1} GiB", gib(requirements.memory_mib)));
    }
    if requirements.cpu_milli > 0 {
        parts.push(format!("{:.1} cores", f64::from(requirements.cpu_milli) / 1e3));
    }
    for tag in &requirements.tags {
        parts.push(format!("tag {tag}"));
    }
    if parts.is_empty() { "any".to_owned() } else { parts.join(", ") }
}

/// Distinct requirements the makespan's lower bound tells apart (the tasks of any further ones
/// count only in the bound over the whole pool).
const GROUPS_MAX: usize = 1_024;

/// Whether a simulated worker could ever run a task of `requirements` (the simulator's own check,
/// independent of the engine's).
fn could_run(worker: &WorkerSpec, requirements: &RequirementSpec) -> bool {
    let hardware_ok = requirements.hardware_any.is_empty() || requirements.hardware_any.intersects(worker.hardware);
    let browsers_ok = requirements.browsers_any.is_empty() || requirements.browsers_any.intersects(worker.browsers);
    let gpu = requirements.gpu;
    let devices = worker.gpus.iter().filter(|device| device.memory_mib >= gpu.memory_mib).count();
    hardware_ok
        && browsers_ok
        && worker.memory_mib >= requirements.memory_mib
        && worker.cpu_milli >= requirements.cpu_milli
        && devices >= usize::from(gpu.count)
        && requirements.tags.iter().all(|tag| worker.tags.contains(tag))
}

/// Runs a simulation to the end. `progress` is called now and then.
pub fn run(config: &SimConfig, progress: &mut dyn FnMut(Progress)) -> Result<SimReport, SimError> {
    Simulation::new(config)?.run(progress)
}

struct Simulation<'a> {
    config: &'a SimConfig,
    engine: Engine,
    rng: Pcg64Mcg,
    pool: Pool,
    /// Makes the tasks of a generated run.
    maker: Option<TaskMaker>,
    /// Gives the tasks of a replayed run.
    feed: Option<replay::Feed>,
    /// Workers registered with the engine (a replay may drop some).
    present: Vec<bool>,
    /// Workers that died (see `Pool::crash_every`): silent, running nothing, their ends never reported.
    crashed: Vec<bool>,
    /// Workers that left for now (churn): no heartbeats until they register again; `true` from the
    /// departure until the engine has removed them and they are back.
    away: Vec<bool>,
    /// Of those, the ones pulled out at once rather than drained.
    pulled: Vec<bool>,
    /// Departures so far (churn).
    departures: u64,
    /// Why the run stopped early.
    stopped: Option<SimError>,
    /// The history file being written, with the family the engine detects for each model number.
    history: Option<(crate::record::HistoryWriter, Vec<(String, ModelFamily)>)>,
    uses: Vec<WorkerUse>,
    lanes: Vec<Lanes>,
    tasks: Vec<TaskTruth>,
    /// Run time of ETC tasks per worker, when the scenario gives them directly.
    seconds_on: Vec<Option<Box<[f32]>>>,
    happenings: BinaryHeap<Reverse<(u64, u64, Happening)>>,
    sequence: u64,
    best_speeds: FxHashMap<SpeedKey, f64>,
    /// The distinct requirements of the tasks so far (for the makespan's lower bound).
    groups: FxHashMap<RequirementSpec, u32>,
    model_numbers: FxHashMap<String, u32>,
    arrival_gap_mean_ns: f64,
    next_task: u64,
    tasks_ended: u64,
    last_end_ns: u64,
    busy_slot_ns: u128,
    /// Busy GPU time, in thousandths of a device × ns.
    busy_gpu_milli_ns: u128,
    wait_ns: Histogram<u64>,
    wait_by_priority_ns: Vec<Histogram<u64>>,
    response_ns: Histogram<u64>,
    slowdown_milli: Histogram<u64>,
    trace: Xxh3,
    violations: Vec<String>,
    violation_count: u64,
    duplicated: u64,
    commands_rejected: u64,
    /// The engine's reasons for the submissions it refused for good, the first few.
    refusals: Vec<String>,
    /// Commands waiting for room in the engine's inbox (`inbox_len_max`): pushed after the next tick,
    /// as a coordinator that respects the engine's limits would.
    backlog: std::collections::VecDeque<Command>,
    events: Vec<Event>,
    /// Submissions not yet accepted, kept to submit again when admission control turns them away
    /// (only when it can: see `Simulation::keeps_submissions`).
    unaccepted: FxHashMap<u64, TaskSpec>,
    keeps_submissions: bool,
    /// Submissions admission control deferred, and refused as overloaded.
    deferrals: u64,
    rejections: u64,
    /// Time series for the visual report (read-only bookkeeping: it never changes a decision).
    timeline: Option<TimelineRecorder>,
    /// Simulated time of the last tick.
    end_ns: u64,
}

/// A histogram of values from 1 to 2^50 (13 days in nanoseconds) at 3 significant figures; larger
/// values are clamped.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 1 << 50, 3).expect("static bounds are valid")
}

impl<'a> Simulation<'a> {
    fn new(config: &'a SimConfig) -> Result<Simulation<'a>, SimError> {
        validate(config)?;
        let mut rng = Pcg64Mcg::seed_from_u64(config.seed);
        let (mut pool, maker) = match &config.workload {
            Some(file) => {
                file.check_limits(&config.engine)?;
                let mut pool = file.pool(config.workers, &mut rng);
                pool.spike = file.spike(config.tasks);
                (pool, TaskMaker::for_workload(file.clone()))
            }
            None => {
                let mut pool = workload::pool(config.scenario, config.workers, &mut rng);
                pool.spike = workload::spike(config.scenario, config.tasks);
                let maker = TaskMaker::new(config.scenario, config.tasks, pool.workers.len(), &mut rng);
                (pool, maker)
            }
        };
        if let Some(depth) = config.prefetch {
            pool.prefetch_max = depth;
        }
        let arrival_gap_mean_ns = arrival_gap_mean_ns(config, &pool, &maker);
        let present = vec![true; pool.workers.len()];
        Simulation::assemble(config, rng, pool, Some(maker), None, present, arrival_gap_mean_ns)
    }

    fn assemble(
        config: &'a SimConfig,
        rng: Pcg64Mcg,
        pool: Pool,
        maker: Option<TaskMaker>,
        feed: Option<replay::Feed>,
        present: Vec<bool>,
        arrival_gap_mean_ns: f64,
    ) -> Result<Simulation<'a>, SimError> {
        validate_pool(&pool)?;
        let mut engine_config = EngineConfig { prefetch_max: pool.prefetch_max, ..config.engine.clone() };
        if let Some((marks, wait_high_ms, per_worker)) = pool.admission {
            engine_config.admission_set_pending_per_worker = per_worker;
            engine_config.admission_pending_low = marks.low;
            engine_config.admission_pending_high = marks.high;
            engine_config.admission_pending_reject = marks.reject;
            engine_config.admission_wait_high_ms = wait_high_ms;
        }
        engine_config.thermal_aware = config.thermal_aware.unwrap_or(engine_config.thermal_aware || pool.heats);
        let keeps_submissions = engine_keeps_submissions(&engine_config, config.tasks);
        let mut engine = Engine::new(engine_config)?;
        if let Some(path) = &config.record {
            if config.workload.is_some() {
                return Err(SimError::Record(
                    "a run of a workload file cannot be recorded yet (a replay rebuilds the pool from a built-in \
                     scenario); run without --record"
                        .to_owned(),
                ));
            }
            let file = std::fs::File::create(path)
                .map_err(|error| SimError::Record(format!("creating {}: {error}", path.display())))?;
            let sim = SimHeader {
                scenario: config.scenario.name(),
                seed: config.seed,
                workers: config.workers,
                tasks: config.tasks,
                tick_interval_ms: config.tick_interval_ms,
                heartbeat_interval_ms: config.heartbeat_interval_ms,
                stall_seconds_max: config.stall_seconds_max,
                pool: PoolDto {
                    failure_retryable: pool.failures.retryable,
                    failure_permanent: pool.failures.permanent,
                    prefetch_max: pool.prefetch_max,
                    contention_permille: pool.contention_permille,
                    cold_starts: pool.cold_starts,
                    crash_every: pool.crash_every,
                    heats: pool.heats,
                    churn_every_ms: pool.churn_every_ms,
                },
            };
            engine.start_recording(Box::new(file), Some(sim))?;
        }
        Ok(Simulation {
            config,
            engine,
            rng,
            uses: vec![WorkerUse::default(); pool.workers.len()],
            lanes: vec![Lanes::default(); pool.workers.len()],
            crashed: vec![false; pool.workers.len()],
            away: vec![false; pool.workers.len()],
            pulled: vec![false; pool.workers.len()],
            departures: 0,
            pool,
            maker,
            feed,
            present,
            stopped: None,
            history: None,
            tasks: Vec::with_capacity(config.tasks as usize),
            seconds_on: Vec::new(),
            happenings: BinaryHeap::new(),
            sequence: 0,
            best_speeds: FxHashMap::default(),
            groups: FxHashMap::default(),
            model_numbers: FxHashMap::default(),
            arrival_gap_mean_ns,
            next_task: 0,
            tasks_ended: 0,
            last_end_ns: 0,
            busy_slot_ns: 0,
            busy_gpu_milli_ns: 0,
            wait_ns: histogram(),
            wait_by_priority_ns: (0..PRIORITY_LEVELS).map(|_| histogram()).collect(),
            response_ns: histogram(),
            slowdown_milli: histogram(),
            trace: Xxh3::new(),
            violations: Vec::new(),
            violation_count: 0,
            duplicated: 0,
            commands_rejected: 0,
            refusals: Vec::new(),
            backlog: std::collections::VecDeque::new(),
            events: Vec::new(),
            keeps_submissions,
            unaccepted: FxHashMap::default(),
            deferrals: 0,
            rejections: 0,
            timeline: None,
            end_ns: 0,
        })
    }

    fn at(&mut self, time_ns: u64, happening: Happening) {
        self.sequence += 1;
        self.happenings.push(Reverse((time_ns, self.sequence, happening)));
    }

    fn violation(&mut self, message: String) {
        self.violation_count += 1;
        if self.violations.len() < 20 {
            self.violations.push(message);
        }
    }

    fn push(&mut self, command: Command) {
        if !self.backlog.is_empty() {
            self.backlog.push_back(command);
            return;
        }
        if let Err(error) = self.engine.push(command.clone()) {
            match error {
                CommandError::InboxFull { .. } => self.backlog.push_back(command),
                error => self.violation(format!("the engine refused a queued command: {error}")),
            }
        }
    }

    /// Pushes what waited for room in the inbox, as much as fits.
    fn push_backlog(&mut self) {
        while let Some(command) = self.backlog.pop_front() {
            if let Err(error) = self.engine.push(command.clone()) {
                match error {
                    CommandError::InboxFull { .. } => {
                        self.backlog.push_front(command);
                        return;
                    }
                    error => self.violation(format!("the engine refused a queued command: {error}")),
                }
            }
        }
    }

    /// A submission refused for good: the task ends as refused, with the engine's reason kept.
    fn refused(&mut self, now_ns: u64, task: TaskId, error: &SubmitError) {
        if self.refusals.len() < 5 {
            self.refusals.push(error.to_string());
        }
        self.unaccepted.remove(&task.0);
        if (task.0 as usize) < self.tasks.len() {
            self.end(now_ns, task, TaskFate::Refused);
        }
    }

    fn run(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<SimReport, SimError> {
        let started = Instant::now();
        let config = self.config;
        self.timeline =
            Some(TimelineRecorder::new(&self.load_labels(), config.tick_interval_ms.saturating_mul(1_000_000)));
        for index in 0..self.pool.workers.len() {
            if !self.present[index] {
                continue;
            }
            let spec = self.pool.workers[index].spec.clone();
            self.push(Command::RegisterWorker(spec));
            let worker = &self.pool.workers[index];
            let line = Line::SimWorker {
                t: 0,
                worker: index as u64,
                machine_speed: worker.machine_speed,
                uniform_speed: worker.uniform_speed,
                flaky_permille: worker.flaky_permille,
            };
            self.engine.record_line(&line);
        }
        self.engine.tick(Timestamp::ZERO).expect("time starts at zero");
        self.absorb_events(0);
        self.import_expected_times()?;
        self.load_history()?;
        match &self.feed {
            Some(feed) => {
                if let Some(at_ns) = feed.next_arrival_ns() {
                    self.at(at_ns, Happening::Arrival);
                }
            }
            None if config.tasks > 0 => self.at(0, Happening::Arrival),
            None => {}
        }
        self.at(config.heartbeat_interval_ms.saturating_mul(1_000_000), Happening::Heartbeats);
        if self.pool.churn_every_ms > 0 {
            self.at(self.pool.churn_every_ms.saturating_mul(1_000_000), Happening::Leave);
        }
        let tick_ns = config.tick_interval_ms.saturating_mul(1_000_000);
        let mut now_ns = 0u64;
        let mut last_progress_ns = 0u64;
        let mut last_ending_ns = 0u64;
        let mut ended_before = 0u64;
        loop {
            while let Some(&Reverse((time_ns, _, happening))) = self.happenings.peek() {
                if time_ns > now_ns {
                    break;
                }
                self.happenings.pop();
                self.happen(time_ns, happening);
            }
            if let Some(error) = self.stopped.take() {
                return Err(error);
            }
            let busy_before_ns = self.engine.busy_ns();
            if self.engine.tick(Timestamp(now_ns)).is_err() {
                unreachable!("simulated time only moves forward");
            }
            self.absorb_events(now_ns);
            self.push_backlog();
            self.end_ns = now_ns;
            if let Some(timeline) = &mut self.timeline {
                timeline.ticked(now_ns, self.engine.busy_ns() - busy_before_ns);
            }
            if config.check_engine_every_tick {
                for violation in self.engine.check_invariants() {
                    self.violation(format!("at {now_ns} ns: {violation}"));
                }
            }
            if self.tasks_ended != ended_before {
                ended_before = self.tasks_ended;
                last_ending_ns = now_ns;
            }
            let all_submitted = match &self.feed {
                Some(feed) => feed.next_arrival_ns().is_none(),
                None => self.next_task >= config.tasks,
            };
            if all_submitted && self.tasks_ended >= self.next_task {
                break;
            }
            if now_ns.saturating_sub(last_ending_ns) > config.stall_seconds_max.saturating_mul(1_000_000_000) {
                self.violation(format!("no task ended for {} s of simulated time; stopping", config.stall_seconds_max));
                break;
            }
            if now_ns - last_progress_ns >= 10_000_000_000 {
                last_progress_ns = now_ns;
                progress(Progress { tasks_ended: self.tasks_ended, tasks_total: config.tasks, sim_time_ns: now_ns });
            }
            now_ns += tick_ns;
        }
        progress(Progress { tasks_ended: self.tasks_ended, tasks_total: config.tasks, sim_time_ns: now_ns });
        let report = self.report(started.elapsed().as_secs_f64());
        if let Some((writer, _)) = self.history.take() {
            writer.finish()?;
        }
        if self.engine.is_recording() {
            let t = self.engine.now().0;
            let value = serde_json::to_value(&report).map_err(|error| SimError::Record(error.to_string()))?;
            self.engine.record_line(&Line::SimReport { t, report: value });
            if let Some(finished) = self.engine.finish_recording() {
                finished?;
            }
        }
        Ok(report)
    }

    /// The feed of a replay (after the run).
    fn take_feed(&mut self) -> Option<replay::Feed> {
        self.feed.take()
    }

    /// Gives the engine the history file's runs on this pool's workers, and starts writing the new file.
    fn load_history(&mut self) -> Result<(), SimError> {
        let Some(path) = &self.config.history_file else { return Ok(()) };
        let (past, warnings) = crate::record::load_history(path)?;
        for warning in &warnings {
            eprintln!("warning: {}: {warning}", path.display());
        }
        let present = &self.present;
        let all = past.len();
        let past: Vec<PastRun> =
            past.into_iter().filter(|run| present.get(run.worker.0 as usize).copied().unwrap_or(false)).collect();
        if past.len() < all {
            eprintln!(
                "warning: {}: {} of its {all} runs are on workers this pool lacks; not used",
                path.display(),
                all - past.len()
            );
        }
        if !past.is_empty() {
            self.engine.import_history(past.iter().cloned())?;
        }
        let writer = crate::record::HistoryWriter::create(path, self.engine.config(), &past)?;
        self.history = Some((writer, Vec::new()));
        Ok(())
    }

    /// Adds an attempt's outcome to the history file being written, if any.
    fn remember(&mut self, task: u32, worker: u32, duration_ns: Option<u64>) {
        let Some((writer, models)) = &mut self.history else { return };
        let truth = &self.tasks[task as usize];
        let (model, family) = match models.get(truth.model as usize) {
            Some((name, family)) => (Some(name.clone()), *family),
            None => (None, ModelFamily::Unknown),
        };
        writer.add(PastRun {
            worker: WorkerId(u64::from(worker)),
            model,
            family,
            test_type: truth.test_type,
            duration_ns: duration_ns.unwrap_or(0),
            completed: duration_ns.is_some(),
        });
    }

    /// Gives the engine the expected times of an ETC scenario, as history of each task's model on each
    /// machine: the scheduler of Braun et al.'s study is given the matrix.
    fn import_expected_times(&mut self) -> Result<(), SimError> {
        if let Some(feed) = &mut self.feed {
            let present = &self.present;
            let runs: Vec<PastRun> = feed
                .take_imports()
                .into_iter()
                .filter(|run| present.get(run.worker.0 as usize).copied().unwrap_or(false))
                .collect();
            if !runs.is_empty() {
                self.engine.import_history(runs)?;
            }
            return Ok(());
        }
        let Some(maker) = &self.maker else { return Ok(()) };
        let mut runs = Vec::new();
        for (task, row) in maker.etc().iter().enumerate() {
            let model = workload::etc_model(TaskId(task as u64));
            for (worker, &seconds) in row.iter().enumerate() {
                runs.push(PastRun {
                    worker: WorkerId(worker as u64),
                    model: Some(model.clone()),
                    family: ModelFamily::Unknown,
                    test_type: TestType::Inference,
                    duration_ns: (f64::from(seconds) * 1e9) as u64,
                    completed: true,
                });
            }
        }
        if !runs.is_empty() {
            self.engine.import_history(runs)?;
        }
        Ok(())
    }

    fn happen(&mut self, time_ns: u64, happening: Happening) {
        match happening {
            Happening::Arrival => self.arrive(time_ns),
            Happening::Finish { task, attempt, end } => {
                let truth = self.tasks[task as usize];
                if truth.fate != TaskFate::Placed || truth.attempts != attempt || truth.run != Run::Running {
                    return;
                }
                if self.crashed[truth.worker as usize] {
                    return; // a dead worker reports nothing; the engine requeues the task when it notices
                }
                // The slot frees now, whether or not the end is reported.
                self.stop(time_ns, task);
                if truth.cancel_sent {
                    return;
                }
                let task_id = TaskId(u64::from(task));
                let worker = WorkerId(u64::from(truth.worker));
                let command = match end {
                    AttemptEnd::Complete => {
                        self.last_end_ns = self.last_end_ns.max(time_ns);
                        let response_ns = time_ns - truth.arrival_ns;
                        self.response_ns.saturating_record(response_ns.max(1));
                        let slowdown = response_ns as f64 / truth.min_duration_ns.max(1) as f64;
                        self.slowdown_milli.saturating_record((slowdown * 1000.0) as u64);
                        self.remember(task, truth.worker, Some(time_ns - truth.started_ns));
                        Command::TaskCompleted { task: task_id, worker, duration_ns: time_ns - truth.started_ns }
                    }
                    AttemptEnd::FailRetryable => {
                        self.remember(task, truth.worker, None);
                        Command::TaskFailed {
                            task: task_id,
                            worker,
                            reason: "worker lost its device".to_owned(),
                            retryable: true,
                        }
                    }
                    AttemptEnd::FailPermanent => {
                        self.remember(task, truth.worker, None);
                        Command::TaskFailed {
                            task: task_id,
                            worker,
                            reason: "assertion failed".to_owned(),
                            retryable: false,
                        }
                    }
                };
                self.push(command);
            }
            Happening::Cancel { task } if self.unaccepted.remove(&u64::from(task)).is_some() => {
                // Cancelled while its submission waits to be made again: it never reaches the engine.
                self.tasks[task as usize].fate = TaskFate::Cancelled;
                self.tasks_ended += 1;
            }
            Happening::Resubmit { task } => {
                if let Some(spec) = self.unaccepted.get(&u64::from(task)) {
                    let spec = spec.clone();
                    self.tasks[task as usize].submitted_ns = time_ns;
                    self.push(Command::SubmitTask(spec));
                }
            }
            Happening::Cancel { task } => {
                if !self.tasks[task as usize].fate.ended() {
                    self.tasks[task as usize].cancel_sent = true;
                    self.push(Command::CancelTask { task: TaskId(u64::from(task)) });
                }
            }
            Happening::Leave => self.leave(time_ns),
            Happening::Rejoin { worker } => {
                let index = worker as usize;
                if self.engine.view().worker(WorkerId(u64::from(worker))).is_some() {
                    // Still draining its last tasks: try again a little later.
                    self.at(time_ns + 10_000_000_000, Happening::Rejoin { worker });
                } else {
                    self.away[index] = false;
                    self.pulled[index] = false;
                    self.lanes[index].models.clear();
                    let spec = self.pool.workers[index].spec.clone();
                    self.push(Command::RegisterWorker(spec));
                }
            }
            Happening::Heartbeats => {
                for index in 0..self.pool.workers.len() {
                    if !self.present[index] || self.crashed[index] {
                        continue;
                    }
                    // A worker that left sends none; one draining does until the engine lets it go.
                    let gone = || self.engine.view().worker(WorkerId(index as u64)).is_none();
                    if self.away[index] && (self.pulled[index] || gone()) {
                        continue;
                    }
                    let busy = self.lanes[index].running as f32 / self.pool.workers[index].spec.slots.max(1) as f32;
                    // A machine that heats reports how hot it is.
                    let heat = self.pool.heats.then(|| {
                        self.warm_up(time_ns, index);
                        self.lanes[index].heat as f32
                    });
                    let utilization = UtilizationReport { cpu: busy.min(1.0), memory: 0.0, gpu: 0.0, heat };
                    self.push(Command::Heartbeat { worker: WorkerId(index as u64), utilization: Some(utilization) });
                }
                self.at(time_ns + self.config.heartbeat_interval_ms.saturating_mul(1_000_000), Happening::Heartbeats);
            }
        }
    }

    /// Churn: a worker leaves (drained, or pulled out at once: alternately) and comes back one to three
    /// minutes later; the next departure is scheduled. The worker and its absence come from a generator
    /// keyed by the seed and the departure, so they do not depend on placement.
    fn leave(&mut self, time_ns: u64) {
        let all_done = self.next_task >= self.config.tasks && self.tasks_ended >= self.next_task;
        if all_done {
            return;
        }
        let mut draws = attempt_rng(self.config.seed ^ 0xc4_0000, self.departures as u32, 0);
        self.departures += 1;
        let index = draws.random_range(0..self.pool.workers.len());
        let back_after_ns = draws.random_range(60_000_000_000..180_000_000_000u64);
        if self.present[index] && !self.crashed[index] && !self.away[index] {
            self.away[index] = true;
            let worker = WorkerId(index as u64);
            let drained = self.departures.is_multiple_of(2);
            self.pulled[index] = !drained;
            self.push(if drained { Command::DrainWorker { worker } } else { Command::RemoveWorker { worker } });
            self.at(time_ns + back_after_ns, Happening::Rejoin { worker: index as u32 });
        }
        self.at(time_ns + self.pool.churn_every_ms.saturating_mul(1_000_000), Happening::Leave);
    }

    /// In a pool with `crash_every`, kills one worker in that many once half the tasks have arrived:
    /// from then on it sends no heartbeat, starts nothing and reports no end.
    fn crash_at_half(&mut self, _time_ns: u64) {
        let every = self.pool.crash_every as usize;
        if every == 0 || self.next_task * 2 < self.config.tasks || self.crashed.iter().any(|&dead| dead) {
            return;
        }
        for index in (every / 2..self.pool.workers.len()).step_by(every) {
            self.crashed[index] = true;
        }
    }

    /// Submits the next arrivals and schedules the ones after.
    fn arrive(&mut self, time_ns: u64) {
        if self.feed.is_some() {
            self.arrive_recorded(time_ns);
            return;
        }
        let Some(maker) = &self.maker else { return };
        let config = self.config;
        let len = match self.pool.arrivals {
            Arrivals::Batches { len: (low, high), .. } => self.rng.random_range(low..=high),
            Arrivals::Poisson { .. } => 1,
            Arrivals::AllAtOnce => config.tasks,
        }
        .min(config.tasks - self.next_task);
        let mut arrivals = Vec::with_capacity(len as usize);
        for index in 0..len {
            let generated = maker.make(TaskId(self.next_task + index), &mut self.rng);
            let cancel_at_ns = (self.rng.random_range(0..1_000_000) < self.pool.cancels_per_million)
                .then(|| time_ns + self.rng.random_range(0..120_000_000_000u64));
            arrivals.push((generated, cancel_at_ns));
        }
        self.submit_arrivals(time_ns, arrivals);
        if self.next_task < config.tasks {
            let mut gap = -self.arrival_gap_mean_ns * (1.0 - self.rng.random::<f64>()).ln();
            if let Some(spike) = self.pool.spike
                && (spike.from..spike.to).contains(&self.next_task)
            {
                gap /= f64::from(spike.factor);
            }
            self.at(time_ns + gap as u64, Happening::Arrival);
        }
    }

    /// Submits the next recorded arrival and schedules the one after.
    fn arrive_recorded(&mut self, time_ns: u64) {
        let Some(feed) = &mut self.feed else { return };
        let arrivals = match feed.take_arrival(time_ns, self.next_task) {
            Ok(arrivals) => arrivals,
            Err(error) => {
                self.stopped = Some(error);
                return;
            }
        };
        let next_ns = feed.next_arrival_ns();
        self.submit_arrivals(time_ns, arrivals);
        if let Some(at_ns) = next_ns {
            self.at(at_ns.max(time_ns), Happening::Arrival);
        }
    }

    /// Takes in tasks that arrive at `time_ns` (in id order, from `next_task` on): their ground truth,
    /// their cancellation, and one batch submission.
    fn submit_arrivals(&mut self, time_ns: u64, arrivals: Vec<(SimTaskSpec, Option<u64>)>) {
        if arrivals.is_empty() {
            return;
        }
        self.crash_at_half(time_ns);
        if self.engine.is_recording() {
            let tasks = arrivals
                .iter()
                .map(|(generated, cancel_at_ns)| SimTaskDto {
                    task: generated.spec.id.0,
                    family: crate::record::Named(generated.family),
                    work_seconds: generated.work_seconds,
                    seconds_on: generated.seconds_on.as_ref().map(|row| row.to_vec()),
                    cancel_at_ns: *cancel_at_ns,
                })
                .collect();
            let t = self.engine.now().0;
            self.engine.record_line(&Line::SimArrival { t, at_ns: time_ns, tasks });
        }
        if let Some(timeline) = &mut self.timeline {
            timeline.arrived(time_ns, arrivals.len() as u64);
        }
        let mut batch = Vec::with_capacity(arrivals.len());
        for (generated, cancel_at_ns) in arrivals {
            let id = generated.spec.id;
            self.next_task += 1;
            let truth = self.truth_of(&generated, time_ns);
            self.tasks.push(truth);
            if generated.seconds_on.is_some() {
                self.seconds_on.resize(self.tasks.len(), None);
                self.seconds_on[id.0 as usize] = generated.seconds_on;
            }
            if let Some(cancel_at_ns) = cancel_at_ns {
                self.at(cancel_at_ns.max(time_ns), Happening::Cancel { task: id.0 as u32 });
            }
            if self.keeps_submissions {
                self.unaccepted.insert(id.0, generated.spec.clone());
            }
            batch.push(generated.spec);
        }
        // A coordinator keeps within the engine's batch limit.
        let batch_max = self.engine.config().submit_batch_len_max.max(1);
        while batch.len() > batch_max {
            let rest = batch.split_off(batch_max);
            self.push(Command::SubmitBatch(batch));
            batch = rest;
        }
        self.push(Command::SubmitBatch(batch));
    }

    /// The ground-truth run time of a task on a worker, in nanoseconds.
    fn duration_ns(&self, task: u32, worker: usize) -> u64 {
        let truth = &self.tasks[task as usize];
        let seconds = match self.seconds_on.get(task as usize).and_then(Option::as_ref) {
            Some(row) => f64::from(row[worker]),
            None => f64::from(truth.work_seconds) / self.pool.workers[worker].speed(truth.family, truth.allowed),
        };
        (seconds * 1e9).max(1.0) as u64
    }

    fn truth_of(&mut self, generated: &SimTaskSpec, arrival_ns: u64) -> TaskTruth {
        let requirements = &generated.spec.requirements;
        let min_duration_ns = match &generated.seconds_on {
            Some(row) => (row.iter().copied().fold(f32::INFINITY, f32::min) as f64 * 1e9) as u64,
            None => {
                let key = SpeedKey {
                    family: generated.family,
                    hardware_any: requirements.hardware_any,
                    browsers_any: requirements.browsers_any,
                    memory_mib: requirements.memory_mib,
                    cpu_milli: requirements.cpu_milli,
                    gpu: requirements.gpu,
                };
                let workers = &self.pool.workers;
                let present = &self.present;
                let best = *self.best_speeds.entry(key).or_insert_with(|| {
                    workers
                        .iter()
                        .zip(present)
                        .filter(|&(worker, &present)| present && could_run(&worker.spec, requirements))
                        .map(|(worker, _)| worker)
                        .map(|worker| worker.speed(generated.family, requirements.hardware_any))
                        .fold(0.0, f64::max)
                });
                if best > 0.0 { (generated.work_seconds / best * 1e9) as u64 } else { 0 }
            }
        };
        let gpu = requirements.gpu;
        let group = match self.groups.get(requirements) {
            Some(&group) => group,
            None if self.groups.len() < GROUPS_MAX => {
                let group = self.groups.len() as u32;
                self.groups.insert(requirements.clone(), group);
                group
            }
            None => u32::MAX,
        };
        let next_number = self.model_numbers.len() as u32;
        let model = match &generated.spec.model_id {
            Some(model) => {
                let number = *self.model_numbers.entry(model.clone()).or_insert(next_number);
                if let Some((_, models)) = &mut self.history
                    && models.len() == number as usize
                {
                    models.push((model.clone(), ballast_systems::analysis::detect_family(model)));
                }
                number
            }
            None => u32::MAX,
        };
        TaskTruth {
            model,
            fate: TaskFate::NotArrived,
            run: Run::Done,
            attempts: 0,
            moves: 0,
            priority: generated.spec.priority,
            test_type: generated.spec.test_type,
            family: generated.family,
            allowed: requirements.hardware_any,
            worker: u32::MAX,
            memory_mib: requirements.memory_mib as u32,
            cpu_milli: requirements.cpu_milli,
            gpu_milli: u32::from(gpu.count) * u32::from(gpu.milli),
            work_seconds: generated.work_seconds as f32,
            arrival_ns,
            placed_ns: 0,
            started_ns: 0,
            first_placed_ns: u64::MAX,
            submitted_ns: arrival_ns,
            min_duration_ns,
            group,
            cancel_sent: false,
        }
    }

    /// Applies the tick's events to the simulator's record, checking each against it.
    fn absorb_events(&mut self, now_ns: u64) {
        let mut events = std::mem::take(&mut self.events);
        self.engine.take_events(&mut events);
        for event in events.drain(..) {
            match event {
                Event::TaskAccepted { task } => {
                    self.unaccepted.remove(&task.0);
                    let truth = &mut self.tasks[task.0 as usize];
                    if truth.fate == TaskFate::NotArrived {
                        truth.fate = TaskFate::Pending;
                        if let Some(timeline) = &mut self.timeline {
                            timeline.accepted();
                        }
                    } else {
                        self.violation(format!("{task} accepted twice"));
                    }
                }
                Event::TaskAssigned { task, worker, attempt } => self.assign(now_ns, task, worker, attempt),
                Event::TaskRecalled { task, worker, .. } => self.recalled(task, worker),
                Event::TaskMigrated { task, to, attempt, .. } if self.release(now_ns, task) => {
                    let truth = &mut self.tasks[task.0 as usize];
                    truth.fate = TaskFate::Pending;
                    truth.moves += 1;
                    self.assign(now_ns, task, to, attempt);
                }
                Event::TaskRequeued { task, reason, .. } if self.release(now_ns, task) => {
                    let truth = &mut self.tasks[task.0 as usize];
                    truth.fate = TaskFate::Pending;
                    if reason == RequeueReason::Released {
                        truth.moves += 1; // given back unstarted: not an attempt
                    }
                    if let Some(timeline) = &mut self.timeline {
                        timeline.requeued(now_ns);
                    }
                }
                Event::TaskCompleted { task, .. } => {
                    self.release(now_ns, task);
                    self.end(now_ns, task, TaskFate::Completed);
                    self.count(now_ns, Count::Completion);
                }
                Event::TaskFailed { task, worker, .. } => {
                    if worker.is_some() {
                        self.release(now_ns, task);
                    }
                    self.end(now_ns, task, TaskFate::Failed);
                    self.count(now_ns, Count::Failure);
                }
                Event::TaskCancelled { task, worker } => {
                    if worker.is_some() {
                        self.release(now_ns, task);
                    }
                    self.end(now_ns, task, TaskFate::Cancelled);
                    self.count(now_ns, Count::Cancellation);
                }
                Event::TaskUnschedulable { task, .. } => {
                    self.end(now_ns, task, TaskFate::Unschedulable);
                    self.count(now_ns, Count::Unschedulable);
                }
                Event::CommandRejected {
                    command: CommandKind::SubmitTask,
                    error:
                        CommandError::Submit(answer @ (SubmitError::Deferred { .. } | SubmitError::Overloaded { .. })),
                } => {
                    // Admission control turned it away: the coordinator submits it again when told.
                    let (task, retry_after_ms) = match answer {
                        SubmitError::Deferred { task, retry_after_ms, .. } => {
                            self.deferrals += 1;
                            (task, retry_after_ms)
                        }
                        SubmitError::Overloaded { task, retry_after_ms, .. } => {
                            self.rejections += 1;
                            (task, retry_after_ms)
                        }
                        _ => unreachable!("matched above"),
                    };
                    if self.unaccepted.contains_key(&task.0) {
                        self.at(now_ns + retry_after_ms * 1_000_000, Happening::Resubmit { task: task.0 as u32 });
                    } else {
                        self.violation(format!("{task} was turned away but the coordinator kept no copy"));
                    }
                }
                // A heartbeat of a draining worker crossing its removal is expected.
                Event::CommandRejected {
                    command: CommandKind::Heartbeat,
                    error: CommandError::Worker(WorkerCommandError::UnknownWorker(worker)),
                } if self.away.get(worker.0 as usize).copied().unwrap_or(false) => {
                    self.count(now_ns, Count::CommandRejected);
                }
                // A submission refused for good by the engine's config (a limit, a field out of range):
                // reported as refused, with the reason, not as a lost task.
                Event::CommandRejected { command: CommandKind::SubmitTask, error: CommandError::Submit(error) }
                    if submission_task(&error).is_some() =>
                {
                    self.count(now_ns, Count::CommandRejected);
                    self.commands_rejected += 1;
                    let task = submission_task(&error).expect("matched above");
                    self.refused(now_ns, task, &error);
                }
                Event::CommandRejected { command, error } => {
                    self.count(now_ns, Count::CommandRejected);
                    // A cancel racing the task's end, or a task given back after the engine let it go
                    // (cancelled, its worker lost), is expected; anything else is the simulator's bug.
                    if command != CommandKind::CancelTask && command != CommandKind::TaskReleased {
                        self.violation(format!("the engine refused a {command:?}: {error}"));
                    }
                    self.commands_rejected += 1;
                }
                _ => {}
            }
        }
        self.events = events;
    }

    /// A task was assigned: reserve it on the worker, start it if a slot is free, queue it otherwise.
    fn assign(&mut self, now_ns: u64, task: TaskId, worker: WorkerId, attempt: u8) {
        let index = task.0 as usize;
        let truth = self.tasks[index];
        if truth.fate != TaskFate::Pending {
            self.duplicated += 1;
            self.violation(format!("{task} assigned to {worker} while {:?}", truth.fate));
            return;
        }
        let max = self.config.engine.attempts_max;
        if attempt != truth.attempts + 1 || attempt - truth.moves.min(attempt) > max {
            self.violation(format!("{task} assigned as attempt {attempt} after {} (max {max})", truth.attempts));
        }
        crate::record::hash_assignment(&mut self.trace, now_ns, task.0, worker.0, attempt);
        let worker_index = worker.0 as usize;
        let spec = &self.pool.workers[worker_index].spec;
        let seats = spec.slots + self.pool.prefetch_max;
        let usage = &mut self.uses[worker_index];
        usage.seats += 1;
        usage.cpu_milli += u64::from(truth.cpu_milli);
        usage.memory_mib += u64::from(truth.memory_mib);
        usage.gpu_milli += u64::from(truth.gpu_milli);
        let over = usage.seats > seats
            || usage.cpu_milli > u64::from(spec.cpu_milli)
            || usage.memory_mib > spec.memory_mib
            || usage.gpu_milli > spec.gpus.len() as u64 * 1000;
        if over {
            let usage = *usage;
            self.violation(format!("{worker} over capacity after {task}: {usage:?}"));
        }
        let mut first_wait_ns = None;
        if truth.first_placed_ns == u64::MAX {
            let wait_ns = (now_ns - truth.submitted_ns).max(1);
            self.wait_ns.saturating_record(wait_ns);
            self.wait_by_priority_ns[usize::from(truth.priority)].saturating_record(wait_ns);
            first_wait_ns = Some(wait_ns);
        }
        if let Some(timeline) = &mut self.timeline {
            timeline.placed(now_ns, first_wait_ns);
        }
        let truth = &mut self.tasks[index];
        truth.fate = TaskFate::Placed;
        truth.attempts = attempt;
        truth.worker = worker.0 as u32;
        truth.placed_ns = now_ns;
        truth.first_placed_ns = truth.first_placed_ns.min(now_ns);
        truth.run = Run::Queued;
        self.lanes[worker_index].queue.push_back(task.0 as u32);
        self.fill_slots(now_ns, worker_index);
    }

    /// The engine wants a task back from `worker`: a worker that has not started it drops it from its
    /// run queue and says so; one that started it lets it run (the engine knows from its start).
    fn recalled(&mut self, task: TaskId, worker: WorkerId) {
        let index = worker.0 as usize;
        let truth = &mut self.tasks[task.0 as usize];
        let queued_here = truth.fate == TaskFate::Placed && truth.run == Run::Queued && truth.worker as usize == index;
        if !queued_here || self.crashed[index] {
            return;
        }
        truth.run = Run::Released;
        self.push(Command::TaskReleased { task, worker });
    }

    /// Starts queued tasks on the worker while it has free slots.
    fn fill_slots(&mut self, now_ns: u64, worker_index: usize) {
        if self.crashed[worker_index] {
            return;
        }
        let slots = self.pool.workers[worker_index].spec.slots;
        while self.lanes[worker_index].running < slots {
            let Some(task) = self.lanes[worker_index].queue.pop_front() else { break };
            let truth = self.tasks[task as usize];
            if truth.fate != TaskFate::Placed || truth.run != Run::Queued || truth.worker as usize != worker_index {
                continue; // it left the queue (requeued or cancelled) since
            }
            self.warm_up(now_ns, worker_index);
            self.lanes[worker_index].running += 1;
            if let Some(timeline) = &mut self.timeline {
                timeline.slot_started(now_ns, worker_index);
            }
            let sharing = u64::from(self.lanes[worker_index].running - 1);
            let contention =
                1.0 + f64::from(self.pool.contention_permille) / 1000.0 * sharing as f64 / f64::from(slots.max(1));
            let heat = if self.pool.heats { workload::throttle(self.lanes[worker_index].heat) } else { 1.0 };
            let mut duration_ns = (self.duration_ns(task, worker_index) as f64 * contention * heat) as u64;
            duration_ns += self.cold_start_ns(task, worker_index);
            let attempt = truth.attempts;
            let mut draws = attempt_rng(self.config.seed, task, attempt);
            let draw = draws.random::<f64>();
            let FailureRates { permanent, retryable } = self.pool.failures;
            let retryable = retryable + f64::from(self.pool.workers[worker_index].flaky_permille) / 1_000.0;
            let (end, after_ns) = if draw < permanent {
                (AttemptEnd::FailPermanent, duration_ns / 2)
            } else if draw < permanent + retryable {
                (AttemptEnd::FailRetryable, (duration_ns as f64 * draws.random_range(0.05..1.0)) as u64)
            } else {
                (AttemptEnd::Complete, duration_ns)
            };
            let truth = &mut self.tasks[task as usize];
            truth.run = Run::Running;
            truth.started_ns = now_ns;
            self.push(Command::TaskStarted { task: TaskId(u64::from(task)), worker: WorkerId(worker_index as u64) });
            self.at(now_ns + after_ns.max(1), Happening::Finish { task, attempt, end });
        }
    }

    /// Brings a machine's heat up to `now_ns` at the utilization it has had since the last change.
    fn warm_up(&mut self, now_ns: u64, worker_index: usize) {
        if !self.pool.heats {
            return;
        }
        let slots = self.pool.workers[worker_index].spec.slots.max(1);
        let lanes = &mut self.lanes[worker_index];
        let utilization = f64::from(lanes.running) / f64::from(slots);
        let seconds = now_ns.saturating_sub(lanes.heat_at_ns) as f64 / 1e9;
        lanes.heat = workload::heated(lanes.heat, utilization, seconds, workload::cools_poorly(worker_index));
        lanes.heat_at_ns = now_ns;
    }

    /// The time the worker first spends loading the task's model, if it is not among the models it
    /// has loaded (and the model becomes its most recently used).
    fn cold_start_ns(&mut self, task: u32, worker_index: usize) -> u64 {
        let truth = self.tasks[task as usize];
        if !self.pool.cold_starts || truth.model == u32::MAX {
            return 0;
        }
        let loaded = &mut self.lanes[worker_index].models;
        let warm = match loaded.iter().position(|&other| other == truth.model) {
            Some(position) => {
                loaded.remove(position);
                true
            }
            None => {
                if loaded.len() >= workload::MODELS_LOADED_MAX {
                    loaded.remove(0);
                }
                false
            }
        };
        loaded.push(truth.model);
        if warm {
            return 0;
        }
        let speed = self.pool.workers[worker_index].speed(truth.family, truth.allowed);
        (workload::cold_start_seconds(truth.family) / speed * 1e9) as u64
    }

    /// The task's attempt stops holding a slot (it ended, or was stopped); the next queued task starts.
    fn stop(&mut self, now_ns: u64, task: u32) {
        let truth = &mut self.tasks[task as usize];
        let worker_index = truth.worker as usize;
        let was = truth.run;
        truth.run = Run::Done;
        if was == Run::Running {
            let started_ns = truth.started_ns;
            self.busy_slot_ns += u128::from(now_ns - started_ns);
            self.busy_gpu_milli_ns += u128::from(now_ns - started_ns) * u128::from(truth.gpu_milli);
            if let Some(timeline) = &mut self.timeline {
                timeline.slot_stopped(now_ns, worker_index, started_ns);
            }
            self.warm_up(now_ns, worker_index);
            self.lanes[worker_index].running -= 1;
            self.fill_slots(now_ns, worker_index);
        }
    }

    /// Frees what a placed task reserved on its worker, and its slot if it still held one; false (and a
    /// violation) if it was not placed.
    fn release(&mut self, now_ns: u64, task: TaskId) -> bool {
        let truth = self.tasks[task.0 as usize];
        if truth.fate != TaskFate::Placed {
            self.violation(format!("{task} released while {:?}", truth.fate));
            return false;
        }
        let usage = &mut self.uses[truth.worker as usize];
        usage.seats -= 1;
        usage.cpu_milli -= u64::from(truth.cpu_milli);
        usage.memory_mib -= u64::from(truth.memory_mib);
        usage.gpu_milli -= u64::from(truth.gpu_milli);
        self.stop(now_ns, task.0 as u32);
        true
    }

    fn end(&mut self, now_ns: u64, task: TaskId, fate: TaskFate) {
        if fate != TaskFate::Completed {
            self.last_end_ns = self.last_end_ns.max(now_ns);
        }
        let truth = &mut self.tasks[task.0 as usize];
        if truth.fate.ended() {
            let before = truth.fate;
            self.duplicated += 1;
            self.violation(format!("{task} ended twice ({before:?}, then {fate:?})"));
            return;
        }
        if truth.fate == TaskFate::Pending
            && let Some(timeline) = &mut self.timeline
        {
            timeline.left_pending();
        }
        truth.fate = fate;
        self.tasks_ended += 1;
    }

    fn count(&mut self, now_ns: u64, what: Count) {
        if let Some(timeline) = &mut self.timeline {
            timeline.count(now_ns, what);
        }
    }

    /// Each worker's hardware label and slots for the load matrix (`None`: not in the pool); CPU is
    /// left out of a label when the worker has an accelerator, since every worker has a CPU.
    fn load_labels(&self) -> Vec<Option<(String, u32)>> {
        self.pool
            .workers
            .iter()
            .zip(&self.present)
            .map(|(worker, present)| {
                present.then(|| {
                    let hardware = worker.spec.hardware;
                    let without_cpu = HardwareSet(hardware.0 & !HardwareSet::of(&[HardwareKind::Cpu]).0);
                    let shown = if without_cpu.is_empty() { hardware } else { without_cpu };
                    let label = shown.iter().map(HardwareKind::name).collect::<Vec<_>>().join("+");
                    (if label.is_empty() { "none".to_owned() } else { label }, worker.spec.slots)
                })
            })
            .collect()
    }
}

/// Whether the coordinator must keep each submission until it is accepted: when admission control
/// could turn one away in a run of `tasks` tasks.
fn engine_keeps_submissions(config: &EngineConfig, tasks: u64) -> bool {
    config.backpressure
        && (config.admission_pending_high <= tasks
            || config.admission_tick_work_max > 0
            || config.admission_wait_high_ms > 0
            || config.admission_set_pending_per_worker > 0)
}

/// Checks a simulation's parameters.
fn validate(config: &SimConfig) -> Result<(), SimError> {
    let range = |field, value: u64, low: u64, high: u64, range| {
        if (low..=high).contains(&value) { Ok(()) } else { Err(SimError::OutOfRange { field, value, range }) }
    };
    range("workers", u64::from(config.workers), 1, u64::from(config.engine.workers_max), "1..=workers_max")?;
    range("tasks", config.tasks, 0, u64::from(u32::MAX), "0..=4294967295")?;
    range("tick_interval_ms", config.tick_interval_ms, 1, 60_000, "1..=60000")?;
    let heartbeat_max = config.engine.heartbeat_suspect_after_ms.saturating_sub(1).max(1);
    range("heartbeat_interval_ms", config.heartbeat_interval_ms, 1, heartbeat_max, "1..heartbeat_suspect_after_ms")?;
    range("stall_seconds_max", config.stall_seconds_max, 1, 30 * 86_400, "1..=2592000")?;
    if let Scenario::EtcBraun(_) = config.scenario {
        range("tasks (ETC)", config.tasks, 1, 65_536, "1..=65536")?;
        range("workers (ETC)", u64::from(config.workers), 1, 4_096, "1..=4096")?;
    }
    Ok(())
}

/// The task a refused submission names, when the engine names one (every refusal of one task does).
fn submission_task(error: &SubmitError) -> Option<TaskId> {
    match error {
        SubmitError::Duplicate(task)
        | SubmitError::QueueFull { task, .. }
        | SubmitError::OutOfRange { task, .. }
        | SubmitError::BadString { task, .. }
        | SubmitError::TooManyRequirementSets { task, .. } => Some(*task),
        _ => None,
    }
}

/// Checks a pool's behaviour (a scenario's, or a recording header's `sim.pool`) before anything runs on it.
fn validate_pool(pool: &Pool) -> Result<(), SimError> {
    let fraction = |field: &'static str, value: f64| {
        if value.is_finite() && (0.0..=1.0).contains(&value) {
            Ok(())
        } else {
            Err(SimError::Invalid { field, value: value.to_string(), range: "0..=1" })
        }
    };
    fraction("pool.failure_retryable", pool.failures.retryable)?;
    fraction("pool.failure_permanent", pool.failures.permanent)?;
    fraction("pool.failure_retryable + pool.failure_permanent", pool.failures.retryable + pool.failures.permanent)?;
    let range = |field, value: u64, low: u64, high: u64, range| {
        if (low..=high).contains(&value) { Ok(()) } else { Err(SimError::OutOfRange { field, value, range }) }
    };
    range("pool.contention_permille", u64::from(pool.contention_permille), 0, 100_000, "0..=100000")?;
    range("pool.crash_every", u64::from(pool.crash_every), 0, 1_000_000, "0..=1000000")?;
    range("pool.churn_every_ms", pool.churn_every_ms, 0, 86_400_000, "0..=86400000")?;
    Ok(())
}

/// The generator of an attempt's own draws (does it fail, and when): keyed by the seed, the task and
/// the attempt, so it does not depend on what ran before.
fn attempt_rng(seed: u64, task: u32, attempt: u8) -> Pcg64Mcg {
    let key = (u64::from(task) << 8 | u64::from(attempt)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    Pcg64Mcg::seed_from_u64(seed ^ key ^ 0xa77e_4d7f_0000_0000)
}

/// The workers of `workers` that could run a task of `requirements`, as a bit set over their indices.
fn eligible_bits(workers: &[SimWorker], requirements: &RequirementSpec) -> Vec<u64> {
    let mut bits = vec![0u64; workers.len().div_ceil(64)];
    for (index, worker) in workers.iter().enumerate() {
        if could_run(&worker.spec, requirements) {
            bits[index / 64] |= 1 << (index % 64);
        }
    }
    bits
}

/// Whether every worker of the bit set `small` is in `big`.
fn is_subset(small: &[u64], big: &[u64]) -> bool {
    small.iter().zip(big).all(|(small, big)| small & !big == 0)
}

/// The mean gap between arrivals that offers the scenario's load (see [`LoadOf`]).
fn arrival_gap_mean_ns(config: &SimConfig, pool: &Pool, maker: &TaskMaker) -> f64 {
    let (load_percent, mean_batch) = match pool.arrivals {
        Arrivals::Batches { len: (low, high), load_percent } => (load_percent, (low + high) as f64 / 2.0),
        Arrivals::Poisson { load_percent } => (load_percent, 1.0),
        Arrivals::AllAtOnce => return 0.0,
    };
    let mut rng = Pcg64Mcg::seed_from_u64(config.seed ^ 0x5eed_cafe);
    let load = f64::from(load_percent) / 100.0;
    let capacity_per_second = match pool.load_of {
        LoadOf::Pool => pool_capacity(pool, maker, &mut rng),
        LoadOf::BusiestSet => busiest_set_capacity(pool, maker, load, &mut rng),
    };
    let tasks_per_second = capacity_per_second * f64::from(load_percent) / 100.0;
    mean_batch / tasks_per_second * 1e9
}

/// Tasks per second the whole pool can take: its slots over the mean run time of a sample of tasks on
/// random capable workers.
fn pool_capacity(pool: &Pool, maker: &TaskMaker, rng: &mut Pcg64Mcg) -> f64 {
    let workers = &pool.workers;
    let mut total_seconds = 0.0;
    let mut counted = 0u32;
    for index in 0..2_000 {
        let generated: SimTaskSpec = maker.make(TaskId(index), rng);
        for _ in 0..8 {
            let worker: &SimWorker = &workers[rng.random_range(0..workers.len())];
            if could_run(&worker.spec, &generated.spec.requirements) {
                // A random capable worker's speed: the pool's average service rate for this task.
                total_seconds +=
                    generated.work_seconds / worker.speed(generated.family, generated.spec.requirements.hardware_any);
                counted += 1;
                break;
            }
        }
    }
    match pool.arrivals {
        // Poisson: the exact service capacity, Σ speed × slots over the mean work.
        Arrivals::Poisson { .. } => {
            let mean_work = maker.mean_work_seconds();
            workers.iter().map(|worker| worker.machine_speed * f64::from(worker.spec.slots)).sum::<f64>() / mean_work
        }
        _ => {
            let mean_duration_seconds = if counted == 0 { 60.0 } else { total_seconds / f64::from(counted) };
            workers.iter().map(|worker| f64::from(worker.spec.slots)).sum::<f64>() / mean_duration_seconds
        }
    }
}

/// Tasks per second the pool can take with no set of workers offered more than it can do. A sample of
/// tasks is grouped by requirements; a task's run time is its work over the slot-weighted mean speed of
/// the workers that may run it (a set's service rate is Σ slots × speed, as for Poisson arrivals),
/// slowed by the contention of a pool busy at `load`. For each group's set of eligible workers, the
/// tasks limited to it or to a part of it need that time from its slots, and their GPU share of it
/// from its GPUs: the set that fills first at the lowest rate sets the capacity.
fn busiest_set_capacity(pool: &Pool, maker: &TaskMaker, load: f64, rng: &mut Pcg64Mcg) -> f64 {
    const SAMPLE: u32 = 4_000;
    struct Group {
        eligible: Vec<u32>,
        bits: Vec<u64>,
        seconds: f64,
        gpu_seconds: f64,
    }
    let workers = &pool.workers;
    // A task that starts as the k-th running of s slots runs 1 + c (k − 1) / s longer: on a pool kept
    // at `load`, it finds about `load × s` running.
    let slowdown = 1.0 + f64::from(pool.contention_permille) / 1_000.0 * load;
    let mut index_of: FxHashMap<RequirementSpec, usize> = FxHashMap::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut mean_speeds: FxHashMap<(usize, ModelFamily), f64> = FxHashMap::default();
    for index in 0..SAMPLE {
        let generated: SimTaskSpec = maker.make(TaskId(u64::from(index)), rng);
        let requirements = &generated.spec.requirements;
        let group = match index_of.get(requirements) {
            Some(&group) => group,
            None => {
                let bits = eligible_bits(workers, requirements);
                let eligible = (0..workers.len() as u32)
                    .filter(|&position| bits[position as usize / 64] & (1 << (position % 64)) != 0)
                    .collect();
                index_of.insert(requirements.clone(), groups.len());
                groups.push(Group { eligible, bits, seconds: 0.0, gpu_seconds: 0.0 });
                groups.len() - 1
            }
        };
        // An unschedulable task takes no capacity.
        if groups[group].eligible.is_empty() {
            continue;
        }
        let speed = *mean_speeds.entry((group, generated.family)).or_insert_with(|| {
            let (mut weighted, mut slots) = (0.0, 0.0);
            for &position in &groups[group].eligible {
                let worker = &workers[position as usize];
                weighted += f64::from(worker.spec.slots) * worker.speed(generated.family, requirements.hardware_any);
                slots += f64::from(worker.spec.slots);
            }
            weighted / slots
        });
        let seconds = generated.work_seconds / speed * slowdown;
        let gpu = requirements.gpu;
        let group = &mut groups[group];
        group.seconds += seconds;
        group.gpu_seconds += seconds * f64::from(gpu.count) * f64::from(gpu.milli) / 1_000.0;
    }
    let mut capacity = f64::INFINITY;
    for set in groups.iter().filter(|group| !group.eligible.is_empty()) {
        let (mut seconds, mut gpu_seconds) = (0.0, 0.0);
        for inner in groups.iter().filter(|inner| is_subset(&inner.bits, &set.bits)) {
            seconds += inner.seconds;
            gpu_seconds += inner.gpu_seconds;
        }
        let slots: u64 = set.eligible.iter().map(|&worker| u64::from(workers[worker as usize].spec.slots)).sum();
        let gpus: usize = set.eligible.iter().map(|&worker| workers[worker as usize].spec.gpus.len()).sum();
        // Per sampled task: its slot-seconds and GPU-seconds; the set takes slots over that per second.
        if seconds > 0.0 {
            capacity = capacity.min(slots as f64 * f64::from(SAMPLE) / seconds);
        }
        if gpu_seconds > 0.0 {
            capacity = capacity.min(gpus as f64 * f64::from(SAMPLE) / gpu_seconds);
        }
    }
    if capacity.is_finite() {
        capacity
    } else {
        workers.iter().map(|worker| f64::from(worker.spec.slots)).sum::<f64>() / 60.0
    }
}

impl Simulation<'_> {
    /// For each set of workers some tasks are limited to, the fastest work of every task limited to
    /// it (or to a part of it) over its slots, and their GPU work over its GPUs: the makespan can be no
    /// shorter. The most binding five, most binding first.
    fn eligible_sets(&self) -> Vec<EligibleSet> {
        let mut specs = vec![None; self.groups.len()];
        for (spec, &group) in &self.groups {
            specs[group as usize] = Some(spec);
        }
        let mut work_ns = vec![0u128; specs.len()];
        let mut gpu_work = vec![0u128; specs.len()];
        let mut tasks = vec![0u64; specs.len()];
        for truth in &self.tasks {
            if truth.group != u32::MAX && truth.min_duration_ns > 0 && truth.fate != TaskFate::Cancelled {
                let group = truth.group as usize;
                work_ns[group] += u128::from(truth.min_duration_ns);
                gpu_work[group] += u128::from(truth.min_duration_ns) * u128::from(truth.gpu_milli);
                tasks[group] += 1;
            }
        }
        // The distinct sets of workers (every worker of the pool counts, present or not: more
        // capacity only weakens the bound), each with the groups limited to exactly it.
        let workers = &self.pool.workers;
        let mut index_of: FxHashMap<Vec<u64>, usize> = FxHashMap::default();
        let mut sets: Vec<(Vec<u64>, Vec<usize>)> = Vec::new();
        for (group, spec) in specs.iter().enumerate() {
            let Some(spec) = spec.filter(|_| tasks[group] > 0) else { continue };
            let bits = eligible_bits(workers, spec);
            let next = sets.len();
            let set = *index_of.entry(bits.clone()).or_insert(next);
            if set == next {
                sets.push((bits, Vec::new()));
            }
            sets[set].1.push(group);
        }
        let mut bounds: Vec<EligibleSet> = Vec::new();
        for (bits, own) in &sets {
            let (mut count, mut slots, mut gpus) = (0u32, 0u64, 0u64);
            for (index, worker) in workers.iter().enumerate() {
                if bits[index / 64] & (1 << (index % 64)) != 0 {
                    count += 1;
                    slots += u64::from(worker.spec.slots);
                    gpus += worker.spec.gpus.len() as u64;
                }
            }
            let (mut work, mut gpu, mut limited) = (0u128, 0u128, 0u64);
            for (other, groups) in &sets {
                if is_subset(other, bits) {
                    for &group in groups {
                        work += work_ns[group];
                        gpu += gpu_work[group];
                        limited += tasks[group];
                    }
                }
            }
            if slots == 0 {
                continue;
            }
            let slot_bound = work / u128::from(slots);
            let gpu_bound = if gpus == 0 { 0 } else { gpu / 1_000 / u128::from(gpus) };
            // Named by one of the tasks limited to exactly this set.
            let spec = own.iter().filter_map(|&group| specs[group]).next();
            bounds.push(EligibleSet {
                requirements: spec.map_or_else(String::new, describe_requirements),
                workers: count,
                slots,
                gpus,
                tasks: limited,
                work_seconds: work as f64 / 1e9,
                bound_seconds: slot_bound.max(gpu_bound) as f64 / 1e9,
            });
        }
        bounds.sort_by(|a, b| b.bound_seconds.total_cmp(&a.bound_seconds).then(a.workers.cmp(&b.workers)));
        bounds.truncate(5);
        bounds
    }

    fn report(&mut self, sim_wall_seconds: f64) -> SimReport {
        let config = self.config;
        let view = self.engine.view();
        let counters = view.counters();
        let count = |fate: TaskFate| self.tasks.iter().filter(|truth| truth.fate == fate).count() as u64;
        // A replay runs the tasks its recording holds (fewer than planned if it was cut short).
        let planned = if self.feed.is_some() { self.next_task } else { config.tasks };
        let submitted = self.tasks.len() as u64;
        let ended = self.tasks.iter().filter(|truth| truth.fate.ended()).count() as u64;
        let (slots, gpus) =
            self.pool.workers.iter().zip(&self.present).filter(|(_, present)| **present).fold(
                (0u64, 0u64),
                |(slots, gpus), (worker, _)| {
                    (slots + u64::from(worker.spec.slots), gpus + worker.spec.gpus.len() as u64)
                },
            );
        let mut latest_fastest_end_ns = 0u64;
        let mut fastest_work_ns = 0u128;
        for truth in self.tasks.iter().filter(|truth| truth.min_duration_ns > 0 && truth.fate != TaskFate::Cancelled) {
            latest_fastest_end_ns = latest_fastest_end_ns.max(truth.arrival_ns + truth.min_duration_ns);
            fastest_work_ns += u128::from(truth.min_duration_ns);
        }
        let spread_ns = (fastest_work_ns / u128::from(slots.max(1))) as u64;
        let eligible_sets = self.eligible_sets();
        let eligible_ns = eligible_sets.first().map_or(0, |set| (set.bound_seconds * 1e9) as u64);
        let lower_bound_ns = latest_fastest_end_ns.max(spread_ns).max(eligible_ns);
        let makespan_ns = self.last_end_ns;
        let engine_seconds = self.engine.busy_ns() as f64 / 1e9;
        let tick_ns = &view.metrics().tick_ns;
        let (timeline, worker_load, worker_efficiency) = match self.timeline.take() {
            Some(recorder) => {
                let (timeline, load, efficiency) = recorder.finish(self.end_ns, makespan_ns, &self.load_labels());
                (Some(timeline), Some(load), Some(efficiency))
            }
            None => (None, None, None),
        };
        SimReport {
            seed: config.seed,
            workers: self.present.iter().filter(|present| **present).count() as u32,
            tasks: planned,
            scenario: match &config.workload {
                Some(file) => file.name().to_owned(),
                None => config.scenario.name(),
            },
            workload_file: config.workload.as_ref().map(|file| file.source().to_owned()),
            policy: config.engine.policy.name().to_owned(),
            executor: match config.engine.executor {
                ballast_components::config::ExecutorKind::SingleThreaded => "single".to_owned(),
                ballast_components::config::ExecutorKind::MultiThreaded => "multi".to_owned(),
            },
            tasks_completed: count(TaskFate::Completed),
            tasks_failed: count(TaskFate::Failed),
            tasks_cancelled: count(TaskFate::Cancelled),
            tasks_unschedulable: count(TaskFate::Unschedulable),
            tasks_refused: count(TaskFate::Refused),
            refusals: self.refusals.clone(),
            tasks_lost: planned - ended.min(planned) + (submitted - submitted.min(planned)),
            tasks_duplicated: self.duplicated,
            placements: counters.placements,
            requeues: counters.requeues,
            attempts_failed: counters.attempts_failed,
            failed_attempts: counters.attempts_failed,
            quarantines: counters.quarantines,
            deferrals: self.deferrals,
            rejections: self.rejections,
            steals: counters.steals,
            migrations: counters.migrations,
            commands_rejected: self.commands_rejected,
            engine_seconds,
            placements_per_second: if engine_seconds > 0.0 { counters.placements as f64 / engine_seconds } else { 0.0 },
            sim_wall_seconds,
            ticks: counters.ticks,
            tick_ns_p50: tick_ns.value_at_quantile(0.5),
            tick_ns_p99: tick_ns.value_at_quantile(0.99),
            makespan_seconds: makespan_ns as f64 / 1e9,
            makespan_lower_bound_seconds: lower_bound_ns as f64 / 1e9,
            eligible_sets,
            makespan_over_lower_bound: if lower_bound_ns > 0 {
                makespan_ns as f64 / lower_bound_ns as f64
            } else {
                0.0
            },
            wait_seconds: Distribution::of(&self.wait_ns, 1e9),
            wait_by_priority: self
                .wait_by_priority_ns
                .iter()
                .enumerate()
                .filter(|(_, histogram)| !histogram.is_empty())
                .map(|(priority, histogram)| PriorityWait {
                    priority: priority as u8,
                    wait_seconds: Distribution::of(histogram, 1e9),
                })
                .collect(),
            response_seconds: Distribution::of(&self.response_ns, 1e9),
            slowdown: Distribution::of(&self.slowdown_milli, 1e3),
            utilization_mean: if makespan_ns > 0 {
                self.busy_slot_ns as f64 / (slots as f64 * makespan_ns as f64)
            } else {
                0.0
            },
            gpu_utilization_mean: (gpus > 0 && makespan_ns > 0)
                .then(|| self.busy_gpu_milli_ns as f64 / 1e3 / (gpus as f64 * makespan_ns as f64)),
            baseline: None,
            invariant_violations: self.violation_count,
            invariant_violation_samples: self.violations.clone(),
            trace_hash: format!("{:016x}", self.trace.digest()),
            shapes: self.engine.view().shape_count() as u64,
            classes: self.engine.view().class_counts().1 as u64,
            peak_rss_bytes: None,
            timeline,
            worker_load,
            worker_efficiency,
        }
    }
}

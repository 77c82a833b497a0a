//! Workload files: a pool and a task mix described by the user (TOML or JSON), for `ballast sim
//! --workload FILE` and `ballast bench quality --workload FILE`.
//!
//! A file names worker groups (`[[worker]]`: shapes with counts or shares), task classes (`[[task]]`:
//! requirements, family, model ids, duration distribution and priority, with shares), the arrival
//! process (`[arrivals]`) and the pool's behaviour (`[pool]`: failures, cancellations, contention,
//! cold starts, heat, crashes, churn). A field given as a list is drawn from uniformly, per worker or
//! per task. The format is documented in `docs/WORKLOADS.md`; `ballast sim --print-example` prints an
//! annotated file, and the built-in scenarios are written in it under `examples/workloads/`.
//!
//! # Draw order
//! Everything is drawn from the run's one seeded stream, in a fixed order, so a file reproduces a
//! built-in scenario draw for draw where their orders agree: per worker, its group (when groups have
//! shares and there are several), its speed spread (when `speed_sigma` > 0), then `slots`,
//! `cpu_milli`, `memory_mib`, `gpus`, `gpu_model`, `gpu_memory_mib`, `browsers`; per task, its class
//! (when there are several), then `priority`, `memory_mib`, `cpu_milli`, `gpus`, `browsers_any`,
//! `model_ids`, the duration, and the straggle draw (when `straggle_percent` > 0). A list of one value
//! draws nothing.
//!
//! Every field is checked when the file loads, and an error names the field (`task[2].gpus`), the
//! value and what is allowed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::{Exp, LogNormal};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use ballast_components::capability::{Browser, BrowserSet, HardwareKind, HardwareSet};
use ballast_components::config::EngineConfig;
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{GpuSpec, RequirementSpec, TaskSpec, WorkerSpec};
use ballast_components::requirements::GpuDemand;
use ballast_components::task::PRIORITY_LEVELS;

use super::workload::{Arrivals, FailureRates, FamilySpeeds, LoadOf, Pool, SimTaskSpec, SimWorker, Spike};

/// The annotated example `ballast sim --print-example` prints (a small mixed fleet).
pub const EXAMPLE: &str = include_str!("workload_example.toml");

/// The largest share a group or class may have.
const SHARE_MAX: u32 = 1_000_000;

/// Why a workload file could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// The file could not be read.
    #[error("{path}: {problem}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        problem: String,
    },
    /// The file is not valid TOML or JSON of the format (an unknown field, a wrong type).
    #[error("{path}: {problem}")]
    Syntax {
        /// The file.
        path: String,
        /// What the parser said, with the line.
        problem: String,
    },
    /// A field holds a value the format does not allow.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field, as a path (`worker[0].slots`).
        field: String,
        /// The value and what is allowed.
        problem: String,
    },
}

/// One value, or a list to draw from uniformly.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Choice<T> {
    /// Always this value.
    One(T),
    /// One of these, drawn uniformly.
    Any(Vec<T>),
}

impl<T: Clone> Choice<T> {
    fn values(&self) -> &[T] {
        match self {
            Choice::One(value) => std::slice::from_ref(value),
            Choice::Any(values) => values,
        }
    }

    /// The value, drawn when there is more than one.
    fn draw(&self, rng: &mut Pcg64Mcg) -> T {
        let values = self.values();
        if values.len() == 1 { values[0].clone() } else { values[rng.random_range(0..values.len())].clone() }
    }
}

fn one<T>(value: T) -> Choice<T> {
    Choice::One(value)
}

/// The file as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    /// What the workload is called in reports.
    pub name: String,
    /// A line on what it models.
    #[serde(default)]
    pub description: String,
    /// Workers when groups give shares and `--workers` is not given.
    #[serde(default)]
    pub workers: Option<u32>,
    /// Tasks when `--tasks` is not given.
    #[serde(default)]
    pub tasks: Option<u64>,
    /// How tasks arrive.
    pub arrivals: ArrivalsFile,
    /// How the pool behaves.
    #[serde(default)]
    pub pool: PoolFile,
    /// The worker groups.
    #[serde(rename = "worker")]
    pub worker_groups: Vec<WorkerGroup>,
    /// The task classes.
    #[serde(rename = "task")]
    pub task_classes: Vec<TaskClass>,
}

/// `[arrivals]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalsFile {
    /// `batches` (test suites with exponential gaps), `poisson` (one at a time) or `all-at-once`.
    pub process: String,
    /// Offered load, in percent of the pool's capacity (batches and poisson).
    #[serde(default = "default_load")]
    pub load_percent: u32,
    /// Smallest and largest batch (batches).
    #[serde(default)]
    pub batch: Option<[u64; 2]>,
    /// What the load is a share of: `pool` (the whole pool's slots; the default) or `busiest-set` (the
    /// busiest set of workers some tasks are limited to, so that no kind of hardware is offered more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_of: Option<String>,
    /// A burst: tasks from `from_percent` to `to_percent` of the run arrive `factor` times as fast.
    #[serde(default)]
    pub spike: Option<SpikeFile>,
}

fn default_load() -> u32 {
    85
}

/// `[arrivals.spike]`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeFile {
    /// Where the burst starts, in percent of the tasks.
    pub from_percent: u32,
    /// Where it ends.
    pub to_percent: u32,
    /// How many times the normal rate.
    pub factor: u32,
}

/// `[pool]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolFile {
    /// How workers are given their group when groups have shares: `draw` (at random, by share) or
    /// `cycle` (worker i takes the group whose share covers i modulo the shares' sum).
    #[serde(default)]
    pub assign: Option<String>,
    /// Share of attempts that fail with an infrastructure error (retried), 0 to 1.
    #[serde(default)]
    pub failure_retryable: f64,
    /// Share of attempts that fail for good (a real test failure), 0 to 1.
    #[serde(default)]
    pub failure_permanent: f64,
    /// Tasks the coordinator cancels, per million.
    #[serde(default)]
    pub cancels_per_million: u32,
    /// The run-queue depth the engine is given (`prefetch_max`).
    #[serde(default)]
    pub prefetch_max: u32,
    /// How much tasks sharing a worker slow each other, in thousandths at a full worker.
    #[serde(default)]
    pub contention_permille: u32,
    /// Whether a task whose model is not loaded on its worker first loads it.
    #[serde(default)]
    pub cold_starts: bool,
    /// Whether machines heat up under load and throttle (the engine is then thermal-aware).
    #[serde(default)]
    pub heats: bool,
    /// Every how many workers one dies once half the tasks have arrived (0: none).
    #[serde(default)]
    pub crash_every: u32,
    /// Every how many milliseconds a worker leaves for a while (0: none does).
    #[serde(default)]
    pub churn_every_ms: u64,
}

/// `[[worker]]`: a group of workers of one shape (or of shapes drawn from lists).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerGroup {
    /// What the group is called in errors.
    #[serde(default)]
    pub name: String,
    /// Exactly this many workers (every group gives a count, or every group a share).
    #[serde(default)]
    pub count: Option<u32>,
    /// Its share of the pool.
    #[serde(default)]
    pub share: Option<u32>,
    /// Tasks it runs at once.
    pub slots: Choice<u32>,
    /// CPU, in thousandths of a core.
    pub cpu_milli: Choice<u32>,
    /// Memory, in MiB.
    pub memory_mib: Choice<u64>,
    /// Hardware kinds besides its GPUs' (`cpu`, `openvino`, `qnn`, `webgpu`, `webnn`, …).
    #[serde(default = "default_hardware")]
    pub hardware: Vec<String>,
    /// GPU devices.
    #[serde(default = "no_gpus")]
    pub gpus: Choice<u32>,
    /// The kind its GPUs give it (`cuda`, `rocm` or `mps`) when it has any.
    #[serde(default = "default_gpu_hardware")]
    pub gpu_hardware: String,
    /// The GPUs' model name.
    #[serde(default)]
    pub gpu_model: Option<Choice<String>>,
    /// Memory of each GPU, in MiB.
    #[serde(default = "default_gpu_memory")]
    pub gpu_memory_mib: Choice<u64>,
    /// Browsers installed (`chrome`, `edge`, `firefox`, `safari`): one set, or a list of sets.
    #[serde(default)]
    pub browsers: Option<Choice<Vec<String>>>,
    /// Tags it registers with.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Its machine speed (median, when spread), against a reference machine.
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// Log-normal spread of the machine speed across the group (σ; 0: none).
    #[serde(default)]
    pub speed_sigma: f64,
    /// How many times slower it really runs than its registration suggests (a straggler).
    #[serde(default = "default_speed")]
    pub slowdown: f64,
    /// How families run on it: `uniform` (every task at the machine speed) or `builtin` (the
    /// simulator's table of speeds per family and hardware kind).
    #[serde(default)]
    pub speed_table: Option<String>,
    /// The speed of a family on it, against a reference CPU (times the machine speed): overrides the
    /// table for the families named.
    #[serde(default)]
    pub family_speed: BTreeMap<String, f64>,
    /// Share of its attempts that fail for reasons of its own (retried), in thousandths.
    #[serde(default)]
    pub flaky_permille: u32,
}

fn default_hardware() -> Vec<String> {
    vec!["cpu".to_owned()]
}

fn no_gpus() -> Choice<u32> {
    one(0)
}

fn default_gpu_hardware() -> String {
    "cuda".to_owned()
}

fn default_gpu_memory() -> Choice<u64> {
    one(16 * 1024)
}

fn default_speed() -> f64 {
    1.0
}

/// `[[task]]`: a class of tasks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskClass {
    /// What the class is called in errors.
    #[serde(default)]
    pub name: String,
    /// Its share of the tasks.
    #[serde(default = "default_share")]
    pub share: u32,
    /// Priority, 0 (lowest) to 9.
    #[serde(default = "default_priority")]
    pub priority: Choice<u8>,
    /// Memory, in MiB.
    #[serde(default = "zero_u64")]
    pub memory_mib: Choice<u64>,
    /// CPU, in thousandths of a core.
    #[serde(default = "zero_u32")]
    pub cpu_milli: Choice<u32>,
    /// Whole GPU devices.
    #[serde(default = "zero_u8")]
    pub gpus: Choice<u8>,
    /// Memory needed on each GPU, in MiB.
    #[serde(default)]
    pub gpu_memory_mib: u64,
    /// GPU models it may run on (empty: any).
    #[serde(default)]
    pub gpu_models: Vec<String>,
    /// Hardware kinds it may run on (empty: any; with GPUs, `gpu_hardware`).
    #[serde(default)]
    pub hardware_any: Vec<String>,
    /// The kinds a task that draws GPUs asks for when `hardware_any` is empty.
    #[serde(default = "default_task_gpu_hardware")]
    pub gpu_hardware: Vec<String>,
    /// Browsers it may run in (one set, or a list of sets).
    #[serde(default)]
    pub browsers_any: Option<Choice<Vec<String>>>,
    /// Tags a worker must have.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Its family (the ground truth of its speeds; the engine derives its own from the model id).
    #[serde(default = "default_family")]
    pub family: String,
    /// Model ids its tasks name (the engine analyses them), drawn uniformly.
    #[serde(default)]
    pub model_ids: Vec<String>,
    /// `inference`, `training`, `quantization`, `benchmark`, `integration`, `unit` or `web`.
    #[serde(default = "default_test_type")]
    pub test_type: String,
    /// Mean work, in seconds on a reference CPU (give this or `duration_median_seconds`).
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// Median work of a log-normal duration, in seconds.
    #[serde(default)]
    pub duration_median_seconds: Option<f64>,
    /// `lognormal`, `exponential` or `fixed`.
    #[serde(default = "default_distribution")]
    pub duration: String,
    /// σ of a log-normal duration.
    #[serde(default = "default_sigma")]
    pub duration_sigma: f64,
    /// Percent of its runs that straggle.
    #[serde(default)]
    pub straggle_percent: u32,
    /// How many times longer a straggling run takes.
    #[serde(default = "default_straggle_factor")]
    pub straggle_factor: f64,
    /// Its timeout, in milliseconds of running time.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

fn default_share() -> u32 {
    1
}

fn default_priority() -> Choice<u8> {
    one(5)
}

fn zero_u64() -> Choice<u64> {
    one(0)
}

fn zero_u32() -> Choice<u32> {
    one(0)
}

fn zero_u8() -> Choice<u8> {
    one(0)
}

fn default_task_gpu_hardware() -> Vec<String> {
    vec!["cuda".to_owned()]
}

fn default_family() -> String {
    "unknown".to_owned()
}

fn default_test_type() -> String {
    "inference".to_owned()
}

fn default_distribution() -> String {
    "lognormal".to_owned()
}

fn default_sigma() -> f64 {
    0.5
}

fn default_straggle_factor() -> f64 {
    10.0
}

/// How a group's workers are spread over the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Assign {
    /// Every group its count, in file order.
    Counts,
    /// A weighted draw per worker.
    Draw,
    /// Worker i to the group whose share covers i modulo the total.
    Cycle,
}

/// A worker group, checked.
#[derive(Clone, Debug)]
struct Group {
    count: u32,
    share: u32,
    slots: Choice<u32>,
    cpu_milli: Choice<u32>,
    memory_mib: Choice<u64>,
    hardware: HardwareSet,
    gpus: Choice<u32>,
    gpu_hardware: HardwareKind,
    gpu_model: Option<Choice<String>>,
    gpu_memory_mib: Choice<u64>,
    browsers: Choice<BrowserSet>,
    tags: Vec<String>,
    speed: f64,
    speed_spread: Option<LogNormal<f64>>,
    slowdown: f64,
    uniform_speed: bool,
    family_speed: Option<Arc<FamilySpeeds>>,
    flaky_permille: u32,
}

/// How a class's durations are drawn.
#[derive(Clone, Copy, Debug)]
enum Duration {
    /// `scale × LogNormal(μ, σ)`.
    LogNormal { scale: f64, spread: LogNormal<f64> },
    /// Exponential with this mean.
    Exponential(Exp<f64>),
    /// Always this.
    Fixed(f64),
}

/// A task class, checked.
#[derive(Clone, Debug)]
struct Class {
    share: u32,
    priority: Choice<u8>,
    memory_mib: Choice<u64>,
    cpu_milli: Choice<u32>,
    gpus: Choice<u8>,
    gpu_memory_mib: u64,
    gpu_models: Vec<String>,
    hardware_any: HardwareSet,
    gpu_hardware: HardwareSet,
    browsers_any: Choice<BrowserSet>,
    tags: Vec<String>,
    family: ModelFamily,
    model_ids: Choice<Option<String>>,
    test_type: TestType,
    duration: Duration,
    mean_seconds: f64,
    straggle_percent: u32,
    straggle_factor: f64,
    timeout_ms: Option<u64>,
}

/// A loaded, checked workload: what the simulator draws pools and tasks from.
#[derive(Clone, Debug)]
pub struct Workload {
    file: WorkloadFile,
    source: String,
    assign: Assign,
    groups: Vec<Group>,
    classes: Vec<Class>,
    arrivals: Arrivals,
    load_of: LoadOf,
    failures: FailureRates,
}

impl Workload {
    /// Reads and checks a file: `.json` as JSON, anything else as TOML.
    pub fn load(path: &Path) -> Result<Workload, WorkloadError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| WorkloadError::Read { path: shown.clone(), problem: error.to_string() })?;
        let json = path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
        let mut workload = Workload::parse(&text, json).map_err(|error| match error {
            WorkloadError::Syntax { problem, .. } => WorkloadError::Syntax { path: shown.clone(), problem },
            other => other,
        })?;
        workload.source = shown;
        Ok(workload)
    }

    /// Parses and checks the text of a file (`json`: JSON, else TOML).
    pub fn parse(text: &str, json: bool) -> Result<Workload, WorkloadError> {
        let syntax = |problem: String| WorkloadError::Syntax { path: String::from("(text)"), problem };
        let file: WorkloadFile = if json {
            serde_json::from_str(text).map_err(|error| syntax(error.to_string()))?
        } else {
            toml::from_str(text).map_err(|error| syntax(error.to_string()))?
        };
        Workload::check(file)
    }

    /// The file as read.
    pub fn file(&self) -> &WorkloadFile {
        &self.file
    }

    /// The file it was read from (`(text)` when parsed from a string).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// The pool size it fixes (every group gives a count), if it does.
    pub fn fixed_workers(&self) -> Option<u32> {
        (self.assign == Assign::Counts).then(|| self.groups.iter().map(|group| group.count).sum())
    }

    /// The pool size of a run: the groups' counts, else `asked`, else the file's `workers`, else 1,000.
    pub fn workers(&self, asked: Option<u32>) -> Result<u32, WorkloadError> {
        if let Some(fixed) = self.fixed_workers() {
            if let Some(asked) = asked
                && asked != fixed
            {
                return Err(invalid(
                    "workers",
                    format!("{asked} asked, but the worker groups' counts add up to {fixed}; give shares instead"),
                ));
            }
            return Ok(fixed);
        }
        Ok(asked.or(self.file.workers).unwrap_or(1_000))
    }

    /// The task count of a run: `asked`, else the file's `tasks`, else 10,000.
    pub fn tasks(&self, asked: Option<u64>) -> u64 {
        asked.or(self.file.tasks).unwrap_or(10_000)
    }

    /// Checks that a pool of `workers` can register under `engine` (its limits on slots, CPU, memory,
    /// GPUs and tags), naming the field that cannot.
    pub fn check_limits(&self, engine: &EngineConfig) -> Result<(), WorkloadError> {
        for (index, group) in self.groups.iter().enumerate() {
            let field = |name: &str| format!("worker[{index}].{name}");
            let slots_max = engine.slots_per_worker_max;
            for &slots in group.slots.values() {
                within(&field("slots"), u64::from(slots), 1, u64::from(slots_max))?;
            }
            for &cpu in group.cpu_milli.values() {
                within(&field("cpu_milli"), u64::from(cpu), 0, u64::from(engine.cpu_milli_max))?;
            }
            for &memory in group.memory_mib.values().iter().chain(group.gpu_memory_mib.values()) {
                within(&field("memory_mib"), memory, 0, engine.memory_mib_max)?;
            }
            within(&field("tags"), group.tags.len() as u64, 0, engine.tags_max as u64)?;
        }
        for (index, class) in self.classes.iter().enumerate() {
            let field = |name: &str| format!("task[{index}].{name}");
            for &memory in class.memory_mib.values() {
                within(&field("memory_mib"), memory, 0, engine.memory_mib_max)?;
            }
            for &cpu in class.cpu_milli.values() {
                within(&field("cpu_milli"), u64::from(cpu), 0, u64::from(engine.cpu_milli_max))?;
            }
            within(&field("tags"), class.tags.len() as u64, 0, engine.tags_max as u64)?;
        }
        Ok(())
    }

    /// The pool of `count` workers, drawn from `rng`.
    pub fn pool(&self, count: u32, rng: &mut Pcg64Mcg) -> Pool {
        let shares: Vec<u32> = self.groups.iter().map(|group| group.share).collect();
        let total: u32 = shares.iter().sum();
        let mut by_count =
            self.groups.iter().enumerate().flat_map(|(index, group)| std::iter::repeat_n(index, group.count as usize));
        let workers = (0..count)
            .map(|index| {
                let group_index = match self.assign {
                    Assign::Counts => by_count.next().unwrap_or(0),
                    Assign::Draw if self.groups.len() > 1 => super::workload::weighted(rng, &shares),
                    Assign::Draw => 0,
                    Assign::Cycle => {
                        let mut position = index % total;
                        shares
                            .iter()
                            .position(|&share| {
                                let here = position < share;
                                position = position.saturating_sub(share);
                                here
                            })
                            .unwrap_or(0)
                    }
                };
                self.worker(WorkerId(u64::from(index)), &self.groups[group_index], rng)
            })
            .collect();
        let file = &self.file.pool;
        Pool {
            workers,
            arrivals: self.arrivals,
            load_of: self.load_of,
            failures: self.failures,
            cancels_per_million: file.cancels_per_million,
            prefetch_max: file.prefetch_max,
            contention_permille: file.contention_permille,
            cold_starts: file.cold_starts,
            crash_every: file.crash_every,
            spike: None,
            heats: file.heats,
            churn_every_ms: file.churn_every_ms,
            admission: None,
        }
    }

    /// The burst of a run of `tasks` tasks, if the file has one.
    pub fn spike(&self, tasks: u64) -> Option<Spike> {
        let spike = self.file.arrivals.spike?;
        let at = |percent: u32| tasks * u64::from(percent) / 100;
        Some(Spike { from: at(spike.from_percent), to: at(spike.to_percent), factor: spike.factor })
    }

    /// The mean work of a task, in seconds on a reference CPU (the classes' means by share).
    pub fn mean_work_seconds(&self) -> f64 {
        let total: f64 = self.classes.iter().map(|class| f64::from(class.share)).sum();
        self.classes.iter().map(|class| class.mean_seconds * f64::from(class.share)).sum::<f64>() / total
    }

    fn worker(&self, id: WorkerId, group: &Group, rng: &mut Pcg64Mcg) -> SimWorker {
        let machine_speed = match &group.speed_spread {
            Some(spread) => group.speed * spread.sample(rng),
            None => group.speed,
        } / group.slowdown;
        let slots = group.slots.draw(rng);
        let cpu_milli = group.cpu_milli.draw(rng);
        let memory_mib = group.memory_mib.draw(rng);
        let gpu_count = group.gpus.draw(rng);
        let gpu_model = group.gpu_model.as_ref().map(|model| model.draw(rng));
        let gpu_memory_mib = group.gpu_memory_mib.draw(rng);
        let browsers = group.browsers.draw(rng);
        let mut hardware = group.hardware;
        if gpu_count > 0 {
            hardware = hardware.with(group.gpu_hardware);
        }
        let spec = WorkerSpec {
            id,
            hardware,
            browsers,
            cpu_milli,
            memory_mib,
            slots,
            gpus: (0..gpu_count).map(|_| GpuSpec { model: gpu_model.clone(), memory_mib: gpu_memory_mib }).collect(),
            tags: group.tags.clone(),
        };
        SimWorker {
            spec,
            machine_speed,
            uniform_speed: group.uniform_speed,
            flaky_permille: group.flaky_permille,
            family_speed: group.family_speed.clone(),
        }
    }

    /// Task `id`, drawn from `rng`.
    pub fn make_task(&self, id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
        let class = if self.classes.len() > 1 {
            let shares: Vec<u32> = self.classes.iter().map(|class| class.share).collect();
            &self.classes[super::workload::weighted(rng, &shares)]
        } else {
            &self.classes[0]
        };
        let mut spec = TaskSpec::new(id);
        spec.priority = class.priority.draw(rng);
        spec.test_type = class.test_type;
        spec.timeout_ms = class.timeout_ms;
        let memory_mib = class.memory_mib.draw(rng);
        let cpu_milli = class.cpu_milli.draw(rng);
        let gpus = class.gpus.draw(rng);
        let mut requirements = RequirementSpec {
            hardware_any: class.hardware_any,
            browsers_any: class.browsers_any.draw(rng),
            cpu_milli,
            memory_mib,
            gpu_models: class.gpu_models.clone(),
            tags: class.tags.clone(),
            ..RequirementSpec::default()
        };
        if gpus > 0 {
            requirements.gpu = GpuDemand { memory_mib: class.gpu_memory_mib, ..GpuDemand::whole(gpus) };
            if requirements.hardware_any.is_empty() {
                requirements.hardware_any = class.gpu_hardware;
            }
        }
        spec.requirements = requirements;
        spec.model_id = class.model_ids.draw(rng);
        let mut work_seconds = match class.duration {
            Duration::LogNormal { scale, spread } => scale * spread.sample(rng),
            Duration::Exponential(spread) => spread.sample(rng),
            Duration::Fixed(seconds) => seconds,
        };
        if class.straggle_percent > 0 {
            let straggles = rng.random_range(0..100u32) < class.straggle_percent;
            work_seconds *= if straggles { class.straggle_factor } else { 1.0 };
        }
        SimTaskSpec { spec, family: class.family, work_seconds: work_seconds.max(0.01), seconds_on: None }
    }

    fn check(file: WorkloadFile) -> Result<Workload, WorkloadError> {
        if file.name.trim().is_empty() || file.name.len() > 64 {
            return Err(invalid("name", format!("`{}`: 1 to 64 characters", file.name)));
        }
        if let Some(workers) = file.workers {
            within("workers", u64::from(workers), 1, 1_000_000)?;
        }
        if let Some(tasks) = file.tasks {
            within("tasks", tasks, 0, u64::from(u32::MAX))?;
        }
        let arrivals = check_arrivals(&file.arrivals)?;
        let load_of = match file.arrivals.load_of.as_deref() {
            None | Some("pool") => LoadOf::Pool,
            Some("busiest-set") => LoadOf::BusiestSet,
            Some(other) => return Err(invalid("arrivals.load_of", format!("`{other}`: `pool` or `busiest-set`"))),
        };
        let failures = check_pool(&file.pool)?;
        if file.worker_groups.is_empty() {
            return Err(invalid("worker", "no worker group: give at least one [[worker]]".to_owned()));
        }
        if file.task_classes.is_empty() {
            return Err(invalid("task", "no task class: give at least one [[task]]".to_owned()));
        }
        let counted = file.worker_groups.iter().filter(|group| group.count.is_some()).count();
        let assign = match (counted, file.pool.assign.as_deref()) {
            (0, None | Some("draw")) => Assign::Draw,
            (0, Some("cycle")) => Assign::Cycle,
            (0, Some(other)) => return Err(invalid("pool.assign", format!("`{other}`: `draw` or `cycle`"))),
            (all, None) if all == file.worker_groups.len() => Assign::Counts,
            (all, Some(_)) if all == file.worker_groups.len() => {
                return Err(invalid("pool.assign", "applies to groups with shares, not counts".to_owned()));
            }
            _ => {
                return Err(invalid(
                    "worker",
                    "every group gives a `count`, or every group a `share`; not a mix".to_owned(),
                ));
            }
        };
        let groups = file
            .worker_groups
            .iter()
            .enumerate()
            .map(|(index, group)| check_group(index, group, assign))
            .collect::<Result<Vec<_>, _>>()?;
        if assign == Assign::Counts {
            let total: u64 = groups.iter().map(|group| u64::from(group.count)).sum();
            within("worker (sum of counts)", total, 1, 1_000_000)?;
        }
        let classes = file
            .task_classes
            .iter()
            .enumerate()
            .map(|(index, class)| check_class(index, class))
            .collect::<Result<Vec<_>, _>>()?;
        let share_total: u64 = classes.iter().map(|class| u64::from(class.share)).sum();
        within("task (sum of shares)", share_total, 1, u64::from(SHARE_MAX))?;
        Ok(Workload { file, source: String::from("(text)"), assign, groups, classes, arrivals, load_of, failures })
    }
}

fn invalid(field: &str, problem: String) -> WorkloadError {
    WorkloadError::Invalid { field: field.to_owned(), problem }
}

fn within(field: &str, value: u64, low: u64, high: u64) -> Result<(), WorkloadError> {
    if (low..=high).contains(&value) { Ok(()) } else { Err(invalid(field, format!("{value}, outside {low}..={high}"))) }
}

fn positive(field: &str, value: f64, high: f64) -> Result<(), WorkloadError> {
    if value.is_finite() && value > 0.0 && value <= high {
        Ok(())
    } else {
        Err(invalid(field, format!("{value}, outside (0, {high}]")))
    }
}

fn fraction(field: &str, value: f64) -> Result<(), WorkloadError> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, format!("{value}, outside 0..=1")))
    }
}

fn non_empty<T>(field: &str, choice: &Choice<T>) -> Result<(), WorkloadError> {
    if let Choice::Any(values) = choice
        && (values.is_empty() || values.len() > 4_096)
    {
        return Err(invalid(field, format!("a list of {} values: give 1 to 4096", values.len())));
    }
    Ok(())
}

fn check_arrivals(arrivals: &ArrivalsFile) -> Result<Arrivals, WorkloadError> {
    let load = || -> Result<u32, WorkloadError> {
        within("arrivals.load_percent", u64::from(arrivals.load_percent), 1, 10_000)?;
        Ok(arrivals.load_percent)
    };
    let result = match arrivals.process.as_str() {
        "batches" => {
            let Some([low, high]) = arrivals.batch else {
                return Err(invalid("arrivals.batch", "batches need `batch = [smallest, largest]`".to_owned()));
            };
            if low == 0 || low > high || high > 1_000_000 {
                return Err(invalid("arrivals.batch", format!("[{low}, {high}]: 1 <= smallest <= largest <= 1000000")));
            }
            Arrivals::Batches { len: (low, high), load_percent: load()? }
        }
        "poisson" => Arrivals::Poisson { load_percent: load()? },
        "all-at-once" => Arrivals::AllAtOnce,
        other => {
            return Err(invalid("arrivals.process", format!("`{other}`: `batches`, `poisson` or `all-at-once`")));
        }
    };
    if arrivals.process != "batches" && arrivals.batch.is_some() {
        return Err(invalid("arrivals.batch", format!("applies to `batches`, not `{}`", arrivals.process)));
    }
    if let Some(spike) = arrivals.spike {
        if spike.from_percent >= spike.to_percent || spike.to_percent > 100 {
            return Err(invalid(
                "arrivals.spike",
                format!("from {}% to {}%: 0 <= from < to <= 100", spike.from_percent, spike.to_percent),
            ));
        }
        within("arrivals.spike.factor", u64::from(spike.factor), 1, 1_000)?;
    }
    Ok(result)
}

fn check_pool(pool: &PoolFile) -> Result<FailureRates, WorkloadError> {
    fraction("pool.failure_retryable", pool.failure_retryable)?;
    fraction("pool.failure_permanent", pool.failure_permanent)?;
    fraction("pool.failure_retryable + pool.failure_permanent", pool.failure_retryable + pool.failure_permanent)?;
    within("pool.cancels_per_million", u64::from(pool.cancels_per_million), 0, 1_000_000)?;
    within("pool.prefetch_max", u64::from(pool.prefetch_max), 0, 4_096)?;
    within("pool.contention_permille", u64::from(pool.contention_permille), 0, 100_000)?;
    within("pool.crash_every", u64::from(pool.crash_every), 0, 1_000_000)?;
    within("pool.churn_every_ms", pool.churn_every_ms, 0, 86_400_000)?;
    Ok(FailureRates { retryable: pool.failure_retryable, permanent: pool.failure_permanent })
}

fn hardware_set(field: &str, names: &[String]) -> Result<HardwareSet, WorkloadError> {
    let mut set = HardwareSet::default();
    for name in names {
        let Some(kind) = HardwareKind::parse(name) else {
            let known: Vec<&str> = HardwareKind::ALL.iter().map(|kind| kind.name()).collect();
            return Err(invalid(field, format!("unknown hardware `{name}`; known: {}", known.join(", "))));
        };
        set = set.with(kind);
    }
    Ok(set)
}

fn browser_sets(field: &str, choice: Option<&Choice<Vec<String>>>) -> Result<Choice<BrowserSet>, WorkloadError> {
    let Some(choice) = choice else { return Ok(one(BrowserSet::default())) };
    non_empty(field, choice)?;
    let parse = |names: &Vec<String>| -> Result<BrowserSet, WorkloadError> {
        let mut set = BrowserSet::default();
        for name in names {
            let Some(browser) = Browser::parse(name) else {
                return Err(invalid(field, format!("unknown browser `{name}`; known: chrome, edge, firefox, safari")));
            };
            set = set.with(browser);
        }
        Ok(set)
    };
    Ok(match choice {
        Choice::One(names) => one(parse(names)?),
        Choice::Any(sets) => Choice::Any(sets.iter().map(parse).collect::<Result<_, _>>()?),
    })
}

fn family(field: &str, name: &str) -> Result<ModelFamily, WorkloadError> {
    ModelFamily::parse(name).ok_or_else(|| {
        let known: Vec<&str> = ModelFamily::ALL.iter().map(|family| family.name()).collect();
        invalid(field, format!("unknown family `{name}`; known: {}", known.join(", ")))
    })
}

fn check_group(index: usize, group: &WorkerGroup, assign: Assign) -> Result<Group, WorkloadError> {
    let field = |name: &str| format!("worker[{index}].{name}");
    let (count, share) = match assign {
        Assign::Counts => (group.count.unwrap_or(0), 0),
        Assign::Draw | Assign::Cycle => (0, group.share.unwrap_or(1)),
    };
    if assign == Assign::Counts {
        within(&field("count"), u64::from(count), 0, 1_000_000)?;
    } else {
        within(&field("share"), u64::from(share), 1, u64::from(SHARE_MAX))?;
    }
    non_empty(&field("slots"), &group.slots)?;
    non_empty(&field("cpu_milli"), &group.cpu_milli)?;
    non_empty(&field("memory_mib"), &group.memory_mib)?;
    non_empty(&field("gpus"), &group.gpus)?;
    non_empty(&field("gpu_memory_mib"), &group.gpu_memory_mib)?;
    for &slots in group.slots.values() {
        within(&field("slots"), u64::from(slots), 1, 4_096)?;
    }
    for &gpus in group.gpus.values() {
        within(&field("gpus"), u64::from(gpus), 0, ballast_components::worker::GPU_DEVICES_MAX as u64)?;
    }
    let hardware = hardware_set(&field("hardware"), &group.hardware)?;
    let gpu_hardware = HardwareKind::parse(&group.gpu_hardware)
        .filter(|kind| matches!(kind, HardwareKind::Cuda | HardwareKind::Rocm | HardwareKind::Mps))
        .ok_or_else(|| invalid(&field("gpu_hardware"), format!("`{}`: cuda, rocm or mps", group.gpu_hardware)))?;
    if let Some(model) = &group.gpu_model {
        non_empty(&field("gpu_model"), model)?;
    }
    let browsers = browser_sets(&field("browsers"), group.browsers.as_ref())?;
    positive(&field("speed"), group.speed, 1_000.0)?;
    positive(&field("slowdown"), group.slowdown, 1_000.0)?;
    if !(group.speed_sigma.is_finite() && (0.0..=3.0).contains(&group.speed_sigma)) {
        return Err(invalid(&field("speed_sigma"), format!("{}, outside 0..=3", group.speed_sigma)));
    }
    let speed_spread = (group.speed_sigma > 0.0)
        .then(|| LogNormal::new(0.0, group.speed_sigma).expect("σ is checked finite and positive"));
    let uniform_speed = match group.speed_table.as_deref() {
        None | Some("uniform") => true,
        Some("builtin") => false,
        Some(other) => return Err(invalid(&field("speed_table"), format!("`{other}`: `uniform` or `builtin`"))),
    };
    let family_speed = if group.family_speed.is_empty() {
        None
    } else {
        let mut speeds = FamilySpeeds::default();
        for (name, &speed) in &group.family_speed {
            let family = family(&field("family_speed"), name)?;
            positive(&field(&format!("family_speed.{name}")), speed, 1_000.0)?;
            speeds.0[family.index()] = Some(speed);
        }
        Some(Arc::new(speeds))
    };
    within(&field("flaky_permille"), u64::from(group.flaky_permille), 0, 1_000)?;
    Ok(Group {
        count,
        share,
        slots: group.slots.clone(),
        cpu_milli: group.cpu_milli.clone(),
        memory_mib: group.memory_mib.clone(),
        hardware,
        gpus: group.gpus.clone(),
        gpu_hardware,
        gpu_model: group.gpu_model.clone(),
        gpu_memory_mib: group.gpu_memory_mib.clone(),
        browsers,
        tags: group.tags.clone(),
        speed: group.speed,
        speed_spread,
        slowdown: group.slowdown,
        uniform_speed,
        family_speed,
        flaky_permille: group.flaky_permille,
    })
}

fn check_class(index: usize, class: &TaskClass) -> Result<Class, WorkloadError> {
    let field = |name: &str| format!("task[{index}].{name}");
    within(&field("share"), u64::from(class.share), 1, u64::from(SHARE_MAX))?;
    non_empty(&field("priority"), &class.priority)?;
    non_empty(&field("memory_mib"), &class.memory_mib)?;
    non_empty(&field("cpu_milli"), &class.cpu_milli)?;
    non_empty(&field("gpus"), &class.gpus)?;
    for &priority in class.priority.values() {
        within(&field("priority"), u64::from(priority), 0, PRIORITY_LEVELS as u64 - 1)?;
    }
    for &gpus in class.gpus.values() {
        within(&field("gpus"), u64::from(gpus), 0, ballast_components::worker::GPU_DEVICES_MAX as u64)?;
    }
    let hardware_any = hardware_set(&field("hardware_any"), &class.hardware_any)?;
    let gpu_hardware = hardware_set(&field("gpu_hardware"), &class.gpu_hardware)?;
    let browsers_any = browser_sets(&field("browsers_any"), class.browsers_any.as_ref())?;
    let family = family(&field("family"), &class.family)?;
    if class.model_ids.len() > 4_096 {
        return Err(invalid(&field("model_ids"), format!("{} ids: at most 4096", class.model_ids.len())));
    }
    if let Some(id) = class.model_ids.iter().find(|id| id.is_empty() || id.len() > 256) {
        return Err(invalid(&field("model_ids"), format!("`{id}`: 1 to 256 characters")));
    }
    let model_ids = match class.model_ids.as_slice() {
        [] => one(None),
        [id] => one(Some(id.clone())),
        ids => Choice::Any(ids.iter().cloned().map(Some).collect()),
    };
    let test_type = TestType::parse(&class.test_type).ok_or_else(|| {
        let known: Vec<&str> = TestType::ALL.iter().map(|kind| kind.name()).collect();
        invalid(&field("test_type"), format!("unknown test type `{}`; known: {}", class.test_type, known.join(", ")))
    })?;
    let day = 86_400.0;
    let (duration, mean_seconds) =
        match (class.duration.as_str(), class.duration_seconds, class.duration_median_seconds) {
            (_, Some(_), Some(_)) => {
                return Err(invalid(
                    &field("duration_seconds"),
                    "give `duration_seconds` (the mean) or `duration_median_seconds`, not both".to_owned(),
                ));
            }
            (_, None, None) => {
                return Err(invalid(&field("duration_seconds"), "missing: the mean work, in seconds".to_owned()));
            }
            ("lognormal", mean, median) => {
                let sigma = class.duration_sigma;
                if !(sigma.is_finite() && (0.0..=3.0).contains(&sigma)) {
                    return Err(invalid(&field("duration_sigma"), format!("{sigma}, outside 0..=3")));
                }
                // The mean given: μ = −σ²/2 keeps it; the median given: μ = 0.
                let (scale, mu, mean) = match (mean, median) {
                    (Some(mean), _) => {
                        positive(&field("duration_seconds"), mean, day)?;
                        (mean, -0.5 * sigma * sigma, mean)
                    }
                    (None, Some(median)) => {
                        positive(&field("duration_median_seconds"), median, day)?;
                        (median, 0.0, median * (0.5 * sigma * sigma).exp())
                    }
                    (None, None) => unreachable!("handled above"),
                };
                let spread = LogNormal::new(mu, sigma).expect("σ is checked finite and non-negative");
                (Duration::LogNormal { scale, spread }, mean)
            }
            (kind @ ("exponential" | "fixed"), mean, median) => {
                let Some(mean) = mean else {
                    let _ = median;
                    return Err(invalid(
                        &field("duration_median_seconds"),
                        format!("applies to `lognormal`; a `{kind}` duration takes `duration_seconds`"),
                    ));
                };
                positive(&field("duration_seconds"), mean, day)?;
                if kind == "fixed" {
                    (Duration::Fixed(mean), mean)
                } else {
                    let spread = Exp::new(1.0 / mean).expect("the mean is checked positive");
                    (Duration::Exponential(spread), mean)
                }
            }
            (other, _, _) => {
                return Err(invalid(&field("duration"), format!("`{other}`: `lognormal`, `exponential` or `fixed`")));
            }
        };
    within(&field("straggle_percent"), u64::from(class.straggle_percent), 0, 100)?;
    positive(&field("straggle_factor"), class.straggle_factor, 1_000.0)?;
    if let Some(timeout) = class.timeout_ms {
        within(&field("timeout_ms"), timeout, 1, 30 * 86_400_000)?;
    }
    let straggle = f64::from(class.straggle_percent) / 100.0;
    let mean_seconds = mean_seconds * (1.0 - straggle + straggle * class.straggle_factor);
    Ok(Class {
        share: class.share,
        priority: class.priority.clone(),
        memory_mib: class.memory_mib.clone(),
        cpu_milli: class.cpu_milli.clone(),
        gpus: class.gpus.clone(),
        gpu_memory_mib: class.gpu_memory_mib,
        gpu_models: class.gpu_models.clone(),
        hardware_any,
        gpu_hardware,
        browsers_any,
        tags: class.tags.clone(),
        family,
        model_ids,
        test_type,
        duration,
        mean_seconds,
        straggle_percent: class.straggle_percent,
        straggle_factor: class.straggle_factor,
        timeout_ms: class.timeout_ms,
    })
}

//! Workloads: the worker pools, task mixes and arrival processes of each scenario, and the ground truth
//! the simulator uses (how fast each worker really runs each task, how often attempts fail).
//!
//! Ground truth lives here only. The engine sees what a coordinator would send: capabilities,
//! requirements, model ids, reported outcomes, and (for the ETC scenario) the expected times the
//! scheduler is given as history; never the speeds behind them.

use std::fmt;
use std::sync::Arc;

use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::{Exp, LogNormal};
use rand_pcg::Pcg64Mcg;

use ballast_components::capability::{Browser, BrowserSet, HardwareKind, HardwareSet};
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{GpuSpec, RequirementSpec, TaskSpec, WorkerSpec};
use ballast_components::requirements::GpuDemand;

/// How an ETC matrix's rows relate (Braun et al. 2001).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Consistency {
    /// A machine faster for one task is faster for all (rows sorted).
    Consistent,
    /// Even-numbered machines are consistent among themselves, the rest not.
    SemiConsistent,
    /// No relation.
    Inconsistent,
}

/// One of the twelve ETC classes of Braun et al. (2001): task heterogeneity, machine heterogeneity,
/// consistency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EtcClass {
    /// High task heterogeneity (task factors up to 3,000 rather than 100).
    pub task_high: bool,
    /// High machine heterogeneity (machine factors up to 1,000 rather than 10).
    pub machine_high: bool,
    /// How rows relate.
    pub consistency: Consistency,
}

impl EtcClass {
    /// All twelve classes.
    pub fn all() -> Vec<EtcClass> {
        let mut classes = Vec::new();
        for consistency in [Consistency::Consistent, Consistency::SemiConsistent, Consistency::Inconsistent] {
            for task_high in [true, false] {
                for machine_high in [true, false] {
                    classes.push(EtcClass { task_high, machine_high, consistency });
                }
            }
        }
        classes
    }

    /// A short name: `hihi-i`, `lohi-c`, … (task then machine heterogeneity, then consistency).
    pub fn name(self) -> String {
        let level = |high| if high { "hi" } else { "lo" };
        let consistency = match self.consistency {
            Consistency::Consistent => "c",
            Consistency::SemiConsistent => "s",
            Consistency::Inconsistent => "i",
        };
        format!("{}{}-{consistency}", level(self.task_high), level(self.machine_high))
    }
}

/// A simulated workload and pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A heterogeneous pool (CPU, CUDA, ROCm, MPS, OpenVINO, QNN and browser hosts) and a mix of model
    /// families and requirements, arriving in test-suite batches at about 85% of capacity.
    #[default]
    Default,
    /// The worker and test mix of the original system's stress test (memory 4/8/16/32 GB, 0/1/2/4 GPUs;
    /// tests 0.5–8 GB, GPU counts 0,0,0,1,1,2, priorities 1,2,2,3,3,3,4,4,5), for row-by-row comparison.
    Original,
    /// The default pool and family mix at a smaller size, where hardware choice matters.
    Families,
    /// 20% fast (5×) and 80% slow single-slot workers, identical otherwise, Poisson arrivals of
    /// exponential sizes at this percentage of capacity.
    MixedSpeed {
        /// Offered load, in percent of capacity.
        load_percent: u32,
    },
    /// Overload (130% of capacity) with five priority levels.
    Priorities,
    /// Braun et al.'s expected-time-to-compute matrices: independent tasks, all submitted at once, onto
    /// single-slot machines whose expected times per task the scheduler is given.
    EtcBraun(EtcClass),
    /// The families pool and mix, where one worker in ten fails a third of its attempts (retryable).
    Flaky,
    /// The families pool and mix, where one worker in ten dies once half the tasks have arrived.
    Crash,
    /// The families pool and mix, where a tenth of the tasks arrive at ten times the usual rate.
    Spike,
    /// The families pool and mix, where workers leave all the time (drained or pulled out at once,
    /// alternately) and come back a few minutes later.
    Churn,
    /// Four-slot CPU machines under Poisson arrivals at 70% of capacity, which heat up under load and
    /// then run slower; one in three cools poorly (heats four times as fast). They report their heat.
    Thermal,
    /// A test suite handed out at once on two-slot CI agents with deep run queues, where run times are
    /// heavy-tailed and mispredicted: lognormal (σ 1), 1% of tests hanging 10× longer, and one agent in
    /// ten 3× slower than its registration suggests.
    Stragglers,
}

impl Scenario {
    /// Every scenario `ballast scenarios` lists (ETC with its canonical class).
    pub fn all() -> Vec<Scenario> {
        vec![
            Scenario::Default,
            Scenario::Original,
            Scenario::Families,
            Scenario::MixedSpeed { load_percent: 50 },
            Scenario::MixedSpeed { load_percent: 90 },
            Scenario::Priorities,
            Scenario::Flaky,
            Scenario::Crash,
            Scenario::Spike,
            Scenario::Churn,
            Scenario::Thermal,
            Scenario::Stragglers,
            Scenario::EtcBraun(EtcClass {
                task_high: true,
                machine_high: true,
                consistency: Consistency::Inconsistent,
            }),
        ]
    }

    /// The stable name.
    pub fn name(self) -> String {
        match self {
            Scenario::Default => "default".to_owned(),
            Scenario::Original => "original".to_owned(),
            Scenario::Families => "families".to_owned(),
            Scenario::MixedSpeed { load_percent } => format!("mixed-speed-{load_percent}"),
            Scenario::Priorities => "priorities".to_owned(),
            Scenario::Flaky => "flaky".to_owned(),
            Scenario::Crash => "crash".to_owned(),
            Scenario::Stragglers => "stragglers".to_owned(),
            Scenario::Spike => "spike".to_owned(),
            Scenario::Thermal => "thermal".to_owned(),
            Scenario::Churn => "churn".to_owned(),
            Scenario::EtcBraun(class) => format!("etc-braun-{}", class.name()),
        }
    }

    /// A one-line description.
    pub fn description(self) -> String {
        match self {
            Scenario::Default => {
                "heterogeneous CPU/GPU/NPU/browser pool, mixed model families, suite batches at 85% load".to_owned()
            }
            Scenario::Original => {
                "the original system's stress mix: 4-32 GB workers with 0-4 GPUs, 0.5-8 GB tests, priorities 1-5"
                    .to_owned()
            }
            Scenario::Families => "the default pool and family mix, 200 workers: hardware choice matters".to_owned(),
            Scenario::MixedSpeed { load_percent } => {
                format!("20 fast (5x) and 80 slow single-slot workers, Poisson arrivals at {load_percent}% of capacity")
            }
            Scenario::Priorities => "overload at 130% of capacity with five priority levels".to_owned(),
            Scenario::Flaky => "the families pool and mix; one worker in ten fails a third of its attempts".to_owned(),
            Scenario::Crash => "the families pool and mix; one worker in ten dies halfway through".to_owned(),
            Scenario::Churn => {
                "the families pool and mix; every 20 s a worker leaves (drained or pulled), back 1-3 min later".to_owned()
            }
            Scenario::Thermal => {
                "4-slot machines at 70% load that heat up and then run up to 2x slower; 1 in 3 cools poorly".to_owned()
            }
            Scenario::Spike => {
                "the families pool and mix; tasks 30-40% arrive at 10x the rate; admission marks 0.5x/1x/8x the slots"
                    .to_owned()
            }
            Scenario::Stragglers => {
                "a suite handed out at once to 2-slot agents with run queues of 128; heavy-tailed run times, 1 agent in 10 3x slow"
                    .to_owned()
            }
            Scenario::EtcBraun(class) => format!(
                "Braun et al. ETC matrix, class {} (task x machine heterogeneity, consistency): 512 tasks at once on 16 machines; etc-braun-* has all 12",
                class.name()
            ),
        }
    }

    /// Parses a stable name (`etc-braun` alone is the canonical `etc-braun-hihi-i`).
    pub fn parse(name: &str) -> Option<Scenario> {
        if name == "etc-braun" {
            return Scenario::all().into_iter().find(|scenario| matches!(scenario, Scenario::EtcBraun(_)));
        }
        if let Some(class) = name.strip_prefix("etc-braun-") {
            return EtcClass::all().into_iter().find(|candidate| candidate.name() == class).map(Scenario::EtcBraun);
        }
        if let Some(load) = name.strip_prefix("mixed-speed-") {
            let load_percent: u32 = load.parse().ok()?;
            return (1..=200).contains(&load_percent).then_some(Scenario::MixedSpeed { load_percent });
        }
        Scenario::all().into_iter().find(|scenario| scenario.name() == name)
    }

    /// The pool and task count a run of this scenario uses unless told otherwise.
    pub fn default_size(self) -> (u32, u64) {
        match self {
            Scenario::Default | Scenario::Original => (10_000, 1_000_000),
            Scenario::Families | Scenario::Flaky | Scenario::Crash | Scenario::Spike | Scenario::Churn => (200, 8_000),
            Scenario::Thermal => (100, 20_000),
            Scenario::MixedSpeed { .. } => (100, 20_000),
            Scenario::Priorities => (100, 6_000),
            Scenario::EtcBraun(_) => (16, 512),
            Scenario::Stragglers => (100, 10_000),
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Ground-truth speed of each hardware kind per family, against a reference CPU (1.0).
/// The per-kind baselines are the original system's hardware profiles (CPU 1, CUDA 3, ROCm 2.8,
/// MPS 2.5, OpenVINO 1.8, QNN 1.4, WebNN 1, WebGPU 1.2), scaled per family by how much each family
/// gains from an accelerator (generation most, embeddings least; audio does well on NPUs). Deliberately
/// not the engine's priors: the engine must learn the difference from history.
const SPEED: [[f64; HardwareKind::COUNT]; ModelFamily::COUNT] = [
    //  cpu  cuda rocm  mps  openvino qnn webnn webgpu
    [1.0, 3.0, 2.8, 2.5, 1.8, 1.4, 1.0, 1.2],  // unknown
    [1.0, 4.0, 3.5, 3.0, 2.5, 2.0, 1.2, 1.5],  // text-embedding
    [1.0, 8.0, 7.0, 5.0, 2.0, 1.5, 1.0, 2.0],  // text-generation
    [1.0, 5.0, 4.5, 3.5, 2.0, 1.5, 1.0, 1.5],  // text-to-text
    [1.0, 6.0, 5.0, 4.0, 3.0, 2.5, 1.5, 2.5],  // vision
    [1.0, 10.0, 8.0, 5.0, 2.0, 1.0, 1.0, 2.0], // vision-generation
    [1.0, 4.0, 3.5, 3.0, 2.5, 3.0, 1.2, 1.5],  // audio
    [1.0, 7.0, 6.0, 4.0, 2.0, 1.5, 1.0, 2.0],  // multimodal
];

/// A simulated worker: what it registers as, and how fast it really is.
#[derive(Clone, Debug)]
pub struct SimWorker {
    /// The registration.
    pub spec: WorkerSpec,
    /// A per-machine speed factor (clock, memory bandwidth, age), around 1.
    pub machine_speed: f64,
    /// Whether every task runs at the machine speed whatever its hardware.
    pub uniform_speed: bool,
    /// Share of its attempts that fail for reasons of its own (a bad disk, a flaky driver), retryable,
    /// in thousandths, on top of the pool's failure rates.
    pub flaky_permille: u32,
    /// Speeds of families on it given by a workload file, overriding the rest (see [`FamilySpeeds`]).
    pub family_speed: Option<Arc<FamilySpeeds>>,
}

/// The speed of each family on a worker, against a reference CPU (times the machine speed), where a
/// workload file gives one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FamilySpeeds(pub [Option<f64>; ModelFamily::COUNT]);

impl SimWorker {
    /// How fast this worker runs a task of `family` that may use `allowed` kinds (empty: any).
    pub fn speed(&self, family: ModelFamily, allowed: HardwareSet) -> f64 {
        if let Some(speed) = self.family_speed.as_ref().and_then(|speeds| speeds.0[family.index()]) {
            return speed * self.machine_speed;
        }
        if self.uniform_speed {
            return self.machine_speed;
        }
        let usable =
            if allowed.is_empty() { self.spec.hardware } else { HardwareSet(allowed.0 & self.spec.hardware.0) };
        let best = usable.iter().map(|kind| SPEED[family.index()][kind.index()]).fold(0.0, f64::max);
        best.max(f64::MIN_POSITIVE) * self.machine_speed
    }
}

/// A simulated task: its submission and its ground truth.
#[derive(Clone, Debug)]
pub struct SimTaskSpec {
    /// The submission.
    pub spec: TaskSpec,
    /// Its family (ground truth; the engine derives its own from the model id).
    pub family: ModelFamily,
    /// Its work, in seconds on a reference CPU (run time = work / the worker's speed).
    pub work_seconds: f64,
    /// Its run time on each worker, in seconds, when given directly (an ETC row) instead of by work.
    pub seconds_on: Option<Box<[f32]>>,
}

/// Per-attempt failure probabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FailureRates {
    /// An attempt fails with an infrastructure error (retryable).
    pub retryable: f64,
    /// An attempt fails with a test failure (not retryable).
    pub permanent: f64,
}

/// How tasks arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// Batches (test suites) of a uniform length in `len`, with exponential gaps.
    Batches {
        /// Smallest and largest batch.
        len: (u64, u64),
        /// Offered load, in percent of the pool's estimated capacity.
        load_percent: u32,
    },
    /// One task at a time, Poisson.
    Poisson {
        /// Offered load, in percent of the pool's capacity.
        load_percent: u32,
    },
    /// Every task at once, at time zero.
    AllAtOnce,
}

/// What an offered load is a share of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadOf {
    /// The whole pool's slots, over the run time of a task on a random worker that may run it.
    #[default]
    Pool,
    /// The busiest set of workers some tasks are limited to: its slots (and GPUs) over the run time of
    /// the tasks limited to it or to a part of it. No set of workers is offered more than the load.
    BusiestSet,
}

/// Everything a scenario decides besides the tasks themselves.
#[derive(Clone, Debug)]
pub struct Pool {
    /// The workers.
    pub workers: Vec<SimWorker>,
    /// How tasks arrive.
    pub arrivals: Arrivals,
    /// What the arrivals' load is a share of.
    pub load_of: LoadOf,
    /// How attempts fail.
    pub failures: FailureRates,
    /// Tasks the coordinator cancels, per million.
    pub cancels_per_million: u32,
    /// The run queue depth the engine is given.
    pub prefetch_max: u32,
    /// How much tasks sharing a worker slow each other, in thousandths at a full worker: a task that
    /// starts as the k-th running of s slots runs `1 + contention × (k − 1) / s` times longer.
    pub contention_permille: u32,
    /// Whether a task whose model is not among the worker's recently loaded models first loads it
    /// (see [`cold_start_seconds`]).
    pub cold_starts: bool,
    /// Every how many workers one dies (stops heartbeating, running and reporting) once half the tasks
    /// have arrived; 0: none dies.
    pub crash_every: u32,
    /// A burst of arrivals, if any.
    pub spike: Option<Spike>,
    /// Whether machines heat up under load and throttle (see [`throttle`]); the engine is then made
    /// thermal-aware unless told otherwise.
    pub heats: bool,
    /// Every how many milliseconds a worker leaves (drained or removed, alternately) to come back one
    /// to three minutes later; 0: none does.
    pub churn_every_ms: u64,
    /// The admission marks, queue-delay target (ms) and backlog per eligible worker the engine is given,
    /// instead of the config's.
    pub admission: Option<(ballast_components::admission::Marks, u64, u64)>,
}

/// A burst: tasks `from..to` (by id) arrive `factor` times as fast as the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spike {
    /// The first task of the burst.
    pub from: u64,
    /// The task after its last.
    pub to: u64,
    /// How many times the normal arrival rate.
    pub factor: u32,
}

/// How many models a simulated worker keeps loaded.
pub const MODELS_LOADED_MAX: usize = 4;

/// Seconds to load a model of `family` on a reference CPU before its first test on a worker: weights
/// from disk and graph compilation, a guess from model sizes (embeddings ~0.1-1 GB, generation and
/// diffusion several GB).
pub fn cold_start_seconds(family: ModelFamily) -> f64 {
    match family {
        ModelFamily::Unknown => 0.0,
        ModelFamily::TextEmbedding | ModelFamily::Audio => 3.0,
        ModelFamily::TextToText | ModelFamily::Vision => 5.0,
        ModelFamily::Multimodal => 15.0,
        ModelFamily::TextGeneration | ModelFamily::VisionGeneration => 30.0,
    }
}

/// The share of attempts a flaky worker fails in the `flaky` scenario, in thousandths.
pub const FLAKY_FAILURE_PERMILLE: u32 = 333;

/// Builds the pool of `scenario` with `count` workers.
pub fn pool(scenario: Scenario, count: u32, rng: &mut Pcg64Mcg) -> Pool {
    let machine = LogNormal::new(0.0, 0.15).expect("valid lognormal");
    let workers: Vec<SimWorker> = (0..count)
        .map(|index| {
            let id = WorkerId(u64::from(index));
            match scenario {
                Scenario::Default | Scenario::Families | Scenario::Crash | Scenario::Spike | Scenario::Churn => {
                    let machine_speed = machine.sample(rng);
                    default_worker(id, rng, machine_speed)
                }
                Scenario::Flaky => {
                    let machine_speed = machine.sample(rng);
                    let flaky_permille = if index % 10 == 3 { FLAKY_FAILURE_PERMILLE } else { 0 };
                    SimWorker { flaky_permille, ..default_worker(id, rng, machine_speed) }
                }
                Scenario::Original => original_worker(id, rng),
                Scenario::MixedSpeed { .. } => {
                    // One in five is fast, spread evenly over the slots.
                    let fast = index % 5 == 0;
                    uniform_worker(id, 1, if fast { 5.0 } else { 1.0 })
                }
                Scenario::Priorities => uniform_worker(id, 4, 1.0),
                Scenario::Thermal => uniform_worker(id, 4, machine.sample(rng)),
                Scenario::Stragglers => {
                    // One agent in ten is a straggler (a noisy neighbour, a throttled box): 3× slower
                    // than it looks, since it registers like every other.
                    let slowdown = if index % 10 == 7 { 3.0 } else { 1.0 };
                    uniform_worker(id, 2, machine.sample(rng) / slowdown)
                }
                Scenario::EtcBraun(_) => uniform_worker(id, 1, 1.0),
            }
        })
        .collect();
    let (arrivals, failures, cancels_per_million, prefetch_max) = match scenario {
        // A guess at a healthy CI fleet: 1% infrastructure errors, 0.3% real test failures; 0.2% of
        // tests cancelled by the coordinator.
        Scenario::Default
        | Scenario::Families
        | Scenario::Flaky
        | Scenario::Crash
        | Scenario::Spike
        | Scenario::Churn => (
            Arrivals::Batches { len: (50, 1_000), load_percent: 85 },
            FailureRates { retryable: 0.01, permanent: 0.003 },
            2_000,
            0,
        ),
        Scenario::Original => (Arrivals::Batches { len: (10, 50), load_percent: 85 }, FailureRates::default(), 0, 0),
        Scenario::MixedSpeed { load_percent } => (Arrivals::Poisson { load_percent }, FailureRates::default(), 0, 0),
        Scenario::Priorities => {
            (Arrivals::Batches { len: (20, 200), load_percent: 130 }, FailureRates::default(), 0, 0)
        }
        Scenario::EtcBraun(_) => (Arrivals::AllAtOnce, FailureRates::default(), 0, 512),
        Scenario::Stragglers => (Arrivals::AllAtOnce, FailureRates::default(), 0, STRAGGLERS_PREFETCH),
        Scenario::Thermal => (Arrivals::Poisson { load_percent: 70 }, FailureRates::default(), 0, 0),
    };
    // Tests sharing a box compete for memory bandwidth and cores: a guess of 30% slower on a full one.
    let contention_permille = match scenario {
        Scenario::Default
        | Scenario::Families
        | Scenario::Flaky
        | Scenario::Crash
        | Scenario::Spike
        | Scenario::Churn => 300,
        _ => 0,
    };
    let cold_starts = matches!(
        scenario,
        Scenario::Default | Scenario::Families | Scenario::Flaky | Scenario::Crash | Scenario::Spike | Scenario::Churn
    );
    let crash_every = if scenario == Scenario::Crash { 10 } else { 0 };
    let churn_every_ms = if scenario == Scenario::Churn { CHURN_EVERY_MS } else { 0 };
    // Under a spike, the engine holds about one task per slot waiting before it defers, half of that
    // before it accepts again, and refuses at eight per slot; and it defers the work of any kind whose
    // oldest task has waited a minute or that has two tasks waiting per worker that may run them.
    let slots: u64 = workers.iter().map(|worker| u64::from(worker.spec.slots)).sum();
    let admission = (scenario == Scenario::Spike).then(|| {
        let marks =
            ballast_components::admission::Marks { low: slots / 2, high: slots.max(1), reject: 8 * slots.max(1) };
        (marks, SPIKE_WAIT_HIGH_MS, 2)
    });
    // The main job offers each kind of hardware its load; the scenarios that share its pool keep the
    // load over the whole pool they were tuned and measured on.
    let load_of = if scenario == Scenario::Default { LoadOf::BusiestSet } else { LoadOf::Pool };
    Pool {
        workers,
        arrivals,
        load_of,
        failures,
        cancels_per_million,
        prefetch_max,
        contention_permille,
        cold_starts,
        crash_every,
        spike: None,
        admission,
        heats: scenario == Scenario::Thermal,
        churn_every_ms,
    }
}

/// How often a worker leaves in the `churn` scenario, in milliseconds of simulated time.
pub const CHURN_EVERY_MS: u64 = 20_000;

/// Seconds of full load that take a machine's heat from 0 to 0.4 (it rises at `(u − 0.6) / τ` per
/// second at utilization `u`, so it stays cool below 60% busy): throttling starts (heat 0.5) after
/// about five minutes fully loaded, like the engine's default `thermal_hot_after_ms`.
pub const HEAT_TAU_SECONDS: f64 = 240.0;

/// A machine's heat after `seconds` at utilization `utilization` from `heat` (kept in 0..=1); a machine
/// that cools poorly heats (and cools) four times as fast.
pub fn heated(heat: f64, utilization: f64, seconds: f64, cools_poorly: bool) -> f64 {
    let tau = if cools_poorly { HEAT_TAU_SECONDS / 4.0 } else { HEAT_TAU_SECONDS };
    (heat + (utilization - 0.6) * seconds / tau).clamp(0.0, 1.0)
}

/// Whether worker `index` of a pool that heats cools poorly (one in three).
pub fn cools_poorly(index: usize) -> bool {
    index.is_multiple_of(3)
}

/// How much longer a task started at `heat` runs: not at all up to 0.5, twice as long at 1.
pub fn throttle(heat: f64) -> f64 {
    1.0 + 2.0 * (heat - 0.5).max(0.0)
}

/// The queue delay at which the `spike` scenario's engine defers submissions of the same kind.
pub const SPIKE_WAIT_HIGH_MS: u64 = 60_000;

/// The burst of a scenario of `tasks` tasks: in `spike`, tasks from 30% to 40% of the run arrive at ten
/// times the usual rate.
pub fn spike(scenario: Scenario, tasks: u64) -> Option<Spike> {
    (scenario == Scenario::Spike).then_some(Spike { from: tasks * 3 / 10, to: tasks * 4 / 10, factor: 10 })
}

/// Makes the tasks of a scenario, one at a time.
#[derive(Clone, Debug)]
pub struct TaskMaker {
    scenario: Scenario,
    /// The ETC matrix, row by task, when the scenario has one.
    etc: Vec<Box<[f32]>>,
    /// The workload file the tasks come from instead of the scenario, if any.
    workload: Option<Arc<super::workload_file::Workload>>,
}

impl TaskMaker {
    /// A maker for `tasks` tasks of `scenario` on `workers` workers.
    pub fn new(scenario: Scenario, tasks: u64, workers: usize, rng: &mut Pcg64Mcg) -> TaskMaker {
        let etc = match scenario {
            Scenario::EtcBraun(class) => etc_matrix(class, tasks as usize, workers, rng),
            _ => Vec::new(),
        };
        TaskMaker { scenario, etc, workload: None }
    }

    /// A maker of the tasks of a workload file.
    pub fn for_workload(workload: Arc<super::workload_file::Workload>) -> TaskMaker {
        TaskMaker { scenario: Scenario::Default, etc: Vec::new(), workload: Some(workload) }
    }

    /// The mean work of a task on a reference CPU, in seconds, where it is known exactly (Poisson
    /// arrivals offer their load by it).
    pub fn mean_work_seconds(&self) -> f64 {
        match &self.workload {
            Some(workload) => workload.mean_work_seconds(),
            None => MIXED_SPEED_MEAN_SECONDS,
        }
    }

    /// The ETC matrix, if the scenario has one.
    pub fn etc(&self) -> &[Box<[f32]>] {
        &self.etc
    }

    /// The next task.
    pub fn make(&self, id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
        if let Some(workload) = &self.workload {
            return workload.make_task(id, rng);
        }
        match self.scenario {
            Scenario::Default => default_task(id, rng, true),
            Scenario::Families | Scenario::Flaky | Scenario::Crash | Scenario::Spike | Scenario::Churn => {
                default_task(id, rng, false)
            }
            Scenario::Thermal => mixed_speed_task(id, rng),
            Scenario::Original => original_task(id, rng),
            Scenario::MixedSpeed { .. } => mixed_speed_task(id, rng),
            Scenario::Priorities => priorities_task(id, rng),
            Scenario::EtcBraun(_) => etc_task(id, &self.etc[id.0 as usize]),
            Scenario::Stragglers => straggler_task(id, rng),
        }
    }
}

/// Model ids per family, used to fill submissions (real ids; the engine analyses them).
const MODELS: [(ModelFamily, &[&str]); 7] = [
    (
        ModelFamily::TextEmbedding,
        &[
            "bert-base-uncased",
            "sentence-transformers/all-MiniLM-L6-v2",
            "BAAI/bge-small-en-v1.5",
            "intfloat/e5-large-v2",
        ],
    ),
    (
        ModelFamily::TextGeneration,
        &["gpt2", "meta-llama/Llama-2-7b-hf", "Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-v0.1"],
    ),
    (ModelFamily::TextToText, &["t5-small", "google/flan-t5-base", "facebook/bart-large-cnn"]),
    (ModelFamily::Vision, &["google/vit-base-patch16-224", "microsoft/resnet-50", "facebook/detr-resnet-50"]),
    (ModelFamily::VisionGeneration, &["stabilityai/stable-diffusion-xl-base-1.0", "runwayml/stable-diffusion-v1-5"]),
    (ModelFamily::Audio, &["openai/whisper-tiny", "facebook/wav2vec2-base-960h", "microsoft/speecht5_tts"]),
    (
        ModelFamily::Multimodal,
        &["openai/clip-vit-base-patch32", "llava-hf/llava-1.5-7b-hf", "Salesforce/blip-image-captioning-base"],
    ),
];

fn model_of(family: ModelFamily, rng: &mut Pcg64Mcg) -> Option<String> {
    let models = MODELS.iter().find(|(candidate, _)| *candidate == family)?.1;
    Some(models[rng.random_range(0..models.len())].to_owned())
}

fn pick<T: Copy>(rng: &mut Pcg64Mcg, values: &[T]) -> T {
    values[rng.random_range(0..values.len())]
}

/// Picks an index by weight.
pub(crate) fn weighted(rng: &mut Pcg64Mcg, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut draw = rng.random_range(0..total);
    for (index, &weight) in weights.iter().enumerate() {
        if draw < weight {
            return index;
        }
        draw -= weight;
    }
    unreachable!("the draw is below the total weight")
}

const GIB: u64 = 1024;

fn gpus(count: usize, model: &str, memory_mib: u64) -> Vec<GpuSpec> {
    (0..count).map(|_| GpuSpec { model: Some(model.to_owned()), memory_mib }).collect()
}

fn uniform_worker(id: WorkerId, slots: u32, machine_speed: f64) -> SimWorker {
    let spec = WorkerSpec {
        id,
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: slots * 4_000,
        memory_mib: 64 * GIB,
        slots,
        ..WorkerSpec::default()
    };
    SimWorker { spec, machine_speed, uniform_speed: true, flaky_permille: 0, family_speed: None }
}

fn default_worker(id: WorkerId, rng: &mut Pcg64Mcg, machine_speed: f64) -> SimWorker {
    use HardwareKind::*;
    // Pool mix: CPU boxes, CUDA, ROCm, MPS, OpenVINO, QNN, browser hosts.
    let kind = weighted(rng, &[40, 20, 5, 5, 10, 5, 15]);
    let cores: u32 = pick(rng, &[8, 16, 32, 64]);
    let mut spec = WorkerSpec {
        id,
        cpu_milli: cores * 1000,
        memory_mib: pick(rng, &[16, 32, 64, 128]) * GIB,
        slots: (cores / 4).clamp(2, 8),
        ..WorkerSpec::default()
    };
    match kind {
        0 => spec.hardware = HardwareSet::of(&[Cpu]),
        1 => {
            let (model, memory) =
                pick(rng, &[("T4", 16 * GIB), ("A10", 24 * GIB), ("V100M32", 32 * GIB), ("A100", 80 * GIB)]);
            let count = pick(rng, &[1usize, 2, 4, 8]);
            spec.hardware = HardwareSet::of(&[Cpu, Cuda]);
            spec.gpus = gpus(count, model, memory);
            spec.memory_mib = pick(rng, &[128, 256, 512]) * GIB;
            spec.slots = (count as u32 * 2).max(spec.slots);
        }
        2 => {
            let count = pick(rng, &[1usize, 2, 4]);
            spec.hardware = HardwareSet::of(&[Cpu, Rocm]);
            spec.gpus = gpus(count, "MI250", 64 * GIB);
            spec.memory_mib = 256 * GIB;
            spec.slots = (count as u32 * 2).max(spec.slots);
        }
        3 => {
            spec.hardware = HardwareSet::of(&[Cpu, Mps]);
            spec.gpus = gpus(1, "M2", 32 * GIB);
            spec.memory_mib = 32 * GIB;
            spec.slots = 2;
        }
        4 => {
            spec.hardware = HardwareSet::of(&[Cpu, Openvino]);
            spec.slots = 4;
        }
        5 => {
            spec.hardware = HardwareSet::of(&[Cpu, Qnn]);
            spec.memory_mib = 16 * GIB;
            spec.slots = 2;
        }
        _ => {
            spec.hardware = HardwareSet::of(&[Cpu, Webgpu, Webnn]);
            let mut browsers = BrowserSet::of(&[Browser::Chrome]);
            for browser in [Browser::Edge, Browser::Firefox, Browser::Safari] {
                if rng.random_bool(0.5) {
                    browsers = browsers.with(browser);
                }
            }
            spec.browsers = browsers;
            spec.slots = pick(rng, &[2, 3, 4]);
        }
    }
    SimWorker { spec, machine_speed, uniform_speed: false, flaky_permille: 0, family_speed: None }
}

fn original_worker(id: WorkerId, rng: &mut Pcg64Mcg) -> SimWorker {
    // Memory 4/8/16/32 GB of which 90% is available; 0/1/2/4 CUDA devices; 4 cores.
    let memory_gb: u64 = pick(rng, &[4, 8, 16, 32]);
    let gpu_count = pick(rng, &[0usize, 1, 2, 4]);
    let mut hardware = HardwareSet::of(&[HardwareKind::Cpu]);
    if gpu_count > 0 {
        hardware = hardware.with(HardwareKind::Cuda);
    }
    let spec = WorkerSpec {
        id,
        hardware,
        cpu_milli: 4_000,
        memory_mib: memory_gb * GIB * 9 / 10,
        slots: 4,
        gpus: gpus(gpu_count, "GPU", 16 * GIB),
        ..WorkerSpec::default()
    };
    SimWorker { spec, machine_speed: 1.0, uniform_speed: true, flaky_permille: 0, family_speed: None }
}

/// A task template of the default mix: family, test type, allowed hardware, GPU and browser needs.
struct Template {
    weight: u32,
    family: ModelFamily,
    test_type: TestType,
    hardware_any: &'static [HardwareKind],
    gpu: GpuDemand,
    web: bool,
}

const DEFAULT_TEMPLATES: [Template; 9] = {
    use HardwareKind::*;
    const NO_GPU: GpuDemand = GpuDemand::NONE;
    const ONE_GPU: GpuDemand = GpuDemand { count: 1, milli: 1000, memory_mib: 0 };
    const BIG_GPU: GpuDemand = GpuDemand { count: 1, milli: 1000, memory_mib: 20 * 1024 };
    [
        Template {
            weight: 25,
            family: ModelFamily::TextEmbedding,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 10,
            family: ModelFamily::TextGeneration,
            test_type: TestType::Inference,
            hardware_any: &[Cuda, Rocm, Mps],
            gpu: BIG_GPU,
            web: false,
        },
        Template {
            weight: 8,
            family: ModelFamily::TextToText,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 15,
            family: ModelFamily::Vision,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 7,
            family: ModelFamily::Vision,
            test_type: TestType::Training,
            hardware_any: &[Cuda, Rocm],
            gpu: ONE_GPU,
            web: false,
        },
        Template {
            weight: 5,
            family: ModelFamily::VisionGeneration,
            test_type: TestType::Inference,
            hardware_any: &[Cuda],
            gpu: BIG_GPU,
            web: false,
        },
        Template {
            weight: 10,
            family: ModelFamily::Audio,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 5,
            family: ModelFamily::Multimodal,
            test_type: TestType::Inference,
            hardware_any: &[Cuda, Rocm],
            gpu: ONE_GPU,
            web: false,
        },
        Template {
            weight: 15,
            family: ModelFamily::Vision,
            test_type: TestType::Web,
            hardware_any: &[Webgpu, Webnn],
            gpu: NO_GPU,
            web: true,
        },
    ]
};

/// The main job's weights of [`DEFAULT_TEMPLATES`]: a third more of the work any worker may run and
/// about half the browser work, so that with the load offered to the busiest set of workers
/// ([`LoadOf::BusiestSet`]) the browser hosts, the GPUs and the pool's slots are each offered about
/// the same share of what they can do (the scenarios on 200 workers keep the template weights).
const MAIN_WEIGHTS: [u32; 9] = [55, 10, 18, 33, 7, 5, 22, 5, 8];

/// The weights [`DEFAULT_TEMPLATES`] give themselves.
const TEMPLATE_WEIGHTS: [u32; 9] = {
    let mut weights = [0; 9];
    let mut index = 0;
    while index < weights.len() {
        weights[index] = DEFAULT_TEMPLATES[index].weight;
        index += 1;
    }
    weights
};

fn default_task(id: TaskId, rng: &mut Pcg64Mcg, main: bool) -> SimTaskSpec {
    let weights: &[u32] = if main { &MAIN_WEIGHTS } else { &TEMPLATE_WEIGHTS };
    let template = &DEFAULT_TEMPLATES[weighted(rng, weights)];
    let mut family = template.family;
    if template.web {
        family = pick(rng, &[ModelFamily::Vision, ModelFamily::TextEmbedding, ModelFamily::Audio]);
    }
    let mut requirements = RequirementSpec {
        hardware_any: HardwareSet::of(template.hardware_any),
        memory_mib: pick(rng, &[512, 1024, 2048, 4096, 8192]),
        gpu: template.gpu,
        ..RequirementSpec::default()
    };
    if template.web {
        requirements.browsers_any = pick(
            rng,
            &[
                BrowserSet::of(&[Browser::Chrome]),
                BrowserSet::of(&[Browser::Chrome, Browser::Edge]),
                BrowserSet::of(&[Browser::Firefox]),
                BrowserSet::of(&[Browser::Safari]),
            ],
        );
    }
    let mut spec = TaskSpec::new(id);
    spec.priority = pick(rng, &[2, 3, 4, 4, 5, 5, 5, 6, 6, 7, 8]);
    spec.model_id = model_of(family, rng);
    spec.test_type = template.test_type;
    spec.requirements = requirements;
    // Work on a reference CPU: the family prior times the test-type factor, with a heavy-ish spread.
    let mean_seconds = ballast_components::catalogue::Catalogue::builtin().priors.duration_ms(family) as f64 / 1000.0
        * template.test_type.duration_factor_percent() as f64
        / 100.0;
    let spread = LogNormal::new(-0.125, 0.5).expect("valid lognormal");
    SimTaskSpec { spec, family, work_seconds: mean_seconds * spread.sample(rng), seconds_on: None }
}

fn original_task(id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    let mut spec = TaskSpec::new(id);
    // The original's priorities run 1 (most urgent) to 5; Ballast's run 0 to 9, most urgent highest.
    let original_priority: u8 = pick(rng, &[1, 2, 2, 3, 3, 3, 4, 4, 5]);
    spec.priority = 10 - 2 * original_priority;
    spec.test_type = TestType::Unit;
    spec.requirements.memory_mib = pick(rng, &[512, 1024, 2048, 4096, 8192]);
    let gpu_count = pick(rng, &[0u8, 0, 0, 1, 1, 2]);
    if gpu_count > 0 {
        spec.requirements.gpu = GpuDemand::whole(gpu_count);
        spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
    }
    // The original's tests all expected 10 s.
    let spread = LogNormal::new(-0.045, 0.3).expect("valid lognormal");
    SimTaskSpec { spec, family: ModelFamily::Unknown, work_seconds: 10.0 * spread.sample(rng), seconds_on: None }
}

/// Mean work of a mixed-speed task on a slow worker, in seconds.
pub const MIXED_SPEED_MEAN_SECONDS: f64 = 10.0;

fn mixed_speed_task(id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    let mut spec = TaskSpec::new(id);
    spec.model_id = Some("bench/mixed-speed".to_owned());
    let size = Exp::new(1.0 / MIXED_SPEED_MEAN_SECONDS).expect("valid rate");
    SimTaskSpec { spec, family: ModelFamily::Unknown, work_seconds: size.sample(rng).max(0.01), seconds_on: None }
}

fn priorities_task(id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    let mut spec = TaskSpec::new(id);
    spec.priority = pick(rng, &[1, 3, 5, 7, 9]);
    spec.model_id = Some("bert-base-uncased".to_owned());
    let spread = LogNormal::new(-0.125, 0.5).expect("valid lognormal");
    SimTaskSpec { spec, family: ModelFamily::TextEmbedding, work_seconds: 30.0 * spread.sample(rng), seconds_on: None }
}

fn etc_task(id: TaskId, row: &[f32]) -> SimTaskSpec {
    let mut spec = TaskSpec::new(id);
    spec.model_id = Some(etc_model(id));
    let work_seconds = row.iter().copied().fold(f32::INFINITY, f32::min) as f64;
    SimTaskSpec { spec, family: ModelFamily::Unknown, work_seconds, seconds_on: Some(row.into()) }
}

/// The run-queue depth of the `stragglers` scenario: deep enough to hand a whole suite out at once
/// (as a coordinator cutting round trips does), so imbalance can only be undone by stealing.
pub const STRAGGLERS_PREFETCH: u32 = 128;

/// A unit test of a suite: no model, so every prediction is the suite's mean; its run time is
/// lognormal (median 1 s, σ 1), and one test in a hundred hangs for 10 times as long.
fn straggler_task(id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    let body: f64 = LogNormal::new(0.0, 1.0).expect("valid lognormal").sample(rng);
    let hangs = rng.random_range(0..100u32) == 0;
    let work_seconds = (body * if hangs { 10.0 } else { 1.0 }).max(0.01);
    SimTaskSpec { spec: TaskSpec::new(id), family: ModelFamily::Unknown, work_seconds, seconds_on: None }
}

/// The model id of ETC task `id`: each task is its own model, so its expected times are its history.
pub fn etc_model(id: TaskId) -> String {
    format!("etc/task-{}", id.0)
}

/// A Braun et al. (2001) range-based ETC matrix: task factors uniform in 1..Rt (3,000 high, 100 low),
/// each row scaled by machine factors uniform in 1..Rm (1,000 high, 10 low); consistent rows sorted,
/// semi-consistent rows sorted on the even machines only. The study's time unit is arbitrary; here it
/// is the millisecond, so the values returned are seconds (up to 3,000).
pub fn etc_matrix(class: EtcClass, tasks: usize, machines: usize, rng: &mut Pcg64Mcg) -> Vec<Box<[f32]>> {
    let task_range = if class.task_high { 3_000.0 } else { 100.0 };
    let machine_range = if class.machine_high { 1_000.0 } else { 10.0 };
    (0..tasks)
        .map(|_| {
            let task: f64 = rng.random_range(1.0..task_range);
            let mut row: Vec<f32> =
                (0..machines).map(|_| (task * rng.random_range(1.0..machine_range) / 1_000.0) as f32).collect();
            match class.consistency {
                Consistency::Consistent => row.sort_by(f32::total_cmp),
                Consistency::SemiConsistent => {
                    let mut even: Vec<f32> = row.iter().copied().step_by(2).collect();
                    even.sort_by(f32::total_cmp);
                    for (position, value) in even.into_iter().enumerate() {
                        row[position * 2] = value;
                    }
                }
                Consistency::Inconsistent => {}
            }
            row.into_boxed_slice()
        })
        .collect()
}

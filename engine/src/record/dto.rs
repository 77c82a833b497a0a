//! The lines of a recording and the conversions from and to the engine's commands and events.
//! Strings borrow where they can, so writing a line allocates nothing beyond its buffer.

use std::borrow::Cow;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use ballast_components::capability::{Browser, BrowserSet, HardwareKind, HardwareSet};
use ballast_components::clock::Timestamp;
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{
    Command, CommandKind, Event, GpuSpec, RemovalReason, RequeueReason, RequirementSpec, TaskSpec, UtilizationReport,
    WorkerSpec,
};
use ballast_components::requirements::GpuDemand;

use super::{Apply, ConfigDto};
use ballast_components::history::PastRun;

/// One line of a recording. `t` is the engine's time (its last tick) in nanoseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[allow(missing_docs)]
pub enum Line<'a> {
    /// The first line.
    #[serde(rename = "header")]
    Header(Box<Header>),
    /// The engine ran a tick at `t`: it applied the commands queued since the last tick.
    #[serde(rename = "tick")]
    Tick { t: u64 },

    #[serde(rename = "command.register_worker")]
    RegisterWorker {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        worker: WorkerDto<'a>,
    },
    #[serde(rename = "command.heartbeat")]
    Heartbeat {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        worker: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        utilization: Option<UtilizationDto>,
    },
    #[serde(rename = "command.drain_worker")]
    DrainWorker {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        worker: u64,
    },
    #[serde(rename = "command.remove_worker")]
    RemoveWorker {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        worker: u64,
    },
    #[serde(rename = "command.submit_task")]
    SubmitTask {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        task: TaskDto<'a>,
    },
    #[serde(rename = "command.submit_batch")]
    SubmitBatch {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        tasks: Vec<TaskDto<'a>>,
    },
    #[serde(rename = "command.cancel_task")]
    CancelTask {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        task: u64,
    },
    #[serde(rename = "command.task_started")]
    TaskStarted {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        task: u64,
        worker: u64,
    },
    #[serde(rename = "command.task_completed")]
    TaskCompleted {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        task: u64,
        worker: u64,
        duration_ns: u64,
    },
    #[serde(rename = "command.task_failed")]
    TaskFailed {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        task: u64,
        worker: u64,
        reason: Cow<'a, str>,
        retryable: bool,
    },
    #[serde(rename = "command.task_released")]
    TaskReleased {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        #[serde(default, skip_serializing_if = "Apply::is_tick")]
        apply: Apply,
        task: u64,
        worker: u64,
    },
    /// Past runs given to the performance history (always applied at once).
    #[serde(rename = "command.import_history")]
    ImportHistory {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        runs: Vec<PastRunDto<'a>>,
    },

    #[serde(rename = "event.worker_registered")]
    WorkerRegistered {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        worker: u64,
    },
    #[serde(rename = "event.worker_health_changed")]
    WorkerHealthChanged {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        worker: u64,
        from: Cow<'a, str>,
        to: Cow<'a, str>,
    },
    #[serde(rename = "event.worker_draining")]
    WorkerDraining {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        worker: u64,
    },
    #[serde(rename = "event.worker_quarantined")]
    WorkerQuarantined {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        worker: u64,
        failure_permille: u32,
        until_ns: u64,
    },
    #[serde(rename = "event.worker_quarantine_ended")]
    WorkerQuarantineEnded {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        worker: u64,
    },
    #[serde(rename = "event.worker_removed")]
    WorkerRemoved {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        worker: u64,
        reason: Cow<'a, str>,
        tasks_released: u32,
    },
    #[serde(rename = "event.task_accepted")]
    TaskAccepted {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
    },
    #[serde(rename = "event.task_assigned")]
    TaskAssigned {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        worker: u64,
        attempt: u8,
    },
    #[serde(rename = "event.task_requeued")]
    TaskRequeued {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        worker: u64,
        reason: Cow<'a, str>,
    },
    #[serde(rename = "event.task_recalled")]
    TaskRecalled {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        worker: u64,
        to: u64,
    },
    #[serde(rename = "event.task_migrated")]
    TaskMigrated {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        from: u64,
        to: u64,
        attempt: u8,
    },
    #[serde(rename = "event.task_completed")]
    TaskDone {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        worker: u64,
        duration_ns: u64,
    },
    #[serde(rename = "event.task_failed")]
    TaskFailedForGood {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worker: Option<u64>,
        reason: Cow<'a, str>,
    },
    #[serde(rename = "event.task_cancelled")]
    TaskCancelled {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worker: Option<u64>,
    },
    #[serde(rename = "event.task_unschedulable")]
    TaskUnschedulable {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        task: u64,
        reason: Cow<'a, str>,
    },
    #[serde(rename = "event.command_rejected")]
    CommandRejected {
        #[serde(default = "no_time", skip_serializing_if = "is_no_time")]
        t: u64,
        command: Cow<'a, str>,
        error: Cow<'a, str>,
    },

    /// A simulated worker's true speed (after its registration), and for a flaky worker the share of
    /// its attempts that fail (thousandths; written only when not 0).
    #[serde(rename = "sim.worker")]
    SimWorker {
        t: u64,
        worker: u64,
        machine_speed: f64,
        uniform_speed: bool,
        #[serde(default, skip_serializing_if = "is_zero_u32")]
        flaky_permille: u32,
    },
    /// Tasks arriving at the simulated coordinator at `at_ns`, with their ground truth; the next line
    /// is the `command.submit_batch` that submits them.
    #[serde(rename = "sim.arrival")]
    SimArrival { t: u64, at_ns: u64, tasks: Vec<SimTaskDto> },
    /// The simulation's report (before `end`).
    #[serde(rename = "sim.report")]
    SimReport { t: u64, report: serde_json::Value },
    /// The recording was closed cleanly after `lines` lines (this one not counted).
    #[serde(rename = "end")]
    End { t: u64, lines: u64 },
}

/// Every kind this version reads (also how an unknown kind is told from a malformed line).
pub const KINDS: [&str; 34] = [
    "header",
    "tick",
    "command.register_worker",
    "command.heartbeat",
    "command.drain_worker",
    "command.remove_worker",
    "command.submit_task",
    "command.submit_batch",
    "command.cancel_task",
    "command.task_started",
    "command.task_completed",
    "command.task_failed",
    "command.task_released",
    "command.import_history",
    "event.worker_registered",
    "event.worker_health_changed",
    "event.worker_draining",
    "event.worker_quarantined",
    "event.worker_quarantine_ended",
    "event.worker_removed",
    "event.task_accepted",
    "event.task_assigned",
    "event.task_requeued",
    "event.task_recalled",
    "event.task_migrated",
    "event.task_completed",
    "event.task_failed",
    "event.task_cancelled",
    "event.task_unschedulable",
    "event.command_rejected",
    "sim.worker",
    "sim.arrival",
    "sim.report",
    "end",
];

/// The header: format, version, what wrote it, and the engine config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`super::FORMAT`].
    pub format: String,
    /// The format version ([`super::VERSION`] when written by this build).
    pub version: u32,
    /// The version of the `ballast` build that wrote it.
    pub ballast_version: String,
    /// `sim` for a simulated run, `engine` for an embedded engine or handle.
    pub source: String,
    /// The engine config the run started with.
    pub config: ConfigDto,
    /// The simulation's parameters (simulated runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim: Option<SimHeader>,
}

/// What a replay needs to rebuild a simulation besides its commands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimHeader {
    /// The scenario's name.
    pub scenario: String,
    /// The seed (its keyed draws decide which attempts fail).
    pub seed: u64,
    /// Workers in the pool.
    pub workers: u32,
    /// Tasks in the run.
    pub tasks: u64,
    /// Simulated time between ticks, in milliseconds.
    pub tick_interval_ms: u64,
    /// Simulated time between heartbeats, in milliseconds.
    pub heartbeat_interval_ms: u64,
    /// The run stops when nothing ends for this long, in seconds.
    pub stall_seconds_max: u64,
    /// The pool's behaviour.
    pub pool: PoolDto,
}

/// How the simulated pool behaves (see `sim::workload::Pool`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolDto {
    /// Chance that an attempt fails with a retryable error.
    pub failure_retryable: f64,
    /// Chance that an attempt fails for good.
    pub failure_permanent: f64,
    /// Run-queue depth given to the engine.
    pub prefetch_max: u32,
    /// Slow-down of tasks sharing a worker, in thousandths at a full worker.
    pub contention_permille: u32,
    /// Whether a model not loaded on the worker first costs a cold start.
    pub cold_starts: bool,
    /// Every how many workers one dies when half the tasks have arrived (0: none die).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub crash_every: u32,
    /// Whether machines heat up under load and throttle.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub heats: bool,
    /// Every how many milliseconds a worker leaves and later comes back (0: none does).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub churn_every_ms: u64,
}

/// A worker registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct WorkerDto<'a> {
    /// Its id.
    pub id: u64,
    /// Hardware kinds by name (`cpu`, `cuda`, `rocm`, `mps`, `openvino`, `qnn`, `webnn`, `webgpu`).
    #[serde(default, skip_serializing_if = "Hardware::is_empty")]
    #[cfg_attr(feature = "service", schema(value_type = Vec<String>))]
    pub hardware: Hardware,
    /// Browsers by name (`chrome`, `firefox`, `edge`, `safari`).
    #[serde(default, skip_serializing_if = "Browsers::is_empty")]
    #[cfg_attr(feature = "service", schema(value_type = Vec<String>))]
    pub browsers: Browsers,
    /// CPU, milli-cores.
    pub cpu_milli: u32,
    /// Host memory, MiB.
    pub memory_mib: u64,
    /// Slots.
    pub slots: u32,
    /// GPU devices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<GpuDto<'a>>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Cow<'a, str>>,
}

/// A GPU device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct GpuDto<'a> {
    /// Its model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Cow<'a, str>>,
    /// Its memory, MiB.
    pub memory_mib: u64,
}

/// Heartbeat utilization.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct UtilizationDto {
    /// CPU busy fraction.
    #[serde(default, skip_serializing_if = "is_zero_f32")]
    pub cpu: f32,
    /// Memory used fraction.
    #[serde(default, skip_serializing_if = "is_zero_f32")]
    pub memory: f32,
    /// GPU busy fraction.
    #[serde(default, skip_serializing_if = "is_zero_f32")]
    pub gpu: f32,
    /// Reported heat, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heat: Option<f32>,
}

/// A task submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct TaskDto<'a> {
    /// Its id.
    pub id: u64,
    /// 0 to 9 (5 when left out).
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// The model under test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<Cow<'a, str>>,
    /// The test type by name (`inference`, `training`, `quantization`, `benchmark`, `integration`,
    /// `unit`, `web`; `inference` when left out).
    #[serde(default = "default_test_type")]
    #[cfg_attr(feature = "service", schema(value_type = String))]
    pub test_type: Named<TestType>,
    /// Hard requirements.
    #[serde(default, skip_serializing_if = "RequirementsDto::is_empty")]
    pub requirements: RequirementsDto<'a>,
    /// Timeout, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Deadline, engine ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ns: Option<u64>,
    /// Concurrency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_key: Option<Cow<'a, str>>,
    /// Attempt limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_max: Option<u8>,
    /// A calibration task (written only when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub calibration: bool,
}

/// A task's requirements.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct RequirementsDto<'a> {
    /// One of these hardware kinds.
    #[serde(default, skip_serializing_if = "Hardware::is_empty")]
    #[cfg_attr(feature = "service", schema(value_type = Vec<String>))]
    pub hardware_any: Hardware,
    /// One of these browsers.
    #[serde(default, skip_serializing_if = "Browsers::is_empty")]
    #[cfg_attr(feature = "service", schema(value_type = Vec<String>))]
    pub browsers_any: Browsers,
    /// CPU, milli-cores.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub cpu_milli: u32,
    /// Host memory, MiB.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub memory_mib: u64,
    /// GPU devices.
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub gpu_count: u8,
    /// Share of each device, thousandths.
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub gpu_milli: u16,
    /// Memory on each device, MiB.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub gpu_memory_mib: u64,
    /// Allowed GPU models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_models: Vec<Cow<'a, str>>,
    /// Tags the worker must carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Cow<'a, str>>,
}

/// A past run given to the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PastRunDto<'a> {
    /// The worker.
    pub worker: u64,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Cow<'a, str>>,
    /// The family by name.
    pub family: Named<ModelFamily>,
    /// The test type by name.
    pub test_type: Named<TestType>,
    /// Run time, ns.
    pub duration_ns: u64,
    /// Whether it completed.
    pub completed: bool,
}

/// A simulated task's ground truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimTaskDto {
    /// The task.
    pub task: u64,
    /// Its true family.
    pub family: Named<ModelFamily>,
    /// Its work, seconds on a reference CPU.
    pub work_seconds: f64,
    /// Its run time on each worker, seconds (ETC scenarios).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_on: Option<Vec<f32>>,
    /// When the coordinator will cancel it if it has not ended, engine ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_at_ns: Option<u64>,
}

/// The `t` of a command or event that has none: the wire form of the service, where commands and
/// events travel without the engine's time (a recording always has it; its reader says so).
pub const NO_TIME: u64 = u64::MAX;

fn no_time() -> u64 {
    NO_TIME
}

fn is_no_time(t: &u64) -> bool {
    *t == NO_TIME
}

/// A submission's priority when it names none (`TaskSpec::new`'s).
fn default_priority() -> u8 {
    5
}

fn default_test_type() -> Named<TestType> {
    Named(TestType::Inference)
}

fn is_zero_f32(value: &f32) -> bool {
    *value == 0.0
}
fn is_zero_u8(value: &u8) -> bool {
    *value == 0
}
fn is_zero_u16(value: &u16) -> bool {
    *value == 0
}
fn is_zero_u32(value: &u32) -> bool {
    *value == 0
}
fn is_zero_u64(value: &u64) -> bool {
    *value == 0
}

impl RequirementsDto<'_> {
    fn is_empty(&self) -> bool {
        *self == RequirementsDto::default()
    }
}

/// A value written by its stable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Named<T>(pub T);

/// Types with a stable name.
pub trait StableName: Sized + Copy {
    /// What the name is of, for errors.
    const WHAT: &'static str;
    /// The name.
    fn stable_name(self) -> &'static str;
    /// Parses a name.
    fn from_name(name: &str) -> Option<Self>;
}

macro_rules! stable_name {
    ($ty:ty, $what:literal) => {
        impl StableName for $ty {
            const WHAT: &'static str = $what;
            fn stable_name(self) -> &'static str {
                self.name()
            }
            fn from_name(name: &str) -> Option<Self> {
                <$ty>::parse(name)
            }
        }
    };
}
stable_name!(TestType, "test type");
stable_name!(ModelFamily, "model family");
stable_name!(HardwareKind, "hardware kind");
stable_name!(Browser, "browser");

impl<T: StableName> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.stable_name())
    }
}

impl<'de, T: StableName> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = Cow::<str>::deserialize(deserializer)?;
        T::from_name(&name).map(Named).ok_or_else(|| D::Error::custom(format!("unknown {} `{name}`", T::WHAT)))
    }
}

/// A hardware set, written as a list of names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hardware(pub HardwareSet);

/// A browser set, written as a list of names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Browsers(pub BrowserSet);

impl Hardware {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Browsers {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Hardware {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(HardwareKind::name))
    }
}

impl<'de> Deserialize<'de> for Hardware {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<Named<HardwareKind>>::deserialize(deserializer)?;
        Ok(Hardware(names.into_iter().fold(HardwareSet::EMPTY, |set, Named(kind)| set.with(kind))))
    }
}

impl Serialize for Browsers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Browser::name))
    }
}

impl<'de> Deserialize<'de> for Browsers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<Named<Browser>>::deserialize(deserializer)?;
        Ok(Browsers(names.into_iter().fold(BrowserSet::EMPTY, |set, Named(browser)| set.with(browser))))
    }
}

fn borrowed(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text)
}

impl<'a> WorkerDto<'a> {
    /// The registration as written.
    pub fn of(spec: &'a WorkerSpec) -> WorkerDto<'a> {
        WorkerDto {
            id: spec.id.0,
            hardware: Hardware(spec.hardware),
            browsers: Browsers(spec.browsers),
            cpu_milli: spec.cpu_milli,
            memory_mib: spec.memory_mib,
            slots: spec.slots,
            gpus: spec
                .gpus
                .iter()
                .map(|gpu| GpuDto { model: gpu.model.as_deref().map(borrowed), memory_mib: gpu.memory_mib })
                .collect(),
            tags: spec.tags.iter().map(|tag| borrowed(tag)).collect(),
        }
    }

    /// The registration.
    pub fn to_spec(&self) -> WorkerSpec {
        WorkerSpec {
            id: WorkerId(self.id),
            hardware: self.hardware.0,
            browsers: self.browsers.0,
            cpu_milli: self.cpu_milli,
            memory_mib: self.memory_mib,
            slots: self.slots,
            gpus: self
                .gpus
                .iter()
                .map(|gpu| GpuSpec {
                    model: gpu.model.as_ref().map(|model| model.to_string()),
                    memory_mib: gpu.memory_mib,
                })
                .collect(),
            tags: self.tags.iter().map(|tag| tag.to_string()).collect(),
        }
    }
}

impl<'a> TaskDto<'a> {
    /// The submission as written.
    pub fn of(spec: &'a TaskSpec) -> TaskDto<'a> {
        let requirements = &spec.requirements;
        TaskDto {
            id: spec.id.0,
            priority: spec.priority,
            model_id: spec.model_id.as_deref().map(borrowed),
            test_type: Named(spec.test_type),
            requirements: RequirementsDto {
                hardware_any: Hardware(requirements.hardware_any),
                browsers_any: Browsers(requirements.browsers_any),
                cpu_milli: requirements.cpu_milli,
                memory_mib: requirements.memory_mib,
                gpu_count: requirements.gpu.count,
                gpu_milli: requirements.gpu.milli,
                gpu_memory_mib: requirements.gpu.memory_mib,
                gpu_models: requirements.gpu_models.iter().map(|model| borrowed(model)).collect(),
                tags: requirements.tags.iter().map(|tag| borrowed(tag)).collect(),
            },
            timeout_ms: spec.timeout_ms,
            deadline_ns: spec.deadline.map(|deadline| deadline.0),
            concurrency_key: spec.concurrency_key.as_deref().map(borrowed),
            attempts_max: spec.attempts_max,
            calibration: spec.calibration,
        }
    }

    /// The submission.
    pub fn to_spec(&self) -> TaskSpec {
        let requirements = &self.requirements;
        TaskSpec {
            id: TaskId(self.id),
            priority: self.priority,
            model_id: self.model_id.as_ref().map(|model| model.to_string()),
            test_type: self.test_type.0,
            requirements: RequirementSpec {
                hardware_any: requirements.hardware_any.0,
                browsers_any: requirements.browsers_any.0,
                cpu_milli: requirements.cpu_milli,
                memory_mib: requirements.memory_mib,
                gpu: GpuDemand {
                    count: requirements.gpu_count,
                    milli: requirements.gpu_milli,
                    memory_mib: requirements.gpu_memory_mib,
                },
                gpu_models: requirements.gpu_models.iter().map(|model| model.to_string()).collect(),
                tags: requirements.tags.iter().map(|tag| tag.to_string()).collect(),
            },
            timeout_ms: self.timeout_ms,
            deadline: self.deadline_ns.map(Timestamp),
            concurrency_key: self.concurrency_key.as_ref().map(|key| key.to_string()),
            attempts_max: self.attempts_max,
            calibration: self.calibration,
        }
    }
}

impl<'a> PastRunDto<'a> {
    /// The run as written.
    pub fn of(run: &'a PastRun) -> PastRunDto<'a> {
        PastRunDto {
            worker: run.worker.0,
            model: run.model.as_deref().map(borrowed),
            family: Named(run.family),
            test_type: Named(run.test_type),
            duration_ns: run.duration_ns,
            completed: run.completed,
        }
    }

    /// The run.
    pub fn to_run(&self) -> PastRun {
        PastRun {
            worker: WorkerId(self.worker),
            model: self.model.as_ref().map(|model| model.to_string()),
            family: self.family.0,
            test_type: self.test_type.0,
            duration_ns: self.duration_ns,
            completed: self.completed,
        }
    }
}

/// The stable name of a command kind.
pub fn command_kind_name(kind: CommandKind) -> &'static str {
    match kind {
        CommandKind::RegisterWorker => "register_worker",
        CommandKind::Heartbeat => "heartbeat",
        CommandKind::DrainWorker => "drain_worker",
        CommandKind::RemoveWorker => "remove_worker",
        CommandKind::SubmitTask => "submit_task",
        CommandKind::SubmitBatch => "submit_batch",
        CommandKind::CancelTask => "cancel_task",
        CommandKind::TaskStarted => "task_started",
        CommandKind::TaskReleased => "task_released",
        CommandKind::TaskCompleted => "task_completed",
        CommandKind::TaskFailed => "task_failed",
    }
}

fn requeue_reason_name(reason: RequeueReason) -> &'static str {
    match reason {
        RequeueReason::AttemptFailed => "attempt_failed",
        RequeueReason::TimedOut => "timed_out",
        RequeueReason::WorkerLost => "worker_lost",
        RequeueReason::Released => "released",
    }
}

fn removal_reason_name(reason: RemovalReason) -> &'static str {
    match reason {
        RemovalReason::Removed => "removed",
        RemovalReason::Drained => "drained",
        RemovalReason::Lost => "lost",
    }
}

impl<'a> Line<'a> {
    /// The line of a command at `t`.
    pub fn of_command(t: u64, apply: Apply, command: &'a Command) -> Line<'a> {
        match command {
            Command::RegisterWorker(spec) => Line::RegisterWorker { t, apply, worker: WorkerDto::of(spec) },
            Command::Heartbeat { worker, utilization } => Line::Heartbeat {
                t,
                apply,
                worker: worker.0,
                utilization: utilization.map(|report| UtilizationDto {
                    cpu: report.cpu,
                    memory: report.memory,
                    gpu: report.gpu,
                    heat: report.heat,
                }),
            },
            Command::DrainWorker { worker } => Line::DrainWorker { t, apply, worker: worker.0 },
            Command::RemoveWorker { worker } => Line::RemoveWorker { t, apply, worker: worker.0 },
            Command::SubmitTask(spec) => Line::SubmitTask { t, apply, task: TaskDto::of(spec) },
            Command::SubmitBatch(specs) => {
                Line::SubmitBatch { t, apply, tasks: specs.iter().map(TaskDto::of).collect() }
            }
            Command::CancelTask { task } => Line::CancelTask { t, apply, task: task.0 },
            Command::TaskStarted { task, worker } => Line::TaskStarted { t, apply, task: task.0, worker: worker.0 },
            Command::TaskReleased { task, worker } => Line::TaskReleased { t, apply, task: task.0, worker: worker.0 },
            Command::TaskCompleted { task, worker, duration_ns } => {
                Line::TaskCompleted { t, apply, task: task.0, worker: worker.0, duration_ns: *duration_ns }
            }
            Command::TaskFailed { task, worker, reason, retryable } => Line::TaskFailed {
                t,
                apply,
                task: task.0,
                worker: worker.0,
                reason: borrowed(reason),
                retryable: *retryable,
            },
        }
    }

    /// The line of an event at `t`.
    pub fn of_event(t: u64, event: &'a Event) -> Line<'a> {
        match event {
            Event::WorkerRegistered { worker } => Line::WorkerRegistered { t, worker: worker.0 },
            Event::WorkerHealthChanged { worker, from, to } => {
                Line::WorkerHealthChanged { t, worker: worker.0, from: borrowed(from.name()), to: borrowed(to.name()) }
            }
            Event::WorkerDraining { worker } => Line::WorkerDraining { t, worker: worker.0 },
            Event::WorkerQuarantined { worker, failure_permille, until } => {
                Line::WorkerQuarantined { t, worker: worker.0, failure_permille: *failure_permille, until_ns: until.0 }
            }
            Event::WorkerQuarantineEnded { worker } => Line::WorkerQuarantineEnded { t, worker: worker.0 },
            Event::WorkerRemoved { worker, reason, tasks_released } => Line::WorkerRemoved {
                t,
                worker: worker.0,
                reason: borrowed(removal_reason_name(*reason)),
                tasks_released: *tasks_released,
            },
            Event::TaskAccepted { task } => Line::TaskAccepted { t, task: task.0 },
            Event::TaskAssigned { task, worker, attempt } => {
                Line::TaskAssigned { t, task: task.0, worker: worker.0, attempt: *attempt }
            }
            Event::TaskRequeued { task, worker, reason } => {
                Line::TaskRequeued { t, task: task.0, worker: worker.0, reason: borrowed(requeue_reason_name(*reason)) }
            }
            Event::TaskRecalled { task, worker, to } => {
                Line::TaskRecalled { t, task: task.0, worker: worker.0, to: to.0 }
            }
            Event::TaskMigrated { task, from, to, attempt } => {
                Line::TaskMigrated { t, task: task.0, from: from.0, to: to.0, attempt: *attempt }
            }
            Event::TaskCompleted { task, worker, duration_ns } => {
                Line::TaskDone { t, task: task.0, worker: worker.0, duration_ns: *duration_ns }
            }
            Event::TaskFailed { task, worker, reason } => Line::TaskFailedForGood {
                t,
                task: task.0,
                worker: worker.map(|worker| worker.0),
                reason: Cow::Owned(reason.to_string()),
            },
            Event::TaskCancelled { task, worker } => {
                Line::TaskCancelled { t, task: task.0, worker: worker.map(|worker| worker.0) }
            }
            Event::TaskUnschedulable { task, explanation } => {
                Line::TaskUnschedulable { t, task: task.0, reason: Cow::Owned(explanation.to_string()) }
            }
            Event::CommandRejected { command, error } => Line::CommandRejected {
                t,
                command: borrowed(command_kind_name(*command)),
                error: Cow::Owned(error.to_string()),
            },
            // A variant added to the (non-exhaustive) event enum before this format names it.
            other => Line::CommandRejected { t, command: borrowed("event"), error: Cow::Owned(format!("{other:?}")) },
        }
    }

    /// The command this line records, with how it was applied (`None` for other lines).
    pub fn to_command(&self) -> Option<(Apply, Command)> {
        Some(match self {
            Line::RegisterWorker { apply, worker, .. } => (*apply, Command::RegisterWorker(worker.to_spec())),
            Line::Heartbeat { apply, worker, utilization, .. } => (
                *apply,
                Command::Heartbeat {
                    worker: WorkerId(*worker),
                    utilization: utilization.map(|report| UtilizationReport {
                        cpu: report.cpu,
                        memory: report.memory,
                        gpu: report.gpu,
                        heat: report.heat,
                    }),
                },
            ),
            Line::DrainWorker { apply, worker, .. } => (*apply, Command::DrainWorker { worker: WorkerId(*worker) }),
            Line::RemoveWorker { apply, worker, .. } => (*apply, Command::RemoveWorker { worker: WorkerId(*worker) }),
            Line::SubmitTask { apply, task, .. } => (*apply, Command::SubmitTask(task.to_spec())),
            Line::SubmitBatch { apply, tasks, .. } => {
                (*apply, Command::SubmitBatch(tasks.iter().map(TaskDto::to_spec).collect()))
            }
            Line::CancelTask { apply, task, .. } => (*apply, Command::CancelTask { task: TaskId(*task) }),
            Line::TaskStarted { apply, task, worker, .. } => {
                (*apply, Command::TaskStarted { task: TaskId(*task), worker: WorkerId(*worker) })
            }
            Line::TaskReleased { apply, task, worker, .. } => {
                (*apply, Command::TaskReleased { task: TaskId(*task), worker: WorkerId(*worker) })
            }
            Line::TaskCompleted { apply, task, worker, duration_ns, .. } => (
                *apply,
                Command::TaskCompleted { task: TaskId(*task), worker: WorkerId(*worker), duration_ns: *duration_ns },
            ),
            Line::TaskFailed { apply, task, worker, reason, retryable, .. } => (
                *apply,
                Command::TaskFailed {
                    task: TaskId(*task),
                    worker: WorkerId(*worker),
                    reason: reason.to_string(),
                    retryable: *retryable,
                },
            ),
            _ => return None,
        })
    }

    /// The line's `t` (the header has none; [`NO_TIME`] when a command or event was read without one).
    pub fn time(&self) -> Option<u64> {
        match self {
            Line::Header(_) => None,
            Line::Tick { t }
            | Line::RegisterWorker { t, .. }
            | Line::Heartbeat { t, .. }
            | Line::DrainWorker { t, .. }
            | Line::RemoveWorker { t, .. }
            | Line::SubmitTask { t, .. }
            | Line::SubmitBatch { t, .. }
            | Line::CancelTask { t, .. }
            | Line::TaskStarted { t, .. }
            | Line::TaskCompleted { t, .. }
            | Line::TaskFailed { t, .. }
            | Line::TaskReleased { t, .. }
            | Line::ImportHistory { t, .. }
            | Line::WorkerRegistered { t, .. }
            | Line::WorkerHealthChanged { t, .. }
            | Line::WorkerDraining { t, .. }
            | Line::WorkerQuarantined { t, .. }
            | Line::WorkerQuarantineEnded { t, .. }
            | Line::WorkerRemoved { t, .. }
            | Line::TaskAccepted { t, .. }
            | Line::TaskAssigned { t, .. }
            | Line::TaskRequeued { t, .. }
            | Line::TaskRecalled { t, .. }
            | Line::TaskMigrated { t, .. }
            | Line::TaskDone { t, .. }
            | Line::TaskFailedForGood { t, .. }
            | Line::TaskCancelled { t, .. }
            | Line::TaskUnschedulable { t, .. }
            | Line::CommandRejected { t, .. }
            | Line::SimWorker { t, .. }
            | Line::SimArrival { t, .. }
            | Line::SimReport { t, .. }
            | Line::End { t, .. } => Some(*t),
        }
    }

    /// The line's kind, as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Line::Header(_) => "header",
            Line::Tick { .. } => "tick",
            Line::RegisterWorker { .. } => "command.register_worker",
            Line::Heartbeat { .. } => "command.heartbeat",
            Line::DrainWorker { .. } => "command.drain_worker",
            Line::RemoveWorker { .. } => "command.remove_worker",
            Line::SubmitTask { .. } => "command.submit_task",
            Line::SubmitBatch { .. } => "command.submit_batch",
            Line::CancelTask { .. } => "command.cancel_task",
            Line::TaskStarted { .. } => "command.task_started",
            Line::TaskCompleted { .. } => "command.task_completed",
            Line::TaskFailed { .. } => "command.task_failed",
            Line::TaskReleased { .. } => "command.task_released",
            Line::ImportHistory { .. } => "command.import_history",
            Line::WorkerRegistered { .. } => "event.worker_registered",
            Line::WorkerHealthChanged { .. } => "event.worker_health_changed",
            Line::WorkerDraining { .. } => "event.worker_draining",
            Line::WorkerQuarantined { .. } => "event.worker_quarantined",
            Line::WorkerQuarantineEnded { .. } => "event.worker_quarantine_ended",
            Line::WorkerRemoved { .. } => "event.worker_removed",
            Line::TaskAccepted { .. } => "event.task_accepted",
            Line::TaskAssigned { .. } => "event.task_assigned",
            Line::TaskRequeued { .. } => "event.task_requeued",
            Line::TaskRecalled { .. } => "event.task_recalled",
            Line::TaskMigrated { .. } => "event.task_migrated",
            Line::TaskDone { .. } => "event.task_completed",
            Line::TaskFailedForGood { .. } => "event.task_failed",
            Line::TaskCancelled { .. } => "event.task_cancelled",
            Line::TaskUnschedulable { .. } => "event.task_unschedulable",
            Line::CommandRejected { .. } => "event.command_rejected",
            Line::SimWorker { .. } => "sim.worker",
            Line::SimArrival { .. } => "sim.arrival",
            Line::SimReport { .. } => "sim.report",
            Line::End { .. } => "end",
        }
    }
}

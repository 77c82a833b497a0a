//! The messages that cross the engine's API: commands in, events out, and the typed errors of each
//! operation. These are the engine's own types; wire and persisted forms are separate DTOs.

use std::fmt;

use bevy_ecs::prelude::*;

use crate::capability::{BrowserSet, HardwareSet};
use crate::clock::Timestamp;
use crate::config::PolicyName;
use crate::family::TestType;
use crate::history::PredictionSource;
use crate::ids::{TaskId, WorkerId};
use crate::requirements::GpuDemand;
use crate::symbols::SymbolError;
use crate::task::{PlacementMethod, TaskState};
use crate::worker::HealthState;

/// One GPU device as a worker reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GpuSpec {
    /// The device model (`A10`, `V100M32`, …), if known.
    pub model: Option<String>,
    /// Device memory, in MiB.
    pub memory_mib: u64,
}

/// A worker as a coordinator registers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerSpec {
    /// Its id (unique among live workers).
    pub id: WorkerId,
    /// Hardware kinds it runs tests on.
    pub hardware: HardwareSet,
    /// Browsers it hosts.
    pub browsers: BrowserSet,
    /// CPU, in milli-cores.
    pub cpu_milli: u32,
    /// Host memory, in MiB.
    pub memory_mib: u64,
    /// Tasks it runs at once (at least 1).
    pub slots: u32,
    /// GPU devices.
    pub gpus: Vec<GpuSpec>,
    /// Free-form tags.
    pub tags: Vec<String>,
}

/// What a task needs, as a coordinator states it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RequirementSpec {
    /// The worker must offer one of these hardware kinds (empty: any).
    pub hardware_any: HardwareSet,
    /// The worker must host one of these browsers (empty: none needed).
    pub browsers_any: BrowserSet,
    /// CPU reserved while it runs, in milli-cores.
    pub cpu_milli: u32,
    /// Host memory reserved while it runs, in MiB.
    pub memory_mib: u64,
    /// GPU devices reserved while it runs.
    pub gpu: GpuDemand,
    /// Allowed GPU models (empty: any).
    pub gpu_models: Vec<String>,
    /// Tags the worker must carry.
    pub tags: Vec<String>,
}

/// A task as a coordinator submits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSpec {
    /// Its id (never reused).
    pub id: TaskId,
    /// 0 (lowest) to 9 (most urgent).
    pub priority: u8,
    /// The model under test (`openai/whisper-tiny`, …).
    pub model_id: Option<String>,
    /// The kind of test.
    pub test_type: TestType,
    /// Hard requirements.
    pub requirements: RequirementSpec,
    /// An attempt running longer than this fails, in milliseconds. It counts from the attempt's
    /// placement when its worker had a free slot (it can start at once), else from its start (its
    /// `TaskStarted`): time spent in a worker's run queue does not count.
    pub timeout_ms: Option<u64>,
    /// When the coordinator wants it done.
    pub deadline: Option<Timestamp>,
    /// Tasks sharing a key never run at the same time.
    pub concurrency_key: Option<String>,
    /// At most this many attempts (defaults to the engine's `attempts_max`, never more).
    pub attempts_max: Option<u8>,
    /// A calibration task: a short, known test that measures a new worker's speed. It goes first to an
    /// eligible worker with no completion yet (the newest), and only when there is none is it placed
    /// like any other task.
    pub calibration: bool,
}

impl TaskSpec {
    /// A task with default fields: priority 5, inference, no requirements.
    pub fn new(id: TaskId) -> TaskSpec {
        TaskSpec {
            id,
            priority: 5,
            model_id: None,
            test_type: TestType::Inference,
            requirements: RequirementSpec::default(),
            timeout_ms: None,
            deadline: None,
            concurrency_key: None,
            attempts_max: None,
            calibration: false,
        }
    }
}

/// Utilization a worker reports with its heartbeat, as fractions in `0.0..=1.0`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UtilizationReport {
    /// CPU busy fraction.
    pub cpu: f32,
    /// Memory used fraction.
    pub memory: f32,
    /// GPU busy fraction.
    pub gpu: f32,
    /// How hot the machine is, if it reports it: 0 cool, 0.5 where it starts to throttle, 1 throttled
    /// hard (e.g. from its temperature between idle and throttling). It replaces the engine's estimate
    /// from load (see `ballast_systems::health`).
    pub heat: Option<f32>,
}

/// An inbound command. The set is closed: every coordinator interaction is one of these.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Adds a worker to the pool.
    RegisterWorker(WorkerSpec),
    /// The worker is alive, optionally with its utilization.
    Heartbeat {
        /// The worker.
        worker: WorkerId,
        /// Its utilization.
        utilization: Option<UtilizationReport>,
    },
    /// The worker takes no new work and leaves once its tasks end.
    DrainWorker {
        /// The worker.
        worker: WorkerId,
    },
    /// The worker leaves now; its tasks are requeued.
    RemoveWorker {
        /// The worker.
        worker: WorkerId,
    },
    /// Submits one task.
    SubmitTask(TaskSpec),
    /// Submits many tasks; each is accepted or refused on its own.
    SubmitBatch(Vec<TaskSpec>),
    /// Cancels a task (pending, assigned or running).
    CancelTask {
        /// The task.
        task: TaskId,
    },
    /// The worker started the task.
    TaskStarted {
        /// The task.
        task: TaskId,
        /// The worker.
        worker: WorkerId,
    },
    /// The task finished successfully on the worker.
    TaskCompleted {
        /// The task.
        task: TaskId,
        /// The worker.
        worker: WorkerId,
        /// How long it ran, in nanoseconds.
        duration_ns: u64,
    },
    /// The worker gives back a task assigned to it that it has not started, and will not start it: the
    /// answer to [`Event::TaskRecalled`] (or a worker shedding its run queue). Refused once it started.
    TaskReleased {
        /// The task.
        task: TaskId,
        /// The worker.
        worker: WorkerId,
    },
    /// The task's attempt failed on the worker.
    TaskFailed {
        /// The task.
        task: TaskId,
        /// The worker.
        worker: WorkerId,
        /// What went wrong.
        reason: String,
        /// Whether another attempt may succeed (an infrastructure error rather than a test failure).
        retryable: bool,
    },
}

/// The kind of a command, for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// [`Command::RegisterWorker`].
    RegisterWorker,
    /// [`Command::Heartbeat`].
    Heartbeat,
    /// [`Command::DrainWorker`].
    DrainWorker,
    /// [`Command::RemoveWorker`].
    RemoveWorker,
    /// [`Command::SubmitTask`] or one task of [`Command::SubmitBatch`].
    SubmitTask,
    /// [`Command::SubmitBatch`] as a whole.
    SubmitBatch,
    /// [`Command::CancelTask`].
    CancelTask,
    /// [`Command::TaskStarted`].
    TaskStarted,
    /// [`Command::TaskCompleted`].
    TaskCompleted,
    /// [`Command::TaskFailed`].
    TaskFailed,
    /// [`Command::TaskReleased`].
    TaskReleased,
}

impl Command {
    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::RegisterWorker(_) => CommandKind::RegisterWorker,
            Command::Heartbeat { .. } => CommandKind::Heartbeat,
            Command::DrainWorker { .. } => CommandKind::DrainWorker,
            Command::RemoveWorker { .. } => CommandKind::RemoveWorker,
            Command::SubmitTask(_) => CommandKind::SubmitTask,
            Command::SubmitBatch(_) => CommandKind::SubmitBatch,
            Command::CancelTask { .. } => CommandKind::CancelTask,
            Command::TaskStarted { .. } => CommandKind::TaskStarted,
            Command::TaskCompleted { .. } => CommandKind::TaskCompleted,
            Command::TaskFailed { .. } => CommandKind::TaskFailed,
            Command::TaskReleased { .. } => CommandKind::TaskReleased,
        }
    }
}

/// Why a worker left the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RemovalReason {
    /// The coordinator removed it.
    Removed,
    /// It drained and its last task ended.
    Drained,
    /// Its heartbeats stopped for longer than `heartbeat_lost_after_ms`.
    Lost,
}

/// Why a task went back to the pending queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequeueReason {
    /// The worker reported a retryable failure.
    AttemptFailed,
    /// The attempt ran past the task's timeout.
    TimedOut,
    /// The worker became unresponsive, was lost or was removed.
    WorkerLost,
    /// The worker gave back a queued task it had not started (answering a recall, or of its own
    /// accord), and no idle worker could take it straight away.
    Released,
}

/// Why a task failed for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureReason {
    /// The worker reported a failure that is not retryable.
    Reported(String),
    /// Its last allowed attempt ended without completing.
    AttemptsExhausted {
        /// Attempts taken.
        attempts: u8,
        /// How the last one ended.
        last: RequeueReason,
    },
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureReason::Reported(reason) => write!(f, "worker reported: {reason}"),
            FailureReason::AttemptsExhausted { attempts, last } => {
                write!(f, "{attempts} attempts exhausted, the last {}", requeue_reason_text(*last))
            }
        }
    }
}

fn requeue_reason_text(reason: RequeueReason) -> &'static str {
    match reason {
        RequeueReason::AttemptFailed => "failed",
        RequeueReason::TimedOut => "timed out",
        RequeueReason::Released => "given back unstarted",
        RequeueReason::WorkerLost => "lost its worker",
    }
}

/// One requirement of a task, as explain reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// One of these hardware kinds.
    Hardware(HardwareSet),
    /// One of these browsers.
    Browser(BrowserSet),
    /// At least this much CPU, in milli-cores.
    CpuMilli(u32),
    /// At least this much memory, in MiB.
    MemoryMib(u64),
    /// Enough GPU devices of enough memory.
    Gpu(GpuDemand),
    /// One of these GPU models.
    GpuModels(Vec<String>),
    /// This tag.
    Tag(String),
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Hardware(set) => write!(f, "{set}"),
            Filter::Browser(set) => write!(f, "browser {set}"),
            Filter::CpuMilli(milli) => write!(f, "cpu >= {milli}m"),
            Filter::MemoryMib(mib) => write!(f, "memory >= {mib} MiB"),
            Filter::Gpu(gpu) => {
                write!(f, "{} gpu", gpu.count)?;
                if gpu.milli < 1000 {
                    write!(f, " x {}m", gpu.milli)?;
                }
                if gpu.memory_mib > 0 {
                    write!(f, " with {} MiB", gpu.memory_mib)?;
                }
                Ok(())
            }
            Filter::GpuModels(models) => write!(f, "gpu model {}", models.join("|")),
            Filter::Tag(tag) => write!(f, "tag {tag}"),
        }
    }
}

/// How many registered workers one requirement excludes on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterCount {
    /// The requirement.
    pub filter: Filter,
    /// Registered workers that do not meet it.
    pub excluded: u32,
}

/// Why a task is where it is: per requirement, how many workers it excluded; then how many eligible
/// workers were unavailable, busy, or free.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The task.
    pub task: TaskId,
    /// Its state.
    pub state: TaskState,
    /// Registered workers (draining ones included).
    pub workers_registered: u32,
    /// Each requirement with the workers it excludes on its own.
    pub filters: Vec<FilterCount>,
    /// Workers that meet every requirement and are not draining.
    pub eligible: u32,
    /// Eligible workers that are suspect or unresponsive.
    pub unhealthy: u32,
    /// Eligible, healthy workers without room for it now.
    pub busy: u32,
    /// Eligible, healthy workers with room for it now.
    pub available: u32,
    /// The concurrency key it waits for, if another task holds it.
    pub waiting_for_key: Option<String>,
    /// Pending tasks of its class ahead of it.
    pub queued_ahead: Option<u64>,
    /// Where it was placed and why, while assigned or running.
    pub placement: Option<PlacementExplanation>,
}

/// One term of a placement's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactorKind {
    /// The predicted run time on the worker, in seconds.
    PredictedRun,
    /// The predicted wait for a slot on the worker (its run queue), in seconds.
    WaitForSlot,
    /// The worker's dominant reserved share with the task, 0 to 1.
    Load,
    /// The seats the task takes from more constrained work under pressure (GPU, browser or big-memory
    /// tasks left waiting), weighed by that pressure: 0 none, 1 one seat of work under full pressure.
    IdleScarceCapabilities,
    /// The family's smoothed success rate on the worker, 0 to 1.
    SuccessRate,
    /// Whether the task's model was warm on the worker (1) or not (0).
    WarmModel,
    /// How far off the predicted run may be, in seconds (see `Prediction::uncertainty_ns`).
    PredictionUncertainty,
}

impl FactorKind {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            FactorKind::PredictedRun => "predicted run",
            FactorKind::WaitForSlot => "wait for a slot",
            FactorKind::Load => "load",
            FactorKind::IdleScarceCapabilities => "idle scarce capabilities",
            FactorKind::SuccessRate => "success rate",
            FactorKind::WarmModel => "warm model",
            FactorKind::PredictionUncertainty => "prediction uncertainty",
        }
    }
}

/// One term of a placement's score: its input, and what it added to the cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Factor {
    /// The term.
    pub kind: FactorKind,
    /// Its input (seconds, a fraction, or 1/0 for a yes/no term; see [`FactorKind`]).
    pub value: f64,
    /// What it added to the placement's cost, in seconds of expected completion (negative: it lowered
    /// the cost); `None` when the policy does not weigh it.
    pub cost_seconds: Option<f64>,
}

/// Where a task was placed and why: the policy, how it chose, and the terms of the score, the largest
/// first.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementExplanation {
    /// The worker.
    pub worker: WorkerId,
    /// The policy that placed it.
    pub policy: PolicyName,
    /// How the match stage chose.
    pub method: PlacementMethod,
    /// Where the run-time prediction came from.
    pub prediction_source: PredictionSource,
    /// The score's terms: weighed ones by the size of their part in the cost, then the others.
    pub factors: Vec<Factor>,
}

impl fmt::Display for PlacementExplanation {
    /// `on w7 by composite (batch): predicted run 12.0 s (model on worker) +12.0 s, load 0.25 +0.4 s, …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "on {} by {} ({})", self.worker, self.policy.name(), self.method.name())?;
        for (position, factor) in self.factors.iter().enumerate() {
            f.write_str(if position == 0 { ": " } else { ", " })?;
            match factor.kind {
                FactorKind::PredictedRun => {
                    write!(f, "predicted run {:.1} s ({})", factor.value, self.prediction_source.name())?;
                }
                FactorKind::WaitForSlot => write!(f, "wait for a slot {:.1} s", factor.value)?,
                FactorKind::PredictionUncertainty => write!(f, "prediction uncertainty ±{:.1} s", factor.value)?,
                FactorKind::Load | FactorKind::SuccessRate | FactorKind::IdleScarceCapabilities => {
                    write!(f, "{} {:.2}", factor.kind.name(), factor.value)?;
                }
                FactorKind::WarmModel => {
                    write!(f, "{} {}", factor.kind.name(), if factor.value > 0.0 { "yes" } else { "no" })?;
                }
            }
            if let Some(seconds) = factor.cost_seconds {
                write!(f, " {seconds:+.1} s")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    /// One line: `t3 pending: 12 eligible workers all busy` or `t0 unschedulable: no worker has gpu`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.task, self.state.name())?;
        if self.eligible == 0 {
            let registered = self.workers_registered;
            if registered == 0 {
                return f.write_str("no worker is registered");
            }
            if let Some(all) = self.filters.iter().find(|count| count.excluded == registered) {
                return write!(f, "no worker has {}", all.filter);
            }
            f.write_str("no worker meets every requirement (")?;
            for (position, count) in self.filters.iter().filter(|count| count.excluded > 0).enumerate() {
                if position > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{} excludes {} of {registered}", count.filter, count.excluded)?;
            }
            return f.write_str(")");
        }
        write!(f, "{} eligible", self.eligible)?;
        if self.unhealthy > 0 {
            write!(f, ", {} unhealthy", self.unhealthy)?;
        }
        write!(f, ", {} busy, {} available", self.busy, self.available)?;
        if let Some(key) = &self.waiting_for_key {
            write!(f, "; waits for key {key}")?;
        }
        if let Some(ahead) = self.queued_ahead {
            write!(f, "; {ahead} queued ahead")?;
        }
        if let Some(placement) = &self.placement {
            write!(f, "; {placement}")?;
        }
        Ok(())
    }
}

/// An outbound event: a fact the engine reports.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A worker joined the pool.
    WorkerRegistered {
        /// The worker.
        worker: WorkerId,
    },
    /// A worker's health changed.
    WorkerHealthChanged {
        /// The worker.
        worker: WorkerId,
        /// The old state.
        from: HealthState,
        /// The new state.
        to: HealthState,
    },
    /// A worker started draining.
    WorkerDraining {
        /// The worker.
        worker: WorkerId,
    },
    /// A worker failed too many of its recent attempts: it gets no new work until `until`.
    WorkerQuarantined {
        /// The worker.
        worker: WorkerId,
        /// Its recent failure rate, in thousandths.
        failure_permille: u32,
        /// When the quarantine ends.
        until: Timestamp,
    },
    /// A worker's quarantine ended: it takes work again, on probation.
    WorkerQuarantineEnded {
        /// The worker.
        worker: WorkerId,
    },
    /// A worker left the pool.
    WorkerRemoved {
        /// The worker.
        worker: WorkerId,
        /// Why.
        reason: RemovalReason,
        /// How many of its tasks went back to the queue (or failed, when out of attempts).
        tasks_released: u32,
    },
    /// A task was accepted.
    TaskAccepted {
        /// The task.
        task: TaskId,
    },
    /// A task was placed on a worker: the coordinator should start it there.
    TaskAssigned {
        /// The task.
        task: TaskId,
        /// The worker.
        worker: WorkerId,
        /// Which attempt this is (1-based).
        attempt: u8,
    },
    /// Work stealing: the engine asks for a queued task back from its worker, for an idle one. The
    /// coordinator answers with [`Command::TaskReleased`] if the worker has not started it, and
    /// otherwise lets it run (its [`Command::TaskStarted`] ends the recall). Until then the task
    /// stays on `worker`.
    TaskRecalled {
        /// The task.
        task: TaskId,
        /// The worker holding it.
        worker: WorkerId,
        /// The idle worker meant to take it.
        to: WorkerId,
    },
    /// A task given back by `from` was placed on `to` in the same step: the coordinator should start
    /// it there. Like [`Event::TaskAssigned`], with the worker it left.
    TaskMigrated {
        /// The task.
        task: TaskId,
        /// The worker it left.
        from: WorkerId,
        /// The worker it is on now.
        to: WorkerId,
        /// The assignment's number (1-based; moves are numbered but do not use up attempts).
        attempt: u8,
    },
    /// A task went back to the pending queue.
    TaskRequeued {
        /// The task.
        task: TaskId,
        /// The worker it left.
        worker: WorkerId,
        /// Why.
        reason: RequeueReason,
    },
    /// A task finished successfully.
    TaskCompleted {
        /// The task.
        task: TaskId,
        /// The worker.
        worker: WorkerId,
        /// How long it ran, in nanoseconds.
        duration_ns: u64,
    },
    /// A task failed for good.
    TaskFailed {
        /// The task.
        task: TaskId,
        /// The worker of its last attempt, if any.
        worker: Option<WorkerId>,
        /// Why.
        reason: FailureReason,
    },
    /// A task was cancelled. If it was assigned or running, the coordinator should stop it.
    TaskCancelled {
        /// The task.
        task: TaskId,
        /// The worker it was placed on, if any.
        worker: Option<WorkerId>,
    },
    /// No registered worker could ever run the task.
    TaskUnschedulable {
        /// The task.
        task: TaskId,
        /// Why, per requirement.
        explanation: Box<Explanation>,
    },
    /// A command was refused.
    CommandRejected {
        /// What kind of command.
        command: CommandKind,
        /// Why.
        error: CommandError,
    },
}

/// Why a worker registration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// A live worker has this id.
    #[error("worker {0} is already registered")]
    Duplicate(WorkerId),
    /// The pool is full.
    #[error("the pool holds the maximum of {max} workers")]
    PoolFull {
        /// The maximum.
        max: u32,
    },
    /// A numeric field is out of range.
    #[error("worker {worker}: {field} is {value}, outside {range}")]
    OutOfRange {
        /// The worker.
        worker: WorkerId,
        /// The field.
        field: &'static str,
        /// The value.
        value: u64,
        /// The allowed range.
        range: String,
    },
    /// A string field is not acceptable.
    #[error("worker {worker}: {field}: {error}")]
    BadString {
        /// The worker.
        worker: WorkerId,
        /// The field.
        field: &'static str,
        /// What is wrong.
        error: SymbolError,
    },
}

/// Why a command about an existing worker was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerCommandError {
    /// No live worker has this id.
    #[error("worker {0} is not registered")]
    UnknownWorker(WorkerId),
    /// A utilization figure is not a fraction in 0..=1.
    #[error("worker {worker}: utilization {field} is {value}, not a fraction in 0..=1")]
    BadUtilization {
        /// The worker.
        worker: WorkerId,
        /// Which figure.
        field: &'static str,
        /// The value.
        value: f32,
    },
}

/// Why a task submission was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// A task with this id was accepted before.
    #[error("task {0} was already submitted")]
    Duplicate(TaskId),
    /// The batch holds no task.
    #[error("the batch is empty")]
    EmptyBatch,
    /// The batch is too long.
    #[error("the batch holds {len} tasks, more than the maximum of {max}")]
    BatchTooLarge {
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The engine holds the maximum of live tasks.
    #[error("task {task}: the engine holds the maximum of {max} live tasks")]
    QueueFull {
        /// The task.
        task: TaskId,
        /// The maximum.
        max: u64,
    },
    /// Admission control sheds load: too many tasks wait unplaced. Nothing of the task was kept;
    /// submit it again after `retry_after_ms`.
    #[error("task {task}: {pending} tasks are waiting to be placed; retry in {retry_after_ms} ms")]
    Overloaded {
        /// The task.
        task: TaskId,
        /// Tasks waiting when it was judged.
        pending: u64,
        /// When to try again, in milliseconds.
        retry_after_ms: u64,
    },
    /// Admission control defers submissions for now (many tasks wait, or the engine is busy): the task
    /// was not accepted; submit it again after `retry_after_ms`.
    #[error("task {task}: deferred ({pending} tasks are waiting to be placed); submit it again in {retry_after_ms} ms")]
    Deferred {
        /// The task.
        task: TaskId,
        /// Tasks waiting when it was judged.
        pending: u64,
        /// When to submit it again, in milliseconds.
        retry_after_ms: u64,
    },
    /// A numeric field is out of range.
    #[error("task {task}: {field} is {value}, outside {range}")]
    OutOfRange {
        /// The task.
        task: TaskId,
        /// The field.
        field: &'static str,
        /// The value.
        value: u64,
        /// The allowed range.
        range: String,
    },
    /// A string field is not acceptable.
    #[error("task {task}: {field}: {error}")]
    BadString {
        /// The task.
        task: TaskId,
        /// The field.
        field: &'static str,
        /// What is wrong.
        error: SymbolError,
    },
    /// Too many distinct requirement sets exist.
    #[error("task {task}: {max} distinct requirement sets exist already")]
    TooManyRequirementSets {
        /// The task.
        task: TaskId,
        /// The maximum.
        max: usize,
    },
}

/// Why a command about an existing task was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskCommandError {
    /// No live task has this id (it was never submitted, or it has ended).
    #[error("task {0} is not live (never submitted, or already ended)")]
    UnknownTask(TaskId),
    /// No live worker has this id.
    #[error("worker {0} is not registered")]
    UnknownWorker(WorkerId),
    /// The task is not placed on that worker (a stale report, e.g. after a requeue).
    #[error("task {task} is {state} and not placed on worker {worker}")]
    NotOnWorker {
        /// The task.
        task: TaskId,
        /// The worker that reported.
        worker: WorkerId,
        /// The task's state.
        state: &'static str,
    },
    /// The task already started.
    #[error("task {0} already started")]
    AlreadyStarted(TaskId),
}

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A registration.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// A heartbeat, drain or removal.
    #[error(transparent)]
    Worker(#[from] WorkerCommandError),
    /// A submission.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// A cancel or a task report.
    #[error(transparent)]
    Task(#[from] TaskCommandError),
    /// The inbox holds the maximum of commands waiting for the next tick.
    #[error("the inbox holds the maximum of {max} commands; tick the engine first")]
    InboxFull {
        /// The maximum.
        max: usize,
    },
}

/// Commands waiting for the next tick's admit stage.
#[derive(Resource, Debug, Default)]
pub struct Inbox {
    /// In arrival order.
    pub commands: Vec<Command>,
}

/// Events produced by ticks and not yet taken by the embedder.
#[derive(Resource, Debug, Default)]
pub struct Outbox {
    /// In the order they happened.
    pub events: Vec<Event>,
}

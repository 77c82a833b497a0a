//! The protocol's bodies: what `POST /v1/commands` takes and answers, the error body every refusal
//! carries, and the views of tasks, workers and the engine's state. Commands and events themselves
//! travel in the recording's form (`crate::record::Line`, without `t`): one wire form for a session on
//! the wire and a recording on disk. These types are also what `GET /openapi.json` describes.

use serde::Serialize;
use utoipa::ToSchema;

use ballast_components::message::{
    Command, CommandError, RegisterError, SubmitError, TaskCommandError, WorkerCommandError,
};

/// A refusal: a stable `kind` (the protocol's error names, `docs/PROTOCOL.md`), a message for people,
/// and for backpressure when to try again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The stable name of the error (`duplicate_task`, `unknown_worker`, `deferred`, `bad_json`, …).
    pub kind: &'static str,
    /// What happened, for people.
    pub message: String,
    /// For `deferred` and `overloaded`: when to send it again, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// For `events_not_retained`: the oldest event still retained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_retained: Option<u64>,
}

impl ErrorBody {
    /// An error of `kind` saying `message`.
    pub fn new(kind: &'static str, message: impl Into<String>) -> ErrorBody {
        ErrorBody { kind, message: message.into(), retry_after_ms: None, first_retained: None }
    }
}

/// `{"error": …}`: the body of every refused request, and the result of every refused command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorReply {
    /// The refusal.
    pub error: ErrorBody,
}

/// One task of a batch that was refused, with its place in the batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RejectedTask {
    /// The task's id.
    pub task: u64,
    /// Its index in the batch (0-based).
    pub index: usize,
    /// Why.
    pub error: ErrorBody,
}

/// The result of one command: `{"ok":true}` (a batch adds how many were accepted and which were
/// refused) or `{"error":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CommandResult {
    /// Applied (and durable).
    Ok {
        /// Always true.
        ok: bool,
        /// For `command.submit_batch`: the tasks accepted.
        #[serde(skip_serializing_if = "Option::is_none")]
        accepted: Option<usize>,
        /// For `command.submit_batch`: the tasks refused, each with its reason.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        rejected: Vec<RejectedTask>,
    },
    /// Refused: nothing of it was applied.
    Error {
        /// Why.
        error: ErrorBody,
    },
}

impl CommandResult {
    /// `{"ok":true}`.
    pub fn ok() -> CommandResult {
        CommandResult::Ok { ok: true, accepted: None, rejected: Vec::new() }
    }

    /// `{"error":{…}}`.
    pub fn error(error: ErrorBody) -> CommandResult {
        CommandResult::Error { error }
    }

    /// Whether the command was applied.
    pub fn is_ok(&self) -> bool {
        matches!(self, CommandResult::Ok { .. })
    }
}

/// The reply of `POST /v1/commands`: one result per command, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommandsReply {
    /// The results.
    pub results: Vec<CommandResult>,
}

/// A command as the HTTP threads parsed it, for the engine thread: the engine's command and, for a
/// submission, each task's canonical JSON for the journal (serialized off the engine's thread).
#[derive(Debug)]
pub enum Parsed {
    /// A command the engine will judge.
    Command {
        /// The command.
        command: Command,
        /// For `submit_task` and `submit_batch`: each task's `TaskDto` JSON, in order.
        tasks_json: Vec<Box<str>>,
    },
    /// Refused before it reached the engine (not a command, a kind that is not a command, …).
    Refused(ErrorBody),
}

/// The stable error name and message of an engine refusal.
pub fn command_error(error: &CommandError) -> ErrorBody {
    match error {
        CommandError::Register(error) => register_error(error),
        CommandError::Worker(error) => worker_error(error),
        CommandError::Submit(error) => submit_error(error),
        CommandError::Task(error) => task_error(error),
        CommandError::InboxFull { .. } => ErrorBody::new("inbox_full", error.to_string()),
        other => ErrorBody::new("rejected", other.to_string()),
    }
}

fn register_error(error: &RegisterError) -> ErrorBody {
    let kind = match error {
        RegisterError::Duplicate(_) => "duplicate_worker",
        RegisterError::PoolFull { .. } => "pool_full",
        RegisterError::OutOfRange { .. } => "out_of_range",
        RegisterError::BadString { .. } => "bad_string",
        _ => "rejected",
    };
    ErrorBody::new(kind, error.to_string())
}

fn worker_error(error: &WorkerCommandError) -> ErrorBody {
    let kind = match error {
        WorkerCommandError::UnknownWorker(_) => "unknown_worker",
        WorkerCommandError::BadUtilization { .. } => "bad_utilization",
        _ => "rejected",
    };
    ErrorBody::new(kind, error.to_string())
}

/// The stable error name, message and retry hint of a refused submission.
pub fn submit_error(error: &SubmitError) -> ErrorBody {
    let (kind, retry_after_ms) = match error {
        SubmitError::Duplicate(_) => ("duplicate_task", None),
        SubmitError::EmptyBatch => ("empty_batch", None),
        SubmitError::BatchTooLarge { .. } => ("batch_too_large", None),
        SubmitError::QueueFull { .. } => ("queue_full", None),
        SubmitError::Overloaded { retry_after_ms, .. } => ("overloaded", Some(*retry_after_ms)),
        SubmitError::Deferred { retry_after_ms, .. } => ("deferred", Some(*retry_after_ms)),
        SubmitError::OutOfRange { .. } => ("out_of_range", None),
        SubmitError::BadString { .. } => ("bad_string", None),
        SubmitError::TooManyRequirementSets { .. } => ("too_many_requirement_sets", None),
        _ => ("rejected", None),
    };
    ErrorBody { kind, message: error.to_string(), retry_after_ms, first_retained: None }
}

fn task_error(error: &TaskCommandError) -> ErrorBody {
    let kind = match error {
        TaskCommandError::UnknownTask(_) => "unknown_task",
        TaskCommandError::UnknownWorker(_) => "unknown_worker",
        TaskCommandError::NotOnWorker { .. } => "not_on_worker",
        TaskCommandError::AlreadyStarted(_) => "already_started",
        _ => "rejected",
    };
    ErrorBody::new(kind, error.to_string())
}

/// One event with its sequence number, as `GET /v1/events` lists it (`event` is a recording
/// `event.*` line without `t`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct NumberedEvent {
    /// Its number: one more than the event before it, never reused.
    pub seq: u64,
    /// The event (see the `Event` schema).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// The reply of `GET /v1/events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventsPage {
    /// Events after the requested number, in order.
    pub events: Vec<NumberedEvent>,
    /// The number to ask after next time: the last event's, or the requested one when there is none.
    pub next: u64,
}

/// `GET /v1/tasks/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TaskInfo {
    /// The task.
    pub task: u64,
    /// `pending`, `assigned`, `running`, or `ended` (its end was reported as an event).
    pub state: &'static str,
    /// The worker it is placed on, while assigned or running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<u64>,
    /// Assignments that used up an attempt so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u8>,
    /// Its priority, 0 to 9.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// Its detected model family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<&'static str>,
    /// Why it is where it is, in one line (`engine.explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    /// The same, as figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<ExplanationInfo>,
}

/// `explain` as figures.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ExplanationInfo {
    /// Registered workers.
    pub workers_registered: u32,
    /// Workers that meet every requirement and are not draining.
    pub eligible: u32,
    /// Eligible workers that are suspect or unresponsive.
    pub unhealthy: u32,
    /// Eligible, healthy workers without room for it now.
    pub busy: u32,
    /// Eligible, healthy workers with room for it now.
    pub available: u32,
    /// Each requirement and the workers it excludes on its own.
    pub filters: Vec<FilterInfo>,
    /// Pending tasks of its class ahead of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_ahead: Option<u64>,
    /// The concurrency key it waits for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_for_key: Option<String>,
    /// How it was placed, while placed: the policy, the method and the score's terms in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
}

/// One requirement of `explain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FilterInfo {
    /// The requirement (`cuda`, `memory >= 4096 MiB`, …).
    pub filter: String,
    /// Registered workers it excludes on its own.
    pub excluded: u32,
}

/// `GET /v1/workers/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct WorkerInfo {
    /// The worker.
    pub worker: u64,
    /// `healthy`, `suspect` or `unresponsive`.
    pub health: &'static str,
    /// Whether it is draining.
    pub draining: bool,
    /// Whether it is quarantined (no new work for now).
    pub quarantined: bool,
    /// `cold`, `warming`, `warm`, `hot` or `cooling`.
    pub thermal: &'static str,
    /// Hardware kinds.
    pub hardware: Vec<&'static str>,
    /// Slots (tasks at once).
    pub slots: u32,
    /// Tasks placed on it (running and queued).
    pub tasks: usize,
    /// Reserved CPU, milli-cores, of its `cpu_milli`.
    pub cpu_milli_used: u32,
    /// Its CPU, milli-cores.
    pub cpu_milli: u32,
    /// Reserved memory, MiB, of its `memory_mib`.
    pub memory_mib_used: u64,
    /// Its memory, MiB.
    pub memory_mib: u64,
    /// Completions it reported.
    pub completed: u64,
    /// Attempts that failed on it.
    pub failed: u64,
}

/// `GET /v1/state`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct StateInfo {
    /// The engine's time, nanoseconds (it continues across restarts).
    pub now_ns: u64,
    /// Whether recovery is done.
    pub ready: bool,
    /// The number of the last event published.
    pub last_seq: u64,
    /// Live workers.
    pub workers: usize,
    /// Live tasks (pending, assigned or running).
    pub live_tasks: usize,
    /// Tasks placed (assigned or running).
    pub placed: u64,
    /// Tasks running.
    pub running: u64,
    /// `accepting`, `deferring` or `rejecting` (admission control).
    pub admission: &'static str,
    /// Pending tasks per requirement class (queue entries; a cancelled task counts until it reaches
    /// the head).
    pub queue_depth: Vec<QueueDepthInfo>,
    /// Workers per health state (`healthy`, `suspect`, `unresponsive`, and `draining` and
    /// `quarantined` beside them).
    pub workers_by_health: std::collections::BTreeMap<&'static str, u64>,
    /// Workers per thermal state.
    pub workers_by_thermal: std::collections::BTreeMap<&'static str, u64>,
    /// Counters since this process started.
    pub counters: CountersInfo,
}

/// One class's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueueDepthInfo {
    /// The class (a requirement set and a family).
    pub class: u32,
    /// Its family.
    pub family: &'static str,
    /// Its pending entries.
    pub pending: usize,
}

/// Counters of the engine since this process started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountersInfo {
    /// Tasks accepted.
    pub tasks_accepted: u64,
    /// Placements.
    pub placements: u64,
    /// Tasks completed.
    pub tasks_completed: u64,
    /// Tasks failed for good.
    pub tasks_failed: u64,
    /// Tasks cancelled.
    pub tasks_cancelled: u64,
    /// Tasks found unschedulable.
    pub tasks_unschedulable: u64,
    /// Requeues.
    pub requeues: u64,
    /// Work-stealing recalls.
    pub steals: u64,
    /// Moves of recalled tasks.
    pub migrations: u64,
    /// Submissions deferred by admission control.
    pub deferrals: u64,
    /// Submissions refused by admission control.
    pub rejections: u64,
    /// Commands refused.
    pub commands_rejected: u64,
    /// Quarantines.
    pub quarantines: u64,
}

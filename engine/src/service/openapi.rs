//! `GET /openapi.json`: the OpenAPI 3.1 document of the protocol, generated with utoipa from the
//! handlers' annotations and the types they answer with (`super::wire`), and from the recording DTOs
//! the commands and events carry (`crate::record`). `docs/openapi.json` is this document, committed;
//! a test checks that the two agree.
//!
//! Commands and events are the recording's lines without `t` (`docs/RECORDING.md`): their schemas
//! are built here from [`COMMANDS`] and [`EVENTS`], one object per kind with its fields, which a test
//! checks against the kinds the recording reader knows.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Components, RefOr};
use utoipa::{Modify, OpenApi};

use super::wire::{
    CommandResult, CommandsReply, CountersInfo, ErrorBody, ErrorReply, EventsPage, ExplanationInfo, FilterInfo,
    NumberedEvent, QueueDepthInfo, RejectedTask, StateInfo, TaskInfo, WorkerInfo,
};
use crate::record::{GpuDto, RequirementsDto, TaskDto, UtilizationDto, WorkerDto};

/// The type of a command's or event's field.
#[derive(Clone, Copy, Debug)]
pub enum FieldType {
    /// A whole number.
    Integer,
    /// True or false.
    Boolean,
    /// Text.
    Text,
    /// A schema of the document.
    Ref(&'static str),
    /// A list of a schema of the document.
    ListOf(&'static str),
}

/// One field: its name, type, whether it must be present, and what it means.
pub type Field = (&'static str, FieldType, bool, &'static str);

use FieldType::{Boolean, Integer, ListOf, Ref, Text};

/// The commands the protocol takes: kind, meaning, fields.
pub const COMMANDS: [(&str, &str, &[Field]); 11] = [
    (
        "command.register_worker",
        "Adds a worker to the pool.",
        &[("worker", Ref("WorkerDto"), true, "The registration.")],
    ),
    (
        "command.heartbeat",
        "The worker is alive, optionally with its utilization.",
        &[("worker", Integer, true, "The worker."), ("utilization", Ref("UtilizationDto"), false, "Its utilization.")],
    ),
    (
        "command.drain_worker",
        "The worker takes no new work and leaves once its tasks end.",
        &[("worker", Integer, true, "The worker.")],
    ),
    (
        "command.remove_worker",
        "The worker leaves now; its tasks are requeued.",
        &[("worker", Integer, true, "The worker.")],
    ),
    ("command.submit_task", "Submits one task.", &[("task", Ref("TaskDto"), true, "The task.")]),
    (
        "command.submit_batch",
        "Submits many tasks; each is accepted or refused on its own.",
        &[("tasks", ListOf("TaskDto"), true, "The tasks.")],
    ),
    ("command.cancel_task", "Cancels a task (pending, assigned or running).", &[("task", Integer, true, "The task.")]),
    (
        "command.task_started",
        "The worker started the task.",
        &[("task", Integer, true, "The task."), ("worker", Integer, true, "The worker.")],
    ),
    (
        "command.task_completed",
        "The task finished successfully on the worker.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, true, "The worker."),
            ("duration_ns", Integer, true, "How long it ran, in nanoseconds."),
        ],
    ),
    (
        "command.task_failed",
        "The task's attempt failed on the worker.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, true, "The worker."),
            ("reason", Text, true, "What went wrong."),
            ("retryable", Boolean, true, "Whether another attempt may succeed."),
        ],
    ),
    (
        "command.task_released",
        "The worker gives back a task it has not started (the answer to event.task_recalled).",
        &[("task", Integer, true, "The task."), ("worker", Integer, true, "The worker.")],
    ),
];

/// The events the engine publishes: kind, meaning, fields.
pub const EVENTS: [(&str, &str, &[Field]); 16] = [
    ("event.worker_registered", "A worker joined the pool.", &[("worker", Integer, true, "The worker.")]),
    (
        "event.worker_health_changed",
        "A worker's health changed (healthy, suspect, unresponsive).",
        &[
            ("worker", Integer, true, "The worker."),
            ("from", Text, true, "The old state."),
            ("to", Text, true, "The new state."),
        ],
    ),
    ("event.worker_draining", "A worker started draining.", &[("worker", Integer, true, "The worker.")]),
    (
        "event.worker_quarantined",
        "A worker failed too many of its recent attempts: no new work until `until_ns`.",
        &[
            ("worker", Integer, true, "The worker."),
            ("failure_permille", Integer, true, "Its recent failure rate, in thousandths."),
            ("until_ns", Integer, true, "When the quarantine ends, engine time."),
        ],
    ),
    ("event.worker_quarantine_ended", "A worker's quarantine ended.", &[("worker", Integer, true, "The worker.")]),
    (
        "event.worker_removed",
        "A worker left the pool (removed, drained or lost).",
        &[
            ("worker", Integer, true, "The worker."),
            ("reason", Text, true, "removed, drained or lost."),
            ("tasks_released", Integer, true, "How many of its tasks went back to the queue."),
        ],
    ),
    ("event.task_accepted", "A task was accepted.", &[("task", Integer, true, "The task.")]),
    (
        "event.task_assigned",
        "A task was placed on a worker: start it there.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, true, "The worker."),
            ("attempt", Integer, true, "The assignment's number, from 1."),
        ],
    ),
    (
        "event.task_requeued",
        "A task went back to the queue.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, true, "The worker it left."),
            ("reason", Text, true, "attempt_failed, timed_out, worker_lost or released."),
        ],
    ),
    (
        "event.task_recalled",
        "Work stealing: give this queued task back if the worker has not started it.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, true, "The worker holding it."),
            ("to", Integer, true, "The idle worker meant to take it."),
        ],
    ),
    (
        "event.task_migrated",
        "A task given back by `from` is now on `to`: start it there.",
        &[
            ("task", Integer, true, "The task."),
            ("from", Integer, true, "The worker it left."),
            ("to", Integer, true, "The worker it is on now."),
            ("attempt", Integer, true, "The assignment's number."),
        ],
    ),
    (
        "event.task_completed",
        "A task finished successfully.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, true, "The worker."),
            ("duration_ns", Integer, true, "How long it ran."),
        ],
    ),
    (
        "event.task_failed",
        "A task failed for good.",
        &[
            ("task", Integer, true, "The task."),
            ("worker", Integer, false, "The worker of its last attempt."),
            ("reason", Text, true, "Why."),
        ],
    ),
    (
        "event.task_cancelled",
        "A task was cancelled; stop it if it was placed.",
        &[("task", Integer, true, "The task."), ("worker", Integer, false, "The worker it was placed on.")],
    ),
    (
        "event.task_unschedulable",
        "No registered worker could ever run the task.",
        &[("task", Integer, true, "The task."), ("reason", Text, true, "Which requirement excluded how many workers.")],
    ),
    (
        "event.command_rejected",
        "A queued command was refused (not sent by the service, whose refusals are command results).",
        &[("command", Text, true, "The command's kind."), ("error", Text, true, "Why.")],
    ),
];

fn field_schema(field_type: FieldType, description: &str) -> RefOr<Schema> {
    let scalar = |kind: Type| -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(SchemaType::Type(kind)).description(Some(description)).build().into()
    };
    match field_type {
        Integer => scalar(Type::Integer),
        Boolean => scalar(Type::Boolean),
        Text => scalar(Type::String),
        Ref(name) => RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name)),
        ListOf(name) => ArrayBuilder::new()
            .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name)))
            .description(Some(description))
            .build()
            .into(),
    }
}

fn kinds_schema(kinds: &[(&str, &str, &[Field])], description: &str) -> Schema {
    let mut one_of = OneOfBuilder::new().description(Some(description));
    for (kind, meaning, fields) in kinds {
        let mut object = ObjectBuilder::new()
            .title(Some(*kind))
            .description(Some(*meaning))
            .property(
                "kind",
                ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some([*kind])),
            )
            .required("kind");
        for (name, field_type, required, field_description) in fields.iter() {
            object = object.property(*name, field_schema(*field_type, field_description));
            if *required {
                object = object.required(*name);
            }
        }
        one_of = one_of.item(object);
    }
    one_of.build().into()
}

/// Adds the `Command`, `Event` and `CommandsRequest` schemas.
struct WireKinds;

impl Modify for WireKinds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Components::new);
        components.schemas.insert(
            "Command".to_owned(),
            kinds_schema(&COMMANDS, "A command: a recording `command.*` line without `t`.").into(),
        );
        components.schemas.insert(
            "Event".to_owned(),
            kinds_schema(&EVENTS, "An event: a recording `event.*` line without `t`.").into(),
        );
        let request = ObjectBuilder::new()
            .description(Some("The body of POST /v1/commands."))
            .property(
                "commands",
                ArrayBuilder::new().items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Command"))),
            )
            .required("commands")
            .build();
        components.schemas.insert("CommandsRequest".to_owned(), request.into());
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ballast service protocol",
        version = "1",
        description = "The protocol of `ballast serve` (docs/PROTOCOL.md): commands in, numbered events out, every accepted command durable before its result is sent.",
        license(name = "MIT")
    ),
    paths(
        super::http::commands,
        super::http::events,
        super::http::stream,
        super::http::task,
        super::http::worker,
        super::http::engine_state,
        super::http::metrics,
        super::http::healthz,
        super::http::readyz,
        super::http::openapi,
    ),
    components(schemas(
        CommandsReply,
        CommandResult,
        ErrorReply,
        ErrorBody,
        RejectedTask,
        EventsPage,
        NumberedEvent,
        TaskInfo,
        ExplanationInfo,
        FilterInfo,
        WorkerInfo,
        StateInfo,
        QueueDepthInfo,
        CountersInfo,
        WorkerDto,
        TaskDto,
        RequirementsDto,
        GpuDto,
        UtilizationDto,
    )),
    modifiers(&WireKinds)
)]
struct ApiDoc;

/// The document, as pretty JSON with a final line end (as `docs/openapi.json` holds it).
pub fn document() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

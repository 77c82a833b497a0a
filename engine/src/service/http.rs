//! The HTTP side of the service: the routes of `docs/PROTOCOL.md`, the bearer-token check, bounded
//! bodies, and the start-up that recovers the journal and starts the engine and journal threads.
//!
//! Every refusal is `{"error":{"kind":…,"message":…}}` with a 4xx status for bad input (never a 5xx,
//! never a dropped connection), 429 with a retry hint when the engine thread has too many requests
//! waiting, and 503 only while recovering (`not_ready`) or when the journal failed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request as HttpRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use crossbeam_channel::{Sender, TrySendError};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::oneshot;

use ballast_components::clock::Timestamp;
use ballast_components::message::Command;

use super::core::{Core, Request};
use super::events::{Chunk, EventHub, PageError, SharedHub};
use super::journal::{self, Unit};
use super::metrics::JournalMetrics;
use super::wire::{CommandsReply, ErrorBody, ErrorReply, EventsPage, Parsed, StateInfo, TaskInfo, WorkerInfo};
use super::{ServeError, ServeOptions};
use crate::engine::Engine;
use crate::record::{KINDS, Line, TaskDto};

/// What the handlers share.
pub struct AppState {
    options: Arc<ServeOptions>,
    requests: OnceLock<Sender<Request>>,
    hub: OnceLock<SharedHub>,
    journal_metrics: JournalMetrics,
    ready: AtomicBool,
    stop: tokio::sync::watch::Sender<Option<String>>,
}

type Shared = Arc<AppState>;

/// A refused request: its status and `{"error":…}` body (with `Retry-After` for `overloaded`).
#[derive(Debug)]
pub struct Refusal(StatusCode, ErrorBody);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let retry = self.1.retry_after_ms;
        let mut response = (self.0, axum::Json(ErrorReply { error: self.1 })).into_response();
        if let Some(retry_after_ms) = retry {
            let seconds = retry_after_ms.div_ceil(1_000).max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&seconds) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

fn refuse(status: StatusCode, error: ErrorBody) -> Refusal {
    Refusal(status, error)
}

fn bad_request(kind: &'static str, message: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, ErrorBody::new(kind, message))
}

/// What a handler answers: its response, or a refusal.
type Answer = Result<Response, Refusal>;

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Runs the service on `options` (see [`super::serve`]).
pub async fn run(
    options: Arc<ServeOptions>,
    on_listening: Box<dyn FnOnce(SocketAddr) + Send>,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let address = listener.local_addr()?;
    let (stop, mut stopped) = tokio::sync::watch::channel(None);
    let state = Arc::new(AppState {
        options: options.clone(),
        requests: OnceLock::new(),
        hub: OnceLock::new(),
        journal_metrics: JournalMetrics::default(),
        ready: AtomicBool::new(false),
        stop,
    });
    on_listening(address);
    tracing::info!(%address, data = %options.data_dir.display(), "listening");
    let starting = state.clone();
    std::thread::Builder::new().name("ballast-recovery".to_owned()).spawn(move || {
        if let Err(error) = start(&starting) {
            tracing::error!(%error, "the service could not start");
            starting.stop.send_replace(Some(error.to_string()));
        }
    })?;
    let app = router(state.clone());
    let shutdown = async move {
        #[cfg(unix)]
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupted: stopping"),
            _ = async {
                #[cfg(unix)]
                if let Some(terminate) = terminate.as_mut() {
                    terminate.recv().await;
                    return;
                }
                std::future::pending::<()>().await
            } => tracing::info!("terminated: stopping"),
            _ = stopped.wait_for(Option::is_some) => {}
        }
    };
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    match state.stop.borrow().clone() {
        Some(error) => Err(ServeError::Stopped(error)),
        None => Ok(()),
    }
}

/// Recovers the journal, restores the engine and starts the journal and engine threads.
fn start(state: &Shared) -> Result<(), ServeError> {
    let options = &state.options;
    let started = std::time::Instant::now();
    let recovered = journal::recover(&options.data_dir, &options.limits)?;
    let read_seconds = started.elapsed().as_secs_f64();
    let mut ledger = recovered.ledger;
    let hub = Arc::new(EventHub::new(
        recovered.events.first().map_or(ledger.last_seq, |(seq, _)| seq - 1),
        options.limits.events_retained_max,
    ));
    if let Some((first_seq, _)) = recovered.events.first() {
        let first_seq = *first_seq;
        hub.publish(Chunk { first_seq, events: recovered.events.into_iter().map(|(_, json)| json).collect() });
    }
    let mut engine = Engine::new(options.engine.clone())?;
    let (workers, tasks, ended, runs) =
        ledger.restoration().map_err(|message| ServeError::Store { path: options.data_dir.clone(), message })?;
    let restore_at = Timestamp(ledger.tick_ns.saturating_add(1_000_000));
    let report = engine.restore(restore_at, workers, tasks, &ended);
    for problem in &report.problems {
        tracing::warn!(%problem, "restore");
    }
    let known: Vec<_> = runs.into_iter().filter(|run| engine.view().worker(run.worker).is_some()).collect();
    let imported = engine.import_history(known).unwrap_or(0);
    tracing::info!(
        workers = report.workers,
        pending = report.pending,
        placed = report.placed,
        history_runs = imported,
        last_seq = ledger.last_seq,
        journal_batches = recovered.batches_read,
        snapshot_lines = recovered.snapshot_lines,
        read_seconds,
        seconds = started.elapsed().as_secs_f64(),
        "recovered"
    );
    let limits = options.limits;
    let (unit_sender, units) = crossbeam_channel::bounded::<Unit>(limits.units_queued_max.max(1));
    let (request_sender, requests) = crossbeam_channel::bounded::<Request>(limits.requests_queued_max.max(1));
    let last_seq = ledger.last_seq;
    let time_base = restore_at.0;
    let store = recovered.store;
    let journal_hub = hub.clone();
    let metrics = state.journal_metrics.clone();
    let journal_state = state.clone();
    std::thread::Builder::new().name("ballast-journal".to_owned()).spawn(move || {
        if let Err(error) = journal::run(store, ledger, units, journal_hub, limits, metrics) {
            tracing::error!(%error, "the journal stopped: stopping the service");
            journal_state.stop.send_replace(Some(error));
        }
    })?;
    let core = Core::new(engine, last_seq, time_base, unit_sender, options.tick_interval);
    let core_state = state.clone();
    std::thread::Builder::new().name("ballast-engine".to_owned()).spawn(move || {
        if let Err(error) = core.run(requests) {
            tracing::error!(%error, "the engine thread stopped: stopping the service");
            core_state.stop.send_replace(Some(error));
        }
    })?;
    let _ = state.hub.set(hub);
    let _ = state.requests.set(request_sender);
    state.ready.store(true, Ordering::Release);
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "ready");
    Ok(())
}

fn router(state: Shared) -> Router {
    let protected = Router::new()
        .route("/v1/commands", post(commands))
        .route("/v1/events", get(events))
        .route("/v1/events/stream", get(stream))
        .route("/v1/tasks/{id}", get(task))
        .route("/v1/workers/{id}", get(worker))
        .route("/v1/state", get(engine_state))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route_layer(from_fn_with_state(state.clone(), authorize));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(protected)
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, ErrorBody::new("not_found", "no such path")) })
        .method_not_allowed_fallback(|| async {
            refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorBody::new("method_not_allowed", "this path takes another method"),
            )
        })
        .with_state(state)
}

/// Alive (the process answers), whether or not recovery is done.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Alive.")))]
pub(crate) async fn healthz() -> Response {
    json_response("{\"status\":\"ok\"}".to_owned())
}

/// Compares two byte strings in time that depends only on their lengths.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    given.iter().zip(expected).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

async fn authorize(State(state): State<Shared>, request: HttpRequest, next: Next) -> Response {
    if let Some(token) = &state.options.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "))
            .unwrap_or_default();
        if !same_token(given, token.as_bytes()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                ErrorBody::new("unauthorized", "a valid `Authorization: Bearer` token is required"),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Ready once the journal is recovered.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "Ready."),
        (status = 503, description = "Still recovering (`not_ready`).", body = ErrorReply),
    )
)]
pub(crate) async fn readyz(State(state): State<Shared>) -> Response {
    if state.ready.load(Ordering::Acquire) {
        json_response("{\"status\":\"ready\"}".to_owned())
    } else {
        refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorBody::new("not_ready", "recovering the journal")).into_response()
    }
}

fn engine_thread(state: &AppState) -> Result<&Sender<Request>, Refusal> {
    state
        .requests
        .get()
        .ok_or_else(|| refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorBody::new("not_ready", "recovering the journal")))
}

fn ask(state: &AppState, request: Request) -> Result<(), Refusal> {
    match engine_thread(state)?.try_send(request) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(_)) => {
            let mut error =
                ErrorBody::new("overloaded", "too many requests are waiting for the engine; send it again later");
            error.retry_after_ms = Some(100);
            Err(refuse(StatusCode::TOO_MANY_REQUESTS, error))
        }
        Err(TrySendError::Disconnected(_)) => {
            Err(refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorBody::new("shutting_down", "the engine thread stopped")))
        }
    }
}

async fn answer<T>(receiver: oneshot::Receiver<T>) -> Result<T, Refusal> {
    receiver.await.map_err(|_| {
        refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorBody::new("shutting_down", "the engine thread stopped"))
    })
}

#[derive(Deserialize)]
struct CommandsBody<'a> {
    #[serde(borrow)]
    commands: Vec<&'a RawValue>,
}

/// Parses one wire command: a recording `command.*` line without `t`.
fn parse_command(raw: &RawValue) -> Parsed {
    let line: Line<'_> = match serde_json::from_str(raw.get()) {
        Ok(line) => line,
        Err(error) => {
            let kind = serde_json::from_str::<serde_json::Value>(raw.get())
                .ok()
                .and_then(|value| value.get("kind").and_then(|kind| kind.as_str().map(str::to_owned)));
            let message = match kind {
                None => "a command is an object with a `kind`".to_owned(),
                Some(kind) if !KINDS.contains(&kind.as_str()) => {
                    format!("unknown kind `{}`", kind.chars().take(80).collect::<String>())
                }
                Some(kind) => format!("bad `{kind}`: {error}"),
            };
            return Parsed::Refused(ErrorBody::new("bad_command", message));
        }
    };
    let Some((_, command)) = line.to_command() else {
        return Parsed::Refused(ErrorBody::new(
            "bad_command",
            format!("`{}` is not a command this protocol takes (see docs/PROTOCOL.md)", line.kind()),
        ));
    };
    let tasks_json = match &command {
        Command::SubmitTask(spec) => vec![task_json(spec)],
        Command::SubmitBatch(specs) => specs.iter().map(task_json).collect(),
        _ => Vec::new(),
    };
    Parsed::Command { command, tasks_json }
}

fn task_json(spec: &ballast_components::message::TaskSpec) -> Box<str> {
    serde_json::to_string(&TaskDto::of(spec)).expect("a task serializes").into()
}

/// Applies commands, each with its result; answers once every accepted one is durable.
#[utoipa::path(
    post,
    path = "/v1/commands",
    request_body(content = ref("#/components/schemas/CommandsRequest"), description = "Commands, in order (recording `command.*` lines without `t`)."),
    responses(
        (status = 200, description = "One result per command, in order; every accepted command is durable.", body = CommandsReply),
        (status = 400, description = "Not JSON, not `{\"commands\":[…]}`, or too many commands.", body = ErrorReply),
        (status = 401, description = "A bearer token is required.", body = ErrorReply),
        (status = 413, description = "The body is over the limit.", body = ErrorReply),
        (status = 429, description = "Too many requests wait for the engine: send it again after `retry_after_ms`.", body = ErrorReply),
        (status = 503, description = "Recovering (`not_ready`), or the journal failed (`journal_failed`).", body = ErrorReply),
    )
)]
pub(crate) async fn commands(State(state): State<Shared>, body: Body) -> Answer {
    let limits = state.options.limits;
    let bytes = axum::body::to_bytes(body, limits.body_bytes_max).await.map_err(|error| {
        if error.into_inner().downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody::new("body_too_large", format!("the body is over {} bytes", limits.body_bytes_max)),
            )
        } else {
            bad_request("bad_request", "the body could not be read to its end")
        }
    })?;
    // Parsing a batch of 100,000 tasks takes tens of milliseconds: off the async workers.
    let commands = tokio::task::spawn_blocking(move || -> Result<Vec<Parsed>, Refusal> {
        let body: CommandsBody<'_> = serde_json::from_slice(&bytes)
            .map_err(|error| bad_request("bad_json", format!("the body is not `{{\"commands\":[…]}}`: {error}")))?;
        if body.commands.len() > limits.commands_per_request_max {
            return Err(bad_request(
                "too_many_commands",
                format!("{} commands, over the limit of {}", body.commands.len(), limits.commands_per_request_max),
            ));
        }
        Ok(body.commands.into_iter().map(parse_command).collect())
    })
    .await
    .map_err(|_| {
        refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorBody::new("shutting_down", "the service is stopping"))
    })??;
    let (reply, answered) = oneshot::channel();
    ask(&state, Request::Commands { commands, reply })?;
    match answer(answered).await? {
        Ok(reply) => Ok(axum::Json(reply).into_response()),
        Err(error) => Err(refuse(StatusCode::SERVICE_UNAVAILABLE, error)),
    }
}

#[derive(Deserialize)]
pub(crate) struct EventsQuery {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    wait_ms: Option<String>,
}

fn number_param(name: &str, value: Option<&str>, default: u64) -> Result<u64, Refusal> {
    match value {
        None => Ok(default),
        Some(text) => text.parse::<u64>().map_err(|_| {
            bad_request(
                "bad_request",
                format!("`{name}` must be a whole number, not `{}`", text.chars().take(40).collect::<String>()),
            )
        }),
    }
}

fn page_error(error: PageError) -> Refusal {
    match error {
        PageError::NotRetained { first_retained } => {
            let mut body = ErrorBody::new(
                "events_not_retained",
                format!("events before {first_retained} are no longer retained; the oldest kept is {first_retained}"),
            );
            body.first_retained = Some(first_retained);
            refuse(StatusCode::GONE, body)
        }
        PageError::Future { last_seq } => {
            bad_request("bad_request", format!("`after` is beyond the last event, {last_seq}"))
        }
    }
}

fn hub(state: &AppState) -> Result<&SharedHub, Refusal> {
    state
        .hub
        .get()
        .ok_or_else(|| refuse(StatusCode::SERVICE_UNAVAILABLE, ErrorBody::new("not_ready", "recovering the journal")))
}

/// The events after `after`, at most `limit`; waits up to `wait_ms` for the first one.
#[utoipa::path(
    get,
    path = "/v1/events",
    params(
        ("after" = Option<u64>, Query, description = "The number of the last event seen (0: from the start)."),
        ("limit" = Option<u64>, Query, description = "The most events to return (default 1,000)."),
        ("wait_ms" = Option<u64>, Query, description = "How long to wait for an event when there is none yet (a long poll)."),
    ),
    responses(
        (status = 200, description = "The events, in order.", body = EventsPage),
        (status = 400, description = "A bad parameter, or `after` beyond the last event.", body = ErrorReply),
        (status = 410, description = "Events after `after` are no longer all retained (`events_not_retained`).", body = ErrorReply),
    )
)]
pub(crate) async fn events(State(state): State<Shared>, Query(query): Query<EventsQuery>) -> Answer {
    let limits = state.options.limits;
    let after = number_param("after", query.after.as_deref(), 0)?;
    let limit = number_param("limit", query.limit.as_deref(), 1_000)?;
    let wait_ms = number_param("wait_ms", query.wait_ms.as_deref(), 0)?;
    if limit == 0 || limit > limits.events_per_page_max as u64 {
        return Err(bad_request("bad_request", format!("`limit` must be 1 to {}", limits.events_per_page_max)));
    }
    if wait_ms > limits.wait_ms_max {
        return Err(bad_request("bad_request", format!("`wait_ms` must be at most {}", limits.wait_ms_max)));
    }
    let hub = hub(&state)?.clone();
    let mut published = hub.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms);
    loop {
        let mut body = String::from("{\"events\":[");
        let (next, written) = hub.page(after, limit as usize, &mut body).map_err(page_error)?;
        if written > 0 || tokio::time::Instant::now() >= deadline {
            body.push_str("],\"next\":");
            body.push_str(&next.to_string());
            body.push('}');
            return Ok(json_response(body));
        }
        // Nothing yet: wait for the next publication or the deadline.
        if let Ok(Err(_)) = tokio::time::timeout_at(deadline, published.changed()).await {
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorBody::new("shutting_down", "the service is stopping"),
            ));
        }
    }
}

/// The events after `after` (or `Last-Event-ID`) as Server-Sent Events, `id:` the event's number.
#[utoipa::path(
    get,
    path = "/v1/events/stream",
    params(
        ("after" = Option<u64>, Query, description = "The number of the last event seen."),
        ("Last-Event-ID" = Option<u64>, Header, description = "The same, as a reconnecting client sends it; it wins over `after`."),
    ),
    responses(
        (status = 200, description = "A stream of `text/event-stream` events whose data is an Event.", content_type = "text/event-stream"),
        (status = 410, description = "Events after `after` are no longer all retained.", body = ErrorReply),
    )
)]
pub(crate) async fn stream(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Answer {
    let from_header =
        headers.get("last-event-id").and_then(|value| value.to_str().ok()).map(str::trim).map(str::to_owned);
    let after = number_param("Last-Event-ID", from_header.as_deref().or(query.after.as_deref()), 0)?;
    let hub = hub(&state)?.clone();
    // Refuse at once what cannot be served, with a status, rather than in the stream.
    hub.events_after(after, 1).map_err(page_error)?;
    let page_max = state.options.limits.events_per_page_max.min(10_000);
    let published = hub.subscribe();
    let events = futures_util::stream::unfold(
        (hub, published, after, std::collections::VecDeque::<(u64, Box<str>)>::new(), false),
        move |(hub, mut published, mut cursor, mut buffer, done)| async move {
            if done {
                return None;
            }
            loop {
                if let Some((seq, json)) = buffer.pop_front() {
                    cursor = seq;
                    let event = SseEvent::default().id(seq.to_string()).data(json.as_ref());
                    return Some((Ok::<_, std::convert::Infallible>(event), (hub, published, cursor, buffer, false)));
                }
                match hub.events_after(cursor, page_max) {
                    Ok(events) if !events.is_empty() => buffer.extend(events),
                    Ok(_) => {
                        if published.changed().await.is_err() {
                            return None;
                        }
                    }
                    Err(error) => {
                        let message = match error {
                            PageError::NotRetained { first_retained } => {
                                format!("{{\"kind\":\"events_not_retained\",\"first_retained\":{first_retained}}}")
                            }
                            PageError::Future { last_seq } => {
                                format!("{{\"kind\":\"bad_request\",\"last_seq\":{last_seq}}}")
                            }
                        };
                        let event = SseEvent::default().event("error").data(message);
                        return Some((Ok(event), (hub, published, cursor, buffer, true)));
                    }
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

fn id_param(text: &str, what: &str) -> Result<u64, Refusal> {
    text.parse::<u64>().map_err(|_| {
        bad_request(
            "bad_request",
            format!("a {what} id is a whole number, not `{}`", text.chars().take(40).collect::<String>()),
        )
    })
}

/// A task: its state, worker, attempts and explanation.
#[utoipa::path(
    get,
    path = "/v1/tasks/{id}",
    params(("id" = u64, Path, description = "The task's id.")),
    responses(
        (status = 200, description = "The task (`ended` once its end was published).", body = TaskInfo),
        (status = 404, description = "Never submitted (`unknown_task`).", body = ErrorReply),
    )
)]
pub(crate) async fn task(State(state): State<Shared>, Path(id): Path<String>) -> Answer {
    let id = id_param(&id, "task")?;
    let (reply, answered) = oneshot::channel();
    ask(&state, Request::Task { id, reply })?;
    match answer(answered).await? {
        Some(info) => Ok(axum::Json(info).into_response()),
        None => {
            Err(refuse(StatusCode::NOT_FOUND, ErrorBody::new("unknown_task", format!("task {id} was never submitted"))))
        }
    }
}

/// A worker: health, thermal state, load and history.
#[utoipa::path(
    get,
    path = "/v1/workers/{id}",
    params(("id" = u64, Path, description = "The worker's id.")),
    responses(
        (status = 200, description = "The worker.", body = WorkerInfo),
        (status = 404, description = "Not registered (`unknown_worker`).", body = ErrorReply),
    )
)]
pub(crate) async fn worker(State(state): State<Shared>, Path(id): Path<String>) -> Answer {
    let id = id_param(&id, "worker")?;
    let (reply, answered) = oneshot::channel();
    ask(&state, Request::Worker { id, reply })?;
    match answer(answered).await? {
        Some(info) => Ok(axum::Json(info).into_response()),
        None => Err(refuse(
            StatusCode::NOT_FOUND,
            ErrorBody::new("unknown_worker", format!("worker {id} is not registered")),
        )),
    }
}

/// The engine's state: counts, queue depth per class, workers per health and thermal state.
#[utoipa::path(get, path = "/v1/state", responses((status = 200, description = "The state.", body = StateInfo)))]
pub(crate) async fn engine_state(State(state): State<Shared>) -> Answer {
    let (reply, answered) = oneshot::channel();
    ask(&state, Request::State { reply })?;
    let mut info = answer(answered).await?;
    if let Some(hub) = state.hub.get() {
        info.last_seq = hub.last_seq();
    }
    Ok(axum::Json(info).into_response())
}

/// Prometheus text exposition (format 0.0.4).
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "The metrics.", content_type = "text/plain")))]
pub(crate) async fn metrics(State(state): State<Shared>) -> Answer {
    let (reply, answered) = oneshot::channel();
    ask(&state, Request::Metrics { reply })?;
    let sample = answer(answered).await?;
    let text = super::metrics::render(&state.journal_metrics, sample);
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(super::metrics::CONTENT_TYPE))], text).into_response())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json")))]
pub(crate) async fn openapi() -> Response {
    json_response(super::openapi::document())
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token(b"abcdefghijklmnop", b"abcdefghijklmnop"));
        assert!(!same_token(b"abcdefghijklmnoq", b"abcdefghijklmnop"));
        assert!(!same_token(b"abc", b"abcdefghijklmnop"));
        assert!(!same_token(b"", b"abcdefghijklmnop"));
    }
}

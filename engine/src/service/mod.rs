//! `ballast serve`: the engine behind a documented HTTP/1.1 + JSON protocol (`docs/PROTOCOL.md`), with
//! every accepted command journaled in an embedded database before its result is sent.
//!
//! # Design
//! Three kinds of thread, each owning what it writes:
//! - **the engine thread** ([`core`]) owns the [`crate::Engine`]. It applies each request's commands at
//!   once (typed results, per task for a batch), ticks on the wall clock every `--tick-ms`, numbers every
//!   event, and hands each request's or tick's changes to the journal as one *unit*. It never waits on
//!   IO except when the journal falls a bounded number of units behind (backpressure).
//! - **the journal thread** ([`journal`]) owns the store (redb). It takes every unit waiting, writes
//!   them in one transaction (group commit: one fsync for many requests), folds them into the ledger of
//!   what the engine owes (live workers and tasks, where each task is), and only then replies to the
//!   requests and publishes the events. Now and then it writes the ledger as a snapshot and drops the
//!   journal it covers, so recovery time follows the live state, not the age of the server.
//! - **the HTTP threads** (tokio and axum, [`http`]) parse and check requests, wait for replies and
//!   serve events from the retained window ([`events`]).
//!
//! # Durability
//! A command's result is sent only after the unit holding it is durable; an event is published only
//! after the unit holding it is durable. So what a coordinator was told is always a prefix of the
//! journal: after a crash (`kill -9`) the recovered engine owes exactly what was acknowledged.
//! Recovery ([`journal::recover`]) rebuilds the ledger from the last snapshot and the journal after
//! it, then restores the engine ([`crate::Engine::restore`]): workers registered again with a fresh
//! heartbeat deadline, every live task exactly once, placed tasks on their worker, ended ids known
//! (a resubmission is a duplicate), event numbers continuing where they stopped.
//! If the store fails, the server stops (fail-stop): the engine would otherwise run ahead of what is
//! durable.

pub mod core;
pub mod events;
pub mod http;
pub mod journal;
pub mod metrics;
pub mod openapi;
pub mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ballast_components::config::EngineConfig;

/// How to run the service.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The data directory (created if missing): the journal, snapshots, history and retained events.
    pub data_dir: PathBuf,
    /// The engine's config.
    pub engine: EngineConfig,
    /// The bearer token every request but `/healthz` and `/readyz` must carry; required unless the
    /// address is a loopback one.
    pub token: Option<String>,
    /// Wall time between engine ticks.
    pub tick_interval: Duration,
    /// Limits of the protocol.
    pub limits: Limits,
}

/// The protocol's bounds (beside the engine's own, `EngineConfig::*_max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub body_bytes_max: usize,
    /// The most commands in one request.
    pub commands_per_request_max: usize,
    /// Events retained for `GET /v1/events` (also across restarts).
    pub events_retained_max: u64,
    /// The most events one `GET /v1/events` returns.
    pub events_per_page_max: usize,
    /// The longest long poll, in milliseconds.
    pub wait_ms_max: u64,
    /// Requests waiting for the engine thread before the service answers `overloaded`.
    pub requests_queued_max: usize,
    /// Journal units (requests or ticks) waiting for the journal thread before the engine thread waits.
    pub units_queued_max: usize,
    /// Journal bytes written since the last snapshot that trigger a new one (at least twice the
    /// ledger's size, so writing snapshots costs at most a third of the journal's bandwidth).
    pub snapshot_after_bytes: u64,
    /// Whether each commit is synced to disk before its replies (off only to measure what durability
    /// costs: a crash may then lose acknowledged work).
    pub fsync: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // 100,000 tasks in one request are normal use (about 15 MB of JSON); 64 MiB leaves room.
            body_bytes_max: 64 << 20,
            commands_per_request_max: 100_000,
            // About 60 MB of JSON: minutes of a busy fleet, for coordinators that reconnect.
            events_retained_max: 1_000_000,
            events_per_page_max: 100_000,
            wait_ms_max: 60_000,
            requests_queued_max: 4_096,
            units_queued_max: 256,
            snapshot_after_bytes: 256 << 20,
            fsync: true,
        }
    }
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Listening on a non-loopback address needs a token.
    #[error(
        "refusing to listen on {0} without --token-file: only loopback addresses may be served without a bearer token"
    )]
    TokenRequired(SocketAddr),
    /// The token file is empty or unreadable.
    #[error("the token file {path}: {problem}")]
    BadToken {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The engine config is invalid.
    #[error("engine config: {0}")]
    Config(#[from] ballast_components::config::ConfigError),
    /// The store could not be opened, read or written.
    #[error("the store in {path}: {message}")]
    Store {
        /// The data directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A thread of the service stopped.
    #[error("the service stopped: {0}")]
    Stopped(String),
}

/// Reads a bearer token from `path`: its first line, trimmed; at least 16 bytes.
pub fn read_token(path: &std::path::Path) -> Result<String, ServeError> {
    let bad = |problem: String| ServeError::BadToken { path: path.to_owned(), problem };
    let text = std::fs::read_to_string(path).map_err(|error| bad(error.to_string()))?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.len() < 16 {
        return Err(bad(format!("the token is {} bytes long; use at least 16", token.len())));
    }
    if token.bytes().any(|byte| !byte.is_ascii_graphic()) {
        return Err(bad("the token must be printable ASCII without spaces".to_owned()));
    }
    Ok(token)
}

/// Runs the service until it is stopped (SIGINT or SIGTERM: a clean stop; the journal is durable at
/// every reply, so a kill loses nothing acknowledged either). `on_listening` is called with the bound
/// address before recovery starts (`GET /readyz` answers 503 until it is done).
pub fn serve(options: ServeOptions, on_listening: impl FnOnce(SocketAddr) + Send + 'static) -> Result<(), ServeError> {
    if options.token.is_none() && !options.listen.ip().is_loopback() {
        return Err(ServeError::TokenRequired(options.listen));
    }
    options.engine.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ballast-http")
        .enable_all()
        .build()?;
    runtime.block_on(http::run(Arc::new(options), Box::new(on_listening)))
}

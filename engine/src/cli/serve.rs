//! `ballast serve`: the engine as a service on an HTTP/JSON protocol (`docs/PROTOCOL.md`), every
//! accepted command journaled in the data directory before its result is sent.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::components::config::EngineConfig;
use crate::service::{Limits, ServeOptions, read_token, serve};

use super::read_engine_config;

/// The arguments of `ballast serve`.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (a loopback address unless `--token-file` is given; port 0 picks one).
    #[arg(long, default_value = "127.0.0.1:7171")]
    listen: SocketAddr,
    /// The data directory: the journal, snapshots, performance history and retained events.
    #[arg(long, default_value = "./ballast-data")]
    data: PathBuf,
    /// Engine config (JSON, as a recording's header writes it; missing fields take their defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    /// A file whose first line is the bearer token every request must carry (required to listen on a
    /// non-loopback address).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Wall time between engine ticks, in milliseconds (1 to 10,000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    tick_ms: u64,
    /// Events retained for `GET /v1/events` (also across restarts).
    #[arg(long, default_value_t = Limits::default().events_retained_max, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    events_retained: u64,
    /// Do not sync commits to disk (to measure what durability costs: a crash may lose acknowledged
    /// work). Never for real use.
    #[arg(long)]
    no_fsync: bool,
    /// Journal MiB written since the last snapshot of the live state that trigger a new one (and at
    /// least twice the live state's size); older journal is then dropped.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    snapshot_after_mib: u64,
    /// The largest request body, in MiB (1 to 4,096).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4_096))]
    body_max_mib: u64,
}

/// Serves until interrupted.
pub(crate) fn run(args: ServeArgs) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
    let engine = match &args.config {
        Some(path) => read_engine_config(path)?,
        None => EngineConfig::default(),
    };
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    let limits = Limits {
        events_retained_max: args.events_retained,
        body_bytes_max: usize::try_from(args.body_max_mib << 20).context("--body-max-mib")?,
        fsync: !args.no_fsync,
        snapshot_after_bytes: args.snapshot_after_mib << 20,
        ..Limits::default()
    };
    let options = ServeOptions {
        listen: args.listen,
        data_dir: args.data,
        engine,
        token,
        tick_interval: Duration::from_millis(args.tick_ms),
        limits,
    };
    if args.no_fsync {
        tracing::warn!("--no-fsync: commits are not synced; a crash may lose acknowledged work");
    }
    serve(options, |address| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ballast serve: listening on http://{address}");
        let _ = out.flush();
    })?;
    Ok(())
}

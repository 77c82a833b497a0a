//! `ballast bench service`: load on `ballast serve` over loopback sockets, end-to-end tasks/s and
//! latencies, with durability on and off.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::bench::service::{ServicePlan, ServiceReport, run_once};
use crate::cli::write_json;

/// Which durability settings to run.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DurabilityArg {
    /// Each commit synced (the service's only mode for real use).
    On,
    /// Commits not synced (what durability costs).
    Off,
    /// Both, one after the other.
    Both,
}

/// The arguments of `ballast bench service`.
#[derive(clap::Args)]
pub(crate) struct ServiceArgs {
    /// Submitting clients (threads, each its own connection).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    clients: u64,
    /// Tasks in all (1 to 100,000,000).
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    tasks: u64,
    /// Workers in the pool.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    workers: u32,
    /// Slots per worker.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1_024))]
    slots: u32,
    /// Tasks per submission request.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    batch: u64,
    /// Tasks submitted and not yet completed, at most (default: twice the pool's slots).
    #[arg(long)]
    window: Option<u64>,
    /// Durability settings to run.
    #[arg(long, value_enum, default_value = "both")]
    durability: DurabilityArg,
    /// The server's tick, milliseconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    tick_ms: u64,
    /// Give up on a run after this many seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout_seconds: u64,
    /// Write the rows as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs the load and prints the table.
pub(crate) fn run(args: ServiceArgs) -> Result<()> {
    let exe = std::env::current_exe().context("finding this program to start the server")?;
    let settings: &[bool] = match args.durability {
        DurabilityArg::On => &[true],
        DurabilityArg::Off => &[false],
        DurabilityArg::Both => &[true, false],
    };
    let mut report = ServiceReport::default();
    for &fsync in settings {
        let plan = ServicePlan {
            clients: args.clients as usize,
            tasks: args.tasks,
            workers: args.workers,
            slots: args.slots,
            batch: args.batch as usize,
            window: args.window.unwrap_or(2 * u64::from(args.workers) * u64::from(args.slots)).max(args.batch),
            fsync,
            exe: exe.clone(),
            tick_ms: args.tick_ms,
            timeout: Duration::from_secs(args.timeout_seconds),
        };
        eprintln!(
            "bench service: {} tasks, {} clients, durability {}",
            plan.tasks,
            plan.clients,
            if fsync { "on" } else { "off" }
        );
        match run_once(&plan) {
            Ok(row) => report.rows.push(row),
            Err(error) => bail!("the run with durability {} failed: {error}", if fsync { "on" } else { "off" }),
        }
    }
    print!("{}", report.table());
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(())
}

//! `ballast bench`: the quality and scale harnesses, one file each.

use anyhow::{Context, Result};
use clap::Subcommand;

mod quality;
mod scale;
mod service;

#[derive(Subcommand)]
pub(crate) enum BenchCommand {
    /// Every policy on the same seeded scenarios: a table of quality metrics, lower is better.
    Quality(quality::QualityArgs),
    /// Load on `ballast serve` over loopback sockets: end-to-end tasks/s and latencies, durability on
    /// and off.
    Service(service::ServiceArgs),
    /// The engine at growing pool sizes: placements/s, tick time, memory per task and per worker.
    Scale(scale::ScaleArgs),
    /// Measures one pool size's memory in this (fresh) process and prints it as JSON; `scale` runs it.
    #[command(hide = true)]
    MemoryProbe(scale::MemoryProbeArgs),
}

/// Runs the benchmark the command names.
pub(crate) fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Quality(args) => quality::run(args),
        BenchCommand::Service(args) => service::run(args),
        BenchCommand::Scale(args) => scale::run(args),
        BenchCommand::MemoryProbe(args) => {
            let probe = crate::bench::scale::memory_probe(args.workers, crate::bench::scale::PROBE_TASKS, args.seed)
                .context("the memory probe failed")?;
            println!("{}", serde_json::to_string(&probe).context("serializing the probe")?);
            Ok(())
        }
    }
}

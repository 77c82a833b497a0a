//! `ballast replay`: recordings and real traces replayed through the engine, one file per kind.

use anyhow::Result;
use clap::Subcommand;

mod ci;
mod events;
mod openb;
mod swf;

#[derive(Subcommand)]
pub(crate) enum ReplayCommand {
    /// Replays a recording (`ballast sim --record`) through a fresh engine and prints its report beside
    /// the recorded one.
    Events(events::ReplayEventsArgs),
    /// Replays a real CI history cycle by cycle onto a pool of agents: makespan against its lower bound
    /// and the longest-first oracle, and the error of the run-time predictions.
    Ci(ci::ReplayCiArgs),
    /// Replays the Alibaba GPU-sharing trace (openb) through the engine under each packing policy: the
    /// allocation curve and the GPU share left unallocated when requests reach 100% of capacity.
    Openb(openb::ReplayOpenbArgs),
    /// Replays windows of a batch-queue log (Standard Workload Format) on one machine under queue
    /// policies, with and without EASY backfilling: average bounded slowdown and utilization.
    Swf(swf::ReplaySwfArgs),
}

/// Runs the replay the command names.
pub(crate) fn run(command: ReplayCommand) -> Result<()> {
    match command {
        ReplayCommand::Events(args) => events::run(args),
        ReplayCommand::Ci(args) => ci::run(args),
        ReplayCommand::Openb(args) => openb::run(args),
        ReplayCommand::Swf(args) => swf::run(args),
    }
}

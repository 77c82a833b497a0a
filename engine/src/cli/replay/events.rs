//! `ballast replay events`: a recording replayed through a fresh engine, verbatim or what-if.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::components::config::{EngineConfig, PolicyName};
use crate::sim::{self, Progress};

use crate::cli::{check_invariants, progress_bar, read_engine_config, write_json};

#[derive(clap::Args)]
pub(crate) struct ReplayEventsArgs {
    /// The recording (JSON lines).
    path: PathBuf,
    /// Place with this policy instead of the recorded one (see `ballast policies`).
    #[arg(long)]
    policy: Option<String>,
    /// Use this engine config (JSON; missing fields take their defaults) instead of the recorded one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Leave out this share of the workers (0 to 100), chosen by the recorded seed.
    #[arg(long, default_value_t = 0.0)]
    drop_workers: f64,
    /// Write both reports as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Record the replay too.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Keep the engine's history across runs in this file (simulated recordings).
    #[arg(long)]
    history: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Replays a recording of an embedded engine: verbatim under its own config, what-if otherwise.
fn replay_engine_recording(
    args: &ReplayEventsArgs,
    policy: Option<PolicyName>,
    config: Option<EngineConfig>,
) -> Result<()> {
    use crate::record::Reader;
    use crate::traces::events::{EngineReplayOptions, replay_engine};
    let mut config = match config {
        Some(config) => config,
        None => Reader::open(&args.path)?.header().config.to_config().map_err(anyhow::Error::msg)?,
    };
    if let Some(policy) = policy {
        config.policy = policy;
    }
    let options = EngineReplayOptions {
        config: Some(config),
        drop_workers_percent: args.drop_workers,
        record: args.record.clone(),
    };
    let outcome = replay_engine(&args.path, &options).with_context(|| format!("replaying {}", args.path.display()))?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    println!(
        "ballast replay events {} ({}, an embedded engine's recording): {} workers dropped",
        args.path.display(),
        outcome.mode,
        outcome.workers_dropped
    );
    print!("{}", outcome.table());
    match &outcome.first_difference {
        None if outcome.mode == "verbatim" => println!("events: every recorded event reproduced"),
        None => println!(
            "assignments: {}",
            if outcome.same_assignments { "identical to the recording" } else { "differ from the recording" }
        ),
        Some(difference) => println!("events: the replay differs first at {difference}"),
    }
    if let Some(path) = &args.json {
        write_json(path, &outcome)?;
    }
    if outcome.first_difference.is_some() {
        bail!("the verbatim replay did not reproduce the recorded events");
    }
    if outcome.mode != "verbatim" && outcome.replay.tasks_open > 0 {
        bail!(
            "{} tasks never ended in the replay (nothing ended for an hour of simulated time after the recording)",
            outcome.replay.tasks_open
        );
    }
    Ok(())
}

/// Replays the recording and prints both reports.
pub(crate) fn run(args: ReplayEventsArgs) -> Result<()> {
    let policy = match &args.policy {
        Some(name) => Some(
            PolicyName::parse(name)
                .with_context(|| format!("unknown policy `{name}`; `ballast policies` lists them"))?,
        ),
        None => None,
    };
    let config = args.config.as_deref().map(read_engine_config).transpose()?;
    let source = crate::record::Reader::open(&args.path)
        .with_context(|| format!("reading {}", args.path.display()))?
        .header()
        .source
        .clone();
    if source == "engine" {
        return replay_engine_recording(&args, policy, config);
    }
    let options = sim::ReplayOptions {
        policy,
        config,
        drop_workers_percent: args.drop_workers,
        record: args.record.clone(),
        history: args.history.clone(),
    };
    let bar = progress_bar(args.quiet, 0);
    let mut on_progress = |progress: Progress| {
        bar.set_length(progress.tasks_total);
        bar.set_position(progress.tasks_ended);
        bar.set_message(format!("simulated {:.0} s", progress.sim_time_ns as f64 / 1e9));
    };
    let outcome = sim::replay(&args.path, &options, &mut on_progress)
        .with_context(|| format!("replaying {}", args.path.display()))?;
    bar.finish_and_clear();
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    println!(
        "ballast replay events {}: {} workers ({} dropped), scenario {}, seed {}",
        args.path.display(),
        outcome.replay.workers,
        outcome.workers_dropped,
        outcome.replay.scenario,
        outcome.replay.seed
    );
    print!("{}", sim::report::side_by_side("recorded", outcome.recorded.as_ref(), "replay", &outcome.replay));
    println!(
        "assignments: {} (recorded trace hash {}, recomputed from its events)",
        if outcome.same_assignments { "identical to the recording" } else { "differ from the recording" },
        outcome.recorded_trace_hash
    );
    if let Some(path) = &args.json {
        write_json(path, &outcome)?;
    }
    check_invariants(&outcome.replay)
}

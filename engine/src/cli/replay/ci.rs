//! `ballast replay ci`: a real CI history replayed cycle by cycle onto a pool of agents.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::components::config::{EngineConfig, PolicyName};

use crate::cli::write_json;

#[derive(clap::Args)]
pub(crate) struct ReplayCiArgs {
    /// The history (`Id;Name;Duration;CalcPrio;LastRun;LastResults;Verdict;Cycle`, plain or gzip).
    path: PathBuf,
    /// Agents in the pool (each runs one test at a time).
    #[arg(long, default_value_t = 16)]
    workers: u32,
    /// Forget everything between cycles (a scheduler without memory).
    #[arg(long)]
    no_history: bool,
    /// Placement policy (see `ballast policies`). A cycle's figure of merit is its makespan, so the
    /// default is `max-min`, the batch policy that places the longest predicted test first
    /// (longest-processing-time-first on identical agents); `composite` favours mean response instead.
    #[arg(long, default_value = "max-min")]
    policy: String,
    /// Write the report (with every cycle) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Keep history across runs in this file: loaded at the start when it exists, saved at the end.
    #[arg(long)]
    history: Option<PathBuf>,
}

/// Replays the history and prints its table.
pub(crate) fn run(args: ReplayCiArgs) -> Result<()> {
    use crate::traces::ci::{self, CiPlan};
    let Some(policy) = PolicyName::parse(&args.policy) else {
        bail!("unknown policy `{}`; `ballast policies` lists them", args.policy);
    };
    let runs = ci::load(&args.path).with_context(|| format!("reading {}", args.path.display()))?;
    let plan = CiPlan {
        workers: args.workers,
        history: !args.no_history,
        engine: EngineConfig { policy, ..EngineConfig::default() },
        history_file: args.history.clone(),
    };
    let report = ci::replay(&runs, &plan, &mut |_, _| {}).context("the replay failed")?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(())
}

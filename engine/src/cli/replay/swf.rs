//! `ballast replay swf`: windows of a batch-queue log on one machine under queue policies.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::write_json;

#[derive(clap::Args)]
pub(crate) struct ReplaySwfArgs {
    /// The log (SWF, plain or gzip).
    path: PathBuf,
    /// Windows of consecutive jobs, each on an empty machine (all policies run on the same ones).
    #[arg(long, default_value_t = 10)]
    windows: u32,
    /// Jobs per window.
    #[arg(long, default_value_t = 1024)]
    window_jobs: u32,
    /// Seed of the window draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Only this queue policy (fcfs, sjf, wfp3, unicep, f1, ballast); without it, all of them.
    #[arg(long)]
    policy: Option<String>,
    /// Only with EASY backfilling (without it: a named policy runs without backfilling, and all
    /// policies run both without and with).
    #[arg(long)]
    backfill: bool,
    /// With `--backfill`: the reference simulator's rule instead of EASY (only jobs that end before the
    /// head's shadow time, computed once).
    #[arg(long, requires = "backfill")]
    reference_backfill: bool,
    /// Write the report (with every window) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Replays the windows and prints the table.
pub(crate) fn run(args: ReplaySwfArgs) -> Result<()> {
    use crate::traces::swf::{self, Backfill, QueuePolicy, SwfPlan};
    let trace = swf::load(&args.path).with_context(|| format!("reading {}", args.path.display()))?;
    for warning in trace.warnings.messages() {
        eprintln!("warning: {}: {warning}", args.path.display());
    }
    let policies = match &args.policy {
        Some(name) => vec![QueuePolicy::parse(name)?],
        None => QueuePolicy::ALL.to_vec(),
    };
    let with = if args.reference_backfill { Backfill::Reference } else { Backfill::Easy };
    let backfills = match (&args.policy, args.backfill) {
        (_, true) => vec![with],
        (Some(_), false) => vec![Backfill::Off],
        (None, false) => vec![Backfill::Off, with],
    };
    let plan = SwfPlan { windows: args.windows, window_jobs: args.window_jobs, seed: args.seed, policies, backfills };
    let name = args
        .path
        .file_name()
        .map_or_else(|| args.path.display().to_string(), |name| name.to_string_lossy().into_owned());
    let report = swf::replay(&trace, &name, &plan).context("the replay failed")?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(())
}

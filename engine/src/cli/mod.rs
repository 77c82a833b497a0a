//! The `ballast` command line: one file per subcommand, each with its arguments next to its body;
//! this module parses and dispatches, and holds what several subcommands share.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::components::config::{EngineConfig, PolicyName};
use crate::sim::Scenario;

mod analyze;
mod bench;
mod replay;
mod report;
mod serve;
mod sim;

#[derive(Parser)]
#[command(
    name = "ballast",
    version,
    about = "Ballast: which worker runs which test, for fleets of 10 to 100,000 workers"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Run a seeded simulation and print its report.
    Sim(sim::SimArgs),
    /// List the placement policies.
    Policies,
    /// List the simulation scenarios.
    Scenarios,
    /// Benchmarks: placement quality of every policy, and the engine at growing pool sizes.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Replays: a recorded run under another policy, config or pool.
    #[command(subcommand)]
    Replay(replay::ReplayCommand),
    /// Draws a self-contained HTML page of charts from result files (the `--json` output of `sim`,
    /// `bench scale`, `bench quality`, `replay events`, `replay ci`, `replay openb`, `replay swf`).
    Report(report::ReportArgs),
    /// Analyses model ids (arguments, or one per line on stdin): one JSON object per line with the
    /// family, preferred hardware, browser scores, batch size and run-time prior.
    Analyze(analyze::AnalyzeArgs),
    /// Serves the engine on an HTTP/JSON protocol (docs/PROTOCOL.md), every accepted command journaled
    /// in the data directory before its result is sent.
    Serve(serve::ServeArgs),
}

/// Parses the command line, runs the subcommand it names, and prints its error (the chain of causes,
/// without a backtrace: an input error is not a crash) with a failing exit status.
pub fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    match Cli::parse().command {
        Commands::Sim(args) => sim::run(args),
        Commands::Policies => {
            for policy in PolicyName::ALL {
                println!("{:<22} {}", policy.name(), policy.description());
            }
            Ok(())
        }
        Commands::Scenarios => {
            for scenario in Scenario::all() {
                println!("{:<22} {}", scenario.name(), scenario.description());
            }
            Ok(())
        }
        Commands::Bench(command) => bench::run(command),
        Commands::Replay(command) => replay::run(command),
        Commands::Report(args) => report::run(args),
        Commands::Analyze(args) => analyze::run(args),
        Commands::Serve(args) => serve::run(args),
    }
}

/// Reads an engine config file (JSON; missing fields take their defaults).
pub(crate) fn read_engine_config(path: &Path) -> Result<EngineConfig> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => bail!("{} is not UTF-8 (at byte {})", path.display(), error.utf8_error().valid_up_to()),
    };
    let dto: crate::record::ConfigDto =
        serde_json::from_str(&text).with_context(|| format!("{} is not an engine config", path.display()))?;
    let config = dto.to_config().map_err(anyhow::Error::msg).with_context(|| format!("in {}", path.display()))?;
    config.validate().with_context(|| format!("in {}", path.display()))?;
    Ok(config)
}

pub(crate) fn progress_bar(quiet: bool, tasks: u64) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(tasks);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} tasks ended, {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar
}

pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value).context("serializing the report")?;
    std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
}

pub(crate) fn check_invariants(report: &crate::sim::SimReport) -> Result<()> {
    for refusal in &report.refusals {
        eprintln!("refused: {refusal}");
    }
    if report.tasks_lost > 0 || report.tasks_duplicated > 0 || report.invariant_violations > 0 {
        bail!(
            "invariants violated: {} lost, {} duplicated, {} violations",
            report.tasks_lost,
            report.tasks_duplicated,
            report.invariant_violations
        );
    }
    Ok(())
}

/// Peak resident set size of this process (Linux `VmHWM`), if readable.
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

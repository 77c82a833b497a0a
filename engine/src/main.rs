//! The `ballast` command line: simulations and listings.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use ballast::components::config::{EngineConfig, ExecutorKind, PolicyName};
use ballast::sim::{self, Progress, Scenario, SimConfig};

#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Sim(SimArgs),
    /// List the placement policies.
    Policies,
    /// List the simulation scenarios.
    Scenarios,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExecutorArg {
    /// One thread (the default; faster on 2 cores).
    Single,
    /// bevy's multi-threaded executor.
    Multi,
}

#[derive(clap::Args)]
struct SimArgs {
    /// Workers in the pool.
    #[arg(long, default_value_t = 10_000)]
    workers: u32,
    /// Tasks to submit.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: u64,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pool and workload (see `ballast scenarios`).
    #[arg(long, default_value = "default")]
    scenario: String,
    /// Placement policy (see `ballast policies`).
    #[arg(long, default_value = "resource-aware")]
    policy: String,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The engine's executor.
    #[arg(long, value_enum, default_value = "single")]
    executor: ExecutorArg,
    /// Simulated time between engine ticks, in milliseconds.
    #[arg(long, default_value_t = 50)]
    tick_ms: u64,
    /// Run the engine's full consistency check after every tick (slow; for small runs).
    #[arg(long)]
    check_invariants: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Commands::Sim(args) => run_sim(args),
        Commands::Policies => {
            for policy in PolicyName::ALL {
                println!("{:<16} {}", policy.name(), policy.description());
            }
            Ok(())
        }
        Commands::Scenarios => {
            for scenario in Scenario::ALL {
                println!("{:<16} {}", scenario.name(), scenario.description());
            }
            Ok(())
        }
    }
}

fn run_sim(args: SimArgs) -> Result<()> {
    let Some(scenario) = Scenario::parse(&args.scenario) else {
        bail!("unknown scenario `{}`; `ballast scenarios` lists them", args.scenario);
    };
    let Some(policy) = PolicyName::parse(&args.policy) else {
        bail!("unknown policy `{}`; `ballast policies` lists them", args.policy);
    };
    let executor = match args.executor {
        ExecutorArg::Single => ExecutorKind::SingleThreaded,
        ExecutorArg::Multi => ExecutorKind::MultiThreaded,
    };
    let config = SimConfig {
        workers: args.workers,
        tasks: args.tasks,
        seed: args.seed,
        scenario,
        engine: EngineConfig { policy, executor, ..EngineConfig::default() },
        tick_interval_ms: args.tick_ms,
        check_engine_every_tick: args.check_invariants,
        ..SimConfig::default()
    };
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(config.tasks);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} tasks ended, {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar
    };
    let mut on_progress = |progress: Progress| {
        bar.set_position(progress.tasks_ended);
        bar.set_message(format!("simulated {:.0} s", progress.sim_time_ns as f64 / 1e9));
    };
    let mut report = sim::run(&config, &mut on_progress).context("the simulation could not start")?;
    bar.finish_and_clear();
    report.peak_rss_bytes = peak_rss_bytes();
    print!("{}", report.summary());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("serializing the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
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
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

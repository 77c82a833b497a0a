//! `ballast sim`: a seeded simulation of a scenario and its report.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::components::config::{EngineConfig, ExecutorKind, PolicyName};
use crate::sim::{self, Progress, Scenario, SimConfig};

use super::{check_invariants, peak_rss_bytes, progress_bar, read_engine_config, write_json};

#[derive(Clone, Copy, ValueEnum)]
enum ExecutorArg {
    /// One thread (the default; faster on 2 cores).
    Single,
    /// bevy's multi-threaded executor.
    Multi,
}

#[derive(clap::Args)]
pub(crate) struct SimArgs {
    /// Workers in the pool (default: the scenario's size, 10,000 for `default`).
    #[arg(long)]
    workers: Option<u32>,
    /// Tasks to submit (default: the scenario's size, 1,000,000 for `default`).
    #[arg(long)]
    tasks: Option<u64>,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pool and workload (see `ballast scenarios`; default: `default`).
    #[arg(long, conflicts_with = "workload")]
    scenario: Option<String>,
    /// A workload file (TOML, or JSON when it ends in `.json`) describing the pool, the task mix and
    /// the arrivals, instead of a scenario (docs/WORKLOADS.md; `--print-example` prints one).
    #[arg(long)]
    workload: Option<PathBuf>,
    /// Print an annotated example workload file and exit.
    #[arg(long)]
    print_example: bool,
    /// Placement policy (see `ballast policies`; default: `--config`'s, else composite).
    #[arg(long)]
    policy: Option<String>,
    /// Also run the same seed, pool and tasks under this policy and print its figures below the run's
    /// (`none`: no second run; default: `least-loaded` for the `default` scenario, else none).
    #[arg(long)]
    baseline: Option<String>,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The engine's executor (default: `--config`'s, else single).
    #[arg(long, value_enum)]
    executor: Option<ExecutorArg>,
    /// No quarantine of workers that fail too often (to measure what it does).
    #[arg(long)]
    no_quarantine: bool,
    /// No work stealing: queued tasks stay on the worker they were assigned to.
    #[arg(long)]
    no_stealing: bool,
    /// No admission control: every valid submission is accepted, however much waits.
    #[arg(long)]
    no_backpressure: bool,
    /// Thermal states do not change placement (they are only reported), even where machines heat up.
    #[arg(long)]
    no_thermal: bool,
    /// No load forecasts: the run-queue depth follows the current backlog, and nothing is stolen for a
    /// worker before its slot frees.
    #[arg(long)]
    no_prediction: bool,
    /// Tasks a worker may hold beyond its slots (`prefetch_max`), instead of the scenario's depth.
    #[arg(long)]
    prefetch: Option<u32>,
    /// Engine config (JSON, as a recording's header writes it; missing fields take their defaults),
    /// e.g. `{"priors": {"speed": {"vision": {"qnn": 3.0}}}}` to override prior tables.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Simulated time between engine ticks, in milliseconds.
    #[arg(long, default_value_t = 50)]
    tick_ms: u64,
    /// Run the engine's full consistency check after every tick (slow; for small runs).
    #[arg(long)]
    check_invariants: bool,
    /// Place one task at a time in queue order, never a batch at once.
    #[arg(long)]
    no_batch: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Record every command, event and the simulator's ground truth to this file (JSON lines; the
    /// format is in docs/RECORDING.md).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Keep the engine's history across runs in this file: loaded when it exists, saved at the end.
    #[arg(long)]
    history: Option<PathBuf>,
    /// Write the visual report of the run (`index.html` with its charts) to this directory.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Runs the simulation and prints its report.
pub(crate) fn run(args: SimArgs) -> Result<()> {
    if args.print_example {
        print!("{}", sim::workload_file::EXAMPLE);
        return Ok(());
    }
    let name = args.scenario.as_deref().unwrap_or("default");
    let Some(scenario) = Scenario::parse(name) else {
        bail!("unknown scenario `{name}`; `ballast scenarios` lists them");
    };
    let workload = match &args.workload {
        Some(path) => Some(std::sync::Arc::new(sim::workload_file::Workload::load(path)?)),
        None => None,
    };
    let mut engine = match &args.config {
        Some(path) => read_engine_config(path)?,
        None => EngineConfig::default(),
    };
    if let Some(name) = &args.policy {
        let Some(policy) = PolicyName::parse(name) else {
            bail!("unknown policy `{name}`; `ballast policies` lists them");
        };
        engine.policy = policy;
    }
    match args.executor {
        Some(ExecutorArg::Single) => engine.executor = ExecutorKind::SingleThreaded,
        Some(ExecutorArg::Multi) => engine.executor = ExecutorKind::MultiThreaded,
        None => {}
    }
    if args.no_batch {
        engine.batch_assignment = false;
    }
    if args.no_quarantine {
        engine.quarantine = false;
    }
    if args.no_stealing {
        engine.stealing = false;
    }
    if args.no_backpressure {
        engine.backpressure = false;
    }
    if args.no_prediction {
        engine.prediction = false;
    }
    let baseline = match args.baseline.as_deref() {
        Some("none") => None,
        Some(name) => match PolicyName::parse(name) {
            Some(policy) => Some(policy),
            None => bail!("unknown baseline policy `{name}`; `ballast policies` lists them, or `none`"),
        },
        None if workload.is_none() && scenario == Scenario::Default => Some(PolicyName::LeastLoaded),
        None => None,
    }
    .filter(|&policy| policy != engine.policy);
    let (workers, tasks) = match &workload {
        Some(file) => (file.workers(args.workers)?, file.tasks(args.tasks)),
        None => {
            let (workers, tasks) = scenario.default_size();
            (args.workers.unwrap_or(workers), args.tasks.unwrap_or(tasks))
        }
    };
    let config = SimConfig {
        workers,
        tasks,
        seed: args.seed,
        scenario,
        workload,
        engine,
        tick_interval_ms: args.tick_ms,
        check_engine_every_tick: args.check_invariants,
        record: args.record.clone(),
        history_file: args.history.clone(),
        prefetch: args.prefetch,
        thermal_aware: args.no_thermal.then_some(false),
        ..SimConfig::default()
    };
    let bar = progress_bar(args.quiet, config.tasks);
    let mut on_progress = |progress: Progress| {
        bar.set_position(progress.tasks_ended);
        bar.set_message(format!("simulated {:.0} s", progress.sim_time_ns as f64 / 1e9));
    };
    let mut report = sim::run(&config, &mut on_progress).context("the simulation could not run")?;
    bar.finish_and_clear();
    report.peak_rss_bytes = peak_rss_bytes();
    if let Some(policy) = baseline {
        // The same run but for the policy; it keeps no recording or history of its own.
        let mut other = config.clone();
        other.engine.policy = policy;
        other.record = None;
        other.history_file = None;
        let bar = progress_bar(args.quiet, other.tasks);
        let mut on_progress = |progress: Progress| {
            bar.set_position(progress.tasks_ended);
            bar.set_message(format!(
                "baseline {}: simulated {:.0} s",
                policy.name(),
                progress.sim_time_ns as f64 / 1e9
            ));
        };
        let under = sim::run(&other, &mut on_progress).context("the baseline's simulation could not run")?;
        bar.finish_and_clear();
        check_invariants(&under).context("under the baseline policy")?;
        report.baseline = Some(sim::Baseline::of(&under));
    }
    print!("{}", report.summary());
    if let Some(path) = &args.record {
        let bytes = std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0);
        println!(
            "  recording    {} ({:.1} MiB, {:.0} bytes per task)",
            path.display(),
            bytes as f64 / (1024.0 * 1024.0),
            bytes as f64 / report.tasks.max(1) as f64
        );
    }
    // The report first: it creates its directory, where the JSON may be asked to go too.
    if let Some(directory) = &args.report {
        let path = crate::visual::write_sim_report(&report, directory)?;
        println!("  report       {}", path.display());
    }
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    check_invariants(&report)
}

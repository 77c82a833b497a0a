//! The `ballast` command line: simulations and listings.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use ballast::components::config::{CompositeWeights, EngineConfig, ExecutorKind, PolicyName};
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
    /// Benchmarks: placement quality of every policy, and the engine at growing pool sizes.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Replays: a recorded run under another policy, config or pool.
    #[command(subcommand)]
    Replay(ReplayCommand),
    /// Draws a self-contained HTML page of charts from result files (the `--json` output of `sim`,
    /// `bench scale`, `bench quality`, `replay events`, `replay ci`, `replay openb`, `replay swf`).
    Report(ReportArgs),
    /// Analyses model ids (arguments, or one per line on stdin): one JSON object per line with the
    /// family, preferred hardware, browser scores, batch size and run-time prior.
    Analyze {
        /// Model ids (none: read them from stdin, one per line).
        model_ids: Vec<String>,
        /// Engine config (JSON) whose prior tables to use (`priors`; missing entries take the defaults).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Result files (JSON); each one's kind is told from its fields.
    #[arg(required = true)]
    results: Vec<PathBuf>,
    /// The directory to write `index.html` to (created if missing).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Subcommand)]
enum ReplayCommand {
    /// Replays a recording (`ballast sim --record`) through a fresh engine and prints its report beside
    /// the recorded one.
    Events(ReplayEventsArgs),
    /// Replays a real CI history cycle by cycle onto a pool of agents: makespan against its lower bound
    /// and the longest-first oracle, and the error of the run-time predictions.
    Ci(ReplayCiArgs),
    /// Replays the Alibaba GPU-sharing trace (openb) through the engine under each packing policy: the
    /// allocation curve and the GPU share left unallocated when requests reach 100% of capacity.
    Openb(ReplayOpenbArgs),
    /// Replays windows of a batch-queue log (Standard Workload Format) on one machine under queue
    /// policies, with and without EASY backfilling: average bounded slowdown and utilization.
    Swf(ReplaySwfArgs),
}

#[derive(clap::Args)]
struct ReplayOpenbArgs {
    /// The node list (`sn,cpu_milli,memory_mib,gpu,model`, plain or gzip).
    #[arg(long, default_value = "../shared/data/openb/openb_node_list_all_node.csv.gz")]
    nodes: PathBuf,
    /// The pod list (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,…`, plain or gzip).
    #[arg(long, default_value = "../shared/data/openb/openb_pod_list_default.csv.gz")]
    pods: PathBuf,
    /// Seeds: `42..51` (inclusive) or a list `42,43`.
    #[arg(long, default_value = "42..51")]
    seeds: String,
    /// Inflate the workload by cloning pods until GPU requests reach this multiple of capacity.
    #[arg(long, default_value_t = 1.3)]
    inflate: f64,
    /// Replay only these policies (comma-separated; default: random, dot-product, best-fit, fgd, frag-aware).
    #[arg(long)]
    policy: Option<String>,
    /// Write the report (with each policy's curve) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Runs in parallel (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(clap::Args)]
struct ReplaySwfArgs {
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

#[derive(clap::Args)]
struct ReplayCiArgs {
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

#[derive(clap::Args)]
struct ReplayEventsArgs {
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

#[derive(Subcommand)]
enum BenchCommand {
    /// Every policy on the same seeded scenarios: a table of quality metrics, lower is better.
    Quality(QualityArgs),
    /// The engine at growing pool sizes: placements/s, tick time, memory per task and per worker.
    Scale(ScaleArgs),
    /// Measures one pool size's memory in this (fresh) process and prints it as JSON; `scale` runs it.
    #[command(hide = true)]
    MemoryProbe(MemoryProbeArgs),
}

#[derive(clap::Args)]
struct ScaleArgs {
    /// Pool sizes (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = ballast::scale::DEFAULT_WORKERS)]
    workers: Vec<u32>,
    /// Tasks per throughput run (default: 100 per worker, at most 1,000,000).
    #[arg(long)]
    tasks: Option<u64>,
    /// Seed of the pools and workloads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the rows as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the scalability chart (SVG) to this file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Also compare the index search with an exhaustive scan (sizes up to 10,000 workers; slow).
    #[arg(long)]
    exact_check: bool,
    /// Skip the memory probes (each runs in a fresh process and queues a million tasks).
    #[arg(long)]
    no_memory: bool,
}

#[derive(clap::Args)]
struct MemoryProbeArgs {
    /// Workers in the pool.
    #[arg(long)]
    workers: u32,
    /// Seed of the pool and tasks.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(clap::Args)]
struct QualityArgs {
    /// Write the rows as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only these policies (comma-separated names; `composite-greedy` is composite without batches).
    #[arg(long, value_delimiter = ',')]
    policies: Vec<String>,
    /// First seed; metrics are means over `--seeds` consecutive seeds.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many seeds (ten: the families scenario's mean slowdown varies by ±20% from one seed to
    /// the next, too much for fewer).
    #[arg(long, default_value_t = 10)]
    seeds: u64,
    /// Simulations run at once.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Small runs (seconds, not minutes): to check the harness, not to judge policies.
    #[arg(long)]
    smoke: bool,
    /// Only these scenario columns (comma-separated: etc-braun, mixed-speed-50, mixed-speed-90,
    /// families, priorities, and the adaptation rows stragglers, spike, churn, crash, flaky, thermal).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Composite weights in thousandths, `load,waste,warm[,risk]` (default: the engine's).
    #[arg(long, value_parser = parse_weights)]
    weights: Option<CompositeWeights>,
}

fn parse_weights(text: &str) -> Result<CompositeWeights, String> {
    let parts: Vec<u32> = text
        .split(',')
        .map(|part| part.trim().parse::<u32>().map_err(|error| error.to_string()))
        .collect::<Result<_, _>>()?;
    match parts[..] {
        [load_permille, waste_permille, warm_permille] => {
            Ok(CompositeWeights { load_permille, waste_permille, warm_permille, ..CompositeWeights::default() })
        }
        [load_permille, waste_permille, warm_permille, risk_permille] => {
            Ok(CompositeWeights { load_permille, waste_permille, warm_permille, risk_permille })
        }
        _ => Err("expected three or four numbers: load,waste,warm[,risk] (thousandths)".to_owned()),
    }
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
    /// Workers in the pool (default: the scenario's size, 10,000 for `default`).
    #[arg(long)]
    workers: Option<u32>,
    /// Tasks to submit (default: the scenario's size, 1,000,000 for `default`).
    #[arg(long)]
    tasks: Option<u64>,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pool and workload (see `ballast scenarios`).
    #[arg(long, default_value = "default")]
    scenario: String,
    /// Placement policy (see `ballast policies`; default: `--config`'s, else composite).
    #[arg(long)]
    policy: Option<String>,
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

fn main() -> Result<()> {
    match Cli::parse().command {
        Commands::Sim(args) => run_sim(args),
        Commands::Policies => {
            for policy in PolicyName::ALL {
                println!("{:<22} {}", policy.name(), policy.description());
            }
            Ok(())
        }
        Commands::Bench(BenchCommand::Quality(args)) => run_quality(args),
        Commands::Replay(ReplayCommand::Events(args)) => run_replay_events(args),
        Commands::Replay(ReplayCommand::Ci(args)) => run_replay_ci(args),
        Commands::Replay(ReplayCommand::Openb(args)) => run_replay_openb(args),
        Commands::Analyze { model_ids, config } => run_analyze(model_ids, config.as_deref()),
        Commands::Replay(ReplayCommand::Swf(args)) => run_replay_swf(args),
        Commands::Report(args) => {
            let path = ballast::visual::write_report(&args.results, &args.out)?;
            println!("{}", path.display());
            Ok(())
        }
        Commands::Bench(BenchCommand::Scale(args)) => run_scale(args),
        Commands::Bench(BenchCommand::MemoryProbe(args)) => {
            let probe = ballast::scale::memory_probe(args.workers, ballast::scale::PROBE_TASKS, args.seed)
                .context("the memory probe failed")?;
            println!("{}", serde_json::to_string(&probe).context("serializing the probe")?);
            Ok(())
        }
        Commands::Scenarios => {
            for scenario in Scenario::all() {
                println!("{:<22} {}", scenario.name(), scenario.description());
            }
            Ok(())
        }
    }
}

fn run_sim(args: SimArgs) -> Result<()> {
    let Some(scenario) = Scenario::parse(&args.scenario) else {
        bail!("unknown scenario `{}`; `ballast scenarios` lists them", args.scenario);
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
    let (workers, tasks) = scenario.default_size();
    let config = SimConfig {
        workers: args.workers.unwrap_or(workers),
        tasks: args.tasks.unwrap_or(tasks),
        seed: args.seed,
        scenario,
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
        let path = ballast::visual::write_sim_report(&report, directory)?;
        println!("  report       {}", path.display());
    }
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    check_invariants(&report)
}

/// Prints one JSON line per id; a bad id gets a line with its `error`, and the exit status says so.
fn run_analyze(model_ids: Vec<String>, config: Option<&std::path::Path>) -> Result<()> {
    use std::io::{BufRead, Write};
    let priors = match config {
        Some(path) => read_engine_config(path)?.priors,
        None => ballast::components::preferences::Priors::default(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut refused = 0u64;
    let mut emit = |out: &mut dyn Write, line: Option<u64>, id: Result<String, String>| -> Result<()> {
        let value = match id.and_then(|id| {
            ballast::analyze::analyze_with(&priors, &id)
                .map_err(|error| error.to_string())
                .map(|analysis| (id, analysis))
        }) {
            Ok((_, analysis)) => serde_json::to_value(&analysis)?,
            Err(error) => {
                refused += 1;
                serde_json::json!({ "line": line, "error": error })
            }
        };
        writeln!(out, "{value}")?;
        Ok(())
    };
    if model_ids.is_empty() {
        for (index, line) in std::io::stdin().lock().split(b'\n').enumerate() {
            let bytes = line.context("reading stdin")?;
            let id = String::from_utf8(bytes).map_err(|_| "the model id is not UTF-8".to_owned());
            emit(&mut out, Some(index as u64 + 1), id)?;
        }
    } else {
        for id in model_ids {
            emit(&mut out, None, Ok(id))?;
        }
    }
    out.flush()?;
    if refused > 0 {
        bail!("{refused} model ids were refused (their lines say why)");
    }
    Ok(())
}

fn run_replay_ci(args: ReplayCiArgs) -> Result<()> {
    use ballast::ci::{self, CiPlan};
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

fn run_replay_openb(args: ReplayOpenbArgs) -> Result<()> {
    use ballast::openb::{self, OpenbOptions};
    let policies = match &args.policy {
        None => openb::DEFAULT_POLICIES.to_vec(),
        Some(names) => names
            .split(',')
            .map(|name| {
                PolicyName::parse(name.trim())
                    .with_context(|| format!("unknown policy `{name}`; `ballast policies` lists them"))
            })
            .collect::<Result<Vec<_>>>()?,
    };
    let seeds = openb::parse_seeds(&args.seeds).map_err(anyhow::Error::msg).context("--seeds")?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let options = OpenbOptions { policies, seeds, tune: args.inflate, threads };
    let report = openb::replay(&args.nodes, &args.pods, &options).context("the openb replay failed")?;
    print!("{}", openb::render(&report));
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(())
}

fn run_replay_swf(args: ReplaySwfArgs) -> Result<()> {
    use ballast::swf::{self, Backfill, QueuePolicy, SwfPlan};
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

/// Reads an engine config file (JSON; missing fields take their defaults).
fn read_engine_config(path: &std::path::Path) -> Result<EngineConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let dto: ballast::record::ConfigDto =
        serde_json::from_str(&text).with_context(|| format!("{} is not an engine config", path.display()))?;
    let config = dto.to_config().map_err(anyhow::Error::msg).with_context(|| format!("in {}", path.display()))?;
    config.validate().with_context(|| format!("in {}", path.display()))?;
    Ok(config)
}

fn progress_bar(quiet: bool, tasks: u64) -> ProgressBar {
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

fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value).context("serializing the report")?;
    std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
}

fn check_invariants(report: &sim::SimReport) -> Result<()> {
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

/// Replays a recording of an embedded engine: verbatim under its own config, what-if otherwise.
fn replay_engine_recording(
    args: &ReplayEventsArgs,
    policy: Option<PolicyName>,
    config: Option<EngineConfig>,
) -> Result<()> {
    use ballast::record::{EngineReplayOptions, Reader, replay_engine};
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
    Ok(())
}

fn run_replay_events(args: ReplayEventsArgs) -> Result<()> {
    let policy = match &args.policy {
        Some(name) => Some(
            PolicyName::parse(name)
                .with_context(|| format!("unknown policy `{name}`; `ballast policies` lists them"))?,
        ),
        None => None,
    };
    let config = args.config.as_deref().map(read_engine_config).transpose()?;
    let source = ballast::record::Reader::open(&args.path)
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

fn run_quality(args: QualityArgs) -> Result<()> {
    use ballast::quality::{self, Contender, Sizes};
    let contenders: Vec<Contender> = if args.policies.is_empty() {
        Contender::all()
    } else {
        args.policies
            .iter()
            .map(|name| match name.as_str() {
                "composite-greedy" => Ok(Contender { policy: PolicyName::Composite, batch: false }),
                name => PolicyName::parse(name)
                    .map(|policy| Contender { policy, batch: true })
                    .with_context(|| format!("unknown policy `{name}`; `ballast policies` lists them")),
            })
            .collect::<Result<_>>()?
    };
    let plan = quality::Plan {
        contenders,
        scenarios: args.scenarios,
        weights: args.weights.unwrap_or_default(),
        seed: args.seed,
        seeds: args.seeds,
        sizes: if args.smoke { Sizes::SMOKE } else { Sizes::FULL },
        threads: args.threads,
    };
    let report = quality::run(&plan).context("a simulation could not start")?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("serializing the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn run_scale(args: ScaleArgs) -> Result<()> {
    use ballast::scale::{self, MemoryProbe, ScalePlan};
    let plan = ScalePlan { workers: args.workers, tasks: args.tasks, seed: args.seed, exact_check: args.exact_check };
    let seed = args.seed;
    let exe = std::env::current_exe().context("finding this program to run the memory probes")?;
    let mut memory = |workers: u32| -> Option<MemoryProbe> {
        if args.no_memory {
            return None;
        }
        let output = std::process::Command::new(&exe)
            .args(["bench", "memory-probe", "--workers", &workers.to_string(), "--seed", &seed.to_string()])
            .output()
            .ok()?;
        if !output.status.success() {
            eprintln!("memory probe at {workers} workers failed: {}", String::from_utf8_lossy(&output.stderr));
            return None;
        }
        serde_json::from_slice::<Option<MemoryProbe>>(&output.stdout).ok().flatten()
    };
    let mut progress = |message: &str| eprintln!("{message}");
    let report = scale::run(&plan, &mut memory, &mut progress).context("a scale run failed")?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("serializing the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.svg {
        scale::write_chart(&report, path).map_err(anyhow::Error::msg)?;
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

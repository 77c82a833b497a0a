//! `ballast bench scale`: the engine at growing pool sizes, and the memory probe it runs in fresh processes.

use std::path::PathBuf;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub(crate) struct ScaleArgs {
    /// Pool sizes (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = crate::bench::scale::DEFAULT_WORKERS)]
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
pub(crate) struct MemoryProbeArgs {
    /// Workers in the pool.
    #[arg(long)]
    pub(crate) workers: u32,
    /// Seed of the pool and tasks.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

/// Runs the harness (the memory probes in fresh processes) and prints its table.
pub(crate) fn run(args: ScaleArgs) -> Result<()> {
    use crate::bench::scale::{self, MemoryProbe, ScalePlan};
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

//! `ballast replay openb`: the Alibaba GPU-sharing trace under the packing policies.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::components::config::PolicyName;

use crate::cli::write_json;

#[derive(clap::Args)]
pub(crate) struct ReplayOpenbArgs {
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

/// Replays the trace and prints its table.
pub(crate) fn run(args: ReplayOpenbArgs) -> Result<()> {
    use crate::traces::openb::{self, OpenbOptions};
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

//! `ballast bench quality`: every policy on the same seeded scenarios, a table of quality metrics.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::components::config::{CompositeWeights, PolicyName};

#[derive(clap::Args)]
pub(crate) struct QualityArgs {
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
    /// families, priorities, original, original-large, and the adaptation rows stragglers, spike, churn, crash, flaky, thermal).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// A workload file (docs/WORKLOADS.md) to run as a column, at its own size; repeatable. The
    /// built-in columns then run only when `--scenarios` names them.
    #[arg(long)]
    workload: Vec<PathBuf>,
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

/// Runs the harness and prints its table.
pub(crate) fn run(args: QualityArgs) -> Result<()> {
    use crate::bench::quality::{self, Contender, Sizes};
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
    let workloads = args
        .workload
        .iter()
        .map(|path| crate::sim::workload_file::Workload::load(path).map(std::sync::Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = quality::Plan {
        workloads,
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

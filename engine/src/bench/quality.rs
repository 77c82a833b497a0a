//! The quality harness behind `ballast bench quality`: every policy on the same seeded scenarios, one
//! table (policy × scenario metric, lower is better) with the best of each column marked.
//!
//! Scenarios and their primary metrics (the others are reported beside them):
//! - `etc-braun`: the twelve Braun et al. (2001) ETC classes, 512 tasks on 16 machines; makespan over
//!   its lower bound (the larger of the longest task's fastest time and the fastest total over the
//!   machines), geometric mean over the classes;
//! - `mixed-speed-50` and `mixed-speed-90`: 20 fast (5×) and 80 slow workers, Poisson arrivals at 50%
//!   and 90% of capacity, exponential sizes; mean response time (p99 beside it);
//! - `families`: the default heterogeneous pool and family mix; mean slowdown (makespan over its lower
//!   bound beside it);
//! - `priorities`: overload at 130% with five priority levels; p99 wait of the most urgent level (the
//!   longest wait of the lowest level beside it, as its starvation).
//!
//! Beside them, one row each for the adaptation scenarios, which measure the engine's features more
//! than its policy (so they are not primary and stay out of the geometric mean): `stragglers`
//! (makespan over its lower bound, work stealing), `spike` (p99 wait of admitted tasks, backpressure),
//! `churn` and `crash` (mean response, workers leaving and dying), `flaky` (failed attempts,
//! quarantine) and `thermal` (mean response, thermal awareness).
//!
//! With `--workload FILE`, each workload file adds a column of its own (named after the file's
//! `name`), at the file's own size: mean wait (primary) and p99 wait; the built-in columns then run
//! only when `--scenarios` names them.
//!
//! `composite (greedy)` is the default policy with batch placement off: the same scorers placing one
//! task at a time in queue order, to measure what batch placement adds.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use ballast_components::config::{CompositeWeights, EngineConfig, PolicyName};

use crate::sim::workload::{EtcClass, Scenario};
use crate::sim::workload_file::Workload;
use crate::sim::{self, SimConfig, SimError, SimReport};

/// A policy as the harness runs it: a policy name, with batch placement on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contender {
    /// The policy.
    pub policy: PolicyName,
    /// Whether batch placement is on.
    pub batch: bool,
}

impl Contender {
    /// The row label.
    pub fn label(self) -> String {
        if self.batch { self.policy.name().to_owned() } else { format!("{} (greedy)", self.policy.name()) }
    }

    /// Every policy, plus composite without batch placement.
    pub fn all() -> Vec<Contender> {
        let mut contenders: Vec<Contender> =
            PolicyName::ALL.into_iter().map(|policy| Contender { policy, batch: true }).collect();
        contenders.insert(1, Contender { policy: PolicyName::Composite, batch: false });
        contenders
    }
}

/// One metric of the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// The scenario column.
    pub scenario: &'static str,
    /// The metric's name.
    pub name: &'static str,
    /// Whether it is the scenario's primary metric (judged within 3% and in the geometric mean).
    pub primary: bool,
}

/// The harness's metrics, in column order.
pub const METRICS: [Metric; 19] = [
    Metric { scenario: "etc-braun", name: "makespan_over_lb_geomean", primary: true },
    Metric { scenario: "mixed-speed-50", name: "response_mean_s", primary: true },
    Metric { scenario: "mixed-speed-50", name: "response_p99_s", primary: false },
    Metric { scenario: "mixed-speed-90", name: "response_mean_s", primary: true },
    Metric { scenario: "mixed-speed-90", name: "response_p99_s", primary: false },
    Metric { scenario: "families", name: "slowdown_mean", primary: true },
    Metric { scenario: "families", name: "makespan_over_lb", primary: false },
    Metric { scenario: "priorities", name: "top_priority_wait_p99_s", primary: true },
    Metric { scenario: "priorities", name: "lowest_priority_wait_max_s", primary: false },
    Metric { scenario: "stragglers", name: "makespan_over_lb", primary: false },
    Metric { scenario: "spike", name: "wait_p99_s", primary: false },
    Metric { scenario: "churn", name: "response_mean_s", primary: false },
    Metric { scenario: "crash", name: "response_mean_s", primary: false },
    Metric { scenario: "flaky", name: "failed_attempts", primary: false },
    Metric { scenario: "thermal", name: "response_mean_s", primary: false },
    Metric { scenario: "original", name: "wait_mean_s", primary: true },
    Metric { scenario: "original", name: "wait_p99_s", primary: false },
    Metric { scenario: "original-large", name: "wait_mean_s", primary: true },
    Metric { scenario: "original-large", name: "wait_p99_s", primary: false },
];

/// One cell of the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The policy's label.
    pub policy: String,
    /// The scenario.
    pub scenario: String,
    /// The metric.
    pub metric: String,
    /// Its value (lower is better).
    pub value: f64,
    /// Whether this is the best value of its scenario and metric.
    pub best: bool,
}

/// The whole result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// The first seed (metrics are means over consecutive seeds from it).
    pub seed: u64,
    /// Every cell, and per policy the geometric mean of its primary metrics (scenario `all`).
    pub rows: Vec<Row>,
}

/// How large the harness's runs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// Tasks per ETC matrix (machines stay 16).
    pub etc_tasks: u64,
    /// Tasks per mixed-speed run.
    pub mixed_speed_tasks: u64,
    /// Workers and tasks of the families run.
    pub families: (u32, u64),
    /// Workers and tasks of the priorities run.
    pub priorities: (u32, u64),
    /// Workers and tasks of each adaptation run (`spike`, `churn`, `crash`, `flaky` and, with half the
    /// workers and twice the tasks, `stragglers` and `thermal`).
    pub adaptation: (u32, u64),
    /// Workers and tasks of the two `original` runs (`original`, `original-large`).
    pub original: [(u32, u64); 2],
}

impl Sizes {
    /// The sizes of `ballast bench quality`.
    pub const FULL: Sizes = Sizes {
        etc_tasks: 512,
        mixed_speed_tasks: 10_000,
        families: (200, 6_000),
        priorities: (100, 4_000),
        adaptation: (100, 3_000),
        original: [(200, 2_000), (1_000, 10_000)],
    };
    /// Small sizes, for a test that the harness works end to end.
    pub const SMOKE: Sizes = Sizes {
        etc_tasks: 64,
        mixed_speed_tasks: 400,
        families: (40, 300),
        priorities: (20, 200),
        adaptation: (40, 300),
        original: [(20, 200), (40, 400)],
    };
}

/// One simulation the harness needs.
#[derive(Clone, Copy, Debug)]
struct Job {
    contender: usize,
    scenario: Scenario,
    /// The workload file the job runs instead of the scenario, by index into the plan's.
    workload: Option<usize>,
    workers: u32,
    tasks: u64,
    seed: u64,
}

/// What the harness runs: which contenders, on which scenario columns, with which composite weights.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The contenders.
    pub contenders: Vec<Contender>,
    /// The scenario columns to run (empty: all).
    pub scenarios: Vec<String>,
    /// The composite weights every contender gets.
    pub weights: CompositeWeights,
    /// The first seed; `seeds` consecutive seeds run, and each metric is their mean.
    pub seed: u64,
    /// How many seeds.
    pub seeds: u64,
    /// Run sizes.
    pub sizes: Sizes,
    /// Simulations at once.
    pub threads: usize,
    /// Workload files, a column each (see the module docs).
    pub workloads: Vec<Arc<Workload>>,
}

/// Runs the plan.
pub fn run(plan: &Plan) -> Result<QualityReport, SimError> {
    // No columns named: every built-in one, or only the workload files' when there are any.
    let wanted = |name: &str| {
        if plan.scenarios.is_empty() {
            plan.workloads.is_empty()
        } else {
            plan.scenarios.iter().any(|wanted| wanted == name)
        }
    };
    let (contenders, sizes, threads) = (&plan.contenders, plan.sizes, plan.threads);
    let mut jobs = Vec::new();
    for seed in plan.seed..plan.seed + plan.seeds.max(1) {
        for (contender, _) in contenders.iter().enumerate() {
            if wanted("etc-braun") {
                for class in EtcClass::all() {
                    jobs.push(Job {
                        contender,
                        workload: None,
                        scenario: Scenario::EtcBraun(class),
                        workers: 16,
                        tasks: sizes.etc_tasks,
                        seed,
                    });
                }
            }
            for load_percent in [50, 90] {
                let scenario = Scenario::MixedSpeed { load_percent };
                if wanted(&scenario.name()) {
                    jobs.push(Job {
                        contender,
                        workload: None,
                        scenario,
                        workers: 100,
                        tasks: sizes.mixed_speed_tasks,
                        seed,
                    });
                }
            }
            if wanted("families") {
                jobs.push(Job {
                    contender,
                    workload: None,
                    scenario: Scenario::Families,
                    workers: sizes.families.0,
                    tasks: sizes.families.1,
                    seed,
                });
            }
            if wanted("priorities") {
                let (workers, tasks) = sizes.priorities;
                jobs.push(Job { contender, workload: None, scenario: Scenario::Priorities, workers, tasks, seed });
            }
            for (name, (workers, tasks)) in ["original", "original-large"].into_iter().zip(sizes.original) {
                if wanted(name) {
                    jobs.push(Job { contender, workload: None, scenario: Scenario::Original, workers, tasks, seed });
                }
            }
            let (workers, tasks) = sizes.adaptation;
            for scenario in [Scenario::Spike, Scenario::Churn, Scenario::Crash, Scenario::Flaky] {
                if wanted(&scenario.name()) {
                    jobs.push(Job { contender, workload: None, scenario, workers, tasks, seed });
                }
            }
            for scenario in [Scenario::Stragglers, Scenario::Thermal] {
                if wanted(&scenario.name()) {
                    jobs.push(Job {
                        contender,
                        workload: None,
                        scenario,
                        workers: workers / 2,
                        tasks: tasks * 2,
                        seed,
                    });
                }
            }
            for (index, workload) in plan.workloads.iter().enumerate() {
                let workers = workload.workers(None)?;
                let tasks = workload.tasks(None);
                jobs.push(Job { contender, workload: Some(index), scenario: Scenario::Default, workers, tasks, seed });
            }
        }
    }
    let results: Mutex<Vec<Option<Result<SimReport, SimError>>>> = Mutex::new(vec![None; jobs.len()]);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let contender = contenders[job.contender];
                    // ETC tasks all arrive at once and run for minutes: a one-second tick loses nothing
                    // (placement happens at time zero; workers start queued tasks themselves).
                    let tick_interval_ms = if matches!(job.scenario, Scenario::EtcBraun(_)) { 1_000 } else { 50 };
                    let config = SimConfig {
                        workers: job.workers,
                        tasks: job.tasks,
                        seed: job.seed,
                        scenario: job.scenario,
                        workload: job.workload.map(|index| plan.workloads[index].clone()),
                        tick_interval_ms,
                        engine: EngineConfig {
                            policy: contender.policy,
                            batch_assignment: contender.batch,
                            weights: plan.weights,
                            ..EngineConfig::default()
                        },
                        ..SimConfig::default()
                    };
                    let report = sim::run(&config, &mut |_| {});
                    results.lock().expect("no thread panics holding the lock")[index] = Some(report);
                }
            });
        }
    });
    let results: Vec<SimReport> = results
        .into_inner()
        .expect("no thread panics holding the lock")
        .into_iter()
        .map(|result| result.expect("every job ran"))
        .collect::<Result<_, _>>()?;
    let workloads: Vec<&str> = plan.workloads.iter().map(|workload| workload.name()).collect();
    Ok(tabulate(contenders, (plan.seed, sizes), &workloads, &jobs, &results))
}

/// The value of `metric` for one contender's reports, if its scenario ran.
fn value_of(metric: &Metric, sizes: Sizes, reports: &[(&Job, &SimReport)]) -> Option<f64> {
    let find = |wanted: Scenario| {
        reports.iter().find(|(job, _)| job.workload.is_none() && job.scenario == wanted).map(|(_, report)| *report)
    };
    let original = |(workers, tasks): (u32, u64)| {
        reports
            .iter()
            .find(|(job, _)| {
                job.workload.is_none()
                    && job.scenario == Scenario::Original
                    && job.workers == workers
                    && job.tasks == tasks
            })
            .map(|(_, report)| *report)
    };
    Some(match (metric.scenario, metric.name) {
        ("etc-braun", _) => {
            let etc: Vec<f64> = reports
                .iter()
                .filter(|(job, _)| matches!(job.scenario, Scenario::EtcBraun(_)))
                .map(|(_, report)| report.makespan_over_lower_bound)
                .collect();
            if etc.is_empty() {
                return None;
            }
            geometric_mean(&etc)
        }
        (scenario, name) if scenario.starts_with("mixed-speed-") => {
            let report = find(Scenario::parse(scenario).expect("a known scenario"))?;
            if name == "response_mean_s" { report.response_seconds.mean } else { report.response_seconds.p99 }
        }
        ("families", "slowdown_mean") => find(Scenario::Families)?.slowdown.mean,
        ("families", _) => find(Scenario::Families)?.makespan_over_lower_bound,
        ("priorities", name) => {
            let report = find(Scenario::Priorities)?;
            if name == "top_priority_wait_p99_s" {
                report.wait_by_priority.iter().max_by_key(|wait| wait.priority)?.wait_seconds.p99
            } else {
                report.wait_by_priority.iter().min_by_key(|wait| wait.priority)?.wait_seconds.max
            }
        }
        ("stragglers", _) => find(Scenario::Stragglers)?.makespan_over_lower_bound,
        ("spike", _) => find(Scenario::Spike)?.wait_seconds.p99,
        ("churn", _) => find(Scenario::Churn)?.response_seconds.mean,
        ("crash", _) => find(Scenario::Crash)?.response_seconds.mean,
        ("flaky", _) => find(Scenario::Flaky)?.failed_attempts as f64,
        ("thermal", _) => find(Scenario::Thermal)?.response_seconds.mean,
        (scenario, name) if scenario.starts_with("original") => {
            let report = original(sizes.original[usize::from(scenario == "original-large")])?;
            if name == "wait_mean_s" { report.wait_seconds.mean } else { report.wait_seconds.p99 }
        }
        _ => unreachable!("every metric is listed above"),
    })
}

/// The metrics of a workload file's column: mean wait (primary) and p99 wait.
const WORKLOAD_METRICS: [(&str, bool); 2] = [("wait_mean_s", true), ("wait_p99_s", false)];

fn tabulate(
    contenders: &[Contender],
    (seed, sizes): (u64, Sizes),
    workloads: &[&str],
    jobs: &[Job],
    results: &[SimReport],
) -> QualityReport {
    let mut rows = Vec::new();
    let mut seeds: Vec<u64> = jobs.iter().map(|job| job.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    for (index, contender) in contenders.iter().enumerate() {
        for metric in &METRICS {
            // The metric per seed, then their mean.
            let per_seed: Vec<f64> = seeds
                .iter()
                .filter_map(|&seed| {
                    let reports: Vec<(&Job, &SimReport)> = jobs
                        .iter()
                        .zip(results)
                        .filter(|(job, _)| job.contender == index && job.seed == seed)
                        .collect();
                    value_of(metric, sizes, &reports)
                })
                .collect();
            if per_seed.is_empty() {
                continue;
            }
            let value = per_seed.iter().sum::<f64>() / per_seed.len() as f64;
            rows.push(Row {
                policy: contender.label(),
                scenario: metric.scenario.to_owned(),
                metric: metric.name.to_owned(),
                value,
                best: false,
            });
        }
        for (workload, name) in workloads.iter().enumerate() {
            for (metric, _) in WORKLOAD_METRICS {
                let per_seed: Vec<f64> = jobs
                    .iter()
                    .zip(results)
                    .filter(|(job, _)| job.contender == index && job.workload == Some(workload))
                    .map(
                        |(_, report)| {
                            if metric == "wait_mean_s" { report.wait_seconds.mean } else { report.wait_seconds.p99 }
                        },
                    )
                    .collect();
                if per_seed.is_empty() {
                    continue;
                }
                rows.push(Row {
                    policy: contender.label(),
                    scenario: (*name).to_owned(),
                    metric: metric.to_owned(),
                    value: per_seed.iter().sum::<f64>() / per_seed.len() as f64,
                    best: false,
                });
            }
        }
    }
    // The geometric mean of each contender's primary metrics, each first divided by the best value of
    // its column, so every scenario weighs the same.
    let best_of = |rows: &[Row], scenario: &str, metric: &str| {
        rows.iter()
            .filter(|row| row.scenario == scenario && row.metric == metric)
            .map(|row| row.value)
            .fold(f64::INFINITY, f64::min)
    };
    let mut overall = Vec::new();
    for contender in contenders {
        let label = contender.label();
        let primary =
            METRICS.iter().filter(|metric| metric.primary).map(|metric| (metric.scenario, metric.name)).chain(
                workloads.iter().flat_map(|name| {
                    WORKLOAD_METRICS.iter().filter(|(_, primary)| *primary).map(move |(metric, _)| (*name, *metric))
                }),
            );
        let ratios: Vec<f64> = primary
            .filter_map(|(scenario, metric)| {
                let row =
                    rows.iter().find(|row| row.policy == label && row.scenario == scenario && row.metric == metric)?;
                Some(row.value / best_of(&rows, scenario, metric).max(f64::MIN_POSITIVE))
            })
            .collect();
        if ratios.is_empty() {
            continue; // no primary column ran (only adaptation rows): no overall figure to give
        }
        overall.push(Row {
            policy: label,
            scenario: "all".to_owned(),
            metric: "primary_over_best_geomean".to_owned(),
            value: geometric_mean(&ratios),
            best: false,
        });
    }
    rows.extend(overall);
    let keys: Vec<(String, String)> = rows.iter().map(|row| (row.scenario.clone(), row.metric.clone())).collect();
    for (scenario, metric) in keys {
        let best = best_of(&rows, &scenario, &metric);
        for row in rows.iter_mut().filter(|row| row.scenario == scenario && row.metric == metric) {
            row.best = row.value == best;
        }
    }
    QualityReport { seed, rows }
}

/// The geometric mean (0 for no values).
pub fn geometric_mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    (values.iter().map(|value| value.max(f64::MIN_POSITIVE).ln()).sum::<f64>() / values.len() as f64).exp()
}

impl QualityReport {
    /// The table as text: a row per policy, a column per metric, the best of each column starred.
    pub fn table(&self) -> String {
        let mut columns: Vec<(String, String)> = Vec::new();
        for row in &self.rows {
            let key = (row.scenario.clone(), row.metric.clone());
            if !columns.contains(&key) {
                columns.push(key);
            }
        }
        let mut policies: Vec<String> = Vec::new();
        for row in &self.rows {
            if !policies.contains(&row.policy) {
                policies.push(row.policy.clone());
            }
        }
        let width = 14;
        let mut text = format!("{:<24}", "policy \\ scenario");
        for (scenario, _) in &columns {
            text.push_str(&format!("{:>width$}", truncate(scenario, width - 1)));
        }
        text.push('\n');
        text.push_str(&format!("{:<24}", "(lower is better)"));
        for (_, metric) in &columns {
            text.push_str(&format!("{:>width$}", truncate(metric, width - 1)));
        }
        text.push('\n');
        for policy in &policies {
            text.push_str(&format!("{policy:<24}"));
            for (scenario, metric) in &columns {
                let row = self
                    .rows
                    .iter()
                    .find(|row| &row.policy == policy && &row.scenario == scenario && &row.metric == metric)
                    .expect("every cell exists");
                let mark = if row.best { "*" } else { " " };
                text.push_str(&format!("{:>w$}{mark}", format!("{:.3}", row.value), w = width - 1));
            }
            text.push('\n');
        }
        text.push_str("* best of the column");
        if columns.iter().any(|(scenario, _)| scenario == "all") {
            text.push_str(
                "; all / primary_over_best_geomean: each primary metric over its column's best, geometric mean",
            );
        }
        text.push('\n');
        text
    }
}

fn truncate(text: &str, len: usize) -> String {
    if text.len() <= len { text.to_owned() } else { text[..len].to_owned() }
}

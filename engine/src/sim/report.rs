//! The simulation report: the JSON that `ballast sim --json` writes, and its printed summary.
//! A DTO of its own (engine types are not serialized).

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Summary statistics of a distribution.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
}

impl Distribution {
    /// The distribution of `histogram`'s samples, each divided by `scale`.
    pub fn of(histogram: &Histogram<u64>, scale: f64) -> Distribution {
        if histogram.is_empty() {
            return Distribution::default();
        }
        Distribution {
            count: histogram.len(),
            mean: histogram.mean() / scale,
            p50: histogram.value_at_quantile(0.5) as f64 / scale,
            p99: histogram.value_at_quantile(0.99) as f64 / scale,
            max: histogram.max() as f64 / scale,
        }
    }
}

/// The wait of the tasks of one priority.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorityWait {
    /// The priority (0 lowest, 9 most urgent).
    pub priority: u8,
    /// Arrival to first placement, in seconds.
    pub wait_seconds: Distribution,
}

/// What a simulation measured.
/// A set of workers that some tasks may only run on, and the bound their work puts on the makespan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EligibleSet {
    /// The requirements of one of its tasks that allows the most workers (`cuda|rocm, 1 GPU ≥ 20 GiB`).
    pub requirements: String,
    /// Workers in the set.
    pub workers: u32,
    /// Their slots.
    pub slots: u64,
    /// Their GPU devices.
    pub gpus: u64,
    /// Tasks that may only run on workers of the set.
    pub tasks: u64,
    /// Their total run time on the fastest worker each may use, in seconds.
    pub work_seconds: f64,
    /// That work spread over the set's slots (or its GPU work over its GPUs, whichever is larger).
    pub bound_seconds: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// The seed.
    pub seed: u64,
    /// Workers in the pool.
    pub workers: u32,
    /// Tasks submitted.
    pub tasks: u64,
    /// The scenario (a workload file's name, for a run of one).
    pub scenario: String,
    /// The workload file the run's pool and tasks came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_file: Option<String>,
    /// The placement policy.
    pub policy: String,
    /// The engine's executor.
    pub executor: String,
    /// Tasks that completed.
    pub tasks_completed: u64,
    /// Tasks that failed for good.
    pub tasks_failed: u64,
    /// Tasks cancelled by the coordinator.
    pub tasks_cancelled: u64,
    /// Tasks no worker could ever run.
    pub tasks_unschedulable: u64,
    /// Tasks whose submission the engine refused for good (a limit of its config, a field out of
    /// range): the first reasons are in `refusals`.
    #[serde(default)]
    pub tasks_refused: u64,
    /// The engine's reasons for the first refused submissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<String>,
    /// Tasks that never ended (must be 0).
    pub tasks_lost: u64,
    /// Tasks placed while already placed, or ended twice (must be 0).
    pub tasks_duplicated: u64,
    /// Placements made (each attempt counts).
    pub placements: u64,
    /// Tasks put back in the queue.
    pub requeues: u64,
    /// Attempts that ended without completing.
    pub attempts_failed: u64,
    /// The same count under the name the adaptation reports use.
    #[serde(default)]
    pub failed_attempts: u64,
    /// Workers quarantined for failing too often.
    #[serde(default)]
    pub quarantines: u64,
    /// Submissions admission control deferred (each submitted again after its retry-after hint).
    #[serde(default)]
    pub deferrals: u64,
    /// Submissions admission control refused as overloaded (each submitted again after its hint).
    #[serde(default)]
    pub rejections: u64,
    /// Queued tasks the engine recalled for idle workers (work stealing decisions).
    #[serde(default)]
    pub steals: u64,
    /// Recalled tasks their workers gave back and the engine moved (to the idle worker, or back to the
    /// queue when it could no longer take them).
    #[serde(default)]
    pub migrations: u64,
    /// Commands the engine refused (cancels that raced the task's end).
    pub commands_rejected: u64,
    /// Wall time spent inside engine ticks, in seconds.
    pub engine_seconds: f64,
    /// Placements per second of engine time.
    pub placements_per_second: f64,
    /// Wall time of the whole run, simulator included, in seconds.
    pub sim_wall_seconds: f64,
    /// Engine ticks.
    pub ticks: u64,
    /// Median wall time of a tick, in nanoseconds.
    pub tick_ns_p50: u64,
    /// 99th percentile wall time of a tick, in nanoseconds.
    pub tick_ns_p99: u64,
    /// Simulated time from the first arrival to the last task's end, in seconds.
    pub makespan_seconds: f64,
    /// A lower bound on the makespan, in seconds: the largest of the latest (arrival + fastest run
    /// time), the fastest total work spread over every slot, and, for each set of workers some tasks
    /// are limited to, the fastest work of those tasks spread over that set's slots (and GPUs).
    pub makespan_lower_bound_seconds: f64,
    /// The sets of workers that some tasks are limited to, the most binding first (at most five):
    /// what bounds the makespan, and which kind of worker a fleet is short of.
    #[serde(default)]
    pub eligible_sets: Vec<EligibleSet>,
    /// Makespan over its lower bound.
    pub makespan_over_lower_bound: f64,
    /// Arrival to first placement, in seconds.
    pub wait_seconds: Distribution,
    /// The same, per priority (only priorities that occurred).
    #[serde(default)]
    pub wait_by_priority: Vec<PriorityWait>,
    /// Arrival to completion, in seconds (completed tasks).
    pub response_seconds: Distribution,
    /// Response over the fastest possible run time in the pool (completed tasks).
    pub slowdown: Distribution,
    /// Busy slot time over total slot time during the makespan.
    pub utilization_mean: f64,
    /// Busy GPU time (whole devices and shares) over total GPU time during the makespan, when the pool
    /// has GPUs.
    #[serde(default)]
    pub gpu_utilization_mean: Option<f64>,
    /// The same workload under a baseline policy, when one was asked for (`ballast sim --baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// Invariant violations found (must be 0).
    pub invariant_violations: u64,
    /// The first violations, for diagnosis.
    pub invariant_violation_samples: Vec<String>,
    /// A hash of every assignment (tick time, task, worker, attempt) in order.
    pub trace_hash: String,
    /// Worker shapes (distinct capability sets) in the pool.
    #[serde(default)]
    pub shapes: u64,
    /// Requirement classes (requirement set and family) the tasks formed.
    #[serde(default)]
    pub classes: u64,
    /// Peak resident memory of the process, in bytes, when the CLI could read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
    /// Per interval of simulated time: arrivals, placements, ends, waits, tick times, busy share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<super::Timeline>,
    /// The workers × time matrix of busy shares (workers grouped into rows by hardware).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_load: Option<super::WorkerLoad>,
    /// Per hardware label: busy share and the spread of per-worker utilization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_efficiency: Option<super::WorkerEfficiency>,
}

impl SimReport {
    /// A readable multi-line summary.
    pub fn summary(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "ballast sim: {} workers, {} tasks, scenario {}{}, policy {}, seed {}",
            self.workers,
            self.tasks,
            self.scenario,
            self.workload_file.as_ref().map(|path| format!(" (from {path})")).unwrap_or_default(),
            self.policy,
            self.seed
        );
        let _ = writeln!(
            text,
            "  outcome      completed {}  failed {}  cancelled {}  unschedulable {}  lost {}  duplicated {}",
            self.tasks_completed,
            self.tasks_failed,
            self.tasks_cancelled,
            self.tasks_unschedulable,
            self.tasks_lost,
            self.tasks_duplicated
        );
        if self.tasks_refused > 0 {
            let _ = writeln!(
                text,
                "  refused      {} submissions refused by the engine, e.g. {}",
                self.tasks_refused,
                self.refusals.first().map_or("", String::as_str)
            );
        }
        let _ = writeln!(
            text,
            "  engine       {} placements in {:.3} s = {:.0} placements/s; tick p50 {:.1} µs, p99 {:.1} µs over {} ticks",
            self.placements,
            self.engine_seconds,
            self.placements_per_second,
            self.tick_ns_p50 as f64 / 1e3,
            self.tick_ns_p99 as f64 / 1e3,
            self.ticks
        );
        let _ = writeln!(text, "  pool         {} worker shapes, {} task classes", self.shapes, self.classes);
        let _ = writeln!(
            text,
            "  makespan     {:.1} s (lower bound {:.1} s, ratio {:.3}); utilization {:.1}%{}",
            self.makespan_seconds,
            self.makespan_lower_bound_seconds,
            self.makespan_over_lower_bound,
            self.utilization_mean * 100.0,
            of_gpus(self.gpu_utilization_mean)
        );
        if let Some(set) = self.eligible_sets.first()
            && set.bound_seconds >= 0.5 * self.makespan_lower_bound_seconds
        {
            let _ = writeln!(
                text,
                "  bottleneck   {} tasks limited to {} workers ({} slots, {} GPUs: {}) need {:.1} s of them",
                set.tasks, set.workers, set.slots, set.gpus, set.requirements, set.bound_seconds
            );
        }
        for (name, distribution, unit) in [
            ("wait", &self.wait_seconds, "s"),
            ("response", &self.response_seconds, "s"),
            ("slowdown", &self.slowdown, "x"),
        ] {
            let _ = writeln!(
                text,
                "  {name:<12} mean {:.3}{unit}  p50 {:.3}{unit}  p99 {:.3}{unit}  max {:.3}{unit}",
                distribution.mean, distribution.p50, distribution.p99, distribution.max
            );
        }
        let _ = writeln!(
            text,
            "  retries      {} requeues, {} failed attempts, {} refused commands, {} quarantines",
            self.requeues, self.attempts_failed, self.commands_rejected, self.quarantines
        );
        if self.deferrals + self.rejections > 0 {
            let _ = writeln!(
                text,
                "  admission    {} deferred, {} refused (each submitted again after its hint)",
                self.deferrals, self.rejections
            );
        }
        if self.steals > 0 {
            let _ = writeln!(text, "  stealing     {} recalls, {} migrations", self.steals, self.migrations);
        }
        if let Some(baseline) = &self.baseline {
            let _ = writeln!(
                text,
                "  baseline     {}: makespan {:.1} s (ratio {:.3}); utilization {:.1}%{}",
                baseline.policy,
                baseline.makespan_seconds,
                baseline.makespan_over_lower_bound,
                baseline.utilization_mean * 100.0,
                of_gpus(baseline.gpu_utilization_mean)
            );
            let _ = writeln!(
                text,
                "               wait mean {:.3}s  p99 {:.3}s;  response mean {:.3}s  p99 {:.3}s;  {} lost, {} duplicated",
                baseline.wait_seconds.mean,
                baseline.wait_seconds.p99,
                baseline.response_seconds.mean,
                baseline.response_seconds.p99,
                baseline.tasks_lost,
                baseline.tasks_duplicated
            );
        }
        let _ = writeln!(text, "  invariants   {} violations", self.invariant_violations);
        for sample in &self.invariant_violation_samples {
            let _ = writeln!(text, "    {sample}");
        }
        let _ = write!(text, "  trace hash   {}   wall {:.2} s", self.trace_hash, self.sim_wall_seconds);
        if let Some(bytes) = self.peak_rss_bytes {
            let _ = write!(text, "   peak memory {:.0} MiB", bytes as f64 / (1024.0 * 1024.0));
        }
        text.push('\n');
        text
    }
}

/// Two reports side by side (a recorded run and its replay): one row per measure, with the change.
pub struct SideBySide<'a, T> {
    left: Option<&'a T>,
    right: &'a T,
    rows: Vec<[String; 4]>,
}

impl<'a, T> SideBySide<'a, T> {
    /// A table of `left` (absent: dashes) against `right`.
    pub fn new(left: Option<&'a T>, right: &'a T) -> Self {
        SideBySide { left, right, rows: Vec::new() }
    }

    /// A row of text values, marked `≠` when they differ.
    pub fn text(&mut self, name: &str, value: impl Fn(&T) -> String) -> &mut Self {
        let right = value(self.right);
        let (left, change) = match self.left {
            Some(left) => {
                let left = value(left);
                let change = if left == right { String::new() } else { "≠".to_owned() };
                (left, change)
            }
            None => ("-".to_owned(), String::new()),
        };
        self.rows.push([name.to_owned(), left, right, change]);
        self
    }

    /// A row of numbers with `decimals` decimals, and the relative change.
    pub fn number(&mut self, name: &str, decimals: usize, value: impl Fn(&T) -> f64) -> &mut Self {
        let right = value(self.right);
        let (left_text, change) = match self.left {
            Some(left) => {
                let left = value(left);
                let change = if left != 0.0 && left.is_finite() {
                    format!("{:+.1}%", (right / left - 1.0) * 100.0)
                } else if right != left {
                    "≠".to_owned()
                } else {
                    String::new()
                };
                (format!("{left:.decimals$}"), change)
            }
            None => ("-".to_owned(), String::new()),
        };
        self.rows.push([name.to_owned(), left_text, format!("{right:.decimals$}"), change]);
        self
    }

    /// The table, under column titles.
    pub fn render(&self, left_title: &str, right_title: &str) -> String {
        let width = |column: usize, title: &str| {
            self.rows.iter().map(|row| row[column].chars().count()).chain([title.chars().count()]).max().unwrap_or(0)
        };
        let (name_width, left_width, right_width) = (width(0, ""), width(1, left_title), width(2, right_title));
        let mut text = String::new();
        let _ = writeln!(text, "{:<name_width$}  {left_title:>left_width$}  {right_title:>right_width$}  change", "");
        for [name, left, right, change] in &self.rows {
            let _ = writeln!(text, "{name:<name_width$}  {left:>left_width$}  {right:>right_width$}  {change}");
        }
        text
    }
}

/// A recorded simulation's report beside its replay's.
pub fn side_by_side(left_title: &str, left: Option<&SimReport>, right_title: &str, right: &SimReport) -> String {
    SideBySide::new(left, right)
        .text("policy", |report| report.policy.clone())
        .text("workers", |report| report.workers.to_string())
        .text("tasks", |report| report.tasks.to_string())
        .text("trace hash", |report| report.trace_hash.clone())
        .number("completed", 0, |report| report.tasks_completed as f64)
        .number("failed", 0, |report| report.tasks_failed as f64)
        .number("cancelled", 0, |report| report.tasks_cancelled as f64)
        .number("unschedulable", 0, |report| report.tasks_unschedulable as f64)
        .number("lost", 0, |report| report.tasks_lost as f64)
        .number("duplicated", 0, |report| report.tasks_duplicated as f64)
        .number("placements", 0, |report| report.placements as f64)
        .number("requeues", 0, |report| report.requeues as f64)
        .number("makespan (s)", 1, |report| report.makespan_seconds)
        .number("makespan / LB", 3, |report| report.makespan_over_lower_bound)
        .number("utilization (%)", 1, |report| report.utilization_mean * 100.0)
        .number("wait mean (s)", 3, |report| report.wait_seconds.mean)
        .number("wait p99 (s)", 3, |report| report.wait_seconds.p99)
        .number("response mean (s)", 3, |report| report.response_seconds.mean)
        .number("response p99 (s)", 3, |report| report.response_seconds.p99)
        .number("slowdown mean", 3, |report| report.slowdown.mean)
        .number("slowdown p99", 3, |report| report.slowdown.p99)
        .number("placements/s", 0, |report| report.placements_per_second)
        .number("tick p99 (µs)", 1, |report| report.tick_ns_p99 as f64 / 1e3)
        .number("invariant violations", 0, |report| report.invariant_violations as f64)
        .render(left_title, right_title)
}

/// What follows a slot utilization in the summary when the pool has GPUs.
fn of_gpus(gpu_utilization: Option<f64>) -> String {
    gpu_utilization.map_or_else(String::new, |gpu| format!(" of slots, {:.1}% of GPUs", gpu * 100.0))
}

/// A run's headline figures under a baseline policy: the same seed, pool and tasks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The baseline's policy.
    pub policy: String,
    /// Its makespan, in seconds.
    pub makespan_seconds: f64,
    /// Its makespan over the (shared) lower bound.
    pub makespan_over_lower_bound: f64,
    /// Its slot utilization.
    pub utilization_mean: f64,
    /// Its GPU utilization, when the pool has GPUs.
    pub gpu_utilization_mean: Option<f64>,
    /// Arrival to first placement, in seconds.
    pub wait_seconds: Distribution,
    /// Arrival to completion, in seconds.
    pub response_seconds: Distribution,
    /// Tasks it lost and duplicated (must be 0).
    pub tasks_lost: u64,
    /// Tasks it ran twice (must be 0).
    pub tasks_duplicated: u64,
    /// Invariant violations (must be 0).
    pub invariant_violations: u64,
    /// Its trace hash.
    pub trace_hash: String,
}

impl Baseline {
    /// The figures of `report`, a run under a baseline policy.
    pub fn of(report: &SimReport) -> Baseline {
        Baseline {
            policy: report.policy.clone(),
            makespan_seconds: report.makespan_seconds,
            makespan_over_lower_bound: report.makespan_over_lower_bound,
            utilization_mean: report.utilization_mean,
            gpu_utilization_mean: report.gpu_utilization_mean,
            wait_seconds: report.wait_seconds.clone(),
            response_seconds: report.response_seconds.clone(),
            tasks_lost: report.tasks_lost,
            tasks_duplicated: report.tasks_duplicated,
            invariant_violations: report.invariant_violations,
            trace_hash: report.trace_hash.clone(),
        }
    }
}

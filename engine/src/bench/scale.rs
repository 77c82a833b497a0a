//! The scale harness behind `ballast bench scale`: the engine at growing pool sizes, one row per size.
//!
//! Per size it measures:
//! - **throughput**: a `default`-scenario simulation (`tasks` tasks; by default 100 per worker, at most
//!   1,000,000), placements per second of engine time, tick p50/p99 and the wall time of the whole run;
//! - **backlog latency**: the engine alone with ten tasks pending per worker (100,000 at 10,000 workers)
//!   and steady arrivals and completions, the p99 of its own tick histogram;
//! - **memory**: the engine alone, resident memory after registering the pool over a baseline (bytes
//!   per worker), then after queueing a million tasks (bytes per queued task). Resident memory only
//!   grows inside one process, so the CLI runs each probe in a fresh process.
//!
//! `exact_check` adds, at sizes up to 10,000 workers, the index search against an exhaustive scan of
//! every eligible worker, both one task at a time, on the same seeded run: the mean response of each.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use ballast_components::clock::Timestamp;
use ballast_components::config::EngineConfig;
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{Event, TaskSpec};

use crate::engine::Engine;
use crate::sim::workload::{self, TaskMaker};
use crate::sim::{self, Scenario, SimConfig, SimError};

/// The default pool sizes of the sweep.
pub const DEFAULT_WORKERS: [u32; 4] = [100, 1_000, 10_000, 100_000];

/// Tasks per worker in a throughput run unless told otherwise, and the most tasks by default.
const TASKS_PER_WORKER: u64 = 100;
const TASKS_DEFAULT_MAX: u64 = 1_000_000;
/// Pending tasks per worker in the backlog measurement, and its ticks.
const BACKLOG_PER_WORKER: u64 = 10;
const BACKLOG_TICKS: u64 = 200;
/// Tasks queued by the memory probe.
pub const PROBE_TASKS: u64 = 1_000_000;
/// The largest pool the exact check runs at (an exhaustive scan costs the pool size per placement).
const EXACT_CHECK_WORKERS_MAX: u32 = 10_000;

/// What the sweep runs.
#[derive(Clone, Debug)]
pub struct ScalePlan {
    /// Pool sizes.
    pub workers: Vec<u32>,
    /// Tasks per throughput run (`None`: 100 per worker, at most 1,000,000).
    pub tasks: Option<u64>,
    /// The seed.
    pub seed: u64,
    /// Whether to compare the index search with an exhaustive scan (sizes up to 10,000 workers).
    pub exact_check: bool,
}

/// What the memory probe measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryProbe {
    /// Resident bytes per registered worker, over the process's baseline.
    pub bytes_per_worker: f64,
    /// Resident bytes per queued task, over the registered pool.
    pub bytes_per_task: f64,
}

/// One size of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleRow {
    /// Workers in the pool.
    pub workers: u32,
    /// Tasks of the throughput run.
    pub tasks: u64,
    /// Placements made in it.
    pub placements: u64,
    /// Placements per second of engine time.
    pub placements_per_second: f64,
    /// Engine seconds of the run.
    pub engine_seconds: f64,
    /// Tick time, median and 99th percentile, in nanoseconds.
    pub tick_ns_p50: u64,
    /// See `tick_ns_p50`.
    pub tick_ns_p99: u64,
    /// Tick p99 with ten tasks pending per worker and steady arrivals, in nanoseconds.
    pub backlog_tick_ns_p99: u64,
    /// Pending tasks during the backlog measurement.
    pub backlog_pending: u64,
    /// Resident bytes per queued task (absent when not measured).
    pub bytes_per_task: Option<f64>,
    /// Resident bytes per worker (absent when not measured).
    pub bytes_per_worker: Option<f64>,
    /// Wall seconds of the whole simulation, simulator included.
    pub sim_wall_seconds: f64,
    /// Worker shapes in the pool.
    pub shapes: u64,
    /// Task classes.
    pub classes: u64,
    /// Mean response time of the run, in seconds.
    pub response_mean_seconds: f64,
    /// Tasks lost or duplicated (always 0; the run fails otherwise).
    pub tasks_lost: u64,
}

impl ScaleRow {
    /// The share of the throughput run's wall time spent outside the engine: the simulator's own work.
    pub fn simulator_share(&self) -> f64 {
        if self.sim_wall_seconds > 0.0 {
            ((self.sim_wall_seconds - self.engine_seconds) / self.sim_wall_seconds).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// The index search against an exhaustive scan at one size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactCheck {
    /// Workers.
    pub workers: u32,
    /// Tasks.
    pub tasks: u64,
    /// Mean response with the index search, one task at a time, in seconds.
    pub indexed_response_mean_seconds: f64,
    /// Mean response with every eligible worker scored exactly, in seconds.
    pub exact_response_mean_seconds: f64,
    /// Indexed over exact (1.0: the same quality).
    pub ratio: f64,
    /// Placements per second of each.
    pub indexed_placements_per_second: f64,
    /// See `indexed_placements_per_second`.
    pub exact_placements_per_second: f64,
}

/// The sweep's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleReport {
    /// The seed.
    pub seed: u64,
    /// One row per size.
    pub rows: Vec<ScaleRow>,
    /// The exact checks, if asked for.
    pub exact_checks: Vec<ExactCheck>,
}

/// Runs the sweep. `memory` measures one size's memory (the CLI runs it in a fresh process; `None`
/// leaves the memory columns empty).
pub fn run(
    plan: &ScalePlan,
    memory: &mut dyn FnMut(u32) -> Option<MemoryProbe>,
    progress: &mut dyn FnMut(&str),
) -> Result<ScaleReport, SimError> {
    let mut rows = Vec::new();
    let mut exact_checks = Vec::new();
    for &workers in &plan.workers {
        let tasks = plan.tasks.unwrap_or((u64::from(workers) * TASKS_PER_WORKER).min(TASKS_DEFAULT_MAX));
        progress(&format!("{workers} workers: simulating {tasks} tasks"));
        let config = SimConfig { workers, tasks, seed: plan.seed, ..SimConfig::default() };
        let report = sim::run(&config, &mut |_| {})?;
        if report.tasks_lost > 0 || report.tasks_duplicated > 0 {
            return Err(SimError::Invariants(report.summary()));
        }
        progress(&format!("{workers} workers: backlog"));
        let (backlog_tick_ns_p99, backlog_pending) = backlog_tick_p99(workers, plan.seed)?;
        progress(&format!("{workers} workers: memory"));
        let probe = memory(workers);
        rows.push(ScaleRow {
            workers,
            tasks,
            placements: report.placements,
            placements_per_second: report.placements_per_second,
            engine_seconds: report.engine_seconds,
            tick_ns_p50: report.tick_ns_p50,
            tick_ns_p99: report.tick_ns_p99,
            backlog_tick_ns_p99,
            backlog_pending,
            bytes_per_task: probe.map(|probe| probe.bytes_per_task),
            bytes_per_worker: probe.map(|probe| probe.bytes_per_worker),
            sim_wall_seconds: report.sim_wall_seconds,
            shapes: report.shapes,
            classes: report.classes,
            response_mean_seconds: report.response_seconds.mean,
            tasks_lost: report.tasks_lost,
        });
        if plan.exact_check && workers <= EXACT_CHECK_WORKERS_MAX {
            progress(&format!("{workers} workers: index against exhaustive scan"));
            exact_checks.push(exact_check(workers, plan.seed)?);
        }
    }
    Ok(ScaleReport { seed: plan.seed, rows, exact_checks })
}

/// The index search against an exhaustive scan, both greedy (batch placement would weigh every worker
/// for a whole batch), on the same run: 20 tasks per worker, at most 100,000.
fn exact_check(workers: u32, seed: u64) -> Result<ExactCheck, SimError> {
    let tasks = (u64::from(workers) * 20).min(100_000);
    let run = |exact_scan_workers_max: u32| {
        let engine = EngineConfig { batch_assignment: false, exact_scan_workers_max, ..EngineConfig::default() };
        sim::run(&SimConfig { workers, tasks, seed, engine, ..SimConfig::default() }, &mut |_| {})
    };
    let indexed = run(0)?;
    let exact = run(u32::MAX)?;
    let (indexed_mean, exact_mean) = (indexed.response_seconds.mean, exact.response_seconds.mean);
    Ok(ExactCheck {
        workers,
        tasks,
        indexed_response_mean_seconds: indexed_mean,
        exact_response_mean_seconds: exact_mean,
        ratio: if exact_mean > 0.0 { indexed_mean / exact_mean } else { 1.0 },
        indexed_placements_per_second: indexed.placements_per_second,
        exact_placements_per_second: exact.placements_per_second,
    })
}

/// A default-scenario pool of `workers` registered on a fresh engine, and a task maker for it.
fn registered_pool(workers: u32, seed: u64) -> Result<(Engine, TaskMaker, Pcg64Mcg), SimError> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let pool = workload::pool(Scenario::Default, workers, &mut rng);
    let mut engine = Engine::new(EngineConfig::default())?;
    for worker in &pool.workers {
        engine.register_worker(worker.spec.clone()).map_err(|error| SimError::Refused(error.to_string()))?;
    }
    let maker = TaskMaker::new(Scenario::Default, u64::MAX, pool.workers.len(), &mut rng);
    Ok((engine, maker, rng))
}

/// Submits a batch; any task refused is an error (the harness sizes its batches within the limits).
fn submit_all(engine: &mut Engine, specs: Vec<TaskSpec>) -> Result<(), SimError> {
    let outcome = engine.submit_batch(specs).map_err(|error| SimError::Refused(error.to_string()))?;
    match outcome.rejected.first() {
        Some(error) => Err(SimError::Refused(format!("{} tasks, the first: {error}", outcome.rejected.len()))),
        None => Ok(()),
    }
}

/// Ticks the engine at `now` and returns the tasks it assigned.
fn tick(engine: &mut Engine, now: Timestamp, assigned: &mut Vec<(TaskId, WorkerId)>) -> Result<(), SimError> {
    engine.tick(now).map_err(|error| SimError::Refused(error.to_string()))?;
    for event in engine.events() {
        if let Event::TaskAssigned { task, worker, .. } = event {
            assigned.push((task, worker));
        }
    }
    Ok(())
}

/// Tick p99 with [`BACKLOG_PER_WORKER`] tasks pending per worker: each tick, a fiftieth of the running
/// tasks completes and as many new tasks arrive, so the backlog stays put while the engine works.
fn backlog_tick_p99(workers: u32, seed: u64) -> Result<(u64, u64), SimError> {
    let (mut engine, maker, mut rng) = registered_pool(workers, seed)?;
    let mut next_id = 0u64;
    let mut submit = |engine: &mut Engine, rng: &mut Pcg64Mcg, count: u64| -> Result<(), SimError> {
        let specs: Vec<TaskSpec> = (0..count)
            .map(|_| {
                next_id += 1;
                maker.make(TaskId(next_id), rng).spec
            })
            .collect();
        for chunk in specs.chunks(100_000) {
            submit_all(engine, chunk.to_vec())?;
        }
        Ok(())
    };
    let mut now = Timestamp::from_millis(1);
    let mut running: std::collections::VecDeque<(TaskId, WorkerId)> = std::collections::VecDeque::new();
    let mut assigned = Vec::new();
    // Fill the pool and the backlog, let it settle, then measure from a fresh histogram.
    let slots = engine.view().workers().map(|worker| u64::from(worker.capabilities.slots)).sum::<u64>();
    submit(&mut engine, &mut rng, slots + u64::from(workers) * BACKLOG_PER_WORKER)?;
    tick(&mut engine, now, &mut assigned)?;
    running.extend(assigned.drain(..));
    let per_tick = (running.len() as u64 / 50).max(1);
    let mut pending = 0;
    for round in 0..BACKLOG_TICKS + 10 {
        if round == 10 {
            engine.reset_tick_histogram();
        }
        for _ in 0..per_tick {
            let Some((task, worker)) = running.pop_front() else { break };
            engine
                .task_completed(task, worker, 30_000_000_000)
                .map_err(|error| SimError::Refused(error.to_string()))?;
        }
        submit(&mut engine, &mut rng, per_tick)?;
        now = now.plus_ns(50_000_000);
        tick(&mut engine, now, &mut assigned)?;
        running.extend(assigned.drain(..));
        pending = engine.view().queue_depths().iter().map(|depth| depth.entries as u64).sum::<u64>();
    }
    Ok((engine.view().metrics().tick_ns.value_at_quantile(0.99), pending))
}

/// Measures this process's resident memory for a pool of `workers` and `tasks` queued tasks (the CLI
/// queues [`PROBE_TASKS`]). Run it in a fresh process: resident memory is not given back within one.
pub fn memory_probe(workers: u32, tasks: u64, seed: u64) -> Result<Option<MemoryProbe>, SimError> {
    let Some(baseline) = resident_bytes() else {
        return Ok(None);
    };
    let (mut engine, maker, mut rng) = registered_pool(workers, seed)?;
    let mut assigned = Vec::new();
    tick(&mut engine, Timestamp::from_millis(1), &mut assigned)?;
    let with_pool = resident_bytes().unwrap_or(baseline);
    // Every task needs the tag of the one worker that has it, so all but a few stay queued.
    let mut tagged = workload::pool(Scenario::Default, 1, &mut rng).workers.remove(0).spec;
    tagged.id = WorkerId(u64::from(workers));
    tagged.tags.push("memory-probe".to_owned());
    engine.register_worker(tagged).map_err(|error| SimError::Refused(error.to_string()))?;
    let mut id = 0u64;
    while id < tasks {
        let chunk: Vec<TaskSpec> = (0..100_000.min(tasks - id))
            .map(|_| {
                id += 1;
                let mut spec = maker.make(TaskId(id), &mut rng).spec;
                spec.requirements.tags.push("memory-probe".to_owned());
                spec.requirements.hardware_any = Default::default();
                spec.requirements.browsers_any = Default::default();
                spec.requirements.gpu = Default::default();
                spec.requirements.gpu_models.clear();
                spec.requirements.cpu_milli = 0;
                spec.requirements.memory_mib = 0;
                spec
            })
            .collect();
        submit_all(&mut engine, chunk)?;
    }
    tick(&mut engine, Timestamp::from_millis(2), &mut assigned)?;
    let with_tasks = resident_bytes().unwrap_or(with_pool);
    let queued: u64 = engine.view().queue_depths().iter().map(|depth| depth.entries as u64).sum();
    if queued == 0 {
        return Err(SimError::Refused("the memory probe queued no task".to_owned()));
    }
    Ok(Some(MemoryProbe {
        bytes_per_worker: with_pool.saturating_sub(baseline) as f64 / f64::from(workers.max(1)),
        bytes_per_task: with_tasks.saturating_sub(with_pool) as f64 / queued as f64,
    }))
}

/// This process's resident memory (Linux `/proc/self/statm`), if readable.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

impl ScaleReport {
    /// The table as text.
    pub fn table(&self) -> String {
        let mut text = format!(
            "{:>8} {:>9} {:>13} {:>10} {:>10} {:>14} {:>10} {:>11} {:>9} {:>9} {:>7} {:>8}\n",
            "workers",
            "tasks",
            "placements/s",
            "tick p50",
            "tick p99",
            "backlog p99",
            "B/task",
            "B/worker",
            "wall s",
            "sim share",
            "shapes",
            "classes"
        );
        let bytes = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |value| format!("{value:.0}"));
        for row in &self.rows {
            text.push_str(&format!(
                "{:>8} {:>9} {:>13.0} {:>8.1}µs {:>8.1}µs {:>12.1}µs {:>10} {:>11} {:>9.2} {:>8.0}% {:>7} {:>8}\n",
                row.workers,
                row.tasks,
                row.placements_per_second,
                row.tick_ns_p50 as f64 / 1e3,
                row.tick_ns_p99 as f64 / 1e3,
                row.backlog_tick_ns_p99 as f64 / 1e3,
                bytes(row.bytes_per_task),
                bytes(row.bytes_per_worker),
                row.sim_wall_seconds,
                row.simulator_share() * 100.0,
                row.shapes,
                row.classes,
            ));
        }
        text.push_str("backlog p99: tick p99 with ten tasks pending per worker and steady arrivals\n");
        text.push_str("sim share: the share of the run's wall time outside the engine (the simulator's own work)\n");
        for check in &self.exact_checks {
            text.push_str(&format!(
                "exact check at {} workers, {} tasks: mean response {:.3} s indexed vs {:.3} s exhaustive (ratio {:.4}); {:.0} vs {:.0} placements/s\n",
                check.workers,
                check.tasks,
                check.indexed_response_mean_seconds,
                check.exact_response_mean_seconds,
                check.ratio,
                check.indexed_placements_per_second,
                check.exact_placements_per_second,
            ));
        }
        text
    }
}

/// A line of the tick chart: its label, colour and value per row.
type TickSeries = (&'static str, plotters::style::RGBColor, fn(&ScaleRow) -> u64);

/// Draws the scalability chart: placements per second and tick time (p50, p99, backlog p99) against
/// pool size, both on log scales, as an SVG file.
pub fn write_chart(report: &ScaleReport, path: &std::path::Path) -> Result<(), String> {
    use plotters::prelude::*;
    let rows = &report.rows;
    if rows.is_empty() {
        return Err("no rows to chart".to_owned());
    }
    let span = |values: &mut dyn Iterator<Item = f64>| {
        let (low, high) = values.fold((f64::INFINITY, 0.0f64), |(low, high), value| (low.min(value), high.max(value)));
        (low.max(1e-9) / 2.0, high.max(1e-9) * 2.0)
    };
    let (x_low, x_high) = span(&mut rows.iter().map(|row| f64::from(row.workers)));
    let (rate_low, rate_high) = span(&mut rows.iter().map(|row| row.placements_per_second));
    let micros = |ns: u64| (ns as f64 / 1e3).max(0.1);
    let (tick_low, tick_high) = span(
        &mut rows
            .iter()
            .flat_map(|row| [micros(row.tick_ns_p50), micros(row.tick_ns_p99), micros(row.backlog_tick_ns_p99)]),
    );
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(500);
        let mut rate = ChartBuilder::on(&left)
            .caption("placements per second of engine time", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((x_low..x_high).log_scale(), (rate_low..rate_high).log_scale())?;
        rate.configure_mesh().x_desc("workers").y_desc("placements/s").draw()?;
        let points: Vec<(f64, f64)> =
            rows.iter().map(|row| (f64::from(row.workers), row.placements_per_second)).collect();
        rate.draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))?;
        rate.draw_series(points.iter().map(|&point| Circle::new(point, 4, BLUE.filled())))?;
        let mut ticks = ChartBuilder::on(&right)
            .caption("tick time (µs)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((x_low..x_high).log_scale(), (tick_low..tick_high).log_scale())?;
        ticks.configure_mesh().x_desc("workers").y_desc("µs").draw()?;
        let series: [TickSeries; 3] = [
            ("p50", GREEN, |row| row.tick_ns_p50),
            ("p99", RED, |row| row.tick_ns_p99),
            ("p99, 10 pending per worker", MAGENTA, |row| row.backlog_tick_ns_p99),
        ];
        for (label, color, value) in series {
            let points: Vec<(f64, f64)> = rows.iter().map(|row| (f64::from(row.workers), micros(value(row)))).collect();
            ticks
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            ticks.draw_series(points.iter().map(|&point| Circle::new(point, 3, color.filled())))?;
        }
        ticks.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|error| format!("drawing {}: {error}", path.display()))
}

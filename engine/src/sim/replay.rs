//! What-if replay of a recorded simulation: the recorded pool and arrivals, a fresh engine (the same
//! config, another policy, another config file, or fewer workers), and the simulated workers' ground
//! truth, so that outcomes follow the new placement.
//!
//! From the recording the replay takes what does not depend on placement: the worker registrations
//! (`command.register_worker`) with their true speeds (`sim.worker`), the history given at the start
//! (`command.import_history`), and each arrival (`sim.arrival`: when, each task's work, family and
//! planned cancellation) with its submission (`command.submit_batch`). What the workers say back
//! (`task_started`, `task_completed`, `task_failed`, heartbeats, cancellations of tasks still running)
//! depends on where tasks ran, so the simulated workers say it again; whether an attempt fails is drawn
//! from the recorded seed keyed by task and attempt, the same as in the recorded run. Replaying under
//! the recording's own config therefore makes the same assignments (the same `trace_hash`).
//!
//! The recording is read as a stream, one arrival ahead: memory does not grow with its length beyond
//! what the simulation itself keeps per task.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use xxhash_rust::xxh3::Xxh3;

use ballast_components::config::{EngineConfig, PolicyName};
use ballast_components::message::{TaskSpec, WorkerSpec};

use super::workload::{Arrivals, FailureRates, LoadOf, Pool, SimTaskSpec, SimWorker};
use super::{Progress, Scenario, SimConfig, SimError, SimReport, Simulation, validate};
use crate::engine::PastRun;
use crate::record::{Line, Reader, RecordError, SimHeader, SimTaskDto};

/// How to replay.
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Place with this policy instead of the recorded one.
    pub policy: Option<PolicyName>,
    /// Use this engine config instead of the recorded one (the policy above still wins).
    pub config: Option<EngineConfig>,
    /// Drop this share of the workers (0 to 100), chosen by the recorded seed.
    pub drop_workers_percent: f64,
    /// Record the replay too.
    pub record: Option<PathBuf>,
    /// Keep the engine's history across runs in this file.
    pub history: Option<PathBuf>,
}

/// What a replay measured, beside what the recording says of the original run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReplayOutcome {
    /// The replayed run.
    pub replay: SimReport,
    /// The recorded run's report (its `sim.report` line), if the recording holds it.
    pub recorded: Option<SimReport>,
    /// The hash of the recorded assignments, recomputed from its `event.task_assigned` lines.
    pub recorded_trace_hash: String,
    /// Workers the replay left out.
    pub workers_dropped: u32,
    /// Whether the replay made exactly the recorded assignments.
    pub same_assignments: bool,
    /// Warnings (a recording cut short, an unreadable report).
    pub warnings: Vec<String>,
}

/// Replays the simulation recorded at `path`.
pub fn replay(
    path: &Path,
    options: &ReplayOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ReplayOutcome, SimError> {
    let reader = Reader::open(path)?;
    let header = reader.header().clone();
    let Some(sim) = header.sim.clone() else {
        return Err(SimError::Record(format!(
            "{} was recorded by an embedded engine (source `{}`), not by `ballast sim`: it holds no ground truth \
             of run times to replay placements against",
            path.display(),
            header.source
        )));
    };
    let mut engine = match &options.config {
        Some(config) => config.clone(),
        None => header.config.to_config().map_err(|error| SimError::Record(format!("line 1: {error}")))?,
    };
    if let Some(policy) = options.policy {
        engine.policy = policy;
    }
    let Some(scenario) = Scenario::parse(&sim.scenario) else {
        return Err(SimError::Record(format!("line 1: unknown scenario `{}`", sim.scenario)));
    };
    let percent = options.drop_workers_percent;
    if !(0.0..=100.0).contains(&percent) {
        return Err(SimError::Record(format!("--drop-workers is {percent}, outside 0..=100")));
    }
    let (feed, pool) = Feed::open(reader, &sim)?;
    let present = keep_workers(pool.workers.len(), percent, sim.seed);
    let kept = present.iter().filter(|present| **present).count();
    let dropped = present.len() - kept;
    let thermal_aware = engine.thermal_aware;
    let config = SimConfig {
        workers: kept as u32,
        tasks: sim.tasks,
        seed: sim.seed,
        scenario,
        workload: None,
        engine,
        tick_interval_ms: sim.tick_interval_ms,
        heartbeat_interval_ms: sim.heartbeat_interval_ms,
        check_engine_every_tick: false,
        stall_seconds_max: sim.stall_seconds_max,
        record: options.record.clone(),
        history_file: options.history.clone(),
        // The pool is rebuilt from the recording's header, its run-queue depth with it, and the
        // engine's config (thermal awareness included) from the recording's.
        prefetch: None,
        thermal_aware: Some(thermal_aware),
    };
    validate(&config)?;
    let rng = Pcg64Mcg::seed_from_u64(sim.seed);
    let mut simulation = Simulation::assemble(&config, rng, pool, None, Some(feed), present, 0.0)?;
    let report = simulation.run(progress)?;
    let Some(feed) = simulation.take_feed() else { unreachable!("a replay keeps its feed") };
    let (recorded, recorded_trace_hash, warnings) = feed.finish()?;
    Ok(ReplayOutcome {
        same_assignments: report.trace_hash == recorded_trace_hash,
        replay: report,
        recorded,
        recorded_trace_hash,
        workers_dropped: dropped as u32,
        warnings,
    })
}

/// Which workers a replay keeps: all but `percent` of them, chosen by a shuffle seeded from `seed`.
fn keep_workers(count: usize, percent: f64, seed: u64) -> Vec<bool> {
    let dropped = ((count as f64) * percent / 100.0).round() as usize;
    let mut order: Vec<usize> = (0..count).collect();
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0xd209_0000_0000_0001);
    for index in (1..count).rev() {
        order.swap(index, rng.random_range(0..=index));
    }
    let mut present = vec![true; count];
    for &index in &order[..dropped.min(count)] {
        present[index] = false;
    }
    present
}

/// One recorded arrival, read ahead of its time.
struct Pending {
    line: u64,
    at_ns: u64,
    tasks: Vec<SimTaskDto>,
    specs: Vec<TaskSpec>,
}

/// A recorded simulation, read as the replay needs it.
pub(crate) struct Feed {
    reader: Reader<BufReader<File>>,
    next: Option<Pending>,
    imports: Vec<PastRun>,
    trace: Xxh3,
    recorded: Option<SimReport>,
    warnings: Vec<String>,
    /// The pool churns: workers registering again mid-run are the simulator's own doing, replayed.
    churns: bool,
}

impl Feed {
    /// Reads the pool (registrations and true speeds) and the history given at the start, up to the
    /// first arrival.
    fn open(mut reader: Reader<BufReader<File>>, sim: &SimHeader) -> Result<(Feed, Pool), SimError> {
        let mut specs: Vec<WorkerSpec> = Vec::new();
        let mut speeds: Vec<Option<(f64, bool, u32)>> = Vec::new();
        let mut imports = Vec::new();
        let mut feed_next = None;
        while let Some(line) = reader.next_line()? {
            let number = reader.line_number();
            match line {
                Line::RegisterWorker { worker, .. } => {
                    if worker.id != specs.len() as u64 {
                        return Err(inconsistent(
                            number,
                            format!(
                                "worker w{} registered where w{} was expected (ids count from 0)",
                                worker.id,
                                specs.len()
                            ),
                        ));
                    }
                    specs.push(worker.to_spec());
                    speeds.push(None);
                }
                Line::SimWorker { worker, machine_speed, uniform_speed, flaky_permille, .. } => {
                    let Some(slot) = speeds.get_mut(worker as usize) else {
                        return Err(inconsistent(
                            number,
                            format!("sim.worker for w{worker}, which was never registered"),
                        ));
                    };
                    if !(machine_speed.is_finite() && machine_speed > 0.0) {
                        return Err(inconsistent(number, format!("w{worker} has speed {machine_speed}")));
                    }
                    *slot = Some((machine_speed, uniform_speed, flaky_permille.min(1_000)));
                }
                Line::ImportHistory { runs, .. } => {
                    for run in &runs {
                        if run.worker >= specs.len() as u64 {
                            return Err(inconsistent(
                                number,
                                format!("history of w{}, which was never registered", run.worker),
                            ));
                        }
                    }
                    imports.extend(runs.iter().map(|run| run.to_run()));
                }
                Line::SimArrival { at_ns, tasks, .. } => {
                    feed_next = Some(Feed::submission(&mut reader, number, at_ns, tasks)?);
                    break;
                }
                _ => {}
            }
        }
        if specs.is_empty() {
            return Err(SimError::Record("the recording registers no worker".to_owned()));
        }
        let mut workers = Vec::with_capacity(specs.len());
        for (spec, speed) in specs.into_iter().zip(speeds) {
            let Some((machine_speed, uniform_speed, flaky_permille)) = speed else {
                return Err(SimError::Record(format!(
                    "the recording gives no sim.worker line (true speed) for {}",
                    spec.id
                )));
            };
            workers.push(SimWorker { spec, machine_speed, uniform_speed, flaky_permille, family_speed: None });
        }
        let pool = Pool {
            workers,
            // Arrivals come from the recording.
            arrivals: Arrivals::AllAtOnce,
            load_of: LoadOf::Pool,
            failures: FailureRates { retryable: sim.pool.failure_retryable, permanent: sim.pool.failure_permanent },
            cancels_per_million: 0,
            prefetch_max: sim.pool.prefetch_max,
            contention_permille: sim.pool.contention_permille,
            cold_starts: sim.pool.cold_starts,
            crash_every: sim.pool.crash_every,
            // Arrivals and the engine's admission marks come from the recording.
            spike: None,
            admission: None,
            heats: sim.pool.heats,
            churn_every_ms: sim.pool.churn_every_ms,
        };
        let churns = sim.pool.churn_every_ms > 0;
        let feed =
            Feed { reader, next: feed_next, imports, trace: Xxh3::new(), recorded: None, warnings: Vec::new(), churns };
        Ok((feed, pool))
    }

    /// Reads the submission that follows a `sim.arrival` line, and checks that it submits those tasks.
    fn submission(
        reader: &mut Reader<BufReader<File>>,
        arrival_line: u64,
        at_ns: u64,
        tasks: Vec<SimTaskDto>,
    ) -> Result<Pending, SimError> {
        let line = reader.next_line()?;
        let number = reader.line_number();
        let specs: Vec<TaskSpec> = match &line {
            Some(Line::SubmitBatch { tasks, .. }) => tasks.iter().map(|task| task.to_spec()).collect(),
            Some(Line::SubmitTask { task, .. }) => vec![task.to_spec()],
            Some(other) => {
                return Err(inconsistent(
                    number,
                    format!("a `{}` line where the submission of line {arrival_line}'s arrival belongs", other.kind()),
                ));
            }
            None => {
                return Err(inconsistent(
                    arrival_line,
                    "an arrival without its submission (the recording ends)".to_owned(),
                ));
            }
        };
        if specs.len() != tasks.len() || specs.iter().zip(&tasks).any(|(spec, truth)| spec.id.0 != truth.task) {
            return Err(inconsistent(number, format!("the submission does not submit line {arrival_line}'s tasks")));
        }
        for truth in &tasks {
            if !(truth.work_seconds.is_finite() && truth.work_seconds >= 0.0) {
                return Err(inconsistent(arrival_line, format!("t{} has work {} s", truth.task, truth.work_seconds)));
            }
        }
        Ok(Pending { line: arrival_line, at_ns, tasks, specs })
    }

    /// The history given to the engine at the start.
    pub(crate) fn take_imports(&mut self) -> Vec<PastRun> {
        std::mem::take(&mut self.imports)
    }

    /// When the next recorded arrival happens, if any is left.
    pub(crate) fn next_arrival_ns(&self) -> Option<u64> {
        self.next.as_ref().map(|pending| pending.at_ns)
    }

    /// The arrival due now, as the simulator submits it, and reads on to the next one. Task ids must
    /// continue from `next_task` (the simulator numbers tasks densely).
    pub(crate) fn take_arrival(
        &mut self,
        time_ns: u64,
        next_task: u64,
    ) -> Result<Vec<(SimTaskSpec, Option<u64>)>, SimError> {
        let Some(pending) = self.next.take() else { return Ok(Vec::new()) };
        debug_assert_eq!(pending.at_ns, time_ns, "arrivals fire at their recorded time");
        let mut arrivals = Vec::with_capacity(pending.specs.len());
        for (index, (spec, truth)) in pending.specs.into_iter().zip(pending.tasks).enumerate() {
            if spec.id.0 != next_task + index as u64 {
                return Err(inconsistent(
                    pending.line,
                    format!(
                        "task {} arrives where t{} was expected (ids count from 0)",
                        spec.id,
                        next_task + index as u64
                    ),
                ));
            }
            let seconds_on = truth.seconds_on.map(Vec::into_boxed_slice);
            let generated = SimTaskSpec { spec, family: truth.family.0, work_seconds: truth.work_seconds, seconds_on };
            arrivals.push((generated, truth.cancel_at_ns));
        }
        self.advance()?;
        Ok(arrivals)
    }

    /// Reads on to the next arrival, hashing the recorded assignments on the way.
    fn advance(&mut self) -> Result<(), SimError> {
        while let Some(line) = self.reader.next_line()? {
            let number = self.reader.line_number();
            match line {
                Line::SimArrival { at_ns, tasks, .. } => {
                    self.next = Some(Feed::submission(&mut self.reader, number, at_ns, tasks)?);
                    return Ok(());
                }
                other => self.observe(number, other)?,
            }
        }
        Ok(())
    }

    /// Takes note of a line of the recorded run that the replay does not feed.
    fn observe(&mut self, number: u64, line: Line<'static>) -> Result<(), SimError> {
        match line {
            Line::TaskAssigned { t, task, worker, attempt }
            | Line::TaskMigrated { t, task, to: worker, attempt, .. } => {
                crate::record::hash_assignment(&mut self.trace, t, task, worker, attempt);
            }
            Line::SimReport { report, .. } => match serde_json::from_value::<SimReport>(report) {
                Ok(report) => self.recorded = Some(report),
                Err(error) => self.warnings.push(format!("line {number}: the recorded report is unreadable: {error}")),
            },
            Line::RegisterWorker { worker, .. } if !self.churns => {
                return Err(inconsistent(
                    number,
                    format!("w{} registers mid-run; a simulated pool registers at the start", worker.id),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads the rest of the recording: the recorded report, the recorded assignments' hash, warnings.
    fn finish(mut self) -> Result<(Option<SimReport>, String, Vec<String>), SimError> {
        if let Some(pending) = &self.next {
            return Err(inconsistent(pending.line, "the replay ended before this arrival".to_owned()));
        }
        while let Some(line) = self.reader.next_line()? {
            let number = self.reader.line_number();
            self.observe(number, line)?;
        }
        let mut warnings = self.warnings;
        warnings.extend(self.reader.warnings().iter().cloned());
        Ok((self.recorded, format!("{:016x}", self.trace.digest()), warnings))
    }
}

fn inconsistent(line: u64, message: String) -> SimError {
    SimError::from(RecordError::Inconsistent { line, message })
}

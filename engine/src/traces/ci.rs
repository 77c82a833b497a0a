//! Replaying a real CI history: each cycle's tests as one batch onto a pool of identical agents, in cycle
//! order, the engine predicting each test's run time from what it has learned so far.
//!
//! The input is the RETECS format (`Id;Name;Duration;CalcPrio;LastRun;LastResults;Verdict;Cycle`, `;`
//! separated, optionally gzip-compressed; durations in milliseconds). Each test name becomes the task's
//! model id, so the engine's history per model is a history per test.
//!
//! Per cycle: all its tests are submitted at once when the previous cycle has ended; agents run one test
//! at a time; a test occupies its agent for its recorded duration whatever its verdict (a failing test
//! still runs to its end). Time advances from one test's end to the next; every agent heartbeats. What the
//! engine knows when it predicts a run is what it learned from runs that ended before: earlier cycles
//! and, for a test listed twice in one cycle, its earlier run in that cycle; never the run it predicts.
//! `--no-history` gives every cycle a fresh engine: a scheduler without memory.
//!
//! Per cycle it measures the makespan, the lower bound max(longest test, total ÷ agents), the makespan of
//! the longest-processing-time-first list schedule with the true durations (the oracle), and the mean
//! absolute percentage error of the predictions the engine placed with.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use ballast_components::capability::{HardwareKind, HardwareSet};
use ballast_components::clock::Timestamp;
use ballast_components::config::EngineConfig;
use ballast_components::family::TestType;
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{Command, Event, FactorKind, TaskSpec, WorkerSpec};

use crate::engine::{Engine, PastRun};
use crate::record::{HistoryWriter, load_history};

/// One test run of the history.
#[derive(Clone, Debug, PartialEq)]
pub struct CiRun {
    /// The test.
    pub name: String,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// Whether it failed.
    pub failed: bool,
    /// Its CI cycle.
    pub cycle: u32,
}

/// Why a CI history could not be read or replayed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CiError {
    /// The file could not be read.
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("line {line}: {message}")]
    BadLine {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file holds no run.
    #[error("the file holds no test run")]
    Empty,
    /// The replay's parameters are out of range.
    #[error("{0}")]
    Parameters(String),
    /// The engine refused something.
    #[error("the engine refused: {0}")]
    Engine(String),
    /// The history file could not be read or written.
    #[error("history file: {0}")]
    History(String),
}

/// Reads a CI history (gzip or plain text), in file order.
pub fn load(path: &Path) -> Result<Vec<CiRun>, CiError> {
    let io = |source| CiError::Io { context: format!("reading {}", path.display()), source };
    parse(crate::traces::input::open(path).map_err(io)?)
}

/// The columns of a CI history, in the order of a file without a header.
pub const COLUMNS: [&str; 8] = ["Id", "Name", "Duration", "CalcPrio", "LastRun", "LastResults", "Verdict", "Cycle"];

/// The longest test name, in bytes.
pub const NAME_LEN_MAX: usize = 256;

/// Parses a CI history: `;`-separated fields (quoting as in CSV), a header naming the columns (at
/// least `Name`, `Duration`, `Verdict` and `Cycle`, in any order; others are ignored), or no header
/// and the columns of [`COLUMNS`] in that order. Every row has as many fields as the first; a row that
/// does not, a field that is not what its column holds, a test name with a control character, or a
/// header that lacks a column is an error naming the line and the column.
pub fn parse(input: impl BufRead) -> Result<Vec<CiRun>, CiError> {
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(false).from_reader(input);
    let bad = |line: u64, message: String| CiError::BadLine { line, message };
    let csv_error = |error: csv::Error| {
        let line = error.position().map_or(0, |position| position.line());
        match error.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                bad(line, format!("{len} fields where the first line has {expected_len}"))
            }
            csv::ErrorKind::Utf8 { .. } => bad(line, "not UTF-8".to_owned()),
            csv::ErrorKind::Io(_) => CiError::Io {
                context: format!("reading line {line}"),
                source: std::io::Error::other(error.to_string()),
            },
            _ => bad(line, error.to_string()),
        }
    };
    let mut records = reader.records();
    let mut runs = Vec::new();
    let Some(first) = records.next() else {
        return Err(CiError::Empty);
    };
    let first = first.map_err(csv_error)?;
    let is_header = first.iter().any(|field| field.trim().eq_ignore_ascii_case("duration"));
    let position = |name: &str| -> Result<usize, CiError> {
        if !is_header {
            return Ok(COLUMNS.iter().position(|column| *column == name).expect("a known column"));
        }
        let found: Vec<usize> = first
            .iter()
            .enumerate()
            .filter(|(_, field)| field.trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i)
            .collect();
        match found[..] {
            [index] => Ok(index),
            [] => Err(bad(1, format!("the header has no `{name}` column (columns: {})", COLUMNS.join(";")))),
            _ => Err(bad(1, format!("the header names `{name}` twice"))),
        }
    };
    let (name_at, duration_at, verdict_at, cycle_at) =
        (position("Name")?, position("Duration")?, position("Verdict")?, position("Cycle")?);
    if !is_header && first.len() != COLUMNS.len() {
        return Err(bad(
            1,
            format!("{} fields where 8 were expected ({}), and no header names them", first.len(), COLUMNS.join(";")),
        ));
    }
    let mut parse_row = |record: &csv::StringRecord| -> Result<(), CiError> {
        let line = record.position().map_or(0, |position| position.line());
        if record.iter().all(|field| field.trim().is_empty()) {
            return Ok(());
        }
        let field = |index: usize| record.get(index).unwrap_or("").trim();
        let number = |index: usize, column: &str| -> Result<u64, CiError> {
            field(index).parse::<u64>().map_err(|_| {
                bad(
                    line,
                    format!("{column} `{}` is not a whole number", field(index).chars().take(40).collect::<String>()),
                )
            })
        };
        let name = field(name_at);
        if name.is_empty() || name.len() > NAME_LEN_MAX {
            return Err(bad(line, format!("the test name is empty or longer than {NAME_LEN_MAX} bytes")));
        }
        if name.chars().any(char::is_control) {
            return Err(bad(line, "the test name holds a control character".to_owned()));
        }
        let duration_ms = number(duration_at, "Duration")?;
        let verdict = number(verdict_at, "Verdict")?;
        let cycle = number(cycle_at, "Cycle")?;
        if verdict > 1 {
            return Err(bad(line, format!("Verdict {verdict} is neither 0 nor 1")));
        }
        let Ok(cycle) = u32::try_from(cycle) else {
            return Err(bad(line, format!("Cycle {cycle} is too large")));
        };
        if duration_ms > 30 * 24 * 3_600_000 {
            return Err(bad(line, format!("Duration {duration_ms} ms is over 30 days")));
        }
        runs.push(CiRun { name: name.to_owned(), duration_ms, failed: verdict == 1, cycle });
        Ok(())
    };
    if !is_header {
        parse_row(&first)?;
    }
    for record in records {
        parse_row(&record.map_err(csv_error)?)?;
    }
    if runs.is_empty() {
        return Err(CiError::Empty);
    }
    Ok(runs)
}

/// How to replay.
#[derive(Clone, Debug)]
pub struct CiPlan {
    /// Agents in the pool.
    pub workers: u32,
    /// Whether the engine keeps what it learned from one cycle to the next.
    pub history: bool,
    /// The engine's config.
    pub engine: EngineConfig,
    /// A history file (`crate::record::load_history`): loaded at the start if it exists, and saved with
    /// this replay's runs added at the end.
    pub history_file: Option<PathBuf>,
}

/// One cycle's measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleReport {
    /// The cycle number of the file.
    pub cycle: u32,
    /// Tests run.
    pub tasks: u64,
    /// Submission to the last test's end, in seconds.
    pub makespan_seconds: f64,
    /// max(longest test, total ÷ agents), in seconds.
    pub lower_bound_seconds: f64,
    /// The longest-processing-time-first schedule with the true durations, in seconds.
    pub oracle_seconds: f64,
    /// Mean absolute percentage error of the predicted run times the tests were placed with.
    pub prediction_mape: f64,
    /// Tests whose prediction came from their own history (not a prior or a family average).
    pub predicted_from_history: u64,
}

/// What a CI replay measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CiReport {
    /// Agents.
    pub workers: u32,
    /// The placement policy.
    pub policy: String,
    /// Whether history was kept across cycles.
    pub history: bool,
    /// Test runs replayed.
    pub tasks: u64,
    /// Past runs loaded from the history file.
    pub history_runs_loaded: u64,
    /// Mean over cycles of makespan ÷ lower bound.
    pub mean_makespan_over_lb: f64,
    /// Mean over cycles of makespan ÷ the oracle's makespan.
    pub mean_makespan_over_oracle: f64,
    /// Mean over cycles of the oracle's makespan ÷ lower bound.
    pub mean_oracle_over_lb: f64,
    /// Mean absolute percentage error of every prediction.
    pub prediction_mape: f64,
    /// Per cycle.
    pub cycles: Vec<CycleReport>,
}

/// The makespan of longest-processing-time-first list scheduling of `durations` on `workers` machines.
pub fn lpt_makespan(durations: &[u64], workers: u32) -> u64 {
    let mut sorted = durations.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut loads: BinaryHeap<Reverse<u64>> = (0..workers.max(1)).map(|_| Reverse(0)).collect();
    for duration in sorted {
        let Some(Reverse(load)) = loads.pop() else { break };
        loads.push(Reverse(load + duration));
    }
    loads.into_iter().map(|Reverse(load)| load).max().unwrap_or(0)
}

fn agents(engine: &mut Engine, workers: u32) -> Result<(), CiError> {
    for id in 0..workers {
        engine
            .register_worker(WorkerSpec {
                id: WorkerId(u64::from(id)),
                hardware: HardwareSet::of(&[HardwareKind::Cpu]),
                cpu_milli: 4_000,
                memory_mib: 16_384,
                slots: 1,
                ..WorkerSpec::default()
            })
            .map_err(|error| CiError::Engine(error.to_string()))?;
    }
    Ok(())
}

/// Replays `runs` cycle by cycle.
pub fn replay(runs: &[CiRun], plan: &CiPlan, progress: &mut dyn FnMut(usize, usize)) -> Result<CiReport, CiError> {
    if !(1..=4_096).contains(&plan.workers) {
        return Err(CiError::Parameters(format!("--workers is {}, outside 1..=4096", plan.workers)));
    }
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&index| runs[index].cycle); // stable: file order within a cycle
    let cycles: Vec<&[usize]> = order.chunk_by(|&a, &b| runs[a].cycle == runs[b].cycle).collect();
    let new_engine = |plan: &CiPlan| -> Result<Engine, CiError> {
        let mut engine = Engine::new(plan.engine.clone()).map_err(|error| CiError::Engine(error.to_string()))?;
        agents(&mut engine, plan.workers)?;
        Ok(engine)
    };
    if plan.history_file.is_some() && !plan.history {
        return Err(CiError::Parameters("--history and --no-history contradict each other".to_owned()));
    }
    let mut engine = new_engine(plan)?;
    let mut history_writer = None;
    let mut history_runs_loaded = 0u64;
    if let Some(path) = &plan.history_file {
        let (past, warnings) = load_history(path).map_err(|error| CiError::History(error.to_string()))?;
        for warning in warnings {
            eprintln!("warning: {}: {warning}", path.display());
        }
        // Runs on agents this pool does not have are left out (and dropped from the saved file).
        let all = past.len();
        let past: Vec<PastRun> = past.into_iter().filter(|run| run.worker.0 < u64::from(plan.workers)).collect();
        if past.len() < all {
            eprintln!(
                "warning: {}: {} of its {all} runs are on workers this pool of {} lacks; not used",
                path.display(),
                all - past.len(),
                plan.workers
            );
        }
        history_runs_loaded = past.len() as u64;
        engine.import_history(past.iter().cloned()).map_err(|error| CiError::History(error.to_string()))?;
        history_writer = Some(
            HistoryWriter::create(path, &plan.engine, &past).map_err(|error| CiError::History(error.to_string()))?,
        );
    }
    let mut now_ns = 0u64;
    let mut next_task = 0u64;
    let mut reports = Vec::with_capacity(cycles.len());
    let (mut error_sum, mut error_count) = (0.0f64, 0u64);
    for (position, members) in cycles.iter().enumerate() {
        progress(position, cycles.len());
        if !plan.history && position > 0 {
            engine = new_engine(plan)?;
        }
        let started_ns = now_ns;
        let first_task = next_task;
        let specs: Vec<TaskSpec> = members
            .iter()
            .map(|&index| {
                let mut spec = TaskSpec::new(TaskId(next_task));
                next_task += 1;
                spec.model_id = Some(runs[index].name.clone());
                spec.test_type = TestType::Integration;
                spec
            })
            .collect();
        engine.submit_batch(specs).map_err(|error| CiError::Engine(error.to_string()))?;
        let duration_ns = |task: TaskId| runs[members[(task.0 - first_task) as usize]].duration_ms.max(1) * 1_000_000;
        let mut ends: BinaryHeap<Reverse<(u64, u64, u64)>> = BinaryHeap::new();
        let mut remaining = members.len();
        let mut cycle_error = 0.0f64;
        let mut from_history = 0u64;
        let mut last_beat_ns = 0u64;
        let mut idle_ticks = 0u32;
        let mut events = Vec::new();
        while remaining > 0 {
            while let Some(&Reverse((end_ns, task, worker))) = ends.peek() {
                if end_ns > now_ns {
                    break;
                }
                ends.pop();
                let (task, worker) = (TaskId(task), WorkerId(worker));
                if let Some(writer) = history_writer.as_mut() {
                    let name = &runs[members[(task.0 - first_task) as usize]].name;
                    writer.add(PastRun {
                        worker,
                        model: Some(name.clone()),
                        family: ballast_systems::analysis::detect_family(name),
                        test_type: TestType::Integration,
                        duration_ns: duration_ns(task),
                        completed: true,
                    });
                }
                engine
                    .push(Command::TaskCompleted { task, worker, duration_ns: duration_ns(task) })
                    .map_err(|error| CiError::Engine(error.to_string()))?;
            }
            if now_ns == 0 || now_ns - last_beat_ns >= 5_000_000_000 {
                last_beat_ns = now_ns;
                for id in 0..plan.workers {
                    engine
                        .push(Command::Heartbeat { worker: WorkerId(u64::from(id)), utilization: None })
                        .map_err(|error| CiError::Engine(error.to_string()))?;
                }
            }
            engine.tick(Timestamp(now_ns)).map_err(|error| CiError::Engine(error.to_string()))?;
            engine.take_events(&mut events);
            for event in events.drain(..) {
                match event {
                    Event::TaskAssigned { task, worker, .. } => {
                        let truth_ns = duration_ns(task);
                        let explanation = engine.explain(task).map_err(|error| CiError::Engine(error.to_string()))?;
                        if let Some(placement) = &explanation.placement {
                            let predicted = placement
                                .factors
                                .iter()
                                .find(|factor| factor.kind == FactorKind::PredictedRun)
                                .map_or(0.0, |factor| factor.value);
                            let error = (predicted - truth_ns as f64 / 1e9).abs() / (truth_ns as f64 / 1e9);
                            cycle_error += error;
                            if matches!(
                                placement.prediction_source,
                                ballast_components::history::PredictionSource::ModelOnWorker
                                    | ballast_components::history::PredictionSource::ModelOnShape
                            ) {
                                from_history += 1;
                            }
                        }
                        idle_ticks = 0;
                        engine
                            .push(Command::TaskStarted { task, worker })
                            .map_err(|error| CiError::Engine(error.to_string()))?;
                        ends.push(Reverse((now_ns + truth_ns, task.0, worker.0)));
                    }
                    Event::TaskCompleted { .. } => remaining -= 1,
                    Event::TaskFailed { .. } | Event::TaskCancelled { .. } | Event::TaskUnschedulable { .. } => {
                        return Err(CiError::Engine(format!("a test did not run to its end: {event:?}")));
                    }
                    _ => {}
                }
            }
            if remaining == 0 {
                break;
            }
            // On to the next end (every agent busy) or the next tick (an agent idle, work pending).
            now_ns = match ends.peek() {
                Some(&Reverse((end_ns, ..))) => end_ns.max(now_ns + 1),
                None if idle_ticks >= 1_000 => {
                    return Err(CiError::Engine(format!(
                        "cycle {}: {remaining} tests still unplaced after 1,000 ticks with nothing running",
                        runs[members[0]].cycle
                    )));
                }
                None => {
                    idle_ticks += 1;
                    now_ns + 1_000_000
                }
            };
        }
        let durations: Vec<u64> = members.iter().map(|&index| runs[index].duration_ms.max(1)).collect();
        let total: u64 = durations.iter().sum();
        let longest = durations.iter().copied().max().unwrap_or(0);
        let lower_bound_ms = longest.max(total.div_ceil(u64::from(plan.workers)));
        let oracle_ms = lpt_makespan(&durations, plan.workers);
        error_sum += cycle_error;
        error_count += members.len() as u64;
        reports.push(CycleReport {
            cycle: runs[members[0]].cycle,
            tasks: members.len() as u64,
            makespan_seconds: (now_ns - started_ns) as f64 / 1e9,
            lower_bound_seconds: lower_bound_ms as f64 / 1e3,
            oracle_seconds: oracle_ms as f64 / 1e3,
            prediction_mape: cycle_error / members.len() as f64 * 100.0,
            predicted_from_history: from_history,
        });
    }
    if let Some(writer) = history_writer {
        writer.finish().map_err(|error| CiError::History(error.to_string()))?;
    }
    let mean =
        |value: &dyn Fn(&CycleReport) -> f64| reports.iter().map(value).sum::<f64>() / reports.len().max(1) as f64;
    Ok(CiReport {
        workers: plan.workers,
        policy: plan.engine.policy.name().to_owned(),
        history: plan.history,
        tasks: runs.len() as u64,
        history_runs_loaded,
        mean_makespan_over_lb: mean(&|cycle| cycle.makespan_seconds / cycle.lower_bound_seconds),
        mean_makespan_over_oracle: mean(&|cycle| cycle.makespan_seconds / cycle.oracle_seconds),
        mean_oracle_over_lb: mean(&|cycle| cycle.oracle_seconds / cycle.lower_bound_seconds),
        prediction_mape: if error_count > 0 { error_sum / error_count as f64 * 100.0 } else { 0.0 },
        cycles: reports,
    })
}

impl CiReport {
    /// The summary and a table by groups of cycles.
    pub fn table(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "ballast replay ci: {} test runs in {} cycles on {} agents, policy {}, history {}",
            self.tasks,
            self.cycles.len(),
            self.workers,
            self.policy,
            if self.history { "kept across cycles" } else { "off" }
        );
        let _ = writeln!(
            text,
            "{:>13} {:>6} {:>13} {:>17} {:>13} {:>9} {:>13}",
            "cycles", "tests", "makespan/LB", "makespan/oracle", "oracle/LB", "MAPE %", "from history"
        );
        let group = self.cycles.len().div_ceil(10).max(1);
        for chunk in self.cycles.chunks(group) {
            let count = chunk.len() as f64;
            let tests: u64 = chunk.iter().map(|cycle| cycle.tasks).sum();
            let mean = |value: &dyn Fn(&CycleReport) -> f64| chunk.iter().map(value).sum::<f64>() / count;
            let weighted_mape =
                chunk.iter().map(|cycle| cycle.prediction_mape * cycle.tasks as f64).sum::<f64>() / tests.max(1) as f64;
            let from_history: u64 = chunk.iter().map(|cycle| cycle.predicted_from_history).sum();
            let _ = writeln!(
                text,
                "{:>13} {:>6} {:>13.3} {:>17.3} {:>13.3} {:>9.1} {:>12.0}%",
                format!("{}-{}", chunk[0].cycle, chunk[chunk.len() - 1].cycle),
                tests,
                mean(&|cycle| cycle.makespan_seconds / cycle.lower_bound_seconds),
                mean(&|cycle| cycle.makespan_seconds / cycle.oracle_seconds),
                mean(&|cycle| cycle.oracle_seconds / cycle.lower_bound_seconds),
                weighted_mape,
                from_history as f64 / tests.max(1) as f64 * 100.0
            );
        }
        let _ = writeln!(
            text,
            "mean makespan/LB {:.3} (oracle LPT {:.3}); mean makespan/oracle {:.3}; prediction MAPE {:.1}%",
            self.mean_makespan_over_lb, self.mean_oracle_over_lb, self.mean_makespan_over_oracle, self.prediction_mape
        );
        text
    }
}

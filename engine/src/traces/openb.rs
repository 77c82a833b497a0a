//! Replaying the Alibaba GPU-sharing trace ("openb", Weng et al., USENIX ATC'23) through the engine:
//! how much of a cluster's GPU capacity each placement policy manages to allocate.
//!
//! Input: a node list (`sn,cpu_milli,memory_mib,gpu,model`) and a pod list
//! (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,…`), CSV with a header, columns found by
//! name (extra columns ignored), plain or gzip-compressed. Each node registers as a worker with its
//! CPU, memory and GPU devices (model and memory per device); each pod is a task reserving its CPU,
//! memory and GPUs: `num_gpu` whole devices, or with `gpu_milli` < 1000 that share of one device, on a
//! GPU of a model in `gpu_spec` (`|`-separated; empty: any).
//!
//! The protocol is the published one ("placement only"): pods never end; per seed the pod order is
//! shuffled and the workload inflated by cloning pods drawn at random until the GPU requests reach
//! `tune` × the cluster's GPU capacity (a clone that would pass it is not added, so requests never
//! exceed that cap); pods arrive one at a time, each placed at once or, if no worker can take it now,
//! failed (cancelled), never retried. The allocation curve gives, at each whole percent of capacity
//! requested so far, the percent of capacity allocated; the figure of merit is the share of GPU
//! capacity left unallocated when requests reach 100%.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use ballast_components::capability::{HardwareKind, HardwareSet};
use ballast_components::clock::Timestamp;
use ballast_components::config::{EngineConfig, PolicyName};
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{Event, GpuSpec, TaskSpec, WorkerSpec};
use ballast_components::requirements::{GPU_MILLI_WHOLE, GpuDemand};

use crate::engine::Engine;

/// Slots per worker: never the binding limit (a pod's seat costs nothing in the trace).
const SLOTS_PER_NODE: u32 = 1_024;
/// The published figures on the default workload (unallocated GPU % at 100% requested, mean of seeds
/// 42–51, tune 1.3).
pub const PUBLISHED_DEFAULT: [(&str, f64); 6] = [
    ("random", 13.7),
    ("dot-product", 9.4),
    ("gpu-clustering", 8.3),
    ("gpu-packing", 8.2),
    ("best-fit", 7.1),
    ("fgd", 4.8),
];
/// The policies replayed when none is named: the published baselines, then Ballast's own.
pub const DEFAULT_POLICIES: [PolicyName; 5] =
    [PolicyName::Random, PolicyName::DotProduct, PolicyName::BestFit, PolicyName::Fgd, PolicyName::FragAware];

/// One node of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Its name.
    pub name: String,
    /// CPU, in thousandths of a core.
    pub cpu_milli: u32,
    /// Host memory, in MiB.
    pub memory_mib: u64,
    /// GPU devices.
    pub gpus: u8,
    /// The GPU model (empty for CPU-only nodes).
    pub model: String,
}

/// One pod of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    /// Its name.
    pub name: String,
    /// CPU, in thousandths of a core.
    pub cpu_milli: u32,
    /// Host memory, in MiB.
    pub memory_mib: u64,
    /// GPU devices it reserves.
    pub gpu: GpuDemand,
    /// Allowed GPU models (empty: any).
    pub gpu_models: Vec<String>,
}

impl Pod {
    /// Its GPU request, in thousandths of a GPU.
    pub fn gpu_milli_total(&self) -> u64 {
        u64::from(self.gpu.count) * u64::from(self.gpu.milli)
    }
}

/// Why a trace could not be read or replayed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenbError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The header lacks a column the loader needs.
    #[error("{path}: no column `{column}` in the header")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A field is not what its column holds.
    #[error("{path}:{line}: column `{column}`: {problem} (`{value}`)")]
    BadField {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The column.
        column: &'static str,
        /// The text found.
        value: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// The file has a header and nothing else, or nothing at all.
    #[error("{path}: no {what} in the file")]
    Empty {
        /// The file.
        path: PathBuf,
        /// Nodes or pods.
        what: &'static str,
    },
    /// The cluster has no GPU, so no allocation can be measured.
    #[error("the node list has no GPU")]
    NoGpus,
    /// The replay's settings are unusable.
    #[error("{0}")]
    Settings(String),
    /// The engine refused something (a bug: the loader validates what it submits).
    #[error("engine: {0}")]
    Engine(String),
}

/// A CSV file's rows with their line numbers, and the header's column positions. Read with the `csv`
/// crate (quoting as in RFC 4180): every row has as many fields as the header, and a header that
/// names a column twice is refused, so a short row or a shifted column is an error, never zeros.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path) -> Result<Table, OpenbError> {
        let io = |source| OpenbError::Io { path: path.to_owned(), source };
        let input = crate::traces::input::open(path).map_err(io)?;
        let mut reader =
            csv::ReaderBuilder::new().has_headers(true).flexible(false).trim(csv::Trim::All).from_reader(input);
        let bad_row = |error: csv::Error| -> OpenbError {
            let line = error.position().map_or(0, |position| position.line() as usize);
            let problem = match error.kind() {
                csv::ErrorKind::UnequalLengths { .. } => "the row has another number of fields than the header",
                csv::ErrorKind::Utf8 { .. } => "not UTF-8",
                _ => "not readable CSV",
            };
            OpenbError::BadField { path: path.to_owned(), line, column: "(row)", value: error.to_string(), problem }
        };
        let header: Vec<String> = reader.headers().map_err(bad_row)?.iter().map(str::to_owned).collect();
        for (index, name) in header.iter().enumerate() {
            if header[..index].contains(name) {
                return Err(OpenbError::BadField {
                    path: path.to_owned(),
                    line: 1,
                    column: "(header)",
                    value: name.clone(),
                    problem: "a column named twice",
                });
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(bad_row)?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            let line = record.position().map_or(0, |position| position.line() as usize);
            rows.push((line, record));
        }
        Ok(Table { path: path.to_owned(), header, rows })
    }

    fn column(&self, name: &'static str) -> Result<usize, OpenbError> {
        self.header
            .iter()
            .position(|column| column == name)
            .ok_or(OpenbError::MissingColumn { path: self.path.clone(), column: name })
    }

    fn bad(&self, line: usize, column: &'static str, value: &str, problem: &'static str) -> OpenbError {
        OpenbError::BadField { path: self.path.clone(), line, column, value: value.to_owned(), problem }
    }

    /// A whole number in `0..=max` from `row`'s `column`.
    fn number(
        &self,
        line: usize,
        row: &csv::StringRecord,
        index: usize,
        column: &'static str,
        max: u64,
    ) -> Result<u64, OpenbError> {
        let value = row.get(index).unwrap_or("");
        if value.is_empty() {
            return Err(self.bad(line, column, value, "empty"));
        }
        let number: u64 = value.parse().map_err(|_| self.bad(line, column, value, "not a whole number"))?;
        if number > max {
            return Err(self.bad(line, column, value, "out of range"));
        }
        Ok(number)
    }
}

/// Reads a node list.
pub fn load_nodes(path: &Path) -> Result<Vec<Node>, OpenbError> {
    let table = Table::read(path)?;
    let [name, cpu, memory, gpu, model] =
        ["sn", "cpu_milli", "memory_mib", "gpu", "model"].map(|column| table.column(column));
    let (name, cpu, memory, gpu, model) = (name?, cpu?, memory?, gpu?, model?);
    let mut nodes = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        let gpus = table.number(*line, row, gpu, "gpu", ballast_components::worker::GPU_DEVICES_MAX as u64)?;
        nodes.push(Node {
            name: row.get(name).unwrap_or_default().to_owned(),
            cpu_milli: table.number(*line, row, cpu, "cpu_milli", u64::from(u32::MAX))? as u32,
            memory_mib: table.number(*line, row, memory, "memory_mib", 1 << 40)?,
            gpus: gpus as u8,
            model: row.get(model).unwrap_or_default().to_owned(),
        });
    }
    if nodes.is_empty() {
        return Err(OpenbError::Empty { path: path.to_owned(), what: "nodes" });
    }
    Ok(nodes)
}

/// Reads a pod list. A pod asking a fraction of several GPUs (outside the trace's own forms) reserves
/// them whole.
pub fn load_pods(path: &Path) -> Result<Vec<Pod>, OpenbError> {
    let table = Table::read(path)?;
    let [name, cpu, memory, num_gpu, gpu_milli] =
        ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"].map(|column| table.column(column));
    let (name, cpu, memory, num_gpu, gpu_milli) = (name?, cpu?, memory?, num_gpu?, gpu_milli?);
    let gpu_spec = table.column("gpu_spec").ok();
    let mut pods = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        let count = table.number(*line, row, num_gpu, "num_gpu", ballast_components::worker::GPU_DEVICES_MAX as u64)?;
        let milli = table.number(*line, row, gpu_milli, "gpu_milli", u64::from(GPU_MILLI_WHOLE))?;
        let gpu = match (count, milli) {
            (0, _) => GpuDemand::NONE,
            (1, 1..1000) => GpuDemand { count: 1, milli: milli as u16, memory_mib: 0 },
            (count, _) => GpuDemand::whole(count as u8),
        };
        let gpu_models = gpu_spec
            .and_then(|index| row.get(index))
            .map(|spec| spec.split('|').map(str::trim).filter(|model| !model.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        pods.push(Pod {
            name: row.get(name).unwrap_or_default().to_owned(),
            cpu_milli: table.number(*line, row, cpu, "cpu_milli", u64::from(u32::MAX))? as u32,
            memory_mib: table.number(*line, row, memory, "memory_mib", 1 << 40)?,
            gpu,
            gpu_models,
        });
    }
    if pods.is_empty() {
        return Err(OpenbError::Empty { path: path.to_owned(), what: "pods" });
    }
    Ok(pods)
}

/// Device memory of the trace's GPU models, in MiB (0 when unknown: the trace asks for no GPU memory).
fn device_memory_mib(model: &str) -> u64 {
    match model {
        "V100M32" => 32_768,
        "V100M16" | "P100" | "T4" => 16_384,
        "A10" => 24_576,
        _ => 0,
    }
}

/// The settings of a replay.
#[derive(Clone, Debug)]
pub struct OpenbOptions {
    /// The policies to compare.
    pub policies: Vec<PolicyName>,
    /// One run per seed and policy.
    pub seeds: Vec<u64>,
    /// Inflate the workload to this multiple of the GPU capacity.
    pub tune: f64,
    /// Worker threads for the runs.
    pub threads: usize,
}

/// One point of an allocation curve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// GPU requests so far, in percent of capacity.
    pub requested_gpu_percent: f64,
    /// GPUs allocated then, in percent of capacity.
    pub allocated_gpu_percent: f64,
}

/// One run: a policy on one seed's workload.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Percent of capacity allocated at each whole percent requested (index = percent).
    pub curve: Vec<f64>,
    /// Pods submitted, placed and failed.
    pub submitted: u64,
    /// Pods placed.
    pub placed: u64,
    /// Percent of GPU capacity unallocated when requests reached 100%.
    pub unallocated_gpu_percent: f64,
}

/// A policy's results over every seed (fields other than `policy` and `unallocated_gpu_percent` may be
/// absent when read back).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyResult {
    /// The policy.
    pub policy: String,
    /// Unallocated GPU % at 100% requested, the mean over seeds.
    pub unallocated_gpu_percent: f64,
    /// The same, per seed (in the order of `seeds`).
    pub unallocated_gpu_percent_by_seed: Vec<f64>,
    /// The published figure for this policy on this workload, where there is one.
    pub published_unallocated_gpu_percent: Option<f64>,
    /// The allocation curve, averaged over seeds.
    pub curve: Vec<CurvePoint>,
    /// Pods placed, the mean over seeds.
    pub placed_pods_mean: f64,
    /// Pods that found no room, the mean over seeds.
    pub failed_pods_mean: f64,
}

/// The replay's report (`--json`): field names are a stable interface.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenbReport {
    /// The node list.
    pub nodes_file: String,
    /// The pod list.
    pub pods_file: String,
    /// Nodes, GPUs and pods in the files.
    pub nodes: usize,
    /// GPUs in the cluster.
    pub gpus: u64,
    /// Pods in the file.
    pub pods: usize,
    /// The inflation.
    pub tune: f64,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Per policy.
    pub policies: Vec<PolicyResult>,
}

/// The pods of one seed's run, in arrival order: the trace shuffled, plus clones drawn at random until
/// the GPU requests reach `tune` × `capacity_milli` (a clone that would pass it is skipped; drawing
/// stops after many skips in a row).
pub fn workload(pods: &[Pod], capacity_milli: u64, tune: f64, seed: u64) -> Vec<usize> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..pods.len()).collect();
    let target = (capacity_milli as f64 * tune) as u64;
    let mut requested: u64 = pods.iter().map(Pod::gpu_milli_total).sum();
    let mut misses = 0;
    while requested < target && misses < 1_000 {
        let pick = rng.random_range(0..pods.len());
        let wanted = pods[pick].gpu_milli_total();
        if wanted == 0 || requested + wanted > target {
            misses += 1;
            continue;
        }
        misses = 0;
        requested += wanted;
        order.push(pick);
    }
    order.shuffle(&mut rng);
    order
}

/// Registers the nodes as workers of a fresh engine under `policy`.
fn cluster(nodes: &[Node], policy: PolicyName, seed: u64) -> Result<Engine, OpenbError> {
    let config = EngineConfig { policy, seed, slots_per_worker_max: SLOTS_PER_NODE, ..EngineConfig::default() };
    let mut engine = Engine::new(config).map_err(|error| OpenbError::Engine(error.to_string()))?;
    for (index, node) in nodes.iter().enumerate() {
        let mut hardware = HardwareSet::of(&[HardwareKind::Cpu]);
        if node.gpus > 0 {
            hardware = hardware.with(HardwareKind::Cuda);
        }
        let model = (!node.model.is_empty()).then(|| node.model.clone());
        let spec = WorkerSpec {
            id: WorkerId(index as u64),
            hardware,
            cpu_milli: node.cpu_milli,
            memory_mib: node.memory_mib,
            slots: SLOTS_PER_NODE,
            gpus: (0..node.gpus)
                .map(|_| GpuSpec { model: model.clone(), memory_mib: device_memory_mib(&node.model) })
                .collect(),
            ..WorkerSpec::default()
        };
        engine.register_worker(spec).map_err(|error| OpenbError::Engine(format!("node {}: {error}", node.name)))?;
    }
    Ok(engine)
}

/// Replays one seed's workload under one policy.
pub fn run(nodes: &[Node], pods: &[Pod], policy: PolicyName, seed: u64, tune: f64) -> Result<RunResult, OpenbError> {
    let capacity_milli: u64 = nodes.iter().map(|node| u64::from(node.gpus) * u64::from(GPU_MILLI_WHOLE)).sum();
    if capacity_milli == 0 {
        return Err(OpenbError::NoGpus);
    }
    let order = workload(pods, capacity_milli, tune, seed);
    let mut engine = cluster(nodes, policy, seed)?;
    let percent = |milli: u64| milli as f64 * 100.0 / capacity_milli as f64;
    let mut curve = vec![0.0];
    let (mut requested, mut allocated, mut placed) = (0u64, 0u64, 0u64);
    let mut events = Vec::new();
    for (sequence, &index) in order.iter().enumerate() {
        let pod = &pods[index];
        let id = TaskId(sequence as u64);
        let mut spec = TaskSpec::new(id);
        spec.requirements.cpu_milli = pod.cpu_milli;
        spec.requirements.memory_mib = pod.memory_mib;
        spec.requirements.gpu = pod.gpu;
        spec.requirements.gpu_models.clone_from(&pod.gpu_models);
        engine.submit(spec).map_err(|error| OpenbError::Engine(format!("pod {}: {error}", pod.name)))?;
        // Engine time advances a microsecond per pod: the whole replay fits well inside every timeout.
        engine.tick(Timestamp((sequence as u64 + 1) * 1_000)).map_err(|error| OpenbError::Engine(error.to_string()))?;
        engine.take_events(&mut events);
        let mut outcome = None;
        for event in events.drain(..) {
            match event {
                Event::TaskAssigned { task, .. } if task == id => outcome = Some(true),
                Event::TaskUnschedulable { task, .. } if task == id => outcome = Some(false),
                _ => {}
            }
        }
        match outcome {
            Some(true) => {
                placed += 1;
                allocated += pod.gpu_milli_total();
            }
            Some(false) => {}
            // No worker has room now: the pod fails, as in the published protocol (no retries).
            None => engine.cancel(id).map_err(|error| OpenbError::Engine(format!("pod {}: {error}", pod.name)))?,
        }
        requested += pod.gpu_milli_total();
        while (curve.len() as f64) <= percent(requested).floor() {
            curve.push(percent(allocated));
        }
    }
    let violations = engine.check_invariants();
    if !violations.is_empty() {
        return Err(OpenbError::Engine(format!("invariants broken: {}", violations.join("; "))));
    }
    let unallocated_gpu_percent = match curve.get(100) {
        Some(allocated) => 100.0 - allocated,
        None => {
            return Err(OpenbError::Settings(format!(
                "requests reached only {:.1}% of GPU capacity; raise --inflate",
                percent(requested)
            )));
        }
    };
    Ok(RunResult { curve, submitted: order.len() as u64, placed, unallocated_gpu_percent })
}

/// Replays every policy on every seed and averages.
pub fn replay(nodes_path: &Path, pods_path: &Path, options: &OpenbOptions) -> Result<OpenbReport, OpenbError> {
    if options.seeds.is_empty() || options.policies.is_empty() {
        return Err(OpenbError::Settings("at least one seed and one policy are needed".to_owned()));
    }
    if !(options.tune.is_finite() && (1.0..=10.0).contains(&options.tune)) {
        return Err(OpenbError::Settings(format!("--inflate {} is not in 1..=10", options.tune)));
    }
    let nodes = load_nodes(nodes_path)?;
    let pods = load_pods(pods_path)?;
    let gpus: u64 = nodes.iter().map(|node| u64::from(node.gpus)).sum();
    if gpus == 0 {
        return Err(OpenbError::NoGpus);
    }
    let jobs: Vec<(usize, usize)> = (0..options.policies.len())
        .flat_map(|policy| (0..options.seeds.len()).map(move |seed| (policy, seed)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<RunResult, OpenbError>>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..options.threads.clamp(1, jobs.len()) {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(policy, seed)) = jobs.get(job) else { break };
                    let result = run(&nodes, &pods, options.policies[policy], options.seeds[seed], options.tune);
                    *results[job].lock().expect("no thread panics holding it") = Some(result);
                }
            });
        }
    });
    let mut runs = Vec::with_capacity(jobs.len());
    for slot in results {
        runs.push(slot.into_inner().expect("no thread panics holding it").expect("every job ran")?);
    }
    // The published figures are for the default pods on the whole cluster.
    let default_workload = pods_path.to_string_lossy().contains("openb_pod_list_default")
        && nodes_path.to_string_lossy().contains("openb_node_list_all_node");
    let mut policies = Vec::new();
    for (position, &policy) in options.policies.iter().enumerate() {
        let mine = &runs[position * options.seeds.len()..(position + 1) * options.seeds.len()];
        let by_seed: Vec<f64> = mine.iter().map(|run| run.unallocated_gpu_percent).collect();
        let count = mine.len() as f64;
        let points = mine.iter().map(|run| run.curve.len()).min().unwrap_or(0);
        let curve = (0..points)
            .map(|percent| CurvePoint {
                requested_gpu_percent: percent as f64,
                allocated_gpu_percent: mine.iter().map(|run| run.curve[percent]).sum::<f64>() / count,
            })
            .collect();
        let published = default_workload
            .then(|| PUBLISHED_DEFAULT.iter().find(|(name, _)| *name == policy.name()).map(|&(_, value)| value))
            .flatten();
        policies.push(PolicyResult {
            policy: policy.name().to_owned(),
            unallocated_gpu_percent: by_seed.iter().sum::<f64>() / count,
            unallocated_gpu_percent_by_seed: by_seed,
            published_unallocated_gpu_percent: published,
            curve,
            placed_pods_mean: mine.iter().map(|run| run.placed as f64).sum::<f64>() / count,
            failed_pods_mean: mine.iter().map(|run| (run.submitted - run.placed) as f64).sum::<f64>() / count,
        });
    }
    Ok(OpenbReport {
        nodes_file: nodes_path.display().to_string(),
        pods_file: pods_path.display().to_string(),
        nodes: nodes.len(),
        gpus,
        pods: pods.len(),
        tune: options.tune,
        seeds: options.seeds.clone(),
        policies,
    })
}

/// The report as a table.
pub fn render(report: &OpenbReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ballast replay openb: {} nodes, {} GPUs, {} pods, inflated to {:.2}x, seeds {}",
        report.nodes,
        report.gpus,
        report.pods,
        report.tune,
        seeds_label(&report.seeds)
    );
    let _ = writeln!(
        out,
        "{:<14} {:>22} {:>10} {:>9} {:>12} {:>12}",
        "policy", "unallocated GPU % @100%", "sd", "published", "placed pods", "failed pods"
    );
    for policy in &report.policies {
        let mean = policy.unallocated_gpu_percent;
        let count = policy.unallocated_gpu_percent_by_seed.len() as f64;
        let variance = policy.unallocated_gpu_percent_by_seed.iter().map(|value| (value - mean).powi(2)).sum::<f64>()
            / (count - 1.0).max(1.0);
        let published = policy.published_unallocated_gpu_percent.map_or("-".to_owned(), |value| format!("{value:.1}"));
        let _ = writeln!(
            out,
            "{:<14} {:>22.2} {:>10.2} {:>9} {:>12.0} {:>12.0}",
            policy.policy,
            mean,
            variance.sqrt(),
            published,
            policy.placed_pods_mean,
            policy.failed_pods_mean
        );
    }
    out
}

/// `42..51` or `42,43`: the seeds, as given.
pub fn seeds_label(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(first), Some(last)) if seeds.len() > 2 && seeds.windows(2).all(|pair| pair[1] == pair[0] + 1) => {
            format!("{first}..{last}")
        }
        _ => seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
    }
}

/// Parses `42..51` (inclusive), `42..=51` or `42,43,44`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let number = |part: &str| part.trim().parse::<u64>().map_err(|_| format!("`{part}` is not a seed"));
    if let Some((first, last)) = text.split_once("..") {
        let (first, last) = (number(first)?, number(last.trim_start_matches('='))?);
        if last < first || last - first >= 10_000 {
            return Err(format!("`{text}`: expected first..last with at most 10,000 seeds"));
        }
        return Ok((first..=last).collect());
    }
    text.split(',').map(number).collect()
}

//! Performance history: how long tasks ran and how often they failed, per (model, worker), per
//! (family, worker) and per (family, shape); and the engine's priors for when there is no history yet.
//!
//! Durations are stored *normalized to inference*: a training run that took 500 s counts as 100 s
//! (training's factor is 5×, see [`TestType::duration_factor_percent`]), so one table serves every test
//! type and a prediction multiplies the factor back in.

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use crate::family::{ModelFamily, TestType};
use crate::ids::WorkerId;
use crate::symbols::Symbol;
use crate::worker::ratio_ppm;

/// Where a prediction came from, most specific first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PredictionSource {
    /// This model's completions on this worker.
    ModelOnWorker,
    /// This model's completions on workers of this shape.
    ModelOnShape,
    /// This family's completions on this worker.
    FamilyOnWorker,
    /// This family's completions on workers of this shape.
    FamilyOnShape,
    /// The engine's priors.
    #[default]
    Prior,
}

impl PredictionSource {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            PredictionSource::ModelOnWorker => "model on worker",
            PredictionSource::ModelOnShape => "model on shape",
            PredictionSource::FamilyOnWorker => "family on worker",
            PredictionSource::FamilyOnShape => "family on shape",
            PredictionSource::Prior => "prior",
        }
    }
}

/// Run statistics of one key: completions with an exponentially weighted mean duration, and failures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Tasks completed.
    pub completed: u32,
    /// Attempts that failed.
    pub failed: u32,
    /// Exponentially weighted mean of normalized durations, in nanoseconds (weight 1/8 per sample, the
    /// TCP round-trip estimator's gain: smooth, and an outlier moves it by an eighth at most).
    pub duration_ewma_ns: u64,
    /// Exponentially weighted mean absolute deviation of the durations from that mean, in nanoseconds
    /// (weight 1/4, starting at half the first sample: the TCP estimator's RTTVAR, RFC 6298).
    pub deviation_ewma_ns: u64,
}

impl RunStats {
    /// Records a completion of normalized duration `duration_ns`.
    pub fn record_completion(&mut self, duration_ns: u64) {
        (self.duration_ewma_ns, self.deviation_ewma_ns) = if self.completed == 0 {
            (duration_ns, duration_ns / 2)
        } else {
            let previous = self.duration_ewma_ns as i128;
            let deviation = self.deviation_ewma_ns as i128;
            let error = (duration_ns as i128 - previous).abs();
            ((previous + (duration_ns as i128 - previous) / 8) as u64, (deviation + (error - deviation) / 4) as u64)
        };
        self.completed = self.completed.saturating_add(1);
    }

    /// Records a failed attempt.
    pub fn record_failure(&mut self) {
        self.failed = self.failed.saturating_add(1);
    }

    /// Success rate in millionths, or `None` without samples.
    pub fn success_ppm(&self) -> Option<u32> {
        let total = u64::from(self.completed) + u64::from(self.failed);
        (total > 0).then(|| ratio_ppm(u64::from(self.completed), total))
    }
}

/// The most models one worker (or one shape) remembers; the least recently used is forgotten first.
pub const MODELS_PER_WORKER_MAX: usize = 4_096;

/// Run statistics per model, bounded to [`MODELS_PER_WORKER_MAX`] models: the least recently used is
/// forgotten first.
#[derive(Clone, Debug, Default)]
pub struct ModelRuns {
    /// Per model, with the sequence number of its last use.
    by_model: FxHashMap<Symbol, (RunStats, u64)>,
    uses: u64,
}

impl ModelRuns {
    /// The stats of `model`.
    pub fn get(&self, model: Symbol) -> Option<&RunStats> {
        self.by_model.get(&model).map(|(stats, _)| stats)
    }

    /// The stats of `model`, created if needed (forgetting the least recently used model when full).
    pub fn get_mut(&mut self, model: Symbol) -> &mut RunStats {
        self.uses += 1;
        if !self.by_model.contains_key(&model) && self.by_model.len() >= MODELS_PER_WORKER_MAX {
            let oldest =
                self.by_model.iter().min_by_key(|(symbol, (_, used))| (*used, **symbol)).map(|(symbol, _)| *symbol);
            if let Some(oldest) = oldest {
                self.by_model.remove(&oldest);
            }
        }
        let entry = self.by_model.entry(model).or_default();
        entry.1 = self.uses;
        &mut entry.0
    }
}

/// A worker's measured speed against the engine's prior for its hardware: its capability
/// assessment. Every completion compares the run time with what the prior predicts for the family on
/// this worker's hardware; the mean log-ratio (weight 1/n for the first four runs, then 1/4) corrects
/// the prior for families the worker has not run yet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpeedEstimate {
    /// Completions measured.
    pub samples: u32,
    /// Mean of ln(run time ÷ prior run time).
    pub log_ratio: f64,
}

impl SpeedEstimate {
    /// Takes in one completion that took `ratio` times the prior's run time.
    pub fn record(&mut self, ratio: f64) {
        if !(ratio.is_finite() && ratio > 0.0) {
            return;
        }
        self.samples = self.samples.saturating_add(1);
        let gain = 1.0 / f64::from(self.samples.min(4));
        self.log_ratio += (ratio.ln() - self.log_ratio) * gain;
    }

    /// How many times the prior's run time this worker takes (1 before any completion).
    pub fn factor(&self) -> f64 {
        if self.samples == 0 { 1.0 } else { self.log_ratio.exp() }
    }
}

/// A worker's performance history.
#[derive(Component, Clone, Debug, Default)]
pub struct History {
    /// Per family, indexed by [`ModelFamily::index`].
    pub by_family: [RunStats; ModelFamily::COUNT],
    /// Per model.
    pub by_model: ModelRuns,
    /// Its speed against the prior.
    pub speed: SpeedEstimate,
}

impl History {
    /// The stats of `model` on this worker.
    pub fn model(&self, model: Symbol) -> Option<&RunStats> {
        self.by_model.get(model)
    }

    /// The stats of `model`, created if needed (forgetting the least recently used model when full).
    pub fn model_mut(&mut self, model: Symbol) -> &mut RunStats {
        self.by_model.get_mut(model)
    }
}

/// Where each model ran last: up to [`WARM_WORKERS_MAX`] workers per model, most recent first.
/// A worker that just completed a model has it loaded ("warm"); the affinity scorers read this.
#[derive(Resource, Debug, Default)]
pub struct WarmModels {
    /// Workers by model.
    pub by_model: FxHashMap<Symbol, Vec<crate::ids::WorkerSlot>>,
}

/// How many recent workers are remembered per model.
pub const WARM_WORKERS_MAX: usize = 4;

impl WarmModels {
    /// Notes that `model` completed on the worker in `slot`.
    pub fn note(&mut self, model: Symbol, slot: crate::ids::WorkerSlot) {
        let workers = self.by_model.entry(model).or_default();
        if let Some(position) = workers.iter().position(|&other| other == slot) {
            workers.remove(position);
        }
        workers.insert(0, slot);
        workers.truncate(WARM_WORKERS_MAX);
    }

    /// The workers where `model` ran last, most recent first.
    pub fn workers(&self, model: Symbol) -> &[crate::ids::WorkerSlot] {
        self.by_model.get(&model).map_or(&[], Vec::as_slice)
    }

    /// Forgets the worker in `slot` (it left; the slot may be reused).
    pub fn forget_worker(&mut self, slot: crate::ids::WorkerSlot) {
        for workers in self.by_model.values_mut() {
            workers.retain(|&other| other != slot);
        }
    }
}

/// A duration normalized to inference: `duration_ns` of a `test_type` test.
pub fn normalized_ns(duration_ns: u64, test_type: TestType) -> u64 {
    (u128::from(duration_ns) * 100 / u128::from(test_type.duration_factor_percent())) as u64
}

/// A normalized duration scaled back to `test_type`.
pub fn denormalized_ns(normalized_ns: u64, test_type: TestType) -> u64 {
    (u128::from(normalized_ns) * u128::from(test_type.duration_factor_percent()) / 100) as u64
}

/// A past run of a task, to seed the engine's performance history (an earlier session's, or a known
/// expected-time-to-compute matrix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastRun {
    /// The worker it ran on (registered).
    pub worker: WorkerId,
    /// The model, if any.
    pub model: Option<String>,
    /// Its family.
    pub family: ModelFamily,
    /// Its test type.
    pub test_type: TestType,
    /// How long it ran, in nanoseconds (ignored when it failed).
    pub duration_ns: u64,
    /// Whether it completed.
    pub completed: bool,
}

/// The longest run a history import takes, in nanoseconds: 30 days, the CI history's own bound.
pub const RUN_NS_MAX: u64 = 30 * 86_400 * 1_000_000_000;

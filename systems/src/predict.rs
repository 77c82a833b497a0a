//! Run-time prediction: how long a task will take on a worker, from the most specific history there is.
//!
//! The chain: the model on this worker → the model on workers of the same shape (identical
//! capabilities, so the same hardware) → the family on this worker → the family on the worker's shape
//! → the prior (the family's prior duration over the best prior speed of the hardware the task may use
//! on that shape). Durations are kept normalized to inference and scaled by the task's test type.

use ballast_components::capability::HardwareSet;
use ballast_components::family::{ModelFamily, TestType};
pub use ballast_components::history::PredictionSource;
use ballast_components::history::{History, RunStats, denormalized_ns};
use ballast_components::preferences::Priors;
use ballast_components::requirements::Requirements;
use ballast_components::shape::Shape;
use ballast_components::symbols::Symbol;
use ballast_components::worker::Capabilities;

/// A predicted run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prediction {
    /// The run time, in nanoseconds.
    pub duration_ns: u64,
    /// How far off it may be, in nanoseconds: the mean absolute deviation of the history it came from;
    /// for a prior, half of it once the worker's speed is measured and all of it before.
    pub uncertainty_ns: u64,
    /// Where it came from.
    pub source: PredictionSource,
}

/// Completions needed before a level of the chain is trusted over the next.
const MODEL_SAMPLES_MIN: u32 = 1;
const FAMILY_ON_WORKER_SAMPLES_MIN: u32 = 3;
const FAMILY_ON_SHAPE_SAMPLES_MIN: u32 = 3;

/// The hardware kinds a task with `requirements` runs on, wherever it is placed: the kinds it asks for;
/// a task that asks for none runs on the CPU, on the GPU devices it is given if it demands any, and on
/// the browsers' APIs if it needs a browser. A prior speed applies only to hardware the task uses: a
/// task given no device runs no faster on a GPU worker than on a CPU one.
pub fn hardware_used(requirements: &Requirements) -> HardwareSet {
    use ballast_components::capability::HardwareKind::{Cpu, Cuda, Mps, Rocm, Webgpu, Webnn};
    if !requirements.hardware_any.is_empty() {
        return requirements.hardware_any;
    }
    let mut used = HardwareSet::of(&[Cpu]);
    if !requirements.demand.gpu.is_none() {
        used = HardwareSet(used.0 | HardwareSet::of(&[Cuda, Rocm, Mps]).0);
    }
    if !requirements.browsers_any.is_empty() {
        used = HardwareSet(used.0 | HardwareSet::of(&[Webgpu, Webnn]).0);
    }
    used
}

/// The best prior speed of the hardware a task of `family` may use on a worker with `capabilities`
/// (`allowed` empty: any kind it has; see [`hardware_used`]).
pub fn prior_speed(priors: &Priors, family: ModelFamily, allowed: HardwareSet, capabilities: &Capabilities) -> f32 {
    let usable =
        if allowed.is_empty() { capabilities.hardware } else { HardwareSet(allowed.0 & capabilities.hardware.0) };
    usable.iter().map(|kind| priors.speed(family, kind)).reduce(f32::max).unwrap_or(1.0)
}

/// The normalized run time of `family` on a shape, from its history or the prior.
pub fn shape_duration_ns(
    priors: &Priors,
    family: ModelFamily,
    allowed: HardwareSet,
    shape: &Shape,
) -> (u64, PredictionSource) {
    let stats = &shape.history[family.index()];
    if stats.completed >= FAMILY_ON_SHAPE_SAMPLES_MIN {
        return (stats.duration_ewma_ns, PredictionSource::FamilyOnShape);
    }
    let prior_ns =
        priors.duration_ms(family) as f64 * 1e6 / f64::from(prior_speed(priors, family, allowed, &shape.capabilities));
    (prior_ns as u64, PredictionSource::Prior)
}

/// Predicts the run time of a task on a worker.
pub fn predict(
    priors: &Priors,
    model: Option<Symbol>,
    family: ModelFamily,
    test_type: TestType,
    allowed: HardwareSet,
    history: &History,
    shape: &Shape,
) -> Prediction {
    let from = |stats: &RunStats, source| (stats.duration_ewma_ns, stats.deviation_ewma_ns, source);
    let (normalized_ns, deviation_ns, source) = if let Some(stats) =
        model.and_then(|model| history.model(model)).filter(|stats| stats.completed >= MODEL_SAMPLES_MIN)
    {
        from(stats, PredictionSource::ModelOnWorker)
    } else if let Some(stats) =
        model.and_then(|model| shape.models.get(model)).filter(|stats| stats.completed >= MODEL_SAMPLES_MIN)
    {
        from(stats, PredictionSource::ModelOnShape)
    } else if history.by_family[family.index()].completed >= FAMILY_ON_WORKER_SAMPLES_MIN {
        from(&history.by_family[family.index()], PredictionSource::FamilyOnWorker)
    } else {
        match shape_duration_ns(priors, family, allowed, shape) {
            (shape_ns, PredictionSource::Prior) => {
                // The prior corrected by this worker's measured speed (its capability assessment).
                let corrected = (shape_ns as f64 * history.speed.factor()) as u64;
                let uncertain = if history.speed.samples == 0 { corrected } else { corrected / 2 };
                (corrected, uncertain, PredictionSource::Prior)
            }
            (shape_ns, source) => (shape_ns, shape.history[family.index()].deviation_ewma_ns, source),
        }
    };
    Prediction {
        duration_ns: denormalized_ns(normalized_ns, test_type).max(1),
        uncertainty_ns: denormalized_ns(deviation_ns, test_type),
        source,
    }
}

/// The prior's normalized run time of `family` on a worker with `capabilities`, on the hardware in
/// `allowed` (empty: any of its hardware).
pub fn prior_ns(priors: &Priors, family: ModelFamily, allowed: HardwareSet, capabilities: &Capabilities) -> u64 {
    (priors.duration_ms(family) as f64 * 1e6 / f64::from(prior_speed(priors, family, allowed, capabilities))) as u64
}

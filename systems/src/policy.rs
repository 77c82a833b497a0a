//! Placement policies as scorers over worker state: each gives a *cost* (lower is better) for one more
//! task of a class on a worker.
//!
//! A policy scores in one of two ways, and most support both:
//! - **exactly**, worker by worker ([`exact_cost`]): the predicted run time of this task on this worker
//!   (its history), the time until one of its slots frees (its run queue), its load after the placement.
//!   Used when a class has few eligible workers (`exact_scan_workers_max`) and by the batch policies.
//! - **through the index** ([`static_cost`] and [`combined_cost`]): a static cost of the worker's
//!   *shape* for the class (computed once per class and shape, from the shape's history or the priors)
//!   combined with the worker's *level* (0 best, up to [`LEVELS`] − 1: its load, one small integer
//!   per worker). Used for large classes: the cost of a placement does not grow with the pool.
//!
//! Round-robin, weighted round-robin, random and power-of-two choose by rotation or sampling instead
//! (see the matching stage); min-min, max-min and sufferage weigh a batch of tasks at once.

use ballast_components::capability::HardwareSet;
use ballast_components::class::{Classes, RequirementSet, ScoredShape};
use ballast_components::config::{CompositeWeights, PolicyName};
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::history::{History, denormalized_ns};
use ballast_components::ids::RequirementsId;
use ballast_components::message::{Factor, FactorKind};
use ballast_components::preferences::Priors;
use ballast_components::requirements::{GPU_MILLI_WHOLE, Requirements};
use ballast_components::shape::{LEVELS, Shape, ShapeId};
use ballast_components::symbols::Symbol;
use ballast_components::task::PlacementNote;
use ballast_components::worker::{Capabilities, Health, Load, ratio_ppm};

use crate::predict::{Prediction, PredictionSource, predict, shape_duration_ns};

/// Priorities at or above this are urgent for the `priority` policy.
pub const URGENT_PRIORITY_MIN: u8 = 7;
/// Priorities at or below this are low for the `priority` policy.
pub const LOW_PRIORITY_MAX: u8 = 2;

/// `share_ppm` (0..=1,000,000) as one of [`LEVELS`] levels.
#[inline]
pub fn level_of_share(share_ppm: u32) -> u8 {
    (u64::from(share_ppm.min(1_000_000)) * (LEVELS as u64 - 1) / 1_000_000) as u8
}

/// The share of a level's lower edge, in millionths (the inverse of [`level_of_share`]).
#[inline]
pub fn share_of_level(level: u8) -> u32 {
    (u64::from(level) * 1_000_000 / (LEVELS as u64 - 1)) as u32
}

/// The worker's dominant reserved share, in millionths, if one more slot were taken: the largest of
/// the slot, CPU, memory and GPU shares (Ghodsi et al.'s dominant resource share).
pub fn dominant_share_next_ppm(capabilities: &Capabilities, load: &Load) -> u32 {
    let mut share = ratio_ppm(u64::from(load.slots_used) + 1, u64::from(capabilities.slots));
    share = share.max(ratio_ppm(u64::from(load.cpu_milli_used), u64::from(capabilities.cpu_milli)));
    share = share.max(ratio_ppm(load.memory_used_mib, capabilities.memory_mib));
    if !capabilities.gpus.is_empty() {
        let used: u64 = load.gpu_milli_used.iter().map(|&milli| u64::from(milli)).sum();
        share = share.max(ratio_ppm(used, capabilities.gpus.len() as u64 * u64::from(GPU_MILLI_WHOLE)));
    }
    share
}

/// The worker's dominant reserved share after one more task of `requirements`, in millionths.
pub fn dominant_share_after_ppm(capabilities: &Capabilities, load: &Load, requirements: &Requirements) -> u32 {
    let demand = &requirements.demand;
    let mut share = ratio_ppm(u64::from(load.slots_used) + 1, u64::from(capabilities.slots));
    share = share.max(ratio_ppm(u64::from(load.cpu_milli_used + demand.cpu_milli), u64::from(capabilities.cpu_milli)));
    share = share.max(ratio_ppm(load.memory_used_mib + demand.memory_mib, capabilities.memory_mib));
    if !capabilities.gpus.is_empty() {
        let used: u64 = load.gpu_milli_used.iter().map(|&milli| u64::from(milli)).sum();
        let wanted = u64::from(demand.gpu.count) * u64::from(demand.gpu.milli);
        share = share.max(ratio_ppm(used + wanted, capabilities.gpus.len() as u64 * u64::from(GPU_MILLI_WHOLE)));
    }
    share
}

/// The worker's level under `policy`, or `None` if it cannot take work now (unhealthy, draining, or
/// no free seat).
pub fn level(policy: PolicyName, capabilities: &Capabilities, load: &Load, health: &Health) -> Option<u8> {
    if !health.schedulable() || !load.has_seat(capabilities) {
        return None;
    }
    let share = match policy {
        PolicyName::LeastLoaded
        | PolicyName::RoundRobin
        | PolicyName::WeightedRoundRobin
        | PolicyName::Random
        | PolicyName::PowerOfTwo
        | PolicyName::Composite => ratio_ppm(u64::from(load.slots_used) + 1, u64::from(capabilities.slots)),
        _ => dominant_share_next_ppm(capabilities, load),
    };
    // A hot worker is spared: it looks a quarter of the levels more loaded than it is.
    let spared = if load.hot { HOT_LEVELS } else { 0 };
    Some(level_of_share(share).saturating_add(spared).min(LEVELS as u8 - 1))
}

/// What a scorer knows of the task being placed.
#[derive(Clone, Copy, Debug)]
pub struct TaskFacts<'a> {
    /// Its requirements.
    pub requirements: &'a Requirements,
    /// Its family.
    pub family: ModelFamily,
    /// Its model.
    pub model: Option<Symbol>,
    /// Its test type.
    pub test_type: TestType,
    /// Its priority.
    pub priority: u8,
    /// The prior tables (the engine config's).
    pub priors: &'a Priors,
    /// The requirement sets and the task's own, when some set is under pressure (see
    /// [`crate::scarcity`]); `None`: scarcity costs nothing.
    pub scarcity: Option<Scarcity<'a>>,
}

/// What a scorer needs to charge a task for scarcity: every requirement set, and the task's.
#[derive(Clone, Copy, Debug)]
pub struct Scarcity<'a> {
    /// The requirement sets, by id.
    pub sets: &'a [RequirementSet],
    /// The task's set.
    pub own: RequirementsId,
}

impl<'a> Scarcity<'a> {
    /// Scarcity for a task of the set `own`, if any set of `classes` is under pressure.
    pub fn of(classes: &'a Classes, own: RequirementsId) -> Option<Scarcity<'a>> {
        (classes.pressured_sets > 0).then_some(Scarcity { sets: &classes.requirement_sets, own })
    }

    /// The charge of one more task of the set on a worker of `shape` with `load`, in eighths of its run
    /// time.
    pub fn charge(&self, shape: &Shape, load: &Load) -> u32 {
        crate::scarcity::scarcity_eighths(self.sets, self.own, &shape.requirement_sets, &shape.capabilities, load)
    }
}

/// What a scorer knows of a candidate worker.
#[derive(Clone, Copy, Debug)]
pub struct WorkerFacts<'a> {
    /// Its capabilities.
    pub capabilities: &'a Capabilities,
    /// Its ledger.
    pub load: &'a Load,
    /// Its history.
    pub history: &'a History,
    /// Its shape.
    pub shape: &'a Shape,
    /// Nanoseconds until one of its slots is free for one more task.
    pub ready_ns: u64,
    /// Whether the task's model ran there last.
    pub warm: bool,
}

/// The policy's weights for a task: the `priority` and `affinity` policies adjust composite's.
pub fn weights_for(policy: PolicyName, weights: CompositeWeights, priority: u8) -> CompositeWeights {
    match policy {
        PolicyName::Priority if priority <= LOW_PRIORITY_MAX => {
            CompositeWeights { waste_permille: weights.waste_permille.saturating_mul(3), ..weights }
        }
        PolicyName::Affinity => CompositeWeights { warm_permille: weights.warm_permille.max(500), ..weights },
        _ => weights,
    }
}

/// Success rate of the family on the worker, in millionths: smoothed toward a prior of 98% worth 50
/// attempts (a healthy fleet's rate), so a single early failure does not brand a worker; never below 5%.
fn success_ppm(history: &History, family: ModelFamily) -> u64 {
    smoothed_success_ppm(&history.by_family[family.index()])
}

/// A run record's success rate smoothed toward the prior (see [`success_ppm`]).
pub fn smoothed_success_ppm(stats: &ballast_components::history::RunStats) -> u64 {
    let completed = u64::from(stats.completed) + 49;
    let total = u64::from(stats.completed) + u64::from(stats.failed) + 50;
    (completed * 1_000_000 / total).max(50_000)
}

/// The composite cost: `(wait + run × (1 + waste × scarcity) + risk × uncertainty) / success × (1 + load
/// × share) × (1 − warm)`, `scarcity` in eighths (see [`crate::scarcity`]).
#[allow(clippy::too_many_arguments)]
pub fn composite_cost(
    weights: CompositeWeights,
    run_ns: u64,
    uncertainty_ns: u64,
    wait_ns: u64,
    scarcity_eighths: u32,
    success_ppm: u64,
    share_ppm: u32,
    warm: bool,
) -> u128 {
    // The waste term is weighed in eighths, so it is exact whatever the scarcity charge.
    let waste = u128::from(weights.waste_permille) * u128::from(scarcity_eighths);
    let mut cost = u128::from(wait_ns) * 1_000
        + u128::from(run_ns) * (8_000 + waste) / 8
        + u128::from(uncertainty_ns) * u128::from(weights.risk_permille);
    cost = cost * 1_000_000 / u128::from(success_ppm.max(1));
    cost = cost * (1_000_000 + u128::from(weights.load_permille) * u128::from(share_ppm) / 1_000) / 1_000_000;
    if warm {
        cost = cost * (1_000 - u128::from(weights.warm_permille.min(999))) / 1_000;
    }
    cost
}

/// The terms of a placement's score under `policy`, from what the match stage noted when it placed
/// the task (`note`, with its scarcity charge) and the predicted run time:
/// each term's input and, where the policy weighs it, its part in the cost in seconds, the largest
/// first. For the composite family the parts add up to the composite cost,
/// `(wait + run × (1 + waste) + risk × uncertainty) / success × (1 + load × share) × (1 − warm)`, taken
/// term by term in that order.
pub fn cost_factors(
    policy: PolicyName,
    weights: CompositeWeights,
    priority: u8,
    run_ns: u64,
    note: &PlacementNote,
) -> Vec<Factor> {
    let scarcity = f64::from(note.scarcity_eighths) / 8.0;
    let run = run_ns as f64 / 1e9;
    let wait = note.ready_ns as f64 / 1e9;
    let success = f64::from(note.success_ppm.max(1)) / 1e6;
    let share = f64::from(note.share_ppm) / 1e6;
    let flag = |on: bool| if on { 1.0 } else { 0.0 };
    let mut factors = vec![
        Factor { kind: FactorKind::PredictedRun, value: run, cost_seconds: None },
        Factor { kind: FactorKind::WaitForSlot, value: wait, cost_seconds: None },
        Factor { kind: FactorKind::Load, value: share, cost_seconds: None },
        Factor { kind: FactorKind::IdleScarceCapabilities, value: scarcity, cost_seconds: None },
        Factor { kind: FactorKind::SuccessRate, value: success, cost_seconds: None },
        Factor { kind: FactorKind::WarmModel, value: flag(note.warm), cost_seconds: None },
        Factor {
            kind: FactorKind::PredictionUncertainty,
            value: f64::from(note.uncertainty_ms) / 1e3,
            cost_seconds: None,
        },
    ];
    let mut weigh = |kind: FactorKind, seconds: f64| {
        if let Some(factor) = factors.iter_mut().find(|factor| factor.kind == kind) {
            factor.cost_seconds = Some(seconds);
        }
    };
    let unreliable = |base: f64| base / success - base;
    match policy {
        PolicyName::Priority if priority >= URGENT_PRIORITY_MIN => {
            weigh(FactorKind::WaitForSlot, wait);
            weigh(FactorKind::PredictedRun, run);
            weigh(FactorKind::SuccessRate, unreliable(run));
        }
        PolicyName::Composite | PolicyName::Adaptive | PolicyName::Affinity | PolicyName::Priority => {
            let weights = weights_for(policy, weights, priority);
            let idle = run * scarcity * f64::from(weights.waste_permille) / 1e3;
            let risk = f64::from(note.uncertainty_ms) / 1e3 * f64::from(weights.risk_permille) / 1e3;
            let base = wait + run + idle + risk;
            let reliable = base + unreliable(base);
            let loaded = reliable * (1.0 + f64::from(weights.load_permille) / 1e3 * share);
            let warm = if note.warm { -loaded * f64::from(weights.warm_permille.min(999)) / 1e3 } else { 0.0 };
            weigh(FactorKind::PredictedRun, run);
            weigh(FactorKind::WaitForSlot, wait);
            weigh(FactorKind::IdleScarceCapabilities, idle);
            weigh(FactorKind::PredictionUncertainty, risk);
            weigh(FactorKind::SuccessRate, unreliable(base));
            weigh(FactorKind::Load, loaded - reliable);
            weigh(FactorKind::WarmModel, warm);
        }
        PolicyName::Performance => {
            weigh(FactorKind::PredictedRun, run);
            weigh(FactorKind::SuccessRate, unreliable(run));
        }
        PolicyName::ExpectedCompletion | PolicyName::MinMin | PolicyName::MaxMin | PolicyName::Sufferage => {
            weigh(FactorKind::PredictedRun, run);
            weigh(FactorKind::WaitForSlot, wait);
        }
        PolicyName::Olb => weigh(FactorKind::WaitForSlot, wait),
        PolicyName::Met => weigh(FactorKind::PredictedRun, run),
        // Load, rotation and sampling policies weigh no seconds: the load is their criterion.
        PolicyName::ResourceAware
        | PolicyName::LeastLoaded
        | PolicyName::RoundRobin
        | PolicyName::WeightedRoundRobin
        | PolicyName::Random
        | PolicyName::PowerOfTwo
        | PolicyName::BestFit
        | PolicyName::DotProduct
        | PolicyName::Fgd
        | PolicyName::FragAware => {}
    }
    // Weighed terms by the size of their part (stable: equal parts keep the order above), then the rest.
    factors.sort_by(|a, b| match (a.cost_seconds, b.cost_seconds) {
        (Some(a), Some(b)) => b.abs().total_cmp(&a.abs()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    factors
}

/// The exact cost of one more task on a worker under `policy` (lower is better), given the predicted
/// run time there. Policies that choose by rotation or sampling have none.
pub fn exact_cost(
    policy: PolicyName,
    weights: CompositeWeights,
    task: &TaskFacts,
    worker: &WorkerFacts,
    prediction: Prediction,
) -> u128 {
    let run = prediction.duration_ns;
    let share = dominant_share_after_ppm(worker.capabilities, worker.load, task.requirements);
    let slot_share = ratio_ppm(u64::from(worker.load.slots_used) + 1, u64::from(worker.capabilities.slots));
    let success = success_ppm(worker.history, task.family);
    // Lexicographic costs: the first part in the high bits, a tie-breaking share in the low 20 bits.
    let then = |primary: u128, share: u32| (primary << 20) | u128::from(share);
    let cost = match policy {
        // Packing policies weigh devices and fragmentation in the packing scan; here, the dominant share.
        PolicyName::ResourceAware
        | PolicyName::BestFit
        | PolicyName::DotProduct
        | PolicyName::Fgd
        | PolicyName::FragAware => u128::from(share),
        PolicyName::LeastLoaded
        | PolicyName::RoundRobin
        | PolicyName::WeightedRoundRobin
        | PolicyName::Random
        | PolicyName::PowerOfTwo => u128::from(slot_share),
        PolicyName::Performance => then(u128::from(run) * 1_000_000 / u128::from(success), share),
        PolicyName::Priority if task.priority >= URGENT_PRIORITY_MIN => {
            then(u128::from(worker.ready_ns) + u128::from(run) * 1_000_000 / u128::from(success), share)
        }
        PolicyName::ExpectedCompletion | PolicyName::MinMin | PolicyName::MaxMin | PolicyName::Sufferage => {
            then(u128::from(worker.ready_ns) + u128::from(run), share)
        }
        PolicyName::Olb => then(u128::from(worker.ready_ns), share),
        PolicyName::Met => then(u128::from(run), share),
        PolicyName::Composite | PolicyName::Adaptive | PolicyName::Priority | PolicyName::Affinity => {
            let weights = weights_for(policy, weights, task.priority);
            let scarcity = task.scarcity.map_or(0, |scarcity| scarcity.charge(worker.shape, worker.load));
            // Equal costs go to the less loaded worker (spreading costs nothing and avoids contention).
            let cost = composite_cost(
                weights,
                run,
                prediction.uncertainty_ns,
                worker.ready_ns,
                scarcity,
                success,
                share,
                worker.warm,
            );
            then(cost, share)
        }
    };
    // A hot worker is spared: a quarter more (thermal-aware engines only set `hot`).
    if worker.load.hot { cost.saturating_add(cost / 4) } else { cost }
}

/// How many levels a hot worker is raised in the index (a quarter of them).
pub const HOT_LEVELS: u8 = (LEVELS / 4) as u8;

/// The predicted run time of a task on a worker.
pub fn predicted(task: &TaskFacts, worker: &WorkerFacts) -> Prediction {
    predict(
        task.priors,
        task.model,
        task.family,
        task.test_type,
        crate::predict::hardware_used(task.requirements),
        worker.history,
        worker.shape,
    )
}

/// The static cost of a shape for a class under `policy`: its cost at level 0, from the shape's history
/// or the priors, and the scarcity charge of a task on an idle worker of the shape (the index's part
/// of a score that does not change with load).
pub fn static_cost(
    policy: PolicyName,
    weights: CompositeWeights,
    priors: &Priors,
    (requirements, scarcity_eighths): (&Requirements, u32),
    family: ModelFamily,
    shape: &Shape,
) -> u128 {
    let allowed: HardwareSet = crate::predict::hardware_used(requirements);
    let (normalized_ns, source) = shape_duration_ns(priors, family, allowed, shape);
    let run = denormalized_ns(normalized_ns, TestType::Inference);
    // A prior is as uncertain as it is long; a shape's history by its measured deviation.
    let uncertainty = match source {
        PredictionSource::Prior => run,
        _ => denormalized_ns(shape.history[family.index()].deviation_ewma_ns, TestType::Inference),
    };
    let success = smoothed_success_ppm(&shape.history[family.index()]);
    match policy {
        PolicyName::ResourceAware
        | PolicyName::LeastLoaded
        | PolicyName::RoundRobin
        | PolicyName::WeightedRoundRobin
        | PolicyName::Random
        | PolicyName::PowerOfTwo
        | PolicyName::Olb
        | PolicyName::BestFit
        | PolicyName::DotProduct
        | PolicyName::Fgd
        | PolicyName::FragAware => 0,
        PolicyName::Performance | PolicyName::ExpectedCompletion | PolicyName::Met => {
            u128::from(run) * 1_000_000 / u128::from(success)
        }
        PolicyName::MinMin | PolicyName::MaxMin | PolicyName::Sufferage => u128::from(run),
        PolicyName::Composite | PolicyName::Adaptive | PolicyName::Priority | PolicyName::Affinity => {
            composite_cost(weights, run, uncertainty, 0, scarcity_eighths, success, 0, false)
        }
    }
}

/// A shape's static cost combined with a worker's level: the index's cost of that worker. Never
/// decreases as the level rises, so a search can stop early.
#[inline]
pub fn combined_cost(policy: PolicyName, weights: CompositeWeights, static_cost: u128, level: u8) -> u128 {
    match policy {
        PolicyName::Composite | PolicyName::Adaptive | PolicyName::Priority | PolicyName::Affinity => {
            // (1 + load × share) in 2^-20 fixed point: a multiply and a shift, no division; equal costs
            // go to the lower level.
            let share = u64::from(share_of_level(level));
            let factor = (1u64 << 20) + ((u64::from(weights.load_permille) * share) << 20) / 1_000_000_000;
            ((static_cost * u128::from(factor)) >> 20 << 6) | u128::from(level)
        }
        // Everything else: the static cost first, the level breaks ties.
        _ => (static_cost << 6) | u128::from(level),
    }
}

/// `cost` rounded down to its five leading binary digits (steps of about 3%), so shapes of nearly equal
/// cost share a tier and a small drift in history does not move a shape between tiers. Costs closer
/// than that are within the noise of the run-time history they come from.
pub fn rounded(cost: u128) -> u128 {
    let shift = (128 - cost.leading_zeros()).saturating_sub(5);
    (cost >> shift) << shift
}

/// A shape with its static cost for a class (rounded, see [`rounded`]); `scarcity_eighths` is the
/// charge of the class's task on an idle worker of the shape.
pub fn scored_shape(
    policy: PolicyName,
    weights: CompositeWeights,
    priors: &Priors,
    requirements: (&Requirements, u32),
    family: ModelFamily,
    shape_id: ShapeId,
    shape: &Shape,
) -> ScoredShape {
    let cost = rounded(static_cost(policy, weights, priors, requirements, family, shape));
    ScoredShape { shape: shape_id, cost, charge: requirements.1 }
}

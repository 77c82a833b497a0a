//! Placement policies as scorers over worker state.
//!
//! A policy scores a worker for a class in two parts, so placement never has to look at more than a
//! handful of workers:
//! - a *static score* of the worker's shape for the class (hardware fit, speed for the family, what
//!   would be wasted), computed once per (class, shape);
//! - a *level* of the worker (0 best, up to [`LEVELS`] − 1) from its dynamic state (load, health),
//!   recomputed on every change of that worker.
//!
//! A worker's score for a class is `static_score − LEVEL_WEIGHT × level`; the match stage takes the
//! best. Workers that cannot take work now (unhealthy, draining, no free slot) have no level.

use ballast_components::class::ScoredShape;
use ballast_components::config::PolicyName;
use ballast_components::family::ModelFamily;
use ballast_components::requirements::{GPU_MILLI_WHOLE, Requirements};
use ballast_components::shape::{LEVELS, ShapeId};
use ballast_components::worker::{Capabilities, Health, Load, ratio_ppm};

/// What one level costs in static-score units.
pub const LEVEL_WEIGHT: i64 = 1_000;

/// `share_ppm` (0..=1,000,000) as one of [`LEVELS`] levels.
#[inline]
pub fn level_of_share(share_ppm: u32) -> u8 {
    (u64::from(share_ppm.min(1_000_000)) * (LEVELS as u64 - 1) / 1_000_000) as u8
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

/// The worker's level under `policy`, or `None` if it cannot take work now.
pub fn level(policy: PolicyName, capabilities: &Capabilities, load: &Load, health: &Health) -> Option<u8> {
    if !health.schedulable() || load.slots_used >= capabilities.slots {
        return None;
    }
    let share = match policy {
        PolicyName::ResourceAware => dominant_share_next_ppm(capabilities, load),
        PolicyName::LeastLoaded => ratio_ppm(u64::from(load.slots_used) + 1, u64::from(capabilities.slots)),
    };
    Some(level_of_share(share))
}

/// The static score of a shape for a class under `policy`.
pub fn static_score(
    policy: PolicyName,
    _requirements: &Requirements,
    _family: ModelFamily,
    _capabilities: &Capabilities,
) -> i64 {
    match policy {
        // Load alone decides: every eligible shape starts equal.
        PolicyName::ResourceAware | PolicyName::LeastLoaded => 0,
    }
}

/// A shape with its static score for a class.
pub fn scored_shape(
    policy: PolicyName,
    requirements: &Requirements,
    family: ModelFamily,
    shape: ShapeId,
    capabilities: &Capabilities,
) -> ScoredShape {
    ScoredShape { shape, score: static_score(policy, requirements, family, capabilities) }
}

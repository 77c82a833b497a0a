//! Scarcity: what one more task on a worker costs the more constrained work that could have used it.
//!
//! A task that may run on many workers, placed on a worker that work with fewer options can also use (a
//! GPU worker for a CPU-only test, a big-memory worker for a small test, a four-GPU worker for a one-GPU
//! test), may leave that work waiting for about as long as it runs. The match stage measures each
//! requirement set's *pressure* ([`RequirementSet::pressure`]): 1 while its tasks wait unplaced, fading
//! after. A placement pays, on top of its predicted run time, that run time times the largest, over the
//! pressed sets with fewer eligible workers that the worker meets, of the set's pressure times the
//! seats of that set the placement takes (how many fewer of its tasks the worker could still take).
//! Nothing is charged while those sets' tasks find room, so spreading costs nothing then; when GPUs
//! are the bottleneck, a CPU-only test goes where it blocks no GPU test.
//!
//! The charge is in eighths of the run time ([`scarcity_eighths`]); the composite policy weighs it by
//! its `waste` weight (1000: one run time per seat taken from work under full pressure).

use ballast_components::class::{Classes, PRESSURE_HALF_LIFE_NS, RequirementSet};
use ballast_components::ids::RequirementsId;
use ballast_components::requirements::Requirements;
use ballast_components::worker::{Capabilities, Load};

/// Fits are counted up to this many tasks (a worker rarely has more seats than that for the work a
/// placement could block, and the count bounds the cost of a charge).
pub const FITS_COUNTED_MAX: u32 = 8;

/// How many more tasks of `requirements` fit on a worker with `capabilities` and `load`, up to
/// [`FITS_COUNTED_MAX`].
pub fn fits(capabilities: &Capabilities, load: &Load, requirements: &Requirements) -> u32 {
    let mut load = load.clone();
    let mut count = 0;
    while count < FITS_COUNTED_MAX {
        let Some(devices) = load.fit(capabilities, &requirements.demand, &requirements.gpu_models) else {
            break;
        };
        load.reserve_unchecked(&requirements.demand, devices);
        count += 1;
    }
    count
}

/// The scarcity charge of one more task of the set `own` on a worker with `capabilities` and `load`
/// that meets the sets `worker_sets`, in eighths of the task's run time (see the module docs). 0 when
/// no set is under pressure or the task does not fit.
pub fn scarcity_eighths(
    sets: &[RequirementSet],
    own: RequirementsId,
    worker_sets: &[RequirementsId],
    capabilities: &Capabilities,
    load: &Load,
) -> u32 {
    let own_set = &sets[own.index()];
    let own_eligible = own_set.eligible.len();
    let mut after: Option<Load> = None;
    let mut charge = 0;
    for &other_id in worker_sets {
        let other = &sets[other_id.index()];
        let pressure = u32::from(other.pressure_eighths);
        // Only work with fewer options than this task's is charged for; a charge that cannot beat the
        // largest so far is not computed.
        if other_id == own || pressure == 0 || pressure * FITS_COUNTED_MAX <= charge {
            continue;
        }
        if other.eligible.len() >= own_eligible {
            continue;
        }
        let after = match &after {
            Some(after) => after,
            None => {
                let demand = &own_set.requirements.demand;
                let Some(devices) = load.fit(capabilities, demand, &own_set.requirements.gpu_models) else {
                    return 0;
                };
                let mut taken = load.clone();
                taken.reserve_unchecked(demand, devices);
                after.insert(taken)
            }
        };
        let blocked = fits(capabilities, load, &other.requirements).saturating_sub(fits(
            capabilities,
            after,
            &other.requirements,
        ));
        charge = charge.max(pressure * blocked);
    }
    charge
}

/// Brings every requirement set's pressure up to date at the end of a match: 1 for sets with tasks
/// left waiting, halving every [`PRESSURE_HALF_LIFE_NS`] for the others; `elapsed_ns` since the last
/// update. Notes in `pressure_changed` when a set's eighths moved.
pub fn update_pressure(classes: &mut Classes, elapsed_ns: u64) {
    let fade = 0.5f64.powf(elapsed_ns as f64 / PRESSURE_HALF_LIFE_NS as f64) as f32;
    let Classes { requirement_sets, classes: class_list, .. } = &mut *classes;
    let mut pressured = 0;
    let mut changed = false;
    for set in requirement_sets.iter_mut() {
        if set.pressure == 0.0 && set.classes.iter().all(|class| class_list[class.index()].pending.is_empty()) {
            continue;
        }
        let waiting = set.classes.iter().any(|class| !class_list[class.index()].pending.is_empty());
        set.pressure = if waiting { 1.0 } else { set.pressure * fade };
        let eighths = (set.pressure * 8.0) as u8;
        if eighths == 0 {
            set.pressure = 0.0;
        } else {
            pressured += 1;
        }
        if eighths != set.pressure_eighths {
            set.pressure_eighths = eighths;
            changed = true;
        }
    }
    classes.pressured_sets = pressured;
    classes.pressure_changed |= changed;
}

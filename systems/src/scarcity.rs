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
use ballast_components::requirements::{GPU_MILLI_WHOLE, Requirements};
use ballast_components::shape::IdleBlocks;
use ballast_components::worker::{Capabilities, Load};

/// Fits are counted up to this many tasks (a worker rarely has more seats than that for the work a
/// placement could block, and the count bounds the cost of a charge).
pub const FITS_COUNTED_MAX: u32 = 8;

/// How many more tasks of `requirements` fit on a worker with `capabilities` and `load`, up to
/// [`FITS_COUNTED_MAX`].
pub fn fits(capabilities: &Capabilities, load: &Load, requirements: &Requirements) -> u32 {
    let demand = &requirements.demand;
    let gpu = demand.gpu;
    if gpu.count == 0 || gpu.milli >= GPU_MILLI_WHOLE {
        // Each resource bounds the count on its own (whole devices are taken idle, so every task takes
        // `count` of the idle devices that qualify): the smallest bound is what one-by-one reservation
        // would reach, without copying the load.
        let per = |free: u64, each: u64| free.checked_div(each).unwrap_or(u64::MAX);
        let seats = u64::from(load.seats(capabilities).saturating_sub(load.slots_used));
        let cpu =
            per(u64::from(capabilities.cpu_milli.saturating_sub(load.cpu_milli_used)), u64::from(demand.cpu_milli));
        let memory = per(capabilities.memory_mib.saturating_sub(load.memory_used_mib), demand.memory_mib);
        let devices = if gpu.count == 0 {
            u64::MAX
        } else {
            let idle = (0..capabilities.gpus.len().min(load.gpu_milli_used.len()))
                .filter(|&device| {
                    load.gpu_milli_used[device] == 0
                        && load.gpu_memory_used_mib[device] == 0
                        && capabilities.gpus[device].memory_mib >= gpu.memory_mib
                        && capabilities.device_model_allowed(device, &requirements.gpu_models)
                })
                .count() as u64;
            idle / u64::from(gpu.count)
        };
        return seats.min(cpu).min(memory).min(devices).min(u64::from(FITS_COUNTED_MAX)) as u32;
    }
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

/// What one more task of the set `own` takes from the other sets `worker_sets` on an idle worker with
/// `capabilities` (the part of [`scarcity_eighths`] that pressure does not change).
pub fn idle_blocks(
    sets: &[RequirementSet],
    own: RequirementsId,
    worker_sets: &[RequirementsId],
    capabilities: &Capabilities,
) -> IdleBlocks {
    let idle = Load::default();
    let demand = &sets[own.index()].requirements.demand;
    let Some(devices) = idle.fit(capabilities, demand, &sets[own.index()].requirements.gpu_models) else {
        return IdleBlocks { sets_weighed: worker_sets.len(), fits: false, blocked: Vec::new() };
    };
    let mut after = idle.clone();
    after.reserve_unchecked(demand, devices);
    let blocked = worker_sets
        .iter()
        .filter(|&&other| other != own)
        .filter_map(|&other| {
            let requirements = &sets[other.index()].requirements;
            let blocked =
                fits(capabilities, &idle, requirements).saturating_sub(fits(capabilities, &after, requirements));
            (blocked > 0).then_some((other, blocked))
        })
        .collect();
    IdleBlocks { sets_weighed: worker_sets.len(), fits: true, blocked }
}

/// [`scarcity_eighths`] of one more task of the set `own` on an idle worker, from its [`IdleBlocks`]
/// and the sets' pressure now.
pub fn idle_eighths(sets: &[RequirementSet], own: RequirementsId, blocks: &IdleBlocks) -> u32 {
    if !blocks.fits {
        return 0;
    }
    let own_eligible = sets[own.index()].eligible.len();
    let mut charge = 0;
    for &(other_id, blocked) in &blocks.blocked {
        let other = &sets[other_id.index()];
        if other.pressure_eighths > 0 && other.eligible.len() < own_eligible {
            charge = charge.max(u32::from(other.pressure_eighths) * blocked);
        }
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

#[cfg(test)]
mod tests {
    use ballast_components::requirements::{Demand, GpuDemand};
    use ballast_components::worker::GpuDevice;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64Mcg;

    use super::*;

    /// Reservation one task at a time: what [`fits`] must equal.
    fn fits_one_by_one(capabilities: &Capabilities, load: &Load, requirements: &Requirements) -> u32 {
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

    #[test]
    fn the_closed_form_count_equals_reserving_one_task_at_a_time() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        for _ in 0..20_000 {
            let devices = rng.random_range(0..5usize);
            let capabilities = Capabilities {
                cpu_milli: rng.random_range(0..5u32) * 4_000,
                memory_mib: rng.random_range(0..5u64) * 8_192,
                slots: rng.random_range(1..9u32),
                gpus: (0..devices)
                    .map(|_| GpuDevice { model: None, memory_mib: rng.random_range(1..3u64) * 16_384 })
                    .collect(),
                ..Capabilities::default()
            };
            let mut load = Load { prefetch: rng.random_range(0..3u32), ..Load::default() };
            let busy = Requirements {
                demand: Demand { cpu_milli: 1_000, memory_mib: 2_048, gpu: GpuDemand::whole(1) },
                ..Requirements::default()
            };
            for _ in 0..rng.random_range(0..4u32) {
                let demand =
                    if rng.random_bool(0.5) { busy.demand } else { Demand { gpu: GpuDemand::NONE, ..busy.demand } };
                if let Some(taken) = load.fit(&capabilities, &demand, &[]) {
                    load.reserve_unchecked(&demand, taken);
                }
            }
            let requirements = Requirements {
                demand: Demand {
                    cpu_milli: rng.random_range(0..3u32) * 1_000,
                    memory_mib: rng.random_range(0..3u64) * 4_096,
                    gpu: match rng.random_range(0..3u8) {
                        0 => GpuDemand::NONE,
                        count => {
                            GpuDemand { memory_mib: rng.random_range(0..2u64) * 20_000, ..GpuDemand::whole(count) }
                        }
                    },
                },
                ..Requirements::default()
            };
            assert_eq!(
                fits(&capabilities, &load, &requirements),
                fits_one_by_one(&capabilities, &load, &requirements),
                "{capabilities:?} {load:?} {requirements:?}"
            );
        }
    }

    #[test]
    fn the_cached_idle_charge_equals_the_direct_one() {
        let mut rng = Pcg64Mcg::seed_from_u64(11);
        for _ in 0..5_000 {
            let capabilities = Capabilities {
                cpu_milli: rng.random_range(1..5u32) * 4_000,
                memory_mib: rng.random_range(1..5u64) * 8_192,
                slots: rng.random_range(1..9u32),
                gpus: (0..rng.random_range(0..5usize))
                    .map(|_| GpuDevice { model: None, memory_mib: rng.random_range(1..3u64) * 16_384 })
                    .collect(),
                ..Capabilities::default()
            };
            let sets: Vec<RequirementSet> = (0..rng.random_range(1..6usize))
                .map(|_| {
                    let gpu = match rng.random_range(0..3u8) {
                        0 => GpuDemand::NONE,
                        count => GpuDemand::whole(count),
                    };
                    let mut eligible = roaring::RoaringBitmap::new();
                    eligible.insert_range(0..rng.random_range(1..50u32));
                    let pressure_eighths = if rng.random_bool(0.5) { rng.random_range(1..=8u8) } else { 0 };
                    RequirementSet {
                        requirements: Requirements {
                            demand: Demand {
                                cpu_milli: rng.random_range(0..3u32) * 1_000,
                                memory_mib: rng.random_range(0..3u64) * 4_096,
                                gpu,
                            },
                            ..Requirements::default()
                        },
                        eligible,
                        shapes: Vec::new(),
                        classes: Vec::new(),
                        indexed: true,
                        admitted: 0,
                        pressure: f32::from(pressure_eighths) / 8.0,
                        pressure_eighths,
                    }
                })
                .collect();
            let worker_sets: Vec<RequirementsId> = (0..sets.len() as u32).map(RequirementsId).collect();
            for own in &worker_sets {
                let blocks = idle_blocks(&sets, *own, &worker_sets, &capabilities);
                assert_eq!(
                    idle_eighths(&sets, *own, &blocks),
                    scarcity_eighths(&sets, *own, &worker_sets, &capabilities, &Load::default()),
                    "{capabilities:?} {own:?}"
                );
            }
        }
    }
}

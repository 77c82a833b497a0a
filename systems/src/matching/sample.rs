//! Sampling baselines: random picks a uniformly random eligible worker with room (and for a fractional
//! GPU share, a uniformly random device it fits on); power-of-two samples
//! two candidates in proportion to their slots (uniform sampling is unstable on mixed pools) and keeps
//! the less loaded.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use ballast_components::class::{Class, RequirementSet};
use ballast_components::config::PolicyName;
use ballast_components::ids::WorkerSlot;
use ballast_components::worker::{DeviceMask, ratio_ppm};

use super::{Choice, Context, exact::block};

/// Draws before falling back to listing every eligible worker with room.
const DRAWS_MAX: usize = 32;

/// A sampled worker for the class.
pub(super) fn pick(context: &Context, class: &mut Class, set: &RequirementSet, rng: &mut Pcg64Mcg) -> Option<Choice> {
    let count = set.eligible.len();
    if count == 0 {
        return None;
    }
    let slots_max = u64::from(
        set.shapes.iter().map(|&shape| context.shapes.shapes[shape.index()].capabilities.slots).max().unwrap_or(1),
    );
    let wanted = if context.policy == PolicyName::PowerOfTwo { 2 } else { 1 };
    let mut picked: Vec<(WorkerSlot, DeviceMask)> = Vec::with_capacity(wanted);
    for _ in 0..DRAWS_MAX {
        let Some(slot) = set.eligible.select(rng.random_range(0..count) as u32).map(WorkerSlot) else { break };
        if context.policy == PolicyName::PowerOfTwo {
            // Accept in proportion to slots: a worker twice as big is drawn twice as often.
            let slots = u64::from(context.shapes.shape(slot).capabilities.slots);
            if rng.random_range(0..slots_max.max(slots)) >= slots {
                continue;
            }
        }
        if context.shapes.level_of[slot.index()].is_none() || picked.iter().any(|(other, _)| *other == slot) {
            continue;
        }
        if let Some(devices) = context.fit(slot, set) {
            picked.push((slot, devices));
            if picked.len() == wanted {
                break;
            }
        }
    }
    if picked.is_empty() {
        // Few workers have room: list them all and draw among them.
        let with_room: Vec<(WorkerSlot, DeviceMask)> = set
            .eligible
            .iter()
            .map(WorkerSlot)
            .filter(|slot| context.shapes.level_of[slot.index()].is_some())
            .filter_map(|slot| context.fit(slot, set).map(|devices| (slot, devices)))
            .collect();
        if with_room.is_empty() {
            block(class);
            return None;
        }
        picked.push(with_room[rng.random_range(0..with_room.len())]);
    }
    let share = |slot: WorkerSlot| {
        let entity = context.directory.worker_in(slot).expect("a listed worker is live");
        let worker = context.workers.get(entity).expect("a listed worker is live");
        ratio_ppm(u64::from(worker.load.slots_used) + 1, u64::from(worker.capabilities.slots))
    };
    let (slot, devices) = picked.into_iter().min_by_key(|&(slot, _)| (share(slot), slot))?;
    if context.policy == PolicyName::Random {
        return Some((slot, random_share_device(context, set, slot, devices, rng)));
    }
    Some((slot, devices))
}

/// Random placement goes all the way for a fractional GPU share: a uniformly random device it fits on
/// (the published random baseline), not the ledger's best fit.
fn random_share_device(
    context: &Context,
    set: &RequirementSet,
    slot: WorkerSlot,
    devices: DeviceMask,
    rng: &mut Pcg64Mcg,
) -> DeviceMask {
    let gpu = &set.requirements.demand.gpu;
    if gpu.is_none() || gpu.milli >= ballast_components::requirements::GPU_MILLI_WHOLE {
        return devices;
    }
    let Some(worker) = context.directory.worker_in(slot).and_then(|entity| context.workers.get(entity).ok()) else {
        return devices;
    };
    let fitting: Vec<usize> = (0..worker.capabilities.gpus.len().min(ballast_components::worker::GPU_DEVICES_MAX))
        .filter(|&device| crate::packing::share_fits(worker.capabilities, worker.load, &set.requirements, device))
        .collect();
    if fitting.is_empty() {
        return devices;
    }
    1 << fitting[rng.random_range(0..fitting.len())]
}

//! The packing scan: every eligible worker with room, and every GPU device option on it, weighed by a
//! packing policy (see [`crate::packing`]); the cheapest option wins, ties to the lower slot and then
//! the lower device. O(eligible workers) per placement, with fragmentation values memoized per worker
//! state.

use ballast_components::class::{Class, Classes, RequirementSet};
use ballast_components::ids::WorkerSlot;
use ballast_components::worker::DeviceMask;

use super::{Choice, Context, exact::block};
use crate::packing::{FragmentMemo, PackContext, Profile, Scale, device_options, pack_cost};

/// What the scan keeps between placements: the demand mix, the memo and a buffer.
#[derive(Default)]
pub(crate) struct PackScratch {
    profile: Profile,
    memo: FragmentMemo,
    options: Vec<DeviceMask>,
}

impl PackScratch {
    /// Rebuilds the demand mix when admissions have grown enough.
    pub(crate) fn refresh(&mut self, classes: &Classes) {
        if self.profile.stale(classes.admitted_total) {
            self.profile = Profile::build(classes);
            self.memo.clear();
        }
    }
}

/// The worker and devices that pack one more task of the class best; blocks the class when none has room.
pub(super) fn best(
    context: &Context,
    class: &mut Class,
    set: &RequirementSet,
    scratch: &mut PackScratch,
) -> Option<Choice> {
    let mut scale = Scale::default();
    for &shape in &set.shapes {
        scale.cover(&context.shapes.shapes[shape.index()].capabilities);
    }
    let pack = PackContext { policy: context.policy, profile: &scratch.profile, scale };
    let mut best: Option<((f64, f64), WorkerSlot, DeviceMask)> = None;
    for slot in set.eligible.iter().map(WorkerSlot) {
        if context.shapes.level_of[slot.index()].is_none() {
            continue;
        }
        let Some(worker) = context.directory.worker_in(slot).and_then(|entity| context.workers.get(entity).ok()) else {
            continue;
        };
        device_options(worker.capabilities, worker.load, &set.requirements, &mut scratch.options);
        let shape = context.shapes.shape_of[slot.index()];
        for &devices in &scratch.options {
            let cost = pack_cost(
                &pack,
                &mut scratch.memo,
                shape,
                worker.capabilities,
                worker.load,
                &set.requirements,
                devices,
            );
            let better = best.is_none_or(|(best_cost, _, _)| {
                cost.0.total_cmp(&best_cost.0).then(cost.1.total_cmp(&best_cost.1)).is_lt()
            });
            if better {
                best = Some((cost, slot, devices));
            }
        }
    }
    if best.is_none() {
        block(class);
    }
    best.map(|(_, slot, devices)| (slot, devices))
}

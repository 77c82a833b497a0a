//! The packing scan: every eligible worker with room, and every GPU device option on it, weighed by a
//! packing policy (see [`crate::packing`]); the cheapest option wins, ties to the lower slot and then
//! the lower device. Workers of one shape and one load are weighed once (their costs are equal), so a
//! placement costs O(distinct states of the eligible shapes), with fragmentation values memoized per
//! worker state.

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
///
/// Every packing cost is a function of the worker's shape and load (and the class, the demand mix and
/// the device option), so the scan weighs each distinct (shape, load) of the listed workers once, on
/// its lowest slot ([`Shapes::pack_groups`](ballast_components::shape::Shapes::pack_groups)): the same
/// choice as weighing every worker in slot order (cheapest, then the lower slot, then the first device
/// option), in time that follows the distinct states rather than the pool.
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
    for &shape in &set.shapes {
        let capabilities = &context.shapes.shapes[shape.index()].capabilities;
        for (load, slots) in context.shapes.pack_groups(shape) {
            let Some(&first) = slots.first() else { continue };
            let slot = WorkerSlot(first);
            device_options(capabilities, load, &set.requirements, &mut scratch.options);
            for &devices in &scratch.options {
                let cost = pack_cost(&pack, &mut scratch.memo, shape, capabilities, load, &set.requirements, devices);
                let better = best.is_none_or(|(best_cost, best_slot, _)| {
                    cost.0
                        .total_cmp(&best_cost.0)
                        .then(cost.1.total_cmp(&best_cost.1))
                        .then(slot.cmp(&best_slot))
                        .is_lt()
                });
                if better {
                    best = Some((cost, slot, devices));
                }
            }
        }
    }
    if best.is_none() {
        block(class);
    }
    best.map(|(_, slot, devices)| (slot, devices))
}

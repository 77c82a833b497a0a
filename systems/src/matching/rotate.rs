//! Rotations: round-robin gives the next eligible worker with room after the last one used (in slot
//! order, wrapping); weighted round-robin lets a worker keep its turn for as many tasks as it has slots.

use ballast_components::class::{Class, RequirementSet, Rotation};
use ballast_components::config::PolicyName;
use ballast_components::ids::WorkerSlot;

use super::{Choice, Context, exact::block};

/// The next worker in the class's rotation.
pub(super) fn next(context: &Context, class: &mut Class, set: &RequirementSet) -> Option<Choice> {
    let rotation = class.rotation;
    if context.policy == PolicyName::WeightedRoundRobin
        && let Some(last) = rotation.last
        && rotation.turns < context.shapes.shape(last).capabilities.slots
        && set.eligible.contains(last.0)
        && context.shapes.level_of[last.index()].is_some()
        && let Some(devices) = context.fit(last, set)
    {
        class.rotation.turns += 1;
        return Some((last, devices));
    }
    let start = rotation.last.map_or(0, |last| last.0.saturating_add(1));
    let after = set.eligible.range(start..);
    let before = set.eligible.range(..start);
    for slot in after.chain(before) {
        let slot = WorkerSlot(slot);
        if context.shapes.level_of[slot.index()].is_none() {
            continue;
        }
        if let Some(devices) = context.fit(slot, set) {
            class.rotation = Rotation { last: Some(slot), turns: 1 };
            return Some((slot, devices));
        }
    }
    block(class);
    None
}

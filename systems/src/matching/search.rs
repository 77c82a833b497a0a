//! The index search for large classes: tiers of shapes with equal static cost, walked cheapest first,
//! levels within a tier from the best, through bit sets of shapes per level.

use ballast_components::class::{Candidates, Class, RequirementSet, ShapeCosts};
use ballast_components::config::{CompositeWeights, PolicyName};
use ballast_components::ids::WorkerSlot;
use ballast_components::shape::{ShapeId, ShapeSet};
use ballast_components::worker::{DeviceMask, Load};

use super::{Choice, Context};
use crate::policy::{TaskFacts, combined_cost, rounded, static_cost, weights_for};

/// Tiers of at most this many shapes are searched shape by shape; larger ones level by level.
const SHAPES_PER_TIER_WALKED: usize = 16;

/// A worker found for a class: its cost, slot and the GPU devices it would use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Found {
    cost: u128,
    slot: WorkerSlot,
    devices: DeviceMask,
}

impl Found {
    /// Whether this beats `other`: a lower cost, then a lower slot.
    fn beats(&self, other: &Option<Found>) -> bool {
        other.is_none_or(|other| (self.cost, self.slot) < (other.cost, other.slot))
    }
}

/// The index cost of the worker in `slot` for the class, if it is listed and fits. `costs` are the
/// class's static costs per shape (the priority policy's depend on the task, so it computes its own).
fn cost_of(
    context: &Context,
    costs: &ShapeCosts,
    set: &RequirementSet,
    task: &TaskFacts,
    slot: WorkerSlot,
) -> Option<Found> {
    let level = context.shapes.level_of[slot.index()]?;
    // The class has a cost for exactly the shapes that meet its requirements.
    let &class_cost = costs.get(context.shapes.shape_of[slot.index()])?;
    let devices = context.fit(slot, set)?;
    let weights = weights_for(context.policy, context.weights, task.priority);
    let base = if context.policy == PolicyName::Priority {
        rounded(static_cost(
            context.policy,
            weights,
            task.priors,
            (
                task.requirements,
                task.scarcity.map_or(0, |scarcity| scarcity.charge(context.shapes.shape(slot), &Load::default())),
            ),
            task.family,
            context.shapes.shape(slot),
        ))
    } else {
        class_cost
    };
    let mut cost = combined_cost(context.policy, weights, base, level);
    if context.warm(task, slot) && uses_warmth(context.policy) {
        cost = cost * u128::from(1_000 - weights.warm_permille.min(999)) / 1_000;
    }
    Some(Found { cost, slot, devices })
}

fn uses_warmth(policy: PolicyName) -> bool {
    matches!(policy, PolicyName::Composite | PolicyName::Adaptive | PolicyName::Priority | PolicyName::Affinity)
}

/// The best worker with room for one more task of the class: over the workers where the task's model is
/// warm, the workers of skipped shapes that gained room since (the inbox), and the unskipped shapes.
pub(super) fn best(
    context: &Context,
    class: &mut Class,
    set: &RequirementSet,
    task: &TaskFacts,
    examined: &mut ShapeSet,
) -> Option<Choice> {
    let mut best: Option<Found> = None;
    if let Some(model) = task.model.filter(|_| uses_warmth(context.policy)) {
        for &slot in context.warm.workers(model) {
            if let Some(found) = cost_of(context, &class.candidates.costs, set, task, slot)
                && found.beats(&best)
            {
                best = Some(found);
            }
        }
    }
    let Candidates { inbox, costs, .. } = &mut class.candidates;
    inbox.retain(|&slot| match cost_of(context, costs, set, task, slot) {
        Some(found) => {
            if found.beats(&best) {
                best = Some(found);
            }
            true
        }
        None => false,
    });
    let weights = weights_for(context.policy, context.weights, task.priority);
    let candidates = &mut class.candidates;
    let mut to_skip: Vec<ShapeId> = Vec::new();
    examined.clear();
    'tiers: for tier in &candidates.tiers {
        if best.is_some_and(|best| best.cost <= combined_cost(context.policy, weights, tier.cost, 0)) {
            // Tiers come cheapest first and a level never lowers a cost.
            break;
        }
        if tier.all_skipped() {
            continue;
        }
        if tier.shape_count <= SHAPES_PER_TIER_WALKED {
            // A small tier: each listed, unskipped shape's best level is a bit scan of its own level mask.
            for &shape in &tier.members {
                let nonempty = context.shapes.nonempty[shape.index()];
                if nonempty == 0 || candidates.skipped.contains(shape) {
                    continue;
                }
                let level = nonempty.trailing_zeros() as u8;
                if best.is_some_and(|best| best.cost <= combined_cost(context.policy, weights, tier.cost, level)) {
                    continue;
                }
                consider(context, (shape, level), set, (weights, tier.cost), &mut best, &mut to_skip);
            }
            continue;
        }
        // Shapes of the tier with a listed worker that are not skipped.
        let available =
            |word: usize| tier.shapes.word(word) & context.shapes.listed.word(word) & !candidates.skipped.word(word);
        if (0..tier.shapes.word_count()).all(|word| available(word) == 0) {
            continue;
        }
        // A large tier: walk the levels in use from the best, through the shapes with a worker there.
        let mut levels = context.shapes.levels_in_use;
        while levels != 0 {
            let level = levels.trailing_zeros() as u8;
            levels &= levels - 1;
            let cost = combined_cost(context.policy, weights, tier.cost, level);
            if best.is_some_and(|best| best.cost <= cost) {
                continue 'tiers;
            }
            let at_level = &context.shapes.shapes_at_level[usize::from(level)];
            for word in 0..tier.shapes.word_count().min(at_level.word_count()) {
                let mut bits = tier.shapes.word(word) & at_level.word(word) & !candidates.skipped.word(word);
                while bits != 0 {
                    let shape = ShapeId((word * 64) as u32 + bits.trailing_zeros());
                    bits &= bits - 1;
                    if examined.contains(shape) {
                        continue;
                    }
                    match consider(context, (shape, level), set, (weights, tier.cost), &mut best, &mut to_skip) {
                        // Nothing else in this tier can do better; between equal costs the shape found
                        // first wins.
                        Some(found_level) if found_level == level => continue 'tiers,
                        Some(_) => {
                            examined.insert(shape);
                        }
                        None => {}
                    }
                }
            }
        }
    }
    for shape in to_skip {
        candidates.skip(shape);
    }
    best.map(|found| (found.slot, found.devices))
}

/// Scans `shape` from `level` up for the search: keeps the worker found if it beats `best`, or marks
/// the shape to skip (none has room). The level the worker was found at, if any.
fn consider(
    context: &Context,
    (shape, level): (ShapeId, u8),
    set: &RequirementSet,
    (weights, tier_cost): (CompositeWeights, u128),
    best: &mut Option<Found>,
    to_skip: &mut Vec<ShapeId>,
) -> Option<u8> {
    let Some((found_level, slot, devices)) = scan_shape(context, shape, level, set) else {
        to_skip.push(shape);
        return None;
    };
    let found = Found { cost: combined_cost(context.policy, weights, tier_cost, found_level), slot, devices };
    if found.beats(best) {
        *best = Some(found);
    }
    Some(found_level)
}

/// The first worker of `shape`, from `level` up, with room for one more task of the set: its level,
/// slot and devices.
fn scan_shape(
    context: &Context,
    shape: ShapeId,
    level: u8,
    set: &RequirementSet,
) -> Option<(u8, WorkerSlot, DeviceMask)> {
    let mut levels = context.shapes.nonempty[shape.index()] & (u64::MAX << level);
    let shape = &context.shapes.shapes[shape.index()];
    while levels != 0 {
        let level = levels.trailing_zeros() as u8;
        levels &= levels - 1;
        for slot in shape.levels[usize::from(level)].iter() {
            let slot = WorkerSlot(slot);
            if let Some(devices) = context.fit(slot, set) {
                return Some((level, slot, devices));
            }
        }
    }
    None
}

//! Exact scoring for small classes: every eligible worker with room is scored worker by worker, with
//! the task's predicted run time there, the wait for a slot in its run queue and its load after the
//! placement.

use ballast_components::class::{Class, RequirementSet};
use ballast_components::ids::WorkerSlot;

use super::{Choice, Context};
use crate::policy::{TaskFacts, WorkerFacts, exact_cost, predicted};

/// The exact cost of one more task of the class on the worker in `slot`, with the devices it would use.
pub(super) fn cost_of(
    context: &Context,
    set: &RequirementSet,
    task: &TaskFacts,
    slot: WorkerSlot,
    lanes: &mut Vec<u64>,
) -> Option<(u128, ballast_components::worker::DeviceMask)> {
    context.shapes.level_of[slot.index()]?;
    let devices = context.fit(slot, set)?;
    let entity = context.directory.worker_in(slot)?;
    let worker = context.workers.get(entity).ok()?;
    let facts = WorkerFacts {
        capabilities: worker.capabilities,
        load: worker.load,
        history: worker.history,
        shape: context.shapes.shape(slot),
        ready_ns: context.ready_ns(slot, lanes),
        warm: context.warm(task, slot),
    };
    let prediction = predicted(task, &facts);
    Some((exact_cost(context.policy, context.weights, task, &facts, prediction), devices))
}

/// The cheapest eligible worker with room (ties to the lower slot); blocks the class when none has room.
pub(super) fn best(
    context: &Context,
    class: &mut Class,
    set: &RequirementSet,
    task: &TaskFacts,
    lanes: &mut Vec<u64>,
) -> Option<Choice> {
    let mut best: Option<(u128, WorkerSlot, ballast_components::worker::DeviceMask)> = None;
    for slot in set.eligible.iter() {
        let slot = WorkerSlot(slot);
        if let Some((cost, devices)) = cost_of(context, set, task, slot, lanes)
            && best.is_none_or(|(best_cost, _, _)| cost < best_cost)
        {
            best = Some((cost, slot, devices));
        }
    }
    if best.is_none() {
        block(class);
    }
    best.map(|(_, slot, devices)| (slot, devices))
}

/// Marks every eligible shape of the class skipped: nothing has room until a worker gains some.
pub(super) fn block(class: &mut Class) {
    class.candidates.skip_all();
}

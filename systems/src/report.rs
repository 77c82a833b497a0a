//! Stage 7, report: despawns the tasks that ended this tick and counts the tick.
//!
//! Reads and writes: [`TaskWork::ended`](ballast_components::work::TaskWork), [`Metrics`] counters.
//! Runs last: every event about an ended task has been written by then, and its id stays in the
//! directory's ended set, so later commands about it get a clear error.

use bevy_ecs::prelude::*;

use ballast_components::metrics::Metrics;
use ballast_components::work::TaskWork;

/// The report stage.
pub fn despawn_ended_tasks(mut work: ResMut<TaskWork>, mut metrics: ResMut<Metrics>, mut commands: Commands) {
    for entity in work.ended.drain(..) {
        commands.entity(entity).despawn();
    }
    metrics.counters.ticks += 1;
}

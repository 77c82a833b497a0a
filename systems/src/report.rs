//! Stage 7, report: despawns the tasks that ended this tick and counts the tick.
//!
//! Reads and writes: [`TaskWork::ended`](ballast_components::work::TaskWork), [`Metrics`] counters.
//! Runs last: every event about an ended task has been written by then, and its id stays in the
//! directory's ended set, so later commands about it get a clear error.

use bevy_ecs::prelude::*;

use ballast_components::admission::{Admission, still_busy};
use ballast_components::config::EngineConfig;
use ballast_components::metrics::Metrics;
use ballast_components::work::TaskWork;

/// The report stage. It also measures the tick's work for admission control: submissions judged,
/// placements and ended attempts since the last tick.
pub fn despawn_ended_tasks(
    mut work: ResMut<TaskWork>,
    mut metrics: ResMut<Metrics>,
    mut admission: ResMut<Admission>,
    config: Res<EngineConfig>,
    mut commands: Commands,
) {
    for entity in work.ended.drain(..) {
        commands.entity(entity).despawn();
    }
    let counters = &mut metrics.counters;
    counters.ticks += 1;
    let total = counters.tasks_accepted
        + counters.admissions_deferred
        + counters.admissions_refused
        + counters.placements
        + counters.tasks_completed
        + counters.attempts_failed;
    let tick_work = total - admission.work_mark.min(total);
    admission.work_mark = total;
    admission.busy = still_busy(admission.busy, tick_work, config.admission_tick_work_max);
}

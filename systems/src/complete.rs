//! Stage 6, complete: folds this tick's attempt outcomes into each worker's performance history.
//!
//! Reads and writes: [`Outcomes`], [`History`]. Touches only workers with outcomes this tick.
//! Runs after match (history feeds the next tick's decisions, never this one's, so the order of
//! outcomes within a tick cannot change a placement) and beside report, whose data it does not share.

use bevy_ecs::prelude::*;

use ballast_components::work::Outcomes;
use ballast_components::worker::History;

/// The complete stage.
pub fn record_outcomes(mut outcomes: ResMut<Outcomes>, mut histories: Query<&mut History>) {
    for outcome in outcomes.outcomes.drain(..) {
        // The worker may have left since; its history leaves with it.
        let Ok(mut history) = histories.get_mut(outcome.worker) else {
            continue;
        };
        let stats = &mut history.by_family[outcome.family.index()];
        match outcome.duration_ns {
            Some(duration_ns) => stats.record_completion(duration_ns),
            None => stats.record_failure(),
        }
    }
}

//! Stage 6, complete: folds this tick's attempt outcomes into performance history, per worker (family
//! and model) and per shape (family).
//!
//! Reads and writes: [`Outcomes`], [`History`], [`Shapes`] (history only), [`WarmModels`] (where each
//! model completed last) and the adaptive policy's bandit. Touches only workers with
//! outcomes this tick. Runs after match (history feeds the next tick's decisions, never this one's, so
//! the order of outcomes within a tick cannot change a placement) and beside report, whose data it does
//! not share.

use bevy_ecs::prelude::*;

use ballast_components::adaptive::AdaptiveState;
use ballast_components::config::{EngineConfig, PolicyName};
use ballast_components::history::{History, WarmModels, normalized_ns};
use ballast_components::shape::ShapeId;
use ballast_components::shape::Shapes;
use ballast_components::work::Outcomes;
use ballast_components::worker::Worker;

/// The complete stage.
pub fn record_outcomes(
    mut outcomes: ResMut<Outcomes>,
    mut shapes: ResMut<Shapes>,
    mut adaptive: ResMut<AdaptiveState>,
    mut warm: ResMut<WarmModels>,
    config: Res<EngineConfig>,
    mut histories: Query<(&Worker, &mut History)>,
) {
    if outcomes.outcomes.is_empty() {
        return;
    }
    for outcome in outcomes.outcomes.drain(..) {
        // The worker may have left since; its history leaves with it.
        let Ok((worker, mut history)) = histories.get_mut(outcome.worker) else {
            continue;
        };
        let shape = shapes.shape_of[worker.slot.index()];
        if !shapes.shapes[shape.index()].history_changed {
            shapes.shapes[shape.index()].history_changed = true;
            shapes.history_changed.push(shape);
        }
        let family = outcome.family.index();
        match outcome.duration_ns {
            Some(duration_ns) => {
                if let Some(model) = outcome.model {
                    warm.note(model, worker.slot);
                }
                if config.policy == PolicyName::Adaptive && adaptive.record(outcome.response_ns, outcome.predicted_ns) {
                    // New weights: every class re-scores every shape.
                    for index in 0..shapes.shapes.len() {
                        if !shapes.shapes[index].history_changed {
                            shapes.shapes[index].history_changed = true;
                            shapes.history_changed.push(ShapeId(index as u32));
                        }
                    }
                }
                let normalized = normalized_ns(duration_ns, outcome.test_type);
                history.by_family[family].record_completion(normalized);
                if let Some(model) = outcome.model {
                    history.model_mut(model).record_completion(normalized);
                }
                shapes.shapes[shape.index()].history[family].record_completion(normalized);
            }
            None => {
                history.by_family[family].record_failure();
                if let Some(model) = outcome.model {
                    history.model_mut(model).record_failure();
                }
                shapes.shapes[shape.index()].history[family].record_failure();
            }
        }
    }
}

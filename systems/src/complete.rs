//! Stage 6, complete: folds this tick's attempt outcomes into performance history, per worker (family
//! and model) and per shape (family and model).
//!
//! Reads and writes: [`Outcomes`], [`History`], [`Shapes`] (history only), [`WarmModels`] (where each
//! model completed last) and the adaptive policy's bandit. Touches only workers with
//! outcomes this tick. Runs after match (history feeds the next tick's decisions, never this one's, so
//! the order of outcomes within a tick cannot change a placement) and beside report, whose data it does
//! not share.

use bevy_ecs::prelude::*;

use ballast_components::adaptive::AdaptiveState;
use ballast_components::capability::HardwareSet;
use ballast_components::config::{EngineConfig, PolicyName};
use ballast_components::family::ModelFamily;
use ballast_components::history::{History, RunStats, WarmModels, normalized_ns};
use ballast_components::preferences::Priors;
use ballast_components::shape::{Shape, ShapeId, Shapes};
use ballast_components::symbols::Symbol;
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
                record_run(
                    &config.priors,
                    &mut history,
                    &mut shapes.shapes[shape.index()],
                    (outcome.family, outcome.hardware),
                    outcome.model,
                    Some(normalized),
                );
            }
            None => record_run(
                &config.priors,
                &mut history,
                &mut shapes.shapes[shape.index()],
                (outcome.family, outcome.hardware),
                outcome.model,
                None,
            ),
        }
    }
}

/// Folds one attempt of a task of `family` that ran on the hardware in `hardware` (empty: any the worker
/// has) into a worker's history and its shape's: a completion of normalized duration `normalized_ns`,
/// or a failure (`None`).
pub fn record_run(
    priors: &Priors,
    history: &mut History,
    shape: &mut Shape,
    (family, hardware): (ModelFamily, HardwareSet),
    model: Option<Symbol>,
    normalized_ns: Option<u64>,
) {
    let record = |stats: &mut RunStats| match normalized_ns {
        Some(duration_ns) => stats.record_completion(duration_ns),
        None => stats.record_failure(),
    };
    if let Some(duration_ns) = normalized_ns {
        let prior = crate::predict::prior_ns(priors, family, hardware, &shape.capabilities);
        history.speed.record(duration_ns as f64 / prior.max(1) as f64);
    }
    record(&mut history.by_family[family.index()]);
    record(&mut shape.history[family.index()]);
    if let Some(model) = model {
        record(history.model_mut(model));
        record(shape.models.get_mut(model));
    }
}

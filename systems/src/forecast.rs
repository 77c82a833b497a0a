//! Load forecasting (part of the steal stage's set, before stealing): once per
//! [`STEP_MS`](ballast_components::forecast::STEP_MS) of engine time, folds the submissions since the
//! last step and the tasks now waiting for a slot into their Holt forecasts
//! ([`Forecast`](ballast_components::forecast::Forecast)).
//!
//! Reads: the clock, metrics and directory. Writes: the forecast. With `prediction` off it does
//! nothing, and the stages that read it use the current values instead.

use bevy_ecs::prelude::*;

use ballast_components::clock::Clock;
use ballast_components::config::EngineConfig;
use ballast_components::directory::Directory;
use ballast_components::forecast::{ALPHA, BETA, Forecast, STEP_MS};
use ballast_components::metrics::Metrics;

/// Tasks waiting for a slot now: live tasks not running (pending, or queued on a worker).
pub fn waiting_now(directory: &Directory, metrics: &Metrics) -> u64 {
    (directory.tasks.len() as u64).saturating_sub(metrics.counters.running_now)
}

/// Tasks waiting unplaced now: live tasks not assigned or running.
pub fn pending_now(directory: &Directory, metrics: &Metrics) -> u64 {
    (directory.tasks.len() as u64).saturating_sub(metrics.counters.placed_now)
}

/// The forecast stage.
pub fn forecast_load(
    clock: Res<Clock>,
    config: Res<EngineConfig>,
    metrics: Res<Metrics>,
    directory: Res<Directory>,
    mut forecast: ResMut<Forecast>,
) {
    let now = clock.now;
    if !config.prediction || now < forecast.next_at {
        return;
    }
    forecast.next_at = now.plus_ns(STEP_MS * 1_000_000);
    let counters = &metrics.counters;
    let submitted = counters.tasks_accepted + counters.admissions_deferred + counters.admissions_refused;
    let step = submitted - forecast.submissions_mark.min(submitted);
    forecast.submissions_mark = submitted;
    forecast.submissions.observe(step as f64, ALPHA, BETA);
    forecast.waiting.observe(waiting_now(&directory, &metrics) as f64, ALPHA, BETA);
    forecast.pending.observe(pending_now(&directory, &metrics) as f64, ALPHA, BETA);
}

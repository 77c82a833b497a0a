//! Load forecasting: Holt's linear exponential smoothing (a level and a trend) of the submission rate
//! and of the tasks waiting for a slot, updated once a second of engine time. Its forecasts drive the
//! adaptive run-queue depth ahead of load and let work stealing move tasks to workers about to go idle
//! and let admission control defer ahead of a rising queue (`prediction`; see
//! `ballast_systems::forecast`).

use bevy_ecs::prelude::*;

use crate::clock::Timestamp;

/// Holt's linear exponential smoothing of one series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Holt {
    /// The smoothed level.
    pub level: f64,
    /// The smoothed change per step.
    pub trend: f64,
    /// Whether it has seen an observation.
    pub primed: bool,
}

impl Holt {
    /// Folds in the next observation: `alpha` weighs it against the level, `beta` the level's change
    /// against the trend.
    pub fn observe(&mut self, value: f64, alpha: f64, beta: f64) {
        if !self.primed {
            *self = Holt { level: value, trend: 0.0, primed: true };
            return;
        }
        let previous = self.level;
        self.level = alpha * value + (1.0 - alpha) * (self.level + self.trend);
        self.trend = beta * (self.level - previous) + (1.0 - beta) * self.trend;
    }

    /// The forecast `steps` steps ahead (never below 0).
    pub fn forecast(&self, steps: f64) -> f64 {
        (self.level + self.trend * steps).max(0.0)
    }
}

/// The smoothing weights: quick to follow the level, slower to believe a trend.
pub const ALPHA: f64 = 0.3;
/// See [`ALPHA`].
pub const BETA: f64 = 0.1;
/// One step of the series, in milliseconds of engine time.
pub const STEP_MS: u64 = 1_000;

/// The engine's forecasts.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct Forecast {
    /// Submissions per step (accepted or turned away: the demand).
    pub submissions: Holt,
    /// Tasks waiting for a slot (pending or queued on a worker), sampled once per step.
    pub waiting: Holt,
    /// Tasks waiting unplaced (what admission control judges), sampled once per step.
    pub pending: Holt,
    /// When the next step is taken.
    pub next_at: Timestamp,
    /// The submission count at the last step.
    pub submissions_mark: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_series_holds_and_a_ramp_is_extrapolated() {
        let mut steady = Holt::default();
        for _ in 0..50 {
            steady.observe(10.0, ALPHA, BETA);
        }
        assert!((steady.forecast(30.0) - 10.0).abs() < 1e-9);
        let mut ramp = Holt::default();
        for step in 0..200 {
            ramp.observe(f64::from(step) * 2.0, ALPHA, BETA);
        }
        // A ramp of 2 per step: the trend is learned, so the forecast runs ahead of the last value.
        assert!((ramp.trend - 2.0).abs() < 0.05, "{ramp:?}");
        assert!((ramp.forecast(10.0) - (398.0 + 20.0)).abs() < 2.0, "{}", ramp.forecast(10.0));
        let mut draining = Holt { level: 5.0, trend: -3.0, primed: true };
        draining.observe(2.0, ALPHA, BETA);
        assert_eq!(draining.forecast(10.0), 0.0, "never below zero");
    }
}

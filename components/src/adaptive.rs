//! The adaptive policy's state: a UCB1 bandit over presets of the composite weights, rewarded by the
//! measured slowdown of the tasks that complete.
//!
//! # Protocol
//! 1. The engine places with the weights of the current arm.
//! 2. Each completion adds its reward, `−ln(response / predicted run time)`, to the current epoch.
//! 3. After [`EPOCH_COMPLETIONS`] completions the epoch's mean reward is credited to the arm, and the
//!    next arm is the one with the highest upper confidence bound (untried arms first, in order), so
//!    the engine keeps the weights that measured best while still re-testing the others now and then.
//! 4. A change of arm re-scores every class's shapes (their static costs depend on the weights).
//!
//! Deterministic: no randomness, and ties go to the lower arm.

use bevy_ecs::prelude::*;

use crate::config::{EngineConfig, PolicyName};
use crate::weights::CompositeWeights;

/// Completions per epoch: enough to average out run-time noise, few enough to adapt within minutes
/// on a busy pool. A guess; tune with `ballast bench quality`.
pub const EPOCH_COMPLETIONS: u32 = 256;

/// The weight presets the bandit chooses among: the default first, then variations of each term.
pub const ARMS: [CompositeWeights; 6] = [
    CompositeWeights { load_permille: 3000, waste_permille: 1000, warm_permille: 20, risk_permille: 0 },
    CompositeWeights { load_permille: 0, waste_permille: 0, warm_permille: 20, risk_permille: 0 },
    CompositeWeights { load_permille: 300, waste_permille: 1000, warm_permille: 20, risk_permille: 0 },
    CompositeWeights { load_permille: 3000, waste_permille: 0, warm_permille: 20, risk_permille: 0 },
    CompositeWeights { load_permille: 3000, waste_permille: 1000, warm_permille: 100, risk_permille: 0 },
    CompositeWeights { load_permille: 1000, waste_permille: 1000, warm_permille: 20, risk_permille: 0 },
];

/// One arm's record.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Arm {
    /// Epochs played.
    pub epochs: u32,
    /// Sum of their mean rewards.
    pub reward_sum: f64,
}

/// The bandit.
#[derive(Resource, Clone, Debug, Default)]
pub struct AdaptiveState {
    /// Per arm of [`ARMS`].
    pub arms: [Arm; ARMS.len()],
    /// The arm in play.
    pub current: usize,
    /// Completions in the current epoch.
    pub epoch_completions: u32,
    /// Sum of their rewards.
    pub epoch_reward_sum: f64,
    /// Epochs played in all.
    pub epochs: u32,
}

impl AdaptiveState {
    /// The weights in play.
    pub fn weights(&self) -> CompositeWeights {
        ARMS[self.current]
    }

    /// The composite weights placement uses now under `config`: this bandit's current arm under the
    /// adaptive policy, the config's otherwise.
    pub fn weights_under(&self, config: &EngineConfig) -> CompositeWeights {
        if config.policy == PolicyName::Adaptive { self.weights() } else { config.weights }
    }

    /// Records a completion that took `response_ns` from submission for a predicted run of
    /// `predicted_ns`. Returns true when the arm changed.
    pub fn record(&mut self, response_ns: u64, predicted_ns: u64) -> bool {
        let slowdown = response_ns.max(1) as f64 / predicted_ns.max(1) as f64;
        self.epoch_reward_sum -= slowdown.max(1e-6).ln();
        self.epoch_completions += 1;
        if self.epoch_completions < EPOCH_COMPLETIONS {
            return false;
        }
        let arm = &mut self.arms[self.current];
        arm.epochs += 1;
        arm.reward_sum += self.epoch_reward_sum / f64::from(self.epoch_completions);
        self.epochs += 1;
        self.epoch_completions = 0;
        self.epoch_reward_sum = 0.0;
        let next = self.choose();
        let changed = next != self.current;
        self.current = next;
        changed
    }

    /// The arm with the highest upper confidence bound; an untried arm first.
    fn choose(&self) -> usize {
        if let Some(untried) = self.arms.iter().position(|arm| arm.epochs == 0) {
            return untried;
        }
        let total = f64::from(self.epochs.max(1));
        let bound = |arm: &Arm| {
            let epochs = f64::from(arm.epochs);
            arm.reward_sum / epochs + (2.0 * total.ln() / epochs).sqrt()
        };
        let mut best = 0;
        for index in 1..self.arms.len() {
            if bound(&self.arms[index]) > bound(&self.arms[best]) {
                best = index;
            }
        }
        best
    }
}

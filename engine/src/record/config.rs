//! The engine config as recordings and `--config` files write it: every field optional on reading
//! (a missing field takes its default), so older files keep loading as fields are added.

use serde::{Deserialize, Serialize};

use ballast_components::config::{CompositeWeights, EngineConfig, ExecutorKind, PolicyName};

macro_rules! config_dto {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// [`EngineConfig`] in JSON: the same fields, with the policy and executor by name and the
        /// composite weights as `[load, waste, warm]` thousandths.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct ConfigDto {
            /// The placement policy's stable name.
            pub policy: String,
            /// Composite weights, `[load, waste, warm]` in thousandths.
            pub weights: [u32; 3],
            /// `single` or `multi`.
            pub executor: String,
            $(
                #[allow(missing_docs)]
                pub $field: $ty,
            )*
        }

        impl From<&EngineConfig> for ConfigDto {
            fn from(config: &EngineConfig) -> ConfigDto {
                let CompositeWeights { load_permille, waste_permille, warm_permille } = config.weights;
                ConfigDto {
                    policy: config.policy.name().to_owned(),
                    weights: [load_permille, waste_permille, warm_permille],
                    executor: match config.executor {
                        ExecutorKind::SingleThreaded => "single".to_owned(),
                        ExecutorKind::MultiThreaded => "multi".to_owned(),
                    },
                    $($field: config.$field,)*
                }
            }
        }

        impl ConfigDto {
            /// The engine config (not yet validated: [`crate::Engine::new`] does that).
            pub fn to_config(&self) -> Result<EngineConfig, String> {
                let policy = PolicyName::parse(&self.policy)
                    .ok_or_else(|| format!("unknown policy `{}`", self.policy))?;
                let executor = match self.executor.as_str() {
                    "single" => ExecutorKind::SingleThreaded,
                    "multi" => ExecutorKind::MultiThreaded,
                    other => return Err(format!("unknown executor `{other}` (single or multi)")),
                };
                let [load_permille, waste_permille, warm_permille] = self.weights;
                Ok(EngineConfig {
                    policy,
                    executor,
                    weights: CompositeWeights { load_permille, waste_permille, warm_permille },
                    $($field: self.$field,)*
                })
            }
        }
    };
}

config_dto! {
    seed: u64,
    exact_scan_workers_max: u32,
    batch_assignment: bool,
    batch_tasks_max: u32,
    priority_aging_ms: u64,
    attempts_max: u8,
    heartbeat_suspect_after_ms: u64,
    heartbeat_unresponsive_after_ms: u64,
    heartbeat_lost_after_ms: u64,
    health_check_interval_ms: u64,
    thermal_warmup_ms: u64,
    thermal_hot_after_ms: u64,
    thermal_cooldown_ms: u64,
    workers_max: u32,
    slots_per_worker_max: u32,
    prefetch_max: u32,
    tasks_max: u64,
    submit_batch_len_max: usize,
    inbox_len_max: usize,
    placements_per_tick_max: u32,
    requirement_sets_max: usize,
    tags_max: usize,
    symbol_len_max: usize,
    symbol_count_max: usize,
    memory_mib_max: u64,
    cpu_milli_max: u32,
    timeout_ms_max: u64,
}

impl Default for ConfigDto {
    fn default() -> Self {
        ConfigDto::from(&EngineConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_fills_missing_fields() {
        let config = EngineConfig { policy: PolicyName::Random, prefetch_max: 3, ..EngineConfig::default() };
        let json = serde_json::to_string(&ConfigDto::from(&config)).unwrap();
        let back: ConfigDto = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_config().unwrap(), config);
        let partial: ConfigDto = serde_json::from_str(r#"{"policy":"min-min"}"#).unwrap();
        let partial = partial.to_config().unwrap();
        assert_eq!(partial.policy, PolicyName::MinMin);
        assert_eq!(partial.attempts_max, EngineConfig::default().attempts_max);
        assert!(serde_json::from_str::<ConfigDto>(r#"{"polcy":"x"}"#).is_err());
        let bad: ConfigDto = serde_json::from_str(r#"{"policy":"nope"}"#).unwrap();
        assert!(bad.to_config().unwrap_err().contains("nope"));
    }
}

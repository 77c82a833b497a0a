//! The engine config as recordings and `--config` files write it: every field optional on reading
//! (a missing field takes its default), so older files keep loading as fields are added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use ballast_components::capability::HardwareKind;
use ballast_components::config::{CompositeWeights, EngineConfig, ExecutorKind, PolicyName};
use ballast_components::family::ModelFamily;
use ballast_components::preferences::Priors;

/// The prior tables in JSON, by name: any entry given overrides the default table's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriorsDto {
    /// Per family (`vision`, …), per hardware kind (`cuda`, …): speed against a CPU (1.0).
    pub speed: BTreeMap<String, BTreeMap<String, f64>>,
    /// Per family: run time of one inference test on a CPU, in milliseconds.
    pub duration_ms: BTreeMap<String, u64>,
}

impl From<&Priors> for PriorsDto {
    fn from(priors: &Priors) -> PriorsDto {
        let speed = ModelFamily::ALL
            .iter()
            .map(|&family| {
                let row = HardwareKind::ALL
                    .iter()
                    .map(|&kind| {
                        (kind.name().to_owned(), f64::from(priors.speed_permille[family.index()][kind.index()]) / 1e3)
                    })
                    .collect();
                (family.name().to_owned(), row)
            })
            .collect();
        let duration_ms =
            ModelFamily::ALL.iter().map(|&family| (family.name().to_owned(), priors.duration_ms(family))).collect();
        PriorsDto { speed, duration_ms }
    }
}

impl PriorsDto {
    /// The default tables with these entries over them.
    pub fn to_priors(&self) -> Result<Priors, String> {
        let family = |name: &str| ModelFamily::parse(name).ok_or_else(|| format!("priors: unknown family `{name}`"));
        let mut priors = Priors::default();
        for (family_name, row) in &self.speed {
            let family = family(family_name)?;
            for (kind_name, &speed) in row {
                let kind = HardwareKind::parse(kind_name)
                    .ok_or_else(|| format!("priors: unknown hardware kind `{kind_name}`"))?;
                if !(speed.is_finite() && (0.001..=1_000.0).contains(&speed)) {
                    return Err(format!(
                        "priors: speed {speed} of {family_name} on {kind_name} is not in 0.001..=1000"
                    ));
                }
                priors.speed_permille[family.index()][kind.index()] = (speed * 1e3).round() as u32;
            }
        }
        for (family_name, &duration) in &self.duration_ms {
            priors.duration_ms[family(family_name)?.index()] = duration;
        }
        Ok(priors)
    }
}

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
            /// Prior speeds and run times (entries override the default tables).
            pub priors: PriorsDto,
            /// Composite weight of a prediction's uncertainty, in thousandths.
            pub risk_permille: u32,
            $(
                #[allow(missing_docs)]
                pub $field: $ty,
            )*
        }

        impl From<&EngineConfig> for ConfigDto {
            fn from(config: &EngineConfig) -> ConfigDto {
                let CompositeWeights { load_permille, waste_permille, warm_permille, risk_permille } = config.weights;
                ConfigDto {
                    policy: config.policy.name().to_owned(),
                    weights: [load_permille, waste_permille, warm_permille],
                    executor: match config.executor {
                        ExecutorKind::SingleThreaded => "single".to_owned(),
                        ExecutorKind::MultiThreaded => "multi".to_owned(),
                    },
                    priors: PriorsDto::from(&config.priors),
                    risk_permille,
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
                    weights: CompositeWeights { load_permille, waste_permille, warm_permille, risk_permille: self.risk_permille },
                    priors: self.priors.to_priors()?,
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
    thermal_aware: bool,
    quarantine: bool,
    quarantine_failures_min: u32,
    quarantine_failure_permille: u32,
    quarantine_ms: u64,
    backpressure: bool,
    admission_pending_high: u64,
    admission_pending_low: u64,
    admission_pending_reject: u64,
    admission_tick_work_max: u64,
    admission_wait_high_ms: u64,
    admission_set_pending_per_worker: u64,
    admission_retry_after_ms: u64,
    workers_max: u32,
    slots_per_worker_max: u32,
    prefetch_max: u32,
    prefetch_horizon_ms: u64,
    stealing: bool,
    prediction: bool,
    steal_migration_ms: u64,
    steal_cold_start_ms: u64,
    steal_gain_min_permille: u32,
    steal_batch_max: u32,
    steal_interval_ms: u64,
    steal_hysteresis_ms: u64,
    steal_recall_timeout_ms: u64,
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

    #[test]
    fn prior_entries_override_the_default_tables() {
        let json = r#"{"priors":{"speed":{"vision":{"qnn":9.5}},"duration_ms":{"audio":30000}}}"#;
        let config = serde_json::from_str::<ConfigDto>(json).unwrap().to_config().unwrap();
        assert_eq!(config.priors.speed(ModelFamily::Vision, HardwareKind::Qnn), 9.5);
        assert_eq!(config.priors.duration_ms(ModelFamily::Audio), 30_000);
        let default = Priors::default();
        assert_eq!(
            config.priors.speed(ModelFamily::Vision, HardwareKind::Cuda),
            default.speed(ModelFamily::Vision, HardwareKind::Cuda)
        );
        assert_eq!(ConfigDto::from(&config).to_config().unwrap(), config, "a full table round-trips");
        for bad in [
            r#"{"priors":{"speed":{"visionn":{"qnn":2}}}}"#,
            r#"{"priors":{"speed":{"vision":{"tpu":2}}}}"#,
            r#"{"priors":{"speed":{"vision":{"qnn":0}}}}"#,
            r#"{"priors":{"duration_ms":{"nope":1}}}"#,
        ] {
            let dto: ConfigDto = serde_json::from_str(bad).unwrap();
            assert!(dto.to_config().unwrap_err().starts_with("priors:"), "{bad}");
        }
    }
}

//! The engine's configuration: every bound (`*_max`), every timing and the policy, validated once at
//! start. Systems assert the bounds where they use them; the API turns a bound into a typed error.

use std::fmt;

use bevy_ecs::prelude::*;

/// A placement policy, selectable by a stable name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PolicyName {
    /// Multi-resource least-loaded: the worker whose dominant reserved share (slots, CPU, memory, GPU)
    /// would be lowest after the placement. The default.
    #[default]
    ResourceAware,
    /// Fewest busy slots as a share of the worker's slots; ignores the other resources.
    LeastLoaded,
}

impl PolicyName {
    /// Every policy, in the order `ballast policies` lists them.
    pub const ALL: [PolicyName; 2] = [PolicyName::ResourceAware, PolicyName::LeastLoaded];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyName::ResourceAware => "resource-aware",
            PolicyName::LeastLoaded => "least-loaded",
        }
    }

    /// A one-line description.
    pub fn description(self) -> &'static str {
        match self {
            PolicyName::ResourceAware => {
                "multi-resource least-loaded: lowest dominant share of slots, CPU, memory and GPU after placement"
            }
            PolicyName::LeastLoaded => "fewest busy slots relative to the worker's slot count",
        }
    }

    /// Parses a stable name.
    pub fn parse(name: &str) -> Option<PolicyName> {
        PolicyName::ALL.into_iter().find(|policy| policy.name() == name)
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which bevy executor runs the tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExecutorKind {
    /// One thread; measured faster on a 2-core machine, so the default.
    #[default]
    SingleThreaded,
    /// bevy's multi-threaded executor: systems with disjoint data run in parallel.
    MultiThreaded,
}

/// The engine's configuration.
#[derive(Resource, Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// The placement policy.
    pub policy: PolicyName,
    /// The executor.
    pub executor: ExecutorKind,
    /// Waiting this long raises a pending task by one priority level (0: no aging), in milliseconds.
    pub priority_aging_ms: u64,
    /// Attempts a task may take unless it asks for fewer (1..=255).
    pub attempts_max: u8,
    /// A worker without a heartbeat for this long becomes suspect (no new work), in milliseconds.
    pub heartbeat_suspect_after_ms: u64,
    /// … unresponsive (its tasks are requeued), in milliseconds.
    pub heartbeat_unresponsive_after_ms: u64,
    /// … lost (removed from the pool), in milliseconds.
    pub heartbeat_lost_after_ms: u64,
    /// How often the health stage scans heartbeats and thermal timers, in milliseconds.
    pub health_check_interval_ms: u64,
    /// A worker warms for this long after receiving work while cold, in milliseconds.
    pub thermal_warmup_ms: u64,
    /// A worker fully loaded for this long becomes hot, in milliseconds.
    pub thermal_hot_after_ms: u64,
    /// An idle worker cools for this long before it is cold, in milliseconds.
    pub thermal_cooldown_ms: u64,
    /// The most live workers.
    pub workers_max: u32,
    /// The most slots one worker may declare.
    pub slots_per_worker_max: u32,
    /// The most live tasks (pending, assigned or running); beyond it submissions are refused.
    pub tasks_max: u64,
    /// The most tasks in one submitted batch.
    pub submit_batch_len_max: usize,
    /// The most commands waiting for the next tick.
    pub inbox_len_max: usize,
    /// The most placements one tick makes.
    pub placements_per_tick_max: u32,
    /// The most distinct requirement sets.
    pub requirement_sets_max: usize,
    /// The most tags on one worker or task.
    pub tags_max: usize,
    /// The longest interned string (model id, tag, key, GPU model), in bytes.
    pub symbol_len_max: usize,
    /// The most distinct interned strings.
    pub symbol_count_max: usize,
    /// The largest memory a worker may declare or a task may ask for, in MiB (a sanity bound: 1 PiB).
    pub memory_mib_max: u64,
    /// The largest CPU a worker may declare, in milli-cores.
    pub cpu_milli_max: u32,
    /// The longest task timeout, in milliseconds.
    pub timeout_ms_max: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            policy: PolicyName::default(),
            executor: ExecutorKind::default(),
            // One level per minute of waiting: a priority-0 task overtakes fresh priority-9 work after
            // ten minutes. A guess; tune with the priorities scenario.
            priority_aging_ms: 60_000,
            // The original system's `retries` default was 3.
            attempts_max: 3,
            // Coordinators commonly heartbeat every 5 s: suspect after three missed beats,
            // unresponsive after six, lost after two minutes.
            heartbeat_suspect_after_ms: 15_000,
            heartbeat_unresponsive_after_ms: 30_000,
            heartbeat_lost_after_ms: 120_000,
            health_check_interval_ms: 1_000,
            // The original system warmed for 30 s and cooled for 60 s.
            thermal_warmup_ms: 30_000,
            thermal_hot_after_ms: 300_000,
            thermal_cooldown_ms: 60_000,
            workers_max: 1_000_000,
            slots_per_worker_max: 4_096,
            tasks_max: 50_000_000,
            submit_batch_len_max: 1_000_000,
            inbox_len_max: 10_000_000,
            placements_per_tick_max: 1_000_000,
            requirement_sets_max: 65_536,
            tags_max: 64,
            symbol_len_max: 512,
            symbol_count_max: 16_000_000,
            memory_mib_max: 1 << 30,
            cpu_milli_max: 100_000_000,
            timeout_ms_max: 30 * 24 * 3_600_000,
        }
    }
}

/// A config value out of range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field is out of its range.
    #[error("config field `{field}` is {value}, outside {range}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u64,
        /// The allowed range.
        range: &'static str,
    },
    /// The heartbeat thresholds are not increasing.
    #[error(
        "heartbeat thresholds must increase: suspect {suspect_ms} ms < unresponsive {unresponsive_ms} ms < lost {lost_ms} ms"
    )]
    HeartbeatOrder {
        /// Suspect threshold.
        suspect_ms: u64,
        /// Unresponsive threshold.
        unresponsive_ms: u64,
        /// Lost threshold.
        lost_ms: u64,
    },
}

impl EngineConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check("attempts_max", u64::from(self.attempts_max), 1, 255, "1..=255")?;
        check("heartbeat_suspect_after_ms", self.heartbeat_suspect_after_ms, 1, u64::MAX / 4, "1..")?;
        check("health_check_interval_ms", self.health_check_interval_ms, 1, 3_600_000, "1..=3600000")?;
        check("workers_max", u64::from(self.workers_max), 1, 16_000_000, "1..=16000000")?;
        check("slots_per_worker_max", u64::from(self.slots_per_worker_max), 1, 1 << 20, "1..=1048576")?;
        check("tasks_max", self.tasks_max, 1, 1 << 40, "1..=2^40")?;
        check("submit_batch_len_max", self.submit_batch_len_max as u64, 1, 1 << 30, "1..=2^30")?;
        check("inbox_len_max", self.inbox_len_max as u64, 1, 1 << 32, "1..=2^32")?;
        check("placements_per_tick_max", u64::from(self.placements_per_tick_max), 1, u64::from(u32::MAX), "1..")?;
        check("requirement_sets_max", self.requirement_sets_max as u64, 1, 1 << 24, "1..=2^24")?;
        check("tags_max", self.tags_max as u64, 0, 4_096, "0..=4096")?;
        check("symbol_len_max", self.symbol_len_max as u64, 1, 1 << 16, "1..=65536")?;
        check("symbol_count_max", self.symbol_count_max as u64, 1, u64::from(u32::MAX - 1), "1..2^32")?;
        check("memory_mib_max", self.memory_mib_max, 1, 1 << 40, "1..=2^40")?;
        check("cpu_milli_max", u64::from(self.cpu_milli_max), 1, u64::from(u32::MAX), "1..")?;
        check("timeout_ms_max", self.timeout_ms_max, 1, u64::MAX / 1_000_000, "1..")?;
        if !(self.heartbeat_suspect_after_ms < self.heartbeat_unresponsive_after_ms
            && self.heartbeat_unresponsive_after_ms < self.heartbeat_lost_after_ms
            && self.heartbeat_lost_after_ms <= u64::MAX / 1_000_000)
        {
            return Err(ConfigError::HeartbeatOrder {
                suspect_ms: self.heartbeat_suspect_after_ms,
                unresponsive_ms: self.heartbeat_unresponsive_after_ms,
                lost_ms: self.heartbeat_lost_after_ms,
            });
        }
        Ok(())
    }
}

fn check(field: &'static str, value: u64, low: u64, high: u64, range: &'static str) -> Result<(), ConfigError> {
    if (low..=high).contains(&value) { Ok(()) } else { Err(ConfigError::OutOfRange { field, value, range }) }
}

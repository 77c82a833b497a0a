//! The engine's configuration: every bound (`*_max`), every timing and the policy, validated once at
//! start. Systems assert the bounds where they use them; the API turns a bound into a typed error.

use std::fmt;

use bevy_ecs::prelude::*;

pub use crate::weights::CompositeWeights;

/// A placement policy, selectable by a stable name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PolicyName {
    /// The default: a weighted sum of scorers (predicted run time on the worker, time until a slot frees,
    /// load, scarce capabilities left idle, a warm model, success rate), placed in batches.
    #[default]
    Composite,
    /// Composite, with its weights tuned online from measured slowdowns (a UCB bandit over presets).
    Adaptive,
    /// Rotates through the eligible workers in slot order, skipping those without room.
    RoundRobin,
    /// Rotates through the eligible workers, giving each as many turns in a row as it has slots.
    WeightedRoundRobin,
    /// Multi-resource least-loaded: the lowest dominant share of slots, CPU, memory and GPU.
    ResourceAware,
    /// Urgent tasks (priority 7 and up) get the fastest workers; the others are placed by composite
    /// scoring with scarce capabilities weighed more heavily for low priorities.
    Priority,
    /// A worker where the task's model ran last (warm), if it has room; otherwise composite.
    Affinity,
    /// The fastest predicted run time for the task (history, then priors) and success rate; load breaks ties.
    Performance,
    /// The earliest expected completion: time until a slot frees plus predicted run time (MCT).
    ExpectedCompletion,
    /// Baseline: a uniformly random eligible worker with room.
    Random,
    /// Baseline: the fewest busy slots relative to the worker's slot count.
    LeastLoaded,
    /// Baseline: two candidates sampled in proportion to their slots; the less loaded wins.
    PowerOfTwo,
    /// Baseline (batch): repeatedly places the task whose best completion time is smallest.
    MinMin,
    /// Baseline (batch): repeatedly places the task whose best completion time is largest.
    MaxMin,
    /// Baseline (batch): repeatedly places the task that would suffer most from losing its best worker.
    Sufferage,
    /// Baseline: the worker that frees a slot first, whatever the run time (opportunistic load balancing).
    Olb,
    /// Baseline: the fastest worker for the task, whatever its queue (minimum execution time).
    Met,
    /// Packing baseline: the worker whose free CPU and GPU after the placement is smallest (best fit).
    BestFit,
    /// Packing baseline: the worker whose free resources align least with the request (dot product).
    DotProduct,
    /// Packing: the worker and GPU device whose GPU fragmentation grows least, measured against the
    /// demands submitted so far (Weng et al.'s fragmentation gradient descent).
    Fgd,
    /// Packing, Ballast's own: fragmentation gradient descent that also weighs stranded CPU and host
    /// memory and prefers devices and workers already in use.
    FragAware,
}

impl PolicyName {
    /// Every policy, in the order `ballast policies` lists them.
    pub const ALL: [PolicyName; 21] = [
        PolicyName::Composite,
        PolicyName::Adaptive,
        PolicyName::RoundRobin,
        PolicyName::WeightedRoundRobin,
        PolicyName::ResourceAware,
        PolicyName::Priority,
        PolicyName::Affinity,
        PolicyName::Performance,
        PolicyName::ExpectedCompletion,
        PolicyName::Random,
        PolicyName::LeastLoaded,
        PolicyName::PowerOfTwo,
        PolicyName::MinMin,
        PolicyName::MaxMin,
        PolicyName::Sufferage,
        PolicyName::Olb,
        PolicyName::Met,
        PolicyName::BestFit,
        PolicyName::DotProduct,
        PolicyName::Fgd,
        PolicyName::FragAware,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyName::Composite => "composite",
            PolicyName::Adaptive => "adaptive",
            PolicyName::RoundRobin => "round-robin",
            PolicyName::WeightedRoundRobin => "weighted-round-robin",
            PolicyName::ResourceAware => "resource-aware",
            PolicyName::Priority => "priority",
            PolicyName::Affinity => "affinity",
            PolicyName::Performance => "performance",
            PolicyName::ExpectedCompletion => "expected-completion",
            PolicyName::Random => "random",
            PolicyName::LeastLoaded => "least-loaded",
            PolicyName::PowerOfTwo => "power-of-two",
            PolicyName::MinMin => "min-min",
            PolicyName::MaxMin => "max-min",
            PolicyName::Sufferage => "sufferage",
            PolicyName::Olb => "olb",
            PolicyName::Met => "met",
            PolicyName::BestFit => "best-fit",
            PolicyName::DotProduct => "dot-product",
            PolicyName::Fgd => "fgd",
            PolicyName::FragAware => "frag-aware",
        }
    }

    /// A one-line description.
    pub fn description(self) -> &'static str {
        match self {
            PolicyName::Composite => {
                "default: weighted sum of predicted run time, wait for a slot, load, idle scarce capabilities, warm model, success; batch placement"
            }
            PolicyName::Adaptive => "composite with its weights tuned online from measured slowdowns",
            PolicyName::RoundRobin => "rotates through eligible workers in slot order",
            PolicyName::WeightedRoundRobin => "rotation with as many turns per worker as it has slots",
            PolicyName::ResourceAware => {
                "multi-resource least-loaded: lowest dominant share of slots, CPU, memory and GPU"
            }
            PolicyName::Priority => {
                "urgent tasks get the fastest workers; low priorities leave scarce capabilities free"
            }
            PolicyName::Affinity => "a worker where the model is warm, if it has room; otherwise composite",
            PolicyName::Performance => "fastest predicted run time and best success rate; load breaks ties",
            PolicyName::ExpectedCompletion => {
                "earliest expected completion: wait for a slot plus predicted run time (MCT)"
            }
            PolicyName::Random => "baseline: uniformly random eligible worker with room",
            PolicyName::LeastLoaded => "baseline: fewest busy slots relative to the worker's slots",
            PolicyName::PowerOfTwo => "baseline: two candidates sampled by capacity, the less loaded wins",
            PolicyName::MinMin => "baseline (batch): place the task with the smallest best completion time first",
            PolicyName::MaxMin => "baseline (batch): place the task with the largest best completion time first",
            PolicyName::Sufferage => "baseline (batch): place the task that loses most without its best worker first",
            PolicyName::Olb => "baseline: the worker that frees a slot first, whatever the run time",
            PolicyName::Met => "baseline: the fastest worker for the task, whatever its queue",
            PolicyName::BestFit => "packing baseline: the least free CPU and GPU left after the placement",
            PolicyName::DotProduct => "packing baseline: free resources least aligned with the request",
            PolicyName::Fgd => "packing: the worker and GPU whose fragmentation for the submitted demands grows least",
            PolicyName::FragAware => {
                "packing (Ballast): fragmentation growth, stranded CPU and memory, devices already in use"
            }
        }
    }

    /// Parses a stable name.
    pub fn parse(name: &str) -> Option<PolicyName> {
        PolicyName::ALL.into_iter().find(|policy| policy.name() == name)
    }

    /// Whether the policy packs: it scans every eligible worker and GPU device for the tightest fit
    /// (O(eligible workers) per placement), for clusters where requests never end, like GPU sharing.
    pub fn is_packing(self) -> bool {
        matches!(self, PolicyName::BestFit | PolicyName::DotProduct | PolicyName::Fgd | PolicyName::FragAware)
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
    /// The composite policy's weights.
    pub weights: CompositeWeights,
    /// Seed of the engine's own random draws (the `random` and `power-of-two` policies).
    pub seed: u64,
    /// Classes with at most this many eligible workers are scored exactly, worker by worker; above it
    /// the shape-and-level index is searched.
    pub exact_scan_workers_max: u32,
    /// Whether batch policies place a tick's pending tasks as one batch (off: one at a time, greedy).
    pub batch_assignment: bool,
    /// The most tasks one batch weighs together.
    pub batch_tasks_max: u32,
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
    /// Whether thermal states change placement (a warming worker takes half its slots, a hot one is
    /// spared, a cooling one drains); without it they are only tracked and reported.
    pub thermal_aware: bool,
    /// Whether workers that fail too many attempts are quarantined (no new work for a while).
    pub quarantine: bool,
    /// Recent failures a worker must have before its failure rate is judged: with the fleet's usual 1%
    /// of failed attempts, six in a window of at most 32 happen to about one worker in 500,000 windows.
    pub quarantine_failures_min: u32,
    /// A worker is quarantined when at least this share of its recent attempts failed (retryable
    /// failures and timeouts), in thousandths, and its rate is at least three times the fleet's.
    pub quarantine_failure_permille: u32,
    /// How long a quarantine lasts, in milliseconds; the worker then returns on probation (its recent
    /// record starts afresh).
    pub quarantine_ms: u64,
    /// Whether admission control (backpressure) is on; `tasks_max` bounds the queue either way.
    pub backpressure: bool,
    /// Admission control: once this many tasks wait unplaced (judged when commands are admitted),
    /// submissions are deferred with a retry-after hint…
    pub admission_pending_high: u64,
    /// …until no more than this many wait (hysteresis: below `admission_pending_high`).
    pub admission_pending_low: u64,
    /// Once this many wait, submissions are refused as overloaded, until no more than
    /// `admission_pending_high` wait (above `admission_pending_high`).
    pub admission_pending_reject: u64,
    /// Submissions are also deferred while the engine is busy: from a tick whose work (submissions
    /// judged, placements, ended attempts) reaches this until one with at most half of it. 0: off.
    pub admission_tick_work_max: u64,
    /// Submissions are also deferred while the oldest task waiting with the same requirements has waited
    /// this long, until that wait is back to half of it, in milliseconds. 0: off.
    pub admission_wait_high_ms: u64,
    /// Submissions are also deferred while the tasks waiting with the same requirements number this many
    /// per worker eligible for them. 0: off.
    pub admission_set_pending_per_worker: u64,
    /// The retry-after hint given with a deferral or refusal, in milliseconds.
    pub admission_retry_after_ms: u64,
    /// The most live workers.
    pub workers_max: u32,
    /// The most slots one worker may declare.
    pub slots_per_worker_max: u32,
    /// Tasks a worker may hold beyond its slots, in its run queue (assigned ahead, started as its
    /// slots free). 0: a task is assigned only to a free slot.
    pub prefetch_max: u32,
    /// Adaptive run-queue depth: when above 0, the health stage sets each worker's depth to about this
    /// much predicted work ahead of its slots (deeper for short tasks and fast workers), scaled down while
    /// fewer tasks wait than the fleet has slots, and never above `prefetch_max`. 0: every worker's
    /// depth is `prefetch_max`.
    pub prefetch_horizon_ms: u64,
    /// Whether idle workers take queued tasks from overloaded ones (see `ballast_systems::steal`).
    pub stealing: bool,
    /// Whether load forecasts steer the engine: the adaptive run-queue depth follows the forecast of
    /// waiting tasks rather than the current count, and work stealing also moves tasks to workers
    /// predicted to free a slot before a move would arrive (see `ballast_systems::forecast`).
    pub prediction: bool,
    /// What moving a task costs, in milliseconds (the recall's round trip and the hand-over).
    pub steal_migration_ms: u64,
    /// What a thief pays first for a task whose model it has not run recently, in milliseconds.
    pub steal_cold_start_ms: u64,
    /// A task moves only if it is then expected to end earlier by at least this share of its predicted
    /// run time, in thousandths (beside the migration and cold-start costs): the hysteresis band.
    pub steal_gain_min_permille: u32,
    /// The most tasks one thief is sent per scan.
    pub steal_batch_max: u32,
    /// How often the steal stage looks for thieves and victims, in milliseconds of engine time (it
    /// weighs every waiting task of every victim, so not every tick).
    pub steal_interval_ms: u64,
    /// A task that moved may not move again for this long, in milliseconds.
    pub steal_hysteresis_ms: u64,
    /// An unanswered recall is forgotten after this long, in milliseconds (the task stays where it is).
    pub steal_recall_timeout_ms: u64,
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
    /// The prior speeds and run times the scorers read before any history.
    pub priors: crate::preferences::Priors,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            policy: PolicyName::default(),
            weights: CompositeWeights::default(),
            seed: 0,
            // Scoring every eligible worker exactly costs about 50 ns each: 256 workers keep a placement
            // under 15 µs; larger classes use the index, which costs 3.8% of mean response against an
            // exhaustive scan at 10,000 workers (`ballast bench scale --exact-check`).
            exact_scan_workers_max: 256,
            batch_assignment: true,
            // A batch costs O(tasks² × workers) to weigh: 512 tasks × 16 workers is a few milliseconds.
            batch_tasks_max: 512,
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
            // Off by default: without telemetry the states are inferred from load alone, and on a fleet
            // that does not throttle they only take capacity away (see the `thermal` scenario).
            thermal_aware: false,
            quarantine: true,
            quarantine_failures_min: 6,
            quarantine_failure_permille: 200,
            quarantine_ms: 600_000,
            backpressure: true,
            admission_pending_high: 10_000_000,
            admission_pending_low: 5_000_000,
            admission_pending_reject: 20_000_000,
            admission_tick_work_max: 0,
            admission_wait_high_ms: 0,
            admission_set_pending_per_worker: 0,
            admission_retry_after_ms: 5_000,
            workers_max: 1_000_000,
            slots_per_worker_max: 4_096,
            // No run queues by default: a task waits in the engine, where it can still go to any worker.
            prefetch_max: 0,
            prefetch_horizon_ms: 0,
            stealing: true,
            prediction: true,
            // A recall is one coordinator round trip plus the hand-over: about a tick and a half of a
            // typical 50-100 ms tick.
            steal_migration_ms: 150,
            steal_cold_start_ms: 2_000,
            steal_gain_min_permille: 250,
            steal_batch_max: 4,
            // About a move's own cost (`steal_migration_ms`): an idle worker waits no longer for a scan
            // than for the move.
            steal_interval_ms: 200,
            steal_hysteresis_ms: 60_000,
            steal_recall_timeout_ms: 10_000,
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
            priors: crate::preferences::Priors::default(),
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
        "heartbeat thresholds must increase: suspect {suspect_ms} ms < unresponsive {unresponsive_ms} ms < lost {lost_ms} ms (at most a year)"
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
        check("weights.load_permille", u64::from(self.weights.load_permille), 0, 100_000, "0..=100000")?;
        check("weights.waste_permille", u64::from(self.weights.waste_permille), 0, 100_000, "0..=100000")?;
        check("weights.warm_permille", u64::from(self.weights.warm_permille), 0, 999, "0..=999")?;
        check("weights.risk_permille", u64::from(self.weights.risk_permille), 0, 100_000, "0..=100000")?;
        check("batch_tasks_max", u64::from(self.batch_tasks_max), 1, 65_536, "1..=65536")?;
        check("exact_scan_workers_max", u64::from(self.exact_scan_workers_max), 0, 1_000_000, "0..=1000000")?;
        check("priority_aging_ms", self.priority_aging_ms, 0, DAY_MS, "0..=86400000")?;
        check("thermal_warmup_ms", self.thermal_warmup_ms, 0, DAY_MS, "0..=86400000")?;
        check("thermal_hot_after_ms", self.thermal_hot_after_ms, 1, DAY_MS, "1..=86400000")?;
        check("thermal_cooldown_ms", self.thermal_cooldown_ms, 0, DAY_MS, "0..=86400000")?;
        check("heartbeat_suspect_after_ms", self.heartbeat_suspect_after_ms, 1, YEAR_MS, "1..=31536000000")?;
        check("health_check_interval_ms", self.health_check_interval_ms, 1, 3_600_000, "1..=3600000")?;
        check("workers_max", u64::from(self.workers_max), 1, 16_000_000, "1..=16000000")?;
        check("slots_per_worker_max", u64::from(self.slots_per_worker_max), 1, 1 << 20, "1..=1048576")?;
        check("prefetch_max", u64::from(self.prefetch_max), 0, 1 << 20, "0..=1048576")?;
        check("prefetch_horizon_ms", self.prefetch_horizon_ms, 0, 86_400_000, "0..=86400000")?;
        check("steal_migration_ms", self.steal_migration_ms, 0, 3_600_000, "0..=3600000")?;
        check("steal_cold_start_ms", self.steal_cold_start_ms, 0, 3_600_000, "0..=3600000")?;
        check("steal_gain_min_permille", u64::from(self.steal_gain_min_permille), 0, 100_000, "0..=100000")?;
        check("steal_batch_max", u64::from(self.steal_batch_max), 1, 65_536, "1..=65536")?;
        check("steal_interval_ms", self.steal_interval_ms, 0, 3_600_000, "0..=3600000")?;
        check("steal_hysteresis_ms", self.steal_hysteresis_ms, 0, 86_400_000, "0..=86400000")?;
        check("steal_recall_timeout_ms", self.steal_recall_timeout_ms, 1, 86_400_000, "1..=86400000")?;
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
        check("timeout_ms_max", self.timeout_ms_max, 1, YEAR_MS, "1..=31536000000")?;
        check("quarantine_failures_min", u64::from(self.quarantine_failures_min), 1, 32, "1..=32")?;
        check("quarantine_failure_permille", u64::from(self.quarantine_failure_permille), 1, 1_000, "1..=1000")?;
        check("quarantine_ms", self.quarantine_ms, 1, YEAR_MS, "1..=31536000000")?;
        check("admission_pending_high", self.admission_pending_high, 1, 1 << 40, "1..=2^40")?;
        check("admission_pending_low", self.admission_pending_low, 0, self.admission_pending_high - 1, "0..high")?;
        check(
            "admission_pending_reject",
            self.admission_pending_reject,
            self.admission_pending_high + 1,
            1 << 41,
            ">high",
        )?;
        check("admission_tick_work_max", self.admission_tick_work_max, 0, 1 << 40, "0..=2^40")?;
        check("admission_wait_high_ms", self.admission_wait_high_ms, 0, 86_400_000, "0..=86400000")?;
        check("admission_set_pending_per_worker", self.admission_set_pending_per_worker, 0, 1 << 30, "0..=2^30")?;
        check("admission_retry_after_ms", self.admission_retry_after_ms, 1, 86_400_000, "1..=86400000")?;
        for row in &self.priors.speed_permille {
            for &speed in row {
                check("priors.speed_permille", u64::from(speed), 1, 1_000_000, "1..=1000000")?;
            }
        }
        for &duration in &self.priors.duration_ms {
            check("priors.duration_ms", duration, 1, 86_400_000, "1..=86400000")?;
        }
        if !(self.heartbeat_suspect_after_ms < self.heartbeat_unresponsive_after_ms
            && self.heartbeat_unresponsive_after_ms < self.heartbeat_lost_after_ms
            && self.heartbeat_lost_after_ms <= YEAR_MS)
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

/// A day, the bound of the config's tuning intervals (a guess at the longest anyone means).
const DAY_MS: u64 = 86_400_000;
/// A year, the bound of the config's timeouts and quarantines: far past any real one, and far from
/// overflowing nanoseconds (a year is 3.2e16 ns; u64 holds 1.8e19).
const YEAR_MS: u64 = 365 * DAY_MS;

fn check(field: &'static str, value: u64, low: u64, high: u64, range: &'static str) -> Result<(), ConfigError> {
    if (low..=high).contains(&value) { Ok(()) } else { Err(ConfigError::OutOfRange { field, value, range }) }
}

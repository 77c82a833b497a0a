//! Stage 2, health: heartbeat timeouts, thermal timers and attempt timeouts.
//!
//! Reads and writes: the [`Pool`] and [`HealthSchedule`]. Runs right after admit, so that heartbeats
//! of this tick count, and before matching, so that no task is placed on a worker found dead.
//!
//! # Worker health
//! A worker's silence (time since its last heartbeat or registration) moves it down, one way:
//! `healthy → suspect` after `heartbeat_suspect_after_ms` (no new work, its tasks stay),
//! `→ unresponsive` after `heartbeat_unresponsive_after_ms` (its tasks are requeued, or failed when out
//! of attempts), `→ lost` after `heartbeat_lost_after_ms` (removed from the pool). Any heartbeat brings
//! a suspect or unresponsive worker back to healthy (admit stage). The scan runs every
//! `health_check_interval_ms` of engine time, not every tick, so it costs O(workers) per interval.
//!
//! # Quarantine
//! A worker that fails too many attempts is quarantined when its attempt ends (see `Pool::note_attempt`):
//! `schedulable → quarantined` (no new work; its tasks and eligibility stay) `→ schedulable` when this
//! scan finds `quarantine_ms` passed, on probation (its record of recent attempts starts afresh).
//! Heartbeats do not end a quarantine; a quarantined worker that goes silent is handled as any other.
//!
//! # Thermal states
//! Inferred from load, sampled by this scan (so to about `health_check_interval_ms`):
//! `cold → warming` when a cold worker receives work (at placement);
//! `warming → warm` after `thermal_warmup_ms`, `warming → cold` if found idle before;
//! `warm → hot` when its estimated heat reaches 0.5: heat rises at `(u − 0.6) / τ` per second at
//! utilization `u` (reserved share of its slots) and falls the same way, within 0..1, with
//! `τ = 0.8 × thermal_hot_after_ms`, so a worker fully loaded from cool is hot after
//! `thermal_hot_after_ms` and one below 60% busy never is (a first-order thermal model of a machine);
//! `warm → cold` when found idle throughout `thermal_cooldown_ms`;
//! `hot → cooling` when found no longer fully loaded;
//! `cooling → warm` (busy) or `→ cold` (idle) after `thermal_cooldown_ms`.
//! With `thermal_aware` the states change placement ([`thermal_effect`]): a warming worker takes at
//! most half its slots (partial load while its caches and clocks come up), a hot one costs a quarter
//! more and sits 16 levels higher in the index (spared: work goes elsewhere when it can), and a
//! cooling one takes nothing new (it drains) until it has cooled. Without it they are only reported.
//!
//! [`thermal_effect`]: ballast_components::worker::thermal_effect
//!
//! # Attempt timeouts
//! A timeout limits an attempt's running time, not its time in a run queue: a task placed on a worker
//! with a free slot gets its deadline at placement (the worker starts it at once), one placed behind
//! busy slots gets none until it starts (the coordinator's `task_started`), and then one from its start:
//! each attempt is armed once. Deadlines go into [`Timeouts`]; an entry counts only if it is of the
//! task's current attempt, so entries of attempts that ended cost nothing but their place in the heap.

use std::cmp::Reverse;

use bevy_ecs::prelude::*;

use ballast_components::clock::Timestamp;
use ballast_components::message::{RemovalReason, RequeueReason};
use ballast_components::work::HealthSchedule;
use ballast_components::worker::{HealthState, Thermal, ThermalState, thermal_effect};

use crate::pool::Pool;

/// Where the silence of a worker puts it: `None` when it is lost.
pub fn health_after_silence(
    silence_ns: u64,
    suspect_ns: u64,
    unresponsive_ns: u64,
    lost_ns: u64,
) -> Option<HealthState> {
    if silence_ns >= lost_ns {
        None
    } else if silence_ns >= unresponsive_ns {
        Some(HealthState::Unresponsive)
    } else if silence_ns >= suspect_ns {
        Some(HealthState::Suspect)
    } else {
        Some(HealthState::Healthy)
    }
}

fn severity(state: HealthState) -> u8 {
    match state {
        HealthState::Healthy => 0,
        HealthState::Suspect => 1,
        HealthState::Unresponsive => 2,
    }
}

/// The heat at which a warm worker is hot, in thousandths.
pub const HOT_HEAT_MILLI: u32 = 500;

/// Timings of the thermal state machine, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct ThermalTimings {
    /// Warming lasts this long.
    pub warmup_ns: u64,
    /// Warm and fully loaded this long becomes hot.
    pub hot_after_ns: u64,
    /// Cooling lasts this long.
    pub cooldown_ns: u64,
}

/// A worker's heat in thousandths after `elapsed_ns` at `utilization_permille` from `heat_milli`
/// (see the module docs).
pub fn heated_milli(heat_milli: u32, utilization_permille: u32, elapsed_ns: u64, hot_after_ns: u64) -> u32 {
    let tau_ns = (hot_after_ns / 5 * 4).max(1) as i128;
    let delta = (i128::from(utilization_permille.min(1_000)) - 600) * i128::from(elapsed_ns) / tau_ns;
    (i128::from(heat_milli) + delta).clamp(0, 1_000) as u32
}

/// The thermal state a worker moves to at `now`, given whether it is busy and fully loaded and how
/// much of its slots is reserved (thousandths).
pub fn next_thermal(
    thermal: Thermal,
    busy: bool,
    full: bool,
    utilization_permille: u32,
    now: Timestamp,
    timings: ThermalTimings,
) -> Thermal {
    let elapsed = now.since(thermal.since);
    let heat_milli =
        heated_milli(thermal.heat_milli, utilization_permille, now.since(thermal.heat_at), timings.hot_after_ns);
    let thermal = Thermal { heat_milli, heat_at: now, ..thermal };
    let to = |state| Thermal { state, since: now, idle_since: None, ..thermal };
    match thermal.state {
        ThermalState::Cold if busy => to(ThermalState::Warming),
        ThermalState::Warming if !busy => to(ThermalState::Cold),
        ThermalState::Warming if elapsed >= timings.warmup_ns => to(ThermalState::Warm),
        ThermalState::Warm => {
            let idle_since = if busy { None } else { Some(thermal.idle_since.unwrap_or(now)) };
            if idle_since.is_some_and(|since| now.since(since) >= timings.cooldown_ns) {
                to(ThermalState::Cold)
            } else if heat_milli >= HOT_HEAT_MILLI {
                to(ThermalState::Hot)
            } else {
                Thermal { idle_since, ..thermal }
            }
        }
        ThermalState::Hot if !full => to(ThermalState::Cooling),
        ThermalState::Cooling if elapsed >= timings.cooldown_ns => {
            to(if busy { ThermalState::Warm } else { ThermalState::Cold })
        }
        _ => thermal,
    }
}

/// Scans heartbeats and thermal timers, once per `health_check_interval_ms`.
pub fn check_worker_health(
    mut pool: Pool,
    mut schedule: ResMut<HealthSchedule>,
    mut changes: Local<Vec<(Entity, Option<HealthState>)>>,
    mut released: Local<Vec<Entity>>,
    mut depths: Local<Vec<(Entity, u64)>>,
    mut heated: Local<Vec<(Entity, Thermal)>>,
    forecast: Res<ballast_components::forecast::Forecast>,
) {
    let now = pool.now();
    if now < schedule.next_check_at {
        return;
    }
    let config = pool.config.clone();
    schedule.next_check_at = now.plus_ns(config.health_check_interval_ms.saturating_mul(1_000_000));
    let timings = ThermalTimings {
        warmup_ns: config.thermal_warmup_ms.saturating_mul(1_000_000),
        hot_after_ns: config.thermal_hot_after_ms.saturating_mul(1_000_000),
        cooldown_ns: config.thermal_cooldown_ms.saturating_mul(1_000_000),
    };
    changes.clear();
    released.clear();
    heated.clear();
    for mut worker in pool.workers.iter_mut() {
        let entity = worker.entity;
        if worker.health.quarantined_until.is_some_and(|until| until <= now) {
            released.push(entity);
        }
        let busy = !worker.load.is_idle();
        let slots = worker.capabilities.slots.max(1);
        let full = worker.load.slots_used >= slots;
        let utilization_permille = worker.load.slots_used.min(slots) * 1_000 / slots;
        let thermal = next_thermal(*worker.thermal, busy, full, utilization_permille, now, timings);
        let effect = thermal_effect(thermal.state, worker.capabilities.slots);
        let applied = (worker.load.seat_limit, worker.load.hot) == effect || !config.thermal_aware;
        if thermal.state != worker.thermal.state || !applied {
            heated.push((entity, thermal));
        } else if thermal != *worker.thermal {
            *worker.thermal = thermal;
        }
        let target = health_after_silence(
            now.since(worker.health.last_heartbeat_at),
            config.heartbeat_suspect_after_ms.saturating_mul(1_000_000),
            config.heartbeat_unresponsive_after_ms.saturating_mul(1_000_000),
            config.heartbeat_lost_after_ms.saturating_mul(1_000_000),
        );
        let worse = match target {
            None => true,
            Some(state) => severity(state) > severity(worker.health.state),
        };
        if worse {
            changes.push((entity, target));
        }
    }
    for &entity in released.iter() {
        pool.end_quarantine(entity);
    }
    for &(entity, thermal) in heated.iter() {
        pool.set_thermal(entity, thermal);
    }
    if config.prefetch_horizon_ms > 0 {
        adapt_prefetch(&mut pool, &mut depths, &forecast);
    }
    for &(entity, target) in changes.iter() {
        if !pool.is_live_worker(entity) {
            continue;
        }
        match target {
            Some(state) => pool.set_health(entity, state),
            None => {
                pool.set_health(entity, HealthState::Unresponsive);
                // Requeueing its tasks may have completed a drain, which removed it already.
                if pool.is_live_worker(entity) {
                    pool.remove_worker(entity, RemovalReason::Lost);
                }
            }
        }
    }
}

/// The run-queue depth for a worker with `slots` slots whose tasks take `mean_run_ns` there: about
/// `horizon_ns` of work ahead of its slots, scaled by `scale_permille` (how much of a slot's worth of
/// work waits per slot in the fleet, at most 1,000), never above `depth_max`.
pub fn prefetch_depth(horizon_ns: u64, slots: u32, mean_run_ns: u64, scale_permille: u64, depth_max: u32) -> u32 {
    let ahead = u128::from(horizon_ns) * u128::from(slots) / u128::from(mean_run_ns.max(1));
    let scaled = ahead * u128::from(scale_permille.min(1_000)) / 1_000;
    scaled.min(u128::from(depth_max)) as u32
}

/// Adaptive prefetch: sets each worker's run-queue depth from its mean run time (deeper for short
/// tasks and fast workers) and from how much work waits for a slot in the fleet (shallower when fewer
/// tasks wait than there are slots, where a deep queue would only hold work an idle worker could run).
fn adapt_prefetch(pool: &mut Pool, depths: &mut Vec<(Entity, u64)>, forecast: &ballast_components::forecast::Forecast) {
    let config = &pool.config;
    let horizon_ns = config.prefetch_horizon_ms.saturating_mul(1_000_000);
    let waiting_now = crate::forecast::waiting_now(&pool.directory, &pool.metrics);
    // With prediction, the work expected to wait one horizon from now: deeper ahead of a surge,
    // shallower ahead of a drain.
    let waiting = if config.prediction && forecast.waiting.primed {
        let steps = config.prefetch_horizon_ms as f64 / ballast_components::forecast::STEP_MS as f64;
        forecast.waiting.forecast(steps).round() as u64
    } else {
        waiting_now
    };
    let fleet_mean_ns = match pool.metrics.run_ns.len() {
        0 => config.priors.duration_ms(ballast_components::family::ModelFamily::Unknown).saturating_mul(1_000_000),
        _ => pool.metrics.run_ns.mean() as u64,
    };
    let mut fleet_slots = 0u64;
    depths.clear();
    for worker in pool.workers.iter() {
        fleet_slots += u64::from(worker.capabilities.slots);
        let (mut weighted, mut count) = (0u128, 0u64);
        for stats in &worker.history.by_family {
            weighted += u128::from(stats.duration_ewma_ns) * u128::from(stats.completed);
            count += u64::from(stats.completed);
        }
        let mean_run_ns = if count > 0 { (weighted / u128::from(count)) as u64 } else { fleet_mean_ns };
        depths.push((worker.entity, mean_run_ns));
    }
    let scale_permille = waiting.saturating_mul(1_000) / fleet_slots.max(1);
    let (depth_max, horizon) = (config.prefetch_max, horizon_ns);
    for &(entity, mean_run_ns) in depths.iter() {
        if !pool.is_live_worker(entity) {
            continue;
        }
        let slots = pool.workers.get(entity).map_or(0, |worker| worker.capabilities.slots);
        let depth = prefetch_depth(horizon, slots, mean_run_ns, scale_permille, depth_max);
        pool.set_prefetch(entity, depth);
    }
}

/// Ends attempts that ran past their task's timeout.
pub fn expire_timed_out_attempts(mut pool: Pool) {
    let now = pool.now();
    while let Some(&Reverse((deadline, entity, attempt))) = pool.timeouts.heap.peek() {
        if deadline > now {
            break;
        }
        pool.timeouts.heap.pop();
        // Each attempt is armed once (at its placement or at its start): an entry is current if it is of
        // the task's current attempt.
        let current = pool
            .tasks
            .get(entity)
            .is_ok_and(|data| data.lifecycle.state.is_placed() && data.lifecycle.attempts == attempt);
        if current {
            pool.metrics.counters.timeouts += 1;
            pool.retry_or_fail(entity, RequeueReason::TimedOut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prefetch_depth;

    #[test]
    fn prefetch_depth_grows_for_short_tasks_and_fast_workers_and_shrinks_with_the_backlog() {
        let second = 1_000_000_000;
        // A minute ahead of a 2-slot worker: 60-s tasks → 2, 10-s tasks → 12, capped at 8.
        assert_eq!(prefetch_depth(60 * second, 2, 60 * second, 1_000, 64), 2);
        assert_eq!(prefetch_depth(60 * second, 2, 10 * second, 1_000, 64), 12);
        assert_eq!(prefetch_depth(60 * second, 2, 10 * second, 1_000, 8), 8);
        // Half a slot's worth of work waiting per slot: half the depth; none: no queue.
        assert_eq!(prefetch_depth(60 * second, 2, 10 * second, 500, 64), 6);
        assert_eq!(prefetch_depth(60 * second, 2, 10 * second, 0, 64), 0);
        // More than enough waiting does not deepen it further.
        assert_eq!(prefetch_depth(60 * second, 2, 10 * second, 5_000, 64), 12);
    }
}

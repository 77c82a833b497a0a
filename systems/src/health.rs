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
//! # Thermal states (first version: tracked and reported, not yet scored)
//! `cold → warming` when a cold or cooling worker receives work (at placement);
//! `warming → warm` after `thermal_warmup_ms`;
//! `warm → hot` when it is still fully loaded `thermal_hot_after_ms` after becoming warm;
//! `warm | hot → cooling` when it is found idle (hot: found not fully loaded);
//! `cooling → cold` after `thermal_cooldown_ms` idle, `cooling → warm` if it is busy again by then.
//!
//! # Attempt timeouts
//! Each placement of a task with a timeout pushes its deadline into [`Timeouts`]; entries are checked
//! lazily, so an attempt that ended earlier costs nothing but its heap entry.

use std::cmp::Reverse;

use bevy_ecs::prelude::*;

use ballast_components::clock::Timestamp;
use ballast_components::message::{RemovalReason, RequeueReason};
use ballast_components::work::HealthSchedule;
use ballast_components::worker::{HealthState, Thermal, ThermalState};

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

/// The thermal state a worker moves to at `now`, given whether it is busy and fully loaded.
pub fn next_thermal(thermal: Thermal, busy: bool, full: bool, now: Timestamp, timings: ThermalTimings) -> Thermal {
    let elapsed = now.since(thermal.since);
    let to = |state| Thermal { state, since: now };
    match thermal.state {
        ThermalState::Cold if busy => to(ThermalState::Warming),
        ThermalState::Warming if !busy => to(ThermalState::Cooling),
        ThermalState::Warming if elapsed >= timings.warmup_ns => to(ThermalState::Warm),
        ThermalState::Warm if !busy => to(ThermalState::Cooling),
        ThermalState::Warm if full && elapsed >= timings.hot_after_ns => to(ThermalState::Hot),
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
) {
    let now = pool.now();
    if now < schedule.next_check_at {
        return;
    }
    let config = pool.config.clone();
    schedule.next_check_at = now.plus_ns(config.health_check_interval_ms * 1_000_000);
    let timings = ThermalTimings {
        warmup_ns: config.thermal_warmup_ms * 1_000_000,
        hot_after_ns: config.thermal_hot_after_ms * 1_000_000,
        cooldown_ns: config.thermal_cooldown_ms * 1_000_000,
    };
    changes.clear();
    released.clear();
    for mut worker in pool.workers.iter_mut() {
        let entity = worker.entity;
        if worker.health.quarantined_until.is_some_and(|until| until <= now) {
            released.push(entity);
        }
        let busy = !worker.load.is_idle();
        let full = worker.load.slots_used >= worker.capabilities.slots;
        let thermal = next_thermal(*worker.thermal, busy, full, now, timings);
        if thermal != *worker.thermal {
            *worker.thermal = thermal;
        }
        let target = health_after_silence(
            now.since(worker.health.last_heartbeat_at),
            config.heartbeat_suspect_after_ms * 1_000_000,
            config.heartbeat_unresponsive_after_ms * 1_000_000,
            config.heartbeat_lost_after_ms * 1_000_000,
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

/// Ends attempts that ran past their task's timeout.
pub fn expire_timed_out_attempts(mut pool: Pool) {
    let now = pool.now();
    while let Some(&Reverse((deadline, entity, attempt))) = pool.timeouts.heap.peek() {
        if deadline > now {
            break;
        }
        pool.timeouts.heap.pop();
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

//! Restoring what an earlier engine owed its coordinator: its workers, its live tasks where they were
//! (pending, or placed on their worker with their devices, started or not) and the ids of the tasks
//! that ended, so a service that recovers its journal resumes without losing or repeating a task.
//!
//! # Protocol
//! 1. The workers register again (healthy, with a fresh heartbeat: each must heartbeat within the usual
//!    timeouts or its tasks are requeued, as after any silence).
//! 2. Every live task is submitted again in its original order, past admission control (it was
//!    admitted once), with its attempts so far.
//! 3. One tick at the restore time files the tasks into their classes with matching held off, so that
//!    nothing is placed yet.
//! 4. Each placed task goes back onto its worker, on its devices when they still fit (else on any that
//!    fit), and is marked started if it was; its queue entry is left stale and dropped lazily.
//! 5. Draining workers start draining again; the ids of ended tasks are known again (a resubmission is
//!    refused as a duplicate).
//!
//! No event is produced by any of this: the coordinator was told all of it before.

use bevy_ecs::prelude::*;
use roaring::RoaringTreemap;

use ballast_components::clock::Timestamp;
use ballast_components::config::EngineConfig;
use ballast_components::directory::Directory;
use ballast_components::ids::WorkerId;
use ballast_components::message::{Outbox, TaskSpec, WorkerSpec};
use ballast_components::task::{Lifecycle, PlacementMethod, TaskState};
use ballast_components::worker::{Capabilities, DeviceMask, Load, Worker};
use ballast_systems::admit::pool;

use super::Engine;

/// A worker to restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredWorker {
    /// Its registration.
    pub spec: WorkerSpec,
    /// Whether it was draining.
    pub draining: bool,
}

/// Where a restored task was placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoredPlacement {
    /// Its worker.
    pub worker: WorkerId,
    /// The GPU devices it held (bit per device; 0 for none).
    pub devices: DeviceMask,
    /// Whether its worker had started it.
    pub started: bool,
}

/// A live task to restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredTask {
    /// Its submission.
    pub spec: TaskSpec,
    /// Assignments so far (its current one included), moves included.
    pub attempts: u8,
    /// Of those, moves by work stealing (they did not use up an attempt).
    pub migrations: u8,
    /// Where it is placed; `None`: pending.
    pub placement: Option<RestoredPlacement>,
}

/// What a restore did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Workers registered again.
    pub workers: usize,
    /// Tasks pending again.
    pub pending: usize,
    /// Tasks placed again on their worker.
    pub placed: usize,
    /// What could not be restored as it was, one line each (a journal this engine's config refuses,
    /// a worker gone from the pool): empty when everything came back as it was.
    pub problems: Vec<String>,
}

impl Engine {
    /// Restores workers, live tasks and ended task ids at time `now` (see the module docs), into an
    /// engine that has seen nothing yet. Produces no event.
    pub fn restore(
        &mut self,
        now: Timestamp,
        workers: Vec<RestoredWorker>,
        tasks: Vec<RestoredTask>,
        ended: &RoaringTreemap,
    ) -> RestoreReport {
        let mut report = RestoreReport::default();
        let saved = self.config().clone();
        {
            let mut config = self.world.resource_mut::<EngineConfig>();
            config.backpressure = false;
            // Held off for the filing tick (step 3); restored below.
            config.placements_per_tick_max = 0;
        }
        if self.tick(now).is_err() {
            report.problems.push(format!("the restore time {} ns is before the engine's clock", now.0));
        }
        let mut draining = Vec::new();
        for worker in workers {
            let id = worker.spec.id;
            match self.register_worker(worker.spec) {
                Ok(()) => {
                    report.workers += 1;
                    if worker.draining {
                        draining.push(id);
                    }
                }
                Err(error) => report.problems.push(format!("worker {id} not restored: {error}")),
            }
        }
        let mut placements = Vec::new();
        let mut counts = Vec::with_capacity(tasks.len());
        let mut specs = Vec::with_capacity(tasks.len());
        for task in tasks {
            counts.push((task.spec.id, task.attempts, task.migrations));
            placements.push(task.placement);
            specs.push(task.spec);
        }
        match self.submit_each(specs) {
            Ok(outcomes) => {
                for (index, outcome) in outcomes.into_iter().enumerate() {
                    if let Err(error) = outcome {
                        report.problems.push(format!("task {} not restored: {error}", counts[index].0));
                        placements[index] = None;
                    }
                }
            }
            Err(error) if counts.is_empty() => drop(error),
            Err(error) => report.problems.push(format!("no task restored: {error}")),
        }
        self.world.resource_mut::<Directory>().ended_tasks |= ended;
        // Step 3: analysis and indexing file every task; matching places none.
        if self.tick(now).is_err() {
            report.problems.push("the filing tick was refused".to_owned());
        }
        for ((task, attempts, migrations), placement) in counts.into_iter().zip(placements) {
            let Some(entity) = self.world.resource::<Directory>().tasks.get(&task).copied() else {
                continue;
            };
            if let Some(mut lifecycle) = self.world.get_mut::<Lifecycle>(entity) {
                lifecycle.migrations = migrations;
                // `place` counts the current assignment itself.
                lifecycle.attempts = if placement.is_some() { attempts.saturating_sub(1) } else { attempts };
            }
            let Some(placement) = placement else {
                report.pending += 1;
                continue;
            };
            match self.place_restored(entity, placement) {
                Ok(()) => report.placed += 1,
                Err(problem) => {
                    report.pending += 1;
                    report.problems.push(format!("task {task} pending again, not on {}: {problem}", placement.worker));
                    if let Some(mut lifecycle) = self.world.get_mut::<Lifecycle>(entity) {
                        lifecycle.attempts = attempts;
                    }
                }
            }
        }
        for worker in draining {
            if let Err(error) = self.drain_worker(worker) {
                report.problems.push(format!("worker {worker} not draining again: {error}"));
            }
        }
        *self.world.resource_mut::<EngineConfig>() = saved;
        self.world.resource_mut::<Outbox>().events.clear();
        self.events_recorded = 0;
        report
    }

    /// Puts a filed, pending task back on its worker (step 4 of the module docs).
    fn place_restored(&mut self, entity: Entity, placement: RestoredPlacement) -> Result<(), String> {
        let world = &self.world;
        let directory = world.resource::<Directory>();
        let worker_entity =
            *directory.workers.get(&placement.worker).ok_or_else(|| "the worker is not registered".to_owned())?;
        let slot = world.get::<Worker>(worker_entity).expect("registered workers carry Worker").slot;
        let capabilities = world.get::<Capabilities>(worker_entity).expect("registered workers carry Capabilities");
        let load = world.get::<Load>(worker_entity).expect("registered workers carry Load");
        let task = world.get::<ballast_components::task::Task>(entity).expect("live tasks carry Task");
        let lifecycle = world.get::<Lifecycle>(entity).expect("live tasks carry Lifecycle");
        if lifecycle.state != TaskState::Pending {
            return Err(format!("it is {} after filing", lifecycle.state.name()));
        }
        let requirements =
            &world.resource::<ballast_components::class::Classes>().requirement_set(task.requirements).requirements;
        if !ballast_systems::explain::meets_requirements(capabilities, requirements) {
            return Err("the worker no longer meets its requirements".to_owned());
        }
        let Some(any_fit) = load.fit(capabilities, &requirements.demand, &requirements.gpu_models) else {
            return Err("the worker has no room for it".to_owned());
        };
        let devices = if exact_devices_fit(load, capabilities, requirements, placement.devices) {
            placement.devices
        } else {
            any_fit
        };
        if let Some(key) = task.concurrency_key {
            let holder = world
                .resource::<ballast_components::queue::ConcurrencyKeys>()
                .keys
                .get(&key)
                .and_then(|state| state.holder);
            if holder.is_some() {
                return Err("its concurrency key is held by another restored task".to_owned());
            }
        }
        let health =
            world.get::<ballast_components::worker::Health>(worker_entity).expect("registered workers carry Health");
        if !health.schedulable() {
            return Err("the worker takes no work".to_owned());
        }
        let mut pool = pool(&mut self.admission, &mut self.world);
        pool.place(entity, slot, devices, PlacementMethod::Restored);
        if placement.started {
            pool.start(entity);
        }
        self.admission.apply(&mut self.world);
        Ok(())
    }
}

/// Whether exactly `devices` can take the task's GPU demand on the worker now.
fn exact_devices_fit(
    load: &Load,
    capabilities: &Capabilities,
    requirements: &ballast_components::requirements::Requirements,
    devices: DeviceMask,
) -> bool {
    let gpu = requirements.demand.gpu;
    if gpu.count == 0 {
        return devices == 0;
    }
    let device_count = capabilities.gpus.len().min(ballast_components::worker::GPU_DEVICES_MAX);
    if devices.count_ones() != u32::from(gpu.count) || (devices >> device_count) != 0 {
        return false;
    }
    let allowed = (0..device_count)
        .filter(|device| devices & (1 << device) != 0)
        .all(|device| capabilities.device_model_allowed(device, &requirements.gpu_models));
    let mut after = load.clone();
    after.reserve_unchecked(&requirements.demand, devices);
    allowed && after.within(capabilities)
}

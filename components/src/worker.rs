//! Worker components: identity, static capabilities, the capacity ledger ([`Load`]), reported
//! utilization, health, thermal state and performance history.
//!
//! Architecture invariant: [`Load`] is the one source of truth for capacity. It changes only when a
//! task is reserved on the worker (assignment) or released (completion, failure, timeout, cancel,
//! requeue, worker loss). Reported [`Utilization`] is kept apart and never overwrites it.

use bevy_ecs::prelude::*;

use crate::capability::{BrowserSet, HardwareSet};
use crate::clock::Timestamp;
use crate::ids::{WorkerId, WorkerSlot};
use crate::requirements::{Demand, GPU_MILLI_WHOLE};
use crate::symbols::Symbol;

/// The most GPU devices one worker may report (the largest openb node has 8).
pub const GPU_DEVICES_MAX: usize = 16;

/// A worker's identity.
#[derive(Component, Clone, Copy, Debug)]
pub struct Worker {
    /// The coordinator's id.
    pub id: WorkerId,
    /// The dense slot keying the capability index.
    pub slot: WorkerSlot,
    /// When it registered.
    pub registered_at: Timestamp,
}

/// One GPU device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GpuDevice {
    /// The device model (`A10`, `V100M32`, …), if reported.
    pub model: Option<Symbol>,
    /// Device memory, in MiB.
    pub memory_mib: u64,
}

/// What a worker offers. Static between registrations.
#[derive(Component, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Hardware kinds it can run tests on.
    pub hardware: HardwareSet,
    /// Browsers it hosts.
    pub browsers: BrowserSet,
    /// CPU, in thousandths of a core.
    pub cpu_milli: u32,
    /// Host memory, in MiB.
    pub memory_mib: u64,
    /// How many tasks it runs at once.
    pub slots: u32,
    /// Its GPU devices.
    pub gpus: Box<[GpuDevice]>,
    /// Free-form tags. Sorted, no duplicates.
    pub tags: Box<[Symbol]>,
}

impl Capabilities {
    /// Whether the worker carries every tag in `tags` (both sorted).
    pub fn has_tags(&self, tags: &[Symbol]) -> bool {
        tags.iter().all(|tag| self.tags.binary_search(tag).is_ok())
    }

    /// Whether device `device` may serve a task restricted to `gpu_models` (empty: any model).
    #[inline]
    pub fn device_model_allowed(&self, device: usize, gpu_models: &[Symbol]) -> bool {
        gpu_models.is_empty() || self.gpus[device].model.is_some_and(|model| gpu_models.contains(&model))
    }

    /// Whether an idle worker could hold one task of `demand` restricted to `gpu_models`:
    /// the static part of the capacity check.
    pub fn could_ever_hold(&self, demand: &Demand, gpu_models: &[Symbol]) -> bool {
        self.slots > 0
            && demand.cpu_milli <= self.cpu_milli
            && demand.memory_mib <= self.memory_mib
            && Load::default().fit_gpus(self, demand, gpu_models).is_some()
    }
}

/// The capacity ledger of one worker: what its assigned and running tasks have reserved.
///
/// A worker runs `slots` tasks at once and may hold up to `prefetch` more assigned to it ahead, in its
/// run queue; every assigned task holds a seat (`slots_used`) and its CPU, memory and GPU reservation
/// from assignment to its end, so a queued task can always start when its turn comes.
#[derive(Component, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Load {
    /// Seats taken (one per assigned or running task).
    pub slots_used: u32,
    /// Tasks the worker may hold beyond its slots, in its run queue.
    pub prefetch: u32,
    /// At most this many seats, whatever the slots and run queue (thermal awareness: half the slots
    /// while warming, none while cooling); `None`: no limit.
    pub seat_limit: Option<u32>,
    /// Hot: placement spares it (it costs more; see `ballast_systems::policy`).
    pub hot: bool,
    /// CPU reserved, in thousandths of a core.
    pub cpu_milli_used: u32,
    /// Host memory reserved, in MiB.
    pub memory_used_mib: u64,
    /// Share of each GPU device reserved, in thousandths.
    pub gpu_milli_used: [u16; GPU_DEVICES_MAX],
    /// Memory of each GPU device reserved, in MiB.
    pub gpu_memory_used_mib: [u64; GPU_DEVICES_MAX],
}

/// A set of GPU devices of one worker, as a bit mask over device indices.
pub type DeviceMask = u16;

impl Load {
    /// The devices one task of `demand` would take on this worker, or `None` if it does not fit now.
    /// Whole-device demands take the lowest-numbered idle devices; a fractional share takes the device
    /// with the least free share that still fits it (best fit, to keep whole devices free).
    pub fn fit_gpus(&self, capabilities: &Capabilities, demand: &Demand, gpu_models: &[Symbol]) -> Option<DeviceMask> {
        let gpu = demand.gpu;
        if gpu.count == 0 {
            return Some(0);
        }
        let device_count = capabilities.gpus.len().min(GPU_DEVICES_MAX);
        if gpu.milli >= GPU_MILLI_WHOLE {
            let mut mask: DeviceMask = 0;
            let mut found = 0u8;
            for device in 0..device_count {
                if self.gpu_milli_used[device] == 0
                    && self.gpu_memory_used_mib[device] == 0
                    && capabilities.gpus[device].memory_mib >= gpu.memory_mib
                    && capabilities.device_model_allowed(device, gpu_models)
                {
                    mask |= 1 << device;
                    found += 1;
                    if found == gpu.count {
                        return Some(mask);
                    }
                }
            }
            return None;
        }
        let mut best: Option<(u16, usize)> = None;
        for device in 0..device_count {
            let free_milli = GPU_MILLI_WHOLE - self.gpu_milli_used[device];
            let free_memory_mib = capabilities.gpus[device].memory_mib.saturating_sub(self.gpu_memory_used_mib[device]);
            if free_milli >= gpu.milli
                && free_memory_mib >= gpu.memory_mib
                && capabilities.device_model_allowed(device, gpu_models)
                && best.is_none_or(|(best_free, _)| free_milli < best_free)
            {
                best = Some((free_milli, device));
            }
        }
        best.map(|(_, device)| 1 << device)
    }

    /// Seats in all: the slots plus the run queue.
    #[inline]
    pub fn seats(&self, capabilities: &Capabilities) -> u32 {
        let seats = capabilities.slots.saturating_add(self.prefetch);
        self.seat_limit.map_or(seats, |limit| seats.min(limit))
    }

    /// Whether the worker has a free seat.
    #[inline]
    pub fn has_seat(&self, capabilities: &Capabilities) -> bool {
        self.slots_used < self.seats(capabilities)
    }

    /// The devices one task of `demand` would take now, or `None` if it does not fit.
    #[inline]
    pub fn fit(&self, capabilities: &Capabilities, demand: &Demand, gpu_models: &[Symbol]) -> Option<DeviceMask> {
        if !self.has_seat(capabilities)
            || self.cpu_milli_used.saturating_add(demand.cpu_milli) > capabilities.cpu_milli
            || self.memory_used_mib.saturating_add(demand.memory_mib) > capabilities.memory_mib
        {
            return None;
        }
        self.fit_gpus(capabilities, demand, gpu_models)
    }

    /// Reserves one task of `demand` on `devices`. The caller checked [`Load::fit`].
    pub fn reserve(&mut self, capabilities: &Capabilities, demand: &Demand, devices: DeviceMask) {
        self.reserve_unchecked(demand, devices);
        assert!(self.within(capabilities), "reservation exceeded capacity: {self:?} over {capabilities:?}");
    }

    /// Adds one task of `demand` on `devices` without checking capacity (to recompute a ledger).
    pub fn reserve_unchecked(&mut self, demand: &Demand, devices: DeviceMask) {
        self.slots_used += 1;
        self.cpu_milli_used += demand.cpu_milli;
        self.memory_used_mib += demand.memory_mib;
        for device in mask_devices(devices) {
            self.gpu_milli_used[device] += demand.gpu.milli;
            self.gpu_memory_used_mib[device] += demand.gpu.memory_mib;
        }
    }

    /// Releases one task of `demand` that was reserved on `devices`.
    pub fn release(&mut self, demand: &Demand, devices: DeviceMask) {
        assert!(self.slots_used > 0, "release without a reservation");
        self.slots_used -= 1;
        self.cpu_milli_used -= demand.cpu_milli;
        self.memory_used_mib -= demand.memory_mib;
        for device in mask_devices(devices) {
            self.gpu_milli_used[device] -= demand.gpu.milli;
            self.gpu_memory_used_mib[device] -= demand.gpu.memory_mib;
        }
    }

    /// Whether every reservation is within the worker's resources (CPU, memory, GPUs). Seats (slots, run
    /// queue, thermal limit) gate new placements only ([`Load::fit`]); they may be lowered below what a
    /// worker holds, which then takes nothing new until it is under them again.
    pub fn within(&self, capabilities: &Capabilities) -> bool {
        self.cpu_milli_used <= capabilities.cpu_milli
            && self.memory_used_mib <= capabilities.memory_mib
            && (0..GPU_DEVICES_MAX).all(|device| match capabilities.gpus.get(device) {
                Some(gpu) => {
                    self.gpu_milli_used[device] <= GPU_MILLI_WHOLE && self.gpu_memory_used_mib[device] <= gpu.memory_mib
                }
                None => self.gpu_milli_used[device] == 0 && self.gpu_memory_used_mib[device] == 0,
            })
    }

    /// Whether nothing is reserved.
    pub fn is_idle(&self) -> bool {
        self.slots_used == 0
    }

    /// The dominant share of the worker's capacity that is reserved, in millionths: the largest of the
    /// slot, CPU, memory and GPU shares (Ghodsi et al.'s dominant resource share).
    pub fn dominant_share_ppm(&self, capabilities: &Capabilities) -> u32 {
        let mut share = ratio_ppm(u64::from(self.slots_used), u64::from(capabilities.slots));
        share = share.max(ratio_ppm(u64::from(self.cpu_milli_used), u64::from(capabilities.cpu_milli)));
        share = share.max(ratio_ppm(self.memory_used_mib, capabilities.memory_mib));
        if !capabilities.gpus.is_empty() {
            let used: u64 = self.gpu_milli_used.iter().map(|&milli| u64::from(milli)).sum();
            share = share.max(ratio_ppm(used, capabilities.gpus.len() as u64 * u64::from(GPU_MILLI_WHOLE)));
        }
        share
    }
}

/// `part / whole` in millionths, 0 when `whole` is 0, at most 1,000,000.
#[inline]
pub fn ratio_ppm(part: u64, whole: u64) -> u32 {
    if whole == 0 {
        return 0;
    }
    (part.min(whole).saturating_mul(1_000_000) / whole) as u32
}

/// The device indices in `mask`.
pub fn mask_devices(mask: DeviceMask) -> impl Iterator<Item = usize> {
    (0..GPU_DEVICES_MAX).filter(move |device| mask & (1 << device) != 0)
}

/// Utilization as the worker last reported it, as fractions in `0.0..=1.0`.
/// Informational: it never changes the ledger.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct Utilization {
    /// CPU busy fraction.
    pub cpu: f32,
    /// Memory used fraction.
    pub memory: f32,
    /// GPU busy fraction (mean over devices).
    pub gpu: f32,
    /// Reported heat (0 cool, 0.5 throttling), if the worker reports it.
    pub heat: Option<f32>,
    /// When it was reported.
    pub reported_at: Timestamp,
}

/// A worker's liveness, from its heartbeats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HealthState {
    /// Heartbeats arrive on time.
    #[default]
    Healthy,
    /// A heartbeat is late: no new work, its tasks stay.
    Suspect,
    /// Heartbeats stopped: no new work, its tasks were requeued.
    Unresponsive,
}

impl HealthState {
    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            HealthState::Healthy => "healthy",
            HealthState::Suspect => "suspect",
            HealthState::Unresponsive => "unresponsive",
        }
    }
}

/// A worker's health and admission state.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Health {
    /// Liveness.
    pub state: HealthState,
    /// When the state was entered.
    pub state_since: Timestamp,
    /// When the last heartbeat (or the registration) arrived.
    pub last_heartbeat_at: Timestamp,
    /// A draining worker takes no new work and is removed once its last task ends.
    pub draining: bool,
    /// Until when the worker is quarantined for failing too often (no new work), if it is.
    pub quarantined_until: Option<Timestamp>,
    /// Attempts it ended recently (halved with `recent_failures` at [`RECENT_ATTEMPTS_WINDOW`]).
    pub recent_attempts: u16,
    /// Of those, the ones that failed (retryable failures and timeouts).
    pub recent_failures: u16,
}

/// The recent attempts a worker's failure rate looks at: both counts halve when attempts reach it,
/// so old attempts fade.
pub const RECENT_ATTEMPTS_WINDOW: u16 = 32;

impl Health {
    /// Whether the worker may receive new work.
    #[inline]
    pub fn schedulable(&self) -> bool {
        self.state == HealthState::Healthy && !self.draining && self.quarantined_until.is_none()
    }

    /// Counts an ended attempt; returns the recent failure rate in thousandths once `failures_min`
    /// recent attempts have failed, so the caller can judge it.
    pub fn record_attempt(&mut self, failed: bool, failures_min: u32) -> Option<u32> {
        if self.recent_attempts >= RECENT_ATTEMPTS_WINDOW {
            self.recent_attempts /= 2;
            self.recent_failures /= 2;
        }
        self.recent_attempts += 1;
        self.recent_failures += u16::from(failed);
        (u32::from(self.recent_failures) >= failures_min)
            .then(|| u32::from(self.recent_failures) * 1_000 / u32::from(self.recent_attempts))
    }
}

/// What a thermal state does to placement when the engine is thermal-aware: the seat limit (half the
/// slots, at least one, while warming; none while cooling) and whether the worker is spared (hot).
pub fn thermal_effect(state: ThermalState, slots: u32) -> (Option<u32>, bool) {
    match state {
        ThermalState::Cold | ThermalState::Warm => (None, false),
        ThermalState::Warming => (Some(slots.div_ceil(2).max(1)), false),
        ThermalState::Hot => (None, true),
        ThermalState::Cooling => (Some(0), false),
    }
}

/// A worker's thermal state: how warm its caches, models and clocks are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThermalState {
    /// Idle for a while: models unloaded, first tasks pay a cold start.
    #[default]
    Cold,
    /// Just received work after being cold.
    Warming,
    /// Running work in its steady state.
    Warm,
    /// Fully loaded for a long time.
    Hot,
    /// No longer fully loaded after being hot: cooling down.
    Cooling,
}

impl ThermalState {
    /// Every state, coldest first.
    pub const ALL: [ThermalState; 5] =
        [ThermalState::Cold, ThermalState::Warming, ThermalState::Warm, ThermalState::Hot, ThermalState::Cooling];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            ThermalState::Cold => "cold",
            ThermalState::Warming => "warming",
            ThermalState::Warm => "warm",
            ThermalState::Hot => "hot",
            ThermalState::Cooling => "cooling",
        }
    }
}

/// A worker's thermal state and when it was entered.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Thermal {
    /// The state.
    pub state: ThermalState,
    /// When it was entered.
    pub since: Timestamp,
    /// Since when a warm worker has been found idle (it goes cold after `thermal_cooldown_ms`).
    pub idle_since: Option<Timestamp>,
    /// Its estimated heat, in thousandths (0 cool, 500 hot; see `ballast_systems::health`).
    pub heat_milli: u32,
    /// When the heat was last brought up to date.
    pub heat_at: Timestamp,
}

/// The tasks placed on a worker (assigned or running), in placement order.
#[derive(Component, Clone, Debug, Default)]
pub struct WorkerTasks {
    /// The task entities.
    pub tasks: Vec<Entity>,
}

//! The capability index: roaring bitmaps over [`WorkerSlot`]s, one per capability value or size
//! bucket, plus live sets (registered, schedulable, has a free slot). Maintained incrementally on
//! registration, removal and every change of health or load; derived state, rebuildable from the
//! worker components.

use bevy_ecs::prelude::*;
use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;

use crate::capability::{Browser, HardwareKind};
use crate::ids::WorkerSlot;
use crate::requirements::Requirements;
use crate::symbols::Symbol;
use crate::worker::Capabilities;

/// Size buckets: bucket `b` holds the workers with at least `2^b` units (MiB, milli-cores, devices).
pub const SIZE_BUCKETS: usize = 48;

/// The bucket whose bitmap is a superset of "at least `amount`": `floor(log2(amount))`.
#[inline]
pub fn bucket_floor(amount: u64) -> usize {
    if amount == 0 { 0 } else { (63 - amount.leading_zeros()) as usize }
}

/// The roaring index over worker slots.
#[derive(Resource, Debug, Default)]
pub struct CapabilityIndex {
    /// Every live worker.
    pub registered: RoaringBitmap,
    /// Workers that may receive new work (healthy, not draining).
    pub schedulable: RoaringBitmap,
    /// Workers that are draining.
    pub draining: RoaringBitmap,
    /// Workers with at least one free slot.
    pub has_free_slot: RoaringBitmap,
    /// Workers per hardware kind.
    pub hardware: [RoaringBitmap; HardwareKind::COUNT],
    /// Workers per browser.
    pub browsers: [RoaringBitmap; Browser::COUNT],
    /// Workers per tag.
    pub tags: FxHashMap<Symbol, RoaringBitmap>,
    /// Workers per GPU model (a worker is in a model's set if any device is of that model).
    pub gpu_models: FxHashMap<Symbol, RoaringBitmap>,
    /// Workers with at least `2^b` MiB of memory.
    pub memory_at_least: Vec<RoaringBitmap>,
    /// Workers with at least `2^b` milli-cores.
    pub cpu_at_least: Vec<RoaringBitmap>,
    /// Workers with at least `2^b` GPU devices.
    pub gpus_at_least: Vec<RoaringBitmap>,
}

impl CapabilityIndex {
    /// Adds a newly registered worker (not yet schedulable until the caller says so).
    pub fn insert(&mut self, slot: WorkerSlot, capabilities: &Capabilities) {
        self.ensure_buckets();
        self.registered.insert(slot.0);
        for kind in capabilities.hardware.iter() {
            self.hardware[kind.index()].insert(slot.0);
        }
        for browser in capabilities.browsers.iter() {
            self.browsers[browser.index()].insert(slot.0);
        }
        for &tag in capabilities.tags.iter() {
            self.tags.entry(tag).or_default().insert(slot.0);
        }
        for model in capabilities.gpus.iter().filter_map(|gpu| gpu.model) {
            self.gpu_models.entry(model).or_default().insert(slot.0);
        }
        insert_buckets(&mut self.memory_at_least, capabilities.memory_mib, slot);
        insert_buckets(&mut self.cpu_at_least, u64::from(capabilities.cpu_milli), slot);
        insert_buckets(&mut self.gpus_at_least, capabilities.gpus.len() as u64, slot);
    }

    /// Removes a worker that leaves.
    pub fn remove(&mut self, slot: WorkerSlot, capabilities: &Capabilities) {
        self.registered.remove(slot.0);
        self.schedulable.remove(slot.0);
        self.draining.remove(slot.0);
        self.has_free_slot.remove(slot.0);
        for kind in capabilities.hardware.iter() {
            self.hardware[kind.index()].remove(slot.0);
        }
        for browser in capabilities.browsers.iter() {
            self.browsers[browser.index()].remove(slot.0);
        }
        for tag in capabilities.tags.iter() {
            remove_from_map(&mut self.tags, *tag, slot);
        }
        for model in capabilities.gpus.iter().filter_map(|gpu| gpu.model) {
            remove_from_map(&mut self.gpu_models, model, slot);
        }
        for bitmaps in [&mut self.memory_at_least, &mut self.cpu_at_least, &mut self.gpus_at_least] {
            for bitmap in bitmaps.iter_mut() {
                bitmap.remove(slot.0);
            }
        }
    }

    /// Sets whether the worker may receive new work.
    #[inline]
    pub fn set_schedulable(&mut self, slot: WorkerSlot, schedulable: bool) {
        set_member(&mut self.schedulable, slot, schedulable);
    }

    /// Sets whether the worker has a free slot.
    #[inline]
    pub fn set_has_free_slot(&mut self, slot: WorkerSlot, has_free_slot: bool) {
        set_member(&mut self.has_free_slot, slot, has_free_slot);
    }

    /// A superset of the registered workers whose static capabilities meet `requirements`: exact for
    /// hardware, browsers, tags and GPU models, by power-of-two bucket for sizes. The caller checks sizes
    /// exactly on the (few) workers near a bucket edge.
    pub fn static_candidates(&self, requirements: &Requirements) -> RoaringBitmap {
        let mut candidates = self.registered.clone();
        if !requirements.hardware_any.is_empty() {
            let mut any = RoaringBitmap::new();
            for kind in requirements.hardware_any.iter() {
                any |= &self.hardware[kind.index()];
            }
            candidates &= any;
        }
        if !requirements.browsers_any.is_empty() {
            let mut any = RoaringBitmap::new();
            for browser in requirements.browsers_any.iter() {
                any |= &self.browsers[browser.index()];
            }
            candidates &= any;
        }
        for tag in requirements.tags.iter() {
            match self.tags.get(tag) {
                Some(bitmap) => candidates &= bitmap,
                None => return RoaringBitmap::new(),
            }
        }
        if !requirements.gpu_models.is_empty() {
            let mut any = RoaringBitmap::new();
            for model in requirements.gpu_models.iter() {
                if let Some(bitmap) = self.gpu_models.get(model) {
                    any |= bitmap;
                }
            }
            candidates &= any;
        }
        let demand = &requirements.demand;
        if !self.memory_at_least.is_empty() {
            if demand.memory_mib > 0 {
                candidates &= &self.memory_at_least[bucket_floor(demand.memory_mib)];
            }
            if demand.cpu_milli > 0 {
                candidates &= &self.cpu_at_least[bucket_floor(u64::from(demand.cpu_milli))];
            }
            if demand.gpu.count > 0 {
                candidates &= &self.gpus_at_least[bucket_floor(u64::from(demand.gpu.count))];
            }
        }
        candidates
    }

    fn ensure_buckets(&mut self) {
        if self.memory_at_least.is_empty() {
            self.memory_at_least = vec![RoaringBitmap::new(); SIZE_BUCKETS];
            self.cpu_at_least = vec![RoaringBitmap::new(); SIZE_BUCKETS];
            self.gpus_at_least = vec![RoaringBitmap::new(); SIZE_BUCKETS];
        }
    }
}

fn insert_buckets(bitmaps: &mut [RoaringBitmap], amount: u64, slot: WorkerSlot) {
    if amount == 0 {
        return;
    }
    for bitmap in &mut bitmaps[..=bucket_floor(amount)] {
        bitmap.insert(slot.0);
    }
}

fn remove_from_map(map: &mut FxHashMap<Symbol, RoaringBitmap>, key: Symbol, slot: WorkerSlot) {
    if let Some(bitmap) = map.get_mut(&key) {
        bitmap.remove(slot.0);
        if bitmap.is_empty() {
            map.remove(&key);
        }
    }
}

#[inline]
fn set_member(bitmap: &mut RoaringBitmap, slot: WorkerSlot, member: bool) {
    if member {
        bitmap.insert(slot.0);
    } else {
        bitmap.remove(slot.0);
    }
}

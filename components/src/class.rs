//! Requirement sets and classes: the structures that let one candidate set serve many tasks.
//!
//! A [`RequirementSet`] is an interned set of hard requirements with its `eligible` bitmap: the
//! registered, non-draining workers whose static capabilities meet it. It changes only when a worker
//! registers, starts draining or leaves.
//! A [`Class`] is a requirement set plus a scoring profile (the model family); it owns the pending
//! queue of its tasks and the candidate heap of its workers. Tasks of one class are interchangeable
//! for placement, so the work per placement does not grow with the pool.

use bevy_ecs::prelude::*;
use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;

use crate::family::ModelFamily;
use crate::ids::{ClassId, RequirementsId, WorkerSlot};
use crate::queue::{CandidateHeap, PendingQueue};
use crate::requirements::Requirements;

/// An interned set of hard requirements and the workers that meet it.
#[derive(Debug)]
pub struct RequirementSet {
    /// The requirements.
    pub requirements: Requirements,
    /// Registered, non-draining workers whose static capabilities meet the requirements.
    pub eligible: RoaringBitmap,
    /// The classes built on this set, one per family seen so far.
    pub classes: Vec<ClassId>,
    /// Whether `eligible` has been computed (the index stage does it for new sets).
    pub indexed: bool,
}

/// What makes two tasks interchangeable for placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassKey {
    /// The hard requirements.
    pub requirements: RequirementsId,
    /// The scoring profile.
    pub family: ModelFamily,
}

/// One class: its pending tasks and its candidate workers.
#[derive(Debug)]
pub struct Class {
    /// What defines it.
    pub key: ClassKey,
    /// Its pending tasks.
    pub pending: PendingQueue,
    /// Its candidate workers.
    pub candidates: CandidateHeap,
}

/// Why a requirement set or class could not be created.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClassError {
    /// The configured maximum of distinct requirement sets is reached.
    #[error("{max} distinct requirement sets exist already")]
    TooManyRequirementSets {
        /// The maximum.
        max: usize,
    },
}

/// Every requirement set and class, plus the per-worker bookkeeping that keeps candidate heaps current.
#[derive(Resource, Debug, Default)]
pub struct Classes {
    requirement_ids: FxHashMap<Requirements, RequirementsId>,
    /// Requirement sets, indexed by [`RequirementsId`].
    pub requirement_sets: Vec<RequirementSet>,
    class_ids: FxHashMap<ClassKey, ClassId>,
    /// Classes, indexed by [`ClassId`].
    pub classes: Vec<Class>,
    /// For each worker slot, the requirement sets whose `eligible` holds it.
    pub memberships: Vec<Vec<RequirementsId>>,
    /// For each worker slot, a counter bumped whenever anything that scores or fits the worker changes.
    pub versions: Vec<u32>,
    /// The most requirement sets allowed (a class per family comes on top).
    pub requirement_sets_max: usize,
    /// The next admission sequence number (see [`Queued::sequence`](crate::queue::Queued)).
    pub next_sequence: u64,
    /// Requirement sets whose last eligible worker left (drained, removed or lost) since the index
    /// stage last looked: their pending tasks may have become unschedulable.
    pub emptied: Vec<RequirementsId>,
}

impl Classes {
    /// Empty tables with a bound on requirement sets.
    pub fn new(requirement_sets_max: usize) -> Classes {
        Classes { requirement_sets_max, ..Classes::default() }
    }

    /// The id of `requirements`, if interned.
    pub fn requirements_id(&self, requirements: &Requirements) -> Option<RequirementsId> {
        self.requirement_ids.get(requirements).copied()
    }

    /// Interns `requirements`. A new set starts with no eligible workers: the caller fills `eligible`
    /// (and the memberships) from the capability index.
    pub fn intern_requirements(&mut self, requirements: Requirements) -> Result<(RequirementsId, bool), ClassError> {
        if let Some(&id) = self.requirement_ids.get(&requirements) {
            return Ok((id, false));
        }
        if self.requirement_sets.len() >= self.requirement_sets_max {
            return Err(ClassError::TooManyRequirementSets { max: self.requirement_sets_max });
        }
        let id = RequirementsId(self.requirement_sets.len() as u32);
        self.requirement_ids.insert(requirements.clone(), id);
        self.requirement_sets.push(RequirementSet {
            requirements,
            eligible: RoaringBitmap::new(),
            classes: Vec::new(),
            indexed: false,
        });
        Ok((id, true))
    }

    /// The class of `key`, created on first use (bounded by the requirement sets times the families).
    pub fn class_of(&mut self, key: ClassKey) -> ClassId {
        if let Some(&id) = self.class_ids.get(&key) {
            return id;
        }
        let id = ClassId(self.classes.len() as u32);
        self.class_ids.insert(key, id);
        self.classes.push(Class { key, pending: PendingQueue::default(), candidates: CandidateHeap::default() });
        self.requirement_sets[key.requirements.index()].classes.push(id);
        id
    }

    /// Makes room for per-worker bookkeeping up to `slot`.
    pub fn ensure_slot(&mut self, slot: WorkerSlot) {
        if self.versions.len() <= slot.index() {
            self.versions.resize(slot.index() + 1, 0);
            self.memberships.resize_with(slot.index() + 1, Vec::new);
        }
    }

    /// Marks a change to the worker in `slot`: its entries in every heap become stale.
    #[inline]
    pub fn touch(&mut self, slot: WorkerSlot) -> u32 {
        let version = &mut self.versions[slot.index()];
        *version = version.wrapping_add(1);
        *version
    }

    /// The requirement set `id`.
    #[inline]
    pub fn requirement_set(&self, id: RequirementsId) -> &RequirementSet {
        &self.requirement_sets[id.index()]
    }
}

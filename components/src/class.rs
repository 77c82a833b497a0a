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
use crate::queue::PendingQueue;
use crate::requirements::Requirements;
use crate::shape::{ShapeId, ShapeSet};

/// An interned set of hard requirements and the workers that meet it.
#[derive(Debug)]
pub struct RequirementSet {
    /// The requirements.
    pub requirements: Requirements,
    /// Registered, non-draining workers whose static capabilities meet the requirements.
    pub eligible: RoaringBitmap,
    /// The shapes that meet the requirements.
    pub shapes: Vec<ShapeId>,
    /// The classes built on this set, one per family seen so far.
    pub classes: Vec<ClassId>,
    /// Whether `eligible` has been computed (the index stage does it for new sets).
    pub indexed: bool,
    /// Tasks ever classified under the set: the demand mix the packing policies expect.
    pub admitted: u64,
    /// How pressed the set's workers are, 0..=1: 1 while tasks of the set wait unplaced at the end of a
    /// match, halving every [`PRESSURE_HALF_LIFE_NS`] after (work of a kind that just waited is likely
    /// to arrive again soon). Placement charges less constrained work for seats of its workers by it.
    pub pressure: f32,
    /// [`RequirementSet::pressure`] in eighths, rounded down: what the scorers read (it moves in steps,
    /// so shape costs are re-scored only when it does).
    pub pressure_eighths: u8,
}

/// How fast a requirement set's pressure fades once its tasks stop waiting: it halves every 2 s of
/// engine time (a few run times of short tests; a burst of arrivals is rarely over sooner).
pub const PRESSURE_HALF_LIFE_NS: u64 = 2_000_000_000;

/// What makes two tasks interchangeable for placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassKey {
    /// The hard requirements.
    pub requirements: RequirementsId,
    /// The scoring profile.
    pub family: ModelFamily,
}

/// A shape a class may use, with the static part of its cost for the class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoredShape {
    /// The shape.
    pub shape: ShapeId,
    /// The static cost (lower is better); a worker's level is combined with it.
    pub cost: u128,
    /// The scarcity charge of an idle worker it was computed with (a re-score whose charge and
    /// history did not move can keep it).
    pub charge: u32,
}

/// The eligible shapes of a class that share one static cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tier {
    /// The static cost.
    pub cost: u128,
    /// The shapes.
    pub shapes: ShapeSet,
    /// The same shapes in ascending order, for small tiers that are walked shape by shape.
    pub members: Vec<ShapeId>,
    /// How many shapes.
    pub shape_count: usize,
    /// How many of them the class skips (all of them: the search passes the tier by at once).
    pub skipped_count: usize,
}

impl Tier {
    /// Whether the class skips every shape of the tier.
    #[inline]
    pub fn all_skipped(&self) -> bool {
        self.skipped_count == self.shape_count
    }
}

/// A class's static cost per eligible shape, indexed by shape id (a re-score looks up every shape of
/// every class, and the search the shape of every worker it weighs), with the scarcity charge each
/// was computed with.
#[derive(Clone, Debug, Default)]
pub struct ShapeCosts(Vec<u128>, Vec<u32>);

impl ShapeCosts {
    /// Marks a shape without a cost (costs are rounded, far below it).
    const NONE: u128 = u128::MAX;

    /// The cost of `shape`, if it is eligible.
    #[inline]
    pub fn get(&self, shape: ShapeId) -> Option<&u128> {
        self.0.get(shape.index()).filter(|&&cost| cost != ShapeCosts::NONE)
    }

    /// The scarcity charge the cost of `shape` was computed with, if it is eligible.
    #[inline]
    pub fn charge(&self, shape: ShapeId) -> Option<u32> {
        self.get(shape).map(|_| self.1[shape.index()])
    }

    /// Sets the cost of `shape` and the charge it was computed with; its previous cost, if it had one.
    pub fn insert(&mut self, shape: ShapeId, cost: u128, charge: u32) -> Option<u128> {
        debug_assert!(cost != ShapeCosts::NONE, "a cost below the marker");
        if self.0.len() <= shape.index() {
            self.0.resize(shape.index() + 1, ShapeCosts::NONE);
            self.1.resize(shape.index() + 1, 0);
        }
        self.1[shape.index()] = charge;
        let old = std::mem::replace(&mut self.0[shape.index()], cost);
        (old != ShapeCosts::NONE).then_some(old)
    }
}

/// Where a class looks for workers.
///
/// The eligible shapes are grouped into tiers of equal static cost, cheapest first. A search walks the
/// tiers and, within a tier, the levels from the best, intersecting the tier's shapes with the shapes
/// that have a worker at that level (bit sets over shape ids); it stops as soon as nothing left can beat
/// the best worker found (a level never lowers a cost).
///
/// A shape whose listed workers all lack room for the class's demand (free slots but no free GPU, say)
/// is *skipped*: its workers can only gain room through a release, a recovery or a new worker, and each
/// of those notes the worker in `inbox` of every class that skips its shape. So a skipped shape costs
/// nothing until one of its workers changes, and then only that worker is looked at. A class that skips
/// every shape and has an empty inbox is *blocked* and costs nothing per tick.
#[derive(Debug, Default)]
pub struct Candidates {
    /// Eligible shapes by static cost, cheapest tier first.
    pub tiers: Vec<Tier>,
    /// Each eligible shape's static cost (so a re-score can move it between tiers).
    pub costs: ShapeCosts,
    /// How many shapes are eligible.
    pub shape_count: usize,
    /// Shapes that had no worker with room for this class at their last scan.
    pub skipped: ShapeSet,
    skipped_count: usize,
    /// Workers of skipped shapes that gained room since.
    pub inbox: Vec<WorkerSlot>,
}

impl Candidates {
    /// How many freed workers a class collects before it scans its shapes afresh instead.
    pub const INBOX_LEN_MAX: usize = 64;

    /// Whether no eligible worker had room at the last look and none gained room since.
    #[inline]
    pub fn is_blocked(&self) -> bool {
        self.all_skipped() && self.inbox.is_empty()
    }

    /// Whether every eligible shape is skipped: only the workers in `inbox` may have room.
    #[inline]
    pub fn all_skipped(&self) -> bool {
        self.skipped_count == self.shape_count
    }

    /// Skips `shape` until one of its workers gains room.
    pub fn skip(&mut self, shape: ShapeId) {
        if self.skipped.insert(shape) {
            self.skipped_count += 1;
            if let Some(tier) = self.tier_of(shape) {
                self.tiers[tier].skipped_count += 1;
            }
        }
    }

    /// Skips every eligible shape and empties the inbox: the class is blocked until a worker gains room.
    pub fn skip_all(&mut self) {
        for tier in &mut self.tiers {
            self.skipped.union_with(&tier.shapes);
            tier.skipped_count = tier.shape_count;
        }
        self.skipped_count = self.shape_count;
        self.inbox.clear();
    }

    /// The index of the tier that holds `shape`.
    fn tier_of(&self, shape: ShapeId) -> Option<usize> {
        let cost = *self.costs.get(shape)?;
        let position = self.tiers.partition_point(|tier| tier.cost < cost);
        (self.tiers.get(position)?.cost == cost).then_some(position)
    }

    /// Notes that the worker in `slot`, of `shape`, gained room.
    #[inline]
    pub fn note_freed(&mut self, shape: ShapeId, slot: WorkerSlot) {
        if !self.skipped.contains(shape) {
            return;
        }
        if self.inbox.len() >= Candidates::INBOX_LEN_MAX {
            self.reset();
        } else {
            self.inbox.push(slot);
        }
    }

    /// Forgets every skip: the next look scans every shape.
    pub fn reset(&mut self) {
        self.skipped.clear();
        self.skipped_count = 0;
        self.tiers.iter_mut().for_each(|tier| tier.skipped_count = 0);
        self.inbox.clear();
    }

    /// Adds a newly eligible shape to the tier of its cost, or moves it there if its cost changed.
    pub fn add_shape(&mut self, scored: ScoredShape) {
        if let Some(old) = self.costs.insert(scored.shape, scored.cost, scored.charge) {
            if old == scored.cost {
                return;
            }
            let position = self.tiers.partition_point(|tier| tier.cost < old);
            let tier = &mut self.tiers[position];
            assert!(tier.cost == old && tier.shapes.remove(scored.shape), "a shape sits in the tier of its cost");
            tier.members.retain(|&member| member != scored.shape);
            tier.shape_count -= 1;
            if self.skipped.contains(scored.shape) {
                tier.skipped_count -= 1;
            }
            if tier.shape_count == 0 {
                self.tiers.remove(position);
            }
            self.shape_count -= 1;
        }
        let position = self.tiers.partition_point(|tier| tier.cost < scored.cost);
        if self.tiers.get(position).is_none_or(|tier| tier.cost != scored.cost) {
            self.tiers.insert(position, Tier { cost: scored.cost, ..Tier::default() });
        }
        let tier = &mut self.tiers[position];
        if tier.shapes.insert(scored.shape) {
            let at = tier.members.partition_point(|&member| member < scored.shape);
            tier.members.insert(at, scored.shape);
            tier.shape_count += 1;
            self.shape_count += 1;
            if self.skipped.contains(scored.shape) {
                tier.skipped_count += 1;
            }
        }
    }
}

/// Where a rotating policy (round-robin) is in its rotation over a class's eligible workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// The worker that had the last turn.
    pub last: Option<WorkerSlot>,
    /// How many tasks in a row it received (weighted round-robin gives a worker one per slot).
    pub turns: u32,
}

/// One class: its pending tasks and where it looks for workers.
#[derive(Debug)]
pub struct Class {
    /// What defines it.
    pub key: ClassKey,
    /// Its pending tasks.
    pub pending: PendingQueue,
    /// Its candidate shapes.
    pub candidates: Candidates,
    /// Its place in a rotation.
    pub rotation: Rotation,
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
    /// The most requirement sets allowed (a class per family comes on top).
    pub requirement_sets_max: usize,
    /// The next admission sequence number (see [`Queued::sequence`](crate::queue::Queued)).
    pub next_sequence: u64,
    /// Requirement sets whose last eligible worker left (drained, removed or lost) since the index
    /// stage last looked: their pending tasks may have become unschedulable.
    pub emptied: Vec<RequirementsId>,
    /// Tasks ever classified (the sum of every set's `admitted`).
    pub admitted_total: u64,
    /// Whether some set's [`RequirementSet::pressure_eighths`] changed since classes last re-scored
    /// their shapes for it.
    pub pressure_changed: bool,
    /// How many sets have a pressure above 0 (none: scarcity costs nothing and is not computed).
    pub pressured_sets: usize,
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

    /// Interns `requirements`. A new set starts with no eligible workers: the index stage fills
    /// `shapes` and `eligible`.
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
            shapes: Vec::new(),
            classes: Vec::new(),
            indexed: false,
            admitted: 0,
            pressure: 0.0,
            pressure_eighths: 0,
        });
        Ok((id, true))
    }

    /// The class of `key`, if it exists.
    pub fn class_id(&self, key: ClassKey) -> Option<ClassId> {
        self.class_ids.get(&key).copied()
    }

    /// Creates the class of `key` with its candidate shapes (the caller links the shapes back).
    pub fn create_class(&mut self, key: ClassKey, candidates: Candidates) -> ClassId {
        assert!(!self.class_ids.contains_key(&key), "a class is created once");
        let id = ClassId(self.classes.len() as u32);
        self.class_ids.insert(key, id);
        self.classes.push(Class { key, pending: PendingQueue::default(), candidates, rotation: Rotation::default() });
        self.requirement_sets[key.requirements.index()].classes.push(id);
        id
    }

    /// The requirement set `id`.
    #[inline]
    pub fn requirement_set(&self, id: RequirementsId) -> &RequirementSet {
        &self.requirement_sets[id.index()]
    }
}

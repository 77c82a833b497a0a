//! Worker shapes and load levels: the structure that keeps placement cost independent of the number
//! of workers and of the number of classes that share a worker.
//!
//! # Shapes
//! Workers with identical [`Capabilities`] share a [`Shape`] (fleets are provisioned in batches of
//! identical machines, so a pool of 100,000 workers has tens to hundreds of shapes). Everything static
//! about placement, eligibility and the static part of a score, is decided per shape, once.
//!
//! # Levels
//! Everything dynamic about a worker is folded into one small integer, its *level* (0 best, up to
//! [`LEVELS`] − 1), computed by the placement policy from the worker's load, health and thermal state.
//! Each shape keeps its schedulable workers that have room in one roaring bitmap per level, plus a bit
//! mask of the non-empty levels, so "the best worker of this shape" is a `trailing_zeros` and a `min`.
//! A placement or release moves one worker between two bitmaps of one shape: O(1), whatever the pool
//! size and however many classes the worker serves.
//!
//! Derived state: rebuilt from the worker components by re-leveling every worker.

use bevy_ecs::prelude::*;
use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;

use crate::family::ModelFamily;
use crate::history::{ModelRuns, RunStats};
use crate::ids::{ClassId, RequirementsId, WorkerSlot};
use crate::worker::{Capabilities, Load};

/// How many load levels there are (one bit each in a `u64` mask).
pub const LEVELS: usize = 64;

/// A shape's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShapeId(pub u32);

impl ShapeId {
    /// The id as an index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Workers with identical capabilities.
#[derive(Debug)]
pub struct Shape {
    /// The capabilities every worker of the shape has.
    pub capabilities: Capabilities,
    /// Live workers of the shape.
    pub workers: RoaringBitmap,
    /// Schedulable workers with room, by level.
    pub levels: Vec<RoaringBitmap>,
    /// The requirement sets this shape meets (decided when the shape or the set first appears).
    pub requirement_sets: Vec<RequirementsId>,
    /// The classes that may use this shape, so a release can reach the blocked ones.
    pub classes: Vec<ClassId>,
    /// Whether `requirement_sets` and `classes` were filled (the index stage does it for new shapes).
    pub linked: bool,
    /// Run statistics of the shape's workers, per family (normalized durations).
    pub history: [RunStats; ModelFamily::COUNT],
    /// Run statistics of the shape's workers, per model (normalized durations).
    pub models: ModelRuns,
    /// Whether the shape is listed in [`Shapes::history_changed`].
    pub history_changed: bool,
    /// Per requirement set (by index), what one of its tasks takes from the other sets on an idle
    /// worker of the shape (filled on first use by the scarcity charge of idle workers).
    pub idle_blocks: Vec<Option<IdleBlocks>>,
}

/// What one task of a requirement set takes, on an idle worker of a shape, from the other sets the
/// shape meets: how many fewer of their tasks the worker could still take. Static (capabilities and
/// requirements do not change); computed again only when the shape comes to meet more sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdleBlocks {
    /// How many of the shape's requirement sets were weighed (`requirement_sets` only grows).
    pub sets_weighed: usize,
    /// Whether the task fits on an idle worker at all.
    pub fits: bool,
    /// The other sets it blocks seats of, and how many (up to the scarcity count's cap).
    pub blocked: Vec<(RequirementsId, u32)>,
}

/// A set of shapes, as a bit set over shape ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShapeSet {
    words: Vec<u64>,
}

impl ShapeSet {
    /// Adds `shape`; true if it was not there.
    pub fn insert(&mut self, shape: ShapeId) -> bool {
        let word = shape.index() / 64;
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        let bit = 1u64 << (shape.index() % 64);
        let added = self.words[word] & bit == 0;
        self.words[word] |= bit;
        added
    }

    /// Removes `shape`; true if it was there.
    pub fn remove(&mut self, shape: ShapeId) -> bool {
        let word = shape.index() / 64;
        let bit = 1u64 << (shape.index() % 64);
        match self.words.get_mut(word) {
            Some(value) if *value & bit != 0 => {
                *value &= !bit;
                true
            }
            _ => false,
        }
    }

    /// Whether `shape` is in the set.
    #[inline]
    pub fn contains(&self, shape: ShapeId) -> bool {
        self.words.get(shape.index() / 64).is_some_and(|word| word & (1 << (shape.index() % 64)) != 0)
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|word| *word = 0);
    }

    /// The word holding shapes `64 * index ..`, zero past the end.
    #[inline]
    pub fn word(&self, index: usize) -> u64 {
        self.words.get(index).copied().unwrap_or(0)
    }

    /// Adds every shape of `other`.
    pub fn union_with(&mut self, other: &ShapeSet) {
        if self.words.len() < other.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (word, &bits) in self.words.iter_mut().zip(&other.words) {
            *word |= bits;
        }
    }

    /// How many words the set spans.
    #[inline]
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// Whether every shape of this set is in `other`.
    pub fn is_subset(&self, other: &ShapeSet) -> bool {
        self.words.iter().enumerate().all(|(index, &word)| word & !other.word(index) == 0)
    }

    /// Whether the set holds no shape.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&word| word == 0)
    }

    /// The only shape in the set, if it holds exactly one.
    pub fn single(&self) -> Option<ShapeId> {
        let mut found = None;
        for (index, &word) in self.words.iter().enumerate() {
            if word == 0 {
                continue;
            }
            if found.is_some() || word.count_ones() > 1 {
                return None;
            }
            found = Some(ShapeId((index * 64) as u32 + word.trailing_zeros()));
        }
        found
    }
}

/// Every shape, and each worker's shape and level.
#[derive(Resource, Debug)]
pub struct Shapes {
    /// Shapes whose history changed since classes last re-scored them.
    pub history_changed: Vec<ShapeId>,
    by_capabilities: FxHashMap<Capabilities, ShapeId>,
    /// Shapes, indexed by [`ShapeId`].
    pub shapes: Vec<Shape>,
    /// Each worker slot's shape.
    pub shape_of: Vec<ShapeId>,
    /// Each worker slot's level, if it is listed (schedulable with room).
    pub level_of: Vec<Option<u8>>,
    /// Per shape, bit `l` set when the shape has a worker listed at level `l`. Kept apart from the shapes
    /// in one dense array, because a search reads it for many shapes and nothing else of most of them.
    pub nonempty: Vec<u64>,
    /// For each level, the shapes with a worker listed at that level.
    pub shapes_at_level: Vec<ShapeSet>,
    /// Bit `l` is set when some shape has a worker at level `l`.
    pub levels_in_use: u64,
    /// Shapes with a worker listed at any level (a non-zero `nonempty`).
    pub listed: ShapeSet,
    shape_count_at_level: Vec<u32>,
    /// For the packing policies only (see [`Shapes::set_pack_state`]): per shape, its listed workers
    /// grouped by their load, so a packing scan weighs each distinct (shape, load) once.
    pack_groups: Vec<FxHashMap<Load, std::collections::BTreeSet<u32>>>,
    /// Each slot's load as filed in `pack_groups`, if it is.
    pack_state: Vec<Option<Load>>,
}

impl Default for Shapes {
    fn default() -> Self {
        Shapes {
            history_changed: Vec::new(),
            by_capabilities: FxHashMap::default(),
            shapes: Vec::new(),
            shape_of: Vec::new(),
            level_of: Vec::new(),
            nonempty: Vec::new(),
            shapes_at_level: vec![ShapeSet::default(); LEVELS],
            levels_in_use: 0,
            listed: ShapeSet::default(),
            shape_count_at_level: vec![0; LEVELS],
            pack_groups: Vec::new(),
            pack_state: Vec::new(),
        }
    }
}

impl Shapes {
    /// The shape of `capabilities`, created on first sight (then `true`).
    pub fn intern(&mut self, capabilities: &Capabilities) -> (ShapeId, bool) {
        if let Some(&id) = self.by_capabilities.get(capabilities) {
            return (id, false);
        }
        let id = ShapeId(self.shapes.len() as u32);
        self.by_capabilities.insert(capabilities.clone(), id);
        self.nonempty.push(0);
        self.shapes.push(Shape {
            capabilities: capabilities.clone(),
            workers: RoaringBitmap::new(),
            levels: vec![RoaringBitmap::new(); LEVELS],
            requirement_sets: Vec::new(),
            classes: Vec::new(),
            linked: false,
            history: [RunStats::default(); ModelFamily::COUNT],
            models: ModelRuns::default(),
            history_changed: false,
            idle_blocks: Vec::new(),
        });
        (id, true)
    }

    /// Adds a worker to its shape (not listed at any level until [`Shapes::set_level`]).
    pub fn join(&mut self, slot: WorkerSlot, shape: ShapeId) {
        if self.shape_of.len() <= slot.index() {
            self.shape_of.resize(slot.index() + 1, ShapeId(0));
            self.level_of.resize(slot.index() + 1, None);
        }
        self.shape_of[slot.index()] = shape;
        self.level_of[slot.index()] = None;
        self.shapes[shape.index()].workers.insert(slot.0);
    }

    /// Removes a worker from its shape.
    pub fn leave(&mut self, slot: WorkerSlot) {
        self.set_level(slot, None);
        self.set_pack_state(slot, None);
        let shape = self.shape_of[slot.index()];
        self.shapes[shape.index()].workers.remove(slot.0);
    }

    /// Files a listed worker under its load for the packing scan (`None`: not listed). Kept only under
    /// the packing policies; workers of one shape and one load weigh the same for every packing cost.
    pub fn set_pack_state(&mut self, slot: WorkerSlot, load: Option<Load>) {
        if self.pack_state.len() <= slot.index() {
            self.pack_state.resize(slot.index() + 1, None);
        }
        if self.pack_state[slot.index()] == load {
            return;
        }
        let shape = self.shape_of[slot.index()].index();
        if self.pack_groups.len() <= shape {
            self.pack_groups.resize_with(shape + 1, FxHashMap::default);
        }
        if let Some(old) = self.pack_state[slot.index()].take() {
            let groups = &mut self.pack_groups[shape];
            if let Some(members) = groups.get_mut(&old) {
                members.remove(&slot.0);
                if members.is_empty() {
                    groups.remove(&old);
                }
            }
        }
        if let Some(load) = load {
            self.pack_groups[shape].entry(load.clone()).or_default().insert(slot.0);
            self.pack_state[slot.index()] = Some(load);
        }
    }

    /// The listed workers of `shape` grouped by load (filed under the packing policies only).
    pub fn pack_groups(&self, shape: ShapeId) -> impl Iterator<Item = (&Load, &std::collections::BTreeSet<u32>)> {
        self.pack_groups.get(shape.index()).into_iter().flatten()
    }

    /// The load a slot is filed under for the packing scan, if it is.
    pub fn pack_state(&self, slot: WorkerSlot) -> Option<&Load> {
        self.pack_state.get(slot.index()).and_then(Option::as_ref)
    }

    /// Lists the worker at `level`, or unlists it (`None`: not schedulable, or no room).
    pub fn set_level(&mut self, slot: WorkerSlot, level: Option<u8>) {
        let old = self.level_of[slot.index()];
        if old == level {
            return;
        }
        let shape_id = self.shape_of[slot.index()];
        let shape = &mut self.shapes[shape_id.index()];
        let nonempty = &mut self.nonempty[shape_id.index()];
        if let Some(old) = old {
            let members = &mut shape.levels[usize::from(old)];
            members.remove(slot.0);
            if members.is_empty() {
                *nonempty &= !(1 << old);
                self.shapes_at_level[usize::from(old)].remove(shape_id);
                self.shape_count_at_level[usize::from(old)] -= 1;
                if self.shape_count_at_level[usize::from(old)] == 0 {
                    self.levels_in_use &= !(1 << old);
                }
            }
        }
        if let Some(level) = level {
            assert!(usize::from(level) < LEVELS, "level {level} out of range");
            shape.levels[usize::from(level)].insert(slot.0);
            if *nonempty & (1 << level) == 0 {
                *nonempty |= 1 << level;
                self.shapes_at_level[usize::from(level)].insert(shape_id);
                self.shape_count_at_level[usize::from(level)] += 1;
                self.levels_in_use |= 1 << level;
            }
        }
        if self.nonempty[shape_id.index()] == 0 {
            self.listed.remove(shape_id);
        } else {
            self.listed.insert(shape_id);
        }
        self.level_of[slot.index()] = level;
    }

    /// The shape of the worker in `slot`.
    #[inline]
    pub fn shape(&self, slot: WorkerSlot) -> &Shape {
        &self.shapes[self.shape_of[slot.index()].index()]
    }
}

//! Identifiers: the stable external ids that cross the API, wire and persistence boundaries
//! (`TaskId`, `WorkerId`), and the dense internal keys (`WorkerSlot`, `RequirementsId`, `ClassId`).
//!
//! Architecture invariant: a bevy `Entity` never leaves the engine; only `TaskId` and `WorkerId` do.

use std::fmt;

/// A task's id, chosen by the coordinator that submits it. Unique over the engine's lifetime:
/// an id that was ever accepted is never accepted again (so a resent submission cannot run twice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u64);

/// A worker's id, chosen by the coordinator that registers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerId(pub u64);

/// A dense index for a live worker, reused after the worker leaves (through a free list).
/// It keys the roaring bitmaps of the capability index and every per-worker column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerSlot(pub u32);

/// An interned set of hard requirements (capability filters plus the resources one task reserves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequirementsId(pub u32);

/// A requirement class: tasks with the same requirements and the same scoring profile (model family).
/// Tasks of one class are interchangeable for placement, so one candidate heap serves them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "w{}", self.0)
    }
}

impl WorkerSlot {
    /// The slot as an index into per-worker columns.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl RequirementsId {
    /// The id as an index into the requirement table.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ClassId {
    /// The id as an index into the class table.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

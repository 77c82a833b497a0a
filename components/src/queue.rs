//! Queues of the match stage: the pending queue of a class (one FIFO per priority level, with aging)
//! and the wait lists of concurrency keys.
//!
//! Both are lazy: a cancelled or already-placed task stays in its queue until it reaches the head,
//! where the match stage sees from its [`Lifecycle`](crate::Lifecycle) that it is no longer pending and
//! drops it.

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use crate::clock::Timestamp;
use crate::symbols::Symbol;
use crate::task::PRIORITY_LEVELS;

/// A task waiting in a pending queue (24 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The task.
    pub entity: Entity,
    /// When it entered the queue (its wait, for aging, counts from here).
    pub enqueued_at: Timestamp,
    /// Its place in the order of admission, across classes: between heads of equal urgency the earlier
    /// one goes first, so tasks of different classes submitted together keep their order.
    pub sequence: u64,
}

/// How urgent a queue head is: its priority level plus its aging credit. Larger goes first.
pub type Urgency = u128;

/// The urgency of a task of `priority` that has waited `wait_ns`: each `aging_step_ns` of waiting is
/// worth one priority level, so a low priority is never starved forever. With `aging_step_ns == 0`
/// aging is off and the level alone decides (older first within a level).
#[inline]
pub fn urgency(priority: u8, wait_ns: u64, aging_step_ns: u64) -> Urgency {
    let step = if aging_step_ns == 0 { 1u128 << 64 } else { u128::from(aging_step_ns) };
    u128::from(priority) * step + u128::from(wait_ns)
}

/// The head of a pending queue: what decides which class places next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Priority plus aging credit; larger goes first.
    pub urgency: Urgency,
    /// The priority level it sits in.
    pub level: u8,
    /// Its admission sequence; smaller goes first between equal urgencies.
    pub sequence: u64,
}

impl Head {
    /// A key under which a max-heap pops the head that should go first.
    pub fn order(self) -> (Urgency, std::cmp::Reverse<u64>) {
        (self.urgency, std::cmp::Reverse(self.sequence))
    }
}

/// The pending queue of one class: a FIFO per priority level.
#[derive(Debug, Default)]
pub struct PendingQueue {
    levels: [VecDeque<Queued>; PRIORITY_LEVELS],
    len: usize,
}

impl PendingQueue {
    /// Appends a newly pending task.
    pub fn push_back(&mut self, priority: u8, queued: Queued) {
        self.levels[usize::from(priority)].push_back(queued);
        self.len += 1;
    }

    /// Puts a requeued task at the front of its level: it already waited its turn once.
    pub fn push_front(&mut self, priority: u8, queued: Queued) {
        self.levels[usize::from(priority)].push_front(queued);
        self.len += 1;
    }

    /// Entries in the queue, including stale ones not yet dropped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the queue has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most urgent head at `now`: its urgency, level and admission sequence.
    /// Ties go to the higher level (the head that did not need aging to get there).
    pub fn head(&self, now: Timestamp, aging_step_ns: u64) -> Option<Head> {
        let mut best: Option<Head> = None;
        for (level, fifo) in self.levels.iter().enumerate() {
            if let Some(queued) = fifo.front() {
                let level = level as u8;
                let candidate = urgency(level, now.since(queued.enqueued_at), aging_step_ns);
                if best.is_none_or(|best| candidate >= best.urgency) {
                    best = Some(Head { urgency: candidate, level, sequence: queued.sequence });
                }
            }
        }
        best
    }

    /// The head of `level`, left in place.
    pub fn front(&self, level: u8) -> Option<&Queued> {
        self.levels[usize::from(level)].front()
    }

    /// Removes and returns the head of `level`.
    pub fn pop(&mut self, level: u8) -> Option<Queued> {
        let queued = self.levels[usize::from(level)].pop_front()?;
        self.len -= 1;
        Some(queued)
    }

    /// Every entry, level by level from the most urgent, in queue order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &Queued)> {
        self.levels
            .iter()
            .enumerate()
            .rev()
            .flat_map(|(level, fifo)| fifo.iter().map(move |queued| (level as u8, queued)))
    }
}

/// A concurrency key: at most one task holding it runs at a time; the others wait here, by urgency.
#[derive(Debug, Default)]
pub struct KeyState {
    /// The task holding the key (assigned or running), if any.
    pub holder: Option<Entity>,
    /// Tasks that reached the head of their class queue while the key was held, in arrival order.
    pub waiting: VecDeque<Entity>,
}

/// Every concurrency key in use.
#[derive(Resource, Debug, Default)]
pub struct ConcurrencyKeys {
    /// Keys with a holder or waiters. A key with neither is removed.
    pub keys: FxHashMap<Symbol, KeyState>,
}

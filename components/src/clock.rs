//! Engine time and randomness. Time enters the engine only through [`Clock`], which only the facade writes
//! (at the start of each tick, from the `now` it is given). Systems read it; none reads the wall clock.

use bevy_ecs::prelude::*;

/// A point in engine time, in nanoseconds since the engine's epoch (whatever the embedder chose).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The epoch.
    pub const ZERO: Timestamp = Timestamp(0);

    /// A timestamp `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Timestamp {
        Timestamp(ms.saturating_mul(1_000_000))
    }

    /// A timestamp `s` seconds after the epoch.
    pub const fn from_secs(s: u64) -> Timestamp {
        Timestamp(s.saturating_mul(1_000_000_000))
    }

    /// Nanoseconds from `earlier` to `self`, zero if `earlier` is later.
    #[inline]
    pub fn since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// This timestamp plus `ns` nanoseconds, saturating.
    #[inline]
    pub fn plus_ns(self, ns: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(ns))
    }

    /// Seconds since the epoch, for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

/// The engine's clock: the time of the current tick, and how many ticks have run.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct Clock {
    /// The time of the tick being run (or of the last tick, between ticks).
    pub now: Timestamp,
    /// How many ticks have started.
    pub tick_count: u64,
}

/// The engine's own source of randomness (the `random` and `power-of-two` policies): a PCG-64 stream
/// seeded from the config, so a run stays a pure function of its seed and inputs.
#[derive(Resource, Clone, Debug)]
pub struct Randomness {
    /// The generator.
    pub rng: rand_pcg::Pcg64Mcg,
}

impl Randomness {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Randomness {
        use rand::SeedableRng;
        Randomness { rng: rand_pcg::Pcg64Mcg::seed_from_u64(seed) }
    }
}

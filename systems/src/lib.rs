//! Systems of the Ballast scheduling engine: one stage of the tick per file, each a thin shell around
//! pure helpers that hold the decisions.
//!
//! The stages, in order (declared once, in the engine's `schedule` module):
//! [`admit`] → [`health`] → [`analysis`] → [`index`] → [`matching`] → [`steal`] → [`complete`] and [`report`].
//! [`pool`] holds the shared state and the operations that keep it consistent; [`explain`] answers
//! "why is this task where it is".
//!
//! Architecture invariant: systems never read the wall clock, never do IO and never draw unseeded
//! random numbers; time comes from the `Clock` resource.

pub mod admit;
pub mod analysis;
pub mod complete;
pub mod explain;
pub mod forecast;
pub mod health;
pub mod index;
pub mod matching;
pub mod packing;
pub mod policy;
pub mod pool;
pub mod predict;
pub mod report;
pub mod scarcity;
pub mod steal;

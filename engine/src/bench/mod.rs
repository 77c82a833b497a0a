//! The benchmark harness behind `ballast bench`: what the engine is measured by.
//!
//! - [`quality`]: `ballast bench quality`, every policy on the same seeded scenarios.
//! - [`scale`]: `ballast bench scale`, the engine at growing pool sizes (throughput, tick time, memory).
//!
//! Criterion benchmarks of the engine's parts live in the `benches/` crate.

pub mod quality;
pub mod scale;

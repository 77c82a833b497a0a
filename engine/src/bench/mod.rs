//! The benchmark harness behind `ballast bench`: what the engine is measured by.
//!
//! - [`quality`]: `ballast bench quality`, every policy on the same seeded scenarios.
//! - [`scale`]: `ballast bench scale`, the engine at growing pool sizes (throughput, tick time, memory).
//! - [`service`]: `ballast bench service`, a load generator for `ballast serve` over loopback sockets
//!   (with [`http`], a small HTTP/1.1 client).
//!
//! Criterion benchmarks of the engine's parts live in the `benches/` crate.

pub mod http;
pub mod quality;
pub mod scale;
pub mod service;

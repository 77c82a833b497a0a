//! Ballast's integration tests: one binary, one module per feature area.

mod analysis;
mod bad_input;
mod check;
mod ci;
mod determinism;
mod fuzz;
mod handle;
mod invariants;
mod pipeline;
mod policies;
mod quality;
mod record;
mod scale;
mod schedule;
mod systems;
mod tidy;

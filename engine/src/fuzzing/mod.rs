//! The bodies of the fuzz targets in `fuzz/`: each is a library function that `cargo test` also runs
//! over fixed inputs, so a crash found by a campaign becomes a regression test here.
//!
//! - [`commands`]: a stream of coordinator commands against the engine, with its consistency check.

pub mod commands;

pub use commands::run_command_stream;

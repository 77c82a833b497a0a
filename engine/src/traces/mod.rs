//! Real traces replayed through Ballast: each loader reads one published format (naming the line and
//! the field of every problem) and each replay follows the protocol its figures were published with.
//!
//! - [`ci`]: `ballast replay ci`, a real CI history (RETECS) replayed cycle by cycle onto a pool of agents.
//! - [`openb`]: `ballast replay openb`, the Alibaba GPU-sharing trace under the packing policies.
//! - [`swf`]: `ballast replay swf`, windows of a batch-queue log (Standard Workload Format) on one machine.
//! - [`events`]: `ballast replay events` of an embedded engine's recording (Ballast's own trace format,
//!   [`crate::record`]), verbatim or what-if; a simulated run's recording replays in [`crate::sim::replay`].
//! - [`input`]: opens plain or gzip-compressed workload files.

pub mod ci;
pub mod events;
pub mod input;
pub mod openb;
pub mod swf;

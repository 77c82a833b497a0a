//! Recordings: every inbound command and outbound event of a run, in order, one JSON object per line.
//!
//! The format is specified, kind by kind and field by field, in `docs/RECORDING.md` (format version
//! [`VERSION`]). In short: a `header` line names the format, its version and the engine config; then
//! `command.*` lines for what came in (queued for the next tick unless `"apply":"now"`), a `tick` line
//! each time the engine ran, `event.*` lines for what it answered, and `sim.*` lines in simulated runs
//! (the simulator's ground truth: worker speeds, arrival times, task work). Every line carries `t`, the
//! engine's time in nanoseconds when it was written. An `end` line closes a complete recording.
//!
//! Writing ([`Recorder`]) clones commands and events into batches on the caller's thread and leaves
//! serializing and writing to a writer thread, over a bounded channel: the engine never waits on JSON
//! or the disk, and memory stays bounded. Reading ([`Reader`]) streams line by line; every error names
//! its line.

mod config;
mod dto;
mod history;
mod reader;
mod writer;

pub use config::ConfigDto;
pub use dto::{
    Browsers, GpuDto, Hardware, Header, KINDS, Line, NO_TIME, Named, PastRunDto, PoolDto, RequirementsDto, SimHeader,
    SimTaskDto, StableName, TaskDto, UtilizationDto, WorkerDto,
};
pub use history::{HistoryWriter, RUNS_KEPT_PER_KEY, compact, load_history};
pub use reader::Reader;
pub use writer::{RecordStats, Recorder};

/// The `format` field of every recording's header.
pub const FORMAT: &str = "ballast-recording";

/// The format version this build writes; it reads this version and every earlier one.
pub const VERSION: u32 = 1;

/// Adds one assignment or move (tick time, task, worker, attempt) to a `trace_hash`: the one definition the
/// simulator and both replays hash with, so their hashes compare.
pub fn hash_assignment(trace: &mut xxhash_rust::xxh3::Xxh3, t: u64, task: u64, worker: u64, attempt: u8) {
    trace.update(&t.to_le_bytes());
    trace.update(&task.to_le_bytes());
    trace.update(&worker.to_le_bytes());
    trace.update(&[attempt]);
}

/// Whether a command was queued for the next tick or applied at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Apply {
    /// Queued with [`crate::Engine::push`] (or sent to the handle): applied at the next tick.
    #[default]
    Tick,
    /// Applied at once by a direct call ([`crate::Engine::submit`], …).
    Now,
}

impl Apply {
    pub(crate) fn is_tick(&self) -> bool {
        *self == Apply::Tick
    }
}

/// Why a recording could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Reading or writing failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("the recording is empty (no header line)")]
    Empty,
    /// The first line is not a header of this format.
    #[error("line 1 is not a ballast recording header: {0}")]
    NotARecording(String),
    /// A newer build wrote it.
    #[error("the recording has format version {found}; this build reads versions up to {supported}")]
    NewerVersion {
        /// Its version.
        found: u32,
        /// The newest this build reads.
        supported: u32,
    },
    /// A line is not JSON (or not UTF-8).
    #[error("line {line}: not JSON: {message}")]
    NotJson {
        /// 1-based line number.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// A line has a kind this version does not know.
    #[error("line {line}: unknown kind `{kind}`")]
    UnknownKind {
        /// 1-based line number.
        line: u64,
        /// The kind.
        kind: String,
    },
    /// A line is JSON of a known kind, but a field is missing or wrong.
    #[error("line {line}: {message}")]
    BadLine {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A line refers to something the recording never introduced, or contradicts an earlier line.
    #[error("line {line}: {message}")]
    Inconsistent {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The writer thread stopped.
    #[error("the recording's writer stopped: {0}")]
    WriterStopped(String),
}

//! History files: what the engine learned (past runs), kept across restarts.
//!
//! A history file is a recording (the same versioned format, `docs/RECORDING.md`) whose header says
//! `"source":"history"` and whose lines are `command.import_history` batches, oldest first, closed by an
//! `end` line. Loading reads it as a stream and gives the runs to [`crate::Engine::import_history`];
//! saving writes a new file beside the old one, batch by batch from a writer thread (off the engine's
//! thread), and renames it over the old one only once it is complete, so a crash never leaves a
//! half-written history in its place.
//!
//! Why not SQLite: the history is loaded whole at start and only appended to while running, which a
//! line format does in a streaming pass with no C library to build; it shares its reader, its versioning
//! and its error reporting (every problem names its line) with recordings; and a file that is cut short
//! still loads up to where it stops, with a warning.
//!
//! The file stays bounded: on saving, only the last [`RUNS_KEPT_PER_KEY`] runs of each (worker, model or
//! family) are kept, which is all the engine's moving averages still feel (a weight of 1/8 per run leaves
//! the 32nd run from the end under 2% of the average).

use std::fs::File;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use ballast_components::config::EngineConfig;

use super::{ConfigDto, FORMAT, Header, Line, PastRunDto, Reader, RecordError, RecordStats, Recorder, VERSION};
use ballast_components::history::PastRun;

/// Runs kept per (worker, model or family) when a history is saved.
pub const RUNS_KEPT_PER_KEY: usize = 32;

/// Runs per `command.import_history` line.
const RUNS_PER_LINE: usize = 1_024;

/// The runs of the history file at `path`, oldest first, and warnings; no file is an empty history.
pub fn load_history(path: &Path) -> Result<(Vec<PastRun>, Vec<String>), RecordError> {
    if !path.exists() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut reader = Reader::open(path)?;
    if reader.header().source != "history" {
        return Err(RecordError::Inconsistent {
            line: 1,
            message: format!(
                "{} is a recording of source `{}`, not a history file",
                path.display(),
                reader.header().source
            ),
        });
    }
    let mut runs = Vec::new();
    while let Some(line) = reader.next_line()? {
        match line {
            Line::ImportHistory { runs: batch, .. } => {
                if let Some(run) = batch.iter().find(|run| run.duration_ns > ballast_components::history::RUN_NS_MAX) {
                    return Err(RecordError::BadLine {
                        line: reader.line_number(),
                        message: format!(
                            "a run of {} ns, over {} (30 days)",
                            run.duration_ns,
                            ballast_components::history::RUN_NS_MAX
                        ),
                    });
                }
                runs.extend(batch.iter().map(PastRunDto::to_run));
            }
            Line::End { .. } => {}
            other => {
                return Err(RecordError::Inconsistent {
                    line: reader.line_number(),
                    message: format!("a `{}` line in a history file", other.kind()),
                });
            }
        }
    }
    Ok((runs, reader.warnings().to_vec()))
}

/// The last [`RUNS_KEPT_PER_KEY`] runs of each (worker, model or family), in their order.
pub fn compact(runs: &[PastRun]) -> Vec<PastRun> {
    let mut seen: FxHashMap<(u64, Option<&str>, u8), usize> = FxHashMap::default();
    let mut keep = vec![false; runs.len()];
    for (index, run) in runs.iter().enumerate().rev() {
        let count = seen.entry((run.worker.0, run.model.as_deref(), run.family as u8)).or_default();
        if *count < RUNS_KEPT_PER_KEY {
            *count += 1;
            keep[index] = true;
        }
    }
    runs.iter().zip(keep).filter(|(_, keep)| *keep).map(|(run, _)| run.clone()).collect()
}

/// A history file being written: the runs it started with, then new ones as they come.
pub struct HistoryWriter {
    recorder: Option<Recorder>,
    pending: Vec<PastRun>,
    temporary: PathBuf,
    path: PathBuf,
}

impl HistoryWriter {
    /// Starts writing the history for `path` (to a temporary file beside it) with `runs` (compacted)
    /// first.
    pub fn create(path: &Path, config: &EngineConfig, runs: &[PastRun]) -> Result<HistoryWriter, RecordError> {
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".writing");
        let temporary = PathBuf::from(temporary);
        let file = File::create(&temporary)
            .map_err(|source| RecordError::Io { context: format!("creating {}", temporary.display()), source })?;
        let header = Line::Header(Box::new(Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            ballast_version: env!("CARGO_PKG_VERSION").to_owned(),
            source: "history".to_owned(),
            config: ConfigDto::from(config),
            sim: None,
        }));
        let mut writer = HistoryWriter {
            recorder: Some(Recorder::new(Box::new(file), &header)?),
            pending: Vec::with_capacity(RUNS_PER_LINE),
            temporary,
            path: path.to_owned(),
        };
        for run in compact(runs) {
            writer.add(run);
        }
        Ok(writer)
    }

    /// Adds a run; runs are written in batches.
    pub fn add(&mut self, run: PastRun) {
        self.pending.push(run);
        if self.pending.len() >= RUNS_PER_LINE {
            self.write_pending();
        }
    }

    fn write_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.write(&Line::ImportHistory { t: 0, runs: self.pending.iter().map(PastRunDto::of).collect() });
        }
        self.pending.clear();
    }

    /// Writes what is left and the `end` line, then puts the file in place of the old one.
    pub fn finish(mut self) -> Result<RecordStats, RecordError> {
        self.write_pending();
        let Some(recorder) = self.recorder.take() else { unreachable!("finish consumes the writer") };
        let stats = recorder.finish(0)?;
        std::fs::rename(&self.temporary, &self.path).map_err(|source| RecordError::Io {
            context: format!("moving {} to {}", self.temporary.display(), self.path.display()),
            source,
        })?;
        Ok(stats)
    }
}

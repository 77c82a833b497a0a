//! Writing a recording without slowing the engine: the engine's thread only clones each command and
//! event into a batch; a writer thread turns batches into JSON lines and writes them. Batches travel
//! over a bounded channel, so memory stays bounded (a writer that falls behind makes the engine wait
//! rather than grow a backlog), and emptied batches come back for reuse.

use std::io::Write;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, bounded};

use ballast_components::message::{Command, Event};

use super::{Apply, Line, RecordError};

/// Items per batch handed to the writer thread.
const BATCH_ITEMS: usize = 4_096;
/// Batches in flight to the writer thread.
const BATCHES_IN_FLIGHT: usize = 4;
/// The writer thread writes its output in pieces of this size.
const WRITE_BYTES: usize = 1 << 18;

/// What a finished recording holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordStats {
    /// Lines written (the header and the `end` line included).
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// One thing to write, in the engine's order.
enum Item {
    Command {
        t: u64,
        apply: Apply,
        command: Command,
    },
    Event {
        t: u64,
        event: Event,
    },
    Tick {
        t: u64,
    },
    /// A line serialized by the caller (rare lines: the header, history, the simulator's own).
    Serialized(Vec<u8>),
    End {
        t: u64,
    },
}

/// Writes a recording, one line at a time.
pub struct Recorder {
    batch: Vec<Item>,
    sender: Option<Sender<Vec<Item>>>,
    /// Batches the writer thread has emptied, for reuse.
    spare: Receiver<Vec<Item>>,
    thread: Option<JoinHandle<std::io::Result<RecordStats>>>,
    failure: Option<String>,
}

impl Recorder {
    /// A recorder writing to `sink`, starting with `header` (a [`Line::Header`]).
    pub fn new(sink: Box<dyn Write + Send>, header: &Line<'_>) -> Result<Recorder, RecordError> {
        let (sender, receiver) = bounded::<Vec<Item>>(BATCHES_IN_FLIGHT);
        let (give_back, spare) = bounded::<Vec<Item>>(BATCHES_IN_FLIGHT + 1);
        let thread = std::thread::Builder::new()
            .name("ballast-recorder".to_owned())
            .spawn(move || write_batches(sink, &receiver, &give_back))
            .map_err(|source| RecordError::Io { context: "starting the recording's writer".to_owned(), source })?;
        let mut recorder = Recorder {
            batch: Vec::with_capacity(BATCH_ITEMS),
            sender: Some(sender),
            spare,
            thread: Some(thread),
            failure: None,
        };
        recorder.write(header);
        Ok(recorder)
    }

    fn push(&mut self, item: Item) {
        if self.failure.is_some() {
            return;
        }
        self.batch.push(item);
        if self.batch.len() >= BATCH_ITEMS {
            self.hand_over();
        }
    }

    /// Appends a command applied (or queued) at `t`.
    pub fn command(&mut self, t: u64, apply: Apply, command: &Command) {
        self.push(Item::Command { t, apply, command: command.clone() });
    }

    /// Appends an event produced at `t`.
    pub fn event(&mut self, t: u64, event: &Event) {
        self.push(Item::Event { t, event: event.clone() });
    }

    /// Appends a tick at `t`.
    pub fn tick(&mut self, t: u64) {
        self.push(Item::Tick { t });
    }

    /// Appends any line, serialized now.
    pub fn write(&mut self, line: &Line<'_>) {
        let mut bytes = Vec::with_capacity(256);
        match serde_json::to_writer(&mut bytes, line) {
            Ok(()) => self.push(Item::Serialized(bytes)),
            Err(error) => self.failure = Some(format!("serializing a {} line: {error}", line.kind())),
        }
    }

    fn hand_over(&mut self) {
        let fresh = self.spare.try_recv().unwrap_or_else(|_| Vec::with_capacity(BATCH_ITEMS));
        let batch = std::mem::replace(&mut self.batch, fresh);
        let Some(sender) = &self.sender else { return };
        if sender.send(batch).is_err() {
            // The thread ended: its error is collected by `finish`.
            self.failure = Some("the writer thread stopped".to_owned());
            self.sender = None;
        }
    }

    /// Writes the `end` line, flushes, and waits for the writer.
    pub fn finish(mut self, t: u64) -> Result<RecordStats, RecordError> {
        self.push(Item::End { t });
        self.close()
    }

    fn close(&mut self) -> Result<RecordStats, RecordError> {
        if !self.batch.is_empty() && self.failure.is_none() {
            self.hand_over();
        }
        self.sender = None;
        let joined = self.thread.take().map(JoinHandle::join);
        let stats = match joined {
            Some(Ok(Ok(stats))) => stats,
            Some(Ok(Err(source))) => {
                return Err(RecordError::Io { context: "writing the recording".to_owned(), source });
            }
            Some(Err(_)) => return Err(RecordError::WriterStopped("the writer thread panicked".to_owned())),
            None => RecordStats::default(),
        };
        match self.failure.take() {
            Some(failure) => Err(RecordError::WriterStopped(failure)),
            None => Ok(stats),
        }
    }
}

impl Drop for Recorder {
    /// A recorder dropped without [`Recorder::finish`] still writes what it holds (without an `end`
    /// line, so readers see an unfinished recording).
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.close();
        }
    }
}

/// The writer thread: turns batches into lines and writes them.
fn write_batches(
    mut sink: Box<dyn Write + Send>,
    batches: &Receiver<Vec<Item>>,
    give_back: &Sender<Vec<Item>>,
) -> std::io::Result<RecordStats> {
    let mut out = Vec::with_capacity(WRITE_BYTES + 65_536);
    let mut stats = RecordStats::default();
    let line = |out: &mut Vec<u8>, stats: &mut RecordStats, item: &Item| -> std::io::Result<()> {
        let before = out.len();
        match item {
            Item::Command { t, apply, command } => {
                serde_json::to_writer(&mut *out, &Line::of_command(*t, *apply, command))?
            }
            Item::Event { t, event } => serde_json::to_writer(&mut *out, &Line::of_event(*t, event))?,
            Item::Tick { t } => serde_json::to_writer(&mut *out, &Line::Tick { t: *t })?,
            Item::Serialized(bytes) => out.extend_from_slice(bytes),
            Item::End { t } => serde_json::to_writer(&mut *out, &Line::End { t: *t, lines: stats.lines })?,
        }
        out.push(b'\n');
        stats.lines += 1;
        stats.bytes += (out.len() - before) as u64;
        Ok(())
    };
    for mut batch in batches {
        for item in &batch {
            line(&mut out, &mut stats, item)?;
            if out.len() >= WRITE_BYTES {
                sink.write_all(&out)?;
                out.clear();
            }
        }
        batch.clear();
        let _ = give_back.try_send(batch);
    }
    sink.write_all(&out)?;
    sink.flush()?;
    Ok(stats)
}

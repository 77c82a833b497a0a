//! The journal: every change of what the engine owes its coordinators, made durable in redb before
//! anyone is told of it, and the ledger those changes add up to.
//!
//! # Store
//! One redb file, `ballast.redb` in the data directory, with these tables:
//! - `journal`: batch number → the batch's lines (JSON, one per line, below); one batch per commit;
//! - `batch_last_seq`: batch number → the number of the last event in it (to keep the retained events);
//! - `snapshot`: chunk number → lines of the ledger at the batch `meta.snapshot_batch`;
//! - `history`: chunk number → past runs (`PastRunDto` lines), compacted at each snapshot;
//! - `meta`: `snapshot_batch`, `format`; `blobs`: `ended` (the ids of ended tasks, a roaring treemap).
//!
//! Journal lines: `{"seq":N,"event":{…}}` (an event in the wire form), `{"worker":{…}}` (a
//! registration accepted, a `WorkerDto`), `{"task":{…}}` (a submission accepted, a `TaskDto`),
//! `{"started":TASK}`, `{"devices":[TASK,MASK]}` (the GPU devices of the assignment just before),
//! `{"run":{…}}` (a past run for the history) and `{"tick_ns":T}` (the engine's time at the end of the
//! batch). Snapshot lines: `{"meta":{…}}`, `{"worker":{…},"draining":B}` and `{"task":{…},"order":O,
//! "on":W,"started":B,"devices":D,"attempts":A,"migrations":M}` (`on` and what follows it only for a
//! placed task).
//!
//! # Group commit
//! The journal thread takes every unit waiting (up to a bound), writes them in one write
//! transaction, commits (one fsync), then replies and publishes. While it commits, the engine thread
//! goes on and the next units queue up, so one fsync serves as many requests as arrived meanwhile.
//!
//! # Snapshots
//! Once the journal written since the last snapshot reaches `snapshot_after_bytes` and twice the
//! ledger's own size, the ledger is written as a snapshot in the same transaction as the batch it
//! covers, and the journal batches it covers are dropped, except those still holding retained events.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use roaring::RoaringTreemap;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::value::RawValue;

use ballast_components::history::PastRun;
use ballast_components::message::{Event, WorkerSpec};

use super::events::{Chunk, SharedHub};
use super::metrics::JournalMetrics;
use super::wire::{CommandResult, CommandsReply, ErrorBody};
use super::{Limits, ServeError};
use crate::engine::{RestoredPlacement, RestoredTask, RestoredWorker};
use crate::record::{Line, NO_TIME, PastRunDto, TaskDto, WorkerDto, compact};

const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");
const BATCH_LAST_SEQ: TableDefinition<u64, u64> = TableDefinition::new("batch_last_seq");
const SNAPSHOT: TableDefinition<u64, &[u8]> = TableDefinition::new("snapshot");
const HISTORY: TableDefinition<u64, &[u8]> = TableDefinition::new("history");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("blobs");

/// The store's format version (`meta.format`).
const FORMAT: u64 = 1;
/// Bytes per snapshot or history chunk: large enough that a chunk is one write, small enough to stream.
const CHUNK_BYTES: usize = 4 << 20;
/// The most units one commit takes (a bound on one transaction's size and on a reply's wait).
const UNITS_PER_COMMIT_MAX: usize = 512;

/// A change for the journal, made by the engine thread.
#[derive(Debug)]
pub enum Entry {
    /// A registration was accepted.
    Worker(WorkerSpec),
    /// A submission was accepted: the task's `TaskDto` JSON.
    Task {
        /// Its id.
        id: u64,
        /// Its JSON.
        json: Box<str>,
    },
    /// A worker started a task.
    Started {
        /// The task.
        task: u64,
    },
    /// An event, with its number.
    Event {
        /// Its number.
        seq: u64,
        /// The event.
        event: Event,
    },
    /// The GPU devices of the task's assignment just journaled.
    Devices {
        /// The task.
        task: u64,
        /// One bit per device.
        mask: u16,
    },
    /// A run for the performance history.
    Run(PastRun),
}

/// Where a request's results go once durable.
pub type Replier = tokio::sync::oneshot::Sender<Result<CommandsReply, ErrorBody>>;

/// What [`Ledger::restoration`] gives back: workers, live tasks in their order, ended ids, history.
pub type Restoration = (Vec<RestoredWorker>, Vec<RestoredTask>, RoaringTreemap, Vec<PastRun>);

/// What the engine thread hands over after a request or a tick: its changes, and the reply to send
/// once they are durable.
#[derive(Debug)]
pub struct Unit {
    /// The changes, in order.
    pub entries: Vec<Entry>,
    /// The engine's time after them.
    pub tick_ns: u64,
    /// The request's reply, sent after the commit.
    pub reply: Option<(Replier, Vec<CommandResult>)>,
}

/// A live task in the ledger.
#[derive(Clone, Debug)]
struct LedgerTask {
    json: Box<str>,
    order: u64,
    worker: Option<u64>,
    started: bool,
    attempts: u8,
    migrations: u8,
    devices: u16,
}

/// What the engine owes: live workers and tasks, where each task is, the ids of ended ones, the event
/// numbering and the clock, and the performance history.
#[derive(Debug, Default)]
pub struct Ledger {
    workers: FxHashMap<u64, (Box<str>, bool)>,
    tasks: FxHashMap<u64, LedgerTask>,
    ended: RoaringTreemap,
    /// The number of the last event.
    pub last_seq: u64,
    /// The engine's time at the last batch.
    pub tick_ns: u64,
    next_order: u64,
    runs: Vec<PastRun>,
    /// The JSON bytes of the live workers and tasks (kept as they change: a snapshot's size).
    json_bytes: u64,
}

impl Ledger {
    fn worker(&mut self, id: u64, json: Box<str>) {
        self.json_bytes += json.len() as u64 + 32;
        if let Some((old, _)) = self.workers.insert(id, (json, false)) {
            self.json_bytes -= old.len() as u64 + 32;
        }
    }

    fn remove_worker(&mut self, id: u64) {
        if let Some((old, _)) = self.workers.remove(&id) {
            self.json_bytes -= old.len() as u64 + 32;
        }
    }

    fn task(&mut self, id: u64, json: Box<str>) {
        let order = self.next_order;
        self.next_order += 1;
        let task = LedgerTask { json, order, worker: None, started: false, attempts: 0, migrations: 0, devices: 0 };
        self.insert_task(id, task);
    }

    fn insert_task(&mut self, id: u64, task: LedgerTask) {
        self.json_bytes += task.json.len() as u64 + 96;
        if let Some(old) = self.tasks.insert(id, task) {
            self.json_bytes -= old.json.len() as u64 + 96;
        }
    }

    fn started(&mut self, task: u64) {
        if let Some(entry) = self.tasks.get_mut(&task) {
            entry.started = true;
        }
    }

    fn devices(&mut self, task: u64, mask: u16) {
        if let Some(entry) = self.tasks.get_mut(&task) {
            entry.devices = mask;
        }
    }

    fn ended(&mut self, task: u64) {
        if let Some(old) = self.tasks.remove(&task) {
            self.json_bytes -= old.json.len() as u64 + 96;
        }
        self.ended.insert(task);
    }

    /// Folds in one event (in the recording's form).
    fn event(&mut self, seq: u64, line: &Line<'_>) {
        self.last_seq = self.last_seq.max(seq);
        let placed = |entry: &mut LedgerTask, worker: u64, attempt: u8| {
            entry.worker = Some(worker);
            entry.started = false;
            entry.attempts = attempt;
            entry.devices = 0;
        };
        match line {
            Line::TaskAssigned { task, worker, attempt, .. } => {
                if let Some(entry) = self.tasks.get_mut(task) {
                    placed(entry, *worker, *attempt);
                }
            }
            Line::TaskMigrated { task, to, attempt, .. } => {
                if let Some(entry) = self.tasks.get_mut(task) {
                    placed(entry, *to, *attempt);
                    entry.migrations = entry.migrations.saturating_add(1);
                }
            }
            Line::TaskRequeued { task, reason, .. } => {
                if let Some(entry) = self.tasks.get_mut(task) {
                    entry.worker = None;
                    entry.started = false;
                    entry.devices = 0;
                    // A task given back unstarted did not use up its attempt (see `Lifecycle::migrations`).
                    if reason == "released" {
                        entry.migrations = entry.migrations.saturating_add(1);
                    }
                }
            }
            Line::TaskDone { task, .. }
            | Line::TaskFailedForGood { task, .. }
            | Line::TaskCancelled { task, .. }
            | Line::TaskUnschedulable { task, .. } => self.ended(*task),
            Line::WorkerDraining { worker, .. } => {
                if let Some(entry) = self.workers.get_mut(worker) {
                    entry.1 = true;
                }
            }
            Line::WorkerRemoved { worker, .. } => self.remove_worker(*worker),
            _ => {}
        }
    }

    /// Live tasks, for the service's state.
    pub fn live_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// A rough size of the ledger in bytes (what a snapshot writes).
    fn bytes(&self) -> u64 {
        self.json_bytes + self.runs.len() as u64 * 96
    }

    /// What [`crate::Engine::restore`] needs, with the history; consumes the specs, keeps the numbering.
    pub fn restoration(&mut self) -> Result<Restoration, String> {
        let mut workers: Vec<(u64, RestoredWorker)> = Vec::with_capacity(self.workers.len());
        for (&id, (json, draining)) in &self.workers {
            let dto: WorkerDto<'_> =
                serde_json::from_str(json).map_err(|error| format!("worker {id} in the ledger: {error}"))?;
            workers.push((id, RestoredWorker { spec: dto.to_spec(), draining: *draining }));
        }
        workers.sort_by_key(|(id, _)| *id);
        let mut tasks: Vec<(u64, RestoredTask)> = Vec::with_capacity(self.tasks.len());
        for (&id, task) in &self.tasks {
            let dto: TaskDto<'_> =
                serde_json::from_str(&task.json).map_err(|error| format!("task {id} in the ledger: {error}"))?;
            let placement = task.worker.map(|worker| RestoredPlacement {
                worker: ballast_components::ids::WorkerId(worker),
                devices: task.devices,
                started: task.started,
            });
            tasks.push((
                task.order,
                RestoredTask { spec: dto.to_spec(), attempts: task.attempts, migrations: task.migrations, placement },
            ));
        }
        tasks.sort_by_key(|(order, _)| *order);
        let runs = compact(&self.runs);
        self.runs = runs.clone();
        Ok((
            workers.into_iter().map(|(_, worker)| worker).collect(),
            tasks.into_iter().map(|(_, task)| task).collect(),
            self.ended.clone(),
            runs,
        ))
    }
}

/// One line of the journal or of a snapshot, as read back (every field optional; which are present
/// says what the line is).
#[derive(Deserialize)]
struct LineIn<'a> {
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default, borrow)]
    event: Option<&'a RawValue>,
    #[serde(default, borrow)]
    worker: Option<&'a RawValue>,
    #[serde(default)]
    draining: bool,
    #[serde(default, borrow)]
    task: Option<&'a RawValue>,
    #[serde(default)]
    started: Option<serde_json::Value>,
    #[serde(default)]
    devices: Option<serde_json::Value>,
    #[serde(default, borrow)]
    run: Option<PastRunDto<'a>>,
    #[serde(default)]
    tick_ns: Option<u64>,
    #[serde(default)]
    order: Option<u64>,
    #[serde(default)]
    on: Option<u64>,
    #[serde(default)]
    attempts: u8,
    #[serde(default)]
    migrations: u8,
    #[serde(default)]
    meta: Option<SnapshotMeta>,
}

/// The first line of a snapshot.
#[derive(Clone, Copy, Debug, Default, Deserialize, serde::Serialize)]
struct SnapshotMeta {
    batch: u64,
    last_seq: u64,
    tick_ns: u64,
    next_order: u64,
}

fn store_error(path: &Path, error: impl std::fmt::Display) -> ServeError {
    ServeError::Store { path: path.to_owned(), message: error.to_string() }
}

/// What recovery read back.
pub struct Recovered {
    /// The store, open.
    pub store: Store,
    /// The ledger.
    pub ledger: Ledger,
    /// The retained events, oldest first (number, JSON).
    pub events: Vec<(u64, Box<str>)>,
    /// Journal batches and lines read, for the log.
    pub batches_read: u64,
    /// Snapshot lines read.
    pub snapshot_lines: u64,
}

/// The open store and what the journal thread keeps about it.
pub struct Store {
    db: Database,
    path: PathBuf,
    next_batch: u64,
    /// Batches still in the journal with the number of their last event, oldest first.
    batches: VecDeque<(u64, u64)>,
    snapshot_batch: u64,
    bytes_since_snapshot: u64,
    next_history_chunk: u64,
    /// The batch being written (kept between commits).
    buffer: Vec<u8>,
}

/// Opens (or creates) the store in `data_dir` and reads back the ledger and the retained events.
pub fn recover(data_dir: &Path, limits: &Limits) -> Result<Recovered, ServeError> {
    std::fs::create_dir_all(data_dir).map_err(|error| store_error(data_dir, error))?;
    let path = data_dir.join("ballast.redb");
    let db = Database::create(&path).map_err(|error| store_error(&path, error))?;
    {
        let txn = db.begin_write().map_err(|error| store_error(&path, error))?;
        {
            for table in [JOURNAL, SNAPSHOT, HISTORY] {
                txn.open_table(table).map_err(|error| store_error(&path, error))?;
            }
            txn.open_table(BATCH_LAST_SEQ).map_err(|error| store_error(&path, error))?;
            txn.open_table(BLOBS).map_err(|error| store_error(&path, error))?;
            let mut meta = txn.open_table(META).map_err(|error| store_error(&path, error))?;
            let format = meta.get("format").map_err(|error| store_error(&path, error))?.map(|value| value.value());
            match format {
                None => {
                    meta.insert("format", FORMAT).map_err(|error| store_error(&path, error))?;
                }
                Some(FORMAT) => {}
                Some(other) => {
                    return Err(store_error(&path, format!("the store has format {other}; this build reads {FORMAT}")));
                }
            }
        }
        txn.commit().map_err(|error| store_error(&path, error))?;
    }
    let txn = db.begin_read().map_err(|error| store_error(&path, error))?;
    let bad = |what: String| store_error(&path, what);
    let mut ledger = Ledger::default();
    let meta_table = txn.open_table(META).map_err(|error| store_error(&path, error))?;
    let snapshot_batch =
        meta_table.get("snapshot_batch").map_err(|error| store_error(&path, error))?.map_or(0, |value| value.value());
    let mut snapshot_lines = 0u64;
    if snapshot_batch > 0 {
        let snapshot = txn.open_table(SNAPSHOT).map_err(|error| store_error(&path, error))?;
        for chunk in snapshot.iter().map_err(|error| store_error(&path, error))? {
            let (key, value) = chunk.map_err(|error| store_error(&path, error))?;
            for (number, line) in value.value().split(|&byte| byte == b'\n').enumerate() {
                if line.is_empty() {
                    continue;
                }
                snapshot_lines += 1;
                let parsed: LineIn<'_> = serde_json::from_slice(line)
                    .map_err(|error| bad(format!("snapshot chunk {} line {}: {error}", key.value(), number + 1)))?;
                apply_snapshot_line(&mut ledger, parsed)
                    .map_err(|error| bad(format!("snapshot chunk {} line {}: {error}", key.value(), number + 1)))?;
            }
        }
        let blobs = txn.open_table(BLOBS).map_err(|error| store_error(&path, error))?;
        if let Some(ended) = blobs.get("ended").map_err(|error| store_error(&path, error))? {
            ledger.ended = RoaringTreemap::deserialize_from(ended.value())
                .map_err(|error| bad(format!("the ended ids: {error}")))?;
        }
    }
    let history = txn.open_table(HISTORY).map_err(|error| store_error(&path, error))?;
    let mut next_history_chunk = 0;
    for chunk in history.iter().map_err(|error| store_error(&path, error))? {
        let (key, value) = chunk.map_err(|error| store_error(&path, error))?;
        next_history_chunk = key.value() + 1;
        for line in value.value().split(|&byte| byte == b'\n').filter(|line| !line.is_empty()) {
            let run: PastRunDto<'_> =
                serde_json::from_slice(line).map_err(|error| bad(format!("history chunk {}: {error}", key.value())))?;
            ledger.runs.push(run.to_run());
        }
    }
    let journal = txn.open_table(JOURNAL).map_err(|error| store_error(&path, error))?;
    let last_seqs = txn.open_table(BATCH_LAST_SEQ).map_err(|error| store_error(&path, error))?;
    let mut events: Vec<(u64, Box<str>)> = Vec::new();
    let mut batches = VecDeque::new();
    let mut next_batch = snapshot_batch + 1;
    let mut batches_read = 0u64;
    let mut bytes_since_snapshot = 0u64;
    for batch in journal.iter().map_err(|error| store_error(&path, error))? {
        let (key, value) = batch.map_err(|error| store_error(&path, error))?;
        let number = key.value();
        let last_seq =
            last_seqs.get(number).map_err(|error| store_error(&path, error))?.map_or(0, |value| value.value());
        batches.push_back((number, last_seq));
        next_batch = next_batch.max(number + 1);
        let covered = number <= snapshot_batch;
        batches_read += 1;
        if !covered {
            bytes_since_snapshot += value.value().len() as u64;
        }
        for (line_number, line) in value.value().split(|&byte| byte == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let at = || format!("journal batch {number} line {}", line_number + 1);
            let parsed: LineIn<'_> = serde_json::from_slice(line).map_err(|error| bad(format!("{}: {error}", at())))?;
            if let (Some(seq), Some(event)) = (parsed.seq, parsed.event) {
                events.push((seq, event.get().into()));
                if !covered {
                    let line: Line<'_> =
                        serde_json::from_str(event.get()).map_err(|error| bad(format!("{}: {error}", at())))?;
                    ledger.event(seq, &line);
                }
                continue;
            }
            if covered {
                continue;
            }
            apply_journal_line(&mut ledger, parsed).map_err(|error| bad(format!("{}: {error}", at())))?;
        }
    }
    // Events of covered batches were kept for the window only; keep the newest `events_retained_max`.
    events.sort_by_key(|(seq, _)| *seq);
    let keep_from = ledger.last_seq.saturating_sub(limits.events_retained_max);
    events.retain(|(seq, _)| *seq > keep_from);
    drop(journal);
    drop(last_seqs);
    drop(history);
    drop(meta_table);
    drop(txn);
    let store = Store {
        db,
        path,
        next_batch,
        batches,
        snapshot_batch,
        bytes_since_snapshot,
        next_history_chunk,
        buffer: Vec::new(),
    };
    Ok(Recovered { store, ledger, events, batches_read, snapshot_lines })
}

fn number_of(value: &serde_json::Value) -> Option<u64> {
    value.as_u64()
}

fn apply_journal_line(ledger: &mut Ledger, line: LineIn<'_>) -> Result<(), String> {
    if let Some(worker) = line.worker {
        let dto: WorkerDto<'_> = serde_json::from_str(worker.get()).map_err(|error| format!("worker: {error}"))?;
        ledger.worker(dto.id, worker.get().into());
    } else if let Some(task) = line.task {
        let dto: TaskDto<'_> = serde_json::from_str(task.get()).map_err(|error| format!("task: {error}"))?;
        ledger.task(dto.id, task.get().into());
    } else if let Some(started) = line.started {
        ledger.started(number_of(&started).ok_or("`started` is not a task id")?);
    } else if let Some(devices) = line.devices {
        let pair = devices.as_array().filter(|pair| pair.len() == 2).ok_or("`devices` is not [task, mask]")?;
        let (task, mask) = (number_of(&pair[0]).ok_or("bad task")?, number_of(&pair[1]).ok_or("bad mask")?);
        ledger.devices(task, u16::try_from(mask).map_err(|_| "the mask is over 16 bits")?);
    } else if let Some(run) = line.run {
        ledger.runs.push(run.to_run());
    } else if let Some(tick_ns) = line.tick_ns {
        ledger.tick_ns = ledger.tick_ns.max(tick_ns);
    } else {
        return Err("a line of no known kind".to_owned());
    }
    Ok(())
}

fn apply_snapshot_line(ledger: &mut Ledger, line: LineIn<'_>) -> Result<(), String> {
    if let Some(meta) = line.meta {
        ledger.last_seq = meta.last_seq;
        ledger.tick_ns = meta.tick_ns;
        ledger.next_order = meta.next_order;
    } else if let Some(worker) = line.worker {
        let dto: WorkerDto<'_> = serde_json::from_str(worker.get()).map_err(|error| format!("worker: {error}"))?;
        ledger.worker(dto.id, worker.get().into());
        if let Some(entry) = ledger.workers.get_mut(&dto.id) {
            entry.1 = line.draining;
        }
    } else if let Some(task) = line.task {
        let dto: TaskDto<'_> = serde_json::from_str(task.get()).map_err(|error| format!("task: {error}"))?;
        let worker = line.on;
        let started = line.started.as_ref().and_then(serde_json::Value::as_bool).unwrap_or(false);
        let devices = line.devices.as_ref().and_then(number_of).unwrap_or(0);
        ledger.insert_task(
            dto.id,
            LedgerTask {
                json: task.get().into(),
                order: line.order.ok_or("a task without `order`")?,
                worker,
                started,
                attempts: line.attempts,
                migrations: line.migrations,
                devices: u16::try_from(devices).map_err(|_| "the mask is over 16 bits")?,
            },
        );
    } else {
        return Err("a line of no known kind".to_owned());
    }
    Ok(())
}

/// Appends `value` as one line to `out`.
fn push_line(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    serde_json::to_writer(&mut *out, value).expect("journal lines serialize");
    out.push(b'\n');
}

impl Store {
    /// Writes `units` as one batch, folds them into `ledger`, commits, and returns the events to publish.
    fn commit(
        &mut self,
        units: &mut [Unit],
        ledger: &mut Ledger,
        limits: &Limits,
        metrics: &JournalMetrics,
    ) -> Result<Chunk, String> {
        let started = Instant::now();
        let batch = self.next_batch;
        let mut bytes = std::mem::take(&mut self.buffer);
        bytes.clear();
        let mut events = Chunk { first_seq: ledger.last_seq + 1, events: Vec::new() };
        let mut records = 0u64;
        for unit in units.iter_mut() {
            for entry in &mut unit.entries {
                records += 1;
                match entry {
                    Entry::Worker(spec) => {
                        let dto = WorkerDto::of(spec);
                        let json: Box<str> = serde_json::to_string(&dto).expect("a worker serializes").into();
                        bytes.extend_from_slice(b"{\"worker\":");
                        bytes.extend_from_slice(json.as_bytes());
                        bytes.extend_from_slice(b"}\n");
                        ledger.worker(spec.id.0, json);
                    }
                    Entry::Task { id, json } => {
                        bytes.extend_from_slice(b"{\"task\":");
                        bytes.extend_from_slice(json.as_bytes());
                        bytes.extend_from_slice(b"}\n");
                        ledger.task(*id, std::mem::take(json));
                    }
                    Entry::Started { task } => {
                        let _ = writeln!(bytes, "{{\"started\":{task}}}");
                        ledger.started(*task);
                    }
                    Entry::Devices { task, mask } => {
                        let _ = writeln!(bytes, "{{\"devices\":[{task},{mask}]}}");
                        ledger.devices(*task, *mask);
                    }
                    Entry::Run(run) => {
                        bytes.extend_from_slice(b"{\"run\":");
                        serde_json::to_writer(&mut bytes, &PastRunDto::of(run)).expect("a run serializes");
                        bytes.extend_from_slice(b"}\n");
                        ledger.runs.push(run.clone());
                    }
                    Entry::Event { seq, event } => {
                        assert_eq!(*seq, ledger.last_seq + 1, "events are numbered without a gap");
                        let line = Line::of_event(NO_TIME, event);
                        let json: Box<str> = serde_json::to_string(&line).expect("an event serializes").into();
                        let _ = write!(bytes, "{{\"seq\":{seq},\"event\":");
                        bytes.extend_from_slice(json.as_bytes());
                        bytes.extend_from_slice(b"}\n");
                        ledger.event(*seq, &line);
                        events.events.push(json);
                    }
                }
            }
            ledger.tick_ns = ledger.tick_ns.max(unit.tick_ns);
        }
        let _ = writeln!(bytes, "{{\"tick_ns\":{}}}", ledger.tick_ns);
        self.bytes_since_snapshot += bytes.len() as u64;
        let snapshot = self.bytes_since_snapshot >= limits.snapshot_after_bytes.max(2 * ledger.bytes());
        let mut txn = self.db.begin_write().map_err(|error| error.to_string())?;
        // Without fsync (a benchmark's choice), every 64th commit is still synced, so the file's free
        // pages are reclaimed.
        if !limits.fsync && !batch.is_multiple_of(64) {
            txn.set_durability(redb::Durability::None).map_err(|error| error.to_string())?;
        }
        {
            let mut journal = txn.open_table(JOURNAL).map_err(|error| error.to_string())?;
            journal.insert(batch, bytes.as_slice()).map_err(|error| error.to_string())?;
            let mut last_seqs = txn.open_table(BATCH_LAST_SEQ).map_err(|error| error.to_string())?;
            last_seqs.insert(batch, ledger.last_seq).map_err(|error| error.to_string())?;
        }
        self.batches.push_back((batch, ledger.last_seq));
        if snapshot {
            self.write_snapshot(&txn, batch, ledger, limits).map_err(|error| error.to_string())?;
        }
        txn.commit().map_err(|error| error.to_string())?;
        self.next_batch += 1;
        metrics.observe_commit(started.elapsed().as_secs_f64(), records, bytes.len() as u64, snapshot);
        // The buffer is kept for the next commit, unless a burst made it huge.
        if bytes.capacity() <= 64 << 20 {
            self.buffer = bytes;
        }
        Ok(events)
    }

    /// Writes the ledger as a snapshot covering `batch` inside `txn`, rewrites the compacted history
    /// and drops the journal batches the snapshot covers that hold no retained event.
    fn write_snapshot(
        &mut self,
        txn: &redb::WriteTransaction,
        batch: u64,
        ledger: &mut Ledger,
        limits: &Limits,
    ) -> Result<(), redb::Error> {
        let mut snapshot = txn.open_table(SNAPSHOT)?;
        snapshot.retain(|_, _| false)?;
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
        let mut chunk_number = 0u64;
        let meta =
            SnapshotMeta { batch, last_seq: ledger.last_seq, tick_ns: ledger.tick_ns, next_order: ledger.next_order };
        push_line(&mut chunk, &serde_json::json!({ "meta": meta }));
        let mut flush = |chunk: &mut Vec<u8>, force: bool| -> Result<(), redb::Error> {
            if chunk.len() >= CHUNK_BYTES || (force && !chunk.is_empty()) {
                snapshot.insert(chunk_number, chunk.as_slice())?;
                chunk_number += 1;
                chunk.clear();
            }
            Ok(())
        };
        let mut workers: Vec<_> = ledger.workers.iter().collect();
        workers.sort_by_key(|(id, _)| **id);
        for (_, (json, draining)) in workers {
            chunk.extend_from_slice(b"{\"worker\":");
            chunk.extend_from_slice(json.as_bytes());
            chunk.extend_from_slice(if *draining { b",\"draining\":true}\n".as_slice() } else { b"}\n".as_slice() });
            flush(&mut chunk, false)?;
        }
        let mut tasks: Vec<_> = ledger.tasks.values().collect();
        tasks.sort_by_key(|task| task.order);
        for task in tasks {
            chunk.extend_from_slice(b"{\"task\":");
            chunk.extend_from_slice(task.json.as_bytes());
            let _ = std::io::Write::write_fmt(&mut chunk, format_args!(",\"order\":{}", task.order));
            if let Some(worker) = task.worker {
                let _ = std::io::Write::write_fmt(
                    &mut chunk,
                    format_args!(",\"on\":{worker},\"started\":{},\"devices\":{}", task.started, task.devices),
                );
            }
            let _ = std::io::Write::write_fmt(
                &mut chunk,
                format_args!(",\"attempts\":{},\"migrations\":{}}}\n", task.attempts, task.migrations),
            );
            flush(&mut chunk, false)?;
        }
        flush(&mut chunk, true)?;
        drop(snapshot);
        let mut ended = Vec::new();
        ledger.ended.serialize_into(&mut ended).map_err(redb::Error::Io)?;
        txn.open_table(BLOBS)?.insert("ended", ended.as_slice())?;
        txn.open_table(META)?.insert("snapshot_batch", batch)?;
        let mut history = txn.open_table(HISTORY)?;
        history.retain(|_, _| false)?;
        ledger.runs = compact(&ledger.runs);
        let mut chunk = Vec::new();
        for run in &ledger.runs {
            push_line(&mut chunk, &PastRunDto::of(run));
            if chunk.len() >= CHUNK_BYTES {
                history.insert(self.next_history_chunk, chunk.as_slice())?;
                self.next_history_chunk += 1;
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            history.insert(self.next_history_chunk, chunk.as_slice())?;
            self.next_history_chunk += 1;
        }
        drop(history);
        // Batches the snapshot covers go, once none of their events is in the retained window.
        let retained_from = ledger.last_seq.saturating_sub(limits.events_retained_max);
        let mut journal = txn.open_table(JOURNAL)?;
        let mut last_seqs = txn.open_table(BATCH_LAST_SEQ)?;
        while let Some(&(number, last_seq)) = self.batches.front() {
            if number > batch || last_seq > retained_from {
                break;
            }
            journal.remove(number)?;
            last_seqs.remove(number)?;
            self.batches.pop_front();
        }
        self.snapshot_batch = batch;
        self.bytes_since_snapshot = 0;
        Ok(())
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The batch the last snapshot covers (0: none yet).
    pub fn snapshot_batch(&self) -> u64 {
        self.snapshot_batch
    }
}

/// The journal thread: commits units in groups, folds them into the ledger, then replies and
/// publishes. Returns when the engine thread hangs up, or with the error that stopped it (the
/// service then stops: see the module docs of `service`).
pub fn run(
    mut store: Store,
    mut ledger: Ledger,
    units: crossbeam_channel::Receiver<Unit>,
    hub: SharedHub,
    limits: Limits,
    metrics: JournalMetrics,
) -> Result<(), String> {
    let mut group: Vec<Unit> = Vec::with_capacity(UNITS_PER_COMMIT_MAX);
    loop {
        let Ok(first) = units.recv() else {
            return Ok(());
        };
        group.push(first);
        while group.len() < UNITS_PER_COMMIT_MAX {
            match units.try_recv() {
                Ok(unit) => group.push(unit),
                Err(_) => break,
            }
        }
        match store.commit(&mut group, &mut ledger, &limits, &metrics) {
            Ok(events) => {
                hub.publish(events);
                for unit in group.drain(..) {
                    if let Some((reply, results)) = unit.reply {
                        let _ = reply.send(Ok(CommandsReply { results }));
                    }
                }
            }
            Err(error) => {
                let message = format!("the journal could not be written ({}): {error}", store.path().display());
                for unit in group.drain(..) {
                    if let Some((reply, _)) = unit.reply {
                        let _ = reply.send(Err(ErrorBody::new("journal_failed", message.clone())));
                    }
                }
                return Err(message);
            }
        }
    }
}

//! A thread-safe embedding handle: the engine runs on its own thread; commands go in and events come
//! out over bounded crossbeam channels.
//!
//! # Protocol
//! 1. [`EngineHandle::spawn`] starts the engine thread.
//! 2. Any thread sends commands ([`EngineHandle::send`]; [`CommandSender`] is a cloneable sender).
//!    A full command channel blocks the sender (or [`EngineHandle::try_send`] says so): that is the
//!    engine's backpressure on the coordinator.
//! 3. The engine ticks: on its own every `tick_interval` of wall time ([`HandleClock::Wall`]), or when
//!    told to ([`HandleClock::Manual`], [`EngineHandle::tick`]), so tests and replays stay deterministic.
//! 4. After each tick that produced events, one [`EventBatch`] is sent; a full event channel blocks the
//!    engine until the coordinator catches up, so no event is ever dropped.
//! 5. [`EngineHandle::shutdown`] (or drop) stops the thread after the commands sent before it.
//!
//! Recording: [`EngineHandle::start_recording`] records every command and event from then on (see
//! [`crate::record`]); [`EngineHandle::stop_recording`] ends it. Commands are recorded in the order the
//! engine thread receives them, so the recording replays what the engine really saw.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};

use ballast_components::clock::Timestamp;
use ballast_components::config::{ConfigError, EngineConfig};
use ballast_components::ids::TaskId;
use ballast_components::message::{Command, Event, Explanation};
use ballast_components::metrics::Counters;

use crate::engine::{Engine, ExplainError, TickError};
use crate::record::RecordStats;

/// Where the handle's engine gets its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleClock {
    /// Ticks happen when [`EngineHandle::tick`] says, at the time it gives.
    Manual,
    /// The engine ticks every `tick_interval`, at the wall time elapsed since the handle started.
    Wall {
        /// Time between ticks.
        tick_interval: Duration,
    },
}

/// How to run the handle.
#[derive(Clone, Debug)]
pub struct HandleConfig {
    /// The engine's config.
    pub engine: EngineConfig,
    /// The time source.
    pub clock: HandleClock,
    /// Commands the channel holds before senders block.
    pub command_channel_len_max: usize,
    /// Event batches the channel holds before the engine blocks.
    pub event_channel_len_max: usize,
}

impl Default for HandleConfig {
    fn default() -> Self {
        HandleConfig {
            engine: EngineConfig::default(),
            // 10 ms: the placement latency a coordinator sees, at a cost of about 100 idle ticks a second.
            clock: HandleClock::Wall { tick_interval: Duration::from_millis(10) },
            command_channel_len_max: 65_536,
            event_channel_len_max: 1_024,
        }
    }
}

/// The events of one tick.
#[derive(Clone, Debug, PartialEq)]
pub struct EventBatch {
    /// The tick's time.
    pub now: Timestamp,
    /// Its events, in order.
    pub events: Vec<Event>,
}

/// A summary of the engine's state, sent across threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The last tick's time.
    pub now: Timestamp,
    /// Live workers.
    pub workers: usize,
    /// Live tasks.
    pub live_tasks: usize,
    /// Counters since start.
    pub counters: Counters,
}

/// Why the handle could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// The engine thread has stopped.
    #[error("the engine thread has stopped")]
    Stopped,
    /// The command channel is full.
    #[error("the command channel is full")]
    Full,
    /// The tick was refused.
    #[error(transparent)]
    Tick(#[from] TickError),
    /// The explain call was refused.
    #[error(transparent)]
    Explain(#[from] ExplainError),
    /// The recording could not be started or finished.
    #[error("recording: {0}")]
    Record(String),
}

enum Request {
    Command(Command),
    Tick(Timestamp, Sender<Result<(), TickError>>),
    Explain(TaskId, Sender<Result<Explanation, ExplainError>>),
    Snapshot(Sender<Snapshot>),
    StartRecording(Box<dyn std::io::Write + Send>, Sender<Result<(), HandleError>>),
    StopRecording(Sender<Result<Option<RecordStats>, HandleError>>),
    Shutdown,
}

/// A cloneable sender of commands to the engine thread.
#[derive(Clone)]
pub struct CommandSender {
    requests: Sender<Request>,
}

impl CommandSender {
    /// Sends a command, blocking while the channel is full.
    pub fn send(&self, command: Command) -> Result<(), HandleError> {
        self.requests.send(Request::Command(command)).map_err(|_| HandleError::Stopped)
    }

    /// Sends a command if the channel has room.
    pub fn try_send(&self, command: Command) -> Result<(), HandleError> {
        self.requests.try_send(Request::Command(command)).map_err(|error| match error {
            TrySendError::Full(_) => HandleError::Full,
            TrySendError::Disconnected(_) => HandleError::Stopped,
        })
    }
}

/// The embedding handle.
pub struct EngineHandle {
    sender: CommandSender,
    events: Receiver<EventBatch>,
    thread: Option<JoinHandle<Engine>>,
}

impl EngineHandle {
    /// Starts the engine thread. A wall clock ticks every 1 µs to 1 day (`tick_interval`).
    pub fn spawn(config: HandleConfig) -> Result<EngineHandle, ConfigError> {
        if let HandleClock::Wall { tick_interval } = config.clock {
            let micros = u64::try_from(tick_interval.as_micros()).unwrap_or(u64::MAX);
            if !(1..=86_400_000_000).contains(&micros) {
                return Err(ConfigError::OutOfRange {
                    field: "tick_interval_us",
                    value: micros,
                    range: "1..=86400000000",
                });
            }
        }
        let engine = Engine::new(config.engine.clone())?;
        let (request_sender, requests) = bounded(config.command_channel_len_max.max(1));
        let (event_sender, events) = bounded(config.event_channel_len_max.max(1));
        let clock = config.clock;
        let thread = std::thread::Builder::new()
            .name("ballast-engine".to_owned())
            .spawn(move || run_engine(engine, clock, requests, event_sender))
            .expect("the OS starts a thread");
        Ok(EngineHandle { sender: CommandSender { requests: request_sender }, events, thread: Some(thread) })
    }

    /// A cloneable command sender for other threads.
    pub fn sender(&self) -> CommandSender {
        self.sender.clone()
    }

    /// Sends a command, blocking while the channel is full.
    pub fn send(&self, command: Command) -> Result<(), HandleError> {
        self.sender.send(command)
    }

    /// Sends a command if the channel has room.
    pub fn try_send(&self, command: Command) -> Result<(), HandleError> {
        self.sender.try_send(command)
    }

    /// Runs a tick at `now` after every command sent before it (manual clock), and waits for it.
    pub fn tick(&self, now: Timestamp) -> Result<(), HandleError> {
        let (reply, answer) = bounded(1);
        self.sender.requests.send(Request::Tick(now, reply)).map_err(|_| HandleError::Stopped)?;
        Ok(answer.recv().map_err(|_| HandleError::Stopped)??)
    }

    /// The event batches.
    pub fn events(&self) -> &Receiver<EventBatch> {
        &self.events
    }

    /// Explains a task, after every command sent before this call.
    pub fn explain(&self, task: TaskId) -> Result<Explanation, HandleError> {
        let (reply, answer) = bounded(1);
        self.sender.requests.send(Request::Explain(task, reply)).map_err(|_| HandleError::Stopped)?;
        Ok(answer.recv().map_err(|_| HandleError::Stopped)??)
    }

    /// A summary of the engine's state, after every command sent before this call.
    pub fn snapshot(&self) -> Result<Snapshot, HandleError> {
        let (reply, answer) = bounded(1);
        self.sender.requests.send(Request::Snapshot(reply)).map_err(|_| HandleError::Stopped)?;
        answer.recv().map_err(|_| HandleError::Stopped)
    }

    /// Starts recording every command and event the engine sees from now on to `sink` (JSON lines,
    /// see [`crate::record`]); a recording already running is finished first.
    pub fn start_recording(&self, sink: impl std::io::Write + Send + 'static) -> Result<(), HandleError> {
        let (reply, answer) = bounded(1);
        self.sender.requests.send(Request::StartRecording(Box::new(sink), reply)).map_err(|_| HandleError::Stopped)?;
        answer.recv().map_err(|_| HandleError::Stopped)?
    }

    /// Ends the recording after every command sent before this call (its `end` line, then a flush);
    /// `None` when none was running.
    pub fn stop_recording(&self) -> Result<Option<RecordStats>, HandleError> {
        let (reply, answer) = bounded(1);
        self.sender.requests.send(Request::StopRecording(reply)).map_err(|_| HandleError::Stopped)?;
        answer.recv().map_err(|_| HandleError::Stopped)?
    }

    /// Stops the engine thread after the commands sent before, and returns the engine.
    pub fn shutdown(mut self) -> Result<Engine, HandleError> {
        self.stop().ok_or(HandleError::Stopped)
    }

    fn stop(&mut self) -> Option<Engine> {
        let thread = self.thread.take()?;
        // The thread may already be gone; joining tells.
        let _ = self.sender.requests.send(Request::Shutdown);
        thread.join().ok()
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_engine(
    mut engine: Engine,
    clock: HandleClock,
    requests: Receiver<Request>,
    events: Sender<EventBatch>,
) -> Engine {
    let started = Instant::now();
    let mut next_tick = started;
    loop {
        let request = match clock {
            HandleClock::Manual => requests.recv().map_err(|_| RecvTimeoutError::Disconnected),
            HandleClock::Wall { tick_interval } => {
                let request = requests.recv_deadline(next_tick);
                if matches!(request, Err(RecvTimeoutError::Timeout)) {
                    let now = Timestamp(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
                    let ticked = engine.tick(now);
                    debug_assert!(ticked.is_ok(), "wall time is monotonic");
                    if !publish(&mut engine, &events) {
                        return engine;
                    }
                    // Bounded at spawn (at most a day), so these sums stay far from `Instant`'s limits.
                    next_tick += tick_interval;
                    let now = Instant::now();
                    if next_tick < now {
                        // Ticks ran late (a slow tick or a busy machine): skip the missed ones.
                        next_tick = now + tick_interval;
                    }
                    continue;
                }
                request
            }
        };
        match request {
            Ok(Request::Command(command)) => {
                let kind = command.kind();
                if let Err(error) = engine.push(command) {
                    engine.push_event(Event::CommandRejected { command: kind, error });
                }
            }
            Ok(Request::Tick(now, reply)) => {
                let result = engine.tick(now);
                if !publish(&mut engine, &events) {
                    return engine;
                }
                let _ = reply.send(result);
            }
            Ok(Request::Explain(task, reply)) => {
                let _ = reply.send(engine.explain(task));
            }
            Ok(Request::Snapshot(reply)) => {
                let view = engine.view();
                let snapshot = Snapshot {
                    now: view.now(),
                    workers: view.worker_count(),
                    live_tasks: view.live_task_count(),
                    counters: view.counters(),
                };
                let _ = reply.send(snapshot);
            }
            Ok(Request::StartRecording(sink, reply)) => {
                let result = engine.record_to(sink).map_err(|error| HandleError::Record(error.to_string()));
                let _ = reply.send(result);
            }
            Ok(Request::StopRecording(reply)) => {
                let result =
                    engine.finish_recording().transpose().map_err(|error| HandleError::Record(error.to_string()));
                let _ = reply.send(result);
            }
            Ok(Request::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                publish(&mut engine, &events);
                return engine;
            }
            Err(RecvTimeoutError::Timeout) => unreachable!("timeouts tick above"),
        }
    }
}

/// Sends the pending events as one batch; false if the receiver is gone.
fn publish(engine: &mut Engine, events: &Sender<EventBatch>) -> bool {
    let batch = engine.events();
    if batch.is_empty() {
        return true;
    }
    events.send(EventBatch { now: engine.now(), events: batch }).is_ok()
}

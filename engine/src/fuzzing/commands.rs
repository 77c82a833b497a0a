//! The body of the command-stream fuzz target, shared with `cargo test` (which runs it on fixed seeds).
//!
//! The first bytes choose the policy, the run-queue depth, batch placement and whether the index or
//! exact scoring is used; the rest decode into a stream of coordinator operations against a fresh
//! engine: registrations with
//! odd capabilities, heartbeats with arbitrary (NaN, negative, huge) utilization, drains, removals,
//! submissions with arbitrary requirements, cancels, stale or misdirected reports, and ticks that jump
//! time past heartbeat and task timeouts. After every tick the engine's own consistency check must
//! pass, and at the end every accepted task must still be known (live or ended): none lost.

use ballast_components::capability::{BrowserSet, HardwareSet};
use ballast_components::clock::Timestamp;
use ballast_components::config::{EngineConfig, PolicyName};
use ballast_components::family::TestType;
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{Command, Event, GpuSpec, TaskSpec, UtilizationReport, WorkerSpec};
use ballast_components::requirements::GpuDemand;

use crate::engine::Engine;
use crate::view::TaskLookup;

/// Reads bytes, yielding zeros once they run out.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    fn f32(&mut self) -> f32 {
        // Mostly sensible fractions, sometimes any bit pattern (NaN, infinities, negatives).
        if self.u8() < 200 { f32::from(self.u8()) / 255.0 } else { f32::from_bits(self.u32()) }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

fn worker_spec(bytes: &mut Bytes) -> WorkerSpec {
    let gpu_count = bytes.u8() % 6;
    WorkerSpec {
        id: WorkerId(u64::from(bytes.u8() % 12)),
        hardware: HardwareSet(bytes.u16()),
        browsers: BrowserSet(bytes.u8()),
        cpu_milli: u32::from(bytes.u16()) * 16,
        memory_mib: u64::from(bytes.u16()),
        slots: u32::from(bytes.u8() % 6),
        gpus: (0..gpu_count)
            .map(|device| GpuSpec {
                model: (device % 2 == 0).then(|| "A10".to_owned()),
                memory_mib: u64::from(bytes.u16()),
            })
            .collect(),
        tags: if bytes.u8().is_multiple_of(4) { vec!["fast".to_owned()] } else { Vec::new() },
    }
}

fn task_spec(bytes: &mut Bytes) -> TaskSpec {
    let mut spec = TaskSpec::new(TaskId(u64::from(bytes.u8() % 48)));
    spec.priority = bytes.u8() % 12;
    spec.model_id = match bytes.u8() % 5 {
        0 => None,
        1 => Some("openai/whisper-tiny".to_owned()),
        2 => Some(String::new()),
        3 => Some("x".repeat(usize::from(bytes.u16()) % 1_200)),
        _ => Some("bert-base-uncased".to_owned()),
    };
    spec.test_type = TestType::ALL[usize::from(bytes.u8()) % TestType::ALL.len()];
    let requirements = &mut spec.requirements;
    requirements.hardware_any = HardwareSet(bytes.u16() & 0xff);
    requirements.browsers_any = BrowserSet(bytes.u8() & 0x0f);
    requirements.memory_mib = u64::from(bytes.u16() % 2_048);
    requirements.cpu_milli = u32::from(bytes.u8()) * 100;
    requirements.gpu =
        GpuDemand { count: bytes.u8() % 4, milli: bytes.u16() % 1_200, memory_mib: u64::from(bytes.u8()) * 64 };
    if bytes.u8().is_multiple_of(8) {
        requirements.tags = vec!["fast".to_owned()];
    }
    if bytes.u8().is_multiple_of(8) {
        requirements.gpu_models = vec!["A10".to_owned()];
    }
    spec.timeout_ms = match bytes.u8() % 4 {
        0 => Some(u64::from(bytes.u16())),
        _ => None,
    };
    spec.concurrency_key = bytes.u8().is_multiple_of(4).then(|| format!("key{}", bytes.u8() % 3));
    spec.attempts_max = bytes.u8().is_multiple_of(3).then(|| bytes.u8() % 5);
    spec
}

/// Runs the command stream decoded from `data`; returns every invariant violation found.
pub fn run_command_stream(data: &[u8]) -> Vec<String> {
    let mut bytes = Bytes { data };
    let policy = PolicyName::ALL[usize::from(bytes.u8()) % PolicyName::ALL.len()];
    let config = EngineConfig {
        policy,
        prefetch_max: u32::from(bytes.u8() % 3),
        prefetch_horizon_ms: u64::from(bytes.u8() % 2) * 1_000,
        batch_assignment: !bytes.u8().is_multiple_of(4),
        exact_scan_workers_max: if bytes.u8().is_multiple_of(2) { 256 } else { 0 },
        heartbeat_suspect_after_ms: 1_000,
        heartbeat_unresponsive_after_ms: 2_000,
        heartbeat_lost_after_ms: 4_000,
        health_check_interval_ms: 100,
        submit_batch_len_max: 8,
        tasks_max: 40,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).expect("the fuzz config is valid");
    let mut now_ms = 0u64;
    let mut accepted: Vec<TaskId> = Vec::new();
    let mut violations = Vec::new();
    let mut events = Vec::new();
    let worker = |bytes: &mut Bytes| WorkerId(u64::from(bytes.u8() % 12));
    let task = |bytes: &mut Bytes| TaskId(u64::from(bytes.u8() % 48));
    while !bytes.is_empty() {
        let command = match bytes.u8() % 14 {
            0 => Command::RegisterWorker(worker_spec(&mut bytes)),
            1 => Command::Heartbeat {
                worker: worker(&mut bytes),
                utilization: Some(UtilizationReport {
                    cpu: bytes.f32(),
                    memory: bytes.f32(),
                    gpu: bytes.f32(),
                    heat: None,
                }),
            },
            2 => Command::DrainWorker { worker: worker(&mut bytes) },
            3 => Command::RemoveWorker { worker: worker(&mut bytes) },
            4 | 5 => Command::SubmitTask(task_spec(&mut bytes)),
            6 => Command::SubmitBatch((0..bytes.u8() % 10).map(|_| task_spec(&mut bytes)).collect()),
            7 => Command::CancelTask { task: task(&mut bytes) },
            8 => Command::TaskStarted { task: task(&mut bytes), worker: worker(&mut bytes) },
            9 => Command::TaskCompleted {
                task: task(&mut bytes),
                worker: worker(&mut bytes),
                duration_ns: u64::from(bytes.u32()),
            },
            10 => Command::TaskFailed {
                task: task(&mut bytes),
                worker: worker(&mut bytes),
                reason: "fuzz".to_owned(),
                retryable: bytes.u8().is_multiple_of(2),
            },
            11 => Command::TaskReleased { task: task(&mut bytes), worker: worker(&mut bytes) },
            _ => {
                now_ms += u64::from(bytes.u8()) * 25;
                tick(&mut engine, now_ms, &mut events, &mut accepted, &mut violations);
                continue;
            }
        };
        // Half of the commands go through the queue, half through the direct typed calls.
        if bytes.u8().is_multiple_of(2) {
            if let Err(error) = engine.push(command) {
                violations.push(format!("the inbox refused a command: {error}"));
            }
        } else {
            apply_direct(&mut engine, command);
        }
    }
    // Let everything settle: time passes until every worker is lost and every task has ended or waits.
    for _ in 0..4 {
        now_ms += 5_000;
        tick(&mut engine, now_ms, &mut events, &mut accepted, &mut violations);
    }
    for &id in &accepted {
        if matches!(engine.view().task(id), TaskLookup::Unknown) {
            violations.push(format!("{id} was accepted and is now unknown"));
        }
    }
    violations
}

fn apply_direct(engine: &mut Engine, command: Command) {
    // Refusals are expected here; only panics and broken invariants are failures.
    let _ = match command {
        Command::RegisterWorker(spec) => engine.register_worker(spec).map_err(|error| error.to_string()),
        Command::Heartbeat { worker, utilization } => {
            engine.heartbeat(worker, utilization).map_err(|error| error.to_string())
        }
        Command::DrainWorker { worker } => engine.drain_worker(worker).map_err(|error| error.to_string()),
        Command::RemoveWorker { worker } => engine.remove_worker(worker).map_err(|error| error.to_string()),
        Command::SubmitTask(spec) => engine.submit(spec).map_err(|error| error.to_string()),
        Command::SubmitBatch(specs) => engine.submit_batch(specs).map(|_| ()).map_err(|error| error.to_string()),
        Command::CancelTask { task } => engine.cancel(task).map_err(|error| error.to_string()),
        Command::TaskStarted { task, worker } => engine.task_started(task, worker).map_err(|error| error.to_string()),
        Command::TaskCompleted { task, worker, duration_ns } => {
            engine.task_completed(task, worker, duration_ns).map_err(|error| error.to_string())
        }
        Command::TaskFailed { task, worker, reason, retryable } => {
            engine.task_failed(task, worker, reason, retryable).map_err(|error| error.to_string())
        }
        Command::TaskReleased { task, worker } => engine.task_released(task, worker).map_err(|error| error.to_string()),
    };
}

fn tick(
    engine: &mut Engine,
    now_ms: u64,
    events: &mut Vec<Event>,
    accepted: &mut Vec<TaskId>,
    violations: &mut Vec<String>,
) {
    if let Err(error) = engine.tick(Timestamp::from_millis(now_ms)) {
        violations.push(format!("tick refused: {error}"));
    }
    violations.extend(engine.check_invariants().into_iter().map(|violation| format!("at {now_ms} ms: {violation}")));
    engine.take_events(events);
    for event in events.drain(..) {
        if let Event::TaskAccepted { task } = event {
            accepted.push(task);
        }
    }
}

//! Recordings: the round trip (record a simulation, replay it, same assignments), every documented
//! kind in a test recording, the handle's recording switch, and every kind of bad input.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ballast::prelude::*;
use ballast::record::{KINDS, Reader, RecordError};
use ballast::sim::{self, ReplayOptions, Scenario, SimConfig, SimError};
use ballast::{EngineHandle, HandleClock, HandleConfig};

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ballast-it-{}-{name}", std::process::id()))
}

fn record_sim(name: &str, workers: u32, tasks: u64, scenario: Scenario) -> (PathBuf, sim::SimReport) {
    let path = scratch(name);
    let config = SimConfig { workers, tasks, seed: 5, scenario, record: Some(path.clone()), ..SimConfig::default() };
    let report = sim::run(&config, &mut |_| {}).unwrap();
    assert_eq!(report.invariant_violations, 0, "{}", report.summary());
    (path, report)
}

fn kinds_in(path: &Path) -> BTreeSet<&'static str> {
    let mut reader = Reader::open(path).unwrap();
    let mut kinds = BTreeSet::from(["header"]);
    while let Some(line) = reader.next_line().unwrap() {
        kinds.insert(line.kind());
    }
    assert!(reader.ended(), "a finished recording ends with an `end` line");
    assert!(reader.warnings().is_empty(), "{:?}", reader.warnings());
    kinds
}

#[test]
fn a_replay_under_the_recorded_config_makes_the_same_assignments() {
    let (path, recorded) = record_sim("round-trip.jsonl", 60, 1_500, Scenario::Default);
    let outcome = sim::replay(&path, &ReplayOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(outcome.replay.trace_hash, recorded.trace_hash);
    assert_eq!(outcome.recorded_trace_hash, recorded.trace_hash, "the hash recomputed from the recorded events");
    assert!(outcome.same_assignments);
    let written = outcome.recorded.as_ref().expect("the recording holds its report");
    assert_eq!(written.trace_hash, recorded.trace_hash);
    assert_eq!(
        (outcome.replay.tasks_completed, outcome.replay.tasks_failed, outcome.replay.tasks_cancelled),
        (recorded.tasks_completed, recorded.tasks_failed, recorded.tasks_cancelled)
    );
    assert_eq!(outcome.replay.response_seconds, recorded.response_seconds);

    // Under another policy the assignments change, and outcomes follow the new placement.
    let options = ReplayOptions { policy: Some(PolicyName::Random), ..ReplayOptions::default() };
    let random = sim::replay(&path, &options, &mut |_| {}).unwrap();
    assert!(!random.same_assignments);
    assert_ne!(random.replay.trace_hash, recorded.trace_hash);
    assert_eq!(random.replay.policy, "random");
    assert_eq!(random.replay.tasks, recorded.tasks);
    assert_eq!(random.replay.tasks_lost + random.replay.tasks_duplicated + random.replay.invariant_violations, 0);
    assert_ne!(random.replay.response_seconds.mean, recorded.response_seconds.mean);

    // Fewer workers: a tenth are left out, nothing is lost.
    let options = ReplayOptions { drop_workers_percent: 10.0, ..ReplayOptions::default() };
    let fewer = sim::replay(&path, &options, &mut |_| {}).unwrap();
    assert_eq!((fewer.workers_dropped, fewer.replay.workers), (6, 54));
    let ended = fewer.replay.tasks_completed
        + fewer.replay.tasks_failed
        + fewer.replay.tasks_cancelled
        + fewer.replay.tasks_unschedulable;
    assert_eq!(ended, recorded.tasks);
    assert_eq!(fewer.replay.tasks_lost + fewer.replay.invariant_violations, 0);
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_replay_can_record_itself_and_that_recording_replays_the_same() {
    let (path, recorded) = record_sim("re-record.jsonl", 30, 400, Scenario::Default);
    let again = scratch("re-record-2.jsonl");
    let options = ReplayOptions { record: Some(again.clone()), ..ReplayOptions::default() };
    assert!(sim::replay(&path, &options, &mut |_| {}).unwrap().same_assignments);
    let second = sim::replay(&again, &ReplayOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(second.replay.trace_hash, recorded.trace_hash);
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(again);
}

#[test]
fn an_etc_recording_carries_its_history_and_run_times() {
    let class = ballast::sim::workload::EtcClass::all()[0];
    let (path, recorded) = record_sim("etc.jsonl", 16, 128, Scenario::EtcBraun(class));
    assert!(kinds_in(&path).contains("command.import_history"));
    let outcome = sim::replay(&path, &ReplayOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(outcome.replay.trace_hash, recorded.trace_hash);
    assert_eq!(outcome.replay.makespan_seconds, recorded.makespan_seconds);
    let _ = std::fs::remove_file(path);
}

/// An engine driven through every command and into every event, recorded.
fn scripted_recording(path: &Path) {
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    engine.record_to(Box::new(std::fs::File::create(path).unwrap())).unwrap();
    let cpu = |id| WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: 8_000,
        memory_mib: 8_192,
        slots: 1,
        tags: vec!["lab".into()],
        ..WorkerSpec::default()
    };
    engine.register_worker(cpu(1)).unwrap();
    engine.push(Command::RegisterWorker(cpu(2))).unwrap();
    engine.push(Command::RegisterWorker(cpu(3))).unwrap();
    engine
        .import_history([PastRun {
            worker: WorkerId(1),
            model: Some("bert-base-uncased".into()),
            family: ModelFamily::TextEmbedding,
            test_type: TestType::Inference,
            duration_ns: 2_000_000_000,
            completed: true,
        }])
        .unwrap();
    let mut task = TaskSpec::new(TaskId(1));
    task.model_id = Some("bert-base-uncased".into());
    task.concurrency_key = Some("fixture".into());
    task.requirements.tags = vec!["lab".into()];
    engine.submit(task).unwrap();
    let mut gpu_task = TaskSpec::new(TaskId(2));
    gpu_task.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
    gpu_task.requirements.gpu = GpuDemand::whole(1);
    engine.push(Command::SubmitBatch(vec![gpu_task, TaskSpec::new(TaskId(3)), TaskSpec::new(TaskId(4))])).unwrap();
    engine.push(Command::Heartbeat { worker: WorkerId(99), utilization: None }).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    let assigned: Vec<(TaskId, WorkerId)> = engine
        .events()
        .iter()
        .filter_map(|event| match event {
            Event::TaskAssigned { task, worker, .. } => Some((*task, *worker)),
            _ => None,
        })
        .collect();
    assert_eq!(assigned.len(), 3, "three one-slot workers, three runnable tasks: {assigned:?}");
    let (first, second, third) = (assigned[0], assigned[1], assigned[2]);
    engine.push(Command::TaskStarted { task: first.0, worker: first.1 }).unwrap();
    engine.push(Command::TaskCompleted { task: first.0, worker: first.1, duration_ns: 1_000_000 }).unwrap();
    engine.push(Command::TaskStarted { task: second.0, worker: second.1 }).unwrap();
    engine
        .push(Command::TaskFailed { task: second.0, worker: second.1, reason: "device lost".into(), retryable: true })
        .unwrap();
    engine.push(Command::CancelTask { task: third.0 }).unwrap();
    engine
        .push(Command::Heartbeat {
            worker: WorkerId(1),
            utilization: Some(UtilizationReport { cpu: 0.5, memory: 0.25, gpu: 0.0, heat: None }),
        })
        .unwrap();
    // The requeued task runs again (at once or a tick later) and fails for good.
    let mut failed_for_good = false;
    for now in [20, 30] {
        engine.tick(Timestamp::from_millis(now)).unwrap();
        for event in engine.events() {
            if let Event::TaskAssigned { task, worker, attempt: 2 } = event {
                assert_eq!(task, second.0);
                engine.task_failed(task, worker, "assertion failed".into(), false).unwrap();
                failed_for_good = true;
            }
        }
    }
    assert!(failed_for_good);
    engine.drain_worker(WorkerId(3)).unwrap();
    engine.remove_worker(WorkerId(2)).unwrap();
    // Worker 1 stops sending heartbeats: it becomes suspect.
    engine.tick(Timestamp::from_millis(40_000)).unwrap();
    engine.events();
    engine.finish_recording().unwrap().unwrap();
}

#[test]
fn every_documented_kind_appears_in_a_test_recording() {
    let scripted = scratch("scripted.jsonl");
    scripted_recording(&scripted);
    let (simulated, _) = record_sim("kinds.jsonl", 30, 400, Scenario::Default);
    // Records a run of `scenario` and replays it: the same assignments, and the same report.
    let recorded = |name: &str, scenario, (workers, tasks, seed), engine| {
        let path = scratch(name);
        let config =
            SimConfig { workers, tasks, seed, scenario, engine, record: Some(path.clone()), ..SimConfig::default() };
        let report = sim::run(&config, &mut |_| {}).unwrap();
        assert_eq!(report.tasks_lost, 0, "{}", report.summary());
        let outcome = sim::replay(&path, &ReplayOptions::default(), &mut |_| {}).unwrap();
        assert!(outcome.same_assignments, "{name}: a replay makes the same assignments");
        (path, report, outcome.replay)
    };
    // Flaky workers: quarantines begin and (a minute later) end; the recording keeps which are flaky.
    let quick = EngineConfig { quarantine_ms: 60_000, ..EngineConfig::default() };
    let (flaky, report, replay) = recorded("kinds-flaky.jsonl", Scenario::Flaky, (100, 3_000, 5), quick);
    assert!(report.quarantines > 0 && replay.quarantines == report.quarantines, "{}", report.summary());
    // Work stealing: recalls, tasks given back and moved (and, now and then, back to the queue).
    let default = EngineConfig::default();
    let (stragglers, report, replay) =
        recorded("kinds-stragglers.jsonl", Scenario::Stragglers, (20, 1_000, 3), default.clone());
    assert!(report.migrations > 0 && replay.migrations == report.migrations, "{}", report.summary());
    // Backpressure: deferred submissions are made again, and a replay defers the same ones.
    let (_, report, replay) = recorded("kinds-spike.jsonl", Scenario::Spike, (60, 1_500, 3), default);
    assert!(report.deferrals > 0 && replay.deferrals == report.deferrals, "{}", report.summary());
    let mut seen = kinds_in(&scripted);
    seen.extend(kinds_in(&simulated));
    seen.extend(kinds_in(&flaky));
    seen.extend(kinds_in(&stragglers));
    let known: BTreeSet<&str> = KINDS.into_iter().collect();
    let missing: Vec<_> = known.difference(&seen).collect();
    assert!(missing.is_empty(), "kinds never produced: {missing:?}");

    // The format document names every kind, and no other.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/RECORDING.md")).unwrap();
    let documented: BTreeSet<&str> = doc
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|kind| kind.contains('.') || ["header", "tick", "end"].contains(kind))
        .collect();
    assert_eq!(documented, known, "docs/RECORDING.md's kind tables against the kinds this version reads");

    // The scripted recording's commands replay through a fresh engine to the same events, every one.
    let verbatim = ballast::traces::events::replay_engine(&scripted, &Default::default()).unwrap();
    assert_eq!(verbatim.mode, "verbatim");
    assert_eq!(verbatim.first_difference, None);
    assert!(verbatim.replay.commands_rejected >= 1 && verbatim.replay.tasks_unschedulable == 1);
    let _ = std::fs::remove_file(scripted);
    let _ = std::fs::remove_file(simulated);
}

#[test]
fn the_handle_records_what_its_engine_sees() {
    let path = scratch("handle.jsonl");
    let handle = EngineHandle::spawn(HandleConfig { clock: HandleClock::Manual, ..HandleConfig::default() }).unwrap();
    handle.start_recording(std::fs::File::create(&path).unwrap()).unwrap();
    handle
        .send(Command::RegisterWorker(WorkerSpec {
            id: WorkerId(1),
            hardware: HardwareSet::of(&[HardwareKind::Cpu]),
            slots: 1,
            ..WorkerSpec::default()
        }))
        .unwrap();
    handle.send(Command::SubmitTask(TaskSpec::new(TaskId(1)))).unwrap();
    handle.tick(Timestamp::from_millis(5)).unwrap();
    let stats = handle.stop_recording().unwrap().expect("a recording was running");
    assert_eq!(handle.stop_recording().unwrap(), None);
    handle.shutdown().unwrap();
    let mut reader = Reader::open(&path).unwrap();
    assert_eq!(reader.header().source, "engine");
    let mut kinds = Vec::new();
    while let Some(line) = reader.next_line().unwrap() {
        kinds.push(line.kind());
    }
    assert_eq!(
        kinds,
        [
            "command.register_worker",
            "command.submit_task",
            "tick",
            "event.worker_registered",
            "event.task_accepted",
            "event.task_assigned",
            "end"
        ]
    );
    assert_eq!(stats.lines, 8);
    assert_eq!(stats.bytes, std::fs::metadata(&path).unwrap().len());
    // Not a simulated run: the simulator's replay says why it cannot replay it with ground truth, and
    // the engine replay reproduces it.
    let error = sim::replay(&path, &ReplayOptions::default(), &mut |_| {}).unwrap_err();
    assert!(error.to_string().contains("embedded engine"), "{error}");
    let verbatim = ballast::traces::events::replay_engine(&path, &Default::default()).unwrap();
    assert_eq!((verbatim.first_difference, verbatim.replay.placements), (None, 1));
    let _ = std::fs::remove_file(path);
}

/// Writes `text` as a recording and replays it.
fn replay_text(name: &str, text: &str) -> Result<sim::ReplayOutcome, SimError> {
    let path = scratch(name);
    std::fs::write(&path, text).unwrap();
    let result = sim::replay(&path, &ReplayOptions::default(), &mut |_| {});
    let _ = std::fs::remove_file(path);
    result
}

fn small_recording() -> String {
    let (path, _) = record_sim("small.jsonl", 8, 60, Scenario::Default);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(path);
    text
}

/// The line number (1-based) of the first line of `kind`.
fn line_of(text: &str, kind: &str) -> usize {
    text.lines().position(|line| line.contains(&format!("\"kind\":\"{kind}\""))).unwrap() + 1
}

fn with_line(text: &str, number: usize, replacement: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[number - 1] = replacement;
    lines.join("\n") + "\n"
}

#[test]
fn a_truncated_tail_is_a_warning_and_the_rest_replays() {
    let text = small_recording();
    // Cut in the middle of the last completion (after the last arrival, before the report).
    let cut = text.rfind("\"kind\":\"event.task_completed\"").unwrap() + 20;
    let outcome = replay_text("truncated.jsonl", &text[..cut]).unwrap();
    assert!(outcome.warnings.iter().any(|warning| warning.contains("cut short")), "{:?}", outcome.warnings);
    assert!(outcome.recorded.is_none(), "the report line was cut off");
    assert_eq!(outcome.replay.tasks_lost + outcome.replay.invariant_violations, 0);
    assert!(outcome.replay.tasks > 0);
}

#[test]
fn bad_lines_are_errors_naming_their_line() {
    let text = small_recording();
    let tick = line_of(&text, "tick");
    let arrival = line_of(&text, "sim.arrival");
    let register = line_of(&text, "command.register_worker");
    let sim_worker = line_of(&text, "sim.worker");
    let error_of = |name: &str, text: String| replay_text(name, &text).unwrap_err().to_string();

    let message = error_of("not-json.jsonl", with_line(&text, tick, "{\"kind\":\"tick\",\"t\":"));
    assert!(message.contains(&format!("line {tick}: not JSON")), "{message}");
    let message = error_of("garbage.jsonl", with_line(&text, arrival + 3, "hello"));
    assert!(message.contains(&format!("line {}: not JSON", arrival + 3)), "{message}");
    let message = error_of("unknown.jsonl", with_line(&text, tick, "{\"kind\":\"command.teleport\",\"t\":0}"));
    assert!(message.contains(&format!("line {tick}: unknown kind `command.teleport`")), "{message}");
    let message = error_of("bad-field.jsonl", with_line(&text, tick, "{\"kind\":\"tick\",\"t\":\"soon\"}"));
    assert!(message.contains(&format!("line {tick}: bad `tick` line")), "{message}");
    let message = error_of(
        "bad-hardware.jsonl",
        with_line(
            &text,
            register,
            "{\"kind\":\"command.register_worker\",\"t\":0,\"worker\":{\"id\":0,\"hardware\":[\"abacus\"],\"cpu_milli\":1,\"memory_mib\":1,\"slots\":1}}",
        ),
    );
    assert!(message.contains(&format!("line {register}")) && message.contains("abacus"), "{message}");
    let message = error_of(
        "unregistered.jsonl",
        with_line(
            &text,
            sim_worker,
            "{\"kind\":\"sim.worker\",\"t\":0,\"worker\":999,\"machine_speed\":1.0,\"uniform_speed\":false}",
        ),
    );
    assert!(
        message.contains(&format!("line {sim_worker}: sim.worker for w999, which was never registered")),
        "{message}"
    );

    let mut header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    header["version"] = serde_json::json!(ballast::record::VERSION + 1);
    let message = error_of("newer.jsonl", with_line(&text, 1, &header.to_string()));
    assert!(message.contains("format version 2; this build reads versions up to 1"), "{message}");
    let message = error_of("not-a-recording.jsonl", with_line(&text, 1, "{\"kind\":\"tick\",\"t\":0}"));
    assert!(message.contains("line 1 is not a ballast recording header"), "{message}");
    assert!(matches!(Reader::new(std::io::Cursor::new(Vec::<u8>::new())).err(), Some(RecordError::Empty)));
    let mut bytes = text.clone().into_bytes();
    let tick_start: usize = text.lines().take(tick - 1).map(|line| line.len() + 1).sum();
    bytes[tick_start + 2] = 0xff;
    let path = scratch("invalid-utf8.jsonl");
    std::fs::write(&path, bytes).unwrap();
    let message = sim::replay(&path, &ReplayOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(message.contains(&format!("line {tick}: not JSON: not UTF-8")), "{message}");
    let _ = std::fs::remove_file(path);
    let message = error_of("after-end.jsonl", text.clone() + "{\"kind\":\"tick\",\"t\":0}\n");
    assert!(message.contains("a line after the `end` line"), "{message}");
}

#[test]
fn the_version_1_fixture_still_loads() {
    // Written by format version 1; every later version must read it.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/recording-v1.jsonl");
    let outcome = sim::replay(std::path::Path::new(path), &ReplayOptions::default(), &mut |_| {}).unwrap();
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert_eq!(outcome.recorded_trace_hash, outcome.recorded.as_ref().unwrap().trace_hash);
    assert!(outcome.replay.tasks_completed > 0);
}

/// A small coordinator driving an embedded engine, recorded: 12 workers of 2 slots, 240 tasks of
/// known run times, a tenth failing once with a retryable error; a tick every 100 ms.
fn coordinator_recording(path: &Path) -> u64 {
    let mut engine = Engine::new(EngineConfig { seed: 3, ..EngineConfig::default() }).unwrap();
    engine.record_to(Box::new(std::fs::File::create(path).unwrap())).unwrap();
    for id in 0..12 {
        engine
            .push(Command::RegisterWorker(WorkerSpec {
                id: WorkerId(id),
                hardware: HardwareSet::of(&[HardwareKind::Cpu]),
                cpu_milli: 8_000,
                memory_mib: 16_384,
                slots: 2,
                ..WorkerSpec::default()
            }))
            .unwrap();
    }
    let run_ms = |task: u64| 300 + (task * 7_919) % 2_700;
    let mut running: Vec<(u64, TaskId, WorkerId, u8)> = Vec::new();
    let mut ended = 0u64;
    let mut now = 0u64;
    let mut submitted = 0u64;
    while ended < 240 {
        if submitted < 240 && now.is_multiple_of(1_000) {
            let batch: Vec<TaskSpec> = (submitted..submitted + 40)
                .map(|id| {
                    let mut task = TaskSpec::new(TaskId(id));
                    task.model_id = Some(["bert-base-uncased", "openai/whisper-tiny"][(id % 2) as usize].into());
                    task
                })
                .collect();
            submitted += 40;
            engine.push(Command::SubmitBatch(batch)).unwrap();
        }
        let (due, later): (Vec<_>, Vec<_>) = running.drain(..).partition(|&(end, ..)| end <= now);
        running = later;
        for (_, task, worker, attempt) in due {
            if task.0 % 10 == 3 && attempt == 1 {
                engine
                    .push(Command::TaskFailed { task, worker, reason: "device lost".into(), retryable: true })
                    .unwrap();
            } else {
                let duration_ns = run_ms(task.0) * 1_000_000;
                engine.push(Command::TaskCompleted { task, worker, duration_ns }).unwrap();
            }
        }
        engine.tick(Timestamp::from_millis(now)).unwrap();
        for event in engine.events() {
            match event {
                Event::TaskAssigned { task, worker, attempt } => {
                    engine.push(Command::TaskStarted { task, worker }).unwrap();
                    running.push((now + run_ms(task.0), task, worker, attempt));
                }
                Event::TaskCompleted { .. } | Event::TaskFailed { .. } => ended += 1,
                _ => {}
            }
        }
        if now.is_multiple_of(5_000) {
            for id in 0..12 {
                engine.push(Command::Heartbeat { worker: WorkerId(id), utilization: None }).unwrap();
            }
        }
        now += 100;
        assert!(now < 3_600_000, "the coordinator stalled");
    }
    engine.finish_recording().unwrap().unwrap();
    ended
}

#[test]
fn an_embedded_engines_recording_replays_verbatim_and_under_another_policy() {
    use ballast::traces::events::{EngineReplayOptions, replay_engine};
    let path = scratch("coordinator.jsonl");
    assert_eq!(coordinator_recording(&path), 240);

    let verbatim = replay_engine(&path, &EngineReplayOptions::default()).unwrap();
    assert_eq!(verbatim.mode, "verbatim");
    assert_eq!(verbatim.first_difference, None);
    assert!(verbatim.same_assignments);
    assert_eq!(verbatim.replay, verbatim.recorded);
    assert_eq!((verbatim.recorded.tasks, verbatim.recorded.tasks_completed), (240, 240));
    assert_eq!(verbatim.recorded.requeues, 24);

    // A replay records itself; that recording replays verbatim to the same assignments.
    let again = scratch("coordinator-again.jsonl");
    let options = EngineReplayOptions { record: Some(again.clone()), ..EngineReplayOptions::default() };
    assert_eq!(replay_engine(&path, &options).unwrap().first_difference, None);
    let second = replay_engine(&again, &EngineReplayOptions::default()).unwrap();
    assert_eq!((second.first_difference, second.replay.trace_hash), (None, verbatim.recorded.trace_hash.clone()));
    let _ = std::fs::remove_file(again);

    let config = EngineConfig { seed: 3, policy: PolicyName::Random, ..EngineConfig::default() };
    let options = EngineReplayOptions { config: Some(config), ..EngineReplayOptions::default() };
    let random = replay_engine(&path, &options).unwrap();
    assert_eq!(random.mode, "what-if");
    assert!(!random.same_assignments);
    assert_eq!(random.replay.policy, "random");
    assert_eq!((random.replay.tasks, random.replay.tasks_completed, random.replay.tasks_open), (240, 240, 0));
    // The same attempts fail: each of the 24 tasks once, then it runs again.
    assert_eq!(random.replay.requeues, 24);

    let options = EngineReplayOptions { drop_workers_percent: 50.0, ..EngineReplayOptions::default() };
    let half = replay_engine(&path, &options).unwrap();
    assert_eq!((half.workers_dropped, half.replay.workers), (6, 6));
    assert_eq!((half.replay.tasks_completed, half.replay.tasks_open), (240, 0));
    assert!(
        half.replay.makespan_seconds > verbatim.recorded.makespan_seconds,
        "half the workers take longer: {} s against {} s",
        half.replay.makespan_seconds,
        verbatim.recorded.makespan_seconds
    );

    // A verbatim replay notices a recording that its engine would not reproduce.
    let text = std::fs::read_to_string(&path).unwrap();
    let first_assignment = line_of(&text, "event.task_assigned");
    let changed = text
        .lines()
        .enumerate()
        .map(|(index, line)| {
            if index + 1 == first_assignment {
                line.replacen("\"attempt\":1", "\"attempt\":2", 1)
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let tampered = scratch("tampered.jsonl");
    std::fs::write(&tampered, changed).unwrap();
    let outcome = replay_engine(&tampered, &EngineReplayOptions::default()).unwrap();
    let difference = outcome.first_difference.expect("the tampered event is noticed");
    assert!(difference.starts_with(&format!("line {first_assignment}:")), "{difference}");
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(tampered);
}

#[test]
fn a_simulation_keeps_its_history_across_runs() {
    let path = scratch("sim-history.jsonl");
    let _ = std::fs::remove_file(&path);
    let config = SimConfig { workers: 30, tasks: 400, seed: 5, ..SimConfig::default() };
    let plain = sim::run(&config, &mut |_| {}).unwrap();
    let with_file = SimConfig { history_file: Some(path.clone()), ..config };
    let first = sim::run(&with_file, &mut |_| {}).unwrap();
    assert_eq!(first.trace_hash, plain.trace_hash, "an absent history file is an empty history");
    let (saved, _) = ballast::record::load_history(&path).unwrap();
    // Every attempt that ended on a worker is remembered: completions and failures.
    assert_eq!(saved.len() as u64, first.tasks_completed + first.attempts_failed);
    assert_eq!(saved.iter().filter(|run| run.completed).count() as u64, first.tasks_completed);
    let second = sim::run(&with_file, &mut |_| {}).unwrap();
    assert_ne!(second.trace_hash, first.trace_hash, "the second run starts with the first one's history");
    assert_eq!(second.tasks_lost + second.invariant_violations, 0);
    let _ = std::fs::remove_file(path);
}

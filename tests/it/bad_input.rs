//! Bad input: every malformed command, unknown id, duplicate, NaN or absurd number gets a typed error,
//! nothing panics, and nothing accepted is lost.

use ballast::prelude::*;
use ballast_components::config::ConfigError;
use ballast_components::symbols::SymbolError;

fn engine_with_worker(config: EngineConfig) -> Engine {
    let mut engine = Engine::new(config).unwrap();
    engine.register_worker(cpu_worker(0)).unwrap();
    engine
}

fn cpu_worker(id: u64) -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: 4_000,
        memory_mib: 8_192,
        slots: 2,
        ..WorkerSpec::default()
    }
}

fn field_of(error: &SubmitError) -> &'static str {
    match error {
        SubmitError::OutOfRange { field, .. } | SubmitError::BadString { field, .. } => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn registrations_with_bad_fields_are_refused() {
    let mut engine = engine_with_worker(EngineConfig::default());
    assert_eq!(engine.register_worker(cpu_worker(0)), Err(RegisterError::Duplicate(WorkerId(0))));
    let cases: Vec<(WorkerSpec, &str)> = vec![
        (WorkerSpec { slots: 0, ..cpu_worker(1) }, "slots"),
        (WorkerSpec { slots: 1_000_000, ..cpu_worker(1) }, "slots"),
        (WorkerSpec { memory_mib: u64::MAX, ..cpu_worker(1) }, "memory_mib"),
        (WorkerSpec { cpu_milli: u32::MAX, ..cpu_worker(1) }, "cpu_milli"),
        (WorkerSpec { gpus: vec![GpuSpec::default(); 17], ..cpu_worker(1) }, "gpus"),
        (WorkerSpec { tags: vec!["t".into(); 65], ..cpu_worker(1) }, "tags"),
        (WorkerSpec { tags: vec![String::new()], ..cpu_worker(1) }, "tag"),
        (WorkerSpec { tags: vec!["bad\ntag".into()], ..cpu_worker(1) }, "tag"),
        (
            WorkerSpec { gpus: vec![GpuSpec { model: Some("m".repeat(600)), memory_mib: 1 }], ..cpu_worker(1) },
            "gpu model",
        ),
    ];
    for (spec, expected) in cases {
        match engine.register_worker(spec.clone()) {
            Err(RegisterError::OutOfRange { field, .. } | RegisterError::BadString { field, .. }) => {
                assert_eq!(field, expected, "{spec:?}")
            }
            other => panic!("{spec:?} gave {other:?}"),
        }
    }
    assert_eq!(engine.view().worker_count(), 1);
}

#[test]
fn the_pool_is_bounded() {
    let mut engine = engine_with_worker(EngineConfig { workers_max: 1, ..EngineConfig::default() });
    assert_eq!(engine.register_worker(cpu_worker(1)), Err(RegisterError::PoolFull { max: 1 }));
}

#[test]
fn commands_about_unknown_workers_and_tasks_are_refused() {
    let mut engine = engine_with_worker(EngineConfig::default());
    assert_eq!(engine.heartbeat(WorkerId(9), None), Err(WorkerCommandError::UnknownWorker(WorkerId(9))));
    assert_eq!(engine.drain_worker(WorkerId(9)), Err(WorkerCommandError::UnknownWorker(WorkerId(9))));
    assert_eq!(engine.remove_worker(WorkerId(9)), Err(WorkerCommandError::UnknownWorker(WorkerId(9))));
    assert_eq!(engine.cancel(TaskId(9)), Err(TaskCommandError::UnknownTask(TaskId(9))));
    assert_eq!(engine.task_started(TaskId(9), WorkerId(0)), Err(TaskCommandError::UnknownTask(TaskId(9))));
    engine.submit(TaskSpec::new(TaskId(1))).unwrap();
    assert_eq!(engine.task_completed(TaskId(1), WorkerId(9), 1), Err(TaskCommandError::UnknownWorker(WorkerId(9))));
    assert_eq!(
        engine.task_failed(TaskId(1), WorkerId(0), "x".into(), true),
        Err(TaskCommandError::NotOnWorker { task: TaskId(1), worker: WorkerId(0), state: "pending" })
    );
}

#[test]
fn utilization_must_be_a_fraction() {
    let mut engine = engine_with_worker(EngineConfig::default());
    for bad in [f32::NAN, -0.5, 1.5, f32::INFINITY, f32::NEG_INFINITY] {
        let report = UtilizationReport { cpu: 0.5, memory: bad, gpu: 0.0, heat: None };
        match engine.heartbeat(WorkerId(0), Some(report)) {
            Err(WorkerCommandError::BadUtilization { field: "memory", .. }) => {}
            other => panic!("memory {bad} gave {other:?}"),
        }
    }
    let good = UtilizationReport { cpu: 0.0, memory: 1.0, gpu: 0.25, heat: None };
    assert_eq!(engine.heartbeat(WorkerId(0), Some(good)), Ok(()));
}

#[test]
fn submissions_with_bad_fields_are_refused() {
    let mut engine = engine_with_worker(EngineConfig::default());
    let task = |edit: &dyn Fn(&mut TaskSpec)| {
        let mut spec = TaskSpec::new(TaskId(1));
        edit(&mut spec);
        spec
    };
    let cases: Vec<(TaskSpec, &str)> = vec![
        (task(&|spec| spec.priority = 10), "priority"),
        (task(&|spec| spec.requirements.memory_mib = u64::MAX), "memory_mib"),
        (task(&|spec| spec.requirements.gpu = GpuDemand { count: 1, milli: 1_200, memory_mib: 0 }), "gpu milli"),
        (task(&|spec| spec.requirements.gpu = GpuDemand { count: 1, milli: 0, memory_mib: 0 }), "gpu milli"),
        (
            task(&|spec| spec.requirements.gpu = GpuDemand { count: 2, milli: 500, memory_mib: 0 }),
            "gpu count of a fractional share",
        ),
        (
            task(&|spec| spec.requirements.gpu = GpuDemand { count: 0, milli: 0, memory_mib: 512 }),
            "gpu memory_mib without a gpu",
        ),
        (task(&|spec| spec.requirements.gpu = GpuDemand::whole(17)), "gpu count"),
        (task(&|spec| spec.timeout_ms = Some(0)), "timeout_ms"),
        (task(&|spec| spec.timeout_ms = Some(u64::MAX)), "timeout_ms"),
        (task(&|spec| spec.attempts_max = Some(0)), "attempts_max"),
        (task(&|spec| spec.attempts_max = Some(9)), "attempts_max"),
        (task(&|spec| spec.model_id = Some(String::new())), "model_id"),
        (task(&|spec| spec.model_id = Some("m".repeat(513))), "model_id"),
        (task(&|spec| spec.model_id = Some("bert\u{0}".into())), "model_id"),
        (task(&|spec| spec.concurrency_key = Some(String::new())), "concurrency_key"),
        (task(&|spec| spec.requirements.tags = vec!["x".into(); 65]), "tags"),
    ];
    for (spec, expected) in cases {
        let error = engine.submit(spec.clone()).expect_err(expected);
        assert_eq!(field_of(&error), expected, "{spec:?}: {error}");
    }
    match engine.submit(task(&|spec| spec.model_id = Some(String::new()))) {
        Err(SubmitError::BadString { error: SymbolError::Empty, .. }) => {}
        other => panic!("an empty model id gave {other:?}"),
    }
    // None of them was accepted, so the id is still free.
    assert_eq!(engine.submit(TaskSpec::new(TaskId(1))), Ok(()));
}

#[test]
fn a_task_id_is_never_accepted_twice() {
    let mut engine = engine_with_worker(EngineConfig::default());
    engine.submit(TaskSpec::new(TaskId(1))).unwrap();
    assert_eq!(engine.submit(TaskSpec::new(TaskId(1))), Err(SubmitError::Duplicate(TaskId(1))));
    engine.tick(Timestamp::from_millis(10)).unwrap();
    engine.task_completed(TaskId(1), WorkerId(0), 5).unwrap();
    engine.tick(Timestamp::from_millis(20)).unwrap();
    assert!(matches!(engine.view().task(TaskId(1)), TaskLookup::Ended));
    assert_eq!(engine.submit(TaskSpec::new(TaskId(1))), Err(SubmitError::Duplicate(TaskId(1))));
    assert_eq!(engine.task_completed(TaskId(1), WorkerId(0), 5), Err(TaskCommandError::UnknownTask(TaskId(1))));
}

#[test]
fn batches_are_bounded_and_judged_task_by_task() {
    let mut engine = engine_with_worker(EngineConfig { submit_batch_len_max: 3, ..EngineConfig::default() });
    assert_eq!(engine.submit_batch(vec![]), Err(SubmitError::EmptyBatch));
    let four = (0..4).map(|id| TaskSpec::new(TaskId(id))).collect();
    assert_eq!(engine.submit_batch(four), Err(SubmitError::BatchTooLarge { len: 4, max: 3 }));
    let mut bad = TaskSpec::new(TaskId(11));
    bad.priority = 200;
    let outcome = engine.submit_batch(vec![TaskSpec::new(TaskId(10)), bad, TaskSpec::new(TaskId(10))]).unwrap();
    assert_eq!(outcome.accepted, 1);
    assert_eq!(outcome.rejected.len(), 2);
    assert_eq!(outcome.rejected[1], SubmitError::Duplicate(TaskId(10)));
    assert_eq!(engine.view().live_task_count(), 1);
}

#[test]
fn the_live_task_count_is_bounded() {
    let mut engine = engine_with_worker(EngineConfig { tasks_max: 2, ..EngineConfig::default() });
    engine.submit(TaskSpec::new(TaskId(1))).unwrap();
    engine.submit(TaskSpec::new(TaskId(2))).unwrap();
    assert_eq!(engine.submit(TaskSpec::new(TaskId(3))), Err(SubmitError::QueueFull { task: TaskId(3), max: 2 }));
}

#[test]
fn distinct_requirement_sets_are_bounded() {
    let mut engine = engine_with_worker(EngineConfig { requirement_sets_max: 2, ..EngineConfig::default() });
    for id in 0..2 {
        let mut spec = TaskSpec::new(TaskId(id));
        spec.requirements.memory_mib = id;
        engine.submit(spec).unwrap();
    }
    let mut spec = TaskSpec::new(TaskId(2));
    spec.requirements.memory_mib = 2;
    assert_eq!(engine.submit(spec), Err(SubmitError::TooManyRequirementSets { task: TaskId(2), max: 2 }));
}

#[test]
fn the_inbox_is_bounded() {
    let mut engine = engine_with_worker(EngineConfig { inbox_len_max: 1, ..EngineConfig::default() });
    engine.push(Command::SubmitTask(TaskSpec::new(TaskId(1)))).unwrap();
    assert_eq!(engine.push(Command::SubmitTask(TaskSpec::new(TaskId(2)))), Err(CommandError::InboxFull { max: 1 }));
    engine.tick(Timestamp::from_millis(1)).unwrap();
    assert_eq!(engine.push(Command::SubmitTask(TaskSpec::new(TaskId(2)))), Ok(()));
}

#[test]
fn time_cannot_go_backwards() {
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    assert_eq!(
        engine.tick(Timestamp::from_millis(5)),
        Err(TickError::TimeWentBackwards { now_ns: 5_000_000, last_ns: 10_000_000 })
    );
}

#[test]
fn an_invalid_config_is_refused() {
    let zero_attempts = EngineConfig { attempts_max: 0, ..EngineConfig::default() };
    assert!(matches!(Engine::new(zero_attempts), Err(ConfigError::OutOfRange { field: "attempts_max", .. })));
    let inverted = EngineConfig { heartbeat_unresponsive_after_ms: 1, ..EngineConfig::default() };
    assert!(matches!(Engine::new(inverted), Err(ConfigError::HeartbeatOrder { .. })));
}

#[test]
fn queued_bad_commands_come_back_as_events_and_good_ones_still_run() {
    let mut engine = engine_with_worker(EngineConfig::default());
    engine.push(Command::Heartbeat { worker: WorkerId(7), utilization: None }).unwrap();
    engine.push(Command::SubmitBatch(vec![])).unwrap();
    engine.push(Command::SubmitTask(TaskSpec::new(TaskId(1)))).unwrap();
    engine.push(Command::SubmitTask(TaskSpec::new(TaskId(1)))).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    let events = engine.events();
    let rejected: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            Event::CommandRejected { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, vec!["worker w7 is not registered", "the batch is empty", "task t1 was already submitted"]);
    assert!(events.iter().any(|event| matches!(event, Event::TaskAssigned { task: TaskId(1), .. })));
    assert_eq!(engine.view().counters().commands_rejected, 3);
}

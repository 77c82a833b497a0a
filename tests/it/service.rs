//! Service mode from the library side: the OpenAPI document against its committed copy, its command
//! and event kinds against the recording's, and the engine's restore (what recovery builds on). The
//! server itself is tested as users meet it, through the real binary: `tests/python/`.

use ballast::prelude::*;
use ballast::record::KINDS;
use ballast::service::openapi::{COMMANDS, EVENTS, document};
use ballast::{RestoredPlacement, RestoredTask, RestoredWorker};

fn docs_openapi() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    let generated = document();
    if std::env::var_os("BALLAST_BLESS").is_some() {
        std::fs::write(docs_openapi(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(docs_openapi()).expect("docs/openapi.json (BALLAST_BLESS=1 writes it)");
    assert!(
        committed == generated,
        "docs/openapi.json differs from the server's document: run this test with BALLAST_BLESS=1"
    );
}

#[test]
fn the_documented_kinds_are_the_recordings() {
    let documented: Vec<&str> = COMMANDS.iter().chain(EVENTS.iter()).map(|(kind, _, _)| *kind).collect();
    let wire: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|kind| {
            (kind.starts_with("command.") && *kind != "command.import_history") || kind.starts_with("event.")
        })
        .collect();
    assert_eq!(documented, wire);
}

fn worker(id: u64, slots: u32) -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu, HardwareKind::Cuda]),
        cpu_milli: 8_000,
        memory_mib: 16_384,
        slots,
        gpus: vec![GpuSpec { model: None, memory_mib: 16_384 }, GpuSpec { model: None, memory_mib: 16_384 }],
        ..WorkerSpec::default()
    }
}

#[test]
fn a_restore_puts_every_task_back_where_it_was_without_events() {
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    let gpu_task = |id: u64| {
        let mut spec = TaskSpec::new(TaskId(id));
        spec.requirements.gpu = GpuDemand::whole(1);
        spec
    };
    let tasks = vec![
        RestoredTask {
            spec: gpu_task(1),
            attempts: 2,
            migrations: 0,
            placement: Some(RestoredPlacement { worker: WorkerId(7), devices: 0b10, started: true }),
        },
        RestoredTask {
            spec: TaskSpec::new(TaskId(2)),
            attempts: 1,
            migrations: 1,
            placement: Some(RestoredPlacement { worker: WorkerId(7), devices: 0, started: false }),
        },
        RestoredTask { spec: TaskSpec::new(TaskId(3)), attempts: 1, migrations: 0, placement: None },
        // Its worker is gone: it comes back pending, and the report says so.
        RestoredTask {
            spec: TaskSpec::new(TaskId(4)),
            attempts: 1,
            migrations: 0,
            placement: Some(RestoredPlacement { worker: WorkerId(99), devices: 0, started: false }),
        },
    ];
    let mut ended = roaring::RoaringTreemap::new();
    ended.insert(50);
    let workers = vec![RestoredWorker { spec: worker(7, 2), draining: false }];
    let report = engine.restore(Timestamp::from_millis(5_000), workers, tasks, &ended);
    assert_eq!((report.workers, report.placed, report.pending), (1, 2, 2), "{report:?}");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(engine.events().is_empty(), "a restore produces no event");
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
    let view = engine.view();
    let ballast::TaskLookup::Live(first) = view.task(TaskId(1)) else { panic!("task 1 is live") };
    assert_eq!(first.lifecycle.state, TaskState::Running);
    assert_eq!(first.worker, Some(WorkerId(7)));
    assert_eq!(first.lifecycle.assignment.map(|assignment| assignment.devices), Some(0b10));
    assert_eq!(first.lifecycle.attempts_used(), 2);
    assert_eq!(view.task_state(TaskId(2)), Some(TaskState::Assigned));
    assert_eq!(view.task_state(TaskId(3)), Some(TaskState::Pending));
    assert_eq!(engine.submit(TaskSpec::new(TaskId(50))), Err(SubmitError::Duplicate(TaskId(50))));
    assert_eq!(engine.submit(TaskSpec::new(TaskId(1))), Err(SubmitError::Duplicate(TaskId(1))));
    // The reports of the coordinator go on as before the restart.
    engine.task_completed(TaskId(1), WorkerId(7), 1_000_000_000).unwrap();
    engine.tick(Timestamp::from_millis(5_100)).unwrap();
    assert!(engine.check_invariants().is_empty());
    // Pending tasks are placed on the freed slot as usual.
    let assigned: Vec<TaskId> = engine
        .events()
        .into_iter()
        .filter_map(|event| match event {
            Event::TaskAssigned { task, .. } => Some(task),
            _ => None,
        })
        .collect();
    assert_eq!(assigned, vec![TaskId(3)]);
}

//! Admission control: accepting → shedding at the high mark, refusals with a retry-after hint,
//! shedding → accepting at the low mark, and nothing admitted ever dropped.

use ballast::prelude::*;

fn assigned(events: Vec<Event>) -> Vec<TaskId> {
    events
        .into_iter()
        .filter_map(|event| match event {
            Event::TaskAssigned { task, .. } => Some(task),
            _ => None,
        })
        .collect()
}

#[test]
fn admission_sheds_load_between_its_marks_and_loses_nothing() {
    let config = EngineConfig {
        admission_pending_high: 10,
        admission_pending_low: 4,
        admission_retry_after_ms: 2_500,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).unwrap();
    engine
        .register_worker(WorkerSpec {
            id: WorkerId(0),
            hardware: HardwareSet::of(&[HardwareKind::Cpu]),
            cpu_milli: 8_000,
            memory_mib: 16_384,
            slots: 2,
            ..WorkerSpec::default()
        })
        .unwrap();
    let mut now = 0;
    let mut running: Vec<TaskId> = Vec::new();
    // Ends the running tasks and lets the engine place the next ones (two slots).
    let mut finish = |engine: &mut Engine, running: &mut Vec<TaskId>| {
        for task in running.drain(..) {
            engine.task_completed(task, WorkerId(0), 1_000_000).unwrap();
        }
        now += 10;
        engine.tick(Timestamp::from_millis(now)).unwrap();
        running.extend(assigned(engine.events()));
    };
    let overloaded = |result: Result<(), SubmitError>| match result {
        Err(SubmitError::Overloaded { task, pending, retry_after_ms }) => Some((task.0, pending, retry_after_ms)),
        _ => None,
    };
    // Accepting: ten tasks, two placed, then two more: ten waiting.
    for id in 0..10 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    finish(&mut engine, &mut running);
    assert_eq!(running.len(), 2);
    for id in 10..12 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    // Ten waiting reach the high mark: the next submission is refused with the reason and the hint.
    assert_eq!(overloaded(engine.submit(TaskSpec::new(TaskId(100)))), Some((100, 10, 2_500)));
    assert!(matches!(engine.view().task(TaskId(100)), TaskLookup::Unknown), "a refused task was never accepted");
    // Eight, then six waiting: between the marks, still shedding.
    finish(&mut engine, &mut running);
    assert_eq!(overloaded(engine.submit(TaskSpec::new(TaskId(101)))), Some((101, 8, 2_500)));
    finish(&mut engine, &mut running);
    assert_eq!(overloaded(engine.submit(TaskSpec::new(TaskId(102)))), Some((102, 6, 2_500)));
    // Four waiting: the low mark, accepting again.
    finish(&mut engine, &mut running);
    engine.submit(TaskSpec::new(TaskId(103))).unwrap();
    assert!(!matches!(engine.view().task(TaskId(103)), TaskLookup::Unknown));
    assert_eq!(engine.view().counters().admissions_refused, 3);
    // Everything accepted ends: nothing admitted is dropped.
    for _ in 0..10 {
        finish(&mut engine, &mut running);
    }
    assert_eq!(engine.view().counters().tasks_completed, 13);
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

//! Admission control: every transition of accepting → deferring → rejecting and back, by the tasks
//! waiting and by the engine's work per tick, answers with a reason and a retry-after hint, and
//! nothing admitted ever dropped.

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
fn admission_defers_between_its_marks_and_loses_nothing() {
    let config = EngineConfig {
        admission_pending_high: 10,
        admission_pending_low: 4,
        admission_pending_reject: 100,
        admission_retry_after_ms: 2_500,
        // The marks on the tasks waiting now (the forecast's part has its own test).
        prediction: false,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).unwrap();
    engine.register_worker(worker(0, 2)).unwrap();
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
        Err(SubmitError::Deferred { task, pending, retry_after_ms }) => Some((task.0, pending, retry_after_ms)),
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
    // Ten waiting reach the high mark: the next submission is deferred with the reason and the hint.
    assert_eq!(overloaded(engine.submit(TaskSpec::new(TaskId(100)))), Some((100, 10, 2_500)));
    assert!(matches!(engine.view().task(TaskId(100)), TaskLookup::Unknown), "a refused task was never accepted");
    // Eight, then six waiting: between the marks, still deferring.
    finish(&mut engine, &mut running);
    assert_eq!(overloaded(engine.submit(TaskSpec::new(TaskId(101)))), Some((101, 8, 2_500)));
    finish(&mut engine, &mut running);
    assert_eq!(overloaded(engine.submit(TaskSpec::new(TaskId(102)))), Some((102, 6, 2_500)));
    // Four waiting: the low mark, accepting again.
    finish(&mut engine, &mut running);
    engine.submit(TaskSpec::new(TaskId(103))).unwrap();
    assert!(!matches!(engine.view().task(TaskId(103)), TaskLookup::Unknown));
    assert_eq!(engine.view().counters().admissions_deferred, 3);
    // Everything accepted ends: nothing admitted is dropped.
    for _ in 0..10 {
        finish(&mut engine, &mut running);
    }
    assert_eq!(engine.view().counters().tasks_completed, 13);
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

fn worker(id: u64, slots: u32) -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: 8_000,
        memory_mib: 16_384,
        slots,
        ..WorkerSpec::default()
    }
}

#[test]
fn a_queue_that_grows_while_deferring_is_refused_until_it_is_back_under_the_high_mark() {
    let config = EngineConfig {
        admission_pending_low: 2,
        admission_pending_high: 4,
        admission_pending_reject: 6,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).unwrap();
    engine.register_worker(worker(0, 2)).unwrap();
    engine.register_worker(worker(1, 2)).unwrap();
    let answer = |result: Result<(), SubmitError>| match result {
        Ok(()) => "accepted",
        Err(SubmitError::Deferred { .. }) => "deferred",
        Err(SubmitError::Overloaded { .. }) => "rejected",
        Err(other) => panic!("{other}"),
    };
    for id in 0..4 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    engine.tick(Timestamp::from_millis(1)).unwrap();
    for id in 4..8 {
        assert_eq!(answer(engine.submit(TaskSpec::new(TaskId(id)))), "accepted");
    }
    // Four waiting: deferring.
    assert_eq!(answer(engine.submit(TaskSpec::new(TaskId(8)))), "deferred");
    // A worker leaves: its two tasks wait again, six in all, the reject mark.
    engine.remove_worker(WorkerId(1)).unwrap();
    assert_eq!(answer(engine.submit(TaskSpec::new(TaskId(9)))), "rejected");
    // Worker 0 ends what it runs, and the tick places the next ones on it.
    let run_round = |engine: &mut Engine, now_ms: u64| {
        let placed_on_0: Vec<TaskId> = (0..8)
            .map(TaskId)
            .filter(|&id| matches!(engine.view().task(id), TaskLookup::Live(view) if view.worker == Some(WorkerId(0))))
            .collect();
        for id in placed_on_0 {
            engine.task_completed(id, WorkerId(0), 1_000_000).unwrap();
        }
        engine.tick(Timestamp::from_millis(now_ms)).unwrap();
    };
    // Two done, two more placed: four wait, the high mark: deferring again.
    run_round(&mut engine, 2);
    assert_eq!(answer(engine.submit(TaskSpec::new(TaskId(10)))), "deferred");
    // Two more done: two wait, the low mark: accepting.
    run_round(&mut engine, 3);
    assert_eq!(answer(engine.submit(TaskSpec::new(TaskId(11)))), "accepted");
    let counters = engine.view().counters();
    assert_eq!((counters.admissions_deferred, counters.admissions_refused), (2, 1));
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

#[test]
fn a_busy_engine_defers_until_its_ticks_are_light_again() {
    let config = EngineConfig { admission_tick_work_max: 10, ..EngineConfig::default() };
    let mut engine = Engine::new(config).unwrap();
    engine.register_worker(worker(0, 64)).unwrap();
    // A tick that takes in ten submissions and places them: twenty units of work, over the budget.
    for id in 0..10 {
        engine.push(Command::SubmitTask(TaskSpec::new(TaskId(id)))).unwrap();
    }
    engine.tick(Timestamp::from_millis(1)).unwrap();
    assert!(matches!(engine.submit(TaskSpec::new(TaskId(10))), Err(SubmitError::Deferred { pending: 0, .. })));
    // A light tick (one deferred submission's worth of work, under half the budget): accepting again.
    engine.tick(Timestamp::from_millis(2)).unwrap();
    engine.submit(TaskSpec::new(TaskId(10))).unwrap();
    assert_eq!(engine.view().counters().admissions_deferred, 1);
}

#[test]
fn without_backpressure_everything_valid_is_accepted() {
    let config = EngineConfig {
        backpressure: false,
        admission_pending_low: 0,
        admission_pending_high: 1,
        admission_pending_reject: 2,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).unwrap();
    for id in 0..10 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    assert_eq!(engine.view().live_task_count(), 10);
}

fn cuda_task(id: u64) -> TaskSpec {
    let mut spec = TaskSpec::new(TaskId(id));
    spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
    spec
}

/// A CPU worker and a CUDA worker, one slot each.
fn two_kinds(config: EngineConfig) -> Engine {
    let mut engine = Engine::new(config).unwrap();
    engine.register_worker(worker(0, 1)).unwrap();
    let cuda = WorkerSpec { hardware: HardwareSet::of(&[HardwareKind::Cpu, HardwareKind::Cuda]), ..worker(1, 1) };
    engine.register_worker(cuda).unwrap();
    engine
}

#[test]
fn a_slow_queue_defers_its_own_kind_of_work_only() {
    let mut engine = two_kinds(EngineConfig { admission_wait_high_ms: 1_000, ..EngineConfig::default() });
    for id in 0..3 {
        engine.submit(cuda_task(id)).unwrap();
    }
    engine.tick(Timestamp::from_millis(1)).unwrap();
    // The oldest CUDA task waiting has waited 1.5 s: CUDA work is deferred, CPU work is not.
    engine.tick(Timestamp::from_millis(1_501)).unwrap();
    assert!(matches!(engine.submit(cuda_task(10)), Err(SubmitError::Deferred { task: TaskId(10), .. })));
    engine.submit(TaskSpec::new(TaskId(11))).unwrap();
    // The running one ends; the next waits for its turn, and the one after has waited 1.6 s: still slow.
    let running = |engine: &Engine| {
        (0..3)
            .map(TaskId)
            .find(|&id| matches!(engine.view().task(id), TaskLookup::Live(view) if view.worker == Some(WorkerId(1))))
    };
    engine.task_completed(running(&engine).unwrap(), WorkerId(1), 1_000_000).unwrap();
    engine.tick(Timestamp::from_millis(1_601)).unwrap();
    assert!(matches!(engine.submit(cuda_task(12)), Err(SubmitError::Deferred { .. })));
    // Both end: nothing waits, the wait is back under half the target, CUDA work is accepted again.
    for _ in 0..2 {
        engine.task_completed(running(&engine).unwrap(), WorkerId(1), 1_000_000).unwrap();
        engine.tick(Timestamp::from_millis(1_700)).unwrap();
    }
    engine.tick(Timestamp::from_millis(1_800)).unwrap();
    engine.submit(cuda_task(13)).unwrap();
    assert_eq!(engine.view().counters().admissions_deferred, 2);
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

#[test]
fn a_backlog_for_few_workers_is_not_admitted_whole() {
    let config = EngineConfig { admission_set_pending_per_worker: 2, ..EngineConfig::default() };
    let mut engine = two_kinds(config);
    // The bound holds from the tick after a kind of work is first seen (its eligible workers are
    // counted then): the first CUDA task runs on the one CUDA worker.
    engine.submit(cuda_task(0)).unwrap();
    engine.tick(Timestamp::from_millis(1)).unwrap();
    // Two CUDA tasks may wait (those admitted since the last tick count too).
    let answers: Vec<bool> = (1..5).map(|id| engine.submit(cuda_task(id)).is_ok()).collect();
    assert_eq!(answers, [true, true, false, false]);
    // Another kind of work is not held back by it.
    for id in 10..14 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    // The running one ends and the tick places the next: one waits, so one more is admitted.
    engine.task_completed(TaskId(0), WorkerId(1), 1_000_000).unwrap();
    engine.tick(Timestamp::from_millis(2)).unwrap();
    assert!(engine.submit(cuda_task(5)).is_ok());
    assert!(engine.submit(cuda_task(6)).is_err());
}

#[test]
fn with_prediction_a_rising_queue_is_deferred_before_it_reaches_the_mark() {
    // Ten tasks a second onto a worker that runs none: the queue rises by ten a second.
    let first_deferral_at = |prediction: bool| {
        let config = EngineConfig {
            admission_pending_low: 50,
            admission_pending_high: 100,
            admission_pending_reject: 1_000,
            admission_retry_after_ms: 5_000,
            prediction,
            ..EngineConfig::default()
        };
        let mut engine = Engine::new(config).unwrap();
        engine.register_worker(worker(0, 1)).unwrap();
        for second in 0..20u64 {
            for offset in 0..10 {
                let id = TaskId(second * 10 + offset);
                if let Err(SubmitError::Deferred { pending, .. }) = engine.submit(TaskSpec::new(id)) {
                    return pending;
                }
            }
            engine.heartbeat(WorkerId(0), None).unwrap();
            engine.tick(Timestamp::from_millis(second * 1_000 + 1_000)).unwrap();
        }
        panic!("never deferred");
    };
    // Without a forecast it defers at the mark; with one, five seconds (the retry hint) ahead of it.
    assert_eq!(first_deferral_at(false), 100);
    let early = first_deferral_at(true);
    assert!((40..100).contains(&early), "{early}");
}

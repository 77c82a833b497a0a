//! The embedding handle: commands in and events out over channels, with the engine on its own thread.

use std::time::Duration;

use ballast::prelude::*;
use ballast::{EngineHandle, HandleClock, HandleConfig};

fn worker() -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(1),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        slots: 2,
        memory_mib: 4_096,
        ..WorkerSpec::default()
    }
}

#[test]
fn a_manual_clock_handle_answers_commands_with_events() {
    let config = HandleConfig { clock: HandleClock::Manual, ..HandleConfig::default() };
    let handle = EngineHandle::spawn(config).unwrap();
    handle.send(Command::RegisterWorker(worker())).unwrap();
    let sender = handle.sender();
    let submitter = std::thread::spawn(move || {
        for id in 0..3 {
            sender.send(Command::SubmitTask(TaskSpec::new(TaskId(id)))).unwrap();
        }
    });
    submitter.join().unwrap();
    handle.tick(Timestamp::from_millis(10)).unwrap();
    let batch = handle.events().recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(batch.now, Timestamp::from_millis(10));
    let assigned = batch.events.iter().filter(|event| matches!(event, Event::TaskAssigned { .. })).count();
    assert_eq!(assigned, 2, "two slots, three tasks: {:?}", batch.events);

    let explanation = handle.explain(TaskId(2)).unwrap();
    assert_eq!(explanation.state, TaskState::Pending);
    assert_eq!(explanation.busy, 1);
    let snapshot = handle.snapshot().unwrap();
    assert_eq!((snapshot.workers, snapshot.live_tasks, snapshot.counters.placements), (1, 3, 2));
    assert_eq!(
        handle.tick(Timestamp::from_millis(5)),
        Err(ballast::HandleError::Tick(TickError::TimeWentBackwards { now_ns: 5_000_000, last_ns: 10_000_000 }))
    );
    let engine = handle.shutdown().unwrap();
    assert_eq!(engine.view().counters().tasks_accepted, 3);
}

#[test]
fn a_wall_clock_handle_ticks_on_its_own() {
    let config = HandleConfig {
        clock: HandleClock::Wall { tick_interval: Duration::from_millis(2) },
        ..HandleConfig::default()
    };
    let handle = EngineHandle::spawn(config).unwrap();
    handle.send(Command::RegisterWorker(worker())).unwrap();
    handle.send(Command::SubmitTask(TaskSpec::new(TaskId(9)))).unwrap();
    let assigned = handle
        .events()
        .iter()
        .flat_map(|batch| batch.events)
        .find(|event| matches!(event, Event::TaskAssigned { .. }))
        .unwrap();
    assert_eq!(assigned, Event::TaskAssigned { task: TaskId(9), worker: WorkerId(1), attempt: 1 });
    drop(handle);
}

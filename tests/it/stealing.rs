//! Work stealing through the engine: the recall protocol step by step (given back, started first,
//! thief lost, victim lost), what may not move, and a property test of migration under random loss
//! of victims and thieves.

use std::collections::BTreeMap;

use ballast::prelude::*;
use proptest::prelude::*;

fn worker(id: u64, slots: u32, cuda: bool) -> WorkerSpec {
    let kinds: &[HardwareKind] = if cuda { &[HardwareKind::Cpu, HardwareKind::Cuda] } else { &[HardwareKind::Cpu] };
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(kinds),
        cpu_milli: 8_000,
        memory_mib: 16_384,
        slots,
        ..WorkerSpec::default()
    }
}

/// Moves are cheap and always worth it here, so that the protocol, not the cost test, is under test.
fn config() -> EngineConfig {
    EngineConfig {
        prefetch_max: 4,
        steal_migration_ms: 0,
        steal_cold_start_ms: 0,
        steal_gain_min_permille: 0,
        steal_hysteresis_ms: 60_000,
        // Every tick, so each step of a test sees the stage run.
        steal_interval_ms: 0,
        ..EngineConfig::default()
    }
}

fn recalls(events: &[Event]) -> Vec<(TaskId, WorkerId, WorkerId)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::TaskRecalled { task, worker, to } => Some((*task, *worker, *to)),
            _ => None,
        })
        .collect()
}

fn worker_of(engine: &Engine, task: TaskId) -> Option<WorkerId> {
    match engine.view().task(task) {
        TaskLookup::Live(view) => view.worker,
        _ => None,
    }
}

/// Worker 0 (one slot) holds three tasks, the first running; then worker 1 joins, idle.
fn one_queue() -> (Engine, u64) {
    let mut engine = Engine::new(config()).unwrap();
    engine.register_worker(worker(0, 1, false)).unwrap();
    for id in 0..3 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    engine.tick(Timestamp::from_millis(1)).unwrap();
    for id in 0..3 {
        assert_eq!(worker_of(&engine, TaskId(id)), Some(WorkerId(0)), "the only worker queues them all");
    }
    engine.task_started(TaskId(0), WorkerId(0)).unwrap();
    engine.events();
    engine.register_worker(worker(1, 1, false)).unwrap();
    engine.tick(Timestamp::from_millis(2)).unwrap();
    (engine, 2)
}

#[test]
fn a_released_task_moves_to_the_idle_worker_in_one_step() {
    let (mut engine, _) = one_queue();
    let events = engine.events();
    // One free slot on the thief: one recall, of the task that would start last on the victim.
    assert_eq!(recalls(&events), vec![(TaskId(2), WorkerId(0), WorkerId(1))]);
    assert_eq!(worker_of(&engine, TaskId(2)), Some(WorkerId(0)), "a recalled task stays until given back");
    assert!(engine.check_invariants().is_empty());

    engine.task_released(TaskId(2), WorkerId(0)).unwrap();
    let events = engine.events();
    assert!(
        events.contains(&Event::TaskMigrated { task: TaskId(2), from: WorkerId(0), to: WorkerId(1), attempt: 2 }),
        "{events:?}"
    );
    assert_eq!(worker_of(&engine, TaskId(2)), Some(WorkerId(1)));
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
    // The victim can no longer start it; the thief can.
    assert!(matches!(engine.task_started(TaskId(2), WorkerId(0)), Err(TaskCommandError::NotOnWorker { .. })));
    engine.task_started(TaskId(2), WorkerId(1)).unwrap();
    // A move is not an attempt: one retryable failure still leaves the default three attempts' worth.
    engine.task_failed(TaskId(2), WorkerId(1), "device lost".into(), true).unwrap();
    assert!(matches!(engine.view().task(TaskId(2)), TaskLookup::Live(_)), "requeued, not failed for good");
    let counters = engine.view().counters();
    assert_eq!((counters.steals, counters.migrations), (1, 1));
}

#[test]
fn a_task_started_first_runs_where_it_is() {
    let (mut engine, _) = one_queue();
    assert_eq!(recalls(&engine.events()).len(), 1);
    // The victim's slot freed and it started the task before it saw the recall.
    engine.task_completed(TaskId(0), WorkerId(0), 1_000_000).unwrap();
    engine.task_started(TaskId(1), WorkerId(0)).unwrap();
    engine.task_completed(TaskId(1), WorkerId(0), 1_000_000).unwrap();
    engine.task_started(TaskId(2), WorkerId(0)).unwrap();
    // Its late answer is refused: the task runs on the victim, once.
    assert_eq!(engine.task_released(TaskId(2), WorkerId(0)), Err(TaskCommandError::AlreadyStarted(TaskId(2))));
    assert_eq!(worker_of(&engine, TaskId(2)), Some(WorkerId(0)));
    assert_eq!(engine.view().task_state(TaskId(2)), Some(TaskState::Running));
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

#[test]
fn a_thief_lost_mid_move_sends_the_task_back_to_the_queue() {
    let (mut engine, mut now) = one_queue();
    assert_eq!(recalls(&engine.events()).len(), 1);
    engine.remove_worker(WorkerId(1)).unwrap();
    engine.task_released(TaskId(2), WorkerId(0)).unwrap();
    let events = engine.events();
    assert!(
        events.contains(&Event::TaskRequeued { task: TaskId(2), worker: WorkerId(0), reason: RequeueReason::Released }),
        "{events:?}"
    );
    assert_eq!(engine.view().task_state(TaskId(2)), Some(TaskState::Pending));
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
    // The match stage places it again (on the only worker left).
    now += 1;
    engine.tick(Timestamp::from_millis(now)).unwrap();
    assert_eq!(worker_of(&engine, TaskId(2)), Some(WorkerId(0)));
    assert!(engine.check_invariants().is_empty());
}

#[test]
fn a_victim_lost_mid_move_loses_nothing() {
    let (mut engine, mut now) = one_queue();
    assert_eq!(recalls(&engine.events()).len(), 1);
    engine.remove_worker(WorkerId(0)).unwrap();
    for id in 0..3 {
        assert_eq!(engine.view().task_state(TaskId(id)), Some(TaskState::Pending), "task {id} requeued");
    }
    // Its late answer is refused; the tasks go to the worker left.
    assert!(engine.task_released(TaskId(2), WorkerId(0)).is_err());
    now += 1;
    engine.tick(Timestamp::from_millis(now)).unwrap();
    for id in 0..3 {
        assert_eq!(worker_of(&engine, TaskId(id)), Some(WorkerId(1)));
    }
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

#[test]
fn nothing_moves_to_a_worker_that_may_not_run_it() {
    let mut engine = Engine::new(config()).unwrap();
    engine.register_worker(worker(0, 1, true)).unwrap();
    for id in 0..3 {
        let mut spec = TaskSpec::new(TaskId(id));
        spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
        engine.submit(spec).unwrap();
    }
    engine.tick(Timestamp::from_millis(1)).unwrap();
    engine.task_started(TaskId(0), WorkerId(0)).unwrap();
    engine.register_worker(worker(1, 1, false)).unwrap();
    engine.tick(Timestamp::from_millis(2)).unwrap();
    assert!(recalls(&engine.events()).is_empty(), "a CPU-only worker may not take CUDA tests");
    // A CUDA worker may.
    engine.register_worker(worker(2, 1, true)).unwrap();
    engine.tick(Timestamp::from_millis(3)).unwrap();
    assert_eq!(recalls(&engine.events()), vec![(TaskId(2), WorkerId(0), WorkerId(2))]);
}

#[test]
fn a_task_that_moved_stays_put_for_the_hysteresis_time() {
    let (mut engine, mut now) = one_queue();
    assert_eq!(recalls(&engine.events()).len(), 1);
    engine.task_released(TaskId(2), WorkerId(0)).unwrap();
    engine.task_started(TaskId(2), WorkerId(1)).unwrap();
    // Worker 1 is busy now; task 1 still waits behind task 0 on worker 0. A third worker joins: it may
    // take task 1, which never moved, and nothing else moves.
    engine.register_worker(worker(3, 1, false)).unwrap();
    now += 1;
    engine.tick(Timestamp::from_millis(now)).unwrap();
    assert_eq!(recalls(&engine.events()), vec![(TaskId(1), WorkerId(0), WorkerId(3))]);
    engine.task_released(TaskId(1), WorkerId(0)).unwrap();
    engine.task_started(TaskId(1), WorkerId(3)).unwrap();
    engine.events();
    // Task 1 and task 2 each moved once; re-queued behind a busy slot on worker 3, task 1 could move
    // back to an idle worker 0, but not within the hysteresis time.
    engine.task_completed(TaskId(0), WorkerId(0), 1_000_000).unwrap();
    engine.submit(TaskSpec::new(TaskId(9))).unwrap();
    now += 1;
    engine.tick(Timestamp::from_millis(now)).unwrap();
    assert!(recalls(&engine.events()).is_empty());
    assert!(engine.check_invariants().is_empty());
}

#[test]
fn no_recalls_without_run_queues_or_with_stealing_off() {
    for config in [EngineConfig { prefetch_max: 0, ..config() }, EngineConfig { stealing: false, ..config() }] {
        let mut engine = Engine::new(config).unwrap();
        engine.register_worker(worker(0, 1, false)).unwrap();
        for id in 0..3 {
            engine.submit(TaskSpec::new(TaskId(id))).unwrap();
        }
        engine.tick(Timestamp::from_millis(1)).unwrap();
        engine.register_worker(worker(1, 1, false)).unwrap();
        engine.tick(Timestamp::from_millis(2)).unwrap();
        assert!(recalls(&engine.events()).is_empty());
        assert_eq!(engine.view().counters().steals, 0);
    }
}

/// One step of a coordinator and its workers.
#[derive(Clone, Debug)]
enum Step {
    Submit {
        count: u8,
        cuda: bool,
    },
    Tick {
        ms: u16,
    },
    /// The worker of the `k`-th assigned task starts it.
    Start(u8),
    /// The `k`-th running task completes (or fails, retryably).
    End {
        k: u8,
        fail: bool,
    },
    /// Answer every recall: give the task back, or (the worker was faster) start it.
    Answer {
        release: bool,
    },
    /// A stale report: `k`-th known task released, started or completed by a worker it is not on.
    Stale {
        k: u8,
        worker: u8,
    },
    /// A worker leaves at once (its tasks requeued), or joins again.
    Remove(u8),
    Register {
        worker: u8,
        slots: u8,
        cuda: bool,
    },
    /// A worker stops heartbeating (it will be found unresponsive, then lost).
    Silence(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u8..5, any::<bool>()).prop_map(|(count, cuda)| Step::Submit { count, cuda }),
        4 => (1u16..3_000).prop_map(|ms| Step::Tick { ms }),
        4 => any::<u8>().prop_map(Step::Start),
        3 => (any::<u8>(), any::<bool>()).prop_map(|(k, fail)| Step::End { k, fail }),
        3 => any::<bool>().prop_map(|release| Step::Answer { release }),
        1 => (any::<u8>(), 0u8..6).prop_map(|(k, worker)| Step::Stale { k, worker }),
        2 => (0u8..6).prop_map(Step::Remove),
        2 => (0u8..6, 1u8..3, any::<bool>()).prop_map(|(worker, slots, cuda)| Step::Register { worker, slots, cuda }),
        2 => (0u8..6).prop_map(Step::Silence),
    ]
}

/// The coordinator's view, kept from the engine's events only.
/// What the random runs exercised.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    migrations: u64,
    released_to_queue: u64,
    victims_lost: u64,
    thieves_lost: u64,
}

#[derive(Default)]
struct Coordinator {
    /// Where each task is assigned (not started), by the events.
    assigned: BTreeMap<u64, u64>,
    /// Tasks running, on the worker whose start the engine accepted.
    running: BTreeMap<u64, u64>,
    /// Recalls not yet answered: task, victim, thief.
    recalled: Vec<(u64, u64, u64)>,
    stats: Stats,
    /// Tasks given back, until the engine says where they went.
    released: BTreeMap<u64, u64>,
    /// Tasks requiring CUDA, and the CUDA workers.
    cuda_tasks: Vec<u64>,
    cuda_workers: Vec<u64>,
    silent: Vec<u64>,
    accepted: u64,
    ended: BTreeMap<u64, u32>,
    now_ms: u64,
}

impl Coordinator {
    fn absorb(&mut self, engine: &mut Engine) -> Result<(), TestCaseError> {
        for event in engine.events() {
            match event {
                Event::TaskAssigned { task, worker, .. } => {
                    prop_assert!(!self.running.contains_key(&task.0), "{task} assigned while running");
                    self.assigned.insert(task.0, worker.0);
                }
                Event::TaskMigrated { task, from, to, .. } => {
                    prop_assert_eq!(self.released.remove(&task.0), Some(from.0), "moved from where it was given back");
                    self.stats.migrations += 1;
                    prop_assert!(!self.running.contains_key(&task.0), "a running task never moves");
                    if self.cuda_tasks.contains(&task.0) {
                        prop_assert!(self.cuda_workers.contains(&to.0), "{task} moved to non-CUDA {to}");
                    }
                    self.assigned.insert(task.0, to.0);
                }
                Event::TaskRecalled { task, worker, to } => {
                    prop_assert_eq!(self.assigned.get(&task.0), Some(&worker.0), "recalled from where it is");
                    self.recalled.push((task.0, worker.0, to.0));
                }
                Event::WorkerRemoved { worker, .. } => {
                    let open =
                        |(task, _, thief): &&(u64, u64, u64)| *thief == worker.0 && self.assigned.contains_key(task);
                    self.stats.thieves_lost += self.recalled.iter().filter(open).count() as u64;
                }
                Event::TaskRequeued { task, worker, reason } => {
                    match reason {
                        RequeueReason::Released => self.stats.released_to_queue += 1,
                        RequeueReason::WorkerLost => {
                            let open =
                                |(recalled, victim, _): &&(u64, u64, u64)| *recalled == task.0 && *victim == worker.0;
                            self.stats.victims_lost += self.recalled.iter().filter(open).count() as u64;
                        }
                        _ => {}
                    }
                    self.assigned.remove(&task.0);
                    self.running.remove(&task.0);
                    self.released.remove(&task.0);
                }
                Event::TaskCompleted { task, .. }
                | Event::TaskFailed { task, .. }
                | Event::TaskCancelled { task, .. }
                | Event::TaskUnschedulable { task, .. } => {
                    self.assigned.remove(&task.0);
                    self.running.remove(&task.0);
                    *self.ended.entry(task.0).or_default() += 1;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Every task the coordinator runs is running on that worker in the engine, and every task it
    /// holds assigned is assigned there: never on two workers, never on none.
    fn agrees(&self, engine: &Engine) -> Result<(), TestCaseError> {
        let violations = engine.check_invariants();
        prop_assert!(violations.is_empty(), "{:?}", violations);
        for (&task, &worker) in &self.running {
            prop_assert_eq!(engine.view().task_state(TaskId(task)), Some(TaskState::Running));
            prop_assert_eq!(worker_of(engine, TaskId(task)), Some(WorkerId(worker)));
        }
        for (&task, &worker) in &self.assigned {
            prop_assert_eq!(engine.view().task_state(TaskId(task)), Some(TaskState::Assigned));
            prop_assert_eq!(worker_of(engine, TaskId(task)), Some(WorkerId(worker)));
        }
        Ok(())
    }

    fn tick(&mut self, engine: &mut Engine, ms: u64) -> Result<(), TestCaseError> {
        self.now_ms += ms;
        for id in 0..12 {
            if !self.silent.contains(&id) {
                let _ = engine.heartbeat(WorkerId(id), None);
            }
        }
        engine.tick(Timestamp::from_millis(self.now_ms)).unwrap();
        self.absorb(engine)
    }
}

fn run(steps: &[Step], totals: &std::cell::Cell<Stats>) -> Result<(), TestCaseError> {
    let config = EngineConfig {
        heartbeat_suspect_after_ms: 2_000,
        heartbeat_unresponsive_after_ms: 4_000,
        heartbeat_lost_after_ms: 8_000,
        health_check_interval_ms: 500,
        steal_hysteresis_ms: 1_000,
        ..config()
    };
    let mut engine = Engine::new(config).unwrap();
    let mut coordinator = Coordinator::default();
    for id in 0..3 {
        let cuda = id != 1;
        engine.register_worker(worker(id, 1 + (id as u32 % 2), cuda)).unwrap();
        if cuda {
            coordinator.cuda_workers.push(id);
        }
    }
    for step in steps {
        match *step {
            Step::Submit { count, cuda } => {
                for _ in 0..count {
                    let id = coordinator.accepted;
                    let mut spec = TaskSpec::new(TaskId(id));
                    if cuda {
                        spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
                        coordinator.cuda_tasks.push(id);
                    }
                    if engine.submit(spec).is_ok() {
                        coordinator.accepted += 1;
                    }
                }
            }
            Step::Tick { ms } => coordinator.tick(&mut engine, u64::from(ms))?,
            Step::Start(k) => {
                let picked = coordinator.assigned.iter().nth(usize::from(k) % coordinator.assigned.len().max(1));
                if let Some((&task, &worker)) = picked
                    && !coordinator.silent.contains(&worker)
                    && engine.task_started(TaskId(task), WorkerId(worker)).is_ok()
                {
                    coordinator.assigned.remove(&task);
                    coordinator.running.insert(task, worker);
                }
            }
            Step::End { k, fail } => {
                let picked = coordinator.running.iter().nth(usize::from(k) % coordinator.running.len().max(1));
                if let Some((&task, &worker)) = picked
                    && !coordinator.silent.contains(&worker)
                {
                    let (id, on) = (TaskId(task), WorkerId(worker));
                    let result = if fail {
                        engine.task_failed(id, on, "device lost".into(), true)
                    } else {
                        engine.task_completed(id, on, 1_000_000)
                    };
                    prop_assert!(result.is_ok(), "the engine refused a true report: {:?}", result);
                    coordinator.running.remove(&task);
                }
            }
            Step::Answer { release } => {
                for (task, worker, _) in std::mem::take(&mut coordinator.recalled) {
                    if coordinator.assigned.get(&task) != Some(&worker) || coordinator.silent.contains(&worker) {
                        continue; // it left that worker since, or the worker is dead
                    }
                    let (id, on) = (TaskId(task), WorkerId(worker));
                    if release {
                        if engine.task_released(id, on).is_ok() {
                            coordinator.assigned.remove(&task);
                            coordinator.released.insert(task, worker);
                        }
                    } else if engine.task_started(id, on).is_ok() {
                        coordinator.assigned.remove(&task);
                        coordinator.running.insert(task, worker);
                    }
                }
            }
            Step::Stale { k, worker } => {
                let task = u64::from(k) % coordinator.accepted.max(1);
                let actual = coordinator.assigned.get(&task).or(coordinator.running.get(&task)).copied();
                if actual != Some(u64::from(worker)) {
                    let (id, on) = (TaskId(task), WorkerId(u64::from(worker)));
                    prop_assert!(engine.task_released(id, on).is_err());
                    prop_assert!(engine.task_started(id, on).is_err());
                    prop_assert!(engine.task_completed(id, on, 1).is_err());
                }
            }
            Step::Remove(worker) => {
                if engine.remove_worker(WorkerId(u64::from(worker))).is_ok() {
                    coordinator.cuda_workers.retain(|&id| id != u64::from(worker));
                }
            }
            Step::Register { worker, slots, cuda } => {
                let id = u64::from(worker);
                if engine.register_worker(self::worker(id, u32::from(slots), cuda)).is_ok() {
                    coordinator.silent.retain(|&silent| silent != id);
                    if cuda {
                        coordinator.cuda_workers.push(id);
                    }
                }
            }
            Step::Silence(worker) => coordinator.silent.push(u64::from(worker)),
        }
        coordinator.absorb(&mut engine)?;
        coordinator.agrees(&engine)?;
    }
    // Settle: the live workers run everything; the silent ones are lost and their tasks move on.
    for id in 10..12 {
        let cuda = id == 10;
        engine.register_worker(worker(id, 2, cuda)).unwrap();
        if cuda {
            coordinator.cuda_workers.push(id);
        }
    }
    coordinator.silent.clear();
    for _ in 0..400 {
        coordinator.tick(&mut engine, 500)?;
        for (task, worker, _) in std::mem::take(&mut coordinator.recalled) {
            if coordinator.assigned.get(&task) == Some(&worker)
                && engine.task_released(TaskId(task), WorkerId(worker)).is_ok()
            {
                coordinator.assigned.remove(&task);
                coordinator.released.insert(task, worker);
            }
        }
        for (task, worker) in std::mem::take(&mut coordinator.running) {
            engine.task_completed(TaskId(task), WorkerId(worker), 1_000_000).unwrap();
        }
        for (task, worker) in coordinator.assigned.clone() {
            if engine.task_started(TaskId(task), WorkerId(worker)).is_ok() {
                coordinator.assigned.remove(&task);
                coordinator.running.insert(task, worker);
            }
        }
        coordinator.absorb(&mut engine)?;
        coordinator.agrees(&engine)?;
        if coordinator.ended.len() as u64 == coordinator.accepted {
            break;
        }
    }
    prop_assert_eq!(coordinator.ended.len() as u64, coordinator.accepted, "every accepted task ends");
    prop_assert!(coordinator.ended.values().all(|&count| count == 1), "and ends once");
    let (mut sum, stats) = (totals.get(), coordinator.stats);
    sum.migrations += stats.migrations;
    sum.released_to_queue += stats.released_to_queue;
    sum.victims_lost += stats.victims_lost;
    sum.thieves_lost += stats.thieves_lost;
    totals.set(sum);
    Ok(())
}

/// Under random recalls, answers, stale reports and loss of victims and thieves, every live task is on
/// exactly one worker or pending (the engine's invariants and the coordinator's own record agree after
/// every step), moves respect requirements, and every accepted task ends exactly once.
#[test]
fn migration_never_puts_a_task_on_two_workers_or_none() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let totals = std::cell::Cell::new(Stats::default());
    if let Err(failure) = runner.run(&proptest::collection::vec(step(), 1..120), |steps| run(&steps, &totals)) {
        panic!("{failure}");
    }
    // The runs did exercise what they claim to.
    let totals = totals.get();
    assert!(totals.migrations >= 100, "{totals:?}");
    assert!(totals.released_to_queue > 0 && totals.victims_lost > 0 && totals.thieves_lost > 0, "{totals:?}");
}

/// Adaptive prefetch: a worker's run-queue depth follows its run times (about `prefetch_horizon_ms`
/// of work ahead) and shrinks to nothing when no work waits for a slot.
#[test]
fn the_run_queue_depth_follows_run_times_and_backlog() {
    let config = EngineConfig {
        prefetch_max: 8,
        prefetch_horizon_ms: 120_000,
        health_check_interval_ms: 1_000,
        stealing: false,
        // The current backlog, not its forecast (which here, draining, would shrink the depth sooner).
        prediction: false,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config).unwrap();
    for id in 0..2 {
        engine.register_worker(worker(id, 1, false)).unwrap();
    }
    for id in 0..60 {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    let depth = |engine: &Engine, id: u64| engine.view().worker(WorkerId(id)).unwrap().load.prefetch;
    let held = |engine: &Engine, id: u64| engine.view().worker(WorkerId(id)).unwrap().task_count;
    let mut now_ms = 1;
    engine.tick(Timestamp::from_millis(now_ms)).unwrap();
    // No history yet: the prior run time (60 s) makes two minutes two tasks ahead.
    assert_eq!((depth(&engine, 0), depth(&engine, 1)), (2, 2));
    assert_eq!((held(&engine, 0), held(&engine, 1)), (3, 3));
    // Tasks turn out to take 10 s: twelve would fit in two minutes, eight (the cap) are held ahead.
    let mut next_start = [0u64, 1];
    for _ in 0..12 {
        for worker in 0..2u64 {
            let task = TaskId(next_start[worker as usize]);
            engine.task_started(task, WorkerId(worker)).unwrap();
            engine.task_completed(task, WorkerId(worker), 10_000_000_000).unwrap();
            // The next task this worker holds, in placement order.
            let mut next = None;
            for id in 0..60 {
                if let TaskLookup::Live(view) = engine.view().task(TaskId(id))
                    && view.worker == Some(WorkerId(worker))
                    && view.lifecycle.state == TaskState::Assigned
                {
                    next = Some(id);
                    break;
                }
            }
            next_start[worker as usize] = next.unwrap_or(u64::MAX);
        }
        now_ms += 10_000;
        for id in 0..2 {
            engine.heartbeat(WorkerId(id), None).unwrap();
        }
        engine.tick(Timestamp::from_millis(now_ms)).unwrap();
    }
    assert_eq!((depth(&engine, 0), depth(&engine, 1)), (8, 8));
    assert_eq!((held(&engine, 0), held(&engine, 1)), (9, 9));
    // Once every task left runs, nothing waits: the depth is 0, and a worker holds no task it cannot
    // start.
    for id in 0..60 {
        if matches!(engine.view().task_state(TaskId(id)), Some(TaskState::Pending | TaskState::Assigned)) {
            engine.cancel(TaskId(id)).unwrap();
        }
    }
    // Two new tasks, one on each idle worker, and both start.
    for id in [100, 101] {
        engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    now_ms += 1_000;
    engine.tick(Timestamp::from_millis(now_ms)).unwrap();
    let on: Vec<WorkerId> = [100, 101].iter().map(|&id| worker_of(&engine, TaskId(id)).unwrap()).collect();
    assert_ne!(on[0], on[1]);
    for (id, worker) in [100, 101].into_iter().zip(on) {
        engine.task_started(TaskId(id), worker).unwrap();
    }
    now_ms += 1_000;
    engine.tick(Timestamp::from_millis(now_ms)).unwrap();
    assert_eq!((depth(&engine, 0), depth(&engine, 1)), (0, 0));
    // One task waiting for two busy slots: half a slot's worth per slot, half the depth.
    engine.submit(TaskSpec::new(TaskId(200))).unwrap();
    now_ms += 1_000;
    engine.tick(Timestamp::from_millis(now_ms)).unwrap();
    assert_eq!((depth(&engine, 0), depth(&engine, 1)), (6, 6));
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
}

/// Proactive rebalancing: a full worker predicted to free its slot before a move would arrive gets a
/// queued task moved to it ahead of time; without prediction it waits until it is idle.
#[test]
fn a_worker_about_to_free_a_slot_is_sent_work_ahead_of_time() {
    for prediction in [true, false] {
        let config = EngineConfig { steal_migration_ms: 2_000, prediction, ..config() };
        let mut engine = Engine::new(config).unwrap();
        // Worker 0 holds three tasks, the first running.
        engine.register_worker(worker(0, 1, false)).unwrap();
        for id in 0..3 {
            engine.submit(TaskSpec::new(TaskId(id))).unwrap();
        }
        engine.tick(Timestamp::from_millis(1)).unwrap();
        engine.task_started(TaskId(0), WorkerId(0)).unwrap();
        // Worker 1 joins and at once takes a new task, so it is never idle.
        engine.register_worker(worker(1, 1, false)).unwrap();
        engine.submit(TaskSpec::new(TaskId(10))).unwrap();
        engine.tick(Timestamp::from_millis(2)).unwrap();
        assert_eq!(worker_of(&engine, TaskId(10)), Some(WorkerId(1)));
        engine.task_started(TaskId(10), WorkerId(1)).unwrap();
        assert!(recalls(&engine.events()).is_empty());
        // Task 10 was predicted to run a minute (the prior); 59 s in, it ends within the 2 s a move takes.
        for now_ms in [10_000, 20_000, 30_000, 40_000, 50_000] {
            engine.heartbeat(WorkerId(0), None).unwrap();
            engine.heartbeat(WorkerId(1), None).unwrap();
            engine.tick(Timestamp::from_millis(now_ms)).unwrap();
            assert!(recalls(&engine.events()).is_empty(), "not yet at {now_ms} ms");
        }
        engine.heartbeat(WorkerId(0), None).unwrap();
        engine.heartbeat(WorkerId(1), None).unwrap();
        engine.tick(Timestamp::from_millis(59_000)).unwrap();
        let recalled = recalls(&engine.events());
        if prediction {
            assert_eq!(recalled, vec![(TaskId(2), WorkerId(0), WorkerId(1))]);
            engine.task_released(TaskId(2), WorkerId(0)).unwrap();
            assert_eq!(worker_of(&engine, TaskId(2)), Some(WorkerId(1)), "queued first on worker 1");
        } else {
            assert!(recalled.is_empty());
        }
        assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
    }
}

//! Fleet health through the engine: flaky-worker quarantine (every transition of its state machine) and
//! workers that die mid-run.

use ballast::prelude::*;

fn worker(id: u64) -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: 8_000,
        memory_mib: 16_384,
        slots: 1,
        ..WorkerSpec::default()
    }
}

struct Fleet {
    engine: Engine,
    now_ms: u64,
    next_task: u64,
}

impl Fleet {
    fn new(config: EngineConfig, workers: u64) -> Fleet {
        let mut engine = Engine::new(config).unwrap();
        for id in 0..workers {
            engine.register_worker(worker(id)).unwrap();
        }
        Fleet { engine, now_ms: 0, next_task: 0 }
    }

    fn tick(&mut self, by_ms: u64) -> Vec<Event> {
        self.now_ms += by_ms;
        for id in 0..self.engine.view().worker_count() as u64 {
            let _ = self.engine.heartbeat(WorkerId(id), None);
        }
        self.engine.tick(Timestamp::from_millis(self.now_ms)).unwrap();
        self.engine.events()
    }

    /// Submits a task per worker (one slot each, so every schedulable worker gets one) and ends each
    /// attempt: failed (retryable) when `fails(worker)`; returns the workers used and the events.
    fn round(&mut self, fails: impl Fn(u64) -> bool) -> (Vec<u64>, Vec<Event>) {
        let workers = self.engine.view().worker_count() as u64;
        let ids: Vec<TaskId> = (0..workers).map(|offset| TaskId(self.next_task + offset)).collect();
        self.next_task += workers;
        for &id in &ids {
            let mut spec = TaskSpec::new(id);
            spec.attempts_max = Some(1);
            self.engine.submit(spec).unwrap();
        }
        let mut events = self.tick(1);
        let placed: Vec<(TaskId, u64)> = events
            .iter()
            .filter_map(|event| match event {
                Event::TaskAssigned { task, worker, .. } => Some((*task, worker.0)),
                _ => None,
            })
            .collect();
        for &(id, worker) in &placed {
            if fails(worker) {
                self.engine.task_failed(id, WorkerId(worker), "disk error".into(), true).unwrap();
            } else {
                self.engine.task_completed(id, WorkerId(worker), 1_000_000).unwrap();
            }
        }
        for id in ids.iter().filter(|id| !placed.iter().any(|(placed, _)| placed == *id)) {
            self.engine.cancel(*id).unwrap();
        }
        events.extend(self.tick(1));
        (placed.into_iter().map(|(_, worker)| worker).collect(), events)
    }
}

fn quarantined(events: &[Event]) -> Vec<(u64, u32)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::WorkerQuarantined { worker, failure_permille, .. } => Some((worker.0, *failure_permille)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_flaky_worker_is_quarantined_gets_no_work_and_returns_when_its_time_is_up() {
    let config = EngineConfig { quarantine_ms: 60_000, health_check_interval_ms: 1_000, ..EngineConfig::default() };
    let mut fleet = Fleet::new(config, 4);
    // Worker 2 fails every attempt; the others never do.
    let mut caught = Vec::new();
    for _ in 0..100 {
        let (_, events) = fleet.round(|worker| worker == 2);
        caught.extend(quarantined(&events));
        if !caught.is_empty() {
            break;
        }
    }
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert_eq!(caught[0].0, 2);
    assert!(caught[0].1 >= 200, "{caught:?}");
    assert!(!fleet.engine.view().worker(WorkerId(2)).unwrap().health.schedulable());
    // Quarantined: heartbeats keep coming, yet it gets nothing for the whole quarantine.
    for _ in 0..40 {
        let (placed, events) = fleet.round(|worker| worker == 2);
        assert!(!placed.contains(&2) && placed.len() == 3, "{placed:?}");
        assert!(quarantined(&events).is_empty());
    }
    // Time is up: the health scan ends it, and the worker takes work again.
    let events: Vec<Event> = (0..61).flat_map(|_| fleet.tick(1_000)).collect();
    assert!(
        events.iter().any(|event| matches!(event, Event::WorkerQuarantineEnded { worker: WorkerId(2) })),
        "{events:?}"
    );
    assert!(fleet.engine.view().worker(WorkerId(2)).unwrap().health.schedulable());
    assert_eq!(fleet.engine.view().counters().quarantines, 1);
    let (placed, _) = fleet.round(|_| false);
    assert!(placed.contains(&2), "on probation, it takes work again: {placed:?}");
    assert!(fleet.engine.check_invariants().is_empty(), "{:?}", fleet.engine.check_invariants());
}

#[test]
fn a_fleet_failing_everywhere_is_not_quarantined_and_the_switch_turns_it_off() {
    // Every worker fails half of its attempts: the suite is broken, not the workers.
    let mut fleet = Fleet::new(EngineConfig::default(), 4);
    let mut events = Vec::new();
    for round in 0..100u64 {
        events.extend(fleet.round(|worker| (worker + round) % 2 == 0).1);
    }
    assert!(quarantined(&events).is_empty(), "{:?}", quarantined(&events));
    // With quarantine off, even a worker failing every attempt keeps getting work.
    let mut fleet = Fleet::new(EngineConfig { quarantine: false, ..EngineConfig::default() }, 4);
    for _ in 0..100 {
        let (placed, events) = fleet.round(|worker| worker == 1);
        assert!(quarantined(&events).is_empty());
        assert!(placed.contains(&1), "{placed:?}");
    }
}

/// A simulated run of `scenario` with a feature on and the same run with it off (`switch` sets it),
/// with the engine's consistency checked after every tick.
fn with_and_without(
    scenario: ballast::sim::Scenario,
    (workers, tasks, seed): (u32, u64, u64),
    switch: impl Fn(&mut ballast::sim::SimConfig, bool),
) -> (ballast::sim::SimReport, ballast::sim::SimReport) {
    let run = |on: bool| {
        let mut config = ballast::sim::SimConfig {
            workers,
            tasks,
            seed,
            scenario,
            check_engine_every_tick: true,
            ..ballast::sim::SimConfig::default()
        };
        switch(&mut config, on);
        ballast::sim::run(&config, &mut |_| {}).unwrap()
    };
    (run(true), run(false))
}

#[test]
fn quarantine_in_the_flaky_scenario_cuts_failed_attempts() {
    let (with, without) = with_and_without(ballast::sim::Scenario::Flaky, (100, 3_000, 3), |config, on| {
        config.engine.quarantine = on;
    });
    assert_eq!((with.tasks_lost, with.tasks_duplicated), (0, 0));
    assert!(with.quarantines > 0 && without.quarantines == 0);
    assert!(
        with.failed_attempts * 10 < without.failed_attempts * 8,
        "{} vs {}",
        with.failed_attempts,
        without.failed_attempts
    );
}

#[test]
fn when_a_tenth_of_the_workers_die_nothing_is_lost_and_requeues_are_bounded() {
    use ballast::sim::{self, Scenario, SimConfig};
    let config = SimConfig { workers: 100, tasks: 3_000, seed: 4, scenario: Scenario::Crash, ..SimConfig::default() };
    let report = sim::run(&config, &mut |_| {}).unwrap();
    assert_eq!(
        (report.tasks_lost, report.tasks_duplicated, report.invariant_violations),
        (0, 0, 0),
        "{}",
        report.summary()
    );
    let ended = report.tasks_completed + report.tasks_failed + report.tasks_cancelled + report.tasks_unschedulable;
    assert_eq!(ended, report.tasks, "every task ends exactly once");
    // The ten dead workers' tasks come back once each (at most their seats, a few dozen), beside the
    // ordinary retries of the same workload without the crash: no task bounces around.
    let healthy = sim::run(&SimConfig { scenario: Scenario::Families, ..config }, &mut |_| {}).unwrap();
    assert!(report.requeues > healthy.requeues, "{} vs {}", report.requeues, healthy.requeues);
    assert!(report.requeues <= healthy.requeues + 150, "{} vs {}", report.requeues, healthy.requeues);
}

#[test]
fn stealing_in_the_stragglers_scenario_cuts_the_makespan_and_loses_nothing() {
    let (with, without) = with_and_without(ballast::sim::Scenario::Stragglers, (40, 4_000, 2), |config, on| {
        config.engine.stealing = on;
    });
    for report in [&with, &without] {
        assert_eq!(
            (report.tasks_lost, report.tasks_duplicated, report.invariant_violations, report.tasks_completed),
            (0, 0, 0, 4_000),
            "{}",
            report.summary()
        );
    }
    assert!(with.migrations > 0 && without.steals == 0);
    // The slow agents' queues go to the idle ones: at least 30% off the makespan.
    assert!(
        with.makespan_seconds < 0.7 * without.makespan_seconds,
        "{} vs {}",
        with.makespan_seconds,
        without.makespan_seconds
    );
}

#[test]
fn under_a_spike_every_submission_is_admitted_or_deferred_and_nothing_is_lost() {
    let (with, without) = with_and_without(ballast::sim::Scenario::Spike, (100, 3_000, 2), |config, on| {
        config.engine.backpressure = on;
    });
    for report in [&with, &without] {
        assert_eq!((report.tasks_lost, report.tasks_duplicated, report.invariant_violations), (0, 0, 0));
        let ended = report.tasks_completed + report.tasks_failed + report.tasks_cancelled;
        assert_eq!(ended, report.tasks, "every task was admitted in the end, and ended once");
    }
    // The coordinator was told to hold back, and each deferral named a retry time it kept.
    assert!(with.deferrals > 0 && without.deferrals + without.rejections == 0, "{}", with.summary());
    // Admitted tasks waited less.
    assert!(
        with.wait_seconds.p99 < without.wait_seconds.p99,
        "{} vs {}",
        with.wait_seconds.p99,
        without.wait_seconds.p99
    );
}

#[test]
fn thermal_awareness_spares_hot_machines_and_lowers_mean_response() {
    let (with, without) = with_and_without(ballast::sim::Scenario::Thermal, (100, 20_000, 4), |config, on| {
        config.thermal_aware = Some(on);
    });
    for report in [&with, &without] {
        assert_eq!((report.tasks_lost, report.invariant_violations, report.tasks_completed), (0, 0, 20_000));
    }
    assert!(
        with.response_seconds.mean < 0.95 * without.response_seconds.mean,
        "{} vs {}",
        with.response_seconds.mean,
        without.response_seconds.mean
    );
}

#[test]
fn a_machine_reporting_heat_is_spared_then_drains_then_takes_work_again() {
    let config = EngineConfig {
        thermal_aware: true,
        thermal_cooldown_ms: 5_000,
        health_check_interval_ms: 1_000,
        exact_scan_workers_max: 256,
        ..EngineConfig::default()
    };
    let mut fleet = Fleet::new(config, 2);
    let report = |heat| Some(UtilizationReport { cpu: 1.0, memory: 0.0, gpu: 0.0, heat: Some(heat) });
    // Both machines take a task and warm up; worker 0 then reports that it is throttling.
    for id in 0..2 {
        fleet.engine.submit(TaskSpec::new(TaskId(id))).unwrap();
    }
    fleet.tick(1);
    fleet.tick(31_000);
    let state = |fleet: &Fleet, id| fleet.engine.view().worker(WorkerId(id)).unwrap().thermal.state;
    assert_eq!((state(&fleet, 0), state(&fleet, 1)), (ThermalState::Warm, ThermalState::Warm));
    fleet.engine.heartbeat(WorkerId(0), report(0.8)).unwrap();
    fleet.tick(1_000);
    assert_eq!(state(&fleet, 0), ThermalState::Hot);
    // Spared: with both busy, a new task goes to the cool one... which has a free slot after its end.
    fleet.engine.task_completed(TaskId(0), WorkerId(0), 1_000_000).unwrap();
    fleet.engine.task_completed(TaskId(1), WorkerId(1), 1_000_000).unwrap();
    fleet.engine.submit(TaskSpec::new(TaskId(2))).unwrap();
    let events = fleet.tick(1);
    assert!(events.contains(&Event::TaskAssigned { task: TaskId(2), worker: WorkerId(1), attempt: 1 }), "{events:?}");
    // No longer full: it cools, and drains (a task that could only go to it waits).
    fleet.tick(1_000);
    assert_eq!(state(&fleet, 0), ThermalState::Cooling);
    fleet.engine.submit(TaskSpec::new(TaskId(3))).unwrap();
    fleet.tick(1);
    assert_eq!(fleet.engine.view().task_state(TaskId(3)), Some(TaskState::Pending), "worker 1 is full, 0 drains");
    // Cooled down (cold, being idle): it takes work again, and warms up.
    fleet.engine.heartbeat(WorkerId(0), report(0.1)).unwrap();
    fleet.tick(5_000);
    assert!(matches!(fleet.engine.view().task(TaskId(3)), TaskLookup::Live(view) if view.worker == Some(WorkerId(0))));
    assert_eq!(state(&fleet, 0), ThermalState::Warming);
    assert!(fleet.engine.check_invariants().is_empty(), "{:?}", fleet.engine.check_invariants());
}

#[test]
fn under_churn_nothing_is_lost_requeues_stay_bounded_and_a_replay_matches() {
    use ballast::sim::{self, ReplayOptions, Scenario, SimConfig};
    let path = std::env::temp_dir().join(format!("ballast-churn-{}.jsonl", std::process::id()));
    let config = SimConfig {
        workers: 100,
        tasks: 3_000,
        seed: 6,
        scenario: Scenario::Churn,
        check_engine_every_tick: true,
        record: Some(path.clone()),
        ..SimConfig::default()
    };
    let report = sim::run(&config, &mut |_| {}).unwrap();
    assert_eq!(
        (report.tasks_lost, report.tasks_duplicated, report.invariant_violations, report.commands_rejected),
        (0, 0, 0, 0),
        "{}",
        report.summary()
    );
    let ended = report.tasks_completed + report.tasks_failed + report.tasks_cancelled + report.tasks_unschedulable;
    assert_eq!(ended, report.tasks, "every task ends exactly once");
    // Workers pulled out at once give back their tasks once each; drained ones give back none.
    let steady = SimConfig { scenario: Scenario::Families, record: None, ..config.clone() };
    let steady = sim::run(&steady, &mut |_| {}).unwrap();
    assert!(report.requeues > steady.requeues, "{} vs {}", report.requeues, steady.requeues);
    assert!(report.requeues <= steady.requeues + 150, "{} vs {}", report.requeues, steady.requeues);
    // The departures and returns are part of the scenario, not of placement: a replay makes them again.
    let outcome = sim::replay(&path, &ReplayOptions::default(), &mut |_| {}).unwrap();
    assert!(outcome.same_assignments);
    std::fs::remove_file(&path).ok();
}

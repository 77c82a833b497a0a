//! The simulator over many seeds with the engine's full consistency check after every tick:
//! no task lost, none on two workers, no worker over capacity, every retry bounded, every task ended.

use ballast::prelude::*;
use ballast::sim::{self, Scenario, SimConfig, SimReport};

fn run(scenario: Scenario, seed: u64, workers: u32, tasks: u64) -> SimReport {
    let config = SimConfig {
        workers,
        tasks,
        seed,
        scenario,
        check_engine_every_tick: true,
        tick_interval_ms: 200,
        ..SimConfig::default()
    };
    sim::run(&config, &mut |_| {}).unwrap()
}

#[track_caller]
fn assert_clean(report: &SimReport, seed: u64) {
    let context = format!("seed {seed}: {}", report.summary());
    assert_eq!(report.invariant_violations, 0, "{context}");
    assert_eq!(report.tasks_lost, 0, "{context}");
    assert_eq!(report.tasks_duplicated, 0, "{context}");
    let ended = report.tasks_completed + report.tasks_failed + report.tasks_cancelled + report.tasks_unschedulable;
    assert_eq!(ended, report.tasks, "{context}");
    assert!(report.placements >= report.tasks_completed, "{context}");
}

#[test]
fn default_scenario_over_many_seeds() {
    for seed in 1..=12 {
        let report = run(Scenario::Default, seed, 60, 600);
        assert_clean(&report, seed);
        assert!(report.tasks_completed > 500, "seed {seed}: {}", report.summary());
    }
}

#[test]
fn original_scenario_over_many_seeds() {
    for seed in 1..=12 {
        let report = run(Scenario::Original, seed, 20, 400);
        assert_clean(&report, seed);
    }
}

#[test]
fn a_tiny_pool_where_some_tasks_can_never_run() {
    // Two workers of the original mix rarely cover every test's memory and GPU needs: the rest must be
    // reported unschedulable, not parked or lost.
    let mut unschedulable = 0;
    for seed in 1..=10 {
        let report = run(Scenario::Original, seed, 2, 100);
        assert_clean(&report, seed);
        unschedulable += report.tasks_unschedulable;
    }
    assert!(unschedulable > 0, "some seed should draw a pool that cannot run every test");
}

#[test]
fn failures_are_retried_a_bounded_number_of_times() {
    let mut config =
        SimConfig { workers: 40, tasks: 400, seed: 3, check_engine_every_tick: true, ..SimConfig::default() };
    config.engine = EngineConfig { attempts_max: 2, ..EngineConfig::default() };
    let report = sim::run(&config, &mut |_| {}).unwrap();
    assert_clean(&report, 3);
    assert!(report.placements <= report.tasks * 2, "{}", report.summary());
}

#[test]
fn every_scenario_under_every_placement_method() {
    // Small runs of each scenario, under the default policy (batch and indexed search), its greedy form,
    // the bandit, and one rotating and one sampling policy: the engine stays consistent after every tick.
    let policies = [
        (PolicyName::Composite, true),
        (PolicyName::Composite, false),
        (PolicyName::Adaptive, true),
        (PolicyName::RoundRobin, true),
        (PolicyName::PowerOfTwo, true),
    ];
    for scenario in Scenario::all() {
        for (policy, batch_assignment) in policies {
            let seed = 5;
            let config = SimConfig {
                workers: if matches!(scenario, Scenario::EtcBraun(_)) { 16 } else { 40 },
                tasks: 300,
                seed,
                scenario,
                check_engine_every_tick: true,
                tick_interval_ms: 200,
                engine: EngineConfig { policy, batch_assignment, ..EngineConfig::default() },
                ..SimConfig::default()
            };
            let report = sim::run(&config, &mut |_| {}).unwrap();
            assert_clean(&report, seed);
            assert!(report.tasks_completed > 0, "{scenario} {policy}: {}", report.summary());
        }
    }
}

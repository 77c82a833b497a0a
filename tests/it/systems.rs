//! Systems and their pure helpers in isolation: a `World` holding exactly what a system reads, one
//! `run_system_once`, and a look at what it wrote.

use bevy_ecs::prelude::*;
use bevy_ecs::system::RunSystemOnce;

use ballast_components::clock::Timestamp;
use ballast_components::config::EngineConfig;
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::history::History;
use ballast_components::ids::{RequirementsId, TaskId};
use ballast_components::ids::{WorkerId, WorkerSlot};
use ballast_components::shape::Shapes;
use ballast_components::symbols::Symbols;
use ballast_components::task::{Task, TaskProfile};
use ballast_components::work::{Outcome, Outcomes, TaskWork};
use ballast_components::worker::{HealthState, Thermal, ThermalState, Worker};
use ballast_systems::analysis::{analyze_admitted_tasks, prior_duration_ns};
use ballast_systems::complete::record_outcomes;
use ballast_systems::health::{ThermalTimings, health_after_silence, next_thermal};

fn task(model: Option<ballast_components::symbols::Symbol>, test_type: TestType) -> Task {
    Task {
        id: TaskId(1),
        requirements: RequirementsId(0),
        priority: 5,
        test_type,
        attempts_max: 3,
        model,
        concurrency_key: None,
        submitted_at: Timestamp::ZERO,
        timeout_ns: 0,
        deadline: None,
        calibration: false,
    }
}

#[test]
fn analysis_profiles_only_the_admitted_tasks() {
    let mut world = World::new();
    let mut symbols = Symbols::new(512, 1_000);
    let whisper = symbols.intern("openai/whisper-tiny").unwrap();
    world.insert_resource(symbols);
    let admitted = world.spawn((task(Some(whisper), TestType::Training), TaskProfile::default())).id();
    let untouched = world.spawn((task(Some(whisper), TestType::Inference), TaskProfile::default())).id();
    world.insert_resource(TaskWork { admitted: vec![admitted], ended: vec![] });
    // The config's prior for audio (30 s, not the default 90 s) is the one used.
    let mut config = EngineConfig::default();
    config.priors.duration_ms[ModelFamily::Audio.index()] = 30_000;
    world.insert_resource(config.clone());

    world.run_system_once(analyze_admitted_tasks).unwrap();

    let profile = world.get::<TaskProfile>(admitted).unwrap();
    assert!(profile.analyzed);
    assert_eq!(profile.family, ModelFamily::Audio);
    assert_eq!(
        profile.predicted_duration_ns,
        prior_duration_ns(&config.priors, ModelFamily::Audio, TestType::Training)
    );
    assert_eq!(profile.predicted_duration_ns, 150_000_000_000);
    assert!(!world.get::<TaskProfile>(untouched).unwrap().analyzed);
}

#[test]
fn outcomes_update_the_history_of_live_workers_only() {
    let mut world = World::new();
    let mut shapes = Shapes::default();
    let (shape, _) = shapes.intern(&Default::default());
    shapes.join(WorkerSlot(0), shape);
    world.insert_resource(shapes);
    world.insert_resource(ballast_components::adaptive::AdaptiveState::default());
    world.insert_resource(ballast_components::history::WarmModels::default());
    world.insert_resource(ballast_components::config::EngineConfig::default());
    let mut symbols = Symbols::new(512, 10);
    let model = symbols.intern("google/vit-base-patch16-224").unwrap();
    let identity = Worker { id: WorkerId(1), slot: WorkerSlot(0), registered_at: Timestamp::ZERO };
    let worker = world.spawn((identity, History::default())).id();
    let gone = world.spawn((identity, History::default())).id();
    world.despawn(gone);
    let outcome = |worker, test_type, duration_ns| Outcome {
        worker,
        family: ModelFamily::Vision,
        hardware: ballast_components::capability::HardwareSet::EMPTY,
        model: Some(model),
        test_type,
        duration_ns,
        response_ns: 0,
        predicted_ns: 0,
    };
    world.insert_resource(Outcomes {
        outcomes: vec![
            outcome(worker, TestType::Inference, Some(8_000)),
            // A training run of 80,000 ns is 16,000 ns of inference (training is 5x).
            outcome(worker, TestType::Training, Some(80_000)),
            outcome(worker, TestType::Inference, None),
            outcome(gone, TestType::Inference, Some(1)),
        ],
    });

    world.run_system_once(record_outcomes).unwrap();

    let history = world.get::<History>(worker).unwrap();
    let stats = history.by_family[ModelFamily::Vision.index()];
    assert_eq!((stats.completed, stats.failed), (2, 1));
    assert_eq!(stats.duration_ewma_ns, 9_000, "8,000 then an eighth of the way to 16,000");
    assert_eq!(stats.success_ppm(), Some(666_666));
    assert_eq!(history.model(model), Some(&stats), "one model: the same figures");
    let shape_stats = world.resource::<Shapes>().shapes[shape.index()].history[ModelFamily::Vision.index()];
    assert_eq!(shape_stats, stats);
    let warm = world.resource::<ballast_components::history::WarmModels>();
    assert_eq!(warm.workers(model), &[WorkerSlot(0)], "the model is warm where it completed");
    assert!(world.resource::<Outcomes>().outcomes.is_empty());
}

#[test]
fn silence_walks_every_health_state() {
    let (suspect, unresponsive, lost) = (15, 30, 120);
    let state = |silence| health_after_silence(silence, suspect, unresponsive, lost);
    assert_eq!(state(0), Some(HealthState::Healthy));
    assert_eq!(state(14), Some(HealthState::Healthy));
    assert_eq!(state(15), Some(HealthState::Suspect));
    assert_eq!(state(30), Some(HealthState::Unresponsive));
    assert_eq!(state(119), Some(HealthState::Unresponsive));
    assert_eq!(state(120), None);
}

#[test]
fn thermal_states_go_through_every_transition() {
    let timings = ThermalTimings { warmup_ns: 30, hot_after_ns: 300, cooldown_ns: 60 };
    let at = |state, since| Thermal { state, since: Timestamp(since), heat_at: Timestamp(since), ..Thermal::default() };
    // busy / full / utilization in thousandths, at `now`
    let step = |thermal, busy, full, used, now| next_thermal(thermal, busy, full, used, Timestamp(now), timings);
    use ThermalState::*;
    assert_eq!(step(at(Cold, 0), false, false, 0, 100).state, Cold);
    assert_eq!(step(at(Cold, 0), true, false, 500, 100).state, Warming);
    assert_eq!(step(at(Warming, 0), true, false, 500, 29).state, Warming);
    assert_eq!(step(at(Warming, 0), true, false, 500, 30).state, Warm);
    assert_eq!(step(at(Warming, 0), false, false, 0, 10).state, Cold);
    // Warm → hot when the heat reaches 0.5: fully loaded from cool, after the hot-after time…
    let half = step(at(Warm, 0), true, true, 1_000, 150);
    assert_eq!((half.state, half.heat_milli), (Warm, 250));
    assert_eq!(step(half, true, true, 1_000, 299).state, Warm);
    assert_eq!(step(half, true, true, 1_000, 300).state, Hot);
    // …later at 80% busy, never below 60% (the heat falls).
    assert_eq!(step(at(Warm, 0), true, false, 800, 599).state, Warm);
    assert_eq!(step(at(Warm, 0), true, false, 800, 600).state, Hot);
    let cooler = step(half, true, false, 500, 270);
    assert_eq!((cooler.state, cooler.heat_milli), (Warm, 200));
    // A reported heat counts like an estimated one.
    let reported = Thermal { heat_milli: 700, ..at(Warm, 0) };
    assert_eq!(step(reported, true, false, 600, 1).state, Hot);
    // Warm → cold only when found idle throughout the cool-down time.
    let idle = step(at(Warm, 0), false, false, 0, 100);
    assert_eq!((idle.state, idle.idle_since), (Warm, Some(Timestamp(100))));
    assert_eq!(step(idle, false, false, 0, 159).state, Warm);
    assert_eq!(step(idle, false, false, 0, 160).state, Cold);
    assert_eq!(step(step(idle, true, false, 500, 120), false, false, 0, 160).state, Warm, "busy in between");
    // Hot → cooling when no longer full; cooling → warm or cold after the cool-down.
    assert_eq!(step(at(Hot, 0), true, true, 1_000, 1_000).state, Hot);
    assert_eq!(step(at(Hot, 0), true, false, 750, 1).state, Cooling);
    assert_eq!(step(at(Cooling, 0), false, false, 0, 59).state, Cooling);
    assert_eq!(step(at(Cooling, 0), false, false, 0, 60).state, Cold);
    assert_eq!(step(at(Cooling, 0), true, false, 500, 60).state, Warm);
    let moved = step(at(Warming, 0), true, false, 500, 37);
    assert_eq!(moved.since, Timestamp(37), "a transition restarts the state's clock");
}

#[test]
fn thermal_states_change_placement_only_when_thermal_aware() {
    use ThermalState::*;
    use ballast_components::worker::thermal_effect;
    assert_eq!(thermal_effect(Cold, 4), (None, false));
    assert_eq!(thermal_effect(Warming, 4), (Some(2), false), "partial load");
    assert_eq!(thermal_effect(Warming, 1), (Some(1), false));
    assert_eq!(thermal_effect(Warm, 4), (None, false));
    assert_eq!(thermal_effect(Hot, 4), (None, true), "spared");
    assert_eq!(thermal_effect(Cooling, 4), (Some(0), false), "drains");
}

//! Each policy's defining behaviour on a small fixture, and the capability filter under every policy.

use ballast::components::config::CompositeWeights;
use ballast::prelude::*;

use crate::check::{check, run};

fn engine(policy: PolicyName) -> Engine {
    engine_with(EngineConfig { policy, ..EngineConfig::default() })
}

fn engine_with(config: EngineConfig) -> Engine {
    Engine::new(config).unwrap()
}

fn cpu_worker(id: u64, slots: u32) -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: 16_000,
        memory_mib: 65_536,
        slots,
        ..WorkerSpec::default()
    }
}

fn task(id: u64, model: &str) -> TaskSpec {
    let mut spec = TaskSpec::new(TaskId(id));
    spec.model_id = Some(model.to_owned());
    spec
}

/// Seeds the history: `model` ran in `seconds` on each worker, `count` times.
fn ran(engine: &mut Engine, model: &str, seconds: &[(u64, f64)], count: usize) {
    let runs = seconds.iter().flat_map(|&(worker, seconds)| {
        (0..count).map(move |_| PastRun {
            worker: WorkerId(worker),
            model: Some(model.to_owned()),
            family: ModelFamily::Unknown,
            test_type: TestType::Inference,
            duration_ns: (seconds * 1e9) as u64,
            completed: true,
        })
    });
    engine.import_history(runs.collect::<Vec<_>>()).unwrap();
}

fn assignments(engine: &mut Engine) -> Vec<(u64, u64)> {
    engine
        .events()
        .into_iter()
        .filter_map(|event| match event {
            Event::TaskAssigned { task, worker, .. } => Some((task.0, worker.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_policy_has_a_stable_name_and_a_description() {
    for policy in PolicyName::ALL {
        assert_eq!(PolicyName::parse(policy.name()), Some(policy));
        assert!(!policy.description().is_empty());
    }
    assert_eq!(PolicyName::default(), PolicyName::Composite);
}

#[test]
fn round_robin_rotates() {
    check(
        "policy round-robin
         worker w0 cpu slots=4
         worker w1 cpu slots=4
         worker w2 cpu slots=4
         task t0
         task t1
         task t2
         task t3
         tick 10",
        "t0 -> w0
         t1 -> w1
         t2 -> w2
         t3 -> w0",
    );
}

#[test]
fn weighted_round_robin_gives_each_worker_a_turn_per_slot() {
    check(
        "policy weighted-round-robin
         worker w0 cpu slots=3
         worker w1 cpu slots=1
         task t0
         task t1
         task t2
         task t3
         tick 10",
        "t0 -> w0
         t1 -> w0
         t2 -> w0
         t3 -> w1",
    );
}

#[test]
fn resource_aware_weighs_memory_and_least_loaded_only_slots() {
    let input = "worker w0 cpu slots=4 mem=16384
                 worker w1 cpu slots=4 mem=65536
                 task t0 mem=8192
                 tick 10";
    assert_eq!(run(&format!("policy resource-aware\n{input}")), "t0 -> w1");
    assert_eq!(run(&format!("policy least-loaded\n{input}")), "t0 -> w0");
}

#[test]
fn performance_picks_the_worker_with_the_fastest_history() {
    let mut engine = engine(PolicyName::Performance);
    engine.register_worker(cpu_worker(0, 4)).unwrap();
    engine.register_worker(cpu_worker(1, 4)).unwrap();
    ran(&mut engine, "bench/model", &[(0, 60.0), (1, 10.0)], 3);
    engine.submit(task(1, "bench/model")).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    assert_eq!(assignments(&mut engine), vec![(1, 1)]);
}

#[test]
fn priority_gives_urgent_tasks_the_fastest_worker() {
    let mut engine = engine(PolicyName::Priority);
    engine.register_worker(cpu_worker(0, 1)).unwrap();
    engine.register_worker(cpu_worker(1, 1)).unwrap();
    ran(&mut engine, "bench/model", &[(0, 60.0), (1, 10.0)], 3);
    let mut low = task(1, "bench/model");
    low.priority = 1;
    let mut urgent = task(2, "bench/model");
    urgent.priority = 9;
    engine.submit(low).unwrap();
    engine.submit(urgent).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    // The urgent task goes first, to the fast worker; the low one takes what is left.
    assert_eq!(assignments(&mut engine), vec![(2, 1), (1, 0)]);
}

#[test]
fn affinity_sticks_to_the_worker_where_the_model_is_warm() {
    let mut engine = engine(PolicyName::Affinity);
    engine.register_worker(cpu_worker(0, 4)).unwrap();
    engine.register_worker(cpu_worker(1, 4)).unwrap();
    // Occupy w0 so the first task of the model lands on w1, then let everything finish.
    engine.submit(task(1, "bench/other")).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    engine.submit(task(2, "bench/model")).unwrap();
    engine.tick(Timestamp::from_millis(20)).unwrap();
    let placed = assignments(&mut engine);
    assert_eq!(placed, vec![(1, 0), (2, 1)]);
    engine.task_completed(TaskId(1), WorkerId(0), 1_000_000_000).unwrap();
    engine.task_completed(TaskId(2), WorkerId(1), 1_000_000_000).unwrap();
    engine.tick(Timestamp::from_millis(30)).unwrap();
    engine.events();
    // Both workers are idle and equal; the model is warm on w1.
    engine.submit(task(3, "bench/model")).unwrap();
    engine.tick(Timestamp::from_millis(40)).unwrap();
    assert_eq!(assignments(&mut engine), vec![(3, 1)]);
}

/// Two workers with run queues; t1 is fast on w0 and slow on w1, t2 slightly faster on w0 too.
fn two_tasks_two_workers(policy: PolicyName) -> Vec<(u64, u64)> {
    let mut engine = engine_with(EngineConfig { policy, prefetch_max: 4, ..EngineConfig::default() });
    engine.register_worker(cpu_worker(0, 1)).unwrap();
    engine.register_worker(cpu_worker(1, 1)).unwrap();
    ran(&mut engine, "etc/a", &[(0, 10.0), (1, 20.0)], 1);
    ran(&mut engine, "etc/b", &[(0, 12.0), (1, 100.0)], 1);
    engine.submit_batch(vec![task(1, "etc/a"), task(2, "etc/b")]).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    let mut placed = assignments(&mut engine);
    placed.sort_unstable();
    placed
}

#[test]
fn batch_rules_differ_as_published() {
    // Min-min places the task with the smallest best completion first (t1 on w0), then t2 also on
    // w0 (12 s after 10 s beats 100 s): both on one machine, done at 22 s.
    assert_eq!(two_tasks_two_workers(PolicyName::MinMin), vec![(1, 0), (2, 0)]);
    // Sufferage places t2 first (it loses 88 s without w0, t1 only 10 s): t2 on w0, t1 on w1, done
    // at 20 s. Max-min places the task with the largest best completion first: the same here.
    assert_eq!(two_tasks_two_workers(PolicyName::Sufferage), vec![(1, 1), (2, 0)]);
    assert_eq!(two_tasks_two_workers(PolicyName::MaxMin), vec![(1, 1), (2, 0)]);
}

#[test]
fn expected_completion_met_and_olb_weigh_queue_and_speed_differently() {
    // w0 is fast (10 s) but already holds a 10 s task in its slot; w1 is idle and slow (15 s).
    let setup = |policy| {
        let mut engine = engine_with(EngineConfig { policy, prefetch_max: 4, ..EngineConfig::default() });
        engine.register_worker(cpu_worker(0, 1)).unwrap();
        engine.register_worker(cpu_worker(1, 1)).unwrap();
        ran(&mut engine, "bench/model", &[(0, 10.0), (1, 15.0)], 1);
        ran(&mut engine, "bench/other", &[(0, 1.0), (1, 100.0)], 1);
        engine.submit(task(1, "bench/other")).unwrap();
        engine.tick(Timestamp::from_millis(10)).unwrap();
        engine.task_started(TaskId(1), WorkerId(0)).unwrap();
        ran(&mut engine, "bench/other", &[(0, 10.0)], 0);
        assert_eq!(assignments(&mut engine), vec![(1, 0)]);
        engine.submit(task(2, "bench/model")).unwrap();
        engine.tick(Timestamp::from_millis(20)).unwrap();
        assignments(&mut engine)
    };
    // Expected completion: w0 frees in about 1 s then runs 10 s (11 s) against 15 s on w1.
    assert_eq!(setup(PolicyName::ExpectedCompletion), vec![(2, 0)]);
    // Minimum execution time ignores the queue: w0 as well.
    assert_eq!(setup(PolicyName::Met), vec![(2, 0)]);
    // Opportunistic load balancing ignores speed: the idle w1.
    assert_eq!(setup(PolicyName::Olb), vec![(2, 1)]);
}

#[test]
fn random_and_power_of_two_are_seeded_and_spread() {
    for policy in [PolicyName::Random, PolicyName::PowerOfTwo] {
        let placements = |seed| {
            let mut engine = engine_with(EngineConfig { policy, seed, ..EngineConfig::default() });
            for id in 0..8 {
                engine.register_worker(cpu_worker(id, 4)).unwrap();
            }
            engine.submit_batch((0..16).map(|id| task(id, "bench/model")).collect()).unwrap();
            engine.tick(Timestamp::from_millis(10)).unwrap();
            assignments(&mut engine)
        };
        let first = placements(1);
        assert_eq!(first, placements(1), "{policy}: the same seed places the same way");
        let workers: std::collections::BTreeSet<u64> = first.iter().map(|&(_, worker)| worker).collect();
        assert!(workers.len() >= 4, "{policy} spreads 16 tasks over 8 workers: {first:?}");
    }
}

#[test]
fn power_of_two_keeps_the_less_loaded_of_its_two_draws() {
    // Two workers: both are always drawn, so the less loaded one always wins.
    let mut engine = engine_with(EngineConfig { policy: PolicyName::PowerOfTwo, ..EngineConfig::default() });
    engine.register_worker(cpu_worker(0, 4)).unwrap();
    engine.register_worker(cpu_worker(1, 4)).unwrap();
    for id in 0..6 {
        engine.submit(task(id, "bench/model")).unwrap();
        engine.tick(Timestamp::from_millis(10 * (id + 1))).unwrap();
    }
    let placed = assignments(&mut engine);
    let on = |worker| placed.iter().filter(|&&(_, other)| other == worker).count();
    assert_eq!((on(0), on(1)), (3, 3), "{placed:?}");
}

#[test]
fn composite_places_a_static_batch_no_worse_than_one_at_a_time() {
    let makespan = |batch_assignment| {
        let mut engine = engine_with(EngineConfig { batch_assignment, prefetch_max: 64, ..EngineConfig::default() });
        engine.register_worker(cpu_worker(0, 1)).unwrap();
        engine.register_worker(cpu_worker(1, 1)).unwrap();
        // Eight tasks: the short ones fit either machine, the long ones run 5x faster on w1.
        let mut seconds = Vec::new();
        for id in 0..8u64 {
            let (fast, slow) = if id % 2 == 0 { (10.0, 12.0) } else { (20.0, 100.0) };
            ran(&mut engine, &format!("etc/{id}"), &[(0, slow), (1, fast)], 1);
            seconds.push((slow, fast));
        }
        engine.submit_batch((0..8).map(|id| task(id, &format!("etc/{id}"))).collect()).unwrap();
        engine.tick(Timestamp::from_millis(10)).unwrap();
        let mut load = [0.0f64; 2];
        for (task, worker) in assignments(&mut engine) {
            let (slow, fast) = seconds[task as usize];
            load[worker as usize] += if worker == 0 { slow } else { fast };
        }
        load[0].max(load[1])
    };
    assert!(makespan(true) <= makespan(false), "batch {} vs greedy {}", makespan(true), makespan(false));
}

#[test]
fn adaptive_starts_with_the_default_weights_and_tries_the_others() {
    let mut state = ballast::components::adaptive::AdaptiveState::default();
    assert_eq!(state.weights(), EngineConfig::default().weights);
    let mut arms = std::collections::BTreeSet::new();
    arms.insert(state.current);
    for _ in 0..ballast::components::adaptive::ARMS.len() {
        for _ in 0..ballast::components::adaptive::EPOCH_COMPLETIONS {
            state.record(2_000, 1_000);
        }
        arms.insert(state.current);
    }
    assert_eq!(arms.len(), ballast::components::adaptive::ARMS.len(), "every arm gets an epoch");
    // From then on, let arm 3's tasks run at their predicted speed and the others' wait twice as long:
    // the bandit plays arm 3 most.
    for _ in 0..60 {
        let slowdown = if state.current == 3 { 1_000 } else { 2_000 };
        for _ in 0..ballast::components::adaptive::EPOCH_COMPLETIONS {
            state.record(slowdown, 1_000);
        }
    }
    let most = (0..state.arms.len()).max_by_key(|&arm| (state.arms[arm].epochs, std::cmp::Reverse(arm))).unwrap();
    assert_eq!(most, 3, "the arm that measured best is played most: {:?}", state.arms);
    assert!(state.arms[3].epochs > 30, "{:?}", state.arms);
}

#[test]
fn no_policy_ever_places_a_task_on_a_worker_without_its_capabilities() {
    for policy in PolicyName::ALL {
        let mut engine = engine(policy);
        for id in 0..6u64 {
            let mut spec = cpu_worker(id, 2);
            if id % 2 == 1 {
                spec.hardware = spec.hardware.with(HardwareKind::Cuda);
                spec.gpus = vec![GpuSpec { model: Some("A10".into()), memory_mib: 24_576 }];
            }
            if id % 3 == 0 {
                spec.browsers = BrowserSet::of(&[Browser::Chrome]);
            }
            engine.register_worker(spec).unwrap();
        }
        let mut specs = Vec::new();
        for id in 0..30u64 {
            let mut spec = task(id, "bench/model");
            match id % 3 {
                0 => {
                    spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
                    spec.requirements.gpu = GpuDemand::whole(1);
                }
                1 => spec.requirements.browsers_any = BrowserSet::of(&[Browser::Chrome]),
                _ => {}
            }
            specs.push(spec);
        }
        engine.submit_batch(specs).unwrap();
        engine.tick(Timestamp::from_millis(10)).unwrap();
        let placed = assignments(&mut engine);
        assert!(!placed.is_empty(), "{policy} placed nothing");
        for (task, worker) in placed {
            match task % 3 {
                0 => assert_eq!(worker % 2, 1, "{policy}: t{task} needs a GPU, got w{worker}"),
                1 => assert_eq!(worker % 3, 0, "{policy}: t{task} needs chrome, got w{worker}"),
                _ => {}
            }
        }
        assert!(engine.check_invariants().is_empty(), "{policy}: {:?}", engine.check_invariants());
    }
}

#[test]
fn explain_gives_the_terms_of_a_placement_largest_first() {
    let mut engine = engine_with(EngineConfig { prefetch_max: 2, ..EngineConfig::default() });
    engine.register_worker(cpu_worker(0, 1)).unwrap();
    engine.register_worker(cpu_worker(1, 1)).unwrap();
    ran(&mut engine, "bench/model", &[(0, 10.0), (1, 40.0)], 3);
    engine.submit(task(1, "bench/model")).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    assert_eq!(assignments(&mut engine), vec![(1, 0)]);
    let explanation = engine.explain(TaskId(1)).unwrap();
    let placement = explanation.placement.clone().expect("an assigned task says where and why");
    assert_eq!(placement.worker, WorkerId(0));
    assert_eq!(placement.policy, PolicyName::Composite);
    assert_eq!(placement.method, PlacementMethod::Batch);
    assert_eq!(placement.prediction_source, PredictionSource::ModelOnWorker);
    // The predicted run and the load term make an idle worker's cost: the task fills the one-slot
    // worker, so the load share (1) times the load weight (3) adds three run times. The model had
    // not run there yet (history was imported), so it was not warm.
    assert_eq!(placement.factors[0].kind, FactorKind::Load, "{placement}");
    assert_eq!(placement.factors[1].kind, FactorKind::PredictedRun, "{placement}");
    assert!((placement.factors[1].value - 10.0).abs() < 0.5, "{placement}");
    let load = placement.factors[0].cost_seconds.unwrap();
    let run = placement.factors[1].cost_seconds.unwrap();
    assert!((load / run - 3.0).abs() < 0.1, "{placement}");
    let parts: Vec<f64> = placement.factors.iter().filter_map(|factor| factor.cost_seconds).collect();
    assert!(parts.windows(2).all(|pair| pair[0].abs() >= pair[1].abs()), "{placement}");
    let text = explanation.to_string();
    assert!(text.contains("on w0 by composite (batch): load 1.00"), "{text}");

    // A second task queues behind the first on w0 (run queue) or runs on the slow w1: either way its
    // wait for a slot is the one the matcher saw.
    engine.submit(task(2, "bench/model")).unwrap();
    engine.tick(Timestamp::from_millis(20)).unwrap();
    let placed = assignments(&mut engine);
    let placement = engine.explain(TaskId(2)).unwrap().placement.unwrap();
    assert_eq!(vec![(2, placement.worker.0)], placed);
    let wait = placement.factors.iter().find(|factor| factor.kind == FactorKind::WaitForSlot).unwrap();
    if placement.worker == WorkerId(0) {
        assert!(wait.value > 5.0, "queued behind a 10 s task: {placement}");
    } else {
        assert_eq!(wait.value, 0.0, "{placement}");
    }

    // A pending task has no placement.
    engine.submit(task(3, "bench/model")).unwrap();
    assert_eq!(engine.explain(TaskId(3)).unwrap().placement, None);
}

#[test]
fn the_explained_terms_add_up_to_the_composite_cost() {
    use ballast::components::config::CompositeWeights;
    use ballast::components::task::PlacementNote;
    use ballast::systems::policy::{composite_cost, cost_factors};
    let weights = CompositeWeights { load_permille: 300, waste_permille: 500, warm_permille: 100, risk_permille: 250 };
    for (run_ns, uncertainty_ms, ready_ns, scarcity_eighths, success_ppm, share_ppm, warm) in [
        (10_000_000_000u64, 0u32, 0u64, 0u32, 980_000u32, 250_000u32, false),
        (3_000_000_000, 1_500, 7_000_000_000, 8, 600_000, 1_000_000, true),
        (120_000_000_000, 60_000, 1_000_000, 13, 50_000, 0, false),
    ] {
        let note = PlacementNote {
            ready_ns,
            warm,
            share_ppm,
            success_ppm,
            uncertainty_ms,
            scarcity_eighths,
            ..PlacementNote::default()
        };
        let factors = cost_factors(PolicyName::Composite, weights, 5, run_ns, &note);
        let total: f64 = factors.iter().filter_map(|factor| factor.cost_seconds).sum();
        // composite_cost is in thousandths of nanoseconds.
        let uncertainty_ns = u64::from(uncertainty_ms) * 1_000_000;
        let cost = composite_cost(
            weights,
            run_ns,
            uncertainty_ns,
            ready_ns,
            scarcity_eighths,
            u64::from(success_ppm),
            share_ppm,
            warm,
        );
        let expected = cost as f64 / 1e12;
        assert!((total - expected).abs() <= expected * 1e-6 + 1e-6, "terms {total} vs cost {expected}: {factors:?}");
    }
}

#[test]
fn prediction_falls_back_from_the_model_to_its_family_to_the_prior() {
    let mut engine = engine_with(EngineConfig::default());
    engine.register_worker(cpu_worker(0, 1)).unwrap();
    engine.register_worker(cpu_worker(1, 1)).unwrap();
    // Another shape: the same hardware with less memory.
    engine.register_worker(WorkerSpec { memory_mib: 32_768, ..cpu_worker(2, 1) }).unwrap();
    ran(&mut engine, "suite/a", &[(0, 10.0)], 3);
    let mut now = 0;
    let mut place = |engine: &mut Engine, id: u64, model: &str| {
        engine.submit(task(id, model)).unwrap();
        now += 10;
        engine.tick(Timestamp::from_millis(now)).unwrap();
        let placed = assignments(engine);
        assert_eq!(placed.len(), 1, "{placed:?}");
        let placement = engine.explain(TaskId(id)).unwrap().placement.unwrap();
        let predicted = placement.factors.iter().find(|factor| factor.kind == FactorKind::PredictedRun).unwrap().value;
        (placed[0].1, placement.prediction_source, predicted)
    };
    let (worker, source, seconds) = place(&mut engine, 1, "suite/a");
    assert_eq!((worker, source), (0, PredictionSource::ModelOnWorker));
    assert!((seconds - 10.0).abs() < 0.5);
    // Worker 0 is busy: worker 1 shares its shape, so the model's runs there predict the run here.
    let (worker, source, seconds) = place(&mut engine, 2, "suite/a");
    assert_eq!((worker, source), (1, PredictionSource::ModelOnShape));
    assert!((seconds - 10.0).abs() < 0.5);
    // Only worker 2 is left: another shape, no history at all.
    let (worker, source, seconds) = place(&mut engine, 3, "suite/a");
    assert_eq!((worker, source), (2, PredictionSource::Prior));
    assert!((seconds - 60.0).abs() < 0.5, "the unknown family's prior");
    // A new model on worker 0: its family's runs on that worker.
    engine.task_completed(TaskId(1), WorkerId(0), 10_000_000_000).unwrap();
    let (worker, source, _) = place(&mut engine, 4, "suite/b");
    assert_eq!((worker, source), (0, PredictionSource::FamilyOnWorker));
    // A new model on worker 1, which has one run of the family: the family's runs on its shape.
    engine.task_completed(TaskId(2), WorkerId(1), 10_000_000_000).unwrap();
    let (worker, source, _) = place(&mut engine, 5, "suite/c");
    assert_eq!((worker, source), (1, PredictionSource::FamilyOnShape));
}

#[test]
fn a_new_workers_speed_is_measured_from_its_first_completions() {
    let mut engine = engine_with(EngineConfig::default());
    engine.register_worker(cpu_worker(0, 1)).unwrap();
    let predicted = |engine: &Engine, id: u64| {
        let placement = engine.explain(TaskId(id)).unwrap().placement.unwrap();
        let value = |kind| placement.factors.iter().find(|factor| factor.kind == kind).unwrap().value;
        (placement.prediction_source, value(FactorKind::PredictedRun), value(FactorKind::PredictionUncertainty))
    };
    engine.submit(task(1, "suite/a")).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    // Nothing is known of the worker: the prior (60 s for an unknown family on a CPU), wholly uncertain.
    assert_eq!(predicted(&engine, 1), (PredictionSource::Prior, 60.0, 60.0));
    // It runs twice as long as the prior said.
    engine.task_completed(TaskId(1), WorkerId(0), 120_000_000_000).unwrap();
    // History takes in a tick's outcomes after its placements: the next tick's decisions see them.
    engine.tick(Timestamp::from_millis(15)).unwrap();
    engine.submit(task(2, "openai/whisper-tiny")).unwrap();
    engine.tick(Timestamp::from_millis(20)).unwrap();
    // Another family, never run there: its prior (90 s for audio), corrected by the measured speed, and
    // half as uncertain.
    let (source, seconds, uncertainty) = predicted(&engine, 2);
    assert_eq!(source, PredictionSource::Prior);
    assert!((seconds - 180.0).abs() < 0.5, "{seconds}");
    assert!((uncertainty - 90.0).abs() < 0.5, "{uncertainty}");
    let shown = engine.explain(TaskId(2)).unwrap().to_string();
    assert!(shown.contains("prediction uncertainty ±90.0 s"), "{shown}");
}

#[test]
fn prior_tables_in_the_config_steer_placement_before_any_history() {
    let place = |config: EngineConfig| {
        let mut engine = Engine::new(config).unwrap();
        for (id, kind) in [(1, HardwareKind::Cuda), (2, HardwareKind::Qnn)] {
            let mut spec = cpu_worker(id, 1);
            spec.hardware = spec.hardware.with(kind);
            engine.register_worker(spec).unwrap();
        }
        // A task that may use either accelerator: the prior speeds of the kinds it uses decide.
        let mut vision = task(1, "google/vit-base-patch16-224");
        vision.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda, HardwareKind::Qnn]);
        engine.submit(vision).unwrap();
        engine.tick(Timestamp::from_millis(1)).unwrap();
        assignments(&mut engine)
    };
    // Vision runs 3x a CPU's speed on CUDA and 2x on QNN by default.
    assert_eq!(place(EngineConfig::default()), vec![(1, 1)]);
    let mut faster_npu = EngineConfig::default();
    faster_npu.priors.speed_permille[ModelFamily::Vision.index()][HardwareKind::Qnn.index()] = 9_000;
    assert_eq!(place(faster_npu), vec![(1, 2)], "the config's table is the one the scorers read");
    let mut broken = EngineConfig::default();
    broken.priors.speed_permille[0][0] = 0;
    assert!(Engine::new(broken).is_err(), "a zero speed is refused");
}

#[test]
fn risk_weight_prefers_a_measured_worker_to_an_unknown_one_predicted_a_little_faster() {
    let place = |risk_permille: u32| {
        let weights = CompositeWeights { risk_permille, ..CompositeWeights::default() };
        let mut engine = engine_with(EngineConfig { weights, ..EngineConfig::default() });
        engine.register_worker(cpu_worker(0, 1)).unwrap();
        // Another shape, never measured: its prediction is the prior (60 s), uncertain by all of it.
        engine.register_worker(WorkerSpec { memory_mib: 32_768, ..cpu_worker(1, 1) }).unwrap();
        // Measured: 70 s every time, so its deviation has decayed to a few seconds.
        ran(&mut engine, "suite/a", &[(0, 70.0)], 10);
        engine.submit(task(1, "suite/a")).unwrap();
        engine.tick(Timestamp::from_millis(1)).unwrap();
        let placed = assignments(&mut engine);
        let factors = engine.explain(TaskId(1)).unwrap().placement.unwrap().factors;
        let risk = factors.iter().find(|factor| factor.kind == FactorKind::PredictionUncertainty).unwrap().cost_seconds;
        (placed, risk)
    };
    let (placed, risk) = place(0);
    assert_eq!(placed, vec![(1, 1)], "without risk the faster prediction wins");
    assert_eq!(risk, Some(0.0));
    let (placed, risk) = place(500);
    assert_eq!(placed, vec![(1, 0)], "half the uncertainty added: 60 + 30 s against 70 s and a little");
    assert!(risk.is_some_and(|seconds| seconds > 0.0 && seconds < 5.0), "{risk:?}");
}

#[test]
fn a_calibration_task_goes_to_the_newest_unmeasured_worker_and_its_run_corrects_the_prior() {
    let mut engine = engine_with(EngineConfig::default());
    engine.register_worker(cpu_worker(0, 2)).unwrap();
    ran(&mut engine, "suite/a", &[(0, 30.0)], 5);
    engine.tick(Timestamp::from_millis(1)).unwrap();
    engine.register_worker(WorkerSpec { memory_mib: 32_768, ..cpu_worker(1, 2) }).unwrap();
    engine.tick(Timestamp::from_millis(2)).unwrap();
    engine.register_worker(WorkerSpec { memory_mib: 16_384, ..cpu_worker(2, 2) }).unwrap();
    let calibrate = |id: u64| TaskSpec { calibration: true, ..task(id, "ballast/calibration") };
    engine.submit(calibrate(1)).unwrap();
    engine.tick(Timestamp::from_millis(3)).unwrap();
    assert_eq!(assignments(&mut engine), vec![(1, 2)], "the newest worker with no completion");
    // The calibration run took twice the prior (60 s for an unknown family on a CPU): worker 2 is slow.
    engine.task_completed(TaskId(1), WorkerId(2), 120_000_000_000).unwrap();
    // Outcomes reach the history at the end of the tick that applies them.
    engine.tick(Timestamp::from_millis(4)).unwrap();
    engine.submit(calibrate(2)).unwrap();
    engine.tick(Timestamp::from_millis(5)).unwrap();
    assert_eq!(assignments(&mut engine), vec![(2, 1)], "then the next unmeasured one");
    engine.task_completed(TaskId(2), WorkerId(1), 60_000_000_000).unwrap();
    engine.tick(Timestamp::from_millis(6)).unwrap();
    // Every worker is measured: a calibration task is placed like any other task.
    engine.submit(calibrate(3)).unwrap();
    engine.tick(Timestamp::from_millis(7)).unwrap();
    assert_eq!(assignments(&mut engine).len(), 1);
    // A family none of them ran: worker 2's prior is doubled by its measured speed, worker 1's is not.
    let predicted = |engine: &Engine, worker: u64| {
        let view = engine.view();
        let history = view.worker(WorkerId(worker)).unwrap().history;
        (history.speed.samples, history.speed.factor())
    };
    let (samples, factor) = predicted(&engine, 2);
    assert_eq!(samples, 1);
    assert!((factor - 2.0).abs() < 0.05, "{factor}");
    let (_, factor) = predicted(&engine, 1);
    assert!((factor - 1.0).abs() < 0.05, "{factor}");
}

#[test]
fn a_cpu_only_test_on_a_gpu_worker_is_predicted_at_cpu_speed_and_learns_the_measured_time() {
    // The `original` mix's tests: no model id, so family `unknown`; a third use no GPU.
    let gpu_worker = |id| {
        let mut spec = cpu_worker(id, 4);
        spec.hardware = spec.hardware.with(HardwareKind::Cuda);
        spec.gpus = vec![GpuSpec { model: Some("GPU".into()), memory_mib: 16_384 }];
        spec
    };
    let unit_test = |id: u64, gpu: bool| {
        let mut spec = TaskSpec::new(TaskId(id));
        spec.test_type = TestType::Unit;
        if gpu {
            spec.requirements.gpu = GpuDemand::whole(1);
            spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
        }
        spec
    };
    let predicted = |engine: &Engine, id: u64| {
        let placement = engine.explain(TaskId(id)).unwrap().placement.unwrap();
        let run = placement.factors.iter().find(|factor| factor.kind == FactorKind::PredictedRun).unwrap().value;
        (placement.prediction_source, run)
    };
    let first_prediction = |worker: WorkerSpec, gpu: bool| {
        let mut engine = engine_with(EngineConfig::default());
        engine.register_worker(worker).unwrap();
        engine.submit(unit_test(1, gpu)).unwrap();
        engine.tick(Timestamp::from_millis(1)).unwrap();
        assert_eq!(assignments(&mut engine), vec![(1, 0)]);
        predicted(&engine, 1)
    };
    // Before any history, a test given no device is predicted as on a CPU, wherever it goes; the CUDA
    // prior applies to a test that is given the GPU.
    let (source, on_cpu) = first_prediction(cpu_worker(0, 4), false);
    assert_eq!(source, PredictionSource::Prior);
    let (_, on_gpu_worker) = first_prediction(gpu_worker(0), false);
    assert!((on_gpu_worker - on_cpu).abs() < 1e-6 * on_cpu, "{on_gpu_worker} vs {on_cpu}");
    let (_, using_the_gpu) = first_prediction(gpu_worker(0), true);
    assert!(using_the_gpu < 0.9 * on_cpu, "{using_the_gpu} vs {on_cpu}");

    // The tests really take 10 s there: the prediction moves to it, and the source from the prior to
    // the family's history on the worker.
    let mut engine = engine_with(EngineConfig::default());
    engine.register_worker(gpu_worker(0)).unwrap();
    let mut now = 0;
    let mut seen = Vec::new();
    for id in 1..=8 {
        engine.submit(unit_test(id, false)).unwrap();
        now += 10;
        engine.tick(Timestamp::from_millis(now)).unwrap();
        assert_eq!(assignments(&mut engine), vec![(id, 0)]);
        seen.push(predicted(&engine, id));
        engine.task_completed(TaskId(id), WorkerId(0), 10_000_000_000).unwrap();
        now += 10;
        engine.tick(Timestamp::from_millis(now)).unwrap();
        let _ = assignments(&mut engine);
    }
    assert_eq!(seen[0], (PredictionSource::Prior, on_cpu));
    let (source, last) = *seen.last().unwrap();
    assert_eq!(source, PredictionSource::FamilyOnWorker, "{seen:?}");
    assert!((last - 10.0).abs() < 0.5, "converges to the measured 10 s: {seen:?}");
    let errors: Vec<f64> = seen.iter().map(|(_, seconds)| (seconds - 10.0).abs()).collect();
    assert!(errors.windows(2).all(|pair| pair[1] <= pair[0] + 1e-6), "never moves away: {seen:?}");
}

//! Workload files: the built-in scenarios written in the format reproduce them draw for draw, a file
//! a user writes runs, and every bad field is refused with its name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

use ballast::bench::quality::{self, Contender, Plan, Sizes};
use ballast::prelude::*;
use ballast::sim::workload_file::{EXAMPLE, Workload, WorkloadError};
use ballast::sim::{self, Scenario, SimConfig, SimReport};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/workloads").join(name)
}

fn run(config: SimConfig) -> SimReport {
    let report = sim::run(&config, &mut |_| {}).unwrap();
    assert_eq!(report.invariant_violations, 0, "{}", report.summary());
    assert_eq!(report.tasks_lost + report.tasks_duplicated, 0, "{}", report.summary());
    report
}

fn from_file(workload: &Arc<Workload>, workers: u32, tasks: u64, seed: u64) -> SimReport {
    let workers = workload.workers(Some(workers)).unwrap();
    run(SimConfig { workers, tasks, seed, workload: Some(workload.clone()), ..SimConfig::default() })
}

#[test]
fn the_built_in_scenarios_written_as_files_reproduce_their_trace_hashes() {
    for (file, scenario, workers, tasks) in [
        ("original.toml", "original", 300, 3_000),
        ("mixed-speed-50.toml", "mixed-speed-50", 100, 3_000),
        ("mixed-speed-90.toml", "mixed-speed-90", 100, 3_000),
        ("priorities.toml", "priorities", 50, 2_000),
        ("thermal.toml", "thermal", 50, 3_000),
        ("stragglers.toml", "stragglers", 50, 2_000),
    ] {
        let workload = Arc::new(Workload::load(&example(file)).unwrap());
        let scenario = Scenario::parse(scenario).unwrap();
        for seed in [1, 2] {
            let built_in = run(SimConfig { workers, tasks, seed, scenario, ..SimConfig::default() });
            let written = from_file(&workload, workers, tasks, seed);
            assert_eq!(written.trace_hash, built_in.trace_hash, "{file}, seed {seed}");
            assert_eq!(written.scenario, scenario.name());
            assert!(written.workload_file.as_deref().is_some_and(|path| path.ends_with(file)));
        }
    }
}

#[test]
fn the_default_pool_written_as_a_file_behaves_like_the_scenario() {
    // Not draw for draw (the file's draw order differs; see its header), but the same shapes, task
    // mix and behaviour: every task ends, and the mean wait is of the same order.
    let workload = Arc::new(Workload::load(&example("default.toml")).unwrap());
    let written = from_file(&workload, 300, 6_000, 3);
    let built_in = run(SimConfig { workers: 300, tasks: 6_000, seed: 3, ..SimConfig::default() });
    assert_eq!(written.tasks_unschedulable, 0, "{}", written.summary());
    assert!(written.tasks_failed > 0 && written.tasks_cancelled > 0, "failures and cancels: {}", written.summary());
    let ratio = written.wait_seconds.mean / built_in.wait_seconds.mean;
    assert!((0.5..2.0).contains(&ratio), "{} vs {}", written.summary(), built_in.summary());
}

#[test]
fn the_printed_example_runs_and_draws_what_it_says() {
    let workload = Arc::new(Workload::parse(EXAMPLE, false).unwrap());
    assert_eq!(workload.name(), "my-fleet");
    let report = from_file(&workload, 120, 2_000, 5);
    assert_eq!(report.tasks_unschedulable, 0, "{}", report.summary());
    // Shares 6:3:1:2 over 1,200 workers: the draw gives each group about its share (GPU servers a
    // third, browser hosts a sixth), with the fields the groups give.
    let pool = workload.pool(1_200, &mut Pcg64Mcg::seed_from_u64(5));
    let gpu = pool.workers.iter().filter(|worker| !worker.spec.gpus.is_empty()).count();
    let browsers = pool.workers.iter().filter(|worker| !worker.spec.browsers.is_empty()).count();
    assert!((340..=460).contains(&gpu), "about 400 of 1,200 have GPUs: {gpu}");
    assert!((150..=250).contains(&browsers), "about 200 of 1,200 are browser hosts: {browsers}");
    for worker in &pool.workers {
        let spec = &worker.spec;
        if let Some(gpu) = spec.gpus.first() {
            assert!(spec.hardware.contains(HardwareKind::Cuda), "{spec:?}");
            assert!([4, 1, 2, 8].contains(&spec.gpus.len()), "{spec:?}");
            assert!(gpu.model.as_deref() == Some("A10") || gpu.model.as_deref() == Some("A100"), "{spec:?}");
        } else {
            assert!(!spec.hardware.contains(HardwareKind::Cuda), "{spec:?}");
        }
    }
}

#[test]
fn groups_with_counts_fix_the_pool_and_json_reads_like_toml() {
    let json = r#"{
        "name": "two-shapes",
        "arrivals": {"process": "poisson", "load_percent": 60},
        "worker": [
            {"count": 3, "slots": 2, "cpu_milli": 8000, "memory_mib": 16384},
            {"count": 2, "slots": 4, "cpu_milli": 16000, "memory_mib": 65536, "gpus": 2, "gpu_model": "L4"}
        ],
        "task": [
            {"share": 3, "duration_seconds": 5.0},
            {"share": 1, "gpus": 1, "duration_seconds": 20.0, "duration": "fixed"}
        ]
    }"#;
    let workload = Arc::new(Workload::parse(json, true).unwrap());
    assert_eq!(workload.fixed_workers(), Some(5));
    assert_eq!(workload.workers(None).unwrap(), 5);
    assert!(matches!(workload.workers(Some(6)), Err(WorkloadError::Invalid { .. })));
    let pool = workload.pool(5, &mut Pcg64Mcg::seed_from_u64(1));
    let shapes: Vec<(u32, usize)> =
        pool.workers.iter().map(|worker| (worker.spec.slots, worker.spec.gpus.len())).collect();
    assert_eq!(shapes, vec![(2, 0), (2, 0), (2, 0), (4, 2), (4, 2)], "the groups in file order");
    let report = from_file(&workload, 5, 400, 1);
    assert_eq!((report.workers, report.shapes), (5, 2), "{}", report.summary());
    assert_eq!(report.tasks_completed, 400);
    // Mean work by share: (3 × 5 + 20) / 4.
    assert!((workload.mean_work_seconds() - 8.75).abs() < 1e-9);
}

#[test]
fn every_bad_field_is_refused_with_its_name() {
    let base = r#"
name = "bad"
[arrivals]
process = "batches"
batch = [5, 10]
[[worker]]
slots = 2
cpu_milli = 4000
memory_mib = 8192
[[task]]
duration_seconds = 3.0
"#;
    assert!(Workload::parse(base, false).is_ok());
    let field_of = |text: &str| match Workload::parse(text, false) {
        Err(WorkloadError::Invalid { field, problem }) => {
            assert!(!problem.is_empty());
            field
        }
        other => panic!("expected an invalid field, got {other:?} for\n{text}"),
    };
    let with = |table: &str, line: &str| base.replacen(&format!("[{table}]\n"), &format!("[{table}]\n{line}\n"), 1);
    for (text, field) in [
        (with("[worker]", "gpus = 99"), "worker[0].gpus"),
        (base.replace("slots = 2", "slots = 0"), "worker[0].slots"),
        (base.replace("slots = 2", "slots = []"), "worker[0].slots"),
        (with("[worker]", "hardware = [\"tpu\"]"), "worker[0].hardware"),
        (with("[worker]", "speed = nan"), "worker[0].speed"),
        (with("[worker]", "speed_sigma = -1.0"), "worker[0].speed_sigma"),
        (with("[worker]", "speed_table = \"fast\""), "worker[0].speed_table"),
        (with("[worker]", "family_speed = { vision = 0.0 }"), "worker[0].family_speed.vision"),
        (with("[worker]", "family_speed = { poetry = 2.0 }"), "worker[0].family_speed"),
        (with("[worker]", "gpu_hardware = \"qnn\""), "worker[0].gpu_hardware"),
        (with("[worker]", "browsers = [\"netscape\"]"), "worker[0].browsers"),
        (base.to_owned() + "[[worker]]\ncount = 4\nslots = 2\ncpu_milli = 4000\nmemory_mib = 8192\n", "worker"),
        (with("[task]", "priority = 12"), "task[0].priority"),
        (with("[task]", "share = 0"), "task[0].share"),
        (with("[task]", "family = \"poetry\""), "task[0].family"),
        (with("[task]", "test_type = \"smoke\""), "task[0].test_type"),
        (with("[task]", "duration = \"pareto\""), "task[0].duration"),
        (with("[task]", "duration_median_seconds = 2.0"), "task[0].duration_seconds"),
        (with("[task]", "straggle_percent = 101"), "task[0].straggle_percent"),
        (base.replace("duration_seconds = 3.0", "duration_seconds = -3.0"), "task[0].duration_seconds"),
        (base.replace("duration_seconds = 3.0", "duration_seconds = inf"), "task[0].duration_seconds"),
        (base.replace("duration_seconds = 3.0", ""), "task[0].duration_seconds"),
        (base.replace("batch = [5, 10]", "batch = [10, 5]"), "arrivals.batch"),
        (base.replace("batch = [5, 10]\n", ""), "arrivals.batch"),
        (base.replace("\"batches\"", "\"bursty\""), "arrivals.process"),
        (with("arrivals", "load_percent = 0"), "arrivals.load_percent"),
        (with("arrivals", "spike = { from_percent = 50, to_percent = 40, factor = 3 }"), "arrivals.spike"),
        (base.to_owned() + "[pool]\nfailure_retryable = 1.5\n", "pool.failure_retryable"),
        (base.to_owned() + "[pool]\nassign = \"random\"\n", "pool.assign"),
        (base.replace("name = \"bad\"", "name = \"\""), "name"),
    ] {
        assert_eq!(field_of(&text), field, "{text}");
    }
    // Unknown fields and wrong types are syntax errors with the line.
    for text in [with("[worker]", "slot = 2"), base.replace("slots = 2", "slots = \"two\"")] {
        assert!(matches!(Workload::parse(&text, false), Err(WorkloadError::Syntax { .. })), "{text}");
    }
    // Limits the engine's config sets are checked before the run, with the field's name.
    let big = base.replace("memory_mib = 8192", "memory_mib = 999999999999");
    let workload = Arc::new(Workload::parse(&big, false).unwrap());
    let error =
        sim::run(&SimConfig { workers: 4, tasks: 10, workload: Some(workload), ..SimConfig::default() }, &mut |_| {})
            .unwrap_err();
    assert!(error.to_string().contains("worker[0].memory_mib"), "{error}");
    // A missing file names it.
    let missing = Workload::load(Path::new("/nonexistent/fleet.toml")).unwrap_err();
    assert!(matches!(missing, WorkloadError::Read { .. }) && missing.to_string().contains("fleet.toml"));
}

#[test]
fn the_quality_harness_runs_a_workload_file_as_a_column() {
    let workload = Arc::new(Workload::load(&example("priorities.toml")).unwrap());
    let plan = Plan {
        contenders: vec![
            Contender { policy: PolicyName::Composite, batch: true },
            Contender { policy: PolicyName::LeastLoaded, batch: true },
        ],
        scenarios: Vec::new(),
        weights: EngineConfig::default().weights,
        seed: 1,
        seeds: 1,
        sizes: Sizes::SMOKE,
        threads: 2,
        workloads: vec![workload],
    };
    let report = quality::run(&plan).unwrap();
    // Only the file's column ran (no built-in column was named), with a value per policy and metric.
    let scenarios: Vec<&str> = report.rows.iter().map(|row| row.scenario.as_str()).collect();
    assert!(scenarios.iter().all(|scenario| *scenario == "priorities" || *scenario == "all"), "{scenarios:?}");
    for metric in ["wait_mean_s", "wait_p99_s"] {
        let cells: Vec<_> = report.rows.iter().filter(|row| row.metric == metric).collect();
        assert_eq!(cells.len(), 2, "{metric}: {cells:?}");
        assert!(cells.iter().all(|row| row.value.is_finite() && row.value > 0.0), "{cells:?}");
        assert!(cells.iter().any(|row| row.best));
    }
}

/// Forty-five CPU boxes and five one-GPU boxes; half the tasks need the GPU. `load_of` says what the
/// 85% load is a share of.
fn scarce_gpus_text(load_of: &str) -> String {
    format!(
        r#"
name = "scarce-gpus"
[arrivals]
process = "batches"
batch = [10, 20]
load_percent = 85
load_of = "{load_of}"
[[worker]]
name = "cpu"
count = 45
slots = 4
cpu_milli = 4000
memory_mib = 16384
[[worker]]
name = "gpu"
count = 5
slots = 4
cpu_milli = 4000
memory_mib = 16384
gpus = 1
gpu_model = "GPU"
gpu_memory_mib = 16384
[[task]]
name = "cpu"
share = 1
memory_mib = 512
family = "unknown"
test_type = "unit"
duration_seconds = 10.0
duration_sigma = 0.3
[[task]]
name = "gpu"
share = 1
memory_mib = 512
gpus = 1
family = "unknown"
test_type = "unit"
duration_seconds = 10.0
duration_sigma = 0.3
"#
    )
}

fn scarce_gpus(load_of: &str) -> Arc<Workload> {
    Arc::new(Workload::parse(&scarce_gpus_text(load_of), false).unwrap())
}

#[test]
fn the_makespan_lower_bound_counts_the_work_only_eligible_workers_can_do() {
    // Offered 85% of the whole pool, the five GPUs get about 17 times what they can do: the bound is
    // theirs, far above the pool's slots' share of the work, and the run ends close to it.
    let report = from_file(&scarce_gpus("pool"), 50, 2_000, 1);
    let gpu_set = &report.eligible_sets[0];
    assert_eq!((gpu_set.workers, gpu_set.gpus, gpu_set.slots), (5, 5, 20), "{:?}", report.eligible_sets);
    assert!((900..=1_100).contains(&gpu_set.tasks) && gpu_set.requirements.contains("1 GPU"), "{gpu_set:?}");
    assert_eq!(report.makespan_lower_bound_seconds, gpu_set.bound_seconds, "{}", report.summary());
    let whole_pool = report.eligible_sets.iter().find(|set| set.workers == 50).expect("the whole pool is a set");
    let spread_over_slots = whole_pool.work_seconds / whole_pool.slots as f64;
    assert!(gpu_set.bound_seconds > 5.0 * spread_over_slots, "{:?}", report.eligible_sets);
    assert!(report.summary().contains("bottleneck"), "{}", report.summary());
    assert!((1.0..1.2).contains(&report.makespan_over_lower_bound), "{}", report.summary());
}

#[test]
fn a_load_of_the_busiest_set_offers_the_scarce_gpus_their_share() {
    let report = from_file(&scarce_gpus("busiest-set"), 50, 2_000, 1);
    let gpu_set = &report.eligible_sets[0];
    assert_eq!(gpu_set.gpus, 5, "{:?}", report.eligible_sets);
    // The GPUs' work (every worker runs at speed 1, no contention) over the arrivals' span: about 85%.
    let offered = gpu_set.bound_seconds / report.makespan_lower_bound_seconds;
    assert!((0.7..0.95).contains(&offered), "GPU load {offered:.3}: {}", report.summary());
    assert!(!report.summary().contains("bottleneck") || offered >= 0.5, "{}", report.summary());
    let overloaded = from_file(&scarce_gpus("pool"), 50, 2_000, 1);
    assert!(
        report.wait_seconds.mean * 20.0 < overloaded.wait_seconds.mean,
        "{} vs {}",
        report.summary(),
        overloaded.summary()
    );
    let bad = Workload::parse(&scarce_gpus_text("gpus"), false);
    assert!(matches!(bad, Err(WorkloadError::Invalid { ref field, .. }) if field == "arrivals.load_of"), "{bad:?}");
}

#[test]
fn the_main_job_offers_no_set_of_workers_more_than_it_can_do() {
    // Every set of workers some tasks are limited to gets less work than the arrivals' span (at its
    // fastest run times), so the lower bound is the arrivals' own; the old mix put the browser hosts
    // at 97% of it by that measure at 10,000 workers and kept them saturated.
    let report = run(SimConfig { workers: 1_000, tasks: 30_000, seed: 2, ..SimConfig::default() });
    assert!(report.eligible_sets.len() >= 3, "{:?}", report.eligible_sets);
    for set in &report.eligible_sets {
        assert!(set.bound_seconds < 0.8 * report.makespan_lower_bound_seconds, "{set:?}: {}", report.summary());
    }
    // And the mix is balanced: the whole pool is about as busy as the busiest set (the old mix put it
    // at half the browser hosts' load).
    let top = report.eligible_sets[0].bound_seconds;
    let whole_pool = report.eligible_sets.iter().find(|set| set.workers == 1_000).expect("the whole pool is a set");
    assert!(whole_pool.bound_seconds > 0.75 * top, "{:?}", report.eligible_sets);
    assert!(report.gpu_utilization_mean.is_some_and(|gpu| gpu > 0.2), "{}", report.summary());
}

#[test]
fn the_main_job_prints_the_same_workload_under_a_baseline() {
    let ballast = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ballast-cli")).args(args).output().expect("it runs")
    };
    let json = std::env::temp_dir().join(format!("ballast-it-baseline-{}.json", std::process::id()));
    let output = ballast(&["sim", "--workers", "200", "--tasks", "3000", "--quiet", "--json", json.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("  baseline     least-loaded: makespan "), "{stdout}");
    let report: SimReport = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    std::fs::remove_file(&json).unwrap();
    let baseline = report.baseline.as_ref().expect("the JSON holds the baseline");
    assert_eq!((report.policy.as_str(), baseline.policy.as_str()), ("composite", "least-loaded"));
    assert_eq!(baseline.tasks_lost + baseline.tasks_duplicated + baseline.invariant_violations, 0);
    assert!(baseline.trace_hash != report.trace_hash && baseline.wait_seconds.count > 2_900, "{baseline:?}");
    // The same run as a library call under least-loaded: the baseline is that run.
    let alone = run(SimConfig {
        workers: 200,
        tasks: 3_000,
        engine: EngineConfig { policy: PolicyName::LeastLoaded, ..EngineConfig::default() },
        ..SimConfig::default()
    });
    assert_eq!(alone.trace_hash, baseline.trace_hash);
    let output = ballast(&["sim", "--workers", "50", "--tasks", "300", "--quiet", "--baseline", "none"]);
    assert!(output.status.success() && !String::from_utf8_lossy(&output.stdout).contains("baseline"));
    let output = ballast(&["sim", "--workers", "50", "--tasks", "300", "--quiet", "--baseline", "fastest"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("unknown baseline policy `fastest`"), "{stderr}");
}

//! GPU-sharing placement: the packing scorers on hand-made states, the openb loaders' quirks and errors,
//! the replay protocol on small files, and the real trace.

use std::path::PathBuf;

use ballast::prelude::*;
use ballast::traces::openb::{self, OpenbError, OpenbOptions};
use ballast_components::worker::{Capabilities, GpuDevice, Load};
use ballast_systems::packing::{Free, TypicalDemand, fragment_for};

use crate::shared_data;

fn scratch(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ballast-it-openb-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn gpu_node(gpus: usize, cpu_milli: u32) -> Capabilities {
    Capabilities {
        cpu_milli,
        memory_mib: 65_536,
        slots: 64,
        gpus: vec![GpuDevice { model: None, memory_mib: 16_384 }; gpus].into_boxed_slice(),
        ..Capabilities::default()
    }
}

fn demand(cpu_milli: u32, gpu_count: u8, gpu_milli: u16) -> TypicalDemand {
    TypicalDemand { cpu_milli, memory_mib: 0, gpu_count, gpu_milli, gpu_models: Box::new([]), weight: 1.0 }
}

#[test]
fn fragmentation_counts_the_share_a_demand_cannot_use() {
    let node = gpu_node(2, 8_000);
    let mut load = Load::default();
    load.gpu_milli_used[0] = 700; // device 0 has 300 free, device 1 is idle
    load.cpu_milli_used = 2_000;
    let free = Free::of(&node, &load);
    // A half-GPU demand uses device 1 only: device 0's 300 are fragment.
    assert_eq!(fragment_for(&node, &free, &demand(1_000, 1, 500), false), 300);
    // A 200-milli demand fits on both: nothing is fragment.
    assert_eq!(fragment_for(&node, &free, &demand(1_000, 1, 200), false), 0);
    // Two whole GPUs do not fit: all 1,300 free are fragment for it.
    assert_eq!(fragment_for(&node, &free, &demand(1_000, 2, 1_000), false), 1_300);
    // Lacking CPU makes every free GPU a fragment.
    assert_eq!(fragment_for(&node, &free, &demand(7_000, 1, 200), false), 1_300);
    // Memory counts only when asked.
    let hungry = TypicalDemand { memory_mib: 100_000, ..demand(1_000, 1, 200) };
    assert_eq!(fragment_for(&node, &free, &hungry, false), 0);
    assert_eq!(fragment_for(&node, &free, &hungry, true), 1_300);
    // A model the devices are not of: nothing there is usable.
    let mut symbols = ballast_components::symbols::Symbols::new(64, 16);
    let (t4, a10) = (symbols.intern("T4").unwrap(), symbols.intern("A10").unwrap());
    let node =
        Capabilities { gpus: vec![GpuDevice { model: Some(t4), memory_mib: 16_384 }; 2].into_boxed_slice(), ..node };
    let picky = TypicalDemand { gpu_models: Box::new([a10]), ..demand(1_000, 1, 200) };
    assert_eq!(fragment_for(&node, &free, &picky, false), 1_300);
}

fn engine(policy: PolicyName) -> Engine {
    Engine::new(EngineConfig { policy, ..EngineConfig::default() }).unwrap()
}

fn worker(id: u64, gpus: usize, cpu_milli: u32) -> WorkerSpec {
    WorkerSpec {
        id: WorkerId(id),
        hardware: HardwareSet::of(&[HardwareKind::Cpu, HardwareKind::Cuda]),
        cpu_milli,
        memory_mib: 65_536,
        slots: 64,
        gpus: vec![GpuSpec { model: Some("T4".into()), memory_mib: 16_384 }; gpus],
        ..WorkerSpec::default()
    }
}

fn share_task(id: u64, cpu_milli: u32, count: u8, milli: u16) -> TaskSpec {
    let mut spec = TaskSpec::new(TaskId(id));
    spec.requirements.cpu_milli = cpu_milli;
    spec.requirements.gpu = GpuDemand { count, milli, memory_mib: 0 };
    spec
}

/// Submits the tasks one tick apart and returns (task, worker) per assignment.
fn place_one_by_one(engine: &mut Engine, tasks: Vec<TaskSpec>) -> Vec<(u64, u64)> {
    let mut placed = Vec::new();
    for (tick, task) in tasks.into_iter().enumerate() {
        engine.submit(task).unwrap();
        engine.tick(Timestamp::from_millis(tick as u64 + 1)).unwrap();
        for event in engine.events() {
            if let Event::TaskAssigned { task, worker, .. } = event {
                placed.push((task.0, worker.0));
            }
        }
    }
    assert!(engine.check_invariants().is_empty(), "{:?}", engine.check_invariants());
    placed
}

#[test]
fn packing_policies_fill_a_used_gpu_before_breaking_an_idle_one() {
    for policy in [PolicyName::BestFit, PolicyName::Fgd, PolicyName::FragAware] {
        let mut engine = engine(policy);
        engine.register_worker(worker(1, 1, 16_000)).unwrap();
        engine.register_worker(worker(2, 1, 16_000)).unwrap();
        // Half GPUs: the first breaks a device; the second must share it, leaving the other device whole
        // for the whole-GPU task that follows.
        let tasks = vec![share_task(1, 1_000, 1, 500), share_task(2, 1_000, 1, 500), share_task(3, 1_000, 1, 1_000)];
        let placed = place_one_by_one(&mut engine, tasks);
        assert_eq!(placed.len(), 3, "{policy}: {placed:?}");
        assert_eq!(placed[0].1, placed[1].1, "{policy}: the two halves share a device: {placed:?}");
        assert_ne!(placed[2].1, placed[0].1, "{policy}: {placed:?}");
    }
}

#[test]
fn frag_aware_keeps_cpu_tasks_off_gpu_workers() {
    let mut engine = engine(PolicyName::FragAware);
    engine.register_worker(worker(1, 4, 16_000)).unwrap();
    engine.register_worker(worker(2, 0, 16_000)).unwrap();
    // The GPU demand mix first (so the profile knows what GPU tasks need), then CPU-only tasks.
    let mut tasks: Vec<TaskSpec> = (0..3).map(|id| share_task(id, 4_000, 1, 1_000)).collect();
    tasks.extend((10..14).map(|id| share_task(id, 4_000, 0, 0)));
    let placed = place_one_by_one(&mut engine, tasks);
    let cpu_only: Vec<u64> = placed.iter().filter(|(task, _)| *task >= 10).map(|&(_, worker)| worker).collect();
    assert_eq!(cpu_only, vec![2, 2, 2, 2], "CPU-only tasks go to the CPU-only worker: {placed:?}");
}

#[test]
fn random_placement_draws_the_device_of_a_share_at_random() {
    // Best fit would always stack the shares on device 0; random spreads them over both devices.
    let mut devices_seen = std::collections::BTreeSet::new();
    for seed in 0..8 {
        let mut engine =
            Engine::new(EngineConfig { policy: PolicyName::Random, seed, ..EngineConfig::default() }).unwrap();
        engine.register_worker(worker(1, 2, 16_000)).unwrap();
        let placed = place_one_by_one(&mut engine, vec![share_task(1, 100, 1, 300), share_task(2, 100, 1, 300)]);
        assert_eq!(placed.len(), 2);
        let load = engine.view().worker(WorkerId(1)).unwrap().load.gpu_milli_used;
        devices_seen.insert((load[0], load[1]));
    }
    assert!(devices_seen.len() > 1, "the device draw varies with the seed: {devices_seen:?}");
}

const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model\n\
    n0,32000,262144,0,\n\
    n1,64000,262144,2,T4\n\
    n2,64000,262144,4,V100M32\n";

fn pods(count: usize) -> String {
    // Extra and reordered columns, an empty gpu_spec and a `|` list, as the trace's variants have.
    let mut text = String::from("name,qos,num_gpu,gpu_milli,cpu_milli,memory_mib,gpu_spec,extra\n");
    for pod in 0..count {
        let line = match pod % 4 {
            0 => format!("p{pod},LS,1,500,4000,8192,,x\n"),
            1 => format!("p{pod},BE,1,1000,8000,8192,T4|V100M32,x\n"),
            2 => format!("p{pod},LS,0,0,2000,4096,,x\n"),
            _ => format!("p{pod},LS,2,1000,8000,16384,V100M32,x\n"),
        };
        text.push_str(&line);
    }
    text
}

#[test]
fn the_loaders_accept_the_trace_format_and_its_variants() {
    let nodes = openb::load_nodes(&scratch("nodes.csv", NODES)).unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!((nodes[2].gpus, nodes[2].model.as_str()), (4, "V100M32"));
    let pods = openb::load_pods(&scratch("pods.csv", &pods(4))).unwrap();
    assert_eq!(pods[0].gpu, GpuDemand { count: 1, milli: 500, memory_mib: 0 });
    assert_eq!(pods[1].gpu_models, vec!["T4".to_owned(), "V100M32".to_owned()]);
    assert_eq!(pods[2].gpu, GpuDemand::NONE);
    assert_eq!(pods[3].gpu, GpuDemand::whole(2));
    assert_eq!(pods[3].gpu_milli_total(), 2_000);
}

#[test]
fn bad_trace_files_are_typed_errors() {
    let missing = openb::load_nodes(&scratch("no-model.csv", "sn,cpu_milli,memory_mib,gpu\nn0,1,1,1\n"));
    assert!(matches!(missing, Err(OpenbError::MissingColumn { column: "model", .. })), "{missing:?}");
    let bad = openb::load_pods(&scratch(
        "bad.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,4000,1,1,500\np1,lots,1,1,1\n",
    ));
    assert!(matches!(bad, Err(OpenbError::BadField { line: 3, column: "cpu_milli", .. })), "{bad:?}");
    let range = openb::load_pods(&scratch("range.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1,1,1,1500\n"));
    assert!(matches!(range, Err(OpenbError::BadField { column: "gpu_milli", .. })), "{range:?}");
    let empty = openb::load_pods(&scratch("empty.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"));
    assert!(matches!(empty, Err(OpenbError::Empty { what: "pods", .. })), "{empty:?}");
    let absent = openb::load_nodes(std::path::Path::new("/nonexistent/nodes.csv"));
    assert!(matches!(absent, Err(OpenbError::Io { .. })), "{absent:?}");
    let cpu_only = scratch("cpu-only.csv", "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,1024,0,\n");
    let options = OpenbOptions { policies: vec![PolicyName::Fgd], seeds: vec![1], tune: 1.3, threads: 1 };
    let no_gpus = openb::replay(&cpu_only, &scratch("pods-ok.csv", &pods(8)), &options);
    assert!(matches!(no_gpus, Err(OpenbError::NoGpus)), "{no_gpus:?}");
    let bad_tune = OpenbOptions { tune: f64::NAN, ..options };
    let nodes = scratch("nodes-ok.csv", NODES);
    assert!(matches!(
        openb::replay(&nodes, &scratch("pods-ok2.csv", &pods(8)), &bad_tune),
        Err(OpenbError::Settings(_))
    ));
    assert_eq!(openb::parse_seeds("42..44").unwrap(), vec![42, 43, 44]);
    assert_eq!(openb::parse_seeds("1,5").unwrap(), vec![1, 5]);
    assert!(openb::parse_seeds("9..3").is_err() && openb::parse_seeds("x").is_err());
}

#[test]
fn the_replay_follows_the_protocol_on_a_small_cluster() {
    let nodes_path = scratch("nodes-protocol.csv", NODES);
    let pods_path = scratch("pods-protocol.csv", &pods(6));
    let nodes = openb::load_nodes(&nodes_path).unwrap();
    let pods = openb::load_pods(&pods_path).unwrap();
    // Inflation: cloned until requests reach 1.3 × 6 GPUs, never past it.
    let order = openb::workload(&pods, 6_000, 1.3, 7);
    let requested: u64 = order.iter().map(|&index| pods[index].gpu_milli_total()).sum();
    assert!(requested <= 7_800 && requested > 7_800 - 2_000, "{requested}");
    assert!(order.len() > pods.len());
    assert_eq!(order, openb::workload(&pods, 6_000, 1.3, 7), "the same seed gives the same workload");
    for policy in
        [PolicyName::Random, PolicyName::BestFit, PolicyName::DotProduct, PolicyName::Fgd, PolicyName::FragAware]
    {
        let run = openb::run(&nodes, &pods, policy, 7, 1.3).unwrap();
        assert_eq!(run, openb::run(&nodes, &pods, policy, 7, 1.3).unwrap(), "{policy}: deterministic");
        assert!(run.curve.len() > 100, "{policy}: the curve reaches 100% requested");
        for (percent, allocated) in run.curve.iter().enumerate() {
            assert!(*allocated <= percent as f64 + 34.0, "{policy}: allocated {allocated} at {percent}% requested");
        }
        assert!(run.curve.windows(2).all(|pair| pair[0] <= pair[1]), "{policy}: pods never depart");
        assert!((run.unallocated_gpu_percent - (100.0 - run.curve[100])).abs() < 1e-9);
        assert!(run.placed > 0 && run.placed <= run.submitted);
    }
}

#[test]
fn on_the_real_trace_packing_beats_random_and_frag_aware_beats_fgd() {
    let (Some(nodes), Some(pods)) =
        (shared_data("openb/openb_node_list_all_node.csv.gz"), shared_data("openb/openb_pod_list_default.csv.gz"))
    else {
        return;
    };
    let options = OpenbOptions {
        policies: vec![PolicyName::Random, PolicyName::BestFit, PolicyName::Fgd, PolicyName::FragAware],
        seeds: vec![42],
        tune: 1.3,
        threads: 2,
    };
    let report = openb::replay(&nodes, &pods, &options).unwrap();
    assert_eq!((report.nodes, report.gpus, report.pods), (1_523, 6_212, 8_152));
    let unallocated = |name: &str| {
        report
            .policies
            .iter()
            .find(|policy| policy.policy == name)
            .map(|policy| policy.unallocated_gpu_percent)
            .unwrap()
    };
    assert!(unallocated("best-fit") < unallocated("random") - 3.0, "{report:?}");
    assert!(unallocated("fgd") < unallocated("best-fit"), "{report:?}");
    assert!(unallocated("frag-aware") < unallocated("fgd"), "{report:?}");
    let random = report.policies.iter().find(|policy| policy.policy == "random").unwrap();
    assert_eq!(random.published_unallocated_gpu_percent, Some(13.7));
    assert!(random.curve.len() > 100 && random.curve[50].allocated_gpu_percent > 49.0);
}

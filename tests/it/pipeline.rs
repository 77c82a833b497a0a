//! The whole pipeline through the facade, one behaviour per test, in the fixture language.

use ballast::prelude::*;

use crate::check::{check, run_with};

#[test]
fn a_task_goes_to_a_worker_that_has_its_hardware() {
    check(
        "worker w0 cpu slots=1
         worker w1 cpu,cuda slots=2 gpus=1x16384
         task t0 hw=cuda gpu=1
         tick 10",
        "t0 -> w1",
    );
}

#[test]
fn a_task_no_worker_could_ever_run_is_unschedulable_with_the_reason() {
    check(
        "worker w0 cpu slots=1
         worker w1 cpu slots=4 mem=4096
         task t0 hw=cuda gpu=1
         task t1 mem=8192
         task t2 mem=65536
         tick 10",
        "t0 unschedulable: no worker has cuda
         t2 unschedulable: no worker has memory >= 65536 MiB
         t1 -> w0",
    );
}

#[test]
fn unschedulable_when_requirements_exclude_every_worker_together() {
    check(
        "worker w0 cpu,cuda gpus=1x16384 mem=4096
         worker w1 cpu mem=65536
         task t0 hw=cuda gpu=1 mem=32768
         tick 10",
        "t0 unschedulable: no worker meets every requirement (cuda excludes 1 of 2, memory >= 32768 MiB excludes 1 of 2, 1 gpu excludes 1 of 2)",
    );
}

#[test]
fn a_task_waits_while_workers_are_busy_and_is_placed_when_capacity_frees() {
    check(
        "worker w0 cpu slots=1
         task t0
         task t1
         tick 10
         explain t1
         complete t0 w0
         tick 20",
        "t0 -> w0
         t1 pending: 1 eligible, 1 busy, 0 available; 0 queued ahead
         t0 completed on w0
         t1 -> w0",
    );
}

#[test]
fn more_urgent_tasks_go_first() {
    check(
        "worker w0 cpu slots=1
         task t0 prio=9
         tick 10
         task t1 prio=1
         task t2 prio=9
         task t3 prio=5
         complete t0 w0
         tick 20
         complete t2 w0
         tick 30
         complete t3 w0
         tick 40",
        "t0 -> w0
         t0 completed on w0
         t2 -> w0
         t2 completed on w0
         t3 -> w0
         t3 completed on w0
         t1 -> w0",
    );
}

#[test]
fn waiting_raises_a_low_priority_task_so_it_is_not_starved() {
    let input = "worker w0 cpu slots=1
                 task t0 prio=9
                 tick 10
                 task t1 prio=0
                 tick 20
                 task t2 prio=9
                 complete t0 w0
                 heartbeat w0
                 tick 30000";
    // One level per second of waiting: t1 waited 30 s, worth 30 levels; t2 is fresh at level 9.
    let aging = EngineConfig { priority_aging_ms: 1_000, policy: PolicyName::ResourceAware, ..EngineConfig::default() };
    assert_eq!(run_with(aging, input), "t0 -> w0\nt0 completed on w0\nt1 -> w0");
    let no_aging = EngineConfig { priority_aging_ms: 0, policy: PolicyName::ResourceAware, ..EngineConfig::default() };
    assert_eq!(run_with(no_aging, input), "t0 -> w0\nt0 completed on w0\nt2 -> w0");
}

#[test]
fn the_least_loaded_worker_gets_the_next_task() {
    check(
        "worker w0 cpu slots=4
         worker w1 cpu slots=4
         task t0
         task t1
         task t2
         task t3
         tick 10",
        "t0 -> w0
         t1 -> w1
         t2 -> w0
         t3 -> w1",
    );
}

#[test]
fn gpus_are_counted_per_device() {
    check(
        "worker w0 cpu,cuda slots=8 gpus=4x16384
         task t0 hw=cuda gpu=1
         task t1 hw=cuda gpu=1
         task t2 hw=cuda gpu=2
         task t3 hw=cuda gpu=1
         tick 10
         explain t3
         complete t0 w0
         tick 20",
        "t0 -> w0
         t1 -> w0
         t2 -> w0
         t3 pending: 1 eligible, 1 busy, 0 available; 0 queued ahead
         t0 completed on w0
         t3 -> w0",
    );
}

#[test]
fn fractional_gpu_shares_pack_onto_one_device() {
    check(
        "worker w0 cpu,cuda slots=8 gpus=1x16384
         task t0 hw=cuda gpu=1 gpu_milli=500
         task t1 hw=cuda gpu=1 gpu_milli=500
         task t2 hw=cuda gpu=1 gpu_milli=500
         tick 10
         explain t2",
        "t0 -> w0
         t1 -> w0
         t2 pending: 1 eligible, 1 busy, 0 available; 0 queued ahead",
    );
}

#[test]
fn gpu_memory_and_models_are_capability_filters() {
    check(
        "worker w0 cpu,cuda slots=2 gpus=1x16384:T4
         worker w1 cpu,cuda slots=2 gpus=1x81920:A100
         task t0 hw=cuda gpu=1 gpu_mem=40000
         task t1 hw=cuda gpu=1 gpu_models=T4
         task t2 hw=cuda gpu=1 gpu_models=H100
         tick 10",
        "t2 unschedulable: no worker has gpu model H100
         t0 -> w1
         t1 -> w0",
    );
}

#[test]
fn browsers_and_tags_are_capability_filters() {
    check(
        "worker w0 cpu,webgpu slots=2 browsers=chrome|edge
         worker w1 cpu,webgpu slots=2 browsers=firefox tags=gpu-lab
         task t0 hw=webgpu browsers=firefox
         task t1 tags=gpu-lab
         task t2 browsers=safari
         tick 10",
        "t2 unschedulable: no worker has browser safari
         t0 -> w1
         t1 -> w1",
    );
}

#[test]
fn memory_and_cpu_are_reserved_not_just_filtered() {
    check(
        "worker w0 cpu slots=8 mem=8192 cpu=4000
         task t0 mem=6000
         task t1 mem=6000
         task t2 cpu=3000
         task t3 cpu=3000
         tick 10",
        "t0 -> w0
         t2 -> w0",
    );
}

#[test]
fn tasks_sharing_a_concurrency_key_never_run_together_and_do_not_block_others() {
    check(
        "worker w0 cpu slots=4
         task t0 key=db
         task t1 key=db
         task t2
         tick 10
         explain t1
         complete t0 w0
         tick 20",
        "t0 -> w0
         t2 -> w0
         t1 pending: 1 eligible, 0 busy, 1 available; waits for key db
         t0 completed on w0
         t1 -> w0",
    );
}

#[test]
fn a_key_waiter_is_woken_when_the_holder_is_cancelled() {
    check(
        "worker w0 cpu slots=4
         task t0 key=db
         task t1 key=db
         tick 10
         cancel t0
         tick 20",
        "t0 -> w0
         t0 cancelled on w0
         t1 -> w0",
    );
}

#[test]
fn a_silent_worker_becomes_suspect_then_unresponsive_and_its_tasks_move() {
    check(
        "worker w0 cpu slots=1
         worker w1 cpu slots=1
         task t0
         tick 10
         heartbeat w1
         tick 16000
         heartbeat w1
         tick 31000
         heartbeat w1
         tick 121000",
        "t0 -> w0
         w0 suspect
         w0 unresponsive
         t0 requeued from w0: WorkerLost
         t0 -> w1 (attempt 2)
         w0 removed (Lost), 0 tasks released",
    );
}

#[test]
fn a_heartbeat_brings_a_suspect_worker_back() {
    check(
        "worker w0 cpu slots=1
         tick 10
         tick 16000
         heartbeat w0
         task t0
         tick 17000",
        "w0 suspect
         w0 healthy
         t0 -> w0",
    );
}

#[test]
fn retries_are_bounded() {
    check(
        "worker w0 cpu slots=1
         task t0 attempts=2
         tick 10
         fail t0 w0 retry
         tick 20
         fail t0 w0 retry
         tick 30",
        "t0 -> w0
         t0 requeued from w0: AttemptFailed
         t0 -> w0 (attempt 2)
         t0 failed: 2 attempts exhausted, the last failed",
    );
}

#[test]
fn a_test_failure_is_not_retried() {
    check(
        "worker w0 cpu slots=1
         task t0
         tick 10
         fail t0 w0
         tick 20",
        "t0 -> w0
         t0 failed: worker reported: test failed",
    );
}

#[test]
fn an_attempt_past_its_timeout_is_requeued() {
    check(
        "worker w0 cpu slots=1
         task t0 timeout=1000 attempts=2
         tick 10
         start t0 w0
         tick 2000
         tick 4000",
        "t0 -> w0
         t0 requeued from w0: TimedOut
         t0 -> w0 (attempt 2)
         t0 failed: 2 attempts exhausted, the last timed out",
    );
}

#[test]
fn a_draining_worker_takes_no_new_work_and_leaves_after_its_last_task() {
    check(
        "worker w0 cpu slots=2
         worker w1 cpu slots=1
         task t0
         tick 10
         drain w0
         task t1
         tick 20
         complete t0 w0
         tick 30",
        "t0 -> w0
         w0 draining
         t1 -> w1
         t0 completed on w0
         w0 removed (Drained), 0 tasks released",
    );
}

#[test]
fn removing_a_worker_requeues_its_tasks() {
    check(
        "worker w0 cpu slots=2
         task t0
         task t1
         tick 10
         remove w0
         worker w1 cpu slots=2
         tick 20",
        "t0 -> w0
         t1 -> w0
         t1 requeued from w0: WorkerLost
         t0 requeued from w0: WorkerLost
         w0 removed (Removed), 2 tasks released
         t0 -> w1 (attempt 2)
         t1 -> w1 (attempt 2)",
    );
}

#[test]
fn pending_tasks_become_unschedulable_when_their_last_capable_worker_leaves() {
    check(
        "worker w0 cpu,cuda slots=1 gpus=1x16384
         worker w1 cpu slots=1
         task t0 hw=cuda gpu=1
         task t1 hw=cuda gpu=1
         tick 10
         remove w0
         tick 20",
        "t0 -> w0
         t0 requeued from w0: WorkerLost
         w0 removed (Removed), 1 tasks released
         t0 unschedulable: no worker has cuda
         t1 unschedulable: no worker has cuda",
    );
}

#[test]
fn cancel_works_in_every_live_state() {
    check(
        "worker w0 cpu slots=1
         task t0
         task t1
         tick 10
         cancel t1
         start t0 w0
         cancel t0
         tick 20
         cancel t0
         tick 30",
        "t0 -> w0
         t1 cancelled
         t0 cancelled on w0
         rejected CancelTask: task t0 is not live (never submitted, or already ended)",
    );
}

#[test]
fn a_stale_report_from_another_worker_is_refused() {
    check(
        "worker w0 cpu slots=1
         worker w1 cpu slots=1
         task t0
         tick 10
         complete t0 w1
         start t0 w0
         start t0 w0
         tick 20",
        "t0 -> w0
         rejected TaskCompleted: task t0 is assigned and not placed on worker w1
         rejected TaskStarted: task t0 already started",
    );
}

#[test]
fn a_task_submitted_before_any_worker_is_unschedulable() {
    check("task t0\ntick 10", "t0 unschedulable: no worker is registered");
}

#[test]
fn reported_utilization_never_overwrites_reservations() {
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    let worker = WorkerSpec { id: WorkerId(0), slots: 2, cpu_milli: 4_000, memory_mib: 8_192, ..WorkerSpec::default() };
    engine.register_worker(worker).unwrap();
    let mut task = TaskSpec::new(TaskId(0));
    task.requirements.memory_mib = 4_096;
    engine.submit(task).unwrap();
    engine.tick(Timestamp::from_millis(10)).unwrap();
    let idle = UtilizationReport { cpu: 0.0, memory: 0.0, gpu: 0.0, heat: None };
    engine.heartbeat(WorkerId(0), Some(idle)).unwrap();
    let view = engine.view();
    let worker = view.worker(WorkerId(0)).unwrap();
    assert_eq!(worker.load.slots_used, 1);
    assert_eq!(worker.load.memory_used_mib, 4_096);
    assert_eq!(worker.utilization.cpu, 0.0);
}

#[test]
fn explain_counts_each_requirement_and_the_view_tracks_tasks() {
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    for (id, hardware) in [(0, HardwareKind::Cpu), (1, HardwareKind::Cuda), (2, HardwareKind::Cuda)] {
        let gpus =
            if hardware == HardwareKind::Cuda { vec![GpuSpec { model: None, memory_mib: 16_384 }] } else { vec![] };
        let spec = WorkerSpec {
            id: WorkerId(id),
            hardware: HardwareSet::of(&[hardware]),
            slots: 1,
            memory_mib: 16_384,
            gpus,
            ..WorkerSpec::default()
        };
        engine.register_worker(spec).unwrap();
    }
    let gpu_task = |id| {
        let mut task = TaskSpec::new(TaskId(id));
        task.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
        task.requirements.gpu = GpuDemand::whole(1);
        task
    };
    for id in 0..3 {
        engine.submit(gpu_task(id)).unwrap();
    }
    engine.tick(Timestamp::from_millis(10)).unwrap();
    let explanation = engine.explain(TaskId(2)).unwrap();
    assert_eq!(explanation.state, TaskState::Pending);
    assert_eq!(explanation.workers_registered, 3);
    assert_eq!(explanation.eligible, 2);
    assert_eq!((explanation.busy, explanation.available), (2, 0));
    assert_eq!(explanation.filters.iter().map(|count| count.excluded).collect::<Vec<_>>(), vec![1, 1]);
    match engine.view().task(TaskId(0)) {
        TaskLookup::Live(view) => {
            assert_eq!(view.lifecycle.state, TaskState::Assigned);
            assert!(view.worker.is_some());
        }
        other => panic!("t0 should be live, not {other:?}"),
    }
    assert!(matches!(engine.view().task(TaskId(99)), TaskLookup::Unknown));
    assert!(matches!(engine.explain(TaskId(99)), Err(ExplainError::UnknownTask(TaskId(99)))));
}

#[test]
fn a_worker_registered_after_its_tasks_arrived_picks_them_up() {
    check(
        "worker w0 cpu slots=1
         worker w1 cpu,cuda slots=1 gpus=1x16384
         task t0 hw=cuda gpu=1
         task t1 hw=cuda gpu=1
         tick 10
         worker w2 cpu,cuda slots=1 gpus=1x16384
         tick 20",
        "t0 -> w1
         t1 -> w2",
    );
}

#[test]
fn a_key_waiter_whose_workers_all_left_is_unschedulable_once_woken() {
    check(
        "worker w0 cpu slots=1
         worker w1 cpu,cuda slots=1 gpus=1x16384
         task t0 key=k
         task t1 hw=cuda gpu=1 key=k
         tick 10
         remove w1
         tick 20
         complete t0 w0
         tick 30
         tick 40",
        "t0 -> w0
         w1 removed (Removed), 0 tasks released
         t0 completed on w0
         t1 unschedulable: no worker has cuda",
    );
}

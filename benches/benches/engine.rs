//! Criterion benches of the engine's hot paths. Ids name their parameter: `tick/10000_workers`.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use ballast::components::capability::{HardwareKind, HardwareSet};
use ballast::components::index::CapabilityIndex;
use ballast::components::requirements::{Demand, Requirements};
use ballast::systems::explain::meets_requirements;
use ballast_benches::SteadyState;

// The same allocator as the `ballast` binary, so benches measure what it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Pool sizes, and a state with a tenth of each pool's workers' worth of churn and ten tasks pending per
/// worker.
const SIZES: [u32; 3] = [1_000, 10_000, 100_000];

fn steady(workers: u32) -> SteadyState {
    let churn = (workers / 10) as usize;
    let mut state = SteadyState::new(workers, u64::from(workers) * 10, churn);
    assert_eq!(state.step(), churn as u64, "the warm state places its churn every step");
    state
}

/// Times `timed` only, after `untimed` each iteration.
fn timed_steps(
    state: &mut SteadyState,
    iterations: u64,
    untimed: fn(&mut SteadyState),
    timed: fn(&mut SteadyState) -> u64,
) -> Duration {
    let mut elapsed = Duration::ZERO;
    for _ in 0..iterations {
        untimed(state);
        let started = Instant::now();
        std::hint::black_box(timed(state));
        elapsed += started.elapsed();
    }
    elapsed
}

/// A whole tick in a full pool with a backlog: `churn` completions, `churn` submissions and `churn`
/// placements per tick (admit, health, analyze, index, match, complete, report). Only the tick is
/// timed; building the commands is not.
fn tick(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("tick");
    group.sample_size(10);
    for workers in SIZES {
        let mut state = steady(workers);
        group.throughput(Throughput::Elements(state.churn as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("{workers}_workers")), |bencher| {
            bencher.iter_custom(|iterations| {
                timed_steps(&mut state, iterations, SteadyState::prepare, SteadyState::tick_once)
            })
        });
    }
    group.finish();
}

/// Placement alone: a tick that admits and places `churn` new tasks on workers freed beforehand
/// (untimed), with no completions in it.
fn place(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("place");
    group.sample_size(10);
    for workers in SIZES {
        let mut state = steady(workers);
        group.throughput(Throughput::Elements(state.churn as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("{workers}_workers")), |bencher| {
            bencher.iter_custom(|iterations| {
                timed_steps(
                    &mut state,
                    iterations,
                    |state| {
                        state.free_churn();
                        state.submit_churn();
                    },
                    SteadyState::tick_once,
                )
            })
        });
    }
    group.finish();
}

/// Heartbeat churn: a tick that applies utilization heartbeats from a tenth of the pool (the index and
/// health bookkeeping), with no tasks moving.
fn heartbeats(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("heartbeats");
    group.sample_size(10);
    for workers in SIZES {
        let mut state = steady(workers);
        let count = state.churn;
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("{workers}_workers")), |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    state.heartbeats(count);
                    let started = Instant::now();
                    std::hint::black_box(state.tick_once());
                    elapsed += started.elapsed();
                }
                elapsed
            })
        });
    }
    group.finish();
}

/// Capability filtering: the workers that meet a requirement set (a CUDA device and 32 GiB), through
/// the roaring index (then an exact check of each candidate) against a linear scan of every worker's
/// capabilities.
fn filter(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("filter");
    let requirements = Requirements {
        hardware_any: HardwareSet::of(&[HardwareKind::Cuda]),
        demand: Demand { memory_mib: 32_768, ..Demand::default() },
        ..Requirements::default()
    };
    for workers in SIZES {
        let state = SteadyState::new(workers, 0, 0);
        let engine = state.engine();
        let capabilities: Vec<_> = engine.view().workers().map(|worker| worker.capabilities.clone()).collect();
        let index = engine.world().resource::<CapabilityIndex>();
        let expected = capabilities.iter().filter(|worker| meets_requirements(worker, &requirements)).count() as u64;
        let roaring = {
            let candidates = index.static_candidates(&requirements);
            candidates.iter().filter(|&slot| meets_requirements(&capabilities[slot as usize], &requirements)).count()
        };
        assert_eq!(roaring as u64, expected, "both ways find the same workers");
        group.throughput(Throughput::Elements(u64::from(workers)));
        group.bench_function(BenchmarkId::new("roaring", format!("{workers}_workers")), |bencher| {
            bencher.iter(|| {
                let candidates = index.static_candidates(std::hint::black_box(&requirements));
                candidates
                    .iter()
                    .filter(|&slot| meets_requirements(&capabilities[slot as usize], &requirements))
                    .count()
            })
        });
        group.bench_function(BenchmarkId::new("linear_scan", format!("{workers}_workers")), |bencher| {
            bencher.iter(|| {
                capabilities
                    .iter()
                    .filter(|worker| meets_requirements(worker, std::hint::black_box(&requirements)))
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, tick, place, heartbeats, filter);
criterion_main!(benches);

//! Criterion benches of the engine's hot paths. Ids name their parameter: `tick/10000_workers`.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use ballast_benches::SteadyState;

// The same allocator as the `ballast` binary, so benches measure what it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A whole tick in a full pool with a backlog: `churn` completions, `churn` submissions and `churn`
/// placements per tick (admit, health, analyze, index, match, complete, report). Only the tick is
/// timed; building the commands is not.
fn tick(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("tick");
    for workers in [1_000u32, 10_000] {
        let churn = (workers / 10) as usize;
        let mut state = SteadyState::new(workers, u64::from(workers) * 10, churn);
        assert_eq!(state.step(), churn as u64, "the warm state places its churn every step");
        group.throughput(Throughput::Elements(churn as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("{workers}_workers")), |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    state.prepare();
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

criterion_group!(benches, tick);
criterion_main!(benches);

//! The scale harness end to end at 1,000 workers: every column filled from a real run. No timing is
//! asserted (speed is the harness's to measure, not a test's).

use ballast::bench::scale::{self, ScalePlan};

#[test]
fn the_sweep_fills_a_row_from_real_runs() {
    let plan = ScalePlan { workers: vec![1_000], tasks: Some(20_000), seed: 3, exact_check: false };
    let mut memory = |workers| scale::memory_probe(workers, 50_000, 3).unwrap();
    let report = scale::run(&plan, &mut memory, &mut |_| {}).unwrap();
    assert_eq!(report.rows.len(), 1);
    let row = &report.rows[0];
    assert_eq!((row.workers, row.tasks, row.tasks_lost), (1_000, 20_000, 0));
    assert!(row.placements >= 20_000 - 100, "nearly every task is placed at least once: {row:?}");
    assert!(row.placements_per_second > 0.0 && row.engine_seconds > 0.0, "{row:?}");
    assert!(row.tick_ns_p50 > 0 && row.tick_ns_p99 >= row.tick_ns_p50, "{row:?}");
    assert!(row.backlog_tick_ns_p99 > 0, "{row:?}");
    assert!(row.backlog_pending >= 9_000, "ten tasks pending per worker, give or take: {row:?}");
    assert!(row.shapes > 1 && row.classes > 1, "{row:?}");
    if scale::resident_bytes().is_some() {
        // In-process and beside other tests, resident memory is a rough measure (the CLI probes each size
        // in a fresh process); fifty thousand queued tasks still show.
        assert!(row.bytes_per_task.unwrap() > 0.0, "{row:?}");
        assert!(row.bytes_per_worker.unwrap() >= 0.0, "{row:?}");
    }
    // The simulator's share of the wall time: what is not the engine's, strictly between 0 and 1 on a
    // real run (both sides do work).
    let share = row.simulator_share();
    assert!(share > 0.0 && share < 1.0 && row.sim_wall_seconds > row.engine_seconds, "{share} {row:?}");
    let table = report.table();
    assert!(table.contains("placements/s") && table.contains(" 1000 ") && table.contains("sim share"), "{table}");
    let chart = std::env::temp_dir().join(format!("ballast-scale-{}.svg", std::process::id()));
    scale::write_chart(&report, &chart).unwrap();
    let svg = std::fs::read_to_string(&chart).unwrap();
    std::fs::remove_file(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("placements per second"), "{}", &svg[..200.min(svg.len())]);
}

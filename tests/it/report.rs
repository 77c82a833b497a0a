//! The visual report (`ballast report`, `ballast sim --report`): a small simulation's timeline, the page
//! with every chart it can draw and data in each chart, the hand-written fixtures of the other result
//! kinds (scale, quality, CI, openb, swf), and typed errors for bad input.

use std::path::{Path, PathBuf};

use ballast::sim::{self, SimConfig, SimReport};
use ballast::visual::{self, Kind, ReportError};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/report").join(name)
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ballast-it-report-{}-{name}", std::process::id()))
}

fn small_run() -> SimReport {
    let config = SimConfig { workers: 150, tasks: 3_000, seed: 3, ..SimConfig::default() };
    let report = sim::run(&config, &mut |_| {}).unwrap();
    assert_eq!(report.invariant_violations, 0, "{}", report.summary());
    report
}

/// The HTML of the figure with id `id` (its `<figure …>` to its `</figure>`).
fn figure<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<figure id=\"{id}\"")).unwrap_or_else(|| panic!("no figure {id}"));
    let end = start + page[start..].find("</figure>").expect("figures are closed");
    &page[start..end]
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

/// The number of points of each polyline in `svg`, in order.
fn polyline_points(svg: &str) -> Vec<usize> {
    svg.split("<polyline")
        .skip(1)
        .map(|rest| {
            let points = rest.split("points=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("");
            points.split_whitespace().count()
        })
        .collect()
}

#[test]
fn a_simulation_records_a_timeline_that_adds_up() {
    let report = small_run();
    let timeline = report.timeline.as_ref().expect("the simulator records a timeline");
    let intervals = timeline.arrivals.len();
    assert!((100..=200).contains(&intervals), "{intervals} intervals of {} s", timeline.interval_seconds);
    for (name, len) in [
        ("placements", timeline.placements.len()),
        ("completions", timeline.completions.len()),
        ("wait_mean_seconds", timeline.wait_mean_seconds.len()),
        ("wait_p99_seconds", timeline.wait_p99_seconds.len()),
        ("tick_ns_p99", timeline.tick_ns_p99.len()),
        ("busy_share", timeline.busy_share.len()),
        ("pending_max", timeline.pending_max.len()),
    ] {
        assert_eq!(len, intervals, "{name}");
    }
    assert_eq!(timeline.arrivals.iter().sum::<u64>(), report.tasks);
    assert_eq!(timeline.placements.iter().sum::<u64>(), report.placements);
    assert_eq!(timeline.completions.iter().sum::<u64>(), report.tasks_completed);
    assert_eq!(timeline.ticks.iter().sum::<u64>() + 1, report.ticks, "every tick but the registration tick");
    assert!(timeline.busy_share.iter().all(|share| (0.0..=1.0).contains(share)));

    let load = report.worker_load.as_ref().expect("and the load matrix");
    assert!(load.rows.len() <= 110 && load.rows.len() > 5, "{} rows", load.rows.len());
    assert_eq!(load.rows.iter().map(|row| row.workers).sum::<u32>(), report.workers);
    assert!(load.busy_share.iter().all(|row| row.len() == intervals));
    // The matrix and the pool-wide share describe the same busy time.
    let slots: u64 = load.rows.iter().map(|row| row.slots).sum();
    for interval in 0..intervals {
        let from_rows: f64 =
            load.rows.iter().zip(&load.busy_share).map(|(row, shares)| shares[interval] * row.slots as f64).sum();
        let pool = timeline.busy_share[interval] * slots as f64;
        assert!((from_rows - pool).abs() <= 1e-6 * slots as f64, "interval {interval}: {from_rows} vs {pool}");
    }

    let efficiency = report.worker_efficiency.as_ref().expect("and the efficiency");
    assert_eq!(efficiency.utilization_bins.iter().sum::<u64>(), u64::from(report.workers));
    let busy: f64 = efficiency.by_hardware.iter().map(|group| group.busy_share * group.slots as f64).sum();
    let utilization = busy / efficiency.by_hardware.iter().map(|group| group.slots as f64).sum::<f64>();
    assert!((utilization - report.utilization_mean).abs() < 1e-6, "{utilization} vs {}", report.utilization_mean);

    // The report's JSON carries it, and an older report without it still reads.
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["timeline"]["arrivals"].is_array() && json["worker_load"]["rows"].is_array());
    let mut old = json.clone();
    for field in ["timeline", "worker_load", "worker_efficiency"] {
        old.as_object_mut().unwrap().remove(field);
    }
    let read: SimReport = serde_json::from_value(old).unwrap();
    assert!(read.timeline.is_none());
    assert_eq!(visual::detect(&json), Some(Kind::Sim));
    let replay = serde_json::json!({ "replay": json, "recorded": null, "recorded_trace_hash": "0" });
    assert_eq!(visual::detect(&replay), Some(Kind::ReplayEvents), "a replay's report is drawn as a simulation");
}

#[test]
fn the_page_of_a_simulation_has_every_chart_with_its_data() {
    let report = small_run();
    let out = scratch("sim");
    let path = visual::write_sim_report(&report, &out).unwrap();
    let page = std::fs::read_to_string(&path).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    // Self-contained: no scripts, nothing loaded (the only URL is the SVG namespace).
    assert!(
        !page.contains("<script") && !page.contains("src=") && !page.contains("href=") && !page.contains("@import")
    );
    let timeline = report.timeline.as_ref().unwrap();
    let intervals = timeline.arrivals.len();

    let dashboard = figure(&page, "dashboard-1");
    assert!(dashboard.contains(&report.trace_hash) && dashboard.contains("placements/s"));
    assert!(count(dashboard, "<rect") >= 8, "one bar per percentile");

    let throughput = figure(&page, "throughput-1");
    let lines = polyline_points(throughput);
    assert!(lines.iter().filter(|&&points| points == intervals).count() >= 3, "{lines:?} vs {intervals}");

    let heat_map = figure(&page, "heatmap-1");
    let rows = report.worker_load.as_ref().unwrap().rows.len();
    assert!(count(heat_map, "<rect") >= rows + 50, "a cell or more per row, and the colour scale");
    assert!(heat_map.contains("cpu (") && heat_map.contains("cuda ("), "rows are labelled by hardware");

    let efficiency = figure(&page, "efficiency-1");
    let groups = report.worker_efficiency.as_ref().unwrap().by_hardware.len();
    assert!(count(efficiency, "<circle") >= groups, "a median per hardware kind");
    assert!(count(efficiency, "<rect") >= groups + 5);

    let spikes = figure(&page, "spikes-1");
    let arrival_bars = timeline.arrivals.iter().filter(|&&count| count > 0).count();
    assert!(count(spikes, "<rect") >= arrival_bars, "a bar per interval with arrivals");
    let placing = timeline.first_placements.iter().filter(|&&count| count > 0).count();
    let lines = polyline_points(spikes);
    assert!(lines.contains(&intervals) && lines.contains(&placing), "{lines:?}: backlog and wait lines");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn every_kind_of_result_is_told_and_drawn() {
    let kinds = [
        ("scale.json", Kind::Scale),
        ("quality.json", Kind::Quality),
        ("ci.json", Kind::Ci),
        ("openb.json", Kind::Openb),
        ("swf.json", Kind::Swf),
    ];
    for (name, kind) in kinds {
        let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
        assert_eq!(visual::detect(&value), Some(kind), "{name}");
    }
    let paths: Vec<PathBuf> = kinds.iter().map(|(name, _)| fixture(name)).collect();
    let out = scratch("fixtures");
    let page = std::fs::read_to_string(visual::write_report(&paths, &out).unwrap()).unwrap();

    let scale = figure(&page, "scalability-1");
    assert!(count(scale, "<circle") >= 3 * 4, "three sizes on four lines");
    assert!(scale.contains("workers (log scale)"));

    let quality = figure(&page, "policies-2");
    // Two primary metrics (etc-braun and families slowdown), three policies each; the secondary
    // families makespan is left out.
    assert_eq!(count(quality, "<svg"), 2);
    assert!(
        quality.contains("composite") && quality.contains("min-min") && !quality.contains("makespan ÷ lower bound<")
    );

    let ci = figure(&page, "ci-3");
    assert!(polyline_points(ci).contains(&3), "a point per cycle");

    let openb_bars = figure(&page, "policies-4");
    assert!(openb_bars.contains("best-fit") && openb_bars.contains("random"));
    let curves = figure(&page, "allocation-4");
    // The chart starts at 60% requested: the fixture's points at 75, 100 and 120%.
    assert!(polyline_points(curves).iter().filter(|&&points| points == 3).count() >= 2, "a curve per policy");
    assert!(curves.contains("allocated = requested"));

    let swf = figure(&page, "policies-5");
    assert!(swf.contains("fcfs + backfill") && swf.contains("sjf + backfill"));
    assert_eq!(count(swf, "<svg"), 2, "slowdown and utilization");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn bad_input_is_a_typed_error_naming_the_file() {
    let unknown = fixture("unknown.json");
    match visual::write_report(&[fixture("scale.json"), unknown.clone()], &scratch("unknown")) {
        Err(ReportError::UnknownKind { path }) => assert_eq!(path, unknown),
        other => panic!("{other:?}"),
    }
    let missing = scratch("missing.json");
    match visual::read(&missing) {
        Err(error @ ReportError::Read { .. }) => assert!(error.to_string().contains("missing.json"), "{error}"),
        other => panic!("{other:?}"),
    }
    let not_json = scratch("not-json.json");
    std::fs::write(&not_json, "rows: 1\n").unwrap();
    assert!(matches!(visual::read(&not_json), Err(ReportError::NotJson { .. })));
    let malformed = scratch("malformed.json");
    std::fs::write(&malformed, r#"{"trace_hash": "0", "placements_per_second": "fast", "makespan_seconds": 1}"#)
        .unwrap();
    match visual::read(&malformed) {
        Err(ReportError::Malformed { path, command, .. }) => {
            assert_eq!(path, malformed);
            assert_eq!(command, "ballast sim");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(visual::write_report(&[], &scratch("none")), Err(ReportError::NoInputs)));
    for path in [not_json, malformed] {
        std::fs::remove_file(path).unwrap();
    }
}

//! The quality harness end to end at small sizes: every cell present, the best of each column marked,
//! and the published ordering of the ETC heuristics visible even on small matrices.

use ballast::bench::quality::{self, Contender, METRICS, Plan, Sizes};
use ballast::prelude::*;

#[test]
fn the_harness_fills_every_cell_and_marks_the_best() {
    let contenders = vec![
        Contender { policy: PolicyName::Composite, batch: true },
        Contender { policy: PolicyName::Composite, batch: false },
        Contender { policy: PolicyName::MinMin, batch: true },
        Contender { policy: PolicyName::Random, batch: true },
    ];
    let plan = Plan {
        contenders: contenders.clone(),
        scenarios: Vec::new(),
        weights: EngineConfig::default().weights,
        seed: 1,
        seeds: 1,
        sizes: Sizes::SMOKE,
        threads: 2,
        workloads: Vec::new(),
    };
    let report = quality::run(&plan).unwrap();
    for contender in &contenders {
        let label = contender.label();
        for metric in &METRICS {
            let row = report
                .rows
                .iter()
                .find(|row| row.policy == label && row.scenario == metric.scenario && row.metric == metric.name)
                .unwrap_or_else(|| panic!("{label}: no {} {}", metric.scenario, metric.name));
            assert!(row.value.is_finite() && row.value > 0.0, "{row:?}");
        }
        let overall = report.rows.iter().find(|row| row.policy == label && row.scenario == "all").unwrap();
        assert!(overall.value >= 1.0 - 1e-9, "each ratio is against the column's best: {overall:?}");
    }
    for metric in &METRICS {
        let column: Vec<_> =
            report.rows.iter().filter(|row| row.scenario == metric.scenario && row.metric == metric.name).collect();
        let best = column.iter().map(|row| row.value).fold(f64::INFINITY, f64::min);
        assert!(column.iter().any(|row| row.best));
        assert!(column.iter().all(|row| row.best == (row.value == best)), "{column:?}");
    }
    let value = |policy: &str, scenario: &str| {
        report.rows.iter().find(|row| row.policy == policy && row.scenario == scenario).unwrap().value
    };
    // ETC makespan over its lower bound: the matrix-aware heuristics well ahead of random placement.
    assert!(value("composite", "etc-braun") < value("random", "etc-braun"), "{}", report.table());
    assert!(value("min-min", "etc-braun") < value("random", "etc-braun"), "{}", report.table());
    // The text table has a row per contender.
    let table = report.table();
    for contender in &contenders {
        assert!(table.contains(&contender.label()), "{table}");
    }
    // Only adaptation rows (none primary): no overall figure rather than a made-up one.
    let adaptation = Plan { scenarios: vec!["flaky".to_owned()], ..plan };
    let report = quality::run(&adaptation).unwrap();
    assert!(report.rows.iter().all(|row| row.scenario == "flaky"), "{}", report.table());
    assert_eq!(report.rows.len(), contenders.len());
}

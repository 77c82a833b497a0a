//! The CI-history replay: the loader's errors, the oracle, and that history improves placement.

use ballast::prelude::*;
use ballast::traces::ci::{self, CiError, CiPlan, CiRun, lpt_makespan};

fn plan(history: bool) -> CiPlan {
    CiPlan {
        workers: 4,
        history,
        engine: EngineConfig { policy: PolicyName::MaxMin, ..EngineConfig::default() },
        history_file: None,
    }
}

/// Ten cycles of the same 12 tests: two long ones (10 min) and ten short ones (1 to 2 min).
fn synthetic() -> Vec<CiRun> {
    let mut runs = Vec::new();
    for cycle in 1..=10 {
        for test in 0..12u64 {
            let duration_ms = if test < 2 { 600_000 } else { 60_000 + test * 6_000 };
            // The long tests come last in each cycle's list: a scheduler without memory starts them late.
            let name = format!("suite/test-{}", 11 - test);
            runs.push(CiRun { name, duration_ms, failed: test == 5, cycle });
        }
    }
    runs.reverse();
    runs.sort_by_key(|run| run.cycle);
    runs
}

#[test]
fn the_oracle_is_longest_processing_time_first() {
    assert_eq!(lpt_makespan(&[7, 7, 6, 6, 5, 5, 4, 4, 4], 4), 15);
    assert_eq!(lpt_makespan(&[10], 4), 10);
    assert_eq!(lpt_makespan(&[], 4), 0);
    assert_eq!(lpt_makespan(&[3, 3, 3, 3], 1), 12);
}

#[test]
fn history_brings_the_makespan_to_the_oracle() {
    let runs = synthetic();
    let with = ci::replay(&runs, &plan(true), &mut |_, _| {}).unwrap();
    let without = ci::replay(&runs, &plan(false), &mut |_, _| {}).unwrap();
    assert_eq!(with.cycles.len(), 10);
    assert_eq!(with.tasks, 120);
    // From the second cycle on, every test is predicted from its own history, exactly.
    for cycle in &with.cycles[1..] {
        assert_eq!(cycle.predicted_from_history, 12, "{cycle:?}");
        assert!(cycle.prediction_mape < 0.5, "{cycle:?}");
        assert!((cycle.makespan_seconds / cycle.oracle_seconds) < 1.01, "{cycle:?}");
    }
    assert!(without.cycles[1..].iter().all(|cycle| cycle.predicted_from_history == 0));
    assert!(
        without.prediction_mape > 5.0 * with.prediction_mape,
        "{} vs {}",
        without.prediction_mape,
        with.prediction_mape
    );
    assert!(
        with.mean_makespan_over_oracle < without.mean_makespan_over_oracle,
        "with history {:.3}, without {:.3}",
        with.mean_makespan_over_oracle,
        without.mean_makespan_over_oracle
    );
    let table = with.table();
    assert!(table.contains("mean makespan/LB"), "{table}");
}

fn parse_error(text: &str) -> String {
    match ci::parse(std::io::Cursor::new(text.as_bytes().to_vec())) {
        Err(error) => error.to_string(),
        Ok(runs) => panic!("parsed {runs:?}"),
    }
}

#[test]
fn bad_histories_are_errors_naming_their_line() {
    let header = "Id;Name;Duration;CalcPrio;LastRun;LastResults;Verdict;Cycle\n";
    let good = "1;78082;57262;0;2015-02-13 16:13:00;[];1;1\n";
    assert!(matches!(ci::parse(std::io::Cursor::new(header.as_bytes().to_vec())), Err(CiError::Empty)));
    let message = parse_error(&format!("{header}{good}2;78083;57145;0;x;[];1\n"));
    assert!(message.starts_with("line 3: 7 fields where the first line has 8"), "{message}");
    let message = parse_error(&format!("{header}2;78083;NaN;0;x;[];1;1\n"));
    assert!(message.starts_with("line 2: Duration `NaN` is not a whole number"), "{message}");
    let message = parse_error(&format!("{header}2;78083;-5;0;x;[];1;1\n"));
    assert!(message.starts_with("line 2: Duration `-5`"), "{message}");
    let message = parse_error(&format!("{header}2;78083;5;0;x;[];2;1\n"));
    assert!(message.starts_with("line 2: Verdict 2"), "{message}");
    let message = parse_error(&format!("{header}2;;5;0;x;[];0;1\n"));
    assert!(message.starts_with("line 2: the test name is empty"), "{message}");
    let message = parse_error(&format!("{header}2;{};5;0;x;[];0;1\n", "n".repeat(300)));
    assert!(message.contains("longer than 256 bytes"), "{message}");
    let mut bytes = format!("{header}{good}").into_bytes();
    bytes.extend_from_slice(b"3;\xff\xfe;5;0;x;[];0;1\n");
    let error = ci::parse(std::io::Cursor::new(bytes)).unwrap_err().to_string();
    assert_eq!(error, "line 3: not UTF-8");
    let runs = ci::parse(std::io::Cursor::new(format!("{header}{good}\r\n\n").into_bytes())).unwrap();
    assert_eq!(runs, vec![CiRun { name: "78082".into(), duration_ms: 57_262, failed: true, cycle: 1 }]);
    let error = ci::replay(&runs, &CiPlan { workers: 0, ..plan(true) }, &mut |_, _| {}).unwrap_err();
    assert!(error.to_string().contains("--workers is 0"), "{error}");
}

#[test]
fn the_real_history_replays_when_the_shared_data_is_present() {
    let Some(path) = crate::shared_data("ci/iofrol.csv.gz") else { return };
    let runs = ci::load(&path).unwrap();
    assert_eq!(runs.len(), 32_260);
    // The first 40 cycles, to stay quick in a debug build.
    let early: Vec<CiRun> = runs.into_iter().filter(|run| run.cycle <= 40).collect();
    let report = ci::replay(&early, &CiPlan { workers: 16, ..plan(true) }, &mut |_, _| {}).unwrap();
    assert_eq!(report.cycles.len(), 40);
    assert!(report.mean_makespan_over_oracle < 1.05, "{}", report.table());
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ballast-it-ci-{}-{name}", std::process::id()))
}

#[test]
fn a_history_file_makes_a_restart_start_warm() {
    let path = scratch("history.jsonl");
    let _ = std::fs::remove_file(&path);
    let runs = synthetic();
    let with_file = CiPlan { history_file: Some(path.clone()), ..plan(true) };
    let first = ci::replay(&runs, &with_file, &mut |_, _| {}).unwrap();
    assert_eq!(first.history_runs_loaded, 0);
    assert_eq!(first.cycles[0].predicted_from_history, 0);
    let second = ci::replay(&runs, &with_file, &mut |_, _| {}).unwrap();
    assert_eq!(second.history_runs_loaded, 120);
    assert_eq!(second.cycles[0].predicted_from_history, 12, "the first cycle is predicted from the saved history");
    assert!(second.cycles[0].prediction_mape < 0.5 && first.cycles[0].prediction_mape > 10.0);
    // The file stays bounded: at most 32 runs per (agent, test).
    let third = ci::replay(&runs, &with_file, &mut |_, _| {}).unwrap();
    assert_eq!(third.history_runs_loaded, 240);
    let (saved, warnings) = ballast::record::load_history(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(saved.len(), 360);
    let mut many = vec![saved[0].clone(); 40];
    many.push(saved[1].clone());
    assert_eq!(ballast::record::compact(&many).len(), ballast::record::RUNS_KEPT_PER_KEY + 1);

    // Bad history files: a clear error naming the line, never a silent loss.
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let corrupt = scratch("corrupt.jsonl");
    std::fs::write(&corrupt, format!("{}\n{}\nnot json\n", lines[0], lines[1])).unwrap();
    let error = ci::replay(&runs, &CiPlan { history_file: Some(corrupt.clone()), ..plan(true) }, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(error.contains("line 3: not JSON"), "{error}");
    let nan = lines[1].replacen("\"duration_ns\":", "\"duration_ns\":NaN,\"x\":", 1);
    std::fs::write(&corrupt, format!("{}\n{nan}\n", lines[0])).unwrap();
    let error = ci::replay(&runs, &CiPlan { history_file: Some(corrupt.clone()), ..plan(true) }, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(error.contains("line 2: not JSON"), "{error}");
    let newer = lines[0].replacen("\"version\":1", "\"version\":9", 1);
    std::fs::write(&corrupt, format!("{newer}\n")).unwrap();
    let error = ci::replay(&runs, &CiPlan { history_file: Some(corrupt.clone()), ..plan(true) }, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(error.contains("format version 9"), "{error}");
    let recording = concat!(env!("CARGO_MANIFEST_DIR"), "/data/recording-v1.jsonl");
    let error = ballast::record::load_history(std::path::Path::new(recording)).unwrap_err().to_string();
    assert!(error.contains("not a history file"), "{error}");
    let error = ci::replay(&runs, &CiPlan { history_file: Some(path.clone()), ..plan(false) }, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(error.contains("contradict"), "{error}");
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(corrupt);
}

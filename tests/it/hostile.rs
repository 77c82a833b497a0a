//! Hostile input through the public paths users meet (the `ballast` command line, built with overflow
//! checks, and the embedding API): every input that once hung the process, panicked or printed a
//! confident wrong figure now gets a clear error or warning naming the line or field, and a sane
//! figure. One test per finding, named after what it guarantees.

use std::path::PathBuf;
use std::process::{Command as Process, Output};
use std::time::Duration;

use ballast::prelude::*;
use ballast::{EngineHandle, HandleClock, HandleConfig};

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ballast-it-hostile-{}-{name}", std::process::id()))
}

/// Runs the command line with `args`, backtraces asked for (as in this environment).
fn ballast(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_ballast-cli"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the command line runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A small simulated run's recording, as text lines.
fn sim_recording(name: &str) -> (PathBuf, Vec<String>) {
    let path = scratch(name);
    let output = ballast(&[
        "sim",
        "--workers",
        "6",
        "--tasks",
        "60",
        "--seed",
        "3",
        "--quiet",
        "--record",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = std::fs::read_to_string(&path).unwrap().lines().map(str::to_owned).collect();
    (path, lines)
}

fn write_lines(path: &PathBuf, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_input_error_is_one_line_without_a_backtrace() {
    let config = scratch("bad-utf8.json");
    std::fs::write(&config, b"{\"policy\": \"composite\", \"seed\": \xff}").unwrap();
    let output = ballast(&["sim", "--workers", "4", "--tasks", "4", "--config", config.to_str().unwrap()]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("is not UTF-8 (at byte 32)"), "{text}");
    assert!(!text.to_lowercase().contains("backtrace"), "{text}");
}

#[test]
fn config_durations_are_range_checked_with_their_name() {
    for (field, value) in [
        ("thermal_warmup_ms", "18446744073710"),
        ("thermal_hot_after_ms", "0"),
        ("thermal_cooldown_ms", "18446744073710"),
        ("priority_aging_ms", "18446744073710"),
        ("quarantine_ms", "18446744073709551"),
        ("timeout_ms_max", "18446744073709551"),
    ] {
        let config = scratch(&format!("{field}.json"));
        std::fs::write(&config, format!("{{\"{field}\": {value}}}")).unwrap();
        let output = ballast(&["sim", "--workers", "4", "--tasks", "4", "--config", config.to_str().unwrap()]);
        assert!(!output.status.success(), "{field} = {value} was accepted");
        assert!(stderr(&output).contains(field), "{field}: {}", stderr(&output));
    }
}

#[test]
fn a_wall_clock_handle_refuses_an_interval_it_cannot_keep() {
    let config = HandleConfig { clock: HandleClock::Wall { tick_interval: Duration::MAX }, ..HandleConfig::default() };
    let error = EngineHandle::spawn(config).err().expect("refused");
    assert!(error.to_string().contains("tick_interval_us"), "{error}");
    let config = HandleConfig { clock: HandleClock::Wall { tick_interval: Duration::ZERO }, ..HandleConfig::default() };
    assert!(EngineHandle::spawn(config).is_err());
}

#[test]
fn a_recording_header_out_of_range_is_refused_naming_the_field() {
    let (path, lines) = sim_recording("header.jsonl");
    let header = &lines[0];
    for (from, to, field) in [
        ("\"pool\":{", "\"pool\":{\"churn_every_ms\":1152921504606846976,", "pool.churn_every_ms"),
        ("\"failure_retryable\":", "\"failure_retryable\":2.0,\"x\":", "pool.failure_retryable"),
        ("\"stall_seconds_max\":", "\"stall_seconds_max\":0,\"x\":", "stall_seconds_max"),
    ] {
        let mut edited = lines.clone();
        edited[0] = header.replacen(from, to, 1);
        // The `"x":` keeps the old value as an unknown field only where the reader ignores unknown
        // fields; where it does not, the line is refused as malformed, which names the line instead.
        let target = scratch(&format!("header-{}.jsonl", field.replace('.', "-")));
        write_lines(&target, &edited);
        let output = ballast(&["replay", "events", target.to_str().unwrap(), "--quiet"]);
        assert!(!output.status.success(), "{field}: accepted");
        let text = stderr(&output);
        assert!(text.contains(field) || text.contains("line 1"), "{field}: {text}");
    }
    let _ = std::fs::remove_file(path);
}

#[test]
fn an_end_line_that_miscounts_the_recording_is_refused() {
    let (_, mut lines) = sim_recording("end.jsonl");
    let last = lines.len() - 1;
    assert!(lines[last].contains("\"kind\":\"end\""));
    lines.insert(last, lines[last - 1].clone());
    let target = scratch("end-miscounted.jsonl");
    write_lines(&target, &lines);
    let output = ballast(&["replay", "events", target.to_str().unwrap(), "--quiet"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("the `end` line counts"), "{}", stderr(&output));
}

/// An embedded engine's recording: one worker of one slot, `tasks` one-second tasks, and ticks at
/// the times given (all at 0: a recording with no pace of its own).
fn engine_recording(name: &str, ticks_ms: &[u64], register_twice: bool) -> PathBuf {
    let path = scratch(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut engine = Engine::new(EngineConfig { prefetch_max: 2, ..EngineConfig::default() }).unwrap();
    engine.record_to(Box::new(std::io::BufWriter::new(file))).unwrap();
    let worker = WorkerSpec {
        id: WorkerId(1),
        hardware: HardwareSet::of(&[HardwareKind::Cpu]),
        cpu_milli: 1_000,
        memory_mib: 1_024,
        slots: 1,
        ..WorkerSpec::default()
    };
    engine.push(Command::RegisterWorker(worker.clone())).unwrap();
    for task in 1..=3 {
        engine.push(Command::SubmitTask(TaskSpec::new(TaskId(task)))).unwrap();
    }
    for (index, &ms) in ticks_ms.iter().enumerate() {
        engine.tick(Timestamp::from_millis(ms)).unwrap();
        if index == 0 {
            engine.push(Command::TaskStarted { task: TaskId(1), worker: WorkerId(1) }).unwrap();
            if register_twice {
                engine.push(Command::RegisterWorker(worker.clone())).unwrap();
            }
        }
    }
    drop(engine.finish_recording());
    path
}

#[test]
fn a_what_if_replay_of_a_recording_without_pace_ends() {
    for (name, ticks) in [("same-time.jsonl", vec![0, 0, 0]), ("one-tick.jsonl", vec![0])] {
        let path = engine_recording(name, &ticks, false);
        let output = ballast(&["replay", "events", path.to_str().unwrap(), "--policy", "random"]);
        let text = stdout(&output) + &stderr(&output);
        assert!(text.contains("never ended"), "{name}: {text}");
        assert!(output.status.success(), "{name}: {text}");
    }
}

#[test]
fn a_registration_of_a_live_worker_does_not_reset_its_simulated_twin() {
    let path = engine_recording("register-twice.jsonl", &[0, 500, 1_000], true);
    let output = ballast(&[
        "replay",
        "events",
        path.to_str().unwrap(),
        "--policy",
        "least-loaded",
        "--json",
        scratch("rt.json").to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(scratch("rt.json")).unwrap()).unwrap();
    assert_eq!(json["replay"]["tasks_open"], 0, "{json}");
    assert_eq!(json["replay"]["tasks_completed"], 3, "{json}");
}

#[test]
fn limits_of_a_legal_config_are_refusals_or_backpressure_not_violations() {
    let (path, _) = sim_recording("limits.jsonl");
    for (config, refusals) in [
        ("{\"inbox_len_max\": 5}", false),
        ("{\"submit_batch_len_max\": 2}", false),
        ("{\"requirement_sets_max\": 1}", true),
    ] {
        let file = scratch("limits-config.json");
        std::fs::write(&file, config).unwrap();
        let json = scratch("limits.json");
        let output = ballast(&[
            "replay",
            "events",
            path.to_str().unwrap(),
            "--config",
            file.to_str().unwrap(),
            "--quiet",
            "--json",
            json.to_str().unwrap(),
        ]);
        let text = stderr(&output);
        assert!(output.status.success(), "{config}: {text}");
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let replay = &report["replay"];
        assert_eq!(
            (replay["tasks_lost"].as_u64(), replay["invariant_violations"].as_u64()),
            (Some(0), Some(0)),
            "{config}"
        );
        assert_eq!(replay["tasks_refused"].as_u64().unwrap() > 0, refusals, "{config}: {replay}");
        if refusals {
            assert!(text.contains("refused: task"), "{config}: {text}");
            assert!(text.contains("distinct requirement sets"), "{config}: {text}");
        }
    }
}

fn swf(name: &str, jobs: &[&str]) -> PathBuf {
    let path = scratch(name);
    let mut text = String::from("; MaxProcs: 64\n");
    for job in jobs {
        text.push_str(job);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn swf_times_past_any_log_are_errors_naming_the_line_and_field() {
    let path = swf(
        "huge.swf",
        &[
            "1 0 0 100 4 -1 -1 4 100 -1 1 1 1 1 1 -1 -1 -1",
            "2 10 0 9223372036854775807 4 -1 -1 4 100 -1 1 1 1 1 1 -1 -1 -1",
        ],
    );
    let output = ballast(&["replay", "swf", path.to_str().unwrap(), "--windows", "1", "--window-jobs", "1"]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("line 3") && text.contains("run time"), "{text}");
}

#[test]
fn swf_jobs_out_of_submit_order_are_replayed_in_submit_order_with_a_warning() {
    let jobs: Vec<String> = (0..40)
        .map(|job| {
            // Submit times descending in the file.
            let submit = 4_000 - job * 100;
            format!("{} {submit} 0 50 8 -1 -1 8 60 -1 1 1 1 1 1 -1 -1 -1", job + 1)
        })
        .collect();
    let refs: Vec<&str> = jobs.iter().map(String::as_str).collect();
    let path = swf("unordered.swf", &refs);
    let json = scratch("unordered.json");
    let output = ballast(&[
        "replay",
        "swf",
        path.to_str().unwrap(),
        "--windows",
        "1",
        "--window-jobs",
        "10",
        "--policy",
        "fcfs",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("put in submit order"), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let slowdown = report["policies"][0]["avg_bounded_slowdown"].as_f64().unwrap();
    assert!((1.0..1.5).contains(&slowdown), "one job every 100 s on 64 cores waits for nothing: {slowdown}");
}

#[test]
fn openb_tables_with_short_rows_or_a_column_named_twice_are_refused() {
    let nodes = scratch("nodes.csv");
    let pods = scratch("pods.csv");
    std::fs::write(&pods, "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1000,1024,1,1000,\n").unwrap();
    for (text, expected) in [
        ("sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,2,V100M16\nn1,32000,262144\n", "nodes.csv:3:"),
        ("sn,cpu_milli,memory_mib,gpu,gpu,model\nn0,32000,262144,2,2,V100M16\n", "a column named twice"),
        ("sn,cpu_milli,memory_mib,gpu,model\nn0,32000,,2,V100M16\n", "empty"),
    ] {
        std::fs::write(&nodes, text).unwrap();
        let output = ballast(&[
            "replay",
            "openb",
            "--nodes",
            nodes.to_str().unwrap(),
            "--pods",
            pods.to_str().unwrap(),
            "--seeds",
            "42",
        ]);
        assert!(!output.status.success(), "{text}");
        assert!(stderr(&output).contains(expected), "{text}: {}", stderr(&output));
    }
}

#[test]
fn ci_histories_are_read_by_column_name_and_refuse_control_characters() {
    let path = scratch("ci.csv");
    let reordered = "Cycle;Verdict;Duration;Name;Id;CalcPrio;LastRun;LastResults\n1;0;1000;alpha;1;0;x;[]\n1;1;2000;beta;2;0;x;[]\n";
    std::fs::write(&path, reordered).unwrap();
    let output = ballast(&["replay", "ci", path.to_str().unwrap(), "--workers", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(
        &path,
        "Id;Name;Duration;CalcPrio;LastRun;LastResults;Verdict;Cycle\n1;al\u{1}pha;1000;0;x;[];0;1\n",
    )
    .unwrap();
    let output = ballast(&["replay", "ci", path.to_str().unwrap(), "--workers", "2"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 2") && stderr(&output).contains("control character"), "{}", stderr(&output));
    std::fs::write(&path, "Id;Name;Duration;CalcPrio;LastRun;LastResults;Verdict;Cycle\n1;alpha;1000;0;x;[];0\n")
        .unwrap();
    let output = ballast(&["replay", "ci", path.to_str().unwrap(), "--workers", "2"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
}

#[test]
fn a_history_with_a_run_longer_than_a_month_is_refused_naming_the_line() {
    let (_, lines) = sim_recording("for-history.jsonl");
    let header = lines[0].replacen("\"source\":\"sim\"", "\"source\":\"history\"", 1);
    let header = match header.find(",\"sim\":") {
        Some(at) => format!("{}}}", &header[..at]),
        None => header,
    };
    let history = scratch("history.jsonl");
    let run = "{\"kind\":\"command.import_history\",\"t\":0,\"runs\":[{\"worker\":0,\"family\":\"vision\",\"test_type\":\"inference\",\"duration_ns\":18446744073709551615,\"completed\":true}]}";
    write_lines(&history, &[header, run.to_owned(), "{\"kind\":\"end\",\"t\":0,\"lines\":2}".to_owned()]);
    let output = ballast(&["sim", "--workers", "4", "--tasks", "4", "--quiet", "--history", history.to_str().unwrap()]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(text.contains("line 2") && text.contains("30 days"), "{text}");
}

#[test]
fn a_timeout_counts_from_the_start_not_from_the_run_queue() {
    let config = EngineConfig { prefetch_max: 1, prefetch_horizon_ms: 0, stealing: false, ..EngineConfig::default() };
    let mut engine = Engine::new(config).unwrap();
    engine
        .register_worker(WorkerSpec {
            id: WorkerId(1),
            hardware: HardwareSet::of(&[HardwareKind::Cpu]),
            cpu_milli: 1_000,
            memory_mib: 1_024,
            slots: 1,
            ..WorkerSpec::default()
        })
        .unwrap();
    let mut first = TaskSpec::new(TaskId(1));
    first.timeout_ms = Some(3_000);
    let mut second = TaskSpec::new(TaskId(2));
    second.timeout_ms = Some(3_000);
    engine.submit(first).unwrap();
    engine.submit(second).unwrap();
    engine.tick(Timestamp::from_millis(0)).unwrap();
    engine.task_started(TaskId(1), WorkerId(1)).unwrap();
    // Task 1 runs 2 s; task 2 waits behind it, then starts.
    engine.tick(Timestamp::from_millis(2_000)).unwrap();
    engine.task_completed(TaskId(1), WorkerId(1), 2_000_000_000).unwrap();
    engine.task_started(TaskId(2), WorkerId(1)).unwrap();
    // At 3 s task 2 has run 1 s of its 3: no timeout.
    engine.tick(Timestamp::from_millis(3_500)).unwrap();
    let timed_out = |events: &[Event]| {
        events.iter().any(|event| matches!(event, Event::TaskRequeued { reason: RequeueReason::TimedOut, .. }))
    };
    assert!(!timed_out(&engine.events()), "task 2 was timed out after 1.5 s of running");
    assert_eq!(engine.view().task_state(TaskId(2)), Some(TaskState::Running));
    // Past 3 s of its own running it is.
    engine.tick(Timestamp::from_millis(5_100)).unwrap();
    assert!(timed_out(&engine.events()), "task 2 ran 3.1 s and was not timed out");
}

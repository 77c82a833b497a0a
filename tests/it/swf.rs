//! The batch-queue replay of SWF logs: the loader's quirks and errors, the queue policies, bounded
//! slowdown and EASY backfilling on hand-made job lists, the reservation as a property, determinism, and
//! the real Lublin-1 and KTH-SP2 logs.

use ballast::traces::swf::{
    self, Backfill, JobRun, QueuePolicy, SwfError, SwfJob, SwfPlan, SwfTrace, bounded_slowdown, schedule,
};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

fn parse(text: &str) -> Result<SwfTrace, SwfError> {
    swf::parse(std::io::Cursor::new(text.as_bytes()))
}

fn parse_error(text: &str) -> String {
    match parse(text) {
        Err(error) => error.to_string(),
        Ok(trace) => panic!("parsed {trace:?}"),
    }
}

/// An 18-field data line.
fn line(number: i64, submit: i64, run: i64, allocated: i64, requested_processors: i64, requested: i64) -> String {
    format!(
        "{number} {submit} -1 {run} {allocated} -1 -1 {requested_processors} {requested} -1 1 -1 -1 -1 -1 -1 -1 -1\n"
    )
}

#[test]
fn header_quirks_and_unknown_fields_load() {
    let text = format!(
        "; Version: 2.2\n;Computer: IBM SP2\n;  maxprocs :  64  (two partitions)\n\n; MaxNodes: 32\n{}{}\r\n{}",
        line(1, 10, 100, 4, -1, -1),
        line(2, 20, 50, -1, 8, 3_600),
        line(3, 30, 7, 2, 6, 60)
    );
    let trace = parse(&text).unwrap();
    assert_eq!(trace.processors, 64, "MaxProcs, whatever its spacing and case, and larger than MaxNodes");
    assert_eq!(
        trace.jobs,
        vec![
            SwfJob { number: 1, submit_s: 10, run_s: 100, processors: 4, requested_s: 100 },
            SwfJob { number: 2, submit_s: 20, run_s: 50, processors: 8, requested_s: 3_600 },
            SwfJob { number: 3, submit_s: 30, run_s: 7, processors: 6, requested_s: 60 },
        ],
        "requested time -1 is the run time; the width is max(allocated, requested)"
    );
    assert_eq!(trace.warnings, swf::LoadWarnings::default());

    // MaxNodes larger than MaxProcs wins; fractional times round; tabs and odd spacing split.
    let trace =
        parse(&format!("; MaxProcs: 100\n; MaxNodes:128\n1\t5.4   -1 9.6 3\n{}", line(2, 6, 10, 200, -1, -1))).unwrap();
    assert_eq!(trace.processors, 128);
    assert_eq!(trace.jobs[0], SwfJob { number: 1, submit_s: 5, run_s: 10, processors: 3, requested_s: 10 });
    assert_eq!(trace.jobs[1].processors, 128, "wider than the machine: clamped");
    assert_eq!(trace.warnings.short_lines, 1);
    assert_eq!(trace.warnings.clamped_to_machine, 1);
}

#[test]
fn odd_lines_are_counted_not_silent() {
    let text = format!(
        "; MaxProcs: lots\n{}{}{}{}{}{}",
        line(1, 0, 0, 4, -1, -1),  // run time 0: dropped
        line(2, 1, -1, 4, -1, -1), // run time unknown: dropped
        line(3, -1, 5, 4, -1, -1), // submit unknown: dropped
        line(4, 2, 5, -1, -1, -1), // width unknown: dropped
        "5 3 -1 20 6 -1 -1 6 40 -1 1 -1 -1 -1 -1 -1 -1 -1 extra fields\n",
        line(6, 4, 30, 2, -1, -1)
    );
    let trace = parse(&text).unwrap();
    assert_eq!(trace.jobs.iter().map(|job| job.number).collect::<Vec<_>>(), vec![5, 6]);
    assert_eq!(trace.processors, 6, "no usable MaxProcs: the widest job");
    let warnings = &trace.warnings;
    assert_eq!(
        (
            warnings.dropped_zero_run,
            warnings.dropped_unknown_run,
            warnings.dropped_unknown_submit,
            warnings.dropped_unknown_width,
            warnings.long_lines,
            warnings.header_values_ignored
        ),
        (1, 1, 1, 1, 1, 1)
    );
    assert!(warnings.machine_from_widest_job);
    let messages = warnings.messages().join("; ");
    assert!(messages.contains("1 jobs with a run time of 0 dropped"), "{messages}");
    assert!(messages.contains("the machine is the widest job"), "{messages}");
}

#[test]
fn unusable_logs_are_typed_errors_naming_the_line() {
    assert!(matches!(parse(""), Err(SwfError::NoJobs(_))));
    assert_eq!(parse_error("; MaxProcs: 8\n\n"), "the log holds no usable job (no data line)");
    let message = parse_error(&format!("; MaxProcs: 8\n{}", line(1, 0, 0, 4, -1, -1)));
    assert!(message.contains("all 1 jobs dropped") && message.contains("run time of 0"), "{message}");
    let message = parse_error(&format!("{}1 2 -1 x 4\n", line(1, 0, 5, 4, -1, -1)));
    assert_eq!(message, "line 2: field 4 `x` is not a number");
    let message = parse_error(&format!("{}1 NaN -1 5 4\n", line(1, 0, 5, 4, -1, -1)));
    assert_eq!(message, "line 2: field 2 `NaN` is not a number");
    let message = parse_error("; MaxProcs: 8\n1 2 -1 5\n");
    assert!(message.starts_with("line 2: 4 fields; a job needs at least 5"), "{message}");
    let message = parse_error(&format!("{}1 2 -1 5 four -1 -1 4 9\n", line(1, 0, 5, 4, -1, -1)));
    assert_eq!(message, "line 2: field 5 `four` is not a number");
    let mut bytes = line(1, 0, 5, 4, -1, -1).into_bytes();
    bytes.extend_from_slice(b"2 3 -1 \xff 4\n");
    let error = swf::parse(std::io::Cursor::new(bytes)).unwrap_err().to_string();
    assert_eq!(error, "line 2: not UTF-8");
    // Header comments may be in any encoding.
    let mut bytes = b"; Acknowledge: Jos\xe9\n".to_vec();
    bytes.extend_from_slice(line(1, 0, 5, 4, -1, -1).as_bytes());
    assert_eq!(swf::parse(std::io::Cursor::new(bytes)).unwrap().jobs.len(), 1);
    let message = parse_error(&format!("{}{}\n", line(1, 0, 5, 4, -1, -1), "9".repeat(5_000)));
    assert_eq!(message, "line 2: longer than 4096 bytes");
    let message = parse_error(&line(1, 0, 5, 1_000_000_000, -1, -1));
    assert!(message.contains("line 1: field 5 (allocated processors) is 1000000000, over 100000000"), "{message}");

    let trace = parse(&(0..30).map(|index| line(index, index, 5, 1, -1, -1)).collect::<String>()).unwrap();
    let small = |windows, window_jobs| SwfPlan { windows, window_jobs, ..SwfPlan::default() };
    let error = swf::replay(&trace, "small.swf", &small(10, 1_024)).unwrap_err().to_string();
    assert_eq!(error, "windows of 1024 jobs need at least 2050 jobs among the first 10000; the log has 30");
    let error = swf::replay(&trace, "small.swf", &small(0, 4)).unwrap_err().to_string();
    assert!(error.contains("--windows is 0"), "{error}");
    let error = swf::replay(&trace, "small.swf", &small(1, 0)).unwrap_err().to_string();
    assert!(error.contains("--window-jobs is 0"), "{error}");
    assert!(matches!(QueuePolicy::parse("lifo"), Err(SwfError::UnknownPolicy(name)) if name == "lifo"));
    assert_eq!(QueuePolicy::parse("SJF").unwrap(), QueuePolicy::Sjf);
}

/// Jobs from `(submit, run, cores, requested)`.
fn jobs(list: &[(i64, i64, u32, i64)]) -> Vec<SwfJob> {
    list.iter()
        .enumerate()
        .map(|(index, &(submit_s, run_s, processors, requested_s))| SwfJob {
            number: index as i64 + 1,
            submit_s,
            run_s,
            processors,
            requested_s,
        })
        .collect()
}

fn starts(list: &[(i64, i64, u32, i64)], processors: u32, policy: QueuePolicy, backfill: Backfill) -> Vec<i64> {
    schedule(&jobs(list), processors, policy, backfill).iter().map(|run| run.start_s).collect()
}

#[test]
fn bounded_slowdown_counts_short_jobs_as_ten_seconds() {
    let job = |run_s| SwfJob { number: 1, submit_s: 100, run_s, processors: 1, requested_s: run_s };
    assert_eq!(bounded_slowdown(&job(5), 115), 2.0, "(15 + 5) / 10");
    assert_eq!(bounded_slowdown(&job(5), 100), 1.0, "never below 1");
    assert_eq!(bounded_slowdown(&job(100), 150), 1.5);
    assert_eq!(bounded_slowdown(&job(100), 100), 1.0);
}

#[test]
fn easy_backfilling_starts_a_short_job_early_but_never_one_that_would_delay_the_head() {
    // Four cores. Job 0 holds two until 10; job 1 needs all four, so it waits with a reservation at 10.
    let fits = [(0, 10, 2, 10), (1, 10, 4, 10), (2, 5, 2, 5)];
    assert_eq!(starts(&fits, 4, QueuePolicy::Fcfs, Backfill::Off), vec![0, 10, 20]);
    assert_eq!(starts(&fits, 4, QueuePolicy::Fcfs, Backfill::Easy), vec![0, 10, 2], "ends at 7, before 10");
    // By hand: waits 0, 9, 18 → (10/10, 19/10, 23/10), mean 1.733…; with backfilling job 2 waits 0 → 1.3.
    let mean = |backfill| {
        let window = jobs(&fits);
        swf::measure_window(&window, 0, 4, QueuePolicy::Fcfs, backfill).avg_bounded_slowdown
    };
    assert!((mean(Backfill::Off) - 5.2 / 3.0).abs() < 1e-12, "{}", mean(Backfill::Off));
    assert!((mean(Backfill::Easy) - 1.3).abs() < 1e-12, "{}", mean(Backfill::Easy));

    // The same job asking for 20 s would hold its two cores past the reservation: it must wait.
    let too_long = [(0, 10, 2, 10), (1, 10, 4, 10), (2, 5, 2, 20)];
    assert_eq!(starts(&too_long, 4, QueuePolicy::Fcfs, Backfill::Easy), vec![0, 10, 20]);
    // Ending exactly at the shadow time does not delay the head (the reference rule wants strictly before).
    let at_shadow = [(0, 10, 2, 10), (1, 10, 4, 10), (2, 8, 2, 8)];
    assert_eq!(starts(&at_shadow, 4, QueuePolicy::Fcfs, Backfill::Easy), vec![0, 10, 2]);
    assert_eq!(starts(&at_shadow, 4, QueuePolicy::Fcfs, Backfill::Reference), vec![0, 10, 20]);

    // Six cores; the head needs five, so one core is extra at its shadow time (10): a long one-core job
    // may take it, a second may not.
    let extra = [(0, 10, 2, 10), (1, 10, 5, 10), (2, 50, 1, 50), (3, 50, 1, 50)];
    assert_eq!(starts(&extra, 6, QueuePolicy::Fcfs, Backfill::Easy), vec![0, 10, 2, 20]);
    assert_eq!(starts(&extra, 6, QueuePolicy::Fcfs, Backfill::Reference), vec![0, 10, 10, 20]);
    let runs = schedule(&jobs(&extra), 6, QueuePolicy::Fcfs, Backfill::Easy);
    assert_eq!(runs[1], JobRun { start_s: 10, reserved_start_s: Some(10) });
    assert_eq!(runs[0].reserved_start_s, None, "it never waited");
}

#[test]
fn policies_order_the_queue_and_the_waiting_head_is_kept() {
    // One core. Job 1 is the head (alone in the queue) while job 0 runs; when it starts at 100, jobs 2
    // and 3 wait: FCFS keeps arrival order, SJF and Ballast take the shortest.
    let list = [(0, 100, 1, 100), (1, 50, 1, 50), (2, 40, 1, 40), (3, 5, 1, 5)];
    assert_eq!(starts(&list, 1, QueuePolicy::Fcfs, Backfill::Off), vec![0, 100, 150, 190]);
    assert_eq!(starts(&list, 1, QueuePolicy::Sjf, Backfill::Off), vec![0, 100, 155, 150]);
    assert_eq!(starts(&list, 1, QueuePolicy::Ballast, Backfill::Off), vec![0, 100, 155, 150]);
    // A head that waits is not re-chosen: job 2 (shorter) arrives while job 1 waits for the whole machine.
    let kept = [(0, 10, 2, 10), (1, 100, 2, 100), (2, 1, 1, 1)];
    assert_eq!(starts(&kept, 2, QueuePolicy::Sjf, Backfill::Off), vec![0, 10, 110]);

    let job = SwfJob { number: 1, submit_s: 1_000, run_s: 50, processors: 8, requested_s: 100 };
    let close = |policy: QueuePolicy, expected: f64| {
        let score = policy.score(&job, 1_200);
        assert!((score - expected).abs() < 1e-9 * expected.abs().max(1.0), "{policy:?}: {score} vs {expected}");
    };
    close(QueuePolicy::Fcfs, 1_000.0);
    close(QueuePolicy::Sjf, 100.0);
    close(QueuePolicy::Wfp3, -(2.0f64.powi(3)) * 8.0);
    close(QueuePolicy::Unicep, -(200.0 + 1e-15) / ((8.0f64 + 1e-15).log2() * 100.0));
    close(QueuePolicy::F1, 2.0 * 8.0 + 870.0 * 3.0);
    close(QueuePolicy::Ballast, 100.0f64.ln() + 2.0 * 8.0f64.ln() - 3.0f64.ln());
    // UNICEP puts one-core jobs first (log₂ 1 is 0, the guard makes it tiny).
    let narrow = SwfJob { processors: 1, ..job };
    assert!(QueuePolicy::Unicep.score(&narrow, 1_200) < -1e10);
}

/// A random job list with requested times at least the run times (users' estimates are upper bounds).
fn random_jobs(rng: &mut Pcg64Mcg, processors: u32) -> Vec<SwfJob> {
    let count = rng.random_range(1..120usize);
    let mut submit_s = 0;
    (0..count)
        .map(|index| {
            submit_s += rng.random_range(0..40i64);
            let run_s = rng.random_range(1..200i64);
            SwfJob {
                number: index as i64,
                submit_s,
                run_s,
                processors: rng.random_range(1..=processors),
                requested_s: run_s + rng.random_range(0..3i64) * rng.random_range(0..150i64),
            }
        })
        .collect()
}

#[test]
fn a_backfilled_job_never_delays_the_head_and_capacity_holds() {
    let mut reservations = 0u64;
    for seed in 0..300u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let processors = rng.random_range(1..=32u32);
        let window = random_jobs(&mut rng, processors);
        let policy = QueuePolicy::ALL[seed as usize % QueuePolicy::ALL.len()];
        for backfill in [Backfill::Off, Backfill::Easy, Backfill::Reference] {
            let runs = schedule(&window, processors, policy, backfill);
            for (index, (job, run)) in window.iter().zip(&runs).enumerate() {
                assert!(run.start_s >= job.submit_s, "seed {seed} {backfill:?}: job {index} starts before its submit");
                if let Some(reserved_s) = run.reserved_start_s {
                    reservations += 1;
                    assert!(
                        run.start_s <= reserved_s,
                        "seed {seed} {policy:?} {backfill:?}: job {index} reserved at {reserved_s} started at {}",
                        run.start_s
                    );
                }
                // At every start, the jobs running then fit the machine.
                let busy: u64 = window
                    .iter()
                    .zip(&runs)
                    .filter(|(other, other_run)| {
                        other_run.start_s <= run.start_s && run.start_s < other_run.start_s + other.run_s
                    })
                    .map(|(other, _)| u64::from(other.processors))
                    .sum();
                assert!(
                    busy <= u64::from(processors),
                    "seed {seed} {backfill:?}: {busy} cores busy at {}",
                    run.start_s
                );
            }
            assert!(backfill != Backfill::Off || runs.iter().all(|run| run.reserved_start_s.is_none()));
        }
    }
    assert!(reservations > 1_000, "the lists are crowded enough to block heads: {reservations}");
}

fn synthetic_trace() -> SwfTrace {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let mut text = String::from("; MaxProcs: 16\n");
    let mut submit = 0;
    for number in 1..=400 {
        submit += rng.random_range(0..120i64);
        let run = rng.random_range(1..3_000i64);
        text.push_str(&line(number, submit, run, rng.random_range(1..=16i64), -1, run * 2));
    }
    parse(&text).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_windows_and_figures() {
    let trace = synthetic_trace();
    let plan = SwfPlan { windows: 5, window_jobs: 64, seed: 11, ..SwfPlan::default() };
    let first = serde_json::to_value(swf::replay(&trace, "synthetic.swf", &plan).unwrap()).unwrap();
    let again = serde_json::to_value(swf::replay(&trace, "synthetic.swf", &plan).unwrap()).unwrap();
    assert_eq!(first, again);
    let other = swf::replay(&trace, "synthetic.swf", &SwfPlan { seed: 12, ..plan.clone() }).unwrap();
    assert_ne!(first["windows"], serde_json::to_value(&other.windows).unwrap());

    // The JSON field names are an interface.
    for key in ["trace", "processors", "windows", "seed", "policies"] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    let windows: Vec<u64> = serde_json::from_value(first["windows"].clone()).unwrap();
    assert!(windows.iter().all(|&start| (64..400 - 65).contains(&start)), "{windows:?}");
    let policies = first["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 12, "six policies, without and with backfilling");
    let row = &policies[0];
    for key in ["policy", "backfill", "avg_bounded_slowdown", "utilization", "windows"] {
        assert!(row.get(key).is_some(), "missing {key} in {row}");
    }
    assert!(row.get("published_avg_bounded_slowdown").is_none(), "nothing is published for this trace");
    let window = &row["windows"][0];
    for key in ["start_job", "avg_bounded_slowdown", "utilization"] {
        assert!(window.get(key).is_some(), "missing {key} in {window}");
    }
    assert_eq!(row["windows"][0]["start_job"], first["windows"][0]);
    for row in policies {
        let utilization = row["utilization"].as_f64().unwrap();
        assert!(utilization > 0.0 && utilization <= 1.0, "{row}");
        assert!(row["avg_bounded_slowdown"].as_f64().unwrap() >= 1.0, "{row}");
    }
}

#[test]
fn lublin_reproduces_the_published_figures_when_the_shared_data_is_present() {
    let Some(path) = crate::shared_data("swf/lublin_256.swf.gz") else { return };
    let trace = swf::load(&path).unwrap();
    assert_eq!((trace.jobs.len(), trace.processors), (10_000, 256));
    assert_eq!(trace.warnings, swf::LoadWarnings::default());
    let report = swf::replay(&trace, "lublin_256.swf.gz", &SwfPlan::default()).unwrap();
    let figure = |policy: &str, backfill: bool| {
        report
            .policies
            .iter()
            .find(|row| row.policy == policy && row.backfill == backfill)
            .map(|row| (row.avg_bounded_slowdown, row.published_avg_bounded_slowdown))
            .unwrap()
    };
    // FCFS, SJF and F1 within the window draw's noise (±30%) of the published figures.
    for policy in ["fcfs", "sjf", "f1"] {
        for backfill in [false, true] {
            let (measured, published) = figure(policy, backfill);
            let published = published.expect("published for Lublin-1");
            assert!(
                (measured / published - 1.0).abs() < 0.3,
                "{policy} backfill {backfill}: {measured:.2} against {published:.2}\n{}",
                report.table()
            );
        }
    }
    assert!(figure("sjf", true).0 < figure("fcfs", true).0, "{}", report.table());
    assert!(figure("ballast", true).0 < figure("sjf", true).0, "{}", report.table());
    assert!(figure("fcfs", true).0 < figure("fcfs", false).0, "{}", report.table());
    let table = report.table();
    assert!(table.contains("rlscheduler") && table.contains("58.64"), "{table}");
}

#[test]
fn kth_loads_and_ballast_beats_sjf_with_backfilling_when_the_shared_data_is_present() {
    let Some(path) = crate::shared_data("swf/KTH-SP2-1996-2.1-cln.swf.gz") else { return };
    let trace = swf::load(&path).unwrap();
    assert_eq!((trace.jobs.len(), trace.processors), (27_992, 100));
    let plan = SwfPlan {
        policies: vec![QueuePolicy::Sjf, QueuePolicy::Ballast],
        backfills: vec![Backfill::Easy],
        ..SwfPlan::default()
    };
    let report = swf::replay(&trace, "KTH-SP2-1996-2.1-cln.swf.gz", &plan).unwrap();
    assert!(report.policies.iter().all(|row| row.published_avg_bounded_slowdown.is_none()));
    assert!(report.policies[1].avg_bounded_slowdown < report.policies[0].avg_bounded_slowdown, "{}", report.table());
}

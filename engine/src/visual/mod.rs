//! The visual report behind `ballast report RESULTS.json... --out DIR` and `ballast sim --report DIR`:
//! one self-contained HTML page (`DIR/index.html`: inline SVG and CSS, no scripts, fonts or network)
//! with charts of whatever results it is given.
//!
//! Each input's kind is told from its fields ([`inputs::detect`]): a simulation (`ballast sim`, or the
//! replay of `ballast replay events`), a scale sweep, a quality table, a CI, openb or swf replay.
//! What is drawn for each:
//! - a simulation: a dashboard of its headline figures, throughput and latency over time, the workers ×
//!   time load heat map, worker efficiency, and arrivals against wait and backlog (the last four need
//!   the report's `timeline`, `worker_load` and `worker_efficiency`, which `ballast sim` writes);
//! - a scale sweep: the scalability curves (placements/s and tick time against workers, log scales);
//! - a quality table: per scenario metric, a bar per policy;
//! - a CI replay: makespan over its lower bound and prediction error per cycle;
//! - an openb replay: unallocated GPU capacity per policy, and the allocation curves;
//! - an swf replay: mean bounded slowdown (and utilization) per policy and backfilling.
//!
//! Every chart is drawn by plotters' SVG backend into a string (`charts.rs`); this file reads the
//! inputs and lays out the page. Each chart sits in a `<figure>` with `data-chart` naming its kind.

pub mod charts;
pub mod inputs;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::bench::quality::{METRICS, QualityReport};
use crate::sim::SimReport;
pub use inputs::{Input, Kind, OpenbReport, SwfReport, detect};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// No input was given.
    #[error("no result files to report on")]
    NoInputs,
    /// An input could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An input is not JSON.
    #[error("{path} is not JSON: {message}")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// An input is JSON of no kind the report knows.
    #[error(
        "{path} is not a result the report knows (a `ballast sim`, `bench scale`, `bench quality`, `replay events`, `replay ci`, `replay openb` or `replay swf` JSON)"
    )]
    UnknownKind {
        /// The file.
        path: PathBuf,
    },
    /// An input looks like a kind but does not read as one.
    #[error("{path} looks like `{command} --json` output but does not read as one: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The command whose output it resembles.
        command: &'static str,
        /// The reader's message.
        message: String,
    },
    /// A chart could not be drawn.
    #[error("drawing the {chart} chart: {message}")]
    Draw {
        /// The chart.
        chart: &'static str,
        /// Why.
        message: String,
    },
    /// The page could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A result and where it came from.
#[derive(Clone, Debug)]
pub struct Named {
    /// The file name (or another label) shown on the page.
    pub name: String,
    /// The result.
    pub input: Input,
}

/// Reads one result file and tells its kind.
pub fn read(path: &Path) -> Result<Named, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read { path: path.to_owned(), source })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| ReportError::NotJson { path: path.to_owned(), message: error.to_string() })?;
    let kind = detect(&value).ok_or_else(|| ReportError::UnknownKind { path: path.to_owned() })?;
    let input = inputs::parse(kind, value).map_err(|error| ReportError::Malformed {
        path: path.to_owned(),
        command: kind.command(),
        message: error.to_string(),
    })?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
    Ok(Named { name, input })
}

/// Reads every file and writes the page to `out/index.html`; returns the page's path.
pub fn write_report(paths: &[PathBuf], out: &Path) -> Result<PathBuf, ReportError> {
    let inputs = paths.iter().map(|path| read(path)).collect::<Result<Vec<_>, _>>()?;
    write_page(&inputs, out)
}

/// Writes the page of one finished simulation to `out/index.html`; returns the page's path.
pub fn write_sim_report(report: &SimReport, out: &Path) -> Result<PathBuf, ReportError> {
    let name = format!("ballast sim, seed {}", report.seed);
    write_page(&[Named { name, input: Input::Sim(Box::new(report.clone())) }], out)
}

/// Writes the page of `inputs` to `out/index.html` (creating `out`); returns the page's path.
pub fn write_page(inputs: &[Named], out: &Path) -> Result<PathBuf, ReportError> {
    let page = render(inputs)?;
    std::fs::create_dir_all(out).map_err(|source| ReportError::Write { path: out.to_owned(), source })?;
    let path = out.join("index.html");
    std::fs::write(&path, page).map_err(|source| ReportError::Write { path: path.clone(), source })?;
    Ok(path)
}

/// The page of `inputs`, as HTML.
pub fn render(inputs: &[Named]) -> Result<String, ReportError> {
    if inputs.is_empty() {
        return Err(ReportError::NoInputs);
    }
    let mut page = Page::default();
    for (number, named) in inputs.iter().enumerate() {
        page.number = number + 1;
        match &named.input {
            Input::Sim(report) => page.sim(&named.name, report)?,
            Input::Scale(report) => page.scale(&named.name, report)?,
            Input::Quality(report) => page.quality(&named.name, report)?,
            Input::Ci(report) => page.ci(&named.name, report)?,
            Input::Openb(report) => page.openb(&named.name, report)?,
            Input::Swf(report) => page.swf(&named.name, report)?,
        }
    }
    let mut html = String::new();
    html.push_str(HEAD);
    html.push_str("<header><h1>Ballast report</h1><p class=\"inputs\">");
    for (index, named) in inputs.iter().enumerate() {
        let kind = match &named.input {
            Input::Sim(_) => "simulation",
            Input::Scale(_) => "scale sweep",
            Input::Quality(_) => "policy quality",
            Input::Ci(_) => "CI replay",
            Input::Openb(_) => "openb replay",
            Input::Swf(_) => "swf replay",
        };
        let separator = if index == 0 { "" } else { " · " };
        let _ = write!(html, "{separator}<span>{} <em>({kind})</em></span>", escape(&named.name));
    }
    html.push_str("</p></header>\n<main>\n");
    html.push_str(&page.body);
    html.push_str("</main>\n<footer>Made by <code>ballast report</code>: every chart is an inline SVG; the page needs no network.</footer>\n</body>\n</html>\n");
    Ok(html)
}

const HEAD: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ballast report</title>
<style>
:root { --text: #222; --muted: #666; --line: #e2e2e2; --card: #fff; --page: #f4f5f7; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
header { padding: 24px 32px 8px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 28px 0 4px; font-size: 20px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { margin: 0 0 4px; font-size: 16px; }
.inputs { color: var(--muted); margin: 0; }
main { padding: 0 32px 32px; max-width: 1480px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; align-items: start; }
figure { margin: 12px 0 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
table.facts th { width: 30%; }
figure svg rect { shape-rendering: crispEdges; }
td.number { text-align: right; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin-bottom: 12px; }
.tile { background: #f7f9fc; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.tile .value { font-size: 22px; font-weight: 600; }
.tile .label { font-size: 13px; color: var(--muted); }
.bad { color: #c0392b; }
.good { color: #2e7d32; }
.note { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 13px; padding: 0 32px 24px; }
code { font-size: 13px; }
</style>
</head>
<body>
"#;

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page being laid out.
#[derive(Default)]
struct Page {
    body: String,
    /// The number of the input being laid out (ids are `<chart>-<number>`).
    number: usize,
}

impl Page {
    fn heading(&mut self, title: &str, name: &str) {
        let _ = writeln!(self.body, "<h2>{} <small class=\"note\">{}</small></h2>", escape(title), escape(name));
    }

    /// A figure with its title, body (SVG or HTML) and caption.
    fn figure(&mut self, chart: &str, title: &str, content: &str, caption: &str) {
        let _ = writeln!(
            self.body,
            "<figure id=\"{chart}-{}\" data-chart=\"{chart}\"><h3>{}</h3>\n{content}\n<figcaption>{caption}</figcaption></figure>",
            self.number,
            escape(title),
        );
    }

    fn draw<T>(chart: &'static str, result: Result<T, String>) -> Result<T, ReportError> {
        result.map_err(|message| ReportError::Draw { chart, message })
    }

    fn sim(&mut self, name: &str, report: &SimReport) -> Result<(), ReportError> {
        self.heading(
            &format!(
                "Simulation: {} workers, {} tasks, scenario {}, policy {}",
                report.workers, report.tasks, report.scenario, report.policy
            ),
            name,
        );
        let percentiles = Page::draw("dashboard", charts::percentiles(report))?;
        let dashboard = format!("<div class=\"grid\"><div>{}</div><div>{percentiles}</div></div>", dashboard(report));
        self.figure(
            "dashboard",
            "Performance dashboard",
            &dashboard,
            "The run's headline figures. Placements per second and tick times are wall time inside the engine; \
             wait is arrival to first placement, response is arrival to completion, both in simulated seconds \
             (the chart's scale is logarithmic). Lost and duplicated tasks must be zero.",
        );
        let (Some(timeline), Some(load)) = (&report.timeline, &report.worker_load) else {
            self.body.push_str(
                "<p class=\"note\">This report has no timeline (it was written before `ballast sim` recorded one), \
                 so only its dashboard is drawn.</p>\n",
            );
            return Ok(());
        };
        let interval = charts::short(timeline.interval_seconds);
        let svg = Page::draw("throughput", charts::throughput(timeline))?;
        self.figure(
            "throughput",
            "Throughput and latency over time",
            &svg,
            &format!(
                "Per {interval} s interval of simulated time ({} intervals): tasks arriving, placed and completed per \
                 second; the mean and p99 wait of the tasks first placed in the interval; the p99 wall time of the \
                 engine's ticks in it.",
                timeline.arrivals.len()
            ),
        );
        let svg = Page::draw("heatmap", charts::heat_map(load))?;
        let grouped = load.rows.iter().any(|row| row.workers > 1);
        self.figure(
            "heatmap",
            "Load distribution: workers × time",
            &svg,
            &format!(
                "Each cell is the busy share (busy slot time ÷ slot time) of {} in a {interval} s interval. Rows are \
                 grouped by hardware (the number of workers beside each group), in worker order within a group.",
                if grouped { "a row of consecutive workers of one hardware kind" } else { "one worker" }
            ),
        );
        if let Some(efficiency) = &report.worker_efficiency {
            let (by_hardware, histogram) = Page::draw("efficiency", charts::efficiency(efficiency))?;
            self.figure(
                "efficiency",
                "Worker efficiency",
                &format!("<div class=\"grid\"><div>{by_hardware}</div><div>{histogram}</div></div>"),
                "Left: each hardware kind's busy share over the makespan (bar), and the spread of its workers' own \
                 utilization (whisker from the 10th to the 90th percentile, dot at the median). Right: how many \
                 workers were busy for what share of the makespan.",
            );
        }
        let svg = Page::draw("spikes", charts::spikes(timeline))?;
        self.figure(
            "spikes",
            "Load spikes: arrivals against wait and backlog",
            &svg,
            &format!(
                "Top: tasks arriving per {interval} s interval (bars) and the mean wait of the tasks placed in it \
                 (line, right axis). Bottom: the most tasks pending after any tick of the interval (line), and the \
                 tasks requeued, declared unschedulable or refused in it (bars, right axis)."
            ),
        );
        Ok(())
    }

    fn scale(&mut self, name: &str, report: &crate::bench::scale::ScaleReport) -> Result<(), ReportError> {
        self.heading("Scalability", name);
        let svg = Page::draw("scalability", charts::scalability(report))?;
        let mut table = String::from(
            "<table><tr><th>workers</th><th>tasks</th><th>placements/s</th><th>tick p50 (µs)</th><th>tick p99 (µs)</th><th>backlog tick p99 (µs)</th><th>bytes/task</th><th>bytes/worker</th></tr>",
        );
        let bytes = |value: Option<f64>| value.map_or_else(|| "–".to_owned(), |value| format!("{value:.0}"));
        for row in &report.rows {
            let _ = write!(
                table,
                "<tr><td>{}</td><td>{}</td><td>{:.0}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
                row.workers,
                row.tasks,
                row.placements_per_second,
                row.tick_ns_p50 as f64 / 1e3,
                row.tick_ns_p99 as f64 / 1e3,
                row.backlog_tick_ns_p99 as f64 / 1e3,
                bytes(row.bytes_per_task),
                bytes(row.bytes_per_worker)
            );
        }
        table.push_str("</table>");
        self.figure(
            "scalability",
            "Scalability curve",
            &format!("{svg}\n{table}"),
            "The engine at growing pool sizes (`ballast bench scale`), both axes logarithmic: placements per second of \
             engine time, and the median and p99 wall time of a tick, also with ten tasks pending per worker.",
        );
        Ok(())
    }

    fn quality(&mut self, name: &str, report: &QualityReport) -> Result<(), ReportError> {
        self.heading("Policy comparison", name);
        let mut keys: Vec<(String, String)> = Vec::new();
        for row in &report.rows {
            let key = (row.scenario.clone(), row.metric.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let primary = |scenario: &str, metric: &str| {
            scenario == "all"
                || METRICS.iter().any(|known| known.scenario == scenario && known.name == metric && known.primary)
        };
        let mut panels = String::from("<div class=\"grid\">");
        for (scenario, metric) in keys.iter().filter(|(scenario, metric)| primary(scenario, metric)) {
            let mut rows: Vec<_> =
                report.rows.iter().filter(|row| &row.scenario == scenario && &row.metric == metric).collect();
            rows.sort_by(|a, b| a.value.total_cmp(&b.value));
            let best = rows.first().map_or(f64::NAN, |row| row.value);
            let bars: Vec<charts::Bar> = rows
                .iter()
                .map(|row| charts::Bar {
                    label: row.policy.clone(),
                    value: row.value,
                    color: if row.value <= best * 1.03 {
                        charts::PALETTE[0]
                    } else if row.policy.starts_with("composite") {
                        charts::PALETTE[3]
                    } else {
                        charts::PALETTE[9]
                    },
                    whisker: None,
                })
                .collect();
            let title = if scenario == "all" {
                "all scenarios: primary metrics over the best, geometric mean".to_owned()
            } else {
                format!("{scenario}: {}", metric_title(metric))
            };
            let svg = Page::draw("policies", charts::horizontal_bars(&title, &metric_unit(metric), &bars, false, 620))?;
            let _ = write!(panels, "<div>{svg}</div>");
        }
        panels.push_str("</div>");
        self.figure(
            "policies",
            "Policy comparison",
            &panels,
            &format!(
                "Every policy on the same seeded scenarios (`ballast bench quality`, means over seeds from {}); \
                 lower is better in every panel. Dark blue: within 3% of the best; teal: the composite policy.",
                report.seed
            ),
        );
        Ok(())
    }

    fn ci(&mut self, name: &str, report: &crate::traces::ci::CiReport) -> Result<(), ReportError> {
        self.heading("CI history replay", name);
        let svg = Page::draw("ci", charts::ci_cycles(report))?;
        let table = format!(
            "<table><tr><th>agents</th><td>{}</td><th>policy</th><td>{}</td></tr>\
             <tr><th>test runs</th><td>{}</td><th>history across cycles</th><td>{}</td></tr>\
             <tr><th>makespan ÷ lower bound</th><td>{:.3}</td><th>makespan ÷ oracle</th><td>{:.3}</td></tr>\
             <tr><th>oracle ÷ lower bound</th><td>{:.3}</td><th>prediction error</th><td>{:.1}%</td></tr></table>",
            report.workers,
            escape(&report.policy),
            report.tasks,
            if report.history { "kept" } else { "forgotten" },
            report.mean_makespan_over_lb,
            report.mean_makespan_over_oracle,
            report.mean_oracle_over_lb,
            report.prediction_mape
        );
        self.figure(
            "ci",
            "CI cycles",
            &format!("{table}\n{svg}"),
            "A real CI history replayed cycle by cycle (`ballast replay ci`): each cycle's makespan over its lower \
             bound (max of the longest test and the total over the agents), beside the longest-first schedule with \
             the true durations; below, the mean absolute percentage error of the run-time predictions the tests \
             were placed with (cycles predicted exactly have no point on the logarithmic scale).",
        );
        Ok(())
    }

    fn openb(&mut self, name: &str, report: &OpenbReport) -> Result<(), ReportError> {
        self.heading("GPU-sharing cluster replay (openb)", name);
        let bars = Page::draw("policies", charts::openb_bars(report))?;
        self.figure(
            "policies",
            "Policy comparison: unallocated GPU capacity",
            &bars,
            "Per policy, the share of the cluster's GPU capacity left unallocated when the GPU requests so far reach \
             100% of it (mean over seeds; the whisker spans the seeds), with the published figure of the same rule \
             where there is one. Lower is better; the best is blue.",
        );
        let curves = Page::draw("allocation", charts::allocation_curves(report))?;
        self.figure(
            "allocation",
            "Allocation curves",
            &curves,
            "GPU capacity allocated against capacity requested as the trace's requests arrive, per policy. The \
             dashed line is a perfect packing (every request placed); a curve leaves it where requests start to \
             fail for want of a fitting GPU.",
        );
        Ok(())
    }

    fn swf(&mut self, name: &str, report: &SwfReport) -> Result<(), ReportError> {
        self.heading("Parallel workload replay (swf)", name);
        let charts = Page::draw("policies", charts::swf_bars(report))?;
        let content: String = charts.iter().map(|svg| format!("<div>{svg}</div>")).collect();
        self.figure(
            "policies",
            "Policy comparison: bounded slowdown",
            &format!("<div class=\"grid\">{content}</div>"),
            "Per policy and backfilling choice, the jobs' mean bounded slowdown (response over run time, run times \
             under 10 s counted as 10 s; lower is better, the best is blue) and, when the replay reports it, the \
             machine's utilization.",
        );
        Ok(())
    }
}

/// A quality metric's name as a title.
fn metric_title(metric: &str) -> String {
    let (stem, unit) = match metric.strip_suffix("_s") {
        Some(stem) => (stem, " (s)"),
        None => (metric, ""),
    };
    let words: Vec<&str> = stem.split('_').collect();
    let text = words
        .iter()
        .map(|word| match *word {
            "lb" => "lower bound",
            "p99" => "p99",
            "geomean" => "(geometric mean)",
            "over" => "÷",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ");
    format!("{text}{unit}")
}

/// A quality metric's axis description.
fn metric_unit(metric: &str) -> String {
    if metric.ends_with("_s") { "seconds (lower is better)".to_owned() } else { "ratio (lower is better)".to_owned() }
}

/// The dashboard's tiles and table.
fn dashboard(report: &SimReport) -> String {
    let mut html = String::from("<div class=\"tiles\">");
    let tiles = [
        (format!("{:.0}", report.placements_per_second), "placements/s (engine time)"),
        (format!("{:.1} µs", report.tick_ns_p50 as f64 / 1e3), "tick p50"),
        (format!("{:.1} µs", report.tick_ns_p99 as f64 / 1e3), "tick p99"),
        (format!("{:.3}", report.makespan_over_lower_bound), "makespan ÷ lower bound"),
        (format!("{:.1}%", report.utilization_mean * 100.0), "utilization"),
        (format!("{:.2} s", report.wait_seconds.p99), "wait p99"),
    ];
    for (value, label) in tiles {
        let _ = write!(
            html,
            "<div class=\"tile\"><div class=\"value\">{value}</div><div class=\"label\">{label}</div></div>"
        );
    }
    html.push_str("</div><table class=\"facts\">");
    let flag = |value: u64| {
        if value == 0 {
            format!("<span class=\"good\">{value}</span>")
        } else {
            format!("<span class=\"bad\">{value}</span>")
        }
    };
    let distribution = |distribution: &crate::sim::Distribution, unit: &str| {
        format!(
            "mean {:.3}{unit}, p50 {:.3}{unit}, p99 {:.3}{unit}, max {:.3}{unit}",
            distribution.mean, distribution.p50, distribution.p99, distribution.max
        )
    };
    let rows = [
        (
            "run",
            format!(
                "{} workers, {} tasks, scenario {}, policy {}, seed {}, {} executor",
                report.workers,
                report.tasks,
                escape(&report.scenario),
                escape(&report.policy),
                report.seed,
                escape(&report.executor)
            ),
        ),
        (
            "outcome",
            format!(
                "completed {}, failed {}, cancelled {}, unschedulable {}",
                report.tasks_completed, report.tasks_failed, report.tasks_cancelled, report.tasks_unschedulable
            ),
        ),
        ("lost / duplicated", format!("{} / {}", flag(report.tasks_lost), flag(report.tasks_duplicated))),
        (
            "engine",
            format!(
                "{} placements in {:.3} s of engine time = {:.0}/s; {} ticks, p50 {:.1} µs, p99 {:.1} µs",
                report.placements,
                report.engine_seconds,
                report.placements_per_second,
                report.ticks,
                report.tick_ns_p50 as f64 / 1e3,
                report.tick_ns_p99 as f64 / 1e3
            ),
        ),
        (
            "makespan",
            format!(
                "{:.1} s, lower bound {:.1} s (ratio {:.3})",
                report.makespan_seconds, report.makespan_lower_bound_seconds, report.makespan_over_lower_bound
            ),
        ),
        ("utilization", format!("{:.1}% of slot time busy over the makespan", report.utilization_mean * 100.0)),
        ("wait", distribution(&report.wait_seconds, " s")),
        ("response", distribution(&report.response_seconds, " s")),
        ("slowdown", distribution(&report.slowdown, "×")),
        (
            "retries",
            format!(
                "{} requeues, {} failed attempts, {} refused commands",
                report.requeues, report.attempts_failed, report.commands_rejected
            ),
        ),
        ("invariant violations", flag(report.invariant_violations)),
        ("trace hash", format!("<code>{}</code>", escape(&report.trace_hash))),
        (
            "wall time",
            match report.peak_rss_bytes {
                Some(bytes) => {
                    format!("{:.2} s, peak memory {:.0} MiB", report.sim_wall_seconds, bytes as f64 / 1048576.0)
                }
                None => format!("{:.2} s", report.sim_wall_seconds),
            },
        ),
    ];
    for (label, value) in rows {
        let _ = write!(html, "<tr><th>{label}</th><td>{value}</td></tr>");
    }
    html.push_str("</table>");
    html
}

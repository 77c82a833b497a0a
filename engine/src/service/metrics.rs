//! `GET /metrics`: the Prometheus text exposition (format 0.0.4), with `prometheus-client` (the
//! Prometheus project's own Rust client: typed metrics, its encoder writes the names and suffixes the
//! conventions ask for, and a custom collector serves values that live elsewhere).
//!
//! Two sources: the journal thread's own metrics (commit latency, batch size, fsyncs), kept in
//! `prometheus-client` types it updates as it commits; and the engine's, read from the engine thread
//! at each scrape ([`EngineSample`]) and encoded by a collector: counters as `_total`, the engine's
//! hdrhistograms (submit→assign wait, tick time, run time) as histograms in seconds with fixed
//! buckets, queue depth per requirement class and workers per health and thermal state as gauges.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use ballast_components::metrics::Counters;

/// The journal thread's metrics (cheap clones share the same values).
#[derive(Clone, Debug)]
pub struct JournalMetrics {
    commit_seconds: Histogram,
    batch_records: Histogram,
    fsyncs: Counter,
    bytes: Counter,
    snapshots: Counter,
}

impl Default for JournalMetrics {
    fn default() -> Self {
        JournalMetrics {
            // 50 µs to about 13 s.
            commit_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 19)),
            // 1 to about a million records.
            batch_records: Histogram::new(exponential_buckets(1.0, 4.0, 11)),
            fsyncs: Counter::default(),
            bytes: Counter::default(),
            snapshots: Counter::default(),
        }
    }
}

impl JournalMetrics {
    /// Counts one commit.
    pub fn observe_commit(&self, seconds: f64, records: u64, bytes: u64, snapshot: bool) {
        self.commit_seconds.observe(seconds);
        self.batch_records.observe(records as f64);
        self.fsyncs.inc();
        self.bytes.inc_by(bytes);
        if snapshot {
            self.snapshots.inc();
        }
    }

    /// Commits (one fsync each) so far.
    pub fn fsyncs(&self) -> u64 {
        self.fsyncs.get()
    }

    fn register(&self, registry: &mut Registry) {
        registry.register(
            "ballast_journal_commit_seconds",
            "Time to write and fsync one group commit of the journal",
            self.commit_seconds.clone(),
        );
        registry.register(
            "ballast_journal_batch_records",
            "Journal records (commands and events) per group commit",
            self.batch_records.clone(),
        );
        registry.register(
            "ballast_journal_fsyncs",
            "Group commits of the journal (one fsync each)",
            self.fsyncs.clone(),
        );
        registry.register("ballast_journal_bytes", "Bytes written to the journal", self.bytes.clone());
        registry.register("ballast_journal_snapshots", "Snapshots of the ledger written", self.snapshots.clone());
    }
}

/// One histogram of the engine, in seconds: per-bucket counts at fixed upper bounds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistogramSample {
    /// The sum of the samples, in seconds.
    pub sum_seconds: f64,
    /// Samples.
    pub count: u64,
    /// (upper bound in seconds, samples in this bucket and not a lower one).
    pub buckets: Vec<(f64, u64)>,
}

impl HistogramSample {
    /// Reads an hdrhistogram of nanoseconds at `bounds_seconds` (ascending).
    pub fn of(histogram: &hdrhistogram::Histogram<u64>, bounds_seconds: &[f64]) -> HistogramSample {
        let mut below = 0u64;
        let buckets = bounds_seconds
            .iter()
            .map(|&bound| {
                let upto = histogram.count_between(0, (bound * 1e9) as u64);
                let in_bucket = upto.saturating_sub(below);
                below = upto.max(below);
                (bound, in_bucket)
            })
            .collect();
        let count = histogram.len();
        HistogramSample { sum_seconds: histogram.mean() * count as f64 / 1e9, count, buckets }
    }
}

/// Latency buckets in seconds: 100 µs to about 27 hours, ×4 each.
pub fn latency_bounds() -> Vec<f64> {
    exponential_buckets(0.000_1, 4.0, 15).collect()
}

/// Tick-time buckets in seconds: 10 µs to about 2.6 s, ×2 each.
pub fn tick_bounds() -> Vec<f64> {
    exponential_buckets(0.000_01, 2.0, 19).collect()
}

/// What the engine thread reports at a scrape.
#[derive(Clone, Debug, Default)]
pub struct EngineSample {
    /// Its counters.
    pub counters: Counters,
    /// Submission (or requeue) to assignment.
    pub wait: HistogramSample,
    /// Wall time per tick.
    pub tick: HistogramSample,
    /// Reported run times.
    pub run: HistogramSample,
    /// Pending entries per class: (class, family, entries).
    pub queue_depth: Vec<(u32, &'static str, usize)>,
    /// Workers per health state.
    pub workers_by_health: Vec<(&'static str, u64)>,
    /// Workers per thermal state.
    pub workers_by_thermal: Vec<(&'static str, u64)>,
    /// Live tasks.
    pub live_tasks: u64,
    /// The last event's number.
    pub last_seq: u64,
}

#[derive(Debug)]
struct EngineCollector(EngineSample);

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> Result<(), std::fmt::Error> {
    encoder.encode_descriptor(name, help, None, MetricType::Counter)?.encode_counter::<NoLabelSet, _, u64>(&value, None)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> Result<(), std::fmt::Error> {
    encoder.encode_descriptor(name, help, None, MetricType::Gauge)?.encode_gauge(&value)
}

fn histogram(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    sample: &HistogramSample,
) -> Result<(), std::fmt::Error> {
    encoder.encode_descriptor(name, help, None, MetricType::Histogram)?.encode_histogram::<NoLabelSet>(
        sample.sum_seconds,
        sample.count,
        &sample.buckets,
        None,
    )
}

impl Collector for EngineCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let sample = &self.0;
        let c = &sample.counters;
        let counters: [(&str, &str, u64); 14] = [
            ("ballast_tasks_accepted", "Tasks accepted", c.tasks_accepted),
            ("ballast_placements", "Placements (each attempt counts once)", c.placements),
            ("ballast_tasks_completed", "Tasks completed", c.tasks_completed),
            ("ballast_tasks_failed", "Tasks failed for good", c.tasks_failed),
            ("ballast_tasks_cancelled", "Tasks cancelled", c.tasks_cancelled),
            ("ballast_tasks_unschedulable", "Tasks no registered worker could run", c.tasks_unschedulable),
            ("ballast_requeues", "Tasks put back in the queue", c.requeues),
            ("ballast_steals", "Queued tasks recalled for an idle worker (work stealing)", c.steals),
            ("ballast_migrations", "Recalled tasks moved off their worker", c.migrations),
            ("ballast_deferrals", "Submissions deferred by admission control", c.admissions_deferred),
            ("ballast_rejections", "Submissions refused by admission control", c.admissions_refused),
            ("ballast_commands_rejected", "Commands refused (each task of a batch once)", c.commands_rejected),
            ("ballast_quarantines", "Workers quarantined for failing too often", c.quarantines),
            ("ballast_ticks", "Engine ticks", c.ticks),
        ];
        for (name, help, value) in counters {
            counter(&mut encoder, name, help, value)?;
        }
        histogram(
            &mut encoder,
            "ballast_submit_to_assign_wait_seconds",
            "Submission (or requeue) to assignment, engine time",
            &sample.wait,
        )?;
        histogram(&mut encoder, "ballast_tick_seconds", "Wall time of one engine tick", &sample.tick)?;
        histogram(&mut encoder, "ballast_task_run_seconds", "Run time reported with completions", &sample.run)?;
        gauge(&mut encoder, "ballast_live_tasks", "Tasks pending, assigned or running", sample.live_tasks)?;
        gauge(&mut encoder, "ballast_placed_tasks", "Tasks assigned or running", c.placed_now)?;
        gauge(&mut encoder, "ballast_running_tasks", "Tasks running", c.running_now)?;
        gauge(&mut encoder, "ballast_last_event_seq", "The number of the last event published", sample.last_seq)?;
        {
            let mut family = encoder.encode_descriptor(
                "ballast_queue_depth",
                "Pending entries per requirement class",
                None,
                MetricType::Gauge,
            )?;
            for (class, family_name, entries) in &sample.queue_depth {
                let labels = [("class", class.to_string()), ("family", (*family_name).to_owned())];
                family.encode_family(&labels)?.encode_gauge(&(*entries as u64))?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "ballast_workers",
                "Live workers per health state",
                None,
                MetricType::Gauge,
            )?;
            for (state, count) in &sample.workers_by_health {
                family.encode_family(&[("health", *state)])?.encode_gauge(count)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "ballast_workers_thermal",
                "Live workers per thermal state",
                None,
                MetricType::Gauge,
            )?;
            for (state, count) in &sample.workers_by_thermal {
                family.encode_family(&[("state", *state)])?.encode_gauge(count)?;
            }
        }
        Ok(())
    }
}

/// The exposition of one scrape.
pub fn render(journal: &JournalMetrics, engine: EngineSample) -> String {
    let mut registry = Registry::default();
    journal.register(&mut registry);
    registry.register_collector(Box::new(EngineCollector(engine)));
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        .expect("writing to a String does not fail");
    text
}

/// The `Content-Type` of [`render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

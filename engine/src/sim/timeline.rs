//! Time series of a simulated run, for the visual report (`ballast report`): per interval of simulated
//! time what arrived, was placed, ended and waited, how long the engine's ticks took, how busy the
//! slots were; a workers × time matrix of busy shares; and each kind of hardware's efficiency.
//!
//! # Cost
//! The recorder is fed O(1) work per event and O(1) per tick, and holds O(intervals × rows) memory:
//! at most [`INTERVALS_MAX`] intervals and about [`LOAD_ROWS_MAX`] rows of workers, plus one busy
//! time per worker. It does not know the run's length in advance: intervals start one tick long, and
//! whenever the run outgrows [`INTERVALS_MAX`] of them, neighbouring intervals merge in pairs and the
//! interval doubles, so a run of more than `INTERVALS_MAX / 2` ticks ends with 100 to 200 intervals.
//! Everything it keeps merges exactly under that (counts and busy times add, the per-interval
//! histograms add bucket by bucket, maxima take the larger).
//!
//! It reads the simulator's ground truth and the engine's tick times; it never feeds anything back,
//! so it cannot change a placement or the trace hash.

use serde::{Deserialize, Serialize};

/// The most intervals a timeline holds before neighbouring intervals merge (so a long run ends with
/// 100 to 200 of them: enough to see spikes, few enough to draw and to read as JSON).
pub const INTERVALS_MAX: usize = 200;

/// About the most rows of workers in the load matrix; a pool with more workers groups consecutive
/// workers of one hardware set into a row (a chart of 100 rows stays readable).
pub const LOAD_ROWS_MAX: usize = 100;

/// Buckets of the per-interval log histograms: eight per power of two (12% wide) over all of `u64`.
const LOG_BUCKETS: usize = 8 * 62;

/// Bins of the per-worker utilization histogram (5% each).
pub const UTILIZATION_BINS: usize = 20;

/// A small mergeable histogram of nanosecond values: eight buckets per power of two, so a quantile is
/// within 12% of the truth (enough for a chart; the run's own percentiles come from hdrhistograms).
#[derive(Clone, Debug)]
struct LogHistogram {
    counts: Box<[u32; LOG_BUCKETS]>,
    total: u64,
}

impl LogHistogram {
    fn new() -> LogHistogram {
        LogHistogram { counts: Box::new([0; LOG_BUCKETS]), total: 0 }
    }

    fn bucket(value: u64) -> usize {
        if value < 8 {
            return value as usize;
        }
        let exponent = 63 - value.leading_zeros() as usize;
        let sub = (value >> (exponent - 3)) as usize & 7;
        8 * (exponent - 2) + sub
    }

    /// The middle of a bucket's range.
    fn bucket_middle(bucket: usize) -> f64 {
        if bucket < 8 {
            return bucket as f64;
        }
        let exponent = bucket / 8 + 2;
        let sub = bucket % 8;
        let low = (8 + sub) as f64 * 2f64.powi(exponent as i32 - 3);
        low + 2f64.powi(exponent as i32 - 4)
    }

    fn record(&mut self, value: u64) {
        self.counts[LogHistogram::bucket(value)] += 1;
        self.total += 1;
    }

    fn add(&mut self, other: &LogHistogram) {
        for (count, other) in self.counts.iter_mut().zip(other.counts.iter()) {
            *count += other;
        }
        self.total += other.total;
    }

    /// The value at `quantile` (0 when empty).
    fn quantile(&self, quantile: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((self.total as f64 * quantile).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return LogHistogram::bucket_middle(bucket);
            }
        }
        unreachable!("the counts add up to the total")
    }
}

/// What happened in one interval.
#[derive(Clone, Debug)]
struct Tally {
    arrivals: u64,
    placements: u64,
    first_placements: u64,
    completions: u64,
    failures: u64,
    cancellations: u64,
    unschedulable: u64,
    requeues: u64,
    commands_rejected: u64,
    pending_max: u64,
    wait_ns_sum: u128,
    wait_ns: LogHistogram,
    tick_ns: LogHistogram,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            arrivals: 0,
            placements: 0,
            first_placements: 0,
            completions: 0,
            failures: 0,
            cancellations: 0,
            unschedulable: 0,
            requeues: 0,
            commands_rejected: 0,
            pending_max: 0,
            wait_ns_sum: 0,
            wait_ns: LogHistogram::new(),
            tick_ns: LogHistogram::new(),
        }
    }

    fn add(&mut self, other: &Tally) {
        self.arrivals += other.arrivals;
        self.placements += other.placements;
        self.first_placements += other.first_placements;
        self.completions += other.completions;
        self.failures += other.failures;
        self.cancellations += other.cancellations;
        self.unschedulable += other.unschedulable;
        self.requeues += other.requeues;
        self.commands_rejected += other.commands_rejected;
        self.pending_max = self.pending_max.max(other.pending_max);
        self.wait_ns_sum += other.wait_ns_sum;
        self.wait_ns.add(&other.wait_ns);
        self.tick_ns.add(&other.tick_ns);
    }
}

/// Something counted per interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    Completion,
    Failure,
    Cancellation,
    Unschedulable,
    CommandRejected,
}

/// Collects the timeline during a run (see the module doc).
#[derive(Clone, Debug)]
pub(crate) struct TimelineRecorder {
    interval_ns: u64,
    tallies: Vec<Tally>,
    /// The load row of each worker.
    row_of_worker: Vec<u32>,
    rows: Vec<LoadRow>,
    /// Per row: slots running now, and since when that count held.
    row_running: Vec<u32>,
    row_since_ns: Vec<u64>,
    /// Busy slot time per interval and row, `[interval × rows + row]`.
    row_busy_ns: Vec<u128>,
    /// Busy slot time of each worker over the run.
    worker_busy_ns: Vec<u64>,
    /// Tasks accepted and not placed (or requeued and not placed again).
    pending: u64,
}

impl TimelineRecorder {
    /// A recorder for a pool of workers, each given by its hardware label and slots (`None`: not in
    /// the pool), starting with intervals of `interval_ns`.
    pub(crate) fn new(workers: &[Option<(String, u32)>], interval_ns: u64) -> TimelineRecorder {
        assert!(interval_ns > 0, "intervals have a length");
        let (row_of_worker, rows) = load_rows(workers, LOAD_ROWS_MAX);
        let row_count = rows.len();
        TimelineRecorder {
            interval_ns,
            tallies: Vec::with_capacity(INTERVALS_MAX),
            row_of_worker,
            rows,
            row_running: vec![0; row_count],
            row_since_ns: vec![0; row_count],
            row_busy_ns: Vec::with_capacity(INTERVALS_MAX * row_count),
            worker_busy_ns: vec![0; workers.len()],
            pending: 0,
        }
    }

    /// The tally of the interval holding `time_ns`, merging intervals first if the run outgrew them.
    fn tally(&mut self, time_ns: u64) -> &mut Tally {
        let index = self.index(time_ns);
        &mut self.tallies[index]
    }

    /// The index of the interval holding `time_ns` (created if needed).
    fn index(&mut self, time_ns: u64) -> usize {
        while time_ns / self.interval_ns >= INTERVALS_MAX as u64 {
            self.merge_pairs();
        }
        let index = (time_ns / self.interval_ns) as usize;
        while self.tallies.len() <= index {
            self.tallies.push(Tally::new());
            self.row_busy_ns.extend(std::iter::repeat_n(0, self.rows.len()));
        }
        index
    }

    /// Halves the number of intervals: each pair becomes one interval twice as long.
    fn merge_pairs(&mut self) {
        let rows = self.rows.len();
        let count = self.tallies.len();
        let merged = count.div_ceil(2);
        for target in 0..merged {
            let first = 2 * target;
            let mut tally = std::mem::replace(&mut self.tallies[first], Tally::new());
            if first + 1 < count {
                tally.add(&self.tallies[first + 1]);
            }
            self.tallies[target] = tally;
            for row in 0..rows {
                let mut busy = self.row_busy_ns[first * rows + row];
                if first + 1 < count {
                    busy += self.row_busy_ns[(first + 1) * rows + row];
                }
                self.row_busy_ns[target * rows + row] = busy;
            }
        }
        self.tallies.truncate(merged);
        self.row_busy_ns.truncate(merged * rows);
        self.interval_ns *= 2;
    }

    /// `count` tasks arrived.
    pub(crate) fn arrived(&mut self, time_ns: u64, count: u64) {
        self.tally(time_ns).arrivals += count;
    }

    /// The engine accepted a task (it is pending now).
    pub(crate) fn accepted(&mut self) {
        self.pending += 1;
    }

    /// A task was placed; `first_wait_ns` is its wait if this is its first placement.
    pub(crate) fn placed(&mut self, time_ns: u64, first_wait_ns: Option<u64>) {
        self.pending = self.pending.saturating_sub(1);
        let tally = self.tally(time_ns);
        tally.placements += 1;
        if let Some(wait_ns) = first_wait_ns {
            tally.first_placements += 1;
            tally.wait_ns_sum += u128::from(wait_ns);
            tally.wait_ns.record(wait_ns);
        }
    }

    /// A task left the pending queue without a placement (it ended there).
    pub(crate) fn left_pending(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    /// A placed task came back to the queue.
    pub(crate) fn requeued(&mut self, time_ns: u64) {
        self.pending += 1;
        self.tally(time_ns).requeues += 1;
    }

    /// Counts one `what` at `time_ns`.
    pub(crate) fn count(&mut self, time_ns: u64, what: Count) {
        let tally = self.tally(time_ns);
        match what {
            Count::Completion => tally.completions += 1,
            Count::Failure => tally.failures += 1,
            Count::Cancellation => tally.cancellations += 1,
            Count::Unschedulable => tally.unschedulable += 1,
            Count::CommandRejected => tally.commands_rejected += 1,
        }
    }

    /// The engine ticked at `time_ns` for `tick_ns` of wall time.
    pub(crate) fn ticked(&mut self, time_ns: u64, tick_ns: u64) {
        let pending = self.pending;
        let tally = self.tally(time_ns);
        tally.tick_ns.record(tick_ns.max(1));
        tally.pending_max = tally.pending_max.max(pending);
    }

    /// A slot of `worker` started running at `time_ns`.
    pub(crate) fn slot_started(&mut self, time_ns: u64, worker: usize) {
        let row = self.row_of_worker[worker] as usize;
        self.accrue(row, time_ns);
        self.row_running[row] += 1;
    }

    /// A slot of `worker` that started at `started_ns` stopped at `time_ns`.
    pub(crate) fn slot_stopped(&mut self, time_ns: u64, worker: usize, started_ns: u64) {
        let row = self.row_of_worker[worker] as usize;
        self.accrue(row, time_ns);
        debug_assert!(self.row_running[row] > 0, "a slot stops only after it started");
        self.row_running[row] -= 1;
        self.worker_busy_ns[worker] += time_ns - started_ns;
    }

    /// Adds a row's busy slot time from its last change to `time_ns`, interval by interval.
    fn accrue(&mut self, row: usize, time_ns: u64) {
        let since_ns = self.row_since_ns[row];
        self.row_since_ns[row] = time_ns.max(since_ns);
        let running = u128::from(self.row_running[row]);
        if running == 0 || time_ns <= since_ns {
            return;
        }
        // Make room for the latest time first: merging changes every interval's bounds.
        self.index(time_ns);
        let rows = self.rows.len();
        let mut from_ns = since_ns;
        while from_ns < time_ns {
            let index = (from_ns / self.interval_ns) as usize;
            let to_ns = time_ns.min((index as u64 + 1) * self.interval_ns);
            self.row_busy_ns[index * rows + row] += running * u128::from(to_ns - from_ns);
            from_ns = to_ns;
        }
    }

    /// The timeline, the load matrix and the efficiency of a run that ended at `end_ns` (the last
    /// tick) with makespan `makespan_ns`.
    pub(crate) fn finish(
        mut self,
        end_ns: u64,
        makespan_ns: u64,
        workers: &[Option<(String, u32)>],
    ) -> (Timeline, WorkerLoad, WorkerEfficiency) {
        for row in 0..self.rows.len() {
            self.accrue(row, end_ns);
        }
        self.index(end_ns);
        let interval_ns = self.interval_ns;
        let rows = self.rows.len();
        let length_ns = |index: usize| {
            ((index as u64 + 1) * interval_ns).min(end_ns.max(1)).saturating_sub(index as u64 * interval_ns)
        };
        let tallies = &self.tallies;
        let total_slots: u64 = self.rows.iter().map(|row| row.slots).sum();
        let busy_share = |index: usize, row: Option<usize>| {
            let (busy, slots) = match row {
                Some(row) => (self.row_busy_ns[index * rows + row], self.rows[row].slots),
                None => (self.row_busy_ns[index * rows..(index + 1) * rows].iter().sum(), total_slots),
            };
            let capacity = slots as f64 * length_ns(index) as f64;
            if capacity > 0.0 { (busy as f64 / capacity).min(1.0) } else { 0.0 }
        };
        let timeline = Timeline {
            interval_seconds: interval_ns as f64 / 1e9,
            arrivals: tallies.iter().map(|tally| tally.arrivals).collect(),
            placements: tallies.iter().map(|tally| tally.placements).collect(),
            first_placements: tallies.iter().map(|tally| tally.first_placements).collect(),
            completions: tallies.iter().map(|tally| tally.completions).collect(),
            failures: tallies.iter().map(|tally| tally.failures).collect(),
            cancellations: tallies.iter().map(|tally| tally.cancellations).collect(),
            unschedulable: tallies.iter().map(|tally| tally.unschedulable).collect(),
            requeues: tallies.iter().map(|tally| tally.requeues).collect(),
            commands_rejected: tallies.iter().map(|tally| tally.commands_rejected).collect(),
            pending_max: tallies.iter().map(|tally| tally.pending_max).collect(),
            wait_mean_seconds: tallies
                .iter()
                .map(|tally| {
                    if tally.first_placements == 0 {
                        0.0
                    } else {
                        tally.wait_ns_sum as f64 / tally.first_placements as f64 / 1e9
                    }
                })
                .collect(),
            wait_p99_seconds: tallies.iter().map(|tally| tally.wait_ns.quantile(0.99) / 1e9).collect(),
            ticks: tallies.iter().map(|tally| tally.tick_ns.total).collect(),
            tick_ns_p99: tallies.iter().map(|tally| tally.tick_ns.quantile(0.99) as u64).collect(),
            busy_share: (0..tallies.len()).map(|index| busy_share(index, None)).collect(),
        };
        let load = WorkerLoad {
            interval_seconds: interval_ns as f64 / 1e9,
            rows: self.rows.clone(),
            busy_share: (0..rows)
                .map(|row| (0..tallies.len()).map(|index| busy_share(index, Some(row))).collect())
                .collect(),
        };
        let efficiency = efficiency(workers, &self.worker_busy_ns, makespan_ns);
        (timeline, load, efficiency)
    }
}

/// Assigns workers to load rows: grouped by hardware label (in order of first appearance), in slot
/// order within a group; one row per worker when the pool fits in `rows_max`, otherwise each group
/// gets rows in proportion to its workers (at least one) and splits its workers evenly among them.
fn load_rows(workers: &[Option<(String, u32)>], rows_max: usize) -> (Vec<u32>, Vec<LoadRow>) {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (index, worker) in workers.iter().enumerate() {
        let Some((label, _)) = worker else { continue };
        match groups.iter_mut().find(|(group, _)| group == label) {
            Some((_, members)) => members.push(index),
            None => groups.push((label.clone(), vec![index])),
        }
    }
    let present: usize = groups.iter().map(|(_, members)| members.len()).sum();
    let mut row_of_worker = vec![0u32; workers.len()];
    let mut rows = Vec::new();
    for (group, members) in &groups {
        let row_count = if present <= rows_max {
            members.len()
        } else {
            ((members.len() * rows_max) as f64 / present as f64).round().max(1.0) as usize
        };
        let row_count = row_count.min(members.len());
        let group_rows = row_count;
        for part in 0..row_count {
            let from = part * members.len() / row_count;
            let to = (part + 1) * members.len() / row_count;
            let chunk = &members[from..to];
            for &worker in chunk {
                row_of_worker[worker] = rows.len() as u32;
            }
            let slots =
                chunk.iter().map(|&worker| workers[worker].as_ref().map_or(0, |(_, slots)| u64::from(*slots))).sum();
            let (first, last) = (chunk[0], chunk[chunk.len() - 1]);
            rows.push(LoadRow {
                group: group.clone(),
                label: if first == last { format!("{group} w{first}") } else { format!("{group} w{first}–w{last}") },
                index_in_group: part as u32,
                rows_in_group: group_rows as u32,
                workers: chunk.len() as u32,
                slots,
            });
        }
    }
    (row_of_worker, rows)
}

/// Per-hardware busy shares and the spread of per-worker utilization over the makespan.
fn efficiency(workers: &[Option<(String, u32)>], worker_busy_ns: &[u64], makespan_ns: u64) -> WorkerEfficiency {
    let utilization = |index: usize, slots: u32| {
        let capacity = f64::from(slots) * makespan_ns as f64;
        if capacity > 0.0 { (worker_busy_ns[index] as f64 / capacity).min(1.0) } else { 0.0 }
    };
    let mut bins = vec![0u64; UTILIZATION_BINS];
    let mut groups: Vec<(String, Vec<f64>, u64, u128)> = Vec::new();
    for (index, worker) in workers.iter().enumerate() {
        let Some((label, slots)) = worker else { continue };
        let value = utilization(index, *slots);
        bins[((value * UTILIZATION_BINS as f64) as usize).min(UTILIZATION_BINS - 1)] += 1;
        let position = match groups.iter().position(|(group, ..)| group == label) {
            Some(position) => position,
            None => {
                groups.push((label.clone(), Vec::new(), 0, 0));
                groups.len() - 1
            }
        };
        let group = &mut groups[position];
        group.1.push(value);
        group.2 += u64::from(*slots);
        group.3 += u128::from(worker_busy_ns[index]);
    }
    let by_hardware = groups
        .into_iter()
        .map(|(hardware, mut values, slots, busy_ns)| {
            values.sort_by(f64::total_cmp);
            let at = |quantile: f64| values[((values.len() - 1) as f64 * quantile).round() as usize];
            let capacity = slots as f64 * makespan_ns as f64;
            HardwareEfficiency {
                hardware,
                workers: values.len() as u32,
                slots,
                busy_share: if capacity > 0.0 { busy_ns as f64 / capacity } else { 0.0 },
                utilization_p10: at(0.1),
                utilization_p50: at(0.5),
                utilization_p90: at(0.9),
            }
        })
        .collect();
    WorkerEfficiency { utilization_bins: bins, by_hardware }
}

/// Per interval of simulated time (interval `i` covers `[i × interval_seconds, (i + 1) × interval_seconds)`
/// from the start of the run), what happened; every array has one value per interval.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The length of an interval, in seconds of simulated time.
    pub interval_seconds: f64,
    /// Tasks that arrived.
    pub arrivals: Vec<u64>,
    /// Placements (every attempt).
    pub placements: Vec<u64>,
    /// First placements (the tasks whose wait ended).
    pub first_placements: Vec<u64>,
    /// Tasks completed.
    pub completions: Vec<u64>,
    /// Tasks that failed for good.
    pub failures: Vec<u64>,
    /// Tasks cancelled.
    pub cancellations: Vec<u64>,
    /// Tasks declared unschedulable.
    pub unschedulable: Vec<u64>,
    /// Tasks put back in the queue.
    pub requeues: Vec<u64>,
    /// Commands the engine refused.
    pub commands_rejected: Vec<u64>,
    /// The most tasks pending (accepted, not placed) after any tick of the interval.
    pub pending_max: Vec<u64>,
    /// Mean wait (arrival to first placement) of the tasks first placed in the interval, in seconds.
    pub wait_mean_seconds: Vec<f64>,
    /// 99th percentile of the same (within 12%), in seconds.
    pub wait_p99_seconds: Vec<f64>,
    /// Engine ticks.
    pub ticks: Vec<u64>,
    /// 99th percentile wall time of those ticks (within 12%), in nanoseconds.
    pub tick_ns_p99: Vec<u64>,
    /// Busy slot time over slot time, the whole pool.
    pub busy_share: Vec<f64>,
}

/// One row of the load matrix: a group of workers of one hardware label, consecutive in slot order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadRow {
    /// The hardware label of its workers (`cpu, cuda`, …).
    pub group: String,
    /// The row's label: its group and the first and last worker.
    pub label: String,
    /// Its position among its group's rows.
    pub index_in_group: u32,
    /// Rows of its group.
    pub rows_in_group: u32,
    /// Workers in the row.
    pub workers: u32,
    /// Their slots.
    pub slots: u64,
}

/// The workers × time load matrix: per row, per interval of the timeline, busy slot time over slot time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerLoad {
    /// The length of an interval, in seconds (the timeline's).
    pub interval_seconds: f64,
    /// The rows.
    pub rows: Vec<LoadRow>,
    /// `busy_share[row][interval]`, from 0 to 1.
    pub busy_share: Vec<Vec<f64>>,
}

/// One hardware label's workers over the makespan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HardwareEfficiency {
    /// The hardware label.
    pub hardware: String,
    /// Workers with it.
    pub workers: u32,
    /// Their slots.
    pub slots: u64,
    /// Their busy slot time over their slot time.
    pub busy_share: f64,
    /// Per-worker utilization (busy slot time over slot time): 10th percentile.
    pub utilization_p10: f64,
    /// Median.
    pub utilization_p50: f64,
    /// 90th percentile.
    pub utilization_p90: f64,
}

/// How evenly the workers were used over the makespan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerEfficiency {
    /// Workers per utilization bin: `[0, 5%)`, `[5%, 10%)`, …, `[95%, 100%]`.
    pub utilization_bins: Vec<u64>,
    /// Per hardware label, in order of first appearance in the pool.
    pub by_hardware: Vec<HardwareEfficiency>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_histogram_quantiles_are_close() {
        let mut histogram = LogHistogram::new();
        for value in 1..=10_000u64 {
            histogram.record(value * 1_000);
        }
        let p99 = histogram.quantile(0.99);
        assert!((p99 / 9_900_000.0 - 1.0).abs() < 0.12, "{p99}");
        assert!(LogHistogram::bucket(u64::MAX) < LOG_BUCKETS);
        for value in [0u64, 1, 7, 8, 9, 15, 16, 1_000, 1 << 40] {
            let middle = LogHistogram::bucket_middle(LogHistogram::bucket(value));
            assert!((middle - value as f64).abs() <= value as f64 * 0.07 + 0.5, "{value} → {middle}");
        }
    }

    #[test]
    fn intervals_merge_and_keep_their_totals() {
        let workers = vec![Some(("cpu".to_owned(), 2)), Some(("cpu".to_owned(), 2))];
        let mut recorder = TimelineRecorder::new(&workers, 10);
        for time_ns in (0..10_000u64).step_by(10) {
            recorder.arrived(time_ns, 1);
        }
        recorder.slot_started(0, 0);
        recorder.slot_stopped(5_000, 0, 0);
        let (timeline, load, efficiency) = recorder.finish(10_000, 10_000, &workers);
        assert!((100..=200).contains(&timeline.arrivals.len()), "{}", timeline.arrivals.len());
        assert_eq!(timeline.arrivals.iter().sum::<u64>(), 1_000);
        let busy_ns: f64 = load.busy_share[0].iter().map(|share| share * 2.0 * timeline.interval_seconds * 1e9).sum();
        assert!((busy_ns - 5_000.0).abs() < 1.0, "{busy_ns}");
        assert_eq!(efficiency.by_hardware[0].workers, 2);
        assert!((efficiency.by_hardware[0].busy_share - 0.125).abs() < 1e-9);
    }

    #[test]
    fn large_pools_group_into_rows() {
        let workers: Vec<Option<(String, u32)>> =
            (0..1_000).map(|index| Some((if index % 10 == 0 { "gpu" } else { "cpu" }.to_owned(), 4))).collect();
        let (row_of_worker, rows) = load_rows(&workers, LOAD_ROWS_MAX);
        assert!(rows.len() <= LOAD_ROWS_MAX + 2, "{}", rows.len());
        assert_eq!(rows.iter().map(|row| row.workers).sum::<u32>(), 1_000);
        assert_eq!(rows.iter().filter(|row| row.group == "gpu").count(), 10);
        assert!(row_of_worker.iter().all(|&row| (row as usize) < rows.len()));
    }
}

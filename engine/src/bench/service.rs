//! `ballast bench service`: a load generator for `ballast serve` over real sockets on loopback.
//!
//! It starts a server (this binary's `serve`, on a fresh data directory), registers a pool, then:
//! - `clients` threads submit tasks in batches, each over its own connection, keeping at most
//!   `window` tasks submitted but not yet completed (a coordinator's bounded parallelism);
//! - one thread follows the events (long polls), and for every assignment a reporter thread sends the
//!   worker's `task_started` and `task_completed` (one request per page of events);
//! - a heartbeat thread keeps the pool alive.
//!
//! It measures tasks per second end to end (from the first submission to the last completion seen),
//! the latency of command replies (each reply comes after its commands are durable), the latency from
//! sending a task to seeing its assignment, and the journal's fsyncs per second. Server and load
//! generator share the machine's cores, so the figures are a lower bound for a server of its own.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::http::HttpClient;

/// What to run.
#[derive(Clone, Debug)]
pub struct ServicePlan {
    /// Submitting threads (each its own connection).
    pub clients: usize,
    /// Tasks in all.
    pub tasks: u64,
    /// Workers in the pool.
    pub workers: u32,
    /// Slots per worker.
    pub slots: u32,
    /// Tasks per submission request.
    pub batch: usize,
    /// Tasks submitted and not yet completed, at most.
    pub window: u64,
    /// Whether the server syncs each commit.
    pub fsync: bool,
    /// The `ballast` binary that serves.
    pub exe: PathBuf,
    /// The server's tick, milliseconds.
    pub tick_ms: u64,
    /// Give up after this long.
    pub timeout: Duration,
}

/// Latencies in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Samples.
    pub count: u64,
}

impl LatencyMs {
    fn of(histogram: &Histogram<u64>) -> LatencyMs {
        let ms = |quantile: f64| histogram.value_at_quantile(quantile) as f64 / 1_000.0;
        LatencyMs { p50: ms(0.5), p99: ms(0.99), count: histogram.len() }
    }
}

/// What one run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    /// Whether commits were synced.
    pub durability: bool,
    /// Submitting threads.
    pub clients: usize,
    /// Tasks.
    pub tasks: u64,
    /// Workers × slots.
    pub workers: u32,
    /// Slots per worker.
    pub slots: u32,
    /// Tasks per submission request.
    pub batch: usize,
    /// Seconds from the first submission to the last completion seen.
    pub seconds: f64,
    /// Tasks submitted, assigned and reported complete, per second.
    pub tasks_per_second: f64,
    /// Replies to command requests (submissions and reports), from sending to the reply.
    pub command_reply_ms: LatencyMs,
    /// From sending a task to reading its assignment event.
    pub submit_to_assigned_ms: LatencyMs,
    /// Journal commits (one fsync each when durable).
    pub fsyncs: u64,
    /// Of those, per second.
    pub fsyncs_per_second: f64,
    /// Submissions deferred or refused by admission control, sent again.
    pub resubmitted: u64,
}

/// The report of `bench service`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// One row per durability setting.
    pub rows: Vec<ServiceRow>,
}

impl ServiceReport {
    /// The table.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "durability  clients    tasks  tasks/s    reply p50 ms  reply p99 ms  assigned p50 ms  assigned p99 ms  fsyncs/s\n",
        );
        for row in &self.rows {
            out.push_str(&format!(
                "{:<10}  {:>7}  {:>7}  {:>8.0}  {:>12.2}  {:>12.2}  {:>15.2}  {:>15.2}  {:>8.0}\n",
                if row.durability { "fsync" } else { "none" },
                row.clients,
                row.tasks,
                row.tasks_per_second,
                row.command_reply_ms.p50,
                row.command_reply_ms.p99,
                row.submit_to_assigned_ms.p50,
                row.submit_to_assigned_ms.p99,
                row.fsyncs_per_second,
            ));
        }
        out
    }
}

/// A running server, killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    address: SocketAddr,
    data: PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn start_server(plan: &ServicePlan) -> Result<ServerProcess, String> {
    let data = std::env::temp_dir().join(format!("ballast-bench-service-{}-{}", std::process::id(), plan.fsync));
    let _ = std::fs::remove_dir_all(&data);
    let mut command = std::process::Command::new(&plan.exe);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--tick-ms", &plan.tick_ms.to_string()])
        .arg("--data")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    if !plan.fsync {
        command.arg("--no-fsync");
    }
    let mut child = command.spawn().map_err(|error| format!("starting {}: {error}", plan.exe.display()))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::io::BufReader::new(stdout).read_line(&mut line).map_err(|error| error.to_string())?;
    let address: SocketAddr = line
        .rsplit("http://")
        .next()
        .and_then(|address| address.trim().parse().ok())
        .ok_or_else(|| format!("the server did not say where it listens: {line:?}"))?;
    let server = ServerProcess { child, address, data };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut client) = HttpClient::connect(address)
            && client.request("GET", "/readyz", b"").is_ok_and(|response| response.status == 200)
        {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err("the server was not ready within 60 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    events: Vec<Numbered<'a>>,
    next: u64,
}

#[derive(Deserialize)]
struct Numbered<'a> {
    #[serde(borrow)]
    event: EventIn<'a>,
}

#[derive(Deserialize)]
struct EventIn<'a> {
    kind: &'a str,
    #[serde(default)]
    task: Option<u64>,
    #[serde(default)]
    worker: Option<u64>,
    #[serde(default)]
    to: Option<u64>,
}

#[derive(Deserialize)]
struct Results<'a> {
    #[serde(borrow)]
    results: Vec<ResultIn<'a>>,
}

#[derive(Deserialize)]
struct ResultIn<'a> {
    #[serde(default, borrow)]
    rejected: Vec<RejectedIn<'a>>,
    #[serde(default, borrow)]
    error: Option<ErrorIn<'a>>,
}

#[derive(Deserialize)]
struct RejectedIn<'a> {
    task: u64,
    #[serde(borrow)]
    error: ErrorIn<'a>,
}

#[derive(Deserialize)]
struct ErrorIn<'a> {
    kind: &'a str,
    #[serde(default)]
    retry_after_ms: Option<u64>,
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("static bounds")
}

fn elapsed_us(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Runs the plan once.
pub fn run_once(plan: &ServicePlan) -> Result<ServiceRow, String> {
    let server = start_server(plan)?;
    let address = server.address;
    let io = |error: std::io::Error| error.to_string();
    let mut control = HttpClient::connect(address).map_err(io)?;
    let workers: Vec<String> = (1..=plan.workers)
        .map(|worker| {
            format!(
                "{{\"kind\":\"command.register_worker\",\"worker\":{{\"id\":{worker},\"hardware\":[\"cpu\"],\"cpu_milli\":64000,\"memory_mib\":262144,\"slots\":{}}}}}",
                plan.slots
            )
        })
        .collect();
    let response = control
        .request("POST", "/v1/commands", format!("{{\"commands\":[{}]}}", workers.join(",")).as_bytes())
        .map_err(io)?;
    if response.status != 200 {
        return Err(format!("registering the pool: {}", String::from_utf8_lossy(&response.body)));
    }
    let started = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..=plan.tasks).map(|_| AtomicU64::new(0)).collect());
    let completed = Arc::new(AtomicU64::new(0));
    let submitted = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let resubmitted = Arc::new(AtomicU64::new(0));
    let deadline = started + plan.timeout;

    // Heartbeats for the whole pool, every second.
    let heartbeats = {
        let done = done.clone();
        let body = format!(
            "{{\"commands\":[{}]}}",
            (1..=plan.workers)
                .map(|worker| format!("{{\"kind\":\"command.heartbeat\",\"worker\":{worker}}}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        std::thread::spawn(move || -> Result<(), String> {
            let mut client = HttpClient::connect(address).map_err(|error| error.to_string())?;
            while !done.load(Ordering::Relaxed) {
                client.request("POST", "/v1/commands", body.as_bytes()).map_err(|error| error.to_string())?;
                std::thread::sleep(Duration::from_millis(1_000));
            }
            Ok(())
        })
    };

    // Reports: started and completed for each assignment, one request per page of events.
    let (report_sender, reports) = crossbeam_channel::bounded::<Vec<(u64, u64)>>(64);
    let reporter = std::thread::spawn(move || -> Result<Histogram<u64>, String> {
        let mut client = HttpClient::connect(address).map_err(|error| error.to_string())?;
        let mut latency = new_histogram();
        let mut body = String::new();
        for page in reports {
            body.clear();
            body.push_str("{\"commands\":[");
            for (index, (task, worker)) in page.iter().enumerate() {
                if index > 0 {
                    body.push(',');
                }
                body.push_str(&format!(
                    "{{\"kind\":\"command.task_started\",\"task\":{task},\"worker\":{worker}}},{{\"kind\":\"command.task_completed\",\"task\":{task},\"worker\":{worker},\"duration_ns\":1000000}}"
                ));
            }
            body.push_str("]}");
            let sent = Instant::now();
            let response =
                client.request("POST", "/v1/commands", body.as_bytes()).map_err(|error| error.to_string())?;
            latency.saturating_record(elapsed_us(sent));
            if response.status != 200 {
                return Err(format!("reports refused: {}", String::from_utf8_lossy(&response.body)));
            }
        }
        Ok(latency)
    });

    // The follower: events, assignment latencies, completions.
    let follower = {
        let (sent_at, completed, done) = (sent_at.clone(), completed.clone(), done.clone());
        let tasks = plan.tasks;
        std::thread::spawn(move || -> Result<(Histogram<u64>, Instant), String> {
            let mut client = HttpClient::connect(address).map_err(|error| error.to_string())?;
            let mut latency = new_histogram();
            let mut after = 0;
            let mut last_completion = Instant::now();
            let epoch = started;
            while completed.load(Ordering::Relaxed) < tasks {
                if Instant::now() > deadline {
                    done.store(true, Ordering::Relaxed);
                    return Err(format!(
                        "timed out with {} of {tasks} tasks completed",
                        completed.load(Ordering::Relaxed)
                    ));
                }
                let path = format!("/v1/events?after={after}&limit=100000&wait_ms=200");
                let response = client.request("GET", &path, b"").map_err(|error| error.to_string())?;
                if response.status != 200 {
                    return Err(format!("events: {}", String::from_utf8_lossy(&response.body)));
                }
                let page: Page<'_> = serde_json::from_slice(&response.body).map_err(|error| error.to_string())?;
                after = page.next;
                let mut assigned = Vec::new();
                let now_us = elapsed_us(epoch);
                for numbered in &page.events {
                    let event = &numbered.event;
                    match event.kind {
                        "event.task_assigned" | "event.task_migrated" => {
                            let (Some(task), Some(worker)) = (event.task, event.worker.or(event.to)) else { continue };
                            if let Some(sent) = sent_at.get(task as usize) {
                                latency.saturating_record(now_us.saturating_sub(sent.load(Ordering::Relaxed)).max(1));
                            }
                            assigned.push((task, worker));
                        }
                        "event.task_completed" => {
                            completed.fetch_add(1, Ordering::Relaxed);
                            last_completion = Instant::now();
                        }
                        _ => {}
                    }
                }
                if !assigned.is_empty() && report_sender.send(assigned).is_err() {
                    return Err("the reporter stopped".to_owned());
                }
            }
            done.store(true, Ordering::Relaxed);
            Ok((latency, last_completion))
        })
    };

    // The submitters.
    let per_client = plan.tasks.div_ceil(plan.clients as u64);
    let window_per_client = (plan.window / plan.clients as u64).max(plan.batch as u64);
    let submitters: Vec<_> = (0..plan.clients as u64)
        .map(|client_index| {
            let (sent_at, completed, submitted, done, resubmitted) =
                (sent_at.clone(), completed.clone(), submitted.clone(), done.clone(), resubmitted.clone());
            let first = 1 + client_index * per_client;
            let last = (first + per_client).min(plan.tasks + 1);
            let (batch, clients) = (plan.batch, plan.clients as u64);
            std::thread::spawn(move || -> Result<Histogram<u64>, String> {
                let mut client = HttpClient::connect(address).map_err(|error| error.to_string())?;
                let mut latency = new_histogram();
                let mut waiting: Vec<u64> = (first..last).rev().collect();
                let mut body = String::new();
                while let Some(&_next) = waiting.last() {
                    if done.load(Ordering::Relaxed) {
                        return Ok(latency);
                    }
                    let in_flight = submitted.load(Ordering::Relaxed).saturating_sub(completed.load(Ordering::Relaxed));
                    if in_flight / clients.max(1) >= window_per_client {
                        std::thread::sleep(Duration::from_micros(200));
                        continue;
                    }
                    let take = batch.min(waiting.len());
                    let ids: Vec<u64> = (0..take).filter_map(|_| waiting.pop()).collect();
                    body.clear();
                    body.push_str("{\"commands\":[{\"kind\":\"command.submit_batch\",\"tasks\":[");
                    let now_us = elapsed_us(started);
                    for (index, id) in ids.iter().enumerate() {
                        if index > 0 {
                            body.push(',');
                        }
                        body.push_str("{\"id\":");
                        body.push_str(&id.to_string());
                        body.push('}');
                        sent_at[*id as usize].store(now_us, Ordering::Relaxed);
                    }
                    body.push_str("]}]}");
                    let sent = Instant::now();
                    let response =
                        client.request("POST", "/v1/commands", body.as_bytes()).map_err(|error| error.to_string())?;
                    latency.saturating_record(elapsed_us(sent));
                    if response.status == 429 {
                        waiting.extend(ids.iter().rev());
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    if response.status != 200 {
                        return Err(format!("submission refused: {}", String::from_utf8_lossy(&response.body)));
                    }
                    let results: Results<'_> =
                        serde_json::from_slice(&response.body).map_err(|error| error.to_string())?;
                    let result = results.results.first().ok_or("no result")?;
                    if let Some(error) = &result.error {
                        return Err(format!("the batch was refused: {}", error.kind));
                    }
                    let mut again = 0u64;
                    let mut pause_ms = 0;
                    for rejected in &result.rejected {
                        match rejected.error.kind {
                            "deferred" | "overloaded" => {
                                waiting.push(rejected.task);
                                again += 1;
                                pause_ms = pause_ms.max(rejected.error.retry_after_ms.unwrap_or(10));
                            }
                            "duplicate_task" => {}
                            other => return Err(format!("task {} refused: {other}", rejected.task)),
                        }
                    }
                    submitted.fetch_add(take as u64 - again, Ordering::Relaxed);
                    resubmitted.fetch_add(again, Ordering::Relaxed);
                    if pause_ms > 0 {
                        std::thread::sleep(Duration::from_millis(pause_ms.min(1_000)));
                    }
                }
                Ok(latency)
            })
        })
        .collect();

    let mut replies = new_histogram();
    for submitter in submitters {
        let histogram = submitter.join().map_err(|_| "a submitter panicked")??;
        replies.add(histogram).map_err(|error| error.to_string())?;
    }
    let (assigned, last_completion) = follower.join().map_err(|_| "the follower panicked")??;
    let report_latency = reporter.join().map_err(|_| "the reporter panicked")??;
    replies.add(report_latency).map_err(|error| error.to_string())?;
    heartbeats.join().map_err(|_| "the heartbeat thread panicked")??;
    let seconds = last_completion.duration_since(started).as_secs_f64().max(1e-9);
    let metrics = control.request("GET", "/metrics", b"").map_err(io)?;
    let text = String::from_utf8_lossy(&metrics.body);
    let fsyncs = text
        .lines()
        .find_map(|line| line.strip_prefix("ballast_journal_fsyncs_total "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64;
    drop(server);
    Ok(ServiceRow {
        durability: plan.fsync,
        clients: plan.clients,
        tasks: plan.tasks,
        workers: plan.workers,
        slots: plan.slots,
        batch: plan.batch,
        seconds,
        tasks_per_second: plan.tasks as f64 / seconds,
        command_reply_ms: LatencyMs::of(&replies),
        submit_to_assigned_ms: LatencyMs::of(&assigned),
        fsyncs,
        fsyncs_per_second: fsyncs as f64 / seconds,
        resubmitted: resubmitted.load(Ordering::Relaxed),
    })
}

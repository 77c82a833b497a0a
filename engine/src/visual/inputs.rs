//! The result files the visual report reads, and how their kind is told from their fields.
//!
//! The simulator's, the scale and quality harnesses' and the CI replay's results are read into their
//! own types; the openb and swf replays' results are read into the small DTOs below, which name only
//! the fields the charts draw (anything else in those files is ignored).

use serde::Deserialize;
use serde_json::Value;

use crate::bench::quality::QualityReport;
use crate::bench::scale::ScaleReport;
use crate::sim::SimReport;
use crate::traces::ci::CiReport;
pub use crate::traces::openb::OpenbReport;

/// What kind of result a JSON file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `ballast sim --json`.
    Sim,
    /// `ballast replay events --json` (the replayed run's report is drawn).
    ReplayEvents,
    /// `ballast bench scale --json`.
    Scale,
    /// `ballast bench quality --json`.
    Quality,
    /// `ballast replay ci --json`.
    Ci,
    /// `ballast replay openb --json`.
    Openb,
    /// `ballast replay swf --json`.
    Swf,
}

impl Kind {
    /// The command that writes this kind.
    pub fn command(self) -> &'static str {
        match self {
            Kind::Sim => "ballast sim",
            Kind::ReplayEvents => "ballast replay events",
            Kind::Scale => "ballast bench scale",
            Kind::Quality => "ballast bench quality",
            Kind::Ci => "ballast replay ci",
            Kind::Openb => "ballast replay openb",
            Kind::Swf => "ballast replay swf",
        }
    }
}

/// Tells a result's kind from its fields (`None`: not a result this report knows).
pub fn detect(value: &Value) -> Option<Kind> {
    let object = value.as_object()?;
    let has = |key: &str| object.contains_key(key);
    if has("trace_hash") && has("placements_per_second") && has("makespan_seconds") {
        return Some(Kind::Sim);
    }
    if has("recorded_trace_hash") && object.get("replay").and_then(|replay| replay.get("trace_hash")).is_some() {
        return Some(Kind::ReplayEvents);
    }
    if has("cycles") && has("mean_makespan_over_lb") {
        return Some(Kind::Ci);
    }
    if let Some(rows) = object.get("rows").and_then(Value::as_array) {
        let first = rows.first().and_then(Value::as_object);
        let row_has = |key: &str| first.is_some_and(|row| row.contains_key(key));
        if row_has("workers") && row_has("placements_per_second") || rows.is_empty() && has("exact_checks") {
            return Some(Kind::Scale);
        }
        if row_has("policy") && row_has("metric") && row_has("value") {
            return Some(Kind::Quality);
        }
        return None;
    }
    let policies = object.get("policies").and_then(Value::as_array)?;
    let first = policies.first().and_then(Value::as_object)?;
    if first.contains_key("unallocated_gpu_percent") {
        Some(Kind::Openb)
    } else if first.contains_key("avg_bounded_slowdown") {
        Some(Kind::Swf)
    } else {
        None
    }
}

/// One policy (and backfilling choice) of an swf replay.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SwfPolicy {
    /// The policy.
    pub policy: String,
    /// The backfilling (a flag or a name).
    #[serde(default)]
    pub backfill: Value,
    /// Mean bounded slowdown of the jobs.
    pub avg_bounded_slowdown: f64,
    /// Busy share of the machine.
    #[serde(default)]
    pub utilization: Option<f64>,
    /// The windows the trace was cut into (as the replay wrote them).
    #[serde(default)]
    pub windows: Value,
}

impl SwfPolicy {
    /// The policy with its backfilling, as a bar label.
    pub fn label(&self) -> String {
        match &self.backfill {
            Value::Bool(true) => format!("{} + backfill", self.policy),
            Value::Bool(false) | Value::Null => self.policy.clone(),
            Value::String(name) if name.is_empty() || name == "none" => self.policy.clone(),
            Value::String(name) => format!("{} + {name}", self.policy),
            other => format!("{} + {other}", self.policy),
        }
    }
}

/// `ballast replay swf --json`: parallel workload archive traces, per policy.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SwfReport {
    /// One entry per policy and backfilling choice.
    pub policies: Vec<SwfPolicy>,
}

/// A result read from a file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Input {
    /// A simulation (or a replayed one).
    Sim(Box<SimReport>),
    /// A scale sweep.
    Scale(ScaleReport),
    /// A quality table.
    Quality(QualityReport),
    /// A CI replay.
    Ci(CiReport),
    /// An openb replay.
    Openb(OpenbReport),
    /// An swf replay.
    Swf(SwfReport),
}

/// Reads a result of `kind` from `value`.
pub fn parse(kind: Kind, value: Value) -> Result<Input, serde_json::Error> {
    Ok(match kind {
        Kind::Sim => Input::Sim(Box::new(serde_json::from_value(value)?)),
        Kind::ReplayEvents => {
            let replay = value.get("replay").cloned().unwrap_or(Value::Null);
            Input::Sim(Box::new(serde_json::from_value(replay)?))
        }
        Kind::Scale => Input::Scale(serde_json::from_value(value)?),
        Kind::Quality => Input::Quality(serde_json::from_value(value)?),
        Kind::Ci => Input::Ci(serde_json::from_value(value)?),
        Kind::Openb => Input::Openb(serde_json::from_value(value)?),
        Kind::Swf => Input::Swf(serde_json::from_value(value)?),
    })
}

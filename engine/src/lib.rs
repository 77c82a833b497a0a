//! Ballast: a scheduling engine that decides which worker runs which test, for heterogeneous fleets
//! of 10 to 100,000 workers (CPU, GPU, NPU and browser hosts).
//!
//! The engine never runs tests itself. A coordinator registers workers, forwards heartbeats, submits
//! tasks and reports their outcomes; the engine answers with assignments and other events.
//!
//! ```
//! use ballast::prelude::*;
//!
//! let mut engine = Engine::new(EngineConfig::default()).unwrap();
//! engine
//!     .register_worker(WorkerSpec {
//!         id: WorkerId(1),
//!         hardware: HardwareSet::of(&[HardwareKind::Cpu, HardwareKind::Cuda]),
//!         cpu_milli: 16_000,
//!         memory_mib: 65_536,
//!         slots: 4,
//!         gpus: vec![GpuSpec { model: Some("A10".into()), memory_mib: 24_576 }],
//!         ..WorkerSpec::default()
//!     })
//!     .unwrap();
//! let mut task = TaskSpec::new(TaskId(7));
//! task.model_id = Some("google/vit-base-patch16-224".into());
//! task.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
//! task.requirements.gpu = GpuDemand::whole(1);
//! engine.submit(task).unwrap();
//!
//! engine.tick(Timestamp::from_millis(10)).unwrap();
//! let assigned = engine.events().into_iter().any(|event| {
//!     matches!(event, Event::TaskAssigned { task: TaskId(7), worker: WorkerId(1), .. })
//! });
//! assert!(assigned);
//!
//! engine.task_completed(TaskId(7), WorkerId(1), 1_500_000_000).unwrap();
//! engine.tick(Timestamp::from_millis(20)).unwrap();
//! assert_eq!(engine.view().counters().tasks_completed, 1);
//! ```

// The README's example runs as a doctest, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub mod analyze;
#[cfg(feature = "sim")]
pub mod bench;
#[cfg(feature = "cli")]
pub mod cli;
pub mod engine;
pub mod fuzzing;
pub mod handle;
pub mod record;
pub mod schedule;
#[cfg(feature = "service")]
pub mod service;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "sim")]
pub mod traces;
pub mod view;
#[cfg(feature = "sim")]
pub mod visual;

pub use ballast_components as components;
pub use ballast_systems as systems;

pub use engine::{
    BatchOutcome, Engine, ExplainError, HistoryError, PastRun, RestoreReport, RestoredPlacement, RestoredTask,
    RestoredWorker, TickError,
};
pub use handle::{CommandSender, EngineHandle, EventBatch, HandleClock, HandleConfig, HandleError, Snapshot};
pub use view::{TaskLookup, View};

/// The types an embedder needs.
pub mod prelude {
    pub use ballast_components::capability::{Browser, BrowserSet, HardwareKind, HardwareSet};
    pub use ballast_components::clock::Timestamp;
    pub use ballast_components::config::{EngineConfig, ExecutorKind, PolicyName};
    pub use ballast_components::family::{ModelFamily, TestType};
    pub use ballast_components::history::PredictionSource;
    pub use ballast_components::ids::{TaskId, WorkerId};
    pub use ballast_components::message::{
        Command, CommandError, Event, Explanation, Factor, FactorKind, FailureReason, GpuSpec, PlacementExplanation,
        RegisterError, RemovalReason, RequeueReason, RequirementSpec, SubmitError, TaskCommandError, TaskSpec,
        UtilizationReport, WorkerCommandError, WorkerSpec,
    };
    pub use ballast_components::requirements::GpuDemand;
    pub use ballast_components::task::{PlacementMethod, TaskState};
    pub use ballast_components::worker::{HealthState, ThermalState};

    pub use crate::engine::{BatchOutcome, Engine, ExplainError, HistoryError, PastRun, TickError};
    pub use crate::handle::{EngineHandle, EventBatch, HandleClock, HandleConfig};
    pub use crate::view::{TaskLookup, View};
}

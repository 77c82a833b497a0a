//! Data of the Ballast scheduling engine, and nothing else.
//!
//! This crate holds the ids, the worker and task components, the capability index, the requirement
//! classes with their pending queues and candidate heaps, the clock, the validated config, and the
//! messages that cross the engine's API (commands in, events out, typed errors).
//! It has no systems: the decisions live in `ballast-systems`, the facade in `ballast`.
//!
//! Architecture invariant: nothing here reads the wall clock, does IO or draws random numbers.

pub mod adaptive;
pub mod admission;
pub mod capability;
pub mod catalogue;
pub mod class;
pub mod clock;
pub mod config;
pub mod directory;
pub mod family;
pub mod forecast;
pub mod history;
pub mod ids;
pub mod index;
pub mod message;
pub mod metrics;
pub mod preferences;
pub mod queue;
pub mod requirements;
pub mod shape;
pub mod steal;
pub mod symbols;
pub mod task;
pub mod weights;
pub mod work;
pub mod worker;

pub use capability::{Browser, BrowserSet, HardwareKind, HardwareSet};
pub use class::{Candidates, Class, ClassKey, Classes, RequirementSet, Rotation, ScoredShape, Tier};
pub use clock::{Clock, Timestamp};
pub use config::{CompositeWeights, ConfigError, EngineConfig, ExecutorKind, PolicyName};
pub use directory::Directory;
pub use family::{ModelFamily, TestType};
pub use history::{History, RunStats, WarmModels};
pub use ids::{ClassId, RequirementsId, TaskId, WorkerId, WorkerSlot};
pub use index::CapabilityIndex;
pub use message::{Command, Event, Inbox, Outbox};
pub use metrics::Metrics;
pub use requirements::{Demand, GpuDemand, Requirements};
pub use shape::{LEVELS, Shape, ShapeId, ShapeSet, Shapes};
pub use symbols::{Symbol, Symbols};
pub use task::{Lifecycle, Task, TaskProfile, TaskState};
pub use worker::{
    Capabilities, GpuDevice, Health, HealthState, Load, Thermal, ThermalState, Utilization, Worker, WorkerTasks,
};

//! A read-only view of the engine: workers, tasks, queue depths and metrics, by stable id.

use bevy_ecs::prelude::*;

use ballast_components::class::Classes;
use ballast_components::clock::{Clock, Timestamp};
use ballast_components::directory::Directory;
use ballast_components::family::ModelFamily;
use ballast_components::history::History;
use ballast_components::ids::{ClassId, TaskId, WorkerId};
use ballast_components::metrics::{Counters, Metrics};
use ballast_components::shape::Shapes;
use ballast_components::symbols::Symbols;
use ballast_components::task::{Lifecycle, Task, TaskProfile, TaskState};
use ballast_components::worker::{Capabilities, Health, Load, Thermal, Utilization, Worker, WorkerTasks};

/// A worker as the view shows it.
#[derive(Clone, Copy, Debug)]
pub struct WorkerView<'a> {
    /// Identity.
    pub worker: &'a Worker,
    /// What it offers.
    pub capabilities: &'a Capabilities,
    /// What is reserved on it.
    pub load: &'a Load,
    /// Health and draining.
    pub health: &'a Health,
    /// Thermal state.
    pub thermal: &'a Thermal,
    /// Reported utilization.
    pub utilization: &'a Utilization,
    /// Performance history.
    pub history: &'a History,
    /// How many tasks are placed on it.
    pub task_count: usize,
}

/// A live task as the view shows it.
#[derive(Clone, Copy, Debug)]
pub struct TaskView<'a> {
    /// The submitted spec.
    pub task: &'a Task,
    /// The derived profile.
    pub profile: &'a TaskProfile,
    /// The lifecycle.
    pub lifecycle: &'a Lifecycle,
    /// The worker it is placed on, if any.
    pub worker: Option<WorkerId>,
}

/// What the engine knows of a task id.
#[derive(Clone, Copy, Debug)]
pub enum TaskLookup<'a> {
    /// Pending, assigned or running.
    Live(TaskView<'a>),
    /// It ended (completed, failed, cancelled or unschedulable); the events said how.
    Ended,
    /// Never submitted.
    Unknown,
}

/// Pending tasks of one class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDepth {
    /// The class.
    pub class: ClassId,
    /// Its family.
    pub family: ModelFamily,
    /// Queue entries (a cancelled task counts until it reaches the head).
    pub entries: usize,
}

/// The read-only view.
#[derive(Clone, Copy)]
pub struct View<'a> {
    world: &'a World,
}

impl<'a> View<'a> {
    pub(crate) fn new(world: &'a World) -> View<'a> {
        View { world }
    }

    /// The time of the last tick.
    pub fn now(&self) -> Timestamp {
        self.world.resource::<Clock>().now
    }

    /// Counters since start.
    pub fn counters(&self) -> Counters {
        self.world.resource::<Metrics>().counters
    }

    /// Histograms and counters.
    pub fn metrics(&self) -> &'a Metrics {
        self.world.resource::<Metrics>()
    }

    /// Live workers.
    pub fn worker_count(&self) -> usize {
        self.world.resource::<Directory>().workers.len()
    }

    /// Worker shapes (distinct capability sets) seen so far.
    pub fn shape_count(&self) -> usize {
        self.world.resource::<Shapes>().shapes.len()
    }

    /// Requirement sets and classes (requirement set and family) seen so far.
    pub fn class_counts(&self) -> (usize, usize) {
        let classes = self.world.resource::<Classes>();
        (classes.requirement_sets.len(), classes.classes.len())
    }

    /// Live tasks (pending, assigned or running).
    pub fn live_task_count(&self) -> usize {
        self.world.resource::<Directory>().tasks.len()
    }

    /// One worker.
    pub fn worker(&self, id: WorkerId) -> Option<WorkerView<'a>> {
        let entity = *self.world.resource::<Directory>().workers.get(&id)?;
        self.worker_at(entity)
    }

    fn worker_at(&self, entity: Entity) -> Option<WorkerView<'a>> {
        let world = self.world;
        Some(WorkerView {
            worker: world.get::<Worker>(entity)?,
            capabilities: world.get::<Capabilities>(entity)?,
            load: world.get::<Load>(entity)?,
            health: world.get::<Health>(entity)?,
            thermal: world.get::<Thermal>(entity)?,
            utilization: world.get::<Utilization>(entity)?,
            history: world.get::<History>(entity)?,
            task_count: world.get::<WorkerTasks>(entity)?.tasks.len(),
        })
    }

    /// Every live worker, by slot.
    pub fn workers(&self) -> impl Iterator<Item = WorkerView<'a>> + 'a {
        let view = *self;
        self.world.resource::<Directory>().slots.iter().flatten().filter_map(move |&entity| view.worker_at(entity))
    }

    /// What the engine knows of a task.
    pub fn task(&self, id: TaskId) -> TaskLookup<'a> {
        let world = self.world;
        let directory = world.resource::<Directory>();
        let Some(&entity) = directory.tasks.get(&id) else {
            return if directory.ended_tasks.contains(id.0) { TaskLookup::Ended } else { TaskLookup::Unknown };
        };
        let (Some(task), Some(profile), Some(lifecycle)) =
            (world.get::<Task>(entity), world.get::<TaskProfile>(entity), world.get::<Lifecycle>(entity))
        else {
            return TaskLookup::Unknown;
        };
        let worker = lifecycle
            .assignment
            .and_then(|assignment| directory.worker_in(assignment.slot))
            .and_then(|worker| world.get::<Worker>(worker))
            .map(|worker| worker.id);
        TaskLookup::Live(TaskView { task, profile, lifecycle, worker })
    }

    /// The state of a live task, if it is live.
    pub fn task_state(&self, id: TaskId) -> Option<TaskState> {
        match self.task(id) {
            TaskLookup::Live(view) => Some(view.lifecycle.state),
            TaskLookup::Ended | TaskLookup::Unknown => None,
        }
    }

    /// Pending queue entries per class, for classes with any.
    pub fn queue_depths(&self) -> Vec<QueueDepth> {
        self.world
            .resource::<Classes>()
            .classes
            .iter()
            .enumerate()
            .filter(|(_, class)| !class.pending.is_empty())
            .map(|(index, class)| QueueDepth {
                class: ClassId(index as u32),
                family: class.key.family,
                entries: class.pending.len(),
            })
            .collect()
    }

    /// The string behind an interned symbol.
    pub fn symbols(&self) -> &'a Symbols {
        self.world.resource::<Symbols>()
    }
}

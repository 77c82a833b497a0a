//! The tick pipeline: the one place where the order of the engine's systems is declared.
//!
//! ```text
//! Admit → Health → Analyze → Index → Match → Steal ─┬→ Complete
//!                                                   └→ Report
//! ```
//! - **Admit** applies the commands that arrived since the last tick (registrations, heartbeats,
//!   submissions, reports). First, so every later stage sees this tick's input.
//! - **Health** turns heartbeat silence into suspect / unresponsive / lost (requeueing tasks), advances
//!   thermal timers, and ends attempts past their timeout. Before matching, so nothing is placed on a
//!   worker that is found dead this tick, and requeued tasks can be placed again in the same tick.
//! - **Analyze** derives the profile (family, predicted run time) of admitted tasks; the class of a
//!   task depends on it.
//! - **Index** files admitted tasks into classes (or declares them unschedulable), updates eligibility
//!   for new workers and requirement sets, and pushes workers with freed capacity into the candidate
//!   heaps. Matching needs all of this to be current.
//! - **Match** places pending tasks, most urgent first.
//! - **Steal** recalls queued tasks from overloaded workers for workers still idle after matching
//!   (work stealing). After matching, so a pending task that fits an idle worker goes there first.
//!   Before it, once a second, the load forecasts take in the submissions and the waiting tasks; after
//!   it, admission control measures each requirement set's queue delay, as matching left it.
//! - **Complete** folds attempt outcomes into performance history (read by the next tick, never this
//!   one). **Report** despawns ended tasks and counts the tick. The two share no data, so under the
//!   multi-threaded executor they run in parallel.
//!
//! Schedule ambiguity (two systems with conflicting access and no order) is an error: the engine
//! refuses to build such a schedule, and a test checks it.

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{
    LogLevel, MultiThreadedExecutor, ScheduleBuildError, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor,
};

use ballast_components::config::ExecutorKind;
use ballast_systems::admit::{admit_commands, measure_queue_delay};
use ballast_systems::analysis::analyze_admitted_tasks;
use ballast_systems::complete::record_outcomes;
use ballast_systems::forecast::forecast_load;
use ballast_systems::health::{check_worker_health, expire_timed_out_attempts};
use ballast_systems::index::index_tasks_and_workers;
use ballast_systems::matching::match_tasks_to_workers;
use ballast_systems::report::despawn_ended_tasks;
use ballast_systems::steal::steal_work;

/// The label of the tick schedule.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tick;

/// The stages of a tick, in order (see the module docs for why each sits where it does).
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickSystems {
    /// Apply commands.
    Admit,
    /// Heartbeat timeouts, thermal timers, attempt timeouts.
    Health,
    /// Task profiles.
    Analyze,
    /// Classes, eligibility, candidate heaps.
    Index,
    /// Placement.
    Match,
    /// Work stealing.
    Steal,
    /// Performance history.
    Complete,
    /// Despawns and counters.
    Report,
}

/// Builds the tick schedule for `executor`.
pub fn build_schedule(executor: ExecutorKind) -> Schedule {
    let mut schedule = Schedule::new(Tick);
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: LogLevel::Error,
        ..ScheduleBuildSettings::default()
    });
    match executor {
        ExecutorKind::SingleThreaded => {
            schedule.set_executor(SingleThreadedExecutor::new());
        }
        ExecutorKind::MultiThreaded => {
            bevy_tasks::ComputeTaskPool::get_or_init(bevy_tasks::TaskPool::default);
            schedule.set_executor(MultiThreadedExecutor::new());
        }
    }
    schedule.configure_sets(
        (
            TickSystems::Admit,
            TickSystems::Health,
            TickSystems::Analyze,
            TickSystems::Index,
            TickSystems::Match,
            TickSystems::Steal,
            TickSystems::Complete,
        )
            .chain(),
    );
    schedule.configure_sets(TickSystems::Report.after(TickSystems::Steal));
    schedule.add_systems((
        admit_commands.in_set(TickSystems::Admit),
        (check_worker_health, expire_timed_out_attempts).chain().in_set(TickSystems::Health),
        analyze_admitted_tasks.in_set(TickSystems::Analyze),
        index_tasks_and_workers.in_set(TickSystems::Index),
        match_tasks_to_workers.in_set(TickSystems::Match),
        (forecast_load, steal_work, measure_queue_delay).chain().in_set(TickSystems::Steal),
        record_outcomes.in_set(TickSystems::Complete),
        despawn_ended_tasks.in_set(TickSystems::Report),
    ));
    schedule
}

/// Builds and initializes the schedule on `world`; fails if any two systems are ambiguous.
pub fn initialized_schedule(world: &mut World, executor: ExecutorKind) -> Result<Schedule, ScheduleBuildError> {
    let mut schedule = build_schedule(executor);
    schedule.initialize(world)?;
    Ok(schedule)
}

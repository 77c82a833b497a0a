//! The tick schedule builds without ambiguity, and the check that says so can fail.

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings};

use ballast::Engine;
use ballast::schedule::{build_schedule, initialized_schedule};
use ballast_components::config::{EngineConfig, ExecutorKind};

#[test]
fn the_tick_schedule_has_no_ambiguity_under_either_executor() {
    for executor in [ExecutorKind::SingleThreaded, ExecutorKind::MultiThreaded] {
        // The engine inserts every resource the systems need; build through it, then again bare.
        let engine = Engine::new(EngineConfig { executor, ..EngineConfig::default() });
        assert!(engine.is_ok());
        let mut world = World::new();
        let built = initialized_schedule(&mut world, executor);
        assert!(built.is_ok(), "{executor:?}: the schedule has an ambiguity");
        assert_eq!(build_schedule(executor).get_build_settings().ambiguity_detection, LogLevel::Error);
    }
}

#[derive(Resource, Default)]
struct Shared(u32);

fn write_a(mut shared: ResMut<Shared>) {
    shared.0 += 1;
}

fn write_b(mut shared: ResMut<Shared>) {
    shared.0 *= 2;
}

#[test]
fn an_unordered_conflict_fails_the_same_check() {
    let mut world = World::new();
    world.init_resource::<Shared>();
    let mut schedule = Schedule::default();
    schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..Default::default() });
    schedule.add_systems((write_a, write_b));
    assert!(schedule.initialize(&mut world).is_err());
}

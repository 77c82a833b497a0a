//! Shared set-up for the benches: warm engines in a steady state.

use std::collections::VecDeque;

use ballast::prelude::*;
use ballast::sim::workload::{Scenario, TaskMaker, pool};
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// An engine with a full pool and a backlog, where each step completes `churn` running tasks, submits
/// `churn` new ones and ticks, so every step places `churn` tasks.
pub struct SteadyState {
    engine: Engine,
    rng: Pcg64Mcg,
    maker: TaskMaker,
    running: VecDeque<(TaskId, WorkerId)>,
    next_task: u64,
    now_ms: u64,
    events: Vec<Event>,
    /// Tasks completed, submitted and placed per step.
    pub churn: usize,
}

impl SteadyState {
    /// `workers` workers of the default pool, filled, with `backlog` tasks pending.
    pub fn new(workers: u32, backlog: u64, churn: usize) -> SteadyState {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        // No heartbeats in the bench: keep every worker healthy however long it runs.
        let config = EngineConfig {
            heartbeat_suspect_after_ms: 1 << 40,
            heartbeat_unresponsive_after_ms: 1 << 41,
            heartbeat_lost_after_ms: 1 << 42,
            ..EngineConfig::default()
        };
        let mut engine = Engine::new(config).expect("the bench config is valid");
        let pool = pool(Scenario::Default, workers, &mut rng);
        let maker = TaskMaker::new(Scenario::Default, 0, pool.workers.len(), &mut rng);
        let slots: u64 = pool.workers.iter().map(|worker| u64::from(worker.spec.slots)).sum();
        for worker in pool.workers {
            engine.register_worker(worker.spec).expect("generated workers are valid");
        }
        let mut state = SteadyState {
            engine,
            rng,
            maker,
            running: VecDeque::new(),
            next_task: 0,
            now_ms: 0,
            events: Vec::new(),
            churn,
        };
        state.submit(slots + backlog);
        state.tick();
        state
    }

    fn submit(&mut self, count: u64) {
        let batch: Vec<TaskSpec> = (0..count)
            .map(|_| {
                let id = TaskId(self.next_task);
                self.next_task += 1;
                // Long-running tasks only: the steady state must not drain while benched.
                let mut spec = self.maker.make(id, &mut self.rng).spec;
                spec.requirements.gpu = GpuDemand::NONE;
                spec.requirements.hardware_any = HardwareSet::EMPTY;
                spec.requirements.browsers_any = BrowserSet::EMPTY;
                spec
            })
            .collect();
        for chunk in batch.chunks(100_000) {
            self.engine.push(Command::SubmitBatch(chunk.to_vec())).expect("inbox has room");
        }
    }

    fn tick(&mut self) {
        self.now_ms += 10;
        self.engine.tick(Timestamp::from_millis(self.now_ms)).expect("time moves forward");
        self.engine.take_events(&mut self.events);
        for event in self.events.drain(..) {
            if let Event::TaskAssigned { task, worker, .. } = event {
                self.running.push_back((task, worker));
            }
        }
    }

    /// Queues `churn` completions and `churn` submissions for the next tick.
    pub fn prepare(&mut self) {
        for _ in 0..self.churn {
            let Some((task, worker)) = self.running.pop_front() else { break };
            self.engine.push(Command::TaskCompleted { task, worker, duration_ns: 1_000_000 }).expect("inbox has room");
        }
        self.submit(self.churn as u64);
    }

    /// Runs one tick (admitting what [`SteadyState::prepare`] queued); returns the placements made.
    pub fn tick_once(&mut self) -> u64 {
        let before = self.engine.view().counters().placements;
        self.tick();
        self.engine.view().counters().placements - before
    }

    /// Completes `churn` running tasks and ticks, so their workers have room again (no submissions).
    pub fn free_churn(&mut self) {
        for _ in 0..self.churn {
            let Some((task, worker)) = self.running.pop_front() else { break };
            self.engine.push(Command::TaskCompleted { task, worker, duration_ns: 1_000_000 }).expect("inbox has room");
        }
        self.tick();
    }

    /// Queues `churn` submissions for the next tick.
    pub fn submit_churn(&mut self) {
        self.submit(self.churn as u64);
    }

    /// Queues a heartbeat with a utilization report from `count` workers, in turn.
    pub fn heartbeats(&mut self, count: usize) {
        let workers: Vec<WorkerId> = self.engine.view().workers().map(|worker| worker.worker.id).collect();
        for index in 0..count {
            let worker = workers[(self.next_task as usize + index) % workers.len()];
            let busy = (index % 100) as f32 / 100.0;
            let utilization = UtilizationReport { cpu: busy, memory: busy, gpu: 0.0, heat: None };
            self.engine.push(Command::Heartbeat { worker, utilization: Some(utilization) }).expect("inbox has room");
        }
        self.next_task += count as u64;
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// [`SteadyState::prepare`] then [`SteadyState::tick_once`].
    pub fn step(&mut self) -> u64 {
        self.prepare();
        self.tick_once()
    }
}

//! The fixture language most tests use: a few lines of text drive an engine like a coordinator would,
//! and the events it answers with are rendered as text and compared with what is expected.
//!
//! ```text
//! worker w0 cpu slots=1 mem=4096          # register
//! task t0 hw=cuda gpu=1                    # submit (queued until the next tick)
//! tick 10                                  # tick at 10 ms and render the events
//! start t0 w0 | complete t0 w0 | fail t0 w0 [retry] | cancel t0
//! heartbeat w0 | drain w0 | remove w0
//! explain t0                               # the explanation's one-line form
//! policy composite                         # first line only: the policy (default resource-aware)
//! ```
//! Task options: `hw=a|b browsers=a|b mem= cpu= gpu=N gpu_milli= gpu_mem= gpu_models=a|b prio= model=
//! key= timeout= attempts= tags=a|b type=`. Worker options: `slots= cpu= mem= gpus=NxMiB[:model]
//! browsers=a|b tags=a|b` after the hardware kinds (comma-separated).

use ballast::prelude::*;
use ballast_components::capability::Browser;

/// Runs `input` and returns the rendered events and explanations, one per line. The engine uses the
/// `resource-aware` policy unless the first line says `policy NAME`: most fixtures test mechanics, and
/// least-loaded placement makes their expected output easy to read.
pub fn run(input: &str) -> String {
    let first = input.lines().next().unwrap_or_default().trim();
    let policy = match first.strip_prefix("policy ") {
        Some(name) => PolicyName::parse(name.trim()).unwrap_or_else(|| panic!("unknown policy {name}")),
        None => PolicyName::ResourceAware,
    };
    run_with(EngineConfig { policy, ..EngineConfig::default() }, input)
}

/// Runs `input` on an engine with `config`.
pub fn run_with(config: EngineConfig, input: &str) -> String {
    let mut engine = Engine::new(config).expect("valid config");
    let mut output = Vec::new();
    for (number, line) in input.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let fail = |what: &str| -> ! { panic!("fixture line {}: {what}: `{line}`", number + 1) };
        let command = match words[0] {
            "policy" if number == 0 => continue,
            "worker" => Command::RegisterWorker(worker(&words)),
            "task" => Command::SubmitTask(task(&words)),
            "heartbeat" => Command::Heartbeat { worker: worker_id(words[1]), utilization: None },
            "drain" => Command::DrainWorker { worker: worker_id(words[1]) },
            "remove" => Command::RemoveWorker { worker: worker_id(words[1]) },
            "cancel" => Command::CancelTask { task: task_id(words[1]) },
            "start" => Command::TaskStarted { task: task_id(words[1]), worker: worker_id(words[2]) },
            "complete" => Command::TaskCompleted {
                task: task_id(words[1]),
                worker: worker_id(words[2]),
                duration_ns: words.get(3).map_or(1_000_000, |ms| ms.parse::<u64>().expect("ms") * 1_000_000),
            },
            "fail" => Command::TaskFailed {
                task: task_id(words[1]),
                worker: worker_id(words[2]),
                reason: "test failed".to_owned(),
                retryable: words.get(3) == Some(&"retry"),
            },
            "tick" => {
                let ms: u64 = words[1].parse().unwrap_or_else(|_| fail("tick needs milliseconds"));
                engine.tick(Timestamp::from_millis(ms)).unwrap_or_else(|error| fail(&error.to_string()));
                output.extend(engine.events().iter().filter_map(render));
                continue;
            }
            "explain" => {
                match engine.explain(task_id(words[1])) {
                    Ok(explanation) => output.push(explanation.to_string()),
                    Err(error) => output.push(error.to_string()),
                }
                continue;
            }
            _ => fail("unknown directive"),
        };
        engine.push(command).unwrap_or_else(|error| fail(&error.to_string()));
    }
    output.join("\n")
}

/// Asserts that `input` renders exactly `expected` (both trimmed line by line).
#[track_caller]
pub fn check(input: &str, expected: &str) {
    let actual = run(input);
    let expected: Vec<&str> = expected.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    assert_eq!(actual, expected.join("\n"), "\n--- input ---\n{input}\n--- actual ---\n{actual}\n");
}

/// One event as a line; registrations and acceptances are left out as noise.
pub fn render(event: &Event) -> Option<String> {
    Some(match event {
        Event::WorkerRegistered { .. } | Event::TaskAccepted { .. } => return None,
        Event::WorkerHealthChanged { worker, to, .. } => format!("{worker} {}", to.name()),
        Event::WorkerDraining { worker } => format!("{worker} draining"),
        Event::WorkerQuarantined { worker, failure_permille, .. } => {
            format!("{worker} quarantined at {failure_permille} per mille")
        }
        Event::WorkerQuarantineEnded { worker } => format!("{worker} back from quarantine"),
        Event::WorkerRemoved { worker, reason, tasks_released } => {
            format!("{worker} removed ({reason:?}), {tasks_released} tasks released")
        }
        Event::TaskAssigned { task, worker, attempt: 1 } => format!("{task} -> {worker}"),
        Event::TaskAssigned { task, worker, attempt } => format!("{task} -> {worker} (attempt {attempt})"),
        Event::TaskRequeued { task, worker, reason } => format!("{task} requeued from {worker}: {reason:?}"),
        Event::TaskCompleted { task, worker, .. } => format!("{task} completed on {worker}"),
        Event::TaskFailed { task, reason, .. } => format!("{task} failed: {reason}"),
        Event::TaskCancelled { task, worker: Some(worker) } => format!("{task} cancelled on {worker}"),
        Event::TaskCancelled { task, worker: None } => format!("{task} cancelled"),
        Event::TaskUnschedulable { explanation, .. } => explanation.to_string(),
        Event::CommandRejected { command, error } => format!("rejected {command:?}: {error}"),
        other => format!("{other:?}"),
    })
}

pub fn worker_id(word: &str) -> WorkerId {
    WorkerId(word.trim_start_matches('w').parse().expect("worker ids look like w7"))
}

pub fn task_id(word: &str) -> TaskId {
    TaskId(word.trim_start_matches('t').parse().expect("task ids look like t7"))
}

fn options<'a>(words: &[&'a str]) -> impl Iterator<Item = (&'a str, &'a str)> {
    words.iter().filter_map(|word| word.split_once('=')).collect::<Vec<_>>().into_iter()
}

fn hardware(list: &str) -> HardwareSet {
    HardwareSet::of(
        &list.split([',', '|']).map(|name| HardwareKind::parse(name).expect("hardware kind")).collect::<Vec<_>>(),
    )
}

fn browsers(list: &str) -> BrowserSet {
    BrowserSet::of(&list.split('|').map(|name| Browser::parse(name).expect("browser")).collect::<Vec<_>>())
}

fn names(list: &str) -> Vec<String> {
    list.split('|').map(str::to_owned).collect()
}

fn worker(words: &[&str]) -> WorkerSpec {
    let mut spec = WorkerSpec {
        id: worker_id(words[1]),
        hardware: hardware(words[2]),
        cpu_milli: 8_000,
        memory_mib: 16_384,
        slots: 1,
        ..WorkerSpec::default()
    };
    for (key, value) in options(words) {
        match key {
            "slots" => spec.slots = value.parse().expect("slots"),
            "cpu" => spec.cpu_milli = value.parse().expect("cpu"),
            "mem" => spec.memory_mib = value.parse().expect("mem"),
            "browsers" => spec.browsers = browsers(value),
            "tags" => spec.tags = names(value),
            "gpus" => {
                let (shape, model) = value.split_once(':').map_or((value, None), |(shape, model)| (shape, Some(model)));
                let (count, memory) = shape.split_once('x').expect("gpus=NxMiB");
                let memory_mib = memory.parse().expect("gpu memory");
                spec.gpus = (0..count.parse::<usize>().expect("gpu count"))
                    .map(|_| GpuSpec { model: model.map(str::to_owned), memory_mib })
                    .collect();
            }
            other => panic!("unknown worker option {other}"),
        }
    }
    spec
}

fn task(words: &[&str]) -> TaskSpec {
    let mut spec = TaskSpec::new(task_id(words[1]));
    for (key, value) in options(words) {
        let requirements = &mut spec.requirements;
        match key {
            "hw" => requirements.hardware_any = hardware(value),
            "browsers" => requirements.browsers_any = browsers(value),
            "mem" => requirements.memory_mib = value.parse().expect("mem"),
            "cpu" => requirements.cpu_milli = value.parse().expect("cpu"),
            "gpu" => requirements.gpu = GpuDemand::whole(value.parse().expect("gpu")),
            "gpu_milli" => requirements.gpu.milli = value.parse().expect("gpu_milli"),
            "gpu_mem" => requirements.gpu.memory_mib = value.parse().expect("gpu_mem"),
            "gpu_models" => requirements.gpu_models = names(value),
            "tags" => requirements.tags = names(value),
            "prio" => spec.priority = value.parse().expect("prio"),
            "model" => spec.model_id = Some(value.to_owned()),
            "key" => spec.concurrency_key = Some(value.to_owned()),
            "timeout" => spec.timeout_ms = Some(value.parse().expect("timeout")),
            "attempts" => spec.attempts_max = Some(value.parse().expect("attempts")),
            "type" => spec.test_type = TestType::parse(value).expect("test type"),
            other => panic!("unknown task option {other}"),
        }
    }
    spec
}

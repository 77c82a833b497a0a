//! Workload generators: the worker pools and task mixes of each scenario, and the ground truth the
//! simulator uses (how fast each worker really runs each task, how often attempts fail).
//!
//! Ground truth lives here only. The engine sees what a coordinator would send: capabilities,
//! requirements, model ids and reported outcomes, never these speeds.

use std::fmt;

use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::LogNormal;
use rand_pcg::Pcg64Mcg;

use ballast_components::capability::{Browser, BrowserSet, HardwareKind, HardwareSet};
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::ids::{TaskId, WorkerId};
use ballast_components::message::{GpuSpec, RequirementSpec, TaskSpec, WorkerSpec};
use ballast_components::requirements::GpuDemand;

/// A simulated workload and pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A heterogeneous pool (CPU, CUDA, ROCm, MPS, OpenVINO, QNN and browser hosts) and a mix of model
    /// families and requirements, arriving in test-suite batches at about 85% of capacity.
    #[default]
    Default,
    /// The worker and test mix of the original system's stress test (memory 4/8/16/32 GB, 0/1/2/4 GPUs;
    /// tests 0.5–8 GB, GPU counts 0,0,0,1,1,2, priorities 1,2,2,3,3,3,4,4,5), for row-by-row comparison.
    Original,
}

impl Scenario {
    /// Every scenario, in the order `ballast scenarios` lists them.
    pub const ALL: [Scenario; 2] = [Scenario::Default, Scenario::Original];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Default => "default",
            Scenario::Original => "original",
        }
    }

    /// A one-line description.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::Default => {
                "heterogeneous CPU/GPU/NPU/browser pool, mixed model families, suite batches at 85% load"
            }
            Scenario::Original => {
                "the original system's stress mix: 4-32 GB workers with 0-4 GPUs, 0.5-8 GB tests, priorities 1-5"
            }
        }
    }

    /// Parses a stable name.
    pub fn parse(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|scenario| scenario.name() == name)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Ground-truth speed of each hardware kind per family, against a reference CPU (1.0).
/// The per-kind baselines are the original system's hardware profiles (CPU 1, CUDA 3, ROCm 2.8,
/// MPS 2.5, OpenVINO 1.8, QNN 1.4, WebNN 1, WebGPU 1.2), scaled per family by how much each family
/// gains from an accelerator (generation most, embeddings least; audio does well on NPUs).
const SPEED: [[f64; HardwareKind::COUNT]; ModelFamily::COUNT] = [
    //  cpu  cuda rocm  mps  openvino qnn webnn webgpu
    [1.0, 3.0, 2.8, 2.5, 1.8, 1.4, 1.0, 1.2],  // unknown
    [1.0, 4.0, 3.5, 3.0, 2.5, 2.0, 1.2, 1.5],  // text-embedding
    [1.0, 8.0, 7.0, 5.0, 2.0, 1.5, 1.0, 2.0],  // text-generation
    [1.0, 5.0, 4.5, 3.5, 2.0, 1.5, 1.0, 1.5],  // text-to-text
    [1.0, 6.0, 5.0, 4.0, 3.0, 2.5, 1.5, 2.5],  // vision
    [1.0, 10.0, 8.0, 5.0, 2.0, 1.0, 1.0, 2.0], // vision-generation
    [1.0, 4.0, 3.5, 3.0, 2.5, 3.0, 1.2, 1.5],  // audio
    [1.0, 7.0, 6.0, 4.0, 2.0, 1.5, 1.0, 2.0],  // multimodal
];

/// A simulated worker: what it registers as, and how fast it really is.
#[derive(Clone, Debug)]
pub struct SimWorker {
    /// The registration.
    pub spec: WorkerSpec,
    /// A per-machine speed factor (clock, memory bandwidth, age), around 1.
    pub machine_speed: f64,
    /// Whether every task runs at speed 1 whatever its hardware (the original scenario's model).
    pub uniform_speed: bool,
}

impl SimWorker {
    /// How fast this worker runs a task of `family` that may use `allowed` kinds (empty: any).
    pub fn speed(&self, family: ModelFamily, allowed: HardwareSet) -> f64 {
        if self.uniform_speed {
            return self.machine_speed;
        }
        let usable =
            if allowed.is_empty() { self.spec.hardware } else { HardwareSet(allowed.0 & self.spec.hardware.0) };
        let best = usable.iter().map(|kind| SPEED[family.index()][kind.index()]).fold(0.0, f64::max);
        best.max(f64::MIN_POSITIVE) * self.machine_speed
    }
}

/// A simulated task: its submission and its ground truth.
#[derive(Clone, Debug)]
pub struct SimTaskSpec {
    /// The submission.
    pub spec: TaskSpec,
    /// Its family (ground truth; the engine derives its own from the model id).
    pub family: ModelFamily,
    /// Its work, in seconds on a reference CPU.
    pub work_seconds: f64,
}

/// Per-attempt failure probabilities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FailureRates {
    /// An attempt fails with an infrastructure error (retryable).
    pub retryable: f64,
    /// An attempt fails with a test failure (not retryable).
    pub permanent: f64,
}

/// Model ids per family, used to fill submissions (real ids; the engine analyses them).
const MODELS: [(ModelFamily, &[&str]); 7] = [
    (
        ModelFamily::TextEmbedding,
        &[
            "bert-base-uncased",
            "sentence-transformers/all-MiniLM-L6-v2",
            "BAAI/bge-small-en-v1.5",
            "intfloat/e5-large-v2",
        ],
    ),
    (
        ModelFamily::TextGeneration,
        &["gpt2", "meta-llama/Llama-2-7b-hf", "Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-v0.1"],
    ),
    (ModelFamily::TextToText, &["t5-small", "google/flan-t5-base", "facebook/bart-large-cnn"]),
    (ModelFamily::Vision, &["google/vit-base-patch16-224", "microsoft/resnet-50", "facebook/detr-resnet-50"]),
    (ModelFamily::VisionGeneration, &["stabilityai/stable-diffusion-xl-base-1.0", "runwayml/stable-diffusion-v1-5"]),
    (ModelFamily::Audio, &["openai/whisper-tiny", "facebook/wav2vec2-base-960h", "microsoft/speecht5_tts"]),
    (
        ModelFamily::Multimodal,
        &["openai/clip-vit-base-patch32", "llava-hf/llava-1.5-7b-hf", "Salesforce/blip-image-captioning-base"],
    ),
];

fn model_of(family: ModelFamily, rng: &mut Pcg64Mcg) -> Option<String> {
    let models = MODELS.iter().find(|(candidate, _)| *candidate == family)?.1;
    Some(models[rng.random_range(0..models.len())].to_owned())
}

fn pick<T: Copy>(rng: &mut Pcg64Mcg, values: &[T]) -> T {
    values[rng.random_range(0..values.len())]
}

/// Picks an index by weight.
fn weighted(rng: &mut Pcg64Mcg, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut draw = rng.random_range(0..total);
    for (index, &weight) in weights.iter().enumerate() {
        if draw < weight {
            return index;
        }
        draw -= weight;
    }
    unreachable!("the draw is below the total weight")
}

const GIB: u64 = 1024;

/// Generates `count` workers of `scenario`.
pub fn generate_workers(scenario: Scenario, count: u32, rng: &mut Pcg64Mcg) -> Vec<SimWorker> {
    let machine = LogNormal::new(0.0, 0.15).expect("valid lognormal");
    (0..count)
        .map(|index| {
            let id = WorkerId(u64::from(index));
            match scenario {
                Scenario::Default => {
                    let machine_speed = machine.sample(rng);
                    default_worker(id, rng, machine_speed)
                }
                Scenario::Original => original_worker(id, rng),
            }
        })
        .collect()
}

fn gpus(count: usize, model: &str, memory_mib: u64) -> Vec<GpuSpec> {
    (0..count).map(|_| GpuSpec { model: Some(model.to_owned()), memory_mib }).collect()
}

fn default_worker(id: WorkerId, rng: &mut Pcg64Mcg, machine_speed: f64) -> SimWorker {
    use HardwareKind::*;
    // Pool mix: CPU boxes, CUDA, ROCm, MPS, OpenVINO, QNN, browser hosts.
    let kind = weighted(rng, &[40, 20, 5, 5, 10, 5, 15]);
    let cores: u32 = pick(rng, &[8, 16, 32, 64]);
    let mut spec = WorkerSpec {
        id,
        cpu_milli: cores * 1000,
        memory_mib: pick(rng, &[16, 32, 64, 128]) * GIB,
        slots: (cores / 4).clamp(2, 8),
        ..WorkerSpec::default()
    };
    match kind {
        0 => spec.hardware = HardwareSet::of(&[Cpu]),
        1 => {
            let (model, memory) =
                pick(rng, &[("T4", 16 * GIB), ("A10", 24 * GIB), ("V100M32", 32 * GIB), ("A100", 80 * GIB)]);
            let count = pick(rng, &[1usize, 2, 4, 8]);
            spec.hardware = HardwareSet::of(&[Cpu, Cuda]);
            spec.gpus = gpus(count, model, memory);
            spec.memory_mib = pick(rng, &[128, 256, 512]) * GIB;
            spec.slots = (count as u32 * 2).max(spec.slots);
        }
        2 => {
            let count = pick(rng, &[1usize, 2, 4]);
            spec.hardware = HardwareSet::of(&[Cpu, Rocm]);
            spec.gpus = gpus(count, "MI250", 64 * GIB);
            spec.memory_mib = 256 * GIB;
            spec.slots = (count as u32 * 2).max(spec.slots);
        }
        3 => {
            spec.hardware = HardwareSet::of(&[Cpu, Mps]);
            spec.gpus = gpus(1, "M2", 32 * GIB);
            spec.memory_mib = 32 * GIB;
            spec.slots = 2;
        }
        4 => {
            spec.hardware = HardwareSet::of(&[Cpu, Openvino]);
            spec.slots = 4;
        }
        5 => {
            spec.hardware = HardwareSet::of(&[Cpu, Qnn]);
            spec.memory_mib = 16 * GIB;
            spec.slots = 2;
        }
        _ => {
            spec.hardware = HardwareSet::of(&[Cpu, Webgpu, Webnn]);
            let mut browsers = BrowserSet::of(&[Browser::Chrome]);
            for browser in [Browser::Edge, Browser::Firefox, Browser::Safari] {
                if rng.random_bool(0.5) {
                    browsers = browsers.with(browser);
                }
            }
            spec.browsers = browsers;
            spec.slots = pick(rng, &[2, 3, 4]);
        }
    }
    SimWorker { spec, machine_speed, uniform_speed: false }
}

fn original_worker(id: WorkerId, rng: &mut Pcg64Mcg) -> SimWorker {
    // Memory 4/8/16/32 GB of which 90% is available; 0/1/2/4 CUDA devices; 4 cores.
    let memory_gb: u64 = pick(rng, &[4, 8, 16, 32]);
    let gpu_count = pick(rng, &[0usize, 1, 2, 4]);
    let mut hardware = HardwareSet::of(&[HardwareKind::Cpu]);
    if gpu_count > 0 {
        hardware = hardware.with(HardwareKind::Cuda);
    }
    let spec = WorkerSpec {
        id,
        hardware,
        cpu_milli: 4_000,
        memory_mib: memory_gb * GIB * 9 / 10,
        slots: 4,
        gpus: gpus(gpu_count, "GPU", 16 * GIB),
        ..WorkerSpec::default()
    };
    SimWorker { spec, machine_speed: 1.0, uniform_speed: true }
}

/// A task template of the default mix: family, test type, allowed hardware, GPU and browser needs.
struct Template {
    weight: u32,
    family: ModelFamily,
    test_type: TestType,
    hardware_any: &'static [HardwareKind],
    gpu: GpuDemand,
    web: bool,
}

const DEFAULT_TEMPLATES: [Template; 9] = {
    use HardwareKind::*;
    const NO_GPU: GpuDemand = GpuDemand::NONE;
    const ONE_GPU: GpuDemand = GpuDemand { count: 1, milli: 1000, memory_mib: 0 };
    const BIG_GPU: GpuDemand = GpuDemand { count: 1, milli: 1000, memory_mib: 20 * 1024 };
    [
        Template {
            weight: 25,
            family: ModelFamily::TextEmbedding,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 10,
            family: ModelFamily::TextGeneration,
            test_type: TestType::Inference,
            hardware_any: &[Cuda, Rocm, Mps],
            gpu: BIG_GPU,
            web: false,
        },
        Template {
            weight: 8,
            family: ModelFamily::TextToText,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 15,
            family: ModelFamily::Vision,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 7,
            family: ModelFamily::Vision,
            test_type: TestType::Training,
            hardware_any: &[Cuda, Rocm],
            gpu: ONE_GPU,
            web: false,
        },
        Template {
            weight: 5,
            family: ModelFamily::VisionGeneration,
            test_type: TestType::Inference,
            hardware_any: &[Cuda],
            gpu: BIG_GPU,
            web: false,
        },
        Template {
            weight: 10,
            family: ModelFamily::Audio,
            test_type: TestType::Inference,
            hardware_any: &[],
            gpu: NO_GPU,
            web: false,
        },
        Template {
            weight: 5,
            family: ModelFamily::Multimodal,
            test_type: TestType::Inference,
            hardware_any: &[Cuda, Rocm],
            gpu: ONE_GPU,
            web: false,
        },
        Template {
            weight: 15,
            family: ModelFamily::Vision,
            test_type: TestType::Web,
            hardware_any: &[Webgpu, Webnn],
            gpu: NO_GPU,
            web: true,
        },
    ]
};

/// Generates one task of `scenario`.
pub fn generate_task(scenario: Scenario, id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    match scenario {
        Scenario::Default => default_task(id, rng),
        Scenario::Original => original_task(id, rng),
    }
}

fn default_task(id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    let weights: Vec<u32> = DEFAULT_TEMPLATES.iter().map(|template| template.weight).collect();
    let template = &DEFAULT_TEMPLATES[weighted(rng, &weights)];
    let mut family = template.family;
    if template.web {
        family = pick(rng, &[ModelFamily::Vision, ModelFamily::TextEmbedding, ModelFamily::Audio]);
    }
    let mut requirements = RequirementSpec {
        hardware_any: HardwareSet::of(template.hardware_any),
        memory_mib: pick(rng, &[512, 1024, 2048, 4096, 8192]),
        gpu: template.gpu,
        ..RequirementSpec::default()
    };
    if template.web {
        requirements.browsers_any = pick(
            rng,
            &[
                BrowserSet::of(&[Browser::Chrome]),
                BrowserSet::of(&[Browser::Chrome, Browser::Edge]),
                BrowserSet::of(&[Browser::Firefox]),
                BrowserSet::of(&[Browser::Safari]),
            ],
        );
    }
    let mut spec = TaskSpec::new(id);
    spec.priority = pick(rng, &[2, 3, 4, 4, 5, 5, 5, 6, 6, 7, 8]);
    spec.model_id = model_of(family, rng);
    spec.test_type = template.test_type;
    spec.requirements = requirements;
    // Work on a reference CPU: the family prior times the test-type factor, with a heavy-ish spread.
    let mean_seconds =
        family.prior_duration_ms() as f64 / 1000.0 * template.test_type.duration_factor_percent() as f64 / 100.0;
    let spread = LogNormal::new(-0.125, 0.5).expect("valid lognormal");
    SimTaskSpec { spec, family, work_seconds: mean_seconds * spread.sample(rng) }
}

fn original_task(id: TaskId, rng: &mut Pcg64Mcg) -> SimTaskSpec {
    let mut spec = TaskSpec::new(id);
    // The original's priorities run 1 (most urgent) to 5; Ballast's run 0 to 9, most urgent highest.
    let original_priority: u8 = pick(rng, &[1, 2, 2, 3, 3, 3, 4, 4, 5]);
    spec.priority = 10 - 2 * original_priority;
    spec.test_type = TestType::Unit;
    spec.requirements.memory_mib = pick(rng, &[512, 1024, 2048, 4096, 8192]);
    let gpu_count = pick(rng, &[0u8, 0, 0, 1, 1, 2]);
    if gpu_count > 0 {
        spec.requirements.gpu = GpuDemand::whole(gpu_count);
        spec.requirements.hardware_any = HardwareSet::of(&[HardwareKind::Cuda]);
    }
    // The original's tests all expected 10 s.
    let spread = LogNormal::new(-0.045, 0.3).expect("valid lognormal");
    SimTaskSpec { spec, family: ModelFamily::Unknown, work_seconds: 10.0 * spread.sample(rng) }
}

/// Failure rates of a scenario's attempts.
pub fn failure_rates(scenario: Scenario) -> FailureRates {
    match scenario {
        // A guess at a healthy CI fleet: 1% infrastructure errors, 0.3% real test failures.
        Scenario::Default => FailureRates { retryable: 0.01, permanent: 0.003 },
        Scenario::Original => FailureRates { retryable: 0.0, permanent: 0.0 },
    }
}

/// Tasks per submitted batch (a test suite), drawn uniformly from this range.
pub fn batch_len_range(scenario: Scenario) -> (u64, u64) {
    match scenario {
        Scenario::Default => (50, 1_000),
        Scenario::Original => (10, 50),
    }
}

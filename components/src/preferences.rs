//! Preference tables that analysis and the scorers read, per model family: which hardware a family
//! runs best on, which browsers run it best in web-platform tests, and how many inputs a test batches
//! at once for a worker's memory. The hardware order comes from the prior speeds, which history
//! replaces as soon as runs complete.
//!
//! The tables the scorers read, the prior speeds and the prior run times, are [`Priors`], part of the
//! engine config (`priors` in a `--config` file overrides any entry); the defaults are the model
//! catalogue's (`components/data/models.toml`, [`crate::catalogue`]).

use crate::capability::{Browser, HardwareKind};
pub use crate::catalogue::Priors;
use crate::family::ModelFamily;

/// How well each browser exposes the two web ML backends, 0 (absent) to 1 (shipped and enabled by
/// default), late 2025: WebGPU ships in Chrome and Edge (since 113), Safari (26) and Firefox (141, on
/// Windows first: 0.7); WebNN is behind a flag or origin trial in Chrome and Edge (0.5, Edge's DirectML
/// path a little further: 0.6) and absent from Firefox and Safari.
pub const BROWSER_BACKENDS: [(Browser, f32, f32); Browser::COUNT] = [
    // browser          webgpu webnn
    (Browser::Chrome, 1.0, 0.5),
    (Browser::Firefox, 0.7, 0.0),
    (Browser::Edge, 1.0, 0.6),
    (Browser::Safari, 0.9, 0.0),
];

/// The native hardware kinds (not the browser backends, see [`browser_scores`]) a family runs on,
/// fastest first, with their prior speed against a CPU.
pub fn preferred_hardware(priors: &Priors, family: ModelFamily) -> Vec<(HardwareKind, f32)> {
    let native = HardwareKind::ALL.iter().filter(|kind| !matches!(kind, HardwareKind::Webnn | HardwareKind::Webgpu));
    let mut kinds: Vec<(HardwareKind, f32)> = native.map(|&kind| (kind, priors.speed(family, kind))).collect();
    // Stable: equal speeds keep the table's order (cpu, cuda, rocm, mps, openvino, qnn).
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
    kinds
}

/// How well each web backend fits a family's models, 0 to 1, as (WebGPU, WebNN): WebGPU runs any
/// model its shaders can express; WebNN's operator set covers the common encoder, convolution and
/// speech graphs (and reaches NPUs), but not yet the dynamic shapes and custom kernels of
/// autoregressive generation, diffusion schedulers and large vision-language models.
pub const WEB_BACKEND_FIT: [(f32, f32); ModelFamily::COUNT] = [
    (1.0, 0.5), // unknown
    (1.0, 1.0), // text-embedding
    (1.0, 0.3), // text-generation
    (1.0, 0.6), // text-to-text
    (1.0, 1.0), // vision
    (1.0, 0.2), // vision-generation
    (1.0, 0.8), // audio
    (1.0, 0.4), // multimodal
];

/// How well each browser runs a web-platform test of `family`, 0 to 1: the better of its backends,
/// each its support level times the backend's fit for the family ([`WEB_BACKEND_FIT`]) times its prior
/// speed, over the best browser's.
pub fn browser_scores(priors: &Priors, family: ModelFamily) -> [(Browser, f32); Browser::COUNT] {
    let (fit_gpu, fit_nn) = WEB_BACKEND_FIT[family.index()];
    let webgpu = priors.speed(family, HardwareKind::Webgpu) * fit_gpu;
    let webnn = priors.speed(family, HardwareKind::Webnn) * fit_nn;
    let raw = BROWSER_BACKENDS.map(|(browser, gpu, nn)| (browser, (gpu * webgpu).max(nn * webnn)));
    let best = raw.iter().map(|(_, score)| *score).fold(f32::MIN_POSITIVE, f32::max);
    raw.map(|(browser, score)| (browser, score / best))
}

/// Inputs per batch of a family's test on a worker with 16 GiB for it: small encoders batch widely,
/// generation and diffusion models hardly at all (their activations, and for diffusion the latents at
/// full resolution, dominate memory).
pub fn batch_size_at_16_gib(family: ModelFamily) -> u32 {
    match family {
        ModelFamily::TextEmbedding => 64,
        ModelFamily::Vision => 32,
        ModelFamily::Audio | ModelFamily::TextToText | ModelFamily::Unknown => 8,
        ModelFamily::Multimodal => 4,
        ModelFamily::TextGeneration => 2,
        ModelFamily::VisionGeneration => 1,
    }
}

/// Inputs per batch of a family's test with `memory_mib` for it: the 16 GiB size scaled with memory,
/// rounded down to a power of two, from 1 to 256.
pub fn batch_size(family: ModelFamily, memory_mib: u64) -> u32 {
    let scaled = u64::from(batch_size_at_16_gib(family)) * memory_mib / 16_384;
    let clamped = scaled.clamp(1, 256);
    1 << clamped.ilog2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vision_prefers_gpus_and_embeddings_batch_widely() {
        let vision = preferred_hardware(&Priors::default(), ModelFamily::Vision);
        assert_eq!(vision[0].0, HardwareKind::Cuda);
        assert_eq!(vision.last().map(|(kind, _)| *kind), Some(HardwareKind::Cpu));
        assert_eq!(batch_size(ModelFamily::TextEmbedding, 16_384), 64);
        assert_eq!(batch_size(ModelFamily::TextEmbedding, 4_096), 16);
        assert_eq!(batch_size(ModelFamily::VisionGeneration, 4_096), 1);
        assert_eq!(batch_size(ModelFamily::Vision, 1 << 30), 256);
        let browsers = browser_scores(&Priors::default(), ModelFamily::Vision);
        assert!(browsers.iter().all(|(_, score)| (0.0..=1.0).contains(score)));
        assert_eq!(browsers.iter().find(|(browser, _)| *browser == Browser::Chrome).map(|(_, s)| *s), Some(1.0));
    }
}

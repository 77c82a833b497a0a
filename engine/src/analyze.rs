//! `ballast analyze`: what task analysis derives from a model id, as one JSON object per id.

use serde::Serialize;

use ballast_components::capability::HardwareKind;
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::preferences::{Priors, batch_size, batch_size_at_16_gib, browser_scores, preferred_hardware};
use ballast_systems::analysis::{detect_family, detect_task, prior_duration_ns};

/// The longest id analysed (the engine's default `symbol_len_max`).
pub const MODEL_ID_LEN_MAX: usize = 512;

/// A hardware kind and its prior speed against a CPU.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HardwareScore {
    /// The kind.
    pub hardware: &'static str,
    /// Prior speed against a CPU (1.0).
    pub speed: f64,
}

/// What analysis derives from one model id.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelAnalysis {
    /// The id.
    pub model_id: String,
    /// The detected family.
    pub family: &'static str,
    /// The finer task, when the id says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<&'static str>,
    /// Native hardware, fastest first.
    pub preferred_hardware: Vec<HardwareScore>,
    /// Parameters, in billions, when the id states them (`7b`, `1.5B`, `70m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters_billions: Option<f64>,
    /// Whether the model needs a GPU or an NPU (image generation, or 3 billion parameters and more).
    pub needs_accelerator: bool,
    /// Device memory to hold the weights in 16-bit precision with 20% headroom, in MiB, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_memory_mib: Option<u64>,
    /// For web-platform tests, each browser's score, 0 to 1.
    pub browser_scores: std::collections::BTreeMap<&'static str, f64>,
    /// Inputs per batch with 16 GiB for the test.
    pub batch_size: u32,
    /// Inputs per batch with 4 GiB.
    pub batch_size_4_gib: u32,
    /// The run-time prior of one inference test on a reference CPU worker, in seconds.
    pub prior_run_seconds: f64,
}

/// Why an id was not analysed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnalyzeError {
    /// Empty (or only spaces).
    #[error("the model id is empty")]
    Empty,
    /// Longer than [`MODEL_ID_LEN_MAX`].
    #[error("the model id is {0} bytes long, over {MODEL_ID_LEN_MAX}")]
    TooLong(usize),
}

/// The parameter count an id states, in billions: the last token of digits (with one optional decimal
/// point) followed by `b` or `m` (`Llama-2-7b-hf` → 7, `Qwen2.5-0.5B` → 0.5, `SmolLM-135M` → 0.135).
pub fn parameters_billions(model_id: &str) -> Option<f64> {
    let lower = model_id.to_ascii_lowercase();
    let mut found = None;
    for token in lower.split(|character: char| !(character.is_ascii_alphanumeric() || character == '.')) {
        let (number, unit) = token.split_at(token.len().saturating_sub(1));
        let scale = match unit {
            "b" => 1.0,
            "m" => 1e-3,
            _ => continue,
        };
        if number.is_empty() || number.len() > 8 || !number.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.') {
            continue;
        }
        if let Ok(value) = number.parse::<f64>()
            && value > 0.0
        {
            found = Some(value * scale);
        }
    }
    found
}

/// A table value to three decimals (the tables hold no more), without `f32`'s binary tail.
fn rounded(value: f32) -> f64 {
    (f64::from(value) * 1000.0).round() / 1000.0
}

/// Analyses one model id with the default tables.
pub fn analyze(model_id: &str) -> Result<ModelAnalysis, AnalyzeError> {
    analyze_with(&Priors::default(), model_id)
}

/// Analyses one model id with the prior tables of an engine config.
pub fn analyze_with(priors: &Priors, model_id: &str) -> Result<ModelAnalysis, AnalyzeError> {
    let trimmed = model_id.trim();
    if trimmed.is_empty() {
        return Err(AnalyzeError::Empty);
    }
    if trimmed.len() > MODEL_ID_LEN_MAX {
        return Err(AnalyzeError::TooLong(trimmed.len()));
    }
    let family = detect_family(trimmed);
    let parameters = parameters_billions(trimmed);
    let needs_accelerator =
        family == ModelFamily::VisionGeneration || parameters.is_some_and(|billions| billions >= 3.0);
    Ok(ModelAnalysis {
        model_id: trimmed.to_owned(),
        family: family.name(),
        task: detect_task(trimmed),
        preferred_hardware: preferred_hardware(priors, family)
            .into_iter()
            .filter(|(kind, _)| !needs_accelerator || *kind != HardwareKind::Cpu)
            .map(|(kind, speed)| HardwareScore { hardware: kind.name(), speed: rounded(speed) })
            .collect(),
        parameters_billions: parameters,
        needs_accelerator,
        gpu_memory_mib: parameters.map(|billions| (billions * 2.0 * 1.2 * 1024.0).ceil() as u64),
        browser_scores: browser_scores(priors, family)
            .into_iter()
            .map(|(browser, score)| (browser.name(), rounded(score)))
            .collect(),
        batch_size: batch_size_at_16_gib(family),
        batch_size_4_gib: batch_size(family, 4_096),
        prior_run_seconds: prior_duration_ns(priors, family, TestType::Inference) as f64 / 1e9,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_from_ids() {
        assert_eq!(parameters_billions("meta-llama/Llama-2-7b-hf"), Some(7.0));
        assert_eq!(parameters_billions("Qwen/Qwen2.5-0.5B-Instruct"), Some(0.5));
        assert_eq!(parameters_billions("HuggingFaceTB/SmolLM-135M"), Some(0.135));
        assert_eq!(parameters_billions("bert-base-uncased"), None);
        assert_eq!(parameters_billions("b"), None);
    }

    #[test]
    fn analyses_and_refusals() {
        let llama = analyze("meta-llama/Llama-2-70b-chat-hf").unwrap();
        assert_eq!((llama.family, llama.needs_accelerator), ("text-generation", true));
        assert!(llama.preferred_hardware.iter().all(|score| score.hardware != "cpu"));
        assert_eq!(llama.gpu_memory_mib, Some(172_032));
        let bert = analyze("  bert-base-uncased ").unwrap();
        assert_eq!(
            (bert.model_id.as_str(), bert.family, bert.needs_accelerator),
            ("bert-base-uncased", "text-embedding", false)
        );
        assert_eq!(bert.batch_size, 64);
        assert_eq!(analyze("   "), Err(AnalyzeError::Empty));
        assert_eq!(analyze(&"x".repeat(600)), Err(AnalyzeError::TooLong(600)));
        assert_eq!(analyze("модель/бэрт").unwrap().family, "unknown");
    }
}

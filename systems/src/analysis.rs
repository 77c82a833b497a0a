//! Stage 3, analyze: derives each admitted task's profile (model family, predicted run time).
//!
//! Reads: [`TaskWork::admitted`], [`Task`], [`Symbols`]. Writes: [`TaskProfile`].
//! A first version: family detection from model-id tokens, run-time priors per family and test type.
//! Results are cached per model id, so analysis costs one hash lookup per task.

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use ballast_components::family::{ModelFamily, TestType};
use ballast_components::symbols::{Symbol, Symbols};
use ballast_components::task::{Task, TaskProfile};
use ballast_components::work::TaskWork;

/// Cue tokens per family, checked in this order (the first family with a matching cue wins).
/// Order matters where cues overlap: image generation before vision, vision-language before text.
const FAMILY_CUES: [(ModelFamily, &[&str]); 7] = [
    (
        ModelFamily::VisionGeneration,
        &[
            "diffusion",
            "sdxl",
            "flux",
            "kandinsky",
            "pixart",
            "controlnet",
            "text2image",
            "txt2img",
            "animatediff",
            "video",
        ],
    ),
    (
        ModelFamily::Multimodal,
        &[
            "clip",
            "siglip",
            "llava",
            "blip",
            "blip2",
            "flava",
            "pali",
            "paligemma",
            "fuyu",
            "idefics",
            "vl",
            "vlm",
            "kosmos",
            "florence",
            "owlvit",
            "owlv2",
            "pix2struct",
            "donut",
            "layoutlm",
            "layoutlmv3",
            "git",
            "imagebind",
            "vilt",
        ],
    ),
    (
        ModelFamily::Audio,
        &[
            "whisper",
            "wav2vec2",
            "wav2vec",
            "hubert",
            "wavlm",
            "speecht5",
            "bark",
            "musicgen",
            "encodec",
            "clap",
            "audio",
            "speech",
            "tts",
            "asr",
            "seamless",
            "mms",
            "unispeech",
            "sew",
            "data2vec",
            "ast",
            "vits",
            "parler",
        ],
    ),
    (
        ModelFamily::TextToText,
        &[
            "t5",
            "flan",
            "mt5",
            "bart",
            "mbart",
            "pegasus",
            "marian",
            "opus",
            "nllb",
            "m2m100",
            "translation",
            "summarization",
        ],
    ),
    (
        ModelFamily::Vision,
        &[
            "vit",
            "resnet",
            "efficientnet",
            "convnext",
            "convnextv2",
            "yolo",
            "yolos",
            "detr",
            "swin",
            "swinv2",
            "deit",
            "beit",
            "dino",
            "dinov2",
            "segformer",
            "mobilenet",
            "mobilevit",
            "regnet",
            "mask2former",
            "maskformer",
            "sam",
            "dpt",
            "glpn",
            "levit",
            "poolformer",
            "upernet",
            "image",
            "vision",
        ],
    ),
    (
        ModelFamily::TextEmbedding,
        &[
            "embed",
            "embedding",
            "embeddings",
            "e5",
            "bge",
            "gte",
            "minilm",
            "mpnet",
            "sentence",
            "rerank",
            "reranker",
            "colbert",
            "simcse",
            "bert",
            "roberta",
            "distilbert",
            "deberta",
            "electra",
            "albert",
            "xlm",
            "camembert",
            "nomic",
            "jina",
            "stella",
        ],
    ),
    (
        ModelFamily::TextGeneration,
        &[
            "gpt",
            "gpt2",
            "llama",
            "mistral",
            "mixtral",
            "qwen",
            "qwen2",
            "qwen3",
            "phi",
            "gemma",
            "falcon",
            "opt",
            "bloom",
            "starcoder",
            "codegen",
            "codellama",
            "olmo",
            "pythia",
            "smollm",
            "tinyllama",
            "deepseek",
            "chat",
            "instruct",
        ],
    ),
];

/// The family of a model id, from its tokens: lower-cased, split on anything that is not a letter or
/// digit, with trailing digits also tried without them (`qwen3` → `qwen`, `gpt2` → `gpt`).
pub fn detect_family(model_id: &str) -> ModelFamily {
    let lower = model_id.to_ascii_lowercase();
    let tokens: Vec<&str> =
        lower.split(|character: char| !character.is_ascii_alphanumeric()).filter(|token| !token.is_empty()).collect();
    for (family, cues) in FAMILY_CUES {
        for token in &tokens {
            let stem = token.trim_end_matches(|character: char| character.is_ascii_digit());
            if cues.contains(token) || (!stem.is_empty() && cues.contains(&stem)) {
                return family;
            }
        }
    }
    ModelFamily::Unknown
}

/// The predicted run time of a test of `family` and `test_type` before any history, in nanoseconds.
pub fn prior_duration_ns(family: ModelFamily, test_type: TestType) -> u64 {
    family.prior_duration_ms() * test_type.duration_factor_percent() / 100 * 1_000_000
}

/// The analyze stage.
pub fn analyze_admitted_tasks(
    work: Res<TaskWork>,
    symbols: Res<Symbols>,
    mut tasks: Query<(&Task, &mut TaskProfile)>,
    mut families: Local<FxHashMap<Symbol, ModelFamily>>,
) {
    for &entity in &work.admitted {
        let Ok((task, mut profile)) = tasks.get_mut(entity) else {
            continue;
        };
        let family = match task.model {
            Some(model) => *families.entry(model).or_insert_with(|| detect_family(symbols.name(model))),
            None => ModelFamily::Unknown,
        };
        *profile = TaskProfile {
            analyzed: true,
            family,
            predicted_duration_ns: prior_duration_ns(family, task.test_type),
            class: profile.class,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_of_common_model_ids() {
        let cases = [
            ("bert-base-uncased", ModelFamily::TextEmbedding),
            ("BAAI/bge-small-en-v1.5", ModelFamily::TextEmbedding),
            ("Qwen/Qwen3-Embedding-8B", ModelFamily::TextEmbedding),
            ("openai/whisper-tiny", ModelFamily::Audio),
            ("llava-hf/llava-1.5-7b-hf", ModelFamily::Multimodal),
            ("google/vit-base-patch16-224", ModelFamily::Vision),
            ("stabilityai/stable-diffusion-xl-base-1.0", ModelFamily::VisionGeneration),
            ("meta-llama/Llama-2-7b-hf", ModelFamily::TextGeneration),
            ("t5-small", ModelFamily::TextToText),
            ("openai/clip-vit-base-patch32", ModelFamily::Multimodal),
            ("my-private-model", ModelFamily::Unknown),
        ];
        for (model_id, family) in cases {
            assert_eq!(detect_family(model_id), family, "{model_id}");
        }
    }

    #[test]
    fn priors_scale_with_test_type() {
        let inference = prior_duration_ns(ModelFamily::Vision, TestType::Inference);
        assert_eq!(inference, 72_000_000_000);
        assert_eq!(prior_duration_ns(ModelFamily::Vision, TestType::Training), inference * 5);
    }
}

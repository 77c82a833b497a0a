//! Stage 3, analyze: derives each admitted task's profile (model family, predicted run time).
//!
//! Reads: [`TaskWork::admitted`], [`Task`], [`Symbols`]. Writes: [`TaskProfile`].
//! A first version: family detection from model-id tokens, run-time priors per family and test type.
//! Results are cached per model id, so analysis costs one hash lookup per task.

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use ballast_components::config::EngineConfig;
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::preferences::Priors;
use ballast_components::symbols::{Symbol, Symbols};
use ballast_components::task::{Task, TaskProfile};
use ballast_components::work::TaskWork;

/// How a cue is compared with a lower-cased token of a model id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fit {
    /// The token itself, or its stem: trailing digits removed (`qwen3` → `qwen`), then a version `v`
    /// (`dinov2` → `dino`).
    Stem,
    /// The token itself only (`vits` must not match `vits16`, a DINO size).
    Whole,
    /// The start of the token (`yolo` in `yolov8`, `wav2vec` in `wav2vec2`).
    Prefix,
    /// The end of the token or of its stem (`detr` in `rtdetr`, `clip` in `biomedclip`, `tts` in `xtts`).
    Suffix,
    /// The start or the end of the token or of its stem (`vit` in `vitpose` and in `internvit`).
    Affix,
    /// Anywhere in the token (distinctive cues only: `llama` in `tinyllama`, `embed` in `embeddinggemma`).
    Within,
}

/// One cue of [`FAMILY_CUES`]: the text, how it fits a token, its weight, and the finer task it implies.
type Cue = (&'static str, Fit, u8, Option<&'static str>);

/// An explicit task word (`embedding`, `reranker`, `tts`, `ocr`, `i2v`): the strongest evidence.
const TASK: u8 = 10;
/// A model family that fixes the task (`whisper`, `detr`, `llava`, `bge`, `flux`).
const MODEL: u8 = 6;
/// A dataset or a medium word that usually goes with one family (`imagenet`, `squad`, `video`).
const HINT: u8 = 4;
/// A backbone reused across tasks (`llama`, `qwen`, `bert`, `vit`, `resnet`): outweighed by any model or task cue.
const BACKBONE: u8 = 3;
/// Evidence from the organisation (`sentence-transformers/`, `black-forest-labs/`) or a loose word.
const ORG: u8 = 2;
/// A hint shared by many families (`instruct`, `chat`, a parameter count like `7b`).
const WEAK: u8 = 1;

// The family each Hugging Face task belongs to (the `hf_task` labels of `tests/data/model-ids/`), which
// the cues aim at:
// - text-embedding: feature-extraction and sentence-similarity on text, text-ranking (rerankers), and the
//   fine-tunes of BERT-like encoders, whose closest coarse family this is: fill-mask, text-classification,
//   token-classification, question-answering, table-question-answering, zero-shot-classification.
// - text-generation: text-generation.
// - text-to-text: translation, summarization, text2text-generation.
// - vision: image-classification, object-detection, image-segmentation, mask-generation, depth-estimation,
//   keypoint-detection, image-feature-extraction, video-classification.
// - vision-generation: text-to-image, image-to-image, image-text-to-image, unconditional-image-generation,
//   text-to-video, image-to-video, image-text-to-video, video-to-video, text-to-3d, image-to-3d.
// - audio: automatic-speech-recognition, audio-classification, text-to-speech, text-to-audio,
//   audio-to-audio, voice-activity-detection, zero-shot-audio-classification.
// - multimodal: tasks that read text with another medium: image-text-to-text, video-text-to-text,
//   audio-text-to-text, any-to-any, image-to-text, visual-question-answering, document-question-answering,
//   visual-document-retrieval, zero-shot-image-classification, zero-shot-object-detection.
// - unknown: reinforcement-learning, tabular-classification, tabular-regression, time-series-forecasting.

/// Cue tokens per family. Every matching cue adds its weight to its family (each cue counts once); the
/// strongest total wins, after the compound rules of [`ABSORB`] and [`MODALITY_CUES`]. The weights make
/// the naming conventions of the Hub work for us: an explicit task word beats the name of a model family
/// (`Qwen3-Embedding` is an embedding), a model family beats the backbone it was built on (`gte-Qwen2`
/// is an embedding, `llava-mistral` vision-language) and backbones beat organisation priors.
/// `ModelFamily::Unknown` collects evidence for tasks outside every family (reinforcement learning,
/// tabular, time series): when it wins, the id is deliberately left unknown.
const FAMILY_CUES: [(ModelFamily, &[Cue]); 8] = [
    (
        ModelFamily::TextEmbedding,
        &[
            // Task words: embedding models, rerankers, and encoder classifiers (the closest coarse family
            // for NLI, sentiment, NER and extractive QA fine-tunes of BERT-like encoders).
            ("embed", Fit::Within, TASK, Some("embedding")),
            ("embedder", Fit::Stem, TASK, Some("embedding")),
            ("rerank", Fit::Prefix, TASK, Some("reranker")),
            ("reranker", Fit::Suffix, TASK, Some("reranker")),
            ("ranker", Fit::Stem, MODEL, Some("reranker")),
            ("colbert", Fit::Prefix, TASK, Some("embedding")),
            ("splade", Fit::Prefix, TASK, Some("embedding")),
            ("retriever", Fit::Stem, MODEL, Some("embedding")),
            ("sentence", Fit::Stem, MODEL, Some("embedding")),
            ("similarity", Fit::Stem, MODEL, Some("embedding")),
            ("sts", Fit::Stem, HINT, Some("embedding")),
            ("msmarco", Fit::Stem, MODEL, Some("reranker")),
            ("marco", Fit::Stem, HINT, Some("reranker")),
            ("nli", Fit::Suffix, TASK, Some("text-classification")),
            ("sentiment", Fit::Within, TASK, Some("text-classification")),
            ("sst", Fit::Stem, MODEL, Some("text-classification")),
            ("toxic", Fit::Prefix, MODEL, Some("text-classification")),
            ("ner", Fit::Stem, TASK, Some("token-classification")),
            ("conll", Fit::Prefix, MODEL, Some("token-classification")),
            ("squad", Fit::Prefix, TASK, Some("question-answering")),
            // Emotion is also a speech task: only a hint, outweighed by any audio model.
            ("emotion", Fit::Prefix, BACKBONE, Some("text-classification")),
            ("classifier", Fit::Stem, WEAK, None),
            ("classification", Fit::Stem, WEAK, None),
            // Embedding and reranker model families.
            ("e5", Fit::Suffix, MODEL, Some("embedding")),
            ("bge", Fit::Stem, MODEL, Some("embedding")),
            ("gte", Fit::Stem, MODEL, Some("embedding")),
            ("minilm", Fit::Stem, MODEL, Some("embedding")),
            ("mpnet", Fit::Stem, MODEL, Some("embedding")),
            ("simcse", Fit::Within, MODEL, Some("embedding")),
            ("sbert", Fit::Stem, MODEL, Some("embedding")),
            ("labse", Fit::Stem, MODEL, Some("embedding")),
            ("instructor", Fit::Stem, MODEL, Some("embedding")),
            ("contriever", Fit::Stem, MODEL, Some("embedding")),
            ("dpr", Fit::Stem, MODEL, Some("embedding")),
            ("nomic", Fit::Stem, MODEL, Some("embedding")),
            ("jina", Fit::Prefix, MODEL, Some("embedding")),
            ("stella", Fit::Stem, MODEL, Some("embedding")),
            ("mxbai", Fit::Stem, MODEL, Some("embedding")),
            ("arctic", Fit::Stem, BACKBONE, Some("embedding")),
            ("uae", Fit::Stem, MODEL, Some("embedding")),
            ("voyage", Fit::Stem, MODEL, Some("embedding")),
            ("gliner", Fit::Prefix, MODEL, Some("token-classification")),
            ("gliclass", Fit::Prefix, MODEL, Some("text-classification")),
            ("tapas", Fit::Stem, MODEL, Some("table-question-answering")),
            ("tapex", Fit::Stem, MODEL, Some("table-question-answering")),
            // Encoder backbones.
            ("bert", Fit::Within, BACKBONE, None),
            ("electra", Fit::Stem, BACKBONE, None),
            ("xlm", Fit::Stem, BACKBONE, None),
            ("ernie", Fit::Stem, BACKBONE, None),
        ],
    ),
    (
        ModelFamily::TextGeneration,
        &[
            // Decoder-only LLM families.
            ("gpt", Fit::Affix, BACKBONE, None),
            ("llama", Fit::Within, BACKBONE, None),
            ("mistral", Fit::Within, BACKBONE, None),
            ("mixtral", Fit::Stem, BACKBONE, None),
            ("ministral", Fit::Stem, BACKBONE, None),
            ("qwen", Fit::Within, BACKBONE, None),
            ("qwq", Fit::Stem, BACKBONE, None),
            ("phi", Fit::Stem, BACKBONE, None),
            ("gemma", Fit::Within, BACKBONE, None),
            ("falcon", Fit::Prefix, BACKBONE, None),
            ("opt", Fit::Whole, BACKBONE, None),
            ("bloom", Fit::Prefix, BACKBONE, None),
            ("starcoder", Fit::Prefix, BACKBONE, None),
            ("codegen", Fit::Prefix, BACKBONE, None),
            ("olmo", Fit::Stem, BACKBONE, None),
            ("olmoe", Fit::Stem, BACKBONE, None),
            ("pythia", Fit::Stem, BACKBONE, None),
            ("smollm", Fit::Prefix, BACKBONE, None),
            ("deepseek", Fit::Prefix, BACKBONE, None),
            ("glm", Fit::Affix, BACKBONE, None),
            ("yi", Fit::Whole, BACKBONE, None),
            ("internlm", Fit::Prefix, BACKBONE, None),
            ("baichuan", Fit::Prefix, BACKBONE, None),
            ("stablelm", Fit::Prefix, BACKBONE, None),
            ("granite", Fit::Stem, BACKBONE, None),
            ("mpt", Fit::Stem, BACKBONE, None),
            ("rwkv", Fit::Prefix, BACKBONE, None),
            // Mamba is a backbone for vision and audio too (`MambaVision`): not evidence of an LLM.
            ("mamba", Fit::Stem, ORG, None),
            ("jamba", Fit::Stem, BACKBONE, None),
            ("vicuna", Fit::Stem, BACKBONE, None),
            ("zephyr", Fit::Stem, BACKBONE, None),
            ("hermes", Fit::Stem, BACKBONE, None),
            ("orca", Fit::Stem, BACKBONE, None),
            ("solar", Fit::Stem, BACKBONE, None),
            ("nemotron", Fit::Within, BACKBONE, None),
            ("minicpm", Fit::Prefix, BACKBONE, None),
            ("kimi", Fit::Stem, BACKBONE, None),
            ("exaone", Fit::Stem, BACKBONE, None),
            ("aya", Fit::Stem, BACKBONE, None),
            ("command", Fit::Stem, ORG, None),
            ("llm", Fit::Stem, BACKBONE, None),
            // Fine-tuning, reasoning and quantization words of chat models; individually weak, since
            // embedding and vision-language models are "instruct" tuned too.
            ("instruct", Fit::Stem, WEAK, Some("text-generation")),
            ("chat", Fit::Stem, ORG, Some("text-generation")),
            ("it", Fit::Whole, WEAK, Some("text-generation")),
            ("coder", Fit::Stem, ORG, Some("text-generation")),
            ("code", Fit::Stem, ORG, Some("text-generation")),
            ("thinking", Fit::Stem, ORG, Some("text-generation")),
            ("reasoning", Fit::Stem, ORG, Some("text-generation")),
            ("sft", Fit::Stem, ORG, Some("text-generation")),
            ("dpo", Fit::Stem, ORG, Some("text-generation")),
            ("gguf", Fit::Stem, ORG, Some("text-generation")),
            ("ggml", Fit::Stem, ORG, Some("text-generation")),
            ("awq", Fit::Stem, ORG, Some("text-generation")),
            ("gptq", Fit::Stem, ORG, Some("text-generation")),
            ("exl2", Fit::Whole, ORG, Some("text-generation")),
        ],
    ),
    (
        ModelFamily::TextToText,
        &[
            ("translation", Fit::Stem, TASK, Some("translation")),
            ("translate", Fit::Prefix, TASK, Some("translation")),
            ("translator", Fit::Stem, TASK, Some("translation")),
            ("summarization", Fit::Stem, TASK, Some("summarization")),
            ("summarize", Fit::Prefix, TASK, Some("summarization")),
            ("summary", Fit::Stem, TASK, Some("summarization")),
            ("mt", Fit::Whole, BACKBONE, Some("translation")),
            ("mmt", Fit::Whole, HINT, Some("translation")),
            ("wmt", Fit::Stem, MODEL, Some("translation")),
            ("xsum", Fit::Stem, MODEL, Some("summarization")),
            ("samsum", Fit::Stem, MODEL, Some("summarization")),
            ("cnn", Fit::Stem, HINT, Some("summarization")),
            ("opus", Fit::Stem, MODEL, Some("translation")),
            ("nllb", Fit::Stem, MODEL, Some("translation")),
            ("m2m", Fit::Stem, MODEL, Some("translation")),
            ("madlad", Fit::Prefix, MODEL, Some("translation")),
            ("marian", Fit::Prefix, MODEL, Some("translation")),
            ("pegasus", Fit::Prefix, MODEL, Some("summarization")),
            ("t5", Fit::Suffix, MODEL, None),
            ("codet5", Fit::Prefix, MODEL, None),
            ("t0", Fit::Stem, MODEL, None),
            ("t0pp", Fit::Stem, MODEL, None),
            ("mt0", Fit::Stem, MODEL, None),
            ("ul2", Fit::Whole, MODEL, None),
            ("flan", Fit::Prefix, MODEL, None),
            ("bart", Fit::Suffix, MODEL, None),
            ("led", Fit::Whole, BACKBONE, None),
            ("prophetnet", Fit::Stem, MODEL, None),
            ("grammar", Fit::Prefix, BACKBONE, None),
        ],
    ),
    (
        ModelFamily::Vision,
        &[
            // Task words.
            // `detection` alone is only a hint: text classifiers detect languages, spam, toxicity or
            // generated text (`xlm-roberta-base-language-detection`, `roberta-base-openai-detector`).
            ("object", Fit::Stem, MODEL, Some("object-detection")),
            ("detection", Fit::Stem, ORG, Some("object-detection")),
            ("detector", Fit::Stem, ORG, Some("object-detection")),
            ("det", Fit::Stem, MODEL, Some("object-detection")),
            ("detr", Fit::Affix, MODEL, Some("object-detection")),
            ("yolo", Fit::Prefix, MODEL, Some("object-detection")),
            ("rtm", Fit::Prefix, MODEL, None),
            ("segmentation", Fit::Stem, TASK, Some("image-segmentation")),
            ("segment", Fit::Stem, TASK, Some("image-segmentation")),
            ("seg", Fit::Stem, TASK, Some("image-segmentation")),
            ("panoptic", Fit::Stem, MODEL, Some("image-segmentation")),
            ("matting", Fit::Stem, MODEL, Some("image-segmentation")),
            ("rmbg", Fit::Stem, MODEL, Some("image-segmentation")),
            ("depth", Fit::Within, TASK, Some("depth-estimation")),
            ("keypoint", Fit::Prefix, TASK, Some("keypoint-detection")),
            ("pose", Fit::Stem, MODEL, Some("keypoint-detection")),
            ("vitpose", Fit::Prefix, MODEL, Some("keypoint-detection")),
            ("superpoint", Fit::Stem, MODEL, Some("keypoint-detection")),
            ("superglue", Fit::Stem, MODEL, Some("keypoint-detection")),
            ("lightglue", Fit::Stem, MODEL, Some("keypoint-detection")),
            ("loftr", Fit::Stem, MODEL, Some("keypoint-detection")),
            // Vision model families.
            ("sam", Fit::Stem, MODEL, Some("mask-generation")),
            ("segformer", Fit::Stem, MODEL, Some("image-segmentation")),
            ("maskformer", Fit::Stem, MODEL, Some("image-segmentation")),
            ("mask2former", Fit::Stem, MODEL, Some("image-segmentation")),
            ("oneformer", Fit::Stem, MODEL, Some("image-segmentation")),
            ("upernet", Fit::Stem, MODEL, Some("image-segmentation")),
            ("birefnet", Fit::Stem, MODEL, Some("image-segmentation")),
            ("u2net", Fit::Whole, MODEL, Some("image-segmentation")),
            ("dpt", Fit::Stem, MODEL, Some("depth-estimation")),
            ("glpn", Fit::Stem, MODEL, Some("depth-estimation")),
            ("midas", Fit::Stem, MODEL, Some("depth-estimation")),
            ("dino", Fit::Prefix, MODEL, Some("image-feature-extraction")),
            ("mae", Fit::Stem, MODEL, None),
            ("videomae", Fit::Stem, MODEL, Some("video-classification")),
            ("timesformer", Fit::Stem, MODEL, Some("video-classification")),
            ("xclip", Fit::Stem, TASK, Some("video-classification")),
            ("deit", Fit::Stem, MODEL, Some("image-classification")),
            ("beit", Fit::Stem, MODEL, Some("image-classification")),
            ("convnext", Fit::Prefix, MODEL, Some("image-classification")),
            ("efficientnet", Fit::Prefix, MODEL, Some("image-classification")),
            ("efficient", Fit::Prefix, HINT, None),
            ("mobilenet", Fit::Prefix, MODEL, Some("image-classification")),
            ("mobilevit", Fit::Prefix, MODEL, Some("image-classification")),
            ("regnet", Fit::Prefix, MODEL, Some("image-classification")),
            ("levit", Fit::Stem, MODEL, Some("image-classification")),
            ("poolformer", Fit::Stem, MODEL, Some("image-classification")),
            ("hiera", Fit::Stem, MODEL, None),
            ("aim", Fit::Stem, BACKBONE, Some("image-feature-extraction")),
            ("sapiens", Fit::Stem, MODEL, None),
            ("vit", Fit::Affix, BACKBONE, None),
            ("resnet", Fit::Affix, BACKBONE, None),
            ("swin", Fit::Prefix, BACKBONE, None),
            // Datasets and image-size words of vision checkpoints.
            ("imagenet", Fit::Prefix, HINT, Some("image-classification")),
            ("coco", Fit::Stem, ORG, None),
            ("ade", Fit::Stem, HINT, Some("image-segmentation")),
            ("ade20k", Fit::Stem, HINT, Some("image-segmentation")),
            ("cityscapes", Fit::Stem, HINT, Some("image-segmentation")),
            ("kinetics", Fit::Prefix, HINT, Some("video-classification")),
            ("in1k", Fit::Whole, HINT, Some("image-classification")),
            ("in12k", Fit::Whole, HINT, Some("image-classification")),
            ("in21k", Fit::Whole, HINT, Some("image-classification")),
            ("in22k", Fit::Whole, HINT, Some("image-classification")),
            ("patch", Fit::Stem, ORG, None),
            ("224", Fit::Whole, WEAK, None),
            ("384", Fit::Whole, WEAK, None),
            ("classifier", Fit::Stem, WEAK, None),
            ("classification", Fit::Stem, WEAK, None),
        ],
    ),
    (
        ModelFamily::VisionGeneration,
        &[
            ("diffusion", Fit::Within, MODEL, Some("image-generation")),
            ("diffusers", Fit::Stem, MODEL, Some("image-generation")),
            ("sd", Fit::Stem, MODEL, Some("image-generation")),
            ("sdxl", Fit::Prefix, MODEL, Some("image-generation")),
            ("flux", Fit::Stem, MODEL, Some("image-generation")),
            ("kontext", Fit::Stem, MODEL, Some("image-editing")),
            ("controlnet", Fit::Within, TASK, Some("image-to-image")),
            ("inpaint", Fit::Prefix, TASK, Some("image-to-image")),
            ("inpainting", Fit::Stem, TASK, Some("image-to-image")),
            ("outpaint", Fit::Prefix, TASK, Some("image-to-image")),
            ("upscaler", Fit::Stem, TASK, Some("super-resolution")),
            ("upscale", Fit::Prefix, TASK, Some("super-resolution")),
            ("sr", Fit::Stem, MODEL, Some("super-resolution")),
            ("gan", Fit::Suffix, MODEL, Some("image-generation")),
            ("vton", Fit::Suffix, MODEL, Some("image-to-image")),
            ("tryon", Fit::Suffix, MODEL, Some("image-to-image")),
            ("relight", Fit::Prefix, MODEL, Some("image-to-image")),
            ("edit", Fit::Stem, HINT, Some("image-editing")),
            ("fill", Fit::Stem, ORG, Some("image-to-image")),
            ("kandinsky", Fit::Prefix, MODEL, Some("image-generation")),
            ("pixart", Fit::Prefix, MODEL, Some("image-generation")),
            ("dit", Fit::Stem, MODEL, Some("image-generation")),
            ("unet", Fit::Stem, HINT, Some("image-generation")),
            ("vae", Fit::Stem, HINT, Some("image-generation")),
            ("ddpm", Fit::Stem, MODEL, Some("image-generation")),
            ("ddim", Fit::Stem, MODEL, Some("image-generation")),
            ("ldm", Fit::Stem, MODEL, Some("image-generation")),
            ("dalle", Fit::Prefix, MODEL, Some("image-generation")),
            ("kolors", Fit::Stem, MODEL, Some("image-generation")),
            ("hidream", Fit::Prefix, MODEL, Some("image-generation")),
            ("lumina", Fit::Prefix, MODEL, Some("image-generation")),
            ("sana", Fit::Stem, MODEL, Some("image-generation")),
            ("playground", Fit::Prefix, MODEL, Some("image-generation")),
            ("wuerstchen", Fit::Stem, MODEL, Some("image-generation")),
            ("lora", Fit::Stem, ORG, None),
            ("turbo", Fit::Stem, WEAK, None),
            ("lightning", Fit::Stem, WEAK, None),
            // Video generation.
            ("ltx", Fit::Stem, MODEL, Some("video-generation")),
            ("ltxv", Fit::Stem, MODEL, Some("video-generation")),
            ("wan", Fit::Stem, MODEL, Some("video-generation")),
            ("svd", Fit::Stem, MODEL, Some("video-generation")),
            ("animatediff", Fit::Prefix, MODEL, Some("video-generation")),
            ("mochi", Fit::Stem, MODEL, Some("video-generation")),
            ("zeroscope", Fit::Prefix, MODEL, Some("video-generation")),
            ("framepack", Fit::Stem, MODEL, Some("video-generation")),
            ("skyreels", Fit::Stem, MODEL, Some("video-generation")),
            ("vace", Fit::Stem, MODEL, Some("video-generation")),
            ("cosmos", Fit::Stem, BACKBONE, Some("video-generation")),
            ("motion", Fit::Stem, HINT, Some("video-generation")),
            ("comfyui", Fit::Stem, HINT, None),
            ("720p", Fit::Whole, ORG, Some("video-generation")),
            ("480p", Fit::Whole, ORG, Some("video-generation")),
            ("1080p", Fit::Whole, ORG, Some("video-generation")),
            // 3D generation.
            ("3d", Fit::Suffix, MODEL, Some("3d-generation")),
            ("mesh", Fit::Within, MODEL, Some("3d-generation")),
            ("nerf", Fit::Stem, MODEL, Some("3d-generation")),
            ("gaussian", Fit::Prefix, MODEL, Some("3d-generation")),
            ("splat", Fit::Prefix, MODEL, Some("3d-generation")),
            ("shap", Fit::Stem, MODEL, Some("3d-generation")),
            ("triposr", Fit::Stem, MODEL, Some("3d-generation")),
            ("trellis", Fit::Stem, MODEL, Some("3d-generation")),
            ("zero123", Fit::Prefix, MODEL, Some("3d-generation")),
            ("world", Fit::Stem, ORG, None),
        ],
    ),
    (
        ModelFamily::Audio,
        &[
            ("tts", Fit::Affix, TASK, Some("text-to-speech")),
            ("asr", Fit::Stem, TASK, Some("speech-recognition")),
            ("stt", Fit::Stem, TASK, Some("speech-recognition")),
            ("diarization", Fit::Stem, TASK, Some("speaker-diarization")),
            ("speaker", Fit::Stem, MODEL, Some("speaker-diarization")),
            ("vad", Fit::Stem, MODEL, Some("voice-activity-detection")),
            ("speech", Fit::Within, MODEL, None),
            ("voice", Fit::Within, MODEL, None),
            ("music", Fit::Prefix, MODEL, Some("text-to-audio")),
            ("song", Fit::Stem, HINT, Some("text-to-audio")),
            ("whisper", Fit::Prefix, MODEL, Some("speech-recognition")),
            // Speech encoders are fine-tuned for recognition and classification alike: no task.
            ("wav2vec", Fit::Prefix, MODEL, None),
            ("w2v", Fit::Prefix, MODEL, None),
            ("hubert", Fit::Within, MODEL, None),
            ("wavlm", Fit::Prefix, MODEL, None),
            ("unispeech", Fit::Prefix, MODEL, None),
            ("xlsr", Fit::Stem, MODEL, None),
            ("lid", Fit::Stem, TASK, Some("audio-classification")),
            ("emotion", Fit::Prefix, BACKBONE, Some("audio-classification")),
            ("mms", Fit::Stem, MODEL, Some("speech-recognition")),
            ("seamless", Fit::Stem, MODEL, Some("speech-recognition")),
            ("canary", Fit::Stem, MODEL, Some("speech-recognition")),
            ("parakeet", Fit::Stem, MODEL, Some("speech-recognition")),
            ("conformer", Fit::Suffix, MODEL, Some("speech-recognition")),
            ("librispeech", Fit::Stem, MODEL, Some("speech-recognition")),
            ("speecht5", Fit::Prefix, MODEL, None),
            ("bark", Fit::Stem, MODEL, Some("text-to-speech")),
            ("vits", Fit::Whole, MODEL, Some("text-to-speech")),
            ("sovits", Fit::Suffix, MODEL, Some("text-to-speech")),
            ("kokoro", Fit::Stem, MODEL, Some("text-to-speech")),
            ("parler", Fit::Stem, MODEL, Some("text-to-speech")),
            ("chatterbox", Fit::Stem, MODEL, Some("text-to-speech")),
            ("orpheus", Fit::Stem, MODEL, Some("text-to-speech")),
            ("tortoise", Fit::Stem, MODEL, Some("text-to-speech")),
            ("piper", Fit::Stem, MODEL, Some("text-to-speech")),
            ("dia", Fit::Whole, BACKBONE, Some("text-to-speech")),
            ("musicgen", Fit::Prefix, MODEL, Some("text-to-audio")),
            ("audiogen", Fit::Prefix, MODEL, Some("text-to-audio")),
            ("encodec", Fit::Prefix, MODEL, Some("audio-codec")),
            ("snac", Fit::Stem, MODEL, Some("audio-codec")),
            ("mimi", Fit::Stem, MODEL, Some("audio-codec")),
            ("moshi", Fit::Stem, MODEL, None),
            ("clap", Fit::Affix, MODEL, Some("audio-classification")),
            ("ast", Fit::Whole, BACKBONE, Some("audio-classification")),
            ("audioset", Fit::Stem, MODEL, Some("audio-classification")),
            ("xvector", Fit::Stem, MODEL, Some("audio-classification")),
            ("ecapa", Fit::Stem, MODEL, Some("audio-classification")),
            ("superb", Fit::Stem, MODEL, Some("audio-classification")),
            ("rvc", Fit::Stem, MODEL, Some("audio-to-audio")),
        ],
    ),
    (
        ModelFamily::Multimodal,
        &[
            // Task words.
            ("vl", Fit::Stem, TASK, Some("image-text-to-text")),
            ("vlm", Fit::Affix, TASK, Some("image-text-to-text")),
            ("mllm", Fit::Affix, TASK, Some("image-text-to-text")),
            ("lmm", Fit::Stem, TASK, Some("image-text-to-text")),
            ("lmms", Fit::Stem, TASK, Some("image-text-to-text")),
            ("multimodal", Fit::Within, TASK, Some("image-text-to-text")),
            ("ocr", Fit::Affix, TASK, Some("image-to-text")),
            ("caption", Fit::Within, TASK, Some("image-captioning")),
            ("captioning", Fit::Stem, TASK, Some("image-captioning")),
            ("vqa", Fit::Affix, TASK, Some("visual-question-answering")),
            ("docqa", Fit::Stem, TASK, Some("document-question-answering")),
            ("grounding", Fit::Stem, TASK, Some("zero-shot-object-detection")),
            ("grounded", Fit::Stem, TASK, Some("zero-shot-object-detection")),
            ("colpali", Fit::Prefix, TASK, Some("visual-document-retrieval")),
            ("colqwen", Fit::Prefix, TASK, Some("visual-document-retrieval")),
            ("colsmol", Fit::Prefix, TASK, Some("visual-document-retrieval")),
            ("omni", Fit::Prefix, MODEL, Some("any-to-any")),
            // Vision-language and contrastive image-text families.
            ("clip", Fit::Affix, MODEL, Some("zero-shot-image-classification")),
            ("siglip", Fit::Affix, MODEL, Some("zero-shot-image-classification")),
            ("owlvit", Fit::Stem, MODEL, Some("zero-shot-object-detection")),
            ("owlv2", Fit::Stem, MODEL, Some("zero-shot-object-detection")),
            ("llava", Fit::Within, MODEL, Some("image-text-to-text")),
            ("blip", Fit::Affix, MODEL, Some("image-captioning")),
            ("flamingo", Fit::Within, MODEL, None),
            ("idefics", Fit::Prefix, MODEL, Some("image-text-to-text")),
            ("pali", Fit::Prefix, MODEL, Some("image-text-to-text")),
            ("fuyu", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("kosmos", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("florence", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("internvl", Fit::Prefix, MODEL, Some("image-text-to-text")),
            ("molmo", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("pixtral", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("janus", Fit::Stem, MODEL, Some("any-to-any")),
            ("chameleon", Fit::Stem, MODEL, Some("any-to-any")),
            ("emu", Fit::Stem, BACKBONE, None),
            ("moondream", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("magma", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("bagel", Fit::Stem, MODEL, Some("any-to-any")),
            ("mllama", Fit::Stem, MODEL, Some("image-text-to-text")),
            ("pix2struct", Fit::Stem, MODEL, Some("image-to-text")),
            ("matcha", Fit::Stem, MODEL, Some("visual-question-answering")),
            ("deplot", Fit::Stem, MODEL, Some("visual-question-answering")),
            ("donut", Fit::Stem, MODEL, Some("document-question-answering")),
            ("nougat", Fit::Stem, MODEL, Some("image-to-text")),
            ("layoutlm", Fit::Prefix, MODEL, Some("document-question-answering")),
            ("layoutxlm", Fit::Prefix, MODEL, Some("document-question-answering")),
            ("udop", Fit::Stem, MODEL, Some("document-question-answering")),
            ("vilt", Fit::Stem, MODEL, Some("visual-question-answering")),
            ("lxmert", Fit::Stem, MODEL, Some("visual-question-answering")),
            ("visualbert", Fit::Stem, MODEL, Some("visual-question-answering")),
            ("imagebind", Fit::Stem, MODEL, None),
            ("ultravox", Fit::Stem, MODEL, Some("audio-text-to-text")),
            ("voxtral", Fit::Stem, MODEL, Some("audio-text-to-text")),
            ("salmonn", Fit::Stem, MODEL, Some("audio-text-to-text")),
            ("git", Fit::Whole, BACKBONE, Some("image-captioning")),
            ("mm", Fit::Whole, BACKBONE, None),
            ("visual", Fit::Stem, BACKBONE, None),
        ],
    ),
    (
        // Evidence for tasks outside every family: the id stays unknown when this wins.
        ModelFamily::Unknown,
        &[
            // RL algorithms also name LLM fine-tunes (`llama-7b-ppo`): backbone strength, while
            // environments and libraries are decisive.
            ("ppo", Fit::Stem, BACKBONE, None),
            ("dqn", Fit::Affix, BACKBONE, None),
            ("a2c", Fit::Whole, BACKBONE, None),
            ("ddpg", Fit::Stem, BACKBONE, None),
            ("td3", Fit::Whole, BACKBONE, None),
            ("rl", Fit::Stem, HINT, None),
            ("gym", Fit::Prefix, TASK, None),
            ("cartpole", Fit::Stem, TASK, None),
            ("lunarlander", Fit::Stem, TASK, None),
            ("atari", Fit::Stem, TASK, None),
            ("mujoco", Fit::Stem, TASK, None),
            ("hopper", Fit::Stem, TASK, None),
            ("halfcheetah", Fit::Stem, TASK, None),
            ("decision", Fit::Stem, HINT, None),
            ("tabular", Fit::Stem, TASK, None),
            ("sklearn", Fit::Stem, TASK, None),
            ("xgboost", Fit::Stem, TASK, None),
            ("lightgbm", Fit::Stem, TASK, None),
            ("catboost", Fit::Stem, TASK, None),
            ("forecasting", Fit::Stem, TASK, None),
            ("timeseries", Fit::Stem, TASK, None),
            ("chronos", Fit::Prefix, TASK, None),
            ("timesfm", Fit::Stem, TASK, None),
            ("moirai", Fit::Stem, TASK, None),
        ],
    ),
];

/// Medium words whose family depends on the rest of the id: alone they point at their own family
/// (`vision` → vision, `video` → video generation, `audio` → audio), next to an LLM backbone they name
/// a model that reads that medium (`Llama-3.2-11B-Vision`, `Qwen2-Audio`, `VideoLLaMA`: multimodal) or,
/// for `image`, an image generator built on an LLM (`Qwen-Image`). Columns: the word, its family and
/// task alone, its family and task next to an LLM, its weight.
const MODALITY_CUES: [MediumCue; 4] = [
    ("vision", (ModelFamily::Vision, None), (ModelFamily::Multimodal, Some("image-text-to-text")), HINT),
    (
        "video",
        (ModelFamily::VisionGeneration, Some("video-generation")),
        (ModelFamily::Multimodal, Some("video-text-to-text")),
        HINT,
    ),
    ("audio", (ModelFamily::Audio, None), (ModelFamily::Multimodal, Some("audio-text-to-text")), HINT),
    (
        "image",
        (ModelFamily::VisionGeneration, Some("image-generation")),
        (ModelFamily::VisionGeneration, Some("image-generation")),
        BACKBONE,
    ),
];

/// A row of [`MODALITY_CUES`].
type MediumCue = (&'static str, (ModelFamily, Option<&'static str>), (ModelFamily, Option<&'static str>), u8);

/// Organisations whose models mostly belong to one family (matched against the organisation part of
/// the id, case-insensitively, also as a prefix before `-`/`_`). Priors only: `ORG` weight, or `HINT`
/// for organisations that publish one family almost exclusively, so that a model or task cue in the name
/// always outweighs them; `MODEL` for the reinforcement-learning and tabular libraries.
const ORG_CUES: [(&str, ModelFamily, u8); 62] = [
    ("sentence-transformers", ModelFamily::TextEmbedding, HINT),
    ("cross-encoder", ModelFamily::TextEmbedding, HINT),
    ("baai", ModelFamily::TextEmbedding, ORG),
    ("intfloat", ModelFamily::TextEmbedding, ORG),
    ("thenlper", ModelFamily::TextEmbedding, HINT),
    ("alibaba-nlp", ModelFamily::TextEmbedding, ORG),
    ("mixedbread-ai", ModelFamily::TextEmbedding, HINT),
    ("jinaai", ModelFamily::TextEmbedding, ORG),
    ("nomic-ai", ModelFamily::TextEmbedding, ORG),
    ("whereisai", ModelFamily::TextEmbedding, HINT),
    ("voyageai", ModelFamily::TextEmbedding, HINT),
    ("hkunlp", ModelFamily::TextEmbedding, ORG),
    ("cardiffnlp", ModelFamily::TextEmbedding, HINT),
    ("nlptown", ModelFamily::TextEmbedding, HINT),
    ("dslim", ModelFamily::TextEmbedding, HINT),
    ("deepset", ModelFamily::TextEmbedding, HINT),
    ("moritzlaurer", ModelFamily::TextEmbedding, HINT),
    ("knowledgator", ModelFamily::TextEmbedding, ORG),
    ("flair", ModelFamily::TextEmbedding, HINT),
    ("meta-llama", ModelFamily::TextGeneration, ORG),
    ("mistralai", ModelFamily::TextGeneration, ORG),
    ("qwen", ModelFamily::TextGeneration, ORG),
    ("deepseek-ai", ModelFamily::TextGeneration, ORG),
    ("thebloke", ModelFamily::TextGeneration, HINT),
    ("bartowski", ModelFamily::TextGeneration, HINT),
    ("unsloth", ModelFamily::TextGeneration, ORG),
    ("mlx-community", ModelFamily::TextGeneration, ORG),
    ("lmstudio-community", ModelFamily::TextGeneration, HINT),
    ("nousresearch", ModelFamily::TextGeneration, HINT),
    ("eleutherai", ModelFamily::TextGeneration, HINT),
    ("bigcode", ModelFamily::TextGeneration, HINT),
    ("tiiuae", ModelFamily::TextGeneration, ORG),
    ("huggingfaceh4", ModelFamily::TextGeneration, HINT),
    ("zai-org", ModelFamily::TextGeneration, ORG),
    ("moonshotai", ModelFamily::TextGeneration, ORG),
    ("ibm-granite", ModelFamily::TextGeneration, ORG),
    ("helsinki-nlp", ModelFamily::TextToText, HINT),
    ("timm", ModelFamily::Vision, HINT),
    ("ultralytics", ModelFamily::Vision, HINT),
    ("openmmlab", ModelFamily::Vision, ORG),
    ("black-forest-labs", ModelFamily::VisionGeneration, HINT),
    ("stabilityai", ModelFamily::VisionGeneration, ORG),
    ("runwayml", ModelFamily::VisionGeneration, HINT),
    ("compvis", ModelFamily::VisionGeneration, HINT),
    ("lightricks", ModelFamily::VisionGeneration, HINT),
    ("wan-ai", ModelFamily::VisionGeneration, HINT),
    ("playgroundai", ModelFamily::VisionGeneration, HINT),
    ("lllyasviel", ModelFamily::VisionGeneration, HINT),
    ("fal", ModelFamily::VisionGeneration, ORG),
    ("genmo", ModelFamily::VisionGeneration, HINT),
    ("speechbrain", ModelFamily::Audio, HINT),
    ("pyannote", ModelFamily::Audio, HINT),
    ("espnet", ModelFamily::Audio, HINT),
    ("suno", ModelFamily::Audio, HINT),
    ("coqui", ModelFamily::Audio, HINT),
    ("hexgrad", ModelFamily::Audio, HINT),
    ("myshell-ai", ModelFamily::Audio, ORG),
    ("huggingfacem4", ModelFamily::Multimodal, HINT),
    ("vidore", ModelFamily::Multimodal, HINT),
    ("lmms-lab", ModelFamily::Multimodal, HINT),
    ("sb3", ModelFamily::Unknown, MODEL),
    ("scikit-learn", ModelFamily::Unknown, MODEL),
];

/// Compound rules: when the first family has evidence at model strength or above, it takes over the
/// evidence of the others, in this order. A vision-language or CLIP-like name usually mentions its
/// towers (`BiomedCLIP-PubMedBERT-vit`, `jina-clip`, `mmE5-mllama`); an image generator its condition
/// (`FLUX-Depth`, `controlnet-seg`) and size; an embedding model its LLM or T5 backbone (`gte-Qwen2-7B`,
/// `sentence-t5`); a speech model its text backbone (`w2v-bert`).
const ABSORB: [(ModelFamily, &[(ModelFamily, Take)]); 4] = [
    (
        ModelFamily::Multimodal,
        &[
            (ModelFamily::TextEmbedding, Take::Always),
            (ModelFamily::TextGeneration, Take::Always),
            (ModelFamily::TextToText, Take::Always),
            // A stronger vision cue is a vision model named after a multimodal one (`xclip`: video classification).
            (ModelFamily::Vision, Take::IfNotStronger),
        ],
    ),
    (
        ModelFamily::VisionGeneration,
        &[(ModelFamily::Vision, Take::Always), (ModelFamily::TextGeneration, Take::Always)],
    ),
    (
        ModelFamily::TextEmbedding,
        &[(ModelFamily::TextGeneration, Take::Always), (ModelFamily::TextToText, Take::Always)],
    ),
    (ModelFamily::Audio, &[(ModelFamily::TextGeneration, Take::Always), (ModelFamily::TextEmbedding, Take::Always)]),
];

/// When a rule of [`ABSORB`] takes a family's evidence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    Always,
    /// Only when that family's strongest cue is not stronger than the absorbing family's.
    IfNotStronger,
}

/// The order in which ties between equal totals are broken: more specific families first.
const TIE_ORDER: [ModelFamily; 8] = [
    ModelFamily::Multimodal,
    ModelFamily::VisionGeneration,
    ModelFamily::Audio,
    ModelFamily::TextToText,
    ModelFamily::Vision,
    ModelFamily::TextEmbedding,
    ModelFamily::TextGeneration,
    ModelFamily::Unknown,
];

/// `X2Y` task tokens (`i2v`, `txt2img`, `pix2struct`, `speech2text`, `seq2seq`): the medium of each
/// side. Sides not listed (`wav2vec`, `word2vec`, `m2m`) make no cue.
const MEDIA: [(&str, Medium); 25] = [
    ("t", Medium::Text),
    ("txt", Medium::Text),
    ("text", Medium::Text),
    ("seq", Medium::Text),
    ("struct", Medium::Text),
    ("ti", Medium::Image),
    ("it", Medium::Image),
    ("i", Medium::Image),
    ("img", Medium::Image),
    ("im", Medium::Image),
    ("image", Medium::Image),
    ("pix", Medium::Image),
    ("v", Medium::Video),
    ("vid", Medium::Video),
    ("video", Medium::Video),
    ("world", Medium::Video),
    ("3d", Medium::Shape),
    ("mesh", Medium::Shape),
    ("s", Medium::Sound),
    ("a", Medium::Sound),
    ("audio", Medium::Sound),
    ("speech", Medium::Sound),
    ("voice", Medium::Sound),
    ("wav", Medium::Sound),
    ("music", Medium::Sound),
];

/// A medium of an `X2Y` token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Medium {
    Text,
    Image,
    Video,
    Shape,
    Sound,
}

/// Tokens longer than this are not names (hashes, garbage) and are skipped; it also bounds the work per byte.
const MAX_TOKEN: usize = 40;
/// At most this many tokens (camel-case parts included) are matched against the cues, the name's first:
/// real ids have fewer than 30, and it bounds the work on absurd ids (the rest is only scanned).
const MAX_TOKENS: u32 = 256;
/// Capacity of the seen-cue bit set; `FAMILY_CUES` must stay below it (checked by a test).
const MAX_CUES: usize = 640;

/// Evidence gathered from one model id.
struct Evidence {
    /// Total weight per family, by `ModelFamily::index`.
    score: [u32; ModelFamily::COUNT],
    /// The strongest single cue per family.
    strongest: [u8; ModelFamily::COUNT],
    /// The finer task of the strongest cue with a task, per family.
    task: [(u8, Option<&'static str>); ModelFamily::COUNT],
    /// Weight and task of medium words per family they take next to an LLM.
    with_llm: [(u32, Option<&'static str>); ModelFamily::COUNT],
    /// Weight and task of those medium words per family they take alone.
    alone: [(u32, Option<&'static str>); ModelFamily::COUNT],
    /// Whether the id names an LLM backbone (`TextGeneration` evidence at backbone strength).
    llm: bool,
    /// The task of a single-letter version suffix, if one was seen: `-V`, `4.5V` (vision, `MiniCPM-V`,
    /// `GLM-4.5V`) or `-o`, `4o` (omni, `MiniCPM-o`).
    medium_suffix: Option<&'static str>,
    /// Which cues of `FAMILY_CUES` have counted already (each counts once).
    seen: [u64; MAX_CUES / 64],
    /// Tokens matched so far (see [`MAX_TOKENS`]).
    tokens: u32,
}

impl Evidence {
    fn add(&mut self, family: ModelFamily, weight: u8, task: Option<&'static str>) {
        let index = family.index();
        self.score[index] += u32::from(weight);
        self.strongest[index] = self.strongest[index].max(weight);
        if task.is_some() && weight > self.task[index].0 {
            self.task[index] = (weight, task);
        }
        if family == ModelFamily::TextGeneration && weight >= BACKBONE {
            self.llm = true;
        }
    }
}

/// One token of an id: lower-cased bytes, where it came from.
struct Token<'a> {
    text: &'a [u8],
    /// Trailing digits removed (`qwen3` → `qwen`).
    stem: &'a [u8],
    /// Then a version `v` removed (`dinov2` → `dino`), else equal to `stem`.
    stem_v: &'a [u8],
    /// From a path segment before the name (the organisation): weights capped at [`ORG`].
    in_org: bool,
    /// A camel-case part of a longer token (`VLM` of `SmolVLM`): shape cues do not apply.
    camel_part: bool,
}

fn fits(fit: Fit, cue: &[u8], token: &Token) -> bool {
    let (Some(&first), Some(&last)) = (cue.first(), cue.last()) else {
        return false;
    };
    // Quick rejects on one byte before comparing slices: most cues fail here.
    let starts = token.text.first() == Some(&first);
    let may_end = |text: &[u8]| text.last() == Some(&last);
    let ends = |text: &[u8]| text.len() > cue.len() && text.ends_with(cue);
    match fit {
        Fit::Whole | Fit::Stem | Fit::Prefix if !starts => false,
        Fit::Suffix | Fit::Affix
            if !starts && !may_end(token.text) && !may_end(token.stem) && !may_end(token.stem_v) =>
        {
            false
        }
        Fit::Within if !token.text.contains(&first) => false,
        Fit::Whole => token.text == cue,
        Fit::Stem => token.text == cue || token.stem == cue || token.stem_v == cue,
        Fit::Prefix => token.text.starts_with(cue),
        Fit::Suffix => token.text.ends_with(cue) || ends(token.stem) || ends(token.stem_v),
        Fit::Affix => {
            token.text.starts_with(cue) || token.text.ends_with(cue) || ends(token.stem) || ends(token.stem_v)
        }
        Fit::Within => token.text.len() >= cue.len() && token.text.windows(cue.len()).any(|window| window == cue),
    }
}

fn observe(evidence: &mut Evidence, token: &Token) {
    if evidence.tokens >= MAX_TOKENS {
        return;
    }
    evidence.tokens += 1;
    let cap = |weight: u8| if token.in_org { weight.min(ORG) } else { weight };
    let mut number = 0;
    for (family, cues) in FAMILY_CUES {
        for &(text, fit, weight, task) in cues {
            let (word, bit) = (number / 64, 1u64 << (number % 64));
            number += 1;
            if evidence.seen.get(word).is_some_and(|bits| bits & bit != 0) || !fits(fit, text.as_bytes(), token) {
                continue;
            }
            if let Some(bits) = evidence.seen.get_mut(word) {
                *bits |= bit;
            }
            evidence.add(family, cap(weight), task);
        }
    }
    for (text, (alone, alone_task), (with_llm, llm_task), weight) in MODALITY_CUES {
        if token.text == text.as_bytes() || token.stem == text.as_bytes() {
            let slot = &mut evidence.alone[alone.index()];
            *slot = (slot.0 + u32::from(cap(weight)), slot.1.or(alone_task));
            let slot = &mut evidence.with_llm[with_llm.index()];
            *slot = (slot.0 + u32::from(cap(weight)), slot.1.or(llm_task));
        }
    }
    if !token.camel_part && !token.in_org {
        observe_shape(evidence, token.text);
    }
}

/// Cues from the shape of a token rather than a word: parameter counts (`7b`, `8x7b`, `a3b`: weak
/// evidence of an LLM), version letters (`-V`, `4.5v`, `-o`, `4o`: a vision or omni variant when next
/// to an LLM) and `X2Y` task tokens.
fn observe_shape(evidence: &mut Evidence, text: &[u8]) {
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if let Some((&last, head)) = text.split_last() {
        let count = match head.first() {
            Some(b'a' | b'e') => &head[1..],
            _ => head,
        };
        if last == b'b' && !count.is_empty() && count.split(|&byte| byte == b'x').all(digits) {
            evidence.add(ModelFamily::TextGeneration, WEAK, None);
        }
        let task = match last {
            b'v' => Some("image-text-to-text"),
            b'o' => Some("any-to-any"),
            _ => None,
        };
        if task.is_some() && (head.is_empty() || digits(head)) {
            evidence.medium_suffix = task;
        }
    }
    let Some(two) = text.iter().position(|&byte| byte == b'2') else {
        return;
    };
    let (from, to) = (&text[..two], trim_digits(&text[two + 1..]));
    let medium = |side: &[u8]| MEDIA.iter().find(|(name, _)| name.as_bytes() == side).map(|&(_, medium)| medium);
    let (Some(from), Some(to)) = (medium(from), medium(to)) else {
        return;
    };
    let (family, task) = match (from, to) {
        (_, Medium::Image) => (ModelFamily::VisionGeneration, "image-generation"),
        (_, Medium::Video) => (ModelFamily::VisionGeneration, "video-generation"),
        (_, Medium::Shape) => (ModelFamily::VisionGeneration, "3d-generation"),
        (Medium::Image | Medium::Video, Medium::Text) => (ModelFamily::Multimodal, "image-to-text"),
        (Medium::Sound, Medium::Text) => (ModelFamily::Audio, "speech-recognition"),
        (_, Medium::Sound) => (ModelFamily::Audio, "text-to-speech"),
        (_, Medium::Text) => (ModelFamily::TextToText, "text2text-generation"),
    };
    evidence.add(family, TASK, Some(task));
}

fn trim_digits(text: &[u8]) -> &[u8] {
    let end = text.iter().rposition(|byte| !byte.is_ascii_digit()).map_or(0, |last| last + 1);
    &text[..end]
}

/// Splits `range` of `id` into tokens (maximal runs of ASCII letters and digits; anything else, non-ASCII
/// included, separates) and their camel-case parts, and observes each.
fn observe_range(evidence: &mut Evidence, id: &[u8], range: std::ops::Range<usize>, in_org: bool) {
    let bytes = &id[range];
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let end =
            bytes[start..].iter().position(|byte| !byte.is_ascii_alphanumeric()).map_or(bytes.len(), |n| start + n);
        let original = &bytes[start..end];
        start = end;
        if original.len() > MAX_TOKEN {
            continue;
        }
        let mut buffer = [0u8; MAX_TOKEN];
        let lower = &mut buffer[..original.len()];
        lower.copy_from_slice(original);
        lower.make_ascii_lowercase();
        observe_token(evidence, lower, in_org, false);
        // Camel-case parts: a boundary before an upper-case letter that follows a lower-case letter or
        // a digit, or that starts a capitalised word after an acronym (`LLMDet` → `LLM`, `Det`).
        let mut part_start = 0;
        let mut parts = 0;
        for index in 1..=original.len() {
            let boundary = index == original.len() || {
                let (before, here) = (original[index - 1], original[index]);
                let next_lower = original.get(index + 1).is_some_and(u8::is_ascii_lowercase);
                here.is_ascii_uppercase()
                    && (before.is_ascii_lowercase()
                        || before.is_ascii_digit()
                        || (before.is_ascii_uppercase() && next_lower))
            };
            if boundary {
                if index < original.len() || parts > 0 {
                    observe_token(evidence, &lower[part_start..index], in_org, true);
                }
                parts += 1;
                part_start = index;
            }
        }
    }
}

fn observe_token(evidence: &mut Evidence, text: &[u8], in_org: bool, camel_part: bool) {
    let stem = trim_digits(text);
    let stem = if stem.is_empty() { text } else { stem };
    let stem_v = match stem.strip_suffix(b"v") {
        Some(head) if stem.len() < text.len() && head.len() > 1 => head,
        _ => stem,
    };
    observe(evidence, &Token { text, stem, stem_v, in_org, camel_part });
}

/// The byte ranges of the organisation (the path segment before the name, if any) and of the name (the
/// last non-empty segment) of `id`. Segments are separated by `/`, `\` or a run of `--` (Hub cache
/// directories: `models--org--name`).
fn split_id(id: &[u8]) -> (Option<std::ops::Range<usize>>, std::ops::Range<usize>) {
    let mut last: Option<std::ops::Range<usize>> = None;
    let mut before_last = None;
    let mut start = 0;
    let mut index = 0;
    while index <= id.len() {
        let separator_len = match id.get(index) {
            None => 1,
            Some(b'/' | b'\\') => 1,
            Some(b'-') if id.get(index + 1) == Some(&b'-') => 2,
            Some(_) => 0,
        };
        if separator_len == 0 {
            index += 1;
            continue;
        }
        if index > start {
            before_last = last.replace(start..index);
        }
        index += separator_len;
        start = index;
    }
    (before_last, last.unwrap_or(0..0))
}

fn org_prior(evidence: &mut Evidence, org: &[u8]) {
    for (name, family, weight) in ORG_CUES {
        let name = name.as_bytes();
        let matches = org.len() >= name.len()
            && org[..name.len()].eq_ignore_ascii_case(name)
            && matches!(org.get(name.len()), None | Some(b'-' | b'_'));
        if matches {
            evidence.add(family, weight, None);
            return;
        }
    }
}

fn gather(model_id: &str) -> Evidence {
    let mut evidence = Evidence {
        score: [0; ModelFamily::COUNT],
        strongest: [0; ModelFamily::COUNT],
        task: [(0, None); ModelFamily::COUNT],
        with_llm: [(0, None); ModelFamily::COUNT],
        alone: [(0, None); ModelFamily::COUNT],
        llm: false,
        medium_suffix: None,
        seen: [0; MAX_CUES / 64],
        tokens: 0,
    };
    let id = model_id.as_bytes();
    let (org, name) = split_id(id);
    // The name first, so that a cue seen in both counts at full weight.
    observe_range(&mut evidence, id, name.clone(), false);
    observe_range(&mut evidence, id, 0..name.start, true);
    if let Some(org) = org {
        org_prior(&mut evidence, &id[org]);
    }
    evidence
}

/// The winning family and its finer task, after the medium and absorption rules.
fn decide(mut evidence: Evidence) -> (ModelFamily, Option<&'static str>) {
    let generation = ModelFamily::TextGeneration.index();
    let multimodal = ModelFamily::Multimodal.index();
    if let Some(task) = evidence.medium_suffix {
        let slot = &mut evidence.with_llm[multimodal];
        *slot = (slot.0 + u32::from(HINT), slot.1.or(Some(task)));
    }
    let llm_medium = (0..ModelFamily::COUNT)
        .filter(|&index| evidence.with_llm[index].0 > 0)
        .max_by_key(|&index| evidence.with_llm[index].0);
    match llm_medium {
        Some(target) if evidence.llm => {
            // An LLM that reads (or draws) a medium: the medium words and the LLM evidence go to it.
            let moved = evidence.score[generation] + evidence.with_llm.iter().map(|slot| slot.0).sum::<u32>();
            evidence.score[generation] = 0;
            evidence.score[target] += moved;
            evidence.strongest[target] = evidence.strongest[target].max(BACKBONE);
            if evidence.task[target].1.is_none() {
                evidence.task[target] = (0, evidence.with_llm[target].1);
            }
        }
        _ => {
            // Alone, a medium word is a hint for its own family (never stronger than `HINT`).
            for family in ModelFamily::ALL {
                let (total, task) = evidence.alone[family.index()];
                if total > 0 {
                    let weight = u8::try_from(total).unwrap_or(u8::MAX).min(HINT);
                    evidence.score[family.index()] += total;
                    evidence.strongest[family.index()] = evidence.strongest[family.index()].max(weight);
                    if task.is_some() && evidence.task[family.index()].0 < weight {
                        evidence.task[family.index()] = (weight, task);
                    }
                }
            }
        }
    }
    for (absorber, absorbed) in ABSORB {
        if evidence.strongest[absorber.index()] < MODEL {
            continue;
        }
        for &(family, take) in absorbed {
            if take == Take::IfNotStronger && evidence.strongest[family.index()] > evidence.strongest[absorber.index()]
            {
                continue;
            }
            let moved = std::mem::take(&mut evidence.score[family.index()]);
            evidence.score[absorber.index()] += moved;
        }
    }
    let mut best = ModelFamily::Unknown;
    let mut best_score = 0;
    for family in TIE_ORDER {
        if evidence.score[family.index()] > best_score {
            best = family;
            best_score = evidence.score[family.index()];
        }
    }
    (best, if best == ModelFamily::Unknown { None } else { evidence.task[best.index()].1 })
}

/// The family of a model id (a Hugging Face id like `org/name`, a local path or a Hub cache directory),
/// from the evidence of its tokens: task words (`embedding`, `reranker`, `tts`, `i2v`), model families
/// (`whisper`, `detr`, `llava`), backbones (`llama`, `bert`, `vit`), organisation priors and parameter
/// counts, weighted and combined by [`FAMILY_CUES`], [`MODALITY_CUES`], [`ORG_CUES`] and [`ABSORB`].
/// Linear in the length of the id, without heap allocation; never panics. Unknown when nothing
/// matches or when the id names a task outside every family (reinforcement learning, tabular models).
pub fn detect_family(model_id: &str) -> ModelFamily {
    decide(gather(model_id)).0
}

/// A finer task beside the family, when the id states or implies one (`"reranker"`, `"embedding"`,
/// `"speech-recognition"`, `"text-to-speech"`, `"object-detection"`, `"image-segmentation"`,
/// `"translation"`, `"summarization"`, `"image-captioning"`, `"video-generation"`, …): the task of the
/// strongest cue of the detected family. None when the id names only a backbone (`bert-base-uncased`).
pub fn detect_task(model_id: &str) -> Option<&'static str> {
    decide(gather(model_id)).1
}

/// The predicted run time of a test of `family` and `test_type` on a CPU before any history, in
/// nanoseconds.
pub fn prior_duration_ns(priors: &Priors, family: ModelFamily, test_type: TestType) -> u64 {
    priors.duration_ms(family) * test_type.duration_factor_percent() / 100 * 1_000_000
}

/// The analyze stage.
pub fn analyze_admitted_tasks(
    work: Res<TaskWork>,
    symbols: Res<Symbols>,
    config: Res<EngineConfig>,
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
            predicted_duration_ns: prior_duration_ns(&config.priors, family, task.test_type),
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

    /// Invented ids in the styles of the Hub (none is in the labelled files): where cues compete.
    #[test]
    fn families_of_tricky_unseen_style_ids() {
        let cases = [
            // An LLM backbone under an explicit task word or a task-defining model family.
            ("acme/Qwen3-Reranker-4B", ModelFamily::TextEmbedding),
            ("acme/e5-mistral-7b-instruct", ModelFamily::TextEmbedding),
            ("acme/deberta-v3-large-prompt-injection-detector", ModelFamily::TextEmbedding),
            ("acme/xlm-roberta-large-xnli", ModelFamily::TextEmbedding),
            ("acme/bert-base-chinese-ner", ModelFamily::TextEmbedding),
            ("acme/sentence-t5-base", ModelFamily::TextEmbedding),
            // An LLM next to a medium word: a model that reads that medium, or draws images.
            ("acme/Mistral-Small-3.1-24B-Vision-Instruct", ModelFamily::Multimodal),
            ("acme/VideoLLaMA3-7B", ModelFamily::Multimodal),
            ("acme/Qwen2-Audio-7B-Instruct-AWQ", ModelFamily::Multimodal),
            ("acme/MiniCPM-V-4", ModelFamily::Multimodal),
            ("acme/vit-gpt2-image-captioning", ModelFamily::Multimodal),
            ("acme/Qwen-Image-Edit-2509", ModelFamily::VisionGeneration),
            // The same medium words without an LLM.
            ("acme/MambaVision-L-21K", ModelFamily::Vision),
            ("acme/CogVideoX-2b", ModelFamily::VisionGeneration),
            ("acme/stable-audio-open-1.0", ModelFamily::Audio),
            // Ambiguous short tokens.
            ("acme/git-large-coco", ModelFamily::Multimodal),
            ("acme/clap-htsat-fused", ModelFamily::Audio),
            ("acme/sam2.1-hiera-small", ModelFamily::Vision),
            ("acme/xclip-large-patch14", ModelFamily::Vision),
            ("SamSmith/roberta-base-emotion", ModelFamily::TextEmbedding),
            ("acme/dino-vits16", ModelFamily::Vision),
            ("acme/vits-ljspeech", ModelFamily::Audio),
            ("acme/AuraSR-GAN-v3", ModelFamily::VisionGeneration),
            // Conditions and backbones inside image generators and speech models.
            ("acme/sdxl-controlnet-depth", ModelFamily::VisionGeneration),
            ("acme/flux-dev-canny-lora", ModelFamily::VisionGeneration),
            ("acme/wan2.2-ti2v-5b", ModelFamily::VisionGeneration),
            ("acme/w2v-bert-2.0-ft-ctc", ModelFamily::Audio),
            ("acme/kokoro-tts-onnx", ModelFamily::Audio),
            // Suffixes and datasets.
            ("acme/yolov11-face-detection", ModelFamily::Vision),
            ("acme/segformer-b5-ade-640", ModelFamily::Vision),
            ("acme/opus-mt-fr-en", ModelFamily::TextToText),
            ("acme/mt5-base-summarization", ModelFamily::TextToText),
            ("acme/trocr-large-printed", ModelFamily::Multimodal),
            ("acme/Llama-3.1-8B-Instruct-GGUF", ModelFamily::TextGeneration),
            ("acme/llama-7b-ppo", ModelFamily::TextGeneration),
            ("acme/dqn-SpaceInvadersNoFrameskip-v4", ModelFamily::Unknown),
            // Paths and Hub cache directories.
            ("/models/bge-small-en-v1.5", ModelFamily::TextEmbedding),
            ("models--openai--whisper-tiny", ModelFamily::Audio),
            ("C:\\models\\detr-resnet-50", ModelFamily::Vision),
        ];
        for (model_id, family) in cases {
            assert_eq!(detect_family(model_id), family, "{model_id}");
        }
    }

    #[test]
    fn tasks_beside_families() {
        let cases = [
            ("BAAI/bge-reranker-v2-m3", Some("reranker")),
            ("acme/gte-base-en", Some("embedding")),
            ("acme/whisper-small-fr", Some("speech-recognition")),
            ("acme/parler-tts-mini", Some("text-to-speech")),
            ("acme/detr-resnet-101", Some("object-detection")),
            ("acme/mask2former-swin-base-ade", Some("image-segmentation")),
            ("acme/opus-mt-en-de", Some("translation")),
            ("acme/pegasus-xsum", Some("summarization")),
            ("acme/blip-image-captioning-base", Some("image-captioning")),
            ("acme/HunyuanVideo-I2V", Some("video-generation")),
            ("acme/Llama-3.2-11B-Vision-Instruct", Some("image-text-to-text")),
            // Only a backbone: no finer task.
            ("bert-base-uncased", None),
            ("my-private-model", None),
        ];
        for (model_id, task) in cases {
            assert_eq!(detect_task(model_id), task, "{model_id}");
        }
    }

    #[test]
    fn degenerate_ids_do_not_panic() {
        for model_id in ["", "/", "//", "--", "-", "a", "v", "2", "x2", "2x", "models--", "\\"] {
            assert_eq!(detect_family(model_id), ModelFamily::Unknown, "{model_id:?}");
        }
        // A bare parameter count is weak evidence of an LLM.
        assert_eq!(detect_family("7b"), ModelFamily::TextGeneration);
        // Non-ASCII separates tokens and is otherwise ignored.
        assert_eq!(detect_family("组织/bert-模型"), ModelFamily::TextEmbedding);
        assert_eq!(detect_family("модель-whisper"), ModelFamily::Audio);
        assert_eq!(detect_family("🤗/llama-3-8b"), ModelFamily::TextGeneration);
        assert_eq!(detect_family("ＢＥＲＴ"), ModelFamily::Unknown);
        // Absurdly long ids: bounded work per token and a bounded number of tokens matched.
        let long = "x".repeat(100_000);
        assert_eq!(detect_family(&long), ModelFamily::Unknown);
        let many = "Qwen3-Embedding/".repeat(6_250);
        assert_eq!(detect_family(&many), ModelFamily::TextEmbedding);
        let noise = format!("{}whisper", "é-ab_".repeat(16_700));
        assert!(ModelFamily::ALL.contains(&detect_family(&noise)));
        let _ = detect_task(&noise);
    }

    #[test]
    fn cue_table_fits_the_seen_set() {
        let cues: usize = FAMILY_CUES.iter().map(|(_, cues)| cues.len()).sum();
        assert!(cues <= MAX_CUES, "{cues} cues, seen set holds {MAX_CUES}");
        for (_, cues) in FAMILY_CUES {
            for &(text, _, _, _) in cues {
                assert!(text.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()), "{text}");
                assert!(text.len() >= 2 && text.len() <= MAX_TOKEN, "{text}");
            }
        }
    }

    #[test]
    fn priors_scale_with_test_type() {
        let priors = Priors::default();
        let inference = prior_duration_ns(&priors, ModelFamily::Vision, TestType::Inference);
        assert_eq!(inference, 72_000_000_000);
        assert_eq!(prior_duration_ns(&priors, ModelFamily::Vision, TestType::Training), inference * 5);
    }
}

//! Stage 3, analyze: derives each admitted task's profile (model family, predicted run time).
//!
//! Reads: [`TaskWork::admitted`], [`Task`], [`Symbols`]. Writes: [`TaskProfile`].
//! Family detection is a matcher over the model catalogue ([`Catalogue`], `components/data/models.toml`,
//! which documents the rules): cue tokens per family, organisation priors, medium words and compound
//! rules, weighed and combined here. Results are cached per model id, so analysis costs one hash
//! lookup per task.

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

use ballast_components::catalogue::{CUE_LEN_MAX, Catalogue, Fit, Medium, Strengths};
use ballast_components::config::EngineConfig;
use ballast_components::family::{ModelFamily, TestType};
use ballast_components::preferences::Priors;
use ballast_components::symbols::{Symbol, Symbols};
use ballast_components::task::{Task, TaskProfile};
use ballast_components::work::TaskWork;

/// Tokens longer than this are not names (hashes, garbage) and are skipped; it also bounds the work per byte.
const MAX_TOKEN: usize = CUE_LEN_MAX;

/// At most this many tokens (camel-case parts included) are matched against the cues, the name's first:
/// real ids have fewer than 30, and it bounds the work on absurd ids (the rest is only scanned).
const MAX_TOKENS: u32 = 256;
/// Evidence gathered from one model id, against the catalogue `'c`.
struct Evidence<'c> {
    /// The strength of each kind of evidence.
    strengths: Strengths,
    /// Total weight per family, by `ModelFamily::index`.
    score: [u32; ModelFamily::COUNT],
    /// The strongest single cue per family.
    strongest: [u8; ModelFamily::COUNT],
    /// The finer task of the strongest cue with a task, per family.
    task: [(u8, Option<&'c str>); ModelFamily::COUNT],
    /// Weight and task of medium words per family they take next to an LLM.
    with_llm: [(u32, Option<&'c str>); ModelFamily::COUNT],
    /// Weight and task of those medium words per family they take alone.
    alone: [(u32, Option<&'c str>); ModelFamily::COUNT],
    /// Whether the id names an LLM backbone (`TextGeneration` evidence at backbone strength).
    llm: bool,
    /// The task of a single-letter version suffix, if one was seen: `-V`, `4.5V` (vision, `MiniCPM-V`,
    /// `GLM-4.5V`) or `-o`, `4o` (omni, `MiniCPM-o`).
    medium_suffix: Option<&'c str>,
    /// Which cues of the catalogue have counted already (each counts once), one bit per cue.
    seen: Vec<u64>,
    /// Tokens matched so far (see [`MAX_TOKENS`]).
    tokens: u32,
}

impl<'c> Evidence<'c> {
    fn add(&mut self, family: ModelFamily, weight: u8, task: Option<&'c str>) {
        let index = family.index();
        self.score[index] += u32::from(weight);
        self.strongest[index] = self.strongest[index].max(weight);
        if task.is_some() && weight > self.task[index].0 {
            self.task[index] = (weight, task);
        }
        if family == ModelFamily::TextGeneration && weight >= self.strengths.backbone {
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
    /// From a path segment before the name (the organisation): weights capped at the `org` strength.
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

fn observe<'c>(catalogue: &'c Catalogue, evidence: &mut Evidence<'c>, token: &Token) {
    if evidence.tokens >= MAX_TOKENS {
        return;
    }
    evidence.tokens += 1;
    let org = evidence.strengths.org;
    let cap = |weight: u8| if token.in_org { weight.min(org) } else { weight };
    for (number, cue) in catalogue.cues.iter().enumerate() {
        let (word, bit) = (number / 64, 1u64 << (number % 64));
        if evidence.seen.get(word).is_some_and(|bits| bits & bit != 0) || !fits(cue.fit, cue.text.as_bytes(), token) {
            continue;
        }
        if let Some(bits) = evidence.seen.get_mut(word) {
            *bits |= bit;
        }
        evidence.add(cue.family, cap(cue.strength), cue.task.as_deref());
    }
    for medium in &catalogue.mediums {
        let text = medium.word.as_bytes();
        if token.text == text || token.stem == text {
            let weight = u32::from(cap(medium.strength));
            let (alone, alone_task) = &medium.alone;
            let slot = &mut evidence.alone[alone.index()];
            *slot = (slot.0 + weight, slot.1.or(alone_task.as_deref()));
            let (with_llm, llm_task) = &medium.with_llm;
            let slot = &mut evidence.with_llm[with_llm.index()];
            *slot = (slot.0 + weight, slot.1.or(llm_task.as_deref()));
        }
    }
    if !token.camel_part && !token.in_org {
        observe_shape(catalogue, evidence, token.text);
    }
}

/// Cues from the shape of a token rather than a word: parameter counts (`7b`, `8x7b`, `a3b`: weak
/// evidence of an LLM), version letters (`-V`, `4.5v`, `-o`, `4o`: a vision or omni variant when next
/// to an LLM) and `X2Y` task tokens.
fn observe_shape<'c>(catalogue: &'c Catalogue, evidence: &mut Evidence<'c>, text: &[u8]) {
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if let Some((&last, head)) = text.split_last() {
        let count = match head.first() {
            Some(b'a' | b'e') => &head[1..],
            _ => head,
        };
        if last == b'b' && !count.is_empty() && count.split(|&byte| byte == b'x').all(digits) {
            evidence.add(ModelFamily::TextGeneration, evidence.strengths.weak, None);
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
    let medium =
        |side: &[u8]| catalogue.media.iter().find(|(name, _)| name.as_bytes() == side).map(|&(_, medium)| medium);
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
    evidence.add(family, evidence.strengths.task, Some(task));
}

fn trim_digits(text: &[u8]) -> &[u8] {
    let end = text.iter().rposition(|byte| !byte.is_ascii_digit()).map_or(0, |last| last + 1);
    &text[..end]
}

/// Splits `range` of `id` into tokens (maximal runs of ASCII letters and digits; anything else, non-ASCII
/// included, separates) and their camel-case parts, and observes each.
fn observe_range<'c>(
    catalogue: &'c Catalogue,
    evidence: &mut Evidence<'c>,
    id: &[u8],
    range: std::ops::Range<usize>,
    in_org: bool,
) {
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
        observe_token(catalogue, evidence, lower, in_org, false);
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
                    observe_token(catalogue, evidence, &lower[part_start..index], in_org, true);
                }
                parts += 1;
                part_start = index;
            }
        }
    }
}

fn observe_token<'c>(
    catalogue: &'c Catalogue,
    evidence: &mut Evidence<'c>,
    text: &[u8],
    in_org: bool,
    camel_part: bool,
) {
    let stem = trim_digits(text);
    let stem = if stem.is_empty() { text } else { stem };
    let stem_v = match stem.strip_suffix(b"v") {
        Some(head) if stem.len() < text.len() && head.len() > 1 => head,
        _ => stem,
    };
    observe(catalogue, evidence, &Token { text, stem, stem_v, in_org, camel_part });
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

fn org_prior(catalogue: &Catalogue, evidence: &mut Evidence<'_>, org: &[u8]) {
    for cue in &catalogue.organisations {
        let name = cue.name.as_bytes();
        let matches = org.len() >= name.len()
            && org[..name.len()].eq_ignore_ascii_case(name)
            && matches!(org.get(name.len()), None | Some(b'-' | b'_'));
        if matches {
            evidence.add(cue.family, cue.strength, None);
            return;
        }
    }
}

fn gather<'c>(catalogue: &'c Catalogue, model_id: &str) -> Evidence<'c> {
    let mut evidence = Evidence {
        strengths: catalogue.strengths,
        score: [0; ModelFamily::COUNT],
        strongest: [0; ModelFamily::COUNT],
        task: [(0, None); ModelFamily::COUNT],
        with_llm: [(0, None); ModelFamily::COUNT],
        alone: [(0, None); ModelFamily::COUNT],
        llm: false,
        medium_suffix: None,
        seen: vec![0; catalogue.cues.len().div_ceil(64)],
        tokens: 0,
    };
    let id = model_id.as_bytes();
    let (org, name) = split_id(id);
    // The name first, so that a cue seen in both counts at full weight.
    observe_range(catalogue, &mut evidence, id, name.clone(), false);
    observe_range(catalogue, &mut evidence, id, 0..name.start, true);
    if let Some(org) = org {
        org_prior(catalogue, &mut evidence, &id[org]);
    }
    evidence
}

/// The winning family and its finer task, after the medium and absorption rules.
fn decide<'c>(catalogue: &Catalogue, mut evidence: Evidence<'c>) -> (ModelFamily, Option<&'c str>) {
    let strengths = evidence.strengths;
    let generation = ModelFamily::TextGeneration.index();
    let multimodal = ModelFamily::Multimodal.index();
    if let Some(task) = evidence.medium_suffix {
        let slot = &mut evidence.with_llm[multimodal];
        *slot = (slot.0 + u32::from(strengths.hint), slot.1.or(Some(task)));
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
            evidence.strongest[target] = evidence.strongest[target].max(strengths.backbone);
            if evidence.task[target].1.is_none() {
                evidence.task[target] = (0, evidence.with_llm[target].1);
            }
        }
        _ => {
            // Alone, a medium word is a hint for its own family (never stronger than `hint`).
            for family in ModelFamily::ALL {
                let (total, task) = evidence.alone[family.index()];
                if total > 0 {
                    let weight = u8::try_from(total).unwrap_or(u8::MAX).min(strengths.hint);
                    evidence.score[family.index()] += total;
                    evidence.strongest[family.index()] = evidence.strongest[family.index()].max(weight);
                    if task.is_some() && evidence.task[family.index()].0 < weight {
                        evidence.task[family.index()] = (weight, task);
                    }
                }
            }
        }
    }
    for rule in &catalogue.absorb {
        let absorber = rule.family.index();
        if evidence.strongest[absorber] < strengths.model {
            continue;
        }
        let unless_stronger = rule.takes_unless_stronger.iter().map(|family| (family, true));
        for (family, conditional) in rule.takes.iter().map(|family| (family, false)).chain(unless_stronger) {
            if conditional && evidence.strongest[family.index()] > evidence.strongest[absorber] {
                continue;
            }
            let moved = std::mem::take(&mut evidence.score[family.index()]);
            evidence.score[absorber] += moved;
        }
    }
    let mut best = ModelFamily::Unknown;
    let mut best_score = 0;
    for family in catalogue.tie_order {
        if evidence.score[family.index()] > best_score {
            best = family;
            best_score = evidence.score[family.index()];
        }
    }
    (best, if best == ModelFamily::Unknown { None } else { evidence.task[best.index()].1 })
}

/// The family of a model id (a Hugging Face id like `org/name`, a local path or a Hub cache directory),
/// from the evidence of its tokens under the built-in catalogue: task words (`embedding`, `reranker`,
/// `tts`, `i2v`), model families (`whisper`, `detr`, `llava`), backbones (`llama`, `bert`, `vit`),
/// organisation priors and parameter counts. Linear in the length of the id; never panics. Unknown
/// when nothing matches or when the id names a task outside every family (reinforcement learning,
/// tabular models).
pub fn detect_family(model_id: &str) -> ModelFamily {
    detect(Catalogue::builtin(), model_id).0
}

/// A finer task beside the family, when the id states or implies one (`"reranker"`, `"embedding"`,
/// `"speech-recognition"`, `"text-to-speech"`, `"object-detection"`, `"image-segmentation"`,
/// `"translation"`, `"summarization"`, `"image-captioning"`, `"video-generation"`, …): the task of the
/// strongest cue of the detected family. None when the id names only a backbone (`bert-base-uncased`).
pub fn detect_task(model_id: &str) -> Option<&'static str> {
    detect(Catalogue::builtin(), model_id).1
}

/// The family and finer task of a model id under `catalogue`.
pub fn detect<'c>(catalogue: &'c Catalogue, model_id: &str) -> (ModelFamily, Option<&'c str>) {
    decide(catalogue, gather(catalogue, model_id))
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
    fn priors_scale_with_test_type() {
        let priors = Priors::default();
        let inference = prior_duration_ns(&priors, ModelFamily::Vision, TestType::Inference);
        assert_eq!(inference, 72_000_000_000);
        assert_eq!(prior_duration_ns(&priors, ModelFamily::Vision, TestType::Training), inference * 5);
    }
}

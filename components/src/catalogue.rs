//! The model catalogue: what task analysis knows about model ids, and the run-time priors per family,
//! as data (`components/data/models.toml`, embedded in the build; the file documents its own format).
//!
//! [`Catalogue::builtin`] parses and validates the embedded file once per process; [`Catalogue::parse`]
//! reads another one and names the problem (with its line) when it is not a valid catalogue.
//! `ballast_systems::analysis` is the matcher over these tables; the engine config's [`Priors`] start
//! from the catalogue's.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::capability::HardwareKind;
use crate::family::ModelFamily;

/// The `format` field of a catalogue file.
pub const FORMAT: &str = "ballast-model-catalogue";

/// The catalogue format version this build reads.
pub const VERSION: u32 = 1;

/// The longest cue text, in bytes: tokens longer than this are not names (hashes, garbage) and are
/// skipped by the matcher.
pub const CUE_LEN_MAX: usize = 40;

/// The most cues a catalogue may hold (the built-in one has about 400): a bound on the matcher's
/// work per token.
pub const CUES_MAX: usize = 4_096;

/// The prior tables the scorers read before any history: each family's relative speed on each hardware
/// kind (thousandths of a CPU's) and its prior run time of one inference test on a CPU.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Priors {
    /// Speed of each hardware kind per family, in thousandths of a CPU's (1,000 = a CPU).
    pub speed_permille: [[u32; HardwareKind::COUNT]; ModelFamily::COUNT],
    /// Run time of one inference test per family on a CPU, in milliseconds.
    pub duration_ms: [u64; ModelFamily::COUNT],
}

impl Default for Priors {
    /// The built-in catalogue's priors.
    fn default() -> Priors {
        Catalogue::builtin().priors.clone()
    }
}

impl Priors {
    /// The prior speed of `kind` for `family`, against a CPU (1.0).
    #[inline]
    pub fn speed(&self, family: ModelFamily, kind: HardwareKind) -> f32 {
        self.speed_permille[family.index()][kind.index()] as f32 / 1_000.0
    }

    /// The prior run time of one inference test of `family` on a CPU, in milliseconds.
    #[inline]
    pub fn duration_ms(&self, family: ModelFamily) -> u64 {
        self.duration_ms[family.index()]
    }
}

/// How a cue is compared with a lower-cased token of a model id (the file's `fit` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// `stem`: the token itself, or its stem: trailing digits removed (`qwen3` → `qwen`), then a
    /// version `v` (`dinov2` → `dino`).
    Stem,
    /// `whole`: the token itself only (`vits` must not match `vits16`, a DINO size).
    Whole,
    /// `prefix`: the start of the token (`yolo` in `yolov8`, `wav2vec` in `wav2vec2`).
    Prefix,
    /// `suffix`: the end of the token or of its stem (`detr` in `rtdetr`, `clip` in `biomedclip`).
    Suffix,
    /// `affix`: the start or the end of the token or of its stem (`vit` in `vitpose` and `internvit`).
    Affix,
    /// `within`: anywhere in the token (distinctive cues only: `llama` in `tinyllama`).
    Within,
}

impl Fit {
    fn parse(name: &str) -> Option<Fit> {
        Some(match name {
            "stem" => Fit::Stem,
            "whole" => Fit::Whole,
            "prefix" => Fit::Prefix,
            "suffix" => Fit::Suffix,
            "affix" => Fit::Affix,
            "within" => Fit::Within,
            _ => return None,
        })
    }
}

/// The strength of each kind of evidence (the file's `[strengths]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strengths {
    /// An explicit task word.
    pub task: u8,
    /// A model family that fixes the task.
    pub model: u8,
    /// A dataset or medium word that usually goes with one family.
    pub hint: u8,
    /// A backbone reused across tasks.
    pub backbone: u8,
    /// Organisation evidence, and the cap on any cue seen in the organisation part of an id.
    pub org: u8,
    /// A hint shared by many families.
    pub weak: u8,
}

/// One cue: a text, how it fits a token, its strength, its family and the finer task it implies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    /// Lower-case ASCII letters and digits.
    pub text: Box<str>,
    /// How it is compared with a token.
    pub fit: Fit,
    /// The evidence it adds.
    pub strength: u8,
    /// The family it is evidence for.
    pub family: ModelFamily,
    /// The finer task it implies, if any.
    pub task: Option<Box<str>>,
}

/// A family and, optionally, a finer task.
pub type FamilyTask = (ModelFamily, Option<Box<str>>);

/// A medium word whose family depends on the rest of the id (`vision`, `video`, `audio`, `image`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediumCue {
    /// The word (a whole token or its stem).
    pub word: Box<str>,
    /// Its family and task alone.
    pub alone: FamilyTask,
    /// Its family and task next to an LLM backbone.
    pub with_llm: FamilyTask,
    /// Its strength.
    pub strength: u8,
}

/// An organisation whose models mostly belong to one family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganisationCue {
    /// The name, compared case-insensitively (also as a prefix before `-` or `_`).
    pub name: Box<str>,
    /// The family.
    pub family: ModelFamily,
    /// Its strength.
    pub strength: u8,
}

/// A compound rule: `family`, at model strength or above, takes over the evidence of others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Absorb {
    /// The absorbing family.
    pub family: ModelFamily,
    /// Families whose evidence it always takes.
    pub takes: Vec<ModelFamily>,
    /// Families whose evidence it takes when their strongest cue is not stronger than its own.
    pub takes_unless_stronger: Vec<ModelFamily>,
}

/// The medium of one side of an `X2Y` task token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Medium {
    /// Text.
    Text,
    /// Still images.
    Image,
    /// Video.
    Video,
    /// 3D shapes.
    Shape,
    /// Sound: speech, music, audio.
    Sound,
}

/// What task analysis knows, loaded from a catalogue file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalogue {
    /// The strength of each kind of evidence.
    pub strengths: Strengths,
    /// Every family's cues, in the file's order within a family.
    pub cues: Vec<Cue>,
    /// Medium words.
    pub mediums: Vec<MediumCue>,
    /// Organisation priors.
    pub organisations: Vec<OrganisationCue>,
    /// Compound rules, in order.
    pub absorb: Vec<Absorb>,
    /// Ties between equal totals go to the family first here.
    pub tie_order: [ModelFamily; ModelFamily::COUNT],
    /// The media of `X2Y` token sides.
    pub media: Vec<(Box<str>, Medium)>,
    /// Each family's prior run time and speeds.
    pub priors: Priors,
}

/// Why a catalogue file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// Not TOML, or not of the catalogue's shape (the message names the line and column).
    #[error("not a model catalogue: {0}")]
    Syntax(String),
    /// A field's value is not acceptable.
    #[error("{field}: {problem}")]
    Invalid {
        /// Where, e.g. `families.vision.cues[3]`.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

static BUILTIN: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::parse(include_str!("../data/models.toml"))
        .unwrap_or_else(|error| panic!("the built-in model catalogue is invalid: {error}"))
});

impl Catalogue {
    /// The catalogue embedded in the build (`components/data/models.toml`), parsed once per process.
    pub fn builtin() -> &'static Catalogue {
        &BUILTIN
    }

    /// Parses and validates a catalogue file's text.
    pub fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        let file: CatalogueFile = toml::from_str(text).map_err(|error| CatalogueError::Syntax(error.to_string()))?;
        file.into_catalogue()
    }
}

// The file's shape (serde only; the catalogue itself is the validated form above).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    format: String,
    version: u32,
    strengths: StrengthsFile,
    mediums: Vec<MediumFile>,
    organisations: Vec<(String, String, String)>,
    absorb: Vec<AbsorbFile>,
    tie_order: Vec<String>,
    media: BTreeMap<String, String>,
    families: BTreeMap<String, FamilyFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrengthsFile {
    task: u8,
    model: u8,
    hint: u8,
    backbone: u8,
    org: u8,
    weak: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MediumFile {
    word: String,
    alone: Vec<String>,
    with_llm: Vec<String>,
    strength: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AbsorbFile {
    family: String,
    takes: Vec<String>,
    #[serde(default)]
    takes_unless_stronger: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    prior_duration_ms: u64,
    speed: BTreeMap<String, f64>,
    cues: Vec<Vec<String>>,
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> CatalogueError {
    CatalogueError::Invalid { field: field.into(), problem: problem.into() }
}

fn family(field: &str, name: &str) -> Result<ModelFamily, CatalogueError> {
    ModelFamily::parse(name).ok_or_else(|| invalid(field, format!("`{name}` is not a family")))
}

fn family_task(field: &str, parts: &[String]) -> Result<FamilyTask, CatalogueError> {
    match parts {
        [name] => Ok((family(field, name)?, None)),
        [name, task] => Ok((family(field, name)?, Some(task.as_str().into()))),
        _ => Err(invalid(field, "expected [family] or [family, task]")),
    }
}

fn is_cue_text(text: &str) -> bool {
    (2..=CUE_LEN_MAX).contains(&text.len())
        && text.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
}

impl StrengthsFile {
    fn get(&self, field: &str, name: &str) -> Result<u8, CatalogueError> {
        Ok(match name {
            "task" => self.task,
            "model" => self.model,
            "hint" => self.hint,
            "backbone" => self.backbone,
            "org" => self.org,
            "weak" => self.weak,
            _ => {
                return Err(invalid(
                    field,
                    format!("`{name}` is not a strength (task, model, hint, backbone, org, weak)"),
                ));
            }
        })
    }
}

impl CatalogueFile {
    fn into_catalogue(self) -> Result<Catalogue, CatalogueError> {
        if self.format != FORMAT {
            return Err(invalid("format", format!("is `{}`, not `{FORMAT}`", self.format)));
        }
        if self.version == 0 || self.version > VERSION {
            return Err(invalid("version", format!("is {}; this build reads 1 to {VERSION}", self.version)));
        }
        let s = &self.strengths;
        let strengths =
            Strengths { task: s.task, model: s.model, hint: s.hint, backbone: s.backbone, org: s.org, weak: s.weak };
        let ordered = [s.weak, s.org, s.backbone, s.hint, s.model, s.task];
        if ordered[0] == 0 || ordered.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(invalid(
                "strengths",
                "must rise strictly from weak (at least 1) to org, backbone, hint, model and task",
            ));
        }
        let mut cues = Vec::new();
        let mut priors = Priors {
            speed_permille: [[0; HardwareKind::COUNT]; ModelFamily::COUNT],
            duration_ms: [0; ModelFamily::COUNT],
        };
        for family_name in ModelFamily::ALL.map(ModelFamily::name) {
            if !self.families.contains_key(family_name) {
                return Err(invalid(format!("families.{family_name}"), "is missing (every family needs its priors)"));
            }
        }
        for (name, entry) in &self.families {
            let field = format!("families.{name}");
            let family = family(&field, name)?;
            if !(1..=86_400_000).contains(&entry.prior_duration_ms) {
                return Err(invalid(
                    format!("{field}.prior_duration_ms"),
                    format!("is {}, outside 1..=86400000", entry.prior_duration_ms),
                ));
            }
            priors.duration_ms[family.index()] = entry.prior_duration_ms;
            for kind in HardwareKind::ALL {
                let speed_field = format!("{field}.speed.{}", kind.name());
                let Some(&speed) = entry.speed.get(kind.name()) else {
                    return Err(invalid(speed_field, "is missing"));
                };
                if !(speed.is_finite() && (0.001..=1_000.0).contains(&speed)) {
                    return Err(invalid(speed_field, format!("is {speed}, outside 0.001..=1000")));
                }
                priors.speed_permille[family.index()][kind.index()] = (speed * 1_000.0).round() as u32;
            }
            if let Some(unknown) = entry.speed.keys().find(|key| HardwareKind::parse(key).is_none()) {
                return Err(invalid(format!("{field}.speed.{unknown}"), "is not a hardware kind"));
            }
            for (index, parts) in entry.cues.iter().enumerate() {
                let cue_field = format!("{field}.cues[{index}]");
                let (text, fit, strength, task) = match &parts[..] {
                    [text, fit, strength] => (text, fit, strength, None),
                    [text, fit, strength, task] => (text, fit, strength, Some(task)),
                    _ => {
                        return Err(invalid(
                            cue_field,
                            "expected [text, fit, strength] or [text, fit, strength, task]",
                        ));
                    }
                };
                if !is_cue_text(text) {
                    return Err(invalid(
                        cue_field,
                        format!("`{text}` is not 2 to {CUE_LEN_MAX} lower-case ASCII letters and digits"),
                    ));
                }
                let fit = Fit::parse(fit).ok_or_else(|| {
                    invalid(&cue_field, format!("`{fit}` is not a fit (stem, whole, prefix, suffix, affix, within)"))
                })?;
                let strength = s.get(&cue_field, strength)?;
                cues.push(Cue {
                    text: text.as_str().into(),
                    fit,
                    strength,
                    family,
                    task: task.map(|task| task.as_str().into()),
                });
            }
        }
        // The families are read in name order; keep each family's cues together in the order of
        // `ModelFamily::ALL` so the matcher's order does not depend on how a map sorts names.
        cues.sort_by_key(|cue| cue.family.index());
        if cues.len() > CUES_MAX {
            return Err(invalid("families", format!("hold {} cues, over {CUES_MAX}", cues.len())));
        }
        let mediums = self
            .mediums
            .iter()
            .enumerate()
            .map(|(index, medium)| {
                let field = format!("mediums[{index}]");
                if !is_cue_text(&medium.word) {
                    return Err(invalid(
                        format!("{field}.word"),
                        format!("`{}` is not a lower-case word", medium.word),
                    ));
                }
                Ok(MediumCue {
                    word: medium.word.as_str().into(),
                    alone: family_task(&format!("{field}.alone"), &medium.alone)?,
                    with_llm: family_task(&format!("{field}.with_llm"), &medium.with_llm)?,
                    strength: s.get(&format!("{field}.strength"), &medium.strength)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let organisations = self
            .organisations
            .iter()
            .enumerate()
            .map(|(index, (name, family_name, strength))| {
                let field = format!("organisations[{index}]");
                if name.is_empty() || name.len() > 128 {
                    return Err(invalid(field, "the name must be 1 to 128 bytes"));
                }
                Ok(OrganisationCue {
                    name: name.as_str().into(),
                    family: family(&field, family_name)?,
                    strength: s.get(&field, strength)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let absorb = self
            .absorb
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                let field = format!("absorb[{index}]");
                let list =
                    |names: &[String]| names.iter().map(|name| family(&field, name)).collect::<Result<Vec<_>, _>>();
                Ok(Absorb {
                    family: family(&field, &rule.family)?,
                    takes: list(&rule.takes)?,
                    takes_unless_stronger: list(&rule.takes_unless_stronger)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut tie_order = [ModelFamily::Unknown; ModelFamily::COUNT];
        if self.tie_order.len() != ModelFamily::COUNT {
            return Err(invalid("tie_order", format!("must name each of the {} families once", ModelFamily::COUNT)));
        }
        for (index, name) in self.tie_order.iter().enumerate() {
            tie_order[index] = family("tie_order", name)?;
        }
        if ModelFamily::ALL.iter().any(|family| !tie_order.contains(family)) {
            return Err(invalid("tie_order", "must name each family once"));
        }
        let media = self
            .media
            .iter()
            .map(|(side, medium)| {
                let medium = match medium.as_str() {
                    "text" => Medium::Text,
                    "image" => Medium::Image,
                    "video" => Medium::Video,
                    "shape" => Medium::Shape,
                    "sound" => Medium::Sound,
                    other => {
                        return Err(invalid(
                            format!("media.{side}"),
                            format!("`{other}` is not a medium (text, image, video, shape, sound)"),
                        ));
                    }
                };
                Ok((side.as_str().into(), medium))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalogue { strengths, cues, mediums, organisations, absorb, tie_order, media, priors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalogue_loads() {
        let catalogue = Catalogue::builtin();
        assert!(catalogue.cues.len() > 300, "{} cues", catalogue.cues.len());
        assert_eq!(catalogue.priors.duration_ms(ModelFamily::Vision), 72_000);
        assert_eq!(catalogue.priors.speed(ModelFamily::Vision, HardwareKind::Cuda), 3.0);
    }

    #[test]
    fn a_bad_catalogue_is_refused_with_the_field() {
        let text = include_str!("../data/models.toml");
        let error = Catalogue::parse(&text.replace("[\"embed\", \"within\"", "[\"embed\", \"inside\"")).unwrap_err();
        assert!(error.to_string().starts_with("families.text-embedding.cues[0]: `inside` is not a fit"), "{error}");
        let error =
            Catalogue::parse(&text.replacen("prior_duration_ms = 72_000", "prior_duration_ms = 0", 1)).unwrap_err();
        assert_eq!(error.to_string(), "families.vision.prior_duration_ms: is 0, outside 1..=86400000");
        let error = Catalogue::parse("format = 1").unwrap_err();
        assert!(matches!(error, CatalogueError::Syntax(_)), "{error}");
    }
}

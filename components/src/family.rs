//! Model families and test types: the coarse profile that analysis derives from a task's model id,
//! and the tables of priors that go with it.

use std::fmt;

/// The coarse family of a model, derived from its id by task analysis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ModelFamily {
    /// Not recognised (or no model id).
    #[default]
    Unknown = 0,
    /// Text embeddings and rerankers (BERT-like encoders, sentence transformers).
    TextEmbedding = 1,
    /// Decoder-only text generation (GPT, Llama, Qwen, …).
    TextGeneration = 2,
    /// Encoder-decoder text (T5, BART, translation, summarization).
    TextToText = 3,
    /// Image classification, detection and segmentation.
    Vision = 4,
    /// Image and video generation (diffusion).
    VisionGeneration = 5,
    /// Speech recognition, audio classification, speech synthesis.
    Audio = 6,
    /// Vision-language and CLIP-like models.
    Multimodal = 7,
}

impl ModelFamily {
    /// Every family, in index order.
    pub const ALL: [ModelFamily; 8] = [
        ModelFamily::Unknown,
        ModelFamily::TextEmbedding,
        ModelFamily::TextGeneration,
        ModelFamily::TextToText,
        ModelFamily::Vision,
        ModelFamily::VisionGeneration,
        ModelFamily::Audio,
        ModelFamily::Multimodal,
    ];
    /// How many families there are.
    pub const COUNT: usize = 8;

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            ModelFamily::Unknown => "unknown",
            ModelFamily::TextEmbedding => "text-embedding",
            ModelFamily::TextGeneration => "text-generation",
            ModelFamily::TextToText => "text-to-text",
            ModelFamily::Vision => "vision",
            ModelFamily::VisionGeneration => "vision-generation",
            ModelFamily::Audio => "audio",
            ModelFamily::Multimodal => "multimodal",
        }
    }

    /// Parses a stable name.
    pub fn parse(name: &str) -> Option<ModelFamily> {
        ModelFamily::ALL.into_iter().find(|family| family.name() == name)
    }

    /// The family as an index into per-family tables.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of test a task is; it scales the run-time prior.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TestType {
    /// Model inference (the default).
    #[default]
    Inference = 0,
    /// Training or fine-tuning.
    Training = 1,
    /// Quantization.
    Quantization = 2,
    /// A benchmark run.
    Benchmark = 3,
    /// An integration test.
    Integration = 4,
    /// A unit test.
    Unit = 5,
    /// A web-platform test in a browser.
    Web = 6,
}

impl TestType {
    /// Every test type, in index order.
    pub const ALL: [TestType; 7] = [
        TestType::Inference,
        TestType::Training,
        TestType::Quantization,
        TestType::Benchmark,
        TestType::Integration,
        TestType::Unit,
        TestType::Web,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            TestType::Inference => "inference",
            TestType::Training => "training",
            TestType::Quantization => "quantization",
            TestType::Benchmark => "benchmark",
            TestType::Integration => "integration",
            TestType::Unit => "unit",
            TestType::Web => "web",
        }
    }

    /// Parses a stable name (case-insensitive).
    pub fn parse(name: &str) -> Option<TestType> {
        TestType::ALL.into_iter().find(|test_type| test_type.name().eq_ignore_ascii_case(name))
    }

    /// The run-time factor of this test type against inference, from the original system's analyzer
    /// (inference 1, training 5, quantization 3, benchmark 2.5, integration 2); unit and web tests are
    /// guesses (0.5 and 1); tune them with history.
    pub fn duration_factor_percent(self) -> u64 {
        match self {
            TestType::Inference => 100,
            TestType::Training => 500,
            TestType::Quantization => 300,
            TestType::Benchmark => 250,
            TestType::Integration => 200,
            TestType::Unit => 50,
            TestType::Web => 100,
        }
    }
}

impl fmt::Display for TestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

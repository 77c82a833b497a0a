//! Task analysis on real model ids: family detection against the labels Hugging Face itself gives
//! (`../shared/data/model-ids/` beside the project: the shared data set is read in place, not copied).

use ballast_components::family::ModelFamily;
use ballast_systems::analysis::detect_family;

/// The family of a Hugging Face task label (and of the TEI README sections); see the mapping above
/// the families of the model catalogue, `components/data/models.toml`.
fn family_of_task(task: &str) -> ModelFamily {
    match task {
        "feature-extraction"
        | "sentence-similarity"
        | "text-ranking"
        | "fill-mask"
        | "token-classification"
        | "text-classification"
        | "question-answering"
        | "table-question-answering"
        | "zero-shot-classification"
        | "embedding (MTEB table)"
        | "Re-Ranking"
        | "Sentiment Analysis" => ModelFamily::TextEmbedding,
        "text-generation" => ModelFamily::TextGeneration,
        "translation" | "summarization" | "text2text-generation" => ModelFamily::TextToText,
        "image-classification"
        | "object-detection"
        | "image-segmentation"
        | "mask-generation"
        | "depth-estimation"
        | "keypoint-detection"
        | "image-feature-extraction"
        | "video-classification" => ModelFamily::Vision,
        "text-to-image"
        | "image-to-image"
        | "image-text-to-image"
        | "unconditional-image-generation"
        | "text-to-video"
        | "image-to-video"
        | "image-text-to-video"
        | "video-to-video"
        | "text-to-3d"
        | "image-to-3d" => ModelFamily::VisionGeneration,
        "automatic-speech-recognition"
        | "audio-classification"
        | "text-to-speech"
        | "text-to-audio"
        | "audio-to-audio"
        | "voice-activity-detection"
        | "zero-shot-audio-classification" => ModelFamily::Audio,
        "image-text-to-text"
        | "video-text-to-text"
        | "audio-text-to-text"
        | "any-to-any"
        | "image-to-text"
        | "visual-question-answering"
        | "document-question-answering"
        | "visual-document-retrieval"
        | "zero-shot-image-classification"
        | "zero-shot-object-detection" => ModelFamily::Multimodal,
        "reinforcement-learning" | "tabular-classification" | "tabular-regression" | "time-series-forecasting" => {
            ModelFamily::Unknown
        }
        other => panic!(
            "no family for task {other:?}: add it to this mapping and the one at the head of components/data/models.toml"
        ),
    }
}

/// The share of ids of a labelled file (`model_id,task,…`) whose detected family is the family of
/// their task, and the misclassified ones.
fn accuracy(text: &str, path: &str) -> (f64, Vec<String>) {
    let (mut total, mut misses) = (0, Vec::new());
    for line in text.lines().skip(1).map(str::trim).filter(|line| !line.is_empty()) {
        let mut columns = line.split(',');
        let (Some(model_id), Some(task)) = (columns.next(), columns.next()) else {
            panic!("{path}: malformed line {line:?}");
        };
        total += 1;
        let (expected, detected) = (family_of_task(task), detect_family(model_id));
        if detected != expected {
            misses.push(format!("{model_id} ({task}): expected {expected}, detected {detected}"));
        }
    }
    assert!(total > 0, "{path}: no rows");
    ((total - misses.len()) as f64 / total as f64, misses)
}

/// Accuracy on real ids labelled with their Hugging Face task (measured 151/156 = 0.968 and
/// 25/25 when the cues were written; the thresholds leave room for a few regressions).
#[test]
fn accuracy_on_labelled_model_ids() {
    let Some(directory) = crate::shared_data("model-ids") else { return };
    for (file, threshold) in [("hf_tasks_recommended_models.csv", 0.94), ("tei_readme_models.csv", 0.95)] {
        let path = directory.join(file).display().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
        let (accuracy, misses) = accuracy(&text, &path);
        assert!(
            accuracy >= threshold,
            "{file}: accuracy {accuracy:.3} < {threshold}; misclassified:\n{}",
            misses.join("\n")
        );
    }
}

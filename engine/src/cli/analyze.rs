//! `ballast analyze`: what task analysis derives from model ids, one JSON object per id.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::read_engine_config;

/// The arguments of `ballast analyze`.
#[derive(clap::Args)]
pub(crate) struct AnalyzeArgs {
    /// Model ids (none: read them from stdin, one per line).
    model_ids: Vec<String>,
    /// Engine config (JSON) whose prior tables to use (`priors`; missing entries take the defaults).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs `ballast analyze`.
pub(crate) fn run(args: AnalyzeArgs) -> Result<()> {
    run_analyze(args.model_ids, args.config.as_deref())
}

/// Prints one JSON line per id; a bad id gets a line with its `error`, and the exit status says so.
fn run_analyze(model_ids: Vec<String>, config: Option<&std::path::Path>) -> Result<()> {
    use std::io::{BufRead, Write};
    let priors = match config {
        Some(path) => read_engine_config(path)?.priors,
        None => crate::components::preferences::Priors::default(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut refused = 0u64;
    let mut emit = |out: &mut dyn Write, line: Option<u64>, id: Result<String, String>| -> Result<()> {
        let value = match id.and_then(|id| {
            crate::analyze::analyze_with(&priors, &id).map_err(|error| error.to_string()).map(|analysis| (id, analysis))
        }) {
            Ok((_, analysis)) => serde_json::to_value(&analysis)?,
            Err(error) => {
                refused += 1;
                serde_json::json!({ "line": line, "error": error })
            }
        };
        writeln!(out, "{value}")?;
        Ok(())
    };
    if model_ids.is_empty() {
        for (index, line) in std::io::stdin().lock().split(b'\n').enumerate() {
            let bytes = line.context("reading stdin")?;
            let id = String::from_utf8(bytes).map_err(|_| "the model id is not UTF-8".to_owned());
            emit(&mut out, Some(index as u64 + 1), id)?;
        }
    } else {
        for id in model_ids {
            emit(&mut out, None, Ok(id))?;
        }
    }
    out.flush()?;
    if refused > 0 {
        bail!("{refused} model ids were refused (their lines say why)");
    }
    Ok(())
}

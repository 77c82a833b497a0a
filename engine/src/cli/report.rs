//! `ballast report`: a self-contained HTML page of charts from result files.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    /// Result files (JSON); each one's kind is told from its fields.
    #[arg(required = true)]
    results: Vec<PathBuf>,
    /// The directory to write `index.html` to (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// Draws the page and prints its path.
pub(crate) fn run(args: ReportArgs) -> Result<()> {
    let path = crate::visual::write_report(&args.results, &args.out)?;
    println!("{}", path.display());
    Ok(())
}

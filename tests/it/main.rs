//! Ballast's integration tests: one binary, one module per feature area.

mod admission;
mod analysis;
mod bad_input;
mod check;
mod ci;
mod determinism;
mod fleet_health;
mod fuzz;
mod handle;
mod hostile;
mod invariants;
mod openb;
mod pipeline;
mod policies;
mod quality;
mod record;
mod report;
mod scale;
mod schedule;
mod service;
mod stealing;
mod swf;
mod systems;
mod tidy;
mod workloads;

/// A file or directory of the shared data set beside the project (`../shared/data/…`), read in place;
/// `None` (and a note on stderr) where it is absent, so the test that needs it skips.
fn shared_data(relative: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: the shared data set is not beside the project ({})", path.display());
        None
    }
}

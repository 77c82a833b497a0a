//! The composite policy's weights: a type of its own, read by the config (the defaults a coordinator
//! sets) and by the adaptive policy (the presets its bandit plays), so neither imports the other.

/// The weights of the composite scorers, in thousandths. A worker's cost for a task is
/// `(wait + run × (1 + waste × scarcity)) / success × (1 + load × share) × (1 − warm)`: `wait` is the
/// time until one of its slots frees, `run` the predicted run time there, `scarcity` (0 to 1) how
/// much the seat it takes blocks tasks that need what the worker has and the task does not (GPUs,
/// browsers, memory) while they are short of it, `share` its dominant reserved share after the
/// placement, `warm` granted when the task's model ran there last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompositeWeights {
    /// Weight of the load share.
    pub load_permille: u32,
    /// Surcharge for scarce capabilities a task leaves idle.
    pub waste_permille: u32,
    /// Discount for a warm model (below 1000).
    pub warm_permille: u32,
    /// Weight of the prediction's uncertainty added to the predicted run time (risk aversion): a worker
    /// whose speed for the task is unknown costs more than one measured to be as fast.
    pub risk_permille: u32,
}

impl Default for CompositeWeights {
    fn default() -> Self {
        // Chosen with `ballast bench quality --policies composite --weights L,W,M` over every scenario
        // (the table is in ARCHITECTURE.md, Placement): the predicted run time and wait decide, a
        // seat that blocks scarce capability under pressure costs up to its run time again, the load
        // share spreads equal costs (a full worker costs four times an idle one), and a warm model is
        // worth 2%.
        CompositeWeights { load_permille: 3000, waste_permille: 1000, warm_permille: 20, risk_permille: 0 }
    }
}

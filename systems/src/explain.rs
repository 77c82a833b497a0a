//! Why a task is where it is: per requirement, how many registered workers it excludes; then how many
//! eligible workers are unhealthy, busy or available. Pure functions over worker components, used by
//! the index stage (to explain unschedulable tasks) and by the facade's `explain`.

use ballast_components::capability::{BrowserSet, HardwareSet};
use ballast_components::message::{Filter, FilterCount};
use ballast_components::requirements::{Demand, GpuDemand, Requirements};
use ballast_components::symbols::Symbol;
use ballast_components::symbols::Symbols;
use ballast_components::worker::{Capabilities, Health, Load};

/// Whether a worker's static capabilities meet `requirements` exactly (ignoring its current load).
pub fn meets_requirements(capabilities: &Capabilities, requirements: &Requirements) -> bool {
    (requirements.hardware_any.is_empty() || requirements.hardware_any.intersects(capabilities.hardware))
        && (requirements.browsers_any.is_empty() || requirements.browsers_any.intersects(capabilities.browsers))
        && capabilities.has_tags(&requirements.tags)
        && capabilities.could_ever_hold(&requirements.demand, &requirements.gpu_models)
}

/// One requirement, as a test a worker passes or fails on its own.
enum Check<'a> {
    Hardware(HardwareSet),
    Browser(BrowserSet),
    Cpu(u32),
    Memory(u64),
    Gpu(GpuDemand),
    GpuModels(&'a [Symbol]),
    Tag(Symbol),
}

impl Check<'_> {
    /// The requirements of `requirements`, one by one.
    fn all(requirements: &Requirements) -> Vec<Check<'_>> {
        let mut checks = Vec::new();
        if !requirements.hardware_any.is_empty() {
            checks.push(Check::Hardware(requirements.hardware_any));
        }
        if !requirements.browsers_any.is_empty() {
            checks.push(Check::Browser(requirements.browsers_any));
        }
        let demand = requirements.demand;
        if demand.cpu_milli > 0 {
            checks.push(Check::Cpu(demand.cpu_milli));
        }
        if demand.memory_mib > 0 {
            checks.push(Check::Memory(demand.memory_mib));
        }
        if !demand.gpu.is_none() {
            checks.push(Check::Gpu(demand.gpu));
        }
        if !requirements.gpu_models.is_empty() {
            checks.push(Check::GpuModels(&requirements.gpu_models));
        }
        checks.extend(requirements.tags.iter().map(|&tag| Check::Tag(tag)));
        checks
    }

    /// Whether the worker meets this requirement.
    fn admits(&self, capabilities: &Capabilities) -> bool {
        match *self {
            Check::Hardware(set) => set.intersects(capabilities.hardware),
            Check::Browser(set) => set.intersects(capabilities.browsers),
            Check::Cpu(milli) => capabilities.cpu_milli >= milli,
            Check::Memory(mib) => capabilities.memory_mib >= mib,
            Check::Gpu(gpu) => {
                let demand = Demand { gpu, ..Demand::default() };
                Load::default().fit_gpus(capabilities, &demand, &[]).is_some()
            }
            Check::GpuModels(models) => {
                capabilities.gpus.iter().any(|gpu| gpu.model.is_some_and(|model| models.contains(&model)))
            }
            Check::Tag(tag) => capabilities.has_tags(&[tag]),
        }
    }

    /// The requirement as explain reports it.
    fn filter(&self, symbols: &Symbols) -> Filter {
        match *self {
            Check::Hardware(set) => Filter::Hardware(set),
            Check::Browser(set) => Filter::Browser(set),
            Check::Cpu(milli) => Filter::CpuMilli(milli),
            Check::Memory(mib) => Filter::MemoryMib(mib),
            Check::Gpu(gpu) => Filter::Gpu(gpu),
            Check::GpuModels(models) => {
                Filter::GpuModels(models.iter().map(|&model| symbols.name(model).to_owned()).collect())
            }
            Check::Tag(tag) => Filter::Tag(symbols.name(tag).to_owned()),
        }
    }
}

/// Per-requirement exclusion counts over the registered workers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequirementCounts {
    /// Registered workers.
    pub workers_registered: u32,
    /// Each requirement with the workers it excludes on its own.
    pub filters: Vec<FilterCount>,
    /// Workers that meet every requirement and are not draining.
    pub eligible: u32,
}

/// Counts, for each requirement, the registered workers that do not meet it.
pub fn count_exclusions<'a>(
    requirements: &Requirements,
    symbols: &Symbols,
    workers: impl IntoIterator<Item = (&'a Capabilities, &'a Health)>,
) -> RequirementCounts {
    let checks = Check::all(requirements);
    let mut excluded = vec![0u32; checks.len()];
    let mut counts = RequirementCounts::default();
    for (capabilities, health) in workers {
        counts.workers_registered += 1;
        for (count, check) in excluded.iter_mut().zip(&checks) {
            if !check.admits(capabilities) {
                *count += 1;
            }
        }
        if !health.draining && meets_requirements(capabilities, requirements) {
            counts.eligible += 1;
        }
    }
    counts.filters = checks
        .iter()
        .zip(excluded)
        .map(|(check, excluded)| FilterCount { filter: check.filter(symbols), excluded })
        .collect();
    counts
}

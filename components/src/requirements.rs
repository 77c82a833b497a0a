//! What a task needs: hard capability filters (hardware any-of, browser any-of, GPU models, tags)
//! and the resources one running copy reserves on its worker ([`Demand`]).
//! Requirements are interned into a [`RequirementsId`](crate::RequirementsId) at admission.

use crate::capability::{BrowserSet, HardwareSet};
use crate::symbols::Symbol;

/// GPU milli-units in one whole device.
pub const GPU_MILLI_WHOLE: u16 = 1000;

/// The GPU part of a task's demand.
///
/// `count` devices, each reserving `milli` thousandths of the device (1000 = the whole device) and
/// `memory_mib` of its memory. A fractional share (`milli < 1000`) always asks for one device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct GpuDemand {
    /// Number of devices (0 = no GPU).
    pub count: u8,
    /// Share of each device, in thousandths (1..=1000).
    pub milli: u16,
    /// Memory reserved on each device, in MiB.
    pub memory_mib: u64,
}

impl GpuDemand {
    /// No GPU at all.
    pub const NONE: GpuDemand = GpuDemand { count: 0, milli: 0, memory_mib: 0 };

    /// `count` whole devices.
    pub fn whole(count: u8) -> GpuDemand {
        GpuDemand { count, milli: GPU_MILLI_WHOLE, memory_mib: 0 }
    }

    /// Whether any GPU is needed.
    #[inline]
    pub fn is_none(&self) -> bool {
        self.count == 0
    }
}

/// The resources one running task reserves on its worker. Every task also takes one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Demand {
    /// CPU, in thousandths of a core.
    pub cpu_milli: u32,
    /// Host memory, in MiB.
    pub memory_mib: u64,
    /// GPU devices.
    pub gpu: GpuDemand,
}

/// An interned set of hard requirements.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Requirements {
    /// The worker must offer at least one of these kinds (empty: any worker).
    pub hardware_any: HardwareSet,
    /// The worker must host at least one of these browsers (empty: no browser needed).
    pub browsers_any: BrowserSet,
    /// The GPU devices used must be of one of these models (empty: any model). Sorted.
    pub gpu_models: Box<[Symbol]>,
    /// The worker must carry every one of these tags. Sorted.
    pub tags: Box<[Symbol]>,
    /// What one running task reserves.
    pub demand: Demand,
}

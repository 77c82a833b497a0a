//! Capability values a worker offers and a task may require: hardware kinds and browsers,
//! each as a small enum with a bit set over it.

use std::fmt;

/// A kind of hardware backend a worker can run tests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum HardwareKind {
    /// General-purpose CPU.
    Cpu = 0,
    /// NVIDIA GPU through CUDA.
    Cuda = 1,
    /// AMD GPU through ROCm.
    Rocm = 2,
    /// Apple GPU through Metal Performance Shaders.
    Mps = 3,
    /// Intel CPU/GPU/NPU through OpenVINO.
    Openvino = 4,
    /// Qualcomm NPU through QNN.
    Qnn = 5,
    /// The WebNN API in a browser.
    Webnn = 6,
    /// The WebGPU API in a browser.
    Webgpu = 7,
}

impl HardwareKind {
    /// Every kind, in index order.
    pub const ALL: [HardwareKind; 8] = [
        HardwareKind::Cpu,
        HardwareKind::Cuda,
        HardwareKind::Rocm,
        HardwareKind::Mps,
        HardwareKind::Openvino,
        HardwareKind::Qnn,
        HardwareKind::Webnn,
        HardwareKind::Webgpu,
    ];
    /// How many kinds there are.
    pub const COUNT: usize = 8;

    /// The stable name used in the CLI, the wire protocol and reports.
    pub fn name(self) -> &'static str {
        match self {
            HardwareKind::Cpu => "cpu",
            HardwareKind::Cuda => "cuda",
            HardwareKind::Rocm => "rocm",
            HardwareKind::Mps => "mps",
            HardwareKind::Openvino => "openvino",
            HardwareKind::Qnn => "qnn",
            HardwareKind::Webnn => "webnn",
            HardwareKind::Webgpu => "webgpu",
        }
    }

    /// Parses a stable name (case-insensitive).
    pub fn parse(name: &str) -> Option<HardwareKind> {
        HardwareKind::ALL.into_iter().find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// The kind as an index into per-kind tables.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether this kind is a GPU or NPU accelerator (not the CPU, not a browser API).
    pub fn is_accelerator(self) -> bool {
        matches!(
            self,
            HardwareKind::Cuda | HardwareKind::Rocm | HardwareKind::Mps | HardwareKind::Openvino | HardwareKind::Qnn
        )
    }
}

impl fmt::Display for HardwareKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of hardware kinds. As a requirement it means "any of"; the empty set means "any".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HardwareSet(pub u16);

impl HardwareSet {
    /// The empty set.
    pub const EMPTY: HardwareSet = HardwareSet(0);

    /// A set of the given kinds.
    pub fn of(kinds: &[HardwareKind]) -> HardwareSet {
        kinds.iter().fold(HardwareSet::EMPTY, |set, &kind| set.with(kind))
    }

    /// This set with `kind` added.
    #[must_use]
    pub fn with(self, kind: HardwareKind) -> HardwareSet {
        HardwareSet(self.0 | 1 << kind.index())
    }

    /// Whether `kind` is in the set.
    #[inline]
    pub fn contains(self, kind: HardwareKind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the two sets share a kind.
    #[inline]
    pub fn intersects(self, other: HardwareSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The kinds in the set, in index order.
    pub fn iter(self) -> impl Iterator<Item = HardwareKind> {
        HardwareKind::ALL.into_iter().filter(move |&kind| self.contains(kind))
    }
}

impl fmt::Display for HardwareSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, self.iter().map(HardwareKind::name))
    }
}

/// A browser a worker hosts, for web-platform tests (WebGPU/WebNN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Browser {
    /// Google Chrome or Chromium.
    Chrome = 0,
    /// Mozilla Firefox.
    Firefox = 1,
    /// Microsoft Edge.
    Edge = 2,
    /// Apple Safari.
    Safari = 3,
}

impl Browser {
    /// Every browser, in index order.
    pub const ALL: [Browser; 4] = [Browser::Chrome, Browser::Firefox, Browser::Edge, Browser::Safari];
    /// How many browsers there are.
    pub const COUNT: usize = 4;

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Firefox => "firefox",
            Browser::Edge => "edge",
            Browser::Safari => "safari",
        }
    }

    /// Parses a stable name (case-insensitive).
    pub fn parse(name: &str) -> Option<Browser> {
        Browser::ALL.into_iter().find(|browser| browser.name().eq_ignore_ascii_case(name))
    }

    /// The browser as an index into per-browser tables.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of browsers. As a requirement it means "any of"; the empty set means "no browser needed".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrowserSet(pub u8);

impl BrowserSet {
    /// The empty set.
    pub const EMPTY: BrowserSet = BrowserSet(0);

    /// A set of the given browsers.
    pub fn of(browsers: &[Browser]) -> BrowserSet {
        browsers.iter().fold(BrowserSet::EMPTY, |set, &browser| set.with(browser))
    }

    /// This set with `browser` added.
    #[must_use]
    pub fn with(self, browser: Browser) -> BrowserSet {
        BrowserSet(self.0 | 1 << browser.index())
    }

    /// Whether `browser` is in the set.
    #[inline]
    pub fn contains(self, browser: Browser) -> bool {
        self.0 & (1 << browser.index()) != 0
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the two sets share a browser.
    #[inline]
    pub fn intersects(self, other: BrowserSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The browsers in the set, in index order.
    pub fn iter(self) -> impl Iterator<Item = Browser> {
        Browser::ALL.into_iter().filter(move |&browser| self.contains(browser))
    }
}

impl fmt::Display for BrowserSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, self.iter().map(Browser::name))
    }
}

fn write_joined<'a>(f: &mut fmt::Formatter<'_>, names: impl Iterator<Item = &'a str>) -> fmt::Result {
    for (position, name) in names.enumerate() {
        if position > 0 {
            f.write_str("|")?;
        }
        f.write_str(name)?;
    }
    Ok(())
}

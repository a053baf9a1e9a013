//! Where the bytes come from. Probes see a source only as a [`Capture`]
//! through the [`Host`] trait, so they never know whether it was run on this
//! Mac a moment ago or replayed from a bundle captured elsewhere.

pub mod bundle;

use std::collections::BTreeMap;

use crate::source::SourceId;

/// What a command printed, or a file held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The exit status; 0 for a file source.
    pub exit: i32,
}

/// One source as it was captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capture {
    /// The command ran to its end, or the file was read.
    Done(Output),
    /// The command ran past its time limit; what it printed until then.
    TimedOut(Output),
    /// The command does not exist on the Mac.
    NotFound,
    /// A file source whose file does not exist on the Mac (that is data).
    Absent,
    /// The source was not captured at all.
    Missing,
    /// The bytes exist but were refused (too large, a symlink, not a file...).
    Unreadable(String),
}

/// The one doorway from probes to the outside world.
pub trait Host {
    /// The capture of one source; every source has one, `Missing` at worst.
    fn capture(&self, source: SourceId) -> &Capture;
}

/// Every source's capture, however it was obtained.
#[derive(Clone, Debug, Default)]
pub struct Captures {
    by_source: BTreeMap<SourceId, Capture>,
}

impl Captures {
    pub fn insert(&mut self, source: SourceId, capture: Capture) {
        self.by_source.insert(source, capture);
    }
}

impl Host for Captures {
    fn capture(&self, source: SourceId) -> &Capture {
        self.by_source.get(&source).unwrap_or(&Capture::Missing)
    }
}

//! Where the bytes come from. Probes see a source only as a [`Capture`]
//! through the [`Host`] trait, so they never know whether it was run on this
//! Mac a moment ago ([`live`]) or replayed from a bundle captured elsewhere
//! ([`bundle`]). Both paths pass through [`redact`] before anything is
//! parsed, shown or written.

pub mod bundle;
pub mod live;
pub mod redact;
pub mod snapshot;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};

use crate::source::SourceId;

/// Appended to every permission failure: without root some sources see less.
pub const ROOT_HINT: &str = "run st-preflight as root for a definite answer";

/// What a command printed, or a file held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The exit status; 0 for a file source.
    pub exit: i32,
    /// Stdout was cut at the capture limit and the command stopped.
    pub truncated: bool,
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
    /// The command could not be started, or the file not read (e.g. no permission).
    Failed(String),
    /// The bytes exist but were refused (too large, a symlink, not a file...).
    Unreadable(String),
}

/// The one doorway from probes to the outside world.
pub trait Host {
    /// The capture of one source; every source has one, `Missing` at worst.
    fn capture(&self, source: SourceId) -> &Capture;

    /// The sources from which password data was removed.
    fn redacted(&self) -> Vec<SourceId> {
        Vec::new()
    }
}

/// Every source's capture, however it was obtained.
#[derive(Clone, Debug, Default)]
pub struct Captures {
    by_source: BTreeMap<SourceId, Capture>,
    redacted: BTreeSet<SourceId>,
}

impl Captures {
    /// Records a capture, removing any password data from it first.
    pub fn insert(&mut self, source: SourceId, mut capture: Capture) {
        if let Capture::Done(out) | Capture::TimedOut(out) = &mut capture
            && redact::output(out)
        {
            self.redacted.insert(source);
        }
        self.by_source.insert(source, capture);
    }

    /// Records that password data was removed before these bytes were kept
    /// (a bundle says so in `bundle.json`).
    pub fn mark_redacted(&mut self, source: SourceId) {
        self.redacted.insert(source);
    }

    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &Capture)> {
        SourceId::ALL.into_iter().map(|s| (s, self.capture(s)))
    }
}

impl Host for Captures {
    fn capture(&self, source: SourceId) -> &Capture {
        self.by_source.get(&source).unwrap_or(&Capture::Missing)
    }

    fn redacted(&self) -> Vec<SourceId> {
        self.redacted.iter().copied().collect()
    }
}

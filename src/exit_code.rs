//! The exit statuses, as documented in the README and `--help`.

use crate::rules::Verdict;

/// A report was produced.
pub const REPORT: u8 = 0;
/// The command line was wrong (clap's own status).
pub const USAGE: u8 = 2;
/// The input cannot be used: no such bundle, not a bundle, a refused version.
pub const BAD_INPUT: u8 = 3;

/// With `--exit-code`: the verdict as a status.
pub fn for_verdict(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::WillNotAppear => 0,
        Verdict::WillAppear => 10,
        Verdict::Suppressed => 11,
        Verdict::Unknown => 12,
    }
}

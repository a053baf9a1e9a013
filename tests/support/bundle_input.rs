//! The `bundle` fuzz target's input layout, and the whole check it drives:
//! shared by `fuzz/fuzz_targets/bundle.rs` and the regression replay in
//! `tests/hostile.rs` (through `#[path]`), so a kept input replays through
//! exactly the code that found it.
//!
//! Chunks separated by the byte 0x1E (ASCII record separator). Chunk 0 is
//! `--user` (empty: none); chunks 1..=13 are the stdout of each source in
//! `SourceId::ALL` order. A chunk that is exactly `!missing`, `!absent`,
//! `!notfound` or `!timeout` stands for that capture state, and a chunk that
//! starts with `!cut:` is the rest of it as output cut at the capture limit;
//! a source without a chunk is missing. scripts/fuzz.sh builds seeds in this
//! layout from fixtures/.

use st_preflight::host::{Capture, Captures, Output};
use st_preflight::report::{self, Report};
use st_preflight::rules::{self, Question};
use st_preflight::source::SourceId;

/// Captures → probes → rules → report, rendered as JSON and as a table,
/// with no file system in between.
pub fn check(data: &[u8]) {
    let mut chunks = data.split(|&b| b == 0x1e);
    let user = chunks.next().filter(|u| !u.is_empty()).map(|u| String::from_utf8_lossy(u).into_owned());
    let mut captures = Captures::default();
    for source in SourceId::ALL {
        let capture = match chunks.next() {
            None | Some(b"!missing") => Capture::Missing,
            Some(b"!absent") => Capture::Absent,
            Some(b"!notfound") => Capture::NotFound,
            Some(b"!timeout") => Capture::TimedOut(Output::default()),
            Some(bytes) => match bytes.strip_prefix(b"!cut:") {
                Some(cut) => {
                    Capture::Done(Output { stdout: cut.to_vec(), truncated: true, ..Output::default() })
                }
                None => Capture::Done(Output { stdout: bytes.to_vec(), ..Output::default() }),
            },
        };
        captures.insert(source, capture);
    }
    let probed = st_preflight::probes::probe_all(&captures);
    let question = Question { user };
    let evaluation = rules::evaluate(&probed.facts, &question);
    let report = Report::new(&probed, &evaluation, &question, None);
    let _ = report::json::pretty(&report);
    let _ = report::table::render(&report, report::table::Style { color: true, width: Some(100) });
}

//! Whole-bundle evaluation: captures → probes → rules → report (JSON and
//! table), with no file system in between.
//!
//! Input layout: chunks separated by the byte 0x1E (ASCII record separator).
//! Chunk 0 is `--user` (empty: none); chunks 1..=13 are the stdout of each
//! source in `SourceId::ALL` order. A chunk that is exactly `!missing`,
//! `!absent`, `!notfound` or `!timeout` stands for that capture state; a
//! source without a chunk is missing. scripts/fuzz.sh builds seeds in this
//! layout from fixtures/.
#![no_main]

use libfuzzer_sys::fuzz_target;
use st_preflight::host::{Capture, Captures, Output};
use st_preflight::report::{self, Report};
use st_preflight::rules::{self, Question};
use st_preflight::source::SourceId;

fuzz_target!(|data: &[u8]| {
    let mut chunks = data.split(|&b| b == 0x1e);
    let user = chunks.next().filter(|u| !u.is_empty()).map(|u| String::from_utf8_lossy(u).into_owned());
    let mut captures = Captures::default();
    for source in SourceId::ALL {
        let capture = match chunks.next() {
            None | Some(b"!missing") => Capture::Missing,
            Some(b"!absent") => Capture::Absent,
            Some(b"!notfound") => Capture::NotFound,
            Some(b"!timeout") => Capture::TimedOut(Output::default()),
            Some(bytes) => Capture::Done(Output { stdout: bytes.to_vec(), ..Output::default() }),
        };
        captures.insert(source, capture);
    }
    let probed = st_preflight::probes::probe_all(&captures);
    let question = Question { user };
    let evaluation = rules::evaluate(&probed.facts, &question);
    let report = Report::new(&probed, &evaluation, &question, None);
    let _ = report::json::pretty(&report);
    let _ = report::table::render(&report, report::table::Style { color: true, width: Some(100) });
});

//! The technician's table: its shape is pinned by snapshots (reviewed by
//! eye when they change), and text from the Mac never reaches the terminal raw.

use std::path::Path;

use st_preflight::host::{Capture, Host, Output, bundle};
use st_preflight::report::{Report, table};
use st_preflight::rules::{self, Question};
use st_preflight::{probes, source::SourceId};

fn render(captures: &st_preflight::host::Captures, user: Option<&str>) -> String {
    let probed = probes::probe_all(captures);
    let question = Question { user: user.map(str::to_owned) };
    let eval = rules::evaluate(&probed.facts, &question);
    let report = Report::new(&probed, &eval, &question, None);
    table::render(&report, table::Style { color: false, width: Some(100) })
}

fn fixture(name: &str) -> st_preflight::host::Captures {
    bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)).unwrap().captures
}

#[test]
fn lab_mac_table() {
    insta::assert_snapshot!(render(&fixture("lab-mac-ad-fv-off"), None));
}

#[test]
fn bypassed_mobile_user_table() {
    insta::assert_snapshot!(render(&fixture("bypassed-mobile-user"), Some("jdoe")));
}

#[test]
fn garbage_sources_table() {
    insta::assert_snapshot!(render(&fixture("garbage-sources"), None));
}

#[test]
fn control_characters_from_the_mac_are_escaped() {
    let mut captures = fixture("bypassed-mobile-user");
    let Capture::Done(out) = captures.capture(SourceId::LocalUsers).clone() else { unreachable!() };
    let hostile = String::from_utf8(out.stdout)
        .unwrap()
        .replace("<string>jdoe</string>", "<string>jdoe&#27;[2J&#27;]0;pwned&#7;</string>");
    captures.insert(
        SourceId::LocalUsers,
        Capture::Done(Output { stdout: hostile.into_bytes(), ..Output::default() }),
    );
    let text = render(&captures, None);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "raw control characters reached the table");
    assert!(text.contains("jdoe\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"), "{text}");
}

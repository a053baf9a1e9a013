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

fn edited(captures: &mut st_preflight::host::Captures, source: SourceId, from: &str, to: &str) {
    let Capture::Done(out) = captures.capture(source).clone() else { unreachable!() };
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(from), "{source} has no {from:?}");
    let stdout = text.replace(from, to).into_bytes();
    captures.insert(source, Capture::Done(Output { stdout, ..out }));
}

/// Below the conditions, the table says what a technician would otherwise
/// only find in the JSON: password data removed, output cut at the limit,
/// FileVault sources that disagree.
#[test]
fn what_the_sources_said_beside_their_facts_is_in_the_table() {
    let mut captures = fixture("lab-mac-ad-fv-off");
    edited(
        &mut captures,
        SourceId::LocalUsers,
        "<key>dsAttrTypeStandard:RecordName</key>",
        "<key>dsAttrTypeNative:ShadowHashData</key><array><string>AAAA</string></array><key>dsAttrTypeStandard:RecordName</key>",
    );
    edited(
        &mut captures,
        SourceId::DiskutilInfo,
        "<key>FileVault</key>\n\t<false/>",
        "<key>FileVault</key>\n\t<true/>",
    );
    let Capture::Done(last) = captures.capture(SourceId::Last).clone() else { unreachable!() };
    captures.insert(SourceId::Last, Capture::Done(Output { truncated: true, exit: 137, ..last }));

    let text = render(&captures, None);
    assert!(text.contains("Password data (ShadowHashData) was found in local-users and removed"), "{text}");
    assert!(!text.contains("AAAA"));
    assert!(
        text.contains("FileVault: diskutil says FileVault is on, fdesetup says off; believed fdesetup"),
        "{text}"
    );
    let last_row = text.lines().find(|l| l.starts_with("│ last")).unwrap_or_else(|| panic!("{text}"));
    assert!(last_row.contains("ok") && last_row.contains("output cut at the capture limit"), "{last_row}");
    // Suppressing is what goes wrong on an encrypted Mac: the advice says to look first.
    assert!(text.contains("confirm with `fdesetup status` before suppressing"), "{text}");
    assert!(text.contains("Mac: lab-mac-01, macOS 10.13.6, x86_64"), "{text}");
}

//! End-to-end scenarios: `st-preflight check --from fixtures/<name> --format json`.
//!
//! Every expected value below was worked out BY HAND from the rules (see
//! fixtures/README.md for the reasoning per fixture), not copied from program output.
//!
//! Needs dev-dependencies `assert_cmd` and `serde_json`.

// `Command::cargo_bin` is deprecated in newer assert_cmd releases (custom build-dir);
// it still works for a normal `cargo test`.
#![allow(deprecated)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const N: Option<bool> = None;

/// All conditions, in the order used by `assert_conditions`.
const CONDITIONS: [(&str, &str); 8] = [
    ("macos-version", "requires"),
    ("apfs", "requires"),
    ("directory-bound", "requires"),
    ("mobile-accounts", "requires"),
    ("securetoken-admin", "requires"),
    ("new-account", "requires"),
    ("bypass-key", "prevents"),
    ("bootstrap-token", "prevents"),
];

/// Every source id a bundle can hold.
const SOURCES: [&str; 12] = [
    "sw-vers",
    "diskutil-info",
    "crypto-users",
    "fdesetup-status",
    "dsconfigad",
    "ldap-nodes",
    "local-users",
    "admin-group",
    "last",
    "bootstrap-token",
    "mcx-managed",
    "mcx-local",
];

fn fixture(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    assert!(dir.is_dir(), "fixture directory {} is missing", dir.display());
    dir
}

/// Runs `st-preflight check --from fixtures/<name> --format json [extra...]`,
/// asserts exit status 0 and returns the parsed JSON report.
fn check(name: &str, extra: &[&str]) -> Value {
    let output = Command::cargo_bin("st-preflight")
        .expect("st-preflight binary is built")
        .arg("check")
        .arg("--from")
        .arg(fixture(name))
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("st-preflight runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "fixture {name}: exit status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("fixture {name}: stdout is not JSON ({e})\nstdout:\n{stdout}\nstderr:\n{stderr}")
    })
}

fn condition<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["conditions"]
        .as_array()
        .expect("`conditions` is an array")
        .iter()
        .find(|c| c["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("condition {id} not in report: {v:#}"))
}

/// `met` of a condition: true / false / null (unknown).
fn met(v: &Value, id: &str) -> Option<bool> {
    match &condition(v, id)["met"] {
        Value::Bool(b) => Some(*b),
        Value::Null => None,
        other => panic!("condition {id}: `met` must be true/false/null, got {other}"),
    }
}

/// Asserts all 8 conditions (met value and role), in `CONDITIONS` order.
fn assert_conditions(v: &Value, expected: [Option<bool>; 8]) {
    assert_eq!(
        v["conditions"].as_array().map(|a| a.len()),
        Some(CONDITIONS.len()),
        "expected exactly {} conditions: {v:#}",
        CONDITIONS.len()
    );
    for ((id, role), want) in CONDITIONS.iter().zip(expected) {
        let c = condition(v, id);
        assert_eq!(c["role"].as_str(), Some(*role), "role of condition {id}");
        assert_eq!(met(v, id), want, "met of condition {id}: {c:#}");
        let conf = c["confidence"].as_str();
        assert!(matches!(conf, Some("high" | "medium" | "low")), "confidence of condition {id}: {conf:?}");
        assert!(c["sources"].is_array(), "sources of condition {id} is an array");
    }
}

fn verdict(v: &Value) -> &str {
    v["verdict"].as_str().expect("`verdict` is a string")
}

/// Sorted finding ids.
fn finding_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["findings"]
        .as_array()
        .expect("`findings` is an array")
        .iter()
        .map(|f| f["id"].as_str().expect("finding id is a string").to_string())
        .collect();
    ids.sort();
    ids
}

fn ids(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn assert_findings(v: &Value, expected: &[&str]) {
    assert_eq!(finding_ids(v), ids(expected), "finding ids: {:#}", v["findings"]);
}

fn finding<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .expect("`findings` is an array")
        .iter()
        .find(|f| f["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("finding {id} not in report: {:#}", v["findings"]))
}

fn finding_names_account(f: &Value, name: &str) -> bool {
    f["accounts"].as_array().expect("finding `accounts` is an array").iter().any(|a| a.as_str() == Some(name))
}

fn source_status(v: &Value, id: &str) -> String {
    v["sources"]
        .as_array()
        .expect("`sources` is an array")
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("source {id} not in report: {:#}", v["sources"]))["status"]
        .as_str()
        .expect("source status is a string")
        .to_string()
}

fn assert_source(v: &Value, id: &str, status: &str) {
    assert_eq!(source_status(v, id), status, "status of source {id}");
}

/// Statuses shared by the 10.13/10.14 fixtures built on fixture 1: everything
/// captured and parsed, bootstrap-token not captured (no pre-10.15 sample),
/// both MCX files absent.
fn assert_base_sources(v: &Value) {
    for id in [
        "sw-vers",
        "diskutil-info",
        "crypto-users",
        "fdesetup-status",
        "dsconfigad",
        "ldap-nodes",
        "local-users",
        "admin-group",
        "last",
    ] {
        assert_source(v, id, "ok");
    }
    assert_source(v, "bootstrap-token", "missing");
    assert_source(v, "mcx-managed", "absent");
    assert_source(v, "mcx-local", "absent");
}

//                                 macos apfs  bound mobile st-adm new  bypass bootstrap
// 1
#[test]
fn lab_mac_with_filevault_off_will_show_the_dialog() {
    let v = check("lab-mac-ad-fv-off", &[]);
    assert_eq!(verdict(&v), "will-appear");
    assert_conditions(&v, [T, T, T, T, T, T, F, F]);
    assert_findings(&v, &["suppress-on-shared-macs"]);
    assert_base_sources(&v);
}

// 2
#[test]
fn staff_mac_with_filevault_on_will_show_the_dialog_and_warns_about_bypass() {
    let v = check("staff-mac-ad-fv-on", &[]);
    assert_eq!(verdict(&v), "will-appear");
    assert_conditions(&v, [T, T, T, T, T, T, F, F]);
    assert_findings(&v, &["bypass-consequence"]);
    assert_base_sources(&v);
}

// 3
#[test]
fn hfs_plus_boot_volume_never_shows_the_dialog_even_with_sources_missing() {
    let v = check("hfs-plus", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    // dsconfigad not captured: directory-bound and mobile-accounts unknown,
    // but apfs = false already decides the AND.
    assert_conditions(&v, [T, F, N, N, T, T, F, F]);
    assert_findings(&v, &[]);
    assert_source(&v, "diskutil-info", "ok");
    assert_source(&v, "dsconfigad", "missing");
    assert_source(&v, "crypto-users", "missing");
    assert_source(&v, "bootstrap-token", "missing");
    assert_source(&v, "local-users", "ok");
}

// 4
#[test]
fn unbound_mac_never_shows_the_dialog() {
    let v = check("not-bound", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    assert_conditions(&v, [T, T, F, F, T, T, F, F]);
    assert_findings(&v, &[]);
    // an empty dsconfigad -show is data ("not bound"), not a failure
    assert_source(&v, "dsconfigad", "ok");
    assert_base_sources(&v);
}

// 5
#[test]
fn ad_bound_mac_with_network_accounts_never_shows_the_dialog() {
    let v = check("network-accounts", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    assert_conditions(&v, [T, T, T, F, T, T, F, F]);
    assert_findings(&v, &["network-accounts"]);
    assert_base_sources(&v);
}

// 6
#[test]
fn dep_skip_without_a_securetoken_admin_shows_no_dialog_but_flags_the_technician() {
    let v = check("dep-skip-no-local-admin", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    assert_conditions(&v, [T, T, T, T, F, T, F, F]);
    assert_findings(&v, &["bypassed-mobile-accounts"]);
    let f = finding(&v, "bypassed-mobile-accounts");
    assert_eq!(f["severity"].as_str(), Some("warning"), "FileVault is off: {f:#}");
    assert!(finding_names_account(f, "tech.jones"), "{f:#}");
    assert!(!finding_names_account(f, "mdmadmin"), "mdmadmin is not a mobile account: {f:#}");
    assert_base_sources(&v);
}

// 7
#[test]
fn admin_that_never_logged_in_at_the_console_is_not_a_securetoken_admin() {
    let v = check("admin-never-logged-in", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    assert_conditions(&v, [T, T, T, T, F, T, F, F]);
    assert_findings(&v, &[]);
    assert_source(&v, "crypto-users", "missing");
    assert_source(&v, "last", "ok");
    assert_source(&v, "local-users", "ok");
}

// 8
#[test]
fn bypass_key_in_a_profile_suppresses_the_dialog() {
    let v = check("bypass-key-profile", &[]);
    assert_eq!(verdict(&v), "suppressed");
    assert_conditions(&v, [T, T, T, T, T, T, T, F]);
    assert_findings(&v, &[]);
    assert_source(&v, "mcx-managed", "ok");
    assert_source(&v, "mcx-local", "absent");
}

// 9
#[test]
fn bypass_key_is_ignored_on_10_13_4() {
    let v = check("bypass-key-10.13.4", &[]);
    assert_eq!(verdict(&v), "will-appear");
    assert_conditions(&v, [T, T, T, T, T, T, F, F]);
    assert_findings(&v, &["bypass-key-ignored", "suppress-on-shared-macs"]);
    assert_source(&v, "mcx-managed", "ok");
    assert_source(&v, "sw-vers", "ok");
}

// 10
#[test]
fn macos_10_13_3_predates_the_dialog() {
    let v = check("macos-10.13.3", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    assert_conditions(&v, [F, T, T, T, T, T, F, F]);
    assert_findings(&v, &[]);
    assert_base_sources(&v);
}

// 11
#[test]
fn ldap_bind_with_mcx_mobile_accounts_will_show_the_dialog() {
    let v = check("ldap-mobile-mcx", &[]);
    assert_eq!(verdict(&v), "will-appear");
    assert_conditions(&v, [T, T, T, T, T, T, F, F]);
    // bjensen is a mobile account that holds a token: not "bypassed"
    assert_findings(&v, &["suppress-on-shared-macs"]);
    assert_source(&v, "dsconfigad", "ok");
    assert_source(&v, "ldap-nodes", "ok");
    assert_source(&v, "mcx-managed", "ok");
    assert_source(&v, "mcx-local", "absent");
}

// 12
#[test]
fn catalina_with_escrowed_bootstrap_token_shows_no_dialog() {
    let v = check("catalina-bootstrap-escrowed", &[]);
    assert_eq!(verdict(&v), "will-not-appear");
    assert_conditions(&v, [T, T, T, T, T, T, F, T]);
    assert_findings(&v, &[]);
    for id in SOURCES {
        let want = if id.starts_with("mcx-") { "absent" } else { "ok" };
        assert_source(&v, id, want);
    }
}

// 13
#[test]
fn existing_mobile_account_without_token_is_critical_with_filevault_on() {
    let v = check("bypassed-mobile-user", &["--user", "jdoe"]);
    assert_eq!(verdict(&v), "will-not-appear");
    // jdoe already has a local (mobile) record: no account is created at login
    assert_conditions(&v, [T, T, T, T, T, F, F, F]);
    assert_findings(&v, &["bypassed-mobile-accounts"]);
    let f = finding(&v, "bypassed-mobile-accounts");
    assert_eq!(f["severity"].as_str(), Some("critical"), "FileVault is on: {f:#}");
    assert!(finding_names_account(f, "jdoe"), "{f:#}");
    assert!(!finding_names_account(f, "ladmin"), "ladmin is local and holds a token: {f:#}");
    assert_base_sources(&v);
}

// 14
#[test]
fn missing_fdesetup_falls_back_to_diskutil_filevault_state() {
    let v = check("no-fdesetup", &[]);
    assert_eq!(verdict(&v), "will-appear");
    assert_conditions(&v, [T, T, T, T, T, T, F, F]);
    // FileVault off comes from diskutil-info's FileVault = false
    assert_findings(&v, &["suppress-on-shared-macs"]);
    assert_source(&v, "fdesetup-status", "missing");
    assert_source(&v, "diskutil-info", "ok");
}

// 15
#[test]
fn missing_dsconfigad_leaves_the_verdict_unknown() {
    let v = check("no-dsconfigad", &[]);
    assert_eq!(verdict(&v), "unknown");
    assert_conditions(&v, [T, T, N, N, T, T, F, F]);
    assert_findings(&v, &[]);
    assert_source(&v, "dsconfigad", "missing");
    assert_source(&v, "ldap-nodes", "ok");
    // The report names what could change the verdict, and why it is unknown.
    assert_eq!(v["deciding"], serde_json::json!(["directory-bound", "mobile-accounts"]));
    let summary = v["summary"].as_str().unwrap();
    assert!(summary.contains("directory-bound and mobile-accounts are unknown"), "{summary}");
    assert!(summary.contains("because dsconfigad was not captured"), "{summary}");
}

// 16
#[test]
fn garbage_sources_do_not_crash_and_give_an_unknown_verdict() {
    let v = check("garbage-sources", &[]);
    assert_eq!(verdict(&v), "unknown");
    // new-account is assumed met without --user; everything else is unknown
    assert_conditions(&v, [N, N, N, N, N, T, N, N]);
    assert_findings(&v, &[]);
    for id in SOURCES {
        assert_source(&v, id, "unparseable");
    }
}

//! docs/report.schema.json: generated from the report types, checked for
//! drift, and every fixture's report validated against it.
//!
//! Regenerate after a deliberate change of the report:
//! `ST_PREFLIGHT_WRITE_SCHEMA=1 cargo test --test schema`.

#![allow(deprecated)] // `Command::cargo_bin`: still the way for a plain `cargo test`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed_schema() -> Value {
    serde_json::from_slice(&std::fs::read(root().join("docs/report.schema.json")).unwrap()).unwrap()
}

fn report(fixture: &Path, format: &str) -> Vec<u8> {
    let mut cmd = Command::cargo_bin("st-preflight").unwrap();
    cmd.arg("check").arg("--from").arg(fixture).args(["--format", format]);
    if fixture.ends_with("bypassed-mobile-user") {
        cmd.args(["--user", "jdoe"]);
    }
    cmd.output().unwrap().stdout
}

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn the_committed_schema_matches_the_report_types() {
    let generated = st_preflight::report::schema::json();
    let path = root().join("docs/report.schema.json");
    if std::env::var_os("ST_PREFLIGHT_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/report.schema.json is out of date with the report types; if the change is deliberate, run \
         `ST_PREFLIGHT_WRITE_SCHEMA=1 cargo test --test schema` (and remember: renaming or removing a field needs schema_version 2)"
    );
}

#[test]
fn every_fixture_report_is_valid_against_the_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).unwrap();
    let fixtures = fixtures();
    assert!(fixtures.len() >= 16);
    for fixture in fixtures {
        let document: Value = serde_json::from_slice(&report(&fixture, "json")).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&document).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", fixture.display());
    }
}

#[test]
fn the_jamf_error_result_is_valid_against_the_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).unwrap();
    let out = String::from_utf8(report(Path::new("/no/such/bundle"), "jamf")).unwrap();
    let json = out.strip_prefix("<result>").and_then(|s| s.strip_suffix("</result>")).unwrap();
    let document: Value = serde_json::from_str(json).unwrap();
    assert_eq!(document["verdict"], "unknown");
    assert_eq!(document["error"]["kind"], "bad-input");
    assert!(validator.is_valid(&document));
}

#[test]
fn the_schema_rejects_what_the_report_never_says() {
    let validator = jsonschema::validator_for(&committed_schema()).unwrap();
    let good: Value =
        serde_json::from_slice(&report(&root().join("fixtures/lab-mac-ad-fv-off"), "json")).unwrap();
    assert!(validator.is_valid(&good));
    let mut bad_verdict = good.clone();
    bad_verdict["verdict"] = "maybe".into();
    assert!(!validator.is_valid(&bad_verdict));
    let mut bad_status = good.clone();
    bad_status["sources"][0]["status"] = "fine".into();
    assert!(!validator.is_valid(&bad_status));
    let mut no_conditions = good.clone();
    no_conditions.as_object_mut().unwrap().remove("conditions");
    assert!(!validator.is_valid(&no_conditions));
    // Schema version 1 describes version 1 only.
    let mut next_version = good.clone();
    next_version["schema_version"] = 2.into();
    assert!(!validator.is_valid(&next_version));
    // A null-able key is still always written.
    let mut no_user = good;
    no_user.as_object_mut().unwrap().remove("user");
    assert!(!validator.is_valid(&no_user));
}

//! The JSON wire format, pinned by hand.
//!
//! Every fixture's report is read back into MIRROR types written here, not
//! taken from `src/`: each struct denies unknown fields, each closed set of
//! values is an enum, and each key must be present. So a field that is added,
//! renamed or removed, a type that changes, or a new id, makes this test fail,
//! and the change has to be made here too, deliberately (and, for a rename or
//! a removal, with `schema_version` 2: docs/report-json.md, "Stability").
//! The idea is ripgrep's `tests/json.rs`.
//!
//! How "the key must be present" is enforced for nullable fields: serde
//! treats a missing `Option<T>` field as `None`, which would let a removed
//! field pass silently. Every `Option` field here therefore carries
//! `#[serde(deserialize_with = "nullable")]`: serde_derive reports a missing
//! field as an error for any field with `deserialize_with` (unless it also
//! has `#[serde(default)]`), while `nullable` itself still accepts `null`. So
//! `"user": null` deserialises and an absent `user` fails.
//! `a_missing_nullable_key_is_refused` below proves that this works, so the
//! approach cannot quietly stop working. No field of either document may be
//! absent: the report and the error report (what `--format jamf` prints when
//! no report could be made, with an `error` object) are separate mirrors, and
//! neither accepts the other.
//!
//! As a second net, each report is serialised back from its mirror and must
//! equal the original JSON value, so no field is dropped or altered on the
//! way through the mirror (e.g. a float read as an integer).

#![allow(deprecated)] // `Command::cargo_bin`: still the way for a plain `cargo test`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `Option<T>` whose key must be present (see the module comment).
fn nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

// ---------------------------------------------------------------------------
// Closed value sets.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Verdict {
    WillAppear,
    WillNotAppear,
    Suppressed,
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Confidence {
    Low,
    Medium,
    High,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Role {
    Requires,
    Prevents,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Severity {
    Info,
    Warning,
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum SourceStatus {
    Ok,
    Failed,
    Timeout,
    NotFound,
    Absent,
    Missing,
    Unparseable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum ConditionId {
    MacosVersion,
    Apfs,
    DirectoryBound,
    MobileAccounts,
    SecuretokenAdmin,
    NewAccount,
    BypassKey,
    BootstrapToken,
}

const CONDITION_ORDER: [ConditionId; 8] = [
    ConditionId::MacosVersion,
    ConditionId::Apfs,
    ConditionId::DirectoryBound,
    ConditionId::MobileAccounts,
    ConditionId::SecuretokenAdmin,
    ConditionId::NewAccount,
    ConditionId::BypassKey,
    ConditionId::BootstrapToken,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum FindingId {
    BypassedMobileAccounts,
    NetworkAccounts,
    SuppressOnSharedMacs,
    BypassConsequence,
    BypassKeyUnmanaged,
    BypassKeyIgnored,
    SecuretokenMarkerMismatch,
    NoBootstrapToken,
    FilevaultBusy,
    SuppressedOnFilevault,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum SourceId {
    SwVers,
    DiskutilInfo,
    CryptoUsers,
    FdesetupStatus,
    Dsconfigad,
    LdapNodes,
    LocalUsers,
    AdminGroup,
    Last,
    BootstrapToken,
    McxManaged,
    McxLocal,
    Host,
}

const SOURCE_ORDER: [SourceId; 13] = [
    SourceId::SwVers,
    SourceId::DiskutilInfo,
    SourceId::CryptoUsers,
    SourceId::FdesetupStatus,
    SourceId::Dsconfigad,
    SourceId::LdapNodes,
    SourceId::LocalUsers,
    SourceId::AdminGroup,
    SourceId::Last,
    SourceId::BootstrapToken,
    SourceId::McxManaged,
    SourceId::McxLocal,
    SourceId::Host,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum FileVaultState {
    On,
    Off,
    Encrypting,
    Decrypting,
    Pending,
    Deferred,
}

/// `error.kind` of the error report (`--format jamf` when no report could be made).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum ErrorKind {
    BadInput,
    NotAMac,
    CannotWrite,
    Internal,
}

// ---------------------------------------------------------------------------
// The report.

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Report {
    schema_version: u32,
    tool: Tool,
    verdict: Verdict,
    confidence: Confidence,
    summary: String,
    #[serde(deserialize_with = "nullable")]
    user: Option<String>,
    deciding: Vec<ConditionId>,
    conditions: Vec<Condition>,
    findings: Vec<Finding>,
    facts: Facts,
    sources: Vec<SourceLine>,
    redacted: Vec<SourceId>,
    #[serde(deserialize_with = "nullable")]
    bundle: Option<Bundle>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    name: String,
    version: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Condition {
    id: ConditionId,
    role: Role,
    #[serde(deserialize_with = "nullable")]
    met: Option<bool>,
    confidence: Confidence,
    detail: String,
    sources: Vec<SourceId>,
    #[serde(deserialize_with = "nullable")]
    evidence: Option<SourceId>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Finding {
    id: FindingId,
    severity: Severity,
    message: String,
    accounts: Vec<String>,
    remedy: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SourceLine {
    id: SourceId,
    status: SourceStatus,
    detail: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Bundle {
    #[serde(deserialize_with = "nullable")]
    captured_at: Option<String>,
    #[serde(deserialize_with = "nullable")]
    tool_version: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Facts {
    #[serde(deserialize_with = "nullable")]
    macos: Option<Macos>,
    #[serde(deserialize_with = "nullable")]
    boot_volume: Option<BootVolume>,
    filevault: FileVault,
    #[serde(deserialize_with = "nullable")]
    active_directory: Option<ActiveDirectory>,
    #[serde(deserialize_with = "nullable")]
    ldap_servers: Option<Vec<String>>,
    #[serde(deserialize_with = "nullable")]
    accounts: Option<Vec<Account>>,
    #[serde(deserialize_with = "nullable")]
    crypto_users: Option<Vec<CryptoUser>>,
    #[serde(deserialize_with = "nullable")]
    bootstrap_token: Option<BootstrapToken>,
    bypass_key: BypassKey,
    #[serde(deserialize_with = "nullable")]
    create_at_login: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    host: Option<Host>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Macos {
    #[serde(deserialize_with = "nullable")]
    product_name: Option<String>,
    /// Always `major.minor.patch` (checked in `check_invariants`).
    version: String,
    #[serde(deserialize_with = "nullable")]
    build: Option<String>,
    #[serde(deserialize_with = "nullable")]
    extra: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BootVolume {
    filesystem: String,
    #[serde(deserialize_with = "nullable")]
    filevault: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    encrypted: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileVault {
    #[serde(deserialize_with = "nullable")]
    on: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    state: Option<FileVaultState>,
    #[serde(deserialize_with = "nullable")]
    percent: Option<f64>,
    #[serde(deserialize_with = "nullable")]
    deferred_user: Option<String>,
    #[serde(deserialize_with = "nullable")]
    source: Option<SourceId>,
    #[serde(deserialize_with = "nullable")]
    note: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ActiveDirectory {
    #[serde(deserialize_with = "nullable")]
    domain: Option<String>,
    #[serde(deserialize_with = "nullable")]
    forest: Option<String>,
    #[serde(deserialize_with = "nullable")]
    computer_account: Option<String>,
    #[serde(deserialize_with = "nullable")]
    create_mobile_account: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Account {
    name: String,
    #[serde(deserialize_with = "nullable")]
    uid: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    generated_uid: Option<String>,
    #[serde(deserialize_with = "nullable")]
    real_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    admin: Option<bool>,
    mobile: bool,
    #[serde(deserialize_with = "nullable")]
    directory_node: Option<String>,
    #[serde(deserialize_with = "nullable")]
    securetoken: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    securetoken_evidence: Option<SourceId>,
    securetoken_marker: bool,
    #[serde(deserialize_with = "nullable")]
    console_logins: Option<u64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CryptoUser {
    uuid: String,
    /// An open list (docs/report-json.md): `LocalOpenDirectory`,
    /// `PersonalRecovery`, ... or whatever diskutil printed, so a string.
    #[serde(rename = "type")]
    kind: String,
    #[serde(deserialize_with = "nullable")]
    volume_owner: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BootstrapToken {
    #[serde(deserialize_with = "nullable")]
    supported: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    escrowed: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BypassKey {
    #[serde(deserialize_with = "nullable")]
    managed: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    local: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    found_in: Option<SourceId>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Host {
    #[serde(deserialize_with = "nullable")]
    host_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    os_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    os_version: Option<String>,
    #[serde(deserialize_with = "nullable")]
    kernel_version: Option<String>,
    #[serde(deserialize_with = "nullable")]
    cpu_arch: Option<String>,
    #[serde(deserialize_with = "nullable")]
    root_filesystem: Option<String>,
}

// ---------------------------------------------------------------------------
// The error report: what `--format jamf` prints when no report could be made.

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ErrorReport {
    schema_version: u32,
    tool: Tool,
    verdict: Verdict,
    confidence: Confidence,
    summary: String,
    #[serde(deserialize_with = "nullable")]
    user: Option<String>,
    error: ReportError,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ReportError {
    kind: ErrorKind,
    message: String,
}

// ---------------------------------------------------------------------------
// Running the binary.

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn st() -> Command {
    let mut cmd = Command::cargo_bin("st-preflight").unwrap();
    cmd.current_dir(root());
    cmd
}

/// Every bundle directory in fixtures/, with the extra arguments its scenario uses.
fn fixtures() -> Vec<(String, Vec<&'static str>)> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.len() >= 16, "expected the 16 fixtures of fixtures/README.md, found {names:?}");
    names
        .into_iter()
        .map(|name| {
            let extra = if name == "bypassed-mobile-user" { vec!["--user", "jdoe"] } else { vec![] };
            (name, extra)
        })
        .collect()
}

/// stdout of `check --from fixtures/NAME --format FORMAT [extra]`, which must exit 0.
fn check(name: &str, format: &str, extra: &[&str]) -> String {
    let dir = Path::new("fixtures").join(name);
    let out = st()
        .arg("check")
        .arg("--from")
        .arg(&dir)
        .args(["--format", format])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap_or_else(|e| panic!("{name}: stdout is not UTF-8: {e}"))
}

fn json(name: &str) -> String {
    let extra = fixtures().into_iter().find(|(n, _)| n == name).map(|(_, e)| e).unwrap_or_default();
    check(name, "json", &extra)
}

/// Deserialises into the mirror, then checks that the mirror gives back the
/// same JSON value (nothing dropped or changed on the way).
fn read_report(name: &str, text: &str) -> Report {
    let report: Report = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{name}: the report no longer matches the mirror: {e}"));
    let original: Value = serde_json::from_str(text).unwrap();
    let back = serde_json::to_value(&report).unwrap();
    assert_eq!(back, original, "{name}: the mirror does not give back the same JSON");
    report
}

/// What the documentation promises beyond the types.
fn check_invariants(name: &str, r: &Report) {
    assert_eq!(r.schema_version, 1, "{name}");
    assert_eq!(r.tool.name, "st-preflight", "{name}");
    assert_eq!(r.tool.version, env!("CARGO_PKG_VERSION"), "{name}");
    let ids: Vec<ConditionId> = r.conditions.iter().map(|c| c.id).collect();
    assert_eq!(ids, CONDITION_ORDER, "{name}: the 8 conditions, in order");
    for c in &r.conditions {
        let role = if matches!(c.id, ConditionId::BypassKey | ConditionId::BootstrapToken) {
            Role::Prevents
        } else {
            Role::Requires
        };
        assert_eq!(c.role, role, "{name}: role of {:?}", c.id);
    }
    let ids: Vec<SourceId> = r.sources.iter().map(|s| s.id).collect();
    assert_eq!(ids, SOURCE_ORDER, "{name}: the 13 sources, in order");
    assert!(!r.deciding.is_empty(), "{name}: deciding is never empty");
    if let Some(macos) = &r.facts.macos {
        let parts: Vec<&str> = macos.version.split('.').collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
            "{name}: facts.macos.version {:?} is not major.minor.patch",
            macos.version
        );
    }
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn every_fixture_report_matches_the_mirror() {
    let mut verdicts = Vec::new();
    for (name, extra) in fixtures() {
        let text = check(&name, "json", &extra);
        let report = read_report(&name, &text);
        check_invariants(&name, &report);
        assert!(
            serde_json::from_str::<ErrorReport>(&text).is_err(),
            "{name}: a report passes as an error report"
        );
        verdicts.push(report.verdict);
    }
    // The fixtures cover every verdict, so every variant is exercised.
    for v in [Verdict::WillAppear, Verdict::WillNotAppear, Verdict::Suppressed, Verdict::Unknown] {
        assert!(verdicts.contains(&v), "no fixture gives {v:?}");
    }
}

#[test]
fn schema_version_is_1() {
    for (name, extra) in fixtures() {
        let v: Value = serde_json::from_str(&check(&name, "json", &extra)).unwrap();
        assert_eq!(v["schema_version"], Value::from(1), "{name}");
        assert!(v["schema_version"].is_u64(), "{name}: an integer, not {}", v["schema_version"]);
    }
}

/// The mirror must be able to fail: each mutation of a real report is refused.
#[test]
fn a_changed_wire_format_is_refused() {
    // A fixture in which every fact group is non-null, so the nested objects are exercised.
    let name = "catalina-bootstrap-escrowed";
    let text = json(name);
    let original: Value = serde_json::from_str(&text).unwrap();
    for group in
        ["macos", "boot_volume", "active_directory", "accounts", "crypto_users", "bootstrap_token", "host"]
    {
        assert!(!original["facts"][group].is_null(), "{name}: facts.{group} is null; pick another fixture");
    }
    read_report(name, &text); // unmutated, it is accepted

    type Mutation = (&'static str, fn(&mut Value));
    let mutations: &[Mutation] = &[
        ("unknown field at the top level", |v| {
            v["surprise"] = Value::from(true);
        }),
        ("unknown field inside a condition", |v| {
            v["conditions"][0]["weight"] = Value::from(1);
        }),
        ("unknown field inside facts.filevault", |v| {
            v["facts"]["filevault"]["progress"] = Value::Null;
        }),
        ("unknown field inside an account", |v| {
            v["facts"]["accounts"][0]["shell"] = Value::from("/bin/zsh");
        }),
        ("top-level field renamed", |v| {
            let m = v.as_object_mut().unwrap();
            let x = m.remove("deciding").unwrap();
            m.insert("deciding_conditions".into(), x);
        }),
        ("condition field renamed", |v| {
            let m = v["conditions"][0].as_object_mut().unwrap();
            let x = m.remove("met").unwrap();
            m.insert("is_met".into(), x);
        }),
        ("account field renamed", |v| {
            let m = v["facts"]["accounts"][0].as_object_mut().unwrap();
            let x = m.remove("securetoken_marker").unwrap();
            m.insert("securetoken_flag".into(), x);
        }),
        ("unexpected verdict", |v| {
            v["verdict"] = Value::from("maybe");
        }),
        ("unexpected source status", |v| {
            v["sources"][0]["status"] = Value::from("skipped");
        }),
        ("unexpected condition id", |v| {
            v["conditions"][0]["id"] = Value::from("macos_version");
        }),
        ("unexpected FileVault state", |v| {
            v["facts"]["filevault"]["state"] = Value::from("partial");
        }),
        ("schema_version as a string", |v| {
            v["schema_version"] = Value::from("1");
        }),
        ("uid as a string", |v| {
            v["facts"]["accounts"][0]["uid"] = Value::from("501");
        }),
    ];
    for (what, mutate) in mutations {
        let mut v = original.clone();
        mutate(&mut v);
        let result = serde_json::from_value::<Report>(v);
        assert!(result.is_err(), "{what}: the mirror accepted a changed report");
    }
}

/// The `nullable` helper (module comment): a key whose value may be null must
/// still be present.
#[test]
fn a_missing_nullable_key_is_refused() {
    let text = json("lab-mac-ad-fv-off");
    let original: Value = serde_json::from_str(&text).unwrap();
    assert!(original["user"].is_null() && original["conditions"][5]["evidence"].is_null());
    let paths: &[(&str, &[&str])] = &[
        ("user", &[]),
        ("bundle", &[]),
        ("evidence", &["conditions", "5"]),
        ("met", &["conditions", "0"]),
        ("bootstrap_token", &["facts"]),
        ("percent", &["facts", "filevault"]),
        ("note", &["facts", "filevault"]),
        ("found_in", &["facts", "bypass_key"]),
        ("console_logins", &["facts", "accounts", "0"]),
        ("volume_owner", &["facts", "crypto_users", "0"]),
        ("extra", &["facts", "macos"]),
    ];
    for (key, parent) in paths {
        let mut v = original.clone();
        let mut at = &mut v;
        for step in *parent {
            at = match step.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*step],
            };
        }
        assert!(at.as_object_mut().unwrap().remove(*key).is_some(), "{key} is not in {parent:?}");
        let err = serde_json::from_value::<Report>(v).expect_err(key);
        assert!(err.to_string().contains(&format!("missing field `{key}`")), "{key}: {err}");
    }
}

/// `--format jamf`: `<result>` + the same report as one line of compact JSON + `</result>`.
#[test]
fn jamf_format_wraps_the_same_report_on_one_line() {
    for (name, extra) in fixtures() {
        let out = check(&name, "jamf", &extra);
        assert_eq!(out.lines().count(), 1, "{name}: not exactly one line: {out:?}");
        assert!(!out.contains('\n'), "{name}: stdout has a newline (none is printed): {out:?}");
        let inner = out
            .strip_prefix("<result>")
            .and_then(|s| s.strip_suffix("</result>"))
            .unwrap_or_else(|| panic!("{name}: not wrapped in <result>...</result>: {out:?}"));
        let report = read_report(&name, inner);
        check_invariants(&name, &report);
        // The same report as --format json.
        let pretty: Value = serde_json::from_str(&check(&name, "json", &extra)).unwrap();
        assert_eq!(serde_json::from_str::<Value>(inner).unwrap(), pretty, "{name}");
        // What docs/deploying.md tells Jamf smart groups to match with `like`:
        // compact JSON has no space after the colon.
        let verdict = serde_json::to_value(report.verdict).unwrap();
        let needle = format!("\"verdict\":\"{}\"", verdict.as_str().unwrap());
        assert!(inner.contains(&needle), "{name}: {needle} not in {inner}");
        for f in &report.findings {
            let id = serde_json::to_value(f.id).unwrap();
            let needle = format!("\"id\":\"{}\"", id.as_str().unwrap());
            assert!(inner.contains(&needle), "{name}: {needle} not in {inner}");
        }
    }
}

/// `--format jamf` when no report can be made: still a result, exit 0, and an
/// `unknown` verdict with an `error` object.
#[test]
fn jamf_format_reports_a_failure_as_an_unknown_result() {
    let empty = tempfile::tempdir().unwrap();
    let cases: [(&str, &Path, ErrorKind); 3] = [
        ("--from", Path::new("fixtures/no-such-bundle"), ErrorKind::BadInput),
        ("--from", empty.path(), ErrorKind::BadInput),
        // A live check of a "Mac" with no sw_vers: not a Mac, on any test machine.
        ("--system-root", empty.path(), ErrorKind::NotAMac),
    ];
    for (flag, dir, kind) in cases {
        let out = st().arg("check").arg(flag).arg(dir).args(["--format", "jamf"]).assert().success();
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(!stdout.contains('\n'), "{dir:?}: {stdout:?}");
        let inner = stdout
            .strip_prefix("<result>")
            .and_then(|s| s.strip_suffix("</result>"))
            .unwrap_or_else(|| panic!("{dir:?}: not wrapped in <result>...</result>: {stdout:?}"));
        let report: ErrorReport =
            serde_json::from_str(inner).unwrap_or_else(|e| panic!("{dir:?}: {e}: {inner}"));
        assert_eq!(serde_json::to_value(&report).unwrap(), serde_json::from_str::<Value>(inner).unwrap());
        assert_eq!(report.schema_version, 1);
        assert_eq!(report.verdict, Verdict::Unknown);
        assert_eq!(report.confidence, Confidence::Low);
        assert_eq!(report.error.kind, kind, "{dir:?}");
        assert!(!report.error.message.is_empty());
        assert!(inner.contains("\"verdict\":\"unknown\""), "{inner}");
        // It is not mistaken for a full report.
        assert!(serde_json::from_str::<Report>(inner).is_err());
    }
}

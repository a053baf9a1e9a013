//! The suppression profile: its structure read back with `plist`, its shape
//! against Apple's real samples, `write_new`'s refusals, and, end to end,
//! that the settings it carries make `check` say `suppressed`.

// `Command::cargo_bin` is deprecated in newer assert_cmd releases (custom build-dir);
// it still works for a normal `cargo test`.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use plist::{Dictionary, Value};
use st_preflight::profile::{self, ProfileError, ProfileOptions};

const BYPASS_KEY: &str = "cachedaccounts.askForSecureTokenAuthBypass";

/// Keys of our top level that Apple's minimal example leaves out.
const OPTIONAL_TOP_LEVEL: [&str; 4] =
    ["PayloadDescription", "PayloadOrganization", "PayloadRemovalDisallowed", "PayloadScope"];

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn opts(identifier: &str, organization: Option<&str>) -> ProfileOptions {
    ProfileOptions { identifier: identifier.to_string(), organization: organization.map(str::to_string) }
}

fn generate(o: &ProfileOptions) -> Vec<u8> {
    profile::bypass_dialog_profile(o).expect("a valid identifier gives a profile")
}

fn parse(bytes: &[u8]) -> Dictionary {
    match Value::from_reader_xml(bytes).expect("the profile is an XML plist") {
        Value::Dictionary(d) => d,
        other => panic!("the profile's top level is not a dict: {other:?}"),
    }
}

fn read_sample(name: &str) -> Dictionary {
    parse(&fs::read(repo("tests/samples").join(name)).expect("sample is readable"))
}

fn string<'a>(d: &'a Dictionary, key: &str) -> &'a str {
    d.get(key).and_then(Value::as_string).unwrap_or_else(|| panic!("{key} is not a string in {d:?}"))
}

/// The single payload dict of a profile.
fn only_payload(profile: &Dictionary) -> &Dictionary {
    let content =
        profile.get("PayloadContent").and_then(Value::as_array).expect("PayloadContent is an array");
    assert_eq!(content.len(), 1, "exactly one payload: {content:?}");
    content[0].as_dictionary().expect("the payload is a dict")
}

fn keys(d: &Dictionary) -> BTreeSet<String> {
    d.keys().cloned().collect()
}

fn is_upper_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('A'..='F').contains(&c),
        })
}

/// The payload's settings as macOS writes them into
/// `/Library/Managed Preferences/com.apple.MCX.plist`: its non-Payload* keys, flat.
fn managed_settings(profile_bytes: &[u8]) -> Dictionary {
    let profile = parse(profile_bytes);
    let mut settings = only_payload(&profile).clone();
    settings.retain(|k, _| !k.starts_with("Payload"));
    settings
}

// ---- structure ----------------------------------------------------------

#[test]
fn top_level_is_a_device_configuration_profile() {
    let p = parse(&generate(&opts("com.example.lab.suppress-dialog", None)));
    assert_eq!(string(&p, "PayloadType"), "Configuration");
    assert_eq!(string(&p, "PayloadScope"), "System");
    assert_eq!(p.get("PayloadVersion").and_then(Value::as_signed_integer), Some(1));
    assert_eq!(string(&p, "PayloadIdentifier"), "com.example.lab.suppress-dialog");
    assert_eq!(p.get("PayloadRemovalDisallowed").and_then(Value::as_boolean), Some(false));
    assert!(is_upper_uuid(string(&p, "PayloadUUID")), "{}", string(&p, "PayloadUUID"));
    assert!(string(&p, "PayloadDisplayName").contains("SecureToken"));
    assert_eq!(
        keys(&p),
        [
            "PayloadContent",
            "PayloadDescription",
            "PayloadDisplayName",
            "PayloadIdentifier",
            "PayloadRemovalDisallowed",
            "PayloadScope",
            "PayloadType",
            "PayloadUUID",
            "PayloadVersion"
        ]
        .map(String::from)
        .into(),
    );
}

#[test]
fn description_says_what_it_does_and_when_not_to_use_it() {
    let p = parse(&generate(&ProfileOptions::default()));
    let d = string(&p, "PayloadDescription");
    for needle in
        [BYPASS_KEY, "SecureToken administrator", "FileVault", "unlock the disk", "bootstrap token", "10.15"]
    {
        assert!(d.contains(needle), "description lacks {needle:?}: {d}");
    }
}

#[test]
fn one_simple_form_mcx_payload_with_the_key_true() {
    let p = parse(&generate(&opts("com.example.lab", None)));
    let payload = only_payload(&p);
    assert_eq!(string(payload, "PayloadType"), "com.apple.MCX");
    assert_eq!(string(payload, "PayloadIdentifier"), "com.example.lab.mcx");
    assert_eq!(payload.get("PayloadVersion").and_then(Value::as_signed_integer), Some(1));
    assert!(!string(payload, "PayloadDisplayName").is_empty());
    assert!(is_upper_uuid(string(payload, "PayloadUUID")), "{}", string(payload, "PayloadUUID"));
    assert_eq!(payload.get(BYPASS_KEY), Some(&Value::Boolean(true)));
    assert_eq!(
        keys(payload),
        [
            BYPASS_KEY,
            "PayloadDisplayName",
            "PayloadIdentifier",
            "PayloadType",
            "PayloadUUID",
            "PayloadVersion"
        ]
        .map(String::from)
        .into(),
    );
}

#[test]
fn uuids_are_distinct_stable_and_follow_the_identifier() {
    let uuids = |id: &str| {
        let p = parse(&generate(&opts(id, None)));
        (string(&p, "PayloadUUID").to_string(), string(only_payload(&p), "PayloadUUID").to_string())
    };
    let (top, inner) = uuids("com.example.a");
    assert_ne!(top, inner, "profile and payload UUIDs differ");
    assert_eq!(uuids("com.example.a"), (top.clone(), inner.clone()), "same identifier, same UUIDs");
    let (top_b, inner_b) = uuids("com.example.b");
    for u in [&top_b, &inner_b] {
        assert!(u != &top && u != &inner, "another identifier gives other UUIDs");
    }
    assert_eq!(top, profile::profile_uuid("com.example.a"));
    assert_eq!(inner, profile::payload_uuid("com.example.a"));
}

#[test]
fn same_command_same_bytes() {
    let o = opts("com.example.lab", Some("Example School"));
    assert_eq!(generate(&o), generate(&o));
    assert_eq!(generate(&ProfileOptions::default()), generate(&ProfileOptions::default()));
}

#[test]
fn organization_only_when_given() {
    let without = parse(&generate(&opts("com.example.lab", None)));
    assert!(!without.contains_key("PayloadOrganization"));
    let with = parse(&generate(&opts("com.example.lab", Some("Example School & Co. <IT>"))));
    assert_eq!(string(&with, "PayloadOrganization"), "Example School & Co. <IT>");
    // The organization does not change what the profile is.
    assert_eq!(string(&with, "PayloadUUID"), string(&without, "PayloadUUID"));
}

#[test]
fn default_options_use_the_default_identifier() {
    let p = parse(&generate(&ProfileOptions::default()));
    assert_eq!(string(&p, "PayloadIdentifier"), profile::DEFAULT_IDENTIFIER);
    assert_eq!(string(only_payload(&p), "PayloadIdentifier"), format!("{}.mcx", profile::DEFAULT_IDENTIFIER));
}

#[test]
fn invalid_identifier_is_refused_with_a_clear_message() {
    for id in ["", "com example", "com.example/lab", "com..example", "com.example.</string>"] {
        let err = profile::bypass_dialog_profile(&opts(id, None)).expect_err(id);
        assert!(matches!(err, ProfileError::InvalidIdentifier { .. }), "{id:?}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains("invalid profile identifier") && msg.contains("reverse-DNS"), "{msg}");
    }
}

// ---- shape against the real samples --------------------------------------

#[test]
fn shape_matches_apples_simple_mobileaccounts_example() {
    let sample = read_sample("mobileconfig__com.apple.MCX-mobileaccounts-apple-doc-example.mobileconfig");
    let ours = parse(&generate(&opts("com.example.lab", Some("Example School"))));

    let mut our_top = keys(&ours);
    for k in OPTIONAL_TOP_LEVEL {
        our_top.remove(k);
    }
    assert_eq!(our_top, keys(&sample), "top-level keys, less the optional ones");
    for k in keys(&sample) {
        assert_eq!(
            std::mem::discriminant(&ours[&k]),
            std::mem::discriminant(&sample[&k]),
            "type of top-level {k}"
        );
    }
    assert_eq!(string(&ours, "PayloadType"), string(&sample, "PayloadType"));

    // Same payload type, and the setting at the payload's top level like
    // the sample's com.apple.cachedaccounts.CreateAtLogin.
    let (our_payload, sample_payload) = (only_payload(&ours), only_payload(&sample));
    assert_eq!(string(our_payload, "PayloadType"), string(sample_payload, "PayloadType"));
    let payload_keys = |d: &Dictionary| -> BTreeSet<String> {
        keys(d).into_iter().filter(|k| k.starts_with("Payload") && k != "PayloadDisplayName").collect()
    };
    assert_eq!(payload_keys(our_payload), payload_keys(sample_payload));
    assert!(
        sample_payload
            .get("com.apple.cachedaccounts.CreateAtLogin")
            .is_some_and(|v| v.as_boolean().is_some())
    );
    assert!(our_payload.get(BYPASS_KEY).is_some_and(|v| v.as_boolean() == Some(true)));
}

#[test]
fn settings_match_the_real_custom_settings_profile() {
    let sample = read_sample(
        "mobileconfig__com.apple.MCX-askForSecureTokenAuthBypass-managedclient-preferences.mobileconfig",
    );
    let bytes = generate(&opts("com.example.lab", Some("Company Name")));
    let ours = parse(&bytes);

    // The custom-settings form nests the same settings under
    // PayloadContent / com.apple.MCX / Forced / [0] / mcx_preference_settings.
    let forced = only_payload(&sample)
        .get("PayloadContent")
        .and_then(Value::as_dictionary)
        .and_then(|d| d.get("com.apple.MCX"))
        .and_then(Value::as_dictionary)
        .and_then(|d| d.get("Forced"))
        .and_then(Value::as_array)
        .expect("Forced array");
    let settings = forced[0]
        .as_dictionary()
        .and_then(|d| d.get("mcx_preference_settings"))
        .and_then(Value::as_dictionary)
        .expect("mcx_preference_settings");
    assert_eq!(&managed_settings(&bytes), settings);

    // Every top-level key we write is one this real device profile uses, with the same value
    // where it is not specific to the profile.
    assert!(keys(&ours).is_subset(&keys(&sample)), "{:?} ⊄ {:?}", keys(&ours), keys(&sample));
    for k in
        ["PayloadType", "PayloadScope", "PayloadRemovalDisallowed", "PayloadVersion", "PayloadOrganization"]
    {
        assert_eq!(ours[k], sample[k], "{k}");
    }
}

// ---- write_new ------------------------------------------------------------

fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn write_new_creates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suppress.mobileconfig");
    let bytes = generate(&ProfileOptions::default());
    profile::write_new(&path, &bytes, false).unwrap();
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert_eq!(entries(dir.path()), ["suppress.mobileconfig".to_string()].into());
}

#[test]
fn write_new_refuses_an_existing_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suppress.mobileconfig");
    fs::write(&path, b"old").unwrap();
    let err = profile::write_new(&path, b"new", false).expect_err("refused");
    assert!(matches!(err, ProfileError::Exists { symlink: false, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()) && msg.contains("--force"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), b"old");
}

#[test]
fn write_new_replaces_with_force_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suppress.mobileconfig");
    fs::write(&path, b"old contents, longer than the new").unwrap();
    profile::write_new(&path, b"new", true).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(entries(dir.path()), ["suppress.mobileconfig".to_string()].into());
    // force on a missing file just creates it
    let other = dir.path().join("other.mobileconfig");
    profile::write_new(&other, b"x", true).unwrap();
    assert_eq!(fs::read(&other).unwrap(), b"x");
}

#[test]
fn write_new_reports_an_unwritable_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("p.mobileconfig");
    for force in [false, true] {
        let err = profile::write_new(&path, b"x", force).expect_err("no such directory");
        assert!(matches!(err, ProfileError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn write_new_never_follows_a_symlink_leaf_without_force() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.txt");
    fs::write(&target, b"precious").unwrap();
    let link = dir.path().join("link.mobileconfig");
    symlink(&target, &link).unwrap();

    let err = profile::write_new(&link, b"new", false).expect_err("refused");
    assert!(matches!(err, ProfileError::Exists { symlink: true, .. }), "{err:?}");
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(fs::read(&target).unwrap(), b"precious");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());

    // A dangling link is refused too, and its target is not created.
    let missing = dir.path().join("missing.txt");
    let dangling = dir.path().join("dangling.mobileconfig");
    symlink(&missing, &dangling).unwrap();
    let err = profile::write_new(&dangling, b"new", false).expect_err("refused");
    assert!(matches!(err, ProfileError::Exists { symlink: true, .. }), "{err:?}");
    assert!(!missing.exists());

    // With force, the link itself is replaced by a regular file; the target stays as it was.
    profile::write_new(&link, b"new", true).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
    assert_eq!(fs::read(&link).unwrap(), b"new");
    assert_eq!(fs::read(&target).unwrap(), b"precious");
}

// ---- end to end: the profile's settings make `check` say suppressed ---------

/// A copy of every file of `fixtures/<name>` in a fresh temp dir.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let src = repo("fixtures").join(name);
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(&src).expect("fixture exists") {
        let entry = entry.unwrap();
        assert!(entry.file_type().unwrap().is_file(), "fixture {name} holds only files");
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn check_json(bundle: &Path) -> serde_json::Value {
    let output = Command::cargo_bin("st-preflight")
        .expect("st-preflight binary is built")
        .args(["check", "--from"])
        .arg(bundle)
        .args(["--format", "json"])
        .output()
        .expect("st-preflight runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn bypass_met(report: &serde_json::Value) -> &serde_json::Value {
    let c = report["conditions"]
        .as_array()
        .expect("conditions array")
        .iter()
        .find(|c| c["id"] == "bypass-key")
        .expect("bypass-key condition");
    &c["met"]
}

#[test]
fn installing_the_profile_suppresses_the_dialog_on_the_lab_mac() {
    let unchanged = copy_fixture("lab-mac-ad-fv-off");
    let before = check_json(unchanged.path());
    assert_eq!(before["verdict"], "will-appear", "{before:#}");
    assert_eq!(bypass_met(&before), false);

    let installed = copy_fixture("lab-mac-ad-fv-off");
    let settings = managed_settings(&generate(&ProfileOptions::default()));
    assert_eq!(keys(&settings), [BYPASS_KEY.to_string()].into(), "the payload carries one setting");
    let mut managed = Vec::new();
    Value::Dictionary(settings).to_writer_xml(&mut managed).unwrap();
    fs::write(installed.path().join("mcx-managed.out"), managed).unwrap();
    fs::remove_file(installed.path().join("mcx-managed.absent")).unwrap();

    let after = check_json(installed.path());
    assert_eq!(after["verdict"], "suppressed", "{after:#}");
    assert_eq!(bypass_met(&after), true, "{after:#}");
}

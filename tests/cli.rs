//! The command line as a user meets it: formats, exit codes, errors.

#![allow(deprecated)] // `Command::cargo_bin`: still the way for a plain `cargo test`.

use assert_cmd::Command;
use predicates::prelude::*;

fn st() -> Command {
    let mut cmd = Command::cargo_bin("st-preflight").unwrap();
    cmd.env_remove("NO_COLOR").current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn table_is_the_default_and_starts_with_the_verdict() {
    let out = st().args(["check", "--from", "fixtures/lab-mac-ad-fv-off"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let first_text_line = text.lines().nth(1).unwrap();
    assert!(first_text_line.contains("THE DIALOG WILL APPEAR"), "{text}");
    assert!(text.contains("securetoken-admin") && text.contains("suppress-on-shared-macs"));
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    st().args(["check", "--from", "fixtures/lab-mac-ad-fv-off", "--color", "always"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b["));
}

#[test]
fn no_color_wins_even_over_color_always() {
    st().args(["check", "--from", "fixtures/lab-mac-ad-fv-off", "--color", "always"])
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn json_format_is_one_document() {
    let out =
        st().args(["check", "--from", "fixtures/staff-mac-ad-fv-on", "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "st-preflight");
    assert_eq!(v["verdict"], "will-appear");
    assert_eq!(v["user"], serde_json::Value::Null);
    assert_eq!(v["sources"].as_array().unwrap().len(), 13);
}

#[test]
fn exit_code_flag_maps_each_verdict() {
    for (fixture, code) in
        [("not-bound", 0), ("lab-mac-ad-fv-off", 10), ("bypass-key-profile", 11), ("no-dsconfigad", 12)]
    {
        st().args(["check", "--exit-code", "--from", &format!("fixtures/{fixture}")]).assert().code(code);
        // Without the flag a report is a success whatever the verdict.
        st().args(["check", "--from", &format!("fixtures/{fixture}")]).assert().code(0);
    }
}

#[test]
fn user_flag_is_echoed_and_decides_new_account() {
    let out = st()
        .args(["check", "--from", "fixtures/bypassed-mobile-user", "--user", "jdoe", "--format", "json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["user"], "jdoe");
    assert_eq!(v["verdict"], "will-not-appear");
    assert_eq!(v["deciding"], serde_json::json!(["new-account"]));
}

#[test]
fn a_missing_bundle_is_exit_3_with_what_to_do() {
    st().args(["check", "--from", "fixtures/no-such-bundle"])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("no such directory").and(predicate::str::contains("collect")));
}

#[test]
fn a_folder_that_is_not_a_bundle_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    st().args(["check", "--from"])
        .arg(dir.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not a bundle"));
}

#[test]
fn a_future_bundle_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bundle.json"), r#"{"format":"st-preflight-bundle","version":2}"#)
        .unwrap();
    st().args(["check", "--from"])
        .arg(dir.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("upgrade"));
    std::fs::write(dir.path().join("bundle.json"), r#"{"format":"something-else","version":1}"#).unwrap();
    st().args(["check", "--from"])
        .arg(dir.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("format"));
}

#[test]
fn usage_errors_are_exit_2() {
    st().args(["check", "--format", "yaml", "--from", "x"]).assert().code(2);
    st().args(["frobnicate"]).assert().code(2);
}

#[test]
fn help_documents_the_exit_codes() {
    st().args(["check", "--help"]).assert().success().stdout(predicate::str::contains("12  unknown"));
}

#[test]
fn rules_lists_every_condition_and_finding() {
    let out = st().args(["rules", "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["conditions"].as_array().unwrap().len(), 8);
    assert_eq!(v["findings"].as_array().unwrap().len(), 10);
    for entry in v["conditions"].as_array().unwrap().iter().chain(v["findings"].as_array().unwrap()) {
        for field in ["meaning", "versions", "sources", "confidence"] {
            let text = entry[field].as_str().unwrap_or_default();
            assert!(!text.is_empty(), "{} has no {field}", entry["id"]);
        }
    }
    st().arg("rules").assert().success().stdout(predicate::str::contains("bootstrap-token"));
}

#[test]
fn jamf_format_is_exactly_one_result_element() {
    let out =
        st().args(["check", "--from", "fixtures/lab-mac-ad-fv-off", "--format", "jamf"]).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let json = stdout.strip_prefix("<result>").and_then(|s| s.strip_suffix("</result>")).expect("wrapped");
    assert!(!json.contains('\n'), "one line");
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["verdict"], "will-appear");
}

#[test]
fn jamf_format_always_has_a_result_even_when_the_input_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bundle.json"), "{not json").unwrap();
    for from in [dir.path().to_path_buf(), std::path::PathBuf::from("fixtures/no-such-bundle")] {
        let out = st().args(["check", "--format", "jamf", "--from"]).arg(&from).assert().code(0);
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let json =
            stdout.strip_prefix("<result>").and_then(|s| s.strip_suffix("</result>")).expect("wrapped");
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["verdict"], "unknown");
        assert_eq!(v["error"]["kind"], "bad-input");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
        assert!(!out.get_output().stderr.is_empty(), "the diagnostic goes to stderr");
    }
    // On a machine that is not a Mac, too.
    let empty = tempfile::tempdir().unwrap();
    let out = st().args(["check", "--format", "jamf", "--system-root"]).arg(empty.path()).assert().code(0);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains(r#""kind":"not-a-mac""#));
    // Usage errors stay usage errors.
    st().args(["check", "--format", "jamf", "--timeout", "soon"]).assert().code(2);
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F _st__preflight"),
        ("zsh", "#compdef st-preflight"),
        ("fish", "complete -c st-preflight"),
    ] {
        let out = st().args(["completions", shell]).assert().success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(text.contains(marker) && text.contains("collect") && text.contains("exit-code"), "{shell}");
    }
    let out = st().arg("man").assert().success();
    let man = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(man.starts_with(".ie") && man.contains(".TH st-preflight 1") && man.contains("check"));
}

#[test]
fn profile_writes_to_stdout_or_refuses_to_overwrite() {
    let out = st().args(["profile", "--bypass-dialog"]).assert().success();
    let first = out.get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&first).contains("cachedaccounts.askForSecureTokenAuthBypass"));
    st().args(["profile", "--bypass-dialog"]).assert().success().stdout(first.clone());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suppress.mobileconfig");
    std::fs::write(&file, "keep me").unwrap();
    st().args(["profile", "--bypass-dialog", "--output"])
        .arg(&file)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    st().args(["profile", "--bypass-dialog", "--force", "--output"]).arg(&file).assert().success();
    assert_eq!(std::fs::read(&file).unwrap(), first);
    st().args(["profile", "--bypass-dialog", "--identifier", "bad id!"]).assert().code(2);
    // The flag is required: there is only one profile, and it must be asked for by name.
    st().arg("profile").assert().code(2);
}

/// The extension-attribute script of docs/deploying.md, as printed there,
/// with its binary path pointed at `bin`.
fn extension_attribute(bin: &std::path::Path) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploying.md")).unwrap();
    let start = doc.find("```sh\n#!/bin/sh").expect("the script is in docs/deploying.md") + "```sh\n".len();
    let script = &doc[start..start + doc[start..].find("```").unwrap()];
    let script = script.replace("BIN=/usr/local/bin/st-preflight", &format!("BIN='{}'", bin.display()));
    let out = Command::new("/bin/sh").arg("-c").arg(&script).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_documented_extension_attribute_always_stores_a_value() {
    // On this Linux machine the check cannot run: still a JSON result.
    let value = extension_attribute(std::path::Path::new(env!("CARGO_BIN_EXE_st-preflight")));
    assert!(value.starts_with("<result>{\"schema_version\":1,"), "{value}");
    assert!(value.contains("\"verdict\":\"unknown\"") && value.contains("\"kind\":\"not-a-mac\""), "{value}");

    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(extension_attribute(&tmp.path().join("absent")), "<result>not installed</result>\n");
    // Killed before it could answer.
    let killed = tmp.path().join("killed");
    std::fs::write(&killed, "#!/bin/sh\nkill -9 $$\n").unwrap();
    std::fs::set_permissions(&killed, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(
        extension_attribute(&killed),
        "<result>no result (st-preflight exited with status 137)</result>\n"
    );
}

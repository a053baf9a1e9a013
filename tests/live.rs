//! The live prober, run for real on Linux through `--system-root`: a fake
//! Mac whose commands are small shell scripts printing real captured output.

#![allow(deprecated)] // `Command::cargo_bin`: still the way for a plain `cargo test`.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// Source id → (binary, the arguments it is called with), as in src/source.rs.
const COMMANDS: [(&str, &str, &str); 10] = [
    ("sw-vers", "usr/bin/sw_vers", ""),
    ("diskutil-info", "usr/sbin/diskutil", "info -plist /"),
    ("crypto-users", "usr/sbin/diskutil", "apfs listCryptoUsers -plist /"),
    ("fdesetup-status", "usr/bin/fdesetup", "status"),
    ("dsconfigad", "usr/sbin/dsconfigad", "-show"),
    ("ldap-nodes", "usr/bin/dscl", "localhost -list /LDAPv3"),
    (
        "local-users",
        "usr/bin/dscl",
        "-plist . -readall /Users RecordName UniqueID GeneratedUID AuthenticationAuthority OriginalNodeName NFSHomeDirectory RealName",
    ),
    ("admin-group", "usr/bin/dscl", "-plist . -read /Groups/admin GroupMembership"),
    ("last", "usr/bin/last", ""),
    ("bootstrap-token", "usr/bin/profiles", "status -type bootstraptoken"),
];
const FILES: [(&str, &str); 2] = [
    ("mcx-managed", "Library/Managed Preferences/com.apple.MCX.plist"),
    ("mcx-local", "Library/Preferences/com.apple.MCX.plist"),
];

/// A fake Mac: each source is a shell snippet run when its command is called.
struct FakeMac {
    dir: tempfile::TempDir,
    scripts: BTreeMap<&'static str, String>,
}

impl FakeMac {
    /// A Mac that answers like the fixture bundle `name`.
    fn from_fixture(name: &str) -> FakeMac {
        let fixture = fixture(name);
        let dir = tempfile::tempdir().unwrap();
        let mut mac = FakeMac { dir, scripts: BTreeMap::new() };
        for (id, _, _) in COMMANDS {
            let out = fixture.join(format!("{id}.out"));
            if out.exists() {
                let copy = mac.data(id, &std::fs::read(&out).unwrap());
                mac.scripts.insert(id, format!("/bin/cat '{}'", copy.display()));
            }
        }
        for (id, path) in FILES {
            let out = fixture.join(format!("{id}.out"));
            if out.exists() {
                mac.file(path, &std::fs::read(out).unwrap());
            }
        }
        mac
    }

    /// Stores bytes for a script to print.
    fn data(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join("data").join(id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn prints(mut self, id: &'static str, bytes: &[u8]) -> FakeMac {
        let copy = self.data(id, bytes);
        self.scripts.insert(id, format!("/bin/cat '{}'", copy.display()));
        self
    }

    fn runs(mut self, id: &'static str, script: &str) -> FakeMac {
        self.scripts.insert(id, script.to_string());
        self
    }

    fn without(mut self, id: &'static str) -> FakeMac {
        self.scripts.remove(id);
        self
    }

    fn file(&self, path: &str, bytes: &[u8]) {
        let full = self.root().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// Writes one script per binary, dispatching on its arguments.
    fn build(&self) -> PathBuf {
        let mut binaries: BTreeMap<&str, String> = BTreeMap::new();
        for (id, binary, args) in COMMANDS {
            if let Some(script) = self.scripts.get(id) {
                let arm = format!("  \"{args}\") {script} ;;\n");
                binaries
                    .entry(binary)
                    .or_insert_with(|| String::from("#!/bin/sh\ncase \"$*\" in\n"))
                    .push_str(&arm);
            }
        }
        for (binary, mut body) in binaries {
            body.push_str("  *) echo \"unexpected arguments: $*\" >&2; exit 64 ;;\nesac\n");
            let path = self.root().join(binary);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, body).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(self.root()).unwrap();
        self.root()
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn st() -> Command {
    Command::cargo_bin("st-preflight").unwrap()
}

fn json(cmd: &mut Command) -> Value {
    let out = cmd.args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn live(root: &Path, extra: &[&str]) -> Value {
    json(st().arg("check").arg("--system-root").arg(root).args(extra))
}

fn source<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["sources"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
}

fn met(v: &Value, id: &str) -> Value {
    v["conditions"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["met"].clone()
}

/// What a technician compares: verdict, each condition's value, the findings.
fn decision(v: &Value) -> (Value, Vec<(Value, Value)>, Vec<Value>) {
    let conditions =
        v["conditions"].as_array().unwrap().iter().map(|c| (c["id"].clone(), c["met"].clone())).collect();
    let findings = v["findings"].as_array().unwrap().iter().map(|f| f["id"].clone()).collect();
    (v["verdict"].clone(), conditions, findings)
}

#[test]
fn a_healthy_mac_gives_the_same_decision_live_as_its_fixture() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let root = mac.build();
    let from_live = live(&root, &[]);
    let from_fixture = json(st().args(["check", "--from"]).arg(fixture("lab-mac-ad-fv-off")));
    assert_eq!(from_live["verdict"], "will-appear");
    assert_eq!(decision(&from_live), decision(&from_fixture));
    assert_eq!(source(&from_live, "mcx-managed")["status"], "absent");
    // Not captured in the fixture, so the fake Mac has no `profiles` at all.
    assert_eq!(source(&from_live, "bootstrap-token")["status"], "not-found");
}

#[test]
fn a_command_that_never_ends_is_killed_at_the_time_limit() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off").runs("last", "echo partial; exec /bin/sleep 600");
    let root = mac.build();
    let start = Instant::now();
    let v = live(&root, &["--timeout", "1"]);
    let elapsed = start.elapsed();
    // A hang detector, not a speed test: the command alone would take 10 minutes.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert_eq!(source(&v, "last")["status"], "timeout");
    // crypto-users decides securetoken-admin, so the verdict stands without `last`.
    assert_eq!(v["verdict"], "will-appear");
}

#[test]
fn a_grandchild_holding_stdout_open_does_not_make_the_check_wait() {
    let last = std::fs::read(fixture("lab-mac-ad-fv-off").join("last.out")).unwrap();
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let data = mac.data("last-real", &last);
    // One grandchild in the command's process group, one that escapes it with setsid.
    let script =
        format!("/bin/cat '{}'; /bin/sleep 600 & /usr/bin/setsid /bin/sleep 600 & exit 0", data.display());
    let mac = mac.runs("last", &script);
    let root = mac.build();
    let start = Instant::now();
    let v = live(&root, &["--timeout", "20"]);
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    assert_eq!(source(&v, "last")["status"], "ok");
    assert_eq!(v["facts"]["accounts"][0]["console_logins"].as_u64().map(|n| n > 0), Some(true));
}

#[test]
fn endless_output_is_capped_and_the_check_finishes() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off").runs("last", "exec /usr/bin/yes 'ladmin console x'");
    let root = mac.build();
    let out = st()
        .arg("check")
        .arg("--system-root")
        .arg(&root)
        .args(["--format", "json", "--timeout", "20"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = source(&v, "last");
    assert!(last["detail"].as_str().unwrap().contains("cut at the capture limit"), "{last}");
    assert_eq!(v["verdict"], "will-appear");
}

#[test]
fn missing_failing_and_non_utf8_commands_become_unknown_sources() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off")
        .without("fdesetup-status")
        .runs("bootstrap-token", "echo 'profiles: unable to reach the MDM server' >&2; exit 1")
        .prints("last", b"ladmin\xff\xfe console Mon Jun  4 09:12\n");
    let root = mac.build();
    let v = live(&root, &[]);
    assert_eq!(source(&v, "fdesetup-status")["status"], "not-found");
    let bootstrap = source(&v, "bootstrap-token");
    assert_eq!(bootstrap["status"], "failed");
    assert!(bootstrap["detail"].as_str().unwrap().contains("unable to reach the MDM server"), "{bootstrap}");
    assert_eq!(source(&v, "last")["status"], "unparseable");
    assert_eq!(v["verdict"], "will-appear", "none of these can change this Mac's verdict");
}

/// The local-users fixture with a password hash attribute added to each record.
fn users_with_password_hashes() -> Vec<u8> {
    let users = std::fs::read_to_string(fixture("lab-mac-ad-fv-off").join("local-users.out")).unwrap();
    users
        .replace(
            "<key>dsAttrTypeStandard:RecordName</key>",
            "<key>dsAttrTypeNative:ShadowHashData</key><array><string>62706c69 73743030 d101020304</string></array>\n<key>dsAttrTypeStandard:RecordName</key>",
        )
        .into_bytes()
}

#[test]
fn password_hashes_never_reach_the_report_or_the_bundle() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off").prints("local-users", &users_with_password_hashes());
    let root = mac.build();
    let bundle = mac.dir.path().join("bundle");
    let out = st()
        .arg("check")
        .arg("--system-root")
        .arg(&root)
        .arg("--save-bundle")
        .arg(&bundle)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(!report.contains("ShadowHashData") && !report.contains("62706c69"));
    let v: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["redacted"], serde_json::json!(["local-users"]));
    assert!(source(&v, "local-users")["detail"].as_str().unwrap().contains("password hash data"));
    assert_eq!(v["verdict"], "will-appear");
    for entry in std::fs::read_dir(&bundle).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("ShadowHashData"));
        assert!(!String::from_utf8_lossy(&bytes).contains("62706c69"));
    }
}

#[test]
fn collect_then_check_gives_the_live_decision() {
    for name in
        ["lab-mac-ad-fv-off", "bypassed-mobile-user", "catalina-bootstrap-escrowed", "ldap-mobile-mcx"]
    {
        let mac = FakeMac::from_fixture(name);
        let root = mac.build();
        let bundle = mac.dir.path().join("collected");
        let out =
            st().arg("collect").arg("--system-root").arg(&root).arg("--out").arg(&bundle).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8(out.stdout).unwrap();
        assert!(said.contains(&format!("check --from {}", bundle.display())), "{said}");
        let user: &[&str] = if name == "bypassed-mobile-user" { &["--user", "jdoe"] } else { &[] };
        let from_live = live(&root, user);
        let replayed = json(st().args(["check", "--from"]).arg(&bundle).args(user));
        assert_eq!(decision(&replayed), decision(&from_live), "{name}");
        assert_eq!(replayed["sources"], from_live["sources"], "{name}");
    }
}

#[test]
fn the_collected_bundle_is_private_and_complete() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off").runs("bootstrap-token", "echo nope >&2; exit 3");
    let root = mac.build();
    let bundle = mac.dir.path().join("b");
    st().arg("collect").arg("--system-root").arg(&root).arg("--out").arg(&bundle).assert().success();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&bundle), 0o700);
    for entry in std::fs::read_dir(&bundle).unwrap() {
        assert_eq!(mode(&entry.unwrap().path()), 0o600);
    }
    assert_eq!(std::fs::read_to_string(bundle.join("bootstrap-token.exit")).unwrap().trim(), "3");
    assert_eq!(std::fs::read_to_string(bundle.join("bootstrap-token.err")).unwrap(), "nope\n");
    assert!(bundle.join("mcx-managed.absent").exists());
    let meta: Value = serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(meta["format"], "st-preflight-bundle");
    assert_eq!(meta["version"], 1);
    assert_eq!(meta["sources"]["local-users"]["argv"][0], "/usr/bin/dscl");
    assert!(meta["sources"]["sw-vers"]["duration_ms"].is_u64());
    assert!(meta["captured_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn collect_refuses_a_folder_that_is_not_empty_before_running_anything() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let ran = mac.dir.path().join("last-ran");
    let mac = mac.runs("last", &format!(": > '{}'", ran.display()));
    let root = mac.build();
    let out = busy_folder(mac.dir.path());
    let refused =
        st().arg("collect").arg("--system-root").arg(&root).arg("--out").arg(&out).output().unwrap();
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    assert_only_keep_txt(&out);
    assert!(!ran.exists(), "a command ran although the folder was refused");
}

/// A folder holding someone's file.
fn busy_folder(parent: &Path) -> PathBuf {
    let busy = parent.join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "mine").unwrap();
    busy
}

fn assert_only_keep_txt(folder: &Path) {
    let names: Vec<_> = std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["keep.txt"], "{} was written to", folder.display());
}

/// An extension attribute that saves a bundle runs again on a Mac where the
/// folder already holds the last one: the report must still come.
#[test]
fn check_save_bundle_into_a_busy_folder_still_reports() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let root = mac.build();
    let busy = busy_folder(mac.dir.path());
    let check = |format: &str| {
        st().arg("check")
            .arg("--system-root")
            .arg(&root)
            .arg("--save-bundle")
            .arg(&busy)
            .args(["--format", format, "--exit-code"])
            .output()
            .unwrap()
    };
    let json = check("json");
    assert_eq!(json.status.code(), Some(3), "the bundle was asked for and not written");
    let stderr = String::from_utf8_lossy(&json.stderr);
    assert!(stderr.contains("no bundle was saved") && stderr.contains("not empty"), "{stderr}");
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["verdict"], "will-appear");

    let jamf = check("jamf");
    assert_eq!(jamf.status.code(), Some(0));
    let result = String::from_utf8(jamf.stdout).unwrap();
    let report: Value =
        serde_json::from_str(result.strip_prefix("<result>").unwrap().strip_suffix("</result>").unwrap())
            .unwrap();
    assert_eq!(report["verdict"], "will-appear");
    assert!(report.get("error").is_none());

    assert_only_keep_txt(&busy);
}

#[test]
fn collect_refuses_a_symlink_and_writes_nothing_through_it() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let root = mac.build();
    let target = mac.dir.path().join("elsewhere");
    std::fs::create_dir(&target).unwrap();
    let link = mac.dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = st().arg("collect").arg("--system-root").arg(&root).arg("--out").arg(&link).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symlink"));
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
}

#[test]
fn a_machine_that_is_not_a_mac_is_told_to_use_a_bundle() {
    let empty = tempfile::tempdir().unwrap();
    let out = st().arg("check").arg("--system-root").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a Mac") && err.contains("--from") && err.contains("collect"), "{err}");
}

#[test]
fn the_live_host_is_probed_in_parallel() {
    // Every command sleeps 1 s; run one after the other they would take 10 s.
    let mut mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    for (id, _, _) in COMMANDS {
        if let Some(script) = mac.scripts.get(id).cloned() {
            mac = mac.runs(id, &format!("/bin/sleep 1; {script}"));
        }
    }
    let root = mac.build();
    let start = Instant::now();
    let v = live(&root, &[]);
    assert!(start.elapsed() < Duration::from_secs(8), "took {:?}", start.elapsed());
    assert_eq!(v["verdict"], "will-appear");
    assert_eq!(met(&v, "securetoken-admin"), true);
}

#[test]
fn a_permission_failure_names_the_source_and_asks_for_root() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off")
        .runs("crypto-users", "echo 'Error: -69888: Permission denied' >&2; exit 1")
        .runs(
            "local-users",
            "echo 'DS Error: -14120 (eDSPermissionError)... Operation not permitted' >&2; exit 1",
        );
    let root = mac.build();
    let v = live(&root, &[]);
    for id in ["crypto-users", "local-users"] {
        let s = source(&v, id);
        assert_eq!(s["status"], "failed", "{s}");
        assert!(
            s["detail"].as_str().unwrap().contains("run st-preflight as root for a definite answer"),
            "{s}"
        );
    }
    // Without local records the local admins are unknown, and that matters here.
    assert_eq!(met(&v, "securetoken-admin"), Value::Null);
    assert_eq!(v["verdict"], "unknown");
}

/// The round trip also holds for what has no bytes to keep: a command that
/// cannot be started, a preference file that is refused, and password data
/// removed before writing. The bundle records each, and the replay says
/// what the live check said.
#[test]
fn a_collected_bundle_replays_what_could_not_be_captured_and_what_was_removed() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off").prints("local-users", &users_with_password_hashes());
    let root = mac.build();
    // /usr/bin/last cannot be run (no execute bit: EACCES even for root).
    std::fs::write(root.join("usr/bin/last"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(root.join("usr/bin/last"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let managed = root.join("Library/Managed Preferences/com.apple.MCX.plist");
    std::fs::create_dir_all(managed.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", &managed).unwrap();

    let bundle = mac.dir.path().join("collected");
    let out = st().arg("collect").arg("--system-root").arg(&root).arg("--out").arg(&bundle).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("Password data (ShadowHashData) was found in local-users and removed"), "{said}");

    let from_live = live(&root, &[]);
    assert_eq!(source(&from_live, "last")["status"], "failed");
    assert_eq!(source(&from_live, "mcx-managed")["status"], "unparseable");
    let replayed = json(st().args(["check", "--from"]).arg(&bundle));
    assert_eq!(replayed["sources"], from_live["sources"]);
    assert_eq!(replayed["redacted"], serde_json::json!(["local-users"]));
    assert_eq!(decision(&replayed), decision(&from_live));
    assert_eq!(replayed["conditions"], from_live["conditions"]);
}

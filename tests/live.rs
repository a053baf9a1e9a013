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

/// The pid a fake command wrote to `file`; only a real one (never 0, 1 or a
/// negative number, which `kill` would take for a group or everyone).
fn read_pid(file: &Path) -> Option<libc::pid_t> {
    let pid: libc::pid_t = std::fs::read_to_string(file).ok()?.trim().parse().ok()?;
    (pid > 1).then_some(pid)
}

/// Kills, when dropped, the `sleep`s whose pids the test's fake commands wrote
/// to these files: no test leaves one behind, whether it passes or fails.
/// Declare it after the [`FakeMac`] holding the files, so it is dropped first.
struct Reaper(Vec<PathBuf>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for file in &self.0 {
            let Some(pid) = read_pid(file) else { continue };
            // Only a sleep: by now the pid may belong to something else.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if cmdline.windows(5).any(|w| w == b"sleep") {
                // SAFETY: kill has no memory effects; pid > 1 names one process.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Whether a process has ended: its pid is gone (ESRCH), or it is a zombie,
/// dead and only waiting to be reaped. An orphan's zombie waits for init,
/// which in a container is not always quick about it.
fn has_ended(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == -1 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// Waits up to 2 s for a process to end (Linux: reads /proc).
fn ends_soon(pid: libc::pid_t) -> bool {
    let give_up = Instant::now() + Duration::from_secs(2);
    while !has_ended(pid) {
        if Instant::now() >= give_up {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
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
    // Under 4 s: a build that ignored --timeout would stop `last` at the 5 s
    // default. The 3 s to spare cover a busy CI machine.
    assert!(elapsed >= Duration::from_secs(1), "stopped before the limit: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "--timeout 1 took {elapsed:?}");
    assert_eq!(source(&v, "last")["status"], "timeout");
    // crypto-users decides securetoken-admin, so the verdict stands without `last`.
    assert_eq!(v["verdict"], "will-appear");
}

#[test]
fn a_grandchild_holding_stdout_open_does_not_make_the_check_wait() {
    let last = std::fs::read(fixture("lab-mac-ad-fv-off").join("last.out")).unwrap();
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let data = mac.data("last-real", &last);
    let (in_group, escaped) = (mac.dir.path().join("in-group.pid"), mac.dir.path().join("escaped.pid"));
    // One grandchild in the command's process group, one that escapes it with
    // setsid. Each pid is on file before the command exits, for the reaper.
    let script = format!(
        "/bin/cat '{data}'; /bin/sleep 600 & echo $! > '{in_group}'; \
         /usr/bin/setsid /bin/sh -c 'echo $$ > \"$0\"; exec /bin/sleep 600' '{escaped}' & \
         until [ -s '{escaped}' ]; do /bin/sleep 0.01; done; exit 0",
        data = data.display(),
        in_group = in_group.display(),
        escaped = escaped.display(),
    );
    let mac = mac.runs("last", &script);
    // After `mac`, so that it is dropped first, while the pid files still exist.
    let _reaper = Reaper(vec![in_group, escaped]);
    let root = mac.build();
    let start = Instant::now();
    let v = live(&root, &["--timeout", "20"]);
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    assert_eq!(source(&v, "last")["status"], "ok");
    assert_eq!(v["facts"]["accounts"][0]["console_logins"].as_u64().map(|n| n > 0), Some(true));
}

#[test]
fn the_whole_process_group_is_killed_when_a_command_times_out_or_exits() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let (hung, exited) = (mac.dir.path().join("hung.pid"), mac.dir.path().join("exited.pid"));
    // Each command starts a child in the command's own process group and
    // writes down its pid; `last` then waits for it (never ends), `profiles`
    // exits.
    let child = |pid_file: &Path| format!("/bin/sleep 600 & echo $! > '{}'", pid_file.display());
    let mac = mac
        .runs("last", &format!("{}; echo partial; wait", child(&hung)))
        .runs("bootstrap-token", &format!("{}; echo done; exit 0", child(&exited)));
    // After `mac`, so that it is dropped first, while the pid files still exist.
    let _reaper = Reaper(vec![hung.clone(), exited.clone()]);
    let root = mac.build();
    let v = live(&root, &["--timeout", "1"]);
    assert_eq!(source(&v, "last")["status"], "timeout");
    assert_ne!(source(&v, "bootstrap-token")["status"], "timeout");
    let still_running: Vec<String> = [(&hung, "timed out"), (&exited, "exited")]
        .into_iter()
        .filter_map(|(path, how)| {
            let pid = read_pid(path).unwrap_or_else(|| panic!("{} holds no pid", path.display()));
            (!ends_soon(pid)).then(|| format!("the child (pid {pid}) of the command that {how}"))
        })
        .collect();
    assert!(still_running.is_empty(), "still running: {still_running:?}");
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
    // Every command sleeps 2 s. All at once they take 2 s; with any fewer at
    // a time than there are commands, some command waits for another's 2 s
    // and the check takes at least 4 s. Under 3.5 s leaves 1.5 s to spare.
    let mut mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let mut commands = 0;
    for (id, _, _) in COMMANDS {
        if let Some(script) = mac.scripts.get(id).cloned() {
            mac = mac.runs(id, &format!("/bin/sleep 2; {script}"));
            commands += 1;
        }
    }
    assert!(commands >= 8, "only {commands} commands");
    let root = mac.build();
    let start = Instant::now();
    let v = live(&root, &[]);
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_millis(3500), "{commands} commands of 2 s took {elapsed:?}");
    assert_eq!(v["verdict"], "will-appear");
    assert_eq!(met(&v, "securetoken-admin"), true);
}

/// What the fake `dscl` prints for local-users in the test below.
const SHOWS_ITS_SETTING: &str = r#"if read -r line; then echo 'stdin got-stdin'; else echo 'stdin closed'; fi
    for a in "$0" "$@"; do printf 'argv %s\n' "$a"; done
    printf 'parent %s\n' "$(/bin/cat /proc/$PPID/comm)"
    tr '\0' '\n' < /proc/$$/environ | while IFS= read -r l; do printf 'env %s\n' "$l"; done"#;

#[test]
fn commands_run_bare_with_their_argv_no_stdin_and_a_fixed_environment() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off").runs("local-users", SHOWS_ITS_SETTING);
    let root = mac.build();
    let bundle = mac.dir.path().join("bundle");
    st().arg("collect")
        .arg("--system-root")
        .arg(&root)
        .arg("--out")
        .arg(&bundle)
        .env("ST_PREFLIGHT_LEAK", "1")
        .env("LC_ALL", "fr_FR.UTF-8")
        .write_stdin("a line for st-preflight, never for its commands\n")
        .assert()
        .success();
    let shown = std::fs::read_to_string(bundle.join("local-users.out")).unwrap();
    let lines = |tag: &str| -> Vec<String> {
        let tag = format!("{tag} ");
        shown.lines().filter_map(|l| l.strip_prefix(&tag)).map(str::to_string).collect()
    };

    // Stdin is closed (reads as end of file), not st-preflight's own.
    assert_eq!(lines("stdin"), ["closed"]);
    // The argv of the source table, each argument on its own, the program
    // under the system root...
    let (_, binary, args) = COMMANDS.iter().find(|(id, _, _)| *id == "local-users").unwrap();
    let mut argv = vec![root.join(binary).display().to_string()];
    argv.extend(args.split(' ').map(str::to_string));
    assert_eq!(lines("argv"), argv);
    // ...run by st-preflight itself: no shell process in between.
    assert_eq!(lines("parent"), ["st-preflight"]);
    // The environment is exactly the fixed one: nothing of st-preflight's own
    // (HOME, ST_PREFLIGHT_LEAK, its LC_ALL) reaches the command. It is read
    // from /proc/$$/environ, the environment the command was started with,
    // so what the fake command's own shell adds (PWD, SHLVL...) does not
    // count. Values are shown only for the fixed names: a leak must not print
    // the test's environment.
    let env: BTreeMap<String, String> = lines("env")
        .iter()
        .filter_map(|l| l.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let names: Vec<&str> = env.keys().map(String::as_str).collect();
    assert_eq!(names, ["LANG", "LC_ALL", "PATH"], "the command's environment");
    assert_eq!(env["LANG"], "C");
    assert_eq!(env["LC_ALL"], "C");
    assert_eq!(env["PATH"], "/usr/bin:/bin:/usr/sbin:/sbin");
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

/// "Not found" is for a command that is not there, and "run as root" for a
/// permission problem: a script whose interpreter is missing, or a folder
/// where the command should be, is a failure that says what it is.
#[test]
fn a_command_that_cannot_start_is_not_called_missing_or_blamed_on_root() {
    let mac = FakeMac::from_fixture("lab-mac-ad-fv-off");
    let root = mac.build();
    let fdesetup = root.join("usr/bin/fdesetup");
    std::fs::write(&fdesetup, "#!/nonexistent/interpreter\n").unwrap();
    std::fs::set_permissions(&fdesetup, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_file(root.join("usr/bin/last")).ok();
    std::fs::create_dir_all(root.join("usr/bin/last")).unwrap();
    // A symlink to nothing is a command that is not there.
    std::fs::remove_file(root.join("usr/bin/profiles")).ok();
    std::os::unix::fs::symlink("/nonexistent/profiles", root.join("usr/bin/profiles")).unwrap();
    let v = live(&root, &[]);
    assert_eq!(source(&v, "bootstrap-token")["status"], "not-found");
    let fdesetup = source(&v, "fdesetup-status");
    assert_eq!(fdesetup["status"], "failed", "{fdesetup}");
    let last = source(&v, "last");
    assert_eq!(last["status"], "failed", "{last}");
    assert!(!last["detail"].as_str().unwrap().contains("as root"), "{last}");
}

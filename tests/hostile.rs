//! Hostile bundles (issue 5): bytes from a broken or tampered Mac. Each case
//! must end with a clear error (exit 3 and a message on stderr) or a report
//! in which the source is `unparseable`/`unknown`, never a panic (exit 101),
//! within bounded time. Most run the built binary with `--format json`; the
//! replay of fuzz crash inputs (tests/regressions/) calls the parsers.

// `Command::cargo_bin` is deprecated in newer assert_cmd releases (custom
// build-dir); it still works for a normal `cargo test`.
#![allow(deprecated)]

#[path = "support/bundle_input.rs"]
mod bundle_input;
#[path = "../benches/support/large_bundle.rs"]
mod large_bundle;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use plist::{Dictionary, Value};
use serde_json::Value as Json;
use st_preflight::host::Output;
use st_preflight::probes;
use tempfile::TempDir;

/// Any single case must finish well inside this, in a debug build.
const LIMIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// A temporary copy of a fixture, to be made hostile.
fn copy_of(name: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    large_bundle::copy_bundle(&fixture(name), dir.path());
    dir
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::cargo_bin("st-preflight")
        .unwrap()
        .arg("check")
        .arg("--from")
        .arg(dir)
        .args(args)
        .timeout(LIMIT)
        .output()
        .unwrap();
    let took = start.elapsed();
    let run = Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    };
    assert!(run.took < LIMIT, "took {:?} (killed?)", run.took);
    assert!(
        run.status == 0 || run.status == 3,
        "exit status {} (101 is a panic); stderr: {}",
        run.status,
        run.stderr
    );
    run
}

/// `check --format json`, which must succeed with a report.
fn report(dir: &Path) -> Json {
    let r = run(dir, &["--format", "json"]);
    assert_eq!(r.status, 0, "stderr: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

/// The `sources` line of one source: (status, detail).
fn source(report: &Json, id: &str) -> (String, String) {
    let line = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no source {id} in {}", report["sources"]));
    (line["status"].as_str().unwrap().to_string(), line["detail"].as_str().unwrap().to_string())
}

fn assert_source(report: &Json, id: &str, status: &str, detail_has: &str) {
    let (got, detail) = source(report, id);
    assert_eq!(got, status, "{id}: {detail}");
    assert!(detail.contains(detail_has), "{id}: {detail:?} lacks {detail_has:?}");
}

/// An error exit: status 3, a message on stderr that names the problem, nothing on stdout.
fn assert_refused(dir: &Path, message_has: &str) {
    for format in ["json", "table"] {
        let r = run(dir, &["--format", format]);
        assert_eq!(r.status, 3, "stdout: {}", r.stdout);
        assert!(r.stderr.contains(message_has), "stderr {:?} lacks {message_has:?}", r.stderr);
        assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    }
}

fn xml(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    value.to_writer_xml(&mut out).unwrap();
    out
}

fn binary(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    value.to_writer_binary(&mut out).unwrap();
    out
}

/// One `dscl -plist -readall` record.
fn record(name: &str, uid: &str, guid: &str, authority: &[&str]) -> Value {
    let attr = |v: &[&str]| Value::Array(v.iter().map(|s| Value::String(s.to_string())).collect());
    let mut d = Dictionary::new();
    d.insert("dsAttrTypeStandard:RecordName".into(), attr(&[name]));
    d.insert("dsAttrTypeStandard:UniqueID".into(), attr(&[uid]));
    d.insert("dsAttrTypeStandard:GeneratedUID".into(), attr(&[guid]));
    d.insert("dsAttrTypeStandard:AuthenticationAuthority".into(), attr(authority));
    Value::Dictionary(d)
}

// ---------------------------------------------------------------- sizes

#[test]
fn a_200_mb_source_is_refused_as_too_large_without_reading_it() {
    let dir = copy_of("lab-mac-ad-fv-off");
    let f = fs::OpenOptions::new().write(true).truncate(true).open(dir.path().join("last.out")).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap(); // sparse: no disk used
    let r = report(dir.path());
    assert_source(&r, "last", "unparseable", "too large");
    // Only that source: the rest of the report stands.
    assert_source(&r, "sw-vers", "ok", "");
    assert_eq!(r["verdict"], "will-appear");
}

#[test]
fn an_oversized_bundle_json_is_a_clear_error() {
    let dir = copy_of("lab-mac-ad-fv-off");
    let f = fs::OpenOptions::new().write(true).open(dir.path().join("bundle.json")).unwrap();
    f.set_len(50 * 1024 * 1024).unwrap();
    assert_refused(dir.path(), "too large");
}

// ---------------------------------------------------------------- plists

#[test]
fn a_binary_plist_is_read_like_the_xml_one() {
    let dir = copy_of("lab-mac-ad-fv-off");
    for id in ["local-users", "admin-group", "crypto-users", "diskutil-info"] {
        let path = dir.path().join(format!("{id}.out"));
        let value = Value::from_file(&path).unwrap();
        fs::write(&path, binary(&value)).unwrap();
    }
    let r = report(dir.path());
    for id in ["local-users", "admin-group", "crypto-users", "diskutil-info"] {
        assert_source(&r, id, "ok", "");
    }
    assert_eq!(r["verdict"], "will-appear");
    // A broken one is unparseable, not a crash.
    let path = dir.path().join("local-users.out");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let r = report(dir.path());
    assert_source(&r, "local-users", "unparseable", "property list");
}

#[test]
fn plists_nested_thousands_deep_are_unparseable() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::remove_file(dir.path().join("mcx-managed.absent")).unwrap(); // the marker would win
    let n = 5_000;
    // XML, with and without a space in the tag (the XML scan sees only `<array>`).
    let plain = format!("<plist version=\"1.0\">{}{}</plist>", "<array>".repeat(n), "</array>".repeat(n));
    let spaced = format!("<plist version=\"1.0\">{}{}</plist>", "<array >".repeat(n), "</array >".repeat(n));
    let ascii = format!("{}{}", "(".repeat(n), ")".repeat(n));
    // Binary: object i is an array holding object i+1.
    let mut deep = Value::Array(Vec::new());
    for _ in 0..200 {
        deep = Value::Array(vec![deep]);
    }
    for (_what, bytes) in [
        ("xml", plain.into_bytes()),
        ("spaced xml", spaced.into_bytes()),
        ("ascii", ascii.into_bytes()),
        ("binary", binary(&deep)),
    ] {
        fs::write(dir.path().join("local-users.out"), &bytes).unwrap();
        fs::write(dir.path().join("mcx-managed.out"), &bytes).unwrap();
        let r = report(dir.path());
        assert_source(&r, "local-users", "unparseable", "nested deeper than 64");
        assert_source(&r, "mcx-managed", "unparseable", "nested deeper than 64");
    }
}

#[test]
fn a_binary_plist_of_100_000_levels_does_not_overflow_the_stack() {
    // Hand-built: the plist crate's own writer would recurse that deep.
    let n = 100_000u32;
    let mut bytes = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for i in 0..n {
        offsets.push(bytes.len() as u32);
        if i + 1 < n {
            bytes.push(0xA1);
            bytes.extend_from_slice(&(i + 1).to_be_bytes());
        } else {
            bytes.push(0xA0);
        }
    }
    end_binary_plist(&mut bytes, &offsets);
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("crypto-users.out"), &bytes).unwrap();
    let r = report(dir.path());
    assert_source(&r, "crypto-users", "unparseable", "nested deeper than 64");
}

/// Appends the offset table and trailer of a hand-built binary plist whose
/// objects start at `offsets` (4-byte offsets and references, object 0 the top).
fn end_binary_plist(bytes: &mut Vec<u8>, offsets: &[u32]) {
    let table = bytes.len() as u64;
    offsets.iter().for_each(|o| bytes.extend_from_slice(&o.to_be_bytes()));
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 4, 4]);
    bytes.extend_from_slice(&(offsets.len() as u64).to_be_bytes());
    bytes.extend_from_slice(&0u64.to_be_bytes());
    bytes.extend_from_slice(&table.to_be_bytes());
}

#[test]
fn a_binary_plist_that_references_one_object_a_billion_times_is_refused() {
    // Three levels of 1,000 references to the next level: 12 kB on disk,
    // 10^9 values if every reference were followed.
    let mut bytes = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for level in 0..4u32 {
        offsets.push(bytes.len() as u32);
        if level < 3 {
            bytes.extend_from_slice(&[0xAF, 0x12]);
            bytes.extend_from_slice(&1000u32.to_be_bytes());
            (0..1000).for_each(|_| bytes.extend_from_slice(&(level + 1).to_be_bytes()));
        } else {
            bytes.push(0xA0);
        }
    }
    end_binary_plist(&mut bytes, &offsets);
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("local-users.out"), &bytes).unwrap();
    let r = report(dir.path());
    assert_source(&r, "local-users", "unparseable", "more than 1000000 values");
}

#[test]
fn a_plist_with_a_million_entries_is_handled_in_bounded_time() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::remove_file(dir.path().join("mcx-managed.absent")).unwrap(); // the marker would win
    // A million-key dictionary in a preference file: over the value limit.
    let mut keys = String::from("<plist version=\"1.0\"><dict>");
    for i in 0..1_000_000 {
        keys.push_str(&format!("<key>k{i}</key><true/>"));
    }
    keys.push_str("</dict></plist>");
    fs::write(dir.path().join("mcx-managed.out"), keys).unwrap();
    // A million records that are not records.
    let records = format!("<plist version=\"1.0\"><array>{}</array></plist>", "<true/>".repeat(1_000_000));
    fs::write(dir.path().join("local-users.out"), records).unwrap();
    // A million admins, most of whom do not exist.
    let members: Vec<Value> = (0..1_000_000).map(|i| Value::String(format!("m{i}"))).collect();
    let mut group = Dictionary::new();
    group.insert("dsAttrTypeStandard:GroupMembership".into(), Value::Array(members));
    fs::write(dir.path().join("admin-group.out"), binary(&Value::Dictionary(group))).unwrap();
    let r = report(dir.path());
    assert_source(&r, "mcx-managed", "unparseable", "more than 1000000 values");
    assert_source(&r, "local-users", "unparseable", "more than 1000000 values");
    assert_source(&r, "admin-group", "unparseable", "more than 1000000 values");
    // Under the value limit, the first record that is not one is named.
    let records = format!("<plist version=\"1.0\"><array>{}</array></plist>", "<true/>".repeat(200_000));
    fs::write(dir.path().join("local-users.out"), records).unwrap();
    let r = report(dir.path());
    assert_source(&r, "local-users", "unparseable", "record 0 is not a dictionary");
}

/// Peak resident memory of one `check --from DIR --format json` run, in MiB.
///
/// Measured from a fresh copy of this test binary (`peak_of_a_check`): a
/// child started from this process shares its memory until it execs
/// (vfork), and Linux counts this process's own peak (other tests' large
/// buffers) toward the child's `ru_maxrss`.
#[allow(clippy::disallowed_methods)] // the test binary itself, not st-preflight
fn peak_mib(dir: &Path) -> f64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "peak_of_a_check", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PEAK_OF, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The harness prints "test peak_of_a_check ... " on the same line.
    let kib: f64 = stdout
        .split("peak-kib ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak measured: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    kib / 1024.0
}

const PEAK_OF: &str = "ST_PREFLIGHT_TEST_PEAK_OF";

/// Not a test: the measuring side of [`peak_mib`], run only by it.
#[test]
#[ignore = "run by peak_mib in a fresh process"]
#[allow(clippy::disallowed_methods, clippy::disallowed_macros)] // wait4 needs the pid; the result goes to stdout
fn peak_of_a_check() {
    let Some(dir) = std::env::var_os(PEAK_OF) else { return };
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_st-preflight"))
        .args(["check", "--format", "json", "--from"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    std::mem::forget(child);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status:#x}");
    println!("peak-kib {}", usage.ru_maxrss);
}

/// 60 MB of tiny items in the text sources once took gigabytes as strings
/// (ldap-nodes 3.9 GB, crypto-users 2.6 GB, admin-group 1.7 GB): each list
/// is now capped far above what a Mac prints. Two sources per bundle, so
/// that the limit on all `.out` files together (160 MiB) is not what stops them.
#[test]
fn sixty_megabytes_of_tiny_items_stay_bounded_in_memory() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("ldap-nodes.out"), "a\n".repeat(30_000_000)).unwrap();
    let crypto = format!("Cryptographic users for disk1s1 (1 found)\n{}", "+-- x\n".repeat(10_000_000));
    fs::write(dir.path().join("crypto-users.out"), crypto).unwrap();
    let r = report(dir.path());
    assert_source(&r, "ldap-nodes", "unparseable", "more than 1000 LDAP servers");
    assert_source(&r, "crypto-users", "unparseable", "more than 100000 crypto users");
    let peak = peak_mib(dir.path());
    assert!(peak < 600.0, "peak RSS {peak:.0} MiB");

    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("admin-group.out"), format!("GroupMembership:{}", " a".repeat(30_000_000)))
        .unwrap();
    let last: String = (0..3_000_000).map(|i| format!("{i:x} console x\n")).collect();
    fs::write(dir.path().join("last.out"), last).unwrap();
    let r = report(dir.path());
    assert_source(&r, "admin-group", "unparseable", "more than 100000 members");
    assert_source(&r, "last", "unparseable", "more than 200000 accounts");
    let peak = peak_mib(dir.path());
    assert!(peak < 600.0, "peak RSS {peak:.0} MiB");
}

/// A source that is not text at all is refused without being copied: one
/// 64 MiB file of invalid UTF-8 once took 455 MiB (a lossy copy, three times
/// the size, searched for "permission").
#[test]
fn sixty_four_megabytes_that_are_not_text_are_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sw-vers.out"), vec![0xffu8; 64 * 1024 * 1024]).unwrap();
    let r = report(dir.path());
    assert_source(&r, "sw-vers", "unparseable", "not UTF-8");
    let peak = peak_mib(dir.path());
    assert!(peak < 150.0, "peak RSS {peak:.0} MiB");
}

/// Thirteen sparse files at the per-file limit cost no disk, but would cost
/// the best part of a gigabyte: the bundle's `.out` files together are
/// capped, and the sources past the cap are refused, not the whole bundle.
#[test]
fn a_bundle_of_sparse_files_stays_bounded_in_memory() {
    let ids = st_preflight::source::SourceId::ALL.map(|s| s.as_str());
    let dir = tempfile::tempdir().unwrap();
    for id in ids {
        let file = fs::File::create(dir.path().join(format!("{id}.out"))).unwrap();
        file.set_len(64 * 1024 * 1024).unwrap();
        let err = fs::File::create(dir.path().join(format!("{id}.err"))).unwrap();
        err.set_len(64 * 1024 * 1024).unwrap();
    }
    let r = report(dir.path());
    // Two files of 64 MiB fit in 160 MiB; every later source is refused.
    let refused =
        ids.iter().filter(|id| source(&r, id).1.contains("limit on all .out files together")).count();
    assert_eq!(refused, ids.len() - 2, "{}", r["sources"]);
    let peak = peak_mib(dir.path());
    assert!(peak < 300.0, "peak RSS {peak:.0} MiB");
}

// ---------------------------------------------------------------- names

/// `dep-skip-no-local-admin` with the mobile account `tech.jones` renamed,
/// in a binary plist (XML cannot hold most control characters).
fn with_mobile_name(name: &str) -> TempDir {
    let dir = copy_of("dep-skip-no-local-admin");
    let path = dir.path().join("local-users.out");
    let mut users = Value::from_file(&path).unwrap();
    let mut renamed = 0;
    for rec in users.as_array_mut().unwrap() {
        let names = rec.as_dictionary_mut().unwrap().get_mut("dsAttrTypeStandard:RecordName").unwrap();
        let first = &mut names.as_array_mut().unwrap()[0];
        if first.as_string() == Some("tech.jones") {
            *first = Value::String(name.to_string());
            renamed += 1;
        }
    }
    assert_eq!(renamed, 1);
    fs::write(&path, binary(&users)).unwrap();
    dir
}

#[test]
fn control_characters_in_names_are_escaped_in_the_table_and_exact_in_json() {
    let name = "tech\u{1b}[2J\u{1b}[31mjones\u{7}\r\u{202e}x\u{0}";
    let dir = with_mobile_name(name);
    let r = report(dir.path());
    let finding =
        r["findings"].as_array().unwrap().iter().find(|f| f["id"] == "bypassed-mobile-accounts").unwrap();
    assert!(finding["accounts"].as_array().unwrap().iter().any(|a| a == name), "{finding}");
    assert!(r["facts"]["accounts"].as_array().unwrap().iter().any(|a| a["name"] == name));

    let table = run(dir.path(), &["--format", "table", "--color", "never"]);
    assert_eq!(table.status, 0);
    assert!(
        table.stdout.contains("tech\\u{1b}[2J\\u{1b}[31mjones\\u{7}\\u{d}\\u{202e}x\\u{0}"),
        "{}",
        table.stdout
    );
    for raw in ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\0'] {
        assert!(!table.stdout.contains(raw), "raw {raw:?} reached the terminal");
    }
    // --user goes through the same escaping.
    let asked = run(dir.path(), &["--format", "table", "--color", "never", "--user", "\u{1b}]0;owned\u{7}"]);
    assert!(!asked.stdout.contains('\u{1b}') && !asked.stdout.contains('\u{7}'), "{}", asked.stdout);
}

/// comfy-table splits a word wider than its column by rescanning the rest
/// of the word for every line it cuts off, so one long name without spaces
/// was quadratic in the table (a 200,000-character name: 1.6 s in release; a
/// 20 MB one: hours). The table now shortens what it hands to comfy-table
/// (`report/escape.rs`); JSON keeps the name whole.
#[test]
fn a_very_long_name_renders_the_table_in_bounded_time() {
    let name = "x".repeat(2_000_000);
    let dir = with_mobile_name(&name);
    let json = run(dir.path(), &["--format", "json"]);
    assert!(json.stdout.contains(&name));
    let table = run(dir.path(), &["--format", "table", "--color", "never"]);
    assert_eq!(table.status, 0);
    assert!(table.took < Duration::from_secs(10), "table took {:?}", table.took);
}

/// `--format jamf` wraps the compact JSON in `<result>…</result>`; JSON does
/// not escape `</`, so an account named `x</result>y` ended the element
/// early and the extension attribute held broken JSON. `report/json.rs`
/// now writes `</` as `<\/`, which is the same JSON string.
#[test]
fn a_name_holding_the_end_tag_does_not_break_the_jamf_result() {
    let name = "tech</result><result>jones";
    let dir = with_mobile_name(name);
    let r = run(dir.path(), &["--format", "jamf"]);
    assert_eq!(r.status, 0);
    let inner = r.stdout.trim().strip_prefix("<result>").and_then(|s| s.strip_suffix("</result>")).unwrap();
    assert!(!inner.contains("</result>"), "{}", r.stdout);
    let json: Json = serde_json::from_str(inner).unwrap();
    assert!(json["facts"]["accounts"].as_array().unwrap().iter().any(|a| a["name"] == name));
}

#[test]
fn nul_bytes_and_invalid_utf8_in_names() {
    // NUL inside a binary plist string is a legal, if odd, name.
    let dir = with_mobile_name("te\0ch");
    let r = report(dir.path());
    assert!(r["facts"]["accounts"].as_array().unwrap().iter().any(|a| a["name"] == "te\u{0}ch"));
    // Invalid UTF-8 where text is expected: that source only is unparseable.
    let dir = copy_of("lab-mac-ad-fv-off");
    let mut last = fs::read(dir.path().join("last.out")).unwrap();
    last.splice(0..6, b"lad\xffmi\x00n".iter().copied());
    fs::write(dir.path().join("last.out"), last).unwrap();
    fs::write(dir.path().join("admin-group.out"), b"GroupMembership: root lad\xc3\x28min\n").unwrap();
    let users =
        fs::read_to_string(dir.path().join("local-users.out")).unwrap().replace("ladmin", "lad\u{fffd}min");
    let mut users = users.into_bytes();
    // Replace the U+FFFD (3 bytes) with an invalid sequence of the same length.
    while let Some(i) = users.windows(3).position(|w| w == "\u{fffd}".as_bytes()) {
        users[i..i + 3].copy_from_slice(b"\xed\xa0\x80"); // a UTF-16 surrogate, invalid in UTF-8
    }
    fs::write(dir.path().join("local-users.out"), users).unwrap();
    let r = report(dir.path());
    assert_source(&r, "last", "unparseable", "not UTF-8");
    assert_source(&r, "admin-group", "unparseable", "not UTF-8");
    assert_source(&r, "local-users", "unparseable", "property list");
}

// ---------------------------------------------------------------- file kinds

#[test]
fn a_symlinked_source_is_refused_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "FileVault is On.\n").unwrap();
    let dir = copy_of("lab-mac-ad-fv-off");
    for (id, target) in
        [("last", PathBuf::from("/etc/passwd")), ("fdesetup-status", outside.path().join("secret"))]
    {
        let path = dir.path().join(format!("{id}.out"));
        fs::remove_file(&path).unwrap();
        symlink(&target, &path).unwrap();
    }
    // A relative link that climbs out of the bundle, and one to nowhere.
    fs::remove_file(dir.path().join("sw-vers.out")).unwrap();
    symlink("../../../../../../etc/hostname", dir.path().join("sw-vers.out")).unwrap();
    symlink("/nonexistent/at/all", dir.path().join("bootstrap-token.out")).unwrap();
    let r = report(dir.path());
    for id in ["last", "fdesetup-status", "sw-vers", "bootstrap-token"] {
        assert_source(&r, id, "unparseable", "symlink");
    }
    assert!(!r.to_string().contains("root:x:0:0"), "/etc/passwd leaked into the report");
    // A symlinked bundle.json is refused too.
    fs::remove_file(dir.path().join("bundle.json")).unwrap();
    symlink("/etc/passwd", dir.path().join("bundle.json")).unwrap();
    assert_refused(dir.path(), "symlink");
}

#[test]
fn a_hard_linked_source_is_refused_and_never_quoted() {
    // A failed source's stderr is quoted in the report: a hard link to a
    // file the technician's account cannot read must not be read as root.
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("master.passwd");
    fs::write(&secret, "root:$6$s3cr3t-hash:0:0:root:/var/root:/bin/sh\n").unwrap();
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::hard_link(&secret, dir.path().join("dsconfigad.err")).unwrap();
    fs::write(dir.path().join("dsconfigad.exit"), "1\n").unwrap();
    fs::remove_file(dir.path().join("sw-vers.out")).unwrap();
    fs::hard_link(&secret, dir.path().join("sw-vers.out")).unwrap();
    let r = report(dir.path());
    assert_source(&r, "dsconfigad", "unparseable", "hard link");
    assert_source(&r, "sw-vers", "unparseable", "hard link");
    assert!(!r.to_string().contains("s3cr3t"), "the linked file leaked into the report");
}

#[test]
fn a_directory_in_place_of_a_source_is_unparseable() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::remove_file(dir.path().join("dsconfigad.out")).unwrap();
    fs::create_dir(dir.path().join("dsconfigad.out")).unwrap();
    fs::create_dir(dir.path().join("bootstrap-token.err")).unwrap();
    let r = report(dir.path());
    assert_source(&r, "dsconfigad", "unparseable", "not a regular file");
    assert_source(&r, "bootstrap-token", "unparseable", "not a regular file");
    assert_ne!(r["verdict"], "will-appear", "a missing binding must not read as bound");
}

#[test]
fn a_fifo_in_place_of_a_source_does_not_block() {
    let dir = copy_of("lab-mac-ad-fv-off");
    for name in ["last.out", "host.err", "sw-vers.exit"] {
        let path = dir.path().join(name);
        let _ = fs::remove_file(&path);
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    }
    // Nobody ever writes to these FIFOs: a blocking open would hang here.
    let r = report(dir.path());
    assert_source(&r, "last", "unparseable", "not a regular file");
    assert_source(&r, "host", "unparseable", "not a regular file");
    assert_source(&r, "sw-vers", "unparseable", "not a regular file");
    // bundle.json as a FIFO: a clear error, not a hang.
    let meta = dir.path().join("bundle.json");
    fs::remove_file(&meta).unwrap();
    let c = std::ffi::CString::new(meta.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    assert_refused(dir.path(), "not a regular file");
}

#[test]
fn a_garbage_exit_file_is_unparseable() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("sw-vers.exit"), "zero\n").unwrap();
    fs::write(dir.path().join("last.exit"), "99999999999999999999").unwrap();
    let r = report(dir.path());
    assert_source(&r, "sw-vers", "unparseable", "exit status");
    assert_source(&r, "last", "unparseable", "exit status");
}

// ---------------------------------------------------------------- bundle.json

#[test]
fn a_bundle_json_that_is_not_json_is_a_clear_error() {
    let dir = copy_of("lab-mac-ad-fv-off");
    for bytes in [&b"{ not json"[..], b"\xff\xfe\x00{", b"", b"[]", b"\"st-preflight-bundle\""] {
        fs::write(dir.path().join("bundle.json"), bytes).unwrap();
        assert_refused(dir.path(), "bundle.json");
    }
    // Deeply nested JSON hits serde_json's recursion limit, not the stack.
    fs::write(dir.path().join("bundle.json"), "[".repeat(100_000)).unwrap();
    assert_refused(dir.path(), "bundle.json is not valid");
}

#[test]
fn a_bundle_json_of_another_format_is_a_clear_error() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("bundle.json"), r#"{"format":"sysdiagnose","version":1}"#).unwrap();
    assert_refused(dir.path(), "names format \"sysdiagnose\"");
    fs::write(dir.path().join("bundle.json"), r#"{"version":1}"#).unwrap();
    assert_refused(dir.path(), "names format");
}

#[test]
fn a_bundle_json_of_a_future_version_asks_for_an_upgrade() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(
        dir.path().join("bundle.json"),
        r#"{"format":"st-preflight-bundle","version":2,"new":{"x":[1]}}"#,
    )
    .unwrap();
    assert_refused(dir.path(), "upgrade st-preflight");
    for version in ["\"1\"", "-1", "1.5", "18446744073709551616", "null"] {
        let json = format!(r#"{{"format":"st-preflight-bundle","version":{version}}}"#);
        fs::write(dir.path().join("bundle.json"), json).unwrap();
        assert_refused(dir.path(), "bundle.json");
    }
}

#[test]
fn a_folder_that_is_not_a_bundle_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    assert_refused(empty.path(), "not a bundle");
    assert_refused(&empty.path().join("nope"), "no such directory");
    let file = empty.path().join("file");
    fs::write(&file, "x").unwrap();
    assert_refused(&file, "not a directory");
}

/// What `bundle.json` says of a source (why it has no bytes, that password
/// data was removed) counts only where it can be true: never over a
/// source's own files, never "removed" from bytes that are not there, and
/// its text reaches the table escaped.
#[test]
fn bundle_json_cannot_speak_over_a_sources_files() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::remove_file(dir.path().join("last.out")).unwrap();
    let meta = serde_json::json!({
        "format": "st-preflight-bundle",
        "version": 1,
        "sources": {
            "last": {"failed": "forged \u{1b}[2J\u{1b}]0;owned\u{7}", "redacted": true},
            "sw-vers": {"failed": "forged", "refused": "forged"},
            "mcx-local": {"refused": "forged", "redacted": true}
        }
    });
    fs::write(dir.path().join("bundle.json"), meta.to_string()).unwrap();
    let r = report(dir.path());
    assert_source(&r, "last", "failed", "forged \u{1b}[2J");
    assert_source(&r, "sw-vers", "ok", "");
    assert_source(&r, "mcx-local", "absent", "the file does not exist");
    assert_eq!(r["redacted"], serde_json::json!([]), "no bytes, nothing removed");
    let table = run(dir.path(), &["--format", "table", "--color", "never"]);
    assert!(!table.stdout.contains('\x1b') && !table.stdout.contains('\x07'), "{}", table.stdout);
    assert!(table.stdout.contains("forged \\u{1b}[2J"), "{}", table.stdout);
    assert!(!table.stdout.contains("Password data"), "{}", table.stdout);
}

// ---------------------------------------------------------------- scale

#[test]
fn twenty_thousand_users_and_half_a_million_logins_stay_fast() {
    let dir = tempfile::tempdir().unwrap();
    large_bundle::write_large_bundle(&fixture("lab-mac-ad-fv-off"), dir.path(), 20_000, 500_000);
    let r = run(dir.path(), &["--format", "json"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    // Debug build, shared machine: generous; the release numbers are in benches/check.rs.
    assert!(r.took < Duration::from_secs(20), "took {:?}", r.took);
    let report: Json = serde_json::from_str(&r.stdout).unwrap();
    assert_source(&report, "local-users", "ok", "");
    assert_source(&report, "last", "ok", "");
    assert_eq!(report["verdict"], "will-appear");
    let accounts = report["facts"]["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 20_001);
    // Worked out from large_bundle.rs: every tenth generated user is local,
    // the rest are mobile; `last` line n is ladmin's when n % 50 == 0, else
    // user n % 20,000's, and a console login when n % 3 == 0.
    assert_eq!(accounts.iter().filter(|a| a["mobile"] == true).count(), 18_000);
    let account = |name: &str| accounts.iter().find(|a| a["name"] == name).unwrap();
    // ladmin: n a multiple of 150 below 500,000.
    assert_eq!(account("ladmin")["console_logins"], 3_334);
    // ad.user00001: n = 1 + 20,000 k, a multiple of 3 for k = 1, 4, ..., 22.
    let user = account("ad.user00001");
    assert_eq!(user["console_logins"], 8);
    assert_eq!((user["mobile"].clone(), user["uid"].clone()), (Json::Bool(true), Json::from(1_000_001)));
    assert_eq!(user["directory_node"], "/Active Directory/MYDOMAIN/mydomain.local");
    assert_eq!(account("local00010")["mobile"], false);
    let table = run(dir.path(), &["--format", "table", "--color", "never"]);
    assert!(table.took < Duration::from_secs(20), "table took {:?}", table.took);
}

/// What `collect` writes for a command stopped at the output cap: the output
/// cut inside a line, exit 137, and `truncated` in bundle.json. Its whole
/// lines are read; the status is not a failure; the report says it is cut.
/// Without crypto-users or a marker, a cut history without an admin's
/// console login cannot rule the admin out.
#[test]
fn a_source_cut_at_the_capture_limit_reads_its_whole_lines() {
    let dir = copy_of("lab-mac-ad-fv-off");
    fs::write(dir.path().join("last.out"), "jdoe      ttys000   Mon Mar  9 08:55 - 17:31  (08:36)\nladm")
        .unwrap();
    fs::write(dir.path().join("last.exit"), "137\n").unwrap();
    fs::write(
        dir.path().join("bundle.json"),
        r#"{"format": "st-preflight-bundle", "version": 1, "sources": {"last": {"truncated": true}}}"#,
    )
    .unwrap();
    let r = report(dir.path());
    assert_source(&r, "last", "ok", "cut at the capture limit");
    assert_eq!(r["verdict"], "will-appear", "crypto-users decides");

    fs::remove_file(dir.path().join("crypto-users.out")).unwrap();
    let users = fs::read_to_string(dir.path().join("local-users.out")).unwrap();
    fs::write(dir.path().join("local-users.out"), users.replace("<string>;SecureToken;</string>", ""))
        .unwrap();
    let r = report(dir.path());
    assert_eq!(r["verdict"], "unknown");
    let admin = r["conditions"].as_array().unwrap().iter().find(|c| c["id"] == "securetoken-admin").unwrap();
    assert_eq!(admin["met"], Json::Null, "{admin}");
}

// ---------------------------------------------------------------- contradictions

#[test]
fn filevault_on_in_diskutil_and_off_in_fdesetup_says_which_was_believed() {
    let dir = copy_of("lab-mac-ad-fv-off");
    let path = dir.path().join("diskutil-info.out");
    let mut info = Value::from_file(&path).unwrap();
    let d = info.as_dictionary_mut().unwrap();
    d.insert("FileVault".into(), Value::Boolean(true));
    d.insert("Encryption".into(), Value::Boolean(true));
    fs::write(&path, xml(&info)).unwrap();
    let r = report(dir.path());
    let fv = &r["facts"]["filevault"];
    assert_eq!(fv["on"], false, "{fv}");
    assert_eq!(fv["source"], "fdesetup-status");
    let note = fv["note"].as_str().unwrap_or_else(|| panic!("no note: {fv}"));
    assert!(note.contains("diskutil says FileVault is on") && note.contains("believed fdesetup"), "{note}");
}

#[test]
fn the_securetoken_marker_without_a_crypto_user_is_a_finding() {
    let dir = copy_of("lab-mac-ad-fv-off");
    // ladmin keeps `;SecureToken;`, but the volume lists no user at all.
    let mut root = Dictionary::new();
    root.insert("Users".into(), Value::Array(Vec::new()));
    fs::write(dir.path().join("crypto-users.out"), xml(&Value::Dictionary(root))).unwrap();
    let r = report(dir.path());
    let mismatch = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "securetoken-marker-mismatch")
        .unwrap_or_else(|| panic!("no securetoken-marker-mismatch in {}", r["findings"]));
    assert_eq!(mismatch["accounts"], serde_json::json!(["ladmin"]));
    assert!(mismatch["message"].as_str().unwrap().contains("believed crypto-users"));
    // crypto-users decided: ladmin holds no token, so no SecureToken admin.
    let admin = r["conditions"].as_array().unwrap().iter().find(|c| c["id"] == "securetoken-admin").unwrap();
    assert_eq!(admin["met"], false, "{admin}");
    assert_eq!(r["verdict"], "will-not-appear");
}

#[test]
fn a_mobile_account_in_admin_is_not_a_local_securetoken_admin() {
    let dir = copy_of("dep-skip-no-local-admin");
    let path = dir.path().join("admin-group.out");
    fs::write(&path, "GroupMembership: root mdmadmin tech.jones\n").unwrap();
    let r = report(dir.path());
    let accounts = r["facts"]["accounts"].as_array().unwrap();
    let tech = accounts.iter().find(|a| a["name"] == "tech.jones").unwrap();
    assert_eq!(tech["mobile"], true);
    assert_eq!(tech["admin"], true);
    // A mobile account in admin is not a local SecureToken administrator.
    let admin = r["conditions"].as_array().unwrap().iter().find(|c| c["id"] == "securetoken-admin").unwrap();
    assert_eq!(admin["met"], false, "{admin}");
}

#[test]
fn an_admin_named_like_dscls_refusal_does_not_empty_the_admin_group() {
    let dir = copy_of("lab-mac-ad-fv-off");
    let members = ["root", "ladmin", "No such key: GroupMembership"];
    let mut group = Dictionary::new();
    group.insert(
        "dsAttrTypeStandard:GroupMembership".into(),
        Value::Array(members.iter().map(|m| Value::String(m.to_string())).collect()),
    );
    fs::write(dir.path().join("admin-group.out"), xml(&Value::Dictionary(group))).unwrap();
    let r = report(dir.path());
    let ladmin = r["facts"]["accounts"].as_array().unwrap().iter().find(|a| a["name"] == "ladmin").unwrap();
    assert_eq!(ladmin["admin"], true, "{ladmin}");
    assert_eq!(r["verdict"], "will-appear");
}

// ---------------------------------------------------------------- records that lie

#[test]
fn records_with_odd_attribute_shapes_do_not_crash() {
    let dir = copy_of("lab-mac-ad-fv-off");
    let mut odd = Dictionary::new();
    odd.insert("dsAttrTypeStandard:RecordName".into(), Value::String("lonestring".into()));
    odd.insert("dsAttrTypeStandard:UniqueID".into(), Value::Array(vec![Value::Integer(5.into())]));
    odd.insert("dsAttrTypeStandard:AuthenticationAuthority".into(), Value::Data(vec![1, 2, 3]));
    let users = Value::Array(vec![
        record("ladmin", "501", "5C3B8A2E-7F41-4D09-9B6A-1E2D3C4B5A69", &[";SecureToken;"]),
        record("huge", "99999999999999999999999", "", &[";LocalCachedUser;", ";LocalCachedUser;:::"]),
        record("", "-2147483649", "not-a-guid", &[""]),
        Value::Dictionary(odd),
    ]);
    fs::write(dir.path().join("local-users.out"), xml(&users)).unwrap();
    let r = report(dir.path());
    assert_source(&r, "local-users", "ok", "");
}

// ---------------------------------------------------------------- fuzz regressions

/// The parser a fuzz target drives, by the target's name (fuzz/fuzz_targets/).
fn replay(target: &str, bytes: &[u8]) {
    let out = Output { stdout: bytes.to_vec(), ..Output::default() };
    match target {
        "sw_vers" => drop(probes::sw_vers::parse(&out)),
        "diskutil" => drop(probes::diskutil::parse(&out)),
        "crypto_users" => drop(probes::crypto_users::parse(&out)),
        "fdesetup" => drop(probes::fdesetup::parse(&out)),
        "dsconfigad" => drop(probes::dsconfigad::parse(&out)),
        "ldap" => drop(probes::ldap::parse(&out)),
        "last" => drop(probes::last::parse(&out)),
        "bootstrap" => drop(probes::bootstrap::parse(&out)),
        "mcx" => drop(probes::mcx::parse(&out)),
        "host_info" => drop(probes::host_info::parse(&out)),
        "dscl_users" => {
            assert_eq!(probes::dscl::parse_users(&out), probes::dscl::parse_users_generally(&out))
        }
        "dscl_admin" => {
            drop(probes::dscl::parse_admin_group(&out));
            drop(probes::dscl::parse_admin_group(&Output {
                stderr: bytes.to_vec(),
                exit: 181,
                ..Output::default()
            }));
        }
        "bundle" => bundle_input::check(bytes),
        other => panic!("tests/regressions/{other}: no such fuzz target"),
    }
}

/// Every input under tests/regressions/<target>/ that once crashed, hung or
/// blew up a fuzz target replays through that target's code, quickly.
#[test]
fn fuzz_regressions_replay() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut count = 0;
    for dir in fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap();
        if !dir.file_type().unwrap().is_dir() {
            continue;
        }
        let target = dir.file_name().into_string().unwrap();
        for input in fs::read_dir(dir.path()).unwrap() {
            let input = input.unwrap().path();
            let start = Instant::now();
            replay(&target, &fs::read(&input).unwrap());
            assert!(start.elapsed() < Duration::from_secs(10), "{}: {:?}", input.display(), start.elapsed());
            count += 1;
        }
    }
    assert!(count > 0, "no regression inputs under {}", root.display());
}

// ---------------------------------------------------------------- redaction

/// Password-data redaction runs on every capture before any parser. It once
/// read a plist that mentions `ShadowHashData` with `Value::from_reader`,
/// without the bounds of the probes' reader: nesting this deep overflowed
/// the stack (the process aborted, exit 134). It now uses the bounded reader.
#[test]
fn a_deep_plist_that_mentions_password_data_does_not_crash_redaction() {
    let dir = copy_of("lab-mac-ad-fv-off");
    let n = 200_000;
    let deep = format!(
        "<plist version=\"1.0\">{}<string>ShadowHashData</string>{}</plist>",
        "<array>".repeat(n),
        "</array>".repeat(n)
    );
    fs::write(dir.path().join("local-users.out"), deep).unwrap();
    let r = report(dir.path());
    assert_source(&r, "local-users", "unparseable", "");
}

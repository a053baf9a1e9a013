//! `check --from` as a whole process, on a typical fixture and on the large
//! bundle of issue 5 (20,000 local user records, a 500,000-line `last`):
//! builds both bundles in a temporary folder, runs the release binary N
//! times on each (after one warm-up run), and prints the wall time (min and
//! median) and the peak resident memory of the process (`ru_maxrss` from
//! `wait4`, cross-checked with `getrusage(RUSAGE_CHILDREN)`).
//!
//! Run: `cargo bench --bench check` (optionally `-- 50` for 50 runs each).
//! `ST_PREFLIGHT_KEEP_LARGE=DIR` also copies the large bundle into DIR
//! (created if need be) and leaves it there, for profiling the binary on it.
//! Targets: typical well under 10 ms; large under 300 ms and 100 MB.

#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // A bench prints and runs the binary.

#[path = "support/large_bundle.rs"]
mod large_bundle;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_st-preflight");

struct Sample {
    wall: Duration,
    max_rss_kib: i64,
}

/// Runs `st-preflight check --from DIR ARGS`, output discarded, and reaps it
/// with `wait4` to get that one process's peak memory.
fn run_once(dir: &Path, args: &[&str]) -> Sample {
    let start = Instant::now();
    let child = Command::new(BIN)
        .arg("check")
        .arg("--from")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the release binary starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(reaped, pid, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "check failed: status {status:#x}");
    std::mem::forget(child); // already reaped
    Sample { wall, max_rss_kib: usage.ru_maxrss }
}

fn children_max_rss_kib() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss
}

struct Summary {
    min: Duration,
    median: Duration,
    peak_mib: f64,
}

fn measure(label: &str, dir: &Path, args: &[&str], runs: usize) -> Summary {
    run_once(dir, args); // warm the page cache
    let mut samples: Vec<Sample> = (0..runs).map(|_| run_once(dir, args)).collect();
    samples.sort_by_key(|s| s.wall);
    let peak_kib = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
    let s = Summary {
        min: samples[0].wall,
        median: samples[samples.len() / 2].wall,
        peak_mib: peak_kib as f64 / 1024.0,
    };
    println!(
        "{label:<38} runs {runs:>3}  min {:>8.2} ms  median {:>8.2} ms  peak RSS {:>7.1} MiB",
        ms(s.min),
        ms(s.median),
        s.peak_mib
    );
    s
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

fn main() {
    // `cargo bench` passes `--bench`; the one other argument is the run count.
    let runs: usize =
        std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(20);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("fixtures/lab-mac-ad-fv-off");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let typical = tmp.path().join("typical");
    large_bundle::copy_bundle(&fixture, &typical);
    let large = tmp.path().join("large");
    let built = Instant::now();
    large_bundle::write_large_bundle(&fixture, &large, 20_000, 500_000);
    if let Some(keep) = std::env::var_os("ST_PREFLIGHT_KEEP_LARGE") {
        large_bundle::copy_bundle(&large, Path::new(&keep));
        println!("large bundle kept in {}", Path::new(&keep).display());
    }
    let size = |f: &str| std::fs::metadata(large.join(f)).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!("binary: {BIN}");
    println!(
        "large bundle: 20,000 users (local-users.out {:.1} MB), 500,000 lines (last.out {:.1} MB), built in {:.1} s",
        size("local-users.out"),
        size("last.out"),
        built.elapsed().as_secs_f64()
    );

    let t_table = measure("typical fixture, table", &typical, &[], runs);
    let t_json = measure("typical fixture, --format json", &typical, &["--format", "json"], runs);
    let after_typical = children_max_rss_kib();
    let l_table = measure("large bundle, table", &large, &[], runs.div_ceil(2));
    let l_json = measure("large bundle, --format json", &large, &["--format", "json"], runs.div_ceil(2));
    println!(
        "getrusage(RUSAGE_CHILDREN) ru_maxrss: {:.1} MiB after the typical runs, {:.1} MiB after all",
        after_typical as f64 / 1024.0,
        children_max_rss_kib() as f64 / 1024.0
    );

    let typical_ms = ms(t_table.median.max(t_json.median));
    let large_ms = ms(l_table.median.max(l_json.median));
    let large_mib = l_table.peak_mib.max(l_json.peak_mib);
    println!("targets:");
    println!("  typical median < 10 ms:  {typical_ms:.2} ms  {}", verdict(typical_ms < 10.0));
    println!("  large median < 300 ms:   {large_ms:.2} ms  {}", verdict(large_ms < 300.0));
    println!("  large peak < 100 MB:     {large_mib:.1} MiB  {}", verdict(large_mib * 1.048576 < 100.0));
    let _ = (t_table.min, l_table.min);
}

//! Live-check wall time against its sources: builds a fake Mac (through
//! `--system-root`) whose every command sleeps the same time, runs the
//! release binary's live check several times, and prints its wall time next
//! to the slowest source and the sum of all sources (from the durations the
//! check records in the bundle it saves). The target: within 1.3 times the
//! slowest source, i.e. the sources run in parallel.
//!
//! Run: `cargo bench --bench live` (optionally `-- 500` for a 500 ms sleep).

#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // A bench prints and runs the binary.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use st_preflight::source::{Origin, SourceId};

/// (binary under the root, arguments) of every command source, from the
/// source table itself.
fn commands() -> Vec<(&'static str, String)> {
    SourceId::ALL
        .into_iter()
        .filter_map(|id| match id.origin() {
            Origin::Command(argv) => Some((argv[0].trim_start_matches('/'), argv[1..].join(" "))),
            _ => None,
        })
        .collect()
}

fn main() {
    let sleep_ms: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200);
    let runs = 5;
    let dir = tempfile::tempdir().expect("a temp dir");
    let root = dir.path().join("root");
    build_root(&root, sleep_ms);

    let mut walls = Vec::new();
    // Each run is compared with its own slowest source: the slowest of all
    // runs would flatter the ratio.
    let mut ratios = Vec::new();
    let (mut slowest, mut sum) = (0u64, 0u64);
    for run in 0..runs {
        let bundle = dir.path().join(format!("bundle-{run}"));
        let start = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_st-preflight"))
            .args(["check", "--format", "json", "--system-root"])
            .arg(&root)
            .arg("--save-bundle")
            .arg(&bundle)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("st-preflight runs");
        walls.push(start.elapsed());
        assert!(status.success());
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).unwrap()).unwrap();
        let durations: Vec<u64> = meta["sources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|s| s["argv"].is_array())
            .filter_map(|s| s["duration_ms"].as_u64())
            .collect();
        let run_slowest = *durations.iter().max().unwrap();
        ratios.push(walls[run].as_secs_f64() * 1000.0 / run_slowest as f64);
        slowest = slowest.max(run_slowest);
        sum = sum.max(durations.iter().sum());
    }
    walls.sort();
    let median = walls[walls.len() / 2];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("live check, {} command sources each sleeping {sleep_ms} ms, {runs} runs", commands().len());
    println!("  wall time     min {:7.1} ms   median {:7.1} ms", ms(walls[0]), ms(median));
    println!("  slowest source    {slowest:7} ms");
    println!("  sum of sources    {sum:7} ms");
    ratios.sort_by(f64::total_cmp);
    println!(
        "  wall / slowest source of the same run, median {:5.2}   (target: at most 1.30)",
        ratios[ratios.len() / 2]
    );
    // The strictest yardstick: the sleep itself, no spawn or pipe time counted for the source.
    println!("  median wall / the {sleep_ms} ms sleep     {:5.2}", ms(median) / sleep_ms as f64);
}

fn build_root(root: &Path, sleep_ms: u64) {
    let mut scripts: std::collections::BTreeMap<&str, String> = Default::default();
    for (binary, args) in commands() {
        let arm = format!("  \"{args}\") exec /bin/sleep {:.3} ;;\n", sleep_ms as f64 / 1000.0);
        scripts.entry(binary).or_insert_with(|| "#!/bin/sh\ncase \"$*\" in\n".into()).push_str(&arm);
    }
    for (binary, mut body) in scripts {
        body.push_str("esac\n");
        let path = root.join(binary);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

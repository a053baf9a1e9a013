#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ for a given time each.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default: 600 s, every target)
#
# Seeds fuzz/corpus/<target>/ from tests/samples/ and fixtures/ (the corpus
# and fuzz/artifacts are gitignored, never committed), then runs at most
# JOBS targets at once (default 2) under `nice -n 19`, with a 10 s per-input
# timeout (a hang is a crash) and a 2 GiB RSS limit. Each target's libFuzzer
# output goes to fuzz/logs/<target>.log; a summary line per target (runs,
# cov, ft, corpus) is printed at the end. Crashes land in
# fuzz/artifacts/<target>/: copy each into tests/regressions/ with a test
# that replays it.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). It uses nightly-only rustc
# flags; on a stable toolchain RUSTC_BOOTSTRAP=1 lets them through.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
secs="${1:-600}"
shift || true
jobs="${JOBS:-2}"
all=(last sw_vers fdesetup dsconfigad ldap bootstrap host_info diskutil crypto_users mcx dscl_users dscl_admin bundle)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2; exit 1; }

# seed TARGET FILE...: copies the existing files into the target's corpus,
# named after their origin so that reruns do not duplicate them.
seed() {
    local t="$1"; shift
    mkdir -p "corpus/$t"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "corpus/$t/seed-$(echo "${f#"$root"/}" | tr '/' '_')"
    done
}

S="$root/tests/samples"
F="$root/fixtures"
seed sw_vers "$S"/sw_vers* "$F"/*/sw-vers.out
seed diskutil "$S"/diskutil-info* "$F"/*/diskutil-info.out
seed crypto_users "$S"/diskutil-apfs-list* "$F"/*/crypto-users.out
seed fdesetup "$S"/fdesetup* "$F"/*/fdesetup-status.out
seed dsconfigad "$S"/dsconfigad* "$F"/*/dsconfigad.out
seed ldap "$S"/dscl-list* "$F"/*/ldap-nodes.out
seed last "$S"/last* "$F"/*/last.out
seed bootstrap "$S"/profiles-status* "$F"/*/bootstrap-token.out
seed mcx "$S"/mobileconfig* "$F"/*/mcx-managed.out "$F"/*/mcx-local.out
seed host_info "$F"/*/host.out
seed dscl_users "$S"/dscl-read* "$F"/*/local-users.out
seed dscl_admin "$S"/dscl-read* "$F"/*/admin-group.out

# Whole-bundle seeds, in the layout tests/support/bundle_input.rs reads:
# `--user`, then one chunk per source in SourceId::ALL order, separated by
# 0x1E. bundle_seed DIR CUT_ID: the fixture DIR, with source CUT_ID (if any)
# as output cut at the capture limit (its first 150 bytes).
ids=(sw-vers diskutil-info crypto-users fdesetup-status dsconfigad ldap-nodes local-users admin-group last bootstrap-token mcx-managed mcx-local host)
bundle_seed() {
    local dir="$1" cut="${2:-}" name id
    name="$(basename "$dir")"
    [ "$name" = bypassed-mobile-user ] && printf 'jdoe'
    for id in "${ids[@]}"; do
        printf '\x1e'
        if [ "$id" = "$cut" ] && [ -f "$dir/$id.out" ]; then printf '!cut:'; head -c 150 "$dir/$id.out"
        elif [ -f "$dir/$id.out" ]; then cat "$dir/$id.out"
        elif [ -e "$dir/$id.absent" ]; then printf '!absent'
        else printf '!missing'
        fi
    done
}
mkdir -p corpus/bundle
for dir in "$F"/*/; do
    bundle_seed "$dir" > "corpus/bundle/seed-fixture-$(basename "$dir")"
done
bundle_seed "$F/admin-never-logged-in" last > corpus/bundle/seed-cut-last-admin-never-logged-in

# Every target, once (an ASan + coverage release build).
nice -n 19 cargo fuzz build

# The binaries are run directly, not through `cargo fuzz run`, so that an
# edit elsewhere in the tree cannot trigger a rebuild halfway through.
# (cargo fuzz builds into $CARGO_TARGET_DIR when it is set.)
bin="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}"
mkdir -p logs
run() {
    local t="$1"
    mkdir -p "artifacts/$t"
    nice -n 19 "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        > "logs/$t.log" 2>&1 || echo "$t: exited non-zero; see fuzz/logs/$t.log and fuzz/artifacts/$t/" >&2
}

running=0
for t in "${targets[@]}"; do
    run "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

echo "target | runs | cov | ft | corpus | crashes"
for t in "${targets[@]}"; do
    log="logs/$t.log"
    runs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')"
    last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
    cov="$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')"
    ft="$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')"
    corp="$(echo "$last" | grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' | awk '{print $2}')"
    crashes="$(find "artifacts/$t" -type f | wc -l)"
    echo "$t | ${runs:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $crashes"
done

#!/bin/bash
# Runs every libFuzzer harness for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]     default 20 s each, every harness
#
# Builds build-fuzz/ (CC=clang, -Dfuzz=true -Dlink=shared) when missing. Each harness starts from the seed
# corpus tests/fuzz/corpus/<name> (kept in git: hand-written cases, the engine configs and every
# crash found so far) and writes what it learns to build-fuzz/fuzz-corpus/<name> (not in git).
# Crash inputs land in build-fuzz/fuzz-artifacts/. Prints "ok - fuzz_<name>: N execs, cov C"
# or "not ok - fuzz_<name>: ..." per harness and "N passed, M failed"; exits 1 on a crash.
# FUZZ_JOBS=N runs N workers per harness (-fork=N) and keeps going after crashes (a campaign);
# FUZZ_BUILD picks the build dir.
set -uo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-20}
shift || true
ALL=(spec process state tables seccomp json dbus)
HARNESSES=("${@:-${ALL[@]}}")
[ $# -eq 0 ] && HARNESSES=("${ALL[@]}")
BUILD=${FUZZ_BUILD:-build-fuzz}

if ! command -v clang >/dev/null; then
    echo "run.sh: clang not installed (apt-get install clang libclang-rt-14-dev)" >&2
    exit 77
fi
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang meson setup "$BUILD" -Dfuzz=true -Dlink=shared >/dev/null || exit 1
fi
ninja -C "$BUILD" >/dev/null || { echo "run.sh: build failed" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp}
passed=0 failed=0
for h in "${HARNESSES[@]}"; do
    bin=$BUILD/tests/fuzz/fuzz_$h
    work=$BUILD/fuzz-corpus/$h
    art=$BUILD/fuzz-artifacts/$h/
    logf=$BUILD/fuzz-$h.log
    mkdir -p "$work" "$art"
    dict=()
    [ -f "tests/fuzz/$h.dict" ] && dict=(-dict="tests/fuzz/$h.dict")
    jobs=()
    # campaigns: N workers, keep going after a crash (each one is still saved and reported)
    [ -n "${FUZZ_JOBS:-}" ] && jobs=(-fork="$FUZZ_JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    marker=$(mktemp)
    "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$art" -print_final_stats=1 "${dict[@]}" "${jobs[@]}" \
        "$work" "tests/fuzz/corpus/$h" >"$logf" 2>&1
    rc=$?
    found=$(find "$art" -type f -newer "$marker" | wc -l)
    rm -f "$marker"
    ((found > 0)) && rc=1
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$logf" | grep -oE '[0-9]+$' | tail -1)
    [ -z "$execs" ] && execs=$(grep -oE '#[0-9]+' "$logf" | tail -1 | tr -d '#')
    cov=$(grep -oE 'cov: [0-9]+' "$logf" | tail -1 | grep -oE '[0-9]+')
    if [ $rc -eq 0 ]; then
        echo "ok - fuzz_$h: ${execs:-?} execs, cov ${cov:-?} (${SECS}s)"
        passed=$((passed + 1))
    else
        echo "not ok - fuzz_$h: exit $rc, $found new crash input(s) in $art, see $logf"
        grep -E 'ERROR: |SUMMARY: |runtime error' "$logf" | head -5 | sed 's/^/#   /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))

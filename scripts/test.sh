#!/bin/bash
# Build berth and run every test: the unit test binaries, the OCI conformance suite, the
# engines end to end (tests/engines: podman, containerd, Docker on berth; podman's own system
# tests: tests/engines/podman-system.sh --ci), Kubernetes' CRI
# (tests/cri: containerd's CRI plugin, a Python CRI client, berth and runc as handlers) and the qemu test
# guests (tests/vm/run.sh: cgroup v2, AppArmor, SELinux, systemd on v2 and hybrid; about 30 s each).
# Prints ONE line "N passed, M failed[, K skipped]" (the last line of that form: .ci/run
# greps for it) and exits non-zero when anything failed or crashed; under it, when something
# failed, the names of what failed again, one "  failed: NAME" line each, so that no one has to
# scroll back for them.
#
#   scripts/test.sh                 build in build/, test build/src/berth
#   SANITIZE=1 scripts/test.sh      build in build-sanitize/ with ASan+UBSan, test that binary
#   PYTEST_ARGS="-k hooks" scripts/test.sh    pass extra arguments to pytest, quoted as on a
#                                   shell command line: PYTEST_ARGS="-k 'kill or delete'"
#   BERTH_VM=0 scripts/test.sh      leave out the qemu guests (counted as 1 skipped)
#   BERTH_ENGINES=0 scripts/test.sh leave out the engine tests (counted as 1 skipped)
#   BERTH_CRI=0 scripts/test.sh     leave out the CRI tests (tests/cri: containerd's CRI plugin
#                                   driving berth and runc; counted as 1 skipped)
#   BERTH_PODMAN_SYSTEM=0 scripts/test.sh  leave out podman's own system tests on berth
#                                   (tests/engines/podman-system.sh --ci; counted as 1 skipped)
#   FUZZ_SECONDS=0 scripts/test.sh  skip the fuzz harnesses (default: 20 s each, with clang)
#
# Works as root on a fresh Debian 12 clone: missing packages are installed with apt-get.
set -uo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
PY=/usr/bin/python3

log() { echo "test.sh: $*" >&2; }

# the names of what failed, repeated under the summary line at the end
FAILED_NAMES=$(mktemp /tmp/berth-test-failed.XXXXXX)
trap 'rm -f "$FAILED_NAMES"' EXIT
failed_name() { printf '%s\n' "$*" >> "$FAILED_NAMES"; }

# -- dependencies ------------------------------------------------------------------------------
# missing_pkgs NAME...: prints those not installed, one a line
missing_pkgs() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

# install_pkgs NAME...: apt-get install (after apt-get update if the first try fails)
install_pkgs() {
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

PKGS=(meson ninja-build pkg-config gcc libyajl-dev libseccomp-dev libcap-dev
      busybox-static python3-pytest python3-jsonschema uidmap iproute2 util-linux)
mapfile -t missing < <(missing_pkgs "${PKGS[@]}")
if ((${#missing[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        log "missing packages (${missing[*]}) and not root: cannot install"
        echo "0 passed, 1 failed"
        exit 1
    fi
    install_pkgs "${missing[@]}" || {
        log "apt-get install failed"
        echo "0 passed, 1 failed"
        exit 1
    }
fi

# the engines: their tests skip (saying why) when these cannot be installed
ENGINE_PKGS=(podman conmon containerd docker.io containernetworking-plugins catatonit)
if [ "${BERTH_ENGINES:-1}" != 0 ] && [ "$(id -u)" -eq 0 ]; then
    mapfile -t missing < <(missing_pkgs "${ENGINE_PKGS[@]}")
    if ((${#missing[@]})); then
        install_pkgs "${missing[@]}" || log "apt-get install ${missing[*]} failed: the engine tests will skip"
    fi
fi

# the CRI tests: containerd (above), CNI plugins, a registry, the gRPC client; they skip (saying
# why) when these cannot be installed
CRI_PKGS=(containerd containernetworking-plugins docker-registry python3-grpcio python3-grpc-tools
          gcc libc6-dev iproute2)
if [ "${BERTH_CRI:-1}" != 0 ] && [ "$(id -u)" -eq 0 ]; then
    mapfile -t missing < <(missing_pkgs "${CRI_PKGS[@]}")
    if ((${#missing[@]})); then
        install_pkgs "${missing[@]}" || log "apt-get install ${missing[*]} failed: the CRI tests will skip"
    fi
fi

# -- build -------------------------------------------------------------------------------------
if [ "${SANITIZE:-0}" = 1 ]; then
    BUILD=${BUILD_DIR:-build-sanitize}
    SETUP_OPTS=(-Db_sanitize=address,undefined -Db_lundef=false)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
    BUILD=${BUILD_DIR:-build}
    SETUP_OPTS=()
fi

# an existing build dir is reused as is (ninja re-runs meson when meson.build changed)
setup_rc=0
if [ ! -f "$BUILD/build.ninja" ]; then
    # the sanitizers need glibc; otherwise the static musl build (scripts/setup-build.sh)
    if [ "${SANITIZE:-0}" = 1 ]; then
        setup_log=$(meson setup "$BUILD" "${SETUP_OPTS[@]}" 2>&1)
    else
        setup_log=$(scripts/setup-build.sh "$BUILD" "${SETUP_OPTS[@]}" 2>&1)
    fi
    setup_rc=$?
    if [ $setup_rc -ne 0 ]; then
        printf '%s\n' "$setup_log" | tail -n 25 >&2
        log "meson setup failed"
    fi
fi
build_rc=1
if [ $setup_rc -eq 0 ]; then
    ninja -C "$BUILD"
    build_rc=$?
fi
if [ $build_rc -ne 0 ]; then
    log "build failed"
    failed_name "the build (meson setup or ninja in $BUILD)"
fi

passed=0
failed=0
skipped=0
crashed=0

# -- unit tests --------------------------------------------------------------------------------
# every test meson knows (meson introspect --tests gives each one's command, args, env and
# workdir); each binary prints a last line "N passed, M failed". A test that exits non-zero
# without reporting a failure, or prints no summary, counts as one crashed failure.
if [ $build_rc -eq 0 ]; then
    read -r up uf us ucrash < <($PY - "$BUILD" "$FAILED_NAMES" <<'PYUNIT'
import json, os, re, subprocess, sys
build = sys.argv[1]
names = open(sys.argv[2], "a")
tests = json.loads(subprocess.run(["meson", "introspect", "--tests", build], check=True,
                                  capture_output=True, text=True).stdout)
p = f = s = crash = 0
for t in tests:
    env = dict(os.environ)
    env.update(t.get("env") or {})
    try:
        r = subprocess.run(t["cmd"], cwd=t.get("workdir") or build, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=t.get("timeout") or 300)
        out, rc = r.stdout, r.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        rc = -9
    for line in out.splitlines()[-15:]:
        print(f"  unit {t['name']}: {line}", file=sys.stderr)
    m = None
    for line in reversed(out.splitlines()):
        m = re.match(r"^\s*(\d+) passed, (\d+) failed(?:, (\d+) skipped)?", line)
        if m:
            break
    for line in out.splitlines():  # "not ok - NAME" or check.h's "# FAIL file:line: what"
        if line.startswith("not ok - ") or line.startswith("# FAIL "):
            print(f"unit {t['name']}: {line.split(' ', 2)[2]}", file=names)
    if m:
        p += int(m.group(1)); f += int(m.group(2)); s += int(m.group(3) or 0)
        if rc not in (0, 77) and int(m.group(2)) == 0:
            print(f"test.sh: unit {t['name']} exited {rc} after reporting no failure: crash",
                  file=sys.stderr)
            print(f"unit {t['name']}: crashed (exit {rc})", file=names)
            f += 1; crash = 1
    elif rc == 77:
        s += 1
    else:
        print(f"test.sh: unit {t['name']} printed no summary (exit {rc}): crash", file=sys.stderr)
        print(f"unit {t['name']}: crashed, no summary (exit {rc})", file=names)
        f += 1; crash = 1
print(p, f, s, crash)
PYUNIT
    )
    if [ -z "${up:-}" ]; then
        log "could not list/run the unit tests"
        failed_name "the unit tests (could not list or run them)"
        failed=$((failed + 1)); crashed=1
    else
        passed=$((passed + up)); failed=$((failed + uf)); skipped=$((skipped + us))
        ((ucrash)) && crashed=1
    fi
else
    failed=$((failed + 1))
    crashed=1
fi

# -- pytest suites: OCI conformance, then the engines --------------------------------------------
case "$BUILD" in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS=$REPO/$BUILD ;; esac
export BERTH=${BERTH:-$BUILD_ABS/src/berth}

# run_pytest DIR JUNIT: runs one suite and adds its report's counts to the totals
run_pytest() {
    local dir=$1 junit=$2 prc jp jf js
    mkdir -p "$(dirname "$junit")"
    rm -f "$junit"
    # the suites use fixed container ids and the default cgroup /berth/<id>: two runs on one
    # machine (several worktrees) would collide, so they take turns on one lock
    local -a extra=()
    eval "extra=(${PYTEST_ARGS:-})"
    flock "${BERTH_SUITE_LOCK:-/run/lock/berth-suites.lock}" \
        $PY -m pytest -q "$dir" -p no:cacheprovider --junitxml="$junit" \
        -o junit_family=xunit2 "${extra[@]}"
    prc=$?
    if [ ! -f "$junit" ]; then
        log "pytest $dir produced no report (exit $prc)"
        failed_name "$dir (pytest produced no report, exit $prc)"
        failed=$((failed + 1)); crashed=1
        return
    fi
    read -r jp jf js < <($PY - "$junit" "$dir" "$FAILED_NAMES" <<'PYJUNIT'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
result = {}
for tc in root.iter("testcase"):
    key = (tc.get("classname"), tc.get("name"))
    tags = {c.tag for c in tc}
    r = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
    rank = {"failed": 2, "passed": 1, "skipped": 0}
    if key not in result or rank[r] > rank[result[key]]:
        result[key] = r
vals = list(result.values())
with open(sys.argv[3], "a") as names:
    for (cls, name), r in result.items():
        if r == "failed":  # classname "test_cli" or "tests.oci-conformance.test_cli": the file
            print(f"{sys.argv[2]}/{(cls or '').split('.')[-1]}.py::{name}", file=names)
print(vals.count("passed"), vals.count("failed"), vals.count("skipped"))
PYJUNIT
    )
    passed=$((passed + jp))
    failed=$((failed + jf))
    skipped=$((skipped + js))
    # 5: nothing collected (PYTEST_ARGS narrowed the run to the other suite)
    if [ $prc -ne 0 ] && [ $prc -ne 5 ] && [ "$jf" -eq 0 ]; then
        log "pytest $dir exited $prc with no failures in the report: counted as a crash"
        failed_name "$dir (pytest exited $prc with no failure in its report)"
        failed=$((failed + 1)); crashed=1
    fi
}

if [ -x "$BERTH" ]; then
    run_pytest tests/oci-conformance "${JUNIT_XML:-$BUILD_ABS/oci-conformance.xml}"
    if [ "${BERTH_ENGINES:-1}" = 0 ]; then
        log "BERTH_ENGINES=0: engine tests not run (counted as 1 skipped)"
        skipped=$((skipped + 1))
    else
        run_pytest tests/engines "$BUILD_ABS/engines.xml"
    fi
    if [ "${BERTH_CRI:-1}" = 0 ]; then
        log "BERTH_CRI=0: CRI tests not run (counted as 1 skipped)"
        skipped=$((skipped + 1))
    else
        run_pytest tests/cri "$BUILD_ABS/cri.xml"
    fi
    # podman's own system tests (the runtime-relevant files) on berth; a test that fails on
    # runc here too is skipped (tests/engines/podman-system.skip)
    if [ "${BERTH_ENGINES:-1}" = 0 ] || [ "${BERTH_PODMAN_SYSTEM:-1}" = 0 ]; then
        log "BERTH_PODMAN_SYSTEM=0 or BERTH_ENGINES=0: podman's system tests not run (counted as 1 skipped)"
        skipped=$((skipped + 1))
    else
        # its "  FAILED FILE: TEST" lines go to stderr as before, and into the names
        ps_out=$( { flock "${BERTH_SUITE_LOCK:-/run/lock/berth-suites.lock}" \
            tests/engines/podman-system.sh --ci berth 2>&1 1>&3 3>&- |
            while IFS= read -r l; do
                printf '%s\n' "$l" >&2
                case $l in "  FAILED "*) failed_name "podman-system: ${l#  FAILED }" ;; esac
            done; } 3>&1)
        psrc=$?
        ps_summary=$(printf '%s\n' "$ps_out" | tail -n 1)
        if [[ $ps_summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
            passed=$((passed + BASH_REMATCH[1]))
            failed=$((failed + BASH_REMATCH[2]))
            skipped=$((skipped + BASH_REMATCH[3]))
            if [ $psrc -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
                log "tests/engines/podman-system.sh exited $psrc with no failures reported: counted as a crash"
                failed_name "tests/engines/podman-system.sh (exited $psrc with no failure reported)"
                failed=$((failed + 1)); crashed=1
            fi
        else
            log "tests/engines/podman-system.sh printed no summary (exit $psrc)"
            failed_name "tests/engines/podman-system.sh (no summary, exit $psrc)"
            failed=$((failed + 1)); crashed=1
        fi
    fi
else
    log "no berth binary at $BERTH: conformance suite not run"
    failed_name "the conformance suite (no berth binary at $BERTH)"
    failed=$((failed + 1))
    crashed=1
fi

# -- the qemu guests (tests/vm: berth under Debian's kernel: cgroup v2, AppArmor, SELinux, systemd x2) -----
# their checks count as tests; a guest whose qemu, kernel or tools cannot be had reports 1
# skipped (run.sh exits 77 when none could run)
if [ "${BERTH_VM:-1}" = 0 ]; then
    log "BERTH_VM=0: the qemu guests not run (counted as 1 skipped)"
    skipped=$((skipped + 1))
else
    # the guests' "FAIL name: why" lines go to stderr as before, and into the names
    vm_out=$( { BUILD_DIR=$BUILD_ABS tests/vm/run.sh 2>&1 1>&3 3>&- |
        while IFS= read -r l; do
            printf '%s\n' "$l" >&2
            case $l in "FAIL "* | "vm: FAIL"*) failed_name "vm: ${l#vm: }" ;; esac
        done; } 3>&1)
    vrc=$?
    vm_summary=$(printf '%s\n' "$vm_out" | tail -n 1)
    if [[ $vm_summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        skipped=$((skipped + BASH_REMATCH[3]))
        if [ $vrc -ne 0 ] && [ $vrc -ne 77 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
            log "tests/vm/run.sh exited $vrc with no failures reported: counted as a crash"
            failed_name "tests/vm/run.sh (exited $vrc with no failure reported)"
            failed=$((failed + 1)); crashed=1
        fi
    else
        log "tests/vm/run.sh printed no summary (exit $vrc)"
        failed_name "tests/vm/run.sh (no summary, exit $vrc)"
        failed=$((failed + 1)); crashed=1
    fi
fi

# -- fuzzing (tests/fuzz): each harness 20 s when clang is there; a harness is a test ----------
if [ "${FUZZ_SECONDS:-20}" != 0 ] && command -v clang >/dev/null; then
    fuzz_seen=0
    while read -r line; do
        echo "  $line" >&2
        case "$line" in
            "ok - "*) passed=$((passed + 1)); fuzz_seen=$((fuzz_seen + 1)) ;;
            "not ok - "*) failed=$((failed + 1)); fuzz_seen=$((fuzz_seen + 1))
                          failed_name "${line#not ok - }" ;;
        esac
    done < <(FUZZ_BUILD="${FUZZ_BUILD:-$REPO/build-fuzz}" tests/fuzz/run.sh "${FUZZ_SECONDS:-20}" 2>&1)
    if ((fuzz_seen == 0)); then
        log "tests/fuzz/run.sh ran no harness (build failed?)"
        failed_name "tests/fuzz/run.sh (ran no harness)"
        failed=$((failed + 1))
    fi
elif [ "${FUZZ_SECONDS:-20}" = 0 ]; then
    log "FUZZ_SECONDS=0: fuzz harnesses not run"
else
    log "clang not installed: fuzz harnesses not run"
fi

summary="$passed passed, $failed failed"
((skipped > 0)) && summary+=", $skipped skipped"
echo "$summary"
# under the summary (not of its form, so .ci/run still finds the summary line): what failed
if [ -s "$FAILED_NAMES" ]; then
    sed 's/^/  failed: /' "$FAILED_NAMES"
fi
if ((failed > 0 || crashed)); then
    exit 1
fi
exit 0

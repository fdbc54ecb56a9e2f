#!/bin/bash
# Benchmarks berth against crun and runc (and bench/floor.c, the least a runtime can do) and
# writes bench/RESULTS.md and bench/run_latency.png. Root only; takes a few minutes.
#
#   bench/run.sh                        everything, N=200 runs per runtime
#   N=20 SCALE=100 bench/run.sh         a quick pass
#   STEPS=run,strace bench/run.sh       some measurements only (see bench.py --steps; "vm" is
#                                       the cgroup v2 guest's: bench/vm.sh; "criu" the CRIU
#                                       guest's migration downtime: bench/criu_vm.sh)
#   BERTH=/abs/path/berth bench/run.sh  another berth binary (default: a release build in
#                                       build-bench/)
#   bench/run.sh --quick                run latency and create/start/delete/exec only, N=40
#                                       (LIFECYCLE_N=15; N= etc. still apply): prints the
#                                       medians, p10/p90 and ratios; writes nothing in bench/
#
# Everything runs inside a private mount namespace in which the host's cgroup2 hierarchy
# (/sys/fs/cgroup/unified on this hybrid host) is bind-mounted over /sys/fs/cgroup: crun
# refuses the hybrid layout, and this way all three runtimes see the same pure cgroup v2 host.
# The host's mounts are not changed. Benchmarks are not tests: nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
OUT=${OUT:-$REPO/bench}
WORK=${WORK:-/tmp/berth-bench}

log() { echo "run.sh: $*" >&2; }

QUICK=0
if [ "${1:-}" = --quick ]; then
    QUICK=1
    N=${N:-40}
    LIFECYCLE_N=${LIFECYCLE_N:-15}
    STEPS=${STEPS:-run,lifecycle}
    OUT=$WORK/quick
    mkdir -p "$OUT"
fi

[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }

need=()
command -v crun >/dev/null || need+=(crun)
command -v runc >/dev/null || need+=(runc)
command -v strace >/dev/null || need+=(strace)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
[ -x /usr/bin/time ] || need+=(time)
[ -x /bin/busybox ] || need+=(busybox-static)
if ((${#need[@]})); then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
        { apt-get update -q >/dev/null &&
          apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

if [ -z "${BERTH:-}" ]; then
    [ -f build-bench/build.ninja ] || scripts/setup-build.sh build-bench --buildtype=release >/dev/null
    ninja -C build-bench src/berth >/dev/null
    BERTH=$REPO/build-bench/src/berth
fi
mkdir -p "$WORK/bin"
cc -O2 -Wall -Werror -o "$WORK/bin/floor" bench/floor.c
cc -O2 -Wall -Werror -o "$WORK/bin/tspawn" bench/tspawn.c

log "berth $BERTH; work dir $WORK"
unshare -m --propagation private -- bash -c '
    set -e
    if [ -d /sys/fs/cgroup/unified ]; then mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup; fi
    # the runtimes keep their state on a tmpfs, as in /run on most hosts (here /run is on the
    # root ext4, mounted with discard: deleting a state file waits for the disk)
    mkdir -p /tmp/berth-bench-state && mount -t tmpfs -o mode=0700 tmpfs /tmp/berth-bench-state
    exec /usr/bin/python3 "$0/bench/bench.py" "$@"' "$REPO" \
    --berth "$BERTH" --state /tmp/berth-bench-state --floor "$WORK/bin/floor" --tspawn "$WORK/bin/tspawn" \
    --work "$WORK" --out "$WORK/out" -n "${N:-200}" --lifecycle-n "${LIFECYCLE_N:-50}" \
    --scale "${SCALE:-1000}" --parallel-rounds "${PARALLEL_ROUNDS:-5}" \
    ${STEPS:+--steps "$STEPS"}

# the cgroup v2 guest (qemu): memory.max minimum and run with devices (bench/vm.sh)
if [[ ${STEPS:-vm} == *vm* ]]; then
    WORK=$WORK bench/vm.sh "$BERTH" "$WORK/out/vm.json"
    /usr/bin/python3 - "$WORK/out/results.json" "$WORK/out/vm.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["vm"] = json.load(open(sys.argv[2]))
json.dump(r, open(sys.argv[1], "w"), indent=2)
PY
fi
# the CRIU guest (qemu): lazy migration downtime between two network namespaces (bench/criu_vm.sh)
if [[ ${STEPS:-criu} == *criu* ]]; then
    WORK=$WORK bench/criu_vm.sh "$BERTH" "$WORK/out/criu.json" &&
        /usr/bin/python3 - "$WORK/out/results.json" "$WORK/out/criu.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["criu"] = json.load(open(sys.argv[2]))
json.dump(r, open(sys.argv[1], "w"), indent=2)
PY
fi
cp "$WORK/out/results.json" "$OUT/results.json"
if ((QUICK)); then
    /usr/bin/python3 bench/report.py --summary "$OUT/results.json"
    exit 0
fi
if [ -f "$WORK/out/run_latency.dat" ]; then
    cp "$WORK/out/run_latency.dat" "$OUT/run_latency.dat"
    gnuplot -e "dat='$OUT/run_latency.dat'; out='$OUT/run_latency.png'" bench/plot.gp
fi
# RESULTS.md: the tables of this run, then the hand-written optimization log
/usr/bin/python3 bench/report.py "$OUT/results.json" bench/optimizations.md > "$OUT/RESULTS.md"
log "wrote $OUT/RESULTS.md, $OUT/results.json and $OUT/run_latency.png"

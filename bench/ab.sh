#!/bin/bash
# A/B of two berth binaries: interleaved `run` latency (and cpu) plus strace -c -f of one run.
#   bench/ab.sh OLD_BERTH NEW_BERTH [N]     prints a small table; nothing is written in bench/
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=${WORK:-/tmp/berth-bench-ab}
mkdir -p "$WORK/bin"
cc -O2 -Wall -Werror -o "$WORK/bin/floor" bench/floor.c
cc -O2 -Wall -Werror -o "$WORK/bin/tspawn" bench/tspawn.c
unshare -m --propagation private -- bash -c '
    set -e
    if [ -d /sys/fs/cgroup/unified ]; then mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup; fi
    # the runtimes keep their state on a tmpfs, as in /run on most hosts (here /run is on the
    # root ext4, mounted with discard: deleting a state file waits for the disk)
    mkdir -p /tmp/berth-bench-state && mount -t tmpfs -o mode=0700 tmpfs /tmp/berth-bench-state
    exec /usr/bin/python3 "$0/bench/bench.py" "$@"' "$REPO" \
    --berth "$1" --berth-b "$2" --runtimes berth,berth-b --steps run,strace \
    --state /tmp/berth-bench-state --floor "$WORK/bin/floor" --tspawn "$WORK/bin/tspawn" --work "$WORK" --out "$WORK/out" \
    -n "${3:-100}"
/usr/bin/python3 - "$WORK/out/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("| binary | run median ms | p10 | p90 | cpu ms | syscalls |")
print("|---|---|---|---|---|---|")
for k in ("berth", "berth-b", "floor"):
    v = r["run"][k]
    print(f"| {k} | {v['median']*1e3:.2f} | {v['p10']*1e3:.2f} | {v['p90']*1e3:.2f} | "
          f"{v['cpu_median']*1e3:.2f} | {r['syscalls'][k]} |")
PY

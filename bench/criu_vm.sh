#!/bin/bash
# Lazy migration downtime in the CRIU guest (tests/vm/criu, its migrate section): a counting
# container moved between two network namespaces joined by a veth pair, checkpoint
# --lazy-pages --page-server on one side, criu lazy-pages + restore --lazy-pages on the other;
# downtime = the checkpoint's start (the freeze) to restore -d's return (running again), for
# berth and runc. Called by bench/run.sh (STEPS containing "criu").
#
#   bench/criu_vm.sh BERTH OUT.json     boots the guest (3-6 minutes under TCG), writes JSON
#   CONSOLE=FILE bench/criu_vm.sh BERTH OUT.json   reads a guest console log instead of booting
#
# The guest runs under qemu's TCG: its times are emulated, only their ratio means something.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=$(realpath "$1")
OUTJSON=$2
WORK=${WORK:-/tmp/berth-bench}
console=${CONSOLE:-}
if [ -z "$console" ]; then
    echo "criu_vm.sh: booting the criu guest (qemu tcg, 3-6 minutes)" >&2
    BERTH=$BERTH BUILD_DIR=$WORK/criu-build tests/vm/run.sh criu >&2 ||
        echo "criu_vm.sh: the guest had failures (its lines above)" >&2
    console=$WORK/criu-build/vm/criu/console.log.txt
fi
[ -f "$console" ] || { echo "criu_vm.sh: FAILED: no console log $console" >&2; exit 1; }
/usr/bin/python3 - "$console" "$OUTJSON" <<'PY'
import json, re, statistics, sys
res = {"kernel": "?", "downtime_ms": {}, "dump_ms": {}}
for l in open(sys.argv[1], errors="replace").read().splitlines():
    m = re.match(r"BERTH-VM-BEGIN: kernel ([^,\s]+)", l)
    if m:
        res["kernel"] = m.group(1)
    m = re.match(r"BERTH-VM-CRIU-DOWNTIME: (\S+) (\d+) (\d+)$", l)
    if m:
        res["downtime_ms"].setdefault(m.group(1), []).append(int(m.group(2)))
        res["dump_ms"].setdefault(m.group(1), []).append(int(m.group(3)))
# the median of the guest's migrations (three per runtime), and every sample
res["samples"] = {"downtime_ms": dict(res["downtime_ms"]), "dump_ms": dict(res["dump_ms"])}
for k in ("downtime_ms", "dump_ms"):
    res[k] = {rt: statistics.median(v) for rt, v in res[k].items()}
json.dump(res, open(sys.argv[2], "w"), indent=2)
print(f"criu_vm.sh: downtime {res['downtime_ms']} ms", file=sys.stderr)
sys.exit(0 if res["downtime_ms"] else 1)
PY

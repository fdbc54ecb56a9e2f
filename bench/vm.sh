#!/bin/bash
# The benchmark's measurements in the cgroup v2 guest (qemu, tests/vm machinery): the smallest
# reliable memory.max for `sh -c 'echo ok'` and `run` latency with linux.resources.devices, for
# berth, crun and runc side by side (bench/vm/tests.sh says how). Called by bench/run.sh.
#
#   bench/vm.sh BERTH OUT.json      writes the guest's numbers as JSON (medians etc.)
#   N=30 CONFIRM=10 STEPS="memmin run" RUNTIMES="berth crun runc"   (the defaults)
#
# The guest runs under qemu's TCG (no usable KVM on this host): its times are emulated cpu
# time, only their ratios mean something. Prints the guest's lines on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BERTH=$(realpath "$1")
OUTJSON=$2
WORK=${WORK:-/tmp/berth-bench}
log() { echo "vm.sh: $*" >&2; }

mkdir -p "$WORK/bin"
cc -O2 -Wall -Werror -o "$WORK/bin/floor" bench/floor.c
cc -O2 -Wall -Werror -o "$WORK/bin/tspawn" bench/tspawn.c
export PATH=$WORK/bin:$PATH # the guest's TOOLS tspawn and floor

# the guest directory: bench/vm plus the bundles' configs (`berth spec`, devices rule kept)
g=$WORK/vm-guest/bench
rm -rf "$g" && mkdir -p "$g"
cp bench/vm/guest.conf bench/vm/tests.sh "$g/"
(cd "$g" && "$BERTH" spec && mv config.json spec.json)
/usr/bin/python3 - "$g" <<'PY'
import json, sys
g = sys.argv[1]
base = json.load(open(f"{g}/spec.json"))
base["root"] = {"path": "/rootfs", "readonly": True}
base["process"]["terminal"] = False
base["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses 1.3.0
assert base["linux"]["resources"]["devices"], "berth spec has no device rule"
for name, args, mem in (("true", ["/bin/true"], False), ("echo", ["/bin/sh", "-c", "echo ok"], False),
                        ("mem", ["/bin/sh", "-c", "echo ok"], True)):
    c = json.loads(json.dumps(base))
    c["process"]["args"] = args
    if mem:  # bench/vm/tests.sh replaces the placeholder
        c["linux"]["resources"]["memory"] = {"limit": 999999999}
    json.dump(c, open(f"{g}/config-{name}.json", "w"), indent=1)
PY
rm "$g/spec.json"
cat > "$g/bench.conf" <<CONF
N=${N:-30}
CONFIRM=${CONFIRM:-10}
STEPS="${STEPS:-memmin run}"
RUNTIMES="${RUNTIMES:-berth crun runc}"
CONF

log "booting the bench guest (qemu tcg; memmin takes a few minutes)"
rc=0
BERTH=$BERTH BUILD_DIR=$WORK/vm-build VM_TIMEOUT=${VM_TIMEOUT:-2400} tests/vm/run.sh "$g" >&2 || rc=$?
console=$WORK/vm-build/vm/bench/console.log.txt
[ -f "$console" ] || { log "FAILED: no console log"; exit 1; }
prc=0
/usr/bin/python3 - "$console" "$OUTJSON" "$BERTH" "${CONFIRM:-10}" <<'PY' || prc=$?
import json, re, statistics, subprocess, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
res = {"memmin": {}, "memmin_searched": {}, "run": {}, "failures": [], "kernel": "?",
       "confirm": int(sys.argv[4])}
lat, cpu = {}, {}
for l in lines:
    m = re.match(r"BERTH-VM-BEGIN: kernel ([^,\s]+)", l)
    if m:
        res["kernel"] = m.group(1)
    p = l.split()
    if l.startswith("BENCH-MEMMIN ") and len(p) == 4:
        res["memmin"][p[1]] = int(p[2])
        res["memmin_searched"][p[1]] = int(p[3])
    elif l.startswith("BENCH-RUN ") and len(p) == 4:
        lat.setdefault(p[1], []).append(int(p[2]) / 1e9)
        cpu.setdefault(p[1], []).append(int(p[3]) / 1e6)
    elif l.startswith("BENCH-FAIL "):
        res["failures"].append(l[len("BENCH-FAIL "):])
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]
for k, v in lat.items():
    res["run"][k] = {"median": statistics.median(v), "p10": q(v, .1), "p90": q(v, .9), "n": len(v),
                     "cpu_median": statistics.median(cpu[k])}
res["versions"] = {}
for k, b in (("berth", sys.argv[3]), ("crun", "crun"), ("runc", "runc")):
    r = subprocess.run([b, "--version"], capture_output=True, text=True)
    res["versions"][k] = r.stdout.splitlines()[0] if r.stdout else "?"
json.dump(res, open(sys.argv[2], "w"), indent=2)
for f in res["failures"]:
    print(f"vm.sh: FAILED in the guest: {f}", file=sys.stderr)
print(f"vm.sh: memmin {res['memmin']}; run medians "
      + ", ".join(f"{k} {v['median']*1e3:.1f} ms" for k, v in res["run"].items()), file=sys.stderr)
sys.exit(1 if res["failures"] else 0)
PY
((rc == 0 && prc == 0)) || { log "FAILED (guest exit $rc)"; exit 1; }

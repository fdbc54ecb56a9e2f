#!/bin/bash
# Pod start times under Kubernetes' CRI, berth vs runc as containerd runtime handlers: runs
# tests/cri/bench_pod_start.py (the CRI test session's setup: containerd 1.6, a local registry,
# a CNI bridge) and writes bench/cri_results.json and bench/CRI.md. Root only; a few minutes.
#
#   bench/cri.sh                          N=10 pods per scenario and handler
#   CRI_BENCH_N=3 bench/cri.sh            a quick pass
#   BERTH=/abs/path/berth bench/cri.sh    another berth (default: build/src/berth)
#
# A benchmark, not a test: nothing asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
export BERTH=${BERTH:-$REPO/build/src/berth}
export CRI_BENCH_OUT=$REPO/bench/cri_results.json
[ "$(id -u)" -eq 0 ] || { echo "cri.sh: must run as root" >&2; exit 1; }
/usr/bin/python3 -m pytest -q -s -p no:cacheprovider tests/cri/bench_pod_start.py \
    -o python_files='bench_*.py' -o python_functions='bench_*'
/usr/bin/python3 - "$CRI_BENCH_OUT" "$REPO/bench/CRI.md" <<'PY'
import json, os, platform, statistics, subprocess, sys, time
data = json.load(open(sys.argv[1]))
def ver(b):
    try:
        return subprocess.run([b, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except Exception:
        return "?"
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]
ms = lambda x: f"{x * 1000:.0f}"
lines = ["# Pod start under the CRI: berth vs runc", "",
         "Produced by `bench/cri.sh` (raw numbers: `bench/cri_results.json`). A benchmark, not a "
         "test: nothing asserts a time.", "",
         f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; kernel {platform.release()}, "
         f"{os.cpu_count()} cores (shared with other jobs)",
         f"- berth: `{data['berth']}` ({ver(data['berth'])}); runc: {ver('/usr/sbin/runc')}; "
         "containerd 1.6 CRI plugin, runc v2 shim, cgroupfs, overlayfs, CNI bridge",
         f"- load average at the end: {os.getloadavg()[0]:.1f} (on 2 cores, other jobs "
         "running: the numbers are noisy; compare the columns, not runs)",
         f"- N={data['n']} pods per scenario and handler, handlers interleaved; \"ready\": "
         "RunPodSandbox call to every container RUNNING (CreateContainer + StartContainer + "
         "ContainerStatus polled every 50 ms); \"down\": StopPodSandbox + RemovePodSandbox", "",
         "| scenario | berth ready median (p90) ms | runc ready median (p90) ms | berth/runc | "
         "berth down median ms | runc down median ms |", "|---|---|---|---|---|---|"]
for name, per in data["results"].items():
    b, r = per.get("berth"), per.get("runc")
    if not b or not r:
        continue
    bm, rm = statistics.median(b["ready"]), statistics.median(r["ready"])
    lines.append(f"| {name} | {ms(bm)} ({ms(q(b['ready'], .9))}) | {ms(rm)} ({ms(q(r['ready'], .9))}) "
                 f"| {bm / rm:.2f}x | {ms(statistics.median(b['down']))} | "
                 f"{ms(statistics.median(r['down']))} |")
lines += ["", "Scenarios: plain (sandbox only), one (one container), two_shared_pid (two "
          "containers, pod PID namespace), resources (CPU shares/quota, memory limit), "
          "privileged (privileged pod and container).", "",
          "Most of a pod's start is containerd's and the shim's (image unpack, CNI, a shim "
          "process per pod, several runtime calls per container: create, start, state, and the "
          "sandbox's own); the runtime's share is the difference between the two columns."]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

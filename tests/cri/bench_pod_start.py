"""Benchmark, not a test (no test_ prefix: CI does not collect it; bench/cri.sh runs it): per
scenario, the time from RunPodSandbox to every container RUNNING ("pod start to ready") and from
StopPodSandbox to RemovePodSandbox returning, berth vs runc as CRI runtime handlers, interleaved
(berth, runc, berth, ...). Writes the raw numbers as JSON to $CRI_BENCH_OUT."""

import json
import os
import statistics
import time

from conftest import HANDLERS, Pods

N = int(os.environ.get("CRI_BENCH_N", "10"))


def scenario_plain(pods):
    pods.run_pod(pods.pod_config())
    return []


def scenario_one(pods):
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    return [pods.run(pod, cfg, "c", ["sleep", "3600"])]


def scenario_two_shared_pid(pods):
    pb = pods.pb
    linux = pb.LinuxPodSandboxConfig()
    linux.security_context.namespace_options.pid = pb.POD
    cfg = pods.pod_config(linux=linux)
    pod = pods.run_pod(cfg)
    sc = pb.LinuxContainerConfig()
    sc.security_context.namespace_options.pid = pb.POD
    return [pods.run(pod, cfg, n, ["sleep", "3600"], linux=sc) for n in ("a", "b")]


def scenario_resources(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    linux = pb.LinuxContainerConfig(resources=pb.LinuxContainerResources(
        cpu_shares=512, cpu_period=100000, cpu_quota=50000, memory_limit_in_bytes=64 << 20))
    return [pods.run(pod, cfg, "c", ["sleep", "3600"], linux=linux)]


def scenario_privileged(pods):
    pb = pods.pb
    linux = pb.LinuxPodSandboxConfig()
    linux.security_context.privileged = True
    cfg = pods.pod_config(linux=linux)
    pod = pods.run_pod(cfg)
    return [pods.run(pod, cfg, "c", ["sleep", "3600"], linux=pb.LinuxContainerConfig(
        security_context=pb.LinuxContainerSecurityContext(privileged=True)))]


SCENARIOS = [scenario_plain, scenario_one, scenario_two_shared_pid, scenario_resources,
             scenario_privileged]


def bench_pod_start(containerd, pulled, workdir, berth_bin):
    results = {}
    for sc in SCENARIOS:
        name = sc.__name__[len("scenario_"):]
        for i in range(N):
            for handler in HANDLERS:
                pods = Pods(containerd, handler, workdir, f"bench-{name}-{i}")
                t0 = time.monotonic()
                cids = sc(pods)
                for c in cids:
                    pods.wait_state(c, pods.pb.CONTAINER_RUNNING, timeout=30)
                ready = time.monotonic() - t0
                t1 = time.monotonic()
                pods.cleanup()
                down = time.monotonic() - t1
                r = results.setdefault(name, {}).setdefault(handler, {"ready": [], "down": []})
                r["ready"].append(ready)
                r["down"].append(down)
    out = os.environ.get("CRI_BENCH_OUT")
    if out:
        with open(out, "w") as f:
            json.dump({"n": N, "berth": str(berth_bin), "results": results}, f, indent=1)
    for name, per in results.items():
        print(name, {h: round(statistics.median(v["ready"]) * 1000, 1) for h, v in per.items()})

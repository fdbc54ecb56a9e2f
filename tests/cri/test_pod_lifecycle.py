"""Pod lifecycle through the CRI: RunPodSandbox (hostname, DNS options, labels, a cgroup parent),
PodSandboxStatus (the IP from CNI), StopPodSandbox, RemovePodSandbox, and nothing left behind."""

import json
import subprocess
from pathlib import Path

from conftest import CG, CG_TOP, RUNC, leftovers, runtime_root, wait_for


def test_pod_lifecycle_leaves_nothing(pods, containerd, handler, cni, berth_bin):
    pb = pods.pb
    dns = pb.DNSConfig(servers=["10.0.0.10"], searches=["svc.example"], options=["ndots:3"])
    cfg = pods.pod_config(hostname="lifecycle-pod", dns=dns, labels={"app": "berthcri"})
    pod = pods.run_pod(cfg)
    st = pods.pod_status(pod, verbose=True)
    assert st.status.state == pb.SANDBOX_READY
    assert st.status.labels["app"] == "berthcri"
    assert st.status.runtime_handler == handler
    ip = st.status.network.ip
    assert ip.startswith(cni["subnet"] + "."), ip
    info = json.loads(st.info["info"])
    netns = next(n["path"] for n in info["runtimeSpec"]["linux"]["namespaces"]
                 if n["type"] == "network")
    assert Path(netns).exists()
    # the sandbox's cgroup is below the parent asked for
    assert any(CG.glob(f"*/{CG_TOP}/{cfg.metadata.name}/{pod}")), "no pod cgroup"
    cid = pods.run(pod, cfg, "c1", ["sleep", "3600"])
    pods.wait_state(cid, pb.CONTAINER_RUNNING)
    # the handler's runtime runs them: its `state` under the shim's --root knows them
    binary = berth_bin if handler == "berth" else RUNC
    for i in (pod, cid):
        res = subprocess.run([binary, "--root", runtime_root(containerd, handler), "state", i],
                             capture_output=True, text=True)
        assert res.returncode == 0 and json.loads(res.stdout)["status"] == "running", res
    out = pods.sh(cid, "hostname; cat /etc/resolv.conf; ip -4 addr show eth0 2>/dev/null || "
                  "cat /proc/net/fib_trie")
    assert "lifecycle-pod" in out.splitlines()[0]
    assert "nameserver 10.0.0.10" in out and "search svc.example" in out
    assert "options ndots:3" in out
    assert ip in out
    pods.remove_pod(pod)
    wait_for(lambda: not leftovers(containerd, handler, [pod, cid], netns), timeout=10,
             what=f"nothing left: {leftovers(containerd, handler, [pod, cid], netns)}")
    assert not any(CG.glob(f"*/{CG_TOP}/{cfg.metadata.name}/{pod}"))

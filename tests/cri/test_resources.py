"""Resources from CreateContainer in the container's cgroup (cgroup v1 here, as containerd's
cgroupfs driver sets them), changed live by UpdateContainerResources, and a container over its
memory limit reported OOMKilled."""

from pathlib import Path

import pytest

from conftest import CG, CG_TOP, wait_for

MIB = 1 << 20


def cgroup_file(pods, cfg, cid, ctl, name):
    p = CG / ctl / CG_TOP / cfg.metadata.name / cid / name
    if not p.exists():
        pytest.skip(f"no cgroup v1 {ctl} file {p} on this host")
    return int(p.read_text().split()[0])


def resources(pb, **kw):
    return pb.LinuxContainerResources(**kw)


def test_resources_set_and_updated_live(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    linux = pb.LinuxContainerConfig(resources=resources(
        pb, cpu_shares=512, cpu_period=100000, cpu_quota=50000,
        memory_limit_in_bytes=64 * MIB, memory_swap_limit_in_bytes=64 * MIB))
    c = pods.run(pod, cfg, "c", ["sleep", "3600"], linux=linux)
    pods.wait_state(c, pb.CONTAINER_RUNNING)
    assert cgroup_file(pods, cfg, c, "cpu", "cpu.shares") == 512
    assert cgroup_file(pods, cfg, c, "cpu", "cpu.cfs_quota_us") == 50000
    assert cgroup_file(pods, cfg, c, "cpu", "cpu.cfs_period_us") == 100000
    assert cgroup_file(pods, cfg, c, "memory", "memory.limit_in_bytes") == 64 * MIB
    # the container's own view (its cgroup is what /proc/self/cgroup names)
    assert c in pods.sh(c, "cat /proc/self/cgroup")
    pods.cri.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
        container_id=c, linux=resources(pb, cpu_shares=256, cpu_period=100000, cpu_quota=20000,
                                        memory_limit_in_bytes=96 * MIB,
                                        memory_swap_limit_in_bytes=96 * MIB)), timeout=30)
    assert cgroup_file(pods, cfg, c, "cpu", "cpu.shares") == 256
    assert cgroup_file(pods, cfg, c, "cpu", "cpu.cfs_quota_us") == 20000
    assert cgroup_file(pods, cfg, c, "memory", "memory.limit_in_bytes") == 96 * MIB
    assert pods.status(c).state == pb.CONTAINER_RUNNING


def test_oom_killed_reported(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    linux = pb.LinuxContainerConfig(resources=resources(
        pb, memory_limit_in_bytes=32 * MIB, memory_swap_limit_in_bytes=32 * MIB))
    # tail keeps the last line of /dev/zero, which has no newline: it grows until killed
    c = pods.run(pod, cfg, "hog", ["tail", "/dev/zero"], linux=linux)
    st = pods.wait_state(c, pb.CONTAINER_EXITED, timeout=60)
    assert st.reason == "OOMKilled", st
    assert st.exit_code == 137, st
    assert pods.pod_status(pod).status.state == pb.SANDBOX_READY

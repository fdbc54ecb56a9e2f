"""A pod the runtime cannot run: the CRI call fails with the runtime's own message (containerd
reads it from the runtime's --log JSON and output) and nothing is left behind."""

import pytest

from conftest import CG, CG_TOP, leftovers, wait_for


def assert_pod_gone(pods, name):
    pb = pods.pb
    items = pods.cri.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=30).items
    for p in items:
        if p.metadata.name == name:
            # containerd keeps a sandbox whose start failed as NOTREADY until removed
            assert p.state == pb.SANDBOX_NOTREADY, p
            pods.remove_pod(p.id)
            wait_for(lambda: not leftovers(pods.cri, pods.handler, [p.id]),
                     what=f"nothing left of {p.id[:12]}")
    assert not list(CG.glob(f"*/{CG_TOP}/{name}/*")), list(CG.glob(f"*/{CG_TOP}/{name}/*"))


def test_unknown_capability_fails_with_the_runtimes_message(pods, handler):
    if handler == "runc":
        pytest.skip("runc 1.1.5 ignores an unknown capability with a warning; berth refuses it")
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    sc = pb.LinuxContainerSecurityContext(capabilities=pb.Capability(add_capabilities=["NOPE"]))
    with pytest.raises(pods.cri.grpc.RpcError) as e:
        cid = pods.create(pod, cfg, pods.container_config("c", ["true"],
                                                          linux=pb.LinuxContainerConfig(
                                                              security_context=sc)))
        pods.start(cid)
    msg = e.value.details()
    assert "CAP_NOPE" in msg, msg
    if handler == "berth":
        assert "capabilities" in msg, msg
    # the sandbox is fine, no container process or runtime state is left
    assert pods.pod_status(pod).status.state == pb.SANDBOX_READY
    ids = [c.id for c in pods.cri.ListContainers(pb.ListContainersRequest(
        filter=pb.ContainerFilter(pod_sandbox_id=pod)), timeout=30).containers]
    for cid in ids:
        pods.cri.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=60)
    wait_for(lambda: not leftovers(pods.cri, handler, ids), what="nothing left of the container")


def test_sysctl_not_namespaced_fails_with_the_runtimes_message(pods, handler):
    pb = pods.pb
    cfg = pods.pod_config(linux=pb.LinuxPodSandboxConfig(sysctls={"vm.swappiness": "10"}))
    before = open("/proc/sys/vm/swappiness").read()
    with pytest.raises(pods.cri.grpc.RpcError) as e:
        pods.run_pod(cfg)
    msg = e.value.details()
    assert "vm.swappiness" in msg, msg
    if handler == "berth":
        assert "not namespaced" in msg, msg
    assert open("/proc/sys/vm/swappiness").read() == before
    assert_pod_gone(pods, cfg.metadata.name)

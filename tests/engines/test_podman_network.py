"""podman with its DEFAULT network (the CNI bridge podman 4.3 sets up on this host:
containernetworking-plugins), pods and `container:` namespaces, through the runtime under test.

podman makes the network namespace itself and passes it by path, with containers.conf's
default_sysctls (net.ipv4.ping_group_range); pods and `--network/--ipc/--uts container:X` give
the namespaces of another container by path (issue 12). BERTH=/usr/sbin/runc runs the same."""
import shutil
import uuid
from pathlib import Path

import pytest

from conftest import IMAGE, SYS_SCRIPT, ULIMITS, check_sys_and_cgroup_mounts, lines

NS = "for n in net ipc uts; do readlink /proc/self/ns/$n; done"


def name():
    return "ns12-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def net_opts(podman):
    """run options without --network=none: podman's default (bridge) network."""
    if not Path("/usr/lib/cni/bridge").exists() and shutil.which("netavark") is None:
        pytest.skip("no network backend for podman (apt-get install containernetworking-plugins)")
    return ["--cgroup-parent", podman.cgroup_parent, *ULIMITS]


def test_default_network_run_sysctls_and_lo(podman, net_opts):
    """The plain `podman run` that failed: bridge network by path + default_sysctls."""
    res = podman("run", "--rm", *net_opts, IMAGE, "sh", "-c",
                 "cat /proc/sys/net/ipv4/ping_group_range; cat /sys/class/net/lo/flags; "
                 "cat /sys/class/net/eth0/operstate; ip -o -4 addr show eth0")
    assert res.returncode == 0, res
    out = lines(res.stdout)
    assert out[0].split() == ["0", "0"], res
    assert int(out[1], 16) & 1, f"lo not up: {res}"
    assert out[2] == "up" and "inet " in out[3], res


def test_default_network_sysfs_is_the_containers(podman, net_opts):
    """The network namespace podman made and passed by path: a fresh sysfs showing its devices
    (lo, eth0), not the host's /sys bound in with the host's submounts."""
    res = podman("run", "--rm", *net_opts, IMAGE, "sh", "-c", SYS_SCRIPT)
    check_sys_and_cgroup_mounts(res, ["eth0", "lo"])


def test_default_network_sysctl_and_exec(podman, net_opts):
    n = name()
    res = podman("run", "-d", "--name", n, "--sysctl", "net.ipv4.ip_unprivileged_port_start=80",
                 *net_opts, IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        res = podman("exec", n, "sh", "-c",
                     "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; ls /sys/class/net")
        assert res.returncode == 0, res
        out = lines(res.stdout)
        assert out[0] == "80" and "eth0" in out[1:], res
    finally:
        podman("rm", "-f", "-t", "0", n)


def test_pod_two_containers_share_its_namespaces(podman, net_opts):
    pod = name()
    res = podman("pod", "create", "--name", pod, "--cgroup-parent", podman.cgroup_parent)
    if res.returncode != 0 and "catatonit" in res.stderr:
        pytest.skip("podman's infra container needs catatonit (apt-get install catatonit)")
    assert res.returncode == 0, res
    try:
        a = name()
        res = podman("run", "-d", "--pod", pod, "--name", a, *ULIMITS, IMAGE, "sleep", "300")
        assert res.returncode == 0, res
        res = podman("run", "--rm", "--pod", pod, "--sysctl", "net.ipv4.ip_unprivileged_port_start=81",
                     "--sysctl", "kernel.msgmax=23456", *ULIMITS, IMAGE, "sh", "-c",
                     f"{NS}; hostname; cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
                     "/proc/sys/kernel/msgmax")
        assert res.returncode == 0, res
        second = lines(res.stdout)
        res = podman("exec", a, "sh", "-c",
                     f"{NS}; hostname; cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
                     "/proc/sys/kernel/msgmax")
        assert res.returncode == 0, res
        first = lines(res.stdout)
        # the same net, ipc, uts namespaces: the sysctls written by the second are the first's
        assert first == second, (first, second)
        assert first[3:] == [pod, "81", "23456"], first
    finally:
        podman("pod", "rm", "-f", "-t", "0", pod)


@pytest.mark.parametrize("kind,sysctl,read", [
    ("network", "net.ipv4.ip_unprivileged_port_start=82",
     "/proc/sys/net/ipv4/ip_unprivileged_port_start"),
    ("ipc", "kernel.msgmax=34567", "/proc/sys/kernel/msgmax"),
    ("uts", None, None)])
def test_namespace_of_another_container(podman, net_opts, kind, sysctl, read):
    """--network/--ipc/--uts container:X (with --sysctl where the kind has sysctls)."""
    first = name()
    extra = ["--ipc", "shareable"] if kind == "ipc" else []
    res = podman("run", "-d", "--name", first, "--hostname", "ns12-first", *extra, *net_opts,
                 IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        opts = [f"--{kind}", f"container:{first}"]
        if sysctl:
            opts += ["--sysctl", sysctl]
        script = NS + "; hostname" + (f"; cat {read}" if read else "")
        res = podman("run", "--rm", *opts, *net_opts, IMAGE, "sh", "-c", script)
        assert res.returncode == 0, res
        second = lines(res.stdout)
        res = podman("exec", first, "sh", "-c", script)
        assert res.returncode == 0, res
        mine = lines(res.stdout)
        idx = {"network": 0, "ipc": 1, "uts": 2}[kind]
        assert second[idx] == mine[idx], (kind, mine, second)
        if kind == "uts":
            assert second[3] == "ns12-first", second
        if sysctl:
            assert second[4] == mine[4] == sysctl.split("=")[1], (mine, second)
    finally:
        podman("rm", "-f", "-t", "0", first)


def test_network_none_has_lo_up(podman):
    res = podman("run", "--rm", *podman.run_opts, IMAGE, "sh", "-c",
                 "cat /sys/class/net/lo/flags; (nc -l -p 8080 > /tmp/got &); i=0; "
                 "while ! echo hi | nc -w 1 127.0.0.1 8080 2>/dev/null; do i=$((i+1)); "
                 "[ $i -gt 50 ] && exit 3; usleep 20000; done; echo reached")
    assert res.returncode == 0, res
    out = lines(res.stdout)
    assert int(out[0], 16) & 1 and out[-1] == "reached", res

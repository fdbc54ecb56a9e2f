"""linux.namespaces, uid/gid mappings, time offsets, hostname/domainname."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import host_ns_inode, parse_ns_lines, wait_for

# config type -> /proc/self/ns name
NS_FILE = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
           "cgroup": "cgroup", "user": "user", "time": "time"}
PRINT_NS = "for n in pid net ipc uts mnt cgroup user time; do readlink /proc/self/ns/$n; done"


def need_ns(name):
    if not os.path.exists(f"/proc/self/ns/{name}"):
        pytest.skip(f"kernel has no {name} namespace (/proc/self/ns/{name} missing)")


def need_userns():
    need_ns("user")
    try:
        if int(Path("/proc/sys/user/max_user_namespaces").read_text()) == 0:
            pytest.skip("user namespaces disabled (user.max_user_namespaces = 0)")
    except OSError:
        pass


def container_ns(berth, b):
    return parse_ns_lines(berth.run_ok(b))


@pytest.mark.parametrize("nstype", ["pid", "network", "ipc", "uts", "mount", "cgroup"])
def test_new_namespace_differs_from_host(berth, bundle, nstype):
    need_ns(NS_FILE[nstype])
    b = bundle(shared_rootfs=True)
    b.add_ns(nstype)
    b.sh(PRINT_NS)
    ns = container_ns(berth, b)
    name = NS_FILE[nstype]
    assert name in ns, f"no {name} line in container output {ns}"
    assert ns[name] != host_ns_inode(name), f"{nstype}: container shares the host namespace"


@pytest.mark.parametrize("nstype", ["network", "ipc", "uts", "cgroup"])
def test_absent_namespace_is_shared_with_host(berth, bundle, nstype):
    need_ns(NS_FILE[nstype])
    b = bundle(shared_rootfs=True)
    b.remove_ns(nstype)
    if nstype == "network":
        # sysfs cannot be mounted in a new mount ns without a new netns; bind the host's /sys
        for m in b.config["mounts"]:
            if m["destination"] == "/sys":
                m.update({"type": "bind", "source": "/sys",
                          "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
    b.sh(PRINT_NS)
    ns = container_ns(berth, b)
    name = NS_FILE[nstype]
    assert ns[name] == host_ns_inode(name)


def test_default_spec_namespaces(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh(PRINT_NS)
    ns = container_ns(berth, b)
    for t in b.ns_types():
        name = NS_FILE[t]
        assert ns[name] != host_ns_inode(name), f"default config: {t} not new"
    assert ns["user"] == host_ns_inode("user")


@pytest.mark.parametrize("nstype", ["network", "ipc", "uts"])
def test_join_namespace_by_path(berth, bundle, nstype):
    name = NS_FILE[nstype]
    first = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create("holder", first)
    pid = berth.state("holder")["pid"]
    path = f"/proc/{pid}/ns/{name}"
    want = os.stat(path).st_ino
    assert want != host_ns_inode(name)

    b = bundle(shared_rootfs=True)
    b.add_ns(nstype, path=path)
    b.sh(PRINT_NS)
    ns = container_ns(berth, b)
    assert ns[name] == want, f"{nstype} namespace at {path} not joined"


def test_join_host_network_namespace_by_path(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.add_ns("network", path=f"/proc/{os.getpid()}/ns/net")
    for m in b.config["mounts"]:
        if m["destination"] == "/sys":
            m.update({"type": "bind", "source": "/sys",
                      "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
    b.sh(PRINT_NS)
    ns = container_ns(berth, b)
    assert ns["net"] == host_ns_inode("net")


def test_join_nonexistent_namespace_path_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_ns("network", path="/run/netns/berth-test-does-not-exist")
    res = berth.create("badns", b, check=False)
    assert res.returncode == 1, res
    assert res.stderr.startswith("berth: ")
    berth.assert_nothing_left()


def test_join_namespace_of_wrong_type_fails(berth, bundle):
    """config-linux.md: a path not associated with a namespace of `type` is an error"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_ns("ipc", path="/proc/self/ns/net")
    res = berth.create("wrongns", b, check=False)
    assert res.returncode == 1, res
    assert "linux.namespaces[" in res.stderr and "ipc" in res.stderr, res
    assert berth.state("wrongns", check=False) is None
    berth.assert_nothing_left()


def userns_config(b):
    b.add_ns("user")
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    return b


def test_user_namespace_mappings(berth, bundle):
    need_userns()
    b = userns_config(bundle(userns_owner=100000))
    b.sh("cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; "
         "readlink /proc/self/ns/user")
    out = berth.run_ok(b)
    uid_map, gid_map, rest = out.split("--\n")
    assert uid_map.split() == ["0", "100000", "65536"]
    assert gid_map.split() == ["0", "100000", "65536"]
    lines = rest.split()
    assert lines[0] == "0"
    assert parse_ns_lines(lines[1])["user"] != host_ns_inode("user")


def test_user_namespace_process_runs_as_mapped_uid(berth, bundle):
    need_userns()
    b = userns_config(bundle(userns_owner=100000))
    b.sh("echo READY; sleep 30")
    st = berth.create_and_start("usermap", b)
    status = Path(f"/proc/{st['pid']}/status").read_text()
    uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
    assert uid_line.split()[1:] == ["100000"] * 4


def test_time_namespace_offsets(berth, bundle):
    need_ns("time")
    b = bundle(shared_rootfs=True)
    b.add_ns("time")
    b.config["linux"]["timeOffsets"] = {"monotonic": {"secs": 86400, "nanosecs": 0},
                                        "boottime": {"secs": 172800, "nanosecs": 0}}
    # the container process itself (not just a child) must be in the time namespace
    b.set_args("cat", "/proc/self/timens_offsets")
    out = berth.run_ok(b)
    offsets = {l.split()[0]: l.split()[1:] for l in out.splitlines() if l.strip()}
    assert offsets["monotonic"] == ["86400", "0"]
    assert offsets["boottime"] == ["172800", "0"]


def test_time_namespace_uptime_shifted(berth, bundle):
    need_ns("time")
    b = bundle(shared_rootfs=True)
    b.add_ns("time")
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 10 * 86400, "nanosecs": 0}}
    b.set_args("cat", "/proc/uptime")
    out = berth.run_ok(b)
    host_up = float(Path("/proc/uptime").read_text().split()[0])
    assert float(out.split()[0]) >= host_up + 10 * 86400 - 60


def test_hostname_and_domainname(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.config["hostname"] = "berth-test"
    b.config["domainname"] = "example.org"
    b.sh("hostname; cat /proc/sys/kernel/domainname")
    out = berth.run_ok(b).split()
    assert out == ["berth-test", "example.org"]
    assert Path("/proc/sys/kernel/hostname").read_text().strip() != "berth-test"


def test_hostname_without_uts_namespace_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.remove_ns("uts")
    b.config["hostname"] = "must-not-change-host"
    hn = Path("/proc/sys/kernel/hostname")
    before = hn.read_text()
    try:
        res = berth.create("hostnouts", b, check=False)
        after = hn.read_text()
    finally:
        if hn.read_text() != before:  # a broken runtime renamed the host: put it back
            hn.write_text(before)
    assert after == before, "berth changed the HOST's hostname"
    assert res.returncode == 1, res
    assert "hostname" in res.stderr
    berth.assert_nothing_left()


def test_sysctl_applied_inside(berth, bundle):
    """linux.sysctl: written in the container's namespaces, seen from inside, the host's
    values untouched"""
    host_fwd = open("/proc/sys/net/ipv4/ip_forward").read()
    host_msgmax = open("/proc/sys/kernel/msgmax").read()
    b = bundle(shared_rootfs=True, args=["cat", "/proc/sys/net/ipv4/ip_forward",
                                         "/proc/sys/kernel/msgmax"])
    fwd = "0" if host_fwd.strip() == "1" else "1"
    b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": fwd, "kernel.msgmax": "12345"}
    assert berth.run_ok(b).split() == [fwd, "12345"]
    assert open("/proc/sys/net/ipv4/ip_forward").read() == host_fwd
    assert open("/proc/sys/kernel/msgmax").read() == host_msgmax


def test_sysctl_in_a_network_namespace_joined_by_path(berth, bundle):
    """a net.* sysctl goes into a network namespace joined by path, as a pod sandbox under the
    CRI joins the one CNI set up (issue 13); joining the caller's own by path is refused"""
    holder = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    try:
        path = f"/proc/{holder.pid}/ns/net"
        wait_for(lambda: os.readlink(path) != os.readlink("/proc/self/ns/net"),
                 what="the holder's own network namespace")
        b = bundle(shared_rootfs=True, args=["cat", "/proc/sys/net/ipv4/ip_forward"])
        b.remove_ns("network")
        b.add_ns("network", path)
        host_fwd = open("/proc/sys/net/ipv4/ip_forward").read()
        fwd = "0" if host_fwd.strip() == "1" else "1"
        b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": fwd}
        assert berth.run_ok(b).split() == [fwd]
        assert open("/proc/sys/net/ipv4/ip_forward").read() == host_fwd
        b.remove_ns("network")
        b.add_ns("network", "/proc/self/ns/net")
        res = berth.create("sysctlhostns", b, check=False)
        assert res.returncode == 1 and "net.ipv4.ip_forward" in res.stderr, res
        assert open("/proc/sys/net/ipv4/ip_forward").read() == host_fwd
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("key,needle", [("net.ipv4.ip_forward", "network namespace"),
                                        ("vm.swappiness", "not namespaced")])
def test_sysctl_that_would_change_the_host_is_refused(berth, bundle, key, needle):
    b = bundle(shared_rootfs=True, args=["true"])
    if key.startswith("net."):
        b.remove_ns("network")
    b.config["linux"]["sysctl"] = {key: "1"}
    res = berth.create("sysctlbad", b, check=False)
    assert res.returncode == 1, res
    assert key in res.stderr and needle in res.stderr, res
    assert berth.state("sysctlbad", check=False) is None

"""Namespaces given by path (as engines write them: podman's bridge network, pods, `--network
container:`) are the container's own unless they are the runtime's: sysctls and hostnames in
them are allowed. A new network namespace's loopback is up. Filesystem data on a bind is
ignored (issue 12)."""

import os
from pathlib import Path

import pytest

from conftest import assert_one_error_line

NS_FILE = {"network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt"}


def holder(berth, bundle, cid):
    """A created (parked) container with new network, ipc and uts namespaces to join."""
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create(cid, b)
    return berth.state(cid)["pid"]


def test_sysctl_in_namespaces_joined_by_path(berth, bundle):
    """podman's bridge network + default_sysctls, `--network container:X --sysctl`: the
    values are written in the joined namespaces and read back inside."""
    pid = holder(berth, bundle, "ns12-sysholder")
    b = bundle(shared_rootfs=True)
    b.add_ns("network", path=f"/proc/{pid}/ns/net")
    b.add_ns("ipc", path=f"/proc/{pid}/ns/ipc")
    b.config["linux"]["sysctl"] = {"net.ipv4.ping_group_range": "0 0",
                                   "net.ipv4.ip_unprivileged_port_start": "80",
                                   "kernel.msgmax": "23456"}
    b.sh("cat /proc/sys/net/ipv4/ping_group_range /proc/sys/net/ipv4/ip_unprivileged_port_start"
         " /proc/sys/kernel/msgmax; readlink /proc/self/ns/net")
    out = berth.run_ok(b, "ns12-sysjoin").split()
    assert out[:4] == ["0", "0", "80", "23456"], out
    assert out[4] == os.readlink(f"/proc/{pid}/ns/net")
    assert Path("/proc/sys/kernel/msgmax").read_text().strip() != "23456"


@pytest.mark.parametrize("nstype,key", [("network", "net.ipv4.ip_forward"),
                                        ("ipc", "kernel.msgmax")])
def test_sysctl_with_the_runtimes_own_namespace_by_path_is_refused(berth, bundle, nstype, key):
    """A path naming the runtime's own namespace is not the container's: the write would
    change the host. Error naming linux.sysctl and the key, exit 1, nothing left."""
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_ns(nstype, path=f"/proc/self/ns/{NS_FILE[nstype]}")
    if nstype == "network":  # sysfs needs a network namespace of the container's own
        b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/sys"]
    b.config["linux"]["sysctl"] = {key: "1"}
    f = Path(f"/proc/sys/{key.replace('.', '/')}")
    before = f.read_text()
    try:
        res = berth.create("ns12-sysown", b, check=False)
        after = f.read_text()
    finally:
        if f.read_text() != before:  # a broken runtime (runc 1.1.5 for ipc) changed the host
            f.write_text(before)
    assert after == before, f"the runtime changed the host's {key}"
    assert res.returncode == 1, res
    assert_one_error_line(res, "linux.sysctl", key)
    assert berth.state("ns12-sysown", check=False) is None
    berth.assert_nothing_left()


def test_hostname_in_uts_namespace_joined_by_path(berth, bundle):
    pid = holder(berth, bundle, "ns12-utsholder")
    host = Path("/proc/sys/kernel/hostname").read_text()
    b = bundle(shared_rootfs=True)
    b.add_ns("uts", path=f"/proc/{pid}/ns/uts")
    b.config["hostname"] = "ns12-joined"
    b.set_args("hostname")
    assert berth.run_ok(b, "ns12-utsjoin").split() == ["ns12-joined"]
    assert Path("/proc/sys/kernel/hostname").read_text() == host


def test_hostname_with_the_runtimes_own_uts_namespace_by_path_is_refused(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_ns("uts", path="/proc/self/ns/uts")
    b.config["hostname"] = "ns12-must-not-rename-host"
    hn = Path("/proc/sys/kernel/hostname")
    before = hn.read_text()
    try:
        res = berth.create("ns12-utsown", b, check=False)
        after = hn.read_text()
    finally:
        if hn.read_text() != before:
            hn.write_text(before)
    assert after == before, "the runtime renamed the host"
    assert res.returncode == 1, res
    assert_one_error_line(res, "hostname")
    berth.assert_nothing_left()


def test_loopback_is_up_in_a_new_network_namespace(berth, bundle):
    """runc sets lo up; without it 127.0.0.1 is unreachable (`podman run --network none`,
    `ctr run`)."""
    b = bundle(shared_rootfs=True)
    assert "network" in b.ns_types()
    b.sh("cat /sys/class/net/lo/flags; "
         "(nc -l -p 8080 > /tmp/got &); i=0; "
         "while ! echo ns12-hello | nc -w 1 127.0.0.1 8080 2>/dev/null; do "
         "  i=$((i+1)); [ $i -gt 50 ] && exit 3; usleep 20000; done; "
         "i=0; while [ ! -s /tmp/got ] && [ $i -lt 500 ]; do i=$((i+1)); usleep 20000; done; "
         "cat /tmp/got")
    b.config["root"]["readonly"] = False
    b.config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "nodev"]})
    out = berth.run_ok(b, "ns12-lo").split()
    assert int(out[0], 16) & 0x1, f"lo flags {out[0]}: not IFF_UP"
    assert out[1:] == ["ns12-hello"], out


def test_filesystem_data_on_a_bind_mount_is_ignored(berth, bundle, tmp_path):
    """mode=755 and size=1k mean nothing to a bind (the kernel ignores the data): accepted,
    as runc does; the bind shows the source."""
    src = tmp_path / "ns12-src"
    src.mkdir()
    (src / "f").write_text("bound\n")
    b = bundle(shared_rootfs=True, args=["cat", "/mnt/f"])
    b.add_mount("/mnt", "bind", str(src), ["rbind", "mode=755", "size=1k", "ro"])
    assert berth.run_ok(b, "ns12-bindopt") == "bound\n"


def test_unknown_word_on_a_bind_mount_is_refused(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_mount("/mnt", "bind", str(tmp_path), ["rbind", "mode=755", "nosuchflag"])
    res = berth.create("ns12-bindbad", b, check=False)
    assert res.returncode == 1, res
    assert_one_error_line(res, "options[2]", "nosuchflag")
    berth.assert_nothing_left()

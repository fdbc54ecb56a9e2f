"""A mount namespace not listed is inherited from the runtime, one given by path is entered
(config-linux.md). berth builds the rootfs there below the bundle's rootfs only (chroot, no
pivot_root) and unmounts all of it at delete, and after a failed create: the namespace's
mount table is the same before and after (runc leaves /proc, /dev, /sys behind). Issue 12."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import assert_one_error_line, wait_for


# where engines and other test runs on this host mount while we look: not compared, except
# below the test's own directory
BUSY = ("/tmp/", "/run/", "/var/lib/", "/var/run/")
TOP = [None]


@pytest.fixture(autouse=True)
def _top(tmp_path):
    TOP[0] = str(tmp_path)


def mount_table(pid="self"):
    """what is mounted where (mountinfo without the ids), on the host's own paths and below
    this test's directory"""
    out = []
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        mp = line.split()[4]
        if mp.startswith(BUSY) and not mp.startswith(TOP[0]):
            continue
        out.append(" ".join(line.split()[3:]))
    return sorted(out)


def shared_bundle(bundle, args):
    b = bundle(args=args)
    b.remove_ns("mount")
    return b


def test_inherited_mount_namespace(berth, bundle, tmp_path):
    (tmp_path / "host-only").write_text("x")
    before = mount_table()
    b = shared_bundle(bundle, None)
    b.sh(f"readlink /proc/self/ns/mnt; cat /etc/hostname; ls {tmp_path}/host-only 2>&1 || "
         "echo host-hidden; grep -c ' - proc ' /proc/self/mountinfo")
    out = berth.run_ok(b, "ns12-mntinh").split("\n")
    assert out[0] == os.readlink("/proc/self/ns/mnt"), out
    assert out[1] == "rootfs" and out[-3] == "host-hidden", out
    assert int(out[-2]) >= 1, out  # its own /proc
    assert mount_table() == before
    berth.assert_nothing_left()


def test_inherited_mount_namespace_created_exec_delete(berth, bundle):
    """While it exists, everything berth mounted is below the rootfs; exec enters its root."""
    before = mount_table()
    b = shared_bundle(bundle, ["sleep", "60"])
    berth.create_and_start("ns12-mntexec", b)
    rootfs = str(b.rootfs)
    added = [m for m in mount_table() if m not in before]
    assert added, "nothing mounted for the container"
    for m in added:
        mp = m.split()[1]
        assert mp == rootfs or mp.startswith(rootfs + "/"), f"mounted outside the rootfs: {m}"
    res = berth("exec", "ns12-mntexec", "sh", "-c", "cat /etc/hostname; readlink /proc/1/exe "
                "2>/dev/null; ls /proc/self/root/bin/busybox")
    assert res.returncode == 0, res
    assert res.stdout.split("\n")[0] == "rootfs", res
    berth.delete("ns12-mntexec", "--force")
    assert mount_table() == before
    berth.assert_nothing_left()


def test_inherited_mount_namespace_failed_create_leaves_nothing(berth, bundle):
    before = mount_table()
    b = shared_bundle(bundle, ["/nope"])
    res = berth.create("ns12-mntfail", b, check=False)
    assert res.returncode != 0, res
    assert mount_table() == before
    berth.assert_nothing_left()


@pytest.fixture
def mntns_holder():
    if subprocess.run(["unshare", "--help"], capture_output=True).returncode != 0:
        pytest.skip("no unshare(1) (util-linux)")
    p = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sleep", "60"])
    try:
        wait_for(lambda: os.readlink(f"/proc/{p.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt"),
                 what="the holder's new mount namespace")
        yield p.pid
    finally:
        p.kill()
        p.wait()


def test_joined_mount_namespace(berth, bundle, mntns_holder):
    pid = mntns_holder
    ours, theirs = mount_table(), mount_table(pid)
    b = bundle(args=["sleep", "60"])
    b.add_ns("mount", path=f"/proc/{pid}/ns/mnt")
    berth.create_and_start("ns12-mntjoin", b)
    res = berth("exec", "ns12-mntjoin", "sh", "-c", "readlink /proc/self/ns/mnt; cat /etc/hostname")
    assert res.returncode == 0, res
    assert res.stdout.split() == [os.readlink(f"/proc/{pid}/ns/mnt"), "rootfs"], res
    st = berth.state("ns12-mntjoin")
    assert os.readlink(f"/proc/{st['pid']}/ns/mnt") == os.readlink(f"/proc/{pid}/ns/mnt")
    assert mount_table() == ours, "mounted in the runtime's namespace, not the joined one"
    assert mount_table(pid) != theirs
    berth.delete("ns12-mntjoin", "--force")
    assert mount_table(pid) == theirs, "the rootfs's mounts left in the joined namespace"
    assert mount_table() == ours
    berth.assert_nothing_left()


def test_joined_mount_namespace_failed_create_leaves_nothing(berth, bundle, mntns_holder):
    pid = mntns_holder
    ours, theirs = mount_table(), mount_table(pid)
    b = bundle(args=["/nope"])
    b.add_ns("mount", path=f"/proc/{pid}/ns/mnt")
    res = berth.create("ns12-mntjoinfail", b, check=False)
    assert res.returncode != 0, res
    assert mount_table(pid) == theirs, "the rootfs's mounts left in the joined namespace"
    assert mount_table() == ours
    berth.assert_nothing_left()


def test_mount_namespace_path_that_is_not_one(berth, bundle):
    before = mount_table()
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_ns("mount", path="/proc/self/ns/net")
    res = berth.create("ns12-mntbad", b, check=False)
    assert_one_error_line(res, "linux.namespaces[", "mount")
    assert berth.state("ns12-mntbad", check=False) is None
    assert mount_table() == before
    berth.assert_nothing_left()


@pytest.mark.parametrize("how", ["missing", "garbage", "foreign-cgroup"])
@pytest.mark.parametrize("ns", ["inherited", "joined"])
def test_delete_force_with_untrusted_state_unmounts_the_rootfs(berth, bundle, how, ns,
                                                                mntns_holder):
    """delete --force of a container whose state.json is gone, corrupt or not trusted still
    unmounts the rootfs's bind in the namespace it shares (the state directory's own record of
    it, written before the bind was attached). It removed the state directory and left the bind
    with everything below it. runc leaves these mounts after any delete."""
    from test_hostile import corrupt_state
    pid = mntns_holder
    where = "self" if ns == "inherited" else pid
    before = mount_table(where)
    cid = f"leak14b-untr-{ns}-{how}"
    b = bundle(args=["sleep", "60"])
    if ns == "inherited":
        b.remove_ns("mount")
    else:
        b.add_ns("mount", path=f"/proc/{pid}/ns/mnt")
    berth.create(cid, b)
    assert mount_table(where) != before
    corrupt_state(berth.root / cid, how)
    res = berth("delete", "--force", cid)
    assert res.returncode == 0, res
    assert mount_table(where) == before, "the rootfs's mounts left behind"
    assert not (berth.root / cid).exists()
    berth.assert_nothing_left()

"""Mount propagation, per mount (mounts[].options) and for the root (linux.rootfsPropagation),
checked with a mount made on the host after the container started: it must appear inside
(slave, shared) or not (private). Host mounts are made only below the test's tmp_path
(host_mounts) and undone at teardown."""

import shutil
import uuid

import pytest

from conftest import copy_rootfs


def late_mount_seen(berth, cid, path):
    res = berth("exec", cid, "sh", "-c", f"grep -c ' {path} ' /proc/self/mountinfo || true")
    assert res.returncode == 0, repr(res)
    return int(res.stdout.strip() or 0) > 0


@pytest.mark.parametrize("opt,seen", [(None, True), ("rslave", True), ("rshared", True),
                                      ("rprivate", False), ("private", False)])
def test_bind_mount_propagation(berth, bundle, host_mounts, opt, seen):
    src = host_mounts.top / "src"
    src.mkdir()
    host_mounts.mount("--bind", str(src), str(src))
    host_mounts.mount("--make-shared", str(src))
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    b.add_mount("/data", "bind", str(src), ["rbind"] + ([opt] if opt else []))
    cid = f"prop-{uuid.uuid4().hex[:8]}"
    berth.create_and_start(cid, b)
    assert not late_mount_seen(berth, cid, "/data/late")
    host_mounts.tmpfs(src / "late")
    assert late_mount_seen(berth, cid, "/data/late") == seen


@pytest.mark.parametrize("prop,seen", [(None, True), ("rslave", True), ("slave", False),
                                       ("rprivate", False), ("private", False),
                                       ("rshared", False)])
def test_rootfs_propagation(berth, bundle, host_mounts, rootfs_template, prop, seen):
    """The rootfs is a shared mount on the host. rslave (the default) receives the host's later
    mount under it; rprivate does not. Neither do rshared nor a non-recursive slave (which leaves
    the host's shared rootfs mount shared in the container's copy): as runc does, a shared mount
    holding the rootfs is made private before the rootfs is bound, so the container's mounts
    never propagate to the host (pivot_root needs it too). The propagation asked for is then
    that of the container's "/", checked in its mountinfo."""
    rfs = host_mounts.top / "rootfs"
    copy_rootfs(rootfs_template, rfs)
    host_mounts.mount("--bind", str(rfs), str(rfs))
    host_mounts.mount("--make-shared", str(rfs))
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    b.config["root"]["path"] = str(rfs)
    if prop:
        b.config["linux"]["rootfsPropagation"] = prop
    cid = f"rprop-{uuid.uuid4().hex[:8]}"
    berth.create_and_start(cid, b)
    host_mounts.tmpfs(rfs / "mnt" / "late")
    assert late_mount_seen(berth, cid, "/mnt/late") == seen
    res = berth("exec", cid, "sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo")
    fields = res.stdout.split(" - ")[0].split()
    tags = {f.split(":")[0] for f in fields[6:]}
    want = {None: "master", "rslave": "master", "rshared": "shared"}
    if prop in want:
        assert want[prop] in tags, f"/ of the container: {res.stdout}"
    else:
        assert not tags & {"shared", "master"}, f"/ of the container: {res.stdout}"
    berth.kill(cid, "KILL")
    berth.wait_status(cid, "stopped")
    berth.delete(cid)
    shutil.rmtree(rfs / "mnt" / "late", ignore_errors=True)

"""Writes berth makes through /proc (process.oomScoreAdj, linux.sysctl; the LSM attr files take
the same path, procfs.c) go through a procfs handle of berth's own, never through the
container's /proc, and never into a file mounted over the real one (CVE-2025-52881: runc's
LSM label and sysctl writes were redirected by mounts racing over /proc).

The overmount is made by a createContainer hook, which runs in the container's mount namespace
after the config's mounts and before berth writes anything: it stands for a racing mount from a
shared volume. It binds a host "decoy" file over the container's /proc/1/oom_score_adj (the
init is pid 1 of the container's procfs) or over /proc/sys/kernel/shmmni (file or directory). A
runtime that opened /proc/self/... in the container's /proc would write into the decoy; berth
writes the real file (seen from the host) and the decoy keeps its content."""

import os
import subprocess
import uuid

import pytest

DECOY = "decoy: must stay as it is\n"


def overmount_hook(b, target, source):
    """A createContainer hook binding `source` (host path) over rootfs/<target>."""
    hook = b.path / "overmount.sh"
    hook.write_text(f"#!/bin/sh\nexec mount --bind '{source}' '{b.rootfs}/{target}'\n")
    os.chmod(hook, 0o755)
    b.config.setdefault("hooks", {})["createContainer"] = [{"path": str(hook)}]


def init_pid(berth, cid):
    return berth.state(cid)["pid"]


def test_oom_score_adj_not_written_through_an_overmount(berth, bundle, tmp_path):
    decoy = tmp_path / "decoy"
    decoy.write_text(DECOY)
    b = bundle(args=["sleep", "30"])
    b.process["oomScoreAdj"] = 123
    overmount_hook(b, "proc/1/oom_score_adj", decoy)
    cid = f"oomover-{uuid.uuid4().hex[:8]}"
    berth.create(cid, b)
    try:
        pid = init_pid(berth, cid)
        assert open(f"/proc/{pid}/oom_score_adj").read().strip() == "123"
        assert decoy.read_text() == DECOY
    finally:
        berth.delete(cid, "--force")


@pytest.mark.parametrize("what", ["file", "dir"])
def test_sysctl_not_written_through_an_overmount(berth, bundle, tmp_path, what):
    decoy = tmp_path / "decoy"
    if what == "file":
        decoy.write_text(DECOY)
        target, check = "proc/sys/kernel/shmmni", decoy
    else:
        decoy.mkdir()
        (decoy / "shmmni").write_text(DECOY)
        target, check = "proc/sys/kernel", decoy / "shmmni"
    b = bundle(args=["sleep", "30"])
    b.config["linux"]["sysctl"] = {"kernel.shmmni": "1234"}
    overmount_hook(b, target, decoy)
    cid = f"sysover-{uuid.uuid4().hex[:8]}"
    berth.create(cid, b)
    try:
        pid = init_pid(berth, cid)
        got = subprocess.run(["nsenter", "-t", str(pid), "-i", "cat",
                              "/proc/sys/kernel/shmmni"], capture_output=True, text=True)
        assert got.stdout.strip() == "1234", got
        assert check.read_text() == DECOY
    finally:
        berth.delete(cid, "--force")


def test_oom_score_adj_without_a_proc_mount(berth, bundle):
    """No procfs on /proc: the image's /proc/self/oom_score_adj is a planted file. berth's own
    procfs handle takes the write; the planted file is untouched."""
    b = bundle(args=["sleep", "30"])
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/proc"]
    (b.rootfs / "proc" / "self").mkdir(parents=True)
    planted = b.rootfs / "proc" / "self" / "oom_score_adj"
    planted.write_text("planted\n")
    b.process["oomScoreAdj"] = 100
    b.config["linux"].pop("sysctl", None)
    b.config["linux"]["maskedPaths"] = []
    b.config["linux"]["readonlyPaths"] = []
    cid = f"oomfake-{uuid.uuid4().hex[:8]}"
    berth.create(cid, b)
    try:
        assert open(f"/proc/{init_pid(berth, cid)}/oom_score_adj").read().strip() == "100"
        assert planted.read_text() == "planted\n"
    finally:
        berth.delete(cid, "--force")

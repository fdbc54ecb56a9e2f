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

import json
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import wait_for
from test_namespaces import need_userns, userns_config

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


SELF_OVERMOUNT_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
/* Binds the symlink /decoy-link over the "self" symlink of /proc (the new mount API mounts
 * on a symlink): every process's /proc/self then leads to /decoy. */
int main(void) {
  int tree = syscall(SYS_open_tree, AT_FDCWD, "/decoy-link",
                     1 /* OPEN_TREE_CLONE */ | AT_SYMLINK_NOFOLLOW | O_CLOEXEC);
  int target = open("/proc/self", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (tree < 0 || target < 0 ||
      syscall(SYS_move_mount, tree, "", target, "", 0x4 | 0x40 /* F_ and T_EMPTY_PATH */) < 0) {
    perror("overmount /proc/self");
    return 1;
  }
  return 0;
}
"""


@pytest.mark.parametrize("userns", [False, True], ids=["root", "userns"])
def test_exec_writes_not_redirected_by_a_self_overmount(berth, bundle, tmp_path, userns):
    """berth exec into a running container whose root (given CAP_SYS_ADMIN) has bound a
    symlink over its /proc's "self", so that every /proc/self/... leads to the container's
    /decoy. The exec'd process's oomScoreAdj reaches the real file (berth's own procfs handle)
    and /decoy/oom_score_adj keeps its content. The LSM attr writes take the same path: through
    the container's /proc they would land in /decoy and leave the process unconfined. In a user
    namespace the exec process cannot make a fresh procfs (the container's /proc is partly
    covered): it clones /proc without its submounts."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler for the overmount helper")
    (tmp_path / "selfover.c").write_text(SELF_OVERMOUNT_C)
    if userns:
        need_userns()
        b = userns_config(bundle(userns_owner=100000))
        b.set_args("sh", "-c", "selfover && sleep 60")
    else:
        b = bundle(args=["sh", "-c", "selfover && sleep 60"])
    b.config["root"]["readonly"] = False  # a writable /decoy (read-only, it failed by luck)
    subprocess.run(["cc", "-static", "-o", str(b.rootfs / "bin" / "selfover"),
                    str(tmp_path / "selfover.c")], check=True)
    (b.rootfs / "decoy").mkdir()
    (b.rootfs / "decoy" / "oom_score_adj").write_text(DECOY)
    (b.rootfs / "decoy-link").symlink_to("/decoy")
    if userns:
        for p in (b.rootfs / "decoy", b.rootfs / "decoy" / "oom_score_adj",
                  b.rootfs / "decoy-link"):
            os.lchown(p, 100000, 100000)
    for s in ("bounding", "effective", "permitted"):
        b.process["capabilities"][s].append("CAP_SYS_ADMIN")
    cid = f"selfover-{uuid.uuid4().hex[:8]}"
    berth.create_and_start(cid, b)
    try:
        wait_for(lambda: berth("exec", cid, "readlink", "/proc/self").stdout.strip() == "/decoy",
                 what="the overmount of /proc/self")
        proc = dict(b.process, args=["sleep", "30"], oomScoreAdj=321)
        pj, pf = tmp_path / "process.json", tmp_path / "exec.pid"
        pj.write_text(json.dumps(proc))
        res = berth("exec", "-d", "--pid-file", pf, "--process", pj, cid)
        assert res.returncode == 0, res
        pid = int(pf.read_text())
        assert open(f"/proc/{pid}/oom_score_adj").read().strip() == "321"
        assert (b.rootfs / "decoy" / "oom_score_adj").read_text() == DECOY
    finally:
        berth.delete(cid, "--force")

"""checkpoint / restore where CRIU cannot work (the checkpoint-restore cycle itself runs in the
criu qemu guest, tests/vm/criu): no criu in $PATH, `criu check` failing, CRIU dying during the
dump or the restore. Each fails with one clear error, the container checkpointed keeps running
unchanged, and a restore leaves nothing (state, cgroup) behind. berth's messages and flag
checks: runc 1.1.5 words its own differently and does not run `criu check` (berth runs it only
after a failed request, to name the cause: its probing fell inside a migration's downtime)."""

import json
import os
import time
import uuid
from pathlib import Path

import pytest

from conftest import pid_alive

COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.1; done'


def fake_criu(tmp_path, check_rc=0, check_msg="", swrk="exit 1"):
    """a directory holding a `criu` script: `check` prints check_msg and exits check_rc,
    `swrk` runs the shell code swrk (by default it dies without answering)"""
    d = tmp_path / "fake-criu-bin"
    d.mkdir(exist_ok=True)
    p = d / "criu"
    p.write_text(f"""#!/bin/sh
case "$1" in
check) echo '{check_msg}' >&2; exit {check_rc} ;;
--version) echo 'Version: 9.9.9'; exit 0 ;;
swrk) {swrk} ;;
esac
exit 1
""")
    p.chmod(0o755)
    return {"PATH": f"{d}:/usr/sbin:/usr/bin:/sbin:/bin"}


def no_criu_env(tmp_path):
    d = tmp_path / "empty-bin"
    d.mkdir(exist_ok=True)
    # sh for the hooks, nothing else: no criu anywhere in $PATH
    return {"PATH": str(d)}


def running(berth, bundle, cid):
    b = bundle(shared_rootfs=True)
    b.sh(COUNTER)
    berth.create(cid, b)
    berth.start(cid)
    st = berth.state(cid)
    assert st["status"] == "running"
    return b, st


def assert_unchanged(berth, cid, before):
    after = berth.state(cid)
    assert after["status"] == "running", after
    assert after["pid"] == before["pid"] and pid_alive(before["pid"])


def cid(tag):
    return f"criu15-{tag}-{uuid.uuid4().hex[:6]}"


def test_checkpoint_without_criu(berth, bundle, tmp_path):
    c = cid("nocriu")
    _, before = running(berth, bundle, c)
    img = tmp_path / "img"
    res = berth("checkpoint", "--image-path", img, c, env=no_criu_env(tmp_path))
    assert res.returncode == 1, res
    assert "criu" in res.stderr and "not found" in res.stderr, res
    assert_unchanged(berth, c, before)
    assert not img.exists(), "an image directory was made for nothing"


def test_checkpoint_criu_check_fails(berth, bundle, tmp_path):
    c = cid("check")
    _, before = running(berth, bundle, c)
    env = fake_criu(tmp_path, check_rc=1, check_msg="Error: userfaultfd is missing")
    res = berth("checkpoint", "--image-path", tmp_path / "img", c, env=env)
    assert res.returncode == 1, res
    assert "criu check failed" in res.stderr and "userfaultfd is missing" in res.stderr, res
    assert_unchanged(berth, c, before)


def test_criu_check_only_after_a_failure(berth, bundle, tmp_path):
    """a dump CRIU answers with success does not run `criu check` first (its probing of the
    kernel is all downtime); the fake swrk answers criu_resp {type:
    DUMP, success: true} on its socket"""
    c = cid("nocheck")
    _, before = running(berth, bundle, c)
    # check fails: run before the request, it would refuse the checkpoint
    env = fake_criu(tmp_path, check_rc=1, check_msg="Error: check ran",
                    swrk="printf '\\010\\002\\020\\001' >&$2; cat <&$2 > /dev/null; exit 0")
    res = berth("checkpoint", "--leave-running", "--image-path", tmp_path / "img", c, env=env)
    assert res.returncode == 0 and "check ran" not in res.stderr, res
    assert_unchanged(berth, c, before)


def varints(buf):
    """a protobuf message's fields: {number: [value, ...]} (varints as ints, others as bytes)"""
    out, i = {}, 0

    def varint():
        nonlocal i
        v = shift = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v
    while i < len(buf):
        key = varint()
        num, wire = key >> 3, key & 7
        if wire == 0:
            val = varint()
        elif wire == 2:
            n = varint()
            val, i = buf[i:i + n], i + n
        elif wire == 5:
            val, i = buf[i:i + 4], i + 4
        else:
            val, i = buf[i:i + 8], i + 8
        out.setdefault(num, []).append(val)
    return out


def test_network_namespace_always_empty_ns(berth, bundle, tmp_path):
    """the dump request leaves the network namespace's contents out (criu_opts.empty_ns =
    CLONE_NEWNET) without --empty-ns, as runc always does: no ip/iptables-save runs in the
    freeze (~0.6 s of a migration's downtime under TCG)"""
    c = cid("emptyns")
    _, before = running(berth, bundle, c)
    req = tmp_path / "req"
    env = fake_criu(tmp_path, swrk=f"dd bs=65536 count=1 of={req} <&$2 2>/dev/null; "
                    "printf '\\010\\002\\020\\001' >&$2; cat <&$2 > /dev/null; exit 0")
    res = berth("checkpoint", "--leave-running", "--image-path", tmp_path / "img", c, env=env)
    assert res.returncode == 0, res
    opts = varints(varints(req.read_bytes())[2][0])
    assert opts.get(38) == [0x40000000], opts.get(38)
    assert_unchanged(berth, c, before)


def test_failed_dump_leaves_container_running(berth, bundle, tmp_path):
    c = cid("dump")
    _, before = running(berth, bundle, c)
    img = tmp_path / "img"
    res = berth("checkpoint", "--image-path", img, c, env=fake_criu(tmp_path))
    assert res.returncode == 1, res
    assert "criu" in res.stderr and "dump" in res.stderr, res
    assert_unchanged(berth, c, before)
    # the counter still counts
    root = Path(f"/proc/{before['pid']}/root")
    n = int((root / "dev/shm/count").read_text())
    time.sleep(0.4)
    assert int((root / "dev/shm/count").read_text()) > n


def test_failed_restore_leaves_nothing(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True)
    b.sh(COUNTER)
    berth.prepare(b)
    img = tmp_path / "img"
    img.mkdir()
    (img / "descriptors.json").write_text('["/dev/null","/dev/null","/dev/null"]')
    c = cid("rst")
    berth.track(c)
    res = berth("restore", "-d", "--bundle", b.path, "--image-path", img, c,
                env=fake_criu(tmp_path))
    assert res.returncode == 1, res
    assert "restore" in res.stderr and "criu" in res.stderr, res
    assert berth.state(c, check=False) is None
    assert not (berth.root / c).exists(), "state directory left behind"
    for cg in ("/sys/fs/cgroup/berth", "/sys/fs/cgroup/unified/berth",
               "/sys/fs/cgroup/memory/berth", "/sys/fs/cgroup/pids/berth"):
        assert not os.path.exists(f"{cg}/{c}"), f"cgroup {cg}/{c} left behind"


def test_restore_without_criu_or_images(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True)
    berth.prepare(b)
    c = cid("rst2")
    berth.track(c)
    res = berth("restore", "-d", "--bundle", b.path, "--image-path", tmp_path / "img", c,
                env=no_criu_env(tmp_path))
    assert res.returncode == 1 and "not found" in res.stderr, res
    res = berth("restore", "-d", "--bundle", b.path, "--image-path", tmp_path / "none", c,
                env=fake_criu(tmp_path))
    assert res.returncode == 1 and "--image-path" in res.stderr, res
    assert not (berth.root / c).exists()


@pytest.mark.parametrize("args", [["--manage-cgroups-mode", "ignore"], ["--empty-ns", "pid"],
                                  ["--status-fd", "x"]])
def test_checkpoint_refuses_unsupported_flags(berth, args):
    res = berth("checkpoint", *args, "x")
    assert res.returncode == 1 and args[0] in res.stderr, res


@pytest.mark.parametrize("args", [["--lsm-profile", "apparmor:x"],
                                  ["--lsm-mount-context", "system_u:object_r:x:s0"],
                                  ["--leave-running"], ["--pre-dump"]])
def test_restore_refuses_unsupported_flags(berth, args):
    res = berth("restore", *args, "x")
    assert res.returncode == 1 and args[0] in res.stderr, res


def test_checkpoint_status_fd_must_be_write_only(berth, bundle, tmp_path):
    c = cid("sfd")
    _, before = running(berth, bundle, c)
    r, w = os.pipe()
    try:
        res = berth("checkpoint", "--lazy-pages", "--status-fd", r, "--image-path",
                    tmp_path / "img", c, pass_fds=(r,), env=fake_criu(tmp_path))
    finally:
        os.close(r)
        os.close(w)
    assert res.returncode == 1 and "--status-fd" in res.stderr, res
    assert_unchanged(berth, c, before)


def test_features_report_criu(berth, tmp_path):
    """runc's org.opencontainers.runc.checkpoint.enabled, as berth's annotations: CRIU's
    presence in $PATH and its version"""
    res = berth("features", env=fake_criu(tmp_path), check=True)
    ann = json.loads(res.stdout)["annotations"]
    assert ann["io.github.berth.checkpoint.enabled"] == "true"
    assert ann["io.github.berth.criu.version"] == "9.9.9"
    res = berth("features", env=no_criu_env(tmp_path), check=True)
    ann = json.loads(res.stdout)["annotations"]
    assert ann["io.github.berth.checkpoint.enabled"] == "false"
    assert "io.github.berth.criu.version" not in ann

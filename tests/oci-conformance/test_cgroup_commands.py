"""The commands that work through the container's cgroup: pause, resume, ps, update, events.

Effects are checked where they happen: a paused container's loop stops writing its file, ps is
compared with the host's cgroup.procs, update's values are read back from
/sys/fs/cgroup/<controller>/<path>/. The value checks are written for a cgroup v1 (legacy or
hybrid) host such as this one; on a pure cgroup v2 host they skip with that reason."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

CG = Path("/sys/fs/cgroup")


def _pure_v2():
    return subprocess.run(["stat", "-f", "-c", "%T", str(CG)], capture_output=True,
                          text=True).stdout.strip() == "cgroup2fs"


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
needs_v1 = pytest.mark.skipif(_pure_v2() or not (CG / "memory").is_dir(),
                              reason="value checks need cgroup v1 controllers (pure v2 host)")
LOOP = "while :; do echo x >> /tmp/f; sleep 0.1; done"


def host_read(ctl, cid, name):
    return (CG / ctl / "berth" / cid / name).read_text().strip()


def running(berth, bundle, cid, script=LOOP, resources=None):
    b = bundle()
    b.sh(script)
    b.remove_ns("cgroup")
    b.config["root"]["readonly"] = False
    if resources is not None:
        b.config.setdefault("linux", {})["resources"] = resources
    berth.create_and_start(cid, b)
    return b


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def size(p):
    try:
        return p.stat().st_size
    except FileNotFoundError:
        return 0


# ---- pause / resume ---------------------------------------------------------------------------


def test_pause_stops_the_container_and_resume_restarts_it(berth, bundle):
    cid = "cg-pause-" + os.urandom(3).hex()
    b = running(berth, bundle, cid)
    f = b.rootfs / "tmp" / "f"
    assert wait_for(lambda: size(f) > 0), "the loop never wrote"
    res = berth("pause", cid)
    assert res.returncode == 0, res
    assert berth.state(cid)["status"] == "paused"
    listed = json.loads(berth("list", "--format", "json").stdout)
    assert [c["status"] for c in listed if c["id"] == cid] == ["paused"]
    frozen = size(f)
    time.sleep(0.6)
    assert size(f) == frozen, "the file grew while paused"
    # a second pause and exec without --ignore-paused fail clearly
    res = berth("pause", cid)
    assert res.returncode != 0 and "paused" in res.stderr, res
    res = berth("exec", cid, "true")
    assert res.returncode != 0 and "paused" in res.stderr, res
    assert berth("resume", cid).returncode == 0
    assert berth.state(cid)["status"] == "running"
    assert wait_for(lambda: size(f) > frozen), "the file did not grow after resume"
    res = berth("resume", cid)
    assert res.returncode != 0 and "running" in res.stderr, res
    berth.kill(cid, "KILL")
    berth.wait_status(cid, "stopped")
    berth.delete(cid)


def test_pause_of_created_or_stopped_container_fails(berth, bundle):
    cid = "cg-pcr-" + os.urandom(3).hex()
    b = bundle()
    b.sh("true")
    berth.create(cid, b)
    res = berth("pause", cid)
    assert res.returncode != 0 and "created" in res.stderr, res
    berth.start(cid)
    berth.wait_status(cid, "stopped")
    res = berth("pause", cid)
    assert res.returncode != 0 and "stopped" in res.stderr, res
    res = berth("pause", "no-such-" + cid)
    assert res.returncode != 0 and "does not exist" in res.stderr, res
    berth.delete(cid)


def test_kill_paused_container(berth, bundle):
    cid = "cg-pkill-" + os.urandom(3).hex()
    running(berth, bundle, cid)
    assert berth("pause", cid).returncode == 0
    berth.kill(cid, "KILL")
    berth.wait_status(cid, "stopped", timeout=5)
    berth.delete(cid)


def test_delete_force_paused_container(berth, bundle):
    cid = "cg-pdel-" + os.urandom(3).hex()
    running(berth, bundle, cid)
    assert berth("pause", cid).returncode == 0
    res = berth("delete", cid)
    assert res.returncode != 0 and "paused" in res.stderr, res
    res = berth("delete", "--force", cid)
    assert res.returncode == 0, res
    assert not any(CG.glob(f"*/berth/{cid}"))


def test_exec_ignore_paused(berth, bundle):
    """exec --ignore-paused is accepted on a paused container; the new process is frozen too
    (it joins the frozen cgroup), so it runs once the container is resumed."""
    cid = "cg-pexec-" + os.urandom(3).hex()
    b = running(berth, bundle, cid)
    assert berth("pause", cid).returncode == 0
    p = berth.popen("exec", "--ignore-paused", cid, "sh", "-c", "echo hi > /tmp/exec-out")
    time.sleep(0.5)
    assert not (b.rootfs / "tmp" / "exec-out").exists()
    assert berth("resume", cid).returncode == 0
    assert p.wait(timeout=10) == 0
    assert (b.rootfs / "tmp" / "exec-out").read_text() == "hi\n"
    berth.delete(cid, "--force")

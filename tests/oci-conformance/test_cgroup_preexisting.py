"""A linux.cgroupsPath that exists before the container, in a state runc copes with (v1; the v2
frozen case is in the cgroup2 qemu guest): frozen (refused with runc's words instead of an init
stopped for ever in D state), or a cpuset parent with empty cpuset.cpus/cpuset.mems (filled
from its own parent, as runc does, instead of "write cgroup.procs: No space left on device")."""

import os
import time

import pytest

from test_cgroups import CG, _pure_v2, cg_dirs

needs_v1 = pytest.mark.skipif(_pure_v2() or not (CG / "freezer").is_dir()
                              or not (CG / "cpuset").is_dir(),
                              reason="needs the v1 freezer and cpuset hierarchies")


def remove_dirs(name):
    for d in sorted(cg_dirs(name), key=len, reverse=True):
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)


@needs_v1
@pytest.mark.parametrize("cmd", ["run", "create"])
def test_preexisting_frozen_cgroup_refused(berth, bundle, cmd):
    name = f"p16b-frozen-{cmd}-{os.urandom(3).hex()}"
    fz = CG / "freezer" / name
    fz.mkdir()
    try:
        (fz / "freezer.state").write_text("FROZEN")
        b = bundle(shared_rootfs=True, args=["true"])
        b.config["linux"]["cgroupsPath"] = f"/{name}"
        cid = f"p16b-frozen-{cmd}"
        if cmd == "run":
            res = berth.run(cid, b, "-d", timeout=15)
        else:
            res = berth.create(cid, b, check=False, timeout=15)
        assert res.returncode == 1, res
        assert "container's cgroup unexpectedly frozen" in res.stderr, res
        assert berth.state(cid, check=False) is None
        assert (fz / "cgroup.procs").read_text() == ""
        # what berth made in the other hierarchies is gone; the frozen one is the caller's
        assert cg_dirs(name) == [str(fz)]
    finally:
        (fz / "freezer.state").write_text("THAWED")
        remove_dirs(name)


@needs_v1
def test_preexisting_empty_cpuset_parent_filled(berth, bundle):
    name = f"p16b-cpuset-{os.urandom(3).hex()}"
    parent = CG / "cpuset" / name
    parent.mkdir()
    try:
        assert (parent / "cpuset.cpus").read_text().strip() == ""  # clone_children is 0
        b = bundle(shared_rootfs=True, args=["grep", "Cpus_allowed_list", "/proc/self/status"])
        b.config["linux"]["cgroupsPath"] = f"/{name}/ctr"
        out = berth.run_ok(b, "p16b-cpuset")
        root_cpus = (CG / "cpuset" / "cpuset.cpus").read_text().strip()
        assert out.split() == ["Cpus_allowed_list:", root_cpus], out
        assert (parent / "cpuset.cpus").read_text().strip() == root_cpus
        assert (parent / "cpuset.mems").read_text().strip() == \
            (CG / "cpuset" / "cpuset.mems").read_text().strip()
    finally:
        remove_dirs(name)

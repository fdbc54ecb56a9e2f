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

from conftest import assert_one_error_line
from test_cgroups import proc_cgroup

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
    assert res.returncode == 255 and "cannot exec in a paused container" in res.stderr, res
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


# ---- ps ---------------------------------------------------------------------------------------


def cgroup_pids(ctl, cid):
    return sorted(int(p) for p in host_read(ctl, cid, "cgroup.procs").split())


@needs_v1
def test_ps_lists_the_container_processes(berth, bundle):
    cid = "cg-ps-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60 & sleep 61")
    p = berth.popen("exec", cid, "sleep", "62")
    assert wait_for(lambda: len(cgroup_pids("pids", cid)) == 3), host_read("pids", cid,
                                                                             "cgroup.procs")
    res = berth("ps", "--format", "json", cid)
    assert res.returncode == 0, res
    pids = json.loads(res.stdout)
    assert sorted(pids) == cgroup_pids("pids", cid)
    init = berth.state(cid)["pid"]
    assert init in pids
    res = berth("ps", cid)
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert lines[0].split()[:2] == ["UID", "PID"], res
    cmds = sorted(line.split(None, 7)[7] for line in lines[1:])
    assert cmds == ["sleep 60", "sleep 61", "sleep 62"], res
    res = berth("ps", cid, "-o", "pid,comm")
    assert res.returncode == 0, res
    rows = [line.split() for line in res.stdout.splitlines()[1:]]
    assert sorted(int(r[0]) for r in rows) == sorted(pids) and {r[1] for r in rows} == {"sleep"}
    berth.delete(cid, "--force")
    p.wait(timeout=10)


# ---- update -----------------------------------------------------------------------------------


def blkio_weight_file(cid):
    blkio = CG / "blkio" / "berth" / cid
    for name in ("blkio.weight", "blkio.bfq.weight"):
        if (blkio / name).exists():
            return blkio / name
    return None


@needs_v1
def test_update_blkio_weight(berth, bundle):
    """--blkio-weight: written to blkio.weight (cfq) or blkio.bfq.weight (bfq); a kernel with
    neither (no cfq/bfq scheduler: mq-deadline, none) has no weight, and berth says so (runc
    1.1.5: 'open .../blkio.bfq.weight: no such file or directory')."""
    cid = "cg-blkw-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60")
    weight = blkio_weight_file(cid)
    res = berth("update", "--blkio-weight", "300", cid)
    if weight is None:
        assert res.returncode == 1 and "offers no blkio weight" in res.stderr, res
        berth.delete(cid, "--force")
        pytest.skip("this kernel offers no blkio weight (no cfq or bfq I/O scheduler): "
                    "only the error was checked")
    assert res.returncode == 0, res
    assert weight.read_text().split()[-1] == "300"
    berth.delete(cid, "--force")


@needs_v1
def test_update_resources_from_stdin_and_flags(berth, bundle):
    cid = "cg-upd-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60", resources={"pids": {"limit": 50}})
    resources = {"memory": {"limit": 96 * 1024 * 1024, "reservation": 32 * 1024 * 1024},
                 "cpu": {"shares": 300, "quota": 30000, "period": 100000, "cpus": "0"},
                 "pids": {"limit": 40}}
    res = berth("update", "--resources", "-", cid,
                stdin=open_text(json.dumps(resources)))
    assert res.returncode == 0, res
    assert host_read("memory", cid, "memory.limit_in_bytes") == str(96 * 1024 * 1024)
    assert host_read("memory", cid, "memory.soft_limit_in_bytes") == str(32 * 1024 * 1024)
    assert host_read("cpu", cid, "cpu.shares") == "300"
    assert host_read("cpu", cid, "cpu.cfs_quota_us") == "30000"
    assert host_read("cpuset", cid, "cpuset.cpus") == "0"
    assert host_read("pids", cid, "pids.max") == "40"
    res = berth("update", "--memory", "64m", "--memory-reservation", "16M", "--cpu-shares", "512",
                "--cpu-quota", "-1", "--cpu-period", "50000", "--pids-limit", "25", cid)
    assert res.returncode == 0, res
    assert host_read("memory", cid, "memory.limit_in_bytes") == str(64 * 1024 * 1024)
    assert host_read("memory", cid, "memory.soft_limit_in_bytes") == str(16 * 1024 * 1024)
    assert host_read("cpu", cid, "cpu.shares") == "512"
    assert host_read("cpu", cid, "cpu.cfs_quota_us") == "-1"
    assert host_read("cpu", cid, "cpu.cfs_period_us") == "50000"
    assert host_read("pids", cid, "pids.max") == "25"
    if (CG / "memory" / "berth" / cid / "memory.memsw.limit_in_bytes").exists():
        res = berth("update", "--memory", "128m", "--memory-swap", "256m", cid)
        assert res.returncode == 0, res
        assert host_read("memory", cid, "memory.memsw.limit_in_bytes") == str(256 << 20)
        assert host_read("memory", cid, "memory.limit_in_bytes") == str(128 << 20)
    # bad input names what is wrong
    res = berth("update", "--memory", "12q", cid)
    assert res.returncode != 0 and "--memory" in res.stderr, res
    res = berth("update", "-r", "-", cid, stdin=open_text('{"memory": {"limit": "x"}}'))
    assert res.returncode != 0 and "linux.resources.memory.limit" in res.stderr, res
    berth.delete(cid, "--force")
    res = berth("update", "--pids-limit", "5", cid)
    assert res.returncode != 0 and "does not exist" in res.stderr, res


@needs_v1
def test_update_rdma_errors_name_the_field(berth, bundle):
    """update --resources carries linux.resources.rdma: its parse errors name the JSON path, and
    on this host (no rdma cgroup controller) applying it is a clear error that changes nothing."""
    from test_cgroups import _rdma_controller_anywhere
    cid = "cg-upd-rdma-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60", resources={"pids": {"limit": 50}})
    res = berth("update", "-r", "-", cid,
                stdin=open_text('{"rdma": {"mlx5_0": {"hcaHandles": "x"}}}'))
    assert res.returncode != 0, res
    assert 'linux.resources.rdma["mlx5_0"].hcaHandles: expected number' in res.stderr, res
    res = berth("update", "-r", "-", cid, stdin=open_text('{"rdma": {"a b": {}}}'))
    assert res.returncode != 0 and 'linux.resources.rdma["a b"]' in res.stderr, res
    if not _rdma_controller_anywhere():
        res = berth("update", "-r", "-", cid,
                    stdin=open_text('{"rdma": {"mlx5_0": {"hcaHandles": 2}}}'))
        assert res.returncode != 0, res
        assert "linux.resources.rdma: the rdma cgroup controller is not mounted" in res.stderr, res
    assert host_read("pids", cid, "pids.max") == "50"
    assert berth.state(cid)["status"] == "running"
    berth.delete(cid, "--force")


@needs_v1
@needs_v1
@pytest.mark.skipif(not (CG / "cpu" / "cpu.rt_runtime_us").exists() or
                    not (CG / "cpu" / "cpu.idle").exists(),
                    reason="the v1 cpu controller has no cpu.rt_runtime_us or cpu.idle here")
def test_update_cpu_rt_and_idle_flags(berth, bundle):
    """runc's update --cpu-rt-period, --cpu-rt-runtime, --cpu-idle (engines pass them): the
    values land in the container's cpu cgroup. A top-level cgroupsPath, so the parent (the
    root) has the realtime budget the kernel takes the runtime from."""
    cid = "cg-updrt-" + os.urandom(3).hex()
    b = bundle()
    b.sh("sleep 60")
    b.remove_ns("cgroup")
    b.config["linux"]["cgroupsPath"] = f"/{cid}"
    berth.create_and_start(cid, b)
    cpu = CG / "cpu" / cid
    assert (cpu / "cpu.rt_runtime_us").read_text().strip() == "0"
    res = berth("update", "--cpu-rt-period", "500000", "--cpu-rt-runtime", "20000",
                "--cpu-idle", "1", cid)
    assert res.returncode == 0, res
    assert (cpu / "cpu.rt_period_us").read_text().strip() == "500000"
    assert (cpu / "cpu.rt_runtime_us").read_text().strip() == "20000"
    assert (cpu / "cpu.idle").read_text().strip() == "1"
    res = berth("update", "--cpu-idle", "0", cid)
    assert res.returncode == 0, res
    assert (cpu / "cpu.idle").read_text().strip() == "0"
    assert (cpu / "cpu.rt_runtime_us").read_text().strip() == "20000"
    res = berth("update", "--cpu-idle", "2", cid)
    assert res.returncode != 0 and "--cpu-idle" in res.stderr, res


@needs_v1
def test_exec_cgroup_puts_the_process_in_a_sub_cgroup(berth, bundle):
    """runc's exec --cgroup [CONTROLLER:]PATH: the exec'd process runs in the existing
    sub-cgroup, per controller; other hierarchies keep the container's cgroup; paths cannot
    leave the container's cgroup"""
    cid = "cg-execsub-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60")
    base = f"/berth/{cid}"
    (CG / "cpu" / "berth" / cid / "sub").mkdir()
    (CG / "memory" / "berth" / cid / "msub").mkdir()
    res = berth("exec", "--cgroup", "cpu:sub", "--cgroup", "memory:msub", cid,
                "cat", "/proc/self/cgroup")
    assert res.returncode == 0, res
    seen = proc_cgroup(res.stdout)
    assert seen["cpu"] == f"{base}/sub", res.stdout
    assert seen["memory"] == f"{base}/msub", res.stdout
    assert seen["pids"] == base, res.stdout
    # a plain PATH is for every hierarchy: pids has no "sub", and berth does not create it
    res = berth("exec", "--cgroup", "sub", cid, "true")
    assert res.returncode == 255 and "does not create it" in res.stderr, res
    assert not (CG / "pids" / "berth" / cid / "sub").exists()
    for bad in ["../escape", "/berth", "cpu:sub/../..", "cpu:", "nosuchctl:sub", ":sub"]:
        res = berth("exec", "--cgroup", bad, cid, "sh", "-c", "echo RAN")
        assert res.returncode == 255, (bad, res)
        assert f'--cgroup "{bad}"' in res.stderr and "RAN" not in res.stdout, (bad, res)
    assert not (CG / "cpu" / "berth" / "escape").exists()
    # the container's processes: its init, nothing left in the sub-cgroups
    assert (CG / "cpu" / "berth" / cid / "sub" / "cgroup.procs").read_text() == ""


def test_update_intel_rdt_flags_need_intel_rdt(berth, bundle):
    """runc's update --l3-cache-schema / --mem-bw-schema write the container's resctrl group;
    a container created without linux.intelRdt has none (runc would make one: berth refuses,
    the group is chosen at create), and bad values are refused before anything is written"""
    cid = "cg-updrdt-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60", resources={"pids": {"limit": 50}})
    res = berth("update", "--l3-cache-schema", "L3:0=ff", cid)
    assert_one_error_line(res, f'--l3-cache-schema: container "{cid}" has no linux.intelRdt')
    res = berth("update", "--mem-bw-schema", "MB:0=50", "--pids-limit", "60", cid)
    assert_one_error_line(res, f'--mem-bw-schema: container "{cid}" has no linux.intelRdt')
    res = berth("update", "--mem-bw-schema", "L3:0=ff", cid)
    assert_one_error_line(res, '--mem-bw-schema "L3:0=ff": must start with "MB:"')
    res = berth("update", "--l3-cache-schema", "L3:0=ff\nMB:0=1", cid)
    assert_one_error_line(res, "--l3-cache-schema: must not contain a newline")
    state = json.loads(berth("state", cid).stdout)
    assert state["status"] == "running", state
    if not _pure_v2():
        assert host_read("pids", cid, "pids.max") == "50"  # --pids-limit 60 was not applied


def test_update_zero_means_unchanged(berth, bundle):
    """docker update sends every field, 0 or "" for what it leaves alone (runc's contract):
    `docker update --memory 128m` failed with cpu.cfs_period_us "0": Invalid argument."""
    cid = "cg-upd0-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60",
            resources={"memory": {"limit": 64 << 20}, "pids": {"limit": 50},
                       "cpu": {"shares": 512, "quota": 30000, "period": 100000}})
    cpus = host_read("cpuset", cid, "cpuset.cpus")
    docker_like = {"memory": {"limit": 128 << 20, "reservation": 0, "kernel": 0},
                   "cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "", "mems": ""},
                   "blockIO": {"weight": 0}, "pids": {"limit": 0}}
    res = berth("update", "--resources", "-", cid, stdin=open_text(json.dumps(docker_like)))
    assert res.returncode == 0, res
    assert res.stderr == "", res
    assert host_read("memory", cid, "memory.limit_in_bytes") == str(128 << 20)
    assert host_read("cpu", cid, "cpu.shares") == "512"
    assert host_read("cpu", cid, "cpu.cfs_quota_us") == "30000"
    assert host_read("cpu", cid, "cpu.cfs_period_us") == "100000"
    assert host_read("cpuset", cid, "cpuset.cpus") == cpus
    assert host_read("pids", cid, "pids.max") == "50"
    docker_like = {"memory": {"limit": 0, "reservation": 0, "kernel": 0},
                   "cpu": {"shares": 0, "quota": 50000, "period": 100000, "cpus": "", "mems": ""}}
    res = berth("update", "--resources", "-", cid, stdin=open_text(json.dumps(docker_like)))
    assert res.returncode == 0, res
    assert host_read("cpu", cid, "cpu.cfs_quota_us") == "50000"
    assert host_read("memory", cid, "memory.limit_in_bytes") == str(128 << 20)


def open_text(text):
    import tempfile
    f = tempfile.TemporaryFile()
    f.write(text.encode())
    f.seek(0)
    return f


# ---- events -----------------------------------------------------------------------------------


@needs_v1
def test_events_stats(berth, bundle):
    cid = "cg-ev-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60 & sleep 61", resources={"pids": {"limit": 50}})
    assert wait_for(lambda: len(cgroup_pids("pids", cid)) == 2)
    res = berth("events", "--stats", cid)
    assert res.returncode == 0, res
    ev = json.loads(res.stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    data = ev["data"]
    assert data["pids"] == {"current": 2, "limit": 50}
    assert data["memory"]["usage"]["usage"] > 0
    assert data["cpu"]["usage"]["total"] > 0
    assert "blkio" in data and "hugetlb" in data


@needs_v1
def test_events_stream_ends_when_the_container_stops(berth, bundle):
    cid = "cg-evs-" + os.urandom(3).hex()
    running(berth, bundle, cid, script="sleep 60")
    p = berth.popen("events", "--interval", "100ms", cid)
    time.sleep(0.5)
    berth.kill(cid, "KILL")
    assert p.wait(timeout=5) == 0
    lines = Path(p.out_path).read_text().splitlines()
    assert len(lines) >= 2 and all(json.loads(x)["type"] == "stats" for x in lines)
    berth.delete(cid)


@needs_v1
def test_events_reports_oom(berth, bundle):
    cid = "cg-oom-" + os.urandom(3).hex()
    mib = 1024 * 1024
    running(berth, bundle, cid,
            # the allocating subshell volunteers as the OOM victim: under load the
            # kernel otherwise sometimes picked PID 1 and the container was gone
            script='sleep 0.5; (echo 1000 >/proc/self/oom_score_adj; '
                   'x=$(head -c 60000000 /dev/zero | tr "\\0" a)); sleep 60',
            resources={"memory": {"limit": 16 * mib, "swap": 16 * mib}})
    p = berth.popen("events", "--interval", "100ms", cid)
    found = wait_for(lambda: '"oom"' in Path(p.out_path).read_text(), timeout=10)
    berth.kill(cid, "KILL")
    p.wait(timeout=5)
    assert found, Path(p.out_path).read_text()[-500:]
    assert {"type": "oom", "id": cid} in [json.loads(x) for x in
                                          Path(p.out_path).read_text().splitlines()]
    berth.delete(cid)

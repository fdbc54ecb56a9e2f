"""podman 4.3 (with conmon) running containers through berth (--runtime /abs/path/berth)."""
import re
import uuid

import pytest

from conftest import (IMAGE, SYS_SCRIPT, USER_CAPDROP_SCRIPT, check_sys_and_cgroup_mounts,
                      check_user_capdrop_readonly, host_cgroup_file, lines, needs_v1, run,
                      under_pty)


def name():
    return "pm-" + uuid.uuid4().hex[:8]


def test_run_rm_echo(podman):
    res = podman("run", "--rm", *podman.run_opts, IMAGE, "echo", "hello")
    assert res.returncode == 0, res
    assert res.stdout == "hello\n", res


def test_runtime_is_berth(podman):
    n = name()
    res = podman("create", "--name", n, *podman.run_opts, IMAGE, "true")
    assert res.returncode == 0, res
    res = podman("inspect", "--format", "{{.OCIRuntime}}", n)
    podman("rm", "-f", n)
    assert res.stdout.strip() == str(podman.berth), res


@pytest.mark.parametrize("cmd,status", [(["sh", "-c", "exit 7"], 7),
                                        (["/nope"], 127), (["/etc/passwd"], 126)],
                         ids=["exit-7", "missing-127", "not-executable-126"])
def test_exit_code_propagation(podman, cmd, status):
    res = podman("run", "--rm", *podman.run_opts, IMAGE, *cmd)
    assert res.returncode == status, res
    if status == 127:
        assert "no such file or directory" in res.stderr, res
    if status == 126:
        assert "permission denied" in res.stderr, res


def test_detached_ps_exec_stop_rm(podman):
    n = name()
    res = podman("run", "-d", "--name", n, *podman.run_opts, IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        res = podman("ps", "--format", "{{.Names}} {{.Status}}")
        assert any(l.startswith(f"{n} Up") for l in lines(res.stdout)), res
        res = podman("exec", n, "sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 5")
        assert res.returncode == 5, res
        assert res.stdout.startswith("in-exec\nsleep"), res
        res = podman("top", n)
        assert res.returncode == 0 and "sleep 300" in res.stdout, res
        res = podman("stop", "--time", "1", n)
        assert res.returncode == 0, res
        res = podman("ps", "-a", "--format", "{{.Names}} {{.Status}}")
        assert any(l.startswith(f"{n} Exited") for l in lines(res.stdout)), res
    finally:
        res = podman("rm", "-f", n)
    assert res.returncode == 0, res
    assert n not in podman("ps", "-a", "--format", "{{.Names}}").stdout


@needs_v1()
def test_memory_and_pids_limit(podman):
    script = ("cat /proc/self/cgroup | grep -E ':(memory|pids):'; "
              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; "
              "echo $$ >/dev/null; sleep 30")
    n = name()
    res = podman("run", "-d", "--name", n, "--memory", "64m", "--pids-limit", "77",
                 *podman.run_opts, IMAGE, "sh", "-c", script)
    assert res.returncode == 0, res
    try:
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", n).stdout)
        # on the host: the container's cgroup, below podman's --cgroup-parent
        mem = host_cgroup_file(pid, "memory", "memory.limit_in_bytes")
        assert podman.cgroup_parent in str(mem), mem
        assert mem.read_text().strip() == str(64 << 20)
        assert host_cgroup_file(pid, "pids", "pids.max").read_text().strip() == "77"
        # from inside: the same cgroup, the same values
        out = podman("exec", n, "sh", "-c",
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max")
        assert lines(out.stdout) == [str(64 << 20), "77"], out
    finally:
        podman("rm", "-f", "-t", "0", n)


@pytest.mark.parametrize("cgroupns", ["host", "private"])
def test_cgroup_mounts_are_the_containers_own(podman, cgroupns):
    """Without a cgroup namespace (podman's default on cgroup v1) every hierarchy mounted under
    /sys/fs/cgroup is bound at the container's own cgroup, the hybrid host's unified one too;
    in one, each is rooted at the namespace's root, the container's cgroup."""
    res = podman("run", "--rm", "--cgroupns", cgroupns, *podman.run_opts, IMAGE, "sh", "-c",
                 SYS_SCRIPT)
    mounts = check_sys_and_cgroup_mounts(res, ["lo"])
    assert any(t.startswith("cgroup") for _, _, t in mounts), mounts


def test_user_capdrop_readonly(podman):
    res = podman("run", "--rm", "--user", "1000:1000", "--cap-drop", "ALL", "--read-only",
                 *podman.run_opts, IMAGE, "sh", "-c", USER_CAPDROP_SCRIPT)
    out = check_user_capdrop_readonly(res)
    # podman's --read-only-tmpfs: a tmpfs on /tmp, writable by anyone (1777) like with runc
    assert "tmp-writable" in out, res


def test_run_it_with_a_tty(podman):
    rc, out = under_pty(podman.argv("run", "-it", "--rm", *podman.run_opts, IMAGE,
                                    "sh", "-c", "tty; stty size; exit 3"), rows=27, cols=83)
    assert rc == 3, out
    assert re.search(r"^/dev/(pts/\d+|console)$", out, re.M), out
    assert "27 83" in lines(out), out


def test_exec_it_with_a_tty(podman):
    n = name()
    res = podman("run", "-d", "--name", n, *podman.run_opts, IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        rc, out = under_pty(podman.argv("exec", "-it", n, "sh", "-c", "tty; exit 4"))
        assert rc == 4, out
        assert re.search(r"^/dev/pts/\d+$", out, re.M), out
    finally:
        podman("rm", "-f", "-t", "0", n)


def _has_command(berth, cmd):
    return run([berth, "help", cmd]).returncode == 0


def test_pause_unpause(podman):
    if not _has_command(podman.berth, "pause"):
        pytest.skip("berth has no pause/resume yet")
    n = name()
    res = podman("run", "-d", "--name", n, *podman.run_opts, IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", n).stdout)
        assert podman("pause", n).returncode == 0
        assert podman("inspect", "--format", "{{.State.Status}}", n).stdout.strip() == "paused"
        freezer = host_cgroup_file(pid, "freezer", "freezer.state")
        if freezer is not None:
            assert freezer.read_text().strip() == "FROZEN"
        assert podman("unpause", n).returncode == 0
        assert podman("inspect", "--format", "{{.State.Status}}", n).stdout.strip() == "running"
        if freezer is not None:
            assert freezer.read_text().strip() == "THAWED"
        res = podman("exec", n, "true")
        assert res.returncode == 0, res
    finally:
        podman("rm", "-f", "-t", "0", n)


@needs_v1()
def test_update(podman):
    if not _has_command(podman.berth, "update"):
        pytest.skip("berth has no update yet")
    n = name()
    res = podman("run", "-d", "--name", n, "--memory", "64m", *podman.run_opts, IMAGE,
                 "sleep", "300")
    assert res.returncode == 0, res
    try:
        res = podman("update", "--memory", "128m", "--cpu-shares", "300", n)
        assert res.returncode == 0, res
        out = podman("exec", n, "sh", "-c",
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares")
        assert lines(out.stdout) == [str(128 << 20), "300"], out
    finally:
        podman("rm", "-f", "-t", "0", n)

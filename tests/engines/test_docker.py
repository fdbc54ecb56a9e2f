"""Docker (Debian's docker.io: dockerd 20.10, its managed containerd and the runc v2 shim) with
berth registered in daemon.json "runtimes" and chosen with --runtime berth.

Docker's config always carries a prestart hook (/proc/<dockerd pid>/exe libnetwork-setkey),
its default seccomp profile and rlimits; `update` sends the whole resources JSON on stdin
(update --resources -), 0 for what it leaves alone."""
import re
import uuid

import pytest

from conftest import (SYS_SCRIPT, USER_CAPDROP_SCRIPT, check_sys_and_cgroup_mounts,
                      check_user_capdrop_readonly, host_cgroup_file, lines, needs_v1, under_pty)

IMAGE = "busybox:latest"


def name():
    return "dk-" + uuid.uuid4().hex[:8]


def opts():
    return ["--runtime", "berth", "--network", "none"]


def test_run_rm_echo(docker):
    res = docker("run", "--rm", *opts(), IMAGE, "echo", "hello")
    assert res.returncode == 0, res
    assert res.stdout == "hello\n", res


def test_runtime_is_berth(docker):
    n = name()
    res = docker("create", "--name", n, *opts(), IMAGE, "true")
    assert res.returncode == 0, res
    res = docker("inspect", "--format", "{{.HostConfig.Runtime}}", n)
    docker("rm", "-f", n)
    assert res.stdout.strip() == "berth", res


@pytest.mark.parametrize("cmd,status", [(["sh", "-c", "exit 11"], 11), (["/nope"], 127)],
                         ids=["exit-11", "missing-127"])
def test_exit_code(docker, cmd, status):
    res = docker("run", "--rm", *opts(), IMAGE, *cmd)
    assert res.returncode == status, res
    if status == 127:
        assert 'exec: "/nope": no such file or directory' in res.stderr, res


def test_detached_exec_top_restart_stop_rm(docker):
    n = name()
    res = docker("run", "-d", "--name", n, *opts(), IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        res = docker("exec", n, "sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 3")
        assert res.returncode == 3, res
        assert res.stdout.startswith("in-exec\nsleep"), res
        res = docker("top", n)
        assert res.returncode == 0 and "sleep 300" in res.stdout, res
        pid1 = docker("inspect", "--format", "{{.State.Pid}}", n).stdout.strip()
        res = docker("restart", "-t", "1", n)
        assert res.returncode == 0, res
        pid2 = docker("inspect", "--format", "{{.State.Pid}}", n).stdout.strip()
        assert pid2 != pid1 and docker("exec", n, "true").returncode == 0
        res = docker("stop", "-t", "1", n)
        assert res.returncode == 0, res
        st = docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", n)
        assert st.stdout.split() == ["exited", "137"], st
    finally:
        res = docker("rm", "-f", n)
    assert res.returncode == 0, res
    assert n not in docker("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_exec_it_and_run_it(docker):
    """A tty for run -it and exec -it. Docker 20.10 sets the size only after the process
    started (no consoleSize), so what asks at once may see 0x0 with runc too: the size is
    read after a second."""
    rc, out = under_pty(docker.argv("run", "--rm", "-it", *opts(), IMAGE,
                                    "sh", "-c", "tty; sleep 1; stty size; exit 2"),
                        rows=30, cols=100)
    assert rc == 2 and re.search(r"^/dev/(pts/\d+|console)$", out, re.M), out
    assert "30 100" in lines(out), out
    n = name()
    assert docker("run", "-d", "--name", n, *opts(), IMAGE, "sleep", "300").returncode == 0
    try:
        rc, out = under_pty(docker.argv("exec", "-it", n, "sh", "-c", "tty; exit 4"))
        assert rc == 4 and re.search(r"^/dev/pts/\d+$", out, re.M), out
    finally:
        docker("rm", "-f", n)


@needs_v1()
def test_memory_pids_pause_update(docker):
    n = name()
    res = docker("run", "-d", "--name", n, "--memory", "64m", "--pids-limit", "55", *opts(),
                 IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        pid = int(docker("inspect", "--format", "{{.State.Pid}}", n).stdout)
        mem = host_cgroup_file(pid, "memory", "memory.limit_in_bytes")
        assert mem.read_text().strip() == str(64 << 20)
        out = docker("exec", n, "sh", "-c",
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max")
        assert lines(out.stdout) == [str(64 << 20), "55"], out

        assert docker("pause", n).returncode == 0
        assert host_cgroup_file(pid, "freezer", "freezer.state").read_text().strip() == "FROZEN"
        assert docker("inspect", "--format", "{{.State.Status}}", n).stdout.strip() == "paused"
        assert docker("unpause", n).returncode == 0
        assert host_cgroup_file(pid, "freezer", "freezer.state").read_text().strip() == "THAWED"

        # docker sends cpu.period 0, cpu.shares 0, cpus "" for what it does not change
        res = docker("update", "--memory", "128m", "--memory-swap", "256m", n)
        assert res.returncode == 0, res
        assert mem.read_text().strip() == str(128 << 20)
        res = docker("update", "--cpus", "0.5", n)
        assert res.returncode == 0, res
        quota = host_cgroup_file(pid, "cpu", "cpu.cfs_quota_us").read_text().strip()
        assert quota == "50000" and mem.read_text().strip() == str(128 << 20)
    finally:
        docker("rm", "-f", n)


def test_user_capdrop_readonly(docker):
    res = docker("run", "--rm", "--user", "1000:1000", "--cap-drop", "ALL", "--read-only",
                 *opts(), IMAGE, "sh", "-c", USER_CAPDROP_SCRIPT)
    check_user_capdrop_readonly(res)


NS = "for n in net ipc; do readlink /proc/self/ns/$n; done"


@pytest.mark.parametrize("kind,sysctl,read", [
    ("network", "net.ipv4.ip_unprivileged_port_start=83",
     "/proc/sys/net/ipv4/ip_unprivileged_port_start"),
    ("ipc", "kernel.msgmax=45678", "/proc/sys/kernel/msgmax")])
def test_namespace_of_another_container_with_sysctl(docker, kind, sysctl, read):
    """--network/--ipc container:X --sysctl: Docker passes X's namespace by path (issue 12)."""
    first = name()
    res = docker("run", "-d", "--name", first, "--ipc", "shareable", *opts(), IMAGE,
                 "sleep", "300")
    assert res.returncode == 0, res
    try:
        ns_opts = ["--runtime", "berth", f"--{kind}", f"container:{first}"]
        if kind == "ipc":
            ns_opts += ["--network", "none"]
        script = f"{NS}; cat {read}"
        res = docker("run", "--rm", *ns_opts, "--sysctl", sysctl, IMAGE, "sh", "-c", script)
        assert res.returncode == 0, res
        second = lines(res.stdout)
        res = docker("exec", first, "sh", "-c", script)
        assert res.returncode == 0, res
        mine = lines(res.stdout)
        idx = 0 if kind == "network" else 1
        assert second[idx] == mine[idx], (mine, second)
        assert second[2] == mine[2] == sysctl.split("=")[1], (mine, second)
    finally:
        docker("rm", "-f", first)


def test_network_of_another_container_sysfs(docker):
    """--network container:X gives X's namespace by path: /sys is a fresh sysfs showing X's
    devices (lo alone with --network none), not the host's /sys and its submounts."""
    first = name()
    res = docker("run", "-d", "--name", first, *opts(), IMAGE, "sleep", "300")
    assert res.returncode == 0, res
    try:
        res = docker("run", "--rm", "--runtime", "berth", "--network", f"container:{first}",
                     IMAGE, "sh", "-c", SYS_SCRIPT)
        check_sys_and_cgroup_mounts(res, ["lo"])
    finally:
        docker("rm", "-f", first)


def test_sysctl_in_own_namespaces(docker):
    res = docker("run", "--rm", *opts(), "--sysctl", "net.ipv4.ip_unprivileged_port_start=84",
                 "--sysctl", "kernel.shmmni=2048", IMAGE, "sh", "-c",
                 "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni "
                 "/sys/class/net/lo/flags")
    assert res.returncode == 0, res
    out = lines(res.stdout)
    assert out[:2] == ["84", "2048"] and int(out[2], 16) & 1, res

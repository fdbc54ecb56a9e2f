"""containerd 1.6 (its runc v2 shim) running tasks through berth (ctr run --runc-binary).

The shim calls berth with `--root ... --log <bundle>/log.json --log-format json` before the
command and shows the last "error" line of log.json when a command fails."""
import re
import time
import uuid

import pytest

from conftest import host_cgroup_file, lines, needs_v1, under_pty


def cid():
    return "ctr-" + uuid.uuid4().hex[:8]


def test_run_rm_echo(containerd):
    res = containerd(*containerd.run_argv("--rm", cid=cid(), args=["echo", "hi"])[1:])
    assert res.returncode == 0, res
    assert res.stdout == "hi\n", res


@pytest.mark.parametrize("cmd,status", [(["sh", "-c", "exit 9"], 9)], ids=["exit-9"])
def test_exit_code(containerd, cmd, status):
    res = containerd(*containerd.run_argv("--rm", cid=cid(), args=cmd)[1:])
    assert res.returncode == status, res


def test_failed_create_shows_berths_error(containerd):
    """The shim reads the reason from log.json (--log-format json)."""
    c = cid()
    res = containerd(*containerd.run_argv("--rm", cid=c, args=["/nope"])[1:])
    containerd("container", "delete", c)
    assert res.returncode != 0, res
    assert 'exec: "/nope": no such file or directory' in res.stderr, res


def test_run_tty(containerd):
    """ctr resizes the pty only after the task started (runc has the same race), so the size
    is checked once the container has had time to get it."""
    rc, out = under_pty(containerd.run_argv("--rm", "--tty", cid=cid(),
                                            args=["sh", "-c", "tty; sleep 1; stty size; exit 2"]),
                        rows=30, cols=100)
    assert rc == 2, out
    assert re.search(r"^/dev/(pts/\d+|console)$", out, re.M), out
    assert "30 100" in lines(out), out


def test_caps_dropped_and_read_only(containerd):
    script = ("grep -E '^CapEff:' /proc/self/status; "
              "touch /x 2>/dev/null && echo root-writable || echo root-readonly")
    res = containerd(*containerd.run_argv("--rm", "--read-only", "--cap-drop", "CAP_CHOWN",
                                          "--cap-drop", "CAP_NET_RAW", cid=cid(),
                                          args=["sh", "-c", script])[1:])
    assert res.returncode == 0, res
    out = lines(res.stdout)
    eff = int(out[0].split()[1], 16)
    assert eff & (1 << 0) == 0 and eff & (1 << 13) == 0, out  # CAP_CHOWN, CAP_NET_RAW gone
    assert eff & (1 << 1), out  # CAP_DAC_OVERRIDE kept
    assert "root-readonly" in out, res


def _task_pid(containerd, c):
    for line in containerd("task", "ls").stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0] == c:
            return int(f[1]), f[2]
    return None, None


def _wait_task_status(containerd, c, status, timeout=10):
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        _, st = _task_pid(containerd, c)
        if st == status:
            return True
        time.sleep(0.1)
    raise AssertionError(f"task {c}: status {st}, wanted {status}")


@needs_v1()
def test_detached_task_exec_ps_pause_kill_delete(containerd):
    c = cid()
    res = containerd(*containerd.run_argv("-d", "--memory-limit", str(64 << 20), cid=c,
                                          args=["sleep", "300"])[1:])
    assert res.returncode == 0, res
    try:
        _wait_task_status(containerd, c, "RUNNING")
        pid, _ = _task_pid(containerd, c)
        mem = host_cgroup_file(pid, "memory", "memory.limit_in_bytes")
        assert containerd.namespace in str(mem), mem
        assert mem.read_text().strip() == str(64 << 20)

        res = containerd("task", "exec", "--exec-id", "e1", c, "sh", "-c",
                         "echo in-exec; cat /proc/1/cmdline; exit 6")
        assert res.returncode == 6, res
        assert res.stdout.startswith("in-exec\nsleep"), res
        rc, out = under_pty(containerd.argv("task", "exec", "--tty", "--exec-id", "e2", c,
                                            "sh", "-c", "tty; exit 0"))
        assert rc == 0 and re.search(r"^/dev/pts/\d+$", out, re.M), out

        res = containerd("task", "ps", c)
        assert res.returncode == 0 and str(pid) in res.stdout.split(), res

        res = containerd("task", "pause", c)
        assert res.returncode == 0, res
        _wait_task_status(containerd, c, "PAUSED")
        freezer = host_cgroup_file(pid, "freezer", "freezer.state")
        assert freezer.read_text().strip() == "FROZEN"
        res = containerd("task", "resume", c)
        assert res.returncode == 0, res
        _wait_task_status(containerd, c, "RUNNING")
        assert freezer.read_text().strip() == "THAWED"

        res = containerd("task", "kill", "-s", "KILL", c)
        assert res.returncode == 0, res
        _wait_task_status(containerd, c, "STOPPED")
        res = containerd("task", "delete", c)
        assert res.returncode == 0, res
        assert _task_pid(containerd, c) == (None, None)
    finally:
        containerd("task", "delete", "--force", c)
        containerd("container", "delete", c)
    assert c not in containerd("container", "ls", "-q").stdout.split()


def test_loopback_is_up(containerd):
    """ctr run gives a new network namespace and does not touch lo: the runtime sets it up, as
    runc does (issue 12)."""
    script = ("cat /sys/class/net/lo/flags; (nc -l -p 8080 > /dev/null &); i=0; "
              "while ! echo hi | nc -w 1 127.0.0.1 8080 2>/dev/null; do i=$((i+1)); "
              "[ $i -gt 50 ] && exit 3; usleep 20000; done; echo reached")
    res = containerd(*containerd.run_argv("--rm", cid=cid(), args=["sh", "-c", script])[1:])
    assert res.returncode == 0, res
    out = lines(res.stdout)
    assert int(out[0], 16) & 1 and out[-1] == "reached", res

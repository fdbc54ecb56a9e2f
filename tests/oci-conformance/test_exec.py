"""berth exec: a new process joins every namespace of a running container,
gets its identity from the flags or a process.json, and its exit status."""
import json
import os
import signal
import socket
from pathlib import Path

import pytest

from conftest import pid_alive, wait_for
from test_process import read_pty, recv_pty_master


def running(berth, bundle, cid, **kw):
    b = bundle(shared_rootfs=True, args=["sleep", "60"], **kw)
    berth.create_and_start(cid, b)
    return b


def test_exec_joins_container_namespaces(berth, bundle):
    running(berth, bundle, "ex1")
    pid = berth.state("ex1")["pid"]
    res = berth("exec", "ex1", "sh", "-c", "for n in pid mnt net ipc uts; do readlink /proc/self/ns/$n; done")
    assert res.returncode == 0, res
    want = [os.readlink(f"/proc/{pid}/ns/{n}") for n in ("pid", "mnt", "net", "ipc", "uts")]
    assert res.stdout.split() == want, res


def test_exec_exit_status(berth, bundle):
    running(berth, bundle, "ex2")
    assert berth("exec", "ex2", "sh", "-c", "exit 7").returncode == 7


def test_exec_sees_container_pid1_and_hostname(berth, bundle):
    running(berth, bundle, "ex3")
    res = berth("exec", "ex3", "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert lines[0] == "berth"
    assert lines[1].startswith("sleep 60")


def test_exec_user_env_cwd(berth, bundle):
    running(berth, bundle, "ex4")
    res = berth("exec", "--user", "1000:1000", "-e", "FOO=bar", "--cwd", "/tmp",
                "ex4", "sh", "-c", "id -u; id -g; echo $FOO; pwd")
    assert res.returncode == 0, res
    assert res.stdout.split() == ["1000", "1000", "bar", "/tmp"]


def test_exec_caps_and_nnp(berth, bundle):
    b = running(berth, bundle, "ex5")
    res = berth("exec", "--cap", "CAP_SYS_ADMIN", "--no-new-privs", "ex5",
                "grep", "-E", "CapEff|NoNewPrivs", "/proc/self/status")
    assert res.returncode == 0, res
    eff = int(res.stdout.split("CapEff:")[1].split()[0], 16)
    assert eff & (1 << 21), res.stdout  # CAP_SYS_ADMIN added
    assert "NoNewPrivs:\t1" in res.stdout


def test_exec_process_json(berth, bundle, tmp_path):
    running(berth, bundle, "ex6")
    proc = {"cwd": "/", "args": ["sh", "-c", "echo from-json $X; id -u"],
            "env": ["X=1", "PATH=/bin"], "user": {"uid": 5, "gid": 5}}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    res = berth("exec", "--process", f, "ex6")
    assert res.returncode == 0, res
    assert res.stdout.split() == ["from-json", "1", "5"]


def test_exec_no_fd_leak(berth, bundle):
    running(berth, bundle, "ex7")
    res = berth("exec", "ex7", "ls", "/proc/self/fd")
    assert res.returncode == 0, res
    assert sorted(res.stdout.split()) == ["0", "1", "2", "3"], res  # 3: ls's own dir fd


def test_exec_exe_is_not_berth(berth, bundle):
    """CVE-2019-5736: while berth enters the container its /proc/PID/exe must
    not be reachable from inside; once exec'd, exe is the container's binary."""
    running(berth, bundle, "ex8")
    res = berth("exec", "ex8", "sh", "-c", "readlink /proc/self/exe")
    assert res.returncode == 0, res
    assert res.stdout.strip() == "/bin/busybox"


def test_exec_detach_pid_file(berth, bundle, tmp_path):
    running(berth, bundle, "ex9")
    pidfile = tmp_path / "exec.pid"
    res = berth("exec", "-d", "--pid-file", pidfile, "ex9", "sleep", "30")
    assert res.returncode == 0, res
    pid = int(pidfile.read_text())
    assert open(f"/proc/{pid}/cmdline").read().startswith("sleep")
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(
        f"/proc/{berth.state('ex9')['pid']}/ns/pid")


def test_exec_missing_binary(berth, bundle):
    running(berth, bundle, "ex10")
    res = berth("exec", "ex10", "/bin/nope")
    assert res.returncode == 127, res
    assert "no such file or directory" in res.stderr
    res = berth("exec", "ex10", "nope-not-in-path")
    assert res.returncode == 127, res
    assert "executable file not found in $PATH" in res.stderr
    res = berth("exec", "ex10", "/etc/passwd")
    assert res.returncode == 126, res
    assert "permission denied" in res.stderr
    assert berth.state("ex10")["status"] == "running"


def test_exec_stopped_container_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create_and_start("ex11", b)
    berth.wait_status("ex11", "stopped")
    res = berth("exec", "ex11", "true")
    assert res.returncode == 255
    assert "stopped" in res.stderr


def test_exec_bad_input(berth, bundle, tmp_path):
    running(berth, bundle, "ex12")
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"cwd": "rel", "args": ["true"]}))
    empty = tmp_path / "empty-args.json"
    empty.write_text(json.dumps({"cwd": "/", "args": []}))
    missing = tmp_path / "missing.json"
    for args in (["--process", bad, "ex12"], ["--process", empty, "ex12"],
                 ["--process", missing, "ex12"], ["--cap", "CAP_BOGUS", "ex12", "true"],
                 ["--cwd", "relative", "ex12", "true"], ["ex12"],
                 ["-e", "NOEQUALS", "ex12", "true"], ["--env", "=v", "ex12", "true"],
                 ["-t", "--console-socket", tmp_path / "nope.sock", "ex12", "true"]):
        res = berth("exec", *args)
        assert res.returncode == 255, (args, res)
        assert len([l for l in res.stderr.splitlines() if l.strip()]) == 1, res
    # the message names the field or the flag
    assert "process.json: cwd" in berth("exec", "--process", bad, "ex12").stderr
    assert "args" in berth("exec", "--process", empty, "ex12").stderr
    assert "CAP_BOGUS" in berth("exec", "--cap", "CAP_BOGUS", "ex12", "true").stderr
    assert "nope.sock" in berth("exec", "-t", "--console-socket", tmp_path / "nope.sock", "ex12",
                                "true").stderr
    st = berth.state("ex12")
    assert st["status"] == "running" and pid_alive(st["pid"])
    # nothing the failed execs started is left in the container
    res = berth("exec", "ex12", "ps", "-o", "comm")
    assert sorted(res.stdout.split()[1:]) == ["ps", "sleep"], res


@pytest.mark.parametrize("value", ["-1", "abc", "65537"])
def test_exec_preserve_fds_checked(berth, bundle, value):
    """--preserve-fds as create's: a negative count would have marked stderr close-on-exec, a
    non-number meant 0: both are usage errors now, the process does not run"""
    running(berth, bundle, "ex16")
    res = berth("exec", "--preserve-fds", value, "ex16", "sh", "-c", "echo RAN")
    assert res.returncode == 1, res
    assert "--preserve-fds" in res.stderr and "RAN" not in res.stdout, res
    assert len([l for l in res.stderr.splitlines() if l.strip()]) == 1, res


def test_exec_env_flag_overrides_and_home(berth, bundle):
    """runc: exec -e replaces a variable of the bundle's process.env (one entry per name) and
    HOME comes from the container's /etc/passwd for --user"""
    b = running(berth, bundle, "ex14")
    assert any(e.startswith("PATH=") for e in b.process["env"])
    res = berth("exec", "-e", "PATH=/bin", "-e", "NEW=1", "--user", "1000", "ex14", "env")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert [l for l in lines if l.startswith("PATH=")] == ["PATH=/bin"]
    assert "NEW=1" in lines
    assert [l for l in lines if l.startswith("HOME=")] == ["HOME=/home/user"]


def test_exec_pid_file_relative_and_atomic(berth, bundle, tmp_path):
    """--pid-file relative to berth's cwd, written through a temporary file renamed over it (as
    create's): a symlink at the path is replaced, the file it points to stays untouched"""
    running(berth, bundle, "ex15")
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (tmp_path / "exec.pid").symlink_to(victim)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = berth("exec", "-d", "--pid-file", "exec.pid", "ex15", "sleep", "30")
    finally:
        os.chdir(cwd)
    assert res.returncode == 0, res
    pidfile = tmp_path / "exec.pid"
    assert not pidfile.is_symlink() and victim.read_text() == "keep me\n"
    pid = int(pidfile.read_text())
    assert open(f"/proc/{pid}/cmdline").read().startswith("sleep")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_exec_process_json_every_field(berth, bundle, tmp_path):
    """exec --process as engines send it (podman, containerd): every field of the process
    object takes effect in the new process, seen from inside"""
    running(berth, bundle, "ex17")
    caps = ["CAP_KILL", "CAP_CHOWN"]
    proc = {
        "terminal": False,
        "user": {"uid": 1000, "gid": 1000, "umask": 0o077, "additionalGids": [10, 100]},
        "args": ["sh", "-c", "id -u; id -g; id -G; umask; cat /proc/self/oom_score_adj; "
                 "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status; "
                 "ulimit -Sn; ulimit -Hn; pwd; echo X=$X"],
        "env": ["PATH=/bin", "X=1", "X=2"],
        "cwd": "/tmp",
        "capabilities": {"bounding": caps, "effective": ["CAP_KILL"], "permitted": caps,
                         "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 200, "soft": 100}],
        "noNewPrivileges": True,
        "oomScoreAdj": 77,
    }
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    res = berth("exec", "--process", f, "ex17")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert lines[:5] == ["1000", "1000", "1000 10 100", "0077", "77"], lines
    st = dict(l.split(":\t") for l in lines[5:11])
    kill, chown = 1 << 5, 1 << 0
    assert int(st["CapBnd"], 16) == kill | chown
    # across execve as a non-root user only what is ambient stays (capabilities(7))
    assert int(st["CapEff"], 16) == kill and int(st["CapAmb"], 16) == kill
    assert int(st["CapInh"], 16) == kill and int(st["CapPrm"], 16) == kill
    assert st["NoNewPrivs"] == "1"
    assert lines[11:] == ["100", "200", "/tmp", "X=2"]


# -- every exec flag on its own, seen from inside the new process (issue #6) ----------------

def test_exec_additional_gids(berth, bundle):
    running(berth, bundle, "ex18")
    for flags in (["-g", "10,100"], ["--additional-gids", "10,100"],
                  ["-g", "10", "-g", "100"]):
        res = berth("exec", "-u", "1000:1000", *flags, "ex18", "sh", "-c",
                    "grep ^Groups: /proc/self/status")
        assert res.returncode == 0, (flags, res)
        assert sorted(res.stdout.split()[1:]) == ["10", "100"], (flags, res)
    res = berth("exec", "-g", "nope", "ex18", "true")
    assert res.returncode == 1 and res.stderr.strip(), res


def test_exec_preserve_fds_passes_them(berth, bundle, tmp_path):
    """exec --preserve-fds N: fds 3..3+N-1 reach the process, numbered as given; fd 5 (not
    preserved) does not"""
    running(berth, bundle, "ex19")
    src = tmp_path / "three"
    src.write_text("content-of-fd3\n")
    dst = tmp_path / "four"
    res = berth("exec", "--preserve-fds", "2", "ex19", "sh", "-c",
                "cat <&3; echo written-by-exec >&4; ls /proc/self/fd",
                shell_prefix=f"3<{src} 4>{dst} 5<{src}")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert lines[0] == "content-of-fd3", res
    assert dst.read_text() == "written-by-exec\n"
    fds = sorted(int(x) for x in lines[1:])
    assert fds[:5] == [0, 1, 2, 3, 4] and len(fds) == 6, f"the process sees fds {fds}"


def test_exec_into_a_created_container(berth, bundle):
    """exec works on a created container (its init parked, as runc allows): the process joins
    the namespaces of the parked init, and the container stays created"""
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    berth.create("ex20", b)
    pid = berth.state("ex20")["pid"]
    res = berth("exec", "ex20", "sh", "-c", "readlink /proc/self/ns/pid; "
                "readlink /proc/self/ns/mnt; cat /proc/1/comm")
    assert res.returncode == 0, res
    lines = res.stdout.split()
    assert lines == [os.readlink(f"/proc/{pid}/ns/pid"), os.readlink(f"/proc/{pid}/ns/mnt"),
                     "berth:parked"], res
    assert berth.state("ex20")["status"] == "created"


def test_exec_inherits_the_containers_rlimits_and_seccomp(berth, bundle):
    """without --process the new process gets the container's process.rlimits and its
    linux.seccomp filter (mkdir refused with errnoRet 38, as in the container)"""
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
    b.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [],
                                    "syscalls": [{"names": ["mkdir", "mkdirat"],
                                                  "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
    berth.create_and_start("ex21", b)
    res = berth("exec", "ex21", "sh", "-c", "ulimit -Sn; ulimit -Hn; "
                "grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert lines[:3] == ["123", "456", "Seccomp:\t2"], res
    assert "not implemented" in lines[3].lower() and lines[4] == "rc=1", res


def test_exec_tty_with_console_socket(berth, bundle, tmp_path):
    """exec -t --console-socket (conmon and the containerd shim): the pty master goes over the
    socket, the pty is the process's controlling terminal"""
    running(berth, bundle, "ex22")
    sock_path = tmp_path / "exec-console.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    try:
        p = berth.popen("exec", "-t", "--console-socket", sock_path, "ex22", "sh", "-c",
                        "tty; test -t 0 && echo stdin-tty; "
                        "[ \"$(cut -d' ' -f7 /proc/$$/stat)\" != 0 ] && echo ctty; exit 5")
        master, _ = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        text = read_pty(master, until=lambda buf: b"ctty" in buf)
    finally:
        os.close(master)
    assert p.wait(timeout=10) == 5
    lines = [l.strip() for l in text.replace("\r", "").splitlines() if l.strip()]
    assert lines[0].startswith("/dev/pts/"), text
    assert "stdin-tty" in lines and "ctty" in lines, text


def fdinfo_pid(fd):
    for line in Path(f"/proc/self/fdinfo/{fd}").read_text().splitlines():
        if line.startswith("Pid:"):
            return int(line.split()[1])
    raise AssertionError(f"fd {fd} is not a pidfd: {Path(f'/proc/self/fdinfo/{fd}').read_text()}")


@pytest.mark.parametrize("detach", [True, False], ids=["detached", "attached"])
def test_exec_pidfd_socket(berth, bundle, tmp_path, detach):
    """exec --pidfd-socket (runc 1.2): a pidfd of the new process arrives over the socket with
    SCM_RIGHTS; it names the process (fdinfo Pid:) and signals it"""
    running(berth, bundle, "ex23")
    sock_path = tmp_path / "pidfd.sock"
    pidfile = tmp_path / "exec.pid"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    args = ["exec", "--pidfd-socket", sock_path, "--pid-file", pidfile,
            *(["-d"] if detach else []), "ex23", "sleep", "30"]
    try:
        p = berth.popen(*args)
        pidfd, msg = recv_pty_master(listener)  # any one fd sent with SCM_RIGHTS
    finally:
        listener.close()
    try:
        assert msg == b"pidfd", msg
        if detach:
            assert p.wait(timeout=10) == 0
        pid = wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() and
                       int(pidfile.read_text()), what="the pid file")
        assert fdinfo_pid(pidfd) == pid
        assert open(f"/proc/{pid}/cmdline").read().split("\0")[:2] == ["sleep", "30"]
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), what="the exec'd process to die")
    finally:
        os.close(pidfd)
    if not detach:
        assert p.wait(timeout=10) == 128 + signal.SIGKILL
    assert berth.state("ex23")["status"] == "running"


def test_exec_pidfd_socket_that_does_not_exist(berth, bundle, tmp_path):
    """nothing runs when the socket cannot be reached: exit 255 naming the flag"""
    b = running(berth, bundle, "ex24")
    res = berth("exec", "--pidfd-socket", tmp_path / "nope.sock", "ex24", "sh", "-c",
                "touch /tmp/ran")
    assert res.returncode == 255 and "--pidfd-socket" in res.stderr, res
    assert len([l for l in res.stderr.splitlines() if l.strip()]) == 1, res
    res = berth("exec", "ex24", "sh", "-c", "test -e /tmp/ran && echo RAN || echo none")
    assert res.stdout.strip() == "none", res
    assert berth.state("ex24")["status"] == "running"


def test_exec_runtime_errors_exit_255(berth, bundle, tmp_path):
    """runc's exec exits 255 when the failure is the runtime's (no such container, a pid file
    that cannot be written, a console socket that is not there, a paused container), so an
    engine tells it from the process's own status; usage errors stay 1"""
    running(berth, bundle, "p16b-ex255")
    cases = [
        (["p16b-nosuch", "true"], None),
        (["--pid-file", tmp_path / "no" / "dir" / "pid", "p16b-ex255", "sleep", "71"], None),
        (["-d", "--pid-file", tmp_path / "no" / "dir" / "pid", "p16b-ex255", "sleep", "72"],
         None),
        (["-d", "-t", "--console-socket", tmp_path / "nope.sock", "p16b-ex255", "true"],
         "nope.sock"),
        (["p16b-ex255"], None),  # no command
    ]
    for args, needle in cases:
        res = berth("exec", *args)
        assert res.returncode == 255, (args, res)
        assert res.stderr.strip() and (needle is None or needle in res.stderr), res
    # the process whose pid file could not be written does not keep running
    res = berth("exec", "p16b-ex255", "ps", "-o", "args")
    assert "sleep 71" not in res.stdout and "sleep 72" not in res.stdout, res
    # the process's own status is its own
    assert berth("exec", "p16b-ex255", "sh", "-c", "exit 7").returncode == 7
    # usage: an unknown flag, no container id
    assert berth("exec", "--bogus-flag", "p16b-ex255", "true").returncode == 1
    assert berth("exec").returncode == 1
    # paused: refused with runc's words, unless --ignore-paused
    assert berth("pause", "p16b-ex255").returncode == 0
    res = berth("exec", "p16b-ex255", "true")
    assert res.returncode == 255 and "cannot exec in a paused container" in res.stderr, res
    p = berth.popen("exec", "--ignore-paused", "p16b-ex255", "true")
    assert berth("resume", "p16b-ex255").returncode == 0
    assert p.wait(timeout=10) == 0

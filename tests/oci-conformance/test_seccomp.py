"""linux.seccomp seen from inside the container: rule actions and errnoRet, and the
SCMP_ACT_NOTIFY listener (config-linux.md: the container process state with the notify fd
over listenerPath, SCM_RIGHTS, one state per connection)."""

import array
import json
import os
import shutil
import socket
import subprocess
import threading

import pytest

from conftest import ENGINE_CONFIG_DIR, state_validator

MKDIR = ["mkdir", "mkdirat"]


def profile(rules, **kw):
    p = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [], "syscalls": rules}
    p.update(kw)
    return p


def test_seccomp_errno_ret(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.config["linux"]["seccomp"] = profile([
        {"names": MKDIR, "action": "SCMP_ACT_ERRNO", "errnoRet": 122}])  # EDQUOT
    b.sh("mkdir /tmp/x 2>&1; grep '^Seccomp:' /proc/self/status")
    out = berth.run_ok(b)
    assert "Disk quota exceeded" in out, out
    assert "Seccomp:\t2" in out


def test_seccomp_errno_without_errno_ret_is_eperm(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.config["linux"]["seccomp"] = profile([{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}])
    b.sh("mkdir /tmp/x 2>&1; true")
    assert "Operation not permitted" in berth.run_ok(b)


def test_seccomp_kill_process(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.config["linux"]["seccomp"] = profile([{"names": MKDIR,
                                             "action": "SCMP_ACT_KILL_PROCESS"}])
    b.set_args("mkdir", "/tmp/x")
    res = berth.run("sckill", b)
    assert res.returncode == 128 + 31, res  # SIGSYS


def test_seccomp_args_condition(berth, bundle):
    """a rule with an argument condition applies only when it matches: chmod to 0700 is
    refused, chmod to 0755 allowed"""
    b = bundle(shared_rootfs=True)
    b.add_mount("/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev"])
    b.config["linux"]["seccomp"] = profile([{
        "names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
        "args": [{"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"}]}])
    b.sh("mkdir /tmp/a && chmod 700 /tmp/a 2>&1; chmod 755 /tmp/a && echo chmod-755-ok")
    out = berth.run_ok(b)
    assert "Disk quota exceeded" in out and "chmod-755-ok" in out, out


def recv_state_and_fd(listener, timeout=10):
    listener.settimeout(timeout)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(timeout)
        fds, data = [], b""
        while True:
            chunk, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * 4))
            for level, type_, cdata in anc:
                if level == socket.SOL_SOCKET and type_ == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                    fds += list(a)
            if not chunk:
                break
            data += chunk
        # the runtime closes the connection after one state (config-linux.md)
        return json.loads(data), fds


def test_seccomp_notify_listener(berth, bundle, tmp_path):
    """the agent gets the container process state and the notify fd; once it closes the fd
    without answering, the notified syscall fails with ENOSYS inside the container"""
    validator = state_validator()
    sock_path = tmp_path / "agent.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    got = {}

    def agent():
        try:
            got["state"], got["fds"] = recv_state_and_fd(listener)
        except Exception as e:  # reported by the assertions below
            got["error"] = repr(e)
        finally:
            for fd in got.get("fds", []):
                os.close(fd)

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    b = bundle(shared_rootfs=True)
    b.config["annotations"] = {"org.example.agent": "1"}
    b.config["linux"]["seccomp"] = profile(
        [{"names": MKDIR, "action": "SCMP_ACT_NOTIFY"}],
        listenerPath=str(sock_path), listenerMetadata="meta-data")
    b.sh("mkdir /tmp/x 2>&1; echo done")
    try:
        res = berth.run("scnotify", b)
        t.join(10)
    finally:
        listener.close()
    assert "error" not in got, got
    assert res.returncode == 0, res
    assert "Function not implemented" in res.stdout and "done" in res.stdout, res
    st = got["state"]
    assert st["ociVersion"] and st["fds"] == ["seccompFd"] and len(got["fds"]) == 1, st
    assert st["metadata"] == "meta-data"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    validator.validate(st["state"])
    assert st["state"]["id"] == "scnotify"
    assert st["state"]["annotations"] == {"org.example.agent": "1"}


def test_seccomp_notify_without_listener_path_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["linux"]["seccomp"] = profile([{"names": MKDIR, "action": "SCMP_ACT_NOTIFY"}])
    res = berth.create("scnolistener", b, check=False)
    assert res.returncode == 1, res
    assert "listenerPath" in res.stderr, res
    assert berth.state("scnolistener", check=False) is None


def test_seccomp_listener_metadata_without_path_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["linux"]["seccomp"] = profile([], listenerMetadata="x")
    res = berth.create("scmeta", b, check=False)
    assert res.returncode == 1, res
    assert "listenerMetadata" in res.stderr, res


SYSCALL_ERRNO_C = r"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long r = syscall(strtol(argv[i], NULL, 0), 0, 0, 0, 0, 0, 0);
    printf("%s %s\n", argv[i], r < 0 ? strerror(errno) : "ok");
  }
  return 0;
}
"""


def test_seccomp_unknown_newer_syscall_is_enosys(berth, bundle, tmp_path):
    """A call newer than every call the profile names fails with ENOSYS (runc's stub: glibc
    falls back from clone3, faccessat2... only on ENOSYS); one the profile does not name below
    that (kexec_load, 246) gets the default action's EPERM. The profile is docker's."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler for the syscall helper")
    if os.uname().machine != "x86_64":
        pytest.skip("the syscall numbers are x86_64's")
    docker = json.loads((ENGINE_CONFIG_DIR / "docker-run.json").read_text())
    (tmp_path / "sc.c").write_text(SYSCALL_ERRNO_C)
    b = bundle()
    subprocess.run(["cc", "-static", "-O1", "-o", str(b.rootfs / "sc"), str(tmp_path / "sc.c")],
                   check=True)
    b.config["linux"]["seccomp"] = docker["linux"]["seccomp"]
    b.set_args("/sc", "1000", "246", "0x40000400")
    out = berth.run_ok(b).splitlines()
    assert out[0] == "1000 Function not implemented", out
    assert out[1] == "246 Operation not permitted", out
    # x32 (in the profile's architectures): a number past the last x32 call, ENOSYS too
    assert out[2] == "0x40000400 Function not implemented", out

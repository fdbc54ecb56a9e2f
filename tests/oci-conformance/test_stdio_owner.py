"""A non-root process owns the stdio its caller passed (runc's fixStdioPermissions): pipes and
files given to create/run and exec are chowned to process.user.uid (their group kept), so the
process can reopen /proc/self/fd/0..2; /dev/null is left alone. Checked from inside: the owner
stat sees and the process reopening its own stdin (a root-owned pipe, mode 0600) and stderr
(a root-owned file, mode 0644)."""

import os
import threading

import pytest

from test_tty_relay import run_args, under_pty  # noqa: F401 (fixture)

SCRIPT = ("stat -L -c 'in %u' /proc/self/fd/0; stat -L -c 'out %u' /proc/self/fd/1; "
          "cat /proc/self/fd/0; echo reopen-err >> /proc/self/fd/2 && echo reopened")


def piped(text):
    """a root-owned pipe holding text, its read end to pass as stdin"""
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    return r


def check(res, uid=1000):
    assert res.returncode == 0, res
    lines = res.stdout.split("\n")
    assert lines[:2] == [f"in {uid}", f"out {uid}"], res
    assert "piped-in" in lines and "reopened" in lines, res
    assert "reopen-err" in res.stderr, res


def test_run_stdio_owned_by_user(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sh", "-c", SCRIPT])
    b.process["user"] = {"uid": 1000, "gid": 1000}
    r = piped("piped-in\n")
    try:
        res = berth.run("p16c-stdiorun", b, stdin=r)
    finally:
        os.close(r)
    check(res)


def test_create_chowns_passed_stdio_but_not_dev_null(berth, bundle):
    """create passes its caller's stdio through (runc's run without -d makes pipes of its
    own): stdin /dev/null stays root's, stderr (a root-owned file) becomes the user's"""
    b = bundle(args=["sh", "-c", "stat -L -c %u /proc/self/fd/0 /dev/null /proc/self/fd/2 "
                                 "> /owners"])
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.config["root"]["readonly"] = False
    os.chmod(b.rootfs, 0o777)
    berth.create("p16c-stdionull", b)
    berth.start("p16c-stdionull")
    berth.wait_status("p16c-stdionull", "stopped")
    assert (b.rootfs / "owners").read_text().split() == ["0", "0", "1000"]


def test_exec_stdio_owned_by_user(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create_and_start("p16c-stdioexec", b)
    r = piped("piped-in\n")
    try:
        res = berth("exec", "--user", "1000:1000", "p16c-stdioexec", "sh", "-c", SCRIPT, stdin=r)
    finally:
        os.close(r)
    check(res)
    berth.kill("p16c-stdioexec", "KILL")


def test_stdio_of_unmapped_owner_left_alone_in_user_namespace(berth, bundle):
    """in a user namespace that does not map the host's root, the root-owned stdio create
    passes through cannot be chowned (EPERM): left as it is, the container still runs (runc)"""
    b = bundle(userns_owner=100000,
               args=["sh", "-c", "(stat -L -c %u /proc/self/fd/2; id -u) > /tmp/owners"])
    b.add_ns("user")
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["root"]["readonly"] = False
    b.process["user"] = {"uid": 1000, "gid": 1000}
    os.makedirs(b.rootfs / "tmp", exist_ok=True)
    os.chmod(b.rootfs / "tmp", 0o1777)
    berth.create("p16c-stdiouserns", b)
    berth.start("p16c-stdiouserns")
    berth.wait_status("p16c-stdiouserns", "stopped")
    # the host's root seen from the namespace: the overflow uid
    assert (b.rootfs / "tmp" / "owners").read_text().split() == ["65534", "1000"]


def test_callers_terminal_left_alone(berth, bundle, under_pty):
    """berth passes its caller's stdio through to a foreground run; the caller's terminal
    (here root's pty) stays its owner's. runc's foreground run gives the process pipes of its
    own instead (chowned), so the terminal is never the process's there either."""
    if berth.binary.name == "runc":
        pytest.skip("runc's foreground run passes pipes, not the caller's terminal")
    b = bundle(shared_rootfs=True, args=["sh", "-c", "stat -L -c 'owner %u' /proc/self/fd/1"])
    b.process["user"] = {"uid": 1000, "gid": 1000}
    p = under_pty(*run_args(berth, b, "p16c-stdiotty"))
    assert p.wait() == 0, p.text
    assert "owner 0" in p.lines(), p.text

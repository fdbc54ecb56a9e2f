"""The process's pty belongs to its user (runc's fixStdioPermissions): with process.terminal and
process.user.uid 1000 the pty slave is owned by uid 1000, its group left as devpts made it (the
template's gid=5), for run, create --console-socket and exec -t (with and without a console
socket). Checked from inside: the owner seen by stat, and the process reopening its own
terminal by name (mode 0620: only the owner may open it for reading)."""

import os
import socket

import pytest

from test_process import read_pty, recv_pty_master
from test_tty_relay import run_args, under_pty  # noqa: F401 (fixture)

# the owner and group of the process's terminal, then a reopen of it by name
SCRIPT = ("t=$(tty); echo owner $(stat -L -c '%u:%g' $t); "
          "(exec 3<>$t) 2>/dev/null && echo reopen-ok; echo done")


def check(text):
    lines = [l.strip() for l in text.replace("\r", "").splitlines() if l.strip()]
    owner = [l.split()[1] for l in lines if l.startswith("owner ")]
    assert owner == ["1000:5"], text
    assert "reopen-ok" in lines, text


def user_bundle(bundle, terminal, args):
    b = bundle(shared_rootfs=True, terminal=terminal, args=args)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    return b


def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(1)
    return s


def test_run_pty_owned_by_user(berth, bundle, under_pty):
    b = user_bundle(bundle, True, ["sh", "-c", SCRIPT])
    p = under_pty(*run_args(berth, b, "p16b-ptyrun"))
    assert p.wait() == 0, p.text
    check(p.text)


def test_create_console_socket_pty_owned_by_user(berth, bundle, tmp_path):
    b = user_bundle(bundle, True, ["sh", "-c", SCRIPT])
    listener = listen(tmp_path / "c.sock")
    try:
        res = berth.create("p16b-ptycs", b, "--console-socket", tmp_path / "c.sock", check=False)
        assert res.returncode == 0, res
        master, _ = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        berth.start("p16b-ptycs")
        text = read_pty(master, until=lambda buf: b"done" in buf)
    finally:

        os.close(master)
    check(text)


def test_exec_tty_pty_owned_by_user(berth, bundle, under_pty):
    b = user_bundle(bundle, False, ["sleep", "60"])
    berth.create_and_start("p16b-ptyex", b)
    p = under_pty("exec", "-t", "p16b-ptyex", "sh", "-c", SCRIPT)
    assert p.wait() == 0, p.text
    check(p.text)


@pytest.mark.parametrize("user", [None, "1000:1000"], ids=["process-user", "user-flag"])
def test_exec_tty_console_socket_pty_owned_by_user(berth, bundle, tmp_path, user):
    b = user_bundle(bundle, False, ["sleep", "60"])
    if user:  # the container runs as root; exec --user picks the user
        b.process["user"] = {"uid": 0, "gid": 0}
    berth.create_and_start("p16b-ptyexcs", b)
    listener = listen(tmp_path / "e.sock")
    try:
        # -d: runc refuses --console-socket without it
        p = berth.popen("exec", "-d", "-t", "--console-socket", tmp_path / "e.sock",
                        *(("--user", user) if user else ()), "p16b-ptyexcs", "sh", "-c", SCRIPT)
        master, _ = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        text = read_pty(master, until=lambda buf: b"done" in buf)
    finally:

        os.close(master)
    assert p.wait(timeout=10) == 0
    check(text)


def test_run_pty_owned_by_user_in_user_namespace(berth, bundle, under_pty):
    """with a user namespace the owner is the process's uid as the container sees it"""
    b = bundle(terminal=True, args=["sh", "-c", SCRIPT], userns_owner=100000)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.add_ns("user")
    lx = b.config["linux"]
    lx["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    lx["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    p = under_pty(*run_args(berth, b, "p16b-ptyuserns"))
    assert p.wait() == 0, p.text
    check(p.text)

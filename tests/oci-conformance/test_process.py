"""process.*: user, umask, rlimits, capabilities, noNewPrivileges, oomScoreAdj, env, cwd,
args resolution, file descriptors, console socket."""

import array
import json
import os
import resource
import select
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CAP_NUMBERS, cap_mask, host_cap_last, status_fields


def run_status(berth, b):
    b.set_args("cat", "/proc/self/status")
    return status_fields(berth.run_ok(b))


# -- user -----------------------------------------------------------------------------------

def test_user_uid_gid_additional_gids(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 100]}
    b.sh("id -u; id -g; id -G; grep -E '^(Uid|Gid|Groups):' /proc/self/status")
    out = berth.run_ok(b).splitlines()
    assert out[0] == "1000"
    assert out[1] == "1000"
    assert sorted(out[2].split()) == ["10", "100", "1000"]
    st = status_fields("\n".join(out[3:]))
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1000"] * 4
    assert sorted(st["Groups"].split()) == ["10", "100"]


def test_user_root_default_has_no_stray_groups(berth, bundle):
    b = bundle(shared_rootfs=True)
    st = run_status(berth, b)
    assert st["Uid"].split() == ["0"] * 4
    assert st["Gid"].split() == ["0"] * 4
    assert set(st.get("Groups", "").split()) <= {"0"}


def test_umask_explicit(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process.setdefault("user", {"uid": 0, "gid": 0})["umask"] = 0o077
    b.sh("umask")
    assert berth.run_ok(b).strip() == "0077"


def test_umask_default_0022(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process.get("user", {}).pop("umask", None)
    b.sh("umask")
    old = os.umask(0o077)  # berth's own umask must not leak into the container
    try:
        out = berth.run_ok(b).strip()
    finally:
        os.umask(old)
    assert out == "0022"


# -- rlimits --------------------------------------------------------------------------------

def test_rlimit_nofile_default_spec(berth, bundle):
    b = bundle(shared_rootfs=True)
    rl = {r["type"]: r for r in b.process.get("rlimits", [])}
    assert rl["RLIMIT_NOFILE"]["soft"] == 1024 and rl["RLIMIT_NOFILE"]["hard"] == 1024
    b.sh("ulimit -n; ulimit -Hn; grep 'Max open files' /proc/self/limits")
    out = berth.run_ok(b).splitlines()
    assert out[0] == "1024" and out[1] == "1024"
    assert out[2].split()[3:5] == ["1024", "1024"]


def test_rlimit_hard_above_host_limit(berth, bundle):
    """Engines ask for RLIMIT_NOFILE 1048576 (docker's default). Where berth cannot raise the
    hard limit above the host's (no CAP_SYS_RESOURCE here), create must still succeed, with the
    limit either granted or clamped to the host's hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    nr_open = int(Path("/proc/sys/fs/nr_open").read_text())
    want = min(nr_open, 1048576)
    if want <= hard:
        pytest.skip(f"host hard RLIMIT_NOFILE {hard} is already >= {want}")
    b = bundle(shared_rootfs=True)
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": want, "hard": want}]
    b.sh("ulimit -n; ulimit -Hn")
    out = [int(x) for x in berth.run_ok(b).split()]
    assert out[1] in (want, hard), f"hard limit {out[1]}: neither requested {want} nor host {hard}"
    assert out[0] <= out[1] and out[0] in (want, hard)


def test_rlimit_other_types(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NPROC", "soft": 4000, "hard": 5000},
    ]
    b.set_args("cat", "/proc/self/limits")
    lines = berth.run_ok(b).splitlines()

    def limit(prefix):
        line = [l for l in lines if l.startswith(prefix)][0]
        return line[len(prefix):].split()[:2]

    assert limit("Max open files") == ["512", "2048"]
    assert limit("Max core file size") == ["0", "0"]
    assert limit("Max processes") == ["4000", "5000"]


# -- capabilities ---------------------------------------------------------------------------

def caps_of(st, field):
    return int(st[field], 16)


def test_caps_root_default_spec(berth, bundle):
    b = bundle(shared_rootfs=True)
    caps = b.process["capabilities"]
    st = run_status(berth, b)
    assert caps_of(st, "CapBnd") == cap_mask(caps.get("bounding"))
    assert caps_of(st, "CapEff") == cap_mask(caps.get("effective"))
    assert caps_of(st, "CapPrm") == cap_mask(caps.get("permitted"))
    assert caps_of(st, "CapInh") == cap_mask(caps.get("inheritable"))
    assert caps_of(st, "CapAmb") == (cap_mask(caps.get("ambient")) & cap_mask(caps.get("inheritable"))
                                     & cap_mask(caps.get("permitted")))
    # runc's default set
    for c in ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"):
        assert caps_of(st, "CapEff") & cap_mask([c])
    assert not caps_of(st, "CapEff") & cap_mask(["CAP_SYS_ADMIN"])


def test_caps_all_host_caps_for_root(berth, bundle):
    host_bnd = int(status_fields(Path("/proc/self/status").read_text())["CapBnd"], 16)
    names = [n for n, v in CAP_NUMBERS.items() if v <= host_cap_last() and host_bnd >> v & 1]
    b = bundle(shared_rootfs=True)
    b.process["capabilities"] = {k: list(names) for k in
                                 ("bounding", "effective", "permitted")}
    st = run_status(berth, b)
    assert caps_of(st, "CapBnd") == cap_mask(names)
    assert caps_of(st, "CapEff") == cap_mask(names)


def test_caps_uid1000_dropped(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.process["capabilities"] = {"bounding": [], "effective": [], "permitted": [],
                                 "inheritable": [], "ambient": []}
    st = run_status(berth, b)
    for f in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert caps_of(st, f) == 0, f"{f} = {st[f]}"
    assert st["Uid"].split() == ["1000"] * 4


def test_caps_uid1000_keeps_bounding_no_effective(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    caps = b.process["capabilities"]
    caps.pop("ambient", None)
    st = run_status(berth, b)
    assert caps_of(st, "CapBnd") == cap_mask(caps.get("bounding"))
    assert caps_of(st, "CapEff") == 0
    assert caps_of(st, "CapPrm") == 0


def test_caps_uid1000_ambient(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    one = ["CAP_NET_BIND_SERVICE"]
    b.process["capabilities"] = {k: list(one) for k in
                                 ("bounding", "effective", "permitted", "inheritable", "ambient")}
    st = run_status(berth, b)
    for f in ("CapAmb", "CapEff", "CapPrm", "CapBnd", "CapInh"):
        assert caps_of(st, f) == cap_mask(one), f"{f} = {st[f]}"


@pytest.mark.parametrize("value,expect", [(True, "1"), (False, "0")])
def test_no_new_privileges(berth, bundle, value, expect):
    b = bundle(shared_rootfs=True)
    b.process["noNewPrivileges"] = value
    st = run_status(berth, b)
    assert st["NoNewPrivs"] == expect


def test_oom_score_adj(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["oomScoreAdj"] = 500
    b.set_args("cat", "/proc/self/oom_score_adj")
    assert berth.run_ok(b).strip() == "500"


def test_oom_score_adj_inherited_when_unset(berth, bundle):
    """config.md: without oomScoreAdj the runtime MUST NOT change oom_score_adj: the
    container keeps the caller's"""
    b = bundle(shared_rootfs=True, args=["cat", "/proc/self/oom_score_adj"])
    b.process.pop("oomScoreAdj", None)
    berth.prepare(b)
    berth.track("oominherit", b)
    argv = berth.argv("run", "--bundle", b.path, "oominherit")
    p = subprocess.run(["/bin/sh", "-c", 'echo 123 > /proc/self/oom_score_adj && exec "$@"',
                        "w", *argv], env=berth.env(), capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p
    assert p.stdout.strip() == "123"


# -- env, cwd, args -------------------------------------------------------------------------

def test_env_and_cwd(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.set_env("FOO", "bar baz")
    b.set_env("EMPTY", "")
    b.process["cwd"] = "/tmp"
    b.sh('echo "FOO=$FOO"; echo "EMPTY=[$EMPTY]"; pwd; echo "PATH=$PATH"')
    out = berth.run_ok(b).splitlines()
    assert out[0] == "FOO=bar baz"
    assert out[1] == "EMPTY=[]"
    assert out[2] == "/tmp"
    path_env = [e for e in b.process["env"] if e.startswith("PATH=")][0]
    assert out[3] == path_env


def test_env_is_exactly_process_env(berth, bundle):
    b = bundle(shared_rootfs=True, args=["env"])
    b.set_env("ONLY_THIS", "1")
    out = berth.run_ok(b)
    got = set(out.splitlines())
    assert "ONLY_THIS=1" in got
    # nothing from berth's own environment (pytest's) leaks in
    assert not any(l.startswith("PYTEST_CURRENT_TEST=") for l in got)
    assert got <= set(b.process["env"]) | {"HOME=/root", "PWD=/", "SHLVL=1", "_=/bin/env"}


# runc's environment: HOME from the container's /etc/passwd when process.env has none, one
# entry per name (the last value wins), and an entry that is not NAME=VALUE is refused.
@pytest.mark.parametrize("uid,home", [(0, "/root"), (1000, "/home/user"), (4242, "/")])
def test_env_home_from_container_passwd(berth, bundle, uid, home):
    b = bundle(shared_rootfs=True, args=["env"])
    b.process["user"] = {"uid": uid, "gid": uid}
    b.process["env"] = [e for e in b.process["env"] if not e.startswith("HOME=")]
    homes = [l for l in berth.run_ok(b).splitlines() if l.startswith("HOME=")]
    assert homes == [f"HOME={home}"]


def test_env_home_given_is_kept(berth, bundle):
    b = bundle(shared_rootfs=True, args=["env"])
    b.set_env("HOME", "/tmp")
    homes = [l for l in berth.run_ok(b).splitlines() if l.startswith("HOME=")]
    assert homes == ["HOME=/tmp"]


def test_env_duplicate_name_last_value_wins(berth, bundle):
    b = bundle(shared_rootfs=True, args=["env"])
    b.process["env"] += ["DUP=first", "OTHER=1", "DUP=last"]
    lines = berth.run_ok(b).splitlines()
    assert [l for l in lines if l.startswith("DUP=")] == ["DUP=last"]
    assert "OTHER=1" in lines


@pytest.mark.parametrize("entry", ["NOEQUALS", "=value"])
def test_env_entry_not_name_value_fails(berth, bundle, entry):
    b = bundle(shared_rootfs=True, args=["true"])
    b.process["env"].append(entry)
    res = berth.create("badenv", b, check=False)
    assert res.returncode == 1, res
    assert "process.env[" in res.stderr and entry in res.stderr, res
    assert berth.state("badenv", check=False) is None


def test_cwd_home_for_user(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.process["cwd"] = "/home/user"
    b.config["root"]["readonly"] = False
    b.sh("pwd; touch /home/user/x 2>/dev/null && echo writable; rm -f /home/user/x")
    assert berth.run_ok(b).split() == ["/home/user", "writable"]


def test_args_resolved_via_path(berth, bundle):
    b = bundle(shared_rootfs=True, args=["echo", "via-path"])
    assert berth.run_ok(b) == "via-path\n"


# Engines map these exit statuses (podman: 127 "not found", 126 "permission denied"), issue #6.
@pytest.mark.parametrize("arg0", ["/bin/does-not-exist", "does-not-exist-cmd"])
def test_missing_executable_fails_at_create(berth, bundle, arg0):
    b = bundle(shared_rootfs=True, args=[arg0])
    res = berth.create("noexe", b, check=False)
    assert res.returncode == 127, res
    assert res.stderr.startswith("berth: "), res
    assert ("executable file not found in $PATH" in res.stderr
            or "no such file or directory" in res.stderr), res
    assert berth.state("noexe", check=False) is None
    berth.assert_nothing_left()


def test_missing_executable_run_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["/nope"])
    res = berth.run("noexerun", b)
    assert res.returncode == 127, res
    assert "no such file or directory" in res.stderr or "not found" in res.stderr
    berth.assert_nothing_left()


@pytest.mark.parametrize("arg0", ["/etc/passwd", "/etc"], ids=["not-executable", "directory"])
def test_not_executable_is_126(berth, bundle, arg0):
    b = bundle(shared_rootfs=True, args=[arg0])
    res = berth.create("notexe", b, check=False)
    assert res.returncode == 126, res
    assert "permission denied" in res.stderr, res
    assert berth.state("notexe", check=False) is None
    berth.assert_nothing_left()


# -- file descriptors -----------------------------------------------------------------------

def fd_list(out):
    return sorted(int(x) for x in out.split())


def test_no_fd_leak_create_start(berth, bundle):
    b = bundle(shared_rootfs=True, args=["ls", "/proc/self/fd"])
    berth.create_and_start("fds", b)
    berth.wait_status("fds", "stopped")
    out = sorted(berth.workdir.glob("*-create.out"))[-1].read_text()
    fds = fd_list(out)
    assert fds[:3] == [0, 1, 2] and len(fds) == 4, f"container sees fds {fds}"


def test_no_fd_leak_run(berth, bundle):
    b = bundle(shared_rootfs=True, args=["ls", "/proc/self/fd"])
    fds = fd_list(berth.run_ok(b))
    assert fds[:3] == [0, 1, 2] and len(fds) == 4, f"container sees fds {fds}"


def test_inherited_fd_not_passed_without_preserve(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["ls", "/proc/self/fd"])
    berth.prepare(b)
    berth.track("nopreserve", b)
    (tmp_path / "f").write_text("x")
    res = berth("run", "--bundle", b.path, "nopreserve",
                shell_prefix=f"5<{tmp_path / 'f'} 7<{tmp_path / 'f'}")
    assert res.returncode == 0, res
    fds = fd_list(res.stdout)
    assert fds[:3] == [0, 1, 2] and len(fds) == 4, f"container sees fds {fds}"


def test_preserve_fds(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True)
    b.sh("cat <&3; echo written-by-container >&4; ls /proc/self/fd")
    berth.prepare(b)
    berth.track("preserve", b)
    src = tmp_path / "three"
    src.write_text("content-of-fd3\n")
    dst = tmp_path / "four"
    res = berth("create", "--bundle", b.path, "--preserve-fds", "2", "preserve",
                shell_prefix=f"3<{src} 4>{dst} 5<{src}")
    assert res.returncode == 0, res
    berth.start("preserve")
    berth.wait_status("preserve", "stopped")
    out = Path(sorted(berth.workdir.glob("*-create.out"))[-1]).read_text().splitlines()
    assert out[0] == "content-of-fd3"
    assert dst.read_text() == "written-by-container\n"
    fds = fd_list("\n".join(out[1:]))
    assert fds[:5] == [0, 1, 2, 3, 4] and len(fds) == 6, f"container sees fds {fds}"


def socket_activation_run(berth, b, cid, tmp_path, listen_pid_is_berth, preserve=0):
    """runs berth as systemd would start it socket-activated: fds 3 and 4 are the "sockets"
    (LISTEN_FDS=2), fd 5 a file for --preserve-fds; LISTEN_PID is berth's own pid, or not"""
    berth.prepare(b)
    berth.track(cid, b)
    for n in (3, 4, 5):
        (tmp_path / f"fd{n}").write_text(f"content-of-fd{n}\n")
    opts = ("--preserve-fds", str(preserve)) if preserve else ()
    argv = berth.argv("run", "--bundle", b.path, *opts, cid)
    pid = "$$" if listen_pid_is_berth else "1"
    redir = " ".join(f"{n}<{tmp_path / f'fd{n}'}" for n in (3, 4, 5))
    out = tmp_path / f"{cid}.out"
    with open(out, "wb") as fo:
        res = subprocess.run(["/bin/sh", "-c", f'LISTEN_PID={pid} exec "$@" {redir}', "w", *argv],
                             env=berth.env({"LISTEN_FDS": "2"}), stdout=fo,
                             stderr=subprocess.PIPE, timeout=20)
    assert res.returncode == 0, res.stderr
    return out.read_text().splitlines()


def test_listen_fds_passed_first_then_preserved_fds(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True)
    b.sh('echo "LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID"; cat <&3; cat <&4; cat <&5; '
         'ls /proc/self/fd')
    out = socket_activation_run(berth, b, "listenfds", tmp_path, True, preserve=1)
    assert out[0] == "LISTEN_FDS=2 LISTEN_PID=1"  # the pid sd_listen_fds() sees: its own
    assert out[1:4] == ["content-of-fd3", "content-of-fd4", "content-of-fd5"]
    fds = fd_list("\n".join(out[4:]))
    assert fds[:6] == [0, 1, 2, 3, 4, 5] and len(fds) == 7, f"container sees fds {fds}"


def test_listen_fds_for_another_process_ignored(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True)
    b.sh('echo "LISTEN_FDS=[$LISTEN_FDS]"; ls /proc/self/fd')
    out = socket_activation_run(berth, b, "listenother", tmp_path, False)
    assert out[0] == "LISTEN_FDS=[]"
    fds = fd_list("\n".join(out[1:]))
    assert fds[:3] == [0, 1, 2] and len(fds) == 4, f"container sees fds {fds}"


# -- console --------------------------------------------------------------------------------

def recv_pty_master(listener, timeout=10):
    listener.settimeout(timeout)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(timeout)
        fds = []
        msg = b""
        while not fds:
            data, anc, flags, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * array.array("i").itemsize))
            msg += data
            for level, type_, cdata in anc:
                if level == socket.SOL_SOCKET and type_ == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(cdata[:len(cdata) - (len(cdata) % a.itemsize)])
                    fds.extend(a)
            if not data and not anc:
                break
        assert fds, "no fd received on the console socket"
        for extra in fds[1:]:
            os.close(extra)
        return fds[0], msg


def read_pty(fd, until=None, timeout=10):
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if not r:
            if until and until(buf):
                break
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO once the slave side is closed
            break
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")


def test_console_socket(berth, bundle, tmp_path):
    """the pty master arrives over --console-socket; the pty is the process's stdio with
    consoleSize, and /dev/console is that same pty (the same pts device as stdin, issue #2)"""
    b = bundle(shared_rootfs=True, terminal=True)
    b.process["consoleSize"] = {"height": 31, "width": 97}
    b.sh("tty; stty size; test -t 0 && echo stdin-tty; "
         "echo devs $(stat -L -c %t:%T /dev/console) $(stat -L -c %t:%T /proc/self/fd/0); "
         "test -t 1 && echo stdout-tty")
    sock_path = tmp_path / "console.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    try:
        res = berth.create("console", b, "--console-socket", sock_path, check=False)
        assert res.returncode == 0, res
        master, msg = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        berth.start("console")
        text = read_pty(master, until=lambda buf: b"stdout-tty" in buf)
    finally:
        os.close(master)
    lines = [l.strip() for l in text.replace("\r", "").splitlines() if l.strip()]
    assert lines[0] in ("/dev/console", "/dev/pts/0"), text
    assert lines[1] == "31 97", text
    assert "stdin-tty" in lines and "stdout-tty" in lines, text
    devs = [l.split()[1:] for l in lines if l.startswith("devs ")][0]
    assert devs[0] == devs[1] and devs[0].startswith("88:"), text  # 136 (0x88): /dev/pts/N
    berth.wait_status("console", "stopped")


def test_console_socket_required_for_terminal(berth, bundle):
    b = bundle(shared_rootfs=True, terminal=True, args=["true"])
    res = berth.create("noconsole", b, check=False)
    assert res.returncode == 1, res
    assert "console" in res.stderr
    berth.assert_nothing_left()


def test_console_socket_run_detach(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, terminal=True)
    b.sh("echo hello-pty; sleep 30")
    sock_path = tmp_path / "c.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    try:
        res = berth.run("ptydetach", b, "-d", "--console-socket", sock_path)
        assert res.returncode == 0, res
        master, _ = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        text = read_pty(master, until=lambda buf: b"hello-pty" in buf, timeout=5)
    finally:
        os.close(master)
    assert "hello-pty" in text
    assert berth.state("ptydetach")["status"] == "running"


"""Security regressions: each test fails on a runtime that lacks the defense it names
(see SECURITY.md for the threat model and the list).

- CVE-2019-5736 class: the container must never open berth's binary through
  /proc/<pid>/exe of a berth process that is inside the container (the parked init, a
  process entering with `exec`). berth's stage processes are non-dumpable; the tests use a
  user-namespace container with every capability (CAP_SYS_PTRACE included), the case where
  only non-dumpability stops the open.
- CVE-2024-21626 class: no fd of berth's reaches the container (run and exec), and a
  process.cwd of /proc/self/fd/N is refused or resolves inside the container.
- The container cannot signal berth or host processes; kill --all reaches only the container.
- The state dir is not world-writable; a hostile state.json naming a host process never
  makes berth signal or join it.
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CAP_NUMBERS, host_cap_last, pid_alive, wait_for

ALL_CAPS = [n for n, v in CAP_NUMBERS.items() if v <= host_cap_last()]


def userns_all_caps(bundle):
    """A container whose root maps to host uid 100000 and holds every capability in its user
    namespace, CAP_SYS_PTRACE included: ptrace access checks then pass on uid and
    capabilities, and only non-dumpability keeps a berth process's exe closed."""
    if not os.path.exists("/proc/self/ns/user"):
        pytest.skip("kernel has no user namespaces")
    b = bundle(userns_owner=100000)
    b.config["root"]["readonly"] = False  # the probes write /tmp
    b.add_ns("user")
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.process["capabilities"] = {k: list(ALL_CAPS) for k in
                                 ("bounding", "effective", "permitted", "ambient", "inheritable")}
    return b


def host_sleeper(berth, seconds=60):
    """A host process the container and berth must leave alone (killed at teardown)."""
    p = subprocess.Popen(["sleep", str(seconds)], env=berth.env())
    berth.popens.append(p)
    return p


# ---------------------------------------------------------------- CVE-2019-5736 (/proc/pid/exe)

def probe(berth):
    """Shell function `probe PID NAME`: reads /proc/PID/exe and prints OPENED when it is
    berth's binary (same size: the attack's first step worked), DENIED when it cannot be
    opened, OTHER when it is already the user's binary (the process exec'd meanwhile)."""
    size = os.stat(berth.binary).st_size
    return ('probe() { n=$(wc -c < /proc/$1/exe 2>/dev/null) || { echo DENIED $1 $2; return; }; '
            f'if [ "$n" = {size} ]; then echo OPENED $1 $2; else echo OTHER $1 $2; fi; }}; ')


def test_cve_2019_5736_hook_cannot_open_parked_init_exe(berth, bundle):
    """A startContainer hook runs in the container while pid 1 is still berth's init: its
    /proc/1/exe is berth's binary and must not open. (Defense in depth: stage1's switch to
    the namespace's root already makes the kernel drop dumpability here; the exec test below
    is the one a runtime without PR_SET_DUMPABLE fails.)"""
    b = userns_all_caps(bundle)
    script = probe(berth) + "probe 1 $(cat /proc/1/comm) > /tmp/probe"
    b.config["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", script]}]}
    b.sh("cat /tmp/probe")
    out = berth.run_ok(b)
    assert "DENIED 1" in out, out
    assert "berth" in out, f"the probe did not run while pid 1 was berth's init: {out!r}"


def test_cve_2019_5736_exec_cannot_open_parked_init_exe(berth, bundle):
    """`berth exec` into a created container: pid 1 is the parked init (berth's binary)."""
    b = userns_all_caps(bundle)
    b.set_args("true")
    berth.create("cve1", b)
    res = berth("exec", "cve1", "sh", "-c", probe(berth) + "probe 1 $(cat /proc/1/comm)")
    assert res.returncode == 0, res
    assert "berth:parked" in res.stdout, res
    assert "DENIED 1" in res.stdout, res


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (apt-get install strace)")
def test_cve_2019_5736_process_entering_with_exec(berth, bundle):
    """While `berth exec` joins, its process is in the container and still berth's binary.
    strace holds it 1.5 s at its fchdir (process.cwd); a loop in the container tries every
    berth process's exe meanwhile."""
    b = userns_all_caps(bundle)
    b.sh(probe(berth) + "while :; do for p in /proc/[0-9]*; do read c < $p/comm 2>/dev/null || "
         "continue; case $c in berth*) probe ${p#/proc/} $c >> /tmp/probe;; esac; done; done")
    berth.create_and_start("cve2", b)
    argv = ["strace", "-f", "-o", "/dev/null", "-e", "trace=fchdir",
            "-e", "inject=fchdir:delay_enter=1500000", *berth.argv("exec", "cve2", "true")]
    r = subprocess.run(argv, env=berth.env_under_ptrace(), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    res = berth("exec", "cve2", "cat", "/tmp/probe")
    assert res.returncode == 0, res
    assert "DENIED" in res.stdout and "berth:exec" in res.stdout, \
        f"the loop never saw the entering process: {res.stdout!r}"
    assert "OPENED" not in res.stdout, res.stdout


# ---------------------------------------------------------------- CVE-2024-21626 (leaked fds)

# the shell's own fds, listed by a child (no command substitution pipe of its own)
LIST_FDS = "ls -l /proc/$$/fd"


def fds_of(out):
    """`ls -l` lines "... N -> target" -> {N: target}"""
    fds = {}
    for line in out.splitlines():
        if " -> " in line:
            left, target = line.split(" -> ", 1)
            fds[int(left.split()[-1])] = target
    return fds


def test_no_berth_fd_in_run(berth, bundle, tmp_path):
    """The container sees only stdio, even when berth itself was handed more fds."""
    b = bundle(shared_rootfs=True)
    b.sh(LIST_FDS)
    leak = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)  # inheritable (no CLOEXEC)
    try:
        os.set_inheritable(leak, True)
        res = berth.run("fd1", b, pass_fds=(leak,))
    finally:
        os.close(leak)
    assert res.returncode == 0, res
    fds = fds_of(res.stdout)
    assert set(fds) == {0, 1, 2}, res.stdout


def test_no_berth_fd_in_exec(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    berth.create_and_start("fd2", b)
    leak = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.set_inheritable(leak, True)
        res = berth("exec", "fd2", "sh", "-c", LIST_FDS, pass_fds=(leak,))
    finally:
        os.close(leak)
    assert res.returncode == 0, res
    assert set(fds_of(res.stdout)) == {0, 1, 2}, res.stdout


SESSION_KEYRING_ID_C = r"""
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) { printf("%ld\n", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0)); return 0; }
"""


def test_exec_joins_its_own_session_keyring(berth, bundle, tmp_path):
    """runc and crun give an exec'd process a new session keyring too; berth's inherited the
    keyring of whoever ran `berth exec` (the host session's keys)"""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler for the keyring helper")
    (tmp_path / "kid.c").write_text(SESSION_KEYRING_ID_C)
    subprocess.run(["cc", "-static", "-o", str(tmp_path / "kid"), str(tmp_path / "kid.c")],
                   check=True)
    host = subprocess.run([str(tmp_path / "kid")], capture_output=True, text=True, check=True)
    b = bundle(args=["sleep", "60"])
    shutil.copy(tmp_path / "kid", b.rootfs / "bin" / "kid")
    berth.create_and_start("kr1", b)
    ids = set()
    for _ in range(2):
        res = berth("exec", "kr1", "kid")
        assert res.returncode == 0, res
        ids.add(res.stdout.strip())
    assert host.stdout.strip() not in ids, (host.stdout, ids)
    assert len(ids) == 2, ids  # one new keyring per exec


def cwd_is_inside(res):
    """The container printed INSIDE when getcwd() names a path in its own root that is the
    same directory as its cwd; a cwd on a host mount (the host's /proc through a leaked fd)
    has no such path."""
    return res.stdout.startswith("INSIDE /")


SHOW_CWD = ('p=$(pwd -P) && [ -n "$p" ] && [ "$(stat -c %d:%i .)" = "$(stat -c %d:%i "$p")" ] '
            '&& echo INSIDE $p || echo OUTSIDE')


@pytest.mark.parametrize("n", range(3, 10))
def test_cwd_magic_link_fd_run(berth, bundle, n):
    b = bundle(shared_rootfs=True)
    b.process["cwd"] = f"/proc/self/fd/{n}"
    b.sh(SHOW_CWD)
    res = berth.run(f"cwd{n}", b)
    if res.returncode != 0:
        assert "process.cwd" in res.stderr, res
    else:
        assert cwd_is_inside(res), f"cwd escaped the container: {res!r}"


@pytest.mark.parametrize("n", range(3, 10))
def test_cwd_magic_link_fd_exec(berth, bundle, n):
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    berth.create_and_start(f"cwx{n}", b)
    res = berth("exec", "--cwd", f"/proc/self/fd/{n}", f"cwx{n}", "sh", "-c", SHOW_CWD)
    if res.returncode != 0:
        assert "process.cwd" in res.stderr, res
    else:
        assert cwd_is_inside(res), f"cwd escaped the container: {res!r}"


def test_cwd_symlink_resolves_inside(berth, bundle):
    """An image's absolute symlink used as cwd resolves inside the rootfs, not on the host."""
    b = bundle()
    (b.rootfs / "tmp" / "inside").mkdir()
    (b.rootfs / "tmp" / "inside" / "marker").write_text("in")
    os.symlink("/tmp/inside", b.rootfs / "work")
    b.process["cwd"] = "/work"
    b.sh("cat marker")
    assert berth.run_ok(b).strip() == "in"


# ---------------------------------------------------------------- signals

def test_container_cannot_signal_berth_or_host(berth, bundle):
    sleeper = host_sleeper(berth)
    b = bundle(shared_rootfs=True)
    # berth run's own pid is the parent of the container's init, on the host
    b.sh(f"kill -9 {sleeper.pid} 2>/dev/null; echo r1=$?; kill -9 $PPID; kill -9 -1; "
         "sleep 0.2; echo alive")
    p = berth.run_popen("sig1", b)
    p.wait(timeout=20)
    out = Path(p.out_path).read_text()
    assert "r1=1" in out, out   # the host pid does not exist in the container's pid namespace
    assert "alive" in out, out  # kill -1 from pid 1 spares pid 1
    assert p.returncode == 0, Path(p.err_path).read_text()  # berth run survived to report it
    assert pid_alive(sleeper.pid)


@pytest.mark.parametrize("pidns", [True, False], ids=["own-pidns", "host-pidns"])
def test_kill_all_reaches_only_the_container(berth, bundle, pidns):
    sleeper = host_sleeper(berth)
    b = bundle(shared_rootfs=True)
    if not pidns:
        b.remove_ns("pid")
    b.sh("sleep 100 & sleep 100 & wait")
    st = berth.create_and_start(f"ka{int(pidns)}", b)
    wait_for(lambda: len(children_of(st["pid"])) == 2, what="the container's two sleeps")
    kids = children_of(st["pid"])
    berth.kill(f"ka{int(pidns)}", "--all", "KILL")
    wait_for(lambda: not any(pid_alive(k) for k in kids + [st["pid"]]),
             what="every container process to die")
    assert pid_alive(sleeper.pid), "kill --all reached a host process"
    assert pid_alive(os.getpid())


def children_of(pid):
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# ---------------------------------------------------------------- the state dir

def test_state_dir_not_world_writable(berth, bundle, tmp_path):
    root = tmp_path / "fresh-root"  # berth makes it
    b = bundle(shared_rootfs=True, args=["true"])
    berth.prepare(b)
    res = subprocess.run([str(berth.binary), "--root", str(root), "create", "--bundle",
                          str(b.path), "perm1"], env=berth.env(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    try:
        assert res.returncode == 0
        for p in [root, root / "perm1", root / "perm1" / "state.json",
                  root / "perm1" / "exec.fifo"]:
            mode = os.lstat(p).st_mode
            assert not mode & (stat.S_IWOTH | stat.S_IWGRP), f"{p}: mode {oct(mode)}"
            assert os.lstat(p).st_uid == 0, p
        assert stat.S_IMODE(os.lstat(root).st_mode) == 0o700
        assert stat.S_IMODE(os.lstat(root / "perm1").st_mode) == 0o700
    finally:
        subprocess.run([str(berth.binary), "--root", str(root), "delete", "--force", "perm1"],
                       capture_output=True, timeout=10)
    assert not (root / "perm1").exists()


def start_time(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


@pytest.mark.parametrize("variant", ["wrong-start-time", "right-start-time", "cgroup-root"])
def test_hostile_state_json_never_signals_host(berth, bundle, variant):
    """state.json names a host process: berth must not signal it, join it, nor walk a
    host cgroup, whatever else the file says."""
    sleeper = host_sleeper(berth)
    st = {"ociVersion": "1.3.0", "id": "evil", "pid": sleeper.pid,
          "startTime": start_time(sleeper.pid) + (1 if variant == "wrong-start-time" else 0),
          "bundle": "/nonexistent", "rootfs": "/nonexistent", "created": "x", "owner": ""}
    if variant == "cgroup-root":
        st["cgroupPath"] = "//"
    d = berth.root / "evil"
    d.mkdir(mode=0o700)
    (d / "state.json").write_text(json.dumps(st))
    berth.track("evil")
    res = berth.state("evil")
    assert res["status"] == "stopped", res
    for args in (["kill", "evil", "KILL"], ["kill", "--all", "evil", "KILL"],
                 ["start", "evil"], ["exec", "evil", "true"], ["pause", "evil"]):
        r = berth(*args)
        if args[:2] == ["kill", "--all"] and variant != "cgroup-root":
            # runc: kill --all of a stopped container succeeds, signalling what is left in its
            # cgroup (here: none)
            assert r.returncode == 0, r
        else:
            assert r.returncode != 0, r
        assert pid_alive(sleeper.pid), f"berth {' '.join(args)} signalled a host process"
    r = berth("delete", "--force", "evil")
    assert pid_alive(sleeper.pid), f"delete --force signalled a host process: {r!r}"
    if variant == "cgroup-root":
        assert r.returncode != 0 and "cgroup" in r.stderr, r
        shutil.rmtree(d)
    else:
        assert r.returncode == 0, r
    assert not d.exists()


@pytest.mark.parametrize("unit,cgroup", [("sshd.service", "/system.slice/sshd.service"),
                                         ("user.slice", "/system.slice/berth-evil.scope"),
                                         ("berth-evil.scope", "/system.slice/x-berth-evil.scope")])
def test_hostile_state_json_systemd_unit(berth, unit, cgroup):
    """--systemd-cgroup stores the unit delete stops: state.json must not make berth stop a
    unit it did not start (only a scope or slice whose cgroup is the stored path)."""
    st = {"ociVersion": "1.3.0", "id": "evilunit", "pid": 0, "startTime": 0,
          "bundle": "/nonexistent", "rootfs": "/nonexistent", "created": "x", "owner": "",
          "cgroupPath": cgroup, "systemdUnit": unit}
    d = berth.root / "evilunit"
    d.mkdir(mode=0o700)
    (d / "state.json").write_text(json.dumps(st))
    berth.track("evilunit")
    res = berth("state", "evilunit")
    assert res.returncode == 1 and "systemdUnit" in res.stderr, res
    r = berth("delete", "--force", "evilunit")  # the state dir only
    assert r.returncode == 0 and "systemdUnit" in r.stderr, r
    assert not d.exists()


# ---------------------------------------------------------------- hostile config / state text

@pytest.mark.parametrize("where", ["config", "state", "process"])
def test_deeply_nested_json_is_refused(berth, bundle, tmp_path, where):
    """A few MB of "[" overflowed the stack in yajl_tree_free (found by fuzz_json): every JSON
    berth reads is refused above 128 levels, with a message."""
    deep = '{"a":' + "[" * 2_000_000 + "]" * 2_000_000 + "}"
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    if where == "config":
        b.raw = deep
        res = berth.create("deep", b, check=False)
    elif where == "state":
        d = berth.root / "deep"
        d.mkdir(mode=0o700)
        (d / "state.json").write_text(deep)
        berth.track("deep")
        res = berth("state", "deep")
    else:
        berth.create_and_start("deep", b)
        f = tmp_path / "process.json"
        f.write_text(deep)
        res = berth("exec", "--process", f, "deep")
    assert res.returncode == (255 if where == "process" else 1), res
    assert "nested deeper than 128" in res.stderr, res

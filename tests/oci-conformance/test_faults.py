"""Faults: create fails at each step (syscalls failed by strace, berth SIGKILLed mid-create,
a full state root), commands race on one container, and many runs in a row leave the host as
they found it. After every failure: one clear error, and no state dir, mount, cgroup or
process left behind; state/list never crash on what a killed create left."""
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import pid_alive, wait_for

CGROUP_ROOT = Path("/sys/fs/cgroup")
needs_strace = pytest.mark.skipif(shutil.which("strace") is None,
                                  reason="needs strace (apt-get install strace)")


def berth_cgroups():
    """Every directory under a berth/ cgroup parent, in every hierarchy (other tests may add
    and remove theirs meanwhile: vanishing directories are skipped)."""
    found = set()
    for parent in list(CGROUP_ROOT.glob("*/berth")) + [CGROUP_ROOT / "berth"]:
        for dirpath, dirnames, _ in os.walk(parent, onerror=lambda e: None):
            found |= {os.path.join(dirpath, d) for d in dirnames}
    return found


def hierarchies():
    """The mounted cgroup hierarchies (the root itself on a pure cgroup v2 host)."""
    if (CGROUP_ROOT / "cgroup.procs").exists():
        return [CGROUP_ROOT]
    return [d for d in CGROUP_ROOT.iterdir() if (d / "cgroup.procs").exists()]


def cgroups_of(cid):
    return [c for c in berth_cgroups() if c.endswith("/" + cid)]


def assert_clean(berth, cid):
    assert not (berth.root / cid).exists(), f"state dir of {cid} left behind"
    assert not cgroups_of(cid), f"cgroups left behind: {cgroups_of(cid)}"
    berth.assert_nothing_left()


def assert_clear_failure(res):
    """Failed with a message naming what failed, not a crash."""
    assert res.returncode == 1, f"expected exit 1, not a crash or success: {res!r}"
    lines = [l for l in res.stderr.splitlines() if l.startswith("berth: ")]
    assert lines, f"no error message: {res!r}"


# ---------------------------------------------------------------- failed syscalls (strace)

def strace_run(berth, b, cid, inject):
    berth.prepare(b)
    berth.track(cid, b)
    argv = ["strace", "-f", "-o", "/dev/null", "-e", f"inject={inject}",
            *berth.argv("run", "--bundle", b.path, cid)]
    out = berth.workdir / f"strace-{cid}.out"
    err = berth.workdir / f"strace-{cid}.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        p = subprocess.run(argv, env=berth.env_under_ptrace(), stdin=subprocess.DEVNULL, stdout=fo,
                           stderr=fe, timeout=30)
    return p.returncode, out.read_text(errors="replace"), err.read_text(errors="replace")


INJECTIONS = (
    [f"mount:error=EIO:when={n}" for n in (1, 2, 3, 5, 8, 13, 21, 34)]
    + [f"clone:error=ENOMEM:when={n}" for n in (1, 2)]
    + [f"mkdir,mkdirat:error=ENOSPC:when={n}" for n in (1, 2, 4, 8, 16)]
    + [f"openat,openat2:error=EMFILE:when={n}" for n in (5, 20, 60, 100)]
    + ["pivot_root:error=EPERM", "unshare:error=ENOMEM", "setns:error=EINVAL:when=1",
       "write:error=ENOSPC:when=3", "socketpair:error=ENFILE", "sethostname:error=EPERM",
       "execve:error=ENOENT:when=2"]
)


@needs_strace
@pytest.mark.parametrize("inject", INJECTIONS)
def test_injected_failure_leaves_host_clean(berth, bundle, inject):
    b = bundle(shared_rootfs=True, args=["true"])
    cid = "inj"
    rc, out, err = strace_run(berth, b, cid, inject)
    if rc != 0:
        assert rc in (1, 126, 127), f"{inject}: exit {rc} (crash?): {err}"
        assert "berth: " in err, f"{inject}: no error message: {err!r}"
        assert "AddressSanitizer" not in err and "runtime error" not in err, err
    # whatever happened, a run leaves nothing; and delete --force finds nothing to do
    berth("delete", "--force", cid)
    assert_clean(berth, cid)


@needs_strace
@pytest.mark.parametrize("when", [1, 2, 3, 5, 8])
def test_create_sigkilled_at_a_cgroup_mkdir(berth, bundle, when):
    """berth killed at its Nth cgroup mkdir (some hierarchies have the container's directory,
    others not yet): state.json already names the cgroup, so delete --force removes it all."""
    b = bundle(shared_rootfs=True, args=["true"])
    cid = "kmk"
    rc, out, err = strace_run(berth, b, cid, f"mkdir:signal=KILL:when={when}")
    assert rc in (0, -signal.SIGKILL, 128 + signal.SIGKILL, 1), (rc, err)
    d = berth("delete", "--force", cid)
    assert d.returncode == 0, d
    assert_clean(berth, cid)


# ---------------------------------------------------------------- berth SIGKILLed mid-create

def hook(path_in_host, kind):
    """A hook that touches a file then sleeps: the point where berth gets killed."""
    return {"path": "/bin/sh", "args": ["sh", "-c", f"touch {path_in_host}; exec sleep 30"]}


@pytest.mark.parametrize("where", ["prestart", "createRuntime", "createContainer"])
def test_create_sigkilled_during_hook(berth, bundle, tmp_path, where):
    b = bundle(args=["true"])
    # createContainer runs in the container's mount namespace but before pivot_root: the
    # host's paths still resolve
    flag = tmp_path / "hook-ran"
    h = hook(str(flag), where)
    h["env"] = [f"BERTH_TEST_MARK={berth.mark}", "PATH=/bin:/usr/bin"]
    b.config["hooks"] = {where: [h]}
    berth.prepare(b)
    berth.track("kc", b)
    p = berth.popen("create", "--bundle", b.path, "kc")
    wait_for(flag.exists, timeout=10, what=f"the {where} hook to run")
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=5)
    # what is left must be readable without crashing, then removable
    st = berth("state", "kc")
    assert st.returncode in (0, 1), st
    if st.returncode == 0:
        # the init dies with create (PR_SET_PDEATHSIG), a moment later
        wait_for(lambda: berth.state("kc")["status"] == "stopped", what="the init to die")
    lst = berth("list")
    assert lst.returncode == 0, lst
    d = berth("delete", "--force", "kc")
    assert d.returncode == 0, d
    assert_clean(berth, "kc")


def test_create_sigkilled_then_parked_init_killed(berth, bundle):
    """create finished; the parked init is SIGKILLed: stopped, and delete removes it all."""
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create("kp", b)
    pid = berth.state("kp")["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: berth.state("kp")["status"] == "stopped", what="stopped")
    assert berth("start", "kp").returncode == 1
    berth.delete("kp")
    assert_clean(berth, "kp")


@pytest.mark.parametrize("content", ["", "{", "[]", '{"id":"hc"}', '{"id":"hc","pid":-5}',
                                     "\0\0\0"])
def test_half_written_state(berth, content):
    """A state.json as a crash (or a hand) may leave it: state/list/kill/start answer with an
    error, delete --force removes it."""
    d = berth.root / "hc"
    d.mkdir(mode=0o700)
    (d / "state.json").write_text(content)
    berth.track("hc")
    for args in (["state", "hc"], ["kill", "hc"], ["start", "hc"], ["delete", "hc"]):
        assert_clear_failure(berth(*args))
    assert berth("list").returncode == 0
    assert berth("delete", "--force", "hc").returncode == 0
    assert not d.exists()


def test_state_dir_without_state_json(berth):
    (berth.root / "hd").mkdir(mode=0o700)
    berth.track("hd")
    res = berth("state", "hd")
    assert_clear_failure(res)
    assert "half-created" in res.stderr
    assert berth("list").returncode == 0
    assert berth("delete", "--force", "hd").returncode == 0
    assert not (berth.root / "hd").exists()


# ---------------------------------------------------------------- a full state root

FULL_ROOT_SCRIPT = r'''
set -u
mount -t tmpfs -o mode=0700,{opts} berth-full "$ROOT" || exit 90
"$BERTH" --root "$ROOT" create --bundle "$BUNDLE" old || exit 91
cp "$ROOT/old/state.json" "$WORK/old-before.json"
# fill it up: blocks, then inodes
dd if=/dev/zero of="$ROOT/fill" bs=4k 2>/dev/null
i=0; while printf '' 2>/dev/null > "$ROOT/f$i"; do i=$((i+1)); [ $i -gt 5000 ] && break; done
"$BERTH" --root "$ROOT" create --bundle "$BUNDLE" new > "$WORK/new.out" 2> "$WORK/new.err"
echo $? > "$WORK/new.rc"
ls -a "$ROOT" | grep -v '^f[0-9]' > "$WORK/entries"
cp "$ROOT/old/state.json" "$WORK/old-after.json"
"$BERTH" --root "$ROOT" state old > "$WORK/old.state" 2>&1
rm -f "$ROOT"/f* "$ROOT/fill"
"$BERTH" --root "$ROOT" delete --force old
"$BERTH" --root "$ROOT" delete --force new 2>/dev/null
ls -A "$ROOT" > "$WORK/after"
umount "$ROOT"
'''


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
@pytest.mark.parametrize("opts", ["size=64k,nr_inodes=4096", "size=1m,nr_inodes=32"])
def test_full_state_root(berth, bundle, tmp_path, opts):
    """--root on a tiny tmpfs (mounted in a private mount namespace, so the host's mount table
    never changes) filled up: create fails cleanly, the existing container's state survives."""
    b = bundle(shared_rootfs=True, args=["true"])
    berth.prepare(b)
    root = tmp_path / "tiny-root"
    root.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = berth.env({"ROOT": str(root), "BERTH": str(berth.binary), "BUNDLE": str(b.path),
                     "WORK": str(work)})
    # files, not pipes: the parked init keeps berth's stdio open
    with open(work / "script.err", "wb") as fe:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            FULL_ROOT_SCRIPT.format(opts=opts)], env=env, timeout=60,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=fe)
    assert r.returncode == 0, (work / "script.err").read_text()
    rc = int((work / "new.rc").read_text())
    err = (work / "new.err").read_text()
    assert rc == 1, f"create on a full root: exit {rc}: {err}"
    assert err.startswith("berth: ") and ("space" in err or "No space" in err), err
    assert "new" not in (work / "entries").read_text().split(), "the failed create left its dir"
    assert (work / "old-before.json").read_text() == (work / "old-after.json").read_text()
    assert json.loads((work / "old.state").read_text())["status"] == "created"
    assert (work / "after").read_text().strip() == ""
    assert not cgroups_of("new") and not cgroups_of("old")
    berth.assert_nothing_left()


# ---------------------------------------------------------------- races on one id

def test_racing_commands_on_one_id(berth, bundle):
    """8 workers run create/start/kill/delete/state on one id for ~40 s: no crash, no
    deadlock (every command returns within 45 s), no cgroup error, nothing left afterwards.
    The id is this run's own: the default cgroup /berth/<id> is host-wide, and a fixed id
    would meet the same test of a suite running from another worktree (another --root)."""
    cid = f"race{os.getpid()}"
    b = bundle(shared_rootfs=True, args=["sleep", "2"])
    berth.prepare(b)
    berth.track(cid, b)
    ops = [("create", "--bundle", str(b.path), cid), ("start", cid),
           ("kill", cid, "KILL"), ("kill", "--all", cid, "TERM"), ("delete", cid),
           ("delete", "--force", cid), ("state", cid), ("list",)]
    problems = []
    counts = {"ok": 0, "fail": 0}
    msgs = set()
    lock = threading.Lock()
    deadline = time.monotonic() + 40

    def worker(seed):
        rnd = random.Random(seed)
        while time.monotonic() < deadline and not problems:
            args = rnd.choice(ops)
            argv = berth.argv(*args)
            # stderr to a file, not a pipe: a parked init keeps create's stderr open, and
            # reading a pipe to its end would wait for the container, not for berth
            errf = berth.workdir / f"race-{seed}.err"
            try:
                with open(errf, "wb") as fe:
                    p = subprocess.run(argv, env=berth.env(), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=fe, timeout=45)
            except subprocess.TimeoutExpired:
                # generous: a loaded 2-core host (other suites, a fuzz campaign) once took a
                # create past 20 s; a deadlock never returns
                problems.append(f"deadlock: {args} did not return in 45 s")
                return
            err = errf.read_text(errors="replace")
            if p.returncode not in (0, 1) or "Sanitizer" in err or "runtime error" in err:
                problems.append(f"{args}: exit {p.returncode}: {err}")
            with lock:
                counts["ok" if p.returncode == 0 else "fail"] += 1
                if p.returncode:
                    msgs.add(f"{args[0]}: {err.strip()}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not problems, "\n".join(problems[:5])
    assert counts["ok"] > 50, counts
    # one --root, one id: the state dir's lock orders every command, so no cgroup step may
    # fail ("cgroup /berth/<id> already exists", "enter pid N into ...: No such file")
    assert not [m for m in msgs if "cgroup" in m], "\n".join(sorted(msgs))
    berth("delete", "--force", cid)
    assert_clean(berth, cid)


@needs_strace
def test_failed_create_leaves_other_roots_cgroup_alone(berth, bundle, tmp_path):
    """Two --roots, one linux.cgroupsPath (shared, as a pod's may be). B makes the parent
    directory, then (held up by strace) A makes the leaf and creates its container; B then
    fails: B's cleanup removes what B made, never A's cgroup, and never kills A's process."""
    parent = f"/berth/two{os.getpid()}"
    a = bundle(shared_rootfs=True, args=["sleep", "30"])
    a.config["linux"]["cgroupsPath"] = parent + "/c"
    bb = bundle(shared_rootfs=True, args=["true"])
    bb.config["linux"]["cgroupsPath"] = parent + "/c"
    # applied after the directories are made; no host has 4096 cpus
    bb.config["linux"]["resources"] = {"cpu": {"cpus": "4096"}}
    berth.prepare(a)
    berth.prepare(bb)
    berth.track("ca", a)
    root2 = tmp_path / "root2"
    root2.mkdir(mode=0o700)
    try:
        # B's mkdir calls: <h>/berth, <h>/berth/twoN (then held 3 s), <h>/berth/twoN/c, ...
        argv = ["strace", "-f", "-o", "/dev/null", "-e", "inject=mkdir:delay_exit=3000000:when=2",
                str(berth.binary), "--root", str(root2), "create", "--bundle", str(bb.path), "cb"]
        with open(berth.workdir / "b.err", "wb") as fe:
            pb = subprocess.Popen(argv, env=berth.env_under_ptrace(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=fe)
        try:
            wait_for(lambda: any(CGROUP_ROOT.glob(f"*{parent}")), timeout=10,
                     what="B to make the parent cgroup")
            berth.create("ca", a)
            assert pb.wait(timeout=30) == 1
        finally:
            if pb.poll() is None:
                pb.kill()
                pb.wait()
        err = (berth.workdir / "b.err").read_text()
        assert "cpu.cpus" in err, err
        assert berth.state("ca")["status"] == "created", "B's cleanup killed A's process"
        mine = sorted(c for c in berth_cgroups() if c.endswith(parent + "/c"))
        assert len(mine) == len(hierarchies()), f"A's cgroup lost a directory: {mine}"
        berth.start("ca")
        assert berth.state("ca")["status"] == "running"
        berth.delete("ca", "--force")
        assert not [c for c in berth_cgroups() if c.endswith(parent + "/c")]
    finally:
        subprocess.run([str(berth.binary), "--root", str(root2), "delete", "--force", "cb"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        for d in sorted(CGROUP_ROOT.glob(f"*{parent}"), key=lambda p: len(str(p)), reverse=True):
            for sub in (d / "c", d):
                try:
                    sub.rmdir()
                except OSError:
                    pass
    assert not any(CGROUP_ROOT.glob(f"*{parent}")), "parent cgroups left behind"
    assert not os.listdir(root2)


# ---------------------------------------------------------------- many runs

def host_snapshot(berth, ids, b):
    """What a run could leak, restricted to what this test owns (other suites may run on the
    host meanwhile): mounts naming the bundle or the state root, the ids' cgroups, this
    process's fds, zombies among its children, entries under --root."""
    me = str(os.getpid())
    zombies = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] == "Z" and stat[1] == me:
                zombies += 1
    names = (str(b.path), str(b.rootfs), str(berth.root))
    return {
        "mounts": [l for l in Path("/proc/self/mountinfo").read_text().splitlines()
                   if any(n in l for n in names)],
        "cgroups": sorted(c for c in berth_cgroups() if c.rsplit("/", 1)[1] in ids),
        "fds": sorted(os.listdir("/proc/self/fd")),
        "zombies": zombies,
        "root": sorted(os.listdir(berth.root)),
    }


def sequential_runs(berth, bundle, n):
    b = bundle(shared_rootfs=True, args=["sh", "-c", "exit 3"])
    berth.prepare(b)
    ids = {f"seq{i}" for i in range(7)}
    before = host_snapshot(berth, ids, b)
    for i in range(n):
        res = berth("run", "--bundle", b.path, f"seq{i % 7}")
        assert res.returncode == 3, res
    # the listing of /proc/self/fd itself held an fd: compare without it
    after = host_snapshot(berth, ids, b)
    assert len(after.pop("fds")) == len(before.pop("fds")), "fds leaked"
    assert after == before


def test_200_sequential_runs_leave_host_unchanged(berth, bundle):
    """scripts/soak.sh does the same 1,000 times (BERTH_SOAK_RUNS)."""
    sequential_runs(berth, bundle, int(os.environ.get("BERTH_SOAK_RUNS", "200")))

#!/usr/bin/env python3
"""Failure injection for every berth command (issue #14).

For each command (create, start, run, exec, kill, delete, pause, resume, update) the harness
first records which syscalls the command makes and how often (strace -f, counted per syscall
and per process, as strace counts injections), then runs it once per case:

  fail  SYSCALL N   the N-th call of SYSCALL in every process of the command fails with EIO
                    (strace -f -e inject=SYSCALL:error=EIO:when=N)
  kill  SYSCALL N   berth itself (not its children) is SIGKILLed at its N-th SYSCALL: every
                    step of the create/start/exec handshakes, and of every other command
                    (strace -e inject=SYSCALL:signal=KILL:when=N, without -f)

Each runs with the bundle's own mount namespace ("default"), and create, start, run, exec and
delete also with none listed ("sharedmnt": the runtime's is inherited) and with one given by
path ("joinedmnt": a holder process's): there the rootfs is bound onto itself in a namespace
that outlives the container, and the mounts are looked for in it too.

and after each case asserts:
  - no hang (a timeout), no crash: berth did not die of a signal it was not sent, exited
    neither 134 nor 139;
  - a failure exits 1 with a "berth: ..." message (run and exec may also pass on the
    container's own status, 126/127 for an executable that cannot start);
  - then `delete --force` succeeds and leaves no process, cgroup, mount, state directory,
    exec fifo or .creating-* directory;
  - create, run and exec are given --pid-file: no temporary file is left beside it, and a
    failed create leaves no pid file.

Usage (root, strace installed; BERTH or --berth names the binary):
  tests/inject/harness.py                  the whole matrix (every syscall, every N)
  tests/inject/harness.py --sample         the bounded sample CI runs (test_inject.py)
  tests/inject/harness.py --list           print the matrix, run nothing
  tests/inject/harness.py -c create -s mount   narrow it
  tests/inject/harness.py -k sharedmnt -c create   one mount namespace config
The whole matrix is about 7,500 runs (see --list); the sample about 220.
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "oci-conformance"))

COMMANDS = ["create", "start", "run", "exec", "kill", "delete", "pause", "resume", "update"]
HANDSHAKE = {"create", "start", "run", "exec"}  # berth is SIGKILLed at each of their steps
# and at each step of every other command too (a `delete` killed half way must leave what the
# next `delete --force` finds); the CI sample kills the handshakes and delete only
KILLED = set(COMMANDS)
SAMPLE_KILLED = HANDSHAKE | {"delete"}
# Injecting here tests strace, not berth: exit and sigreturn cannot fail; execve is how the
# container's program starts (its failure is test_hostile's loader test); and strace fails a
# call by not making it, so a "failed" close would leave the fd open, which the kernel never
# does (close always releases the fd, EIO or not): a sync socket end then stays open and its
# peer waits for ever. brk never returns an errno (it fails by returning the old break), so
# an injected -EIO corrupts malloc's view of the heap ("malloc(): corrupted top size").
# arch_prctl sets up thread-local storage before main: the loader dies at once.
NEVER = {"exit", "exit_group", "rt_sigreturn", "restart_syscall", "execve", "close", "brk",
         "arch_prctl"}
MARK = "BERTH_INJECT_MARK"
TIMEOUT = 20
CG = Path("/sys/fs/cgroup")


# The bundle's mount namespace: its own (the default), none (the runtime's is inherited), or
# one given by path (a holder process's): in the last two the rootfs is bound onto itself in a
# namespace that outlives the container (libcontainer/rootmount.h), where a kill must leave
# nothing either.
CONFIGS = ["default", "sharedmnt", "joinedmnt"]
# what the mount namespace configs run: the commands that build or remove the rootfs's mounts
MNTNS_COMMANDS = {"create", "start", "run", "exec", "delete"}


class Case:
    def __init__(self, cmd, mode, syscall, n, config="default"):
        self.cmd, self.mode, self.syscall, self.n = cmd, mode, syscall, n
        self.config = config

    def __str__(self):
        at = "" if self.config == "default" else f"@{self.config}"
        return f"{self.cmd}{at}:{self.mode}:{self.syscall}:{self.n}"


class Harness:
    def __init__(self, berth, workdir: Path, prefix="err14-inj"):
        self.berth = str(berth)
        self.work = workdir
        self.root = workdir / "state"
        self.prefix = prefix
        self.mark = f"{prefix}-{os.getpid()}"
        self.seq = 0
        from conftest import make_busybox_rootfs  # the suite's busybox rootfs
        self.rootfs = make_busybox_rootfs(workdir / "rootfs")
        self.holder = None  # the joined mount namespace's process, started at first use
        self.bundles = {}

    # -- setup -----------------------------------------------------------------------------
    def bundle(self, config, name):
        if (config, name) not in self.bundles:
            args = {"sleep": ["sleep", "1000"], "true": ["true"]}[name]
            self.bundles[config, name] = self._bundle(config, name, args)
        return self.bundles[config, name]

    def _bundle(self, config, name, args):
        b = self.work / f"bundle-{config}-{name}"
        b.mkdir(parents=True, exist_ok=True)
        subprocess.run([self.berth, "spec"], cwd=b, check=True)
        cfg = json.loads((b / "config.json").read_text())
        cfg["root"] = {"path": str(self.rootfs), "readonly": True}
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = args
        cfg["process"]["env"].append(f"{MARK}={self.mark}")
        cfg["linux"]["resources"] = {"pids": {"limit": 1000}}
        ns = [n for n in cfg["linux"]["namespaces"] if n["type"] != "mount"]
        if config == "joinedmnt":
            ns.append({"type": "mount", "path": f"/proc/{self.mntns_holder()}/ns/mnt"})
        if config != "default":
            cfg["linux"]["namespaces"] = ns
        (b / "config.json").write_text(json.dumps(cfg))
        return b

    def mntns_holder(self):
        """A process in a mount namespace of its own (private propagation: what is mounted there
        is not seen here), made after the rootfs, so the rootfs is in it too."""
        if self.holder is None:
            if shutil.which("unshare") is None:
                raise RuntimeError("no unshare(1) (util-linux) for the joined mount namespace")
            self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                                            "sleep", "infinity"])
            deadline = time.monotonic() + 5
            while os.readlink(f"/proc/{self.holder.pid}/ns/mnt") == \
                    os.readlink("/proc/self/ns/mnt"):
                if time.monotonic() > deadline:
                    raise RuntimeError("unshare --mount: no new mount namespace")
                time.sleep(0.01)
        return self.holder.pid

    def close(self):
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait()
            self.holder = None

    def env(self):
        env = dict(os.environ)
        env[MARK] = self.mark
        # LeakSanitizer cannot run under ptrace
        opts = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
        return env

    def call(self, args, timeout=TIMEOUT):
        """berth ARGS; (exit status or None on timeout, stderr)"""
        argv = [self.berth, "--root", str(self.root), *map(str, args)]
        err = self.work / "err"
        with open(err, "wb") as fe:
            try:
                rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=fe, env=self.env(), timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                rc = None
        return rc, err.read_text(errors="replace")

    def traced(self, args, strace_opts, trace, timeout=TIMEOUT):
        """berth ARGS under strace. strace waits for every tracee, and a created container's
        parked init lives on: berth's own exit is read from the trace instead ("PID +++
        exited with N +++" of the first pid), then strace is told to detach (SIGTERM)."""
        # the marker only in berth's environment (-E), not in strace's own
        argv = ["strace", "-q", "-o", str(trace), "-E", f"{MARK}={self.mark}", *strace_opts,
                self.berth, "--root", str(self.root), *map(str, args)]
        err = self.work / "err"
        trace.unlink(missing_ok=True)  # not the last case's exit
        with open(err, "wb") as fe:
            env = self.env()
            del env[MARK]
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=fe, env=env)
        rc = None
        deadline = time.monotonic() + timeout
        while rc is None and time.monotonic() < deadline:
            rc = berth_exit(trace)
            if rc is None:
                if p.poll() is not None:
                    rc = berth_exit(trace)
                    if rc is None:  # strace itself failed
                        rc = ("strace", p.returncode)
                    break
                time.sleep(0.01)
        if p.poll() is None:
            try:
                p.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                p.terminate()  # detaches from what is left (the parked init)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        return rc, err.read_text(errors="replace")

    def prepare(self, cmd, cid, config="default"):
        """Brings cid to the state the command needs; returns its argv."""
        sleep = self.bundle(config, "sleep")
        if cmd == "create":
            return ["create", "--pid-file", self.pid_file(cid), "--bundle", sleep, cid]
        if cmd == "run":
            return ["run", "--pid-file", self.pid_file(cid), "--bundle",
                    self.bundle(config, "true"), cid]
        self.must(["create", "--bundle", sleep, cid])
        if cmd == "start":
            return ["start", cid]
        self.must(["start", cid])
        if cmd == "resume":
            self.must(["pause", cid])
        return {"exec": ["exec", "--pid-file", self.pid_file(cid), cid, "true"],
                "kill": ["kill", cid, "KILL"],
                "delete": ["delete", "--force", cid], "pause": ["pause", cid],
                "resume": ["resume", cid],
                "update": ["update", "--pids-limit", "200", cid]}[cmd]

    def pid_file(self, cid):
        d = self.work / "pids"
        d.mkdir(exist_ok=True)
        return d / cid

    def pid_file_problems(self, case, cid, rc):
        """--pid-file: never a temporary file left beside it; after a failed create (not one
        killed: its pid file may be written just before the kill), no pid file naming a
        process that is gone."""
        d = self.work / "pids"
        left = [f"{case}: pid file directory: {e.name}" for e in d.iterdir()
                if e.name != cid] if d.exists() else []
        failed = isinstance(rc, int) and rc not in (0, -signal.SIGKILL, 128 + signal.SIGKILL)
        if case.cmd == "create" and case.mode == "fail" and failed and (d / cid).exists():
            left.append(f"{case}: create failed (exit {rc}) and left its --pid-file")
        shutil.rmtree(d, ignore_errors=True)
        return left

    def must(self, args):
        rc, err = self.call(args)
        if rc != 0:
            raise RuntimeError(f"setup {args}: exit {rc}: {err}")

    def next_id(self):
        self.seq += 1
        return f"{self.prefix}-{os.getpid()}-{self.seq}"

    # -- what a command does ---------------------------------------------------------------
    def profile(self, cmd, config="default"):
        """{syscall: (max calls in any one process, calls by berth's own process)}"""
        cid = self.next_id()
        argv = self.prepare(cmd, cid, config)
        trace = self.work / "trace"
        rc, err = self.traced(argv, ["-f"], trace)
        self.clean(cid)
        shutil.rmtree(self.work / "pids", ignore_errors=True)
        if rc != 0:
            raise RuntimeError(f"{cmd} fails without injection: exit {rc}: {err}")
        per = collections.Counter()
        first_pid = None
        for line in trace.read_text(errors="replace").splitlines():
            m = re.match(r"^(\d+) +([a-z0-9_]+)\(", line)
            if not m:
                continue
            pid, sc = m.group(1), m.group(2)
            first_pid = first_pid or pid
            per[(pid, sc)] += 1
        out = {}
        for (pid, sc), n in per.items():
            if sc in NEVER:
                continue
            most, own = out.get(sc, (0, 0))
            out[sc] = (max(most, n), own + (n if pid == first_pid else 0))
        return out

    def matrix(self, commands, syscalls=None, configs=("default",)):
        cases = []
        for config in configs:
            for cmd in commands:
                if config != "default" and cmd not in MNTNS_COMMANDS:
                    continue
                for sc, (most, own) in sorted(self.profile(cmd, config).items()):
                    if syscalls and sc not in syscalls:
                        continue
                    cases += [Case(cmd, "fail", sc, n, config)
                              for n in range(1, min(most, 65534) + 1)]
                    if cmd in KILLED:
                        cases += [Case(cmd, "kill", sc, n, config)
                                  for n in range(1, min(own, 65534) + 1)]
        return cases

    # -- one case --------------------------------------------------------------------------
    def run_case(self, case):
        """Returns a list of problems (empty: the case passed)."""
        cid = self.next_id()
        try:
            argv = self.prepare(case.cmd, cid, case.config)
        except RuntimeError as e:
            self.clean(cid)
            return [f"{case}: {e}"]
        if case.mode == "fail":
            opts = ["-f", "-e", f"inject={case.syscall}:error=EIO:when={case.n}"]
        else:
            opts = ["-e", f"inject={case.syscall}:signal=KILL:when={case.n}"]
        rc, err = self.traced(argv, [*opts, "-e", f"trace=execve,{case.syscall}"],
                              self.work / "trace")
        problems = self.judge(case, rc, err) + self.pid_file_problems(case, cid, rc)
        problems += [f"{case}: after delete --force: {p}" for p in self.clean(cid)]
        return problems

    def judge(self, case, rc, err):
        if rc is None:
            return [f"{case}: hang (no exit in {TIMEOUT}s)"]
        if isinstance(rc, tuple):
            return [f"{case}: strace failed ({rc[1]}): {err[-500:]}"]
        if "AddressSanitizer" in err or "runtime error:" in err:
            return [f"{case}: sanitizer report: {err[-2000:]}"]
        if case.mode == "kill" and rc in (-signal.SIGKILL, 128 + signal.SIGKILL):
            return []
        if rc < 0 or rc in (134, 139):
            return [f"{case}: crash (exit {rc}): {err[-1000:]}"]
        if rc == 0:
            return []
        # the dynamic loader's own failures, before berth's main (the glibc dev build; the
        # static musl product has no loader)
        if rc == 127 and ("error while loading shared libraries" in err or
                          "thread-local storage" in err):
            return []
        container_status = case.cmd in ("run", "exec") and "berth: " not in err
        if rc == 1 and "berth: " in err:
            return []
        # exec's runtime-side errors exit 255, as runc's (src/exec.c exec_fail)
        if rc == 255 and case.cmd == "exec" and "berth: " in err:
            return []
        # the executable lookup's statuses (docs/errors.md): not found 127, not executable 126
        if rc in (126, 127) and case.cmd in ("create", "run", "exec") and "berth: " in err:
            return []
        if case.cmd in ("run", "exec") and (rc in (126, 127) or container_status):
            return []  # the container's (or the exec'd process's) own status
        return [f"{case}: exit {rc} without a clear message: {err[-1000:]!r}"]

    # -- after each case -------------------------------------------------------------------
    def clean(self, cid):
        rc, err = self.call(["delete", "--force", cid])
        problems = [] if rc == 0 else [f"delete --force exit {rc}: {err}"]
        deadline = time.monotonic() + 3
        while True:
            left = self.leftovers(cid)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if left:
            self.hard_clean(cid)
        return problems + left

    def leftovers(self, cid):
        left = []
        if self.root.exists():
            names = [e.name for e in self.root.iterdir()]
            left += [f"state root entry {n}" for n in names
                     if n == cid or n.startswith(".creating-")]
        for pid in self.marked_pids():
            left.append(f"process {pid} ({proc_comm(pid)})")
        for cg in cgroups_of(cid):
            left.append(f"cgroup {cg}")
        for where, mp in self.mounts():
            left.append(f"mount {mp}" + ("" if where == "self" else " (joined namespace)"))
        return left

    def mounts(self):
        """(namespace's pid or "self", mount point) of every mount below the work directory,
        here and in the joined mount namespace"""
        out = []
        for where in ["self"] + ([str(self.holder.pid)] if self.holder else []):
            mi = Path(f"/proc/{where}/mountinfo").read_text()
            out += [(where, line.split()[4]) for line in mi.splitlines()
                    if str(self.work) in line.split()[4]]
        return out

    def marked_pids(self):
        needle = f"{MARK}={self.mark}".encode()
        pids = []
        for p in Path("/proc").iterdir():
            if not p.name.isdigit() or int(p.name) == os.getpid():
                continue
            try:
                if needle in (p / "environ").read_bytes().split(b"\0"):
                    pids.append(int(p.name))
            except OSError:
                pass
        return pids

    def hard_clean(self, cid):
        """So that one failure does not fail every case after it."""
        for pid in self.marked_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
        for cg in sorted(cgroups_of(cid), key=len, reverse=True):
            try:
                for f in ("cgroup.freeze", "freezer.state"):
                    if (Path(cg) / f).exists():
                        (Path(cg) / f).write_text("0" if f == "cgroup.freeze" else "THAWED")
                os.rmdir(cg)
            except OSError:
                pass
        # the shortest mount point first: a lazy unmount takes what is below it along
        for where, mp in sorted(self.mounts(), key=lambda m: len(m[1])):
            enter = [] if where == "self" else ["nsenter", "-t", where, "-m"]
            subprocess.run([*enter, "umount", "-l", mp], capture_output=True)
        if self.root.exists():
            for e in self.root.iterdir():
                if e.name == cid or e.name.startswith(".creating-"):
                    shutil.rmtree(e, ignore_errors=True)


def berth_exit(trace: Path):
    """berth's exit status from a trace (strace -o): the first process's "+++ exited with N
    +++" (N) or "+++ killed by SIGX +++" (-X); None while it runs. With -f lines start with
    the pid, without it there is only berth."""
    try:
        text = trace.read_text(errors="replace")
    except OSError:
        return None
    m = re.match(r"^(\d+) ", text)
    pid = rf"{m.group(1)} +" if m else ""
    m = re.search(rf"^{pid}\+\+\+ exited with (\d+) \+\+\+", text, re.M)
    if m:
        return int(m.group(1))
    m = re.search(rf"^{pid}\+\+\+ killed by (SIG[A-Z0-9]+)", text, re.M)
    if m:
        return -getattr(signal, m.group(1), signal.SIGKILL).value
    return None


def proc_comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def cgroups_of(cid):
    found = []
    for parent in list(CG.glob("*/berth")) + [CG / "berth"]:
        if (parent / cid).is_dir():
            found.append(str(parent / cid))
    return found


# The bounded sample: for each command the syscalls where berth's failure paths are (fds,
# mounts, processes, the sync socket, the state dir, cgroup files), the first and a few later
# calls; and SIGKILL at the steps of the handshake.
SAMPLE_SYSCALLS = {"openat", "mkdirat", "mkdir", "mount", "clone", "clone3", "write", "read",
                   "sendmsg", "recvmsg", "socketpair", "pidfd_open", "renameat2", "rename",
                   "flock", "unlinkat", "rmdir", "fstat", "newfstatat", "statfs", "pivot_root",
                   "unshare", "setns", "wait4", "waitid", "pidfd_send_signal", "kill",
                   "ppoll", "poll", "mknodat", "fchownat", "symlinkat", "getdents64", "dup3"}


# In the mount namespace configs: SIGKILL at every step of the handshake (berth's messages and
# state writes: the bind's record is one of them), and the mount calls failed.
MNTNS_KILL = {"sendmsg", "recvmsg", "recvfrom", "renameat", "renameat2", "rename", "umount2",
              "clone", "rmdir"}
MNTNS_FAIL = {"mount", "open_tree", "move_mount", "umount2", "setns", "sendmsg", "recvmsg"}


def sample(cases, per_cmd=12):
    """A deterministic spread: per command, cases of the sample syscalls at N = 1, 2 and the
    last, evenly thinned to per_cmd fail cases and per_cmd/2 kill cases. In the mount namespace
    configs, create and delete only: create killed at each of MNTNS_KILL's calls, and MNTNS_FAIL
    failed at N = 1 and the last, per_cmd/2 of them."""
    out = []
    by = collections.defaultdict(list)
    for c in cases:
        if c.config != "default":
            if c.cmd in ("create", "delete") and \
                    c.syscall in (MNTNS_KILL if c.mode == "kill" else MNTNS_FAIL):
                by[(c.config, c.cmd, c.mode)].append(c)
        elif c.syscall in SAMPLE_SYSCALLS and (c.mode == "fail" or c.cmd in SAMPLE_KILLED):
            by[("", c.cmd, c.mode)].append(c)
    for (config, cmd, mode), cs in sorted(by.items()):
        if config and mode == "kill":
            out += cs
            continue
        last = {}
        for c in cs:
            last[c.syscall] = max(last.get(c.syscall, 0), c.n)
        pick = [c for c in cs if c.n in (1, 2) or c.n == last[c.syscall]]
        if config:
            pick = [c for c in cs if c.n in (1, last[c.syscall])]
        want = per_cmd if mode == "fail" and not config else per_cmd // 2
        step = max(1, len(pick) // want)
        out += pick[::step][:want]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--berth", default=os.environ.get("BERTH", str(REPO / "build/src/berth")))
    ap.add_argument("-c", "--command", action="append", choices=COMMANDS)
    ap.add_argument("-s", "--syscall", action="append")
    ap.add_argument("--sample", action="store_true", help="the bounded CI sample")
    ap.add_argument("--list", action="store_true", help="print the cases, run none")
    ap.add_argument("-x", "--exitfirst", action="store_true")
    ap.add_argument("-m", "--mode", choices=["fail", "kill"], help="only these cases")
    ap.add_argument("-k", "--config", action="append", choices=CONFIGS,
                    help="the bundle's mount namespace (default: all three)")
    a = ap.parse_args()
    if os.geteuid() != 0 or shutil.which("strace") is None:
        sys.exit("needs root and strace")
    work = Path(tempfile.mkdtemp(prefix="berth-inject-"))
    h = None
    try:
        h = Harness(a.berth, work)
        t0 = time.monotonic()
        cases = h.matrix(a.command or COMMANDS, set(a.syscall or ()), a.config or CONFIGS)
        if a.mode:
            cases = [c for c in cases if c.mode == a.mode]
        if a.sample:
            cases = sample(cases)
        print(f"{len(cases)} cases ({time.monotonic() - t0:.1f}s to profile)", flush=True)
        if a.list:
            for c in cases:
                print(c)
            return 0
        failed = 0
        for i, c in enumerate(cases, 1):
            problems = h.run_case(c)
            if problems:
                failed += 1
                print(f"FAIL {c}", *problems, sep="\n  ", flush=True)
                if a.exitfirst:
                    break
            if i % 100 == 0:
                print(f"... {i}/{len(cases)}, {failed} failed, {time.monotonic() - t0:.0f}s",
                      flush=True)
        print(f"{len(cases)} cases, {failed} failed, {time.monotonic() - t0:.0f}s")
        return 1 if failed else 0
    finally:
        if h is not None:
            h.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for the berth OCI conformance suite.

The suite runs the real berth binary (env BERTH, default <repo>/build/src/berth) as root on a
scratch busybox rootfs and checks every effect from inside the container.

Fixtures
  berth_bin     path of the binary under test (session)
  rootfs        a shared, read-only busybox rootfs (session); never write to it
  berth         a Runtime bound to a fresh --root directory for this test
  bundle        factory: bundle(shared_rootfs=False, args=[...]) -> Bundle whose .config is the
                dict `berth spec` wrote (terminal set to false, root.path absolute); edit it, the
                runtime helpers write config.json before every create/run.

Every container id a test creates through the helpers is `delete --force`d at teardown, and
teardown then asserts nothing leaked: no entry under --root, no line of /proc/self/mountinfo
naming the bundle, no default cgroup /berth/<id> of the ids it used, no live process carrying
this test's marker environment variable (set both in berth's own environment and in
process.env, so parked inits, hooks and container processes all carry it).
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Fixtures kept in the repository (copied from the OCI spec and from real engines'
# bundles) so the suite runs from any clone.
SCHEMA_DIR = Path(os.environ.get("BERTH_SCHEMA_DIR", REPO / "tests" / "data" / "oci-schema"))
ENGINE_CONFIG_DIR = Path(os.environ.get("BERTH_ENGINE_CONFIGS",
                                        REPO / "tests" / "data" / "engine-configs"))
MARK_VAR = "BERTH_TEST_MARK"
BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"]

CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3,
    "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
    "CAP_LINUX_IMMUTABLE": 9, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19,
    "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
    "CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
    "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
    "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35,
    "CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
    "CAP_CHECKPOINT_RESTORE": 40,
}


def cap_mask(names):
    mask = 0
    for n in names or []:
        mask |= 1 << CAP_NUMBERS[n]
    return mask


def host_cap_last():
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except OSError:
        return 40


# ---------------------------------------------------------------------------------------------
# session fixtures


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="the conformance suite needs root (uid 0)")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def berth_bin():
    path = Path(os.environ.get("BERTH", REPO / "build" / "src" / "berth")).resolve()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"berth binary not found at {path}: build it (ninja -C build) or set BERTH")
    return path


def _find_busybox():
    for c in BUSYBOX_CANDIDATES:
        if os.path.isfile(c):
            out = subprocess.run(["file", "-L", c], capture_output=True, text=True) \
                if shutil.which("file") else None
            if out is not None and "dynamically linked" in out.stdout:
                continue
            return c
    return None


def make_busybox_rootfs(dest: Path):
    """A minimal rootfs: static busybox + applet symlinks in /bin, passwd/group with root and a
    user 1000, and empty /proc /sys /dev /tmp /etc /root /home/user directories."""
    busybox = _find_busybox()
    if busybox is None:
        pytest.skip("no static busybox on this machine (apt-get install busybox-static)")
    dest.mkdir(parents=True, exist_ok=True)
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
              "home/user", "run", "var", "mnt"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    shutil.copy2(busybox, dest / "bin" / "busybox")
    os.chmod(dest / "bin" / "busybox", 0o755)
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a == "busybox":
            continue
        link = dest / "bin" / a
        if not link.exists() and not link.is_symlink():
            link.symlink_to("busybox")
    (dest / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "user:x:1000:1000:user:/home/user:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (dest / "etc" / "group").write_text(
        "root:x:0:\nwheel:x:10:user\nusers:x:100:user\nuser:x:1000:\nnogroup:x:65534:\n")
    (dest / "etc" / "hostname").write_text("rootfs\n")
    (dest / "etc" / "hosts").write_text("127.0.0.1 localhost\n")
    (dest / "etc" / "resolv.conf").write_text("")
    os.chown(dest / "home" / "user", 1000, 1000)
    return dest


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    return make_busybox_rootfs(tmp_path_factory.mktemp("busybox-rootfs") / "rootfs")


@pytest.fixture(scope="session")
def rootfs(rootfs_template):
    """Shared rootfs for tests that do not write into it."""
    return rootfs_template


def copy_rootfs(template: Path, dest: Path):
    shutil.copytree(template, dest, symlinks=True)
    os.chmod(dest / "tmp", 0o1777)
    os.chown(dest / "home" / "user", 1000, 1000)
    return dest


# ---------------------------------------------------------------------------------------------
# per-test runtime


def container_dir_name(cid):
    """state.h container_dir_name(): the name of an id's state directory and default cgroup"""
    raw = cid.encode()
    if len(raw) < 256:
        return cid
    h = 0xcbf29ce484222325  # FNV-1a 64
    for c in raw:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"_{cid[:200]}-{h:016x}"


class BerthError(AssertionError):
    pass


class Result:
    def __init__(self, argv, returncode, stdout, stderr, duration):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.duration = duration

    @property
    def out(self):
        return self.stdout

    def __repr__(self):
        return (f"<Result rc={self.returncode} argv={self.argv!r}\n--- stdout\n{self.stdout}"
                f"\n--- stderr\n{self.stderr}>")


class Bundle:
    def __init__(self, path: Path, config: dict, rootfs: Path):
        self.path = path
        self.config = config
        self.rootfs = rootfs
        self.raw = None  # when set (str), written verbatim instead of config

    @property
    def config_path(self):
        return self.path / "config.json"

    def write(self):
        if self.raw is not None:
            self.config_path.write_text(self.raw)
        else:
            self.config_path.write_text(json.dumps(self.config, indent=2))
        return self

    # small helpers for the common edits
    @property
    def process(self):
        return self.config.setdefault("process", {})

    def set_args(self, *args):
        self.process["args"] = list(args)
        return self

    def sh(self, script):
        return self.set_args("sh", "-c", script)

    def namespaces(self):
        return self.config.setdefault("linux", {}).setdefault("namespaces", [])

    def ns_types(self):
        return [n["type"] for n in self.namespaces()]

    def add_ns(self, type_, path=None):
        self.remove_ns(type_)
        ns = {"type": type_}
        if path:
            ns["path"] = path
        self.namespaces().append(ns)
        return self

    def remove_ns(self, type_):
        if type_ == "uts":  # a hostname needs a private UTS namespace
            self.config.pop("hostname", None)
            self.config.pop("domainname", None)
        lst = self.namespaces()
        lst[:] = [n for n in lst if n["type"] != type_]
        return self

    def add_mount(self, destination, type_, source, options=None):
        m = {"destination": destination, "type": type_, "source": source}
        if options is not None:
            m["options"] = options
        self.config.setdefault("mounts", []).append(m)
        return self

    def set_env(self, name, value):
        env = self.process.setdefault("env", [])
        env[:] = [e for e in env if not e.startswith(name + "=")]
        env.append(f"{name}={value}")
        return self


class Runtime:
    """berth bound to one --root dir; remembers every id and bundle for teardown."""

    def __init__(self, binary: Path, root: Path, workdir: Path, mark: str):
        self.binary = binary
        self.root = root
        self.workdir = workdir
        self.mark = mark
        self.ids = []
        self.bundles = []
        self.pids = set()
        self.popens = []
        self.extra_dirs = []  # removed at teardown, after every container is deleted
        self._n = 0

    # -- plumbing ---------------------------------------------------------------------------
    def env(self, extra=None):
        env = dict(os.environ)
        env[MARK_VAR] = self.mark
        if extra:
            env.update(extra)
        return env

    def env_under_ptrace(self, extra=None):
        """The env for berth run under strace: LeakSanitizer cannot run under ptrace, so a
        sanitizer build keeps ASan but drops the leak check."""
        opts = os.environ.get("ASAN_OPTIONS", "")
        return self.env({**(extra or {}),
                         "ASAN_OPTIONS": (opts + ":" if opts else "") + "detect_leaks=0"})

    def argv(self, *args, global_opts=()):
        return [str(self.binary), "--root", str(self.root), *global_opts, *map(str, args)]

    def _files(self, tag):
        self._n += 1
        out = self.workdir / f"{self._n:03d}-{tag}.out"
        err = self.workdir / f"{self._n:03d}-{tag}.err"
        return out, err

    def __call__(self, *args, timeout=10, stdin=subprocess.DEVNULL, pass_fds=(), env=None,
                 global_opts=(), shell_prefix=None, check=False):
        """Run berth with stdout/stderr going to files (never pipes: a container inheriting a
        pipe would keep communicate() waiting)."""
        argv = self.argv(*args, global_opts=global_opts)
        if shell_prefix is not None:
            # shell_prefix is a redirection string, e.g. '3<f 4>g': exec berth with those fds
            argv = ["/bin/sh", "-c", 'exec "$@" ' + shell_prefix, "berth-wrapper", *argv]
        tag = str(args[0]).lstrip("-") if args else "noargs"
        out, err = self._files(tag)
        t0 = time.monotonic()
        with open(out, "wb") as fo, open(err, "wb") as fe:
            try:
                p = subprocess.run(argv, stdin=stdin, stdout=fo, stderr=fe, timeout=timeout,
                                   env=self.env(env), pass_fds=pass_fds, close_fds=True)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                raise BerthError(f"timeout after {timeout}s: {argv!r}\nstderr: "
                                 f"{err.read_text(errors='replace')}")
        res = Result(argv, rc, out.read_text(errors="replace"), err.read_text(errors="replace"),
                     time.monotonic() - t0)
        if check and rc != 0:
            raise BerthError(f"berth failed: {res!r}")
        return res

    def popen(self, *args, stdin=subprocess.DEVNULL, pass_fds=(), env=None):
        argv = self.argv(*args)
        out, err = self._files(str(args[0]))
        fo, fe = open(out, "wb"), open(err, "wb")
        p = subprocess.Popen(argv, stdin=stdin, stdout=fo, stderr=fe, env=self.env(env),
                             pass_fds=pass_fds)
        fo.close()
        fe.close()
        p.out_path, p.err_path = out, err
        self.popens.append(p)
        return p

    def track(self, cid, bundle=None):
        if cid not in self.ids:
            self.ids.append(cid)
        if bundle is not None and bundle not in self.bundles:
            self.bundles.append(bundle)

    def prepare(self, bundle: Bundle):
        if bundle is not None:
            if bundle.raw is None:
                env = bundle.config.setdefault("process", {}).setdefault("env", [])
                if isinstance(env, list) and not any(
                        isinstance(e, str) and e.startswith(MARK_VAR + "=") for e in env):
                    env.append(f"{MARK_VAR}={self.mark}")
            bundle.write()
            if bundle not in self.bundles:
                self.bundles.append(bundle)

    # -- commands ---------------------------------------------------------------------------
    def create(self, cid, bundle: Bundle, *opts, check=True, **kw):
        self.prepare(bundle)
        self.track(cid, bundle)
        res = self("create", "--bundle", bundle.path, *opts, cid, **kw)
        if check and res.returncode != 0:
            raise BerthError(f"create {cid} failed: {res!r}")
        return res

    def start(self, cid, check=True, **kw):
        res = self("start", cid, **kw)
        if check and res.returncode != 0:
            raise BerthError(f"start {cid} failed: {res!r}")
        return res

    def run(self, cid, bundle: Bundle, *opts, timeout=20, **kw):
        self.prepare(bundle)
        self.track(cid, bundle)
        return self("run", "--bundle", bundle.path, *opts, cid, timeout=timeout, **kw)

    def run_popen(self, cid, bundle: Bundle, *opts, **kw):
        self.prepare(bundle)
        self.track(cid, bundle)
        return self.popen("run", "--bundle", bundle.path, *opts, cid, **kw)

    def state(self, cid, check=True):
        res = self("state", cid)
        if res.returncode != 0:
            if check:
                raise BerthError(f"state {cid} failed: {res!r}")
            return None
        st = json.loads(res.stdout)
        if st.get("pid"):
            self.pids.add(st["pid"])
        return st

    def kill(self, cid, *args, check=True):
        """kill [options] ID [SIGNAL]: arguments starting with '-' go before the id"""
        opts = [a for a in args if str(a).startswith("-")]
        rest = [a for a in args if not str(a).startswith("-")]
        res = self("kill", *opts, cid, *rest)
        if check and res.returncode != 0:
            raise BerthError(f"kill failed: {res!r}")
        return res

    def delete(self, cid, *opts, check=True):
        res = self("delete", *opts, cid)
        if check and res.returncode != 0:
            raise BerthError(f"delete failed: {res!r}")
        return res

    def wait_status(self, cid, status, timeout=10):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.state(cid, check=False)
            if st is not None and st.get("status") == status:
                return st
            time.sleep(0.02)
        raise BerthError(f"{cid}: status {status!r} not reached in {timeout}s; last state {st!r}")

    def create_and_start(self, cid, bundle, *opts, **kw):
        self.create(cid, bundle, *opts, **kw)
        self.start(cid)
        return self.state(cid)

    def run_ok(self, bundle: Bundle, cid=None, *opts, timeout=30):
        """run a container to completion; assert exit 0 and return stdout."""
        cid = cid or f"c{uuid.uuid4().hex[:8]}"
        res = self.run(cid, bundle, *opts, timeout=timeout)
        assert res.returncode == 0, f"berth run failed: {res!r}"
        return res.stdout

    # -- leak checks ------------------------------------------------------------------------
    def marked_pids(self):
        me = os.getpid()
        found = []
        needle = f"{MARK_VAR}={self.mark}".encode()
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == me:
                continue
            try:
                env = Path(f"/proc/{d}/environ").read_bytes()
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if needle in env.split(b"\0") and ") Z" not in stat and ") X" not in stat:
                found.append(int(d))
        return found

    def default_cgroups_left(self):
        """the default cgroup /berth/<id> of the ids this test used, in any hierarchy"""
        root = Path("/sys/fs/cgroup")
        hier = [root] if (root / "cgroup.procs").exists() else \
            [d for d in root.iterdir() if (d / "cgroup.procs").exists()]
        names = [container_dir_name(cid) for cid in self.ids if cid and "/" not in cid]
        return [str(h / "berth" / n) for h in hier for n in names
                if len(n.encode()) < 256 and (h / "berth" / n).is_dir()]

    def leftovers(self, bundles=None):
        problems = []
        try:
            entries = sorted(os.listdir(self.root))
        except FileNotFoundError:
            entries = []
        if entries:
            problems.append(f"entries left under --root {self.root}: {entries}")
        paths = []
        for b in (bundles if bundles is not None else self.bundles):
            paths += [str(b.path) + "/", str(b.path) + " ", str(b.rootfs) + "/", str(b.rootfs) + " "]
        mi = Path("/proc/self/mountinfo").read_text().splitlines()
        bad = [line for line in mi if any(p in line for p in paths)]
        if bad:
            problems.append("mounts left behind:\n  " + "\n  ".join(bad))
        cgroups = self.default_cgroups_left()
        if cgroups:
            problems.append("cgroups left behind: " + ", ".join(cgroups))
        pids = self.marked_pids()
        if pids:
            desc = []
            for p in pids:
                try:
                    desc.append(f"{p}: " + Path(f"/proc/{p}/cmdline").read_bytes()
                                .replace(b"\0", b" ").decode(errors="replace"))
                except OSError:
                    pass
            if desc:
                problems.append("processes left behind:\n  " + "\n  ".join(desc))
        return problems

    def assert_nothing_left(self, bundles=None, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            problems = self.leftovers(bundles)
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not problems, "\n".join(problems)

    def cleanup(self):
        for p in self.popens:
            if p.poll() is None:
                try:
                    p.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
        for cid in self.ids:
            try:
                self("delete", "--force", cid, timeout=10)
            except BerthError:
                pass
        for p in self.popens:
            if p.poll() is None:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def hard_cleanup(self):
        """Last resort after a failed check, so one broken test does not poison the next."""
        for pid in self.marked_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        mi = Path("/proc/self/mountinfo").read_text().splitlines()
        paths = [str(b.path) for b in self.bundles] + [str(b.rootfs) for b in self.bundles]
        targets = []
        for line in mi:
            mp = line.split()[4].replace("\\040", " ")
            if any(mp.startswith(p) for p in paths):
                targets.append(mp)
        for mp in sorted(targets, key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(exist_ok=True)


@pytest.fixture
def berth(berth_bin, tmp_path, request):
    root = tmp_path / "state-root"
    root.mkdir()
    workdir = tmp_path / "io"
    workdir.mkdir()
    mark = f"{request.node.name[:40]}-{uuid.uuid4().hex[:12]}"
    rt = Runtime(berth_bin, root, workdir, mark)
    yield rt
    rt.cleanup()
    try:
        rt.assert_nothing_left()
    except AssertionError:
        rt.hard_cleanup()
        raise
    finally:
        for d in rt.extra_dirs:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def bundle(berth, rootfs_template, tmp_path):
    """Factory: bundle(shared_rootfs=False, args=None, terminal=False, userns_owner=None).

    The config is the one `berth spec` writes, with process.terminal false and root.path made
    absolute (a private copy of the busybox rootfs, or the shared one for read-only tests).
    userns_owner=100000 puts the bundle in a world-traversable dir under /tmp (pytest's own
    tmp dirs are 0700, which a mapped root cannot enter) and chowns the rootfs to that id."""
    counter = [0]
    extra_dirs = berth.extra_dirs

    def make(shared_rootfs=False, args=None, terminal=False, name=None, userns_owner=None):
        counter[0] += 1
        if userns_owner is not None:
            base = Path(tempfile.mkdtemp(prefix="berth-userns-", dir="/tmp"))
            os.chmod(base, 0o711)
            extra_dirs.append(base)
            path = base / (name or f"bundle{counter[0]}")
            shared_rootfs = False
        else:
            path = tmp_path / (name or f"bundle{counter[0]}")
        path.mkdir()
        res = berth("spec", "--bundle", path)
        assert res.returncode == 0, f"berth spec failed: {res!r}"
        config = json.loads((path / "config.json").read_text())
        if shared_rootfs:
            rfs = rootfs_template
        else:
            rfs = copy_rootfs(rootfs_template, path / "rootfs")
        if userns_owner is not None:
            os.chmod(path, 0o755)
            for dirpath, dirnames, filenames in os.walk(rfs):
                for n in [dirpath] + [os.path.join(dirpath, x) for x in dirnames + filenames]:
                    os.lchown(n, userns_owner, userns_owner)
        config.setdefault("root", {})["path"] = str(rfs)
        config.setdefault("process", {})["terminal"] = terminal
        # a cgroup namespace on every host (the template has one only on a pure v2 host, as
        # runc's): the suite's containers are the same on hybrid and v2 hosts
        if not any(n.get("type") == "cgroup" for n in config["linux"]["namespaces"]):
            config["linux"]["namespaces"].append({"type": "cgroup"})
        if args is not None:
            config["process"]["args"] = list(args)
        b = Bundle(path, config, rfs)
        berth.bundles.append(b)
        return b

    return make


class HostMounts:
    """Mounts a test makes on the host, only below its own tmp_path: the top is bound onto itself
    and made private first, so nothing made below it propagates to other mount namespaces, and
    everything is lazily unmounted at teardown (deepest first)."""

    def __init__(self, top: Path):
        self.top = top
        self.points = []
        top.mkdir(exist_ok=True)
        self.mount("--bind", str(top), str(top))
        self.mount("--make-private", str(top))

    def mount(self, *args):
        subprocess.run(["mount", *args], check=True, capture_output=True)
        target = Path(args[-1])
        if target not in self.points:
            self.points.append(target)
        return target

    def tmpfs(self, path: Path, options="size=1m"):
        path.mkdir(parents=True, exist_ok=True)
        return self.mount("-t", "tmpfs", "-o", options, "tmpfs", str(path))

    def cleanup(self):
        for line in reversed(Path("/proc/self/mountinfo").read_text().splitlines()):
            mp = line.split()[4].replace("\\040", " ")
            if mp == str(self.top) or mp.startswith(str(self.top) + "/"):
                subprocess.run(["umount", "-l", mp], capture_output=True)
        left = [l for l in Path("/proc/self/mountinfo").read_text().splitlines()
                if f" {self.top}" in l]
        assert not left, f"host mounts left below {self.top}: {left}"


@pytest.fixture
def host_mounts(tmp_path):
    """HostMounts rooted at <tmp_path>/hostmnt (private): for tests that need the host's view to
    change (a submount in a bind source, a mount made after start)."""
    hm = HostMounts(tmp_path / "hostmnt")
    yield hm
    hm.cleanup()


# ---------------------------------------------------------------------------------------------
# helpers shared by test modules


def host_ns_inode(ns):
    return os.stat(f"/proc/self/ns/{ns}").st_ino


def parse_ns_lines(text):
    """'net:[4026531840]' lines (readlink output, possibly prefixed by 'name ') -> {type: inode}"""
    out = {}
    for line in text.split():
        if ":[" in line:
            t, ino = line.split(":[", 1)
            out[t] = int(ino.rstrip("]"))
    return out


def parse_mountinfo(text):
    """-> list of dicts: mountpoint, opts (set), fstype, source, superopts (set)"""
    mounts = []
    for line in text.splitlines():
        if " - " not in line:
            continue
        left, right = line.split(" - ", 1)
        lf = left.split()
        rf = right.split()
        mounts.append({
            "mountpoint": lf[4].replace("\\040", " "),
            "root": lf[3],
            "opts": set(lf[5].split(",")),
            "fstype": rf[0],
            "source": rf[1] if len(rf) > 1 else "",
            "superopts": set(rf[2].split(",")) if len(rf) > 2 else set(),
        })
    return mounts


def find_mount(mounts, mountpoint):
    """last (top-most) mount at mountpoint"""
    hits = [m for m in mounts if m["mountpoint"] == mountpoint]
    return hits[-1] if hits else None


def status_fields(text):
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def state_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SCHEMA_DIR / "state-schema.json"
    if not schema_path.is_file():
        pytest.skip(f"no state schema at {schema_path}")
    return _validator(jsonschema, schema_path)


def config_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SCHEMA_DIR / "config-schema.json"
    if not schema_path.is_file():
        pytest.skip(f"no config schema at {schema_path}")
    return _validator(jsonschema, schema_path)


def _validator(jsonschema, schema_path):
    schema = json.loads(schema_path.read_text())
    resolver = jsonschema.RefResolver(base_uri=schema_path.parent.as_uri() + "/", referrer=schema)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema, resolver=resolver)


def assert_one_error_line(res, *needles, status=1):
    """status: 1, or 255 for exec (an error on the runtime's side, as runc's)"""
    assert res.returncode == status, f"expected exit {status}: {res!r}"
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"expected exactly one stderr line: {res!r}"
    line = lines[0]
    assert line.startswith("berth: "), f"stderr line must start with 'berth: ': {line!r}"
    for n in needles:
        assert n in line, f"stderr line should mention {n!r}: {line!r}"
    return line


def wait_for(pred, timeout=5.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pid_alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


@pytest.fixture(autouse=True)
def host_identity_guard():
    """A broken runtime may rename the host (hostname without a UTS namespace): put it back and
    fail the test that did it."""
    files = [Path("/proc/sys/kernel/hostname"), Path("/proc/sys/kernel/domainname")]
    before = [f.read_text() for f in files]
    yield
    changed = []
    for f, old in zip(files, before):
        if f.read_text() != old:
            changed.append(f"{f}: {old.strip()!r} -> {f.read_text().strip()!r}")
            try:
                f.write_text(old)
            except OSError:
                pass
    assert not changed, "the host's identity changed: " + "; ".join(changed)

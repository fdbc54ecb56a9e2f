"""Engines end to end: podman, containerd and Docker driving berth as their OCI runtime.

Every engine runs with its own state under one temporary directory (no system daemon, no
registry): a busybox image is built from Debian's busybox-static, `podman import`ed as
localhost/busybox:latest and saved as a docker-archive for `ctr images import` and
`docker load`. Daemons are started by the session fixtures and stopped by pid, also when a test
fails; their cgroups (a parent of our own per engine) and any mount left under the temporary
directory are removed at the end. A test whose engine is not installed or does not start skips
with the reason.

Environment: BERTH (absolute path of the binary, default <repo>/build/src/berth).
"""

import fcntl
import importlib.util
import os
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CG = Path("/sys/fs/cgroup")
IMAGE = "localhost/busybox:latest"
DOCKER_IMAGE = "docker.io/library/busybox:latest"
# root here has no CAP_SYS_RESOURCE: podman's default nofile 1048576 cannot be set
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
TAG = uuid.uuid4().hex[:8]


def _oci_conftest():
    spec = importlib.util.spec_from_file_location(
        "berth_oci_conftest", REPO / "tests" / "oci-conformance" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


OCI = _oci_conftest()
# the same root check and binary as the conformance suite
pytest_collection_modifyitems = OCI.pytest_collection_modifyitems
berth_bin = OCI.berth_bin


@pytest.fixture(scope="session")
def workdir():
    # short: unix socket paths must stay under 108 bytes
    d = Path(tempfile.mkdtemp(prefix="berth-eng-", dir="/tmp"))
    yield d
    unmount_below(d)
    shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# helpers


def run(argv, timeout=60, check=False, **kw):
    res = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f"{argv!r} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def under_pty(argv, timeout=60, rows=25, cols=91):
    """Runs argv with a new pty as its controlling terminal and stdio; returns (rc, output)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def ctty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([str(a) for a in argv], stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True, preexec_fn=ctty, close_fds=True)
    os.close(slave)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every slave closed
                    break
                if not chunk:
                    break
                buf += chunk
            elif p.poll() is not None:
                break
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return rc, buf.decode(errors="replace").replace("\r", "")


def unmount_below(d):
    """Lazily unmounts whatever an engine left mounted under d (deepest first)."""
    prefix = str(d) + "/"
    mps = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mp = line.split()[4].replace("\\040", " ")
        if mp.startswith(prefix) or mp == str(d):
            mps.append(mp)
    for mp in sorted(set(mps), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)
    return mps


def remove_cgroup_parent(name):
    """rmdir /sys/fs/cgroup/*/<name> depth first: the parent an engine made for our containers."""
    for hier in [CG] + [p for p in CG.iterdir() if p.is_dir()]:
        top = hier / name.lstrip("/")
        if not top.is_dir():
            continue
        for dirpath, dirnames, _ in sorted(os.walk(top), key=lambda t: -len(t[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def pids_with_arg(needle):
    """Processes whose command line mentions needle (our unique socket or directory)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes()
        except OSError:
            continue
        if needle.encode() in cmd:
            found.append(int(d))
    return found


def stop_pid(proc, timeout=15):
    """SIGTERM the daemon we started, SIGKILL when it does not go."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def wait_daemon(ready, proc, log, what, timeout=30):
    """None once ready() is true; the reason when the daemon exited or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited with {proc.returncode}: {tail(log)}"
        if ready():
            return None
        time.sleep(0.1)
    return f"{what} after {timeout}s: {tail(log)}"


def tail(path, n=15):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def need(*tools):
    for t in tools:
        if shutil.which(t) is None and not Path(t).exists():
            pytest.skip(f"{t} is not installed (apt-get install podman containerd docker.io)")


# ---------------------------------------------------------------------------------------------
# the image


@pytest.fixture(scope="session")
def podman(berth_bin, workdir):
    """podman with its own root/runroot/tmpdir, vfs storage, cgroupfs, file events, berth."""
    need("podman", "conmon")
    base = workdir / "podman"
    parent = f"/berth-podman-{TAG}"
    pm = Podman(berth_bin, base, parent)
    rootfs = OCI.make_busybox_rootfs(workdir / "rootfs")
    tar = workdir / "rootfs.tar"
    run(["tar", "-C", rootfs, "-cf", tar, "."], check=True)
    res = pm("import", "--change", 'CMD ["/bin/sh"]', tar, IMAGE)
    if res.returncode != 0:
        pytest.skip(f"podman import failed: {res.stderr.strip()}")
    yield pm
    pm("rm", "--all", "--force", "--time", "0", timeout=120)
    for pid in pids_with_arg(str(base)):  # a conmon left by a broken test
        kill_pids([pid])
    unmount_below(base)
    remove_cgroup_parent(parent)


class Podman:
    def __init__(self, berth, base, cgroup_parent):
        self.berth = berth
        self.base = base
        self.cgroup_parent = cgroup_parent
        self.global_opts = ["--root", base / "root", "--runroot", base / "runroot", "--tmpdir",
                            base / "tmp", "--storage-driver", "vfs", "--cgroup-manager=cgroupfs",
                            "--events-backend=file", "--runtime", berth]
        self.run_opts = ["--network=none", "--cgroup-parent", cgroup_parent, *ULIMITS]

        # the distribution's containers.conf (default_sysctls, capabilities) plus this host's
        # nofile/nproc limits as default_ulimits: a pod's infra container takes no --ulimit
        base.mkdir(parents=True, exist_ok=True)
        dist = Path("/usr/share/containers/containers.conf")
        text = dist.read_text() if dist.exists() else "[containers]\n"
        text = text.replace("[containers]\n", "[containers]\ndefault_ulimits = "
                            '["nofile=20000:20000", "nproc=32768:32768"]\n', 1)
        self.conf = base / "containers.conf"
        self.conf.write_text(text)
        self.env = dict(os.environ, CONTAINERS_CONF=str(self.conf))

    def argv(self, *args):
        return ["podman", *self.global_opts, *args]

    def __call__(self, *args, timeout=60):
        return run(self.argv(*args), timeout=timeout, env=self.env)


@pytest.fixture(scope="session")
def docker_archive(podman, workdir):
    archive = workdir / "busybox-docker.tar"
    res = podman("tag", IMAGE, DOCKER_IMAGE)
    if res.returncode == 0:
        res = podman("save", "--format", "docker-archive", "-o", archive, DOCKER_IMAGE)
    if res.returncode != 0:
        pytest.skip(f"podman save --format docker-archive failed: {res.stderr.strip()}")
    return archive


# ---------------------------------------------------------------------------------------------
# containerd


CONTAINERD_TOML = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
  level = "info"
"""


class Ctr:
    def __init__(self, berth, base, namespace):
        self.berth = berth
        self.base = base
        self.namespace = namespace  # also the cgroup parent: /<namespace>/<id>
        self.address = base / "c.sock"

    def argv(self, *args):
        return ["ctr", "--address", self.address, "--namespace", self.namespace, *args]

    def __call__(self, *args, timeout=60):
        return run(self.argv(*args), timeout=timeout)

    def run_argv(self, *opts, image=DOCKER_IMAGE, cid, args):
        return self.argv("run", "--runc-binary", self.berth, *opts, image, cid, *args)

    def cleanup_all(self):
        for line in self("task", "ls", "-q").stdout.split():
            self("task", "kill", "-s", "KILL", line)
        time.sleep(0.2)
        for line in self("task", "ls", "-q").stdout.split():
            self("task", "delete", "--force", line)
        for line in self("container", "ls", "-q").stdout.split():
            self("container", "delete", line)


@pytest.fixture(scope="session")
def containerd(berth_bin, workdir, docker_archive):
    need("containerd", "ctr", "containerd-shim-runc-v2")
    base = workdir / "containerd"
    base.mkdir()
    (base / "config.toml").write_text(CONTAINERD_TOML.format(d=base))
    log = base / "containerd.log"
    with open(log, "wb") as lf:
        proc = subprocess.Popen(["containerd", "--config", base / "config.toml"],
                                stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    ctr = Ctr(berth_bin, base, f"berth-test-{TAG}")
    try:
        why = wait_daemon(ctr.address.exists, proc, log, f"no socket {ctr.address}")
        if why:
            pytest.skip(f"containerd did not start: {why}")
        res = ctr("images", "import", docker_archive, timeout=120)
        if res.returncode != 0:
            pytest.skip(f"ctr images import failed: {res.stderr.strip()}")
        yield ctr
        ctr.cleanup_all()
    finally:
        stop_pid(proc)
        kill_pids(pids_with_arg(str(base)))  # shims outlive containerd
        unmount_below(base)
        remove_cgroup_parent(ctr.namespace)


# ---------------------------------------------------------------------------------------------
# Docker


class Docker:
    def __init__(self, base):
        self.base = base
        self.host = f"unix://{base}/docker.sock"

    def argv(self, *args):
        # Debian's docker.io client, whatever else is first in PATH
        return ["/usr/bin/docker", "-H", self.host, *args]

    def __call__(self, *args, timeout=60):
        return run(self.argv(*args), timeout=timeout)


@pytest.fixture(scope="session")
def docker(berth_bin, workdir, docker_archive):
    need("dockerd", "/usr/bin/docker")
    base = workdir / "docker"
    base.mkdir()
    parent = f"/berth-docker-{TAG}"
    (base / "daemon.json").write_text(
        '{"runtimes": {"berth": {"path": "%s"}}}\n' % berth_bin)
    log = base / "dockerd.log"
    argv = ["dockerd", "--config-file", base / "daemon.json", "--data-root", base / "data",
            "--exec-root", base / "exec", "-H", f"unix://{base}/docker.sock",
            "--pidfile", base / "docker.pid", "--iptables=false", "--ip6tables=false",
            "--bridge=none", "--storage-driver=vfs", "--exec-opt",
            "native.cgroupdriver=cgroupfs", "--cgroup-parent", parent,
            "--default-ulimit", "nofile=20000:20000"]
    with open(log, "wb") as lf:
        proc = subprocess.Popen([str(a) for a in argv], stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    dk = Docker(base)
    try:
        def answers():
            try:
                return dk("version", timeout=10).returncode == 0
            except subprocess.TimeoutExpired:
                return False  # a loaded host: dockerd may take a while to answer the first time
        why = wait_daemon(answers, proc, log, "not answering", timeout=120)
        if why:
            pytest.skip(f"dockerd did not start: {why}")
        res = dk("load", "-i", docker_archive, timeout=120)
        if res.returncode != 0:
            pytest.skip(f"docker load failed: {res.stderr.strip()}")
        yield dk
        ids = dk("ps", "-aq").stdout.split()
        if ids:
            dk("rm", "-f", *ids, timeout=120)
    finally:
        stop_pid(proc, timeout=30)
        kill_pids(pids_with_arg(str(base)))  # its containerd and shims
        unmount_below(base)
        remove_cgroup_parent(parent)


def lines(text):
    return [l.strip() for l in text.splitlines() if l.strip()]


def host_cgroup_file(pid, ctl, name):
    """The host file of controller ctl for the cgroup process pid is in (v1 layout)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, ctls, path = line.split(":", 2)
        if ctl in ctls.split(","):
            return CG / ctl / path.lstrip("/") / name
    return None


def check_user_capdrop_readonly(res):
    """The output of USER_CAPDROP_SCRIPT run as --user 1000:1000 --cap-drop ALL --read-only."""
    assert res.returncode == 0, res
    out = lines(res.stdout)
    assert out[:2] == ["1000", "1000"], res
    caps = {l.split(":")[0]: int(l.split()[1], 16) for l in out if l.startswith("Cap")}
    assert caps == {"CapPrm": 0, "CapEff": 0, "CapBnd": 0}, res
    assert "root-readonly" in out, res
    return out


USER_CAPDROP_SCRIPT = ("id -u; id -g; grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status; "
                       "touch /x 2>/dev/null && echo root-writable || echo root-readonly; "
                       "touch /tmp/y 2>/dev/null && echo tmp-writable || echo tmp-not-writable")


def needs_v1():
    return pytest.mark.skipif(not (CG / "memory").is_dir() or not (CG / "pids").is_dir(),
                              reason="the limit checks read cgroup v1 files (pure v2 host)")


# /sys as the container's own: a fresh sysfs (the devices of the container's network namespace,
# also one joined by path), and cgroup mounts of the container's own cgroups, never the root of a
# host hierarchy (runc's view; berth bound the host's /sys for a joined network namespace and the
# whole unified hierarchy on hybrid hosts)
SYS_SCRIPT = ("ls /sys/class/net; echo ==; cat /proc/self/cgroup; echo ==; "
              "cat /proc/self/mountinfo")


def check_sys_and_cgroup_mounts(res, netdevs):
    """The output of SYS_SCRIPT; netdevs: the interfaces the container's namespace has."""
    assert res.returncode == 0, res
    devs, cgroups, mountinfo = res.stdout.split("==\n")
    assert sorted(devs.split()) == sorted(netdevs), res.stdout
    own = {line.split(":", 2)[2] for line in cgroups.split()}
    mounts = []
    for line in mountinfo.splitlines():
        f = line.split()
        fstype = f[f.index("-") + 1]
        mounts.append((f[4], f[3], fstype))
    assert [t for mp, _, t in mounts if mp == "/sys"] == ["sysfs"], mounts
    for mp, root, fstype in mounts:
        if fstype in ("cgroup", "cgroup2"):
            # the container's own cgroup ("/" only in a cgroup namespace: its root)
            assert root in own, (mp, root, own)
    return mounts

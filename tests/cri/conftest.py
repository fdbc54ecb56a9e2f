"""Kubernetes' CRI driving berth: containerd 1.6's CRI plugin, the runc v2 shim, berth.

The session starts everything it needs under one temporary directory and removes it at the end:
- Debian's docker-registry on 127.0.0.1:<free port>, holding a pause image of our own
  (tests/cri/pause.c) and a busybox image built from Debian's busybox .deb (images.py);
- a CNI network of our own (bridge + host-local + loopback + portmap from Debian's
  containernetworking-plugins) on a private /24 and a bridge named for the run;
- containerd with a config of its own (version 2, root/state/socket under the temp dir), the CRI
  plugin with two runtime handlers of type io.containerd.runc.v2: `berth` (BinaryName = the berth
  under test) and `runc` (/usr/sbin/runc), cgroupfs, overlayfs, sandbox_image = our pause image,
  restrict_oom_score_adj (root here lacks CAP_SYS_RESOURCE) and docker.io mirrored to the registry;
- a Python CRI client generated at test time from tests/cri/cri.proto (python3-grpc-tools).

Every test runs once per handler (berth, runc) through the `handler` fixture; the `cri` fixture
gives the client, the `pods` fixture makes pods and containers and removes whatever a test left.

Environment: BERTH (the binary under test, default <repo>/build/src/berth), BERTH_CRI_HANDLERS
(comma separated, default "berth,runc").
"""

import importlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import images  # noqa: E402

TAG = uuid.uuid4().hex[:6]
CG = Path("/sys/fs/cgroup")
CG_TOP = f"berthcri-{TAG}"  # the pods' cgroup parents: /berthcri-<tag>/<pod>
PAUSE = "docker.io/berthcri/pause:1"
BUSYBOX = "docker.io/berthcri/busybox:1"
RUNC = "/usr/sbin/runc"
NETNS = []  # the network namespaces of the pods made, removed at the end if still there
HANDLERS = [h for h in os.environ.get("BERTH_CRI_HANDLERS", "berth,runc").split(",") if h]

CONTAINERD_TOML = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
  level = "info"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "berth"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth.options]
        BinaryName = "{berth}"
        Root = "{d}/berth-root"
        SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{runc}"
        Root = "{d}/runc-root"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{d}/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = ["http://127.0.0.1:{port}"]
"""


# the engine suite's helpers (daemon start/stop, unmounts, cgroup removal), loaded by path so
# the two conftest modules do not clash
def _load_engine_conftest():
    import importlib.util
    spec = importlib.util.spec_from_file_location("berth_engines_conftest",
                                                  REPO / "tests" / "engines" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ENG = _load_engine_conftest()
pytest_collection_modifyitems = ENG.pytest_collection_modifyitems
berth_bin = ENG.berth_bin


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_subnet():
    used = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    for _ in range(50):
        net = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
        if f"{net}." not in used:
            return net
    pytest.skip("no free private /24 for the CNI network")


@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="bcri-", dir="/tmp"))  # short: socket paths
    yield d
    ENG.unmount_below(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def registry(workdir):
    ENG.need("docker-registry")
    base = workdir / "registry"
    base.mkdir()
    port = free_port()
    (base / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {base}/data\nhttp:\n  addr: 127.0.0.1:{port}\n")
    log = base / "registry.log"
    with open(log, "wb") as lf:
        proc = subprocess.Popen(["docker-registry", "serve", base / "config.yml"], stdout=lf,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def up():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        why = ENG.wait_daemon(up, proc, log, f"nothing listens on 127.0.0.1:{port}")
        if why:
            pytest.skip(f"docker-registry did not start: {why}")
        try:
            images.build_and_push(f"http://127.0.0.1:{port}", workdir, "berthcri/pause",
                                  "berthcri/busybox", "1")
        except Exception as e:  # no gcc -static, no apt-get download: say why
            pytest.skip(f"cannot build the test images: {e}")
        yield port
    finally:
        ENG.stop_pid(proc)


@pytest.fixture(scope="session")
def cni(workdir):
    for p in ("bridge", "host-local", "loopback", "portmap"):
        if not Path("/usr/lib/cni", p).exists():
            pytest.skip(f"/usr/lib/cni/{p} missing (apt-get install containernetworking-plugins)")
    net = free_subnet()
    bridge = f"bcri{TAG}"
    confdir = workdir / "net.d"
    confdir.mkdir()
    conf = {
        "cniVersion": "0.4.0", "name": f"berthcri-{TAG}",
        "plugins": [
            {"type": "bridge", "bridge": bridge, "isGateway": True, "ipMasq": False,
             "ipam": {"type": "host-local", "dataDir": str(workdir / "ipam"),
                      "ranges": [[{"subnet": f"{net}.0/24"}]]}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    (confdir / "10-berthcri.conflist").write_text(json.dumps(conf, indent=2))
    yield {"subnet": net, "bridge": bridge}
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)


class Cri:
    """The generated stubs and the two services, plus waiting helpers."""

    def __init__(self, sock, gen):
        import grpc
        sys.path.insert(0, str(gen))
        self.pb = importlib.import_module("cri_pb2")
        rpc = importlib.import_module("cri_pb2_grpc")
        self.grpc = grpc
        self.channel = grpc.insecure_channel(f"unix://{sock}")
        self.rt = rpc.RuntimeServiceStub(self.channel)
        self.img = rpc.ImageServiceStub(self.channel)

    def __getattr__(self, name):  # cri.RunPodSandbox(req, timeout=...)
        stub = self.img if name == "PullImage" else self.rt
        return getattr(stub, name)


def gen_stubs(workdir):
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError:
        pytest.skip("python3-grpcio / python3-grpc-tools not installed")
    gen = workdir / "gen"
    gen.mkdir()
    res = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{HERE}",
                          f"--python_out={gen}", f"--grpc_python_out={gen}", HERE / "cri.proto"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise AssertionError(f"protoc failed: {res.stderr}")
    return gen


@pytest.fixture(scope="session")
def containerd(berth_bin, workdir, registry, cni):
    ENG.need("containerd", "containerd-shim-runc-v2")
    gen = gen_stubs(workdir)
    base = workdir / "ctd"
    base.mkdir()
    (base / "config.toml").write_text(CONTAINERD_TOML.format(
        d=base, pause=PAUSE, berth=berth_bin, runc=RUNC, port=registry).replace(
        f"{base}/net.d", str(workdir / "net.d")))
    log = base / "containerd.log"
    with open(log, "wb") as lf:
        proc = subprocess.Popen(["containerd", "--config", base / "config.toml"], stdout=lf,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    sock = base / "c.sock"
    try:
        why = ENG.wait_daemon(sock.exists, proc, log, f"no socket {sock}")
        if why:
            pytest.skip(f"containerd did not start: {why}")
        cri = Cri(sock, gen)
        cri.base = base
        cri.log = log
        deadline = time.monotonic() + 30
        while True:
            try:
                cri.Version(cri.pb.VersionRequest(), timeout=5)
                break
            except cri.grpc.RpcError as e:
                if time.monotonic() > deadline:
                    pytest.skip(f"the CRI does not answer: {e}: {ENG.tail(log)}")
                time.sleep(0.2)
        yield cri
        cri.channel.close()
    finally:
        ENG.stop_pid(proc)
        ENG.kill_pids(ENG.pids_with_arg(str(base)))  # shims outlive containerd
        # a pod a failed test could not stop: its processes, then its network namespace
        kill_cgroup_procs(CG_TOP)
        ENG.unmount_below(base)
        ENG.remove_cgroup_parent(CG_TOP)
        for ns in NETNS:
            if Path(ns).exists():
                subprocess.run(["umount", ns], capture_output=True)
                Path(ns).unlink(missing_ok=True)


def kill_cgroup_procs(top):
    """SIGKILLs every process in the cgroups below top (in every v1 hierarchy and in v2)."""
    for _ in range(20):
        pids = set()
        for hier in [CG] + [p for p in CG.iterdir() if p.is_dir()]:
            for procs in (hier / top).rglob("cgroup.procs") if (hier / top).is_dir() else []:
                try:
                    pids |= {int(x) for x in procs.read_text().split()}
                except OSError:
                    pass
        if not pids:
            return
        ENG.kill_pids(pids)
        for fz in (CG / "freezer" / top).rglob("freezer.state"):
            try:
                fz.write_text("THAWED")
            except OSError:
                pass
        time.sleep(0.1)


@pytest.fixture(scope="session")
def pulled(containerd):
    """PullImage of the busybox image through the registry mirror (the pause image is pulled by
    RunPodSandbox itself)."""
    pb = containerd.pb
    res = containerd.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=BUSYBOX)),
                               timeout=120)
    assert res.image_ref.startswith("sha256:"), res
    return res.image_ref


@pytest.fixture(params=HANDLERS)
def handler(request, berth_bin):
    if request.param == "runc" and not Path(RUNC).exists():
        pytest.skip(f"{RUNC} not installed")
    return request.param


def wait_for(cond, timeout=10.0, what="condition", interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Pods:
    """Makes pods and containers through the CRI for one test; removes them all at the end."""

    def __init__(self, cri, handler, workdir, name):
        self.cri = cri
        self.pb = cri.pb
        self.handler = handler
        self.workdir = workdir
        self.name = name.replace("[", "-").replace("]", "").replace("_", "-")[-40:].strip("-")
        self.made = []

    # ---- pods
    def pod_config(self, suffix="", hostname=None, linux=None, dns=None, labels=None):
        pb = self.pb
        name = f"{self.name}{suffix}"
        logdir = self.workdir / "logs" / f"{name}-{uuid.uuid4().hex[:6]}"
        logdir.mkdir(parents=True)
        cfg = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uuid.uuid4().hex, namespace="berthcri"),
            hostname=hostname if hostname is not None else "pod-" + TAG,
            log_directory=str(logdir), labels=labels or {})
        if dns:
            cfg.dns_config.CopyFrom(dns)
        cfg.linux.cgroup_parent = f"/{CG_TOP}/{name}"
        if linux:
            cfg.linux.MergeFrom(linux)
        return cfg

    def run_pod(self, cfg, timeout=60):
        res = self.cri.RunPodSandbox(
            self.pb.RunPodSandboxRequest(config=cfg, runtime_handler=self.handler),
            timeout=timeout)
        self.made.append(res.pod_sandbox_id)
        info = self.pod_status(res.pod_sandbox_id, verbose=True).info.get("info")
        if info:
            NETNS.extend(n["path"] for n in json.loads(info)["runtimeSpec"]["linux"]["namespaces"]
                         if n["type"] == "network" and n.get("path"))
        return res.pod_sandbox_id

    def pod_status(self, pod, verbose=False):
        return self.cri.PodSandboxStatus(
            self.pb.PodSandboxStatusRequest(pod_sandbox_id=pod, verbose=verbose), timeout=30)

    def remove_pod(self, pod):
        self.cri.StopPodSandbox(self.pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=60)
        self.cri.RemovePodSandbox(self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod),
                                  timeout=60)
        if pod in self.made:
            self.made.remove(pod)

    # ---- containers
    def container_config(self, name, args, image=BUSYBOX, linux=None, envs=(), command=None):
        pb = self.pb
        cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name),
                                 image=pb.ImageSpec(image=image), args=list(args),
                                 log_path=f"{name}.log",
                                 envs=[pb.KeyValue(key=k, value=v) for k, v in envs])
        if command:
            cfg.command.extend(command)
        if linux:
            cfg.linux.CopyFrom(linux)
        return cfg

    def create(self, pod, pod_cfg, cfg, timeout=60):
        res = self.cri.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=pod, config=cfg, sandbox_config=pod_cfg), timeout=timeout)
        return res.container_id

    def start(self, cid, timeout=60):
        self.cri.StartContainer(self.pb.StartContainerRequest(container_id=cid), timeout=timeout)

    def run(self, pod, pod_cfg, name, args, **kw):
        cid = self.create(pod, pod_cfg, self.container_config(name, args, **kw))
        self.start(cid)
        return cid

    def status(self, cid):
        return self.cri.ContainerStatus(self.pb.ContainerStatusRequest(container_id=cid),
                                        timeout=30).status

    def wait_state(self, cid, state, timeout=15):
        return wait_for(lambda: (lambda s: s if s.state == state else None)(self.status(cid)),
                        timeout, f"container {cid[:12]} in state {state}")

    def exec(self, cid, cmd, timeout=10):
        return self.cri.ExecSync(self.pb.ExecSyncRequest(container_id=cid, cmd=list(cmd),
                                                         timeout=timeout), timeout=timeout + 30)

    def sh(self, cid, script, timeout=10):
        r = self.exec(cid, ["sh", "-c", script], timeout)
        assert r.exit_code == 0, (script, r)
        return r.stdout.decode()

    def cleanup(self):
        """Stops and removes every pod made; one that cannot be is an error of the test (a
        runtime whose kill of a stopped container fails the way containerd retries for ever
        leaves pods that never stop)."""
        failed = []
        for pod in list(self.made):
            try:
                self.remove_pod(pod)
            except self.cri.grpc.RpcError as e:
                failed.append(f"pod {pod[:12]}: {e.details()}")
        assert not failed, "pods not removed: " + "; ".join(failed)


@pytest.fixture
def pods(containerd, pulled, handler, workdir, request):
    p = Pods(containerd, handler, workdir, request.node.name)
    yield p
    p.cleanup()


def runtime_root(cri, handler):
    """The --root the shim gives the runtime: the handler's Root option / the CRI namespace."""
    return cri.base / f"{handler}-root" / "k8s.io"


def leftovers(cri, handler, ids, netns=None):
    """What is left on the host of the pod/containers ids: shim processes, runtime state, cgroups,
    mounts, the pod's network namespace."""
    left = []
    for i in ids:
        if ENG.pids_with_arg(f"-id {i}") or ENG.pids_with_arg(i):
            left.append(f"a process mentioning {i[:12]}")
        if (runtime_root(cri, handler) / i).exists():
            left.append(f"runtime state of {i[:12]}")
        mi = Path("/proc/self/mountinfo").read_text()
        if i in mi:
            left.append(f"a mount of {i[:12]}")
        for hier in [CG] + [p for p in CG.iterdir() if p.is_dir()]:
            if any(hier.glob(f"{CG_TOP}/*/{i}")):
                left.append(f"cgroup {hier.name}/{CG_TOP}/*/{i[:12]}")
    if netns and Path(netns).exists():
        left.append(f"netns {netns}")
    return left

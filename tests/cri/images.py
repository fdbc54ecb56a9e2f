"""The images of the CRI tests, built without docker and pushed to a local registry.

- pause: tests/cri/pause.c, built static, alone in its image (the pod sandbox's process).
- busybox: Debian's regular (glibc) busybox from `apt-get download busybox`, its libraries and
  one symlink per applet in /bin (busybox-static's shell runs applets without a PATH lookup).

Each is one gzip layer, a docker image config and a schema 2 manifest, uploaded through the
registry's HTTP API (monolithic blob uploads, then the manifest).
"""

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def build_pause(dest: Path) -> Path:
    out = dest / "pause"
    subprocess.run(["gcc", "-static", "-O2", "-o", out, HERE / "pause.c"], check=True,
                   capture_output=True)
    return out


def busybox_rootfs(work: Path) -> Path:
    """Extracts Debian's busybox .deb and builds a rootfs from it and its shared libraries."""
    debs = work / "debs"
    debs.mkdir(exist_ok=True)
    # apt's cache first (an earlier install or download), else the mirror
    found = sorted(Path("/var/cache/apt/archives").glob("busybox_*_amd64.deb"))
    if not found:
        res = subprocess.run(["apt-get", "download", "busybox"], cwd=debs, capture_output=True,
                             text=True)
        found = sorted(debs.glob("busybox_*.deb"))
        if not found:
            raise RuntimeError(f"apt-get download busybox: {res.stderr.strip()}")
    x = work / "busybox-deb"
    subprocess.run(["dpkg-deb", "-x", found[-1], x], check=True)
    bb = x / "bin" / "busybox"
    root = work / "busybox-rootfs"
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "root", "var/log"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "bin" / "busybox").write_bytes(bb.read_bytes())
    (root / "bin" / "busybox").chmod(0o755)
    ldd = subprocess.run(["ldd", bb], capture_output=True, text=True, check=True).stdout
    for line in ldd.splitlines():
        parts = line.split()
        lib = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if not lib.startswith("/"):
            continue
        src = Path(lib).resolve()
        dst = root / lib.lstrip("/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
        dst.chmod(0o755)
    applets = subprocess.run([bb, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        link = root / "bin" / a
        if a != "busybox" and not link.exists():
            link.symlink_to("busybox")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
    return root


def _layer(root: Path = None, files=()) -> bytes:
    """An uncompressed tar of root (or of (path in image, host file, mode) tuples)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if root is not None:
            for p in sorted(root.rglob("*")):
                tar.add(p, arcname=str(p.relative_to(root)), recursive=False)
        for arc, host, mode in files:
            info = tar.gettarinfo(str(host), arcname=arc)
            info.mode = mode
            with open(host, "rb") as f:
                tar.addfile(info, f)
    return buf.getvalue()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _upload_blob(base: str, repo: str, data: bytes) -> str:
    digest = _digest(data)
    req = urllib.request.Request(f"{base}/v2/{repo}/blobs/uploads/", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:
        loc = r.headers["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    req = urllib.request.Request(f"{loc}{sep}digest={digest}", method="PUT", data=data,
                                 headers={"Content-Type": "application/octet-stream"})
    urllib.request.urlopen(req, timeout=60).close()
    return digest


def push_image(base: str, repo: str, tag: str, tar: bytes, config: dict):
    """Pushes a one-layer image: base is http://127.0.0.1:PORT, repo e.g. berthcri/busybox."""
    gz = gzip.compress(tar, compresslevel=1, mtime=0)
    cfg = dict(config)
    cfg.update({"architecture": "amd64", "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [_digest(tar)]}})
    cfg_bytes = json.dumps(cfg).encode()
    layer_digest = _upload_blob(base, repo, gz)
    cfg_digest = _upload_blob(base, repo, cfg_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(cfg_bytes), "digest": cfg_digest},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(gz), "digest": layer_digest}],
    }
    req = urllib.request.Request(
        f"{base}/v2/{repo}/manifests/{tag}", method="PUT", data=json.dumps(manifest).encode(),
        headers={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
    urllib.request.urlopen(req, timeout=30).close()


def build_and_push(base: str, work: Path, pause_repo: str, busybox_repo: str, tag: str):
    pause = build_pause(work)
    push_image(base, pause_repo, tag, _layer(files=[("pause", pause, 0o755)]),
               {"config": {"Env": [PATH_ENV], "Entrypoint": ["/pause"]}})
    root = busybox_rootfs(work)
    push_image(base, busybox_repo, tag, _layer(root),
               {"config": {"Env": [PATH_ENV], "Cmd": ["sh"]}})

"""Every config.json a real engine (podman, containerd, Docker) wrote must parse and run.

Changes made to each, and only these: root.path -> a private busybox rootfs; process.terminal
false (tty configs run `true`); `sleep 3` dropped from the limit probes; Docker's prestart
`libnetwork-setkey` hook dropped (needs a live dockerd); a netns `path` that does not exist
here -> a new netns; bind-mount sources that do not exist here (engine-generated hosts,
hostname, resolv.conf, passwd, group, .containerenv, shm) -> files/dirs made in the bundle.
Seccomp, capabilities, cgroups, sysctls, masked/readonly paths, rlimits are kept as written.
"""

import json
import os
import re
import uuid
from pathlib import Path

import pytest

from conftest import ENGINE_CONFIG_DIR, Bundle, copy_rootfs, status_fields

CONFIGS = sorted(p.name for p in ENGINE_CONFIG_DIR.glob("*.json")) if ENGINE_CONFIG_DIR.is_dir() \
    else []


def adapt(config, bundle_dir: Path, rootfs: Path, cid):
    c = json.loads(json.dumps(config))
    c["root"]["path"] = str(rootfs)
    p = c["process"]
    tty = p.get("terminal", False)
    p["terminal"] = False
    p.pop("consoleSize", None)
    if tty:
        p["args"] = ["true"]
    elif len(p["args"]) == 3 and p["args"][:2] == ["sh", "-c"]:
        p["args"][2] = re.sub(r";\s*sleep \d+\s*$", "", p["args"][2])
    hooks = c.get("hooks", {})
    for kind in list(hooks):
        hooks[kind] = [h for h in hooks[kind]
                       if "libnetwork-setkey" not in " ".join(h.get("args", []))]
        if not hooks[kind]:
            del hooks[kind]
    if "hooks" in c and not c["hooks"]:
        del c["hooks"]
    for ns in c.get("linux", {}).get("namespaces", []):
        if ns.get("path") and not os.path.exists(ns["path"]):
            del ns["path"]
    gen = bundle_dir / "generated"
    gen.mkdir(exist_ok=True)
    contents = {
        "hosts": "127.0.0.1 localhost\n",
        "hostname": (c.get("hostname") or "engine") + "\n",
        "resolv.conf": "nameserver 127.0.0.1\n",
        "passwd": (rootfs / "etc" / "passwd").read_text(),
        "group": (rootfs / "etc" / "group").read_text(),
        ".containerenv": "engine=\"podman\"\n",
    }
    for m in c.get("mounts", []):
        src = m.get("source", "")
        opts = m.get("options", [])
        is_bind = m.get("type") == "bind" or "bind" in opts or "rbind" in opts
        if not is_bind or os.path.exists(src):
            continue
        name = os.path.basename(src)
        target = gen / f"{len(list(gen.iterdir()))}-{name}"
        if name in contents:
            target.write_text(contents[name])
        else:
            target.mkdir()
            os.chmod(target, 0o1777)
        m["source"] = str(target)
    # distinct cgroup per test run, so a leftover of one run cannot collide with the next
    if c.get("linux", {}).get("cgroupsPath"):
        c["linux"]["cgroupsPath"] = c["linux"]["cgroupsPath"].rstrip("/") + "-" + cid
    return c


@pytest.mark.skipif(not CONFIGS, reason=f"no engine configs in {ENGINE_CONFIG_DIR}")
@pytest.mark.parametrize("name", CONFIGS)
def test_engine_config_runs(berth, rootfs_template, tmp_path, name):
    original = json.loads((ENGINE_CONFIG_DIR / name).read_text())
    cid = f"eng-{uuid.uuid4().hex[:8]}"
    bdir = tmp_path / "bundle"
    bdir.mkdir()
    rootfs = copy_rootfs(rootfs_template, bdir / "rootfs")
    config = adapt(original, bdir, rootfs, cid)
    b = Bundle(bdir, config, rootfs)
    res = berth.run(cid, b, timeout=60)
    assert res.returncode == 0, res
    out = res.stdout
    args = " ".join(original["process"]["args"])
    if original["process"]["args"][0] == "echo":
        assert out == " ".join(original["process"]["args"][1:]) + "\n"
    if "READY" in args:
        assert "READY" in out
    mem = original["linux"].get("resources", {}).get("memory", {}).get("limit")
    if "mem=" in args and mem:
        assert f"mem={mem}" in out, out
    pids = original["linux"].get("resources", {}).get("pids", {}).get("limit")
    if "pids=" in args and pids:
        assert f"pids={pids}" in out, out
    if "ROOTFS=" in args:
        assert "ROOTFS=ro" in out, out
        assert not (rootfs / "rofs-probe").exists()
    if "CapEff" in args:
        eff = int(status_fields(out)["CapEff"], 16)
        from conftest import cap_mask
        assert eff == cap_mask(original["process"]["capabilities"].get("effective")) \
            if original["process"]["user"].get("uid", 0) == 0 else eff == 0
    if args.startswith("sh -c id"):
        uid = original["process"]["user"]["uid"]
        assert f"uid={uid}" in out, out


@pytest.mark.skipif(not CONFIGS, reason=f"no engine configs in {ENGINE_CONFIG_DIR}")
def test_docker_seccomp_is_applied(berth, rootfs_template, tmp_path):
    """Docker's profile answers clone3 with ENOSYS and denies e.g. `unshare`/mount; check that
    the filter is really loaded (Seccomp: 2) and that a non-allowed syscall fails."""
    original = json.loads((ENGINE_CONFIG_DIR / "docker-run.json").read_text())
    cid = f"seccomp-{uuid.uuid4().hex[:8]}"
    bdir = tmp_path / "bundle"
    bdir.mkdir()
    rootfs = copy_rootfs(rootfs_template, bdir / "rootfs")
    config = adapt(original, bdir, rootfs, cid)
    config["process"]["args"] = ["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status;"
                                 " mount -t tmpfs none /mnt 2>/dev/null && echo MOUNTED ||"
                                 " echo MOUNT-DENIED"]
    res = berth.run(cid, Bundle(bdir, config, rootfs))
    assert res.returncode == 0, res
    st = status_fields(res.stdout)
    assert st["Seccomp"] == "2"
    assert "MOUNT-DENIED" in res.stdout

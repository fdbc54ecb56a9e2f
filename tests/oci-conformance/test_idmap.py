"""Idmapped mounts (mounts[].uidMappings/gidMappings, the "idmap" and "ridmap" options), seen
from inside the container: the owner a file shows through the mount, the owner of a file created
through it as the host sees it, recursion, and the refusals."""

import os
import uuid
from pathlib import Path

import pytest

from conftest import find_mount, parse_mountinfo
from test_namespaces import need_userns, userns_config

# mounts[].uidMappings are written to the mapping namespace as they are, as runc does: a file
# owned by containerID on disk shows as hostID through the mount.
HOST1000_AS_ROOT = [{"containerID": 1000, "hostID": 0, "size": 1}]


def idmapped(b, dest, source, options, uid=None, gid=None):
    b.add_mount(dest, "bind", str(source), options)
    if uid is not None:
        b.config["mounts"][-1]["uidMappings"] = uid
        b.config["mounts"][-1]["gidMappings"] = gid
    return b


def owned_dir(path: Path, uid, gid):
    path.mkdir(parents=True, exist_ok=True)
    (path / "f").write_text("data\n")
    for p in (path, path / "f"):
        os.chown(p, uid, gid)
    return path


def test_idmap_host_1000_shows_as_root(berth, bundle, tmp_path):
    src = owned_dir(tmp_path / "src", 1000, 1000)
    b = bundle()
    idmapped(b, "/mapped", src, ["bind", "idmap"], HOST1000_AS_ROOT, HOST1000_AS_ROOT)
    b.add_mount("/plain", "bind", str(src), ["bind"])
    b.sh("stat -c '%u:%g' /mapped /mapped/f /plain/f; touch /mapped/new; "
         "grep ' /mapped ' /proc/self/mountinfo")
    out = berth.run_ok(b).splitlines()
    assert out[:3] == ["0:0", "0:0", "1000:1000"]
    assert "idmapped" in out[3].split()[5].split(","), out[3]
    # created by root inside: stored as the mapped host id
    st = os.stat(src / "new")
    assert (st.st_uid, st.st_gid) == (1000, 1000)


def test_idmap_mappings_imply_idmap(berth, bundle, tmp_path):
    """uidMappings without an option: the mount is idmapped all the same (not recursively)."""
    src = owned_dir(tmp_path / "src", 1000, 1000)
    b = bundle()
    idmapped(b, "/mapped", src, ["rbind"], HOST1000_AS_ROOT, HOST1000_AS_ROOT)
    b.set_args("stat", "-c", "%u:%g", "/mapped/f")
    assert berth.run_ok(b).strip() == "0:0"


@pytest.mark.parametrize("opt,sub_mapped", [("idmap", False), ("ridmap", True)])
def test_ridmap_maps_submounts(berth, bundle, host_mounts, opt, sub_mapped):
    src = owned_dir(host_mounts.top / "src", 1000, 1000)
    host_mounts.tmpfs(src / "sub", "size=1m,uid=1000,gid=1000")
    b = bundle()
    idmapped(b, "/mapped", src, ["rbind", opt], HOST1000_AS_ROOT, HOST1000_AS_ROOT)
    b.sh("stat -c %u /mapped /mapped/sub; cat /proc/self/mountinfo")
    top, sub, mi = berth.run_ok(b).split("\n", 2)
    assert top == "0"
    assert sub == ("0" if sub_mapped else "1000")
    m = find_mount(parse_mountinfo(mi), "/mapped/sub")
    assert m is not None, "the rbind lost its submount"
    assert ("idmapped" in m["opts"]) == sub_mapped


def test_idmap_takes_the_container_user_namespace_mapping(berth, bundle, tmp_path):
    """In a user namespace mapping 0 -> 100000, a host dir owned by root shows as nobody through a
    plain bind, and as root through an idmap bind with no mappings of its own."""
    need_userns()
    base = Path(bundle(userns_owner=100000).path).parent  # world-traversable, under /tmp
    src = owned_dir(base / "idsrc", 0, 0)
    b = userns_config(bundle(userns_owner=100000))
    idmapped(b, "/mapped", src, ["bind", "idmap"])
    b.add_mount("/plain", "bind", str(src), ["bind"])
    b.sh("stat -c %u /mapped/f /plain/f; touch /mapped/new")
    assert berth.run_ok(b).split() == ["0", "65534"]
    assert os.stat(src / "new").st_uid == 0


def test_idmap_own_mapping_in_a_user_namespace(berth, bundle):
    """A mount's own mapping in a user namespace container: host 1000 -> kernel 100000 -> 0."""
    need_userns()
    base = Path(bundle(userns_owner=100000).path).parent
    src = owned_dir(base / "idsrc", 1000, 1000)
    b = userns_config(bundle(userns_owner=100000))
    own = [{"containerID": 1000, "hostID": 100000, "size": 1}]
    idmapped(b, "/mapped", src, ["rbind", "idmap"], own, own)
    b.set_args("stat", "-c", "%u:%g", "/mapped/f")
    assert berth.run_ok(b).strip() == "0:0"


def create_fails(berth, b):
    res = berth.create(f"bad-{uuid.uuid4().hex[:8]}", b, check=False)
    assert res.returncode == 1, repr(res)
    return res.stderr


def test_idmap_needs_a_bind_mount(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_mount("/t", "tmpfs", "tmpfs", ["idmap"])
    b.config["mounts"][-1]["uidMappings"] = HOST1000_AS_ROOT
    b.config["mounts"][-1]["gidMappings"] = HOST1000_AS_ROOT
    err = create_fails(berth, b)
    idx = len(b.config["mounts"]) - 1
    assert f"mounts[{idx}] (/t)" in err and "need a bind mount" in err, err


def test_idmap_without_mapping_or_user_namespace(berth, bundle, tmp_path):
    src = owned_dir(tmp_path / "src", 1000, 1000)
    b = bundle(shared_rootfs=True, args=["true"])
    idmapped(b, "/mapped", src, ["bind", "ridmap"])
    err = create_fails(berth, b)
    assert "ridmap without uidMappings/gidMappings" in err and "user namespace" in err, err


def test_idmap_bad_mapping_named(berth, bundle, tmp_path):
    src = owned_dir(tmp_path / "src", 1000, 1000)
    b = bundle(shared_rootfs=True, args=["true"])
    overlap = [{"containerID": 0, "hostID": 0, "size": 10}, {"containerID": 5, "hostID": 50,
                                                             "size": 10}]
    idmapped(b, "/mapped", src, ["bind", "idmap"], overlap, HOST1000_AS_ROOT)
    err = create_fails(berth, b)
    assert "(/mapped): uidMappings/gidMappings" in err and "uid_map" in err, err

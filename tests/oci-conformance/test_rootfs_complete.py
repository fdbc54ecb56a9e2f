"""Issue #3, "Complete": the effect of each mount flag option (the recursive ones are in
test_mounts.py::test_recursive_attr_option), per-mount propagation, /sys in the host's network
namespace, /proc in a joined pid namespace, cgroup mounts (v1 tree, cgroup2), overlay mounts
from the config, the nosuid/nodev/noexec a user namespace locks on a bind, and devices bound
from the host in a user namespace. Each is checked from inside the container (mountinfo, stat)."""

import os
import uuid
from pathlib import Path

import pytest

from conftest import HostMounts, find_mount, parse_mountinfo
from test_namespaces import need_userns, userns_config


def mount_of(berth, b, mp, extra=""):
    b.sh(f"{extra}cat /proc/self/mountinfo")
    m = find_mount(parse_mountinfo(berth.run_ok(b)), mp)
    assert m is not None, f"{mp} not mounted"
    return m


# option, options before it (to be cleared), per-mount flags wanted, superblock flags wanted,
# per-mount flags that must be gone
FLAG_CASES = [
    ("ro", [], {"ro"}, set(), {"rw"}),
    ("rw", ["ro"], {"rw"}, set(), {"ro"}),
    ("nosuid", [], {"nosuid"}, set(), set()),
    ("suid", ["nosuid"], set(), set(), {"nosuid"}),
    ("nodev", [], {"nodev"}, set(), set()),
    ("dev", ["nodev"], set(), set(), {"nodev"}),
    ("noexec", [], {"noexec"}, set(), set()),
    ("exec", ["noexec"], set(), set(), {"noexec"}),
    ("sync", [], set(), {"sync"}, set()),
    ("async", ["sync"], set(), set(), set()),
    ("dirsync", [], set(), {"dirsync"}, set()),
    ("noatime", [], {"noatime"}, set(), {"relatime"}),
    ("atime", ["noatime"], {"relatime"}, set(), {"noatime"}),
    ("nodiratime", [], {"nodiratime"}, set(), set()),
    ("diratime", ["nodiratime"], set(), set(), {"nodiratime"}),
    # atime options add up as flags, as in runc and mount(8): a later relatime does not undo
    # an earlier noatime or strictatime; alone it is what shows
    ("relatime", [], {"relatime"}, set(), {"noatime"}),
    ("norelatime", ["relatime"], set(), set(), {"noatime"}),  # the kernel's default: relatime
    ("strictatime", [], set(), set(), {"relatime", "noatime"}),
    ("nostrictatime", ["strictatime"], {"relatime"}, set(), set()),
    ("lazytime", [], set(), {"lazytime"}, set()),
    ("nosymfollow", [], {"nosymfollow"}, set(), set()),
    ("symfollow", ["nosymfollow"], set(), set(), {"nosymfollow"}),
    # accepted, no visible effect: mand is ignored by Linux >= 5.15, silent/loud only quiet the
    # kernel log, remount on a fresh mount is meaningless and dropped (as runc)
    ("mand", [], set(), set(), set()),
    ("nomand", [], set(), set(), set()),
    ("silent", [], set(), set(), set()),
    ("loud", [], set(), set(), set()),
    ("remount", [], set(), set(), set()),
]


@pytest.mark.parametrize("opt,before,want,want_super,unwanted", FLAG_CASES,
                         ids=[c[0] for c in FLAG_CASES])
def test_flag_option_on_a_tmpfs(berth, bundle, opt, before, want, want_super, unwanted):
    b = bundle(shared_rootfs=True)
    b.add_mount("/t", "tmpfs", "tmpfs", before + [opt])
    m = mount_of(berth, b, "/t")
    assert m["opts"] >= want, f"{opt}: {m['opts']} lacks {want}"
    assert m["superopts"] >= want_super, f"{opt}: {m['superopts']} lacks {want_super}"
    assert not m["opts"] & unwanted, f"{opt}: {m['opts']} still has {unwanted}"


BIND_CASES = [c for c in FLAG_CASES if not c[3] and c[0] not in
              ("mand", "nomand", "silent", "loud", "remount")]


@pytest.mark.parametrize("opt,before,want,want_super,unwanted", BIND_CASES,
                         ids=[c[0] for c in BIND_CASES])
def test_flag_option_on_a_bind(berth, bundle, tmp_path, opt, before, want, want_super, unwanted):
    """On a bind the flags take a remount (MS_REMOUNT|MS_BIND) after the bind."""
    src = tmp_path / "src"
    src.mkdir()
    b = bundle(shared_rootfs=True)
    b.add_mount("/t", "bind", str(src), ["rbind"] + before + [opt])
    m = mount_of(berth, b, "/t")
    assert m["opts"] >= want, f"{opt}: {m['opts']} lacks {want}"
    assert not m["opts"] & unwanted, f"{opt}: {m['opts']} still has {unwanted}"


@pytest.mark.parametrize("opt,tag", [("shared", "shared"), ("rshared", "shared"),
                                     ("slave", "master"), ("rslave", "master"),
                                     ("private", None), ("rprivate", None),
                                     ("unbindable", "unbindable"), ("runbindable", "unbindable")])
def test_propagation_option_in_mountinfo(berth, bundle, host_mounts, opt, tag):
    """The propagation of a bind of a shared host mount, as mountinfo's optional fields show it
    (the host mount made after start is test_propagation.py)."""
    src = host_mounts.top / "src"
    src.mkdir()
    host_mounts.mount("--bind", str(src), str(src))
    host_mounts.mount("--make-shared", str(src))
    b = bundle(shared_rootfs=True)
    b.add_mount("/p", "bind", str(src), ["rbind", opt])
    b.sh("awk '$5 == \"/p\"' /proc/self/mountinfo")
    fields = berth.run_ok(b).strip().splitlines()[-1].split(" - ")[0].split()
    tags = {f.split(":")[0] for f in fields[6:]}
    # a shared bind stays the slave of the host's mount (rootfsPropagation rslave) as well
    allowed = {"shared": {"shared", "master"}, "master": {"master"},
               "unbindable": {"unbindable"}, None: set()}[tag]
    assert (tag is None or tag in tags) and tags <= allowed, f"{opt}: {fields}"


def host_net_devices():
    return sorted(os.listdir("/sys/class/net"))


@pytest.mark.parametrize("own_netns", [False, True], ids=["host-netns", "own-netns"])
def test_sysfs_follows_the_network_namespace(berth, bundle, own_netns):
    """A fresh sysfs shows the devices of the container's network namespace: sharing the host's
    (the runtime is root there), it lists the host's interfaces, as with runc. Only a user
    namespace without a network namespace of its own binds the host's /sys instead."""
    b = bundle(shared_rootfs=True)
    if not own_netns:
        b.remove_ns("network")
    b.sh("ls /sys/class/net; echo --; cat /proc/self/mountinfo")
    nets, mi = berth.run_ok(b).split("--\n")
    assert sorted(nets.split()) == (["lo"] if own_netns else host_net_devices())
    m = find_mount(parse_mountinfo(mi), "/sys")
    assert m["fstype"] == "sysfs" and "ro" in m["opts"], m


def test_sysfs_in_a_user_namespace_sharing_the_hosts_network(berth, bundle):
    """The kernel refuses a fresh sysfs to a user namespace that does not own the network
    namespace: the host's /sys is bound instead (read-only as asked). runc 1.1.5 fails here
    (EPERM); runc 1.2 binds as berth does."""
    need_userns()
    b = userns_config(bundle(userns_owner=100000))
    b.remove_ns("network")
    b.sh("ls /sys/class/net; echo --; cat /proc/self/mountinfo")
    nets, mi = berth.run_ok(b).split("--\n")
    assert sorted(nets.split()) == host_net_devices()
    m = find_mount(parse_mountinfo(mi), "/sys")
    assert m["fstype"] == "sysfs" and "ro" in m["opts"], m


def test_proc_in_a_joined_pid_namespace(berth, bundle):
    """A container joining another's pid namespace by path mounts a procfs of that namespace:
    it sees the first container's pid 1."""
    a = bundle(shared_rootfs=True, args=["sleep", "30"])
    cid = f"pidns-{uuid.uuid4().hex[:8]}"
    berth.create_and_start(cid, a)
    try:
        pid = berth.state(cid)["pid"]
        b = bundle(shared_rootfs=True)
        b.remove_ns("pid")
        b.add_ns("pid", f"/proc/{pid}/ns/pid")
        b.sh("tr '\\0' ' ' < /proc/1/cmdline; echo; readlink /proc/self/ns/pid")
        cmd, ns = berth.run_ok(b).splitlines()[:2]
        assert cmd.strip() == "sleep 30"
        assert ns == os.readlink(f"/proc/{pid}/ns/pid")
    finally:
        berth.delete(cid, "--force")


def host_cgroup_hierarchies():
    out = {}
    for m in parse_mountinfo(Path("/proc/self/mountinfo").read_text()):
        mp = m["mountpoint"]
        if m["fstype"] in ("cgroup", "cgroup2") and mp.startswith("/sys/fs/cgroup/") \
                and "/" not in mp[len("/sys/fs/cgroup/"):]:
            out[mp] = m["fstype"]
    return out


@pytest.mark.parametrize("ns", ["cgroupns", "host-cgroupns", "userns"])
def test_cgroup_mount_v1_tree(berth, bundle, ns):
    """On a v1 (hybrid) host the "cgroup" mount is a tmpfs holding one read-only mount per
    hierarchy the host has, each rooted at the container's own cgroup: memory.limit_in_bytes is
    the container's limit and no host cgroup shows. In a cgroup namespace the hierarchies are
    mounted afresh (root "/" in mountinfo; a bind of the host's showed the whole host tree, root
    "/../.."), without one the container's cgroup directory is bound."""
    hier = host_cgroup_hierarchies()
    if "/sys/fs/cgroup/memory" not in hier:
        pytest.skip("no cgroup v1 memory hierarchy on this host")
    if ns == "userns":
        need_userns()
        b = userns_config(bundle(userns_owner=100000))
    else:
        b = bundle(shared_rootfs=True)
    if ns == "host-cgroupns":
        b.remove_ns("cgroup")
    b.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    b.sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup/memory | "
         "grep -c -v -e '^cgroup\\.' -e '^memory\\.' -e '^notify_on_release' -e '^tasks' "
         "-e '^release_agent'; echo --; cat /proc/self/mountinfo")
    head, mi = berth.run_ok(b).split("--\n")
    limit, subdirs = head.split()
    assert int(limit) == 64 << 20
    assert subdirs == "0", "host cgroups visible under /sys/fs/cgroup/memory"
    mounts = parse_mountinfo(mi)
    assert find_mount(mounts, "/sys/fs/cgroup")["fstype"] == "tmpfs"
    for mp, fstype in hier.items():
        m = find_mount(mounts, mp)
        assert m is not None and m["fstype"] == fstype, f"{mp}: {m}"
        assert "ro" in m["opts"], f"{mp} not read-only: {m}"
        if ns == "cgroupns" and fstype == "cgroup":
            assert m["root"] == "/", f"{mp}: {m}"


def test_cgroup2_mount(berth, bundle):
    """A "cgroup2" mount is a cgroup2 filesystem (in the container's cgroup namespace, its root
    is the container's cgroup)."""
    if not any(t == "cgroup2" for t in host_cgroup_hierarchies().values()) and \
            Path("/sys/fs/cgroup/cgroup.controllers").exists() is False:
        pytest.skip("no cgroup2 on this host")
    b = bundle(shared_rootfs=True)
    b.add_mount("/cg2", "cgroup2", "cgroup2", ["nosuid", "nodev", "noexec"])
    b.sh("cat /proc/self/mountinfo; echo --; cat /proc/self/cgroup")
    mi, _ = berth.run_ok(b).split("--\n")
    m = find_mount(parse_mountinfo(mi), "/cg2")
    assert m["fstype"] == "cgroup2" and m["root"] == "/", m


def test_overlay_mount_from_config(berth, bundle, tmp_path):
    lower, upper, work = (tmp_path / n for n in ("lower", "upper", "work"))
    for d in (lower, upper, work):
        d.mkdir()
    (lower / "from-lower").write_text("lower\n")
    b = bundle(shared_rootfs=True)
    b.add_mount("/ov", "overlay", "overlay",
                [f"lowerdir={lower}", f"upperdir={upper}", f"workdir={work}"])
    b.sh("cat /ov/from-lower; echo new > /ov/made-inside; awk '$5 == \"/ov\"' /proc/self/mountinfo")
    out = berth.run_ok(b).splitlines()
    assert out[0] == "lower"
    assert " - overlay " in out[1]
    assert (upper / "made-inside").read_text() == "new\n"
    assert not (lower / "made-inside").exists()


def test_bind_keeps_flags_locked_by_the_user_namespace(berth, bundle):
    """In a user namespace the host's nosuid/nodev/noexec on a mount are locked: a read-only
    bind of it must keep them (as runc), or the remount fails with EPERM."""
    need_userns()
    b = userns_config(bundle(userns_owner=100000))
    hm = HostMounts(b.path.parent / "locked")
    try:
        hm.tmpfs(hm.top / "src", "size=1m,nosuid,nodev,noexec,mode=755")
        b.add_mount("/locked", "bind", str(hm.top / "src"), ["rbind", "ro"])
        m = mount_of(berth, b, "/locked")
        assert m["opts"] >= {"ro", "nosuid", "nodev", "noexec"}, m
    finally:
        hm.cleanup()


def test_device_bound_from_the_host_in_a_user_namespace(berth, bundle):
    """mknod is denied in a user namespace: linux.devices are bind mounts of the host's nodes."""
    need_userns()
    if not Path("/dev/fuse").exists():
        pytest.skip("no /dev/fuse on this host")
    b = userns_config(bundle(userns_owner=100000))
    b.config["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10,
                                     "minor": 229, "fileMode": 0o666}]
    b.sh("stat -c '%t,%T %F' /dev/fuse; echo --; cat /proc/self/mountinfo")
    st, mi = berth.run_ok(b).split("--\n")
    assert st.strip() == "a,e5 character special file"
    assert find_mount(parse_mountinfo(mi), "/dev/fuse") is not None


def test_bind_source_the_container_root_cannot_reach(berth, bundle, tmp_path):
    """A bind source under a root-owned 0700 directory, in a container with a user namespace
    (its root is host uid 100000): the runtime opens the source on the host's side and the
    init mounts it by fd (runc's mount fds); binding the path from inside failed with
    "Permission denied". The bind's "ro" still holds."""
    need_userns()
    b = userns_config(bundle(userns_owner=100000))
    locked = b.path / "locked"
    (locked / "src").mkdir(parents=True)
    (locked / "src" / "f").write_text("reached\n")
    os.chmod(locked, 0o700)
    b.add_mount("/data", "bind", str(locked / "src"), ["rbind", "ro"])
    b.sh("cat /data/f; touch /data/new 2>&1; true")
    out = berth.run_ok(b)
    assert out.startswith("reached\n"), out
    assert "Read-only file system" in out, out

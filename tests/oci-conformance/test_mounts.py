"""mounts, root.readonly, maskedPaths, readonlyPaths, devices, /dev links."""

import os
import stat
from pathlib import Path

import pytest

from conftest import find_mount, parse_mountinfo


def mountinfo_of(berth, b, extra=""):
    b.sh(f"{extra}cat /proc/self/mountinfo")
    return parse_mountinfo(berth.run_ok(b))


def test_default_mounts(berth, bundle):
    b = bundle(shared_rootfs=True)
    mounts = mountinfo_of(berth, b)
    want = {"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
            "/dev/mqueue": "mqueue", "/sys": "sysfs"}
    for mp, fstype in want.items():
        m = find_mount(mounts, mp)
        assert m is not None, f"{mp} not mounted"
        assert m["fstype"] == fstype, f"{mp}: {m}"
    # every flag the config asks for shows up on the mount
    for m in b.config["mounts"]:
        if m.get("type") == "cgroup":
            continue  # on cgroup v1 hosts this is a tree of mounts; its shape is the runtime's
        want_flags = set(m.get("options", [])) & {"ro", "nosuid", "nodev", "noexec"}
        got = find_mount(mounts, m["destination"])
        assert got is not None, f"{m['destination']} not mounted"
        assert got["opts"] >= want_flags, f"{m['destination']}: {got['opts']} lacks {want_flags}"
    # the root is the bundle rootfs: pivoted, nothing of the host's tree visible
    assert find_mount(mounts, "/") is not None
    assert not any(m["mountpoint"].startswith("/work") for m in mounts)


def test_proc_shows_container_pids(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("ls -d /proc/[0-9]* | wc -l; echo $$")
    out = berth.run_ok(b).split()
    assert int(out[0]) <= 3  # sh, ls and wc at most (plus nothing of the host)
    assert out[1] == "1"


def test_tmpfs_size_mode_flags(berth, bundle):
    b = bundle()
    b.add_mount("/scratch", "tmpfs", "tmpfs", ["size=1m", "mode=750", "nosuid", "nodev", "noexec"])
    b.sh("stat -c %a /scratch; cat /proc/self/mountinfo")
    out = berth.run_ok(b)
    mode, rest = out.split("\n", 1)
    assert mode == "750"
    m = find_mount(parse_mountinfo(rest), "/scratch")
    assert m is not None and m["fstype"] == "tmpfs"
    assert m["opts"] >= {"nosuid", "nodev", "noexec"}
    assert "size=1024k" in m["superopts"]
    assert "mode=750" in m["superopts"]


def test_tmpcopyup_on_a_missing_mountpoint_keeps_the_tmpfs_mode(berth, bundle):
    """podman --read-only mounts /run and /var/tmp as tmpfs with tmpcopyup: where the image
    has no such directory there is nothing to copy, and the tmpfs stays 1777 (runc does the
    same); where it has one, its content, owner and mode come along."""
    b = bundle()
    (b.rootfs / "img").mkdir()
    (b.rootfs / "img" / "f").write_text("from-image\n")
    os.chown(b.rootfs / "img", 1000, 1000)
    os.chmod(b.rootfs / "img", 0o705)
    b.add_mount("/var/newtmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "tmpcopyup"])
    b.add_mount("/img", "tmpfs", "tmpfs", ["nosuid", "nodev", "tmpcopyup"])
    b.sh("stat -c '%a %u' /var/newtmp /img; cat /img/f")
    assert berth.run_ok(b).split("\n")[:3] == ["1777 0", "705 1000", "from-image"]


def test_tmpfs_noexec_enforced(berth, bundle):
    b = bundle()
    b.add_mount("/scratch", "tmpfs", "tmpfs", ["noexec"])
    b.sh("cp /bin/busybox /scratch/bb && /scratch/bb true && echo EXECUTED || echo DENIED")
    assert berth.run_ok(b).strip().splitlines()[-1] == "DENIED"


def test_bind_mount_ro(berth, bundle, tmp_path):
    host = tmp_path / "hostdir"
    host.mkdir()
    (host / "file").write_text("from-host\n")
    b = bundle()
    b.add_mount("/hostdata", "bind", str(host), ["rbind", "ro"])
    b.sh("cat /hostdata/file; touch /hostdata/new 2>/dev/null && echo WROTE || echo RO; "
         "cat /proc/self/mountinfo")
    out = berth.run_ok(b)
    lines = out.split("\n", 2)
    assert lines[0] == "from-host"
    assert lines[1] == "RO"
    m = find_mount(parse_mountinfo(lines[2]), "/hostdata")
    assert m is not None and "ro" in m["opts"]
    assert not (host / "new").exists()
    # the host side stays writable: ro applies to the container's mount only
    (host / "after").write_text("x")


def test_bind_mount_rw(berth, bundle, tmp_path):
    host = tmp_path / "rw"
    host.mkdir()
    b = bundle()
    b.add_mount("/data", "bind", str(host), ["bind"])
    b.sh("echo from-container > /data/out")
    berth.run_ok(b)
    assert (host / "out").read_text() == "from-container\n"


def test_bind_mount_source_relative_to_bundle(berth, bundle, tmp_path):
    """config.md: bind mount sources are absolute or relative to the bundle (not to berth's
    cwd)"""
    b = bundle()
    (b.path / "data").mkdir()
    (b.path / "data" / "f").write_text("from-the-bundle\n")
    b.add_mount("/data", "bind", "data", ["rbind", "ro"])
    b.set_args("cat", "/data/f")
    cwd = os.getcwd()
    os.chdir(tmp_path)  # where no "data" exists
    try:
        assert berth.run_ok(b) == "from-the-bundle\n"
    finally:
        os.chdir(cwd)


def test_bind_mount_file(berth, bundle, tmp_path):
    f = tmp_path / "single"
    f.write_text("single-file\n")
    b = bundle()
    b.add_mount("/etc/single", "bind", str(f), ["rbind", "ro"])
    b.set_args("cat", "/etc/single")
    assert berth.run_ok(b) == "single-file\n"


def test_bind_mount_flags_nosuid_nodev_noexec(berth, bundle, tmp_path):
    host = tmp_path / "flags"
    host.mkdir()
    b = bundle()
    b.add_mount("/flags", "bind", str(host), ["rbind", "nosuid", "nodev", "noexec"])
    m = find_mount(mountinfo_of(berth, b), "/flags")
    assert m is not None
    assert m["opts"] >= {"nosuid", "nodev", "noexec"}


def test_root_readonly(berth, bundle):
    b = bundle()
    b.config["root"]["readonly"] = True
    b.sh("touch /probe 2>/dev/null && echo RW || echo RO; "
         "echo x > /tmp/probe 2>/dev/null && echo TMPRW || echo TMPRO; cat /proc/self/mountinfo")
    out = berth.run_ok(b)
    first, second, rest = out.split("\n", 2)
    assert first == "RO"
    assert second == "TMPRO"
    assert "ro" in find_mount(parse_mountinfo(rest), "/")["opts"]
    assert not (b.rootfs / "probe").exists()


def test_root_writable_by_default(berth, bundle):
    b = bundle()
    b.config["root"]["readonly"] = False
    b.sh("touch /probe && echo RW")
    assert berth.run_ok(b).strip() == "RW"
    assert (b.rootfs / "probe").exists()


def test_masked_proc_kcore(berth, bundle):
    b = bundle(shared_rootfs=True)
    assert "/proc/kcore" in b.config["linux"]["maskedPaths"]
    b.sh("cat /proc/kcore 2>/dev/null | wc -c")
    assert berth.run_ok(b).strip() == "0"


def test_masked_file_and_dir(berth, bundle):
    b = bundle()
    (b.rootfs / "secretdir").mkdir()
    (b.rootfs / "secretdir" / "inside").write_text("secret\n")
    (b.rootfs / "secret.txt").write_text("secret\n")
    b.config["linux"]["maskedPaths"] += ["/secretdir", "/secret.txt", "/does/not/exist"]
    b.sh("ls -A /secretdir | wc -l; cat /secret.txt 2>/dev/null | wc -c; "
         "echo x > /secret.txt 2>/dev/null; touch /secretdir/new 2>/dev/null; true")
    out = berth.run_ok(b).split()
    assert out == ["0", "0"]
    assert not (b.rootfs / "secretdir" / "new").exists()
    assert (b.rootfs / "secret.txt").read_text() == "secret\n"


def test_readonly_paths(berth, bundle):
    b = bundle()
    b.config["root"]["readonly"] = False
    (b.rootfs / "rodir").mkdir()
    (b.rootfs / "rwdir").mkdir()
    b.config["linux"]["readonlyPaths"] += ["/rodir", "/does/not/exist"]
    b.sh("touch /rodir/f 2>/dev/null && echo RW || echo RO; "
         "touch /rwdir/f 2>/dev/null && echo RW || echo RO; "
         "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo RW || echo RO")
    assert berth.run_ok(b).split() == ["RO", "RW", "RO"]
    assert not (b.rootfs / "rodir" / "f").exists()


def test_default_readonly_paths_in_mountinfo(berth, bundle):
    b = bundle(shared_rootfs=True)
    mounts = mountinfo_of(berth, b)
    for p in b.config["linux"].get("readonlyPaths", []):
        m = find_mount(mounts, p)
        if m is None:
            continue  # may not exist on this kernel
        assert "ro" in m["opts"], f"{p} not read-only: {m}"


@pytest.mark.parametrize("path,major,minor", [
    ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
])
def test_default_devices(berth, bundle, path, major, minor):
    b = bundle(shared_rootfs=True)
    b.set_args("stat", "-c", "%t,%T %F", path)
    out = berth.run_ok(b).strip()
    nums, kind = out.split(" ", 1)
    ma, mi = (int(x, 16) for x in nums.split(","))
    assert (ma, mi) == (major, minor)
    assert kind == "character special file"


def test_dev_null_usable(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("echo discard > /dev/null && head -c 4 /dev/zero | wc -c")
    assert berth.run_ok(b).strip() == "4"


def test_linux_devices_entry(berth, bundle):
    b = bundle()
    b.config["linux"]["devices"] = [
        {"path": "/dev/mydev", "type": "c", "major": 10, "minor": 200, "fileMode": 0o640,
         "uid": 0, "gid": 0},
        {"path": "/dev/sub/myblk", "type": "b", "major": 7, "minor": 99, "fileMode": 0o600,
         "uid": 1000, "gid": 1000},
    ]
    b.sh("stat -c '%t,%T %a %u:%g %F' /dev/mydev /dev/sub/myblk")
    lines = berth.run_ok(b).splitlines()

    def parse(line):
        nums, mode, owner, kind = line.split(" ", 3)
        ma, mi = (int(x, 16) for x in nums.split(","))
        return ma, mi, mode, owner, kind

    assert parse(lines[0]) == (10, 200, "640", "0:0", "character special file")
    assert parse(lines[1]) == (7, 99, "600", "1000:1000", "block special file")


def test_linux_devices_entry_conflicting_file_is_an_error(berth, bundle):
    """config-linux.md: a file already at the path that does not match the requested device is
    an error (here the image's own /dev, no tmpfs over it); a matching node is kept"""
    b = bundle()
    b.config["mounts"] = [m for m in b.config["mounts"] if not m["destination"].startswith("/dev")]
    b.config["linux"]["devices"] = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3}]
    b.set_args("true")
    (b.rootfs / "dev" / "mydev").write_text("image file\n")
    res = berth.create("devconflict", b, check=False)
    assert res.returncode == 1, res
    assert "linux.devices[0]" in res.stderr and "/dev/mydev" in res.stderr, res
    assert (b.rootfs / "dev" / "mydev").read_text() == "image file\n"
    assert berth.state("devconflict", check=False) is None
    (b.rootfs / "dev" / "mydev").unlink()
    os.mknod(b.rootfs / "dev" / "mydev", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    b.sh("stat -c '%t,%T' /dev/mydev")
    assert berth.run_ok(b).strip() == "1,3"


@pytest.mark.parametrize("link,target", [
    ("/dev/fd", "/proc/self/fd"), ("/dev/stdin", "/proc/self/fd/0"),
    ("/dev/stdout", "/proc/self/fd/1"), ("/dev/stderr", "/proc/self/fd/2"),
])
def test_dev_links(berth, bundle, link, target):
    b = bundle(shared_rootfs=True)
    b.set_args("readlink", link)
    assert berth.run_ok(b).strip() == target


def test_dev_ptmx(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("readlink /dev/ptmx || stat -c '%t,%T' /dev/ptmx; test -e /dev/pts/ptmx && echo PTS")
    out = berth.run_ok(b).split()
    assert out[0] in ("pts/ptmx", "/dev/pts/ptmx", "5,2")
    assert out[-1] == "PTS"


def test_dev_is_not_host_dev(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("ls /dev")
    names = set(berth.run_ok(b).split())
    host_only = {n for n in os.listdir("/dev") if n.startswith(("sd", "vd", "nvme", "loop"))}
    assert not names & host_only, f"host devices visible: {names & host_only}"


def test_mount_leaves_rootfs_unmodified_on_host(berth, bundle):
    """berth never mounts in the host's mount namespace (the finalizer checks mountinfo too)."""
    b = bundle()
    b.add_mount("/scratch", "tmpfs", "tmpfs", [])
    b.sh("echo x > /scratch/file; echo ok")
    assert berth.run_ok(b).strip() == "ok"
    assert not (b.rootfs / "scratch" / "file").exists()


# Each recursive attribute option on an rbind whose source has a submount: the source tree is
# made inside the container (a tmpfs at /attrsrc with a tmpfs at /attrsrc/sub, both carrying
# `before`), and bound from its host path, so no host mount is involved. The flag must show up
# (or be gone) on the bind and on its submount.
ATIME_MODES = {"noatime", "relatime"}  # strictatime shows neither


@pytest.mark.parametrize("opt,before,want,unwanted", [
    ("rro", [], {"ro"}, set()),
    ("rrw", ["ro"], {"rw"}, {"ro"}),
    ("rnosuid", [], {"nosuid"}, set()),
    ("rsuid", ["nosuid"], set(), {"nosuid"}),
    ("rnodev", [], {"nodev"}, set()),
    ("rdev", ["nodev"], set(), {"nodev"}),
    ("rnoexec", [], {"noexec"}, set()),
    ("rexec", ["noexec"], set(), {"noexec"}),
    ("rnodiratime", [], {"nodiratime"}, set()),
    ("rdiratime", ["nodiratime"], set(), {"nodiratime"}),
    ("rnoatime", [], {"noatime"}, {"relatime"}),
    ("ratime", ["noatime"], {"relatime"}, {"noatime"}),
    ("rrelatime", ["noatime"], {"relatime"}, {"noatime"}),
    ("rnorelatime", [], set(), ATIME_MODES),
    ("rstrictatime", [], set(), ATIME_MODES),
    ("rnostrictatime", ["strictatime"], {"relatime"}, {"noatime"}),
    ("rnosymfollow", [], {"nosymfollow"}, set()),
    ("rsymfollow", ["nosymfollow"], set(), {"nosymfollow"}),
])
def test_recursive_attr_option(berth, bundle, opt, before, want, unwanted):
    b = bundle()
    (b.rootfs / "attrsrc" / "sub").mkdir(parents=True)
    # tmpcopyup brings the image's "sub" in before a read-only `before` applies
    b.add_mount("/attrsrc", "tmpfs", "tmpfs", before + ["tmpcopyup"])
    b.add_mount("/attrsrc/sub", "tmpfs", "tmpfs", before)
    b.add_mount("/attr", "bind", str(b.rootfs / "attrsrc"), ["rbind", opt])
    mounts = mountinfo_of(berth, b)
    for mp in ("/attr", "/attr/sub"):
        m = find_mount(mounts, mp)
        assert m is not None, f"{mp} not mounted"
        assert m["opts"] >= want, f"{opt}: {mp} {m['opts']} lacks {want}"
        assert not m["opts"] & unwanted, f"{opt}: {mp} {m['opts']} still has {unwanted}"
    # the source tree itself keeps what it had
    src = find_mount(mounts, "/attrsrc/sub")
    assert src is not None and set(before) - {"strictatime"} <= src["opts"]


def test_read_only_dev(berth, bundle):
    """A /dev tmpfs with "ro": its submounts (/dev/pts, /dev/shm, /dev/mqueue), the device nodes
    and links are made first and /dev turns read-only last (runc's order); create failed with
    "create /dev/pts: Read-only file system"."""
    b = bundle()
    for m in b.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"] = [o for o in m.get("options", []) if o not in ("rw", "ro")] + ["ro"]
    b.sh("touch /dev/newfile 2>&1; echo x > /dev/null && echo null-ok; "
         "test -L /dev/ptmx && test -L /dev/fd && echo links-ok; "
         "echo x > /dev/shm/f && echo shm-ok; "
         "grep -E ' /dev(/pts|/shm|/mqueue)? ' /proc/self/mountinfo | awk '{print $5, $6}'")
    out = berth.run_ok(b)
    assert "Read-only file system" in out, out
    assert "null-ok" in out and "links-ok" in out and "shm-ok" in out, out
    mounts = dict(line.split(" ", 1) for line in out.splitlines() if line.startswith("/dev"))
    assert mounts["/dev"].split(",")[0] == "ro", mounts
    assert set(mounts) >= {"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"}, mounts

"""A hostile image against berth's path resolution: symlinks in the rootfs pointing out of it
(absolute "/" and relative "../../.."), used as a mount destination, a linux.devices path, a
masked path, a readonly path, the cwd; a /dev/null that is a link to a host file; a directory
swapped for a symlink while create runs; /proc overmounts; and bad mount input.

A runtime that joined rootfs + path and let the kernel follow the links would create, mknod or
mount on the host directory `outside`. That directory is a shared mount and the containers use
rootfsPropagation "rshared", so even a mount made on it inside the container's mount namespace
would show on the host. Every test checks that `outside` is untouched: same entries, same
content, no mount below it."""

import ctypes
import os
import shutil
import uuid
import threading
from pathlib import Path

import pytest

from conftest import assert_one_error_line

SECRET = "host secret\n"


class Outside:
    """The host directory a hostile image aims at."""

    def __init__(self, host_mounts):
        self.path = host_mounts.top / "outside"
        self.path.mkdir()
        (self.path / "secret").write_text(SECRET)
        (self.path / "dir").mkdir()
        host_mounts.mount("--bind", str(self.path), str(self.path))
        host_mounts.mount("--make-shared", str(self.path))
        self.before = self.listing()

    def listing(self):
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*"))

    def mounts_below(self):
        out = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            mp = line.split()[4]
            if mp.startswith(str(self.path) + "/"):
                out.append(mp)
        return out

    def assert_untouched(self):
        assert self.listing() == self.before, f"host dir changed: {self.listing()}"
        assert (self.path / "secret").read_text() == SECRET
        assert not self.mounts_below(), f"host mounts below {self.path}: {self.mounts_below()}"
        assert os.access(self.path / "dir", os.W_OK)


@pytest.fixture
def outside(host_mounts):
    o = Outside(host_mounts)
    yield o
    o.assert_untouched()


# (link target, how a path through /etc/evil reaches `outside` for a naive runtime)
def evil_links(b, outside):
    """Both kinds of escape: /etc/evil -> / (then the host path) and /etc/evil -> ../../..
    (rootfs/etc/../../.. is tmp_path, the parent of the bundle)."""
    return {"abs": ("/", str(outside.path)),
            "rel": ("../../..", str(outside.path.relative_to(b.path.parent)))}


def hostile(bundle, outside, kind):
    b = bundle()
    target, rest = evil_links(b, outside)[kind]
    (b.rootfs / "etc" / "evil").symlink_to(target)
    b.config.setdefault("linux", {})["rootfsPropagation"] = "rshared"
    return b, "/etc/evil/" + rest.lstrip("/")


KINDS = ["abs", "rel"]
# --no-pivot (MS_MOVE + chroot) resolves every path the same way, before the move
with_pivots = pytest.mark.parametrize("pivot", [(), ("--no-pivot",)], ids=["pivot_root", "no-pivot"])


@pytest.mark.parametrize("kind", KINDS)
@with_pivots
def test_evil_mount_destination(berth, bundle, outside, kind, pivot):
    b, through = hostile(bundle, outside, kind)
    b.add_mount(through + "/newdir/x", "tmpfs", "tmpfs", [])
    b.add_mount(through + "/dir", "tmpfs", "tmpfs", [])
    b.sh(f"echo inside > '{through}/newdir/x/f' && echo inside > '{through}/dir/f' && echo ok")
    assert berth.run_ok(b, None, *pivot).strip() == "ok"
    # the mount points were made inside the rootfs, where the link leads from its root
    inside = b.rootfs / (str(outside.path).lstrip("/") if kind == "abs" else
                         str(outside.path.relative_to(b.path.parent)))
    assert (inside / "newdir" / "x").is_dir()


@pytest.mark.parametrize("kind", KINDS)
@with_pivots
def test_evil_device_path(berth, bundle, outside, kind, pivot):
    b, through = hostile(bundle, outside, kind)
    b.config["linux"]["devices"] = [{"path": through + "/dev0", "type": "c", "major": 1,
                                     "minor": 3, "fileMode": 0o666}]
    b.set_args("stat", "-c", "%t,%T", through + "/dev0")
    assert berth.run_ok(b, None, *pivot).strip() == "1,3"


@pytest.mark.parametrize("kind", KINDS)
@with_pivots
def test_evil_masked_path(berth, bundle, outside, kind, pivot):
    b, through = hostile(bundle, outside, kind)
    b.config["linux"]["maskedPaths"] += [through + "/secret", through + "/dir", through]
    b.sh("echo ok")
    assert berth.run_ok(b, None, *pivot).strip() == "ok"


@pytest.mark.parametrize("kind", KINDS)
@with_pivots
def test_evil_readonly_path(berth, bundle, outside, kind, pivot):
    b, through = hostile(bundle, outside, kind)
    b.config["linux"]["readonlyPaths"] += [through + "/dir", through]
    b.sh("echo ok")
    assert berth.run_ok(b, None, *pivot).strip() == "ok"


@pytest.mark.parametrize("kind", KINDS)
@with_pivots
def test_evil_cwd(berth, bundle, outside, kind, pivot):
    """The cwd is resolved after pivot_root: through the link it lands inside the rootfs (here
    made to exist there), and what the process writes stays there."""
    b, through = hostile(bundle, outside, kind)
    inside = b.rootfs / (str(outside.path).lstrip("/") if kind == "abs" else
                         str(outside.path.relative_to(b.path.parent)))
    inside.mkdir(parents=True, exist_ok=True)
    b.config["root"]["readonly"] = False
    b.process["cwd"] = through
    b.sh("echo written > here && ls")
    assert berth.run_ok(b, None, *pivot).split() == ["here"]
    assert (inside / "here").read_text() == "written\n"


def test_dev_null_link_to_host_file_is_not_bound(berth, bundle, outside, tmp_path):
    """The config binds a host directory onto /dev (so berth makes no devices) whose "null" is a
    symlink to a host file: masking must not bind that file (nor follow the link)."""
    devdir = tmp_path / "devdir"
    devdir.mkdir()
    (devdir / "null").symlink_to(outside.path / "secret")
    b = bundle()
    b.config["linux"]["rootfsPropagation"] = "rshared"
    b.config["mounts"] = [m for m in b.config["mounts"]
                          if not m["destination"].startswith("/dev")]
    b.add_mount("/dev", "bind", str(devdir), ["rbind"])
    (b.rootfs / "masked.txt").write_text("image content\n")
    b.config["linux"]["maskedPaths"] += ["/masked.txt"]
    b.sh("cat /masked.txt | wc -c; stat -c %F /masked.txt; echo x > /masked.txt 2>/dev/null; "
         "cat /masked.txt | wc -c")
    out = berth.run_ok(b).splitlines()
    assert out[0] == "0"
    assert out[1] in ("character special file", "regular empty file")
    assert out[2] == "0"
    assert os.readlink(devdir / "null") == str(outside.path / "secret")
    assert (b.rootfs / "masked.txt").read_text() == "image content\n"


def test_masked_and_readonly_paths_without_proc(berth, bundle):
    """No procfs on /proc: the image's /proc is a plain directory it controls (here with a fake
    self/fd); masking and read-only binds do not go through it and still work."""
    b = bundle()
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/proc"]
    fake = b.rootfs / "proc" / "self" / "fd"
    fake.mkdir(parents=True)
    for n in range(3, 64):
        (fake / str(n)).symlink_to("/etc")
    (b.rootfs / "secretdir").mkdir()
    (b.rootfs / "secretdir" / "s").write_text("s\n")
    (b.rootfs / "secret.txt").write_text("secret\n")
    (b.rootfs / "rodir").mkdir()
    b.config["linux"]["maskedPaths"] = ["/secretdir", "/secret.txt"]
    b.config["linux"]["readonlyPaths"] = ["/rodir"]
    b.config["linux"].pop("sysctl", None)
    b.config["root"]["readonly"] = False
    b.sh("ls -A /secretdir | wc -l; cat /secret.txt | wc -c; "
         "touch /rodir/f 2>/dev/null && echo RW || echo RO; "
         "touch /etc/f 2>/dev/null && echo ETCRW || echo ETCRO")
    assert berth.run_ok(b).split() == ["0", "0", "RO", "ETCRW"]


def test_mount_source_symlink_is_followed_on_the_host(berth, bundle, tmp_path):
    """A mount source is the host's own configuration: a symlink there is followed on the host,
    as runc does (docs/rootfs.md)."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "f").write_text("through the link\n")
    (tmp_path / "link").symlink_to(real)
    b = bundle()
    b.add_mount("/src", "bind", str(tmp_path / "link"), ["rbind", "ro"])
    b.set_args("cat", "/src/f")
    assert berth.run_ok(b) == "through the link\n"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("idmap", [False, True], ids=["bind", "idmap"])
def test_mount_source_inside_the_rootfs_resolved_there(berth, bundle, outside, kind, idmap):
    """A bind source inside the rootfs ("rootfs/etc/evil/...", relative to the bundle) is the
    image's: its symlink /etc/evil (-> / or ../../..) is resolved inside the rootfs, never on the
    host. A naive runtime binds the host's secret file and the container overwrites it."""
    b, through = hostile(bundle, outside, kind)
    if kind == "abs":
        inside = b.rootfs / str(outside.path).lstrip("/")
    else:
        inside = b.rootfs / str(outside.path.relative_to(b.path.parent))
    inside.mkdir(parents=True)
    (inside / "secret").write_text("image's own\n")
    opts = ["bind"] + (["idmap"] if idmap else [])
    b.add_mount("/mnt/src", "bind", "rootfs" + through + "/secret", opts)
    if idmap:
        b.config["mounts"][-1]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
        b.config["mounts"][-1]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    b.sh("cat /mnt/src; echo overwritten > /mnt/src")
    assert berth.run_ok(b) == "image's own\n"
    assert (inside / "secret").read_text() == "overwritten\n"


RENAME_EXCHANGE = 2


def test_dir_swapped_for_symlink_during_create(berth, bundle, outside):
    """rootfs/mnt/x flips between a directory and a symlink to the host dir while 50 creates
    mount on /mnt/x/y: the host dir never gets y nor a mount."""
    libc = ctypes.CDLL(None, use_errno=True)
    b = bundle(args=["true"])
    b.config["linux"]["rootfsPropagation"] = "rshared"
    b.add_mount("/mnt/x/y", "tmpfs", "tmpfs", [])
    x, alt = b.rootfs / "mnt" / "x", b.rootfs / "mnt" / "x.alt"
    x.mkdir()
    alt.symlink_to(outside.path)
    stop = threading.Event()
    flips = [0]

    def flip():
        while not stop.is_set():
            if libc.renameat2(-100, bytes(x), -100, bytes(alt), RENAME_EXCHANGE) == 0:
                flips[0] += 1

    t = threading.Thread(target=flip)
    t.start()
    try:
        results = []
        tag = uuid.uuid4().hex[:8]
        for i in range(50):
            res = berth.create(f"race{i}-{tag}", b, check=False)
            results.append(res.returncode)
            if res.returncode == 0:
                berth.delete(f"race{i}-{tag}", "--force")
            assert outside.listing() == outside.before, f"create {i} reached the host dir"
            assert not outside.mounts_below()
    finally:
        stop.set()
        t.join()
    assert flips[0] > 50, "the race loop did not run"
    assert results.count(0) > 0, "no create succeeded"


# ---- /proc overmounts and bad input: exit 1, the mount named by index and destination ----

def mount_error(berth, b, *needles):
    res = berth.create(f"bad-{uuid.uuid4().hex[:8]}", b, check=False)
    return assert_one_error_line(res, *needles)


@pytest.mark.parametrize("dest", ["/proc/self/environ", "/proc/sys", "/proc/kcore",
                                  "/proc/self/attr/exec", "/proc/thread-self/attr/current",
                                  "/proc/self/oom_score_adj", "/proc/self/setgroups",
                                  "/proc/sys/kernel/core_pattern", "/proc/1/root"])
def test_proc_overmount_refused(berth, bundle, tmp_path, dest):
    f = tmp_path / "file"
    f.write_text("x\n")
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_mount(dest, "bind", str(f if dest != "/proc/sys" else tmp_path), ["bind"])
    idx = len(b.config["mounts"]) - 1
    mount_error(berth, b, f"mounts[{idx}] ({dest})", "not allowed")


def test_proc_overmount_through_image_symlink_refused(berth, bundle, tmp_path):
    b = bundle()
    (b.rootfs / "etc" / "p").symlink_to("/proc/sys")
    b.add_mount("/etc/p", "bind", str(tmp_path), ["rbind"])
    idx = len(b.config["mounts"]) - 1
    mount_error(berth, b, f"mounts[{idx}] (/etc/p)", "mounting over /proc/sys is not allowed")


def test_allowed_proc_bind(berth, bundle, tmp_path):
    """The lxcfs-style binds stay allowed (the allow-list is the only way in)."""
    f = tmp_path / "uptime"
    f.write_text("1.00 2.00\n")
    b = bundle(shared_rootfs=True)
    b.add_mount("/proc/uptime", "bind", str(f), ["bind", "ro"])
    b.set_args("cat", "/proc/uptime")
    assert berth.run_ok(b) == "1.00 2.00\n"


def test_unknown_option_on_bind(berth, bundle, tmp_path):
    """key=value data means nothing to a bind and is ignored (issue 12, as runc); a word that is
    no mount flag is an error"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_mount("/mnt", "bind", str(tmp_path), ["rbind", "size=10m", "sizeten"])
    idx = len(b.config["mounts"]) - 1
    mount_error(berth, b, f"mounts[{idx}] (/mnt).options[2]", "unknown option \"sizeten\"")


def test_relative_destination(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_mount("mnt/rel", "tmpfs", "tmpfs", [])
    idx = len(b.config["mounts"]) - 1
    mount_error(berth, b, f"mounts[{idx}].destination", "\"mnt/rel\"")


def test_invalid_device_type(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["linux"]["devices"] = [{"path": "/dev/bad", "type": "x", "major": 1, "minor": 3}]
    mount_error(berth, b, "linux.devices[0] (/dev/bad).type")


def test_failed_mount_leaves_nothing_mounted(berth, bundle, tmp_path):
    """A later mount fails: the earlier ones lived in the container's mount namespace only."""
    b = bundle(args=["true"])
    b.add_mount("/mnt/ok", "bind", str(tmp_path), ["rbind"])
    b.add_mount("/mnt/bad", "tmpfs", "tmpfs", ["size=bogus"])
    idx = len(b.config["mounts"]) - 1
    mount_error(berth, b, f"mounts[{idx}] (/mnt/bad)")
    mi = Path("/proc/self/mountinfo").read_text()
    assert str(b.rootfs) not in mi and str(tmp_path) + " " not in mi


# ---- /dev/console and /dev/pts/N (CVE-2025-52565) ----

def console_script_run(berth, b, tmp_path, cid):
    from test_process import read_pty, recv_pty_master
    import socket
    sock_path = tmp_path / f"{cid}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    try:
        berth.create(cid, b, "--console-socket", sock_path)
        master, _ = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        berth.start(cid)
        text = read_pty(master, until=lambda buf: b"END" in buf)
    finally:
        os.close(master)
    berth.wait_status(cid, "stopped")
    return [l.strip() for l in text.replace("\r", "").splitlines() if l.strip()]


@pytest.mark.parametrize("plant", ["pts-symlink", "console-symlink"])
def test_console_not_redirected(berth, bundle, tmp_path, plant):
    """/dev is a host directory the config binds (a shared /dev another container can write),
    devpts is mounted at /dev/pts-real and /dev/ptmx leads there. pts-symlink: /dev/pts/0..63
    are symlinks to /proc/sys/kernel/core_pattern; a runtime that binds "/dev/pts/N" by name onto
    /dev/console gives the container a writable core_pattern there (before readonlyPaths).
    console-symlink: /dev/console is a symlink to /proc/sys/kernel/core_pattern, a runtime that mounts
    on "/dev/console" by path binds the pty over core_pattern. berth binds the pty it opened
    through the master, by fd, onto a /dev/console it resolved and checked."""
    d = tmp_path / "shareddev"
    (d / "pts").mkdir(parents=True)
    (d / "pts-real").mkdir()
    (d / "ptmx").symlink_to("pts-real/ptmx")
    (d / "null").touch()
    if plant == "pts-symlink":
        for n in range(64):
            (d / "pts" / str(n)).symlink_to("/proc/sys/kernel/core_pattern")
    else:
        (d / "console").symlink_to("/proc/sys/kernel/core_pattern")
    b = bundle(terminal=True)
    b.config["mounts"] = [m for m in b.config["mounts"] if not m["destination"].startswith("/dev")]
    b.add_mount("/dev", "bind", str(d), ["rbind"])
    b.add_mount("/dev/pts-real", "devpts", "devpts",
                ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"])
    b.sh("stat -f -c %T /dev/console; stat -f -c %T /proc/sys/kernel/core_pattern; echo END")
    lines = console_script_run(berth, b, tmp_path, f"cons-{uuid.uuid4().hex[:6]}")
    assert lines[:2] == ["devpts", "proc"], lines
    for n in range(64 if plant == "pts-symlink" else 0):
        assert os.readlink(d / "pts" / str(n)) == "/proc/sys/kernel/core_pattern"


@pytest.mark.parametrize("target", ["core_pattern"])
def test_dev_null_link_into_proc_is_not_bound(berth, bundle, tmp_path, target):
    """CVE-2025-31133: the container's /dev/null (here in a host directory the config binds on
    /dev, which another container could write) is a symlink to /proc/sys/kernel/core_pattern.
    A runtime that binds "/dev/null" by path over a masked file gives the container a second,
    writable core_pattern (readonlyPaths makes only /proc/sys read-only): a host escape. berth
    opens /dev/null without following it, checks it is the 1:3 device, else uses a null device
    of its own. The test only reads (it must not write the host's core_pattern)."""
    devdir = tmp_path / "devdir"
    devdir.mkdir()
    link = "/proc/sys/kernel/core_pattern" if target == "core_pattern" else "/proc/self/fd/1"
    (devdir / "null").symlink_to(link)
    b = bundle()
    b.config["mounts"] = [m for m in b.config["mounts"]
                          if not m["destination"].startswith("/dev")]
    b.add_mount("/dev", "bind", str(devdir), ["rbind"])
    (b.rootfs / "masked.txt").write_text("image content\n")
    b.config["linux"]["maskedPaths"] += ["/masked.txt"]
    b.sh("stat -f -c %T /masked.txt; stat -c %F /masked.txt; cat /masked.txt | wc -c")
    out = berth.run_ok(b).splitlines()
    assert out[0] == "tmpfs", out
    assert out[1] in ("character special file", "regular empty file"), out
    assert out[2] == "0", out
    assert os.readlink(devdir / "null") == link


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.parametrize("kind", KINDS)
def test_evil_paths_with_the_fallback_resolver(berth, bundle, outside, kind):
    """The same hostile links on a kernel without openat2 (strace fails every openat2 with
    ENOSYS): pathsafe's component walk and procfs.c's checked openat take over, with the same
    result: everything lands inside the rootfs, the host dir is untouched."""
    from test_faults import strace_run
    b, through = hostile(bundle, outside, kind)
    b.add_mount(through + "/newdir/x", "tmpfs", "tmpfs", [])
    b.config["linux"]["devices"] = [{"path": through + "/dev0", "type": "c", "major": 1,
                                     "minor": 3, "fileMode": 0o666}]
    b.config["linux"]["maskedPaths"] += [through + "/secret", through + "/dir"]
    b.config["linux"]["readonlyPaths"] += [through + "/dir"]
    b.process["oomScoreAdj"] = 7
    b.sh(f"stat -c %t,%T '{through}/dev0'; cat /proc/self/oom_score_adj; "
         f"stat -f -c %T '{through}/newdir/x'")
    cid = f"fallback-{uuid.uuid4().hex[:8]}"
    rc, out, err = strace_run(berth, b, cid, "openat2:error=ENOSYS")
    assert rc == 0, err
    assert out.split() == ["1,3", "7", "tmpfs"], out


@pytest.mark.parametrize("dest", ["/proc", "/sys"])
def test_pseudo_fs_on_image_symlink_refused(berth, bundle, dest):
    """proc and sysfs go on an ordinary directory: a /proc or /sys the image made a symlink
    (here to a directory inside the rootfs) is refused, as runc does since CVE-2023-28642, not
    followed; create fails and leaves nothing."""
    b = bundle()
    d = b.rootfs / dest.lstrip("/")
    # not rmdir: earlier tests' containers may have made mount points (sys/fs/cgroup) in the
    # shared template this rootfs is copied from
    shutil.rmtree(d)
    (b.rootfs / "elsewhere").mkdir()
    d.symlink_to("/elsewhere")
    b.set_args("true")
    cid = "par16a-link" + dest.replace("/", "-")
    res = berth.create(cid, b, check=False)
    assert res.returncode == 1, res
    assert "ordinary directory" in res.stderr, res
    assert berth.state(cid, check=False) is None
    assert list((b.rootfs / "elsewhere").iterdir()) == []

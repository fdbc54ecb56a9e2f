"""create / start / state / kill / delete / run: the lifecycle and its state JSON."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import assert_one_error_line, pid_alive, state_validator, wait_for

# a container that prints STARTED, then waits for a line on stdin (given by the test)
WAIT_STDIN = 'echo STARTED; read line; echo "got $line"'
# a container that runs until killed; reports the signals it traps. pid 1 of a pid namespace
# ignores signals it has no handler for, so trap the ones we test.
TRAPPER = ('for s in TERM HUP USR1 USR2 INT; do trap "echo SIG$s; exit 0" $s; done; '
           'echo READY; while :; do sleep 0.05; done')


def wait_output(path, text, timeout=5.0):
    return wait_for(lambda: text in Path(path).read_text(errors="replace"), timeout,
                    what=f"{text!r} in {path}")


def last_out(berth):
    """the stdout file of the last create (the container's stdout goes there)"""
    outs = sorted(berth.workdir.glob("*-create.out"))
    return outs[-1]


def test_lifecycle_create_start_stopped_delete(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh(WAIT_STDIN)
    r, w = os.pipe()
    try:
        berth.create("life", b, stdin=r)
    finally:
        os.close(r)
    out = last_out(berth)
    st = berth.state("life")
    assert st["status"] == "created"
    assert st["id"] == "life"
    assert st["bundle"] == str(b.path)
    pid = st["pid"]
    assert isinstance(pid, int) and pid > 0
    assert pid_alive(pid), "created container has no live process"
    time.sleep(0.1)
    assert "STARTED" not in out.read_text(), "user program ran before start"
    assert (berth.root / "life" / "state.json").is_file()

    berth.start("life")
    st = berth.state("life")
    assert st["status"] == "running"
    assert st["pid"] == pid
    wait_output(out, "STARTED")

    os.write(w, b"hello\n")
    os.close(w)
    st = berth.wait_status("life", "stopped")
    wait_output(out, "got hello")
    # "stopped" is reported once the process is in do_exit (its namespaces released); it is
    # a zombie a moment later
    wait_for(lambda: not pid_alive(pid), what="process gone")

    berth.delete("life")
    assert berth.state("life", check=False) is None
    assert not (berth.root / "life").exists()
    berth.assert_nothing_left()


def test_state_validates_against_schema(berth, bundle):
    validator = state_validator()
    b = bundle(shared_rootfs=True)
    b.config["annotations"] = {"org.example.key": "value"}
    b.sh("sleep 10")
    berth.create("schema", b)
    st = berth.state("schema")
    validator.validate(st)
    assert st["annotations"] == {"org.example.key": "value"}
    assert st["ociVersion"]
    berth.start("schema")
    validator.validate(berth.state("schema"))
    berth.kill("schema", "KILL")
    st = berth.wait_status("schema", "stopped")
    validator.validate(st)


def test_start_twice_fails(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("sleep 10")
    berth.create("twice", b)
    berth.start("twice")
    pid = berth.state("twice")["pid"]
    res = berth.start("twice", check=False)
    assert res.returncode != 0
    assert res.stderr.startswith("berth: ")
    st = berth.state("twice")
    assert st["status"] == "running" and st["pid"] == pid and pid_alive(pid)


def test_start_stopped_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create("stoppedstart", b)
    berth.start("stoppedstart")
    berth.wait_status("stoppedstart", "stopped")
    res = berth.start("stoppedstart", check=False)
    assert res.returncode != 0
    assert berth.state("stoppedstart")["status"] == "stopped"


def test_unknown_container_fails(berth):
    for cmd in (["state"], ["start"], ["kill"], ["delete"]):
        res = berth(*cmd, "does-not-exist")
        assert res.returncode == 1, res
        assert res.stderr.startswith("berth: "), res


def test_delete_force_unknown_container_succeeds(berth, bundle):
    """podman and the containerd shim run `delete --force` after a failed create, which left
    nothing behind: like runc, that is not an error (plain delete still is)."""
    res = berth("delete", "--force", "does-not-exist")
    assert res.returncode == 0 and res.stderr == "", res
    b = bundle(shared_rootfs=True, args=["/nope"])
    assert berth.create("gone", b, check=False).returncode == 127
    res = berth("delete", "--force", "gone")
    assert res.returncode == 0 and res.stderr == "", res
    berth.assert_nothing_left()


def test_kill_created_container(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "10"])
    berth.create("killcreated", b)
    pid = berth.state("killcreated")["pid"]
    berth.kill("killcreated", "KILL")
    berth.wait_status("killcreated", "stopped")
    wait_for(lambda: not pid_alive(pid), what="process gone")


def test_kill_stopped_container(berth, bundle):
    """runc's contract, which containerd's shim relies on (issue 13): a plain kill of a stopped
    container fails with "container not running" (the text containerd's checkKillError takes as
    "already gone"; any other makes it retry for ever), kill --all succeeds, and ps lists no
    process and succeeds"""
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create_and_start("killstopped", b)
    berth.wait_status("killstopped", "stopped")
    res = berth.kill("killstopped", "KILL", check=False)
    assert res.returncode == 1 and "container not running" in res.stderr, res
    assert berth.kill("killstopped", "--all", "KILL", check=False).returncode == 0
    assert berth.kill("killstopped", "--all", "0", check=False).returncode == 0
    res = berth("ps", "--format", "json", "killstopped")
    assert res.returncode == 0 and not json.loads(res.stdout), res
    res = berth("ps", "killstopped")
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 1, res
    assert "PID" in res.stdout.split()
    assert berth.state("killstopped")["status"] == "stopped"


def test_kill_all_of_stopped_container_signals_what_is_left(berth, bundle):
    """without its own pid namespace, a container's processes outlive its init: the container is
    stopped, and kill --all still signals them (runc signals the whole cgroup)"""
    b = bundle(shared_rootfs=True)
    b.remove_ns("pid")
    b.sh("sleep 60 & exit 0")
    berth.create_and_start("killleft", b)
    berth.wait_status("killleft", "stopped")
    left = berth.marked_pids()
    assert left, "the background sleep is gone already"
    assert berth.kill("killleft", "--all", "KILL", check=False).returncode == 0
    wait_for(lambda: not berth.marked_pids(), what="what was left is killed")


@pytest.mark.parametrize("sigarg,expect", [
    (None, "SIGTERM"), ("TERM", "SIGTERM"), ("SIGTERM", "SIGTERM"), ("15", "SIGTERM"),
    ("HUP", "SIGHUP"), ("1", "SIGHUP"), ("USR1", "SIGUSR1"), ("SIGUSR1", "SIGUSR1"),
    (str(int(signal.SIGUSR2)), "SIGUSR2"), ("INT", "SIGINT"),
])
def test_kill_signal_names_and_numbers(berth, bundle, sigarg, expect):
    b = bundle(shared_rootfs=True)
    b.sh(TRAPPER)
    berth.create_and_start("sig", b)
    out = last_out(berth)
    wait_output(out, "READY")
    args = [] if sigarg is None else [sigarg]
    berth.kill("sig", *args)
    berth.wait_status("sig", "stopped")
    assert expect in out.read_text()


STOP_SIGNAL = "org.opencontainers.image.stopSignal"


@pytest.mark.parametrize("stop,sigarg,expect", [
    ("SIGUSR1", None, "SIGUSR1"), ("hup", None, "SIGHUP"), (str(int(signal.SIGUSR2)), None,
                                                          "SIGUSR2"),
    ("SIGUSR1", "INT", "SIGINT"),  # a signal given on the command line wins
], ids=["name", "lower-case", "number", "explicit-signal-wins"])
def test_kill_default_is_the_stop_signal_annotation(berth, bundle, stop, sigarg, expect):
    """config.md: org.opencontainers.image.stopSignal is the signal runtimes SHOULD send to
    kill the container: berth kill without a signal sends it (SIGTERM when absent)"""
    b = bundle(shared_rootfs=True)
    b.sh(TRAPPER)
    b.config["annotations"] = {STOP_SIGNAL: stop}
    berth.create_and_start("stopsig", b)
    out = last_out(berth)
    wait_output(out, "READY")
    berth.kill("stopsig", *([sigarg] if sigarg else []))
    berth.wait_status("stopsig", "stopped")
    assert out.read_text().split()[-1] == expect, out.read_text()


@pytest.mark.parametrize("stop", ["SIGBOGUS", "", "0", "99", "SIGRTMIN+99"])
def test_invalid_stop_signal_annotation_fails_create(berth, bundle, stop):
    """the annotation MUST hold a valid StopSignal (image spec): anything else is a config
    error naming it, and nothing is created"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["annotations"] = {STOP_SIGNAL: stop}
    res = berth.create("badstop", b, check=False)
    assert_one_error_line(res, f'annotations["{STOP_SIGNAL}"]')
    assert berth.state("badstop", check=False) is None
    berth.assert_nothing_left()


@pytest.mark.parametrize("sigarg", ["KILL", "SIGKILL", "9"])
def test_kill_sigkill(berth, bundle, sigarg):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    st = berth.create_and_start("k9", b)
    berth.kill("k9", sigarg)
    berth.wait_status("k9", "stopped")
    wait_for(lambda: not pid_alive(st["pid"]), what="process gone")


def test_kill_bogus_signal_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    st = berth.create_and_start("bogussig", b)
    res = berth.kill("bogussig", "SIGBOGUS", check=False)
    assert res.returncode == 1 and res.stderr.startswith("berth: ")
    assert berth.state("bogussig")["status"] == "running" and pid_alive(st["pid"])


def test_kill_signal_zero_checks_liveness(berth, bundle):
    """runc takes any signal number, 0 included: nothing is sent, the exit status says whether
    the container's process is there"""
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    st = berth.create_and_start("sigzero", b)
    assert berth.kill("sigzero", "0", check=False).returncode == 0
    assert berth.kill("sigzero", "--all", "0", check=False).returncode == 0
    assert berth.state("sigzero")["status"] == "running" and pid_alive(st["pid"])
    berth.kill("sigzero", "KILL")
    berth.wait_status("sigzero", "stopped")
    assert berth.kill("sigzero", "0", check=False).returncode == 1


def test_kill_all(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("sleep 30 & sleep 30 & wait")
    st = berth.create_and_start("killall", b)
    berth.kill("killall", "--all", "KILL")
    berth.wait_status("killall", "stopped")
    wait_for(lambda: not pid_alive(st["pid"]), what="process gone")


def test_delete_running_without_force_fails(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    st = berth.create_and_start("delrun", b)
    res = berth.delete("delrun", check=False)
    assert res.returncode == 1
    assert res.stderr.startswith("berth: ")
    st2 = berth.state("delrun")
    assert st2["status"] == "running" and st2["pid"] == st["pid"] and pid_alive(st["pid"])
    assert (berth.root / "delrun").is_dir()


def test_delete_force_running(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    st = berth.create_and_start("delforce", b)
    berth.delete("delforce", "--force")
    assert not pid_alive(st["pid"])
    assert berth.state("delforce", check=False) is None
    berth.assert_nothing_left()


def test_delete_force_short_flag(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create_and_start("delf", b)
    berth.delete("delf", "-f")
    berth.assert_nothing_left()


def test_delete_created_kills_it(berth, bundle, tmp_path):
    """runc's delete of a created container: killed, destroyed, and (lifecycle 12-13) its
    poststop hooks run with the stopped state"""
    mark = tmp_path / "poststop.json"
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    b.config["hooks"] = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {mark}"]}]}
    berth.create("delcreated", b)
    pid = berth.state("delcreated")["pid"]
    berth.delete("delcreated")
    wait_for(lambda: not pid_alive(pid), what="created process killed")
    st = json.loads(mark.read_text())
    assert st["id"] == "delcreated" and st["status"] == "stopped"
    berth.assert_nothing_left()


def test_delete_stopped(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create_and_start("delstopped", b)
    berth.wait_status("delstopped", "stopped")
    berth.delete("delstopped")
    assert berth.state("delstopped", check=False) is None
    berth.assert_nothing_left()


def test_pid_file(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    pidfile = tmp_path / "pidfile"
    berth.create("pidf", b, "--pid-file", pidfile)
    st = berth.state("pidf")
    assert pidfile.read_text().strip() == str(st["pid"])


def test_pid_file_relative_to_cwd(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.prepare(b)
    berth.track("pidrel", b)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = berth("create", "--bundle", b.path, "--pid-file", "rel.pid", "pidrel")
    finally:
        os.chdir(cwd)
    assert res.returncode == 0, res
    assert (tmp_path / "rel.pid").read_text().strip() == str(berth.state("pidrel")["pid"])


def test_bundle_defaults_to_cwd(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    berth.prepare(b)
    berth.track("cwdbundle", b)
    cwd = os.getcwd()
    os.chdir(b.path)
    try:
        res = berth("create", "cwdbundle")
    finally:
        os.chdir(cwd)
    assert res.returncode == 0, res
    assert berth.state("cwdbundle")["bundle"] == str(b.path)


# -- run ------------------------------------------------------------------------------------

def test_run_exit_code(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("echo out; exit 3")
    res = berth.run("exit3", b)
    assert res.returncode == 3, res
    assert "out" in res.stdout
    # run deletes the container afterwards
    assert berth.state("exit3", check=False) is None
    berth.assert_nothing_left()


def test_run_exit_zero_output(berth, bundle):
    b = bundle(shared_rootfs=True, args=["echo", "hello from berth"])
    res = berth.run("hello", b)
    assert res.returncode == 0, res
    assert res.stdout == "hello from berth\n"


def test_run_killed_by_signal_self(berth, bundle):
    # without a pid namespace the shell is not an init, so it can SIGKILL itself
    b = bundle(shared_rootfs=True)
    b.remove_ns("pid")
    b.sh("kill -9 $$")
    res = berth.run("self9", b)
    assert res.returncode == 137, res


def test_run_killed_by_berth_kill(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    p = berth.run_popen("runk9", b)
    berth.wait_status("runk9", "running")
    berth.kill("runk9", "KILL")
    assert p.wait(timeout=10) == 137


def test_run_forwards_sigterm(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh('trap "echo got-term; exit 7" TERM; echo READY; while :; do sleep 0.05; done')
    p = berth.run_popen("fwd", b)
    wait_output(p.out_path, "READY")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 7
    assert "got-term" in Path(p.out_path).read_text()


def test_run_detach(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    t0 = time.monotonic()
    res = berth.run("det", b, "--detach", timeout=15)
    assert res.returncode == 0, res
    assert time.monotonic() - t0 < 10
    st = berth.state("det")
    assert st["status"] == "running" and pid_alive(st["pid"])


def test_run_detach_pid_file(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    res = berth.run("detpid", b, "-d", "--pid-file", tmp_path / "p")
    assert res.returncode == 0, res
    assert (tmp_path / "p").read_text().strip() == str(berth.state("detpid")["pid"])


def test_run_keep(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    res = berth.run("keep", b, "--keep")
    assert res.returncode == 0, res
    assert berth.state("keep")["status"] == "stopped"
    berth.delete("keep")


def test_run_stdin_passthrough(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["cat"])
    f = tmp_path / "input"
    f.write_text("line one\nline two\n")
    with open(f) as fi:
        res = berth.run("stdin", b, stdin=fi)
    assert res.returncode == 0, res
    assert res.stdout == "line one\nline two\n"


def test_create_stdio_passthrough(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("echo to-stdout; echo to-stderr >&2")
    berth.create_and_start("stdio", b)
    berth.wait_status("stdio", "stopped")
    out = last_out(berth)
    err = out.with_suffix(".err")
    assert out.read_text() == "to-stdout\n"
    assert err.read_text() == "to-stderr\n"


def test_no_pivot(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("ls /; cat /etc/hostname")
    res = berth.run("nopivot", b, "--no-pivot")
    assert res.returncode == 0, res
    names = res.stdout.split()
    assert "bin" in names and "proc" in names
    assert "rootfs" in names  # /etc/hostname of the busybox rootfs, not the host's
    assert "work" not in names


# statmount(2) (Linux 6.8) of the parent of the container's root mount: the mount it sits on in
# the container's mount namespace, also when it is not reachable from the process's root
ROOT_PARENT_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
struct mnt_id_req { uint32_t size, spare; uint64_t mnt_id, param; };
struct statmount {
  uint32_t size, mnt_opts; uint64_t mask; uint32_t sb_dev_major, sb_dev_minor; uint64_t sb_magic;
  uint32_t sb_flags, fs_type; uint64_t mnt_id, mnt_parent_id; uint32_t old_id, old_parent_id;
  uint64_t more[64];
};
static struct statmount sm;
static long stm(uint64_t id, uint64_t mask) {
  struct mnt_id_req r = {.size = 24, .mnt_id = id, .param = mask};
  return syscall(457 /* statmount */, &r, &sm, sizeof sm, 0);
}
int main(void) {
  struct statx sx;
  if (statx(AT_FDCWD, "/", 0, 0x4000 /* STATX_MNT_ID_UNIQUE */, &sx) < 0 ||
      stm(sx.stx_mnt_id, 2 /* STATMOUNT_MNT_BASIC */) < 0) {
    printf("unsupported %s\n", strerror(errno));
    return 0;
  }
  uint64_t self = sm.mnt_id, parent = sm.mnt_parent_id;
  if (parent == self || stm(parent, 1 /* STATMOUNT_SB_BASIC */) < 0)
    printf("parent none\n");
  else
    printf("parent %u:%u\n", sm.sb_dev_major, sm.sb_dev_minor);
  return 0;
}
"""


@pytest.mark.parametrize("pivot", [True, False], ids=["pivot_root", "no-pivot"])
def test_no_pivot_keeps_the_old_root_under_the_container(berth, bundle, tmp_path, pivot):
    """--no-pivot moves the rootfs onto / (MS_MOVE) and chroots: the runtime's old root stays
    in the container's mount namespace, right under the container's root mount (the
    filesystem of the host's /). pivot_root detaches the old root: the container's root mount
    sits on nothing of the host's /."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler for the statmount helper")
    (tmp_path / "rootparent.c").write_text(ROOT_PARENT_C)
    subprocess.run(["cc", "-static", "-o", str(tmp_path / "rootparent"),
                    str(tmp_path / "rootparent.c")], check=True)
    b = bundle(args=["/rootparent"])
    shutil.copy(tmp_path / "rootparent", b.rootfs / "rootparent")
    caps = b.process["capabilities"]
    for k in ("bounding", "effective", "permitted"):  # statmount of an unreachable mount
        caps[k] = sorted(set(caps[k]) | {"CAP_SYS_ADMIN"})
    cid = "pivot" if pivot else "nopivot2"
    res = berth.run(cid, b, *([] if pivot else ["--no-pivot"]))
    assert res.returncode == 0, res
    if res.stdout.startswith("unsupported"):
        pytest.skip(f"no statmount(2) on this kernel: {res.stdout.strip()}")
    host_root = os.stat("/").st_dev
    host_root = f"parent {os.major(host_root)}:{os.minor(host_root)}"
    if pivot:
        assert res.stdout.strip() != host_root, res
    else:
        assert res.stdout.strip() == host_root, res


def test_create_no_pivot_no_new_keyring(berth, bundle):
    b = bundle(shared_rootfs=True, args=["echo", "flags-ok"])
    berth.create("flags", b, "--no-pivot", "--no-new-keyring")
    berth.start("flags")
    berth.wait_status("flags", "stopped")
    assert last_out(berth).read_text() == "flags-ok\n"


def test_config_edits_after_create_do_not_affect_the_container(berth, bundle, tmp_path):
    """runtime.md, lifecycle step 2: updates to config.json after create MUST NOT affect the
    container: start's poststart hooks, exec's process defaults and namespaces, and delete's
    poststop hooks come from the config it was created with"""
    marks = tmp_path / "marks"
    marks.mkdir()

    def hooks(tag):
        return {ph: [{"path": "/bin/sh", "args": ["sh", "-c", f"echo {tag} >> {marks}/{ph}"]}]
                for ph in ("poststart", "poststop")}
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    b.set_env("WHICH", "created")
    b.config["hooks"] = hooks("original")
    berth.create("cfgsnap", b)
    b.set_env("WHICH", "edited")
    b.config["hooks"] = hooks("edited")
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] not in ("pid", "uts")]
    b.config.pop("hostname", None)
    b.write()
    berth.start("cfgsnap")
    res = berth("exec", "cfgsnap", "sh", "-c", "echo $WHICH; readlink /proc/self/ns/pid")
    assert res.returncode == 0, res
    which, pidns = res.stdout.split()
    assert which == "created"
    assert pidns == os.readlink(f"/proc/{berth.state('cfgsnap')['pid']}/ns/pid")
    assert pidns != os.readlink("/proc/self/ns/pid")
    berth.kill("cfgsnap", "KILL")
    berth.wait_status("cfgsnap", "stopped")
    berth.delete("cfgsnap")
    assert (marks / "poststart").read_text() == "original\n"
    assert (marks / "poststop").read_text() == "original\n"


def run_in_named_session_keyring(berth, b, cid, ring, *opts):
    """berth run with its session keyring replaced by a new one called `ring` (keyctl(2)
    KEYCTL_JOIN_SESSION_KEYRING in the child before exec); returns the container's stdout"""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)

    def join():
        if libc.syscall(250, 1, ring.encode()) < 0:  # SYS_keyctl on x86_64
            os._exit(99)
    berth.prepare(b)
    berth.track(cid, b)
    p = subprocess.run(berth.argv("run", "--bundle", b.path, *opts, cid), env=berth.env(),
                       preexec_fn=join, capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p
    return p.stdout


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="keyctl syscall number for x86_64")
def test_no_new_keyring(berth, bundle):
    """without --no-new-keyring the container gets a new anonymous session keyring, so the
    caller's keys are not reachable; with it, the caller's session keyring is its own. Seen from
    inside as a non-root user: /proc/keys lists the caller's keyring only when possessed."""
    ring = f"berth-test-{os.getpid()}-{time.monotonic_ns()}"
    b = bundle(shared_rootfs=True)
    b.config["linux"]["maskedPaths"] = [
        m for m in b.config["linux"].get("maskedPaths", []) if m != "/proc/keys"]
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.sh(f"grep -c {ring} /proc/keys; true")
    assert run_in_named_session_keyring(berth, b, "keyring1", ring).strip() == "0"
    assert run_in_named_session_keyring(berth, b, "keyring2", ring,
                                        "--no-new-keyring").strip() == "1"


def test_kill_all_short_flag(berth, bundle):
    b = bundle(shared_rootfs=True)
    b.sh("sleep 30 & sleep 30")
    berth.create_and_start("killa", b)
    berth.kill("killa", "-a", "9")
    berth.wait_status("killa", "stopped")


def test_global_debug_and_text_log(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["echo", "dbg"])
    berth.prepare(b)
    berth.track("dbg", b)
    log = tmp_path / "text.log"
    res = berth("run", "--bundle", b.path, "dbg",
                global_opts=("--debug", "--log", log, "--log-format", "text"))
    assert res.returncode == 0, res
    assert "dbg\n" in res.stdout
    assert log.exists() and log.read_text().strip(), "--debug --log wrote nothing"


def test_error_goes_to_stderr_and_to_the_json_log(berth, bundle, tmp_path):
    """with --log FILE an error is written to the log (JSON, as before) and to stderr too: runc
    does, and containerd's shim reads the command's output to classify a failure (issue 13)"""
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create_and_start("logerr", b)
    berth.wait_status("logerr", "stopped")
    log = tmp_path / "log.json"
    res = berth("kill", "logerr", "KILL", global_opts=("--log", log, "--log-format", "json"))
    assert res.returncode == 1 and "container not running" in res.stderr, res
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    errors = [e["msg"] for e in entries if e["level"] == "error"]
    assert errors and "container not running" in errors[-1], entries


def test_commands_on_other_containers_do_not_wait_for_a_locked_one(berth, bundle, tmp_path):
    """Issue #2: commands on one container are serialized by its lock; commands on different
    containers never wait on each other. A create held in a createRuntime hook keeps its
    container locked; the whole lifecycle of another container, and a start/kill/delete
    waiting for the held one, go on meanwhile: the first finishes while the hook still holds."""
    gate, held = tmp_path / "gate", tmp_path / "held"
    hook = tmp_path / "hold.sh"
    hook.write_text(f"#!/bin/sh\ntouch {held}\nwhile [ ! -e {gate} ]; do sleep 0.05; done\n")
    os.chmod(hook, 0o755)
    slow = bundle(shared_rootfs=True, args=["sleep", "30"])
    slow.config["hooks"] = {"createRuntime": [{"path": str(hook)}]}
    berth.track("lock-held", slow)
    berth.prepare(slow)
    creating = berth.popen("create", "--bundle", slow.path, "lock-held")
    starting = None
    try:
        wait_for(held.exists, what="the hook to run")
        other = bundle(shared_rootfs=True, args=["sleep", "30"])
        t0 = time.monotonic()
        berth.create("lock-free", other)
        berth.start("lock-free")
        assert berth("exec", "lock-free", "true").returncode == 0
        berth.kill("lock-free", "KILL")
        berth.wait_status("lock-free", "stopped")
        berth.delete("lock-free")
        elapsed = time.monotonic() - t0
        assert creating.poll() is None, "the held create finished: the test proved nothing"
        # the same id does wait: start of the held container blocks until the create is done
        starting = berth.popen("start", "lock-held")
        time.sleep(0.5)
        assert starting.poll() is None, "start did not wait for the create holding the lock"
    finally:
        gate.touch()
    assert creating.wait(timeout=20) == 0, creating.err_path.read_text()
    assert starting.wait(timeout=20) == 0, starting.err_path.read_text()
    assert berth.state("lock-held")["status"] in ("running", "stopped")
    assert elapsed < 8, f"the other container's commands took {elapsed:.1f}s"


@pytest.mark.parametrize("sig", [signal.SIGUSR1, signal.SIGHUP, signal.SIGINT],
                         ids=["USR1", "HUP", "INT"])
def test_run_forwards_a_signal_and_exits_128_plus_n(berth, bundle, sig):
    """run forwards the signals it gets to the container's process; one without a handler
    kills it, and run exits 128+N (no pid namespace, so the default action applies)"""
    b = bundle(shared_rootfs=True)
    b.remove_ns("pid")
    b.sh("echo READY; exec sleep 30")
    p = berth.run_popen("fwdsig", b)
    wait_output(p.out_path, "READY")
    berth.wait_status("fwdsig", "running")
    time.sleep(0.2)  # the shell has exec'd sleep
    p.send_signal(sig)
    assert p.wait(timeout=10) == 128 + sig


def test_stdio_pipes_reach_the_process_untouched(berth, bundle):
    """without a terminal the process's fds 0-2 are the very pipes berth was given (issue #6:
    pipes from the engine reach the process), not copies relayed by berth"""
    b = bundle(shared_rootfs=True)
    b.sh("for f in 0 1 2; do readlink /proc/self/fd/$f; done; read line; echo got:$line; "
         "echo to-stderr >&2")
    berth.prepare(b)
    berth.track("pipes", b)
    p = subprocess.Popen(berth.argv("run", "--bundle", b.path, "pipes"), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=berth.env())
    inos = [os.fstat(f.fileno()).st_ino for f in (p.stdin, p.stdout, p.stderr)]
    out, err = p.communicate(b"hello\n", timeout=20)
    assert p.returncode == 0, (out, err)
    lines = out.decode().splitlines()
    assert lines[:3] == [f"pipe:[{i}]" for i in inos], (lines, inos)
    assert lines[3] == "got:hello" and err.decode() == "to-stderr\n", (out, err)


def proc_start_time(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_state_json_written_atomically_with_start_time(berth, bundle, tmp_path):
    """Issue #2: <root>/<id>/state.json holds the OCI state plus pid, the process's start time
    (field 22 of /proc/PID/stat), bundle, creation time and annotations, and is written through
    a temporary file renamed over it: no write ever opens state.json itself."""
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    b.config["annotations"] = {"org.example.k": "v"}
    berth.prepare(b)
    berth.track("atomic", b)
    trace = tmp_path / "strace.out"
    # not -f: berth itself writes state.json (its parked child would keep strace waiting)
    with open(tmp_path / "create.err", "w") as err:
        res = subprocess.run(["strace", "-qq", "-e", "trace=openat,open,creat,rename,renameat,"
                              "renameat2", "-o", str(trace),
                              *berth.argv("create", "--bundle", b.path, "atomic")],
                             env=berth.env_under_ptrace(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err, timeout=30)
    assert res.returncode == 0, (tmp_path / "create.err").read_text()
    berth.start("atomic")
    calls = [l for l in trace.read_text().splitlines() if "state.json" in l]
    writes = [l for l in calls if "O_WRONLY" in l or "O_RDWR" in l or "creat(" in l]
    assert writes and all(".state.json.tmp" in l for l in writes), calls
    assert any("rename" in l and '".state.json.tmp"' in l and '"state.json"' in l
               for l in calls), calls
    st = json.loads((berth.root / "atomic" / "state.json").read_text())
    assert st["id"] == "atomic" and st["bundle"] == str(b.path)
    assert st["startTime"] == proc_start_time(st["pid"]), st
    assert st["annotations"] == {"org.example.k": "v"}, st
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", st["created"]), st
    assert sorted(os.listdir(berth.root / "atomic")).count(".state.json.tmp") == 0


def test_ids_of_1024_bytes(berth, bundle):
    """Issue #2: ids up to 1024 bytes. Longer than a file name, such an id names its state
    directory and default cgroup "_<its first 200 bytes>-<hash>" (state.h); two ids sharing
    those 200 bytes are still two containers, and every command finds each by its full id."""
    from conftest import container_dir_name
    ids = ["L" * 1024, "L" * 1023 + "M"]
    names = [container_dir_name(i) for i in ids]
    assert names[0] != names[1] and all(len(n) <= 255 for n in names)
    for cid in ids:
        berth.create(cid, bundle(shared_rootfs=True, args=["sleep", "30"]))
    assert sorted(os.listdir(berth.root)) == sorted(names)
    assert sorted(berth("list", "-q").stdout.split()) == sorted(ids)
    listed = {e["id"]: e for e in json.loads(berth("list", "-f", "json").stdout)}
    assert set(listed) == set(ids)
    berth.start(ids[0])
    st = berth.state(ids[0])
    assert st["id"] == ids[0] and st["status"] == "running"
    assert berth.state(ids[1])["status"] == "created"
    pids_cg = Path("/sys/fs/cgroup/pids/berth") / names[0]
    if Path("/sys/fs/cgroup/pids/cgroup.procs").exists():
        assert str(st["pid"]) in (pids_cg / "cgroup.procs").read_text().split()
    res = berth("exec", ids[0], "echo", "in-exec")
    assert res.returncode == 0 and res.stdout == "in-exec\n", res
    berth.kill(ids[0], "KILL")
    berth.wait_status(ids[0], "stopped")
    for cid in ids:
        berth.delete(cid, "--force")
    assert os.listdir(berth.root) == []
    assert not pids_cg.exists()
    assert berth.state("L" * 1024, check=False) is None


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_pidfd_socket_of_create_and_run(berth, bundle, tmp_path, cmd):
    """create/run --pidfd-socket (runc 1.2): a pidfd of the container's process arrives over the
    socket (SCM_RIGHTS, data "pidfd"), names it (fdinfo Pid:) and signals it"""
    from test_exec import fdinfo_pid
    from test_process import recv_pty_master
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    cid = f"pidfd-{cmd}"
    berth.prepare(b)
    berth.track(cid, b)
    sock_path = tmp_path / "pidfd.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    try:
        p = berth.popen(cmd, "--bundle", b.path, "--pidfd-socket", sock_path,
                        *(["-d"] if cmd == "run" else []), cid)
        pidfd, msg = recv_pty_master(listener)
    finally:
        listener.close()
    try:
        assert p.wait(timeout=10) == 0, p.err_path.read_text()
        st = berth.state(cid)
        assert st["status"] == ("created" if cmd == "create" else "running"), st
        assert msg == b"pidfd" and fdinfo_pid(pidfd) == st["pid"], msg
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        berth.wait_status(cid, "stopped")
    finally:
        os.close(pidfd)


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_pidfd_socket_that_does_not_exist_creates_nothing(berth, bundle, tmp_path, cmd):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.prepare(b)
    berth.track("pidfd-none", b)
    res = berth(cmd, "--bundle", b.path, "--pidfd-socket", tmp_path / "nope.sock", "pidfd-none")
    assert_one_error_line(res, "--pidfd-socket")
    assert berth.state("pidfd-none", check=False) is None
    berth.assert_nothing_left()


@pytest.mark.parametrize("pivot,userns", [(True, False), (False, False), (False, True)],
                         ids=["pivot_root", "no-pivot", "no-pivot-userns"])
def test_nested_userns_cannot_mount_procfs(berth, bundle, pivot, userns):
    """A process that makes its own user and mount namespaces may mount a procfs only where a
    full, unmasked one is visible in its mount namespace. The container's is masked; with
    --no-pivot the runtime's old root (the host's /proc and /sys) stays under the container's
    root unless berth takes them away first, as runc does (runc issue #2647): refused in both
    modes. In a user namespace the host's mounts are locked: berth covers them instead."""
    if userns:
        from test_namespaces import need_userns, userns_config
        need_userns()
        b = userns_config(bundle(userns_owner=100000))
    else:
        b = bundle()
    caps = b.process["capabilities"]
    for k in ("bounding", "effective", "permitted"):  # map uid 0 in the new user namespace
        caps[k] = sorted(set(caps[k]) | {"CAP_SETFCAP"})
    # (a procfs of its own pid namespace, a sysfs of its own network namespace)
    b.sh("unshare -Urmpf sh -c 'mount -t proc none /proc && echo proc-mounted' 2>&1; "
         "unshare -Urmn sh -c 'mount -t sysfs none /sys && echo sysfs-mounted' 2>&1; echo done")
    cid = "par16a-nest" + ("" if pivot else "np") + ("u" if userns else "")
    res = berth.run(cid, b, *([] if pivot else ["--no-pivot"]))
    assert res.returncode == 0, res
    if res.stdout.startswith("unshare:"):
        pytest.skip(f"no user namespace for the container's process: {res.stdout!r}")
    assert "done" in res.stdout, res
    assert "proc-mounted" not in res.stdout and "sysfs-mounted" not in res.stdout, res

"""stdio that is the host's /dev/null (conmon hands a detached container's stdin so) becomes the
container's own /dev/null, as runc reopens it (reOpenDevNull): an fd on a mount outside the
container's mount namespace is one CRIU cannot dump ("Can't lookup mount=N for fd=0
path=/dev/null": podman's checkpoint of any `podman run -d` container). Checked from inside:
whether the mount each stdio fd is on (fdinfo's mnt_id) is one of the container's mounts.
create passes its caller's stdio through (runc's run makes pipes of its own)."""

import os

SCRIPT = ("for f in 0 1; do m=$(sed -n 's/^mnt_id:[[:space:]]*//p' /proc/self/fdinfo/$f); "
          "if grep -q \"^$m \" /proc/self/mountinfo; then echo \"$f inside\"; "
          "else echo \"$f outside\"; fi; done > /fds")


def test_host_dev_null_stdin_reopened(berth, bundle):
    b = bundle(args=["sh", "-c", SCRIPT])
    b.config["root"]["readonly"] = False
    os.chmod(b.rootfs, 0o777)
    with open("/dev/null", "rb") as null:
        berth.create("criu15c-devnull", b, stdin=null)
    berth.start("criu15c-devnull")
    berth.wait_status("criu15c-devnull", "stopped")
    # stdin: the host's /dev/null, reopened inside; stdout: the host's file berth's create writes to, left alone
    assert (b.rootfs / "fds").read_text().split() == ["0", "inside", "1", "outside"]

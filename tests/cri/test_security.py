"""The security context of pods and containers, checked from inside the container: users and
groups, capabilities, read-only rootfs, privileged, no_new_privs, seccomp, host namespaces and
pod sysctls."""

import os

from conftest import wait_for

CAP_CHOWN, CAP_NET_ADMIN, CAP_SYS_ADMIN = 0, 12, 21


def status_field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} in {text}")


def one_container(pods, args=("sleep", "3600"), pod_linux=None, sc=None):
    pb = pods.pb
    cfg = pods.pod_config(linux=pod_linux)
    pod = pods.run_pod(cfg)
    linux = pb.LinuxContainerConfig()
    if sc is not None:
        linux.security_context.CopyFrom(sc)
    c = pods.run(pod, cfg, "c", list(args), linux=linux)
    pods.wait_state(c, pb.CONTAINER_RUNNING)
    return c


def test_users_and_groups(pods):
    pb = pods.pb
    sc = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=1000),
                                          run_as_group=pb.Int64Value(value=2000),
                                          supplemental_groups=[3000, 3001])
    c = one_container(pods, sc=sc)
    st = pods.sh(c, "cat /proc/self/status")
    assert status_field(st, "Uid").split()[:2] == ["1000", "1000"]
    assert status_field(st, "Gid").split()[:2] == ["2000", "2000"]
    assert {"3000", "3001"} <= set(status_field(st, "Groups").split())


def test_capabilities_add_drop_and_no_new_privs(pods):
    pb = pods.pb
    sc = pb.LinuxContainerSecurityContext(
        capabilities=pb.Capability(add_capabilities=["NET_ADMIN"], drop_capabilities=["CHOWN"]),
        no_new_privs=True)
    c = one_container(pods, sc=sc)
    st = pods.sh(c, "cat /proc/self/status")
    eff = int(status_field(st, "CapEff"), 16)
    assert eff & (1 << CAP_NET_ADMIN) and not eff & (1 << CAP_CHOWN), hex(eff)
    assert not eff & (1 << CAP_SYS_ADMIN), hex(eff)
    assert status_field(st, "NoNewPrivs") == "1"
    r = pods.exec(c, ["chown", "1:1", "/tmp"])
    assert r.exit_code != 0 and b"Operation not permitted" in r.stderr, r


def test_readonly_rootfs(pods):
    pb = pods.pb
    c = one_container(pods, sc=pb.LinuxContainerSecurityContext(readonly_rootfs=True))
    r = pods.exec(c, ["touch", "/newfile"])
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr, r


def test_privileged(pods):
    pb = pods.pb
    linux = pb.LinuxPodSandboxConfig()
    linux.security_context.privileged = True
    c = one_container(pods, pod_linux=linux,
                      sc=pb.LinuxContainerSecurityContext(privileged=True))
    st = pods.sh(c, "cat /proc/self/status")
    eff = int(status_field(st, "CapEff"), 16)
    assert eff & (1 << CAP_SYS_ADMIN), hex(eff)
    assert status_field(st, "Seccomp") == "0"
    # the host's devices, and no masked paths (/proc/keys is /dev/null-masked otherwise)
    host_devs = set(os.listdir("/dev"))
    devs = set(pods.sh(c, "ls /dev").split())
    assert "kmsg" in devs or "mem" in devs, devs
    assert len(devs & host_devs) > 20, devs
    mounts = pods.sh(c, "cat /proc/self/mountinfo")
    assert " /proc/keys " not in mounts and " /proc/timer_list " not in mounts, mounts


# what kubelet sends for a container that is not privileged (it owns the default lists)
MASKED = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
READONLY = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger"]


def test_not_privileged_masked_and_readonly_paths(pods):
    pb = pods.pb
    c = one_container(pods, sc=pb.LinuxContainerSecurityContext(masked_paths=MASKED,
                                                                 readonly_paths=READONLY))
    mounts = pods.sh(c, "cat /proc/self/mountinfo")
    assert " /proc/keys " in mounts and " /proc/timer_list " in mounts, mounts
    assert pods.sh(c, "cat /proc/keys /proc/timer_list") == ""
    r = pods.exec(c, ["sh", "-c", "echo 1 > /proc/sys/kernel/shm_rmid_forced"])
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr, r
    assert "mem" not in pods.sh(c, "ls /dev").split()


def test_seccomp_runtime_default_and_unconfined(pods):
    pb = pods.pb
    rd = pb.LinuxContainerSecurityContext(
        seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
    c = one_container(pods, sc=rd)
    assert status_field(pods.sh(c, "cat /proc/self/status"), "Seccomp") == "2"
    un = pb.LinuxContainerSecurityContext(
        seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined))
    c2 = one_container(pods, sc=un)
    assert status_field(pods.sh(c2, "cat /proc/self/status"), "Seccomp") == "0"


def test_host_namespaces(pods):
    pb = pods.pb
    linux = pb.LinuxPodSandboxConfig()
    ns = linux.security_context.namespace_options
    ns.network, ns.pid, ns.ipc = pb.NODE, pb.NODE, pb.NODE
    sc = pb.LinuxContainerSecurityContext()
    sc.namespace_options.network, sc.namespace_options.pid, sc.namespace_options.ipc = (
        pb.NODE, pb.NODE, pb.NODE)
    cfg = pods.pod_config(linux=linux, hostname="")
    pod = pods.run_pod(cfg)
    assert not pods.pod_status(pod).status.network.ip  # no CNI for a host-network pod
    c = pods.run(pod, cfg, "c", ["sleep", "3600"], linux=pb.LinuxContainerConfig(
        security_context=sc))
    pods.wait_state(c, pb.CONTAINER_RUNNING)
    for t in ("net", "pid", "ipc"):
        inside = pods.sh(c, f"readlink /proc/self/ns/{t}").strip()
        assert inside == os.readlink(f"/proc/self/ns/{t}"), t
    assert pods.sh(c, "hostname").strip() == os.uname().nodename


def test_pod_sysctls(pods):
    pb = pods.pb
    linux = pb.LinuxPodSandboxConfig(sysctls={"kernel.shm_rmid_forced": "1",
                                              "net.ipv4.ip_unprivileged_port_start": "80"})
    c = one_container(pods, pod_linux=linux)
    assert pods.sh(c, "cat /proc/sys/kernel/shm_rmid_forced").strip() == "1"
    assert pods.sh(c, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start").strip() == "80"

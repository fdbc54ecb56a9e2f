"""Containers in a pod, driven as kubelet drives them: two containers talking over localhost,
the pod's hostname, pod and container pid namespaces, ExecSync, stats, CRI logs and their
reopening, StopContainer's grace period, a crashed container replaced by a new attempt, and a
command that does not exist."""

import re
import time
from pathlib import Path

import pytest

from conftest import wait_for

CRI_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) "
                          r"(stdout|stderr) [FP] (.*)$")


def log_lines(path):
    """(stream, text) of each line of a CRI log file, checking the format of every line."""
    out = []
    for line in Path(path).read_text().splitlines():
        m = CRI_LOG_LINE.match(line)
        assert m, f"not a CRI log line: {line!r}"
        out.append((m.group(2), m.group(3)))
    return out


def test_two_containers_share_localhost_and_hostname(pods):
    cfg = pods.pod_config(hostname="twins")
    pod = pods.run_pod(cfg)
    web = pods.run(pod, cfg, "web", ["sh", "-c", "mkdir -p /tmp/w && echo hello-from-web > "
                                     "/tmp/w/index.html && exec httpd -f -p 127.0.0.1:8080 "
                                     "-h /tmp/w"])
    client = pods.run(pod, cfg, "client", ["sleep", "3600"])
    pods.wait_state(web, pods.pb.CONTAINER_RUNNING)
    out = wait_for(lambda: pods.exec(client, ["wget", "-qO-", "http://localhost:8080/"]).stdout,
                   what="the web container answering on localhost")
    assert out.decode().strip() == "hello-from-web"
    assert pods.sh(client, "hostname").strip() == "twins"
    assert pods.sh(web, "hostname").strip() == "twins"
    assert pods.sh(client, "readlink /proc/self/ns/net") == pods.sh(web,
                                                                      "readlink /proc/self/ns/net")


def _pid_pod(pods, mode):
    pb = pods.pb
    linux = pb.LinuxPodSandboxConfig()
    linux.security_context.namespace_options.pid = mode
    cfg = pods.pod_config(linux=linux)
    pod = pods.run_pod(cfg)
    sc = pb.LinuxContainerConfig()
    sc.security_context.namespace_options.pid = mode
    a = pods.run(pod, cfg, "a", ["sleep", "4242"], linux=sc)
    b = pods.run(pod, cfg, "b", ["sleep", "3600"], linux=sc)
    pods.wait_state(a, pb.CONTAINER_RUNNING)
    return pods.sh(b, "ps -o pid,args")


def test_share_process_namespace(pods):
    ps = _pid_pod(pods, pods.pb.POD)
    assert "sleep 4242" in ps, ps
    # pid 1 is the sandbox's pause process
    assert re.search(r"^\s*1\s+/pause", ps, re.M), ps


def test_container_pid_namespace_is_private(pods):
    ps = _pid_pod(pods, pods.pb.CONTAINER)
    assert "sleep 4242" not in ps and "pause" not in ps, ps
    assert re.search(r"^\s*1\s+sleep 3600", ps, re.M), ps


def test_exec_sync(pods):
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    c = pods.run(pod, cfg, "c", ["sleep", "3600"])
    r = pods.exec(c, ["sh", "-c", "echo to-out; echo to-err >&2; exit 3"])
    assert (r.stdout, r.stderr, r.exit_code) == (b"to-out\n", b"to-err\n", 3)
    r = pods.exec(c, ["cat", "/nope"])
    assert r.exit_code == 1 and b"/nope" in r.stderr
    t0 = time.monotonic()
    with pytest.raises(pods.cri.grpc.RpcError) as e:
        pods.exec(c, ["sleep", "300"], timeout=1)
    assert time.monotonic() - t0 < 20
    assert "timeout" in e.value.details() or "deadline" in e.value.details().lower(), e.value
    # the timed out process is gone, the container still runs
    wait_for(lambda: "sleep 300" not in pods.sh(c, "ps -o args"), what="sleep 300 killed")
    assert pods.status(c).state == pods.pb.CONTAINER_RUNNING


def test_stats_move(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    c = pods.run(pod, cfg, "c", ["sh", "-c", "while :; do :; done"])

    def stats():
        return pods.cri.ContainerStats(pb.ContainerStatsRequest(container_id=c),
                                       timeout=30).stats

    s1 = wait_for(lambda: (lambda s: s if s.cpu.usage_core_nano_seconds.value else None)(
        stats()), what="cpu usage reported")
    assert s1.memory.working_set_bytes.value > 0 or s1.memory.usage_bytes.value > 0
    wait_for(lambda: stats().cpu.usage_core_nano_seconds.value >
             s1.cpu.usage_core_nano_seconds.value, what="cpu usage growing")
    pods.sh(c, "head -c 20000000 /dev/zero > /tmp/fill")  # page cache in the container
    wait_for(lambda: stats().memory.usage_bytes.value > s1.memory.usage_bytes.value + 10_000_000,
             what="memory usage growing")
    lst = pods.cri.ListContainerStats(pb.ListContainerStatsRequest(
        filter=pb.ContainerStatsFilter(pod_sandbox_id=pod)), timeout=30)
    assert c in [s.attributes.id for s in lst.stats]


def test_logs_in_cri_format_and_reopen(pods):
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    c = pods.run(pod, cfg, "logger", ["sh", "-c", "echo first-out; echo first-err >&2; i=0; "
                                      "while :; do echo tick$i; i=$((i+1)); sleep 0.1; done"])
    path = Path(cfg.log_directory) / "logger.log"
    assert pods.status(c).log_path == str(path)
    wait_for(lambda: path.exists() and "tick3" in path.read_text(), what="log lines")
    lines = log_lines(path)
    assert ("stdout", "first-out") in lines and ("stderr", "first-err") in lines
    # rotation as kubelet does it: rename, then ReopenContainerLog
    rotated = path.with_name("logger.log.1")
    path.rename(rotated)
    pods.cri.ReopenContainerLog(pods.pb.ReopenContainerLogRequest(container_id=c), timeout=30)
    wait_for(lambda: path.exists() and len(log_lines(path)) >= 3, what="new log file written")
    old = {t for _, t in log_lines(rotated)}
    new = [t for _, t in log_lines(path)]
    assert all(t.startswith("tick") for t in new) and not old & set(new)


def test_stop_container_grace_period(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    # ignores SIGTERM (says so in the log): killed after the grace period
    stubborn = pods.run(pod, cfg, "stubborn", ["sh", "-c", "trap 'echo got-term' TERM; "
                                               "echo ready; while :; do sleep 0.1; done"])
    # exits at SIGTERM
    polite = pods.run(pod, cfg, "polite", ["sh", "-c", "trap 'exit 0' TERM; "
                                           "while :; do sleep 0.1; done"])
    log = Path(cfg.log_directory) / "stubborn.log"
    wait_for(lambda: log.exists() and "ready" in log.read_text(), what="stubborn ready")
    t0 = time.monotonic()
    pods.cri.StopContainer(pb.StopContainerRequest(container_id=stubborn, timeout=2), timeout=60)
    took = time.monotonic() - t0
    assert 2 <= took < 15, took
    st = pods.status(stubborn)
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 137, st
    assert "got-term" in log.read_text()
    t0 = time.monotonic()
    pods.cri.StopContainer(pb.StopContainerRequest(container_id=polite, timeout=30), timeout=60)
    assert time.monotonic() - t0 < 10
    st = pods.status(polite)
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 0, st
    # stopping again is no error (kubelet does)
    pods.cri.StopContainer(pb.StopContainerRequest(container_id=polite, timeout=30), timeout=60)


def test_crashed_container_restarted_as_kubelet_does(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    first = pods.run(pod, cfg, "app", ["sh", "-c", "echo crashing; exit 7"])
    st = pods.wait_state(first, pb.CONTAINER_EXITED)
    assert st.exit_code == 7 and st.reason == "Error", st
    # kubelet: a new container, attempt + 1, in the same sandbox; the old one removed
    conf = pods.container_config("app", ["sleep", "3600"])
    conf.metadata.attempt = 1
    second = pods.create(pod, cfg, conf)
    pods.start(second)
    pods.wait_state(second, pb.CONTAINER_RUNNING)
    pods.cri.RemoveContainer(pb.RemoveContainerRequest(container_id=first), timeout=60)
    listed = pods.cri.ListContainers(pb.ListContainersRequest(
        filter=pb.ContainerFilter(pod_sandbox_id=pod)), timeout=30).containers
    assert [(c.id, c.metadata.attempt) for c in listed] == [(second, 1)]
    assert pods.pod_status(pod).status.state == pb.SANDBOX_READY
    # RemoveContainer of a running container stops it
    pods.cri.RemoveContainer(pb.RemoveContainerRequest(container_id=second), timeout=60)
    assert not pods.cri.ListContainers(pb.ListContainersRequest(
        filter=pb.ContainerFilter(pod_sandbox_id=pod)), timeout=30).containers


def test_missing_command_reported_and_sandbox_healthy(pods):
    pb = pods.pb
    cfg = pods.pod_config()
    pod = pods.run_pod(cfg)
    cid = pods.create(pod, cfg, pods.container_config("ghost", ["/no/such/command"]))
    with pytest.raises(pods.cri.grpc.RpcError) as e:
        pods.start(cid)
    assert "/no/such/command" in e.value.details(), e.value.details()
    st = pods.status(cid)
    assert st.state == pb.CONTAINER_EXITED and "/no/such/command" in st.message, st
    assert st.reason == "StartError", st
    assert pods.pod_status(pod).status.state == pb.SANDBOX_READY
    ok = pods.run(pod, cfg, "ok", ["sleep", "3600"])
    pods.wait_state(ok, pb.CONTAINER_RUNNING)

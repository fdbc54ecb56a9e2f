"""hooks: order, stdin state, namespaces they run in, failures, timeouts, poststop."""

import json
import os
import time
from pathlib import Path

import pytest

from conftest import assert_one_error_line, state_validator, wait_for

HOOK_SCRIPT = """#!/bin/sh
# $1 = hook name; logs to {log} (bind-mounted at the same path inside the container)
cat > {log}/$1.json
readlink /proc/self/ns/mnt > {log}/$1.mnt
readlink /proc/self/ns/uts > {log}/$1.uts
echo $1 >> {log}/order
"""

ALL_HOOKS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
             "poststop"]


def setup_hooks(b, log, names=ALL_HOOKS):
    """Every hook runs the logging script: host copy in the bundle, container copy in the
    rootfs (startContainer resolves its path inside the container). The log dir is mounted at
    the same path in the container, so the script works in either mount namespace."""
    log.mkdir(exist_ok=True)
    text = HOOK_SCRIPT.format(log=log)
    host_hook = b.path / "hook.sh"
    host_hook.write_text(text)
    os.chmod(host_hook, 0o755)
    ctr_hook = b.rootfs / "berth-hook.sh"
    ctr_hook.write_text(text)
    os.chmod(ctr_hook, 0o755)
    b.add_mount(str(log), "bind", str(log), ["rbind", "rw"])
    hooks = {}
    for n in names:
        path = "/berth-hook.sh" if n == "startContainer" else str(host_hook)
        hooks.setdefault(n, []).append({"path": path, "args": ["hook.sh", n]})
    b.config["hooks"] = hooks
    return log


def order(log):
    p = log / "order"
    return p.read_text().split() if p.exists() else []


def hook_state(log, name):
    return json.loads((log / f"{name}.json").read_text())


def test_hook_order_and_state(berth, bundle, tmp_path):
    validator = state_validator()
    b = bundle()
    b.config["hostname"] = "hook-ctr"
    b.config["annotations"] = {"hook.test": "yes"}
    log = setup_hooks(b, tmp_path / "hooklog")
    b.sh(f"readlink /proc/self/ns/mnt > {log}/container.mnt; "
         f"readlink /proc/self/ns/uts > {log}/container.uts; echo RUN >> {log}/order; sleep 30")
    berth.create("hooks", b)
    assert order(log) == ["prestart", "createRuntime", "createContainer"]
    pid = berth.state("hooks")["pid"]
    berth.start("hooks")
    deadline = time.monotonic() + 5
    while len(order(log)) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    got = order(log)
    assert got[:3] == ["prestart", "createRuntime", "createContainer"]
    assert got[3] == "startContainer", got
    # the user program and poststart may race; startContainer must precede the program
    assert set(got[4:6]) == {"RUN", "poststart"}, got
    berth.kill("hooks", "KILL")
    berth.wait_status("hooks", "stopped")
    berth.delete("hooks")
    assert order(log)[-1] == "poststop"
    assert order(log).count("poststop") == 1

    allowed = {
        "prestart": {"creating", "created"},
        "createRuntime": {"creating", "created"},
        "createContainer": {"creating", "created"},
        "startContainer": {"created", "running"},
        "poststart": {"running"},
        "poststop": {"stopped"},
    }
    for name in ALL_HOOKS:
        st = hook_state(log, name)
        validator.validate(st)
        assert st["id"] == "hooks", name
        assert st["bundle"] == str(b.path), name
        assert st["status"] in allowed[name], f"{name}: status {st['status']}"
        assert st.get("annotations", {}) == {"hook.test": "yes"}, name
    for name in ("prestart", "createRuntime", "poststart"):
        assert hook_state(log, name)["pid"] == pid, name
    # runtime.md, State: hooks in the container namespace get the pid as the container sees it
    for name in ("createContainer", "startContainer"):
        assert hook_state(log, name)["pid"] == 1, name

    host = {n: os.readlink(f"/proc/self/ns/{n}") for n in ("mnt", "uts")}
    ctr = {n: (log / f"container.{n}").read_text().strip() for n in ("mnt", "uts")}
    assert ctr["mnt"] != host["mnt"] and ctr["uts"] != host["uts"]
    for n in ("mnt", "uts"):
        # runtime namespace hooks
        for name in ("prestart", "createRuntime", "poststart", "poststop"):
            assert (log / f"{name}.{n}").read_text().strip() == host[n], f"{name} {n}"
        # container namespace hooks
        for name in ("createContainer", "startContainer"):
            assert (log / f"{name}.{n}").read_text().strip() == ctr[n], f"{name} {n}"


def test_container_namespace_hook_pid_without_pid_namespace(berth, bundle, tmp_path):
    """without a new pid namespace the container sees the host pid: createContainer and
    startContainer get that (their own getpid()), the same as the runtime namespace hooks"""
    b = bundle()
    b.remove_ns("pid")
    log = setup_hooks(b, tmp_path / "hooklog",
                      names=["createRuntime", "createContainer", "startContainer"])
    b.sh(f"echo $$ > {log}/container.pid; sleep 30")
    berth.create("hookpid", b)
    pid = berth.state("hookpid")["pid"]
    berth.start("hookpid")
    # the shell creates the file before echo writes it: wait for the content, not the name
    wait_for(lambda: (log / "container.pid").exists() and
             (log / "container.pid").read_text().strip(), what="the container process")
    assert int((log / "container.pid").read_text()) == pid
    for name in ("createRuntime", "createContainer", "startContainer"):
        assert hook_state(log, name)["pid"] == pid, name


def test_hooks_with_run(berth, bundle, tmp_path):
    b = bundle()
    log = setup_hooks(b, tmp_path / "hooklog")
    b.set_args("true")
    berth.run_ok(b, "hookrun")
    assert order(log) == ALL_HOOKS


def test_hook_env_and_args(berth, bundle, tmp_path):
    out = tmp_path / "envout"
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"prestart": [{
        "path": "/bin/sh",
        "args": ["sh", "-c", f'echo "$0 $1 $HOOKVAR" > {out}', "arg0", "arg1"],
        "env": ["HOOKVAR=hello"],
    }]}
    berth.run_ok(b, "hookenv")
    assert out.read_text() == "arg0 arg1 hello\n"


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "poststart", "poststop"])
def test_hook_without_env_gets_berths_environment(berth, bundle, tmp_path, kind):
    """no hooks.env: berth's own environment, as runc gives it (PATH for engines' hooks);
    hooks.env present, even []: exactly that"""
    outs = {k: tmp_path / f"env-{k}" for k in ("none", "given", "empty")}
    b = bundle(shared_rootfs=True, args=["true"])
    script = "env > {}"
    b.config["hooks"] = {kind: [
        {"path": "/bin/sh", "args": ["sh", "-c", script.format(outs["none"])]},
        {"path": "/bin/sh", "args": ["sh", "-c", script.format(outs["given"])],
         "env": ["ONLY=this"]},
        {"path": "/bin/sh", "args": ["sh", "-c", script.format(outs["empty"])], "env": []},
    ]}
    cid = f"hookenv-{kind.lower()}"
    res = berth.run(cid, b, env={"BERTH_HOOK_TEST_VAR": "from-berth"})
    assert res.returncode == 0, res
    berth.delete(cid, check=False)

    def names(k):
        return {line.split("=", 1)[0] for line in outs[k].read_text().splitlines()} - {
            "PWD", "SHLVL", "_"}  # set by sh itself

    none = outs["none"].read_text().splitlines()
    assert "BERTH_HOOK_TEST_VAR=from-berth" in none, none
    assert any(line.startswith("PATH=") for line in none), none
    assert names("given") == {"ONLY"}, outs["given"].read_text()
    assert names("empty") == set(), outs["empty"].read_text()


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_hook_fails_create(berth, bundle, kind, tmp_path):
    b = bundle(shared_rootfs=kind != "createContainer", args=["true"])
    b.config["hooks"] = {kind: [{"path": "/bin/false", "args": ["false"]}]}
    res = berth.create("badhook", b, check=False)
    assert res.returncode == 1, res
    assert res.stderr.startswith("berth: "), res
    assert berth.state("badhook", check=False) is None
    berth.assert_nothing_left()


def test_failing_hook_runs_poststop(berth, bundle, tmp_path):
    """a failing createRuntime hook stops the container and continues at delete: poststop runs"""
    mark = tmp_path / "poststop-ran"
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {
        "createRuntime": [{"path": "/bin/false", "args": ["false"]}],
        "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"touch {mark}"]}],
    }
    res = berth.create("badhook2", b, check=False)
    assert res.returncode == 1, res
    assert mark.exists(), "poststop hook did not run after the failed create"
    berth.assert_nothing_left()


def test_hook_timeout(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 10"],
                                       "timeout": 1}]}
    t0 = time.monotonic()
    res = berth.create("hooktimeout", b, check=False)
    elapsed = time.monotonic() - t0
    assert res.returncode == 1, res
    assert res.stderr.startswith("berth: "), res
    assert elapsed < 8, f"timeout not enforced: create took {elapsed:.1f}s"
    assert berth.state("hooktimeout", check=False) is None
    berth.assert_nothing_left()


def test_hook_timeout_kills_the_hooks_children(berth, bundle):
    # "; true" keeps the shell from exec'ing sleep, so sleep is the hook's child: killing the
    # hook alone would leave it running
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 10; true"],
                                       "timeout": 1}]}
    res = berth.create("hookchildren", b, check=False)
    assert res.returncode == 1, res
    berth.assert_nothing_left()


def test_hook_within_timeout_ok(berth, bundle, tmp_path):
    out = tmp_path / "done"
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"prestart": [{"path": "/bin/sh",
                                       "args": ["sh", "-c", f"sleep 0.1; touch {out}"],
                                       "timeout": 5}]}
    berth.run_ok(b, "hookok")
    assert out.exists()


def test_failing_poststop_hook_is_a_warning(berth, bundle, tmp_path):
    second = tmp_path / "second-ran"
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"poststop": [
        {"path": "/bin/false", "args": ["false"]},
        {"path": "/bin/sh", "args": ["sh", "-c", f"touch {second}"]},
    ]}
    berth.create_and_start("poststopfail", b)
    berth.wait_status("poststopfail", "stopped")
    res = berth.delete("poststopfail", check=False)
    assert res.returncode == 0, res
    assert second.exists(), "remaining poststop hooks must run after one fails"
    berth.assert_nothing_left()


@pytest.mark.parametrize("kind", ["startContainer", "poststart"])
def test_failing_start_hook_destroys_the_container(berth, bundle, tmp_path, kind):
    """runtime.md lifecycle 7 and 9: a failing startContainer or poststart hook generates an
    error, stops the container and continues at step 12: destroyed (cgroup, state), then the
    poststop hooks run, before start returns"""
    mark = tmp_path / "poststop-ran"
    b = bundle(shared_rootfs=True, args=["sh", "-c", "echo PROGRAM-RAN; exec sleep 30"])
    b.config.setdefault("linux", {})["cgroupsPath"] = f"/berth-test-startfail-{kind}"
    b.config["hooks"] = {
        kind: [{"path": "/bin/false", "args": ["false"]}],
        "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {mark}"]}],
    }
    cid = f"startfail-{kind.lower()}"
    berth.create(cid, b)
    pid = berth.state(cid)["pid"]
    res = berth.start(cid, check=False)
    assert res.returncode == 1, res
    assert f"hooks.{kind}[0]" in res.stderr, res
    # stopped: the container's process is gone (dead, at most a zombie of its reaper)
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or ") Z" in stat.read_text(errors="replace")
    # destroyed: no state, no cgroup; poststop ran with the state on its stdin
    assert berth.state(cid, check=False) is None
    assert not any(Path("/sys/fs/cgroup").glob(f"*/berth-test-startfail-{kind}"))
    poststop_state = json.loads(mark.read_text())
    assert poststop_state["id"] == cid and poststop_state["status"] == "stopped"
    out = sorted(berth.workdir.glob("*-create.out"))[-1].read_text()
    assert ("PROGRAM-RAN" in out) == (kind == "poststart"), out
    # the engine's clean-up call after the failed start is no error
    berth.delete(cid, "--force")
    berth.assert_nothing_left()


@pytest.mark.parametrize("hook,needle", [
    ({"path": "bin/true"}, "hooks.prestart[0].path"),
    ({"path": "/bin/true", "timeout": 0}, "hooks.prestart[0].timeout"),
    ({"path": "/bin/true", "timeout": -1}, "hooks.prestart[0].timeout"),
])
def test_hook_path_and_timeout_checked(berth, bundle, hook, needle):
    """config.md: path MUST be absolute, timeout MUST be greater than zero"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"prestart": [hook]}
    res = berth.create("hookcheck", b, check=False)
    assert_one_error_line(res, needle)
    assert berth.state("hookcheck", check=False) is None


def test_nonexistent_hook_path(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {"prestart": [{"path": "/nonexistent/hook"}]}
    res = berth.create("nohook", b, check=False)
    assert_one_error_line(res, "hooks.prestart[0]")
    berth.assert_nothing_left()


FD_HOOK = """#!/bin/sh
ls -l /proc/$$/fd > {log}/$1.fds 2>&1
"""


def test_hooks_get_only_stdio(berth, bundle, tmp_path):
    """A hook gets stdin (the state), stdout and stderr, not the fds berth inherited from its
    caller (runc: Go's exec.Cmd passes only those): berth runs with an extra open file, each
    hook lists its shell's fds."""
    log = tmp_path / "fdlog"
    log.mkdir()
    b = bundle()
    for place in (b.path / "fdhook.sh", b.rootfs / "fdhook.sh"):
        place.write_text(FD_HOOK.format(log=log))
        place.chmod(0o755)
    b.add_mount(str(log), "bind", str(log), ["rbind", "rw"])
    host = str(b.path / "fdhook.sh")
    b.config["hooks"] = {
        "createRuntime": [{"path": host, "args": ["fdhook.sh", "createRuntime"]}],
        "createContainer": [{"path": host, "args": ["fdhook.sh", "createContainer"]}],
        "startContainer": [{"path": "/fdhook.sh", "args": ["fdhook.sh", "startContainer"]}],
        "poststop": [{"path": host, "args": ["fdhook.sh", "poststop"]}],
    }
    b.set_args("true")
    marker = tmp_path / "inherited-by-berth-only"
    with open(marker, "w") as f:
        os.set_inheritable(f.fileno(), True)
        res = berth.run("par16a-hookfd", b, pass_fds=(f.fileno(),))
    assert res.returncode == 0, res
    for name in ("createRuntime", "createContainer", "startContainer", "poststop"):
        text = (log / f"{name}.fds").read_text()
        assert marker.name not in text, (name, text)


def test_start_container_hook_bound_by_seccomp(berth, bundle, tmp_path):
    """startContainer hooks run once the process is confined (runc): the container's seccomp
    filter binds them as it binds the process."""
    log = tmp_path / "sclog"
    log.mkdir()
    b = bundle()
    hook = b.rootfs / "schook.sh"
    hook.write_text(f"#!/bin/sh\nmkdir /byhook > {log}/out 2>&1 && echo made >> {log}/out\n"
                    f"grep '^Seccomp:' /proc/self/status >> {log}/out\n")
    hook.chmod(0o755)
    b.add_mount(str(log), "bind", str(log), ["rbind", "rw"])
    b.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}
    b.config["hooks"] = {"startContainer": [{"path": "/schook.sh"}]}
    b.set_args("true")
    berth.run_ok(b)
    out = (log / "out").read_text()
    assert "Disk quota exceeded" in out and "made" not in out, out
    assert "Seccomp:\t2" in out, out


def test_create_container_hook_cwd_is_the_rootfs(berth, bundle, tmp_path):
    """runc runs createContainer hooks with the container's root (root.path) as their working
    directory, after the mounts, before pivot_root (the spec says nothing about it)"""
    out = tmp_path / "hookcwd"
    b = bundle(args=["true"])
    b.config["hooks"] = {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"pwd -P > {out}; ls > {out}.ls"]}]}
    berth.run_ok(b, "p16b-hookcwd")
    assert out.read_text().strip() == os.path.realpath(b.rootfs)
    assert "bin" in out.with_suffix(".ls").read_text().split()


@pytest.mark.parametrize("kind", ["startContainer", "poststart"])
def test_run_with_failing_start_hook_exits_1(berth, bundle, kind):
    """run whose start fails in a hook reports it and exits 1 (it crashed cleaning up: the
    delete of an already destroyed container with no error object to fill)"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["hooks"] = {kind: [{"path": "/bin/false", "args": ["false"]}]}
    res = berth.run("p16b-runhookfail", b)
    assert res.returncode == 1, res
    assert "hook" in res.stderr, res  # berth: "hooks.<kind>[0] (/bin/false): exited ..."


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "poststart", "poststop"])
@pytest.mark.parametrize("how", ["run", "create-start-delete"])
def test_runtime_namespace_hook_cwd_is_the_bundle(berth, bundle, tmp_path, kind, how):
    """runc's create and run chdir into the bundle (setupSpec) before they run hooks; its
    prestart, createRuntime and poststart hooks (run, or create then start) start in the bundle,
    not in the caller's directory (berth is run here from another one). runc's delete does not chdir:
    its poststop runs in the caller's directory; berth's in the bundle, as every other."""
    if how != "run" and kind == "poststop" and berth.binary.name == "runc":
        pytest.skip("runc 1.1.5's delete runs poststop in its caller's directory")
    out = tmp_path / "hookcwd"
    b = bundle(args=["true"])
    b.config["hooks"] = {kind: [
        {"path": "/bin/sh", "args": ["sh", "-c", f"pwd -P > {out}"]}]}
    assert os.path.realpath(os.getcwd()) != os.path.realpath(b.path)
    cid = f"p16c-hookcwd-{how[0]}"
    if how == "run":
        berth.run_ok(b, cid)
    else:
        berth.create(cid, b)
        berth.start(cid)
        berth.wait_status(cid, "stopped")
        berth.delete(cid)
    assert out.read_text().strip() == os.path.realpath(b.path)

"""list, spec, --version, --help, global options."""

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import config_validator, copy_rootfs, wait_for


def test_version(berth):
    res = berth("--version")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    assert re.fullmatch(r"berth version \d+\.\d+\.\d+", lines[0]), lines
    assert "spec: 1.3.0" in lines


def test_help(berth):
    res = berth("--help")
    assert res.returncode == 0, res
    for cmd in ("create", "start", "state", "kill", "delete", "run", "list", "spec"):
        assert cmd in res.stdout, f"--help does not mention {cmd}"


@pytest.mark.parametrize("cmd,flag", [("create", "--bundle"), ("run", "--detach"),
                                      ("kill", "--all"), ("delete", "--force"),
                                      ("list", "--format"), ("spec", "--rootless")])
def test_help_command(berth, cmd, flag):
    res = berth("help", cmd)
    assert res.returncode == 0, res
    assert flag in res.stdout


def listed_commands(berth):
    """the commands `berth --help` lists (between "commands:" and "global options:")"""
    text = berth("--help").stdout.split("commands:", 1)[1].split("global options:", 1)[0]
    return [l.split()[0] for l in text.splitlines() if l.strip()]


def test_every_command_has_help_both_ways(berth):
    """berth help COMMAND, berth COMMAND --help and berth COMMAND -h print the same text, exit
    0, and show the command's usage line (issues #2, #6: per-command help)"""
    cmds = [c for c in listed_commands(berth) if c != "help"]
    assert set(COMMANDS) == set(cmds), cmds
    for cmd in cmds:
        texts = []
        for argv in (("help", cmd), (cmd, "--help"), (cmd, "-h")):
            res = berth(*argv)
            assert res.returncode == 0 and res.stderr == "", (argv, res)
            texts.append(res.stdout)
        assert texts[0] == texts[1] == texts[2], cmd
        assert texts[0].startswith(f"usage: berth {cmd}"), texts[0]
    res = berth("help", "frobnicate")
    assert res.returncode == 1 and "frobnicate" in res.stderr, res


def test_every_command_has_a_man_page(berth):
    """man/berth-COMMAND.8 for every command --help lists, installed by meson, and berth.8
    names each one"""
    main_page = open(os.path.join(MAN_DIR, "berth.8")).read().replace("\\-", "-")
    installed = open(os.path.join(MAN_DIR, "meson.build")).read()
    for cmd in listed_commands(berth):
        if cmd == "help":
            continue
        page = os.path.join(MAN_DIR, f"berth-{cmd}.8")
        assert os.path.isfile(page), f"no man page for {cmd}"
        assert f"berth-{cmd}.8" in installed, f"meson does not install berth-{cmd}.8"
        assert f"berth-{cmd}" in main_page, f"berth.8 does not name berth-{cmd}"


def test_unknown_command(berth):
    res = berth("frobnicate")
    assert res.returncode != 0
    assert res.stderr.startswith("berth: ")


@pytest.mark.parametrize("argv,want", [
    # a bad global option: the one form of every usage error, not getopt's line with the
    # binary's path and the whole usage
    (("--nosuch",), "berth: invalid option \"--nosuch\" (or its argument is missing)"
                    " (see 'berth help')"),
    (("--root",), "berth: invalid option \"--root\" (or its argument is missing)"
                  " (see 'berth help')"),
    # a mistyped command: the nearest one by edit distance
    (("stat", "c1"), "berth: unknown command \"stat\", did you mean \"state\"? (see 'berth help')"),
    (("strat", "c1"), "berth: unknown command \"strat\", did you mean \"start\"?"
                      " (see 'berth help')"),
    (("frobnicate",), "berth: unknown command \"frobnicate\" (see 'berth help')"),
    # help's own errors point at the usage, not at 'berth help help'
    (("help", "nosuch"), "berth: help: unknown command \"nosuch\" (see 'berth help')"),
    (("help", "delte"), "berth: help: unknown command \"delte\", did you mean \"delete\"?"
                        " (see 'berth help')"),
    (("list", "--nosuch"), "berth: list: invalid option \"--nosuch\" (or its argument is missing)"
                           " (see 'berth help list')"),
], ids=["global-option", "global-no-argument", "stat", "strat", "unknown", "help-unknown",
        "help-near", "command-option"])
def test_usage_error_text(berth, argv, want):
    """Usage errors are one line, `berth: ... (see 'berth help [COMMAND]')`, exit 1 (issue 17)"""
    res = berth(*argv)
    assert res.returncode == 1, res
    assert res.stderr == want + "\n", res
    assert res.stdout == "", res


def test_state_empty_annotations(berth, bundle):
    """berth state writes empty annotations as {}, not "{", a blank line and "}" (issue 17)"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.config.pop("annotations", None)
    berth.create("emptyann", b)
    res = berth("state", "emptyann")
    assert res.returncode == 0, res
    assert '\t"annotations": {}\n}' in res.stdout, res.stdout
    berth.delete("emptyann", "--force")


def test_missing_id_argument(berth):
    for cmd in ("create", "start", "state", "delete", "kill"):
        res = berth(cmd)
        assert res.returncode != 0, f"{cmd} without id: {res!r}"
        assert res.stderr.strip(), cmd


def read_json_log(path):
    """--log-format json: one object a line with level, msg and time, as containerd's shim
    parses log.json (it keeps the last msg whose level is "error")."""
    entries = []
    for line in path.read_text().splitlines():
        assert line.strip(), f"empty line in {path}"
        obj = json.loads(line)
        assert isinstance(obj, dict), line
        assert obj.get("level") in ("error", "warning", "info", "debug"), line
        assert isinstance(obj.get("msg"), str) and obj["msg"], line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", obj.get("time", "")), line
        entries.append(obj)
    return entries


def last_error(entries):
    errors = [e["msg"] for e in entries if e["level"] == "error"]
    assert errors, f"no error line in {entries!r}"
    return errors[-1]


def assert_only_the_error_on_stderr(res, error):
    """With --log every message goes to the file; errors also to stderr, as text, as runc writes
    them (containerd's shim reads the output too; issue 13): no warning or debug line there."""
    assert res.stderr == f"berth: {error}\n" or (
        res.stderr == f"{error}\n" and "berth" not in res.argv[0]), res


def test_log_file_json(berth, bundle, tmp_path):
    b = bundle(shared_rootfs=True, args=["/nope"])
    berth.prepare(b)
    berth.track("logjson", b)
    log = tmp_path / "log.json"
    res = berth("create", "--bundle", b.path, "logjson",
                global_opts=("--log", log, "--log-format", "json", "--debug"))
    assert res.returncode == 127, res
    entries = read_json_log(log)
    assert 'exec: "/nope": no such file or directory' in last_error(entries)
    assert_only_the_error_on_stderr(res, last_error(entries))
    # the container init's own lines (forwarded over the sync socket) land there too
    assert any(e["level"] == "debug" and "pivoted" in e["msg"] for e in entries), entries
    berth.assert_nothing_left()


@pytest.mark.parametrize("case", ["hook", "bad-config", "usage", "no-bundle", "duplicate"])
def test_log_file_json_failed_create(berth, bundle, tmp_path, case):
    """Every way create fails puts its reason in --log as a JSON error line, and on stderr."""
    b = bundle(shared_rootfs=True, args=["true"])
    log = tmp_path / "log.json"
    opts, want = ["--bundle", b.path], None
    if case == "hook":
        b.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
        want = "hooks.createRuntime[0]"
    elif case == "bad-config":
        b.process["cwd"] = "relative"
        want = "process.cwd"
    elif case == "usage":
        opts, want = ["--no-such-flag"], "--no-such-flag"
    elif case == "no-bundle":
        opts, want = ["--bundle", tmp_path / "nope"], "bundle"
    elif case == "duplicate":
        berth.create("logdup", b)
        want = "logdup"
    berth.prepare(b)
    berth.track("logdup", b)
    res = berth("create", *opts, "logdup", global_opts=("--log", log, "--log-format", "json"))
    assert res.returncode == 1, res
    assert want in last_error(read_json_log(log)), log.read_text()
    assert_only_the_error_on_stderr(res, last_error(read_json_log(log)))


# -- list -----------------------------------------------------------------------------------

def test_list_empty(berth):
    res = berth("list", "-q")
    assert res.returncode == 0, res
    assert res.stdout.strip() == ""
    res = berth("list", "--format", "json")
    assert res.returncode == 0, res
    assert json.loads(res.stdout) in ([], None)


def test_list(berth, bundle):
    b1 = bundle(shared_rootfs=True, args=["sleep", "30"])
    b2 = bundle(shared_rootfs=True, args=["sleep", "30"])
    b2.config["annotations"] = {"org.example.list": "yes"}
    berth.create("list-created", b1)
    berth.create_and_start("list-running", b2)
    pids = {"list-created": berth.state("list-created")["pid"],
            "list-running": berth.state("list-running")["pid"]}

    res = berth("list")
    assert res.returncode == 0, res
    lines = res.stdout.splitlines()
    header = lines[0].split()
    assert header[:3] == ["ID", "PID", "STATUS"], header
    assert "BUNDLE" in header
    rows = {l.split()[0]: l.split() for l in lines[1:] if l.strip()}
    assert rows["list-created"][1:3] == [str(pids["list-created"]), "created"]
    assert rows["list-running"][1:3] == [str(pids["list-running"]), "running"]
    assert str(b1.path) in rows["list-created"]

    res = berth("list", "--format", "json")
    assert res.returncode == 0, res
    entries = {e["id"]: e for e in json.loads(res.stdout)}
    assert set(entries) == {"list-created", "list-running"}
    assert entries["list-created"]["status"] == "created"
    assert entries["list-running"]["status"] == "running"
    assert entries["list-running"]["pid"] == pids["list-running"]
    assert entries["list-created"]["bundle"] == str(b1.path)
    # runc's list -f json: annotations when the config has some (omitted when empty)
    assert entries["list-running"]["annotations"] == {"org.example.list": "yes"}
    assert entries["list-created"].get("annotations", {}) == {}

    res = berth("list", "-f", "json")
    assert {e["id"] for e in json.loads(res.stdout)} == set(entries)

    for q in ("-q", "--quiet"):
        res = berth("list", q)
        assert res.returncode == 0, res
        assert sorted(res.stdout.split()) == ["list-created", "list-running"]


def test_list_shows_stopped(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    berth.create_and_start("list-stopped", b)
    berth.wait_status("list-stopped", "stopped")
    entries = json.loads(berth("list", "-f", "json").stdout)
    assert [(e["id"], e["status"]) for e in entries] == [("list-stopped", "stopped")]


def test_list_and_state_do_not_wait_for_a_create(berth, bundle, tmp_path):
    """A create held in a createRuntime hook keeps its container locked; list and state only
    read, so they answer at once instead of waiting for it (runc's list does not wait either),
    and say "creating" until the create has finished."""
    gate = tmp_path / "gate"
    hook = tmp_path / "hold.sh"
    hook.write_text(f"#!/bin/sh\ntouch {tmp_path}/held\nwhile [ ! -e {gate} ]; do sleep 0.05; done\n")
    os.chmod(hook, 0o755)
    other = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create("list-ready", other)
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    b.config["hooks"] = {"createRuntime": [{"path": str(hook)}]}
    berth.track("list-held", b)
    berth.prepare(b)
    creating = berth.popen("create", "--bundle", b.path, "list-held")
    try:
        wait_for(lambda: (tmp_path / "held").exists(), what="the hook to run")
        res = berth("list", "-f", "json")
        assert res.returncode == 0, res
        status = {e["id"]: e["status"] for e in json.loads(res.stdout)}
        assert status == {"list-ready": "created", "list-held": "creating"}, res
        assert berth.state("list-ready")["status"] == "created"
        # "created" only once the create operation finished (runtime.md)
        assert berth.state("list-held")["status"] == "creating"
        assert creating.poll() is None, "the create finished: the test proved nothing"
    finally:
        gate.touch()
        assert creating.wait(timeout=20) == 0, creating.err_path.read_text()
    assert berth.state("list-held")["status"] == "created"


# -- spec -----------------------------------------------------------------------------------

def spec_in(berth, tmp_path, *opts):
    d = tmp_path / "specdir"
    d.mkdir()
    res = berth("spec", "--bundle", d, *opts)
    assert res.returncode == 0, res
    return d, json.loads((d / "config.json").read_text())


def test_spec_default_like_runc(berth, tmp_path):
    _, c = spec_in(berth, tmp_path)
    config_validator().validate(c)
    assert c["ociVersion"] == "1.3.0" or c["ociVersion"].startswith("1.")
    p = c["process"]
    assert p["args"] == ["sh"]
    assert p["terminal"] is True
    assert p["cwd"] == "/"
    assert p["user"]["uid"] == 0 and p["user"]["gid"] == 0
    assert any(e.startswith("PATH=") for e in p["env"])
    assert c["root"]["path"] == "rootfs"
    assert c["root"].get("readonly") is True
    ns = {n["type"] for n in c["linux"]["namespaces"]}
    assert {"pid", "network", "ipc", "uts", "mount"} <= ns
    assert "user" not in ns
    dests = {m["destination"] for m in c["mounts"]}
    assert {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"} <= dests
    assert "/proc/kcore" in c["linux"]["maskedPaths"]
    assert "/proc/sys" in c["linux"]["readonlyPaths"]
    assert {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024} in p["rlimits"]
    for k in ("bounding", "effective", "permitted"):
        assert {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"} <= \
            set(p["capabilities"][k]), k
    assert p.get("noNewPrivileges") is True


def host_is_unified():
    return subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True,
                       text=True).stdout.strip() == "cgroup2fs"


@pytest.mark.parametrize("opts", [(), ("--rootless",)])
def test_spec_cgroupns_only_on_unified_host(berth, tmp_path, rootfs_template, opts):
    """runc's template has a cgroup namespace only where /sys/fs/cgroup is cgroup2, so a config
    that adds its own (as engines' and tests' do) to the template is not refused as "duplicate
    namespace type"; the process entry of /proc gets no options key"""
    d, c = spec_in(berth, tmp_path, *opts)
    ns = [n["type"] for n in c["linux"]["namespaces"]]
    assert ("cgroup" in ns) == host_is_unified(), ns
    assert "options" not in next(m for m in c["mounts"] if m["destination"] == "/proc")
    if opts:
        return
    copy_rootfs(rootfs_template, d / "rootfs")
    c["process"]["terminal"] = False
    c["process"]["args"] = ["true"]
    c["linux"]["namespaces"].append({"type": "cgroup"})
    (d / "config.json").write_text(json.dumps(c))
    berth.track("p16b-specns")
    from conftest import Bundle
    berth.bundles.append(Bundle(d, c, d / "rootfs"))
    res = berth("run", "--bundle", d, "p16b-specns")
    assert res.returncode == 0, res


def test_spec_rootless(berth, tmp_path):
    _, c = spec_in(berth, tmp_path, "--rootless")
    config_validator().validate(c)
    ns = {n["type"] for n in c["linux"]["namespaces"]}
    assert "user" in ns
    assert c["linux"]["uidMappings"][0]["hostID"] == os.getuid()
    assert c["linux"]["gidMappings"][0]["hostID"] == os.getgid()
    assert c["linux"]["uidMappings"][0]["containerID"] == 0


def test_spec_short_bundle_flag_and_cwd(berth, tmp_path):
    d = tmp_path / "short"
    d.mkdir()
    res = berth("spec", "-b", d)
    assert res.returncode == 0, res
    assert (d / "config.json").is_file()
    cwd = os.getcwd()
    d2 = tmp_path / "incwd"
    d2.mkdir()
    os.chdir(d2)
    try:
        res = berth("spec")
    finally:
        os.chdir(cwd)
    assert res.returncode == 0, res
    assert (d2 / "config.json").is_file()


def test_spec_output_runs_unchanged(berth, tmp_path, rootfs_template):
    """the spec's own config (relative root.path, readonly root, default mounts) runs; only
    terminal is turned off."""
    d, c = spec_in(berth, tmp_path)
    copy_rootfs(rootfs_template, d / "rootfs")
    c["process"]["terminal"] = False
    (d / "config.json").write_text(json.dumps(c))
    berth.track("specrun")
    from conftest import Bundle
    berth.bundles.append(Bundle(d, c, d / "rootfs"))
    res = berth("run", "--bundle", d, "specrun")  # sh with stdin /dev/null exits 0
    assert res.returncode == 0, res


def test_root_option_is_used(berth, bundle):
    b = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create("rooted", b)
    assert (berth.root / "rooted" / "state.json").is_file()
    st = json.loads((berth.root / "rooted" / "state.json").read_text())
    assert isinstance(st, dict)


MAN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "man")
COMMANDS = ["create", "start", "state", "kill", "delete", "run", "exec", "pause", "resume", "ps",
            "update", "events", "list", "spec", "checkpoint", "restore", "features"]


def help_flags(text):
    """long flags defined in a help options block: the text before the description column"""
    flags = set()
    for line in text.splitlines():
        m = re.match(r"^ {2,6}(-\S.*)$", line)
        if m:
            head = re.split(r" {2,}", m.group(1))[0]
            flags |= set(re.findall(r"--[a-z][a-z-]*", head))
    return flags


def man_flags(path, section="OPTIONS"):
    """long flags in the .TP item headers of a man page section"""
    flags, in_section, after_tp = set(), False, False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH"):
                in_section = section in line
                continue
            if in_section and after_tp:
                flags |= set(re.findall(r"--[a-z][a-z-]*", line.replace("\\-", "-")))
            after_tp = line.startswith(".TP")
    return flags - {"--help"}


@pytest.mark.parametrize("cmd", COMMANDS)
def test_man_page_matches_help(berth, cmd):
    """every flag berth accepts is documented in man/berth-CMD.8, and nothing more"""
    res = berth("help", cmd)
    assert res.returncode == 0, res
    documented = man_flags(os.path.join(MAN_DIR, f"berth-{cmd}.8"))
    assert help_flags(res.stdout) == documented


def test_man_page_global_options(berth):
    res = berth("--help")
    assert res.returncode == 0, res
    given = help_flags(res.stdout.split("global options:", 1)[1]) - {"--help"}
    assert given == man_flags(os.path.join(MAN_DIR, "berth.8"), "GLOBAL OPTIONS")


@pytest.mark.parametrize("cmd", ["run", "create"])
def test_no_subreaper_accepted_and_berth_is_not_a_subreaper(berth, bundle, cmd):
    """runc's create/run --no-subreaper: accepted, and what it asks for is what berth does: a
    process the container orphans (no pid namespace here) is not reparented to berth"""
    b = bundle(shared_rootfs=True)
    b.remove_ns("pid")
    b.sh("(sleep 5 & echo $! > /tmp/orphan); sleep 0.3; o=$(cat /tmp/orphan); "
         "echo \"parent=$PPID orphan-ppid=$(awk '/^PPid/{print $2}' /proc/$o/status)\"; "
         "kill $o")
    b.config["root"]["readonly"] = False
    cid = f"nosubreaper-{cmd}"
    if cmd == "run":
        res = berth.run(cid, b, "--no-subreaper")
        assert res.returncode == 0, res
        out = res.stdout
    else:
        berth.create(cid, b, "--no-subreaper")
        berth.start(cid)
        berth.wait_status(cid, "stopped")
        berth.delete(cid)
        out = sorted(berth.workdir.glob("*-create.out"))[-1].read_text()
    m = re.search(r"parent=(\d+) orphan-ppid=(\d+)", out)
    assert m, out
    if cmd == "run":  # berth run is the container's parent: not the orphan's
        assert m.group(1) != m.group(2), out
    berth.assert_nothing_left()


def test_readme_tells_how_to_use_berth_from_each_engine():
    """issue #6: README sections on podman, containerd (BinaryName in config.toml) and Docker
    ("runtimes" in daemon.json)"""
    readme = open(os.path.join(MAN_DIR, "..", "README.md")).read()
    sections = {h: body for h, body in re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", readme,
                                                  re.M | re.S)}
    assert "--runtime" in sections["Using berth from podman"]
    assert "BinaryName" in sections["Using berth from containerd"]
    assert "--runc-binary" in sections["Using berth from containerd"]
    assert '"runtimes"' in sections["Using berth from Docker"]
    # issue 13: the CRI runtime handler and the RuntimeClass that selects it
    k8s = sections["Using berth as a Kubernetes runtime handler"]
    assert "BinaryName" in k8s and "handler: berth" in k8s and "runtime_type" in k8s


def test_demo_script_runs(berth_bin, tmp_path):
    """README, issue #2: scripts/demo.sh makes a busybox bundle with `berth spec` and runs it:
    the container's hostname, its shell as PID 1, its own namespaces. With BERTH_BIN it uses
    the binary under test and builds nothing (scripts/test.sh has built it)."""
    import subprocess
    repo = os.path.join(MAN_DIR, "..")
    res = subprocess.run([os.path.join(repo, "scripts", "demo.sh")], capture_output=True,
                         text=True, timeout=120,
                         env=dict(os.environ, DEMO_DIR=str(tmp_path / "demo"),
                                  BERTH_BIN=str(berth_bin)))
    assert res.returncode == 0, res
    assert "== building" not in res.stdout, res.stdout
    # the banner shows the command as run, with the id it used (issue 17)
    m = re.search(r"^== berth --root (\S+) run --bundle (\S+) (berth-demo-\d+)$", res.stdout, re.M)
    assert m and m.group(1) == str(tmp_path / "demo" / "state"), res.stdout
    assert m.group(2) == str(tmp_path / "demo"), res.stdout
    out = res.stdout[m.end():]
    assert "hostname: berth-demo" in out and "pid: 1" in out, res.stdout
    host_pid_ns = os.readlink("/proc/self/ns/pid")
    assert "pid -> pid:[" in out and host_pid_ns not in out, res.stdout


def test_flags_after_the_id_as_runc(berth, bundle):
    """runc's parser (urfave/cli) takes a command's flags after the container id too (run,
    create, update, events, kill, delete); exec and ps do not: what follows the id is the
    process's (--help included) or ps(1)'s"""
    cid = "p16b-flagsafter"
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    b.config["linux"]["cgroupsPath"] = f"/{cid}"
    berth.prepare(b)
    berth.track(cid, b)
    res = berth("run", cid, "--bundle", b.path, "-d")
    assert res.returncode == 0, res
    res = berth("update", cid, "--cpuset-cpus", "0")
    assert res.returncode == 0, res
    res = berth("exec", cid, "grep", "Cpus_allowed_list", "/proc/self/status")
    assert res.stdout.split() == ["Cpus_allowed_list:", "0"], res
    res = berth("events", cid, "--stats")
    assert res.returncode == 0 and json.loads(res.stdout)["type"] == "stats", res
    # exec: a flag after the id is the command's argument
    res = berth("exec", cid, "echo", "--env", "A=B", "--help")
    assert res.returncode == 0 and res.stdout.split() == ["--env", "A=B", "--help"], res
    # ps: the arguments after the id are ps(1)'s
    res = berth("ps", cid, "-o", "pid,args")
    assert res.returncode == 0 and "sleep 60" in res.stdout, res
    res = berth("kill", cid, "KILL", "--all")
    assert res.returncode == 0, res
    berth.wait_status(cid, "stopped")
    res = berth("delete", cid, "--force")
    assert res.returncode == 0, res
    assert berth.state(cid, check=False) is None

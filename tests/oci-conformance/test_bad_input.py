"""Bad input: every case exits 1 with one `berth: ...` stderr line naming the field, and leaves
nothing behind (no state dir, no mount, no process)."""

import os
import shutil

import pytest

from conftest import assert_one_error_line, pid_alive


def ns_index(b, t):
    return [n["type"] for n in b.namespaces()].index(t)


def _unknown_ns(b):
    b.namespaces().append({"type": "bogus"})
    return f"linux.namespaces[{len(b.namespaces()) - 1}].type"


def _unknown_cap(b):
    bnd = b.process["capabilities"]["bounding"]
    bnd.append("CAP_BOGUS")
    return f"process.capabilities.bounding[{len(bnd) - 1}]"


def _relative_mount(b):
    b.config["mounts"].append({"destination": "relative/dest", "type": "tmpfs",
                               "source": "tmpfs"})
    return f"mounts[{len(b.config['mounts']) - 1}].destination"


def _del(d, *keys):
    for k in keys[:-1]:
        d = d[k]
    del d[keys[-1]]


CASES = {
    "not-an-object": (lambda b: setattr(b, "raw", '["ociVersion"]'), "config.json"),
    "args-wrong-type": (lambda b: b.process.__setitem__("args", "sh"), "process.args"),
    "terminal-wrong-type": (lambda b: b.process.__setitem__("terminal", "yes"),
                            "process.terminal"),
    "uid-wrong-type": (lambda b: b.process["user"].__setitem__("uid", "root"),
                       "process.user.uid"),
    "missing-ociVersion": (lambda b: _del(b.config, "ociVersion"), "ociVersion"),
    "ociVersion-2": (lambda b: b.config.__setitem__("ociVersion", "2.0.0"), "ociVersion"),
    "missing-root-path": (lambda b: _del(b.config, "root", "path"), "root.path"),
    "missing-rootfs-dir": (lambda b: b.config["root"].__setitem__("path", "/nonexistent/rootfs"),
                           "root.path"),
    "relative-cwd": (lambda b: b.process.__setitem__("cwd", "relative/dir"), "process.cwd"),
    "empty-args": (lambda b: b.process.__setitem__("args", []), "process.args"),
    "unknown-namespace": (_unknown_ns, None),
    "duplicate-namespace": (lambda b: b.namespaces().append({"type": "pid"}),
                            "linux.namespaces"),
    "unknown-capability": (_unknown_cap, None),
    "unknown-rlimit": (lambda b: b.process.__setitem__(
        "rlimits", [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]), "process.rlimits[0].type"),
    "rlimit-soft-above-hard": (lambda b: b.process.__setitem__(
        "rlimits", [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]),
        "process.rlimits[0]"),
    "relative-mount-destination": (_relative_mount, None),
    "nonexistent-hook": (lambda b: b.config.__setitem__(
        "hooks", {"prestart": [{"path": "/nonexistent/hook"}]}), "hooks.prestart[0]"),
    "relative-hook-path": (lambda b: b.config.__setitem__(
        "hooks", {"poststart": [{"path": "bin/true"}]}), "hooks.poststart[0]"),
    "duplicate-rlimit": (lambda b: b.process.__setitem__("rlimits", [
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024},
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 512}]), "process.rlimits[1]"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config(berth, bundle, case):
    b = bundle(shared_rootfs=True, args=["true"])
    mutate, field = CASES[case]
    f = mutate(b)
    field = field or f
    res = berth.create("bad", b, check=False)
    assert_one_error_line(res, field)
    assert berth.state("bad", check=False) is None
    berth.assert_nothing_left()


def test_bad_config_message_format(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.namespaces().append({"type": "bogus"})
    i = len(b.namespaces()) - 1
    res = berth.create("badfmt", b, check=False)
    line = assert_one_error_line(res)
    assert line == f'berth: config.json: linux.namespaces[{i}].type: unknown namespace type "bogus"'


def test_json_syntax_error_position(berth, bundle, tmp_path):
    """A JSON syntax error in config.json, an exec --process file or update --resources names
    the line and column and shows the line with a caret under the token (issue 17); exit 1,
    nothing left behind."""
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    b.raw = '{\n  "ociVersion": "1.0.2",\n  5: "x"\n}\n'
    res = berth.create("jsonpos", b, check=False)
    assert res.returncode == 1, res
    assert res.stderr == ('berth: config.json: invalid json at line 3, column 3: invalid object key'
                          ' (must be a string)\n'
                          ' 3 |   5: "x"\n'
                          '   |   ^\n'), res
    b.raw = '{"ociVersion": "1.0.2", "process": {'
    res = berth.create("jsonpos", b, check=False)
    assert res.returncode == 1, res
    assert res.stderr == ('berth: config.json: invalid json at line 1, column 37: unexpected end of'
                          ' input\n'
                          ' 1 | {"ociVersion": "1.0.2", "process": {\n'
                          '   |                                     ^\n'), res
    berth.assert_nothing_left()

    b.raw = None
    cid = "jsonpos-" + os.urandom(3).hex()
    berth.create_and_start(cid, b)
    proc = tmp_path / "process.json"
    proc.write_text('{\n\t"cwd": "/",\n\t"args": ["true"]\n\t"env": []\n}\n')
    res = berth("exec", "--process", proc, cid)
    assert res.returncode in (1, 255), res  # 255: exec's runtime-side errors, as runc's (#16)
    assert res.stderr == ("berth: process.json: invalid json at line 4, column 2: after key and"
                          " value, inside map, I expect ',' or '}'\n"
                          ' 4 | \t"env": []\n'
                          "   | \t^\n"), res
    res_file = tmp_path / "resources.json"
    res_file.write_text('{"pids": {"limit": 10,}}')
    with open(res_file) as stdin:
        res = berth("update", "--resources", "-", cid, stdin=stdin)
    assert res.returncode == 1, res
    assert res.stderr == ("berth: --resources -: invalid json at line 1, column 23: invalid object"
                          " key (must be a string)\n"
                          ' 1 | {"pids": {"limit": 10,}}\n'
                          "   |                       ^\n"), res
    assert berth.state(cid)["status"] == "running"


def test_relative_cwd_message(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.process["cwd"] = "tmp"
    res = berth.create("badcwd", b, check=False)
    line = assert_one_error_line(res)
    assert line.startswith("berth: config.json: process.cwd: must be an absolute path")


def test_missing_config_json(berth, tmp_path):
    d = tmp_path / "empty-bundle"
    d.mkdir()
    berth.track("noconfig")
    res = berth("create", "--bundle", d, "noconfig")
    assert_one_error_line(res, "config.json")
    berth.assert_nothing_left(bundles=[])


def test_missing_bundle_dir(berth, tmp_path):
    berth.track("nobundle")
    res = berth("create", "--bundle", tmp_path / "nope", "nobundle")
    assert res.returncode == 1 and res.stderr.startswith("berth: ")
    berth.assert_nothing_left(bundles=[])


@pytest.mark.parametrize("cid", ["../x", "a/b", ".", "..", "", "x" * 1025, ".hidden", "_x",
                                 "-x", "a b", "a:b", "\u00e9t\u00e9", "a\nb"],
                         ids=["dotdot-slash", "slash", "dot", "dotdot", "empty", "1025-chars",
                              "leading-dot", "leading-underscore", "leading-dash", "space",
                              "colon", "non-ascii", "newline"])
def test_invalid_ids(berth, bundle, cid):
    b = bundle(shared_rootfs=True, args=["true"])
    b.write()
    berth.bundles.append(b)
    res = berth("create", "--bundle", b.path, "--", cid)
    assert res.returncode == 1, res
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("berth: "), res
    assert "container id" in lines[0].lower(), res
    berth.assert_nothing_left()
    # nothing was created next to the root dir either
    assert not (berth.root.parent / "x").exists()


@pytest.mark.parametrize("cmd", ["state", "start", "kill", "delete --force", "pause", "resume",
                                 "ps", "events --stats", "update --memory 1m", "exec"])
@pytest.mark.parametrize("cid", ["..", "../x", "x" * 1025])
def test_invalid_id_refused_by_every_command(berth, cmd, cid, tmp_path):
    """an id that could name a path outside --root is refused before anything is touched"""
    victim = berth.root.parent / "x"
    victim.mkdir()
    (victim / "state.json").write_text("{}")
    res = berth(*cmd.split(), cid, *(["true"] if cmd == "exec" else []))
    assert_one_error_line(res, "container id", status=255 if cmd == "exec" else 1)
    assert (victim / "state.json").read_text() == "{}"
    shutil.rmtree(victim)


def test_valid_unusual_ids(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    for cid in ("a.b_c-d", "x" * 200, "x" * 255, "x" * 256, "x" * 1024, "A1", "0123456789abcdef" * 4, "a+b", "9.."):
        res = berth.run(cid, b)
        assert res.returncode == 0, res


def test_duplicate_id(berth, bundle):
    b1 = bundle(shared_rootfs=True, args=["sleep", "30"])
    b2 = bundle(shared_rootfs=True, args=["sleep", "30"])
    berth.create("dup", b1)
    st = berth.state("dup")
    res = berth.create("dup", b2, check=False)
    assert res.returncode == 1, res
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("berth: "), res
    st2 = berth.state("dup")
    assert st2["pid"] == st["pid"] and st2["bundle"] == str(b1.path)
    assert st2["status"] == "created" and pid_alive(st["pid"])
    assert sorted(os.listdir(berth.root)) == ["dup"]
    mounts = open("/proc/self/mountinfo").read()
    assert str(b2.path) not in mounts
    # the first one still starts
    berth.start("dup")
    assert berth.state("dup")["status"] == "running"


@pytest.mark.parametrize("what", ["cwd", "rootfs"])
def test_other_enoent_is_exit_1(berth, bundle, what):
    """Only the executable lookup maps to 127: a missing cwd or root.path is exit 1."""
    b = bundle(args=["true"])
    if what == "cwd":
        b.process["cwd"] = "/does/not/exist"
    else:
        b.config["root"]["path"] = str(b.path / "no-such-rootfs")
    res = berth.create("enoent1", b, check=False)
    assert res.returncode == 1, res
    assert "no such file or directory" in res.stderr.lower(), res
    berth.assert_nothing_left()


def test_unknown_properties_are_ignored(berth, bundle):
    """config.md (extensibility): unknown properties MUST be ignored, at every level, and so
    are other platforms' sections; the container runs as without them"""
    b = bundle(shared_rootfs=True, args=["echo", "ran"])
    c = b.config
    c["org.example.top"] = {"nested": [1, 2]}
    c["windows"] = {"layerFolders": ["C:\\\\x"]}
    c["vm"] = {"hypervisor": {"path": "/nope"}}
    c["root"]["org.example.root"] = True
    b.process["org.example.process"] = "x"
    b.process["user"]["org.example.user"] = 1
    c["linux"]["org.example.linux"] = None
    c["linux"]["namespaces"][0]["org.example.ns"] = "x"
    c["mounts"][0]["org.example.mount"] = 5
    c["hooks"] = {"org.example.hook": [{"path": "relative/is/not/checked"}],
                  "poststart": [{"path": "/bin/true", "org.example.h": 1}]}
    res = berth.run("unknownprops", b)
    assert res.returncode == 0 and res.stdout == "ran\n", res


@pytest.mark.parametrize("version,ok", [
    ("1.0.0", True), ("1.0.2-dev", True), ("1.2.0", True), ("1.3.0", True), ("1.3.9", True),
    ("1.9.0", True), ("1.10.1", True),
    ("2.0.0", False), ("0.9.0", False), ("10.0.0", False), ("1.x", False), ("v1.0.0", False),
    ("", False)])
def test_oci_version_every_1x_accepted_other_majors_refused(berth, bundle, version, ok):
    """issue #2: every 1.x.y is accepted (1.0.0 to 1.3.x and later 1.x); another major is a
    clear error naming ociVersion, and nothing is created"""
    b = bundle(shared_rootfs=True, args=["true"])
    b.config["ociVersion"] = version
    res = berth.run("ociv", b)
    if ok:
        assert res.returncode == 0, res
    else:
        assert_one_error_line(res, "ociVersion", f'"{version}"')
    berth.assert_nothing_left()

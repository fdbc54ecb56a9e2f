"""berth features: the document validates against the OCI features schema, and every name it
lists is one the config parser accepts (it is generated from the parser's own tables)."""

import json
import platform
import uuid

import pytest

from conftest import SCHEMA_DIR

# The parser's words for a name it does not know.
UNKNOWN = "unknown"


@pytest.fixture
def features(berth):
    res = berth("features", check=True)
    return json.loads(res.stdout)


def features_validator():
    jsonschema = pytest.importorskip("jsonschema")
    path = SCHEMA_DIR / "features-schema.json"
    if not path.is_file():
        pytest.skip(f"no features schema at {path}")
    schema = json.loads(path.read_text())
    # features-schema.json refers to features-linux.json, defs.json and defs-linux.json by
    # relative name: resolve them against the schema directory.
    resolver = jsonschema.RefResolver(base_uri=path.parent.as_uri() + "/", referrer=schema)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema, resolver=resolver)


def new_id():
    return f"f{uuid.uuid4().hex[:10]}"


def create_and_drop(berth, b):
    """create (not checked) and delete at once, so a long loop keeps no parked inits."""
    cid = new_id()
    res = berth.create(cid, b, check=False)
    if res.returncode == 0:
        berth.delete(cid, "--force")
    return res


def assert_not_unknown(res, what):
    assert UNKNOWN not in res.stderr, f"{what} listed by features but rejected: {res!r}"


# ---------------------------------------------------------------------------------------------
# the document itself


def test_features_validates_against_schema(features):
    v = features_validator()
    errors = sorted(v.iter_errors(features), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_features_required_content(features):
    assert features["ociVersionMin"] == "1.0.0"
    assert features["ociVersionMax"] == "1.3.0"
    assert features["hooks"] == ["prestart", "createRuntime", "createContainer",
                                 "startContainer", "poststart", "poststop"]
    lx = features["linux"]
    assert lx["cgroup"] == {"v1": True, "v2": True, "systemd": True, "systemdUser": False,
                            "rdma": True}
    sc = lx["seccomp"]
    assert sc["enabled"] is True
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"])
    for key in ("actions", "operators", "archs", "knownFlags"):
        assert sc[key], f"linux.seccomp.{key} is empty"
    assert lx["mountExtensions"] == {"idmap": {"enabled": True}}
    for key in ("apparmor", "selinux", "netDevices"):
        assert lx[key] == {"enabled": True}
    # resctrl.c implements every field of linux.intelRdt (1.3.0: schemata, enableMonitoring)
    assert lx["intelRdt"] == {"enabled": True, "schemata": True, "monitoring": True}
    assert "MPOL_BIND" in lx["memoryPolicy"]["modes"]
    assert "MPOL_F_STATIC_NODES" in lx["memoryPolicy"]["flags"]
    # idmapped mounts are made (test_idmap.py): their options are advertised
    assert {"idmap", "ridmap"} <= set(features["mountOptions"])
    assert "io.github.berth.version" in features["annotations"]
    assert "potentiallyUnsafeConfigAnnotations" not in features
    for lst in (features["hooks"], features["mountOptions"], lx["namespaces"],
                lx["capabilities"], sc["actions"], sc["operators"], sc["archs"]):
        assert len(lst) == len(set(lst)), f"duplicates in {lst}"


def test_features_version_matches_cli(berth, features):
    out = berth("--version", check=True).stdout
    assert features["annotations"]["io.github.berth.version"] in out


def test_features_rejects_arguments(berth):
    for args in (["extra"], ["--bogus"]):
        res = berth("features", *args)
        assert res.returncode == 1, repr(res)
        assert res.stdout == "", repr(res)


# ---------------------------------------------------------------------------------------------
# every listed name is accepted by the config parser


def test_oci_versions_accepted(berth, bundle, features):
    b = bundle(shared_rootfs=True, args=["true"])
    for v in (features["ociVersionMin"], features["ociVersionMax"]):
        b.config["ociVersion"] = v
        res = create_and_drop(berth, b)
        assert res.returncode == 0, f"ociVersion {v}: {res!r}"


def test_hooks_are_parsed(berth, bundle, features):
    """A relative hook path is an error that names the hook's field: proof the parser reads
    every listed hook name (unknown keys under hooks would be silently ignored)."""
    b = bundle(shared_rootfs=True, args=["true"])
    for name in features["hooks"]:
        b.config["hooks"] = {name: [{"path": "relative/hook"}]}
        res = create_and_drop(berth, b)
        assert res.returncode == 1, f"hook {name}: relative path accepted: {res!r}"
        assert f"hooks.{name}[0].path" in res.stderr, f"hook {name} not parsed: {res!r}"


def test_namespaces_accepted(berth, bundle, features):
    b = bundle(shared_rootfs=True, args=["true"])
    base = [dict(n) for n in b.namespaces()]
    for ns in features["linux"]["namespaces"]:
        b.config["linux"]["namespaces"] = [dict(n) for n in base]
        b.add_ns(ns)
        res = create_and_drop(berth, b)
        assert_not_unknown(res, f"namespace {ns!r}")


def test_unknown_namespace_rejected(berth, bundle, features):
    assert "bogus" not in features["linux"]["namespaces"]
    b = bundle(shared_rootfs=True, args=["true"])
    b.namespaces().append({"type": "bogus"})
    res = create_and_drop(berth, b)
    assert res.returncode == 1, repr(res)
    assert "unknown namespace type" in res.stderr and "bogus" in res.stderr, repr(res)


def test_capabilities_accepted(berth, bundle, features):
    caps = features["linux"]["capabilities"]
    b = bundle(shared_rootfs=True, args=["true"])
    for cap in caps:
        b.process["capabilities"] = {k: [cap] for k in
                                     ("bounding", "effective", "permitted", "inheritable",
                                      "ambient")}
        res = create_and_drop(berth, b)
        assert_not_unknown(res, f"capability {cap!r}")
    b.process["capabilities"] = {"bounding": caps, "permitted": caps, "effective": caps}
    assert_not_unknown(create_and_drop(berth, b), "the full capability list")


def test_unknown_capability_rejected(berth, bundle):
    b = bundle(shared_rootfs=True, args=["true"])
    b.process["capabilities"]["bounding"].append("CAP_BOGUS")
    res = create_and_drop(berth, b)
    assert res.returncode == 1, repr(res)
    assert "unknown capability" in res.stderr and "CAP_BOGUS" in res.stderr, repr(res)


def test_mount_options_accepted(berth, bundle, features, tmp_path):
    """Each listed option on a tmpfs and on a bind mount. A tmpfs passes names the parser does
    not know to the kernel as data, so only the bind mount proves the option is a parser name
    (the parser rejects an unknown one there). Some options fail later, at mount time (remount
    of a fresh mount, propagation on a tmpfs...): only "unknown option" counts as a failure."""
    src = tmp_path / "bind-src"
    src.mkdir()
    b = bundle(shared_rootfs=True, args=["true"])
    base_mounts = list(b.config["mounts"])
    for opt in features["mountOptions"]:
        for m in ({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs",
                   "options": [opt]},
                  {"destination": "/mnt", "type": "bind", "source": str(src),
                   "options": ["rbind", opt]}):
            b.config["mounts"] = base_mounts + [m]
            res = create_and_drop(berth, b)
            assert_not_unknown(res, f"mount option {opt!r} on a {m['type']} mount")


def test_unknown_mount_option_rejected_on_bind(berth, bundle, features, tmp_path):
    assert "bogus" not in features["mountOptions"]
    src = tmp_path / "bind-src"
    src.mkdir()
    b = bundle(shared_rootfs=True, args=["true"])
    b.add_mount("/mnt", "bind", str(src), ["rbind", "bogus"])
    res = create_and_drop(berth, b)
    assert res.returncode == 1, repr(res)
    assert "unknown option" in res.stderr and "bogus" in res.stderr, repr(res)


def test_seccomp_names_accepted(berth, bundle, features):
    sc = features["linux"]["seccomp"]
    b = bundle(shared_rootfs=True, args=["true"])
    native = ({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}
              if platform.machine() == "x86_64" else set())

    def with_seccomp(**kw):
        prof = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [], "syscalls": []}
        prof.update(kw)
        b.config["linux"]["seccomp"] = prof
        return create_and_drop(berth, b)

    for action in sc["actions"]:
        if action in ("SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY"):
            continue  # ALLOW is the default action; NOTIFY needs a listenerPath
        res = with_seccomp(syscalls=[{"names": ["getcwd"], "action": action}])
        assert_not_unknown(res, f"seccomp action {action!r}")
    for op in sc["operators"]:
        res = with_seccomp(syscalls=[{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO",
                                      "args": [{"index": 0, "value": 1, "valueTwo": 1,
                                                "op": op}]}])
        assert_not_unknown(res, f"seccomp operator {op!r}")
    for arch in sc["archs"]:
        # libseccomp refuses to mix endianness in one filter: only the parse matters here
        res = with_seccomp(architectures=[arch])
        assert_not_unknown(res, f"seccomp architecture {arch!r}")
        if arch in native:
            assert res.returncode == 0, f"native architecture {arch}: {res!r}"
    for flag in sc["knownFlags"]:
        res = with_seccomp(flags=[flag])
        assert_not_unknown(res, f"seccomp flag {flag!r}")
    for flag in sc["supportedFlags"]:
        if flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
            continue  # only meaningful with a notify listener
        res = with_seccomp(flags=[flag], syscalls=[{"names": ["getcwd"],
                                                    "action": "SCMP_ACT_ERRNO"}])
        assert res.returncode == 0, f"supported seccomp flag {flag}: {res!r}"

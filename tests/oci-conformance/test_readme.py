"""README.md's Usage walk-through runs as written (issue 17): its sh block, pasted line by line
after scripts/demo.sh, every line exiting 0.

The block is run in one bash, in order (it cds), with `set -e` and an ERR trap naming the line.
What the test changes, and only that: `berth` is a shell function running the binary under test
with this test's own --root; /tmp/berth-demo (where scripts/demo.sh leaves its bundle) and
/srv/demo are directories of this test; the ids c1, c2, c3 get a prefix unique to the run,
because the default cgroup /berth/<id> is global on the host (two runs of this test at once, or
another suite using c1, would collide)."""

import os
import re
import subprocess
from pathlib import Path

from conftest import REPO

README = REPO / "README.md"


def usage_block():
    text = README.read_text()
    section = re.search(r"^## Usage\n(.*?)(?=^## )", text, re.M | re.S).group(1)
    return re.search(r"^```sh\n(.*?)^```", section, re.M | re.S).group(1)


def commands(block):
    """(line number in the block, line) of every line that runs something"""
    out = []
    for n, line in enumerate(block.splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#"):
            out.append((n, line))
    return out


def test_readme_usage_block_runs(berth, tmp_path):
    block = usage_block()
    lines = commands(block)
    assert len(lines) >= 15, block
    # what the walk-through promises to cover
    for needle in ("berth spec", "berth create", "berth start", "berth pause", "berth ps",
                   "berth update", "berth events", "berth kill c1 KILL", "berth delete c1",
                   "berth run --bundle", "berth run -d"):
        assert any(needle in l for _, l in lines), f"README's Usage lacks {needle!r}"

    demo = tmp_path / "berth-demo"
    res = subprocess.run([str(REPO / "scripts" / "demo.sh")], capture_output=True, text=True,
                         timeout=120, env=berth.env({"DEMO_DIR": str(demo),
                                                     "BERTH_BIN": str(berth.binary)}))
    assert res.returncode == 0, res
    assert (demo / "rootfs" / "bin" / "busybox").is_file(), "demo.sh left no rootfs"

    srv = tmp_path / "srv-demo"
    prefix = "readme-" + os.urandom(3).hex() + "-"
    ids = [prefix + c for c in ("c1", "c2", "c3")]
    for cid in ids:
        berth.track(cid)

    def adapt(line):
        line = line.replace("/srv/demo", str(srv)).replace("/tmp/berth-demo", str(demo))
        return re.sub(r"\b(c[123])\b", lambda m: prefix + m.group(1), line)

    script = ["set -e",
              f'berth() {{ "{berth.binary}" --root "{berth.root}" "$@"; }}',
              "trap 'echo \"README line failed (exit $?): $BASH_COMMAND\" >&2' ERR"]
    for n, line in lines:
        script.append(f"echo '>>> {n}' >&2")
        script.append(adapt(line))
    script.append("echo '>>> end' >&2")
    res = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, env=berth.env())
    ran = re.findall(r"^>>> (\S+)$", res.stderr, re.M)
    assert res.returncode == 0 and ran[-1:] == ["end"], (
        f"README's Usage block stopped after line {ran[-1] if ran else '?'}:\n"
        f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    # what the lines print: the state, the exec'd process, the foreground run's output
    assert '"status": "created"' in res.stdout, res.stdout
    assert "sleep 1000" in res.stdout, res.stdout
    assert res.stdout.rstrip().endswith("hello"), res.stdout
    # every container deleted by the block itself
    listed = subprocess.run([str(berth.binary), "--root", str(berth.root), "list", "-q"],
                            capture_output=True, text=True)
    assert listed.stdout.strip() == "", listed
    berth.assert_nothing_left(bundles=[])

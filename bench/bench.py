#!/usr/bin/python3
"""berth vs crun vs runc vs the floor program. Called by bench/run.sh inside a private mount
namespace where /sys/fs/cgroup is the host's cgroup2 hierarchy (see run.sh).

Every measured command's exit status and output are checked: a failed run is reported as a
failure (and the benchmark stops), never as a time. Runtimes are interleaved (A B C A B C ...)
so drift of the machine hits all of them alike. Results go to OUT/results.json, the
per-iteration run latencies to OUT/run_latency.dat (for the plot)."""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNTIMES = ("berth", "berth-b", "crun", "runc")


class BenchFailure(Exception):
    pass


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = Path(a.work)
        self.out = Path(a.out)
        self.tspawn = a.tspawn
        self.bin = {"berth": a.berth, "crun": shutil.which("crun"), "runc": shutil.which("runc")}
        if a.berth_b:
            self.bin["berth-b"] = a.berth_b  # A/B: another berth binary, e.g. before a change
        self.seq = 0

    # ---- setup ----

    def make_rootfs(self):
        rootfs = self.work / "rootfs"
        if rootfs.exists():
            shutil.rmtree(rootfs)
        for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "root"):
            (rootfs / d).mkdir(parents=True)
        bb = rootfs / "bin" / "busybox"
        shutil.copy2("/bin/busybox", bb)
        for applet in ("true", "false", "sh", "sleep", "echo", "cat"):
            (rootfs / "bin" / applet).symlink_to("busybox")
        (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (rootfs / "etc" / "group").write_text("root:x:0:\n")
        return rootfs

    def make_bundles(self, rootfs):
        spec_dir = self.work / "spec"
        shutil.rmtree(spec_dir, ignore_errors=True)
        spec_dir.mkdir()
        subprocess.run([self.bin["berth"], "spec"], cwd=spec_dir, check=True)
        base = json.loads((spec_dir / "config.json").read_text())
        base["root"] = {"path": str(rootfs), "readonly": True}
        base["process"]["terminal"] = False
        base["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses 1.3.0 ("unknown version specified")
        base.get("linux", {}).get("resources", {}).pop("devices", None)
        if base.get("linux", {}).get("resources") == {}:
            del base["linux"]["resources"]
        self.bundles = {}
        for name, args in (("true", ["/bin/true"]), ("echo", ["/bin/echo", "bench-ok"]),
                           ("sleep", ["/bin/sleep", "3600"])):
            b = self.work / f"bundle-{name}"
            b.mkdir(exist_ok=True)
            cfg = json.loads(json.dumps(base))
            cfg["process"]["args"] = args
            (b / "config.json").write_text(json.dumps(cfg, indent=2))
            self.bundles[name] = b
        return base

    def rt(self, name):
        root = Path(self.a.state or self.work) / f"root-{name}"
        root.mkdir(exist_ok=True)
        return [self.bin[name], "--root", str(root)]

    def new_id(self, prefix="b"):
        self.seq += 1
        return f"{prefix}{os.getpid()}-{self.seq}"

    # ---- one timed command ----

    def timed(self, argv, what, expect_out=""):
        """Runs argv through tspawn; returns (seconds, maxrss_kb). Fails on a non-zero status or
        unexpected output."""
        outf = self.work / "cmd.out"
        r = subprocess.run([self.tspawn, str(outf), *argv], capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchFailure(f"{what}: tspawn failed: {r.stderr.strip()}")
        ns, status, rss, cpu = (int(x) for x in r.stdout.split())
        self.last_cpu = cpu / 1e6
        out = outf.read_text(errors="replace")
        if status != 0 or out.strip() != expect_out:
            raise BenchFailure(f"{what}: {' '.join(argv)}: exit {status}, output {out!r}")
        return ns / 1e9, rss

    def run_argv(self, name, bundle, cid):
        if name == "floor":
            return [self.a.floor, str(self.work / "rootfs")]
        return [*self.rt(name), "run", "--bundle", str(bundle), cid]

    def plain(self, argv, what, detached=False):
        """Runs argv untimed; fails on a non-zero status. detached: a container that outlives
        the command inherits its stdout/stderr, so they go to a file instead of a pipe."""
        if detached:
            with open(self.work / "detached.out", "w") as f:
                r = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
            if r.returncode != 0:
                raise BenchFailure(f"{what}: {' '.join(argv)}: exit {r.returncode}: "
                                   f"{(self.work / 'detached.out').read_text()}")
            return ""
        r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise BenchFailure(f"{what}: {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    # ---- measurements ----

    def sanity(self):
        for name in (*self.runtimes, ):
            self.timed(self.run_argv(name, self.bundles["echo"], self.new_id()), f"{name} run echo",
                       expect_out="bench-ok")
        self.timed([self.a.floor, str(self.work / "rootfs")], "floor")
        log("sanity: every runtime runs echo and prints its output")

    def run_latency(self, n):
        names = [*self.runtimes, "floor"]
        lat = {k: [] for k in names}
        cpu = {k: [] for k in names}
        for i in range(n):
            for name in names:
                t, _ = self.timed(self.run_argv(name, self.bundles["true"], self.new_id()),
                                  f"{name} run #{i}")
                lat[name].append(t)
                cpu[name].append(self.last_cpu)
        with open(self.out / "run_latency.dat", "w") as f:
            f.write("iteration " + " ".join(names) + "\n")  # milliseconds
            for i in range(n):
                f.write(f"{i} " + " ".join(f"{lat[k][i] * 1e3:.3f}" for k in names) + "\n")
        return {k: {**summary(v), "cpu_median": statistics.median(cpu[k])}
                for k, v in lat.items()}

    def wait_stopped(self, name, cid):
        st = json.loads(self.plain([*self.rt(name), "state", cid], f"{name} state"))
        pid = st.get("pid", 0)
        if pid > 0:
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                fd = -1
            if fd >= 0:
                import select
                select.select([fd], [], [], 10)
                os.close(fd)
        # the container's status must say so before delete (no "running" race)
        for _ in range(1000):
            st = json.loads(self.plain([*self.rt(name), "state", cid], f"{name} state"))
            if st["status"] == "stopped":
                return
            time.sleep(0.001)
        raise BenchFailure(f"{name}: {cid} did not stop")

    def lifecycle(self, n):
        """create, start, delete of a /bin/true container, and exec into a sleeping one."""
        res = {k: {"create": [], "start": [], "delete": [], "exec": []} for k in self.runtimes}
        sleepers = {}
        for name in self.runtimes:
            cid = self.new_id("x")
            self.plain([*self.rt(name), "run", "-d", "--bundle", str(self.bundles["sleep"]), cid],
                       f"{name} run -d sleep", detached=True)
            sleepers[name] = cid
        try:
            for i in range(n):
                for name in self.runtimes:
                    cid = self.new_id()
                    r = res[name]
                    r["create"].append(self.timed(
                        [*self.rt(name), "create", "--bundle", str(self.bundles["true"]), cid],
                        f"{name} create #{i}")[0])
                    r["start"].append(self.timed([*self.rt(name), "start", cid],
                                                 f"{name} start #{i}")[0])
                    self.wait_stopped(name, cid)
                    r["delete"].append(self.timed([*self.rt(name), "delete", cid],
                                                  f"{name} delete #{i}")[0])
                    r["exec"].append(self.timed(
                        [*self.rt(name), "exec", sleepers[name], "/bin/true"],
                        f"{name} exec #{i}")[0])
        finally:
            for name, cid in sleepers.items():
                subprocess.run([*self.rt(name), "delete", "--force", cid], capture_output=True)
        return {k: {op: summary(v) for op, v in ops.items()} for k, ops in res.items()}

    def peak_rss(self):
        """GNU time's %M (max RSS of the runtime process tree it waited for), one run each."""
        out = {}
        for name in (*self.runtimes, "floor"):
            vals = []
            for _ in range(5):
                tf = self.work / "time.out"
                argv = ["/usr/bin/time", "-o", str(tf), "-f", "%M",
                        *self.run_argv(name, self.bundles["true"], self.new_id())]
                self.plain(argv, f"{name} time run")
                vals.append(int(tf.read_text().split()[-1]))
            out[name] = statistics.median(vals)
        return out

    def syscalls(self):
        out = {}
        for name in (*self.runtimes, "floor"):
            sf = self.out / f"strace-{name}.txt"
            argv = ["strace", "-c", "-f", "-o", str(sf),
                    *self.run_argv(name, self.bundles["true"], self.new_id())]
            self.plain(argv, f"{name} strace run")
            m = re.search(r"^100\.00\s+\S+\s+\S+\s+(\d+)\s+(\d+)?\s*total",
                          sf.read_text(), re.M)
            if not m:
                raise BenchFailure(f"{name}: cannot parse {sf}")
            out[name] = int(m.group(1))
        return out

    def scale(self, count, samples):
        out = {}
        for name in self.scale_runtimes:
            ref = self.new_id("ref")
            self.plain([*self.rt(name), "create", "--bundle", str(self.bundles["true"]), ref],
                       f"{name} create ref", detached=True)
            created = [ref]
            try:
                r = {"empty": self.scale_sample(name, ref, samples, created)}
                t0 = time.monotonic()
                for i in range(count):
                    cid = self.new_id("s")
                    self.plain([*self.rt(name), "create", "--bundle", str(self.bundles["true"]),
                                cid], f"{name} create #{i} of {count}", detached=True)
                    created.append(cid)
                r["fill_seconds"] = time.monotonic() - t0
                r["full"] = self.scale_sample(name, ref, samples, created)
                lines = self.plain([*self.rt(name), "list", "-q"], f"{name} list -q").split()
                if len(lines) < count + 1:
                    raise BenchFailure(f"{name}: list -q shows {len(lines)} containers")
                out[name] = r
            finally:
                t0 = time.monotonic()
                for cid in created:
                    subprocess.run([*self.rt(name), "delete", "--force", cid],
                                   capture_output=True)
                log(f"scale: {name}: deleted {len(created)} in {time.monotonic() - t0:.1f}s")
        return out

    def scale_sample(self, name, ref, samples, created):
        res = {"list": [], "state": [], "create": []}
        for _ in range(samples):
            t, _ = self.timed_any([*self.rt(name), "list"], f"{name} list")
            res["list"].append(t)
            t, _ = self.timed_any([*self.rt(name), "state", ref], f"{name} state")
            res["state"].append(t)
            cid = self.new_id("n")
            t, _ = self.timed([*self.rt(name), "create", "--bundle", str(self.bundles["true"]),
                               cid], f"{name} create")
            res["create"].append(t)
            self.plain([*self.rt(name), "delete", "--force", cid], f"{name} delete")
        return {k: summary(v) for k, v in res.items()}

    def timed_any(self, argv, what):
        """Like timed() but any output is fine (list, state): only the status is checked."""
        outf = self.work / "cmd.out"
        r = subprocess.run([self.tspawn, str(outf), *argv], capture_output=True, text=True)
        ns, status, rss, _ = (int(x) for x in r.stdout.split())
        if status != 0:
            raise BenchFailure(f"{what}: exit {status}: {outf.read_text(errors='replace')}")
        return ns / 1e9, rss

    def parallel(self, width, rounds):
        res = {k: [] for k in (*self.runtimes, "floor")}
        for rnd in range(rounds):
            for name in res:
                procs = []
                t0 = time.monotonic()
                for j in range(width):
                    argv = self.run_argv(name, self.bundles["true"], self.new_id("p"))
                    procs.append((argv, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                                         stderr=subprocess.STDOUT,
                                                         stdin=subprocess.DEVNULL)))
                fails = []
                for argv, p in procs:
                    out, _ = p.communicate()
                    if p.returncode != 0 or out.strip():
                        fails.append(f"exit {p.returncode}: {out.decode(errors='replace')[:200]}")
                dt = time.monotonic() - t0
                if fails:
                    raise BenchFailure(f"{name} parallel round {rnd}: {len(fails)} failed: "
                                       f"{fails[0]}")
                res[name].append(width / dt)
        return {k: statistics.median(v) for k, v in res.items()}

    # ---- driver ----

    def main(self):
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        rootfs = self.make_rootfs()
        self.make_bundles(rootfs)
        self.runtimes = [r for r in RUNTIMES if r in self.a.runtimes.split(",") and self.bin.get(r)]
        results = {"machine": machine(), "versions": self.versions(),
                   "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "n": self.a.n}
        self.sanity()
        steps = self.a.steps.split(",")
        if "run" in steps:
            log(f"run latency, N={self.a.n} each, interleaved")
            results["run"] = self.run_latency(self.a.n)
        if "lifecycle" in steps:
            log(f"create/start/delete/exec, N={self.a.lifecycle_n} each")
            results["lifecycle"] = self.lifecycle(self.a.lifecycle_n)
        if "rss" in steps:
            log("peak RSS (/usr/bin/time -f %M)")
            results["rss_kb"] = self.peak_rss()
        if "strace" in steps:
            log("strace -c -f of one run")
            results["syscalls"] = self.syscalls()
        if "parallel" in steps:
            log("32 parallel runs")
            results["parallel_per_s"] = self.parallel(32, self.a.parallel_rounds)
        if "scale" in steps:
            self.scale_runtimes = [r for r in self.runtimes if r in ("berth", "crun")]
            log(f"scale: {self.a.scale} created containers ({', '.join(self.scale_runtimes)})")
            results["scale"] = self.scale(self.a.scale, self.a.scale_samples)
            results["scale_count"] = self.a.scale
        (self.out / "results.json").write_text(json.dumps(results, indent=2))
        log(f"results in {self.out / 'results.json'}")

    def versions(self):
        v = {}
        for name in self.bin:
            if self.bin[name]:
                r = subprocess.run([self.bin[name], "--version"], capture_output=True, text=True)
                v[name] = r.stdout.splitlines()[0] if r.stdout else "?"
        return v


def summary(v):
    v = sorted(v)
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    return {"median": statistics.median(v), "p10": q(0.10), "p90": q(0.90), "n": len(v)}


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "mem_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--berth", required=True)
    p.add_argument("--berth-b", help="A/B: a second berth binary measured as runtime berth-b")
    p.add_argument("--floor", required=True)
    p.add_argument("--tspawn", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--state", help="where the runtimes' --root directories go (run.sh: a tmpfs, "
                   "like /run on most hosts)")
    p.add_argument("-n", type=int, default=200)
    p.add_argument("--lifecycle-n", type=int, default=50)
    p.add_argument("--scale", type=int, default=1000)
    p.add_argument("--scale-samples", type=int, default=10)
    p.add_argument("--parallel-rounds", type=int, default=5)
    p.add_argument("--runtimes", default="berth,crun,runc")
    p.add_argument("--steps", default="run,lifecycle,rss,strace,parallel,scale")
    try:
        Bench(p.parse_args()).main()
    except BenchFailure as e:
        log(f"FAILED: {e}")
        sys.exit(1)

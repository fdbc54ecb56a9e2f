#!/usr/bin/python3
"""Renders bench.py's results.json as bench/RESULTS.md (stdout), followed by the hand-written
optimization log (bench/optimizations.md).   report.py RESULTS.JSON [LOG.md]
report.py --summary RESULTS.JSON prints the medians and ratios (bench/run.sh --quick)."""
import json
import sys

TARGETS = ("run latency <= 0.5x crun and <= 2.5x floor; peak RSS <= 2 MB (2048 KiB); smallest "
           "reliable memory.max in the cgroup v2 guest <= 192k")


def ms(x):
    return f"{x * 1e3:.2f}"


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def summary(r):
    """bench/run.sh --quick: medians, p10/p90 and the ratios to berth, as plain lines."""
    for step in ("run", "lifecycle"):
        if step not in r:
            continue
        rows = r[step] if step == "run" else {f"{k} {op}": v for k, ops in r[step].items()
                                              for op, v in ops.items()}
        for k, v in rows.items():
            cpu = f" cpu {ms(v['cpu_median'])}" if "cpu_median" in v else ""
            print(f"{step:9} {k:14} median {ms(v['median']):>7} p10 {ms(v['p10']):>7} "
                  f"p90 {ms(v['p90']):>7}{cpu}")
    run, life = r.get("run", {}), r.get("lifecycle", {})
    if "berth" in run:
        for k in ("crun", "runc", "floor"):
            if k in run:
                print(f"run: berth/{k} {ratio(run['berth']['median'], run[k]['median'])}")
    if "berth" in life and "crun" in life:
        print("berth/crun: " + ", ".join(
            f"{op} {ratio(life['berth'][op]['median'], life['crun'][op]['median'])}"
            for op in life["berth"]))


def criu_section(c, w):
    """bench/criu_vm.sh's numbers: lazy migration in the CRIU guest."""
    w(f"## CRIU guest: lazy migration downtime (kernel {c['kernel']})\n")
    w("`bench/criu_vm.sh` boots tests/vm/criu (qemu TCG, 1 cpu; Debian's criu) and reads its migrate "
      "section: a counting busybox container moves between two network namespaces joined by a veth "
      "pair (10.15.0.1 -> 10.15.0.2): `checkpoint --lazy-pages --page-server 10.15.0.1:PORT` on one "
      "side, `criu lazy-pages` and `restore -d --lazy-pages` on the other, the pages pulled over the "
      "veth (the other images are shared through the guest's tmpfs, as a copy would bring them). "
      "Downtime: from the checkpoint command's start (the runtime's own start-up, then CRIU's freeze) "
      "to restore -d's return (running again), 10 ms resolution; the median of three migrations "
      "each (every sample in the last column); emulated cpu on a shared machine, so only the ratio "
      "means something, and one sample moves by 2-3x with the host's load.\n")
    d, dump = c.get("downtime_ms", {}), c.get("dump_ms", {})
    samples = c.get("samples", {}).get("downtime_ms", {})
    w("| runtime | downtime (ms) | of it: dump until the page server is ready | berth / this | samples |")
    w("|---|---|---|---|---|")
    for k, v in d.items():
        ratio = f"{d['berth'] / v:.2f}x" if "berth" in d and v else ""
        w(f"| {k} | {v:.0f} | {dump.get(k, 0):.0f} | {ratio} | {', '.join(map(str, samples.get(k, [])))} |")
    w("")


def vm_section(vm, w):
    """bench/vm.sh's numbers: the cgroup v2 guest."""
    w(f"## cgroup v2 guest: memory.max minimum, run with devices (kernel {vm['kernel']})\n")
    w("`bench/vm.sh` boots the Debian kernel under qemu (TCG: emulated, 1 cpu, 1 GiB) with "
      "tests/vm's machinery: cgroup2 only, every controller enabled; berth, crun and runc (with "
      "their libraries) in the initramfs. One config for all three: `berth spec`'s default WITH "
      "its linux.resources.devices rule (deny all: each runtime loads an eBPF device program, "
      "which crun cannot do on this host: RLIMIT_MEMLOCK), ociVersion 1.0.2, busybox rootfs.\n")
    if vm.get("failures"):
        w("**Failures in the guest** (no number is reported for them): " +
          "; ".join(vm["failures"]) + "\n")
    mm = vm.get("memmin", {})
    if mm:
        w("Smallest memory.max (linux.resources.memory.limit) at which `sh -c 'echo ok'` runs: "
          "doubling from 64k, then a binary search to the page with 3 of 3 runs at each step "
          f"(the method of tests/vm/cgroup2's memmin section), then confirmed by {vm.get('confirm', 10)} runs in a row "
          "at that value (one page more after any failure). Everything a runtime does after "
          "its process joins the cgroup is charged: its own pages, page tables, kernel stacks, "
          "the eBPF program, the container's sh.\n")
        w("| runtime | memory.max (bytes) | KiB | binary search alone | berth / this |")
        w("|---|---|---|---|---|")
        for k, v in mm.items():
            w(f"| {k} | {v} | {v // 1024} | {vm['memmin_searched'].get(k, 0) // 1024} KiB | "
              f"{ratio(mm.get('berth', 0), v)} |")
        b = mm.get("berth")
        w("")
        w(f"Target smallest reliable memory.max <= 192k: "
          f"{'met' if b is not None and b <= 192 * 1024 else '**not met**'}.\n")
    run = vm.get("run", {})
    if run:
        n = next(iter(run.values()))["n"]
        w(f"`run` of /bin/true with the device rule (N={n} each, interleaved, milliseconds; "
          "emulated cpu, so only the ratios mean something):\n")
        w("| runtime | median | p10 | p90 | cpu | berth / this |")
        w("|---|---|---|---|---|---|")
        for k, v in run.items():
            w(f"| {k} | {ms(v['median'])} | {ms(v['p10'])} | {ms(v['p90'])} | "
              f"{ms(v['cpu_median'])} | {ratio(run['berth']['median'], v['median'])} |")
        w("")


def main():
    if sys.argv[1] == "--summary":
        summary(json.load(open(sys.argv[2])))
        return
    r = json.load(open(sys.argv[1]))
    m = r["machine"]
    out = []
    w = out.append
    w("# berth benchmark results\n")
    w("Produced by `bench/run.sh` (see it for the method); `bench/results.json` holds the raw "
      "numbers, `bench/run_latency.png` the per-container run latencies. Benchmarks are not "
      "tests: nothing asserts a time.\n")
    w(f"- date: {r['date']}")
    w(f"- machine: {m['cpu']}, {m['cores']} cores, {m['mem_mb']} MiB, kernel {m['kernel']}")
    w("- versions: " + "; ".join(f"{k}: {v}" for k, v in r["versions"].items()))
    w("- berth: release build, static musl (`scripts/setup-build.sh build-bench --buildtype=release`)")
    w("- config: `berth spec` with terminal false, args [\"/bin/true\"], no "
      "linux.resources.devices, ociVersion 1.0.2 (crun 1.8.1 refuses 1.3.0); busybox rootfs; "
      "all inside `unshare -m --propagation private` with /sys/fs/cgroup/unified bind-mounted "
      "over /sys/fs/cgroup (crun refuses the hybrid layout); every runtime's --root on a tmpfs (as /run "
      "is on most hosts; on this one /run is on ext4 mounted with discard, where deleting a state "
      "file waits for the disk)")
    w("- floor: `bench/floor.c` — clone into pid, net, ipc, uts, mount, cgroup namespaces, bind + "
      "pivot_root into the rootfs, mount /proc, exec /bin/true, reap")
    w("- every timed command's exit status and output are checked; runtimes interleaved "
      "(A B C A B C ...); times are wall clock from posix_spawn to wait4 (`bench/tspawn.c`)")
    w("- the machine is shared: other jobs (test suites) may run meanwhile; interleaving spreads "
      "that noise over all runtimes alike, p10/p90 show it\n")
    w(f"Targets: {TARGETS}.\n")
    if "run" in r:
        run = r["run"]
        w(f"## run latency (N={r['n']} each, milliseconds)\n")
        w("cpu: median user+system time of the command and the processes it reaped (wait4 "
          "rusage); less sensitive to the machine's load than wall time.\n")
        w("| runtime | median | p10 | p90 | cpu | berth / this |")
        w("|---|---|---|---|---|---|")
        for k, v in run.items():
            cpu = ms(v["cpu_median"]) if "cpu_median" in v else "-"
            w(f"| {k} | {ms(v['median'])} | {ms(v['p10'])} | {ms(v['p90'])} | {cpu} | "
              f"{ratio(run['berth']['median'], v['median'])} |")
        b = run["berth"]["median"]
        w("")
        if "crun" not in run or "runc" not in run:
            print("\n".join(out))
            return
        w(f"Ratios of medians: berth/crun **{ratio(b, run['crun']['median'])}** (target <= 0.5x), "
          f"berth/runc **{ratio(b, run['runc']['median'])}**, "
          f"berth/floor **{ratio(b, run['floor']['median'])}** (target <= 2.5x).\n")
        met = lambda ok: "met" if ok else "**not met**"
        rss = r.get("rss_kb", {}).get("berth")
        w("Targets in this run: run latency <= 0.5x crun: "
          f"{met(b <= 0.5 * run['crun']['median'])}; <= 2.5x floor: "
          f"{met(b <= 2.5 * run['floor']['median'])}; peak RSS <= 2048 KiB: "
          f"{met(rss is not None and rss <= 2048)}.\n")
    if "lifecycle" in r:
        lc = r["lifecycle"]
        w("## create / start / delete / exec (medians, milliseconds)\n")
        w("`start` of a created /bin/true container; `delete` once it stopped; `exec /bin/true` "
          "into a running `sleep`.\n")
        ops = ("create", "start", "delete", "exec")
        w("| runtime | " + " | ".join(ops) + " |")
        w("|---|" + "---|" * len(ops))
        for k, v in lc.items():
            w(f"| {k} | " + " | ".join(ms(v[o]["median"]) for o in ops) + " |")
        if "crun" in lc and "runc" in lc:
            w("| berth/crun | " + " | ".join(
                ratio(lc["berth"][o]["median"], lc["crun"][o]["median"]) for o in ops) + " |")
            w("| berth/runc | " + " | ".join(
                ratio(lc["berth"][o]["median"], lc["runc"][o]["median"]) for o in ops) + " |")
        w("")
    if "rss_kb" in r or "syscalls" in r:
        w("## peak RSS and syscalls of one run\n")
        w("Peak RSS: `/usr/bin/time -f %M` of `run` (the largest process it waited for), median "
          "of 5. Syscalls: total of `strace -c -f` over one `run` (all processes).\n")
        w("| runtime | peak RSS (KiB) | syscalls |")
        w("|---|---|---|")
        for k in ("berth", "crun", "runc", "floor"):
            rss = r.get("rss_kb", {}).get(k, "-")
            sc = r.get("syscalls", {}).get(k, "-")
            w(f"| {k} | {rss} | {sc} |")
        w("")
    if "parallel_per_s" in r:
        p = r["parallel_per_s"]
        w("## 32 parallel runs (containers per second, median of rounds)\n")
        w("| runtime | runs/s | berth / this |")
        w("|---|---|---|")
        for k, v in p.items():
            w(f"| {k} | {v:.1f} | {ratio(p['berth'], v)} |")
        w("")
    if "scale" in r:
        w(f"## scale: {r['scale_count']} created containers (medians, milliseconds)\n")
        w("`list`, `state` of one container and a new `create`, with no other container and with "
          f"{r['scale_count']} created (parked) ones. runc is not measured here.\n")
        w("| runtime | list empty | list full | state empty | state full | create empty | "
          "create full | fill (s) |")
        w("|---|---|---|---|---|---|---|---|")
        for k, v in r["scale"].items():
            e, f = v["empty"], v["full"]
            w(f"| {k} | {ms(e['list']['median'])} | {ms(f['list']['median'])} | "
              f"{ms(e['state']['median'])} | {ms(f['state']['median'])} | "
              f"{ms(e['create']['median'])} | {ms(f['create']['median'])} | "
              f"{v['fill_seconds']:.1f} |")
        w("")
    if "vm" in r:
        vm_section(r["vm"], w)
    if "criu" in r:
        criu_section(r["criu"], w)
    if len(sys.argv) > 2:
        w(open(sys.argv[2]).read())
    print("\n".join(out))


if __name__ == "__main__":
    main()

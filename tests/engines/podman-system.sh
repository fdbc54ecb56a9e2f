#!/bin/bash
# podman's own system tests (Debian's podman 4.3.1: test/system/*.bats, run by Debian's bats)
# against OCI runtimes, side by side: every file once per runtime, then a table per file of
# passed/failed/skipped for each runtime, and the tests that pass on the first runtime (the
# reference, runc) but not on another.
#
#   tests/engines/podman-system.sh [RUNTIME...] [-- FILE...]
#       RUNTIME: runc (/usr/sbin/runc), berth ($BERTH, default build/src/berth) or a path;
#       default: runc berth. FILE: 030-run.bats, 030-run or 030; default: all of them.
#   tests/engines/podman-system.sh --report [RUNTIME...] [-- FILE...]
#       only the table, from the results of earlier runs (runtimes run one at a time, in
#       parallel or on another day)
#   tests/engines/podman-system.sh --ci
#       berth only, the runtime-relevant files (CI_FILES below); a test listed in
#       tests/engines/podman-system.skip (it fails on runc here too, or it is one of the few
#       slowest, reason "time: ...") is skipped with its reason.
#       Last line: "N passed, M failed, K skipped".
#
# Results (TAP output per runtime and file, table.txt, compare.txt) go to
# build/podman-system/results/; podman's sources are fetched once into build/podman-system/
# (apt-get source; never committed). Each runtime gets its own podman storage, runroot and
# containers.conf under one temporary directory; podman runs with --cgroup-manager=cgroupfs
# --events-backend=file and this host's ulimits (containers.conf default_ulimits). The test
# image (quay.io/libpod/testimage as test/system/build-testimage makes it) is built from
# Debian's busybox-static and served, with the registry image 150-login.bats runs and
# k8s.gcr.io/pause:3.5, by Debian's docker-registry on 127.0.0.1 and a free port, as quay.io
# and k8s.gcr.io (registries.conf); it and everything else started here is stopped by pid at
# the end, also on failure or interruption.
#
# Environment: BERTH, PODMAN_SYSTEM_FILE_TIMEOUT (seconds per file and runtime, default 1800),
# PODMAN_SYSTEM_RESULTS (results directory).
set -uo pipefail

SELF=$(realpath "$0")
# what this run executes (the file may be edited while it runs): the image cache's key
SELF_SUM=$(sha256sum < "$SELF")
cd "$(dirname "$SELF")/../.."
REPO=$(pwd)
CACHE=$REPO/build/podman-system
RESULTS=${PODMAN_SYSTEM_RESULTS:-$CACHE/results}
SKIP_LIST=$REPO/tests/engines/podman-system.skip
FILE_TIMEOUT=${PODMAN_SYSTEM_FILE_TIMEOUT:-1800}
# the runtime-relevant files, as named in podman 4.3.1: all 19 areas of issue 12. Seconds each
# took on berth (dev build) at this 2-core machine's shared load (load 3-7), before the "time:"
# skips of podman-system.skip (030-run -40 s, 160-volumes -15, 500-networking -20):
#   030-run 244, 035-logs 71, 040-ps 29, 045-start, 050-stop 72, 055-rm, 060-mount 31,
#   075-exec, 080-pause, 130-kill, 160-volumes 80, 170-run-userns 16, 190-run-ipcns, 200-pod,
#   220-healthcheck 3, 280-update, 420-cgroups 1, 450-interactive, 500-networking 109
#   (the 9 unnumbered ones: 142 s together); about 12 minutes in all, 20 at load 9-12.
# 220-healthcheck and 420-cgroups have every test skipped here (they need systemd).
CI_FILES=(030-run 035-logs 040-ps 045-start 050-stop 055-rm 060-mount 075-exec 080-pause 130-kill
          160-volumes 170-run-userns 190-run-ipcns 200-pod 220-healthcheck 280-update 420-cgroups
          450-interactive 500-networking)
PKGS=(podman conmon runc bats docker-registry busybox-static containernetworking-plugins iptables
      buildah jq openssl apache2-utils socat slirp4netns ncat)

log() { echo "podman-system: $*" >&2; }
die() { log "$*"; exit 1; }

ci=0
report=0
runtimes=()
files=()
while (($#)); do
    case "$1" in
        --ci) ci=1 ;;
        --report) report=1 ;;
        --) shift; files=("$@"); break ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) runtimes+=("$1") ;;
    esac
    shift
done
if ((ci)); then
    ((${#runtimes[@]})) || runtimes=(berth)
    ((${#files[@]})) || files=("${CI_FILES[@]}")
fi
((${#runtimes[@]})) || runtimes=(runc berth)
((report)) || [ "$(id -u)" -eq 0 ] || die "needs root (podman as root, its own storage)"

# -- packages and podman's tests ----------------------------------------------------------------
# report_table RUNTIME_NAME... -- FILE...: the table (and compare.txt) from $RESULTS
report_table() {
    python3 - "$RESULTS" "$ci" "$@" <<'PY'
import os, re, sys
results, ci = sys.argv[1], sys.argv[2] == "1"
sep = sys.argv.index("--")
rts, files = sys.argv[3:sep], [f[:-5] for f in sys.argv[sep + 1:]]
# bats --timing: "ok 1 NAME in 123ms[ # skip REASON]"
TAP = re.compile(r"^(ok|not ok) \d+ (.*?)(?: in \d+ms)?( # skip(?: (.*))?)?$")

def parse(path):
    res = {}
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return res
    for l in lines:
        m = TAP.match(l)
        if m:
            name = m.group(2)
            st = "failed" if m.group(1) == "not ok" else "skipped" if m.group(3) else "passed"
            res[name] = (st, m.group(4) or "")
    return res

tab = {(f, r): parse(os.path.join(results, r, f + ".tap")) for f in files for r in rts}
def count(d, st): return sum(1 for v in d.values() if v[0] == st)
def secs(f, r):
    try: return int(open(os.path.join(results, r, f + ".seconds")).read())
    except (OSError, ValueError): return 0

out = []
if ci:
    tot = {"passed": 0, "failed": 0, "skipped": 0}
    for f in files:
        for r in rts:
            for name, (st, why) in tab[(f, r)].items():
                tot[st] += 1
                if st == "failed":
                    print(f"  FAILED {f}: {name}", file=sys.stderr)
    w = max(len(f) for f in files)
    for f in files:
        d = tab[(f, rts[0])]
        out.append(f"{f:<{w}}  {count(d, 'passed'):4} passed {count(d, 'failed'):4} failed "
                   f"{count(d, 'skipped'):4} skipped {secs(f, rts[0]):6} s")
else:
    ref = rts[0]
    w = max(len(f) for f in files)
    head = f"{'file':<{w}}" + "".join(f" | {r + ' p/f/s':>16}" for r in rts)
    head += "".join(f" | {ref + ' ok, ' + r + ' not':>22}" for r in rts[1:]) + " | seconds"
    out += [head, "-" * len(head)]
    sums = {r: [0, 0, 0] for r in rts}
    regress = []
    for f in files:
        row = f"{f:<{w}}"
        for r in rts:
            d = tab[(f, r)]
            c = [count(d, s) for s in ("passed", "failed", "skipped")]
            sums[r] = [a + b for a, b in zip(sums[r], c)]
            row += f" | {'%d/%d/%d' % tuple(c):>16}"
        for r in rts[1:]:
            bad = [n for n, (st, _) in tab[(f, ref)].items()
                   if st == "passed" and tab[(f, r)].get(n, ("missing",))[0] != "passed"]
            regress += [(f, r, n, tab[(f, r)].get(n, ("missing", ""))) for n in bad]
            row += f" | {len(bad):>22}"
        row += " | " + "/".join(str(secs(f, r)) for r in rts)
        out.append(row)
    out.append("-" * len(head))
    out.append(f"{'total':<{w}}" + "".join(f" | {'%d/%d/%d' % tuple(sums[r]):>16}" for r in rts))
    cmp = []
    for f, r, n, (st, why) in regress:
        cmp.append(f"{ref} passed, {r} {st}: {f} | {n}")
    cmp.append("")
    for f in files:
        for n, (st, why) in tab[(f, ref)].items():
            if st != "passed":
                cmp.append(f"{ref} {st}: {f} | {n}" + (f" | {why}" if why else ""))
    open(os.path.join(results, "compare.txt"), "w").write("\n".join(cmp) + "\n")
open(os.path.join(results, "table.txt"), "w").write("\n".join(out) + "\n")
print("\n".join(out))
if ci:
    print(f"{tot['passed']} passed, {tot['failed']} failed, {tot['skipped']} skipped")
    sys.exit(1 if tot["failed"] else 0)
print(f"\ndetails: {results}/compare.txt (per test), {results}/<runtime>/<file>.tap")
# exit 1 when a test passes on the reference runtime and not on another
sys.exit(1 if regress else 0)
PY
}

missing=()
for p in "${PKGS[@]}"; do
    ((report)) && break
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})) && ! ((report)); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" \
        >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null &&
          apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" \
              >/dev/null; } || die "apt-get install ${missing[*]} failed"
fi

# the test/system of the podman installed (its source package is libpod)
PODMAN_VERSION=$(dpkg-query -W -f='${Version}' podman)
SRC=$CACHE/src-${PODMAN_VERSION//[:+~]/_}
if [ ! -f "$SRC/helpers.bash" ]; then
    ((report)) && die "no podman sources in $SRC: nothing was run"
    scripts/deb-src.sh podman || die "no source package for podman"
    mkdir -p "$CACHE" && dl=$(mktemp -d "$CACHE/dl.XXXXXX") || die "cannot make $CACHE/dl.*"
    log "fetching podman's sources ($PODMAN_VERSION)"
    (cd "$dl" && apt-get source -q --download-only "podman=$PODMAN_VERSION" >/dev/null 2>&1 ||
        apt-get source -q --download-only podman >/dev/null 2>&1) || { rm -rf "$dl"; die "apt-get source podman failed"; }
    # Debian's patches do not touch test/system: the upstream tarball's copy is the one
    rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp"
    tar -xf "$dl"/*.orig.tar.* -C "$SRC.tmp" --strip-components=3 --wildcards '*/test/system/*' ||
        { rm -rf "$dl" "$SRC.tmp"; die "no test/system in podman's source"; }
    rm -rf "$dl" "$SRC" && mv "$SRC.tmp" "$SRC"
fi
TAG=$(sed -n 's/^PODMAN_TEST_IMAGE_TAG=.*:-"\([0-9]*\)"}$/\1/p' "$SRC/helpers.bash")
NONLOCAL_TAG=$(sed -n 's/^PODMAN_NONLOCAL_IMAGE_TAG=.*:-"\([0-9]*\)"}$/\1/p' "$SRC/helpers.bash")
[ -n "$TAG" ] && [ -n "$NONLOCAL_TAG" ] || die "cannot read the test image's tags from helpers.bash"

# FILE arguments -> paths of .bats files
all_files=()
if ((${#files[@]})); then
    for f in "${files[@]}"; do
        f=${f%.bats}
        m=("$SRC/$f".bats "$SRC/$f"-*.bats)
        found=
        for x in "${m[@]}"; do [ -f "$x" ] && { all_files+=("$(basename "$x")"); found=1; break; }; done
        [ -n "$found" ] || die "no test file $f in $SRC"
    done
else
    for x in "$SRC"/*.bats; do all_files+=("$(basename "$x")"); done
fi

# RUNTIME arguments -> name=path
declare -A rt_path=()
rt_names=()
for r in "${runtimes[@]}"; do
    case "$r" in
        runc) p=/usr/sbin/runc ;;
        berth) p=${BERTH:-$REPO/build/src/berth} ;;
        *) p=$r ;;
    esac
    case "$p" in /*) ;; *) p=$REPO/$p ;; esac
    ((report)) || [ -x "$p" ] || die "runtime $r: no executable $p"
    n=$(basename "$p")
    [ -z "${rt_path[$n]:-}" ] || die "two runtimes named $n"
    rt_path[$n]=$p
    rt_names+=("$n")
done

if ((report)); then
    report_table "${rt_names[@]}" -- "${all_files[@]}"
    exit
fi

# -- the work directory, the daemons, cleanup ----------------------------------------------------
W=$(mktemp -d /tmp/podsys.XXXXXX)
REG_PID=
BATS_PID=
cleanup() {
    local n
    # bats (through timeout, which passes the signal on), then what it left
    if [ -n "$BATS_PID" ]; then
        kill "$BATS_PID" 2>/dev/null
        wait "$BATS_PID" 2>/dev/null
    fi
    for n in "${rt_names[@]}"; do
        [ -x "$W/$n/podman" ] || continue
        timeout 120 "$W/$n/podman" pod rm -a -f -t 0 >/dev/null 2>&1
        timeout 120 "$W/$n/podman" rm -a -f -t 0 >/dev/null 2>&1
        timeout 120 "$W/$n/podman" system reset -f >/dev/null 2>&1
    done
    [ -d "$W/build" ] && timeout 120 "$W/build/podman" system reset -f >/dev/null 2>&1
    [ -d "$W/login" ] && timeout 120 podman --root "$W/login/root" --runroot "$W/login/runroot" \
        --storage-driver=vfs system reset -f >/dev/null 2>&1
    if [ -n "$REG_PID" ]; then
        kill "$REG_PID" 2>/dev/null
        wait "$REG_PID" 2>/dev/null
    fi
    # mounts left below the work directory (deepest first)
    awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
# bats runs in the background and is waited for: a signal ends the run at once
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PORT=$(free_port)
REG=127.0.0.1:$PORT
mkdir -p "$W/registry"
IMG_KEY=$( { echo "$SELF_SUM"; cat /bin/busybox /usr/bin/docker-registry; } | sha256sum | cut -c1-16)
if [ -f "$CACHE/registry-$IMG_KEY/.complete" ]; then
    cp -a "$CACHE/registry-$IMG_KEY" "$W/registry/data"
    log "test images from $CACHE/registry-$IMG_KEY, registry on $REG"
fi
cat > "$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $W/registry/data
  delete:
    enabled: true
http:
  addr: $REG
EOF
docker-registry serve "$W/registry/config.yml" >"$W/registry/log" 2>&1 &
REG_PID=$!
for _ in $(seq 50); do
    { exec 9<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null && { exec 9>&-; break; }
    sleep 0.2
done
kill -0 "$REG_PID" 2>/dev/null || { cat "$W/registry/log" >&2; die "docker-registry did not start"; }

# quay.io is served by the local registry: the tests use the image names they were written
# for (PODMAN_TEST_IMAGE_REGISTRY=127.0.0.1:PORT would not do: buildah names a working
# container after what precedes the first ':', "127.0.0.1-working-container")
cat > "$W/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
prefix = "quay.io"
location = "$REG"
insecure = true
[[registry]]
prefix = "k8s.gcr.io"
location = "$REG"
insecure = true
[[registry]]
location = "$REG"
insecure = true
EOF

# setup_podman NAME RUNTIME: $W/NAME/podman runs podman with its own storage, runroot, tmpdir,
# network config dir and containers.conf, and RUNTIME (the runtime, tmpdir and network config
# dir as flags, so that a test's own CONTAINERS_CONF does not change them)
setup_podman() {
    local n=$1 rt=$2 d=$W/$1
    mkdir -p "$d/tmp" "$d/net" "$d/bats-tmp"
    cat > "$d/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$d/root"
runroot = "$d/runroot"
EOF
    cat > "$d/containers.conf" <<EOF
[containers]
# root has no CAP_SYS_RESOURCE here: nofile above 20000 cannot be set
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    cat > "$d/podman" <<EOF
#!/bin/sh
export CONTAINERS_STORAGE_CONF="\${CONTAINERS_STORAGE_CONF:-$d/storage.conf}"
export CONTAINERS_CONF="\${CONTAINERS_CONF:-$d/containers.conf}"
export CONTAINERS_REGISTRIES_CONF="\${CONTAINERS_REGISTRIES_CONF:-$W/registries.conf}"
exec /usr/bin/podman --runtime "$rt" --cgroup-manager=cgroupfs --events-backend=file \\
    --tmpdir "$d/tmp" --network-config-dir "$d/net" "\$@"
EOF
    chmod +x "$d/podman"
}

# -- the test images ---------------------------------------------------------------------------
# quay.io/libpod/testimage:TAG as build-testimage makes it (alpine + busybox-extras there; a
# busybox-static userland here), pushed as $REG/libpod/testimage:TAG and :NONLOCAL_TAG, which
# podman pulls as quay.io/libpod/testimage:... (registries.conf)
build_images() {
    local b=$W/build r=$W/build/rootfs a
    setup_podman build /usr/sbin/runc
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,home/podman,root,tmp,var/tmp,proc,sys,dev,run}
    chmod 1777 "$r/tmp" "$r/var/tmp"
    cp /bin/busybox "$r/bin/busybox"
    for a in $(/bin/busybox --list-full); do
        [ -e "$r/$a" ] || [ -L "$r/$a" ] || ln -s /bin/busybox "$r/$a"
    done
    ln -sf busybox "$r/bin/busybox-extras"
    # alpine's, which Debian's busybox lacks: printenv (an applet there; coreutils' and the
    # libraries it links here: a script would see the variables its shell sets), /etc/mtab
    local f
    cp /usr/bin/printenv "$r/usr/bin/printenv"
    for f in $(ldd /usr/bin/printenv | grep -o '/[^ ]*'); do
        mkdir -p "$r$(dirname "$f")" && cp -L "$f" "$r$f"
    done
    ln -s ../usr/bin/printenv "$r/bin/printenv"
    ln -s ../proc/mounts "$r/etc/mtab"
    printf '%s\n' 'NAME="podman testimage stand-in"' 'ID=busybox' \
        "PRETTY_NAME=\"busybox $(/bin/busybox | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')\"" \
        > "$r/etc/os-release"
    cat > "$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
man:x:13:15:man:/usr/man:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
EOF
    cat > "$r/etc/group" <<'EOF'
root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin,adm
adm:x:4:root,adm,daemon
tty:x:5:
disk:x:6:root,adm
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
mail:x:12:mail
news:x:13:news
man:x:15:man
cron:x:16:cron
ftp:x:21:
sshd:x:22:
games:x:35:
www-data:x:82:
users:x:100:games
ntp:x:123:
nogroup:x:65533:
nobody:x:65534:
EOF
    echo "$TAG" > "$r/home/podman/testimage-id"
    # the 'run --tz' test reads this timestamp
    touch --date=@1600000000 "$r/home/podman/testimage-id"
    cat > "$r/home/podman/pause" <<'EOF'
#!/bin/sh
#
# Trivial little pause script, used in one of the pod tests
#
echo Confirmed: testimage pause invoked as $0
while :; do
    sleep 0.1
done
EOF
    chmod 755 "$r/home/podman/pause"
    tar -C "$r" -cf "$b/rootfs.tar" . || return 1
    # two builds, as build-testimage: --timestamp would clobber testimage-id's mtime
    printf 'FROM scratch\nADD rootfs.tar /\n' > "$b/Containerfile1"
    cat > "$b/Containerfile2" <<EOF
FROM localhost/interim-image:latest
LABEL created_by=test/system/build-testimage
LABEL created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
WORKDIR /home/podman
CMD ["/bin/echo", "This container is intended for podman CI testing"]
EOF
    local img=$REG/libpod/testimage
    "$b/podman" build -q -f "$b/Containerfile1" -t interim-image "$b" >/dev/null &&
    "$b/podman" build -q --timestamp="$(date +%s)" -f "$b/Containerfile2" -t "$img:$TAG" "$b" >/dev/null &&
    "$b/podman" push -q "$img:$TAG" || return 1
    # :NONLOCAL_TAG (busybox there) must be another image: 'run --rmi' removes it, which an
    # image with a second tag would only lose the tag
    printf 'FROM localhost/interim-image:latest\nCMD ["sh"]\n' > "$b/Containerfile4" &&
    "$b/podman" build -q -f "$b/Containerfile4" -t "$img:$NONLOCAL_TAG" "$b" >/dev/null &&
    "$b/podman" push -q "$img:$NONLOCAL_TAG" || return 1
    # k8s.gcr.io/pause:3.5, which 200-pod.bats names as an --infra-image
    printf 'FROM localhost/interim-image:latest\nENTRYPOINT ["/home/podman/pause"]\n' > "$b/Containerfile5" &&
    "$b/podman" build -q -f "$b/Containerfile5" -t "$REG/pause:3.5" "$b" >/dev/null &&
    "$b/podman" push -q "$REG/pause:3.5" || return 1

    # 150-login.bats runs $REG/libpod/registry:2.8 (docker.io's registry there): Debian's
    # docker-registry and the libc it links
    local g=$b/regroot f
    mkdir -p "$g/bin" "$g/etc/docker/registry" "$g/var/lib/registry" "$g/tmp"
    cp /usr/bin/docker-registry "$g/bin/registry"
    for f in $(ldd /usr/bin/docker-registry | grep -o '/[^ ]*'); do
        mkdir -p "$g$(dirname "$f")" && cp -L "$f" "$g$f"
    done
    cat > "$g/etc/docker/registry/config.yml" <<'EOF'
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
EOF
    tar -C "$g" -cf "$b/regroot.tar" . &&
    printf 'FROM scratch\nADD regroot.tar /\nEXPOSE 5000\nENTRYPOINT ["/bin/registry"]\nCMD ["serve", "/etc/docker/registry/config.yml"]\n' \
        > "$b/Containerfile3" &&
    "$b/podman" build -q -f "$b/Containerfile3" -t "$REG/libpod/registry:2.8" "$b" >/dev/null &&
    "$b/podman" push -q "$REG/libpod/registry:2.8"
}
# the registry's storage with the images is kept in build/podman-system/ (about a minute to
# make) until this script, busybox or docker-registry change; each run works on a copy
IMG_CACHE=$CACHE/registry-$IMG_KEY
if [ ! -f "$IMG_CACHE/.complete" ]; then
    log "building the test images, registry on $REG"
    build_images || die "building the test images failed"
    # (two runs at once: the first one's copy stays)
    for old in "$CACHE"/registry-*; do
        case $old in "$IMG_CACHE" | "$CACHE"/registry-tmp.*) ;; *) rm -rf "$old" ;; esac
    done
    tmp=$(mktemp -d "$CACHE/registry-tmp.XXXXXX") &&
        cp -a "$W/registry/data/." "$tmp/" && touch "$tmp/.complete" &&
        { mv -T "$tmp" "$IMG_CACHE" 2>/dev/null || rm -rf "$tmp"; }
fi

# -- the bats files, as run (--ci: the known runc failures skipped) ------------------------------
T=$W/tests
cp -a "$SRC" "$T"
if ((ci)) && [ -f "$SKIP_LIST" ]; then
    # "FILE | TEST NAME | REASON": a skip as the test's first line
    while IFS='|' read -r f name reason; do
        f=$(echo "$f" | sed 's/^ *//; s/ *$//'); name=$(echo "$name" | sed 's/^ *//; s/ *$//')
        reason=$(echo "$reason" | sed 's/^ *//; s/ *$//')
        [ -z "$f" ] || [ "${f:0:1}" = "#" ] && continue
        [ -f "$T/$f.bats" ] || continue
        # "time: ..." (a slow test CI leaves out), else a test that fails on runc here too
        case $reason in
            time:*) reason="left out of CI for time:${reason#time:}" ;;
            *) reason="fails on runc here too: $reason" ;;
        esac
        F=$f NAME=$name REASON=$reason python3 - "$T/$f.bats" <<'PY' ||
import os, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
head = '@test "%s" {' % os.environ["NAME"]
hits = [i for i, l in enumerate(lines) if l.strip() == head]
if not hits:
    sys.exit(1)
reason = os.environ["REASON"].replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
for i in reversed(hits):
    lines.insert(i + 1, '    skip "%s"' % reason)
open(p, "w").write("\n".join(lines))
PY
            log "skip list: no test \"$name\" in $f.bats"
    done < "$SKIP_LIST"
fi

# -- run -----------------------------------------------------------------------------------------
for n in "${rt_names[@]}"; do
    setup_podman "$n" "${rt_path[$n]}"
    rm -rf "${RESULTS:?}/$n"
    mkdir -p "$RESULTS/$n"
done
t_start=$SECONDS
for f in "${all_files[@]}"; do
    for n in "${rt_names[@]}"; do
        t0=$SECONDS
        (
            cd "$T" &&
            # buildah, which some tests run, too: the same storage and registries
            PODMAN=$W/$n/podman TMPDIR=$W/$n/bats-tmp \
                CONTAINERS_STORAGE_CONF=$W/$n/storage.conf CONTAINERS_REGISTRIES_CONF=$W/registries.conf \
                exec timeout -k 30 "$FILE_TIMEOUT" bats --tap --timing "$f"
        ) > "$RESULTS/$n/${f%.bats}.tap" 2>&1 < /dev/null &
        BATS_PID=$!
        wait "$BATS_PID"
        rc=$?
        BATS_PID=
        ((rc == 124 || rc == 137)) && echo "not ok 9999 $f: timed out after ${FILE_TIMEOUT}s" \
            >> "$RESULTS/$n/${f%.bats}.tap"
        echo "$((SECONDS - t0))" > "$RESULTS/$n/${f%.bats}.seconds"
        log "$n $f: $(grep -c '^ok' "$RESULTS/$n/${f%.bats}.tap") ok, $(grep -c '^not ok' \
            "$RESULTS/$n/${f%.bats}.tap") not ok, $((SECONDS - t0)) s"
        # what a file leaves behind stays out of the next one
        timeout 120 "$W/$n/podman" pod rm -a -f -t 0 >/dev/null 2>&1
        timeout 120 "$W/$n/podman" rm -a -f -t 0 >/dev/null 2>&1
    done
done
log "all files: $((SECONDS - t_start)) s"

# -- report --------------------------------------------------------------------------------------
report_table "${rt_names[@]}" -- "${all_files[@]}"

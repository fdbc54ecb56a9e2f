#!/bin/bash
# Build berth and run a busybox container from /tmp/berth-demo, showing that it gets its own
# hostname, pid 1 and namespaces. Run as root on Debian 12. The bundle stays: README's Usage
# walk-through copies its rootfs (DEMO_DIR/rootfs, a busybox-static rootfs).
#   DEMO_DIR=DIR     where the bundle goes (default /tmp/berth-demo)
#   BUILD_DIR=DIR    the meson build directory (default build)
#   BERTH_BIN=PATH   use this berth binary and build nothing (the test suite does, so that a
#                    test never rebuilds the binary under test)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
DEMO=${DEMO_DIR:-/tmp/berth-demo}
BUILD=${BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
BERTH=${BERTH_BIN:-$BUILD/src/berth}

PKGS=(meson ninja-build pkg-config gcc libyajl-dev libseccomp-dev libcap-dev
      busybox-static)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if [ -z "${BERTH_BIN:-}" ]; then
    echo "== building"
    # the first time: the musl libraries (scripts/musl-deps.sh prints a line per library),
    # then berth; 1 to 3 min on a 2-core VM (README "Static musl build")
    [ -f "$BUILD/build.ninja" ] || scripts/setup-build.sh "$BUILD" >/dev/null
    echo "== compiling berth (ninja -C $BUILD)"
    ninja -C "$BUILD" >/dev/null
fi

echo "== making the bundle in $DEMO"
rm -rf "$DEMO"
mkdir -p "$DEMO/rootfs"/{bin,etc,proc,sys,dev,tmp,root}
chmod 1777 "$DEMO/rootfs/tmp"
cp /bin/busybox "$DEMO/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$DEMO/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$DEMO/rootfs/etc/passwd"
printf 'root:x:0:\n' > "$DEMO/rootfs/etc/group"

"$BERTH" spec --bundle "$DEMO"
/usr/bin/python3 - "$DEMO/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c",
    "echo hostname: $(hostname); echo pid: $$; ls -l /proc/self/ns"]
c["hostname"] = "berth-demo"
json.dump(c, open(path, "w"), indent=2)
PY

echo "== the host:"
echo "hostname: $(hostname)"
echo "pid: $$"
ls -l /proc/self/ns

id=berth-demo-$$
echo
echo "== berth --root $DEMO/state run --bundle $DEMO $id"
"$BERTH" --root "$DEMO/state" run --bundle "$DEMO" "$id"
echo
echo "== done: the bundle stays in $DEMO (README's Usage copies $DEMO/rootfs)"

#!/bin/bash
# Builds berth's libraries for musl, so that berth can be a static musl executable (why: README
# "Static musl build"): libyajl_s.a, libseccomp.a and libcap.a from Debian's own source packages
# (apt-get source: Debian's patches, security fixes included, are applied), compiled with
# musl-gcc into PREFIX/lib, their headers into PREFIX/include, with links to the kernel's uapi
# headers (linux/, asm/, asm-generic/), which musl does not ship.
#
#   scripts/musl-deps.sh [PREFIX]     default build-deps/musl; prints PREFIX on success
#
# Needs root the first time (apt-get: musl-tools, gperf, dpkg-dev, a deb-src entry). Does nothing
# when PREFIX already holds a build of the same source versions.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:-$PWD/build-deps/musl}
case "$PREFIX" in /*) ;; *) PREFIX=$PWD/$PREFIX ;; esac
SRC_PKGS=(yajl libseccomp libcap2)

log() { echo "musl-deps: $*" >&2; }
START=$SECONDS
# elapsed: the time since the start, as M:SS
elapsed() { printf '%d:%02d' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)); }

ensure_tools() {
    local missing=()
    for p in musl-tools gperf dpkg-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    scripts/deb-src.sh "${SRC_PKGS[0]}"
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
            >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
    fi
}

ensure_tools
versions=$(for p in "${SRC_PKGS[@]}"; do apt-cache showsrc "$p" | sed -n 's/^Version: //p' | head -1; done | tr '\n' ' ')
stamp="musl $(musl-gcc -dumpversion 2>/dev/null) / $versions"
if [ -f "$PREFIX/.stamp" ] && [ "$(cat "$PREFIX/.stamp")" = "$stamp" ]; then
    echo "$PREFIX"
    exit 0
fi

# measured on the 2-core test VM with other builds running (load average 3 to 4.5): 44 s and
# 64 s, libseccomp's configure and build 34 to 49 s of it; README "Static musl build"
log "building yajl, libseccomp and libcap with musl-gcc into $PREFIX: about 1 min the first" \
    "time, more on a busy machine (later runs reuse it)"
WORK=$(mktemp -d /tmp/berth-musl-deps.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$PREFIX"
mkdir -p "$PREFIX/include/yajl" "$PREFIX/include/sys" "$PREFIX/lib"
ln -s /usr/include/linux "$PREFIX/include/linux"
ln -s /usr/include/asm-generic "$PREFIX/include/asm-generic"
ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$PREFIX/include/asm"
export CC=musl-gcc CFLAGS="-O2 -fPIC -isystem $PREFIX/include"

log "[0/3] fetching ${SRC_PKGS[*]} ($versions) with apt-get source (at $(elapsed))"
(cd "$WORK" && apt-get source -q "${SRC_PKGS[@]}" >/dev/null 2>&1) || {
    log "apt-get source ${SRC_PKGS[*]} failed"
    exit 1
}

log "[1/3] yajl (at $(elapsed))"
y=$(echo "$WORK"/yajl-*/src)
sed -e 's/${YAJL_MAJOR}/2/; s/${YAJL_MINOR}/1/; s/${YAJL_MICRO}/0/' \
    "$y/api/yajl_version.h.cmake" > "$PREFIX/include/yajl/yajl_version.h"
cp "$y"/api/yajl_{common,gen,parse,tree}.h "$PREFIX/include/yajl/"
for f in "$y"/*.c; do
    $CC $CFLAGS -c "$f" -o "$WORK/$(basename "$f" .c).o"
done
ar rcs "$PREFIX/lib/libyajl_s.a" "$WORK"/*.o

log "[2/3] libseccomp, the longest (at $(elapsed))"
s=$(echo "$WORK"/libseccomp-*/)
(cd "$s" && ./configure -q --enable-static --disable-shared --disable-python --prefix="$PREFIX" \
     >/dev/null && make -s -C src >/dev/null 2>&1 && make -s -C include install >/dev/null &&
     make -s -C src install >/dev/null) || { log "libseccomp failed"; exit 1; }
rm -f "$PREFIX"/lib/*.la
rm -rf "$PREFIX/lib/pkgconfig"

log "[3/3] libcap (at $(elapsed))"
c=$(echo "$WORK"/libcap2-*/)
make -s -C "$c/libcap" CC=musl-gcc BUILD_CC=gcc COPTS="$CFLAGS" SHARED=no libcap.a >/dev/null 2>&1 ||
    { log "libcap failed"; exit 1; }
cp "$c/libcap/libcap.a" "$PREFIX/lib/"
cp "$c/libcap/include/sys/capability.h" "$PREFIX/include/sys/"

echo "$stamp" > "$PREFIX/.stamp"
log "done in $(elapsed): $PREFIX"
echo "$PREFIX"

#!/bin/bash
# meson setup for berth's release-style build: a static musl executable (README "Static musl
# build": it starts in a fifth of the time a static glibc one takes on this kind of VM), with
# the libraries scripts/musl-deps.sh builds. Falls back to the glibc build, saying so, when
# musl or the libraries cannot be had (not root, no archive).
#
#   scripts/setup-build.sh BUILD_DIR [meson setup options...]
#   BERTH_LIBC=glibc scripts/setup-build.sh ...     the glibc build, without trying musl
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$1
shift
if [ "${BERTH_LIBC:-musl}" != glibc ]; then
    if prefix=$(scripts/musl-deps.sh); then
        CC=musl-gcc exec meson setup "$BUILD" -Ddeps_prefix="$prefix" "$@"
    fi
    echo "setup-build: the musl libraries could not be built: building with glibc" >&2
fi
exec meson setup "$BUILD" "$@"

#!/bin/bash
# Makes `apt-get source PKG` work: when apt knows no source package PKG, adds a deb-src entry
# for this release's archive (/etc/apt/sources.list.d/berth-deb-src.sources: the source
# packages come from the same archive as the binary ones) and runs apt-get update.
#
#   scripts/deb-src.sh PKG      exits 0 when PKG's source is known (afterwards), 1 otherwise
#
# Needs root only when the entry has to be added. Used by scripts/musl-deps.sh and
# tests/engines/podman-system.sh.
set -euo pipefail
PKG=${1:?usage: deb-src.sh PKG}
apt-cache showsrc "$PKG" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "deb-src: no source package $PKG known to apt, and not root to add a deb-src entry" >&2
    exit 1
fi
echo "deb-src: adding a deb-src entry (/etc/apt/sources.list.d/berth-deb-src.sources)" >&2
suites=$(. /etc/os-release && echo "$VERSION_CODENAME $VERSION_CODENAME-updates")
cat > /etc/apt/sources.list.d/berth-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suites
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt-get update -q >/dev/null
apt-cache showsrc "$PKG" >/dev/null 2>&1

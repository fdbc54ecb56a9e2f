#!/bin/bash
# The CRIU guest's overlay (guest.conf OVERLAY): the iptables extension directory, which
# iptables-restore dlopens (ldd does not name it), /bin/recvtty (recvtty.c, static), the
# console-socket receiver, and podman's /etc/containers/policy.json (accept anything: `podman
# import` of a local tarball checks it).
#   tests/vm/criu/mkoverlay.sh OUT.cpio.gz
set -euo pipefail
out=$1
x=/usr/lib/x86_64-linux-gnu/xtables
[ -d "$x" ] || { echo "mkoverlay: no $x (package iptables)" >&2; exit 1; }
stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-overlay.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage$x"
cp -L "$x"/*.so "$stage$x/"
mkdir -p "$stage/bin" "$stage/etc/containers"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "$stage/etc/containers/policy.json"
${CC:-cc} -static -O2 -o "$stage/bin/recvtty" "$(dirname "$0")/recvtty.c"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 > "$out"

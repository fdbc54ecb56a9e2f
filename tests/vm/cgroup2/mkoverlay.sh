#!/bin/bash
# The cgroup v2 guest's overlay (guest.conf OVERLAY): uverbs_probe.c, built static, as
# /rootfs/bin/uverbs-probe in the containers' rootfs (the rdma section's charges).
#   tests/vm/cgroup2/mkoverlay.sh OUT.cpio.gz
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-cgroup2.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/rootfs/bin"
${CC:-cc} -static -O2 -Wall -Werror -o "$stage/rootfs/bin/uverbs-probe" "$here/uverbs_probe.c"
# files only: directory entries would reset the modes of the base archive's directories
(cd "$stage" && find . -type f -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 > "$1"

#!/bin/bash
# The SELinux guest's overlay (guest.conf OVERLAY): keylabel.c, built static, as
# /rootfs/bin/keylabel in the containers' rootfs.
#   tests/vm/selinux/mkoverlay.sh OUT.cpio.gz
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-selinux.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/rootfs/bin"
${CC:-cc} -static -O2 -Wall -Werror -o "$stage/rootfs/bin/keylabel" "$here/keylabel.c"
# files only: directory entries would reset the modes of the base archive's directories
(cd "$stage" && find . -type f -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 > "$1"

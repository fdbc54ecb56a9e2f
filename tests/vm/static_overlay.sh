#!/bin/bash
# A guest's OVERLAY archive of small test programs: each C file given, built static, as
# /rootfs/bin/<name> in the containers' rootfs (name: the file's, '_' turned into '-').
#   tests/vm/static_overlay.sh OUT.cpio.gz FILE.c...
set -euo pipefail
out=$1
shift
stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-overlay.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/rootfs/bin"
for c in "$@"; do
    name=$(basename "$c" .c)
    ${CC:-cc} -static -O2 -Wall -Werror -o "$stage/rootfs/bin/${name//_/-}" "$c"
done
# files only: directory entries would reset the modes of the base archive's directories
(cd "$stage" && find . -type f -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 > "$out"

#!/bin/bash
# The SELinux guest's overlay (guest.conf OVERLAY): keylabel.c, built static, as
# /rootfs/bin/keylabel in the containers' rootfs.
#   tests/vm/selinux/mkoverlay.sh OUT.cpio.gz
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../static_overlay.sh" "$1" "$here/keylabel.c"

#!/bin/bash
# The cgroup v2 guest's overlay (guest.conf OVERLAY): uverbs_probe.c, built static, as
# /rootfs/bin/uverbs-probe in the containers' rootfs (the rdma section's charges).
#   tests/vm/cgroup2/mkoverlay.sh OUT.cpio.gz
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../static_overlay.sh" "$1" "$here/uverbs_probe.c"

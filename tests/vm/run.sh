#!/bin/bash
# Boot the cgroup-v2 test guest under qemu (TCG) and run berth's cgroup v2 tests in it.
#
#   tests/vm/run.sh            uses $BERTH (default $BUILD_DIR/src/berth, BUILD_DIR=build)
#
# Installs qemu-system-x86 and linux-image-amd64 when missing (the kernel is only used as a
# file: /boot/vmlinuz-*; the host is not rebooted). The initramfs is rebuilt only when its
# inputs change (cached in $BUILD_DIR/vm/). Prints the guest's lines on stderr and ONE line on
# stdout: "N passed, M failed, K skipped". Exits 0 when the guest reported 0 failed, 77 when
# the guest could not be run (counted as 1 skipped, reason printed), 1 otherwise.
#   VM_TIMEOUT=300   seconds before qemu is killed
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
BERTH=${BERTH:-$BUILD/src/berth}
VMDIR=$BUILD/vm
TIMEOUT=${VM_TIMEOUT:-300}
BUSYBOX=/bin/busybox

log() { echo "vm: $*" >&2; }
skip() {
    log "SKIP the cgroup v2 guest: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
}
fail() {
    log "FAIL: $*"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
}

[ -x "$BERTH" ] || fail "no berth binary at $BERTH"

# -- qemu and a kernel ---------------------------------------------------------------------------
kernel() { ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1; }
need=()
command -v qemu-system-x86_64 > /dev/null || need+=(qemu-system-x86)
[ -n "$(kernel)" ] || need+=(linux-image-amd64)
[ -x "$BUSYBOX" ] || need+=(busybox-static)
command -v cpio > /dev/null || need+=(cpio)
if ((${#need[@]})); then
    [ "$(id -u)" -eq 0 ] || skip "missing ${need[*]} and not root to install them"
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${need[@]}" > /dev/null 2>&1; then
        { apt-get update -q > /dev/null 2>&1 &&
            apt-get install -y -q --no-install-recommends "${need[@]}" > /dev/null 2>&1; } ||
            skip "apt-get install ${need[*]} failed"
    fi
fi
command -v qemu-system-x86_64 > /dev/null || skip "no qemu-system-x86_64"
KERNEL=$(kernel)
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] || skip "no readable kernel in /boot"

# -- the initramfs, rebuilt when an input changed ------------------------------------------------
mkdir -p "$VMDIR"
inputs=("$BERTH" "$BUSYBOX" "$here/init" "$here/guest-tests.sh" "$here/mkinitramfs.sh")
libs=$(ldd "$BERTH" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^\s*\(\/[^ ]*\) (0x.*/\1/p')
key=$( { sha256sum "${inputs[@]}" $libs | cut -d' ' -f1
         grep -rls 'BPF_CGROUP_DEVICE' "$repo/libcontainer" 2>/dev/null; } | sha256sum | cut -d' ' -f1)
INITRD=$VMDIR/initramfs.cpio.gz
if [ ! -f "$INITRD" ] || [ "$(cat "$VMDIR/initramfs.key" 2>/dev/null)" != "$key" ]; then
    log "building $INITRD"
    "$here/mkinitramfs.sh" "$INITRD" "$BERTH" "$BUSYBOX" || fail "mkinitramfs.sh failed"
    echo "$key" > "$VMDIR/initramfs.key"
fi

# -- boot ----------------------------------------------------------------------------------------
CONSOLE=$VMDIR/console.log
log "booting $(basename "$KERNEL") under qemu (tcg), timeout ${TIMEOUT}s"
start=$(date +%s)
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nographic -nic none -no-reboot \
    -kernel "$KERNEL" -initrd "$INITRD" \
    -append 'console=ttyS0 quiet loglevel=3 panic=-1 oops=panic' < /dev/null > "$CONSOLE" 2>&1
qrc=$?
# the console without carriage returns and terminal escapes (the firmware clears the screen)
tr -d '\r' < "$CONSOLE" | sed 's/\x1b[^a-zA-Z]*[a-zA-Z]//g' > "$CONSOLE.txt"
# the guest's own lines (from the BEGIN marker on), else the whole console for diagnosis
if grep -q '^BERTH-VM-BEGIN' "$CONSOLE.txt"; then
    sed -n '/^BERTH-VM-BEGIN/,$p' "$CONSOLE.txt" >&2
else
    tail -n 60 "$CONSOLE.txt" >&2
fi
log "qemu exited $qrc after $(($(date +%s) - start))s"
((qrc == 124 || qrc == 137)) && fail "the guest did not power off within ${TIMEOUT}s"

result=$(sed -n 's/^BERTH-VM-RESULT: \([0-9]* passed, [0-9]* failed, [0-9]* skipped\)$/\1/p' \
    "$CONSOLE.txt" | tail -n 1)
exitline=$(sed -n 's/^BERTH-VM-EXIT: \([0-9]*\)$/\1/p' "$CONSOLE.txt" | tail -n 1)
[ -n "$result" ] || fail "the guest printed no BERTH-VM-RESULT line (exit '${exitline}')"
echo "$result"
failed=$(echo "$result" | sed 's/.* passed, \([0-9]*\) failed.*/\1/')
[ "$failed" = 0 ] && [ "$exitline" = 0 ] && exit 0
exit 1

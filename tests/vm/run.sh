#!/bin/bash
# Boot the test guests under qemu (TCG) one after the other and run berth's tests in each.
# A guest is a directory of tests/vm holding guest.conf (kernel command line, host tools to
# copy in: see cgroup2/guest.conf) and tests.sh (run by the guest's /init, helpers in lib.sh):
#   cgroup2    pure cgroup v2, every controller
#   apparmor   AppArmor as the kernel's LSM, a test profile loaded with apparmor_parser
#   selinux    SELinux as the kernel's LSM, a tiny policy built with checkpolicy and loaded
#   systemd    systemd as PID 1 and a dbus-daemon system bus: berth --systemd-cgroup
#   systemd-hybrid   the same on hybrid cgroups (v1 controllers, name=systemd, cgroup2 unified)
#   criu       checkpoint and restore with Debian's criu, on berth and on runc
#
#   tests/vm/run.sh [GUEST...]  every guest by default; uses $BERTH (default
#                               $BUILD_DIR/src/berth, BUILD_DIR=build); a GUEST with a slash
#                               is a guest directory elsewhere (bench/vm.sh boots one so)
#
# Installs qemu-system-x86 and linux-image-amd64 when missing (the kernel is only used as a
# file: /boot/vmlinuz-*; the host is not rebooted), and each guest's PACKAGES. A guest's
# initramfs is rebuilt only when its inputs change (cached in $BUILD_DIR/vm/GUEST/). Prints the
# guests' lines on stderr and ONE line on stdout, the sum over the guests: "N passed, M failed,
# K skipped". A guest that cannot be run (no qemu, a tool that cannot be installed) counts as 1
# skipped, reason printed. Exits 0 when no guest failed, 77 when none could be run, 1 otherwise.
#   VM_TIMEOUT=300   seconds before a guest's qemu is killed
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
    log "SKIP the test guests: $*"
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
# apt_install PACKAGE...: quietly, after apt-get update when the first try fails
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "$@" > /dev/null 2>&1 ||
        { apt-get update -q > /dev/null 2>&1 &&
            apt-get install -y -q --no-install-recommends "$@" > /dev/null 2>&1; }
}
need=()
command -v qemu-system-x86_64 > /dev/null || need+=(qemu-system-x86)
[ -n "$(kernel)" ] || need+=(linux-image-amd64)
[ -x "$BUSYBOX" ] || need+=(busybox-static)
command -v cpio > /dev/null || need+=(cpio)
if ((${#need[@]})); then
    [ "$(id -u)" -eq 0 ] || skip "missing ${need[*]} and not root to install them"
    log "installing ${need[*]}"
    apt_install "${need[@]}" || skip "apt-get install ${need[*]} failed"
fi
command -v qemu-system-x86_64 > /dev/null || skip "no qemu-system-x86_64"
KERNEL=$(kernel)
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] || skip "no readable kernel in /boot"

# exe_files EXE...: each executable and the shared libraries ldd names for it
exe_files() {
    local e
    for e in "$@"; do
        echo "$e"
        ldd "$e" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^\s*\(\/[^ ]*\) (0x.*/\1/p'
    done
}

# guest NAME: builds NAME's initramfs when an input changed, boots it, prints its lines on
# stderr and its "N passed, M failed, K skipped" on stdout; exits as this script does (run in a
# subshell: skip and fail end it)
guest() {
    local dir=$here/$1 vmdir=$VMDIR/$1 t
    # a guest outside tests/vm (bench/vm.sh's) is named by its directory's path
    case "$1" in */*) dir=$(cd "$1" && pwd) && vmdir=$VMDIR/$(basename "$dir") || fail "no guest $1" ;; esac
    local DESCRIPTION=$(basename "$dir") CMDLINE= PACKAGES=() TOOLS=() MODULES=() OVERLAY= tools=()
    local TIMEOUT_MIN=0
    [ -f "$dir/guest.conf" ] || fail "no guest $dir/guest.conf"
    . "$dir/guest.conf"
    # a slow guest's own floor for VM_TIMEOUT (run in a subshell: the others keep theirs)
    ((TIMEOUT < TIMEOUT_MIN)) && TIMEOUT=$TIMEOUT_MIN
    skip() {
        log "SKIP the $DESCRIPTION guest: $*"
        echo "0 passed, 0 failed, 1 skipped"
        exit 77
    }
    for t in "${TOOLS[@]}"; do
        command -v "$t" > /dev/null && continue
        [ "$(id -u)" -eq 0 ] || skip "no $t and not root to install ${PACKAGES[*]}"
        log "installing ${PACKAGES[*]}"
        apt_install "${PACKAGES[@]}" || skip "apt-get install ${PACKAGES[*]} failed: no $t"
        command -v "$t" > /dev/null || skip "no $t after installing ${PACKAGES[*]}"
    done
    for t in "${TOOLS[@]}"; do tools+=("$(command -v "$t")"); done

    # -- the initramfs, rebuilt when an input changed --------------------------------------------
    mkdir -p "$vmdir"
    local key initrd=$vmdir/initramfs.cpio.gz
    key=$( { sha256sum $(exe_files "$BERTH" "${tools[@]}") "$BUSYBOX" "$here/init" \
                 "$here/lib.sh" "$here/mkinitramfs.sh" "$here/static_overlay.sh" | cut -d' ' -f1
             (cd "$dir" && find . -type f | LC_ALL=C sort | xargs sha256sum)
             # an OVERLAY may live in another guest's directory (systemd-hybrid uses systemd's)
             [ -z "$OVERLAY" ] || (cd "$(dirname "$dir/$OVERLAY")" && find . -type f |
                                       LC_ALL=C sort | xargs sha256sum)
             grep -rls 'BPF_CGROUP_DEVICE' "$repo/libcontainer" 2>/dev/null
             echo "$KERNEL ${MODULES[*]}"; } |
           sha256sum | cut -d' ' -f1)
    if [ ! -f "$initrd" ] || [ "$(cat "$vmdir/initramfs.key" 2>/dev/null)" != "$key" ]; then
        log "building $initrd"
        KVER=${KERNEL##*/vmlinuz-} "$here/mkinitramfs.sh" "$initrd" "$BERTH" "$dir" "$BUSYBOX" ||
            fail "mkinitramfs.sh failed"
        if [ -n "$OVERLAY" ]; then
            # the kernel unpacks concatenated archives in order: the overlay's files win
            "$dir/$OVERLAY" "$vmdir/overlay.cpio.gz" || fail "$OVERLAY failed"
            cat "$vmdir/overlay.cpio.gz" >> "$initrd"
        fi
        echo "$key" > "$vmdir/initramfs.key"
    fi
    boot "$vmdir" "$initrd" "$CMDLINE"
}

# boot VMDIR INITRD CMDLINE: runs the guest, prints its result line; exits 0, or 1 on a failure
boot() {
    local CONSOLE=$1/console.log initrd=$2 start qrc
    log "booting $(basename "$KERNEL") under qemu (tcg) for the $DESCRIPTION guest${3:+ ($3)}, timeout ${TIMEOUT}s"
    start=$(date +%s)
    timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nographic -nic none -no-reboot \
        -kernel "$KERNEL" -initrd "$initrd" \
        -append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic${3:+ $3}" < /dev/null > "$CONSOLE" 2>&1
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

    local result exitline failed
    result=$(sed -n 's/^BERTH-VM-RESULT: \([0-9]* passed, [0-9]* failed, [0-9]* skipped\)$/\1/p' \
        "$CONSOLE.txt" | tail -n 1)
    exitline=$(sed -n 's/^BERTH-VM-EXIT: \([0-9]*\)$/\1/p' "$CONSOLE.txt" | tail -n 1)
    [ -n "$result" ] || fail "the guest printed no BERTH-VM-RESULT line (exit '${exitline}')"
    echo "$result"
    failed=$(echo "$result" | sed 's/.* passed, \([0-9]*\) failed.*/\1/')
    [ "$failed" = 0 ] && [ "$exitline" = 0 ] && exit 0
    exit 1
}

# -- every guest, one after the other; the sum of their counts ---------------------------------
guests=("$@")
if ((${#guests[@]} == 0)); then
    for c in "$here"/*/guest.conf; do guests+=("$(basename "$(dirname "$c")")"); done
fi
passed=0 failed=0 skipped=0 anyfail=0
for g in "${guests[@]}"; do
    line=$( (guest "$g") | tail -n 1)
    rc=$?
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        skipped=$((skipped + BASH_REMATCH[3]))
    else
        log "FAIL: the $g guest printed no result line"
        failed=$((failed + 1))
    fi
    ((rc != 0 && rc != 77)) && anyfail=1
done
echo "$passed passed, $failed failed, $skipped skipped"
((failed > 0 || anyfail)) && exit 1
((passed == 0)) && exit 77
exit 0

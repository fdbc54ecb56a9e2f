#!/bin/bash
# Build one test guest's initramfs (cpio newc, gzip). Every guest has the same base:
#   /bin/busybox + applet links      the guest's userland (static)
#   /bin/berth + its shared libs     found by parsing `ldd`, the dynamic loader included
#   /init                            tests/vm/init: tmpfs root, mounts, cgroup2, runs the tests
#   /berth-vm/lib.sh                 tests/vm/lib.sh, the helpers the guests' tests share
#   /rootfs                          the containers' busybox rootfs (shared, read-only use)
#   /etc/berth-vm.conf               what the host knows about this berth build
# and the guest's own (GUEST_DIR, e.g. tests/vm/apparmor):
#   /berth-vm/*                      every file of GUEST_DIR; /berth-vm/tests.sh is run by /init
#   /bin/<tool> + its shared libs    each host command named in guest.conf's TOOLS
#   /lib/modules/<kver>/...          guest.conf's MODULES and their dependencies
#   /etc/berth-vm-modules            those modules' files in load order (lib.sh: load_modules)
#
#   tests/vm/mkinitramfs.sh OUT.cpio.gz BERTH GUEST_DIR [BUSYBOX]
set -euo pipefail

out=$1
berth=$2
guest=$(cd "$3" && pwd)
busybox=${4:-/bin/busybox}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# copies a file to the same path under $stage (following symlinks to the real file)
copy_path() {
    local src=$1 dest=$stage$1
    mkdir -p "$(dirname "$dest")"
    cp -L "$src" "$dest"
}

mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,newroot}
chmod 1777 "$stage/tmp"

# busybox: the guest's shell and tools
cp "$busybox" "$stage/bin/busybox"
for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$stage/bin/$a"
done

# copy_exe SRC NAME: SRC as /bin/NAME and every shared library ldd names, at the paths the
# loader will look for them
copy_exe() {
    local line lib
    rm -f "$stage/bin/$2" # not through a busybox applet link
    cp -L "$1" "$stage/bin/$2"
    while read -r line; do
        # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
        lib=$(printf '%s\n' "$line" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^\(\/[^ ]*\) (0x.*/\1/p')
        [ -n "$lib" ] && copy_path "$lib"
    done < <(ldd "$1" 2>/dev/null || true)
}

copy_exe "$berth" berth
# the guest's tools (guest.conf: TOOLS=(name...), looked up in $PATH)
TOOLS=() MODULES=()
. "$guest/guest.conf"
for t in "${TOOLS[@]}"; do
    copy_exe "$(command -v "$t")" "$t"
done
# the guest's kernel modules (guest.conf: MODULES=(name...)) and their dependencies, from the
# guest kernel's modules.dep (KVER: the kernel run.sh boots, the newest in /boot by default);
# /etc/berth-vm-modules lists them in load order, dependencies first
if ((${#MODULES[@]})); then
    kver=${KVER:-$(ls -1 /boot/vmlinuz-* | sort -V | tail -n 1 | sed 's|.*/vmlinuz-||')}
    mdir=/lib/modules/$kver
    [ -f "$mdir/modules.dep" ] || { echo "mkinitramfs: no $mdir/modules.dep" >&2; exit 1; }
    order=()
    for m in "${MODULES[@]}"; do
        line=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$mdir/modules.dep" | head -n 1)
        [ -n "$line" ] || { echo "mkinitramfs: module $m not in $mdir/modules.dep" >&2; exit 1; }
        deps=(${line#*:})
        # modules.dep lists a module's dependencies with the ones loaded first last
        for ((i = ${#deps[@]} - 1; i >= 0; i--)); do order+=("${deps[i]}"); done
        order+=("${line%%:*}")
    done
    : > "$stage/etc/berth-vm-modules"
    for f in "${order[@]}"; do
        grep -qxF "$mdir/$f" "$stage/etc/berth-vm-modules" && continue
        case "$f" in *.ko) ;; *) echo "mkinitramfs: $f is compressed (busybox insmod takes .ko)" >&2; exit 1 ;; esac
        copy_path "$mdir/$f"
        echo "$mdir/$f" >> "$stage/etc/berth-vm-modules"
    done
fi
# the dynamic loader under its usual names (ldd may print either)
for ld in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; do
    [ -e "$ld" ] && copy_path "$ld"
done

# the containers' rootfs: static busybox, applet links, users (as the conformance suite's)
rfs=$stage/rootfs
mkdir -p "$rfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var,mnt}
chmod 1777 "$rfs/tmp"
cp "$busybox" "$rfs/bin/busybox"
for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$rfs/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    > "$rfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rfs/etc/group"

# what the guest tests need to know about this berth build
ebpf=0
grep -rqs 'BPF_CGROUP_DEVICE' "$repo/libcontainer" && ebpf=1
printf 'DEVICES_EBPF=%s\n' "$ebpf" > "$stage/etc/berth-vm.conf"

install -m 0755 "$here/init" "$stage/init"
mkdir -p "$stage/berth-vm"
cp -r "$guest/." "$stage/berth-vm/"
install -m 0644 "$here/lib.sh" "$stage/berth-vm/lib.sh"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"

#!/bin/bash
# The systemd guest's archive, appended to its initramfs (guest.conf OVERLAY): systemd at its
# own path with the libraries ldd names, the units in /etc/systemd/system, and an /init that runs
# tests/vm/init's first stage (copy into a tmpfs, switch_root) and then execs systemd instead of
# running the tests itself.
#
#   tests/vm/systemd/overlay.sh OUT.cpio.gz
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm-systemd.XXXXXX")
trap 'rm -rf "$stage"' EXIT

sd=/lib/systemd/systemd
[ -x "$sd" ] || { echo "overlay.sh: no $sd here (apt-get install systemd)" >&2; exit 1; }
for f in "$sd" $(ldd "$sd" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p'); do
    mkdir -p "$stage$(dirname "$f")"
    cp -L "$f" "$stage$f"
done

mkdir -p "$stage/etc/systemd/system" "$stage/berth-vm"
install -m 0644 "$here"/*.service "$here"/*.socket "$here"/*.target "$stage/etc/systemd/system/"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
printf 'ID=berth-vm\nNAME="berth systemd guest"\n' > "$stage/etc/os-release"
install -m 0755 "$here/../init" "$stage/berth-vm/base-init"
cat > "$stage/init" <<'INIT'
#!/bin/sh
# the systemd guest: tests/vm/init's first stage, then systemd as PID 1 of the tmpfs root
[ -n "$BERTH_VM_STAGE2" ] && exec /lib/systemd/systemd
exec /berth-vm/base-init
INIT
chmod 0755 "$stage/init"

(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
    gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"

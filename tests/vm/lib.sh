#!/bin/sh
# Shared by the guests' test scripts (sourced, busybox sh): counters, check helpers, a bundle
# writer and short berth wrappers. A guest's tests.sh sources it, runs its sections and ends with
# `result`, which prints "BERTH-VM-RESULT: N passed, M failed, K skipped".
#   BUNDLE_PROCESS, BUNDLE_LINUX, BUNDLE_MOUNTS: extra JSON members (each starting with a comma)
#   that bundle() adds to "process", "linux" and "mounts"
BERTH=/bin/berth
ROOT=/run/berth-vm
RFS=/rootfs
CG=/sys/fs/cgroup
W=/tmp/berth-vm
DEVICES_EBPF=0
. /etc/berth-vm.conf
mkdir -p "$ROOT" "$W"

pass=0 fail=0 skip=0 T=
ok() { pass=$((pass + 1)); echo "PASS $T: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $T: $*"; }
skp() { skip=$((skip + 1)); echo "SKIP $T: $*"; }
# check DESCRIPTION EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}
# check_grep DESCRIPTION PATTERN TEXT
check_grep() {
    if printf '%s\n' "$3" | grep -q -- "$2"; then ok "$1"; else bad "$1: no '$2' in '$3'"; fi
}
# section NAME: names the checks that follow; prints the guest's uptime (where the time goes)
section() { T=$1; echo "-- $1 (at $(cut -d' ' -f1 /proc/uptime)s)"; }
absent() { if [ -e "$1" ]; then echo present; else echo absent; fi; }

CAPS='"CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_SETUID","CAP_SETGID","CAP_MKNOD"'
DENY_ALL='"devices":[{"allow":false,"access":"rwm"}]'

# bundle ID ARGS_JSON RESOURCES_JSON [cgroupns: yes|no] [CGROUPS_PATH]: writes $W/ID/config.json
bundle() {
    _ns='{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}'
    [ "${4:-yes}" = yes ] && _ns="$_ns,{\"type\":\"cgroup\"}"
    _cp=
    [ -n "${5:-}" ] && _cp="\"cgroupsPath\": \"$5\","
    mkdir -p "$W/$1"
    cat > "$W/$1/config.json" <<EOF
{
  "ociVersion": "1.3.0",
  "process": {
    "terminal": false, "user": {"uid": 0, "gid": 0}, "args": $2,
    "env": ["PATH=/bin:/sbin:/usr/bin:/usr/sbin"], "cwd": "/",
    "capabilities": {"bounding": [$CAPS], "effective": [$CAPS], "permitted": [$CAPS]},
    "noNewPrivileges": true${BUNDLE_PROCESS:-}
  },
  "root": {"path": "$RFS", "readonly": true},
  "hostname": "c",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}${BUNDLE_MOUNTS:-}
  ],
  "linux": {
    $_cp
    "resources": $3,
    "namespaces": [$_ns]${BUNDLE_LINUX:-}
  }
}
EOF
}

# nosys ID: drops the /sys and /sys/fs/cgroup mounts from $W/ID/config.json
nosys() { sed -i '/"destination": "\/sys/,+1d' "$W/$1/config.json"; }

B() { timeout 60 "$BERTH" --root "$ROOT" "$@"; }
# create ID: the container's stdout/stderr (and create's) go to $W/ID.out
bcreate() { B create --bundle "$W/$1" "$1" > "$W/$1.out" 2>&1; }
# brun ID: berth run, output in $W/ID.out, returns run's status
brun() { B run --bundle "$W/$1" "$1" > "$W/$1.out" 2>&1; }
bpid() { B state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
# bwait ID: until the container is stopped (10 s)
bwait() {
    _i=0
    while [ $_i -lt 100 ]; do
        B state "$1" 2>/dev/null | grep -q '"status": *"stopped"' && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}
# bstart_wait ID: start a created container and wait until it stopped
bstart_wait() {
    B start "$1" > /dev/null 2>&1
    bwait "$1" || bad "container did not stop"
}
bstatus() { B state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
# leftover ID: "none" when neither a state dir nor a cgroup of ID is left
leftover() {
    _l=
    [ -e "$ROOT/$1" ] && _l="state dir"
    [ -e "$CG/berth/$1" ] && _l="$_l cgroup"
    echo "${_l:-none}"
}
bdel() { B delete --force "$1" > /dev/null 2>&1; }
out() { tr '\n' ' ' < "$W/$1.out" | sed 's/ *$//'; }

# load_modules: insmods the guest's MODULES (guest.conf) and their dependencies, in order;
# fails on the first that does not load (its error in $W/modules.err)
load_modules() {
    [ -f /etc/berth-vm-modules ] || { echo "no /etc/berth-vm-modules" > "$W/modules.err"; return 1; }
    while read -r _m; do
        grep -q "^$(basename "${_m%.ko}" | tr - _) " /proc/modules && continue
        insmod "$_m" 2> "$W/modules.err" || { echo "insmod $_m: $(cat "$W/modules.err")" > "$W/modules.err"; return 1; }
    done < /etc/berth-vm-modules
}

# make_rxe: the soft-RoCE rdma device rxe0 on dummy0 (guest.conf: MODULES dummy crc32_generic
# rdma_rxe, TOOLS rdma); on failure the reason is in $W/rxe.err
make_rxe() {
    [ -e /sys/class/infiniband/rxe0 ] && return 0
    load_modules || { cp "$W/modules.err" "$W/rxe.err"; return 1; }
    { { [ -e /sys/class/net/dummy0 ] || ip link add dummy0 type dummy; } && ip link set dummy0 up &&
        rdma link add rxe0 type rxe netdev dummy0; } > "$W/rxe.err" 2>&1
}
# rdma_max DIR: DIR/rdma.max without the space the kernel ends its lines with
rdma_max() { sed 's/ *$//' "$1/rdma.max" 2>&1; }

result() {
    echo "BERTH-VM-RESULT: $pass passed, $fail failed, $skip skipped"
    [ $fail = 0 ]
}

#!/bin/sh
# berth's --systemd-cgroup tests, run by berth-tests.service in the systemd guest (systemd 252
# as PID 1, pure cgroup v2; first without a bus daemon, then with a socket-activated dbus-daemon
# system bus); helpers in ../lib.sh. Checks print as the other guests'; the last lines are
# "BERTH-VM-RESULT: ..." and "BERTH-VM-EXIT: <status>", then the guest powers off.
exec > /dev/console 2>&1
echo "BERTH-VM-BEGIN: kernel $(uname -r), systemd as PID 1 ($(cat /proc/1/comm))"
. /berth-vm/lib.sh
# every berth call with --systemd-cgroup
B() { timeout 60 "$BERTH" --root "$ROOT" --systemd-cgroup "$@"; }
weight() { echo $((1 + (($1 - 2) * 9999) / 262142)); }

# unit UNIT PROPS: `systemctl show` of PROPS (comma separated), sorted, one line "A=x B=y"
unit() { systemctl show -p "$2" "$1" 2>&1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ *$//'; }
gone() { unit "$1" ActiveState,LoadState; }
GONE="ActiveState=inactive LoadState=not-found"
# the scopes and slices left besides systemd's own
berth_units() {
    systemctl list-units --all --plain --no-legend --type=scope,slice 2>&1 |
        grep -v -e '^init.scope' -e '^-.slice' -e '^system.slice' -e '^machine.slice' -e ' inactive '
}
# pid_gone PID: "absent" once the process is reaped (systemd reaps orphans a moment later)
pid_gone() {
    _i=0
    while [ -e /proc/$1 ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    absent /proc/$1
}

# -------------------------------------------------------------------------------------------
section host
check "systemd is PID 1" systemd "$(cat /proc/1/comm)"
check "/run/systemd/system exists" present "$(absent /run/systemd/system)"
check "no system bus yet" absent "$(absent /run/dbus/system_bus_socket)"

# -------------------------------------------------------------------------------------------
section private-socket
# without a bus daemon berth talks to systemd on /run/systemd/private
bundle pv '["cat","/proc/self/cgroup"]' "{\"pids\":{\"limit\":25},$DENY_ALL}" no
if timeout 60 "$BERTH" --root "$ROOT" --systemd-cgroup --debug create --bundle "$W/pv" pv > "$W/pv.out" 2>&1; then
    check_grep "started over the private socket" "systemd started berth-pv.scope (private socket)" "$(out pv)"
    check "unit active" "ActiveState=active" "$(unit berth-pv.scope ActiveState)"
    check "pids.max" 25 "$(cat $CG/system.slice/berth-pv.scope/pids.max)"
    B start pv > /dev/null 2>&1
    bwait pv
    B delete pv > "$W/pv.del" 2>&1
    check "delete after exit: quiet, no error" "0 " "$? $(cat $W/pv.del)"
    check "delete: the unit is gone" "$GONE" "$(gone berth-pv.scope)"
else
    bad "create: $(out pv)"
    bdel pv
fi

# the rest over the system bus (dbus-daemon, socket-activated)
systemctl start dbus.socket
check "the system bus is up" present "$(absent /run/dbus/system_bus_socket)"

# -------------------------------------------------------------------------------------------
section scope
bundle sd1 '["sh","-c","cd /sys/fs/cgroup/system.slice/berth-sd1.scope && cat memory.max pids.max cpu.weight cpu.max /proc/self/cgroup"]' \
    "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":50},
      \"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},$DENY_ALL}" no
if bcreate sd1; then
    d=$CG/system.slice/berth-sd1.scope
    check "unit berth-sd1.scope active in system.slice" \
        "ActiveState=active ControlGroup=/system.slice/berth-sd1.scope" \
        "$(unit berth-sd1.scope ActiveState,ControlGroup)"
    check "delegated, no default dependencies" "DefaultDependencies=no Delegate=yes" \
        "$(unit berth-sd1.scope Delegate,DefaultDependencies)"
    check "systemd knows the limits" "CPUQuotaPerSecUSec=500ms CPUWeight=$(weight 512) MemoryMax=67108864 TasksMax=50" \
        "$(unit berth-sd1.scope MemoryMax,TasksMax,CPUWeight,CPUQuotaPerSecUSec)"
    check "memory.max in the unit's cgroup" 67108864 "$(cat $d/memory.max)"
    check "pids.max in the unit's cgroup" 50 "$(cat $d/pids.max)"
    check "cpu.weight in the unit's cgroup" "$(weight 512)" "$(cat $d/cpu.weight)"
    check "cpu.max in the unit's cgroup" "50000 100000" "$(cat $d/cpu.max)"
    check "the parked init is the unit's only process" "$(bpid sd1)" "$(cat $d/cgroup.procs)"
    check_grep "state.json names the unit" '"systemdUnit": *"berth-sd1.scope"' "$(cat $ROOT/sd1/state.json)"
    B start sd1 > /dev/null 2>&1 || bad "start: $(out sd1)"
    bwait sd1 || bad "container did not stop"
    check "seen from inside: limits and /proc/self/cgroup" \
        "67108864 50 $(weight 512) 50000 100000 0::/system.slice/berth-sd1.scope" "$(out sd1)"
    bdel sd1
    check "delete: the unit is gone" "$GONE" "$(gone berth-sd1.scope)"
    check "delete: the cgroup is gone" absent "$(absent $d)"
else
    bad "create: $(out sd1)"
fi

# -------------------------------------------------------------------------------------------
section podman
# podman's form, with a cgroup namespace: the container sees its scope as its root
bundle pod '["sh","-c","cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max"]' \
    "{\"memory\":{\"limit\":33554432},$DENY_ALL}" yes machine.slice:libpod:pod1
if bcreate pod; then
    check "unit libpod-pod1.scope in machine.slice" \
        "ActiveState=active ControlGroup=/machine.slice/libpod-pod1.scope Slice=machine.slice" \
        "$(unit libpod-pod1.scope ActiveState,ControlGroup,Slice)"
    bstart_wait pod
    check "inside: cgroup namespace root and memory.max" "0::/ 33554432" "$(out pod)"
    bdel pod
    check "delete: the unit is gone" "$GONE" "$(gone libpod-pod1.scope)"
    check "delete: the cgroup is gone" absent "$(absent $CG/machine.slice/libpod-pod1.scope)"
else
    bad "create: $(out pod)"
fi
bundle ctd '["cat","/proc/self/cgroup"]' "{$DENY_ALL}" no system.slice:cri-containerd:ctd1
brun ctd
check "run with containerd's form" "0::/system.slice/cri-containerd-ctd1.scope" "$(out ctd)"
check "run: the unit is gone after" "$GONE" "$(gone cri-containerd-ctd1.scope)"
bundle nopfx '["cat","/proc/self/cgroup"]' "{$DENY_ALL}" no "::nopfx"
brun nopfx
check "empty slice and prefix: system.slice, <name>.scope" "0::/system.slice/nopfx.scope" "$(out nopfx)"

# -------------------------------------------------------------------------------------------
section slice
bundle sl1 '["cat","/proc/self/cgroup"]' "{\"pids\":{\"limit\":20},$DENY_ALL}" no \
    system.slice::system-berthsl.slice
if bcreate sl1; then
    check "slice unit active" "ActiveState=active ControlGroup=/system.slice/system-berthsl.slice" \
        "$(unit system-berthsl.slice ActiveState,ControlGroup)"
    check "pids.max in the slice's cgroup" 20 "$(cat $CG/system.slice/system-berthsl.slice/pids.max)"
    B start sl1 > /dev/null 2>&1
    bwait sl1
    check "inside: the slice's cgroup" "0::/system.slice/system-berthsl.slice" "$(out sl1)"
    bdel sl1
    check "delete: the slice unit is stopped" "ActiveState=inactive" "$(unit system-berthsl.slice ActiveState)"
    check "delete: the slice's cgroup is gone" absent "$(absent $CG/system.slice/system-berthsl.slice)"
else
    bad "create: $(out sl1)"
fi

# -------------------------------------------------------------------------------------------
section rdma
# systemd has no property for rdma: berth writes rdma.max in the unit's cgroup itself
if make_rxe; then
    bundle rd '["cat","/sys/fs/cgroup/rdma.max"]' \
        "{\"rdma\":{\"rxe0\":{\"hcaHandles\":3,\"hcaObjects\":100}},$DENY_ALL}" yes
    if bcreate rd; then
        check "rdma.max in the unit's cgroup" "rxe0 hca_handle=3 hca_object=100" \
            "$(rdma_max $CG/system.slice/berth-rd.scope)"
        bstart_wait rd
        check "seen from inside (cgroup namespace)" "rxe0 hca_handle=3 hca_object=100" "$(out rd)"
        bdel rd
        check "delete: the unit is gone" "$GONE" "$(gone berth-rd.scope)"
    else
        bad "create: $(out rd)"
        bdel rd
    fi
else
    bad "make rxe0 on dummy0: $(cat $W/rxe.err)"
fi

# -------------------------------------------------------------------------------------------
# the driver's device program: a node made from linux.devices is not allowed by being made
section devices
BUNDLE_LINUX=',"devices":[{"path":"/dev/kmsg","type":"c","major":1,"minor":11,"fileMode":384}]'
bundle sdev '["sh","-c","test -c /dev/kmsg && echo node; (: > /dev/kmsg) && echo kmsg-write; echo x > /dev/full"]' \
    '{"devices":[{"allow":false,"access":"rwm"},{"allow":false,"type":"c","major":1,"minor":11,"access":"rwm"}]}' no
BUNDLE_LINUX=
brun sdev
check "linux.devices /dev/kmsg made, denied by linux.resources.devices" node \
    "$(grep -e '^node$' -e kmsg-write "$W/sdev.out")"
check_grep "the default /dev/full stays usable (ENOSPC)" "No space left on device" "$(out sdev)"

# -------------------------------------------------------------------------------------------
section lifecycle
bundle lc '["sh","-c","while :; do sleep 0.05; done"]' \
    "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":50},$DENY_ALL}" no
if bcreate lc && B start lc > /dev/null 2>&1; then
    d=$CG/system.slice/berth-lc.scope
    check_grep "ps lists the init" "$(bpid lc)" "$(B ps -f json lc 2>&1)"
    B update --memory 32m --pids-limit 30 lc > "$W/lc.update" 2>&1 || bad "update: $(cat $W/lc.update)"
    check "update: memory.max and pids.max" "33554432 30" "$(cat $d/memory.max) $(cat $d/pids.max)"
    check "update: systemd's MemoryMax and TasksMax" "MemoryMax=33554432 TasksMax=30" \
        "$(unit berth-lc.scope MemoryMax,TasksMax)"
    B pause lc > /dev/null 2>&1 || bad "pause failed"
    check "pause: cgroup.freeze of the scope" 1 "$(cat $d/cgroup.freeze)"
    B resume lc > /dev/null 2>&1 || bad "resume failed"
    check "resume: cgroup.freeze 0" 0 "$(cat $d/cgroup.freeze)"
    pid=$(bpid lc)
    B kill --all lc KILL > /dev/null 2>&1
    bwait lc || bad "kill --all did not stop it"
    check "kill --all: the init is gone" absent "$(pid_gone $pid)"
    bdel lc
    check "delete: the unit is gone" "$GONE" "$(gone berth-lc.scope)"
    check "delete: the cgroup is gone" absent "$(absent $d)"
else
    bad "create/start: $(out lc)"
    bdel lc
fi
bundle rn '["sleep","100"]' "{$DENY_ALL}" no
if bcreate rn && B start rn > /dev/null 2>&1; then
    pid=$(bpid rn)
    bdel rn
    check "delete --force of a running container: unit gone" "$GONE" "$(gone berth-rn.scope)"
    check "and its process" absent "$(pid_gone $pid)"
    check "and its cgroup" absent "$(absent $CG/system.slice/berth-rn.scope)"
else
    bad "create/start: $(out rn)"
    bdel rn
fi

# -------------------------------------------------------------------------------------------
section default-unit-names
# without linux.cgroupsPath the unit is berth-<id>.scope: a '+' (valid in ids, not in unit
# names) escaped as systemd-escape does; an id that would make the name longer than 255 bytes
# gets the hashed form of a long id's state directory
bundle 'a+b' '["sleep","100"]' "{$DENY_ALL}" no
if bcreate 'a+b'; then
    check "id a+b: unit berth-a\\x2bb.scope active" "ActiveState=active" \
        "$(unit 'berth-a\x2bb.scope' ActiveState)"
    bdel 'a+b'
    check "id a+b: delete, unit gone" "$GONE" "$(gone 'berth-a\x2bb.scope')"
else
    bad "create a+b: $(out 'a+b')"
    bdel 'a+b'
fi
long=$(head -c 250 /dev/zero | tr '\0' l)
bundle "$long" '["sleep","100"]' "{$DENY_ALL}" no
if bcreate "$long"; then
    lu=$(sed -n 's/.*"systemdUnit": *"\([^"]*\)".*/\1/p' "$ROOT/$long/state.json")
    check "250-byte id: a hashed unit name of at most 255 bytes" "berth-_ ok" \
        "$(echo "$lu" | cut -c1-7) $([ ${#lu} -le 255 ] && echo ok || echo "${#lu} bytes")"
    check "250-byte id: the unit is active" "ActiveState=active" "$(unit "$lu" ActiveState)"
    bdel "$long"
    check "250-byte id: delete, unit gone" "$GONE" "$(gone "$lu")"
else
    bad "create a 250-byte id: $(out "$long")"
    bdel "$long"
fi

# -------------------------------------------------------------------------------------------
section failures
# create fails after the unit started (a unified key the kernel does not have)
bundle bad1 '["true"]' "{\"unified\":{\"memory.bogus\":\"1\"},$DENY_ALL}" no
bcreate bad1
check "create with a bad unified key fails" 1 "$?"
check_grep "the error names the key" "linux.resources.unified" "$(out bad1)"
check "no unit left" "$GONE" "$(gone berth-bad1.scope)"
check "no cgroup left" absent "$(absent $CG/system.slice/berth-bad1.scope)"
check "no state left" absent "$(absent $ROOT/bad1)"
# the executable is missing: create fails in the init, after the unit started
bundle bad2 '["/nonexistent"]' "{$DENY_ALL}" no
bcreate bad2
check "create of a missing executable fails (127)" 127 "$?"
check "no unit left" "$GONE" "$(gone berth-bad2.scope)"
for cp in /abs/path a:b machine:libpod:x "system.slice:pre:na/me" "system.slice:a:b:c" \
    "bad--x.slice:p:n" "machine.slice::other-x.slice"; do
    bundle badp '["true"]' "{$DENY_ALL}" no "$cp"
    bcreate badp
    rc=$?
    check "cgroupsPath \"$cp\": exit 1" 1 "$rc"
    check_grep "cgroupsPath \"$cp\": the error names linux.cgroupsPath" "linux.cgroupsPath" "$(out badp)"
    check "cgroupsPath \"$cp\": no state left" absent "$(absent $ROOT/badp)"
done
check "no unit left by the failures" "" "$(berth_units)"

# -------------------------------------------------------------------------------------------
section leftovers
check "no container state left" "" "$(ls $ROOT)"
check "no unit left" "" "$(berth_units)"

result
echo "BERTH-VM-EXIT: $?"
sync
poweroff -f

#!/bin/sh
# berth's --systemd-cgroup tests on hybrid cgroups (v1 controllers, name=systemd, cgroup2 at
# /sys/fs/cgroup/unified), run by berth-tests.service with systemd 252 as PID 1 and no bus
# daemon (berth on systemd's private socket); helpers in ../lib.sh. systemd makes the scope in
# name=systemd, the unified hierarchy and the controllers it manages (cpu, memory, pids, blkio,
# devices); berth makes it in the others (cpuset, freezer, ...) and removes it there.
exec > /dev/console 2>&1
echo "BERTH-VM-BEGIN: kernel $(uname -r), systemd as PID 1 ($(cat /proc/1/comm)), hybrid cgroups"
. /berth-vm/lib.sh
B() { timeout 60 "$BERTH" --root "$ROOT" --systemd-cgroup "$@"; }
unit() { systemctl show -p "$2" "$1" 2>&1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ *$//'; }
GONE="ActiveState=inactive LoadState=not-found"
S=system.slice/berth
# dirs ID: the hierarchies holding the container's directory, sorted, one line
dirs() {
    for d in $CG/*/; do [ -d "$d/$S-$1.scope" ] && basename "$d"; done | LC_ALL=C sort | tr '\n' ' ' |
        sed 's/ *$//'
}

section host
check "systemd is PID 1" systemd "$(cat /proc/1/comm)"
check "hybrid: cgroup2 at /sys/fs/cgroup/unified" "cgroup2" "$(awk '$2 == "/sys/fs/cgroup/unified" {print $3}' /proc/mounts)"
check "a v1 memory hierarchy" present "$(absent $CG/memory/cgroup.procs)"

section scope
bundle h1 '["sh","-c","cat /proc/self/cgroup | sort"]' \
    "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":50},\"cpu\":{\"shares\":512,\"cpus\":\"0\"},$DENY_ALL}" no
if bcreate h1; then
    check "unit active" "ActiveState=active ControlGroup=/$S-h1.scope" \
        "$(unit berth-h1.scope ActiveState,ControlGroup)"
    check "systemd knows the limits" "MemoryLimit=infinity MemoryMax=67108864 TasksMax=50" \
        "$(unit berth-h1.scope MemoryMax,TasksMax,MemoryLimit)"
    check "memory.limit_in_bytes" 67108864 "$(cat $CG/memory/$S-h1.scope/memory.limit_in_bytes)"
    check "pids.max" 50 "$(cat $CG/pids/$S-h1.scope/pids.max)"
    check "cpu.shares" 512 "$(cat $CG/cpu,cpuacct/$S-h1.scope/cpu.shares)"
    check "cpuset.cpus (a hierarchy systemd leaves alone)" 0 "$(cat $CG/cpuset/$S-h1.scope/cpuset.cpus)"
    pid=$(bpid h1)
    for h in systemd unified memory pids cpuset freezer devices; do
        check "the init in the $h hierarchy" "$pid" "$(cat $CG/$h/$S-h1.scope/cgroup.procs 2>&1)"
    done
    check_grep "device rules in the devices hierarchy" "^c 1:3 rwm" "$(cat $CG/devices/$S-h1.scope/devices.list)"
    bstart_wait h1
    check_grep "inside: memory" "memory:/$S-h1.scope" "$(out h1)"
    check_grep "inside: cpuset" "cpuset:/$S-h1.scope" "$(out h1)"
    check_grep "inside: name=systemd" "name=systemd:/$S-h1.scope" "$(out h1)"
    bdel h1
    check "delete: the unit is gone" "$GONE" "$(unit berth-h1.scope ActiveState,LoadState)"
    check "delete: no hierarchy keeps the directory" "" "$(dirs h1)"
else
    bad "create: $(out h1)"
fi

section lifecycle
bundle h2 '["sh","-c","while :; do sleep 0.05; done"]' "{\"memory\":{\"limit\":67108864},$DENY_ALL}" no
if bcreate h2 && B start h2 > /dev/null 2>&1; then
    B update --memory 32m h2 > "$W/h2.update" 2>&1 || bad "update: $(cat $W/h2.update)"
    check "update: memory.limit_in_bytes" 33554432 "$(cat $CG/memory/$S-h2.scope/memory.limit_in_bytes)"
    check "update: MemoryMax" "MemoryMax=33554432" "$(unit berth-h2.scope MemoryMax)"
    B pause h2 > /dev/null 2>&1 || bad "pause failed"
    check "pause: freezer.state" FROZEN "$(cat $CG/freezer/$S-h2.scope/freezer.state)"
    B resume h2 > /dev/null 2>&1 || bad "resume failed"
    check "resume: freezer.state" THAWED "$(cat $CG/freezer/$S-h2.scope/freezer.state)"
    check_grep "ps lists the init" "$(bpid h2)" "$(B ps -f json h2 2>&1)"
    bdel h2
    check "delete --force: the unit is gone" "$GONE" "$(unit berth-h2.scope ActiveState,LoadState)"
    check "delete --force: no hierarchy keeps the directory" "" "$(dirs h2)"
else
    bad "create/start: $(out h2)"
    bdel h2
fi

section rdma
# the v1 rdma hierarchy (systemd mounts every controller the kernel has, rdma included, but
# manages none of rdma): berth makes the scope's directory there and writes rdma.max
if ! make_rxe; then
    bad "make rxe0 on dummy0: $(cat $W/rxe.err)"
elif [ ! -d $CG/rdma ]; then
    bad "no v1 rdma hierarchy at $CG/rdma: $(grep cgroup /proc/mounts | tr '\n' ' ')"
else
    bundle rd '["cat","/proc/self/cgroup"]' \
        "{\"rdma\":{\"rxe0\":{\"hcaObjects\":7}},\"pids\":{\"limit\":40},$DENY_ALL}" no
    if bcreate rd; then
        check "v1 rdma.max of the scope" "rxe0 hca_handle=max hca_object=7" "$(rdma_max $CG/rdma/$S-rd.scope)"
        check "the init in the rdma hierarchy" "$(bpid rd)" "$(cat $CG/rdma/$S-rd.scope/cgroup.procs 2>&1)"
        echo '{"rdma":{"rxe0":{"hcaHandles":2,"hcaObjects":9}}}' | B update -r - rd > $W/rd.update 2>&1 ||
            bad "update -r: $(cat $W/rd.update)"
        check "update -r: v1 rdma.max" "rxe0 hca_handle=2 hca_object=9" "$(rdma_max $CG/rdma/$S-rd.scope)"
        bstart_wait rd
        check_grep "inside: the rdma hierarchy" "rdma:/$S-rd.scope" "$(out rd)"
        bdel rd
        check "delete: no hierarchy keeps the directory" "" "$(dirs rd)"
    else
        bad "create: $(out rd)"
        bdel rd
    fi
    # the cgroupfs driver (no --systemd-cgroup) on the same v1 rdma hierarchy
    P() { timeout 60 "$BERTH" --root "$ROOT" "$@"; }
    bundle rdc '["cat","/proc/self/cgroup"]' "{\"rdma\":{\"rxe0\":{\"hcaHandles\":4}},$DENY_ALL}" no
    if P create --bundle "$W/rdc" rdc > "$W/rdc.out" 2>&1; then
        check "cgroupfs driver: v1 rdma.max" "rxe0 hca_handle=4 hca_object=max" \
            "$(rdma_max $CG/rdma/berth/rdc)"
        P start rdc > /dev/null 2>&1
        bwait rdc || bad "container did not stop"
        check_grep "cgroupfs driver: inside the v1 rdma hierarchy" "rdma:/berth/rdc" "$(out rdc)"
    else
        bad "cgroupfs driver: create: $(out rdc)"
    fi
    P delete --force rdc > /dev/null 2>&1
    check "cgroupfs driver: delete removes the rdma directory" absent "$(absent $CG/rdma/berth/rdc)"
    bundle rdc '["true"]' "{\"rdma\":{\"nosuchdev0\":{\"hcaHandles\":4}},$DENY_ALL}" no
    P create --bundle "$W/rdc" rdc > "$W/rdc.out" 2>&1 && bad "create with an unknown device succeeded"
    check_grep "cgroupfs driver: unknown device, a clear error" \
        'linux.resources.rdma\["nosuchdev0"\]: no rdma device' "$(out rdc)"
    check "cgroupfs driver: nothing left in any hierarchy" "" \
        "$(ls -d $CG/*/berth/rdc 2>/dev/null | tr '\n' ' ')"
    check "cgroupfs driver: no state left" absent "$(absent $ROOT/rdc)"
    P delete --force rdc > /dev/null 2>&1
fi

section failures
# fails after the unit started, in berth's part (a v1 cpuset the machine does not have)
bundle h3 '["true"]' "{\"cpu\":{\"cpus\":\"7\"},$DENY_ALL}" no
bcreate h3
check "create with cpu.cpus 7 on a 1-cpu guest fails" 1 "$?"
check_grep "the error names the field" "linux.resources.cpu.cpus" "$(out h3)"
check "no unit left" "$GONE" "$(unit berth-h3.scope ActiveState,LoadState)"
check "no directory left in any hierarchy" "" "$(dirs h3)"
check "no state left" absent "$(absent $ROOT/h3)"

section leftovers
check "no container state left" "" "$(ls $ROOT)"

result
echo "BERTH-VM-EXIT: $?"
sync
poweroff -f

#!/bin/sh
# berth's cgroup v2 tests, run by the test guest's init (busybox sh, root, pure cgroup v2 with
# every controller enabled in the root); helpers in ../lib.sh. Each check prints "PASS name", "FAIL name: why" or
# "SKIP name: why"; the last line is "BERTH-VM-RESULT: N passed, M failed, K skipped".
# Also prints "BERTH-VM-MEMMIN: <bytes>", the smallest memory.max at which `sh -c 'echo ok'`
# runs 3 of 3 (informational).
. /berth-vm/lib.sh
weight() { echo $((1 + (($1 - 2) * 9999) / 262142)); }

# -------------------------------------------------------------------------------------------
section host
check "cgroup2 controllers in the guest's root" "cpuset cpu io memory hugetlb pids rdma misc" \
    "$(cat $CG/cgroup.controllers)"

# -------------------------------------------------------------------------------------------
section resources
bundle res '["sh","-c","cd /sys/fs/cgroup && cat memory.max memory.low memory.high pids.max cpu.weight cpu.max cpuset.cpus /proc/self/cgroup"]' \
    "{\"memory\":{\"limit\":67108864,\"reservation\":16777216},\"pids\":{\"limit\":50},
      \"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},
      \"unified\":{\"memory.high\":\"33554432\"},$DENY_ALL}"
if bcreate res; then
    d=$CG/berth/res
    check "memory.max from memory.limit" 67108864 "$(cat $d/memory.max)"
    check "memory.low from memory.reservation" 16777216 "$(cat $d/memory.low)"
    check "memory.high from unified" 33554432 "$(cat $d/memory.high)"
    check "pids.max from pids.limit" 50 "$(cat $d/pids.max)"
    check "cpu.weight from cpu.shares 512" "$(weight 512)" "$(cat $d/cpu.weight)"
    check "cpu.max from cpu.quota/period" "50000 100000" "$(cat $d/cpu.max)"
    check "cpuset.cpus from cpu.cpus" 0 "$(cat $d/cpuset.cpus)"
    check "the parked init is in the cgroup" "$(bpid res)" "$(cat $d/cgroup.procs)"
    B start res > /dev/null 2>&1 || bad "start: $(out res)"
    bwait res || bad "container did not stop"
    check "seen from inside (cgroup namespace: 0::/)" \
        "67108864 16777216 33554432 50 $(weight 512) 50000 100000 0 0::/" "$(out res)"
    bdel res
    check "delete removes the cgroup directory" absent "$(absent $d)"
else
    bad "create: $(out res)"
fi

section cpu.weight
for s in 2 1024 262144; do
    bundle w$s '["true"]' "{\"cpu\":{\"shares\":$s},$DENY_ALL}"
    if bcreate w$s; then
        check "cpu.shares $s -> cpu.weight" "$(weight $s)" "$(cat $CG/berth/w$s/cpu.weight)"
    else
        bad "create with cpu.shares $s: $(out w$s)"
    fi
    bdel w$s
done

# -------------------------------------------------------------------------------------------
section cgroupns
bundle nons '["cat","/proc/self/cgroup"]' "{$DENY_ALL}" no
brun nons
check "without a cgroup namespace /proc/self/cgroup is the full path" "0::/berth/nons" "$(out nons)"
bundle abs '["cat","/proc/self/cgroup"]' "{$DENY_ALL}" no /vmtest/sub/abs
brun abs
check "absolute cgroupsPath" "0::/vmtest/sub/abs" "$(out abs)"
check "run removes the cgroup" absent "$(absent $CG/vmtest/sub/abs)"
rmdir $CG/vmtest/sub $CG/vmtest 2>/dev/null

# -------------------------------------------------------------------------------------------
# exec on cgroup v2: the process is cloned into the container's cgroup (CLONE_INTO_CGROUP), then
# joins the cgroup namespace; a full pids.max makes the kernel refuse that clone, and exec then
# enters the cgroup through cgroup.procs (a migration is not limited by pids.max)
section exec
bundle exns '["sleep","300"]' "{$DENY_ALL}"
bundle exnons '["sleep","300"]' "{$DENY_ALL}" no
bundle expids '["sleep","300"]' "{\"pids\":{\"limit\":1},$DENY_ALL}"
nsof() { readlink "/proc/$1/ns/$2"; }
if bcreate exns && B start exns > /dev/null 2>&1 && bcreate exnons &&
    B start exnons > /dev/null 2>&1 && bcreate expids && B start expids > /dev/null 2>&1; then
    check "cgroup namespace root" "0::/" "$(B exec exns cat /proc/self/cgroup 2>&1)"
    check "without a cgroup namespace" "0::/berth/exnons" \
        "$(B exec exnons cat /proc/self/cgroup 2>&1)"
    B exec -d --pid-file "$W/exns.pid" exns sleep 30 > /dev/null 2>&1 || bad "exec -d failed"
    p=$(cat "$W/exns.pid" 2>/dev/null)
    check_grep "the process is in the container's cgroup.procs" "^$p\$" \
        "$(cat $CG/berth/exns/cgroup.procs)"
    i=$(bpid exns)
    check "the init's namespaces" "$(nsof $i pid) $(nsof $i mnt) $(nsof $i cgroup)" \
        "$(nsof $p pid) $(nsof $p mnt) $(nsof $p cgroup)"
    check "exec into a container at its pids.max" "0::/" "$(B exec expids cat /proc/self/cgroup 2>&1)"
else
    bad "create/start: $(out exns) $(out exnons) $(out expids)"
fi
bdel exns
bdel exnons
bdel expids

# -------------------------------------------------------------------------------------------
section pids
bundle pids '["sh","-c","i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); echo $i; done"]' \
    "{\"pids\":{\"limit\":20},$DENY_ALL}"
if bcreate pids; then
    B start pids > /dev/null 2>&1
    bwait pids || bad "the fork loop did not end"
    n=$(grep -E '^[0-9]+$' "$W/pids.out" | tail -n 1)
    if [ -n "$n" ] && [ "$n" -ge 10 ] && [ "$n" -lt 20 ]; then
        ok "fork loop stopped at pids.max 20 after $n children"
    else
        bad "fork loop: last count '$n' (want 10..19): $(out pids)"
    fi
    check_grep "pids.events counts the refused forks" '^max [1-9]' "$(cat $CG/berth/pids/pids.events)"
    bdel pids
    check "delete removes the cgroup directory" absent "$(absent $CG/berth/pids)"
else
    bad "create: $(out pids)"
fi

# -------------------------------------------------------------------------------------------
section oom
ALLOC='x=0123456789abcdef; while :; do x=$x$x; done'
bundle oomrun "[\"sh\",\"-c\",\"$ALLOC\"]" "{\"memory\":{\"limit\":4194304},$DENY_ALL}"
brun oomrun
check "run of a process over memory.max 4M exits 128+SIGKILL" 137 "$?"
bundle oom "[\"sh\",\"-c\",\"($ALLOC); echo child=\$?; grep oom_kill /sys/fs/cgroup/memory.events\"]" \
    "{\"memory\":{\"limit\":4194304},$DENY_ALL}"
if bcreate oom; then
    bstart_wait oom
    check_grep "the allocating child was killed by signal 9" 'child=137' "$(out oom)"
    check_grep "memory.events oom_kill 1 seen from inside" 'oom_kill 1' "$(out oom)"
    check_grep "memory.events oom_kill 1 in the guest" '^oom_kill 1$' "$(cat $CG/berth/oom/memory.events)"
    bdel oom
else
    bad "create: $(out oom)"
fi

# -------------------------------------------------------------------------------------------
section io
mkdir $CG/vmprobe
if [ -e $CG/vmprobe/io.weight ]; then
    rmdir $CG/vmprobe
    bundle io '["cat","/sys/fs/cgroup/io.weight"]' "{\"blockIO\":{\"weight\":300},$DENY_ALL}"
    if bcreate io; then
        check "io.weight from blockIO.weight" "default 300" "$(cat $CG/berth/io/io.weight)"
        B start io > /dev/null 2>&1
        bwait io
        check "io.weight seen from inside" "default 300" "$(out io)"
    else
        bad "create: $(out io)"
    fi
    bdel io
else
    rmdir $CG/vmprobe
    skp "the guest kernel has no io.weight (io controller without blk-iocost)"
fi

# -------------------------------------------------------------------------------------------
section devices
if [ "$DEVICES_EBPF" = 1 ]; then
    # deny-all plus the runtime's default devices: /dev/full stays usable, a node made for
    # /dev/kmsg (c 1:11, not a default; the init set dmesg_restrict=0, so only the device
    # program can refuse it) cannot be opened; a rule allowing c 1:11 "r" opens it for reading only
    KMSG='echo x > /dev/full; mknod /dev/k c 1 11; : < /dev/k && echo kmsg-read; : > /dev/k && echo kmsg-write'
    bundle dev "[\"sh\",\"-c\",\"$KMSG\"]" "{$DENY_ALL}"
    brun dev
    check_grep "default device /dev/full allowed (write gives ENOSPC)" \
        "write error: No space left on device" "$(out dev)"
    check_grep "c 1:11 refused by the device program" "open /dev/k: Operation not permitted" "$(out dev)"
    check "c 1:11 neither read nor written" "" "$(grep kmsg- "$W/dev.out")"
    bundle devr "[\"sh\",\"-c\",\"$KMSG\"]" \
        '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}'
    brun devr
    check "rule c 1:11 r: opened for reading, not for writing" kmsg-read "$(grep kmsg- "$W/devr.out")"
    # a node made from linux.devices is not allowed by being made: the config's rules decide
    BUNDLE_LINUX=',"devices":[{"path":"/dev/kmsg","type":"c","major":1,"minor":11,"fileMode":384}]'
    bundle devn '["sh","-c","test -c /dev/kmsg && echo node; : > /dev/kmsg && echo kmsg-write"]' \
        '{"devices":[{"allow":false,"access":"rwm"},{"allow":false,"type":"c","major":1,"minor":11,"access":"rwm"}]}'
    BUNDLE_LINUX=
    brun devn
    check "linux.devices /dev/kmsg made, denied by linux.resources.devices" node \
        "$(grep -e '^node$' -e kmsg-write "$W/devn.out")"
    check_grep "the write was refused with EPERM" "Operation not permitted" "$(out devn)"
    # a createContainer hook (the only hook) runs in the container's cgroup: berth attaches the
    # program once the rootfs is built, and before that hook; with the rule it opens the node
    # (the node in the guest's /dev: its /tmp is nodev)
    printf '%s\n' '#!/bin/sh' 'exec > "$0.$1.out"; rm -f /dev/$1; mknod /dev/$1 c 1 11 && echo mknod-ok' \
        '(: < /dev/$1) 2>/dev/null && echo kmsg-open || echo kmsg-denied; rm -f /dev/$1' > "$W/cchook"
    chmod +x "$W/cchook"
    cch_check() { # ID RESOURCES WANT
        bundle $1 '["true"]' "$2"
        sed -i "s|\"hostname\": \"c\",|\"hostname\": \"c\", \"hooks\": {\"createContainer\": [{\"path\": \"$W/cchook\", \"args\": [\"cchook\", \"$1\"]}]},|" \
            "$W/$1/config.json"
        brun $1
        check "a createContainer hook is subject to the device program ($1)" "mknod-ok $3" \
            "$(tr '\n' ' ' < "$W/cchook.$1.out" | sed 's/ *$//'; out $1)"
    }
    cch_check cch "{$DENY_ALL}" kmsg-denied
    cch_check cchr '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}' kmsg-open
else
    skp "berth has no cgroup v2 device program (eBPF) yet: linux.resources.devices not enforced on v2"
fi

# -------------------------------------------------------------------------------------------
section delete
bundle sl '["sleep","100"]' "{\"pids\":{\"limit\":10},$DENY_ALL}"
if bcreate sl && B start sl > /dev/null 2>&1; then
    pid=$(bpid sl)
    check "running container's init in cgroup.procs" "$pid" "$(cat $CG/berth/sl/cgroup.procs)"
    bdel sl
    check "delete --force of a running container removes the cgroup" absent "$(absent $CG/berth/sl)"
    check "and its process" absent "$(absent /proc/$pid/cmdline)"
else
    bad "create/start: $(out sl)"
    bdel sl
fi

# -------------------------------------------------------------------------------------------
section freeze
bundle fr '["sh","-c","while :; do sleep 0.05; done"]' "{$DENY_ALL}"
if ! "$BERTH" help pause > /dev/null 2>&1; then
    skp "berth has no pause command"
elif bcreate fr && B start fr > /dev/null 2>&1; then
    d=$CG/berth/fr
    if B pause fr > "$W/fr.pause" 2>&1; then
        check "pause: state paused" paused "$(bstatus fr)"
        check "pause: cgroup.freeze 1" 1 "$(cat $d/cgroup.freeze)"
        check_grep "pause: cgroup.events frozen 1" '^frozen 1$' "$(cat $d/cgroup.events)"
        B resume fr > /dev/null 2>&1 || bad "resume failed"
        check "resume: state running" running "$(bstatus fr)"
        check_grep "resume: cgroup.events frozen 0" '^frozen 0$' "$(cat $d/cgroup.events)"
        B pause fr > /dev/null 2>&1 || bad "second pause failed"
    else
        bad "pause: $(cat $W/fr.pause)"
    fi
    bdel fr
    check "delete --force of a paused container removes the cgroup" absent "$(absent $d)"
else
    bad "create/start: $(out fr)"
    bdel fr
fi

# -------------------------------------------------------------------------------------------
section update
bundle up '["sh","-c","while :; do sleep 0.05; done"]' \
    "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":50},\"cpu\":{\"shares\":512},$DENY_ALL}"
if ! "$BERTH" help update > /dev/null 2>&1; then
    skp "berth has no update command"
elif bcreate up && B start up > /dev/null 2>&1; then
    d=$CG/berth/up
    if B update --memory 32m --pids-limit 30 --cpu-shares 1024 --cpu-quota 20000 \
        --cpu-period 100000 up > "$W/up.update" 2>&1; then
        check "update --memory 32m: memory.max" 33554432 "$(cat $d/memory.max)"
        check "update --pids-limit: pids.max" 30 "$(cat $d/pids.max)"
        check "update --cpu-shares 1024: cpu.weight" "$(weight 1024)" "$(cat $d/cpu.weight)"
        check "update --cpu-quota/--cpu-period: cpu.max" "20000 100000" "$(cat $d/cpu.max)"
    else
        bad "update: $(cat $W/up.update)"
    fi
    echo '{"memory":{"limit":-1},"pids":{"limit":-1}}' | B update -r - up > "$W/up.update" 2>&1 ||
        bad "update -r -: $(cat $W/up.update)"
    check "update -r with memory.limit -1: memory.max" max "$(cat $d/memory.max)"
    check "update -r with pids.limit -1: pids.max" max "$(cat $d/pids.max)"
    if [ -e $d/cpu.idle ]; then
        B update --cpu-idle 1 up > "$W/up.update" 2>&1 || bad "update --cpu-idle: $(cat $W/up.update)"
        check "update --cpu-idle 1: cpu.idle" 1 "$(cat $d/cpu.idle)"
    else
        skp "the guest kernel has no cpu.idle"
    fi
    mkdir $d/sub
    check "exec --cgroup sub: the process runs in the sub-cgroup" "0::/sub" \
        "$(B exec --cgroup sub up cat /proc/self/cgroup 2>&1)"
    B exec --cgroup cpu:sub up true > "$W/up.exec" 2>&1
    check_grep "exec --cgroup CONTROLLER:PATH refused on cgroup v2" 'give only a path' "$(cat $W/up.exec)"
    B exec --cgroup ../up2 up true > "$W/up.exec" 2>&1
    check_grep "exec --cgroup ../up2 refused (leaves the container's cgroup)" 'stay below' \
        "$(cat $W/up.exec)"
    check_grep "ps -f json lists the init" "$(bpid up)" "$(B ps -f json up 2>&1)"
    stats=$(B events --stats up 2>&1)
    check_grep "events --stats: a stats event" '"type": *"stats"' "$stats"
    check_grep "events --stats: pids.current" '"pids": *{ *"current": *[1-9]' "$stats"
    bdel up
else
    bad "create/start: $(out up)"
    bdel up
fi

# -------------------------------------------------------------------------------------------
section rdma
# linux.resources.rdma on a soft-RoCE device: rdma_rxe (and ib_core, ib_uverbs, udp_tunnel...)
# from the guest kernel's modules, a dummy netdev, `rdma link add rxe0 type rxe netdev dummy0`
if ! make_rxe; then
    bad "make rxe0 on dummy0: $(cat $W/rxe.err)"
else
    check "the kernel lists rxe0 in rdma.max of a new cgroup" "rxe0 hca_handle=max hca_object=max" \
        "$(mkdir $CG/rdmaprobe && rdma_max $CG/rdmaprobe; rmdir $CG/rdmaprobe)"
    bundle rd '["sh","-c","cat /sys/fs/cgroup/rdma.max; while :; do sleep 0.05; done"]' \
        "{\"rdma\":{\"rxe0\":{\"hcaHandles\":3,\"hcaObjects\":100}},$DENY_ALL}"
    if bcreate rd && B start rd > /dev/null 2>&1; then
        d=$CG/berth/rd
        check "rdma.max from hcaHandles and hcaObjects" "rxe0 hca_handle=3 hca_object=100" \
            "$(rdma_max $d)"
        _i=0
        while [ ! -s $W/rd.out ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
        check "seen from inside (cgroup namespace: /sys/fs/cgroup/rdma.max)" \
            "rxe0 hca_handle=3 hca_object=100" "$(out rd)"
        echo '{"rdma":{"rxe0":{"hcaObjects":50}}}' | B update -r - rd > $W/rd.update 2>&1 ||
            bad "update -r: $(cat $W/rd.update)"
        check "update -r with hcaObjects only: hca_handle back to max" \
            "rxe0 hca_handle=max hca_object=50" "$(rdma_max $d)"
        echo '{"rdma":{"nope0":{"hcaHandles":1}}}' | B update -r - rd > $W/rd.update 2>&1 &&
            bad "update -r with an unknown device succeeded"
        check_grep "update -r with an unknown device: a clear error" \
            'linux.resources.rdma\["nope0"\]: no rdma device "nope0"' "$(cat $W/rd.update)"
        check "the failed update left rdma.max alone" "rxe0 hca_handle=max hca_object=50" \
            "$(rdma_max $d)"
        check "the container still runs" running "$(bstatus rd)"
    else
        bad "create/start: $(out rd)"
    fi
    bdel rd
    check "delete removes the cgroup" absent "$(absent $CG/berth/rd)"
    bundle rd1 '["cat","/sys/fs/cgroup/rdma.max"]' "{\"rdma\":{\"rxe0\":{\"hcaHandles\":2}},$DENY_ALL}"
    brun rd1
    check "hcaHandles alone: hca_object is max" "rxe0 hca_handle=2 hca_object=max" "$(out rd1)"
    bdel rd1
    # the kernel enforces them: verbs contexts (hca_handle) and a protection domain (hca_object)
    # taken through /dev/infiniband/uverbs0 from inside, up to the limits and no further
    uv=/dev/infiniband/uverbs0
    if [ -c $uv ]; then
        uvmaj=$((0x$(stat -c %t $uv))) uvmin=$((0x$(stat -c %T $uv)))
        BUNDLE_LINUX=",\"devices\":[{\"path\":\"$uv\",\"type\":\"c\",\"major\":$uvmaj,\"minor\":$uvmin,\"fileMode\":438}]"
        # the node alone grants nothing: the config allows it (as engines do for --device)
        UV_ALLOW="\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":$uvmaj,\"minor\":$uvmin,\"access\":\"rw\"}]"
        for lim in "1 0:ctx:ok ctx:EAGAIN pd:EAGAIN" "2 1:ctx:ok ctx:ok pd:ok"; do
            h=${lim%% *} o=${lim#* } o=${o%%:*}
            bundle rdp "[\"uverbs-probe\",\"$uv\",\"2\"]" \
                "{\"rdma\":{\"rxe0\":{\"hcaHandles\":$h,\"hcaObjects\":$o}},$UV_ALLOW}"
            brun rdp
            check "hcaHandles $h, hcaObjects $o: two contexts and a pd from inside" "${lim#*:}" \
                "$(out rdp)"
            bdel rdp
        done
        BUNDLE_LINUX=
    else
        bad "no $uv after rdma link add"
    fi
fi
# a device the kernel does not know: the kernel's ENODEV as an error naming the field
bundle rdx '["true"]' "{\"rdma\":{\"nosuchdev0\":{\"hcaHandles\":1}},$DENY_ALL}"
if bcreate rdx; then
    bad "create with an unknown rdma device succeeded"
else
    check_grep "unknown rdma device: create fails naming the field" \
        'linux.resources.rdma\["nosuchdev0"\]: no rdma device "nosuchdev0"' "$(out rdx)"
fi
check "unknown rdma device: nothing left behind" none "$(leftover rdx)"
bdel rdx

# -------------------------------------------------------------------------------------------
section realtime
# the host's v1 cpu controller (RT group scheduling, no rt budget in a new cgroup) refuses
# SCHED_FIFO/RR with EPERM; on this kernel (no RT group scheduling) they must take effect
for pol in SCHED_FIFO:1 SCHED_RR:2; do
    BUNDLE_PROCESS=", \"scheduler\": {\"policy\": \"${pol%:*}\", \"priority\": 10}"
    bundle rt '["sh","-c","grep -E \"^(policy|prio) \" /proc/self/sched | tr -s \" \""]' "{$DENY_ALL}"
    BUNDLE_PROCESS=
    brun rt
    check "${pol%:*} priority 10: policy and kernel prio seen inside" \
        "policy : ${pol#*:} prio : 89" "$(out rt)"
    bdel rt
done

# -------------------------------------------------------------------------------------------
section ownership
# config-linux.md "Cgroup ownership": user + cgroup namespace and /sys/fs/cgroup mounted rw: the
# cgroup dir and the files of /sys/kernel/cgroup/delegate go to the host uid of process.user.uid
MAPS=',"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]'
for mode in rw ro; do
    BUNDLE_LINUX=$MAPS bundle own$mode '["sh","-c","mkdir /sys/fs/cgroup/child && echo mkdir-ok"]' "{$DENY_ALL}"
    sed -i 's/{"type":"pid"}/{"type":"pid"},{"type":"user"}/' "$W/own$mode/config.json"
    [ $mode = rw ] && sed -i 's/"relatime", "ro"\]/"relatime"]/' "$W/own$mode/config.json"
    if bcreate own$mode; then
        d=$CG/berth/own$mode
        if [ $mode = rw ]; then
            check "rw cgroup mount: the cgroup dir is the container root's" 100000 "$(stat -c %u $d)"
            check "rw cgroup mount: cgroup.procs, cgroup.subtree_control, cgroup.threads" \
                "100000 100000 100000" \
                "$(stat -c %u $d/cgroup.procs $d/cgroup.subtree_control $d/cgroup.threads | tr '\n' ' ' | sed 's/ $//')"
            check "rw cgroup mount: cgroup.events (not delegatable) stays root's" 0 "$(stat -c %u $d/cgroup.events)"
            bstart_wait own$mode
            check "the container's root can make a sub-cgroup" mkdir-ok "$(out own$mode)"
        else
            check "ro cgroup mount: the cgroup dir stays root's" 0 "$(stat -c %u $d)"
        fi
    else
        bad "create ($mode): $(out own$mode)"
    fi
    bdel own$mode
    check "delete removes the delegated cgroup ($mode)" absent "$(absent $CG/berth/own$mode)"
done

# a user namespace joined by path (no linux.uidMappings): the host uid comes from that
# namespace's own uid_map; process.user.uid 5 -> 100005
BUNDLE_LINUX=$MAPS bundle ownhold '["sleep","1000"]' "{$DENY_ALL}"
sed -i 's/{"type":"pid"}/{"type":"pid"},{"type":"user"}/' "$W/ownhold/config.json"
if bcreate ownhold && B start ownhold > /dev/null 2>&1; then
    bundle ownjoin '["sh","-c","id -u; mkdir /sys/fs/cgroup/child && echo mkdir-ok"]' "{$DENY_ALL}"
    sed -i "s|{\"type\":\"pid\"}|{\"type\":\"pid\"},{\"type\":\"user\",\"path\":\"/proc/$(bpid ownhold)/ns/user\"}|; s/\"relatime\", \"ro\"\]/\"relatime\"]/; s/\"uid\": 0, \"gid\": 0/\"uid\": 5, \"gid\": 5/" \
        "$W/ownjoin/config.json"
    if bcreate ownjoin; then
        d=$CG/berth/ownjoin
        check "joined user namespace: the cgroup dir is process.user.uid's host uid" 100005 \
            "$(stat -c %u $d)"
        check "joined user namespace: cgroup.procs, cgroup.subtree_control, cgroup.threads" \
            "100005 100005 100005" \
            "$(stat -c %u $d/cgroup.procs $d/cgroup.subtree_control $d/cgroup.threads | tr '\n' ' ' | sed 's/ $//')"
        bstart_wait ownjoin
        check "joined user namespace: uid 5 makes a sub-cgroup" "5 mkdir-ok" "$(out ownjoin)"
    else
        bad "create (joined user namespace): $(out ownjoin)"
    fi
    bdel ownjoin
    check "delete removes the delegated cgroup (joined)" absent "$(absent $CG/berth/ownjoin)"
else
    bad "create/start the user namespace holder: $(out ownhold)"
fi
bdel ownhold

# -------------------------------------------------------------------------------------------
# a linux.cgroupsPath that exists frozen (cgroup.freeze 1, or below a frozen parent): refused with
# runc's words; the init used to hang in it for ever (D state)
section frozen
mkdir -p $CG/vmfrozen/pre $CG/vmfrozenp
echo 1 > $CG/vmfrozen/pre/cgroup.freeze
echo 1 > $CG/vmfrozenp/cgroup.freeze
for c in pre:/vmfrozen/pre child:/vmfrozenp/child; do
    n=fz${c%%:*}
    bundle $n '["true"]' "{$DENY_ALL}" yes "${c#*:}"
    B run -d --bundle "$W/$n" $n > "$W/$n.out" 2>&1
    check "run -d in a frozen cgroup ($c): exit 1" 1 "$?"
    check_grep "$c: the error says so" "container's cgroup unexpectedly frozen" "$(out $n)"
    check "$c: no state left" "" "$(bstatus $n)"
    bdel $n
done
check "the frozen cgroup is left as it was, empty" "1 " \
    "$(cat $CG/vmfrozen/pre/cgroup.freeze) $(cat $CG/vmfrozen/pre/cgroup.procs)"
check "the cgroup berth made below the frozen parent is removed" absent "$(absent $CG/vmfrozenp/child)"
echo 0 > $CG/vmfrozen/pre/cgroup.freeze; echo 0 > $CG/vmfrozenp/cgroup.freeze
rmdir $CG/vmfrozen/pre $CG/vmfrozen $CG/vmfrozenp/child $CG/vmfrozenp 2>/dev/null

# -------------------------------------------------------------------------------------------
section memmin
# informational: the smallest memory.max (in pages) at which `sh -c 'echo ok'` runs 3 of 3
memok() {
    bundle mm '["sh","-c","echo ok"]' "{\"memory\":{\"limit\":$(($1 * 4096))},$DENY_ALL}"
    for _r in 1 2 3; do
        brun mm
        _rc=$?
        bdel mm
        [ $_rc = 0 ] && [ "$(out mm)" = ok ] || return 1
    done
    return 0
}
# between 64k and 16M: doubling from 64k brackets it (failures are quick, successes cost 3 runs),
# then a binary search inside the bracket, to the page
lo=0 hi=16
while [ $hi -le 4096 ] && ! memok $hi; do
    lo=$hi hi=$((hi * 2))
done
if [ $hi -gt 4096 ]; then
    echo "BERTH-VM-MEMMIN: >16777216 ($(out mm))"
elif [ $lo = 0 ]; then
    echo "BERTH-VM-MEMMIN: <=65536"
else
    while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        if memok $mid; then hi=$mid; else lo=$mid; fi
    done
    echo "BERTH-VM-MEMMIN: $((hi * 4096))"
fi

# -------------------------------------------------------------------------------------------
section leftovers
check "no container state left" "" "$(ls $ROOT)"
check "no cgroup left under /berth" "" "$(ls -d $CG/berth/*/ 2>/dev/null)"

result

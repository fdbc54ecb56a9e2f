#!/bin/sh
# berth's SELinux tests, run by the SELinux guest's init (busybox sh, root, the kernel booted
# with security=selinux, permissive); helpers in ../lib.sh. Without a policy SELinux counts as
# not enabled; policy.conf is then compiled and loaded, the labels are checked from inside the
# container (/proc/self/attr/current, /proc/self/mountinfo) and from the guest, and in enforcing
# mode the policy's one restriction (container_t cannot add to a tmpfs_t directory) shows that
# linux.mountLabel labels the container's tmpfs.
. /berth-vm/lib.sh
SEL=/sys/fs/selinux
LABEL=system_u:system_r:container_t:s0:c1,c2
LABEL2=system_u:system_r:container_t:s0:c3,c4
MLABEL=system_u:object_r:container_file_t:s0:c1,c2

# se_bundle ID PROCESS_LABEL MOUNT_LABEL ARGS_JSON: a bundle with process.selinuxLabel and
# linux.mountLabel (none when empty)
se_bundle() {
    BUNDLE_PROCESS= BUNDLE_LINUX=
    [ -n "$2" ] && BUNDLE_PROCESS=", \"selinuxLabel\": \"$2\""
    [ -n "$3" ] && BUNDLE_LINUX=", \"mountLabel\": \"$3\""
    bundle "$1" "$4" "{$DENY_ALL}"
    BUNDLE_PROCESS= BUNDLE_LINUX=
}
# a process's context (attr/current ends with a NUL)
ctx() { tr -d '\000' < "$1"; }
CTX='tr -d \"\\\\000\" < /proc/self/attr/current; echo'

# -------------------------------------------------------------------------------------------
section selinux
mount -t securityfs securityfs /sys/kernel/security 2> /dev/null
mount -t selinuxfs selinuxfs $SEL
check_grep "selinux is an active LSM" selinux "$(cat /sys/kernel/security/lsm)"
check "booted permissive" 0 "$(cat $SEL/enforce)"
check "no policy yet: the guest's context is the initial SID" kernel "$(ctx /proc/self/attr/current)"
se_bundle nopol "$LABEL" "" '["true"]'
brun nopol
check "selinuxLabel without a loaded policy: the container runs" 0 "$?"
check_grep "and berth warns that SELinux is not enabled" \
    'process.selinuxLabel "system_u:system_r:container_t:s0:c1,c2": SELinux is not enabled' "$(out nopol)"
bdel nopol

if ! checkpolicy -M -U allow -c "$(cat $SEL/policyvers)" -o "$W/policy" /berth-vm/policy.conf \
    > "$W/checkpolicy.out" 2>&1; then
    bad "checkpolicy: $(cat "$W/checkpolicy.out")"
    result
    exit
fi
# the whole policy in one write(2), as selinuxfs wants it
if ! dd if="$W/policy" of=$SEL/load bs=1M 2> "$W/load.out"; then
    bad "load the policy: $(cat "$W/load.out")"
    result
    exit
fi
check "policy loaded: the guest runs as kernel_t" system_u:system_r:kernel_t:s0 \
    "$(ctx /proc/self/attr/current)"
features=$(B features 2>&1 | tr -d ' \t\n')
check_grep "berth features: selinux enabled" '"selinux":{"enabled":true}' "$features"

# -------------------------------------------------------------------------------------------
section "labels (permissive)"
MQ=',
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]}'
BUNDLE_MOUNTS=',
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}'"$MQ"
se_bundle lab "$LABEL" "$MLABEL" "[\"sh\",\"-c\",\"$CTX; grep -E ' /(tmp|dev|dev/pts|dev/mqueue|sys) ' /proc/self/mountinfo\"]"
BUNDLE_MOUNTS=
brun lab
check "run: exit 0" 0 "$?"
check "process.selinuxLabel seen in /proc/self/attr/current" "$LABEL" "$(head -n 1 "$W/lab.out")"
check_grep "linux.mountLabel on the /tmp tmpfs (mountinfo)" \
    " /tmp .*context=\"$MLABEL\"" "$(cat "$W/lab.out")"
check_grep "linux.mountLabel on the /dev tmpfs (mountinfo)" \
    " /dev .*context=\"$MLABEL\"" "$(cat "$W/lab.out")"
check_grep "linux.mountLabel on devpts (mountinfo)" \
    " /dev/pts .*context=\"$MLABEL\"" "$(cat "$W/lab.out")"
check_grep "an mqueue mount with linux.mountLabel works (labelled by xattr, not context=)" \
    " /dev/mqueue " "$(cat "$W/lab.out")"
check "not on sysfs" "" "$(grep ' /sys .*context=' "$W/lab.out")"
se_bundle nosys "$LABEL" "$MLABEL" "[\"sh\",\"-c\",\"$CTX\"]"
nosys nosys
brun nosys
check "a container without /sys is labelled too (SELinux probed by the runtime)" "$LABEL" "$(out nosys)"
se_bundle key "$LABEL" "" '["keylabel"]'
brun key
check "the session keyring the init joined has process.selinuxLabel" "$LABEL" "$(out key)"
se_bundle nolab "" "" "[\"sh\",\"-c\",\"$CTX\"]"
brun nolab
check "no selinuxLabel: the runtime's context" system_u:system_r:kernel_t:s0 "$(out nolab)"

# -------------------------------------------------------------------------------------------
section exec
se_bundle ex "$LABEL" "$MLABEL" '["sleep","100"]'
if bcreate ex; then
    pid=$(bpid ex)
    check "the parked init keeps the runtime's context" system_u:system_r:kernel_t:s0 \
        "$(ctx /proc/$pid/attr/current)"
    B start ex > /dev/null 2>&1 || bad "start: $(out ex)"
    check "the started init, seen from the guest" "$LABEL" "$(ctx /proc/$pid/attr/current)"
    check "exec without --process-label: the container's label" "$LABEL" \
        "$(B exec ex sh -c "tr -d '\\000' < /proc/self/attr/current" 2>&1)"
    check "exec --process-label" "$LABEL2" \
        "$(B exec --process-label "$LABEL2" ex sh -c "tr -d '\\000' < /proc/self/attr/current" 2>&1)"
    cat > "$W/exec-se.json" <<EOF2
{"args": ["sh", "-c", "tr -d '\\\\000' < /proc/self/attr/current"], "cwd": "/",
 "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"], "selinuxLabel": "$LABEL2"}
EOF2
    check "exec --process with selinuxLabel" "$LABEL2" "$(B exec --process "$W/exec-se.json" ex 2>&1)"
    cat > "$W/exec-none.json" <<EOF2
{"args": ["sh", "-c", "tr -d '\\\\000' < /proc/self/attr/current"], "cwd": "/",
 "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}
EOF2
    check "exec --process without selinuxLabel: the container's (as runc)" "$LABEL" \
        "$(B exec --process "$W/exec-none.json" ex 2>&1)"
    msg=$(B exec --process-label system_u:system_r:nope_t:s0 ex true 2>&1)
    check "exec --process-label of an unknown type: exit 255 (runc's)" 255 "$?"
    check_grep "exec: the error names process.selinuxLabel" \
        'process.selinuxLabel "system_u:system_r:nope_t:s0"' "$msg"
    check "the container still runs" running "$(bstatus ex)"
else
    bad "create: $(out ex)"
fi
bdel ex

# -------------------------------------------------------------------------------------------
section "invalid labels"
se_bundle bad system_u:system_r:nope_t:s0 "" '["true"]'
brun bad
check "run with an unknown type in selinuxLabel: exit 1" 1 "$?"
check_grep "the error names process.selinuxLabel" 'process.selinuxLabel "system_u:system_r:nope_t:s0"' "$(out bad)"
echo "   (run said: $(out bad))"
check "nothing left behind (run)" none "$(leftover bad)"
bcreate bad
check "create with it: exit 1" 1 "$?"
check "nothing left behind (create)" none "$(leftover bad)"
bdel bad
se_bundle badm "" system_u:object_r:nope_t:s0 '["true"]'
brun badm
check "run with an unknown type in mountLabel: exit 1" 1 "$?"
check_grep "the error names linux.mountLabel" 'linux.mountLabel "system_u:object_r:nope_t:s0"' "$(out badm)"
echo "   (run said: $(out badm))"
check "nothing left behind (mountLabel)" none "$(leftover badm)"
bdel badm

# -------------------------------------------------------------------------------------------
section enforcing
echo 1 > $SEL/enforce
check "enforcing" 1 "$(cat $SEL/enforce)"
WRITE='echo x > /tmp/f && echo tmp-written'
se_bundle enf "$LABEL" "$MLABEL" "[\"sh\",\"-c\",\"$CTX; $WRITE\"]"
brun enf
check "container_t with mountLabel container_file_t: /tmp writable" "$LABEL tmp-written" "$(out enf)"
se_bundle enf2 "$LABEL" "" "[\"sh\",\"-c\",\"$WRITE\"]"
brun enf2
check_grep "container_t without mountLabel: /tmp (tmpfs_t) refused by the policy" \
    "can't create /tmp/f: Permission denied" "$(out enf2)"
WRITE='touch /dev/mqueue/q && echo mq-created'
BUNDLE_MOUNTS=$MQ
se_bundle mq "$LABEL" "$MLABEL" "[\"sh\",\"-c\",\"$WRITE\"]"
brun mq
check "container_t with mountLabel: a queue created in the mqueue (its root labelled)" \
    mq-created "$(out mq)"
se_bundle mq2 "$LABEL" "" "[\"sh\",\"-c\",\"$WRITE\"]"
BUNDLE_MOUNTS=
brun mq2
check_grep "container_t without mountLabel: the mqueue (tmpfs_t) refused" \
    "Permission denied" "$(out mq2)"
# sharing the guest's IPC namespace, the mqueue mounted is the guest's: mountLabel leaves it
BUNDLE_MOUNTS=$MQ
se_bundle mqh "$LABEL" "$MLABEL" '["true"]'
se_bundle mqh2 "$LABEL" "" "[\"sh\",\"-c\",\"$WRITE\"]"
BUNDLE_MOUNTS=
sed -i 's/{"type":"ipc"},//' "$W/mqh/config.json" "$W/mqh2/config.json"
brun mqh
check "no IPC namespace, an mqueue mount and mountLabel: runs" 0 "$?"
brun mqh2
check_grep "the guest's mqueue was not relabelled (container_t still refused there)" \
    "Permission denied" "$(out mqh2)"
WRITE='echo x > /tmp/f && echo tmp-written'
se_bundle enf3 "" "" "[\"sh\",\"-c\",\"$WRITE\"]"
brun enf3
check "no selinuxLabel (kernel_t): /tmp writable" tmp-written "$(out enf3)"
echo 0 > $SEL/enforce

# -------------------------------------------------------------------------------------------
section leftovers
check "no container state left" "" "$(ls $ROOT)"
check "no cgroup left under /berth" "" "$(ls -d $CG/berth/*/ 2>/dev/null)"

result

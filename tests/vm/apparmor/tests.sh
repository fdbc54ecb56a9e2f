#!/bin/sh
# berth's AppArmor tests, run by the AppArmor guest's init (busybox sh, root, the kernel booted
# with security=apparmor); helpers in ../lib.sh. The profiles in berth-test.profile are loaded
# first; every check looks at the confinement from inside the container (/proc/self/attr/current,
# the denied file operations) or at the container's init from the guest.
. /berth-vm/lib.sh
SEC=/sys/kernel/security

# aa_bundle ID PROFILE ARGS_JSON: a bundle whose process.apparmorProfile is PROFILE (none when
# empty)
aa_bundle() {
    BUNDLE_PROCESS=
    [ -n "$2" ] && BUNDLE_PROCESS=", \"apparmorProfile\": \"$2\""
    bundle "$1" "$3" "{$DENY_ALL}"
    BUNDLE_PROCESS=
}
# what a confined shell reports: its label, then whether the profile's deny rules hold
PROBE='cat /proc/self/attr/current; cat /etc/group > /dev/null 2>&1 && echo group-read || echo group-denied; echo x > /tmp/ok && echo tmp-written; (echo x > /tmp/denied) 2> /dev/null && echo denied-written || echo denied-refused'

# -------------------------------------------------------------------------------------------
section apparmor
mount -t securityfs securityfs $SEC 2> /dev/null
check "/sys/module/apparmor/parameters/enabled" Y "$(cat /sys/module/apparmor/parameters/enabled)"
check_grep "apparmor is an active LSM" apparmor "$(cat $SEC/lsm)"
if ! apparmor_parser -r -K /berth-vm/berth-test.profile > "$W/parser.out" 2>&1; then
    bad "apparmor_parser -r berth-test.profile: $(cat "$W/parser.out")"
    result
    exit
fi
check_grep "profile berth-test loaded" '^berth-test (enforce)$' "$(cat $SEC/apparmor/profiles)"
features=$(B features 2>&1 | tr -d ' \t\n')
check_grep "berth features: apparmor enabled" '"apparmor":{"enabled":true}' "$features"

# -------------------------------------------------------------------------------------------
section run
aa_bundle unc "" "[\"sh\",\"-c\",\"$PROBE\"]"
brun unc
check "no apparmorProfile: unconfined, nothing denied" \
    "unconfined group-read tmp-written denied-written" "$(out unc)"
aa_bundle conf berth-test "[\"sh\",\"-c\",\"$PROBE\"]"
brun conf
check "apparmorProfile berth-test: confined, its deny rules hold in a child" \
    "berth-test (enforce) group-denied tmp-written denied-refused" "$(out conf)"
aa_bundle nosys berth-test "[\"sh\",\"-c\",\"$PROBE\"]"
nosys nosys
brun nosys
check "a container without /sys is confined too (AppArmor probed by the runtime)" \
    "berth-test (enforce) group-denied tmp-written denied-refused" "$(out nosys)"
aa_bundle own berth-test '["cat","/proc/self/attr/apparmor/current"]'
brun own
check "/proc/self/attr/apparmor/current (the module's own attribute)" "berth-test (enforce)" "$(out own)"

# -------------------------------------------------------------------------------------------
section exec
aa_bundle ex berth-test '["sleep","100"]'
if bcreate ex; then
    pid=$(bpid ex)
    check "the parked init is not confined before start" unconfined "$(cat /proc/$pid/attr/current)"
    B start ex > /dev/null 2>&1 || bad "start: $(out ex)"
    check "the started init, seen from the guest" "berth-test (enforce)" "$(cat /proc/$pid/attr/current)"
    check "exec without --apparmor: the container's profile" "berth-test (enforce)" \
        "$(B exec ex cat /proc/self/attr/current 2>&1)"
    check "exec --apparmor berth-exec" "berth-exec (enforce)" \
        "$(B exec --apparmor berth-exec ex cat /proc/self/attr/current 2>&1)"
    check "exec --apparmor berth-exec: its deny rule holds" "passwd-denied group-read" \
        "$(B exec --apparmor berth-exec ex sh -c 'cat /etc/passwd > /dev/null 2>&1 && echo passwd-read || echo passwd-denied; cat /etc/group > /dev/null && echo group-read' 2>&1 | tr '\n' ' ' | sed 's/ *$//')"
    cat > "$W/exec-aa.json" <<EOF2
{"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "user": {"uid": 0, "gid": 0},
 "env": ["PATH=/bin"], "apparmorProfile": "berth-exec"}
EOF2
    check "exec --process with apparmorProfile berth-exec" "berth-exec (enforce)" \
        "$(B exec --process "$W/exec-aa.json" ex 2>&1)"
    cat > "$W/exec-none.json" <<EOF2
{"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "user": {"uid": 0, "gid": 0},
 "env": ["PATH=/bin"]}
EOF2
    check "exec --process without apparmorProfile: the container's profile (as runc)" \
        "berth-test (enforce)" "$(B exec --process "$W/exec-none.json" ex 2>&1)"
    msg=$(B exec --apparmor berth-nope ex true 2>&1)
    rc=$?
    check "exec --apparmor of a profile not loaded: exit 255 (runc's)" 255 "$rc"
    check_grep "exec: the error names process.apparmorProfile" 'process.apparmorProfile "berth-nope"' "$msg"
    check "the container still runs" running "$(bstatus ex)"
else
    bad "create: $(out ex)"
fi
bdel ex

# -------------------------------------------------------------------------------------------
section "missing profile"
aa_bundle nope berth-nope '["true"]'
brun nope
check "run with a profile that is not loaded: exit 1" 1 "$?"
check_grep "the error names process.apparmorProfile" 'process.apparmorProfile "berth-nope"' "$(out nope)"
echo "   (run said: $(out nope))"
check "nothing left behind (run)" none "$(leftover nope)"
bcreate nope
check "create with a profile that is not loaded: exit 1" 1 "$?"
check_grep "create: the error names process.apparmorProfile" 'process.apparmorProfile "berth-nope"' "$(out nope)"
check "nothing left behind (create)" none "$(leftover nope)"
bdel nope

# -------------------------------------------------------------------------------------------
section leftovers
check "no container state left" "" "$(ls $ROOT)"
check "no cgroup left under /berth" "" "$(ls -d $CG/berth/*/ 2>/dev/null)"

result

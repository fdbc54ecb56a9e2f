#!/bin/sh
# Checkpoint and restore with CRIU, on berth and (the reference) on runc: the same sequence for
# each runtime (RT), run by the test guest's init (busybox sh, root, cgroup v2); helpers in
# ../lib.sh. A counting busybox container (it writes 1, 2, 3, ... to /tmp/count, a tmpfs CRIU
# archives) is checkpointed and restored; the count must go on from where it was, never restart.
#   cycle         checkpoint: nothing left running, the id free; restore -d: running, new pid,
#                 the count goes on; twice in a row; exec into it; kill, delete: nothing left
#   leave         checkpoint --leave-running: it keeps running; deleted, then restored: the
#                 count starts again from the snapshot
#   predump       checkpoint --pre-dump, then a dump with --parent-path: fewer pages written
#   pipes         stdio pipes: restore hands the container berth's own (descriptors.json)
#   lazy-pages    checkpoint --lazy-pages --page-server --status-fd, criu lazy-pages, restore
#                 --lazy-pages under a new id: the pages come over the page server
#   terminal      a terminal container (recvtty: the console-socket receiver, mkoverlay.sh):
#                 checkpoint, restore -d --console-socket: a new pty master on the socket, the
#                 process still writes to it, its count goes on
#   attached      restore without -d: waits, exits with the restored process's status (7)
#   podman        (berth only) podman as the engine: run -d, container checkpoint, restore, the
#                 count goes on; checkpoint --export, rm, restore --import: it goes on again
#   migrate       lazy migration between two network namespaces joined by a veth pair; prints
#                 "BERTH-VM-CRIU-DOWNTIME: RT MS DUMP_MS" (bench/criu_vm.sh renders it)
# Each check prints "PASS RT/section: ...".
. /berth-vm/lib.sh

COUNT='["sh","-c","exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done"]'

# R ARGS...: the runtime under test
R() { timeout 120 "$RTBIN" --root "$RTROOT" "$@"; }
rstate() { R state "$1" 2> /dev/null | sed -n "s/.*\"$2\": *\"*\([a-z0-9]*\).*/\1/p"; }
# count ID: the container's count (read through its init's root)
# (the counter truncates the file before it writes it: an empty read is retried)
count() {
    _p=$(rstate "$1" pid)
    for _t in 1 2 3 4 5; do
        _v=$(cat "/proc/$_p/root/tmp/count" 2> /dev/null)
        [ -n "$_v" ] && { echo "$_v"; return; }
        sleep 0.05
    done
    echo 0
}
# upto ID N: waits (30 s) until the count reaches N
upto() {
    _i=0
    while [ "$(count "$1")" -lt "$2" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
    [ "$(count "$1")" -ge "$2" ]
}
gone() {
    _l=
    [ -e "$RTROOT/$1" ] && _l="state dir"
    [ -e "$CG/berth/$1" ] && _l="$_l cgroup"
    echo "${_l:-none}"
}
# mk ID: a bundle with the counter, its cgroup /berth/ID for both runtimes
mk() { bundle "$1" "$COUNT" '{}' yes "/berth/$1"; }
ck() { R checkpoint "$@" < /dev/null > "$W/ck.out" 2>&1; }
rs() { R restore "$@" < /dev/null > "$W/rs.out" 2>&1; }

cycle() {
    section $RT/cycle
    c=${RT}-cycle
    mk $c
    R run -d --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1 || { bad "run: $(out $c)"; return; }
    pid0=$(rstate $c pid)
    upto $c 20 || bad "the counter does not count: $(count $c)"
    for n in 1 2; do
        n0=$(count $c)
        # the second time: CRIU's log in a work directory of its own
        wp=
        [ $n = 2 ] && wp="--work-path $W/$c-work$n"
        if ! ck --image-path "$W/$c-img$n" $wp $c; then
            bad "checkpoint $n: $(cat $W/ck.out) $(grep Error $W/$c-img$n/dump.log | tail -3)"
            R delete -f $c > /dev/null 2>&1
            return
        fi
        ok "checkpoint $n"
        check "after checkpoint $n: the init is gone" absent "$(absent /proc/$pid0)"
        check "after checkpoint $n: the container is gone" none "$(gone $c)"
        if ! rs -d --image-path "$W/$c-img$n" $wp --pid-file "$W/$c.pid" --bundle "$W/$c" $c < /dev/null; then
            bad "restore $n: $(cat $W/rs.out) $(grep Error $W/$c-img$n/restore.log | tail -3)"
            return
        fi
        check "restore $n: running" running "$(rstate $c status)"
        pid1=$(rstate $c pid)
        check "restore $n: --pid-file names it" "$pid1" "$(cat $W/$c.pid 2> /dev/null)"
        [ $n = 2 ] && check "--work-path holds CRIU's logs" "yes yes" \
            "$([ -s $W/$c-work2/dump.log ] && echo yes) $([ -s $W/$c-work2/restore.log ] && echo yes)"
        [ -n "$pid1" ] && [ -d /proc/$pid1 ] && ok "restore $n: state names a live pid" ||
            bad "restore $n: pid '$pid1'"
        n1=$(count $c)
        [ "$n1" -ge "$n0" ] && ok "restore $n: the count goes on ($n0 -> $n1)" ||
            bad "restore $n: the count restarted ($n0 -> $n1)"
        upto $c $((n1 + 5)) && ok "restore $n: it counts" || bad "restore $n: stuck at $(count $c)"
        pid0=$pid1
    done
    e=$(R exec $c cat /tmp/count 2>&1)
    [ "$e" -ge "$n1" ] 2> /dev/null && ok "exec into the restored container ($e)" || bad "exec: $e"
    check "the restored init is in the cgroup" yes \
        "$(grep -qx "$pid0" $CG/berth/$c/cgroup.procs && echo yes || echo no)"
    R kill $c KILL > /dev/null 2>&1
    _i=0
    while [ "$(rstate $c status)" != stopped ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    check "kill: stopped" stopped "$(rstate $c status)"
    R delete $c > /dev/null 2>&1 || bad "delete failed"
    check "delete: nothing left" none "$(gone $c)"
}

leave() {
    section $RT/leave-running
    c=${RT}-leave
    mk $c
    R run -d --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1 || { bad "run: $(out $c)"; return; }
    upto $c 10
    pid0=$(rstate $c pid)
    n0=$(count $c)
    ck --leave-running --image-path "$W/$c-img" $c || { bad "checkpoint: $(cat $W/ck.out)"; R delete -f $c > /dev/null 2>&1; return; }
    check "still running" running "$(rstate $c status)"
    check "the same init" "$pid0" "$(rstate $c pid)"
    upto $c $((n0 + 20)) && ok "it still counts" || bad "stuck at $(count $c)"
    nlast=$(count $c)
    R delete -f $c > /dev/null 2>&1
    check "deleted" none "$(gone $c)"
    rs -d --image-path "$W/$c-img" --bundle "$W/$c" $c || { bad "restore: $(cat $W/rs.out)"; return; }
    n1=$(count $c)
    [ "$n1" -ge "$n0" ] && [ "$n1" -lt "$nlast" ] && ok "the count starts from the snapshot ($n0 <= $n1 < $nlast)" ||
        bad "restored count $n1, snapshot $n0, last before delete $nlast"
    R delete -f $c > /dev/null 2>&1
    check "nothing left" none "$(gone $c)"
}

predump() {
    section $RT/pre-dump
    c=${RT}-pre
    # the counter holding ~170 KiB it never writes again: the pre-dump writes them, the dump
    # only what the counting dirtied since (a bare counter has ~23 pages: no margin)
    bundle $c "$(echo "$COUNT" | sed 's/i=0;/x=$(seq 1 30000); i=0;/')" '{}' yes "/berth/$c"
    R run -d --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1 || { bad "run: $(out $c)"; return; }
    upto $c 10
    mkdir -p "$W/$c-images"
    ck --pre-dump --image-path "$W/$c-images/pre" $c || { bad "pre-dump: $(cat $W/ck.out)"; R delete -f $c > /dev/null 2>&1; return; }
    check "running after the pre-dump" running "$(rstate $c status)"
    n0=$(count $c)
    ck --parent-path ../pre --image-path "$W/$c-images/final" $c ||
        { bad "dump: $(cat $W/ck.out) $(grep Error $W/$c-images/final/dump.log | tail -3)"; R delete -f $c > /dev/null 2>&1; return; }
    pre=$(cat "$W/$c-images/pre"/pages-*.img | wc -c)
    fin=$(cat "$W/$c-images/final"/pages-*.img | wc -c)
    [ "$fin" -lt "$pre" ] && ok "the dump wrote fewer pages than the pre-dump ($fin < $pre bytes)" ||
        bad "dump $fin bytes of pages, pre-dump $pre"
    check "the dump links its parent" yes "$([ -L "$W/$c-images/final/parent" ] && echo yes || echo no)"
    rs -d --image-path "$W/$c-images/final" --bundle "$W/$c" $c || { bad "restore: $(cat $W/rs.out)"; return; }
    n1=$(count $c)
    [ "$n1" -ge "$n0" ] && ok "restored: the count goes on ($n0 -> $n1)" || bad "restored count $n1 < $n0"
    R delete -f $c > /dev/null 2>&1
    check "nothing left" none "$(gone $c)"
}

pipes() {
    section $RT/pipes
    c=${RT}-pipes
    bundle $c '["sh","-c","i=0; while read line; do i=$((i+1)); echo $i:$line; done"]' '{}' yes "/berth/$c"
    # stdin and stdout are anonymous pipes ("pipe:[...]"); sleep holds stdin's writer, lines
    # are written through /proc/PID/fd/0
    sleep 1000 | R run -d --bundle "$W/$c" $c 2>&1 | cat > "$W/$c.out1" &
    _i=0
    while [ "$(rstate $c status)" != running ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    if [ "$(rstate $c status)" != running ]; then bad "run: $(cat $W/$c.out1)"; return; fi
    echo a > "/proc/$(rstate $c pid)/fd/0"
    sleep 1
    check "before: the container answers on its pipe" "1:a" "$(tail -n 1 $W/$c.out1)"
    if ! ck --image-path "$W/$c-img" $c; then
        bad "checkpoint: $(cat $W/ck.out)"; R delete -f $c > /dev/null 2>&1; return
    fi
    check "descriptors.json names the pipes" yes \
        "$(grep -q '^\["pipe:\[[0-9]*\]","pipe:\[[0-9]*\]","pipe:\[[0-9]*\]"\]$' $W/$c-img/descriptors.json && echo yes || echo no)"
    sleep 1000 | R restore -d --image-path "$W/$c-img" --bundle "$W/$c" $c 2>&1 | cat > "$W/$c.out2" &
    _i=0
    while [ "$(rstate $c status)" != running ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    if [ "$(rstate $c status)" != running ]; then bad "restore: $(cat $W/$c.out2)"; return; fi
    echo b > "/proc/$(rstate $c pid)/fd/0"
    sleep 1
    check "after: it reads and writes the restore's own pipes" "2:b" "$(tail -n 1 $W/$c.out2)"
    R delete -f $c > /dev/null 2>&1
    check "nothing left" none "$(gone $c)"
}

lazy() {
    section $RT/lazy-pages
    c=${RT}-lazy
    port=$2
    mk $c
    R run -d --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1 || { bad "run: $(out $c)"; return; }
    upto $c 10
    n0=$(count $c)
    rm -f "$W/$c.status"
    mkfifo "$W/$c.status"
    cat "$W/$c.status" > "$W/$c.status.out" &
    # the dump stays a page server until the pages are pulled; --status-fd says when it is ready
    R checkpoint --lazy-pages --page-server 127.0.0.1:$port --status-fd 3 \
        --image-path "$W/$c-img" $c 3> "$W/$c.status" > "$W/ck.out" 2>&1 &
    ckpid=$!
    _i=0
    while [ ! -s "$W/$c.status.out" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
    if [ ! -s "$W/$c.status.out" ]; then
        bad "no status byte: $(cat $W/ck.out)"; kill $ckpid; R delete -f $c > /dev/null 2>&1; return
    fi
    ok "checkpoint --lazy-pages: the page server is ready (--status-fd)"
    criu lazy-pages --page-server --address 127.0.0.1 --port $port -D "$W/$c-img" \
        -o lazy.log > /dev/null 2>&1 &
    lp=$!
    sleep 1
    c2=${c}2
    # restored under a new id, from the same bundle
    sed "s|/berth/$c\"|/berth/$c2\"|" "$W/$c/config.json" > "$W/$c/config2.json"
    mkdir -p "$W/$c2" && cp "$W/$c/config2.json" "$W/$c2/config.json"
    if rs -d --lazy-pages --image-path "$W/$c-img" --bundle "$W/$c2" $c2; then
        ok "restore --lazy-pages under a new id"
        wait $ckpid && ok "the checkpoint ends once the pages are pulled" || bad "checkpoint: $(cat $W/ck.out)"
        n1=$(count $c2)
        [ "$n1" -ge "$n0" ] && ok "the count goes on ($n0 -> $n1)" || bad "count $n1 < $n0"
        upto $c2 $((n1 + 5)) && ok "it counts with its pages pulled" || bad "stuck at $(count $c2)"
        if [ $RT = runc ] && [ "$(gone $c)" = " cgroup" ]; then
            # runc 1.1.5 removes the state but not the cgroup after a lazy checkpoint
            skp "runc leaves the lazily checkpointed container's cgroup (removed here)"
            echo 1 > "$CG/berth/$c/cgroup.kill"
            _i=0
            while ! rmdir "$CG/berth/$c" 2> /dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
        else
            check "the old container is gone" none "$(gone $c)"
        fi
    else
        bad "restore: $(cat $W/rs.out) $(grep Error $W/$c-img/restore.log | tail -2)"
        kill $ckpid 2> /dev/null
    fi
    kill $lp 2> /dev/null
    R delete -f $c2 > /dev/null 2>&1
    R delete -f $c > /dev/null 2>&1
    check "nothing left" "none none" "$(gone $c) $(gone $c2)"
}

# wait_status ID STATUS: until state says STATUS (30 s)
wait_status() {
    _i=0
    while [ "$(rstate $1 status)" != "$2" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
    [ "$(rstate $1 status)" = "$2" ]
}
# ticks LOG [AFTER]: the last "T<n>" number the container wrote to its terminal (after the line
# "+master AFTER" of recvtty's LOG when given), 0 when none
ticks() {
    _t=$( (if [ -n "${2:-}" ]; then sed -n "/^+master $2\$/,\$p" "$1"; else cat "$1"; fi) |
        grep -o 'T[0-9]*' | tail -n 1 | tr -d T)
    echo "${_t:-0}"
}
# upticks LOG N [AFTER]: waits (30 s) until ticks reaches N
upticks() {
    _i=0
    while [ "$(ticks "$1" "${3:-}")" -lt "$2" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
    [ "$(ticks "$1" "${3:-}")" -ge "$2" ]
}

terminal() {
    section $RT/terminal
    c=${RT}-tty
    sock=$W/$c.sock
    log=$W/$c.tty
    : > "$log"
    recvtty "$sock" "$log" 2> "$W/$c.recv" &
    rp=$!
    _i=0
    while [ ! -S "$sock" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    # "T<i>" only while its stdout is a terminal; i lives in the shell's memory
    BUNDLE_MOUNTS=',{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}' \
        bundle $c '["sh","-c","i=0; while :; do i=$((i+1)); [ -t 1 ] && echo T$i; sleep 0.1; done"]' '{}' yes "/berth/$c"
    sed -i 's/"terminal": false/"terminal": true/' "$W/$c/config.json"
    if ! R run -d --console-socket "$sock" --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1; then
        bad "run: $(out $c)"; kill $rp; return
    fi
    upticks "$log" 10 && ok "run: the pty master came on the socket, the process writes to it" ||
        bad "run: no ticks on the terminal: $(head -c 300 $log) $(cat $W/$c.recv)"
    if ! ck --image-path "$W/$c-img" $c; then
        bad "checkpoint: $(cat $W/ck.out) $(grep Error $W/$c-img/dump.log | tail -3)"
        R delete -f $c > /dev/null 2>&1; kill $rp; return
    fi
    ok "checkpoint of a terminal container"
    check "after checkpoint: the container is gone" none "$(gone $c)"
    n0=$(ticks "$log")
    if ! rs -d --console-socket "$sock" --image-path "$W/$c-img" --bundle "$W/$c" $c; then
        bad "restore: $(cat $W/rs.out) $(grep Error $W/$c-img/restore.log | tail -3)"
        R delete -f $c > /dev/null 2>&1; kill $rp; return
    fi
    check "restore -d --console-socket: running" running "$(rstate $c status)"
    check "a new pty master came on the socket" yes "$(grep -q '^+master 2$' $log && echo yes || echo no)"
    upticks "$log" $((n0 + 5)) 2 && ok "the restored process writes to it, the count goes on (T$n0 -> T$(ticks $log 2))" ||
        bad "after restore: last tick T$(ticks $log 2) on the new master (T$n0 before): $(tail -c 200 $log)"
    n1=$(ticks "$log" 2)
    [ "$(sed -n '/^+master 2$/,$p' $log | grep -o 'T[0-9]*' | head -n 1 | tr -d T)" -gt 1 ] 2> /dev/null &&
        ok "it did not start again from T1" || bad "the restored count restarted: $(sed -n '/^+master 2$/,$p' $log | head -c 100)"
    R delete -f $c > /dev/null 2>&1
    check "nothing left" none "$(gone $c)"
    kill $rp 2> /dev/null
}

attached() {
    section $RT/attached
    c=${RT}-attach
    bundle $c '["sh","-c","exec </dev/null >/dev/null 2>&1; while [ ! -e /tmp/stop ]; do sleep 0.1; done; exit 7"]' '{}' yes "/berth/$c"
    R run -d --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1 || { bad "run: $(out $c)"; return; }
    if ! ck --image-path "$W/$c-img" $c; then
        bad "checkpoint: $(cat $W/ck.out)"; R delete -f $c > /dev/null 2>&1; return
    fi
    # restore without -d: it waits for the process and exits with its status, as run does
    R restore --image-path "$W/$c-img" --bundle "$W/$c" $c < /dev/null > "$W/rs.out" 2>&1 &
    rsp=$!
    if ! wait_status $c running; then
        bad "restore: not running: $(cat $W/rs.out)"; kill $rsp; R delete -f $c > /dev/null 2>&1; return
    fi
    ok "restore (attached): running"
    check "restore is still waiting" yes "$([ -d /proc/$rsp ] && echo yes || echo no)"
    touch "/proc/$(rstate $c pid)/root/tmp/stop"
    wait $rsp
    check "restore's exit status is the process's" 7 "$?"
    check "nothing left" none "$(gone $c)"
    R delete -f $c > /dev/null 2>&1
}

# ms: the guest's uptime in milliseconds (10 ms resolution)
ms() { read _u _r < /proc/uptime; echo $(( ${_u%.*} * 1000 + 1${_u#*.} * 10 - 1000 )); }

# vbrx: the bytes the second namespace's end of the veth (vb) received
vbrx() { nsenter --net=/run/netns/hostb cat /proc/net/dev | sed -n 's/^ *vb: *\([0-9]*\).*/\1/p'; }
# gaps LOG: where a CRIU log's time went: its pauses over 100 ms (the lines either side) and
# its last timestamp (criu's own run time)
gaps() {
    awk 'match($0, /^\([0-9]+\.[0-9]+\)/) {
            t = substr($0, 2, RLENGTH - 2) + 0
            if (t - p > 0.1 && k < 12) {
                printf "  +%d ms at %.2f s: %s -> %s\n", (t - p) * 1000, t, substr(w, 1, 60),
                    substr($0, RLENGTH + 2, 60)
                k++
            }
            p = t; w = substr($0, RLENGTH + 2)
        }
        END { printf "  criu ran %.2f s\n", p }' "$1"
}

# migrate PORT K: lazy migration (the K-th) between two network namespaces (the "hosts" A and B, a veth
# pair, 10.15.0.1 and 10.15.0.2): checkpoint --lazy-pages --page-server in A, criu lazy-pages
# and restore --lazy-pages in B, the pages pulled over the veth (the other images are shared
# through the guest's tmpfs, as a copy would bring them). Prints "BERTH-VM-CRIU-DOWNTIME: RT MS
# DUMP_MS": the time from the checkpoint's start (the freeze) to restore -d's return (running
# again), and of it the part until the dump's --status-fd byte (page server ready).
migrate() {
    section $RT/migrate$2
    c=${RT}-mig$2
    port=$1
    # /bin/ip: iproute2's (busybox sh prefers its own applet ip)
    if [ ! -e /run/netns/hostb ]; then
        /bin/ip netns add hosta && /bin/ip netns add hostb &&
            /bin/ip link add va type veth peer name vb && /bin/ip link set va netns hosta &&
            /bin/ip link set vb netns hostb && /bin/ip -n hosta addr add 10.15.0.1/24 dev va &&
            /bin/ip -n hostb addr add 10.15.0.2/24 dev vb && /bin/ip -n hosta link set va up &&
            /bin/ip -n hostb link set vb up && /bin/ip -n hosta link set lo up && /bin/ip -n hostb link set lo up ||
            { skp "no veth pair between two network namespaces"; return; }
        # what berth paid on each side of a migration when it ran `criu check` before every
        # request (it no longer does): twice, the second one's time
        for _n in hosta hosta; do
            _t=$(ms)
            nsenter --net=/run/netns/$_n criu check > /dev/null 2>&1
            _t=$(($(ms) - _t))
        done
        echo "BERTH-VM-CRIU-PHASES: criu check in a migration's network namespace: $_t ms"
    fi
    mk $c
    R run -d --bundle "$W/$c" $c < /dev/null > "$W/$c.out" 2>&1 || { bad "run: $(out $c)"; return; }
    upto $c 10
    n0=$(count $c)
    rm -f "$W/$c.status"
    mkfifo "$W/$c.status"
    cat "$W/$c.status" > "$W/$c.status.out" &
    rx0=$(vbrx)
    t0=$(ms)
    nsenter --net=/run/netns/hosta timeout 120 "$RTBIN" --root "$RTROOT" checkpoint --lazy-pages \
        --page-server 10.15.0.1:$port --status-fd 3 --image-path "$W/$c-img" $c \
        3> "$W/$c.status" > "$W/ck.out" 2>&1 &
    ckpid=$!
    _i=0
    while [ ! -s "$W/$c.status.out" ] && [ $_i -lt 3000 ]; do sleep 0.01; _i=$((_i + 1)); done
    if [ ! -s "$W/$c.status.out" ]; then
        bad "no status byte: $(cat $W/ck.out)"; kill $ckpid; R delete -f $c > /dev/null 2>&1; return
    fi
    t1=$(ms)
    nsenter --net=/run/netns/hostb criu lazy-pages --page-server --address 10.15.0.1 --port $port \
        -D "$W/$c-img" -o lazy.log > /dev/null 2>&1 &
    lp=$!
    _i=0
    while [ ! -S "$W/$c-img/lazy-pages.socket" ] && [ $_i -lt 1000 ]; do sleep 0.01; _i=$((_i + 1)); done
    t1b=$(ms)
    c2=${c}2
    mkdir -p "$W/$c2"
    sed "s|/berth/$c\"|/berth/$c2\"|" "$W/$c/config.json" > "$W/$c2/config.json"
    if nsenter --net=/run/netns/hostb timeout 120 "$RTBIN" --root "$RTROOT" restore -d --lazy-pages \
        --image-path "$W/$c-img" --bundle "$W/$c2" $c2 < /dev/null > "$W/rs.out" 2>&1; then
        t2=$(ms)
        ok "restored in the other namespace with its pages pulled over the veth"
        wait $ckpid && ok "the checkpoint ends once the pages are pulled" || bad "checkpoint: $(cat $W/ck.out)"
        n1=$(count $c2)
        [ "$n1" -ge "$n0" ] && upto $c2 $((n1 + 5)) && ok "the count goes on ($n0 -> $n1 -> more)" ||
            bad "count $n1 (before $n0), now $(count $c2)"
        rx=$(($(vbrx) - rx0))
        [ "$rx" -ge 40960 ] && ok "the pages came over the veth ($rx bytes received in the other namespace)" ||
            bad "only $rx bytes received over the veth"
        echo "BERTH-VM-CRIU-DOWNTIME: $RT $((t2 - t0)) $((t1 - t0))"
        # the phases: the checkpoint command to the status byte, criu lazy-pages' socket,
        # the restore command; and where each criu log's time went
        echo "BERTH-VM-CRIU-PHASES: $RT$2 dump $((t1 - t0)) ms, lazy-pages up $((t1b - t1)) ms, restore $((t2 - t1b)) ms"
        for l in dump restore; do
            echo "BERTH-VM-CRIU-PHASES: $RT$2 $l.log"
            gaps "$W/$c-img/$l.log"
        done
    else
        bad "restore: $(cat $W/rs.out) $(grep Error $W/$c-img/restore.log | tail -2)"
        kill $ckpid 2> /dev/null
    fi
    kill $lp 2> /dev/null
    R delete -f $c2 > /dev/null 2>&1
    R delete -f $c > /dev/null 2>&1
    if [ -d "$CG/berth/$c" ]; then # runc 1.1.5 leaves a lazily checkpointed container's cgroup
        echo 1 > "$CG/berth/$c/cgroup.kill"
        _i=0
        while ! rmdir "$CG/berth/$c" 2> /dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    fi
    check "nothing left" "none none" "$(gone $c) $(gone $c2)"
}

# podman: podman (vfs storage, cgroupfs, no network) with berth as its runtime; the image is the
# guest's busybox rootfs, imported. conmon gives a detached container the guest's /dev/null as
# stdin: berth's init reopens it inside, or CRIU could not dump it.
PM_EXPORT=$W/podman-export.tar.gz
P() { timeout 120 podman --root /var/lib/pm --runroot /run/pm --tmpdir /tmp/pmtmp \
    --storage-driver vfs --cgroup-manager=cgroupfs --events-backend=file --runtime "$BERTH" "$@"; }
pmstatus() { P inspect -f '{{.State.Status}}' criu15-pm 2> /dev/null; }
pmcount() { P exec criu15-pm cat /count 2> /dev/null || echo 0; }
podman_cr() {
    section berth/podman
    command -v podman > /dev/null && command -v conmon > /dev/null || { skp "no podman or conmon"; return; }
    mkdir -p /var/tmp /tmp/pmtmp
    tar -C "$RFS" -cf "$W/pm-rootfs.tar" . &&
        P import --change 'CMD ["/bin/sh"]' "$W/pm-rootfs.tar" localhost/bb > "$W/pm.out" 2>&1 ||
        { bad "podman import: $(tail -3 $W/pm.out)"; return; }
    P run -d --name criu15-pm --network=none localhost/bb \
        sh -c 'i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.1; done' > "$W/pm.out" 2>&1 ||
        { bad "podman run: $(tail -3 $W/pm.out)"; return; }
    _i=0
    while [ "$(pmcount)" -lt 10 ] && [ $_i -lt 100 ]; do sleep 0.2; _i=$((_i + 1)); done
    n0=$(pmcount)
    P container checkpoint criu15-pm > "$W/pm.out" 2>&1 && ok "podman container checkpoint" ||
        bad "podman container checkpoint: $(tail -3 $W/pm.out)"
    check "checkpointed: exited" exited "$(pmstatus)"
    P container restore criu15-pm > "$W/pm.out" 2>&1 && ok "podman container restore" ||
        bad "podman container restore: $(tail -3 $W/pm.out)"
    check "restored: running" running "$(pmstatus)"
    n1=$(pmcount)
    [ "$n1" -ge "$n0" ] && ok "the count goes on ($n0 -> $n1)" || bad "the count restarted ($n0 -> $n1)"
    P container checkpoint --export "$PM_EXPORT" criu15-pm > "$W/pm.out" 2>&1 && [ -s "$PM_EXPORT" ] &&
        ok "podman container checkpoint --export" ||
        bad "podman container checkpoint --export: $(tail -3 $W/pm.out)"
    P rm -f criu15-pm > /dev/null 2>&1
    P container restore --import "$PM_EXPORT" > "$W/pm.out" 2>&1 && ok "podman container restore --import" ||
        bad "podman container restore --import: $(tail -3 $W/pm.out)"
    check "imported: running" running "$(pmstatus)"
    n2=$(pmcount)
    [ "$n2" -ge "$n1" ] && ok "the count goes on from the export ($n1 -> $n2)" ||
        bad "the count restarted after the import ($n1 -> $n2)"
    P rm -f -t 0 criu15-pm > /dev/null 2>&1
    check "podman rm: no container left" "" "$(P ps -a -q 2> /dev/null)"
}

# -------------------------------------------------------------------------------------------
section setup
if ! load_modules; then
    skp "the modules criu needs do not load: $(cat $W/modules.err)"
    result
    exit
fi
t0=$(ms)
if ! criu check > "$W/criu-check" 2>&1; then
    skp "criu check fails on this kernel: $(tail -n 3 $W/criu-check)"
    result
    exit
fi
# a second one's time (CRIU's kernel facts now cached): what berth paid twice per migration
# when it ran it before every request
t0=$(ms)
criu check > /dev/null 2>&1
ok "criu check: $(tail -n 1 $W/criu-check) (again: $(($(ms) - t0)) ms)"

# use RT: the runtime under test
use() {
    RT=$1
    if [ $RT = berth ]; then RTBIN=$BERTH RTROOT=$ROOT; else RTBIN=/bin/runc RTROOT=/run/runc-vm; fi
}
for rt in berth runc; do
    use $rt
    cycle
    leave
    predump
    pipes
    if [ $RT = berth ]; then lazy $RT 27277; else lazy $RT 27278; fi
    terminal
    attached
done
podman_cr
# three migrations each (one sample moves by 2-3x with the host's load), the runtimes
# interleaved so that the load falls on both alike
for k in 1 2 3; do
    use berth
    migrate $((27280 + k)) $k
    use runc
    migrate $((27290 + k)) $k
done

section leftovers
check "no berth state left" "" "$(ls $ROOT)"
check "no cgroup left under /berth" "" "$(ls -d $CG/berth/*/ 2>/dev/null)"
result

#!/bin/sh
# The benchmark's cgroup v2 guest (busybox sh, run by tests/vm/init; bench/vm.sh reads the
# console). For berth, crun and runc with one config, `berth spec`'s default WITH its
# linux.resources.devices rule (deny all; crun cannot load the device program on the host, whose
# RLIMIT_MEMLOCK is 8 MiB without CAP_SYS_RESOURCE):
#   memmin    the smallest memory.max at which `sh -c 'echo ok'` runs, found as
#             tests/vm/cgroup2's memmin section does (doubling from 64k, then a binary search
#             to the page, 3 of 3 runs each), then confirmed: CONFIRM more runs at that value,
#             one page more after any failure.  Prints "BENCH-MEMMIN RUNTIME BYTES SEARCHED".
#   run       `run` of /bin/true, the runtimes and bench/floor.c interleaved, N times. Prints
#             "BENCH-RUN RUNTIME NANOSECONDS CPU_MICROSECONDS" per run (bench/tspawn.c).
# A failed run prints "BENCH-FAIL ..." and counts as a failed check: no time is reported for it.
. /berth-vm/lib.sh
. /berth-vm/bench.conf # N, CONFIRM, STEPS, RUNTIMES

# R RUNTIME ARGS...: the runtime with its own --root
R() {
    _r=$1
    shift
    timeout 120 "/bin/$_r" --root "/run/bench-$_r" "$@"
}
# bundle_of RUNTIME NAME CONFIG [LIMIT]: $W/RUNTIME-NAME/config.json from /berth-vm/CONFIG,
# linux.resources.memory.limit set to LIMIT bytes (the config's placeholder 999999999)
bundle_of() {
    mkdir -p "$W/$1-$2"
    sed "s/999999999/${4:-999999999}/" "/berth-vm/$3" > "$W/$1-$2/config.json"
}

# -------------------------------------------------------------------------------------------
section sanity
ok_rts=
for r in $RUNTIMES; do
    bundle_of "$r" echo config-echo.json
    R "$r" run --bundle "$W/$r-echo" "$r-sanity" > "$W/$r-sanity.out" 2>&1
    rc=$?
    R "$r" delete --force "$r-sanity" > /dev/null 2>&1
    if [ $rc = 0 ] && [ "$(out "$r-sanity")" = ok ]; then
        ok "$r runs sh -c 'echo ok' with the default config and its device rule"
        ok_rts="$ok_rts $r"
    else
        bad "$r run: exit $rc: $(out "$r-sanity")"
        echo "BENCH-FAIL $r sanity: exit $rc: $(out "$r-sanity")"
    fi
done

# -------------------------------------------------------------------------------------------
# memok RUNTIME PAGES [RUNS]: `sh -c 'echo ok'` runs RUNS times (3) under memory.max = PAGES pages
memok() {
    bundle_of "$1" mm config-mem.json $(($2 * 4096))
    _i=0
    while [ $_i -lt "${3:-3}" ]; do
        R "$1" run --bundle "$W/$1-mm" "$1-mm" > "$W/$1-mm.out" 2>&1
        _rc=$?
        R "$1" delete --force "$1-mm" > /dev/null 2>&1
        [ $_rc = 0 ] && [ "$(out "$1-mm")" = ok ] || return 1
        _i=$((_i + 1))
    done
    return 0
}
# memmin RUNTIME: prints BENCH-MEMMIN (from 64k by doubling up to 256M, then to the page)
memmin() {
    lo=0 hi=16
    while [ $hi -le 65536 ] && ! memok "$1" $hi; do
        lo=$hi hi=$((hi * 2))
    done
    if [ $hi -gt 65536 ]; then
        echo "BENCH-FAIL $1 memmin: fails at 256M: $(out "$1-mm")"
        bad "$1: no run under 256M"
        return
    fi
    while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        if memok "$1" $mid; then hi=$mid; else lo=$mid; fi
    done
    found=$hi
    # confirmed: CONFIRM runs in a row at one value, one page more after any failure (16 at most)
    tries=0
    while ! memok "$1" $hi "$CONFIRM"; do
        tries=$((tries + 1))
        if [ $tries -ge 16 ]; then
            echo "BENCH-FAIL $1 memmin: not reliable up to $((hi * 4096)): $(out "$1-mm")"
            bad "$1: memmin not confirmed"
            return
        fi
        hi=$((hi + 1))
    done
    echo "BENCH-MEMMIN $1 $((hi * 4096)) $((found * 4096))"
    ok "$1: memmin $((hi * 4096)) (search $((found * 4096)))"
}
case " $STEPS " in *" memmin "*)
    for r in $ok_rts; do
        section "memmin $r"
        memmin "$r"
    done ;;
esac

# -------------------------------------------------------------------------------------------
case " $STEPS " in *" run "*)
    section "run with devices, N=$N"
    for r in $ok_rts; do bundle_of "$r" true config-true.json; done
    i=0 failed=
    while [ $i -lt "$N" ] && [ -z "$failed" ]; do
        for r in $ok_rts floor; do
            if [ $r = floor ]; then
                set -- /bin/floor "$RFS"
            else
                set -- "/bin/$r" --root "/run/bench-$r" run --bundle "$W/$r-true" "$r-t$i"
            fi
            t=$(timeout 120 /bin/tspawn "$W/t.out" "$@")
            st=$(echo "$t" | cut -d' ' -f2)
            if [ "$st" != 0 ] || [ -s "$W/t.out" ]; then
                echo "BENCH-FAIL $r run #$i: exit $st: $(tr '\n' ' ' < "$W/t.out")"
                bad "$r run #$i: exit $st"
                failed=1
                break
            fi
            echo "BENCH-RUN $r $(echo "$t" | cut -d' ' -f1) $(echo "$t" | cut -d' ' -f4)"
        done
        i=$((i + 1))
    done
    [ -z "$failed" ] && ok "$N runs each, every one exited 0 with no output" ;;
esac

section leftovers
for r in $ok_rts; do
    check "$r: no container left" "" "$(R "$r" list -q 2>/dev/null)"
done
result

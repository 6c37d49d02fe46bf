#!/usr/bin/env bash
# find_idx_host driven live through its control thread with ebpf_injecter
# (the libubpf command line): add a REPLACE, hot-replace it by one that faults, read the
# status, remove the plugin; the host prints every call and never stops.
# No root needed: a SysV queue and a private run directory.
. "$PLUGFS_SRC/tests/lib.sh"

EX=$PLUGFS_BUILD/examples
HOST=$EX/hosts/find_idx_host
INJ=$PLUGFS_BUILD/injector/ebpf_injecter
[ -x "$HOST" ] && [ -x "$INJ" ] || { echo "FAIL: find_idx_host or ebpf_injecter not built" >&2; exit 1; }

RUN=$T_DIR/run
OUT=$T_DIR/out
"$HOST" --run-dir "$RUN" --interval-ms 10 >"$OUT" 2>"$T_DIR/err" &
HPID=$!
on_exit "kill $HPID"
wait_for 10 test -f "$RUN/hosts/find_idx_host.$HPID" || { cat "$T_DIR/err"; exit 1; }
MSQ=$(sed -n 's/^msqid *= *//p' "$RUN/hosts/find_idx_host.$HPID")
check "run file names the queue" test -n "$MSQ"
check "the find_idx insertion point is published" grep -q "^find_idx *= *1" "$RUN/hosts/find_idx_host.$HPID"

last() { tail -n 1 "$OUT"; }
# seen VALUE: the last printed line becomes VALUE
seen() { wait_for 5 sh -c "tail -n 1 '$OUT' | grep -qx 'find_idx=$1'"; }

check "original body" seen 6
check "add REPLACE (jit)" "$INJ" -a add -i find_idx -m "$MSQ" -p "$EX/pluglets/replace_find_idx.o" -h replace -j
check "the host runs the pluglet" seen 1006
check "hot replace by a faulting pluglet" "$INJ" -a replace -i find_idx -m "$MSQ" -p "$EX/pluglets/fault.o" -h replace
check "the faulting REPLACE falls back to the body" seen 6
check "add PRE counter with shared memory" "$INJ" -a add -i find_idx -m "$MSQ" -p "$EX/pluglets/pre_counter.o" -h pre -n 1 -s 64
check_fails "a second REPLACE is refused" "$INJ" -a add -i find_idx -m "$MSQ" -p "$EX/pluglets/loop.o" -h replace
check_fails "an unknown plugin is refused" "$INJ" -a add -i nope -m "$MSQ" -p "$EX/pluglets/loop.o" -h pre -n 1
"$INJ" -a status -i find_idx -m "$MSQ" >"$T_DIR/status" 2>&1
check "status reports faults of the REPLACE" grep -q "Last Fault: oob-" "$T_DIR/status"
check "remove the plugin" "$INJ" -a rm -i find_idx -m "$MSQ"
check "back to the original body" seen 6
check "the host is still alive" kill -0 "$HPID"
kill -TERM "$HPID"
wait "$HPID"
check_eq "clean exit on SIGTERM" "$?" 0
check "run file removed at exit" test ! -e "$RUN/hosts/find_idx_host.$HPID"

finish

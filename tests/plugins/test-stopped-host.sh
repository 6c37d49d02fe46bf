#!/usr/bin/env bash
# A host that stops answering (SIGSTOP) slows down only what is sent to it:
# listings, `cat` of hosts/ and `ls -l` of an anchor directory stay fast,
# also while a `cp` waits for that host, and reads see the host again once
# it answers.
#
# Bound: the host timeout is set to 4 s here, so a read that waited for the
# stopped host even once would take at least 4 s; reads that do not wait
# take milliseconds. 1.5 s leaves room for a busy machine and stays far
# below one timeout.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse

TP=$PLUGFS_BUILD/tests/plugins
PLUG_HOST=$TP/plug_host
BOUND_MS=1500

cat >"$T_DIR/plugfs.ini" <<INI
[limits]
host_timeout_ms = 4000
INI
start_plugfs --config "$T_DIR/plugfs.ini"
P=$MNT/plugins/shared

# start_host NAME: a plug_host registering "shared"; sets PID_<NAME>
start_host() {
	"$PLUG_HOST" --run-dir "$RUN_DIR" --name "$1" --points shared --interval-ms 20 \
		>>"$T_DIR/$1.log" 2>&1 &
	eval "PID_$1=$!"
	on_exit "stop_pid $!"
}
hosts_are() { test "$(ls "$MNT/hosts" | wc -l)" -eq "$1"; }
wait_result() { wait_for 3 bash -c "grep -a '^shared=' '$T_DIR/$1.log' | tail -n1 | grep -qx 'shared=$2'"; }
# timed_ms CMD...: runs CMD (output to $T_DIR/out), prints how long it took in ms
timed_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$T_DIR/out" 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }

start_host live
start_host stopped
check "two hosts in hosts/" wait_for 10 hosts_are 2
LIVE=live.$PID_live
STOPPED=stopped.$PID_stopped
check "cp a REPLACE pluglet into both" cp "$TP/ret_2000.o" "$P/replace/0"
check "live host runs it" wait_result live 2000
check "the other host runs it" wait_result stopped 2000

kill -STOP "$PID_stopped"
on_exit "kill -CONT $PID_stopped"
# The first read after the stop asks the host and waits for its own
# request: that is the one wait the stopped host may cost.
rep=$(cat "$P/replace/0")
check_eq "cat: two hosts" "$(grep -c '^ host ' <<<"$rep")" "2"
check "cat: the stopped host is unreachable" grep -q "state: unreachable (Connection timed out)" <<<"$rep"
check "cat: the live host has it loaded" grep -q "state: loaded" <<<"$rep"

# A change waits for the stopped host (and fails: it cannot take it);
# reads go on meanwhile.
errno_of cp "$TP/ret_3000.o" "$P/replace/0" >"$T_DIR/cp.err" &
cp_pid=$!
sleep 0.3
ms=$(timed_ms ls "$MNT/hosts")
check "ls hosts/ within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check_eq "ls hosts/ lists both" "$(tr '\n' ' ' <"$T_DIR/out")" "$LIVE $STOPPED "
ms=$(timed_ms cat "$MNT/hosts/$LIVE")
check "cat hosts/<live host> within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "live host's report: ready" grep -qx "state: ready" "$T_DIR/out"
check "live host's report: its pid" grep -qx "pid: $PID_live" "$T_DIR/out"
check "live host's report: the pluglet with its counters" \
	bash -c "grep -A3 -x 'plugin: shared' '$T_DIR/out' | grep -qx 'anchor: replace'"
ms=$(timed_ms ls -l "$P/replace")
check "ls -l of the anchor directory within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "ls -l lists the entry" grep -q " 0$" "$T_DIR/out"
ms=$(timed_ms cat "$MNT/hosts/$STOPPED")
check "cat hosts/<stopped host> within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "stopped host's report: unreachable" grep -qx "state: unreachable (Connection timed out)" "$T_DIR/out"
ms=$(timed_ms cat "$P/replace/0")
check "cat of the entry within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
wait "$cp_pid"
check_eq "the cp that needed the stopped host: ETIMEDOUT" "$(cat "$T_DIR/cp.err")" "Connection timed out"
check "live host still runs the pluglet of the tree" wait_result live 2000
check "the tree still holds the first object" \
	cmp <(grep '^sha256:' "$P/replace/0" | awk '{print $2}') \
	<(sha256sum "$TP/ret_2000.o" | awk '{print $1}')

kill -CONT "$PID_stopped"
loaded_twice() { test "$(grep -c 'state: loaded' "$P/replace/0")" -eq 2; }
check "once it answers again, cat shows it loaded" wait_for 10 loaded_twice
check "and hosts/ shows it ready" wait_for 5 grep -qx "state: ready" "$MNT/hosts/$STOPPED"

finish

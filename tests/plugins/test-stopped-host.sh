#!/usr/bin/env bash
# A host that stops answering (SIGSTOP) stalls nothing: listings, `stat`,
# `cat` of entries and of hosts/ stay fast (the stopped host's last status
# is shown with its age), also while a `cp` waits for that host; the `cp`
# succeeds for the live host and leaves the stopped one pending; a `cp`
# made once the host is known silent does not wait at all; after SIGCONT
# the host runs what the tree lists and its report counts the runs.
#
# Bound: the host timeout is set to 4 s here, so a read that waited for the
# stopped host would take at least 4 s; reads wait at most 250 ms. 1.5 s
# leaves room for a busy machine and stays far below one timeout.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse
. "$PLUGFS_SRC/tests/plugins/shared-host.sh"

TP=$PLUGFS_BUILD/tests/plugins
BOUND_MS=1500

start_plugfs_timeout 4000

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
# No read waits for the stopped host more than a quarter of a second, not
# even the first one: they show the newest status it sent, with its age.
ms=$(timed_ms cat "$P/replace/0")
check "first cat of the entry after the stop within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
rep=$(cat "$T_DIR/out")
check_eq "cat: two hosts" "$(grep -c '^Host: ' <<<"$rep")" "2"
check "cat: the live host has it loaded" grep -q "^State: loaded" <<<"$rep"
check "cat: the stopped host's status is shown with its age" grep -q "^Status Age (ms): [0-9]*" <<<"$rep"

# A change does not fail for the stopped host: the live host takes it, the
# stopped one is pending. Reads go on meanwhile.
errno_of cp "$TP/ret_3000.o" "$P/replace/0" >"$T_DIR/cp.err" &
cp_pid=$!
sleep 0.3
ms=$(timed_ms ls "$MNT/hosts")
check "ls hosts/ within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check_eq "ls hosts/ lists both" "$(tr '\n' ' ' <"$T_DIR/out")" "$LIVE $STOPPED "
ms=$(timed_ms cat "$MNT/hosts/$LIVE")
check "cat hosts/<live host> within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "live host's report: ready" grep -qx "State: ready" "$T_DIR/out"
check "live host's report: its pid" grep -qx "PID: $PID_live" "$T_DIR/out"
check "live host's report: the pluglet with its counters" \
	bash -c "grep -A3 -x 'Plugin: shared' '$T_DIR/out' | grep -qx 'Anchor: replace'"
ms=$(timed_ms ls -l "$P/replace")
check "ls -l of the anchor directory within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "ls -l lists the entry" grep -q " 0$" "$T_DIR/out"
ms=$(timed_ms stat "$P/replace/0")
check "stat of the entry within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
ms=$(timed_ms cat "$MNT/hosts/$STOPPED")
check "cat hosts/<stopped host> within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "stopped host's report: its last status with its age" grep -q "^Status Age (ms): [0-9]*" "$T_DIR/out"
check "stopped host's report: its pid from that status" grep -qx "PID: $PID_stopped" "$T_DIR/out"
ms=$(timed_ms cat "$P/replace/0")
check "cat of the entry within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
wait "$cp_pid"
check_eq "the cp succeeds for the live host" "$(cat "$T_DIR/cp.err")" ""
check "live host runs the new pluglet" wait_result live 3000
check "the tree holds the new object" \
	cmp <(sed -n 's/^Object SHA256: //p' "$P/replace/0") \
	<(sha256sum "$TP/ret_3000.o" | awk '{print $1}')
rep=$(cat "$P/replace/0")
check "cat: the stopped host is pending" \
	grep -q "^State: pending (host not answering)" <<<"$(sed -n "/^Host: $STOPPED/,/^\$/p" <<<"$rep")"
check "cat: the live host has it loaded" \
	grep -q "^State: loaded" <<<"$(sed -n "/^Host: $LIVE/,/^\$/p" <<<"$rep")"
check "hosts/<stopped host>: unreachable" grep -qx "State: unreachable (Connection timed out)" "$MNT/hosts/$STOPPED"
check "hosts/<stopped host>: changes pending" grep -qx "Changes: pending" "$MNT/hosts/$STOPPED"
# The host is known not to answer now: the next change does not wait for it.
ms=$(timed_ms cp "$TP/say_pre5.o" "$P/pre/5")
check "a cp while the host is known silent succeeds within $BOUND_MS ms (took $ms)" \
	test "$ms" -lt $BOUND_MS
check "the live host runs it" wait_for 3 grep -q "say pre5" "$T_DIR/live.log"

: >"$T_DIR/stopped.log"
kill -CONT "$PID_stopped"
check "once it answers again, the host runs the tree's REPLACE" wait_result stopped 3000
check "and the PRE pluglet made while it was stopped" wait_for 5 grep -q "say pre5" "$T_DIR/stopped.log"
loaded_twice() { test "$(grep -c '^State: loaded' "$P/$1")" -eq 2; }
check "cat shows the REPLACE loaded in both hosts" wait_for 10 loaded_twice replace/0
check "cat shows the PRE loaded in both hosts" wait_for 10 loaded_twice pre/5
check "the stopped host counts runs of it" \
	bash -c "sed -n '/^Host: $STOPPED/,/^\$/p' '$P/replace/0' | grep -q '^Runs: [1-9]'"
check "and hosts/ shows it ready" wait_for 5 grep -qx "State: ready" "$MNT/hosts/$STOPPED"
check "no changes pending any more" bash -c "! grep -q 'Changes: pending' '$MNT/hosts/$STOPPED'"

finish

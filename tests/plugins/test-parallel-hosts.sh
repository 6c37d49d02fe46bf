#!/usr/bin/env bash
# A cp to many hosts asks them together: three stopped hosts cost one host
# timeout, not three; a host that refuses among seven that accept fails the
# cp, and the seven (which were all asked, though the refusing host is
# listed first) get back what they had.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse
. "$PLUGFS_SRC/tests/plugins/shared-host.sh"

TP=$PLUGFS_BUILD/tests/plugins
TIMEOUT_MS=1500
start_plugfs_timeout $TIMEOUT_MS


# --- three hosts that do not answer cost one timeout ---
for h in live s1 s2 s3; do start_host $h; done
check "four hosts in hosts/" wait_for 10 hosts_are 4
check "cp a REPLACE pluglet into the four" cp "$TP/ret_2000.o" "$P/replace/0"
for h in live s1 s2 s3; do check "$h runs it" wait_result $h 2000; done
kill -STOP "$PID_s1" "$PID_s2" "$PID_s3"
ms=$(timed_ms cp "$TP/ret_3000.o" "$P/replace/0")
check_eq "the cp succeeds for the live host" "$(cat "$T_DIR/out")" ""
check "it waited for the three stopped hosts together: under 2 x $TIMEOUT_MS ms (took $ms)" \
	test "$ms" -lt $((2 * TIMEOUT_MS))
check "and it did wait for them (at least one timeout; took $ms)" test "$ms" -ge $((TIMEOUT_MS - 100))
check "the live host runs the new pluglet" wait_result live 3000
pending=$(grep -c "^State: pending (host not answering)" "$P/replace/0")
check_eq "cat: the three stopped hosts are pending" "$pending" "3"
: >"$T_DIR/s1.log"; : >"$T_DIR/s2.log"; : >"$T_DIR/s3.log"
kill -CONT "$PID_s1" "$PID_s2" "$PID_s3"
for h in s1 s2 s3; do check "$h gets the tree's pluglet once it answers" wait_result $h 3000; done
for h in live s1 s2 s3; do stop_pid "$(pid_of $h)"; done
check "the hosts left" wait_for 10 hosts_are 0

# --- one host refuses, seven accept: none keeps it ---
# host_only.o calls a helper that only hosts started with --helper have.
for i in 1 2 3 4 5 6 7; do
	"$PLUG_HOST" --run-dir "$RUN_DIR" --name "h$i" --points shared --helper --interval-ms 20 \
		>>"$T_DIR/h$i.log" 2>&1 &
	on_exit "stop_pid $!"
done
# The refusing host comes last: hosts are listed newest first, so one
# after the other it would be asked first and the others not at all.
check "seven hosts in hosts/" wait_for 10 hosts_are 7
start_host plain
check "eight hosts in hosts/" wait_for 10 hosts_are 8
for i in 1 2 3 4 5 6 7; do check "h$i runs the tree's REPLACE" wait_result h$i 3000; done
# Each host logs every change it is sent ("control <name>: replace ...").
changes() { grep -c "replace shared replace/0 .*: done" "$T_DIR/$1.log"; }
for i in 1 2 3 4 5 6 7; do eval "before_h$i=$(changes h$i)"; done
check_eq "cp of a pluglet one host cannot load: EINVAL" \
	"$(errno_of cp "$TP/host_only.o" "$P/replace/0")" "Invalid argument"
check "the log names the host that refused" grep -q "host plain\.$PID_plain rejected it" "$MNT/log"
check_eq "no other host refused" "$(grep -c 'rejected it' "$MNT/log")" "1"
check "the tree keeps the old pluglet" \
	cmp <(sed -n 's/^Object SHA256: //p' "$P/replace/0") \
	<(sha256sum "$TP/ret_3000.o" | awk '{print $1}')
for i in 1 2 3 4 5 6 7; do
	eval "b=\$before_h$i"
	check_eq "h$i was asked too, and given the old pluglet back" "$(changes h$i)" "$((b + 2))"
	check "h$i runs the old pluglet" wait_result h$i 3000
done
check "cat: every host runs the old pluglet" \
	test "$(grep -c '^State: loaded' "$P/replace/0")" -eq 8

finish

#!/usr/bin/env bash
# Scenarios 4 and 5: 50 atomic replacements of a passing program in the
# middle of a chain while pinging every 10 ms lose no reply and keep the
# position and the neighbours; mv 30 5 moves the drop first (the counter
# stops) and cat shows the new position.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd python3

d=$IF/xdp
cp "$PROGS/count.bpf.o" "$d/20" && cp "$PROGS/pass.bpf.o" "$d/30" && cp "$PROGS/count.bpf.o" "$d/40" ||
	fail "set up count/pass/count"
id20=$(field "$d/20" ID); id40=$(field "$d/40" ID); id30=$(field "$d/30" ID)
check "ping works through the chain" ping_ok

ip netns exec "$NSA" ping -i 0.01 -c 400 -W 1 "$PEER" > "$T_DIR/ping.out" 2>&1 &
ping_pid=$!
sleep 0.3
ok=0
for i in $(seq 50); do
	cp "$PROGS/pass.bpf.o" "$d/30" && ok=$((ok + 1))
done
wait $ping_pid
check_eq "50 replacements succeeded" "$ok" "50"
tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T_DIR/ping.out")
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_DIR/ping.out")
check_eq "no reply lost during replacements ($rx of $tx)" "$rx" "$tx"
[ "$rx" = "$tx" ] || { say "ping output:"; tail -n 5 "$T_DIR/ping.out"; tail -n 20 "$MNT/log"; }
check "ping sent packets" test "${tx:-0}" -ge 300
check_fails "program id changed" test "$(field "$d/30" ID)" = "$id30"
check_eq "position kept" "$(field "$d/30" Position)" "1"
check_eq "entries unchanged" "$(ls "$d" | sort -n | tr '\n' ' ')" "20 30 40 "
check_eq "neighbour before unchanged" "$(field "$d/20" ID)" "$id20"
check_eq "neighbour after unchanged" "$(field "$d/40" ID)" "$id40"
c0=$(counter "$d/40"); ping_ok; c1=$(counter "$d/40")
check "chain still reaches the last program ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"
bad=$(errno_of cp "$PROGS/reject.bpf.o" "$d/30")
check_eq "failed replace: EINVAL" "$bad" "Invalid argument"
check_eq "failed replace keeps the old program" "$(field "$d/30" ID)" "$(bpftool prog show pinned "$BPFFS_DIR/$VETH_B/xdp/prog_30" | sed -n 's/^\([0-9]*\):.*/\1/p')"
rm -f "$d/30" "$d/40"

# scenario 5: count at 20 + drop at 30, then mv 30 5
cp "$PROGS/drop.bpf.o" "$d/30" || fail "cp drop 30"
c0=$(counter "$d/20")
check "count+drop: ping fails" ping_fails
c1=$(counter "$d/20")
check "counter counts before the move ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"
idd=$(field "$d/30" ID); shad=$(field "$d/30" "Object SHA256")
check "mv 30 5" mv "$d/30" "$d/5"
check_eq "ls after mv" "$(ls "$d" | sort -n | tr '\n' ' ')" "5 20 "
check_eq "cat shows priority 5" "$(field "$d/5" Priority)" "5"
check_eq "cat shows position 0" "$(field "$d/5" Position)" "0"
check_eq "count now at position 1" "$(field "$d/20" Position)" "1"
# a re-ordering move switches to copies in one update (docs/kernel-engine.md)
check_eq "the same object moved" "$(field "$d/5" "Object SHA256")" "$shad"
check "as a copy: a new program id ($idd -> $(field "$d/5" ID))" test "$(field "$d/5" ID)" != "$idd"
c0=$(counter "$d/20")
check "drop first: ping fails" ping_fails
c1=$(counter "$d/20")
check_eq "counter stopped" "$c1" "$c0"
check "pin follows the priority" test -e "$BPFFS_DIR/$VETH_B/xdp/prog_5"
# rename(2) itself: mv turns some errnos into its own messages
rename_errno() {
	python3 -c 'import os, sys
try:
    os.rename(sys.argv[1], sys.argv[2])
except OSError as e:
    print(os.strerror(e.errno))' "$1" "$2"
}
check_eq "mv onto an existing entry: EEXIST" "$(rename_errno "$d/5" "$d/20")" "File exists"
check_eq "mv to a bad priority: EINVAL" "$(rename_errno "$d/5" "$d/2000")" "Invalid argument"
check "mv back 5 30" mv "$d/5" "$d/30"
c0=$(counter "$d/20"); ping_fails; c1=$(counter "$d/20")
check "counter counts again ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"
idd=$(field "$d/30" ID)
check "mv 30 35 (same neighbours)" mv "$d/30" "$d/35"
check_eq "still position 1" "$(field "$d/35" Position)" "1"
check_eq "a rename in place keeps the program" "$(field "$d/35" ID)" "$idd"
c0=$(counter "$d/20"); ping_fails; c1=$(counter "$d/20")
check "count then drop after a rename in place ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"
rm -f "$d/20" "$d/35"
check "nothing left" no_leftovers
finish

#!/usr/bin/env bash
# Counts of chained programs (docs/kernel-engine.md, "Counting"): traffic
# through a chain of 3 programs (count: pass; oddseq: drops echo requests
# with an odd sequence number; pass) on xdp and tc-ingress; each program's
# Run Count and verdicts are exact; the root keeps the kernel's own
# counters (bpftool); the counts survive a daemon restart (adoption) and a
# re-ordering mv, a replace starts them at 0 (and a counter used before is
# zeroed); run time grows only while kernel.bpf_stats_enabled is 1, and not
# for a program without room on its stack for the start time; the engine's
# stats API (engine-cli stats) gives what cat gives.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd sysctl jq

for p in oddseq stack500; do
	[ -f "$PROGS/$p.bpf.o" ] || { echo "FAIL: $PROGS/$p.bpf.o not built" >&2; exit 1; }
done
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
on_exit "sysctl -qw kernel.bpf_stats_enabled=$old_stats"
sysctl -qw kernel.bpf_stats_enabled=0

quiet_veth

# pings N: N echo requests (sequence 1..N), answered or not
pings() { ip netns exec "$NSA" ping -q -c "$1" -i 0.01 -W 0.2 "$PEER" >/dev/null 2>&1 || true; }
# verdict ENTRY NAME: the count of one verdict in the entry's report
verdict() { field "$1" Verdicts | tr ',' '\n' | sed -n "s/^ *$2=//p"; }
runs() { field "$1" "Run Count"; }
rtime() { field "$1" "Run Time (ns)"; }

N=10 ODD=5
# tc first: the xdp chain, once loaded, drops the odd ones before tc sees them
for hook in tc-ingress xdp; do
	[ $hook = xdp ] && { P=pass; D=drop; } || { P=ok; D=shot; }
	d=$IF/$hook
	check "$hook: cp 3 programs" cp "$PROGS/count.bpf.o" "$d/10"
	cp "$PROGS/oddseq.bpf.o" "$d/20"
	cp "$PROGS/pass.bpf.o" "$d/30"
	check_eq "$hook: counts start at 0" "$(runs "$d/10") $(runs "$d/20") $(runs "$d/30")" "0 0 0"
	pings $N
	check_eq "$hook: 10 ran for every packet" "$(runs "$d/10")" "$N"
	check_eq "$hook: 10 passed every packet" "$(verdict "$d/10" $P)" "$N"
	check_eq "$hook: 20 ran for every packet" "$(runs "$d/20")" "$N"
	check_eq "$hook: 20 dropped the odd ones" "$(verdict "$d/20" $D)" "$ODD"
	check_eq "$hook: 20 passed the even ones" "$(verdict "$d/20" $P)" "$((N - ODD))"
	check_eq "$hook: 30 ran for the packets 20 passed" "$(runs "$d/30")" "$((N - ODD))"
	check_eq "$hook: 30 passed them" "$(verdict "$d/30" $P)" "$((N - ODD))"
	check_eq "$hook: no run time while bpf_stats_enabled is 0" "$(rtime "$d/10")" "0"
	check_eq "$hook: count.bpf.o's own counter agrees" "$(counter "$d/10")" "$N"
	cp "$PROGS/pass.bpf.o" "$d/5"
	rm "$d/5"
	check_eq "$hook: a load and rm elsewhere leaves the counts" "$(runs "$d/20")" "$N"
done

say "the kernel's own counters of the root, run time with bpf_stats_enabled=1"
sysctl -qw kernel.bpf_stats_enabled=1
root_id=$(bpftool prog show pinned "$BPFFS_DIR/$VETH_B/xdp/root" | sed -n 's/^\([0-9]*\): .*/\1/p')
root_runs() { bpftool -j prog show id "$root_id" | sed -n 's/.*"run_cnt": *\([0-9]*\).*/\1/p'; }
r0=$(root_runs); r0=${r0:-0}
sleep 1.5	# the daemon looks at the sysctl once a second (and at each read)
pings $N
r1=$(root_runs)
check_eq "xdp: bpftool shows the root's runs (the kernel's counter)" "$((r1 - r0))" "$N"
for p in 10 20 30; do
	check "xdp/$p: run time grows with bpf_stats_enabled=1" test "$(rtime "$IF/xdp/$p")" -gt 0
done
check_eq "xdp/10: runs" "$(runs "$IF/xdp/10")" "$((2 * N))"
sysctl -qw kernel.bpf_stats_enabled=0
t0=$(rtime "$IF/xdp/10")	# this read sets the switch off
pings $N
check_eq "xdp/10: run time stops with bpf_stats_enabled=0" "$(rtime "$IF/xdp/10")" "$t0"
check_eq "xdp/10: runs go on" "$(runs "$IF/xdp/10")" "$((3 * N))"

say "restart: the counts are adopted"
before=$(runs "$IF/xdp/20"),$(verdict "$IF/xdp/20" drop),$(runs "$IF/tc-ingress/30")
kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
pings $N
PLUGFS_NETNS=$NSB start_plugfs
after=$(runs "$IF/xdp/20"),$(verdict "$IF/xdp/20" drop),$(runs "$IF/tc-ingress/30")
IFS=, read -r r d t <<< "$before"
check_eq "counts kept across the restart, and counted while the daemon was dead" "$after" \
	"$((r + N)),$((d + ODD)),$((t + N - ODD))"

say "the engine's stats API gives the same counts (engine-cli, with the daemon stopped)"
want=$(runs "$IF/xdp/20"),$(verdict "$IF/xdp/20" drop),$(verdict "$IF/xdp/20" pass)
stop_plugfs
CLI="$PLUGFS_BUILD/tests/bpf/engine-cli -b $BPFFS_DIR -s $STATE_DIR"
nsenter --net=/run/netns/$NSB $CLI stats "$VETH_B" xdp > "$T_DIR/stats"
check_eq "stats: 3 xdp programs in chain order" "$(awk '{print $3 "@" $4}' "$T_DIR/stats" | tr '\n' ' ')" \
	"10@0 20@1 30@2 "
line=$(grep "^$VETH_B xdp 20 " "$T_DIR/stats")
got=$(echo "$line" | sed -E 's/.* runs=([0-9]+) .* drop=([0-9]+) pass=([0-9]+) .*/\1,\2,\3/')
check_eq "stats: xdp/20 runs, drop and pass as cat showed" "$got" "$want"
check "stats: xdp/20 counted and timed" grep -q "^$VETH_B xdp 20 .* counted=1 timed=1 " "$T_DIR/stats"
check "stats: the tc names" grep -q "^$VETH_B tc-ingress 10 .* unspec=0 ok=[0-9]* .* other=0\$" \
	<(nsenter --net=/run/netns/$NSB $CLI stats "$VETH_B" tc-ingress)
check_eq "stats-all: every program of both hooks" \
	"$(nsenter --net=/run/netns/$NSB $CLI stats-all "$VETH_B" xdp | awk '{print $2 "/" $3}' | sort | tr '\n' ' ')" \
	"tc-ingress/10 tc-ingress/20 tc-ingress/30 xdp/10 xdp/20 xdp/30 "
check_eq "stats: no such hook" "$(nsenter --net=/run/netns/$NSB $CLI stats "$VETH_B" tc-egress 2>&1 >/dev/null | tail -n1)" \
	"engine-cli: stats: No such file or directory"
PLUGFS_NETNS=$NSB start_plugfs

say "mv keeps the counts, replace starts at 0"
c30=$(runs "$IF/xdp/30")
c20=$(runs "$IF/xdp/20")
check "xdp: mv 30 to 15 (re-orders the chain)" mv "$IF/xdp/30" "$IF/xdp/15"
check_eq "xdp: the moved program keeps its counts" "$(runs "$IF/xdp/15")" "$c30"
check_eq "xdp: the program it passed keeps its counts" "$(runs "$IF/xdp/20")" "$c20"
pings $N
check_eq "xdp/15 (now before oddseq) ran for every packet" "$(runs "$IF/xdp/15")" "$((c30 + N))"
check "xdp: replace 20" cp "$PROGS/oddseq.bpf.o" "$IF/xdp/20"
check_eq "xdp: a replacement starts at 0" "$(runs "$IF/xdp/20") $(verdict "$IF/xdp/20" drop)" "0 0"
pings $N
check_eq "xdp: the replacement counts" "$(runs "$IF/xdp/20") $(verdict "$IF/xdp/20" drop)" "$N $ODD"
# the replaced program's counter is free again: the next load takes it, zeroed
check "xdp: cp 25" cp "$PROGS/pass.bpf.o" "$IF/xdp/25"
check_eq "xdp: a new program starts at 0 on a counter used before" "$(runs "$IF/xdp/25")" "0"
pings $N
check_eq "xdp/25 ran for the packets 20 passed" "$(runs "$IF/xdp/25")" "$((N - ODD))"

say "no room on the stack for the start time: counted, without run time"
check "xdp: cp stack500 (main uses 500 bytes of stack)" cp "$PROGS/stack500.bpf.o" "$IF/xdp/40"
sysctl -qw kernel.bpf_stats_enabled=1
t10=$(rtime "$IF/xdp/10")
pings $N
check_eq "xdp/40: counted, not timed" "$(jq -r '.kernel | "\(.counted) \(.timed)"' "$IF/xdp/40.json")" \
	"true false"
check_eq "xdp/40: runs, and no run time" "$(jq -r '.kernel | "\(.run_count) \(.run_time_ns)"' "$IF/xdp/40.json")" \
	"$((N - ODD)) 0"
check "xdp/10: timed, its run time grows" test "$(rtime "$IF/xdp/10")" -gt "$t10"
sysctl -qw kernel.bpf_stats_enabled=0

finish

#!/usr/bin/env bash
# Benchmark: the mount at scale and the cost of one cp, each against a
# baseline measured in the same run.
#  1. `ls -lR ifaces/` with 64 interfaces x 3 hooks x 10 programs (1920
#     entries, loaded by cp, XDP in skb mode; the veths' peers sit in a
#     namespace of the benchmark's own) against `ls -lR` of a plain
#     directory tree of the same shape; the two take turns, median of
#     BENCH_LS_RUNS each.
#     The mount's listing is timed cold (the kernel's cache expired: 1.2 s
#     after the last one) and warm (right after).
#  2. cp into an XDP chain through the mount against the engine's own
#     load (bench_cp_chain), BENCH_RUNS rounds, once the daemon holds the
#     1920 programs (a fresh daemon is still making its spare chain maps).
#  3. the FUSE requests of one cp (a second daemon with -d, its requests
#     counted per opcode).
# BENCH_IFACES=N changes the number of interfaces.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ip nsenter
B=$PLUGFS_BUILD
N=${BENCH_IFACES:-64}
LS_RUNS=${BENCH_LS_RUNS:-7}
RUNS=${BENCH_RUNS:-200}
PASS=$B/tests/bpf/pass.bpf.o
DROP=$B/tests/bpf/drop.bpf.o
HOOKS="xdp tc-ingress tc-egress"
NS=$(make_netns tree)
PEER=$(make_netns peer)
for ((i = 0; i < N; i++)); do
	ip -n "$NS" link add "v$i" type veth peer name "p$i" netns "$PEER" || exit 1
	ip -n "$NS" link set "v$i" up && ip -n "$PEER" link set "p$i" up || exit 1
done
for v in vc ve; do
	ip -n "$NS" link add "$v" type veth peer name "p$v" netns "$PEER" || exit 1
	ip -n "$NS" link set "$v" up && ip -n "$PEER" link set "p$v" up || exit 1
done
printf '[defaults]\nxdp_mode = skb\n' >"$T_DIR/plugfs.ini"
PLUGFS_NETNS=$NS start_plugfs --config "$T_DIR/plugfs.ini"

mkdir -p "$T_DIR/work"
cp_chain() {
	echo "$1:"
	nsenter --net="/run/netns/$NS" "$B/tests/fs/bench_cp_chain" "$MNT/ifaces/vc/xdp" ve "$PASS" \
		"$DROP" "$RUNS" "$T_DIR/work" || exit 1
}

# --- 1. the tree, loaded by cp ---
t0=$(date +%s%N)
for ((i = 0; i < N; i++)); do
	for h in $HOOKS; do
		for p in 10 20 30 40 50 60 70 80 90 100; do
			cp "$PASS" "$MNT/ifaces/v$i/$h/$p" || { echo "cp v$i/$h/$p failed"; exit 1; }
		done
	done
done
t1=$(date +%s%N)
entries=$(ls -R "$MNT/ifaces" | grep -c '^[0-9]')
[ "$entries" -eq $((N * 30)) ] || { echo "the tree has $entries entries, not $((N * 30))"; exit 1; }
echo "tree of $entries entries loaded by cp in $(((t1 - t0) / 1000000)) ms"
# The plain tree: same directories, same names, files of a report's size.
plain=$T_DIR/plain
cat "$MNT/ifaces/v0/xdp/10" >"$T_DIR/report"
for d in $(cd "$MNT" && find ifaces -type d); do mkdir -p "$plain/$d"; done
for f in $(cd "$MNT" && find ifaces -type f); do cp "$T_DIR/report" "$plain/$f"; done
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ls_ms() {
	local t0 t1
	t0=$(date +%s%N)
	ls -lR "$1" >/dev/null || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
: >"$T_DIR/ls.plain"; : >"$T_DIR/ls.cold"; : >"$T_DIR/ls.warm"
for ((r = 0; r < LS_RUNS; r++)); do
	sleep 1.2
	ls_ms "$plain/ifaces" >>"$T_DIR/ls.plain" || exit 1
	ls_ms "$MNT/ifaces" >>"$T_DIR/ls.cold" || exit 1
	ls_ms "$MNT/ifaces" >>"$T_DIR/ls.warm" || exit 1
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / (b ? b : 1)}'; }
lp=$(median <"$T_DIR/ls.plain")
lc=$(median <"$T_DIR/ls.cold")
lw=$(median <"$T_DIR/ls.warm")
printf 'ls -lR of %d entries (median of %d, targets 200 ms and 3x):\n' "$entries" "$LS_RUNS"
printf '  plain directory tree   %5d ms  (baseline)\n' "$lp"
printf '  mount, cache expired   %5d ms  %s\n' "$lc" "$(ratio "$lc" "$lp")"
printf '  mount, cache warm      %5d ms  %s\n' "$lw" "$(ratio "$lw" "$lp")"

# --- 2. cp into a chain against the engine's own load ---
cp_chain "cp into a chain, with the 1920 programs loaded"

# --- 3. the FUSE requests of one cp ---
# A second daemon, with -d, on an interface of its own (vt); every request
# it prints between the two marks is the cp's.
ip -n "$NS" link add vt type veth peer name pvt netns "$PEER" && ip -n "$NS" link set vt up
MNT=$T_DIR/mnt-d STATE_DIR=$T_DIR/state-d RUN_DIR=$T_DIR/run-d \
	BPFFS_DIR=/sys/fs/bpf/plugfs-test-$T_ID-d PLUGFS_LOG=$T_DIR/debug.log \
	PLUGFS_NETNS=$NS start_plugfs --config "$T_DIR/plugfs.ini" -d
X=$T_DIR/mnt-d/ifaces/vt/xdp
cp "$PASS" "$X/10" || exit 1
for kind in overwrite join; do
	sleep 0.2
	from=$(wc -l <"$T_DIR/debug.log")
	if [ $kind = overwrite ]; then cp "$DROP" "$X/10"; else cp "$DROP" "$X/20"; fi || exit 1
	sleep 0.2
	ops=$(tail -n +$((from + 1)) "$T_DIR/debug.log" | sed -n 's/.*opcode: \([A-Z_]*\).*/\1/p')
	printf 'FUSE requests of one cp (%s): %d:' "$kind" "$(grep -c . <<<"$ops")"
	sort <<<"$ops" | uniq -c | awk '{printf " %s x%d", $2, $1}'
	echo
done

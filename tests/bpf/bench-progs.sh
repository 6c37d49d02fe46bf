#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark: `ls -l progs/` with 500 more programs loaded (each entry's size
# is its report: kernel state and attach points) against `ls -l` of a plain
# directory of 500 files, same run. Fails above 100 ms per 500 programs
# (the kernel may hold more: other tools', parallel test runs').
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ip nsenter
N=${BENCH_PROGS:-500}
RUNS=${BENCH_RUNS:-11}
NS=$(make_netns progs)
ip -n "$NS" link add "bp$T_ID" type veth peer name "bq$T_ID"
PLUGFS_NETNS=$NS start_plugfs

coproc LOADER { exec "$PLUGFS_BUILD/tests/bpf/bench_load_progs" "$N"; }
on_exit "stop_pid $LOADER_PID"
read -r -t 60 line <&"${LOADER[0]}"
[ "$line" = ready ] || { echo "FAIL: the loader did not load $N programs" >&2; exit 1; }
plain=$T_DIR/plain
mkdir -p "$plain"
for ((i = 0; i < N; i++)); do : >"$plain/$i"; done

# median_ms DIR: the median time of `ls -l DIR` in ms
# median_ms DIR [PAUSE]: PAUSE seconds before each run (1.1: past the
# kernel's 1 s entry and attribute cache of the mount, plugfs(8) CACHING)
median_ms() {
	local t0 t1 i
	for ((i = 0; i < RUNS; i++)); do
		[ -z "${2:-}" ] || sleep "$2"
		t0=$(date +%s%N)
		# programs of other tools may go between readdir and stat
		ls -l "$1" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | sed -n "$((RUNS / 2 + 1))p" | awk '{printf "%.1f", $1 / 1000}'
}
total=$(ls "$MNT/progs" | wc -l)
# the worst case: every run after the mount's caches expired
p=$(median_ms "$MNT/progs" 1.1) || exit 1
b=$(median_ms "$plain" 1.1) || exit 1
w=$(median_ms "$MNT/progs") || exit 1
# other tools (and parallel test runs) may hold programs too: the limit is
# for N programs, so the time is also given per N entries
per=$(echo "$p $total $N" | awk '{printf "%.1f", $1 * $3 / $2}')
printf 'ls -l progs/ (%d programs), caches expired: %s ms (%s ms per %d); plain directory of %d files: %s ms; ratio %.1fx\n' \
	"$total" "$p" "$per" "$N" "$N" "$b" "$(echo "$p $b" | awk '{print $1 / $2}')"
printf 'ls -l progs/, runs back to back (caches warm): %s ms\n' "$w"
awk -v p="$per" 'BEGIN { exit !(p < 100) }' || { echo "FAIL: over 100 ms per $N programs"; exit 1; }

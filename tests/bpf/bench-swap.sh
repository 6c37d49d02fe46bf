#!/usr/bin/env bash
# Benchmark: the latency of one swap read (switch to the other copy, wait
# for a grace period, read and empty the quiescent instance) against a
# plain read of the same map in the same run, both under a ping flood
# through the chain, in a private pair of namespaces. Prints the medians
# and their ratio; /sys/kernel/rcu_expedited decides the grace period's
# length (docs/performance.md).
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_bpffs; need_cmd ip nsenter ping
B=$PLUGFS_BUILD
RUNS=${BENCH_RUNS:-101}
NSA=$(make_netns swa)
NSB=$(make_netns swb)
make_veth_pair "$NSA" "$NSB" 169.254.62.1/24 169.254.62.2/24
BPFFS=/sys/fs/bpf/plugfs-bench-$T_ID
on_exit "rm -rf '$BPFFS'"
CLI=(nsenter "--net=/run/netns/$NSB" "$B/tests/bpf/engine-cli" -b "$BPFFS" -s "$T_DIR/state")
mkdir -p "$T_DIR/state"
"${CLI[@]}" load "$VETH_B" xdp 10 "$B/tests/bpf/swap_count.bpf.o" swap=pkts,pcpu swap_empty=1 \
	2>/dev/null || { echo "FAIL: load"; exit 1; }
ip netns exec "$NSA" ping -q -i 0.002 169.254.62.2 >/dev/null 2>&1 &
on_exit "kill $!"
pin=$(ls -d "$BPFFS"/maps/*)/pkts
plain=$("${CLI[@]}" plain-read "$pin" "$RUNS" 2>&1 >/dev/null | sed -n 's/.*median \([0-9.]*\) us.*/\1/p')
swap=$("${CLI[@]}" swap-read "$VETH_B" xdp 10 pkts "$RUNS" 2>&1 >/dev/null |
	sed -n 's/.*median \([0-9.]*\) us.*/\1/p')
[ -n "$plain" ] && [ -n "$swap" ] || { echo "FAIL: no measure"; exit 1; }
echo "swap read (pkts, array of 1, under ~500 pps): median $swap us over $RUNS reads"
echo "plain read of the same map:                  median $plain us"
awk -v s="$swap" -v p="$plain" 'BEGIN { printf "ratio swap/plain: %.0fx\n", s / p }'
echo "rcu_expedited = $(cat /sys/kernel/rcu_expedited 2>/dev/null || echo '?')"
"${CLI[@]}" unload "$VETH_B" xdp 10 2>/dev/null

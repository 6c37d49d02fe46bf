#!/usr/bin/env bash
# Swap-state entries (swap = MAP[,MAP], swap_empty = true): loaded through
# a manifest, shown by cat; reads (cat maps/<id>/dump through the mount, and
# the engine's own read from engine-cli) taken while a known number of pings
# flow give counts per interval that add up exactly to the packets sent (and to
# the `total` map both copies share), also under a ping flood and with a
# slow program, where a read that did not wait for the packets still in the
# old copy loses counts; which copy is live survives a daemon restart and a
# replace; bad lists fail cleanly; rm leaves nothing.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

need_cmd jq
SWAP_O=$PROGS/swap_count.bpf.o
[ -f "$SWAP_O" ] || { echo "FAIL: $SWAP_O not built" >&2; exit 1; }
CLI=(nsenter "--net=/run/netns/$NSB" "$PLUGFS_BUILD/tests/bpf/engine-cli" -b "$BPFFS_DIR"
	-s "$STATE_DIR")
E=$IF/xdp/10

# read MAP: one swap read by the engine (the daemon is stopped); prints the count
read_swap() { "${CLI[@]}" swap-read "$VETH_B" xdp 10 "$1" 2>>"$T_DIR/cli.log"; }
# total: the shared map, read with bpftool
total() {
	bpftool -j map lookup pinned "$(field "$T_DIR/report" "Map Pin Path")/total" key 0 0 0 0 |
		sed -n 's/.*"value": *\([0-9]*\).*/\1/p'
}
# report: the entry's report in $T_DIR/report, through the mount while the
# daemon runs, from engine-cli otherwise
report() {
	if mountpoint -q "$MNT"; then
		cp "$E" "$T_DIR/report"
	else
		"${CLI[@]}" report "$VETH_B" xdp 10 >"$T_DIR/report" 2>>"$T_DIR/cli.log"
	fi
}
# pings N: N echo requests; $T_DIR/ping holds ping's report
pings() { ip netns exec "$NSA" ping -q -c "$1" -i 0.01 -W1 "$PEER" >"$T_DIR/ping" 2>&1; }
# received: the replies of the last pings
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_DIR/ping"; }

say "load through a manifest"
# refused DESC AT KEY=VALUE...: a manifest of those lines written to AT is EINVAL
refused() {
	local d=$1 at=$2
	shift 2
	manifest "$T_DIR/bad" "$@"
	check_eq "$d: EINVAL" "$(errno_of cp "$T_DIR/bad" "$at")" "Invalid argument"
}
refused "a swap map the object lacks" "$IF/xdp/20" "object = $SWAP_O" "swap = pkts, nosuch"
refused "an empty name in the list" "$IF/xdp/20" "object = $SWAP_O" "swap = pkts,,pcpu"
refused "swap_empty not a boolean" "$IF/xdp/20" "object = $SWAP_O" "swap = pkts" \
	"swap_empty = maybe"
check "the failed loads left no entry" test ! -e "$IF/xdp/20"
check "nor any map" test -z "$(ls "$BPFFS_DIR/maps" 2>/dev/null)"
manifest "$T_DIR/m" "object = $SWAP_O" "swap = pkts, pcpu, hist" "swap_empty = true"
check "cp of the manifest" cp "$T_DIR/m" "$E"
check_eq "cat shows the swap maps" "$(field "$E" "Swap Maps" | sed 's/ ([^)]*)//g')" \
	"pkts, pcpu, hist"
check_eq "copy 0 is live" "$(field "$E" "Swap Live Copy" | cut -d' ' -f1)" 0
check_eq "swap_empty shown" "$(field "$E" "Swap Empty")" true
check_eq "the JSON form has them" \
	"$(jq -r '.swap.maps[1].name, .swap.live_copy, .swap.empty' "$E.json" | paste -sd' ')" \
	"pcpu 0 true"
check "the idle copy is pinned beside the entry" test -e "$BPFFS_DIR/$VETH_B/xdp/prog_10_idle"
refused "sharing the maps of a swap entry" "$IF/xdp/30" "object = $PROGS/count.bpf.o" \
	"map_owner = ../10"
refused "swap with map_owner" "$IF/xdp/30" "object = $SWAP_O" "swap = pkts" "map_owner = ../10"
check "neither left an entry" test ! -e "$IF/xdp/30"
cp "$PROGS/pass.bpf.o" "$IF/xdp/20"
check_eq "a move that re-orders around it: EOPNOTSUPP" "$(errno_of mv "$IF/xdp/20" "$IF/xdp/5")" \
	"Operation not supported"
check "the chain is unchanged" test -e "$IF/xdp/20" -a -e "$E"
rm -f "$IF/xdp/20"

# read_dump MAP: one swap read through the mount, `cat maps/<id>/dump` (the id
# of either instance), the values of the dump summed
read_dump() {
	local id
	id=$(field "$E" "Swap Maps" | sed -n "s/.*$1 (live id \([0-9]*\),.*/\1/p")
	cat "$MNT/maps/$id/dump" >"$T_DIR/dump" || return 1
	{ echo 0; grep -o '(__u64)[0-9]*' "$T_DIR/dump" | cut -d')' -f2; } | paste -sd+ | bc
}
# interval_reads READER: reads of pkts, pcpu and hist with READER (read_dump,
# read_swap) while 300 pings flow, then once more: each map's reads add up
# to the pings, and to what the shared map counted
interval_reads() {
	local r=$1 n=300 p c h sp=0 sc=0 sh=0 reads=0 busy=0 base pid
	base=$(total)
	pings $n & pid=$!
	while kill -0 $pid 2>/dev/null; do
		p=$($r pkts) && c=$($r pcpu) && h=$($r hist) || { fail "$r: a read failed"; break; }
		sp=$((sp + p)) sc=$((sc + c)) sh=$((sh + h)) reads=$((reads + 1))
		[ "$p" -gt 0 ] && busy=$((busy + 1))
		echo "# $r, interval $reads: pkts $p, pcpu $c, hist $h"
		sleep 0.1
	done
	wait $pid
	p=$($r pkts) && c=$($r pcpu) && h=$($r hist) || fail "$r: the last reads"
	sp=$((sp + p)) sc=$((sc + c)) sh=$((sh + h))
	check "$r: several intervals had traffic ($busy of $reads)" test "$busy" -ge 3
	check_eq "$r: every ping answered" "$(received)" "$n"
	check_eq "$r: the shared map counted each ping once" "$(( $(total) - base ))" "$n"
	check_eq "$r: the reads of pkts add up to the pings sent" "$sp" "$n"
	check_eq "$r: the reads of pcpu (per-CPU, a hash) too" "$sc" "$n"
	check_eq "$r: the reads of hist (per-CPU, an array of 1500) too" "$sh" "$n"
}

say "reads through the mount while traffic flows: cat maps/<id>/dump"
report
interval_reads read_dump

say "reads while traffic flows (engine-cli: a new engine per read, adopting each time)"
check "daemon stopped" stop_plugfs
interval_reads read_swap
report
check "every read adopted the chain (none restored it)" \
	bash -c "! grep -q 'restoring' '$T_DIR/cli.log'"
check_eq "nothing left in the idle instance" "$(read_swap pkts)" 0
live=$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)
id=$(field "$T_DIR/report" ID)
idle_map=$(field "$T_DIR/report" "Swap Maps" | sed -n 's/^pkts (live id [0-9]*, idle id \([0-9]*\)).*/\1/p')
pings 7
check_eq "a read by map id (the idle instance's)" "$("${CLI[@]}" swap-read "$VETH_B" xdp 10 \
	"id:$idle_map" 2>>"$T_DIR/cli.log")" 7
check_eq "then the pcpu interval, without a second switch" "$(read_swap pcpu)" 7
check_eq "and the hist interval" "$(read_swap hist)" 7
report
live=$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)
id=$(field "$T_DIR/report" ID)

# flood_reads PINGS READS MIN_BUSY: a ping flood while one engine makes
# READS swap reads of hist back to back, then two more once it is over: the
# reads add up to every packet the shared map counted; then every instance
# is drained
flood_reads() {
	local base flooded busy
	base=$(total)
	ip netns exec "$NSA" ping -q -f -c "$1" "$PEER" >"$T_DIR/flood" 2>&1 &
	local pid=$!
	"${CLI[@]}" swap-read "$VETH_B" xdp 10 hist "$2" >"$T_DIR/hist" 2>>"$T_DIR/cli.log" ||
		fail "$2 swap reads of hist"
	wait $pid
	read_swap hist >>"$T_DIR/hist" && read_swap hist >>"$T_DIR/hist"
	flooded=$(( $(total) - base ))
	busy=$(head -n "$2" "$T_DIR/hist" | grep -cv '^0$')
	check "packets went through the chain while the reads ran ($flooded, $busy reads)" \
		test "$flooded" -gt $(($1 / 20)) -a "$busy" -ge "$3"
	check_eq "the reads of hist add up to every packet counted" \
		"$(paste -sd+ "$T_DIR/hist" | bc)" "$flooded"
	# pkts and pcpu were not read: both their instances hold counts
	for m in pkts pcpu pkts pcpu hist; do read_swap $m >/dev/null; done
	check_eq "the idle instances are empty" \
		"$(read_swap pkts)$(read_swap pcpu)$(read_swap hist)" 000
}

say "a ping flood, 100 reads back to back in one engine"
flood_reads 20000 100 3

say "a slow program (each packet idles ~100k loop rounds): packets still in the old copy"
# after a switch, a packet that took the old copy runs it for a while more:
# only the wait for them keeps its count out of a read that has begun
check "replaced by the slow build" "${CLI[@]}" load "$VETH_B" xdp 10 "$SWAP_O" \
	swap=pkts,pcpu,hist swap_empty=1 global.spin=a0860100 2>>"$T_DIR/cli.log"
flood_reads 3000 60 10
report
live=$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)
id=$(field "$T_DIR/report" ID)
got=$(total)

say "the live copy survives a daemon restart and a replace"
PLUGFS_NETNS=$NSB start_plugfs
check_eq "adopted: the same live copy" "$(field "$E" "Swap Live Copy" | cut -d' ' -f1)" "$live"
check_eq "adopted: the same program" "$(field "$E" ID)" "$id"
check "cp of the manifest again (a replace)" cp "$T_DIR/m" "$E"
check_eq "the replace keeps the live instance" \
	"$(field "$E" "Swap Live Copy" | cut -d' ' -f1)" "$live"
check "a new program" test "$(field "$E" ID)" != "$id"
pings 20
check "daemon stopped" stop_plugfs
check_eq "counts go on in the live instance across the replace" "$(read_swap pkts)" 20
check_eq "and in pcpu" "$(read_swap pcpu)" 20
check_eq "and in hist" "$(read_swap hist)" 20
check_eq "total" "$(total)" $((got + 20))

say "a daemon that died between a read's switch and its save"
ini=$STATE_DIR/ifaces/$VETH_B/xdp/10.ini
cp "$ini" "$T_DIR/ini.before"
report; before=$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)
pings 3
read_swap pkts >/dev/null
cp "$T_DIR/ini.before" "$ini"		# the state as it was before the read
report
check_eq "adoption follows the pins: the copy the read switched to is live" \
	"$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)" $((1 - before))
check "with a message" grep -q "switched after the state was saved" "$T_DIR/cli.log"
check "and no restore" bash -c "! grep -q 'restoring' '$T_DIR/cli.log'"
pings 6
# a read that died after its switch returned nothing: the next read of each
# map returns that interval without switching (here the simulated read had
# emptied it already), the one after switches
check_eq "the next read: the interval the dead read switched away from" "$(read_swap pkts)" 0
check_eq "then the reads go on" "$(read_swap pkts)" 6

say "a lost chain restored from the state dir keeps the live instance"
report; before=$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)
old_id=$(field "$T_DIR/report" ID)
pings 9
rm -f "$BPFFS_DIR/$VETH_B/xdp/prog_10" "$BPFFS_DIR/$VETH_B/xdp/prog_10_idle"
report
check "the chain was restored" grep -q 'restoring' "$T_DIR/cli.log"
check "new programs" test "$(field "$T_DIR/report" ID)" != "$old_id"
check_eq "the same instance live" "$(field "$T_DIR/report" "Swap Live Copy" | cut -d' ' -f1)" \
	"$before"
check_eq "the counts of before the loss are read" "$(read_swap pkts)" 9

say "tc-ingress: the same switch in a tc chain"
check "load at tc-ingress/10 (engine-cli)" "${CLI[@]}" load "$VETH_B" tc-ingress 10 "$SWAP_O" \
	swap=pkts swap_empty=1 2>>"$T_DIR/cli.log"
pings 12
tc_read() { "${CLI[@]}" swap-read "$VETH_B" tc-ingress 10 pkts 2>>"$T_DIR/cli.log"; }
check_eq "tc: the first read has the 12 pings" "$(tc_read)" 12
check_eq "tc: the next none" "$(tc_read)" 0
pings 5
check_eq "tc: then 5" "$(tc_read)" 5
check "tc: unload" "${CLI[@]}" unload "$VETH_B" tc-ingress 10 2>>"$T_DIR/cli.log"

say "through the mount: cat maps/<id>/dump is the swap read"
PLUGFS_NETNS=$NSB start_plugfs
# u64 DUMP: the value of an array of one u64 as the dump prints it
u64() { sed -n 's/^00000000: key = (__u32)0, value = (__u64)\([0-9]*\)$/\1/p' "$1"; }
swap_ids=$(field "$E" "Swap Maps" | sed -n 's/^pkts (live id \([0-9]*\), idle id \([0-9]*\)).*/\1 \2/p')
set -- $swap_ids
live=$(field "$E" "Swap Live Copy" | cut -d' ' -f1)
cat "$MNT/maps/$1/dump" >/dev/null	# the interval so far
pings 25
stat "$MNT/maps/$1/dump" >/dev/null
check_eq "a stat of the dump does not switch" \
	"$(field "$E" "Swap Live Copy" | cut -d' ' -f1)" $((1 - live))
check_eq "cat of the dump: the 25 pings" "$(cat "$MNT/maps/$1/dump" >"$T_DIR/d"; u64 "$T_DIR/d")" 25
check_eq "and it switched the copies" "$(field "$E" "Swap Live Copy" | cut -d' ' -f1)" "$live"
pings 4
check_eq "cat of the other instance's dump: the next 4" \
	"$(cat "$MNT/maps/$2/dump" >"$T_DIR/d"; u64 "$T_DIR/d")" 4
check_eq "the next read: nothing" "$(cat "$MNT/maps/$1/dump" >"$T_DIR/d"; u64 "$T_DIR/d")" 0
tid=$(bpftool -j map show pinned "$(field "$E" "Map Pin Path")/total" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
l0=$(field "$E" "Swap Live Copy" | cut -d' ' -f1)
cat "$MNT/maps/$tid/dump" >/dev/null
check_eq "a map that is not swapped dumps as it is, without a switch" \
	"$(field "$E" "Swap Live Copy" | cut -d' ' -f1)" "$l0"

idle_prog=$(field "$E" "Swap Live Copy" | sed -n 's/.*idle copy id \([0-9]*\)).*/\1/p')
check_eq "progs/ shows the idle copy as the entry's" \
	"$(field "$MNT/progs/$idle_prog" Path)" "ifaces/$VETH_B/xdp/10"

say "rm"
check "rm of the entry" rm "$E"
check "no pins, no maps left" no_leftovers
finish

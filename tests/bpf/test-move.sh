#!/usr/bin/env bash
# mv that changes the order of a chain is atomic for packets: with a ping
# flood through an XDP chain, tests/bpf/progs/trace.bpf.c checks per packet
# that every program ran exactly once while one program is moved back and
# forth past one or two others, many times. A move also keeps the moved
# program's globals (its .bss) and maps; a move that keeps the order is a
# rename (same program id).
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd jq
ROUNDS=${MOVE_ROUNDS:-40}

X=$IF/xdp
# entry PRIO BIT ROLE [WANT]: a trace.bpf.o entry sharing the maps of ../1
entry() {
	local prio=$1 bit=$2 role=$3 want=${4:-0} owner=()
	[ "$prio" = 1 ] || owner=("map_owner = ../1")
	manifest "$T_DIR/t$prio.ini" "object = $PROGS/trace.bpf.o" \
		"global.me = $(printf '%02x000000' "$bit")" "global.role = $(printf '%02x000000' "$role")" \
		"global.want = $(printf '%02x00000000000000' "$want")" "${owner[@]}"
	cp "$T_DIR/t$prio.ini" "$X/$prio"
}
entry 1 0 1 && entry 10 1 0 && entry 15 2 0 && entry 20 3 0 && entry 30 4 0 &&
	entry 100 5 2 0x3f || fail "set up the chain"
check_eq "the chain" "$(ls "$X" | sort -n | tr '\n' ' ')" "1 10 15 20 30 100 "
RESULT=$(field "$X/1" "Map Pin Path")/result
# result K: result[K] of the shared map
result() { bpftool -j map dump pinned "$RESULT" | jq -r ".[] | select(.formatted.key == $1) | .formatted.value"; }
# runs ID: the `runs` global of program ID (its .bss)
runs() {
	local m
	for m in $(bpftool -j prog show id "$1" | jq -r '.map_ids[]'); do
		bpftool -j map show id "$m" | jq -e '.name | endswith(".bss")' >/dev/null || continue
		bpftool -j map dump id "$m" | jq -r '.[0].formatted.value[".bss"][] | select(.runs != null) | .runs'
	done
}
check "ping through the chain" ping_ok
check_eq "every packet so far ran the whole chain once" "$(result 1)" 0

say "a move that keeps the order is a rename"
id=$(field "$X/15" ID)
mv "$X/15" "$X/12" || fail "mv 15 12"
check_eq "same program after mv 15 -> 12" "$(field "$X/12" ID)" "$id"
mv "$X/12" "$X/15"

say "$ROUNDS rounds of moves through a ping flood"
ip netns exec "$NSA" ping -f -q "$PEER" >/dev/null 2>&1 &
FLOOD=$!
on_exit "kill $FLOOD"
sleep 0.3
r0=$(runs "$(field "$X/15" ID)")
before=$(result 0)
at=15 fails=0
for ((i = 0; i < ROUNDS; i++)); do
	for to in 25 15 50 15; do
		mv "$X/$at" "$X/$to" || fails=$((fails + 1))
		at=$to
	done
done
sleep 0.2
kill "$FLOOD"; wait "$FLOOD" 2>/dev/null
seen=$(( $(result 0) - before ))
check_eq "every mv succeeded" "$fails" 0
check "packets went through the chain during the moves ($seen)" test "$seen" -gt 1000
check_eq "no packet missed the moved program or ran it twice" "$(result 1)" 0
check_eq "the moved program is back at 15, position 2" "$(field "$X/15" Position)" 2
check_eq "the chain" "$(ls "$X" | sort -n | tr '\n' ' ')" "1 10 15 20 30 100 "
r1=$(runs "$(field "$X/15" ID)")
check "the moved program kept its globals (runs $r0 -> $r1)" test "${r1:-0}" -gt "${r0:-0}"
check "ping after the moves" ping_ok
# the cost, from the daemon's log lines: total, loading the copies, waiting
med() { sort -n | awk '{v[NR]=$1} END {if (NR) printf "median %d us, max %d us", v[int((NR+1)/2)], v[NR]}'; }
costs=$(grep -o "switched in one update; .*" "$MNT/log" | tr -d ,)
say "mv that re-orders, $(wc -l <<<"$costs") moves: $(awk '{print $5}' <<<"$costs" | med);" \
	"loading the copies $(awk '{print $8}' <<<"$costs" | med);" \
	"first grace period $(awk '{print $11}' <<<"$costs" | med)"
check "the pins follow: prog_15 and no prog_25 or prog_50" bash -c \
	"[ -e '$BPFFS_DIR/$VETH_B/xdp/prog_15' ] && [ ! -e '$BPFFS_DIR/$VETH_B/xdp/prog_25' ] && [ ! -e '$BPFFS_DIR/$VETH_B/xdp/prog_50' ]"
check_eq "nothing but the chain's programs in the chain map" \
	"$(bpftool -j map dump pinned "$BPFFS_DIR/$VETH_B/xdp/chain" | jq length)" 6
rm -f "$X"/*
check "nothing left" no_leftovers
finish

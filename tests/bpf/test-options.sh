#!/usr/bin/env bash
# Scenario 7: manifest options. global.NAME overrides a global (a program
# returning it drops), a wrong size or unknown name fails with EINVAL;
# map_owner (by path or program id) makes programs on different hooks count
# into one map, kept until its last user goes; mode = skb attaches generic XDP.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

x=$IF/xdp
manifest "$T_DIR/g.ini" "object = $PROGS/global_ret.bpf.o" "global.RET = 01000000"
check "global.RET = XDP_DROP" cp "$T_DIR/g.ini" "$x/10"
check_eq "report shows the global" "$(field "$x/10" Global)" "RET=01000000"
check "program returning the global drops" ping_fails
check "default value passes" cp "$PROGS/global_ret.bpf.o" "$x/10"
check "ping works with the default" ping_ok
manifest "$T_DIR/g2.ini" "object = $PROGS/global_ret.bpf.o" "global.TC_RET = 0x02 00 00 00"
check "tc global with spaced hex" cp "$T_DIR/g2.ini" "$IF/tc-ingress/10"
check "tc program returning TC_ACT_SHOT drops" ping_fails
rm -f "$IF/tc-ingress/10"
manifest "$T_DIR/bad.ini" "object = $PROGS/global_ret.bpf.o" "global.RET = 0100"
check_eq "wrong size: EINVAL" "$(errno_of cp "$T_DIR/bad.ini" "$x/20")" "Invalid argument"
check "wrong size explained" grep -q "global.RET is 4 bytes in the object, the value has 2" "$MNT/log"
manifest "$T_DIR/bad2.ini" "object = $PROGS/global_ret.bpf.o" "global.NOPE = 01000000"
check_eq "unknown global: EINVAL" "$(errno_of cp "$T_DIR/bad2.ini" "$x/20")" "Invalid argument"
check "unknown global explained" grep -q "global.NOPE: no such global variable" "$MNT/log"
check_fails "no entry 20" test -e "$x/20"
rm -f "$x/10"
check "nothing left after globals" no_leftovers

# map sharing across hooks
check "owner: count on xdp/10" cp "$PROGS/count.bpf.o" "$x/10"
own=$(field "$x/10" ID)
manifest "$T_DIR/s.ini" "object = $PROGS/count.bpf.o" "map_owner = ../../xdp/10"
check "sharer by path on tc-ingress/10" cp "$T_DIR/s.ini" "$IF/tc-ingress/10"
manifest "$T_DIR/s2.ini" "object = $PROGS/count.bpf.o" "map_owner = $own"
check "sharer by id on tc-egress/10" cp "$T_DIR/s2.ini" "$IF/tc-egress/10"
dir=$(field "$x/10" "Map Pin Path")
check_eq "same pin path (path)" "$(field "$IF/tc-ingress/10" "Map Pin Path")" "$dir"
check_eq "same pin path (id)" "$(field "$IF/tc-egress/10" "Map Pin Path")" "$dir"
check_eq "owner id shown" "$(field "$IF/tc-ingress/10" "Map Owner ID")" "$own"
check_eq "owner has none" "$(field "$x/10" "Map Owner ID")" "None"
sh1=$(field "$IF/tc-ingress/10" ID); sh2=$(field "$IF/tc-egress/10" ID)
check_eq "used by all three" "$(field "$x/10" "Map Used By")" "$own, $sh1, $sh2"
c0=$(counter "$x/10")
ip netns exec "$NSA" ping -c3 -i 0.2 -W1 "$PEER" >/dev/null
c1=$(counter "$x/10")
check "three hooks count into one map ($c0 -> $c1, >= 9 for 3 pings)" test $((c1 - c0)) -ge 9
manifest "$T_DIR/s3.ini" "object = $PROGS/count.bpf.o" "map_owner = ../77"
check_eq "unknown owner: ENOENT" "$(errno_of cp "$T_DIR/s3.ini" "$x/30")" "No such file or directory"
check "replace the owner" cp "$PROGS/count.bpf.o" "$x/10"
own2=$(field "$x/10" ID)
check_eq "sharer shows the owner's new id" "$(field "$IF/tc-ingress/10" "Map Owner ID")" "$own2"
check_eq "replaced owner keeps the maps" "$(field "$x/10" "Map Pin Path")" "$dir"
check "rm the owner first" rm "$x/10"
check_eq "owner gone: its last id shown" "$(field "$IF/tc-ingress/10" "Map Owner ID")" "$own2 (unloaded)"
check "maps kept for the sharers" test -e "$dir/counter"
check "rm tc-ingress sharer" rm "$IF/tc-ingress/10"
check "maps still kept" test -e "$dir/counter"
check "rm the last user" rm "$IF/tc-egress/10"
check_fails "maps removed with the last user" test -e "$dir"
check "nothing left after sharing" no_leftovers

# LIBBPF_PIN_BY_NAME maps are pinned in plugfs's directory, and shared
check "pinned-by-name map: owner" cp "$PROGS/count_pinned.bpf.o" "$x/10"
manifest "$T_DIR/p.ini" "object = $PROGS/count_pinned.bpf.o" "map_owner = ../10"
check "pinned-by-name map: sharer" cp "$T_DIR/p.ini" "$x/20"
check "map pinned in our directory" test -e "$(field "$x/10" "Map Pin Path")/counter"
check_eq "sharer uses it" "$(field "$x/20" "Map Pin Path")" "$(field "$x/10" "Map Pin Path")"
check_fails "nothing pinned under /sys/fs/bpf/counter by us" \
	bash -c "bpftool map show pinned /sys/fs/bpf/counter 2>/dev/null | grep -q ."
rm -f "$x/10" "$x/20"
check "nothing left after pinned-by-name" no_leftovers

manifest "$T_DIR/skb.ini" "object = $PROGS/pass.bpf.o" "mode = skb"
check "mode = skb" cp "$T_DIR/skb.ini" "$x/10"
check "attached as generic XDP" bash -c "ip -n '$NSB' link show '$VETH_B' | grep -q xdpgeneric"
check_eq "report shows the mode" "$(field "$x/10" Mode)" "skb"
manifest "$T_DIR/nat.ini" "object = $PROGS/pass.bpf.o" "mode = native"
check_eq "other mode on a live chain: EINVAL" "$(errno_of cp "$T_DIR/nat.ini" "$x/20")" "Invalid argument"
rm -f "$x/10"
check "nothing left" no_leftovers
finish

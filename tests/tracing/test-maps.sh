#!/usr/bin/env bash
# Maps shared between tracing/ and ifaces/, both ways, by map_owner paths:
# an XDP entry on a veth in our own namespace uses the maps of a tracepoint
# entry, a tracepoint entry uses the maps of an XDP entry; both count into
# the one map. A tracing program copied into ifaces/ is EINVAL naming
# tracing/.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/tracing/lib-tracing.sh"

pings() { local i; for i in $(seq "$1"); do ping1 || return 1; done; }

# tracing/ owns, ifaces/ follows
held getpid 500
manifest "$T_DIR/tp.ini" "object = $TPROGS/tp_getpid.bpf.o" "global.target_pid = $(le32 "$TPID")"
check "tracing owner: cp" cp "$T_DIR/tp.ini" "$TR/owner"
manifest "$T_DIR/x.ini" "object = $TPROGS/xdp_counts.bpf.o" "map_owner = ../../../../tracing/owner"
check "ifaces follower: cp with map_owner = a tracing/ path" cp "$T_DIR/x.ini" "$IF/xdp/10"
check_eq "ifaces follower: Map Owner ID is the tracing program" "$(field "$IF/xdp/10" "Map Owner ID")" \
	"$(field "$TR/owner" ID)"
check_eq "ifaces follower: the owner's map dir" "$(field "$IF/xdp/10" "Map Pin Path")" \
	"$(field "$TR/owner" "Map Pin Path")"
release
check "ping through the follower" pings 5
check_eq "the tracepoint counted 500 getpid in the shared map" "$(count "$TR/owner" 0)" 500
check "the xdp follower counted the pings in it" test "$(count "$TR/owner" 1)" -ge 5

# ifaces/ owns, tracing/ follows (by id, then by path)
check "ifaces owner: cp" cp "$TPROGS/xdp_counts.bpf.o" "$IF/xdp/20"
held getpid 300
manifest "$T_DIR/f.ini" "object = $TPROGS/tp_getpid.bpf.o" "global.target_pid = $(le32 "$TPID")" \
	"map_owner = ../../ifaces/$VETH_B/xdp/20"
check "tracing follower: cp with map_owner = an ifaces/ path" cp "$T_DIR/f.ini" "$TR/follower"
check_eq "tracing follower: the owner's map dir" "$(field "$TR/follower" "Map Pin Path")" \
	"$(field "$IF/xdp/20" "Map Pin Path")"
check_eq "tracing follower: Map Owner ID" "$(field "$TR/follower" "Map Owner ID")" \
	"$(field "$IF/xdp/20" ID)"
release
check_eq "the follower counted 300 getpid in the ifaces entry's map" "$(count "$TR/follower" 0)" 300
manifest "$T_DIR/g.ini" "object = $TPROGS/tp_getpid.bpf.o" "map_owner = $(field "$IF/xdp/20" ID)"
check "tracing follower by program id" cp "$T_DIR/g.ini" "$TR/byid"
check_eq "by id: the same map dir" "$(field "$TR/byid" "Map Pin Path")" "$(field "$IF/xdp/20" "Map Pin Path")"

# rm of the owner keeps the maps its follower uses
dir=$(field "$TR/owner" "Map Pin Path")
check "rm the tracing owner" rm "$TR/owner"
check "its map stays for the ifaces follower" test -e "$dir/counts"
check "rm the follower" rm "$IF/xdp/10"
check "the last user gone, the map pin goes" wait_for 5 test ! -e "$dir/counts"

# the wrong tree
check_eq "tracepoint into ifaces/: EINVAL" "$(errno_of cp "$TPROGS/tp_getpid.bpf.o" "$IF/xdp/30")" "Invalid argument"
grep -qF "is a tracepoint program: tracing programs go into tracing/<name>, not ifaces/" "$MNT/log" &&
	pass "log names tracing/" || fail "log names tracing/"
manifest "$T_DIR/k.ini" "object = $TPROGS/xdp_counts.bpf.o" "attach = tracepoint:syscalls:sys_enter_getpid"
check_eq "tracing keys in an ifaces/ manifest: EINVAL" "$(errno_of cp "$T_DIR/k.ini" "$IF/xdp/30")" "Invalid argument"
grep -qF "apply to tracing/ only" "$MNT/log" && pass "log says they apply to tracing/" ||
	fail "log says they apply to tracing/"
finish

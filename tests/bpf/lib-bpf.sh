# Helpers for the kernel-engine integration tests (source after tests/lib.sh):
# two namespaces A and B joined by a veth (va<id> in A, vb<id> in B), the
# daemon running in B, so its ifaces/ shows vb<id>, the receiving side.
need_root; need_fuse; need_bpffs; need_cmd ip nsenter ping bpftool

PROGS=$PLUGFS_BUILD/tests/bpf
for p in pass drop count; do
	[ -f "$PROGS/$p.bpf.o" ] || { echo "FAIL: $PROGS/$p.bpf.o not built" >&2; exit 1; }
done

NSA=$(make_netns a)
NSB=$(make_netns b)
make_veth_pair "$NSA" "$NSB" 169.254.61.1/24 169.254.61.2/24
PEER=169.254.61.2
PLUGFS_NETNS=$NSB start_plugfs
IF=$MNT/ifaces/$VETH_B

# quiet_veth: only the test's own packets cross the veth (no neighbour
# resolution, no IPv6), so counts of packets are exact.
quiet_veth() {
	local ns
	for ns in "$NSA" "$NSB"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
	ip -n "$NSA" neigh replace "$PEER" lladdr \
		"$(ip -n "$NSB" -br link show "$VETH_B" | awk '{print $3}')" dev "$VETH_A" nud permanent
	ip -n "$NSB" neigh replace 169.254.61.1 lladdr \
		"$(ip -n "$NSA" -br link show "$VETH_A" | awk '{print $3}')" dev "$VETH_B" nud permanent
}
# errno_of CMD...: the strerror text CMD failed with ("" if it succeeded)
errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }
ping1() { ip netns exec "$NSA" ping -c1 -W1 "$PEER" >/dev/null 2>&1; }
# A reply may need a new neighbour resolution after a drop: allow 3 tries.
ping_ok() { ping1 || ping1 || ping1; }
# A drop drops every packet: one lost ping is proof enough.
ping_fails() { ! ping1; }
# field ENTRY KEY: a value of the entry's report
field() { sed -n "s/^$2: //p" "$1" | head -n1; }
# counter ENTRY: counter[0] of a count.bpf.o entry, read through its pinned map
counter() {
	local dir
	dir=$(field "$1" "Map Pin Path")
	bpftool -j map lookup pinned "$dir/counter" key 0 0 0 0 2>/dev/null |
		sed -n 's/.*"value": *\([0-9]*\).*/\1/p'
}
# manifest FILE key=value...: writes a load manifest
manifest() {
	local f=$1; shift
	printf '%s\n' "$@" > "$f"
}
# root_is_direct HOOK: the pinned root is the direct build and is what the
# interface runs (a first load attaches the indirect build; the daemon
# swaps the direct one in once idle).
root_is_direct() {
	local hook=$1 want id
	[ "$hook" = xdp ] && want=plugfs_xdp_root || want=plugfs_tc_root
	id=$(bpftool prog show pinned "$BPFFS_DIR/$VETH_B/$hook/root" 2>/dev/null |
		sed -n "s/^\([0-9]*\): .* name $want .*/\1/p")
	[ -n "$id" ] || return 1
	case $hook in
	xdp) ip netns exec "$NSB" bpftool net show dev "$VETH_B" |
		grep -Eq "^$VETH_B\([0-9]+\) (driver|generic) id $id\$" ;;
	*) ip netns exec "$NSB" bpftool net show dev "$VETH_B" |
		grep -q "clsact/${hook#tc-} $want:\[$id\] id $id\$" ;;
	esac
}
# Nothing of ours left in the kernel or bpffs for the veth.
no_leftovers() {
	[ ! -e "$BPFFS_DIR/$VETH_B" ] && [ -z "$(ls "$BPFFS_DIR/maps" 2>/dev/null)" ] &&
		! ip -n "$NSB" link show "$VETH_B" | grep -q xdp &&
		! ip netns exec "$NSB" tc filter show dev "$VETH_B" ingress 2>/dev/null | grep -q plugfs &&
		! ip netns exec "$NSB" tc filter show dev "$VETH_B" egress 2>/dev/null | grep -q plugfs
}

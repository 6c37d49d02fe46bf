#!/usr/bin/env bash
# The clsact qdisc plugfs creates for a tc hook is deleted with plugfs's
# last filter only when no other tool has a filter on it, in either
# direction; once another tool relies on it, it is theirs and plugfs never
# deletes it. A clsact made by someone else before plugfs stays untouched.
# The other tool is real `tc` with a program of tests/bpf/progs.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd tc

tcb() { ip netns exec "$NSB" tc "$@"; }
has_clsact() { tcb qdisc show dev "$VETH_B" | grep -q clsact; }
# other_filter DIR: the other tool's filter (prio 1, handle 1) is on DIR
other_filter() { tcb filter show dev "$VETH_B" "$1" | grep -q "pref 1 bpf .*handle 0x1 pass.bpf.o:\[tc\]"; }
add_other() { tcb filter add dev "$VETH_B" "$1" prio 1 handle 1 bpf da obj "$PROGS/pass.bpf.o" sec tc; }
reset_qdisc() { tcb qdisc del dev "$VETH_B" clsact 2>/dev/null; ! has_clsact; }

for dir in ingress egress; do
	say "plugfs on ingress, the other tool on $dir"
	cp "$PROGS/pass.bpf.o" "$IF/tc-ingress/50" || fail "cp tc-ingress/50"
	check "$dir: plugfs created the clsact" has_clsact
	check "$dir: the other tool adds its filter" add_other "$dir"
	check "$dir: rm tc-ingress/50" rm "$IF/tc-ingress/50"
	check "$dir: the clsact stays" has_clsact
	check "$dir: the other tool's filter stays" other_filter "$dir"
	check "$dir: plugfs's filter is gone" bash -c "! ip netns exec '$NSB' tc filter show dev '$VETH_B' ingress | grep -q plugfs"
	check "$dir: the kept qdisc is logged" grep -q "holds filters of other tools" "$MNT/log"
	# it is the other tool's now: plugfs never deletes it, even once empty
	tcb filter del dev "$VETH_B" "$dir" prio 1 handle 1 bpf
	cp "$PROGS/pass.bpf.o" "$IF/tc-ingress/50" && rm "$IF/tc-ingress/50" || fail "$dir: cp, rm again"
	check "$dir: a clsact plugfs gave up stays when plugfs comes and goes again" has_clsact
	check "$dir: reset" reset_qdisc
done

say "plugfs on both directions, the other tool on egress"
cp "$PROGS/pass.bpf.o" "$IF/tc-ingress/50" && cp "$PROGS/pass.bpf.o" "$IF/tc-egress/50" ||
	fail "cp both"
check "both: the other tool adds its filter" add_other egress
rm "$IF/tc-ingress/50" && rm "$IF/tc-egress/50" || fail "both: rm"
check "both: the clsact stays" has_clsact
check "both: the other tool's filter stays" other_filter egress
check "both: reset" reset_qdisc

say "nobody else: the clsact plugfs made goes with its last filter (as before)"
cp "$PROGS/pass.bpf.o" "$IF/tc-ingress/50" && cp "$PROGS/pass.bpf.o" "$IF/tc-egress/50" ||
	fail "cp both"
rm "$IF/tc-ingress/50"
check "alone: the clsact stays while egress is loaded" has_clsact
rm "$IF/tc-egress/50"
check_fails "alone: the clsact is deleted with the last hook" has_clsact

say "a clsact someone made before plugfs stays untouched (as before)"
tcb qdisc add dev "$VETH_B" clsact || fail "tc qdisc add clsact"
cp "$PROGS/pass.bpf.o" "$IF/tc-egress/50" && rm "$IF/tc-egress/50" || fail "cp, rm"
check "theirs: the clsact stays" has_clsact
check "theirs: reset" reset_qdisc
check "nothing left" no_leftovers
finish

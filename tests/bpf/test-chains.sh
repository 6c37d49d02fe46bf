#!/usr/bin/env bash
# Scenarios 1-3 of the kernel engine, with real packets on xdp, tc-ingress
# and tc-egress of the receiving veth: drop at 10 blocks ping and rm restores
# it; count(pass) at 20 + drop at 30 counts and drops; proceed_on =
# dispatcher_return on the counter stops the chain there (drop never runs);
# two proceed_on lines in a manifest add up.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

check "ping works with no program" ping_ok
for hook in xdp tc-ingress tc-egress; do
	d=$IF/$hook
	check "$hook: cp drop to 10" cp "$PROGS/drop.bpf.o" "$d/10"
	check_eq "$hook: ls shows 10" "$(ls "$d")" "10"
	check "$hook: ping fails with drop" ping_fails
	check "$hook: the direct root takes the indirect one's place" wait_for 2 root_is_direct "$hook"
	check "$hook: ping still fails with drop" ping_fails
	check "$hook: rm 10" rm "$d/10"
	check "$hook: ping works again" ping_ok
	check "$hook: nothing left after rm" no_leftovers

	check "$hook: cp count to 20" cp "$PROGS/count.bpf.o" "$d/20"
	check "$hook: cp drop to 30" cp "$PROGS/drop.bpf.o" "$d/30"
	check_eq "$hook: chain order" "$(ls "$d" | tr '\n' ' ')" "20 30 "
	c0=$(counter "$d/20")
	check "$hook: ping fails through count+drop" ping_fails
	c1=$(counter "$d/20")
	check "$hook: counter increased ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"

	manifest "$T_DIR/m.ini" "object = $PROGS/count.bpf.o" "proceed_on = dispatcher_return"
	check "$hook: overwrite count with proceed_on = dispatcher_return" cp "$T_DIR/m.ini" "$d/20"
	check_eq "$hook: proceed-on shown" "$(field "$d/20" "Proceed On")" "dispatcher_return"
	c0=$(counter "$d/20")
	check "$hook: drop never runs: ping works" ping_ok
	c1=$(counter "$d/20")
	check "$hook: counter still counts ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"
	check "$hook: rm 20 30" rm "$d/20" "$d/30"
	check "$hook: nothing left" no_leftovers
done
# rewrite with bpf-to-bpf calls, stack use and several exits (func_info and
# line_info shifted): the chain still reaches the drop after it
check "xdp: subprogram program at 10" cp "$PROGS/subprog.bpf.o" "$IF/xdp/10"
check "tc-ingress: classifier/accept at 10" cp "$PROGS/classifier.bpf.o" "$IF/tc-ingress/10"
check "ping passes both" ping_ok
check "drop after the subprogram program" cp "$PROGS/drop.bpf.o" "$IF/xdp/20"
check "the chain goes on past a program with subprograms" ping_fails
rm -f "$IF/xdp/20"
check "drop after classifier/accept" cp "$PROGS/drop.bpf.o" "$IF/tc-ingress/20"
check "the chain goes on past classifier/accept" ping_fails
rm -f "$IF/xdp/10" "$IF/tc-ingress/10" "$IF/tc-ingress/20"
check "nothing left" no_leftovers

# proceed_on given on two lines: the verdicts add up (bpfctl's repeated --proceed-on)
manifest "$T_DIR/two.ini" "object = $PROGS/count.bpf.o" "proceed_on = dispatcher_return" "proceed_on = drop"
check "xdp: manifest with two proceed_on lines" cp "$T_DIR/two.ini" "$IF/xdp/10"
check_eq "xdp: cat shows both lines' verdicts" "$(field "$IF/xdp/10" "Proceed On")" "drop, dispatcher_return"
rm -f "$IF/xdp/10"

# A full chain (the default limit, 10) runs every program, once, in one
# packet: each mark.bpf.o adds 1 to the first byte of a packet run through
# the root with BPF_PROG_TEST_RUN (no traffic of the namespace involved).
head -c 64 /dev/zero > "$T_DIR/pkt"
first_byte() { od -An -tu1 -N1 "$1" | tr -d ' '; }
run_root() {
	rm -f "$T_DIR/out"
	bpftool prog run pinned "$BPFFS_DIR/$VETH_B/$1/root" data_in "$T_DIR/pkt" \
		data_out "$T_DIR/out" >/dev/null 2>&1 && first_byte "$T_DIR/out"
}
for hook in xdp tc-ingress; do
	d=$IF/$hook
	for p in 1 2 3 4 5 6 7 8 9 10; do
		cp "$PROGS/mark.bpf.o" "$d/$p" || fail "$hook: cp mark to $p"
	done
	check_eq "$hook: 10 programs" "$(ls "$d" | wc -l)" "10"
	check_eq "$hook: a packet through the chain of 10 is marked 10 times" "$(run_root "$hook")" "10"
	check "$hook: rm 5" rm "$d/5"
	check_eq "$hook: then 9 times" "$(run_root "$hook")" "9"
	check "$hook: mv 10 5" mv "$d/10" "$d/5"
	check_eq "$hook: still 9 times after mv" "$(run_root "$hook")" "9"
	rm -f "$d"/*
done
check "nothing left after the full chains" no_leftovers
finish

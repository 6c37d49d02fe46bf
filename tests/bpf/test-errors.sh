#!/usr/bin/env bash
# Scenario 8: each bad input fails with its errno, explains itself in `log`,
# and leaves nothing behind (no entry, no pin, no kernel program or
# attachment): non-ELF bytes, truncated ELF, no program of the hook's type,
# ambiguous name, verifier reject, too much stack, bad priorities, the 11th
# program, unknown interface, foreign XDP program, object over the limit,
# a manifest key given twice.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

d=$IF/xdp
# bad_load DESC ERRNO_TEXT LOG_PATTERN FILE [TARGET]
bad_load() {
	local desc=$1 want=$2 pat=$3 src=$4 dst=${5:-$d/10}
	check_eq "$desc: errno" "$(errno_of cp "$src" "$dst")" "$want"
	check "$desc: reason in log" grep -qE "$pat" "$MNT/log"
	check_fails "$desc: no entry" test -e "$dst"
	check "$desc: nothing left" no_leftovers
}
progs_named() { bpftool prog show 2>/dev/null | grep -c "name $1 " || true; }

echo "not an object" > "$T_DIR/junk"
head -c 700 "$PROGS/count.bpf.o" > "$T_DIR/trunc.o"
bad_load "non-ELF bytes" "Invalid argument" "neither an ELF object nor a load manifest" "$T_DIR/junk"
bad_load "truncated ELF" "Invalid argument" "not a loadable BPF object" "$T_DIR/trunc.o"
bad_load "no xdp program" "Invalid argument" "no xdp program in the object; it has: sock_all" \
	"$PROGS/socket.bpf.o"
bad_load "ambiguous" "Invalid argument" "2 xdp programs in the object.*first.*second" \
	"$PROGS/ambiguous.bpf.o"
manifest "$T_DIR/amb.ini" "object = $PROGS/ambiguous.bpf.o" "name = nosuch"
bad_load "unknown name" "Invalid argument" "no program named 'nosuch'" "$T_DIR/amb.ini"
manifest "$T_DIR/tc.ini" "object = $PROGS/pass.bpf.o" "name = tc_pass"
bad_load "wrong type by name" "Invalid argument" "is of type sched_cls, the hook needs xdp" \
	"$T_DIR/tc.ini"
bad_load "verifier reject" "Invalid argument" "R1 offset is outside of the packet" \
	"$PROGS/reject.bpf.o"
check_eq "rejected program not in the kernel" "$(progs_named xdp_reject)" "0"
bad_load "too much stack" "Argument list too long" "cannot be chained: main uses 512 bytes" \
	"$PROGS/bigstack.bpf.o"
check_eq "big-stack program not in the kernel" "$(progs_named xdp_bigstack)" "0"
bad_load "proceed_on typo" "Invalid argument" "'pas' is not a xdp verdict" \
	<(printf 'object = %s\nproceed_on = pas\n' "$PROGS/pass.bpf.o")

for p in abc 0 1001 007 -5; do
	check_eq "priority $p: EINVAL" "$(errno_of cp "$PROGS/pass.bpf.o" "$d/$p")" "Invalid argument"
done
check "nothing left after bad names" no_leftovers

check_eq "unknown interface: ENOENT" \
	"$(errno_of cp "$PROGS/pass.bpf.o" "$MNT/ifaces/nosuch$T_ID/xdp/10")" "No such file or directory"
check "unknown interface: said in log" grep -q "ifaces/nosuch$T_ID: no such interface" "$MNT/log"
bad_load "manifest key typo" "Invalid argument" \
	"bad load manifest: manifest: unknown key 'proced_on' \(keys: object, name, proceed_on.*\) on line 2" \
	<(printf 'object = %s\nproced_on = pass\n' "$PROGS/pass.bpf.o")
bad_load "manifest key given twice" "Invalid argument" \
	"bad load manifest: manifest: key 'object' given twice on line 3" \
	<(printf 'object = %s\nproceed_on = pass\nobject = %s\n' "$PROGS/pass.bpf.o" "$PROGS/drop.bpf.o")

head -c $((1024 * 1024 + 10)) /dev/zero > "$T_DIR/big.o"
bad_load "object over the size limit" "File too large" "${d#$MNT/}/10: over the size limit" "$T_DIR/big.o"

for i in 1 2 3 4 5 6 7 8 9 10; do
	cp "$PROGS/pass.bpf.o" "$d/$i" || fail "load $i of 10"
done
check_eq "ten programs loaded" "$(ls "$d" | wc -l)" "10"
check_eq "11th: ENOSPC" "$(errno_of cp "$PROGS/pass.bpf.o" "$d/11")" "No space left on device"
check "11th: reason in log" grep -q "the chain is full (10 programs, limit 10)" "$MNT/log"
check_fails "11th: no entry" test -e "$d/11"
check "ping works through 10 programs" ping_ok
check "rm all ten" rm "$d"/{1,2,3,4,5,6,7,8,9,10}
check "nothing left after ten" no_leftovers

# a foreign XDP program on an interface of the daemon's namespace
DM=fa$T_ID
ip -n "$NSB" link add "$DM" type veth peer name "fb$T_ID"
ip -n "$NSB" link set "$DM" xdpgeneric obj "$PROGS/pass.bpf.o" sec xdp
fid=$(ip -n "$NSB" -d link show "$DM" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n1)
check "foreign program attached (id $fid)" test -n "$fid"
check_eq "foreign XDP program: EBUSY" "$(errno_of cp "$PROGS/pass.bpf.o" "$MNT/ifaces/$DM/xdp/10")" \
	"Device or resource busy"
check "EBUSY names its id" grep -q "already has an XDP program not loaded by plugfs (id $fid)" "$MNT/log"
check_eq "foreign program untouched" \
	"$(ip -n "$NSB" -d link show "$DM" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n1)" "$fid"
check_fails "no pins for the busy interface" test -e "$BPFFS_DIR/$DM"
finish

#!/usr/bin/env bash
# Scenario 9: chains on all three hooks survive kill -9 of the daemon
# (traffic keeps flowing through them), a new daemon on the same bpffs and
# state dirs adopts them (same entries, priorities and program IDs, no
# reload) and rm works after the restart. Also: an interface deleted while
# loaded loses its entries from the tree, and when it is re-created its
# chain is restored from the state dir.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

declare -A ids
for hook in xdp tc-ingress tc-egress; do
	cp "$PROGS/count.bpf.o" "$IF/$hook/10" && cp "$PROGS/pass.bpf.o" "$IF/$hook/20" ||
		fail "$hook: set up"
	ids[$hook/10]=$(field "$IF/$hook/10" ID)
	ids[$hook/20]=$(field "$IF/$hook/20" ID)
done
check "ping works before the kill" ping_ok
dirs=(); for hook in xdp tc-ingress tc-egress; do dirs+=("$(field "$IF/$hook/10" "Map Pin Path")"); done

kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
read_counter() { bpftool -j map lookup pinned "$1/counter" key 0 0 0 0 | sed -n 's/.*"value": *\([0-9]*\).*/\1/p'; }
before=(); for d in "${dirs[@]}"; do before+=("$(read_counter "$d")"); done
check "ping works with the daemon dead" ping_ok
i=0
for hook in xdp tc-ingress tc-egress; do
	after=$(read_counter "${dirs[$i]}")
	check "$hook: still counting without the daemon (${before[$i]} -> $after)" test "$after" -gt "${before[$i]}"
	i=$((i + 1))
done
check "xdp still attached" bash -c "ip -n '$NSB' link show '$VETH_B' | grep -q xdp"

PLUGFS_NETNS=$NSB start_plugfs
for hook in xdp tc-ingress tc-egress; do
	check_eq "$hook: same entries after restart" "$(ls "$IF/$hook" | tr '\n' ' ')" "10 20 "
	check_eq "$hook: 10 adopted with the same id" "$(field "$IF/$hook/10" ID)" "${ids[$hook/10]}"
	check_eq "$hook: 20 adopted with the same id" "$(field "$IF/$hook/20" ID)" "${ids[$hook/20]}"
	check_eq "$hook: position kept" "$(field "$IF/$hook/20" Position)" "1"
done
check "adoption logged" grep -q "adopted 2 programs" "$MNT/log"
cp "$PROGS/drop.bpf.o" "$IF/xdp/30"
check "a new program joins the adopted chain" ping_fails
for hook in xdp tc-ingress tc-egress; do
	check "$hook: rm after restart" rm "$IF/$hook/10" "$IF/$hook/20"
done
check "the drop at 30 alone still drops" ping_fails
rm -f "$IF/xdp/30"
check "ping works after rm" ping_ok
check "nothing left" no_leftovers
# state files follow a verb once the daemon is idle (the journal is folded)
no_state_files() { [ -z "$(find "$1" -type f 2>/dev/null)" ]; }
n_objects() { [ "$(ls "$STATE_DIR/objects" 2>/dev/null | wc -l)" = "$1" ]; }
check "no state left for the interface" wait_for 2 no_state_files "$STATE_DIR/ifaces/$VETH_B"

# a chain lost while the daemon was dead is restored from the state dir:
# xdp pins removed (the link goes with them), tc-ingress chain map emptied
cp "$PROGS/count.bpf.o" "$IF/xdp/10" && cp "$PROGS/count.bpf.o" "$IF/tc-ingress/10" || fail "reload"
ox=$(field "$IF/xdp/10" ID); ot=$(field "$IF/tc-ingress/10" ID)
kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
rm -rf "$BPFFS_DIR/$VETH_B/xdp"
bpftool map delete pinned "$BPFFS_DIR/$VETH_B/tc-ingress/chain" key 0 0 0 0
check_fails "xdp detached with its pins" bash -c "ip -n '$NSB' link show '$VETH_B' | grep -q xdp"
PLUGFS_NETNS=$NSB start_plugfs
check "restore logged" grep -q "restoring 1 programs" "$MNT/log"
nx=$(field "$IF/xdp/10" ID); nt=$(field "$IF/tc-ingress/10" ID)
check "xdp restored as a new program ($ox -> $nx)" test -n "$nx" -a "$nx" != "$ox"
check "tc-ingress restored as a new program ($ot -> $nt)" test -n "$nt" -a "$nt" != "$ot"
check "xdp attached again" bash -c "ip -n '$NSB' link show '$VETH_B' | grep -q xdp"
c0=$(counter "$IF/tc-ingress/10"); ping_ok; c1=$(counter "$IF/tc-ingress/10")
check "restored tc chain counts ($c0 -> $c1)" test "${c1:-0}" -gt "${c0:-0}"
rm -f "$IF/xdp/10" "$IF/tc-ingress/10"
check "nothing left after the restore" no_leftovers

# objects are stored once by digest
cp "$PROGS/pass.bpf.o" "$IF/xdp/10" && cp "$PROGS/pass.bpf.o" "$IF/tc-egress/10" || fail "pass twice"
check "one stored object for two entries" wait_for 2 n_objects 1
cp "$PROGS/count.bpf.o" "$IF/xdp/10"
check "replace stores the new object, keeps the shared one" wait_for 2 n_objects 2
rm -f "$IF/xdp/10" "$IF/tc-egress/10"
check "objects dropped with their last entry" wait_for 2 n_objects 0

# interface deleted while loaded, then re-created
R=ra$T_ID
ip -n "$NSB" link add "$R" type veth peer name "rb$T_ID"
cp "$PROGS/pass.bpf.o" "$MNT/ifaces/$R/xdp/10" || fail "load on $R"
old=$(field "$MNT/ifaces/$R/xdp/10" ID)
ip -n "$NSB" link del "$R"
check "deleted interface leaves the tree" wait_for 2 bash -c "! test -e '$MNT/ifaces/$R'"
check "its state is kept" wait_for 2 test -e "$STATE_DIR/ifaces/$R/xdp/10.ini"
ip -n "$NSB" link add "$R" type veth peer name "rb$T_ID"
check_eq "re-created: entry restored" "$(ls "$MNT/ifaces/$R/xdp")" "10"
new=$(field "$MNT/ifaces/$R/xdp/10" ID)
check "restored as a new program ($old -> $new)" test -n "$new" -a "$new" != "$old"
check "restored chain attached" bash -c "ip -n '$NSB' link show '$R' | grep -q xdp"
check "rm restored" rm "$MNT/ifaces/$R/xdp/10"
check_fails "no pins left for it" test -e "$BPFFS_DIR/$R"
check "no stored object left" wait_for 2 n_objects 0

# a stored object damaged while its interface was away is not loaded
cp "$PROGS/pass.bpf.o" "$MNT/ifaces/$R/xdp/10" || fail "load on $R again"
ip -n "$NSB" link del "$R"
wait_for 2 bash -c "! test -e '$MNT/ifaces/$R'"
wait_for 2 n_objects 1
obj=$(ls "$STATE_DIR"/objects/*.o)
printf 'damaged' | dd of="$obj" bs=1 seek=64 conv=notrunc status=none
ip -n "$NSB" link add "$R" type veth peer name "rb$T_ID"
check_eq "the entry is not restored" "$(ls "$MNT/ifaces/$R/xdp" 2>/dev/null)" ""
check "damage logged" grep -q "stored object .* is damaged" "$MNT/log"
check_fails "the damaged object is removed" test -e "$obj"
check_fails "nothing attached" bash -c "ip -n '$NSB' link show '$R' | grep -q xdp"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# progs/: every kernel program by id. A foreign XDP program (attached by
# this test with `ip link`) shows its interface and cannot be removed; one
# of ours shows its path in the tree and `rm progs/<id>` removes its entry.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-bpf.sh"
need_cmd tc python3

P=$MNT/progs
FPIN=/sys/fs/bpf/plugfs-foreign-$T_ID
VF=vf$T_ID VG=vg$T_ID

# ---- a foreign program: loaded with bpftool, attached with ip link ----
ip -n "$NSB" link add "$VF" type veth peer name "$VG"
ip -n "$NSB" link set "$VF" up
ip -n "$NSB" link set "$VG" up
bpftool prog load "$PROGS/pass.bpf.o" "$FPIN" type xdp
on_exit "rm -f '$FPIN'"
FID=$(bpftool -j prog show pinned "$FPIN" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check "bpftool gives the foreign program an id" test -n "$FID"
nsenter --net="/run/netns/$NSB" ip link set dev "$VF" xdpgeneric pinned "$FPIN"
on_exit "ip -n '$NSB' link set dev '$VF' xdpgeneric off"

check "the foreign program is listed in progs/" grep -qx "$FID" <(ls "$P")
check_eq "its report names it as bpftool does" "$(field "$P/$FID" Name)" \
	"$(bpftool -j prog show id "$FID" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')"
check_eq "its tag is bpftool's" "$(field "$P/$FID" Tag)" \
	"$(bpftool -j prog show id "$FID" | sed -n 's/.*"tag":"\([^"]*\)".*/\1/p')"
check_eq "its memory is bpftool's" "$(field "$P/$FID" "Kernel Allocated Memory (bytes)")" \
	"$(bpftool -j prog show id "$FID" | sed -n 's/.*"bytes_memlock":\([0-9]*\).*/\1/p')"
check_eq "it is attached to its interface, in skb mode" "$(field "$P/$FID" Attached)" \
	"xdp on $VF (skb)"
check "it is another tool's" grep -q "^Owner: another tool" "$P/$FID"
check_eq "rm of another tool's program is EPERM" "$(errno_of rm "$P/$FID")" \
	"Operation not permitted"
check "the refusal is logged" grep -q "rm progs/$FID: program $FID is another tool's" "$MNT/log"
check "the foreign program is still attached" \
	bash -c "ip -n '$NSB' link show dev '$VF' | grep -q 'prog/xdp id $FID'"
check "the JSON form parses and has the attach point" python3 -c "
import json, sys
d = json.load(open('$P/$FID.json'))
assert d['kernel_state']['id'] == $FID, d
assert d['kernel_state']['attached'] == ['xdp on $VF (skb)'], d
"
check_fails "a name that is not an id does not exist" test -e "$P/0$FID"

# ---- a foreign TC filter (tc, cls_bpf) on the same interface ----
inb() { nsenter --net="/run/netns/$NSB" "$@"; }
inb tc qdisc add dev "$VF" clsact
inb tc filter add dev "$VF" ingress pref 7 handle 3 bpf da obj "$PROGS/classifier.bpf.o" \
	sec classifier/accept
CID=$(inb tc filter show dev "$VF" ingress | sed -n 's/.* id \([0-9]*\) .*/\1/p')
check_eq "a tc filter's program shows its interface, direction, pref and handle" \
	"$(field "$P/$CID" Attached)" "tc-ingress on $VF (cls_bpf, pref 7, handle 0x3)"
check_eq "rm of it is EPERM" "$(errno_of rm "$P/$CID")" "Operation not permitted"

# ---- one of ours ----
cp "$PROGS/count.bpf.o" "$IF/xdp/10"
ID=$(field "$IF/xdp/10" ID)
check "our program is listed" grep -qx "$ID" <(ls "$P")
check_eq "its path in the tree" "$(field "$P/$ID" Path)" "ifaces/$VETH_B/xdp/10"
check_eq "its priority" "$(field "$P/$ID" Priority)" "10"
check_eq "its role" "$(field "$P/$ID" Role)" "chain entry"
check "its JSON form has the path" python3 -c "
import json
d = json.load(open('$P/$ID.json'))
assert d['plugfs_state']['path'] == 'ifaces/$VETH_B/xdp/10', d
assert d['kernel_state']['id'] == $ID, d
"
check "its maps are bpftool's" test "$(field "$P/$ID" "Map IDs")" = \
	"$(bpftool -j prog show id "$ID" | sed -n 's/.*"map_ids":\[\([0-9,]*\)\].*/\1/p' | sed 's/,/, /g')"
# the chain's root is what the interface runs: through a link
ROOT=$(ip -n "$NSB" -d link show dev "$VETH_B" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
# (attach points come from a scan at most 0.2 s old: plugfs(8), Programs)
check "the root shows its interface and link" wait_for 2 \
	bash -c "grep -q '^Attached: xdp on $VETH_B (link [0-9]*)' '$P/$ROOT'"
check "the root's link id is listed" wait_for 2 bash -c "grep -q '^Link IDs: [0-9]' '$P/$ROOT'"
check_eq "the root is plugfs's chain root" "$(field "$P/$ROOT" Role)" "chain root"
check_eq "the root's path is its hook" "$(field "$P/$ROOT" Path)" "ifaces/$VETH_B/xdp"
check_eq "rm of our root is EPERM (only entries are removed)" "$(errno_of rm "$P/$ROOT")" \
	"Operation not permitted"
check "and says it goes with the last entry" grep -q "rm progs/$ROOT: .*chain root" "$MNT/log"
check "rm progs/<id> of ours" rm "$P/$ID"
check_fails "its ifaces/ entry is gone" test -e "$IF/xdp/10"
check "the kernel no longer holds it" wait_for 5 bash -c "! bpftool prog show id $ID >/dev/null 2>&1"
check_fails "it is no longer in progs/" test -e "$P/$ID"
check_eq "rm of a program that does not exist" "$(errno_of rm "$P/$ID")" "No such file or directory"

# ---- a tracing/ entry of ours ----
TP=$PLUGFS_BUILD/tests/tracing/tp_getpid.bpf.o
cp "$TP" "$MNT/tracing/tp$T_ID"
TID=$(sed -n 's/^ID: //p' "$MNT/tracing/tp$T_ID" | head -n1)
check "the tracing program is listed" grep -qx "$TID" <(ls "$P")
check_eq "its role" "$(field "$P/$TID" Role)" "tracing entry"
check_eq "its path" "$(field "$P/$TID" Path)" "tracing/tp$T_ID"
check "it is attached to its tracepoint through a link" bash -c "grep -q '^Attached: tracepoint sys_enter_getpid (link [0-9]*)' '$P/$TID'"
check "rm progs/<id> of it" rm "$P/$TID"
check_fails "removes its tracing/ entry" test -e "$MNT/tracing/tp$T_ID"
check_eq "progs/ is read-only" "$(errno_of cp "$PROGS/pass.bpf.o" "$P/1")" "Permission denied"

finish

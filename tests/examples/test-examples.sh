#!/usr/bin/env bash
# examples/ stays true: both demo scripts run to the end against a real
# mount and leave nothing behind, and every examples/Makefile target has
# its effect through the mount (a loaded program is in the kernel and in
# `cat`, a drop program blocks ping, unload removes it, inject changes
# find_idx_host's output, eject restores it, status prints the entries).
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_bpffs; need_cmd ip nsenter ping bpftool make

B=$PLUGFS_BUILD
EXMK=(make --no-print-directory -C "$PLUGFS_SRC/examples" "BUILD=$B")

# ---- the demo scripts ----
# run_demo NAME: runs examples/NAME.sh with private dirs; sets DEMO_PID
run_demo() {
	local name=$1
	mkdir -p "$T_DIR/$name"
	PLUGFS_BUILD=$B DEMO_DIR=$T_DIR/$name BPFFS_DIR=/sys/fs/bpf/plugfs-test-$T_ID-$name \
		"$PLUGFS_SRC/examples/$name.sh" >"$T_DIR/$name.out" 2>&1 &
	DEMO_PID=$!
	on_exit "kill -TERM $DEMO_PID"
	wait "$DEMO_PID"
}
for demo in demo-xdp demo-pluglet; do
	if run_demo "$demo"; then pass "$demo.sh runs to the end"; else
		fail "$demo.sh runs to the end"; sed 's/^/# /' "$T_DIR/$demo.out" | tail -n 30
	fi
	[ "$demo" = demo-xdp ] && XDP_DEMO_PID=$DEMO_PID
	check "$demo.sh says done" grep -q "^$demo: done" "$T_DIR/$demo.out"
	check_fails "$demo.sh: mount gone" mountpoint -q "$T_DIR/$demo/mnt"
	check_eq "$demo.sh: removed all it created in DEMO_DIR" "$(ls -A "$T_DIR/$demo")" ""
	check "$demo.sh: bpffs dir removed" test ! -e "/sys/fs/bpf/plugfs-test-$T_ID-$demo"
done
check "demo-xdp.sh: namespaces removed" bash -c "! ip netns list | grep -q 'demo-[ab]-$XDP_DEMO_PID\b'"
check "demo-xdp.sh showed the chain re-ordered" grep -q "no longer sees the packets" "$T_DIR/demo-xdp.out"
check "demo-pluglet.sh: 6 -> 1006 -> 2006 -> 6" \
	bash -c "grep -o 'host prints: find_idx=[0-9]*' '$T_DIR/demo-pluglet.out' | head -n 4 | tr '\n' ' ' |
		grep -qx 'host prints: find_idx=6 host prints: find_idx=1006 host prints: find_idx=2006 host prints: find_idx=6 '"
check_fails "demo-pluglet.sh: its host process is gone" pgrep -f -- "--run-dir $T_DIR/demo-pluglet/run"

# Interrupted half-way (SIGTERM, as Ctrl-C would), it still removes everything.
mkdir -p "$T_DIR/stopped"
PLUGFS_BUILD=$B DEMO_DIR=$T_DIR/stopped DEMO_PAUSE=0.5 BPFFS_DIR=/sys/fs/bpf/plugfs-test-$T_ID-stopped \
	"$PLUGFS_SRC/examples/demo-xdp.sh" >"$T_DIR/stopped.out" 2>&1 &
DEMO_PID=$!
on_exit "kill -TERM $DEMO_PID"
check "demo-xdp.sh gets as far as a loaded chain" wait_for 20 grep -q "Add drop_port" "$T_DIR/stopped.out"
kill -TERM "$DEMO_PID"
wait "$DEMO_PID"
check_eq "demo-xdp.sh stopped by SIGTERM exits 130" "$?" "130"
check_fails "stopped demo: mount gone" mountpoint -q "$T_DIR/stopped/mnt"
check_eq "stopped demo: DEMO_DIR emptied" "$(ls -A "$T_DIR/stopped")" ""
check "stopped demo: bpffs dir removed" test ! -e "/sys/fs/bpf/plugfs-test-$T_ID-stopped"
check "stopped demo: namespaces removed" bash -c "! ip netns list | grep -q 'demo-[ab]-$DEMO_PID\b'"
check_fails "stopped demo: its daemon is gone" pgrep -f -- "--state-dir $T_DIR/stopped/state"

# ---- examples/Makefile against a mount in a namespace ----
NSA=$(make_netns exa)
NSB=$(make_netns exb)
make_veth_pair "$NSA" "$NSB" 169.254.62.1/24 169.254.62.2/24
PEER=169.254.62.2
PLUGFS_NETNS=$NSB start_plugfs
M=(MNT="$MNT")
ping1() { ip netns exec "$NSA" ping -c1 -W1 "$PEER" >/dev/null 2>&1; }
ping_ok() { ping1 || ping1 || ping1; }

check "make (all) builds the examples" "${EXMK[@]}" all
lists() { "${EXMK[@]}" list | grep -qx "$1"; }
check "make list names the XDP programs" lists xdp/pass_count
check "make list names the pluglets" lists replace_find_idx
check_fails "make load without IFACE fails" "${EXMK[@]}" "${M[@]}" load HOOK=xdp PRIO=10 OBJ=xdp/pass_count
out=$("${EXMK[@]}" "${M[@]}" load HOOK=xdp PRIO=10 OBJ=xdp/pass_count 2>&1)
check "make load without IFACE says so" grep -q "IFACE= is required" <<<"$out"

printf 'object = %s\nglobal.VERDICT = 01000000\n' "$B/examples/xdp/verdict.bpf.o" >"$T_DIR/drop.ini"
check "ping works before make load" ping_ok
check "make load IFACE HOOK=xdp PRIO=20 OBJ=<manifest>" \
	"${EXMK[@]}" "${M[@]}" load IFACE="$VETH_B" HOOK=xdp PRIO=20 OBJ="$T_DIR/drop.ini"
E=$MNT/ifaces/$VETH_B/xdp/20
id=$(sed -n 's/^ID: //p' "$E")
check "loaded program is in bpftool prog" bpftool prog show id "${id:-0}"
check "cat shows it" grep -q "^Name: verdict" "$E"
check "ping fails with the drop program" bash -c "! ip netns exec '$NSA' ping -c1 -W1 $PEER >/dev/null 2>&1"
out=$("${EXMK[@]}" "${M[@]}" load IFACE="$VETH_B" HOOK=xdp PRIO=10 OBJ=xdp/pass_count 2>&1)
check "make load OBJ=xdp/pass_count at 10" test -e "$MNT/ifaces/$VETH_B/xdp/10"
check_eq "make load prints Name: once" "$(grep -c 'Name: ' <<<"$out")" 1
check "make load OBJ=tc/ingress_count on tc-ingress" \
	"${EXMK[@]}" "${M[@]}" load IFACE="$VETH_B" HOOK=tc-ingress PRIO=10 OBJ=tc/ingress_count
check "make load OBJ=tc/egress_mark on tc-egress" \
	"${EXMK[@]}" "${M[@]}" load IFACE="$VETH_B" HOOK=tc-egress PRIO=10 OBJ=tc/egress_mark
st=$("${EXMK[@]}" "${M[@]}" status 2>&1)
for e in xdp/10 xdp/20 tc-ingress/10 tc-egress/10; do
	check "make status prints ifaces/$VETH_B/$e" grep -q "^==> ifaces/$VETH_B/$e\$" <<<"$st"
done
check "make status prints the reports" grep -q "^Name: ingress_count" <<<"$st"
check_eq "make status IFACE HOOK filters" \
	"$("${EXMK[@]}" "${M[@]}" status IFACE="$VETH_B" HOOK=tc-egress | grep -c '^==> ')" "1"
# drop_port with its global overridden: UDP to port 53 is dropped and counted
printf 'object = %s\nglobal.PORT = 3500\n' "$B/examples/xdp/drop_port.bpf.o" >"$T_DIR/dns.ini"
check "make load drop_port with global.PORT = 53" \
	"${EXMK[@]}" "${M[@]}" load IFACE="$VETH_B" HOOK=xdp PRIO=15 OBJ="$T_DIR/dns.ini"
rm -f "$E"   # the dropper at 20 would hide what 15 does not drop; 10 and 15 pass the rest
for _ in 1 2 3; do ip netns exec "$NSA" bash -c "echo x >/dev/udp/$PEER/53" 2>/dev/null; done
dropped=$(bpftool -j map lookup pinned "$(sed -n 's/^Map Pin Path: //p' "$MNT/ifaces/$VETH_B/xdp/15")/dropped" \
	key 0 0 0 0 2>/dev/null | sed -n 's/.*"value": *\([0-9]*\).*/\1/p')
check "drop_port dropped the 3 datagrams to port 53 (got ${dropped:-none})" test "${dropped:-0}" -ge 3
check "ping still works past drop_port" ping_ok
check "make unload PRIO=15" "${EXMK[@]}" "${M[@]}" unload IFACE="$VETH_B" HOOK=xdp PRIO=15
printf 'object = %s\nglobal.VERDICT = 01000000\n' "$B/examples/xdp/verdict.bpf.o" >"$T_DIR/drop.ini"
check "make load the dropper again at 20" \
	"${EXMK[@]}" "${M[@]}" load IFACE="$VETH_B" HOOK=xdp PRIO=20 OBJ="$T_DIR/drop.ini"
id=$(sed -n 's/^ID: //p' "$E")
check "make move PRIO=20 TO=5" "${EXMK[@]}" "${M[@]}" move IFACE="$VETH_B" HOOK=xdp PRIO=20 TO=5
check_eq "moved entry is first" "$(sed -n 's/^Position: //p' "$MNT/ifaces/$VETH_B/xdp/5")" "0"
check "make unload PRIO=5" "${EXMK[@]}" "${M[@]}" unload IFACE="$VETH_B" HOOK=xdp PRIO=5
check_fails "unloaded program gone from the kernel" bpftool prog show id "${id:-0}"
check_fails "unloaded entry gone" test -e "$MNT/ifaces/$VETH_B/xdp/5"
check "ping works after make unload" ping_ok
for e in xdp/10 tc-ingress/10 tc-egress/10; do
	check "make unload $e" "${EXMK[@]}" "${M[@]}" unload IFACE="$VETH_B" HOOK="${e%/*}" PRIO="${e#*/}"
done
check "no XDP program left on the veth" bash -c "! ip -n '$NSB' link show '$VETH_B' | grep -q xdp"
check_fails "make unload of a missing entry fails" \
	"${EXMK[@]}" "${M[@]}" unload IFACE="$VETH_B" HOOK=xdp PRIO=10

# pluglets: inject / eject on a running find_idx_host
"$B/examples/hosts/find_idx_host" --run-dir "$RUN_DIR" --interval-ms 20 >"$T_DIR/host.log" 2>&1 &
HPID=$!
on_exit "kill -9 $HPID"
last_is() { [ "$(grep -a '^find_idx=' "$T_DIR/host.log" | tail -n1)" = "find_idx=$1" ]; }
check "host connected" wait_for 10 test -e "$MNT/hosts/find_idx_host.$HPID"
check "host prints find_idx=6" wait_for 3 last_is 6
check "make inject PLUGIN=find_idx ANCHOR=replace SEQ=0 OBJ=replace_find_idx" \
	"${EXMK[@]}" "${M[@]}" inject PLUGIN=find_idx ANCHOR=replace SEQ=0 OBJ=replace_find_idx
check "make inject changes the host's output (1006)" wait_for 3 last_is 1006
check "make inject ANCHOR=post SEQ=3 OBJ=<path>" \
	"${EXMK[@]}" "${M[@]}" inject PLUGIN=find_idx ANCHOR=post SEQ=3 OBJ="$B/examples/pluglets/post_logger.o"
cp "$B/examples/xdp/pass_count.bpf.o" "$MNT/ifaces/$VETH_B/xdp/30"	# an entry status PLUGIN= leaves out
st=$("${EXMK[@]}" "${M[@]}" status PLUGIN=find_idx 2>&1)
rm "$MNT/ifaces/$VETH_B/xdp/30"
check "make status prints the pluglets" grep -q "^==> plugins/find_idx/replace/0\$" <<<"$st"
check "make status prints the post pluglet" grep -q "^==> plugins/find_idx/post/3\$" <<<"$st"
check "make status prints the host" grep -q "^==> hosts/find_idx_host.$HPID\$" <<<"$st"
check_eq "make status PLUGIN= prints no interface entry" "$(grep -c '^==> ifaces/' <<<"$st")" 0
check_eq "make status IFACE= prints no host" \
	"$("${EXMK[@]}" "${M[@]}" status IFACE="$VETH_B" | grep -c '^==> hosts/')" 0
check "make eject the REPLACE pluglet" "${EXMK[@]}" "${M[@]}" eject PLUGIN=find_idx ANCHOR=replace SEQ=0
check "make eject restores the output (6)" wait_for 3 last_is 6
check "make eject the POST pluglet" "${EXMK[@]}" "${M[@]}" eject PLUGIN=find_idx ANCHOR=post SEQ=3
check_eq "plugin has no pluglet left" "$(find "$MNT/plugins/find_idx" -type f | wc -l)" "0"

finish

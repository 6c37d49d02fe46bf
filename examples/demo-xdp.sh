#!/usr/bin/env bash
# demo-xdp.sh: a live XDP/TC chain driven with cp, mv, rm and cat.
#
# Shows: two network namespaces joined by a veth (169.254.77.1 <-> .2),
# plugfs mounted with its daemon in the receiving namespace, and a chain on
# that veth built, re-ordered, replaced and removed while ping shows the
# effect of every step; a tc-ingress counter sharing its map with an XDP
# program, a tc-egress marker, a drop-by-port program with its counter.
#
# Run (as root, after `make` at the top of the tree):
#   sudo examples/demo-xdp.sh
# Environment (all optional):
#   PLUGFS_BUILD  meson build directory (default: <source>/build)
#   DEMO_DIR      private directory for the mount, state and run dirs
#                 (default: a new /tmp/plugfs-demo.XXXXXX, removed at exit)
#   BPFFS_DIR     private bpffs directory (default /sys/fs/bpf/plugfs-demo-<pid>)
#   DEMO_PAUSE    seconds to pause after each step (default 0)
# Everything the script creates (namespaces, veth, mount, daemon, pins,
# directories) is removed at exit, also on failure or Ctrl-C. It exits
# non-zero if a step does not have the effect it announces.
set -u

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PLUGFS_BUILD:-$SRC/build}
EX=$BUILD/examples
PAUSE=${DEMO_PAUSE:-0}
ID=$$

die() { echo "demo-xdp: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, bpffs, FUSE)"
for c in ip nsenter ping fusermount3 mountpoint; do
	command -v "$c" >/dev/null || die "missing $c"
done
[ -x "$BUILD/fs/plugfs" ] || die "$BUILD/fs/plugfs not built: run make at the top first"
[ -f "$EX/xdp/pass_count.bpf.o" ] || die "examples not built in $BUILD: run make at the top first"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "no bpffs on /sys/fs/bpf"

own_dir=
if [ -z "${DEMO_DIR:-}" ]; then
	DEMO_DIR=$(mktemp -d /tmp/plugfs-demo.XXXXXX)
	own_dir=1
fi
BPFFS_DIR=${BPFFS_DIR:-/sys/fs/bpf/plugfs-demo-$ID}
MNT=$DEMO_DIR/mnt
NSA=demo-a-$ID
NSB=demo-b-$ID
VA=da$ID
VB=db$ID
PEER=169.254.77.2
DAEMON=

cleanup() {
	local rc=$?
	if [ -n "$DAEMON" ]; then
		kill -TERM "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	mountpoint -q "$MNT" 2>/dev/null && { fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"; }
	# Deleting the namespaces deletes the veth and with it every attachment;
	# removing the pins then frees the programs and maps.
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$BPFFS_DIR"
	if [ -n "$own_dir" ]; then
		rm -rf "$DEMO_DIR"
	else
		rm -rf "$MNT" "$DEMO_DIR"/{state,run,plugfs.log,drop.ini,share.ini}
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n=== %s\n' "$*"; [ "$PAUSE" = 0 ] || sleep "$PAUSE"; }
run() { printf '$ %s\n' "$*"; "$@" || die "failed: $*"; }
ping1() { ip netns exec "$NSA" ping -c1 -W1 "$PEER" >/dev/null 2>&1; }
# A reply after a drop may need a new neighbour resolution: three tries.
ping_ok() { ping1 || ping1 || ping1; }
expect_ping() {
	if [ "$1" = works ]; then
		ping_ok || die "expected ping to work"
		echo "    ping $PEER: works"
	else
		ping1 && die "expected ping to fail"
		echo "    ping $PEER: fails"
	fi
}
# counter ENTRY MAP [SLOT]: a __u64 of a map of the entry, read through its pin
counter() {
	local dir
	dir=$(sed -n 's/^Map Pin Path: //p' "$1")
	bpftool -j map lookup pinned "$dir/$2" key "${3:-0}" 0 0 0 2>/dev/null |
		sed -n 's/.*"value": *\([0-9]*\).*/\1/p'
}

step "Two namespaces and a veth: $NSA/$VA 169.254.77.1 <-> $NSB/$VB $PEER"
ip netns add "$NSA" && ip netns add "$NSB" || die "cannot create namespaces"
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || die "cannot create the veth"
ip -n "$NSA" addr add 169.254.77.1/24 dev "$VA"
ip -n "$NSB" addr add "$PEER/24" dev "$VB"
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up
expect_ping works

step "plugfs mounted on $MNT, its daemon in $NSB (so ifaces/ lists $VB)"
mkdir -p "$MNT" "$DEMO_DIR/state" "$DEMO_DIR/run"
# nsenter, not `ip netns exec`: only the network namespace changes, so the
# mount is visible here and /sys/fs/bpf is the same bpffs.
nsenter --net="/run/netns/$NSB" "$BUILD/fs/plugfs" -f --state-dir "$DEMO_DIR/state" \
	--run-dir "$DEMO_DIR/run" --bpffs-dir "$BPFFS_DIR" "$MNT" >"$DEMO_DIR/plugfs.log" 2>&1 &
DAEMON=$!
for _ in $(seq 1 250); do mountpoint -q "$MNT" && break; sleep 0.02; done
mountpoint -q "$MNT" || { cat "$DEMO_DIR/plugfs.log" >&2; die "plugfs did not mount"; }
run ls "$MNT" "$MNT/ifaces"
X=$MNT/ifaces/$VB/xdp

step "Load a packet counter at priority 10"
run cp "$EX/xdp/pass_count.bpf.o" "$X/10"
expect_ping works
run grep -E '^(Name|Priority|Position|Proceed On|ID|Type|Run Count):' "$X/10"
c=$(counter "$X/10" stats)
echo "    packets counted: $c"
[ "${c:-0}" -gt 0 ] || die "pass_count counted nothing"

step "Add drop_port at 20: drops UDP to port 9, ICMP still passes"
run cp "$EX/xdp/drop_port.bpf.o" "$X/20"
run ls "$X"
expect_ping works
for _ in 1 2 3; do ip netns exec "$NSA" bash -c "echo hello >/dev/udp/$PEER/9" 2>/dev/null; done
d=$(counter "$X/20" dropped)
echo "    UDP packets to port 9 dropped: $d"
[ "${d:-0}" -ge 3 ] || die "drop_port dropped $d packets, expected 3"

step "Add verdict at 30 with a manifest: global.VERDICT = XDP_DROP"
printf 'object = %s\nglobal.VERDICT = 01000000\nmetadata.owner = demo-xdp\n' \
	"$EX/xdp/verdict.bpf.o" >"$DEMO_DIR/drop.ini"
run cat "$DEMO_DIR/drop.ini"
run cp "$DEMO_DIR/drop.ini" "$X/30"
expect_ping fails
run grep -E '^(Global|Metadata|Position):' "$X/30"
c0=$(counter "$X/10" stats)
ping1
c1=$(counter "$X/10" stats)
echo "    the counter at 10 still runs first: $c0 -> $c1"
[ "${c1:-0}" -gt "${c0:-0}" ] || die "the counter did not count"

step "Re-order: mv 30 to 5, the dropper now runs before the counter"
run mv "$X/30" "$X/5"
run ls "$X"
c0=$(counter "$X/10" stats)
expect_ping fails
c1=$(counter "$X/10" stats)
echo "    the counter at 10 no longer sees the packets: $c0 -> $c1"
[ "$c1" = "$c0" ] || die "packets reached the counter after the dropper"

step "Replace 5 in place with the default verdict (XDP_PASS): an atomic swap"
id_old=$(sed -n 's/^ID: //p' "$X/5")
run cp "$EX/xdp/verdict.bpf.o" "$X/5"
id_new=$(sed -n 's/^ID: //p' "$X/5")
echo "    kernel program id $id_old -> $id_new, same position"
expect_ping works

step "TC: an ingress counter sharing the XDP counter's map, an egress marker"
printf 'object = %s\nmap_owner = ../../xdp/10\n' "$EX/xdp/count_shared.bpf.o" >"$DEMO_DIR/share.ini"
run cp "$DEMO_DIR/share.ini" "$MNT/ifaces/$VB/tc-ingress/10"
run cp "$EX/tc/ingress_count.bpf.o" "$MNT/ifaces/$VB/tc-ingress/20"
run cp "$EX/tc/egress_mark.bpf.o" "$MNT/ifaces/$VB/tc-egress/10"
run grep -E '^Map (Owner ID|Used By|Pin Path):' "$X/10"
c0=$(counter "$X/10" stats)
expect_ping works
c1=$(counter "$X/10" stats)
echo "    one ping, XDP and tc-ingress count into one map: $c0 -> $c1"
[ $((c1 - c0)) -ge 2 ] || die "the shared map did not see both programs"
m=$(counter "$MNT/ifaces/$VB/tc-egress/10" marked)
echo "    packets marked on egress: $m"
[ "${m:-0}" -gt 0 ] || die "egress_mark marked nothing"
icmp=$(bpftool -j map lookup pinned \
	"$(sed -n 's/^Map Pin Path: //p' "$MNT/ifaces/$VB/tc-ingress/20")/by_proto" key 1 0 0 0 2>/dev/null |
	grep -o '"packets": *[0-9]*' | grep -o '[0-9]*$')
echo "    ICMP packets counted on tc-ingress: $icmp"

step "The whole state, as cat shows it (one entry)"
run cat "$X/10"

step "Remove everything: rm"
run rm "$X/5" "$X/10" "$X/20" "$MNT/ifaces/$VB/tc-ingress/10" "$MNT/ifaces/$VB/tc-ingress/20" \
	"$MNT/ifaces/$VB/tc-egress/10"
run ls "$X"
ip -n "$NSB" link show "$VB" | grep -q xdp && die "an XDP program is still attached"
[ -z "$(ls "$BPFFS_DIR/maps" 2>/dev/null)" ] || die "maps are still pinned"
expect_ping works
echo
echo "demo-xdp: done"

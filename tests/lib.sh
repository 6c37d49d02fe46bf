# Shared helpers for integration tests (bash). Source it first:
#   . "$PLUGFS_SRC/tests/lib.sh"
# Every test works only on what it creates: its own temp dir (mount point,
# state, run and bpffs sub-directory), its own netns and veths, named with
# the test's PID. Everything is removed by the EXIT trap set here; add your
# own cleanup with `on_exit CMD`.
set -u

PLUGFS_SRC=${PLUGFS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PLUGFS_BUILD=${PLUGFS_BUILD:-$PLUGFS_SRC/build}
PLUGFS_BIN=${PLUGFS_BIN:-$PLUGFS_BUILD/fs/plugfs}
T_ID=$$
T_DIR=$(mktemp -d /tmp/plugfs-test.XXXXXX)
T_FAILS=0
T_PASSES=0
_cleanups=()

on_exit() { _cleanups+=("$*"); }

_run_cleanups() {
	local rc=$?
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	# make_netns runs in $(...), so its own on_exit is lost: sweep our netns here
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -- "-$T_ID\$"); do
		ip netns del "$ns" 2>/dev/null || true
	done
	# Queues of hosts that were killed before they could remove them: their
	# run files (anywhere under our temp dir) still name them.
	local f q
	for f in $(grep -rls '^msqid' "$T_DIR" 2>/dev/null); do
		q=$(sed -n 's/^msqid *= *//p' "$f" | head -n1)
		[ -n "$q" ] && ipcrm -q "$q" 2>/dev/null
	done
	rm -rf "$T_DIR" 2>/dev/null || true
	exit $rc
}

# stop_pid PID...: SIGTERM (so the process removes its queues and files),
# then SIGKILL after 3 s. Only for processes the test started.
stop_pid() {
	local pid i
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 150; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# skip REASON: exit 77, or fail when CI=true (CI must run every test).
skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL: cannot run under CI: $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
need_fuse() { [ -c /dev/fuse ] || skip "no /dev/fuse"; command -v fusermount3 >/dev/null || skip "no fusermount3"; }
need_bpffs() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip "no bpffs"
}
need_cmd() { for c in "$@"; do command -v "$c" >/dev/null || skip "missing $c"; done; }

say() { echo "# $*"; }
pass() { T_PASSES=$((T_PASSES + 1)); echo "ok - $*"; }
fail() { T_FAILS=$((T_FAILS + 1)); echo "not ok - $*"; }
# check DESC CMD...: passes when CMD succeeds
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# check_fails DESC CMD...: passes when CMD fails
check_fails() { local d=$1; shift; if "$@"; then fail "$d"; else pass "$d"; fi; }
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }
# Ends the test: prints the plain summary line and the exit code.
finish() {
	echo "$T_PASSES passed, $T_FAILS failed"
	[ "$T_FAILS" -eq 0 ]
	exit $?
}

# wait_for SECONDS CMD...: polls CMD every 20 ms
wait_for() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	while ! "$@" 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.02
	done
}

# ---- plugfs instances ----
# start_plugfs [extra args...]: mounts on $MNT with private state/run/bpffs
# dirs and sets PLUGFS_PID. Uses the pid-tagged bpffs sub-directory.
# Set PLUGFS_NETNS=<netns> to run the daemon in that network namespace.
start_plugfs() {
	need_root; need_fuse; need_bpffs
	[ -x "$PLUGFS_BIN" ] || { echo "FAIL: $PLUGFS_BIN not built" >&2; exit 1; }
	MNT=${MNT:-$T_DIR/mnt}
	STATE_DIR=${STATE_DIR:-$T_DIR/state}
	RUN_DIR=${RUN_DIR:-$T_DIR/run}
	BPFFS_DIR=${BPFFS_DIR:-/sys/fs/bpf/plugfs-test-$T_ID}
	mkdir -p "$MNT" "$STATE_DIR" "$RUN_DIR"
	PLUGFS_LOG=${PLUGFS_LOG:-$T_DIR/plugfs.log}
	local pre=()
	# nsenter (not `ip netns exec`) switches only the network namespace, so
	# the mount stays visible here and /sys/fs/bpf stays the same bpffs.
	[ -n "${PLUGFS_NETNS:-}" ] && pre=(nsenter "--net=/run/netns/$PLUGFS_NETNS")
	"${pre[@]}" "$PLUGFS_BIN" -f --state-dir "$STATE_DIR" --run-dir "$RUN_DIR" \
		--bpffs-dir "$BPFFS_DIR" "$@" "$MNT" >>"$PLUGFS_LOG" 2>&1 &
	PLUGFS_PID=$!
	on_exit "stop_plugfs_hard $PLUGFS_PID '$MNT'; rm -rf '$BPFFS_DIR'"
	if ! wait_for 10 mountpoint -q "$MNT"; then
		echo "FAIL: plugfs did not mount; log:" >&2
		cat "$PLUGFS_LOG" >&2
		exit 1
	fi
}

# Clean stop: SIGTERM, wait for exit; returns the daemon's exit code.
stop_plugfs() {
	local pid=${1:-$PLUGFS_PID}
	kill -TERM "$pid" 2>/dev/null || return 1
	local rc=0
	wait "$pid" || rc=$?
	return $rc
}

stop_plugfs_hard() {
	local pid=$1 mnt=$2
	stop_pid "$pid"
	fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
}

# ---- network namespaces ----
# make_netns NAME: creates netns NAME-$T_ID, prints its name
make_netns() {
	local ns="$1-$T_ID"
	ip netns add "$ns" || skip "cannot create netns"
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# make_veth_pair NS_A NS_B ADDR_A ADDR_B: a veth joining two namespaces,
# named va<id>/vb<id> (<= 15 chars), addresses like 169.254.10.1/24.
make_veth_pair() {
	local nsa=$1 nsb=$2 aa=$3 ab=$4
	VETH_A=va$T_ID
	VETH_B=vb$T_ID
	ip link add "$VETH_A" netns "$nsa" type veth peer name "$VETH_B" netns "$nsb" || skip "cannot create veth"
	ip -n "$nsa" addr add "$aa" dev "$VETH_A"
	ip -n "$nsb" addr add "$ab" dev "$VETH_B"
	ip -n "$nsa" link set "$VETH_A" up
	ip -n "$nsb" link set "$VETH_B" up
}

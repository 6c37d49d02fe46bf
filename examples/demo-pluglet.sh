#!/usr/bin/env bash
# demo-pluglet.sh: a live pluglet in a running pluginized program, through
# the file system and through ebpf_injecter.
#
# Shows: find_idx_host (libubpf's find_idx() example behind VM_CALL,
# printing find_idx=<result> ten times a second) connected to plugfs; a REPLACE
# pluglet injected with cp, replaced by overwriting it, removed with rm,
# with the host's output changing at each step (6 -> 1006 -> 2006 -> 6);
# then the same with ebpf_injecter on the host's message queue, plus PRE
# and POST pluglets; `cat` of the entry and of hosts/.
#
# Run (as root, after `make` at the top of the tree):
#   sudo examples/demo-pluglet.sh
# Environment (all optional):
#   PLUGFS_BUILD  meson build directory (default: <source>/build)
#   DEMO_DIR      private directory for the mount, state and run dirs
#                 (default: a new /tmp/plugfs-demo.XXXXXX, removed at exit)
#   BPFFS_DIR     private bpffs directory (default /sys/fs/bpf/plugfs-demo-<pid>)
#   DEMO_PAUSE    seconds to pause after each step (default 0)
# Everything the script starts or creates is stopped and removed at exit,
# also on failure or Ctrl-C. It exits non-zero if a step does not have the
# effect it announces.
set -u

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PLUGFS_BUILD:-$SRC/build}
PL=$BUILD/examples/pluglets
PAUSE=${DEMO_PAUSE:-0}
ID=$$

die() { echo "demo-pluglet: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (FUSE mount, bpffs)"
command -v fusermount3 >/dev/null || die "missing fusermount3"
for f in fs/plugfs injector/ebpf_injecter examples/hosts/find_idx_host examples/pluglets/replace_from_end.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f not built: run make at the top first"
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "no bpffs on /sys/fs/bpf"

own_dir=
if [ -z "${DEMO_DIR:-}" ]; then
	DEMO_DIR=$(mktemp -d /tmp/plugfs-demo.XXXXXX)
	own_dir=1
fi
BPFFS_DIR=${BPFFS_DIR:-/sys/fs/bpf/plugfs-demo-$ID}
MNT=$DEMO_DIR/mnt
RUN=$DEMO_DIR/run
HOSTLOG=$DEMO_DIR/find_idx_host.log
DAEMON=
HOST=

cleanup() {
	local rc=$?
	for pid in $HOST $DAEMON; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	mountpoint -q "$MNT" 2>/dev/null && { fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"; }
	rm -rf "$BPFFS_DIR"
	if [ -n "$own_dir" ]; then
		rm -rf "$DEMO_DIR"
	else
		rm -rf "$MNT" "$DEMO_DIR/state" "$RUN" "$HOSTLOG" "$DEMO_DIR/plugfs.log"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n=== %s\n' "$*"; [ "$PAUSE" = 0 ] || sleep "$PAUSE"; }
run() { printf '$ %s\n' "$*"; "$@" || die "failed: $*"; }
# expect_output VALUE: the host prints find_idx=VALUE within 3 s
expect_output() {
	local i
	for i in $(seq 1 150); do
		if [ "$(grep -a '^find_idx=' "$HOSTLOG" | tail -n1)" = "find_idx=$1" ]; then
			echo "    host prints: find_idx=$1"
			return 0
		fi
		sleep 0.02
	done
	die "expected find_idx=$1, the host prints $(grep -a '^find_idx=' "$HOSTLOG" | tail -n1)"
}
# expect_line TEXT: the host's log gets a line containing TEXT within 3 s
expect_line() {
	local i
	for i in $(seq 1 150); do
		grep -aq -- "$1" "$HOSTLOG" && { echo "    host log: $(grep -a -- "$1" "$HOSTLOG" | tail -n1)"; return 0; }
		sleep 0.02
	done
	die "the host never logged '$1'"
}

step "plugfs mounted on $MNT; hosts publish themselves in $RUN/hosts"
mkdir -p "$MNT" "$DEMO_DIR/state" "$RUN"
"$BUILD/fs/plugfs" -f --state-dir "$DEMO_DIR/state" --run-dir "$RUN" --bpffs-dir "$BPFFS_DIR" \
	"$MNT" >"$DEMO_DIR/plugfs.log" 2>&1 &
DAEMON=$!
for _ in $(seq 1 250); do mountpoint -q "$MNT" && break; sleep 0.02; done
mountpoint -q "$MNT" || { cat "$DEMO_DIR/plugfs.log" >&2; die "plugfs did not mount"; }

step "Start find_idx_host: find_idx(key 70) in {10, 20, ..., 160} is 6"
"$BUILD/examples/hosts/find_idx_host" --run-dir "$RUN" --interval-ms 100 >"$HOSTLOG" 2>&1 &
HOST=$!
H=$MNT/hosts/find_idx_host.$HOST
for _ in $(seq 1 250); do [ -e "$H" ] && break; sleep 0.02; done
[ -e "$H" ] || die "the host did not appear in $MNT/hosts"
run ls "$MNT/hosts" "$MNT/plugins" "$MNT/plugins/find_idx"
run cat "$H"
expect_output 6

P=$MNT/plugins/find_idx
step "Through the file system: inject a REPLACE pluglet (binary search, answers index + 1000)"
run cp "$PL/replace_find_idx.o" "$P/replace/0"
expect_output 1006
run cat "$P/replace/0"

step "Replace it atomically: overwrite the entry with replace_from_end (index + 2000)"
run cp "$PL/replace_from_end.o" "$P/replace/0"
expect_output 2006

step "Remove it: the host's own body runs again"
run rm "$P/replace/0"
expect_output 6

MSQID=$(sed -n 's/^msqid *= *//p' "$RUN/hosts/find_idx_host.$HOST")
INJ="$BUILD/injector/ebpf_injecter"
step "Through ebpf_injecter, on the host's queue (msqid $MSQID from $RUN/hosts/find_idx_host.$HOST)"
run "$INJ" -a add -i find_idx -m "$MSQID" -h replace -p "$PL/replace_find_idx.o" -j || die "add failed"
expect_output 1006
run "$INJ" -a replace -i find_idx -m "$MSQID" -h replace -p "$PL/replace_from_end.o" || die "replace failed"
expect_output 2006
run "$INJ" -a add -i find_idx -m "$MSQID" -h pre -n 1 -s 64 -p "$PL/pre_counter.o" || die "add pre failed"
run "$INJ" -a add -i find_idx -m "$MSQID" -h post -n 1 -p "$PL/post_logger.o" || die "add post failed"
expect_line "post_logger: find_idx(key=70) returns 2006"
run "$INJ" -a status -i find_idx -m "$MSQID"
run "$INJ" -a rm_pluglet -i find_idx -m "$MSQID" -h replace || die "rm_pluglet failed"
expect_output 6
run "$INJ" -a rm -i find_idx -m "$MSQID" || die "rm failed"
sleep 0.3
n=$(grep -ac post_logger "$HOSTLOG")
sleep 0.3
[ "$(grep -ac post_logger "$HOSTLOG")" = "$n" ] || die "the POST pluglet still runs after rm"
echo "    every pluglet removed: the POST pluglet logs no more"
expect_output 6
echo
echo "demo-pluglet: done"

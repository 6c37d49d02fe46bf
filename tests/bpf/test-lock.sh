#!/usr/bin/env bash
# One daemon per state and bpffs directory: a second plugfs started on the
# same state dir or the same bpffs dir (another mount point) exits non-zero
# with a message naming the directory and the pid of the first, which is
# unaffected; the lock goes with the process, so after kill -9 a new daemon
# on the same directories starts (and adopts the chain). engine-cli, an
# engine of its own, obeys the same lock.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

cp "$PROGS/pass.bpf.o" "$IF/xdp/10" || fail "daemon 1: cp"
id1=$(field "$IF/xdp/10" ID)
MNT2=$T_DIR/mnt2
mkdir -p "$MNT2" "$T_DIR/run2" "$T_DIR/state2"
on_exit "fusermount3 -u -z '$MNT2'; umount -l '$MNT2'"
OTHER_BPFFS=/sys/fs/bpf/plugfs-test-$T_ID-2
on_exit "rm -rf '$OTHER_BPFFS'"

# second STATE BPFFS [-f]: starts a second daemon on MNT2; its exit code,
# its output in $T_DIR/second.log. A daemon that started is stopped (the
# test then fails on its code).
second() {
	local rc=0
	timeout 5 nsenter "--net=/run/netns/$NSB" "$PLUGFS_BIN" ${3:-} --state-dir "$1" \
		--run-dir "$T_DIR/run2" --bpffs-dir "$2" "$MNT2" >"$T_DIR/second.log" 2>&1 || rc=$?
	[ $rc = 124 ] && rc=0	# it ran until the timeout stopped it
	if mountpoint -q "$MNT2"; then
		fusermount3 -u "$MNT2" 2>/dev/null || umount -l "$MNT2"
		rc=0
	fi
	return $rc
}
says() { grep -q "$1" "$T_DIR/second.log" || { cat "$T_DIR/second.log" >&2; return 1; }; }

for fg in -f ""; do
	say "second daemon ${fg:-(detaching)} on the same state dir"
	check_fails "refused" second "$STATE_DIR" "$OTHER_BPFFS" "$fg"
	check "the message names the state dir and the pid" \
		says "the state directory $STATE_DIR is in use by process $PLUGFS_PID (plugfs)"
	say "second daemon ${fg:-(detaching)} on the same bpffs dir"
	check_fails "refused" second "$T_DIR/state2" "$BPFFS_DIR" "$fg"
	check "the message names the bpffs dir and the pid" \
		says "the bpffs directory $BPFFS_DIR is in use by process $PLUGFS_PID (plugfs)"
done
check "nothing mounted on the second mount point" bash -c "! mountpoint -q '$MNT2'"
check "the second daemon left no state, no bpffs dir" test -z "$(ls "$T_DIR/state2")" -a ! -e "$OTHER_BPFFS"
check "daemon 1 alive" kill -0 "$PLUGFS_PID"
check_eq "daemon 1 still serves its entry" "$(field "$IF/xdp/10" ID)" "$id1"
check "daemon 1 still loads" cp "$PROGS/drop.bpf.o" "$IF/xdp/20"
check "and the chain runs it" ping_fails
rm -f "$IF/xdp/20"

cli() {
	nsenter "--net=/run/netns/$NSB" "$PLUGFS_BUILD/tests/bpf/engine-cli" -b "$BPFFS_DIR" \
		-s "$STATE_DIR" list "$VETH_B" xdp >"$T_DIR/second.log" 2>&1
}
check_fails "engine-cli on the same dirs is refused" cli
check "with the same message" says "the bpffs directory $BPFFS_DIR is in use by process $PLUGFS_PID"

say "kill -9 of daemon 1: the kernel drops its locks"
kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
PLUGFS_NETNS=$NSB start_plugfs
check "a new daemon on the same dirs starts" kill -0 "$PLUGFS_PID"
check_eq "and adopts the entry" "$(field "$IF/xdp/10" ID)" "$id1"
check "rm" rm "$IF/xdp/10"
check "nothing left" no_leftovers
finish

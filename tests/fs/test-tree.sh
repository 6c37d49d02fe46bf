#!/usr/bin/env bash
# The mounted tree (issue: foundation): interfaces of the daemon's netns
# with exactly three hook directories, live interface changes, read-only
# places refuse writes with the documented errno, `log` shows the start
# message, SIGTERM unmounts and exits 0.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ip nsenter

NS=$(make_netns tree)
PLUGFS_NETNS=$NS start_plugfs

# errno_of CMD...: prints the strerror text CMD failed with
errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }

names=$(ls "$MNT" | tr '\n' ' ')
check_eq "root lists hosts ifaces log maps metrics plugins progs tracing" "$names" "hosts ifaces log maps metrics plugins progs tracing "

check_eq "ifaces of a fresh netns is only lo" "$(ls "$MNT/ifaces" | tr '\n' ' ')" "lo "

ip -n "$NS" link add "tv$T_ID" type veth peer name "tp$T_ID"
check "new veth appears without remount" wait_for 2 test -d "$MNT/ifaces/tv$T_ID"
check "its peer too" test -d "$MNT/ifaces/tp$T_ID"
check_eq "each interface has exactly the three hooks" \
	"$(ls "$MNT/ifaces/tv$T_ID" | tr '\n' ' ')" "tc-egress tc-ingress xdp "
check_eq "lo has the three hooks" "$(ls "$MNT/ifaces/lo" | tr '\n' ' ')" "tc-egress tc-ingress xdp "
check "hook is a directory" test -d "$MNT/ifaces/lo/tc-ingress"
check_fails "no fourth hook" test -e "$MNT/ifaces/lo/tc"

ip -n "$NS" link del "tv$T_ID"
check "deleted veth disappears" wait_for 2 bash -c "! ls '$MNT/ifaces' | grep -q 'tv$T_ID'"
check_fails "its directory is gone" test -e "$MNT/ifaces/tv$T_ID"
check_fails "unknown interface is ENOENT" stat "$MNT/ifaces/nosuch0"

# Documented errnos (docs/plugfs.8, ERRORS): read-only files EACCES,
# places where the tree has no files EPERM.
check_eq "write to log: EACCES" "$(errno_of sh -c "echo x > '$MNT/log'")" "Permission denied"
check_eq "create in root: EPERM" "$(errno_of touch "$MNT/newfile")" "Operation not permitted"
check_eq "mkdir in root: EPERM" "$(errno_of mkdir "$MNT/newdir")" "Operation not permitted"
check_eq "mkdir in ifaces: EPERM" "$(errno_of mkdir "$MNT/ifaces/eth9")" "Operation not permitted"
check_eq "create in an interface dir: EPERM" "$(errno_of touch "$MNT/ifaces/lo/file")" "Operation not permitted"
check_eq "rm log: EACCES" "$(errno_of rm -f "$MNT/log")" "Permission denied"
check_eq "rmdir a hook: EPERM" "$(errno_of rmdir "$MNT/ifaces/lo/xdp")" "Operation not permitted"
check_eq "rename a hook: EPERM" "$(errno_of mv "$MNT/ifaces/lo/xdp" "$MNT/ifaces/lo/xdp2")" "Operation not permitted"
check_eq "symlink: EPERM" "$(errno_of ln -s /etc/passwd "$MNT/ifaces/lo/xdp/1")" "Operation not permitted"
check_eq "create in hosts/: EACCES" "$(errno_of touch "$MNT/hosts/h.1")" "Permission denied"

check "log shows the start message" grep -q "started: mounted on $MNT" "$MNT/log"
size=$(stat -c %s "$MNT/log")
check_eq "ls -l size of log equals cat" "$size" "$(cat "$MNT/log" | wc -c)"
check "log lines carry a timestamp and level" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z info ' "$MNT/log"

rc=0
stop_plugfs "$PLUGFS_PID" || rc=$?
check_eq "SIGTERM: daemon exits 0" "$rc" "0"
check_fails "SIGTERM: mount point gone" mountpoint -q "$MNT"
check "daemon log says it stopped on the signal" grep -q "stopping (signal 15)" "$PLUGFS_LOG"

finish

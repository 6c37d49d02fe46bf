#!/usr/bin/env bash
# Private instances and restart after a crash: two daemons started with
# --instance (and PLUGFS_DIR) side by side never see each other's hosts,
# pluglets or pins; after kill -9 the same command starts again (the dead
# mount is detached) and the reply queues the dead daemon left are removed.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_bpffs; need_cmd ipcs mountpoint

B=$PLUGFS_BUILD
FIND_IDX_HOST=$B/examples/hosts/find_idx_host
EX=$B/examples/pluglets
A=$T_DIR/inst-a-$T_ID
Z=$T_DIR/inst-z-$T_ID
on_exit "rm -rf /sys/fs/bpf/plugfs-inst-a-$T_ID /sys/fs/bpf/plugfs-inst-z-$T_ID"

# start_instance VAR DIR [env...]: the daemon in the foreground, pid in VAR
start_instance() {
	local var=$1 dir=$2; shift 2
	env "$@" "$PLUGFS_BIN" -f ${INSTANCE_OPT:+--instance "$dir"} >>"$T_DIR/$var.log" 2>&1 &
	local pid=$!
	eval "$var=$pid"
	on_exit "stop_plugfs_hard $pid '$dir/mnt'"
	wait_for 10 mountpoint -q "$dir/mnt"
}

INSTANCE_OPT=1
check "instance A starts with --instance DIR" start_instance PA "$A"
INSTANCE_OPT=
check "instance Z starts with PLUGFS_DIR" start_instance PZ "$Z" PLUGFS_DIR="$Z"
check "A made its own state, run and mount dirs" test -d "$A/state" -a -d "$A/run" -a -d "$A/mnt"
check "Z made its own too" test -d "$Z/state" -a -d "$Z/run"
check "A says where its bpffs dir is" grep -q "bpffs /sys/fs/bpf/plugfs-inst-a-$T_ID" "$T_DIR/PA.log"

# a host published in A's run dir (PLUGLET_RUN_DIR, as a user would start it)
PLUGLET_RUN_DIR=$A/run "$FIND_IDX_HOST" --interval-ms 20 --name find_idx_host >"$T_DIR/h.log" 2>&1 &
HPID=$!
on_exit "stop_pid $HPID"
check "A lists the host" wait_for 10 test -f "$A/mnt/hosts/find_idx_host.$HPID"
check_eq "Z does not" "$(ls "$Z/mnt/hosts" | wc -l)" 0
check "cp a pluglet into A" cp "$EX/replace_find_idx.o" "$A/mnt/plugins/find_idx/replace/0"
check "the host runs it" wait_for 5 bash -c "grep -a '^find_idx=' '$T_DIR/h.log' | tail -n1 | grep -qx find_idx=1006"
check_fails "Z has no such plugin" test -e "$Z/mnt/plugins/find_idx"
check "A keeps it in its own state dir" test -n "$(find "$A/state/plugins" -name '0.o' 2>/dev/null)"
check_eq "Z's state dir holds no pluglet" "$(find "$Z/state" -name '*.o' 2>/dev/null | wc -l)" 0

# a directory lists its entries in run order (readdir's order: ls -U shows it)
for seq in 20 5 100; do cp "$EX/pre_counter.o" "$A/mnt/plugins/find_idx/pre/$seq"; done
check_eq "pre/ lists in run order" "$(ls -U "$A/mnt/plugins/find_idx/pre" | tr '\n' ' ')" "5 20 100 "
rm "$A/mnt/plugins/find_idx/pre/"*

# --- crash: kill -9 A with a host connected, then the same command again ---
queues=$(awk '{print $2}' "$A/run/daemon/reply-queues" 2>/dev/null)
check "A recorded its reply queues" test -n "$queues"
kill -9 "$PA"; wait "$PA" 2>/dev/null
check "the dead mount answers ENOTCONN" bash -c "ls '$A/mnt' 2>&1 | grep -q 'not connected'"
for q in $queues; do
	check "queue $q is still there after kill -9" bash -c "ipcs -q | awk '{print \$2}' | grep -qx $q"
done
INSTANCE_OPT=1
check "the same command starts again" start_instance PA2 "$A"
# The dead mount may look mounted for a moment (the kernel keeps the
# root's attributes for its cache time): wait for the new daemon's word.
check "it says it detached the dead mount" \
	wait_for 5 grep -q "left mounted by a daemon that died" "$T_DIR/PA2.log"
check "and that it mounted again" wait_for 10 grep -q "started: mounted on" "$T_DIR/PA2.log"
for q in $queues; do
	check_fails "queue $q of the dead daemon is gone" bash -c "ipcs -q | awk '{print \$2}' | grep -qx $q"
done
check "it said so" grep -q "removed [0-9]* reply queue" "$T_DIR/PA2.log"
check "the pluglet is still listed" test -f "$A/mnt/plugins/find_idx/replace/0"
check "the host is listed again" wait_for 10 test -f "$A/mnt/hosts/find_idx_host.$HPID"
check "the host still runs it (not injected twice)" grep -q "^State: loaded" "$A/mnt/plugins/find_idx/replace/0"

# --- bad instance names are refused with a message ---
out=$("$PLUGFS_BIN" --instance 'a b' 2>&1); rc=$?
check_eq "a bad instance name: exit 2" "$rc" 2
check "and a message" grep -q "instance 'a b'" <<<"$out"
finish

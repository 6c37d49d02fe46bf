#!/usr/bin/env bash
# Configuration: no file needed; an ini file sets paths and limits; the
# command line wins over the file; bad files and bad options are refused
# with a message naming the problem; -o options reach FUSE.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse

cfg=$T_DIR/plugfs.ini
mkdir -p "$T_DIR/cfgstate" "$T_DIR/m2"
cat >"$cfg" <<INI
[paths]
state_dir = $T_DIR/cfgstate
run_dir = $T_DIR/cfgrun
[limits]
log_lines = 3
max_chain = 5
[defaults]
xdp_mode = skb
INI

start_plugfs --config "$cfg" -o noatime
# --state-dir on the command line (set by start_plugfs) wins over the file.
check "command line state dir wins over the file" grep -q "(state $STATE_DIR, run $RUN_DIR," "$MNT/log"
check "-o passed to FUSE (noatime in mount options)" grep -q "$MNT fuse.plugfs .*noatime" /proc/mounts
check "mounted read access for others (allow_other)" grep -q "$MNT fuse.plugfs .*allow_other" /proc/mounts
# log_lines = 3: the ring keeps only the last three messages.
for i in 1 2 3 4 5; do ls "$MNT/ifaces/nosuch$i" >/dev/null 2>&1; touch "$MNT/x$i" 2>/dev/null; done
check "log ring bounded by log_lines" test "$(wc -l <"$MNT/log")" -le 3
stop_plugfs "$PLUGFS_PID"

bad=$T_DIR/bad.ini
printf '[limits]\nmax_chain = 99\n' >"$bad"
out=$("$PLUGFS_BIN" -f --config "$bad" "$T_DIR/m2" 2>&1); rc=$?
check_eq "bad config value: exit 2" "$rc" "2"
check "bad config value named" grep -q "bad value for \[limits\] max_chain" <<<"$out"
check "a fatal config problem is an error, not a warning" grep -q "^plugfs: error: config" <<<"$out"

printf '[access]\nwrite_group = nogroup%s\n' "$T_ID" >"$bad"
out=$("$PLUGFS_BIN" -f --config "$bad" "$T_DIR/m2" 2>&1); rc=$?
check_eq "unknown write_group: exit 2" "$rc" "2"
check "unknown write_group: says how to find or make one" grep -q "is not a group of this system (\`getent group\`" <<<"$out"

printf '[paths]\nbogus = 1\n' >"$bad"
out=$("$PLUGFS_BIN" -f --config "$bad" "$T_DIR/m2" 2>&1); rc=$?
check_eq "unknown config key: exit 2" "$rc" "2"
check "unknown key named" grep -q "unknown key \[paths\] bogus" <<<"$out"

out=$("$PLUGFS_BIN" -f --config "$T_DIR/missing.ini" "$T_DIR/m2" 2>&1); rc=$?
check_eq "missing config file: exit 2" "$rc" "2"
check "missing file named" grep -q "missing.ini: cannot open" <<<"$out"

out=$("$PLUGFS_BIN" --no-such-option 2>&1); rc=$?
check_eq "unknown option: exit 2" "$rc" "2"
out=$("$PLUGFS_BIN" -f 2>&1); rc=$?
check_eq "no mount point: exit 2" "$rc" "2"
check "no mount point explained" grep -q "no mount point" <<<"$out"
check "--version prints the version" bash -c "'$PLUGFS_BIN' --version | grep -Eq '^plugfs [0-9]+\.[0-9]+'"
out=$("$PLUGFS_BIN" -f "$cfg" 2>&1); rc=$?
check_eq "mount point not a directory: exit 2" "$rc" "2"
check "not a directory explained" grep -q "is not a directory" <<<"$out"

# Ctrl-C (SIGINT) and an outside unmount end the daemon cleanly too.
mkdir -p "$T_DIR/m3"
B3=/sys/fs/bpf/plugfs-test-$T_ID	# never the default directory another daemon may hold
on_exit "rm -rf '$B3'"
"$PLUGFS_BIN" -f --state-dir "$T_DIR/s3" --run-dir "$T_DIR/r3" --bpffs-dir "$B3" "$T_DIR/m3" >>"$T_DIR/m3.log" 2>&1 &
p3=$!
on_exit "stop_pid $p3; fusermount3 -u -z '$T_DIR/m3'"
wait_for 5 mountpoint -q "$T_DIR/m3"
kill -INT $p3; rc=0; wait $p3 || rc=$?
check_eq "SIGINT: exit 0" "$rc" "0"
check_fails "SIGINT: unmounted" mountpoint -q "$T_DIR/m3"
"$PLUGFS_BIN" -f --state-dir "$T_DIR/s3" --run-dir "$T_DIR/r3" --bpffs-dir "$B3" "$T_DIR/m3" >>"$T_DIR/m3.log" 2>&1 &
p3=$!
on_exit "stop_pid $p3; fusermount3 -u -z '$T_DIR/m3'"
wait_for 5 mountpoint -q "$T_DIR/m3"
fusermount3 -u "$T_DIR/m3"; rc=0; wait $p3 || rc=$?
check_eq "fusermount -u: daemon exits 0" "$rc" "0"
check "daemon noticed the unmount" grep -q "stopping (unmounted)" "$T_DIR/m3.log"

finish

#!/usr/bin/env bash
# plugins/ is desired state: after every step of a run of stops, continues,
# kills and restarts of hosts and of the daemon, with changes made while a
# host does not answer (and requests it applies late), each host runs
# exactly what the tree lists for it. What a host runs is read from the host
# itself (`ebpf_injecter -a status`), not from the daemon.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse
. "$PLUGFS_SRC/tests/plugins/shared-host.sh"

TP=$PLUGFS_BUILD/tests/plugins
INJ=$PLUGFS_BUILD/injector/ebpf_injecter

# A short host timeout: each step that meets a stopped host waits for it once.
start_plugfs_timeout 1000


# What the host runs of plugin "shared": anchor/seq@generation, sorted
# (REPLACE at seq 0, as the hosts keep it).
host_runs() {
	"$INJ" -a status -i shared -m "$(msqid_of "$1")" -t 2 | awk '
		/^Plugin: /  { p = $2 }
		/^Anchor: /  { a = $2 }
		/^Seq: /     { s = $2 }
		/^Origin: plugfs / { if (p == "shared") print a "/" (a == "replace" ? 0 : s) "@" $5 }
		/^Origin: / && !/^Origin: plugfs / { if (p == "shared") print a "/" s "@foreign" }' | sort
}
# What the tree lists, the same way.
tree_lists() {
	local a e
	for a in pre replace post; do
		for e in $(ls "$P/$a" 2>/dev/null); do
			echo "$a/$([ $a = replace ] && echo 0 || echo "$e")@$(sed -n 's/^Generation: //p' "$P/$a/$e")"
		done
	done | sort
}
same() { [ "$(host_runs "$1")" = "$(tree_lists)" ]; }
# in_line STEP HOST...: every host runs what the tree lists (syncs may take
# a moment after a host answers again)
in_line() {
	local step=$1 h; shift
	for h in "$@"; do
		if wait_for 10 same "$h"; then
			pass "$step: $h runs what the tree lists"
		else
			fail "$step: $h runs '$(host_runs "$h" | tr '\n' ' ')', the tree lists '$(tree_lists | tr '\n' ' ')'"
		fi
	done
}

start_host a
start_host b
check "two hosts" wait_for 10 bash -c "test \$(ls '$MNT/hosts' | wc -l) -eq 2"
cp "$TP/say_pre5.o" "$P/pre/5" && cp "$TP/ret_2000.o" "$P/replace/0"
in_line "start" a b

# --- b stops: changes go to a, b's are pending ---
kill -STOP "$PID_b"
check "cp while b is stopped succeeds" cp "$TP/say_post1.o" "$P/post/1"
check "rm while b is stopped succeeds" rm "$P/pre/5"
check "overwrite while b is stopped succeeds" cp "$TP/ret_3000.o" "$P/replace/0"
in_line "b stopped" a
kill -CONT "$PID_b"
in_line "b continued" a b

# --- a request b applies late, for an entry removed meanwhile ---
kill -STOP "$PID_b"
: >"$T_DIR/b.log"
check "cp whose request b applies late" cp "$TP/say_pre20.o" "$P/pre/20"
check "rm of it while b is stopped" rm "$P/pre/20"
check_fails "the tree does not list it" test -e "$P/pre/20"
kill -CONT "$PID_b"
in_line "late request" a b
sleep 0.3
: >"$T_DIR/b.log"
sleep 0.3
check_fails "b does not run the removed pluglet" grep -q "say pre20" "$T_DIR/b.log"
check "the name is free again" cp "$TP/say_pre20.o" "$P/pre/20"
in_line "name reused" a b

# --- b killed and started again ---
kill -9 "$PID_b"; wait "$PID_b" 2>/dev/null
start_host b
check "b is back" wait_for 10 test -e "$MNT/hosts/b.$PID_b"
in_line "b restarted" a b

# --- the daemon restarted while b is stopped and changes are pending ---
kill -STOP "$PID_b"
check "cp while b is stopped" cp "$TP/say_pre5.o" "$P/pre/5"
check "rm while b is stopped" rm "$P/post/1"
stop_plugfs "$PLUGFS_PID"
start_plugfs_timeout 1000
in_line "daemon restarted" a
kill -CONT "$PID_b"
in_line "b continued after the daemon restart" a b

# --- the daemon killed, then a change while it is away ---
kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
fusermount3 -u -z "$MNT" 2>/dev/null
start_plugfs_timeout 1000
in_line "daemon killed and restarted" a b
check "rm -r of the plugin's entries" rm "$P/pre/5" "$P/pre/20" "$P/replace/0"
in_line "all removed" a b

finish

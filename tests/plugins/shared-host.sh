# Helpers for the plugins/ tests that run plug_host processes registering
# one insertion point, "shared". Source it after tests/lib.sh, once
# start_plugfs set RUN_DIR; PLUG_HOST is the test host binary.
PLUG_HOST=${PLUG_HOST:-$PLUGFS_BUILD/tests/plugins/plug_host}

# start_host NAME: a plug_host registering "shared", output in $T_DIR/NAME.log;
# sets PID_<NAME>. It is continued (if a test stopped it) and stopped at exit.
start_host() {
	"$PLUG_HOST" --run-dir "$RUN_DIR" --name "$1" --points shared --interval-ms 20 \
		>>"$T_DIR/$1.log" 2>&1 &
	eval "PID_$1=$!"
	on_exit "kill -CONT $! 2>/dev/null; stop_pid $!"
}
pid_of() { eval "echo \$PID_$1"; }
# msqid_of NAME: the control queue of host NAME, from its run file
msqid_of() { sed -n 's/^msqid *= *//p' "$RUN_DIR/hosts/$1.$(pid_of "$1")"; }
# wait_result NAME VALUE: host NAME prints shared=VALUE within 3 s
wait_result() { wait_for 3 bash -c "grep -a '^shared=' '$T_DIR/$1.log' | tail -n1 | grep -qx 'shared=$2'"; }
# hosts_are N: hosts/ lists N hosts
hosts_are() { test "$(ls "$MNT/hosts" | wc -l)" -eq "$1"; }
# timed_ms CMD...: runs CMD (output to $T_DIR/out), prints how long it took in ms
timed_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$T_DIR/out" 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
# errno_of CMD...: the error text CMD prints last ("File exists", ...)
errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }
# start_plugfs_timeout MS: the daemon with host_timeout_ms = MS; P is plugins/shared
start_plugfs_timeout() {
	printf '[limits]\nhost_timeout_ms = %s\n' "$1" >"$T_DIR/plugfs.ini"
	start_plugfs --config "$T_DIR/plugfs.ini"
	P=$MNT/plugins/shared
}

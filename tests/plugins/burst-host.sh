# A test host that makes known numbers of pluglet calls, for the tests of
# metrics/, the JSON forms and plugfs-top (source after tests/lib.sh and
# start_plugfs). start_burst_host NAME N starts plug_host with one point,
# calc, that it calls N times per burst; HOST_PID and HOST (its hosts/
# name) are set, a REPLACE pluglet (returns 2000) and a PRE pluglet that
# faults on every run (oob-load) are copied in. burst K: the K-th burst,
# done. Extra environment for the host: BURST_ENV (e.g. PLUGLET_STATS_TIME=1).
TP=$PLUGFS_BUILD/tests/plugins

start_burst_host() {
	local name=$1 n=$2
	env ${BURST_ENV:-} "$TP/plug_host" --run-dir "$RUN_DIR" --name "$name" --points calc \
		--burst "$n" >"$T_DIR/host.log" 2>&1 &
	HOST_PID=$!
	HOST=$name.$HOST_PID
	on_exit "stop_pid $HOST_PID"
	check "host appears" wait_for 10 test -f "$MNT/hosts/$HOST"
	check "cp REPLACE pluglet" cp "$TP/ret_2000.o" "$MNT/plugins/calc/replace/0"
	check "cp PRE pluglet that faults" cp "$TP/oob.o" "$MNT/plugins/calc/pre/1"
}

bursts_ge() { [ "$(grep -c '^burst .* done' "$T_DIR/host.log")" -ge "$1" ]; }
burst() {
	kill -USR1 "$HOST_PID"
	check "burst $1 done" wait_for 10 bursts_ge "$1"
}

#!/usr/bin/env bash
# metrics/plugfs.prom end to end: a test host calls its insertion point a
# known number of times, the real Prometheus node exporter (textfile
# collector only, on 127.0.0.1) reads <mnt>/metrics, and the series fetched
# over HTTP carry the expected runs, faults, time and loads.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/prom.sh"
need_root; need_fuse; need_cmd curl python3

N=25

start_plugfs
. "$PLUGFS_SRC/tests/plugins/burst-host.sh"
P=$MNT/plugins/calc
check_eq "metrics/ lists plugfs.prom" "$(ls "$MNT/metrics")" "plugfs.prom"
BURST_ENV=PLUGLET_STATS_TIME=1 start_burst_host 'm"host' "$N"
check_fails "cp a file that is no object fails" cp /etc/hostname "$P/post/2"
burst 1

# the file itself: HELP and TYPE before each family, escaped labels
prom=$(cat "$MNT/metrics/plugfs.prom")
check "file: TYPE of the runs counter" grep -qx '# TYPE plugfs_pluglet_runs_total counter' <<<"$prom"
check "file: HELP of the runs counter" grep -q '^# HELP plugfs_pluglet_runs_total ' <<<"$prom"
check "file: the quote in the host name is escaped" \
	grep -qF "plugfs_pluglet_runs_total{host=\"m\\\"host.$HOST_PID\",plugin=\"calc\",anchor=\"replace\",seq=\"0\"} $N" <<<"$prom"
check "file: load latency histogram" grep -qx '# TYPE plugfs_load_duration_seconds histogram' <<<"$prom"

start_node_exporter "$MNT/metrics"
S=$T_DIR/scrape.txt
scrape() { curl -sf "$NE_URL" >"$S"; }
check "node exporter answers" wait_for 10 scrape
value() { prom_value "$S" "$@"; }
check_eq "scrape: no textfile error" "$(value node_textfile_scrape_error)" 0
H="host=\"m\\\"host.$HOST_PID\""
check_eq "runs of the REPLACE pluglet" \
	"$(value plugfs_pluglet_runs_total "$H" 'anchor="replace"' 'seq="0"')" "$N"
check_eq "runs of the PRE pluglet" "$(value plugfs_pluglet_runs_total "$H" 'anchor="pre"')" "$N"
check_eq "oob-load faults of the PRE pluglet" \
	"$(value plugfs_pluglet_faults_total "$H" 'anchor="pre"' 'kind="oob-load"')" "$N"
check_eq "no budget faults" \
	"$(value plugfs_pluglet_faults_total "$H" 'anchor="pre"' 'kind="budget"')" 0
check_eq "REPLACE did not fault" \
	"$(value plugfs_pluglet_faults_total "$H" 'anchor="replace"' 'kind="oob-load"')" 0
check_eq "timed runs (PLUGLET_STATS_TIME=1)" \
	"$(value plugfs_pluglet_timed_runs_total "$H" 'anchor="replace"')" "$N"
secs=$(value plugfs_pluglet_run_seconds_total "$H" 'anchor="replace"')
check "run time is positive and below a second ($secs)" \
	python3 -c "import sys; v=float('$secs'); sys.exit(not (0 < v < 1))"
lf=$(value plugfs_pluglet_last_fault_timestamp_seconds "$H" 'kind="oob-load"')
check "last fault time is now ($lf)" python3 -c "import sys,time; sys.exit(abs(time.time()-float('$lf'))>60)"
check_eq "host up" "$(value plugfs_host_up "$H")" 1
check_eq "loads into plugins/" "$(value plugfs_loads_total 'tree="plugins"')" 3
check_eq "failed loads into plugins/" "$(value plugfs_load_failures_total 'tree="plugins"')" 1
check_eq "load latency count" "$(value plugfs_load_duration_seconds_count 'tree="plugins"')" 3
check_eq "load latency +Inf bucket" \
	"$(value plugfs_load_duration_seconds_bucket 'tree="plugins"' 'le="+Inf"')" 3
check_eq "every load under 5 s" \
	"$(value plugfs_load_duration_seconds_bucket 'tree="plugins"' 'le="5"')" 3
lsum=$(value plugfs_load_duration_seconds_sum 'tree="plugins"')
check "load latency sum is positive and below 15 s ($lsum)" \
	python3 -c "import sys; v=float('$lsum'); sys.exit(not (0 < v < 15))"
check_eq "no load into ifaces/" "$(value plugfs_loads_total 'tree="ifaces"')" 0

# a second burst moves the counters by N again
burst 2
scrape
check_eq "runs after a second burst" \
	"$(value plugfs_pluglet_runs_total "$H" 'anchor="replace"')" $((2 * N))
finish

#!/usr/bin/env bash
# Kernel programs in metrics/plugfs.prom and plugfs-top: N pings through
# an xdp chain of two programs (count, then pass); each program's runs and
# pass verdicts are N in the file, in the real node exporter's answer over
# HTTP (textfile collector only, on 127.0.0.1) and in plugfs-top's table,
# with run time (kernel.bpf_stats_enabled=1 for the test).
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
. "$PLUGFS_SRC/tests/prom.sh"
need_cmd curl python3

quiet_veth
pings() { ip netns exec "$NSA" ping -q -c "$1" -i 0.01 -W 0.2 "$PEER" >/dev/null 2>&1 || true; }

need_cmd sysctl
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
on_exit "sysctl -qw kernel.bpf_stats_enabled=$old_stats"
sysctl -qw kernel.bpf_stats_enabled=1

N=12
check "cp count to xdp/10" cp "$PROGS/count.bpf.o" "$IF/xdp/10"
check "cp pass to xdp/20" cp "$PROGS/pass.bpf.o" "$IF/xdp/20"
id10=$(field "$IF/xdp/10" ID)
pings $N

S=$T_DIR/prom.txt
cat "$MNT/metrics/plugfs.prom" >"$S"
value() { prom_value "$S" "$@"; }
L10=("iface=\"$VETH_B\"" 'hook="xdp"' 'priority="10"')
L20=("iface=\"$VETH_B\"" 'hook="xdp"' 'priority="20"')
check "file: TYPE of the program runs" grep -qx '# TYPE plugfs_program_runs_total counter' "$S"
check_eq "file: runs of 10" "$(value plugfs_program_runs_total "${L10[@]}" "prog_id=\"$id10\"")" "$N"
check_eq "file: runs of 20" "$(value plugfs_program_runs_total "${L20[@]}")" "$N"
check_eq "file: pass verdicts of 20" "$(value plugfs_program_verdicts_total "${L20[@]}" 'verdict="pass"')" "$N"
check_eq "file: no drop of 20" "$(value plugfs_program_verdicts_total "${L20[@]}" 'verdict="drop"')" 0
check_eq "file: two loads into ifaces/" "$(value plugfs_loads_total 'tree="ifaces"')" 2
check_eq "file: none failed" "$(value plugfs_load_failures_total 'tree="ifaces"')" 0
check_eq "file: run time is counted" "$(value plugfs_program_timing_enabled)" 1
secs=$(value plugfs_program_run_seconds_total "${L10[@]}")
check "file: run time of 10 is positive and small ($secs)" \
	python3 -c "import sys; v=float('$secs'); sys.exit(not (0 < v < 1))"

start_node_exporter "$MNT/metrics"
scrape() { curl -sf "$NE_URL" >"$S"; }
check "node exporter answers" wait_for 10 scrape
check_eq "scrape: no textfile error" "$(value node_textfile_scrape_error)" 0
check_eq "scrape: runs of 10" "$(value plugfs_program_runs_total "${L10[@]}" 'name="xdp_count"')" "$N"
check_eq "scrape: pass verdicts of 10" \
	"$(value plugfs_program_verdicts_total "${L10[@]}" 'verdict="pass"')" "$N"
pings $N
scrape
check_eq "scrape: runs after N more packets" "$(value plugfs_program_runs_total "${L20[@]}")" $((2 * N))

# two frames a second apart, with packets in between: rates in the second
"$PLUGFS_BUILD/fs/plugfs-top" -m "$MNT" -b -n 2 -d 1 >"$T_DIR/top.txt" &
TOP_PID=$!
sleep 0.3
pings $N
wait "$TOP_PID"
sed 's/^/# /' "$T_DIR/top.txt"
last=$(awk '/^plugfs-top/ { n++ } n == 2' "$T_DIR/top.txt")
check "plugfs-top: the row of 10 with its runs and verdict share" \
	grep -qE "^prog +$VETH_B/xdp/10 +[a-z_]+ \($id10\) .* $((3 * N))  pass 100%" <<<"$last"
rate=$(awk -v w="$VETH_B/xdp/10" '$1 == "prog" && $2 == w { print $5 }' <<<"$last")
check "plugfs-top: runs/s of 10 counts the packets of the interval ($rate)" \
	awk -v v="$rate" -v n=$N 'BEGIN { exit !(v >= n / 2 && v <= n * 2) }'
ns=$(awk -v w="$VETH_B/xdp/10" '$1 == "prog" && $2 == w { print $6 }' <<<"$last")
check "plugfs-top: ns per run of 10 ($ns)" awk -v v="$ns" 'BEGIN { exit !(v + 0 > 0) }'
finish

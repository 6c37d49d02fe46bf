#!/usr/bin/env bash
# Kernel programs in metrics/plugfs.prom and plugfs-top: N pings through
# an xdp chain of two programs (count, then pass); each program's runs and
# pass verdicts are N in the file, in the real node exporter's answer over
# HTTP (textfile collector only, on 127.0.0.1) and in plugfs-top's table,
# with run time (kernel.bpf_stats_enabled=1 for the test).
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"
need_cmd curl python3
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
[ -x "$NODE_EXPORTER" ] || skip "no $NODE_EXPORTER (Debian prometheus-node-exporter)"

# Only the pings cross the veth: no neighbour resolution, no IPv6.
for ns in "$NSA" "$NSB"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$NSA" neigh replace "$PEER" lladdr "$(ip -n "$NSB" -br link show "$VETH_B" | awk '{print $3}')" \
	dev "$VETH_A" nud permanent
ip -n "$NSB" neigh replace 169.254.61.1 lladdr "$(ip -n "$NSA" -br link show "$VETH_A" | awk '{print $3}')" \
	dev "$VETH_B" nud permanent
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
# value NAME LABELS...: the first sample of NAME whose labels include every LABEL
value() {
	python3 - "$S" "$@" <<'PY'
import re, sys
path, name, want = sys.argv[1], sys.argv[2], sys.argv[3:]
for line in open(path):
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line.strip())
    if not m or m.group(1) != name:
        continue
    have = {k + '="' + v + '"' for k, v in re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or '')}
    if all(w in have for w in want):
        print(m.group(4))
        break
PY
}
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

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$MNT/metrics" \
	>"$T_DIR/node_exporter.log" 2>&1 &
NE_PID=$!
on_exit "stop_pid $NE_PID"
scrape() { curl -sf "http://127.0.0.1:$PORT/metrics" >"$S"; }
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

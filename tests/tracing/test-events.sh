#!/usr/bin/env bash
# tracing/ with real events, each counted into a map and checked after a
# known number of them: a tracepoint (getpid of one process, filtered by a
# global), a raw tracepoint, a uprobe and a uretprobe (the sum of the
# return values), USDT; the report in text and JSON against bpftool; an
# overwrite while events flow loses none; mv renames; rm detaches; the
# kernel's own counts of a tracing program in metrics/plugfs.prom.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/tracing/lib-tracing.sh"
. "$PLUGFS_SRC/tests/prom.sh"

N=1000
# ---- tracepoint ----
held getpid $N
manifest "$T_DIR/tp.ini" "object = $TPROGS/tp_getpid.bpf.o" "global.target_pid = $(le32 "$TPID")" \
	"metadata.owner = tests"
check "cp a tracepoint program" cp "$T_DIR/tp.ini" "$TR/getpid"
release
check_eq "tracepoint: $N getpid calls counted" "$(count "$TR/getpid")" "$N"
check_eq "report: attach point" "$(field "$TR/getpid" "Attach Point")" \
	"tracepoint:syscalls:sys_enter_getpid"
check_eq "report: metadata" "$(field "$TR/getpid" Metadata)" "owner=tests"
id=$(field "$TR/getpid" ID)
link=$(field "$TR/getpid" "Link ID")
check "bpftool: the program is loaded as a tracepoint" \
	bash -c "bpftool -j prog show id $id | jq -e '.type == \"tracepoint\"' >/dev/null"
check "bpftool: its link is a perf_event link of that program" \
	bash -c "bpftool -j link show id $link | jq -e '.prog_id == $id and .type == \"perf_event\"' >/dev/null"
check "JSON: the same ids" bash -c "jq -e '.programs[0].kernel.id == $id and
	.programs[0].link_id == $link and .metadata.owner == \"tests\"' '$TR/getpid.json' >/dev/null"
check "ls lists the entry (and no .json)" test "$(ls "$TR")" = "getpid"

# ---- metrics: the kernel counts a tracing program only with bpf stats on ----
# (this test runs alone: is_parallel false, as the sysctl is the machine's)
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
on_exit "sysctl -qw kernel.bpf_stats_enabled=$stats_was"
sysctl -qw kernel.bpf_stats_enabled=1
held getpid $N
release
sysctl -qw kernel.bpf_stats_enabled=0
cp "$MNT/metrics/plugfs.prom" "$T_DIR/m.prom"
runs=$(prom_value "$T_DIR/m.prom" plugfs_tracing_program_runs_total 'entry="getpid"' \
	'name="count_getpid"' "prog_id=\"$id\"" 'attach="tracepoint:syscalls:sys_enter_getpid"')
say "metrics: plugfs_tracing_program_runs_total of tracing/getpid = $runs"
check "metrics: the tracepoint program ran at least $N times" test "${runs:-0}" -ge "$N"
check_eq "metrics: the same count as bpftool's run_cnt" "$runs" \
	"$(bpftool -j prog show id "$id" | jq .run_cnt)"
secs=$(prom_value "$T_DIR/m.prom" plugfs_tracing_program_run_seconds_total 'entry="getpid"')
check "metrics: its run time grew" python3 -c "import sys; sys.exit(not float('${secs:-0}') > 0)"
check "metrics: HELP and TYPE of the tracing families" grep -qx \
	'# TYPE plugfs_tracing_program_runs_total counter' "$T_DIR/m.prom"
sysctl -qw kernel.bpf_stats_enabled="$stats_was"

# ---- raw tracepoint ----
held getpid $N
manifest "$T_DIR/raw.ini" "object = $TPROGS/raw_getpid.bpf.o" "global.target_pid = $(le32 "$TPID")"
check "cp a raw tracepoint program" cp "$T_DIR/raw.ini" "$TR/raw"
release
check_eq "raw tracepoint: $N getpid calls counted" "$(count "$TR/raw")" "$N"
check_eq "raw tracepoint: link type" "$(field "$TR/raw" "Link Type")" "raw_tracepoint"

# ---- uprobe, uretprobe (SEC("uprobe") names no point: the manifest does) ----
held add $N
manifest "$T_DIR/up.ini" "object = $TPROGS/probe_add.bpf.o" "name = probe_add" \
	"attach = uprobe:$TARGET:plugfs_trace_add" "pid = $TPID"
manifest "$T_DIR/uret.ini" "object = $TPROGS/probe_add.bpf.o" "name = ret_add" \
	"target = $TARGET" "fn_name = plugfs_trace_add" "retprobe = true"
check "cp a uprobe" cp "$T_DIR/up.ini" "$TR/up"
check "cp a uretprobe" cp "$T_DIR/uret.ini" "$TR/uret"
release
check_eq "uprobe: $N calls counted" "$(count "$TR/up")" "$N"
check_eq "uretprobe: $N returns counted" "$(count "$TR/uret")" "$N"
check_eq "uretprobe: the return values sum to N(N+1)/2" "$(count "$TR/uret" 1)" "$((N * (N + 1) / 2))"
check_eq "uretprobe: attach point" "$(field "$TR/uret" "Attach Point")" \
	"uretprobe:$TARGET:plugfs_trace_add"

# ---- USDT ----
held usdt 100
manifest "$T_DIR/usdt.ini" "object = $TPROGS/usdt_tick.bpf.o" "attach = usdt:$TARGET:plugfs:tick"
check "cp a USDT program" cp "$T_DIR/usdt.ini" "$TR/usdt"
release
check_eq "usdt: 100 probes counted" "$(count "$TR/usdt")" "100"
check_eq "usdt: their arguments sum to 5050" "$(count "$TR/usdt" 1)" "5050"

# ---- overwrite under load: the new links are attached before the old go ----
cp "$TPROGS/tp_getpid.bpf.o" "$T_DIR/tp.o"
M=200000
held getpid $M
manifest "$T_DIR/tp2.ini" "object = $T_DIR/tp.o" "global.target_pid = $(le32 "$TPID")"
cp "$T_DIR/tp2.ini" "$TR/load" || fail "load: first cp"
before=$(count "$TR/load")
echo go > "$GO"
ok=0
for i in 1 2 3 4 5; do cp "$T_DIR/tp2.ini" "$TR/load" && ok=$((ok + 1)); done
wait "$TPID"
check_eq "overwrite under load: 5 replaces succeeded" "$ok" 5
got=$(count "$TR/load")
check "overwrite under load: no event lost ($got >= $M)" test "$got" -ge "$M"
check "overwrite under load: one link left" \
	test "$(bpftool -j link show | jq "[.[] | select(.prog_id == $(field "$TR/load" ID))] | length")" = 1

# ---- the opensnoop example ----
check "examples: cp opensnoop" cp "$PLUGFS_BUILD/examples/tracing/opensnoop.bpf.o" "$TR/opensnoop"
for i in 1 2 3; do cat "$T_DIR/tp.ini" > /dev/null; done
dir=$(field "$TR/opensnoop" "Map Pin Path")
check "opensnoop: cat opened its file, by name" bash -c "bpftool -j map dump pinned '$dir/opens' |
	jq -e '[.[].formatted | select(.key.comm == \"cat\" and .value.count >= 3 and
	(.value.last_file | test(\"tp.ini\")))] | length >= 1' >/dev/null"
rm "$TR/opensnoop"

# ---- mv, rm ----
check "mv renames" mv "$TR/load" "$TR/load.2"
check "the renamed entry reports" test "$(field "$TR/load.2" Name)" = "load.2"
check_fails "the old name is gone" test -e "$TR/load"
id=$(field "$TR/getpid" ID)
link=$(field "$TR/getpid" "Link ID")
check "rm detaches and unloads" rm "$TR/getpid"
check_fails "rm: the link is gone" bpftool link show id "$link"
check "rm: the program is gone" wait_for 5 bash -c "! bpftool prog show id $id >/dev/null 2>&1"
check_eq "rm: the state file is gone" "$(ls "$STATE_DIR/tracing" | grep -c '^getpid.ini$')" 0
finish

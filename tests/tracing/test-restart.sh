#!/usr/bin/env bash
# tracing/ across daemon restarts: after kill -9 the links keep counting
# (nothing detached), a new daemon adopts the entries with the same program
# and link ids; entries whose pins were removed (a reboot, bpffs cleared)
# are loaded and attached again from the state directory, and count again.
. "${PLUGFS_SRC:?}/tests/lib.sh"
. "$PLUGFS_SRC/tests/tracing/lib-tracing.sh"

restart() {
	kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
	fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
	[ -n "${1:-}" ] && "$@"
	start_plugfs
}

cp "$TPROGS/tp_getpid.bpf.o" "$TR/all" || fail "cp tracepoint"
manifest "$T_DIR/up.ini" "object = $TPROGS/probe_add.bpf.o" "name = probe_add" \
	"attach = uprobe:$TARGET:plugfs_trace_add"
cp "$T_DIR/up.ini" "$TR/up" || fail "cp uprobe"
manifest "$T_DIR/usdt.ini" "object = $TPROGS/usdt_tick.bpf.o" "attach = usdt:$TARGET:plugfs:tick"
cp "$T_DIR/usdt.ini" "$TR/usdt" || fail "cp usdt"
# a second uprobe counting into up's maps
manifest "$T_DIR/fol.ini" "object = $TPROGS/probe_add.bpf.o" "name = probe_add" \
	"attach = uprobe:$TARGET:plugfs_trace_add" "map_owner = ../up"
cp "$T_DIR/fol.ini" "$TR/fol" || fail "cp a follower of up's maps"
folowner=$(field "$TR/fol" "Map Owner ID")
ids="$(field "$TR/all" ID) $(field "$TR/all" "Link ID") $(field "$TR/up" ID) $(field "$TR/up" "Link ID")"
updir=$(field "$TR/up" "Map Pin Path")
upcount() { bpftool -j map lookup pinned "$updir/counts" key 0 0 0 0 | jq -r '.formatted.value'; }

restart
check_eq "adopted after kill -9: same entries" "$(ls "$TR" | tr '\n' ' ')" "all fol up usdt "
check_eq "adopted with the same program and link ids" \
	"$(field "$TR/all" ID) $(field "$TR/all" "Link ID") $(field "$TR/up" ID) $(field "$TR/up" "Link ID")" "$ids"
b=$(count "$TR/up")
"$TARGET" add 500
check_eq "the adopted uprobe and its follower count" "$(count "$TR/up")" "$((b + 1000))"
b=$(count "$TR/usdt")
"$TARGET" usdt 50
check_eq "usdt (its link is held, not pinned) attached again after the restart" \
	"$(count "$TR/usdt")" "$((b + 50))"

# the daemon dead: the pinned uprobe still counts
kill -9 "$PLUGFS_PID"; wait "$PLUGFS_PID" 2>/dev/null
fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
b=$(upcount)
"$TARGET" add 100
check_eq "kill -9 detaches nothing: the uprobes count with no daemon" "$(upcount)" "$((b + 200))"

# pins lost: the entries are restored from the state dir
old=$(bpftool -j link show | jq "[.[] | select(.prog_id == $(echo "$ids" | cut -d' ' -f3))] | length")
check_eq "before: the uprobe's link exists" "$old" 1
restart rm -rf "$BPFFS_DIR/tracing"
check_eq "restored: same entries" "$(ls "$TR" | tr '\n' ' ')" "all fol up usdt "
check_eq "restored: the follower still shares up's maps" "$(field "$TR/fol" "Map Pin Path")" "$updir"
check_eq "restored: the follower's Map Owner ID kept" "$(field "$TR/fol" "Map Owner ID")" "$folowner"
check "restored: a new program id" test "$(field "$TR/up" ID)" != "$(echo "$ids" | cut -d' ' -f3)"
check_eq "restored: the attach point kept" "$(field "$TR/up" "Attach Point")" \
	"uprobe:$TARGET:plugfs_trace_add"
b=$(count "$TR/up")
"$TARGET" add 300
check_eq "restored: the uprobe and its follower count again (maps kept)" "$(count "$TR/up")" "$((b + 600))"
check "restored: pinned again" test -e "$BPFFS_DIR/tracing/up/link_probe_add"
grep -q "tracing/up: its pins were lost; loaded and attached again" "$PLUGFS_LOG" &&
	pass "log: the restore is said" || fail "log: the restore is said"

# a replace cut short (its new pins beside the old) and pins without state:
# removed at start, so no link stays attached with no entry to show it
mkdir -p "$BPFFS_DIR/tracing/new:up" "$BPFFS_DIR/tracing/stray"
bpftool prog load "$TPROGS/tp_getpid.bpf.o" "$BPFFS_DIR/tracing/stray/prog_count_getpid" >/dev/null 2>&1 ||
	fail "stray: bpftool prog load"
stray=$(bpftool -j prog show pinned "$BPFFS_DIR/tracing/stray/prog_count_getpid" | jq .id)
restart
check_eq "cut-short and stray pins removed" "$(ls "$BPFFS_DIR/tracing" | tr '\n' ' ')" "all fol up usdt "
check "the stray program is unloaded" wait_for 5 bash -c "! bpftool prog show id $stray >/dev/null 2>&1"
check_eq "the entries stay" "$(ls "$TR" | tr '\n' ' ')" "all fol up usdt "
finish

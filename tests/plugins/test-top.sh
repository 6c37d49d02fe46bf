#!/usr/bin/env bash
# plugfs-top under tmux: started with send-keys against a mount whose test
# host makes known numbers of pluglet calls; the captured pane shows the
# rows, totals, ns per run and fault shares, busiest first; q quits.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd tmux

TOP=$PLUGFS_BUILD/fs/plugfs-top
N=40

start_plugfs
. "$PLUGFS_SRC/tests/plugins/burst-host.sh"
BURST_ENV=PLUGLET_STATS_TIME=1 start_burst_host thost "$N"
burst 1

# batch mode first: the same table without a terminal
out=$("$TOP" -m "$MNT" -b -n 1)
check "batch: header" grep -q '^TYPE  *WHERE  *NAME  *RUNS/S  *NS/RUN  *CPU%  *RUNS  *VERDICTS' <<<"$out"
check "batch: the REPLACE row with $N runs, no fault" \
	grep -qE "^pluglet +calc/replace/0 +thost\.$HOST_PID +[0-9.]+ +[0-9.]+ +[0-9.]+ +$N  ok 100% fault 0%$" <<<"$out"

# the live view in a private tmux server
SOCK=plugfs-top-$T_ID
tmx() { tmux -L "$SOCK" "$@"; }
on_exit "tmux -L '$SOCK' kill-server 2>/dev/null"
tmx new-session -d -s top -x 160 -y 30 "bash --norc --noprofile"
tmx send-keys -t top "'$TOP' -m '$MNT' -d 0.3; echo top-exit=\$?" Enter
pane() { tmx capture-pane -p -t top; }
shows() { pane | grep -qE "$1"; }
check "tmux: the table shows" wait_for 10 shows '^TYPE +WHERE'
check "tmux: REPLACE row with $N runs" wait_for 5 shows \
	"^pluglet +calc/replace/0 +thost\.$HOST_PID .* $N  ok 100% fault 0%"
check "tmux: PRE row, every run a fault" wait_for 5 shows \
	"^pluglet +calc/pre/1 +thost\.$HOST_PID .* $N  ok 0% fault 100%"
# a second burst: the totals move and runs/s is not zero for a frame
burst 2
check "tmux: totals after the second burst" wait_for 5 shows \
	"^pluglet +calc/replace/0 .* $((2 * N))  ok 100%"
rows=$(pane | grep -E '^pluglet ' | wc -l)
check_eq "tmux: two pluglet rows" "$rows" 2
ns=$(pane | awk '$1 == "pluglet" && $2 == "calc/replace/0" { print $5 }')
check "tmux: ns per run is a positive number ($ns)" awk -v v="$ns" 'BEGIN { exit !(v + 0 > 0) }'
pane >"$T_DIR/pane.txt"
sed 's/^/# /' "$T_DIR/pane.txt"
# sorted: CPU% of the interval, then runs/s, then total runs (descending)
check "tmux: rows sorted busiest first" awk '$1 == "pluglet" || $1 == "prog" {
	k = sprintf("%012.2f %012.1f %015d", $6, $4, $7); if (NR > 1 && prev != "" && k > prev) bad = 1; prev = k }
	END { exit bad }' "$T_DIR/pane.txt"
tmx send-keys -t top q
check "tmux: q quits with status 0" wait_for 5 shows '^top-exit=0$'
finish

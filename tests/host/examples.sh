#!/usr/bin/env bash
# The example hosts and pluglets, loaded through ini manifests (no control
# channel, no root): original body, REPLACE, faulting and looping pluglets
# falling back, POST logging, CALL_REPLACE_ONLY with a hidden argument.
. "$PLUGFS_SRC/tests/lib.sh"

EX=$PLUGFS_BUILD/examples
HOST=$EX/hosts/find_idx_host
MED=$EX/hosts/med_host
[ -x "$HOST" ] && [ -x "$MED" ] || { echo "FAIL: examples not built" >&2; exit 1; }

# manifest FILE ANCHOR OBJECT [key=value...]
manifest() {
	local f=$1 anchor=$2 obj=$3 plugin=${PLUGIN:-find_idx}
	shift 3
	{
		echo "[p]"
		echo "plugin = $plugin"
		echo "anchor = $anchor"
		echo "seq = 1"
		echo "object = $EX/pluglets/$obj"
		for kv in "$@"; do echo "$kv"; done
	} >"$f"
}

run_host() { "$HOST" --run-dir "$T_DIR/run" --interval-ms 0 --count 3 "$@" 2>"$T_DIR/err"; }

check_eq "original body" "$(run_host | sort -u)" "find_idx=6"

manifest "$T_DIR/r.ini" replace replace_find_idx.o "jit = true"
check_eq "REPLACE changes the result (jit)" "$(run_host --manifest "$T_DIR/r.ini" | sort -u)" "find_idx=1006"
manifest "$T_DIR/r.ini" replace replace_find_idx.o
check_eq "REPLACE changes the result (interpreter)" "$(run_host --manifest "$T_DIR/r.ini" | sort -u)" "find_idx=1006"

manifest "$T_DIR/f.ini" replace fault.o
check_eq "faulting REPLACE falls back" "$(run_host --manifest "$T_DIR/f.ini" | sort -u)" "find_idx=6"
check "the fault is logged" grep -q "faulted: oob-load" "$T_DIR/err"

manifest "$T_DIR/l.ini" replace loop.o
check_eq "looping REPLACE falls back" "$(run_host --manifest "$T_DIR/l.ini" | sort -u)" "find_idx=6"
check "the budget fault is logged" grep -q "faulted: budget" "$T_DIR/err"

manifest "$T_DIR/p.ini" post post_logger.o
check_eq "POST keeps the result" "$(run_host --manifest "$T_DIR/p.ini" | sort -u)" "find_idx=6"
check "POST logs the return value" grep -q "find_idx(key=70) returns 6" "$T_DIR/err"

manifest "$T_DIR/c.ini" pre pre_counter.o "shared_memory = 64"
"$HOST" --run-dir "$T_DIR/run" --interval-ms 0 --count 20 --manifest "$T_DIR/c.ini" >/dev/null 2>"$T_DIR/err"
check "PRE counter counts in shared memory" grep -q "pre_counter: 20 calls" "$T_DIR/err"

check_eq "med_host: the host's decision" \
	"$("$MED" --run-dir "$T_DIR/run" --interval-ms 0 --count 2 2>/dev/null | tail -1)" "med_decision=new rib=0"
PLUGIN=bgp_med_decision manifest "$T_DIR/m.ini" replace med_prefer_high.o
check_eq "med_host: CALL_REPLACE_ONLY pluglet decides, helper reaches the hidden RIB" \
	"$("$MED" --run-dir "$T_DIR/run" --interval-ms 0 --count 2 --manifest "$T_DIR/m.ini" 2>/dev/null | tail -1)" \
	"med_decision=old rib=2"

finish

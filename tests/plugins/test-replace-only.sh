#!/usr/bin/env bash
# A CALL_REPLACE_ONLY point takes only a REPLACE pluglet. med_host declares
# its bgp_med_decision point replace-only; its run file says so; the host
# refuses a PRE or POST pluglet (ebpf_injecter), and so does the daemon's
# `cp` into plugins/bgp_med_decision/pre|post (EINVAL, the reason in log),
# instead of accepting a pluglet that would never run. REPLACE still works.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ipcs

B=$PLUGFS_BUILD
EX=$B/examples/pluglets
MED_HOST=$B/examples/hosts/med_host
INJ=$B/injector/ebpf_injecter
for f in "$MED_HOST" "$INJ" "$EX/pre_counter.o" "$EX/post_logger.o" "$EX/med_prefer_high.o"; do
	[ -e "$f" ] || { echo "FAIL: $f not built" >&2; exit 1; }
done

start_plugfs
P=$MNT/plugins/bgp_med_decision
errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }
wait_result() { wait_for 3 bash -c "grep -a '^med_decision=' '$T_DIR/med.log' | tail -n1 | grep -qx '$1'"; }

"$MED_HOST" --run-dir "$RUN_DIR" --interval-ms 20 >"$T_DIR/med.log" 2>&1 &
MED_PID=$!
on_exit "stop_pid $MED_PID"
RUNFILE=$RUN_DIR/hosts/med_host.$MED_PID
check "med_host publishes its run file" wait_for 5 grep -q '^msqid = ' "$RUNFILE"
kinds() { sed -n '/^\[point_kinds\]$/,/^\[/p' "$RUNFILE"; }
check_eq "the run file gives the point's kind" "$(kinds | grep -c -x 'bgp_med_decision = replace_only')" 1
check "the plugin directory appears" wait_for 5 test -d "$P/pre"
check "the host's own code decides" wait_result "med_decision=new rib=0"

say "the host refuses PRE and POST"
QID=$(sed -n 's/^msqid = //p' "$RUNFILE")
for anchor in pre post; do
	rc=0
	"$INJ" -a add -i bgp_med_decision -m "$QID" -p "$EX/pre_counter.o" -h "$anchor" -n 1 \
		>"$T_DIR/inj.out" 2>&1 || rc=$?
	check "ebpf_injecter add $anchor: refused" test "$rc" -ne 0
	check "ebpf_injecter add $anchor: the host says why" \
		grep -q "bgp_med_decision is a replace-only point (CALL_REPLACE_ONLY): a $anchor pluglet would never run there" \
		"$T_DIR/inj.out"
done

say "the daemon refuses them too"
check_eq "cp into pre/: EINVAL" "$(errno_of cp "$EX/pre_counter.o" "$P/pre/1")" "Invalid argument"
check "the log says why" grep -q \
	"plugins/bgp_med_decision/pre/1: host med_host.$MED_PID declares bgp_med_decision replace-only (CALL_REPLACE_ONLY): a pre pluglet would never run there" \
	"$MNT/log"
check_eq "cp into post/: EINVAL" "$(errno_of cp "$EX/post_logger.o" "$P/post/5")" "Invalid argument"
check "the log says why (post)" grep -q "bgp_med_decision/post/5: host med_host.$MED_PID declares" "$MNT/log"
check_eq "no entry is listed" "$(ls "$P/pre" "$P/post" | grep -c '^[0-9]')" "0"
check_fails "the host runs no pluglet" grep -q '^Plugin: ' "$MNT/hosts/med_host.$MED_PID"

say "REPLACE is what the point takes"
check "cp into replace/: accepted" cp "$EX/med_prefer_high.o" "$P/replace/0"
check "the REPLACE pluglet decides, through the add_route helper" wait_result "med_decision=old rib=[0-9]*[1-9][0-9]*"
check "rm replace/0" rm "$P/replace/0"
check "the host's own code again" wait_result "med_decision=new rib=[0-9]*"
finish

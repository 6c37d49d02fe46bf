#!/usr/bin/env bash
# The JSON forms of plugins/ entries and hosts/ reports (<path>.json), read
# with jq after a test host made a known number of calls: the fields of
# docs/json.md, the same numbers as the text, not listed by ls.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd jq

N=7

start_plugfs
. "$PLUGFS_SRC/tests/plugins/burst-host.sh"
P=$MNT/plugins/calc
start_burst_host jhost "$N"
burst 1

check_eq "ls does not list the .json views" "$(ls "$P/replace")" "0"
check "the .json view exists for stat" test -f "$P/replace/0.json"
J=$T_DIR/replace.json
cat "$P/replace/0.json" >"$J"
check "plugins/ entry: valid JSON" jq -e . "$J"
check_eq "plugins/ entry: plugin/anchor/seq" "$(jq -r '"\(.plugin) \(.anchor) \(.seq)"' "$J")" \
	"calc replace 0"
check_eq "plugins/ entry: desired" "$(jq -r .desired "$J")" true
check_eq "plugins/ entry: sha256 as the text says" "$(jq -r .object_sha256 "$J")" \
	"$(sed -n 's/^Object SHA256: //p' "$P/replace/0")"
check_eq "plugins/ entry: one host, loaded" "$(jq -r '.hosts | map("\(.host) \(.state)") | join(",")' "$J")" \
	"$HOST loaded"
check_eq "plugins/ entry: runs" "$(jq -r '.hosts[0].pluglet.runs' "$J")" "$N"
check_eq "plugins/ entry: no run time without timing" \
	"$(jq -r '.hosts[0].pluglet.run_time_ns' "$J")" null
check_eq "plugins/ entry: no fault" "$(jq -r '.hosts[0].pluglet.last_fault' "$J")" null
J=$T_DIR/pre.json
cat "$P/pre/1.json" >"$J"
check_eq "faulting pluglet: faults" "$(jq -r '.hosts[0].pluglet.faults' "$J")" "$N"
check_eq "faulting pluglet: faults by kind" \
	"$(jq -r '.hosts[0].pluglet.faults_by_kind | to_entries | map(select(.value > 0)) | map("\(.key)=\(.value)") | join(",")' "$J")" \
	"oob-load=$N"
check_eq "faulting pluglet: last fault kind" "$(jq -r '.hosts[0].pluglet.last_fault.kind' "$J")" oob-load
check_eq "last fault instruction as the text says" "$(jq -r '.hosts[0].pluglet.last_fault.insn' "$J")" \
	"$(sed -n 's/^Last Fault Insn: //p' "$P/pre/1")"
check "last fault time is recent" jq -e \
	'(.hosts[0].pluglet.last_fault.time_ns / 1e9 - now) | fabs < 60' "$J"
check_eq "origin is this daemon" "$(jq -r '.hosts[0].pluglet.origin.plugfs | length' "$J")" 16

J=$T_DIR/host.json
cat "$MNT/hosts/$HOST.json" >"$J"
check "hosts/: valid JSON" jq -e . "$J"
check_eq "hosts/: name, pid, state" "$(jq -r '"\(.name) \(.pid) \(.state)"' "$J")" "jhost $HOST_PID ready"
check_eq "hosts/: points" "$(jq -r '.points | map("\(.name)=\(.id)") | join(",")' "$J")" "calc=1"
check_eq "hosts/: pluglets" "$(jq -r '.pluglets | map("\(.anchor)/\(.seq):\(.runs)") | join(",")' "$J")" \
	"pre/1:$N,replace/0:$N"
check_eq "ls hosts/ does not list the view" "$(ls "$MNT/hosts")" "$HOST"
check_eq "a .json of nothing is ENOENT" "$(cat "$P/pre/9.json" 2>&1 | sed 's/.*: //')" \
	"No such file or directory"
check_fails "the view is read-only" bash -c "echo x > '$P/replace/0.json'"
finish

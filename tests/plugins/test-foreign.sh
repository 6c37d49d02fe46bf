#!/usr/bin/env bash
# Pluglets another program injects (the real ebpf_injecter) are listed in
# plugins/ with their origin, on the hosts that run them; rm removes them
# from those hosts; a cp over one makes it plugfs's (desired state) in
# every host of the plugin.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse
. "$PLUGFS_SRC/tests/plugins/shared-host.sh"

TP=$PLUGFS_BUILD/tests/plugins
INJ=$PLUGFS_BUILD/injector/ebpf_injecter

start_plugfs
P=$MNT/plugins/shared

inj() { local h=$1; shift; "$INJ" -i shared -m "$(msqid_of "$h")" "$@" >>"$T_DIR/inj.log" 2>&1; }
# host_block FILE HOST: the lines of HOST's block in an entry's report
host_block() { sed -n "/^Host: $2\$/,/^\$/p" "$1"; }

start_host a
start_host b
check "two hosts" wait_for 10 bash -c "test \$(ls '$MNT/hosts' | wc -l) -eq 2"
A=a.$PID_a
B=b.$PID_b

# --- a REPLACE pluglet injected into host a by ebpf_injecter ---
check "ebpf_injecter add -h replace into host a" inj a -a add -p "$TP/ret_2000.o" -h replace
check "host a runs it" wait_result a 2000
check_eq "ls replace/ lists it" "$(ls "$P/replace" | tr '\n' ' ')" "0 "
cat "$P/replace/0" >"$T_DIR/rep"
check "cat: not desired state" grep -q "^Desired: no" "$T_DIR/rep"
check "cat: host a runs it, injected by ebpf_injecter" \
	grep -q "^Origin: ebpf_injecter (pid [0-9]*)" <<<"$(host_block "$T_DIR/rep" "$A")"
check "cat: host a has it loaded" grep -q "^State: loaded" <<<"$(host_block "$T_DIR/rep" "$A")"
check "cat: host b does not have it" grep -q "^State: absent" <<<"$(host_block "$T_DIR/rep" "$B")"
check "hosts/<a> shows its origin" grep -q "^Origin: ebpf_injecter (pid [0-9]*)" "$MNT/hosts/$A"
check_eq "a second name in replace/: EEXIST" "$(errno_of cp "$TP/ret_3000.o" "$P/replace/1")" "File exists"

# --- a PRE pluglet injected into host b, removed through the tree ---
check "ebpf_injecter add -h pre -n 7 into host b" inj b -a add -p "$TP/say_pre5.o" -h pre -n 7
check "host b runs it" wait_for 3 grep -q "say pre5" "$T_DIR/b.log"
check_eq "ls pre/ lists it" "$(ls "$P/pre" | tr '\n' ' ')" "7 "
check "rm pre/7" rm "$P/pre/7"
check_eq "ls pre/ is empty" "$(ls "$P/pre" | wc -l)" "0"
: >"$T_DIR/b.log"; sleep 0.3
check_fails "host b no longer runs it" grep -q "say pre5" "$T_DIR/b.log"
"$INJ" -a status -i shared -m "$(msqid_of b)" >"$T_DIR/b.status"
check_fails "host b's own status has no PRE pluglet" grep -q "^Anchor: pre" "$T_DIR/b.status"

# --- a cp over the REPLACE of ebpf_injecter makes it plugfs's, in both hosts ---
check "cp over it" cp "$TP/ret_3000.o" "$P/replace/0"
check "host a runs the tree's pluglet" wait_result a 3000
check "host b runs it too" wait_result b 3000
cat "$P/replace/0" >"$T_DIR/rep"
check "cat: now desired state (a generation)" grep -q "^Generation: [0-9]" "$T_DIR/rep"
check_eq "cat: loaded in both hosts" "$(grep -c '^State: loaded' "$T_DIR/rep")" "2"
check "cat: host a's pluglet is plugfs's now" \
	grep -q "^Origin: plugfs [0-9a-f]* generation" <<<"$(host_block "$T_DIR/rep" "$A")"
check "rm replace/0" rm "$P/replace/0"
check "host a back to its own body" wait_result a 7
check "host b back to its own body" wait_result b 7
check_eq "replace/ is empty" "$(ls "$P/replace" | wc -l)" "0"

finish

#!/usr/bin/env bash
# ebpf_injecter against the real find_idx_host (libpluglet: control thread,
# ELF loader, verifier, anchors): REPLACE changes the printed result, PRE
# and POST run in seq order, replace swaps atomically, rm_pluglet and rm,
# host errors (verifier with instruction index, unknown plugin, size
# limit), a 1 MiB object, two injectors at once, a stopped and a killed
# host, and cleanup of queue and run file at exit and on SIGTERM.
# Needs only SysV message queues (no root).
# Run: meson test -C build --suite integration test_find_idx
. "$PLUGFS_SRC/tests/lib.sh"

INJ=$PLUGFS_BUILD/injector/ebpf_injecter
HOST=$PLUGFS_BUILD/examples/hosts/find_idx_host
OBJ=$PLUGFS_BUILD/tests/injector
RUN=$T_DIR/run
[ -x "$INJ" ] && [ -x "$HOST" ] && [ -f "$OBJ/say10.o" ] || { echo "FAIL: not built" >&2; exit 1; }
need_cmd ipcs ipcrm

# start_host ARGS...: sets HPID, QID, HFILE; output in $T_DIR/h.out/.err
start_host() {
	: >"$T_DIR/h.out"
	: >"$T_DIR/h.err"
	"$HOST" --run-dir "$RUN" "$@" >"$T_DIR/h.out" 2>"$T_DIR/h.err" &
	HPID=$!
	on_exit "kill -9 $HPID"
	HFILE=$RUN/hosts/find_idx_host.$HPID
	wait_for 5 grep -q '^msqid = ' "$HFILE" || { echo "FAIL: host did not publish" >&2; exit 1; }
	QID=$(sed -n 's/^msqid = //p' "$HFILE")
	on_exit "ipcrm -q $QID"
}

inj() { "$INJ" -m "$QID" -i find_idx "$@"; }
# runi EXPECTED_RC PATTERN DESC ARGS... (like inj, checks rc and output)
runi() {
	local want=$1 pat=$2 desc=$3 rc=0
	shift 3
	inj "$@" >"$T_DIR/out" 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$desc: exit $rc, want $want: $(head -c 300 "$T_DIR/out")"
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$T_DIR/out"; then
		fail "$desc: output does not match /$pat/: $(head -c 300 "$T_DIR/out")"
	else
		pass "$desc"
	fi
}
last_is() { [ "$(tail -n 1 "$T_DIR/h.out")" = "find_idx=$1" ]; }
# result_is VALUE: waits until the host prints find_idx=VALUE
result_is() { wait_for 3 last_is "$1"; }
says() { grep -o 'say: [0-9]*' "$T_DIR/h.err" | tr '\n' ' '; }
# said SEQUENCE: the pluglets' output contains SEQUENCE
said() { says | grep -q -- "$1"; }
count() { grep -c -- "$1" "$T_DIR/h.err" || true; }
# all_stopped PID: every thread of PID is stopped (SIGSTOP is asynchronous)
all_stopped() { ! cat /proc/"$1"/task/*/stat | awk '$3 != "T" { f = 1 } END { exit !f }'; }
queue_exists() { ipcs -q | awk -v q="$1" '$2 == q { f = 1 } END { exit !f }'; }

start_host --interval-ms 10
check "original result" result_is 6
check_eq "run file mode" "$(stat -c %a "$HFILE")" 640
check "run file lists the insertion point" grep -qx 'find_idx = 1' "$HFILE"

say "REPLACE changes the result"
runi 0 '' "add REPLACE" -a add -h replace -p "$OBJ/ret2001.o"
check "result is the pluglet's" result_is 2001

say "PRE and POST run in seq order"
runi 0 '' "add PRE seq 20" -a add -h pre -n 20 -p "$OBJ/say20.o"
runi 0 '' "add PRE seq 10" -a add -h pre -n 10 -p "$OBJ/say10.o" -j
runi 0 '' "add POST seq 7" -a add -h post -n 7 -p "$OBJ/say107.o"
runi 0 '' "add POST seq 5" -a add -h post -n 5 -p "$OBJ/say105.o" -e 4096 -s 64
order="say: 10 say: 20 say: 105 say: 107 "
check "pre 10, pre 20, post 5, post 7 on every call" wait_for 3 said "$order$order"
runi 0 'Mode: jit' "status shows the JIT pluglet" -a status

say "replace swaps atomically"
runi 0 '' "replace REPLACE" -a replace -h replace -p "$OBJ/ret2002.o"
check "result is the new pluglet's" result_is 2002
check_eq "no call ran the original body in between" \
	"$(awk '/^find_idx=2001$/ { s = 1 } s && /^find_idx=6$/ { n++ } END { print n + 0 }' "$T_DIR/h.out")" 0
runi 0 '' "replace PRE seq 20" -a replace -h pre -n 20 -p "$OBJ/say107.o"
check "the replaced PRE runs" wait_for 3 said "say: 10 say: 107 say: 105 say: 107 "

say "rm_pluglet removes one"
runi 0 '' "rm_pluglet PRE seq 10" -a rm_pluglet -h pre -n 10
sleep 0.05	# a call already past the anchor may still finish with it
n10=$(count 'say: 10$')
sleep 0.3
check_eq "PRE seq 10 no longer runs" "$(count 'say: 10$')" "$n10"
check "the others still run" wait_for 3 said "say: 107 say: 105 say: 107 say: 107 say: 105 say: 107 "
runi 1 'no|not' "rm_pluglet of a removed pluglet" -a rm_pluglet -h pre -n 10

say "rm removes the whole plugin"
runi 0 '' "rm" -a rm
check "original behaviour" result_is 6
sleep 0.05
n=$(count 'say: ')
sleep 0.3
check_eq "no pluglet runs after rm" "$(count 'say: ')" "$n"

say "errors from the host"
runi 1 'insn [0-9]+.*r10' "verifier rejection names the instruction" -a add -h pre -n 1 -p "$OBJ/r10.o"
runi 1 "plugin 'nope'" "unknown plugin" -a add -h pre -n 1 -p "$OBJ/say10.o" -i nope
runi 1 'limit' "object over 1 MiB" -a add -h replace -p "$OBJ/toobig.o"
check "result unchanged by the failures" result_is 6

say "a 1 MiB object"
check "object is 1 MiB" test "$(stat -c %s "$OBJ/big.o")" -gt $((1024 * 1024 - 4096))
runi 0 '' "1 MiB REPLACE injects" -a add -h replace -p "$OBJ/big.o"
check "its table arrived whole" result_is 3007
runi 0 '' "rm" -a rm

say "two injectors, 100 operations each"
# Each injector: 90 adds and 10 requests that must fail with ENOENT.
loop() {
	local anchor=$1 bad=0 i
	for i in $(seq 1 100); do
		if [ $((i % 10)) -eq 0 ]; then
			inj -a rm_pluglet -h "$anchor" -n $((1000 + i)) 2>"$T_DIR/$anchor.err" && bad=$((bad + 1))
			grep -q "$anchor/$((1000 + i))" "$T_DIR/$anchor.err" || bad=$((bad + 1))
		else
			inj -a add -h "$anchor" -n "$i" -p "$OBJ/ret2001.o" || bad=$((bad + 1))
		fi
	done
	echo "$bad" >"$T_DIR/$anchor.bad"
}
loop pre & l1=$!
loop post & l2=$!
wait $l1 $l2
check_eq "injector 1: every reply as expected" "$(cat "$T_DIR/pre.bad")" 0
check_eq "injector 2: every reply as expected" "$(cat "$T_DIR/post.bad")" 0
inj -a status >"$T_DIR/status"
check_eq "final state: 90 PRE" "$(grep -c '^Anchor: pre$' "$T_DIR/status")" 90
check_eq "final state: 90 POST" "$(grep -c '^Anchor: post$' "$T_DIR/status")" 90
check "host still answers calls" result_is 6

say "cleanup on SIGTERM"
kill -TERM "$HPID"
wait "$HPID" 2>/dev/null
check_fails "run file removed" test -e "$HFILE"
check_fails "queue removed" queue_exists "$QID"

say "cleanup at a normal exit"
start_host --interval-ms 100 --count 3
wait "$HPID"
check_fails "run file removed" test -e "$HFILE"
check_fails "queue removed" queue_exists "$QID"

say "a stopped host, then killed mid-request"
start_host --interval-ms 50
kill -STOP "$HPID"
wait_for 2 all_stopped "$HPID"
runi 5 'no reply' "stopped host: timeout" -a rm -t 0.3
inj -a rm -t 10 >"$T_DIR/killed" 2>&1 &
pending=$!
sleep 0.3
kill -9 "$HPID"
wait "$HPID" 2>/dev/null
t0=$SECONDS
rc=0
wait "$pending" || rc=$?
check_eq "killed host: exit code" "$rc" 4
check "killed host: noticed at once" test $((SECONDS - t0)) -le 2
check "killed host: message" grep -q 'died without answering' "$T_DIR/killed"

finish

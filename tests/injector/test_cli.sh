#!/usr/bin/env bash
# ebpf_injecter end to end against the real control thread over the fake
# host (tests/injector/fake_host): argument rules and exit codes, every
# action, host errors, 1 MiB objects, two injectors at once, timeouts and a
# host killed mid-request, queue/run-file cleanup at exit and on SIGTERM,
# and the manual page. Needs only SysV message queues (no root).
# Run: meson test -C build --suite integration test_cli
. "$PLUGFS_SRC/tests/lib.sh"

INJ=$PLUGFS_BUILD/injector/ebpf_injecter
FAKE=$PLUGFS_BUILD/tests/injector/fake_host
RUN=$T_DIR/run
[ -x "$INJ" ] && [ -x "$FAKE" ] || { echo "FAIL: binaries not built" >&2; exit 1; }
need_cmd ipcmk ipcrm ipcs

# mkelf FILE SIZE [MARKER]: an eBPF-looking ELF of SIZE bytes for the fake
# host (the real loader is exercised by the find_idx tests).
mkelf() {
	local f=$1 size=$2 marker=${3:-}
	# random bytes that can never spell the marker, padded to size
	{ head -c "$size" /dev/urandom | tr -d 'REJCT'; head -c "$size" /dev/zero; } | head -c "$size" >"$f.body"
	{ printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\001\000\367\000'
	  printf '%s' "$marker"; } >"$f"
	tail -c +$(( $(stat -c %s "$f") + 1 )) "$f.body" >>"$f"
	rm -f "$f.body"
}

# runi EXPECTED_RC PATTERN DESC ARGS...: runs the injecter, checks its
# exit code and that stderr+stdout match PATTERN (grep -E).
runi() {
	local want=$1 pat=$2 desc=$3 rc=0
	shift 3
	"$INJ" "$@" >"$T_DIR/out" 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$desc: exit $rc, want $want: $(head -c 300 "$T_DIR/out")"
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$T_DIR/out"; then
		fail "$desc: output does not match /$pat/: $(head -c 300 "$T_DIR/out")"
	else
		pass "$desc"
	fi
}

# start_fake [DELAY_MS [EXIT_AFTER_MS [stop]]]: sets FAKE_PID and QID
start_fake() {
	local out=$T_DIR/fake.$RANDOM
	"$FAKE" "$RUN" "$@" >"$out" 2>>"$T_DIR/fake.log" &
	FAKE_PID=$!
	on_exit "kill -9 $FAKE_PID"
	wait_for 5 grep -q '^msqid ' "$out" || { echo "FAIL: fake host did not start" >&2; exit 1; }
	QID=$(sed -n 's/^msqid //p' "$out")
	on_exit "ipcrm -q $QID"
}

# all_stopped PID: every thread of PID is stopped (SIGSTOP is asynchronous)
all_stopped() { ! cat /proc/"$1"/task/*/stat | awk '$3 != "T" { f = 1 } END { exit !f }'; }
queue_exists() { ipcs -q | awk -v q="$1" '$2 == q { f = 1 } END { exit !f }'; }

mkelf "$T_DIR/a.o" 4096
mkelf "$T_DIR/b.o" 5000
mkelf "$T_DIR/bad.o" 3000 REJECT
mkelf "$T_DIR/1m.o" 1048576
mkelf "$T_DIR/1m1.o" 1048577
printf 'hello, not an object\n' >"$T_DIR/text.o"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\001\000\076\000' >"$T_DIR/x86.o"
head -c 100 /dev/zero >>"$T_DIR/x86.o"

say "usage and argument rules (no program needed)"
runi 0 'rm_pluglet' "--help" --help
runi 2 'missing mandatory option -a' "no arguments"
runi 2 "unknown action 'remove'" "bad action" -a remove -i p -m 1
runi 2 "unknown action 'rm_'" "no prefix matching of actions" -a rm_ -i p -m 1
runi 2 'missing mandatory option -i' "missing -i" -a rm -m 1
runi 2 'missing mandatory option -m' "missing -m" -a rm -i p
runi 2 'needs -p' "add without -p" -a add -i p -m 1 -h pre -n 1
runi 2 'needs -h' "add without -h" -a add -i p -m 1 -p "$T_DIR/a.o" -n 1
runi 2 "unknown anchor 'middle'" "bad anchor" -a add -i p -m 1 -p "$T_DIR/a.o" -h middle -n 1
runi 2 'needs -n' "add on pre without -n" -a add -i p -m 1 -p "$T_DIR/a.o" -h pre
runi 2 'needs -n' "replace on post without -n" -a replace -i p -m 1 -p "$T_DIR/a.o" -h post
runi 2 'needs -n' "rm_pluglet on post without -n" -a rm_pluglet -i p -m 1 -h post
runi 2 'needs -h' "rm_pluglet without -h" -a rm_pluglet -i p -m 1 -n 1
runi 2 'not a non-negative' "negative seq" -a rm_pluglet -i p -m 1 -h pre -n -3
runi 2 'not a non-negative' "msqid not a number" -a rm -i p -m abc
runi 2 'too large' "extra memory too large" -a add -i p -m 1 -p x -h pre -n 1 -e 99999999999
runi 2 'seconds' "bad timeout" -a rm -i p -m 1 -t 0
runi 2 'unknown option -x' "unknown option" -a rm -i p -m 1 -x
runi 2 'needs a value' "option without value" -a rm -i p -m

say "objects and queues that cannot be used"
gone=$(ipcmk -Q | grep -o '[0-9]*$')
ipcrm -q "$gone"
runi 4 "no message queue with id $gone" "unknown msqid" -a rm -i p -m "$gone"
runi 3 'cannot open .*nope.o: No such file' "file not found" -a add -i p -m 1 -h pre -n 1 -p "$T_DIR/nope.o"
runi 3 'not an ELF object' "non-ELF file" -a add -i p -m 1 -h pre -n 1 -p "$T_DIR/text.o"
runi 3 'not eBPF' "ELF for another machine" -a add -i p -m 1 -h pre -n 1 -p "$T_DIR/x86.o"
runi 3 'not a regular file' "directory as object" -a add -i p -m 1 -h pre -n 1 -p "$T_DIR"

say "every action against a running program"
start_fake
check "run file published" grep -qx "msqid = $QID" "$RUN/hosts/fake.$FAKE_PID"
check_eq "run file mode" "$(stat -c %a "$RUN/hosts/fake.$FAKE_PID")" 640
check_eq "queue mode" "$(ipcs -q | awk -v q="$QID" '$2 == q { print $4 }')" 600
runi 0 '' "add replace anchor (no -n needed)" -a add -i find_idx -m "$QID" -h replace -p "$T_DIR/a.o" -j
runi 0 '' "add pre 10" -a add -i find_idx -m "$QID" -h pre -n 10 -p "$T_DIR/a.o" -e 4096 -s 1024
runi 0 '' "add post 20" -a add -i find_idx -m "$QID" -h post -n 20 -p "$T_DIR/b.o"
runi 1 'already exists' "add on a used seq" -a add -i find_idx -m "$QID" -h pre -n 10 -p "$T_DIR/a.o"
runi 1 'instruction 3' "verifier rejection names the instruction" -a add -i find_idx -m "$QID" -h pre -n 11 -p "$T_DIR/bad.o"
runi 1 "'nope' is not registered" "unknown plugin" -a add -i nope -m "$QID" -h pre -n 1 -p "$T_DIR/a.o"
runi 0 'Entries: 3' "status shows three pluglets" -a status -m "$QID"
runi 0 '' "replace pre 10" -a replace -i find_idx -m "$QID" -h pre -n 10 -p "$T_DIR/b.o"
runi 0 'find_idx pre 10 size=5000' "status shows the replacement" -a status -m "$QID"
runi 1 'no pluglet' "replace a missing pluglet" -a replace -i find_idx -m "$QID" -h pre -n 99 -p "$T_DIR/b.o"
runi 0 '' "rm_pluglet post 20" -a rm_pluglet -i find_idx -m "$QID" -h post -n 20
runi 1 'no pluglet' "rm_pluglet again" -a rm_pluglet -i find_idx -m "$QID" -h post -n 20
runi 0 '' "rm_pluglet replace (no -n)" -a rm_pluglet -i find_idx -m "$QID" -h replace
runi 0 'Entries: 1' "one pluglet left" -a status -m "$QID"
runi 0 '' "rm the plugin" -a rm -i find_idx -m "$QID"
runi 0 'Entries: 0' "plugin gone" -a status -m "$QID"
runi 0 'not used by action rm' "extra options are only a warning" -a rm -i find_idx -m "$QID" -p "$T_DIR/a.o"

say "1 MiB objects"
runi 0 '' "1 MiB object injects" -a add -i p1 -m "$QID" -h pre -n 1 -p "$T_DIR/1m.o"
runi 0 'p1 pre 1 size=1048576' "1 MiB arrived whole" -a status -m "$QID"
runi 1 'limit' "1 MiB + 1 refused by the host" -a add -i p1 -m "$QID" -h pre -n 2 -p "$T_DIR/1m1.o"
runi 0 '' "channel fine after a refused transfer" -a rm -i p1 -m "$QID"

say "two injectors, 100 operations each"
loop() {
	local plugin=$1 bad=0
	for i in $(seq 1 100); do
		if [ $((i % 10)) -eq 0 ]; then
			# a known failure among the successes
			"$INJ" -a rm_pluglet -i "$plugin" -m "$QID" -h pre -n 5000 2>"$T_DIR/$plugin.err" && bad=$((bad + 1))
			grep -q "no pluglet $plugin pre/5000" "$T_DIR/$plugin.err" || bad=$((bad + 1))
		else
			"$INJ" -a add -i "$plugin" -m "$QID" -h pre -n "$i" -p "$T_DIR/a.o" || bad=$((bad + 1))
		fi
	done
	echo "$bad" >"$T_DIR/$plugin.bad"
}
loop p1 & l1=$!
loop p2 & l2=$!
wait $l1 $l2
check_eq "injector 1: every reply as expected" "$(cat "$T_DIR/p1.bad")" 0
check_eq "injector 2: every reply as expected" "$(cat "$T_DIR/p2.bad")" 0
runi 0 'Entries: 180' "final state: 2 x 90 pluglets" -a status -m "$QID"

say "cleanup on SIGTERM"
file=$RUN/hosts/fake.$FAKE_PID
kill -TERM "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
check_fails "run file removed after SIGTERM" test -e "$file"
check_fails "queue removed after SIGTERM" queue_exists "$QID"
runi 4 'no message queue' "injecting into a gone program" -a rm -i p1 -m "$QID"

say "cleanup at a normal exit"
start_fake 0 300
file=$RUN/hosts/fake.$FAKE_PID
check "run file while running" test -e "$file"
wait "$FAKE_PID"
check_fails "run file removed at exit (no stop call)" test -e "$file"
check_fails "queue removed at exit (no stop call)" queue_exists "$QID"
start_fake 0 300 stop
file=$RUN/hosts/fake.$FAKE_PID
wait "$FAKE_PID"
check_fails "run file removed by pluglet_ctl__stop" test -e "$file"
check_fails "queue removed by pluglet_ctl__stop" queue_exists "$QID"

say "cleanup when the program crashes"
crashes="abort segv"
# ASan takes SIGSEGV for itself (report, exit 1): only abort is ours there
ldd "$FAKE" 2>/dev/null | grep -q libasan && crashes=abort
for how in $crashes; do
	start_fake 0 200 "$how"
	file=$RUN/hosts/fake.$FAKE_PID
	rc=0
	wait "$FAKE_PID" || rc=$?
	check "$how: the program died of the signal" test "$rc" -gt 128
	check_fails "$how: run file removed" test -e "$file"
	check_fails "$how: queue removed" queue_exists "$QID"
done

say "a forked child that exits leaves the channel alone"
start_fake 0 0 fork
check "run file still there" test -e "$RUN/hosts/fake.$FAKE_PID"
runi 0 'Entries: 0' "queue still served" -a status -m "$QID"
kill -TERM "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null

say "slow, stopped and killed programs"
start_fake 2000
t0=$SECONDS
runi 5 'no reply .* within 500 ms' "timeout (-t 0.5)" -a rm -i p1 -m "$QID" -t 0.5
check "timeout honoured" test $((SECONDS - t0)) -le 2
kill -STOP "$FAKE_PID"
wait_for 2 all_stopped "$FAKE_PID"
runi 5 'no reply' "stopped program times out" -a rm -i p1 -m "$QID" -t 0.3
kill -CONT "$FAKE_PID"
"$INJ" -a rm -i p1 -m "$QID" -t 10 >"$T_DIR/killed.out" 2>&1 &
inj=$!
sleep 0.5
kill -9 "$FAKE_PID"
t0=$SECONDS
rc=0
wait "$inj" || rc=$?
check_eq "killed program: exit code" "$rc" 4
check "killed program: noticed in under 2 s" test $((SECONDS - t0)) -le 2
check "killed program: message" grep -q 'died without answering' "$T_DIR/killed.out"

say "manual page"
warn=$(groff -ww -z -man "$PLUGFS_SRC/docs/ebpf_injecter.8" 2>&1)
check_eq "ebpf_injecter.8 renders without warnings" "$warn" ""

finish

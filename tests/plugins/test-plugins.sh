#!/usr/bin/env bash
# plugins/ and hosts/ end to end: a real mount, real `cp`/`rm`/`mv`/`cat`,
# two find_idx_host processes (and a test host with a helper of its own)
# receiving pluglets through their control queues.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ipcs sha256sum python3

B=$PLUGFS_BUILD
EX=$B/examples/pluglets
TP=$B/tests/plugins
FIND_IDX_HOST=$B/examples/hosts/find_idx_host
PLUG_HOST=$TP/plug_host

start_plugfs
P=$MNT/plugins/find_idx

errno_of() { "$@" 2>&1 >/dev/null | sed -E 's/.*: //' | tail -n1; }
last_result() { grep -a "^$2=" "$1" | tail -n1; }
# wait_result LOG NAME VALUE: the host prints NAME=VALUE within 3 s
wait_result() { wait_for 3 bash -c "grep -a '^$2=' '$1' | tail -n1 | grep -qx '$2=$3'"; }
host_count() { ls "$MNT/hosts" | wc -l; }
# expect_hosts N: hosts/ lists N hosts within 10 s (shows what it saw if not)
hosts_are() { test "$(host_count)" -eq "$1"; }
expect_hosts() {
	wait_for 10 hosts_are "$1" && return 0
	say "hosts/: $(ls "$MNT/hosts" | tr '\n' ' ') run dir: $(ls "$RUN_DIR/hosts" | tr '\n' ' ')"
	tail -n 5 "$MNT/log" | sed 's/^/# /'
	return 1
}

# start_host NAME PROGRAM ARGS...: sets HOST_PID_<NAME>, log in $T_DIR/NAME.log
start_host() {
	local name=$1; shift
	"$@" --run-dir "$RUN_DIR" >>"$T_DIR/$name.log" 2>&1 &
	local pid=$!
	eval "HOST_PID_$name=$pid"
	on_exit "stop_pid $pid"
}

start_host h1 "$FIND_IDX_HOST" --interval-ms 20 --name find_idx_host
start_host h2 "$FIND_IDX_HOST" --interval-ms 20 --name find_idx_host
check "two hosts appear in hosts/" expect_hosts 2
check "hosts/ entry is <name>.<pid>" test -f "$MNT/hosts/find_idx_host.$HOST_PID_h1"
check "cat hosts/ shows pid and insertion point" \
	grep -q "^PID: $HOST_PID_h1" "$MNT/hosts/find_idx_host.$HOST_PID_h1"
check "plugin directory from the hosts' insertion point" test -d "$P/replace"
check_eq "plugin has the three anchors" "$(ls "$P" | tr '\n' ' ')" "post pre replace "
check "original body: find_idx=6 in host 1" wait_result "$T_DIR/h1.log" find_idx 6

# --- REPLACE in every host, rm restores ---
check "cp replace pluglet" cp "$EX/replace_find_idx.o" "$P/replace/0"
check "host 1 runs the REPLACE pluglet" wait_result "$T_DIR/h1.log" find_idx 1006
check "host 2 runs the REPLACE pluglet" wait_result "$T_DIR/h2.log" find_idx 1006
rep=$(cat "$P/replace/0")
check "cat: plugin and anchor" grep -q "^Anchor: replace" <<<"$rep"
check_eq "cat: sha256 of the object" "$(sed -n 's/^Object SHA256: //p' <<<"$rep")" \
	"$(sha256sum "$EX/replace_find_idx.o" | awk '{print $1}')"
check_eq "cat: object size" "$(sed -n 's/^Object Size (bytes): //p' <<<"$rep" | head -n1)" \
	"$(stat -c %s "$EX/replace_find_idx.o")"
check "cat: two hosts" grep -q "^Hosts: 2" <<<"$rep"
check "cat: per host state with runs" grep -q "^Runs: [1-9]" <<<"$rep"
check "cat: per host mode" grep -q "^Mode: interpreter" <<<"$rep"
# one style with the kernel entries (bpfctl's): a heading or "Title Case: value"
off_style() { grep -vE '^$|^[A-Z][a-z]+ State$|^[A-Z][A-Za-z0-9 ()]*: ' "$@"; }
check_eq "cat: every line in the report style" "$(off_style <<<"$rep")" ""
check_eq "hosts/: every line in the report style" "$(off_style "$MNT/hosts/find_idx_host.$HOST_PID_h1")" ""
check_eq "ls -l size is 0, as /proc's files" "$(stat -c %s "$P/replace/0")" "0"
check "cat reads the whole report" grep -q "^Hosts: 2" "$P/replace/0"
check_eq "second REPLACE name: EEXIST" "$(errno_of cp "$EX/replace_find_idx.o" "$P/replace/1")" "File exists"
check "overwrite = replace in every host" cp "$TP/ret_2000.o" "$P/replace/0"
check "host 1 runs the new REPLACE" wait_result "$T_DIR/h1.log" find_idx 2000
check "host 2 runs the new REPLACE" wait_result "$T_DIR/h2.log" find_idx 2000
check "rm" rm "$P/replace/0"
check "host 1 back to the original body" wait_result "$T_DIR/h1.log" find_idx 6
check "host 2 back to the original body" wait_result "$T_DIR/h2.log" find_idx 6

# --- PRE/POST in seq order, mv re-orders ---
cp "$TP/say_pre20.o" "$P/pre/20" && cp "$TP/say_pre5.o" "$P/pre/5" && cp "$TP/say_post1.o" "$P/post/1"
check_eq "pre/ lists both seqs" "$(ls "$P/pre" | sort -n | tr '\n' ' ')" "5 20 "
order() { grep -a -E '^(find_idx=|.*say )' "$1" | sed -E 's/.*say //' | tail -n 9 | tr '\n' ' '; }
sleep 0.2
check "host 1: pre5, pre20, post1 then the result" grep -q "pre5 pre20 post1 find_idx=6" <<<"$(order "$T_DIR/h1.log")"
check "host 2: same order" grep -q "pre5 pre20 post1 find_idx=6" <<<"$(order "$T_DIR/h2.log")"
check "mv pre/20 pre/3" mv "$P/pre/20" "$P/pre/3"
check_eq "pre/ after mv" "$(ls "$P/pre" | sort -n | tr '\n' ' ')" "3 5 "
sleep 0.2
check "host 1: pre20 (now seq 3) runs first" grep -q "pre20 pre5 post1 find_idx=6" <<<"$(order "$T_DIR/h1.log")"
check "host 2: pre20 (now seq 3) runs first" grep -q "pre20 pre5 post1 find_idx=6" <<<"$(order "$T_DIR/h2.log")"
check "cat shows the new seq" grep -q "^Seq: 3" "$P/pre/3"
# The mount follows renames: the inode moves with its name (no stale handle,
# no report of the old name).
mv_ok=0
for i in $(seq 1 30); do
	mv "$P/pre/3" "$P/pre/30" && grep -q "^Seq: 30" "$P/pre/30" &&
		mv "$P/pre/30" "$P/pre/3" && grep -q "^Seq: 3$" "$P/pre/3" && mv_ok=$((mv_ok + 1))
done
check_eq "30 mv round trips, each cat right" "$mv_ok" "30"

# --- a helper only one host provides: all or nothing ---
start_host h3 "$PLUG_HOST" --name plug_host --points find_idx --helper --interval-ms 20
check "third host connected" expect_hosts 3
check "third host got the PRE pluglets" wait_for 3 grep -q "say pre5" "$T_DIR/h3.log"
check_eq "pluglet with a host-only helper: EINVAL" "$(errno_of cp "$TP/host_only.o" "$P/replace/0")" "Invalid argument"
check_fails "no entry left behind" test -e "$P/replace/0"
check "log names the rejecting host and the helper" grep -q "host find_idx_host.*host_only" "$MNT/log"
sleep 0.2
check_eq "the accepting host was rolled back" "$(last_result "$T_DIR/h3.log" find_idx)" "find_idx=7"
check_eq "host 1 never had it" "$(last_result "$T_DIR/h1.log" find_idx)" "find_idx=6"
kill -TERM "$HOST_PID_h3"; wait "$HOST_PID_h3" 2>/dev/null
check "a host that exits leaves hosts/" expect_hosts 2

# --- a host that dies and comes back ---
old=$HOST_PID_h1
oldq=$(sed -n 's/^msqid *= *//p' "$RUN_DIR/hosts/find_idx_host.$old")
kill -9 "$old"; wait "$old" 2>/dev/null
check "dead host's entry goes" wait_for 2 test ! -e "$MNT/hosts/find_idx_host.$old"
check "dead host's queue removed" wait_for 2 bash -c "! ipcs -q | awk '{print \$2}' | grep -qx '$oldq'"
check "dead host's run file removed" test ! -e "$RUN_DIR/hosts/find_idx_host.$old"
: >"$T_DIR/h1.log"
t0=$(date +%s%N)
start_host h1 "$FIND_IDX_HOST" --interval-ms 20 --name find_idx_host
wait_for 3 grep -q "say pre20" "$T_DIR/h1.log"
t1=$(date +%s%N)
check "restarted host gets its pluglets within 1 s" test $(((t1 - t0) / 1000000)) -lt 1000
check "hosts/ shows the new pid" test -f "$MNT/hosts/find_idx_host.$HOST_PID_h1"
say "pluglets back in the restarted host after $(((t1 - t0) / 1000000)) ms"

# --- a plugin declared before any host registers it ---
check "mkdir plugins/later" mkdir "$MNT/plugins/later"
check "cp into a declared plugin with no host" cp "$TP/ret_3000.o" "$MNT/plugins/later/replace/0"
start_host h4 "$PLUG_HOST" --name later_host --points later --interval-ms 20
check "a host registering it later gets the pluglet" wait_result "$T_DIR/h4.log" later 3000

# --- manifest with an entry name ---
printf 'object = %s\nentry = second\n' "$TP/two.o" >"$T_DIR/m.ini"
check "manifest write" cp "$T_DIR/m.ini" "$MNT/plugins/later/post/7"
check "cat shows the entry from the manifest" grep -q "^Entry: second" "$MNT/plugins/later/post/7"
check "cat shows the manifest's object path" grep -q "^Source: $TP/two.o" "$MNT/plugins/later/post/7"

# --- bad input: errno, a log line, nothing left behind ---
printf 'not an object at all' >"$T_DIR/junk"
check_eq "non-ELF: EINVAL" "$(errno_of cp "$T_DIR/junk" "$P/post/9")" "Invalid argument"
check_fails "non-ELF left nothing" test -e "$P/post/9"
# Unknown opcode 0xff in the first instruction of .text.
python3 - "$TP/say_post1.o" "$T_DIR/badop.o" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', d, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3a)
def sh(i): return struct.unpack_from('<IIQQQQIIQQ', d, shoff + i * shentsize)
stroff = sh(shstrndx)[4]
for i in range(shnum):
    s = sh(i)
    name = d[stroff + s[0]:].split(b'\0')[0]
    if name == b'.text':
        d[s[4]] = 0xff
open(sys.argv[2], 'wb').write(d)
PY
check_eq "verifier rejection: EINVAL" "$(errno_of cp "$T_DIR/badop.o" "$P/post/9")" "Invalid argument"
check "log has the verifier's reason with the instruction index" grep -Eq "pluglet 9: .*(insn|instruction) 0" "$MNT/log"
check_fails "rejected pluglet left nothing" test -e "$P/post/9"
check_eq "seq abc: EINVAL" "$(errno_of cp "$TP/say_post1.o" "$P/post/abc")" "Invalid argument"
check "log explains the bad name" grep -q "post/abc: the name must be a decimal" "$MNT/log"
check_eq "unknown anchor dir: ENOENT" "$(errno_of cp "$TP/say_post1.o" "$P/middle/1")" "No such file or directory"
printf 'object = relative/x.o\n' >"$T_DIR/rel.ini"
check_eq "manifest with a relative path: EINVAL" "$(errno_of cp "$T_DIR/rel.ini" "$P/post/9")" "Invalid argument"
check "log explains the relative path" grep -q "object path must be absolute" "$MNT/log"
check_fails "nothing in post/ but seq 1" bash -c "ls '$P/post' | grep -vqx 1"
check_eq "state dir keeps only accepted pluglets" \
	"$(ls "$STATE_DIR/plugins/find_idx/post" | tr '\n' ' ')" "1.ini 1.o "

# --- daemon restart: same tree, no double injection ---
tree() { (cd "$MNT/plugins" && find . | sort); }
before=$(tree)
runs_before=$(sed -n 's/^Runs: //p' "$P/pre/5" | head -n1)
stop_plugfs "$PLUGFS_PID"
start_plugfs
check_eq "restart: plugins/ tree identical" "$(tree)" "$before"
check "restart: hosts reconnected" expect_hosts 3
runs_after=$(sed -n 's/^Runs: //p' "$P/pre/5" | head -n1)
check "restart: runs counter continues (not re-injected)" test "${runs_after:-0}" -ge "${runs_before:-1}"
say "runs before restart $runs_before, after $runs_after"
check "restart: hosts still run the pluglets" wait_for 2 grep -q "say pre5" <(tail -n 20 "$T_DIR/h2.log")

# --- rm -r of a whole plugin ---
check "rm -r plugins/later" rm -r "$MNT/plugins/later"
check "host of 'later' back to its original body" wait_result "$T_DIR/h4.log" later 7
check "declared plugin gone from the state" test ! -e "$STATE_DIR/plugins/later"
# rm -r of a plugin a host registers: every pluglet goes from every host;
# the directory stays (the host still has the insertion point).
check "rm -r plugins/find_idx succeeds" rm -r "$P"
check "host 2 back to the original body, no PRE/POST" wait_result "$T_DIR/h2.log" find_idx 6
: >"$T_DIR/h2.log"; sleep 0.2
check_fails "host 2 runs no PRE/POST any more" grep -q "say " "$T_DIR/h2.log"
check_eq "find_idx still listed (a host registers it), empty" "$(ls -R "$P" | grep -c '^[0-9]')" "0"
check "state of find_idx gone" test ! -e "$STATE_DIR/plugins/find_idx"

finish

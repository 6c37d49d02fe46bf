#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# maps/: every map operation on hash, array, per-CPU array, LRU hash, ring
# buffer and perf event array maps (tests/bpf/progs/maps_all.bpf.c), checked with bpftool;
# the event stream of the ring under ping; bad input fails and writes
# nothing; a read-only and a frozen map refuse writes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-bpf.sh"
need_cmd python3 stdbuf

M=$MNT/maps
cp "$PROGS/maps_all.bpf.o" "$IF/xdp/10"
PID_=$(field "$IF/xdp/10" ID)
# map_named NAME: the id of our program's map of that name
map_named() {
	local m
	for m in $(field "$MNT/progs/$PID_" "Map IDs" | tr -d ,); do
		[ "$(field "$M/$m/info" Name)" = "$1" ] && { echo "$m"; return; }
	done
}
H=$(map_named t_hash) A=$(map_named t_array) C=$(map_named t_pcpu)
L=$(map_named t_lru) R=$(map_named t_ring) PF=$(map_named t_perf)
check "the program's six maps are found by name" test "$H" -a "$A" -a "$C" -a "$L" -a "$R" -a "$PF"
check "maps/ lists them" bash -c "ls '$M' | grep -qx '$H' && ls '$M' | grep -qx '$R'"
# possible CPUs ("0-3,5"): what per-CPU values are sized by
NCPU=$(python3 -c '
n = 0
for r in open("/sys/devices/system/cpu/possible").read().strip().split(","):
    a, _, b = r.partition("-")
    n += int(b or a) - int(a) + 1
print(n)')

# bt MAP KEYHEX: the value bpftool reads, as one hex string (per CPU: "hex hex ...")
bt() {
	local k
	k=$(echo "$2" | sed 's/../& /g')
	bpftool -j map lookup id "$1" key hex $k 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
h = lambda v: "".join(x[2:] for x in v)
if "values" in d: print(" ".join(h(c["value"]) for c in d["values"]))
else: print(h(d["value"]))'
}
# errno_w FILE TEXT: the error of writing TEXT to FILE, close() included
# ("" when it worked); the shell's redirection would not report close()
errno_w() {
	python3 -c '
import os, sys
try:
    with open(sys.argv[1], "w") as f:
        f.write(sys.argv[2])
except OSError as e:
    print(os.strerror(e.errno))' "$1" "$2"
}

# ---- info ----
check_eq "info: type" "$(field "$M/$H/info" Type)" hash
check_eq "info: key size" "$(field "$M/$H/info" "Key Size (bytes)")" 4
check_eq "info: value size" "$(field "$M/$H/info" "Value Size (bytes)")" 16
check_eq "info: max entries" "$(field "$M/$H/info" "Max Entries")" 16
check_eq "info: used by our program" "$(field "$M/$H/info" "Used By")" "$PID_"
check "info: pinned where the engine pins it" grep -q "^Pinned: $BPFFS_DIR/" "$M/$H/info"
check "info.json parses" python3 -c "
import json; d = json.load(open('$M/$H/info.json')); assert d['type'] == 'hash' and d['used_by'] == [$PID_], d"

# ---- hash: create (insert), cat, write (update), rm, against bpftool ----
check_eq "hash: a new key file inserts" "$(errno_w "$M/$H/07000000" '0100000000000000 2a00000000000000')" ""
check_eq "hash: bpftool sees the value" "$(bt "$H" 07000000)" "01000000000000002a00000000000000"
check_eq "hash: cat reads it in the form written" "$(cat "$M/$H/07000000")" "01000000000000002a00000000000000"
check "hash: a write updates" bash -c "printf '0x02000000:00000000:0700000000000000\n' > '$M/$H/07000000'"
check_eq "hash: bpftool sees the update" "$(bt "$H" 07000000)" "02000000000000000700000000000000"
bpftool map update id "$H" key 8 0 0 0 value hex 03 00 00 00 00 00 00 00 09 00 00 00 00 00 00 00
check "hash: ls shows bpftool's key" grep -qx 08000000 <(ls "$M/$H")
check_eq "hash: cat reads bpftool's value" "$(cat "$M/$H/08000000")" "03000000000000000900000000000000"
check "hash: dump is BTF-formatted" grep -q '^07000000: key = (__u32)7, value = (struct pair){.a = (__u32)2,.b = (__u64)7,}' "$M/$H/dump"
check_eq "hash: dump has every entry" "$(grep -c '^0[78]000000: ' "$M/$H/dump")" 2
check "hash: dump.json parses" python3 -c "
import json; d = json.load(open('$M/$H/dump.json'))
assert {'key': '07000000', 'value': '02000000000000000700000000000000'} in d, d"
check "hash: 08000000.json parses" python3 -c "
import json; d = json.load(open('$M/$H/08000000.json')); assert d['value'] == '03000000000000000900000000000000', d"
# a new file is an insert: a key that appears before it is closed wins
check_eq "hash: create is BPF_NOEXIST" "$(python3 -c "
import os, subprocess
f = open('$M/$H/0b000000', 'w')
f.write('0500000000000000 0500000000000000')
subprocess.run('bpftool map update id $H key 11 0 0 0 value hex ' + ' '.join(['06'] + ['00'] * 15),
               shell=True, check=True)
try:
    f.close(); print('written')
except OSError as e:
    print(os.strerror(e.errno))")" "File exists"
check_eq "hash: the other writer's value stays" "$(cat "$M/$H/0b000000")" "06000000000000000000000000000000"
check "hash: rm deletes" rm "$M/$H/07000000"
check_fails "hash: bpftool no longer finds it" bash -c "bpftool map lookup id $H key 7 0 0 0 2>/dev/null"
check_fails "hash: nor does ls" grep -qx 07000000 <(ls "$M/$H")
check_eq "hash: cat of a missing key" "$(errno_of cat "$M/$H/07000000")" "No such file or directory"

# ---- bad input: EINVAL, nothing written ----
before=$(bpftool -j map dump id "$H" | md5sum)
check_eq "bad: a key of the wrong size" "$(errno_w "$M/$H/0100" 0100000000000000000000000000000000)" "Invalid argument"
check_eq "bad: a key that is not hex" "$(errno_w "$M/$H/zz000000" 01000000000000002a00000000000000)" "Invalid argument"
check_eq "bad: a value too long" "$(errno_w "$M/$H/09000000" 01000000000000002a0000000000000000)" "Invalid argument"
check_eq "bad: a value too short" "$(errno_w "$M/$H/08000000" 0100)" "Invalid argument"
check_eq "bad: a value that is not hex" "$(errno_w "$M/$H/08000000" 0100000000000000xx00000000000000)" "Invalid argument"
check_eq "bad: nothing was written" "$(bpftool -j map dump id "$H" | md5sum)" "$before"
check_eq "bad: the old value stays" "$(cat "$M/$H/08000000")" "03000000000000000900000000000000"
check_eq "bad: info is not writable" "$(errno_w "$M/$H/info" x)" "Permission denied"
check_eq "bad: an empty write writes nothing" "$(errno_w "$M/$H/0a000000" '')" ""
check_fails "bad: so no key was made" test -e "$M/$H/0a000000"

# ---- array: every index is a key ----
check_eq "array: ls lists every index" "$(ls "$M/$A" | grep -c '^0[0-3]000000$')" 4
check "array: a write updates" bash -c "printf '2a00000000000000' > '$M/$A/02000000'"
check_eq "array: bpftool sees it" "$(bt "$A" 02000000)" "2a00000000000000"
check "array: dump in BTF" grep -q '^02000000: key = (__u32)2, value = (__u64)42$' "$M/$A/dump"
check_fails "array: no index past the end" test -e "$M/$A/04000000"

# ---- per-CPU array: one line per CPU ----
check_eq "pcpu: one line per possible CPU" "$(grep -c '^cpu[0-9]*: ' "$M/$C/00000000")" "$NCPU"
check "pcpu: one value for every CPU" bash -c "printf '0500000000000000' > '$M/$C/00000000'"
check_eq "pcpu: bpftool sees it on every CPU" "$(bt "$C" 00000000)" \
	"$(printf '0500000000000000 %.0s' $(seq "$NCPU") | sed 's/ $//')"
lines=$(for ((i = 0; i < NCPU; i++)); do printf 'cpu%d: %016x\n' "$i" "$((i + 1))"; done)
want=$(for ((i = 0; i < NCPU; i++)); do printf 'cpu%d: %02x00000000000000\n' "$i" "$((i + 1))"; done)
check "pcpu: per-CPU lines write" bash -c "printf '%s\n' '$(echo "$lines" | sed 's/: \(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/: \8\7\6\5\4\3\2\1/')' > '$M/$C/00000000'"
check_eq "pcpu: cat reads them back as written" "$(cat "$M/$C/00000000")" "$want"
check_eq "pcpu: bpftool agrees" "$(bt "$C" 00000000)" "$(echo "$want" | sed 's/^cpu[0-9]*: //' | paste -sd' ')"
check_eq "pcpu: a CPU missing is EINVAL" "$(errno_w "$M/$C/00000000" 'cpu0: 0100000000000000')" \
	"$([ "$NCPU" -gt 1 ] && echo 'Invalid argument')"
check "pcpu: dump shows every CPU" test "$(grep -c '^  cpu' "$M/$C/dump")" -eq $((2 * NCPU))

# ---- LRU hash ----
check_eq "lru: insert" "$(errno_w "$M/$L/0500000000000000" 11000000)" ""
check_eq "lru: bpftool sees it" "$(bt "$L" 0500000000000000)" "11000000"
check "lru: dump" grep -q '^0500000000000000: key = (__u64)5, value = (__u32)17$' "$M/$L/dump"
check "lru: rm" rm "$M/$L/0500000000000000"
check_fails "lru: gone for bpftool" bash -c "bpftool map lookup id $L key 5 0 0 0 0 0 0 0 2>/dev/null"

# ---- ring buffer: events ----
check "ring: has an events file and no keys" test "$(ls "$M/$R" | paste -sd' ')" = "dump events info"
check "ring: ls -l shows it" bash -c "ls -l '$M/$R/events' | grep -q '^-'"
cat "$M/$R/events" > "$T_DIR/ev1" &
E1=$!
cat "$M/$R/events" > "$T_DIR/ev2" &
E2=$!
on_exit "kill $E1 $E2"
check "ring: a new reader has nothing queued (records from its open on)" python3 -c "
import select, os
fd = os.open('$M/$R/events', os.O_RDONLY)
p = select.poll(); p.register(fd, select.POLLIN)
assert p.poll(0) == [], 'readable at open'
"
python3 - "$M/$R/events" > "$T_DIR/pollres" 2>&1 <<'EOF' &
import select, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
p = select.poll(); p.register(fd, select.POLLIN)
ev = p.poll(10000)
print("ready" if ev and ev[0][1] & select.POLLIN else "timeout")
print(os.read(fd, 4096).decode().splitlines()[0])
EOF
PP=$!
sleep 0.3
ping_ok; ping_ok; ping_ok
check "ring: the first reader got every ping" wait_for 5 bash -c "[ \$(grep -c '^0df0edfe' '$T_DIR/ev1') -ge 3 ]"
check "ring: the second reader too" wait_for 5 bash -c "[ \$(grep -c '^0df0edfe' '$T_DIR/ev2') -ge 3 ]"
# the same ping records (other traffic may come before both were open)
check_eq "ring: both got the same pings" "$(grep -c '^0df0edfe62000000$' "$T_DIR/ev1")" \
	"$(grep -c '^0df0edfe62000000$' "$T_DIR/ev2")"
wait "$PP"
check_eq "ring: poll() woke up" "$(head -n1 "$T_DIR/pollres")" "ready"
check "ring: and the read after it had a record" grep -q '^0df0edfe' "$T_DIR/pollres"
stop_pid "$E1" "$E2"
check "ring: a killed reader leaves the stream usable" bash -c "
	timeout 5 cat '$M/$R/events' > '$T_DIR/ev3' & sleep 0.3
	ip netns exec '$NSA' ping -c1 -W1 '$PEER' >/dev/null; sleep 0.3; grep -q '^0df0edfe' '$T_DIR/ev3'"
# GNU tail prints a file it cannot seek only at its end: from line 1 and
# line-buffered, it follows the stream as it comes
stdbuf -oL tail -n +1 -f "$M/$R/events" > "$T_DIR/ev4" &
TP=$!
sleep 0.3
ping_ok
check "ring: tail -n +1 -f follows it" wait_for 5 grep -q '^0df0edfe' "$T_DIR/ev4"
stop_pid "$TP"
check_eq "ring: O_NONBLOCK read with nothing queued is EAGAIN" "$(python3 -c "
import os, errno
fd = os.open('$M/$R/events', os.O_RDONLY | os.O_NONBLOCK)
try: os.read(fd, 100); print('data')
except BlockingIOError: print('EAGAIN')")" "EAGAIN"
# a signal interrupts a blocked read (EINTR), and the file reads on after it
# (a ring nobody writes to: no record may end the read first)
QR=/sys/fs/bpf/plugfs-quiet-$T_ID
on_exit "rm -f '$QR'"
bpftool map create "$QR" type ringbuf key 0 value 0 entries 4096 name t_quiet
QID=$(bpftool -j map show pinned "$QR" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check_eq "ring: a signal interrupts a blocked read; the file reads on" "$(python3 - "$M/$QID/events" <<'EOF'
import fcntl, os, signal, sys
def alarm(sig, frame):
    raise TimeoutError
signal.signal(signal.SIGALRM, alarm)
fd = os.open(sys.argv[1], os.O_RDONLY)
signal.alarm(1)
try:
    os.read(fd, 4096)
    print("no interrupt")
except TimeoutError:
    print("interrupted")
fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)
try:
    os.read(fd, 4096)
except OSError as e:
    print(os.strerror(e.errno))
EOF
)" "interrupted
Resource temporarily unavailable"
check_eq "ring: dump of a ring is empty" "$(cat "$M/$R/dump")" ""

# ---- blocked readers hold no thread of the daemon (it has 16) ----
pids=()
for i in $(seq 20); do cat "$M/$R/events" > /dev/null & pids+=($!); done
sleep 0.5
check "20 blocked readers: the tree still answers" timeout 3 cat "$M/$H/info" >/dev/null
check "20 blocked readers: a write too" timeout 3 bash -c "printf '0100000000000000' > '$M/$A/01000000'"
stop_pid "${pids[@]}"
check "and they were all interrupted cleanly" timeout 3 cat "$M/$A/01000000" >/dev/null

# ---- perf event array: the same stream, records by CPU ----
check "perf: an events file" test -e "$M/$PF/events"
cat "$M/$PF/events" > "$T_DIR/pf" &
PFC=$!
sleep 0.5
ping_ok
check "perf: the ping's records, with their CPU" \
	wait_for 5 grep -q '^cpu[0-9]*: efbeedfe62000000' "$T_DIR/pf"
stop_pid "$PFC"

# ---- a map that refuses writes: frozen (BPF_F_RDONLY binds only the fd
# that created a map, so frozen is how a map is read-only for syscalls) ----
FZ=/sys/fs/bpf/plugfs-fz-$T_ID
on_exit "rm -f '$FZ'"
bpftool map create "$FZ" type array key 4 value 4 entries 4 name t_frozen
bpftool map freeze pinned "$FZ"
FZID=$(bpftool -j map show pinned "$FZ" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check_eq "frozen map: info says so" "$(field "$M/$FZID/info" Frozen)" "true"
check_eq "frozen map: a write is EPERM" "$(errno_w "$M/$FZID/01000000" 01000000)" "Operation not permitted"
check_eq "frozen map: nothing written" "$(bt "$FZID" 01000000)" "00000000"
check_eq "a map without BTF dumps in hex" "$(head -n1 "$M/$FZID/dump")" "00000000: key = 00000000, value = 00000000"

finish

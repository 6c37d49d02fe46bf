#!/usr/bin/env bash
# The README's tour runs as written: its shell block is taken from
# README.md, its names made this test's own (mount point, netns, veths, the
# build directory, the hosts' run directory), and every line must succeed.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_bpffs; need_cmd ip awk

start_plugfs
export PLUGLET_RUN_DIR=$RUN_DIR
NS=pfp-$T_ID
on_exit "ip netns del $NS"

# the first ```sh block after "# a veth pair to play on"
block=$(awk '/^```sh$/ { inb = 1; buf = ""; next }
	     /^```$/ && inb { if (buf ~ /# a veth pair to play on/) { printf "%s", buf; exit } inb = 0 }
	     inb { buf = buf $0 "\n" }' "$PLUGFS_SRC/README.md")
check "README has the tour block" test -n "$block"
block=$(sed -e "s|/run/plugfs/mnt|$MNT|g" -e "s|pfpeer|$NS|g" -e "s|\bpf0\b|t0$T_ID|g" \
	-e "s|\bpf1\b|t1$T_ID|g" -e "s|build/|$PLUGFS_BUILD/|g" <<<"$block")

n=0
while IFS= read -r line; do
	line=${line%%#*}			# the comment that explains the line
	[[ $line =~ ^[[:space:]]*$ ]] && continue
	n=$((n + 1))
	# a user types the next line after the host shows up; so does the test
	[[ $line == *"/plugins/"* ]] && wait_for 10 test -d "$MNT/plugins/find_idx"
	if eval "$line" >>"$T_DIR/tour.log" 2>&1; then
		pass "README line $n: $line"
	else
		fail "README line $n: $line ($(tail -n1 "$T_DIR/tour.log"))"
	fi
	[[ $line == *"&"* ]] && on_exit "stop_pid $!"
done <<<"$block"
check "the tour ran at least ten lines" test "$n" -ge 10
check "the pluglet runs in the host" grep -q "^State: loaded" "$MNT/plugins/find_idx/replace/0"
finish

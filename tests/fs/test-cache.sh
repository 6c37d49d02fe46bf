#!/usr/bin/env bash
# The kernel's caches of the mount (plugfs(8), CACHING): a second stat of a
# path within the cache time asks the daemon nothing; the daemon's own
# changes (cp, a refused cp, rm, mv) show at once; an interface deleted or
# renamed with `ip link` and a host that exits or dies are gone within
# BOUND_MS (notices, not the cache timeout); an interface or a host that
# appears shows at once.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_cmd ip nsenter
. "$PLUGFS_SRC/tests/plugins/shared-host.sh"

PROGS=$PLUGFS_BUILD/tests/bpf
# Notices are sent within milliseconds; a dead host is noticed by the
# registry's rescan (200 ms). The cache timeout is 1 s: a check that
# passes under BOUND_MS did not wait for it.
BOUND_MS=600
NS=$(make_netns cache)
# -d: every FUSE request is in the daemon's log, so the test can count them.
PLUGFS_NETNS=$NS start_plugfs -d
P=$MNT/plugins/shared

# elapsed_ms CMD...: waits (up to 3 s) for CMD to succeed, prints the ms it took
elapsed_ms() {
	local t0 t1
	t0=$(date +%s%N)
	wait_for 3 "$@" || { echo 9999; return; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
requests() { grep -c "opcode:" "$PLUGFS_LOG"; }

V=cv$T_ID
ip -n "$NS" link add "$V" type veth peer name "cw$T_ID"
check "a new interface shows at once" test -d "$MNT/ifaces/$V/xdp"
X=$MNT/ifaces/$V/xdp
check "cp into its chain" cp "$PROGS/pass.bpf.o" "$X/10"
check "the daemon's cp shows at once" test -f "$X/10"
stat "$X/10" >/dev/null
n0=$(requests)
stat "$X/10" >/dev/null
n1=$(requests)
check_eq "a second stat within the cache time asks the daemon nothing" "$((n1 - n0))" "0"
check_eq "size 0, as /proc's files" "$(stat -c %s "$X/10")" "0"
check "cat reads the whole report" grep -q "^Priority: 10" "$X/10"

# The daemon's own changes, each checked right after the command.
check_fails "a refused cp leaves no name" bash -c "cp '$PROGS/reject.bpf.o' '$X/20' 2>/dev/null"
check_fails "  not even for a stat right after it" test -e "$X/20"
check "mv" mv "$X/10" "$X/30"
check_fails "  the old name is gone at once" test -e "$X/10"
check "  the new one is there" grep -q "^Priority: 30" "$X/30"
check "rm" rm "$X/30"
check_fails "  the entry is gone at once" test -e "$X/30"
check "cp again" cp "$PROGS/pass.bpf.o" "$X/40"
# A name found missing is kept missing (cp's stat of its target asks
# nothing more), and the daemon's own cp, rm and mv change that at once.
check_fails "a missing entry" test -e "$X/50"
n0=$(requests)
check_fails "  looked up again" test -e "$X/50"
check_eq "  its absence is kept: no request" "$(($(requests) - n0))" "0"
check "  cp to it" cp "$PROGS/pass.bpf.o" "$X/50"
check "  there at once" grep -q "^Priority: 50" "$X/50"
check "  with its JSON view" grep -q '"priority"' "$X/50.json"
check "  rm" rm "$X/50"
check_fails "  gone at once" test -e "$X/50"
check "  mv of another onto that name" bash -c "cp '$PROGS/pass.bpf.o' '$X/60' && mv '$X/60' '$X/50'"
check "  there at once" grep -q "^Priority: 50" "$X/50"
rm -f "$X/50"
TP=$PLUGFS_BUILD/tests/tracing/tp_getpid.bpf.o
check_fails "tracing/: a missing entry" test -e "$MNT/tracing/neg$T_ID"
check_fails "  and its JSON view" test -e "$MNT/tracing/neg$T_ID.json"
check "  cp to it" cp "$TP" "$MNT/tracing/neg$T_ID"
check "  there at once" test -e "$MNT/tracing/neg$T_ID"
check "  with its JSON view" grep -q '"name"' "$MNT/tracing/neg$T_ID.json"
check "  rm" rm "$MNT/tracing/neg$T_ID"
check_fails "  gone at once" test -e "$MNT/tracing/neg$T_ID"
stat "$MNT/ifaces/$V" "$X" "$X/40" >/dev/null

# Changes the daemon learns of: gone within BOUND_MS, not the cache timeout.
ip -n "$NS" link del "$V"
ms=$(elapsed_ms bash -c "! test -e '$X/40' && ! test -e '$MNT/ifaces/$V'")
check "ip link del: the interface and its entries are gone within $BOUND_MS ms (took $ms)" \
	test "$ms" -lt $BOUND_MS
ip -n "$NS" link add "$V" type veth peer name "cw$T_ID"
check "ip link add of the same name: there at once" test -d "$MNT/ifaces/$V/xdp"
stat "$MNT/ifaces/$V/xdp" >/dev/null
ip -n "$NS" link set "$V" name "cr$T_ID"
ms=$(elapsed_ms bash -c "! test -e '$MNT/ifaces/$V'")
check "ip link set name: the old name is gone within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "and the new name is there" test -d "$MNT/ifaces/cr$T_ID/xdp"

start_host h1
ms=$(elapsed_ms test -e "$MNT/hosts/h1.$PID_h1")
check "a host that starts shows in hosts/ within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS
check "  with its plugin" test -d "$P/replace"
stat "$MNT/hosts/h1.$PID_h1" "$P/replace" >/dev/null
stop_pid "$PID_h1"
ms=$(elapsed_ms bash -c "! test -e '$MNT/hosts/h1.$PID_h1' && ! test -e '$P'")
check "a host that exits is gone, with its plugin, within $BOUND_MS ms (took $ms)" \
	test "$ms" -lt $BOUND_MS
start_host h2
check "another host" wait_for 3 test -e "$MNT/hosts/h2.$PID_h2"
stat "$MNT/hosts/h2.$PID_h2" >/dev/null
kill -9 "$PID_h2"
ms=$(elapsed_ms test ! -e "$MNT/hosts/h2.$PID_h2")
check "a host killed with -9 is gone within $BOUND_MS ms (took $ms)" test "$ms" -lt $BOUND_MS

finish

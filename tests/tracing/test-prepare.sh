#!/usr/bin/env bash
# Loads begun at the write, through the mount: cp of an object into
# tracing/ goes on at the close from what the write's answer began (the
# daemon's debug log says so) and counts its events; a manifest's load does
# not; overwrites under load done that way lose no event and leave one link.
. "${PLUGFS_SRC:?}/tests/lib.sh"
start_plugfs -v -v
. "$PLUGFS_SRC/tests/tracing/lib-tracing.sh"

N=1000
cp "$TPROGS/tp_getpid.bpf.o" "$T_DIR/tp.o"
held getpid $N
check "cp an object" cp "$T_DIR/tp.o" "$TR/direct"
check "its load went on from the write" grep -qF "tracing/direct: opened at the write" "$MNT/log"
release
got=$(count "$TR/direct")
check "its events counted ($got >= $N)" test "$got" -ge "$N"
check "rm" rm "$TR/direct"

manifest "$T_DIR/tp.ini" "object = $T_DIR/tp.o"
check "cp a manifest" cp "$T_DIR/tp.ini" "$TR/viaini"
check_fails "a manifest's load starts at the close" \
	grep -qF "tracing/viaini: opened at the write" "$MNT/log"
rm "$TR/viaini"

M=200000
held getpid $M
cp "$T_DIR/tp.o" "$TR/load" || fail "load: first cp"
echo go > "$GO"
ok=0
for i in 1 2 3 4 5; do cp "$T_DIR/tp.o" "$TR/load" && ok=$((ok + 1)); done
wait "$TPID"
check_eq "overwrite under load: 5 replaces succeeded" "$ok" 5
check "overwrite under load: each went on from its write" \
	test "$(grep -cF "tracing/load: opened at the write" "$MNT/log")" -ge 6
got=$(count "$TR/load")
check "overwrite under load: no event lost ($got >= $M)" test "$got" -ge "$M"
check "overwrite under load: one link left" \
	test "$(bpftool -j link show | jq "[.[] | select(.prog_id == $(field "$TR/load" ID))] | length")" = 1

# the close waits for its write's prepare: every one of 20 goes on from it
for i in $(seq 20); do cp "$T_DIR/tp.o" "$TR/many" || fail "many: cp $i"; done
check_eq "20 cps in a row: each went on from its write" \
	"$(grep -cF "tracing/many: opened at the write" "$MNT/log")" 20
rm "$TR/many"
finish

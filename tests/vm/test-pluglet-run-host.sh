#!/usr/bin/env bash
# pluglet-run's host mode: the shipped example pluglets, which call host
# helpers, run alone with the arguments their host would give; faults,
# endless loops and next() are told apart; bad arguments are refused.
. "${PLUGFS_SRC:?}/tests/lib.sh"

run=$PLUGFS_BUILD/vm/pluglet-run
P=$PLUGFS_BUILD/examples/pluglets
arr=0a000000140000001e00000028000000	# 10 20 30 40, little-endian int

check_eq "replace_find_idx finds 30 at index 2 (+1000)" \
	"$("$run" --arg ptr:$arr --arg u32:30 --arg u64:4 "$P/replace_find_idx.o")" "3ea"
check_eq "the same in the JIT" \
	"$("$run" --jit --arg ptr:$arr --arg u32:30 --arg u64:4 "$P/replace_find_idx.o")" "3ea"
check_eq "a missing key is -1" \
	"$("$run" --arg ptr:$arr --arg u32:35 --arg u64:4 "$P/replace_find_idx.o")" "ffffffffffffffff"
check_eq "replace_from_end scans from the end (+2000)" \
	"$("$run" --arg ptr:$arr --arg u32:10 --arg u64:4 "$P/replace_from_end.o")" "7d0"

out=$("$run" --arg ptr:$arr --arg u32:30 --arg u64:99 "$P/replace_find_idx.o" 2>&1); rc=$?
check_eq "a len past the array: next(), exit 1" "$rc" 1
check "next() is said" grep -q "gave up (next())" <<<"$out"
out=$("$run" --host "$P/fault.o" 2>&1); rc=$?
check_eq "fault.o: exit 1" "$rc" 1
check "fault.o: the fault is named" grep -q "oob-load fault" <<<"$out"
out=$("$run" --host "$P/loop.o" 2>&1); rc=$?
check_eq "loop.o: exit 1" "$rc" 1
check "loop.o: stopped by the budget" grep -q "budget fault" <<<"$out"
check_eq "pre_counter runs with shared memory" \
	"$("$run" --host --shared-memory 64 "$P/pre_counter.o")" "0"
out=$("$run" --host "$P/med_prefer_high.o" 2>&1); rc=$?
check_eq "a host's own helper: refused (exit 2)" "$rc" 2
check "the helper is named" grep -q "unknown helper 'add_route'" <<<"$out"
out=$("$run" --arg nope:1 "$P/loop.o" 2>&1); rc=$?
check_eq "bad --arg: exit 2" "$rc" 2
check "bad --arg: the forms are listed" grep -q "u64:N, u32:N, ptr:HEX, str:TEXT" <<<"$out"
finish

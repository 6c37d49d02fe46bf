#!/usr/bin/env bash
# pluglet-run on raw bytecode: the conformance plugin protocol (program hex
# on stdin, memory as argument), raw files with --mem-file, r1/r2, --repeat
# starting every run from the same memory, --stats, --budget, faults and
# verifier rejections (message with the instruction index, non-zero exit),
# the unwind helper, and --jit (same r0 where the build has a JIT, a clear
# refusal where it does not).
. "$PLUGFS_SRC/tests/lib.sh"

run=$PLUGFS_BUILD/vm/pluglet-run
[ -x "$run" ] || { echo "FAIL: $run not built" >&2; exit 1; }

# hex bytes -> binary file
to_bin() { printf "$(sed -E 's/([0-9a-fA-F]{2}) */\\x\1/g' <<<"$1")" >"$2"; }

ret42="b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00"
ldxw_r1="61 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00"       # r0 = *(u32 *)(r1 + 0)
ldxw_r1_4="61 10 04 00 00 00 00 00 95 00 00 00 00 00 00 00"     # r0 = *(u32 *)(r1 + 4)
mov_r2="bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00"         # r0 = r2
# r0 = ++*(u8 *)(r1 + 0)
inc_mem="71 10 00 00 00 00 00 00 07 00 00 00 01 00 00 00 73 01 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
loop="05 00 ff ff 00 00 00 00 95 00 00 00 00 00 00 00"           # ja -1
bad_op="ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
# r1 = 0; call 5 (unwind); r0 = 7; exit
unwind="b7 01 00 00 00 00 00 00 85 00 00 00 05 00 00 00 b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00"

check_eq "stdin protocol, no memory" "$(echo "$ret42" | "$run" --interpret)" "2a"
check_eq "stdin protocol, memory argument" "$(echo "$ldxw_r1" | "$run" "01 02 03 04")" "4030201"
check_eq "memory without spaces" "$(echo "$ldxw_r1" | "$run" "01020304")" "4030201"
check_eq "r2 is the memory length" "$(echo "$mov_r2" | "$run" "00 00 00 00 00")" "5"

to_bin "$ldxw_r1" "$T_DIR/ldxw.bin"
printf '\x78\x56\x34\x12' >"$T_DIR/mem.bin"
check_eq "raw file with --mem-file" "$("$run" --mem-file "$T_DIR/mem.bin" "$T_DIR/ldxw.bin")" "12345678"
check_eq "raw file with a memory argument" "$("$run" "ff 00 00 00" "$T_DIR/ldxw.bin")" "ff"

check_eq "--repeat starts every run from the same memory" \
	"$(echo "$inc_mem" | "$run" --repeat 3 "05")" "6"

err=$(echo "$ret42" | "$run" --stats --repeat 5 2>&1 >/dev/null)
check "--stats prints the median time" grep -qE '^median_ns_per_run: [0-9]+$' <<<"$err"
check "--stats prints the instructions per run" grep -qx 'insns_per_run: 2' <<<"$err"

out=$(echo "$ldxw_r1_4" | "$run" "01 02 03 04" 2>&1)
rc=$?
check "out-of-bounds load exits non-zero" test "$rc" -ne 0
check "fault names kind, instruction and access" grep -q "oob-load fault: insn 0: out-of-bounds load of 4 bytes at 0x" <<<"$out"

out=$(echo "$loop" | "$run" --budget 100 2>&1)
rc=$?
check "endless loop stopped" test "$rc" -ne 0
check "budget fault message" grep -q "insn 0: instruction budget of 100 exhausted" <<<"$out"

out=$(echo "$bad_op" | "$run" 2>&1)
rc=$?
check "verifier rejection exits non-zero" test "$rc" -ne 0
check "verifier message names the instruction" grep -q "insn 0: unknown opcode 0xff" <<<"$out"

printf '\x95\x00\x00' >"$T_DIR/odd.bin"
out=$("$run" "$T_DIR/odd.bin" 2>&1)
check "truncated raw file refused" grep -q "not a whole number of instructions" <<<"$out"
check_fails "bad memory hex refused" "$run" "zz" "$T_DIR/ldxw.bin"

check_eq "unwind helper with 0 stops the run with r0 = 0" "$(echo "$unwind" | "$run" 2>/dev/null)" "0"

if jit=$(echo "$ldxw_r1" | "$run" --jit "01 02 03 04" 2>&1); then
	check_eq "--jit gives the interpreter's r0" "$jit" "4030201"
else
	check "--jit without a JIT says so" grep -q -- "--jit: this build has no JIT" <<<"$jit"
fi
finish

#!/usr/bin/env bash
# pluglet-run on ELF objects built by tests/elf: entry selection, local
# calls, .data kept across --repeat runs, both execution modes, and the
# loader's messages reaching the user.
. "$PLUGFS_SRC/tests/lib.sh"

run=$PLUGFS_BUILD/vm/pluglet-run
progs=$PLUGFS_BUILD/tests/elf
[ -x "$run" ] || { echo "FAIL: $run not built" >&2; exit 1; }

# calls_main(0, 0) = mix(mix(0, 0) + 1, 0) = 91 * 31 + 0x5a = 2911
check_eq "local calls (interpreter)" "$("$run" --interpret "$progs/calls.o")" "b5f"
check_eq "local calls (jit)" "$("$run" --jit "$progs/calls.o" 2>/dev/null)" "b5f"
check_eq "entry by name" "$("$run" --entry second "$progs/multi.o")" "3ea"
out=$("$run" "$progs/multi.o" 2>&1)
check_fails "ambiguous entry refused" "$run" "$progs/multi.o"
check "ambiguous entry names both functions" grep -q "'first', 'second'" <<<"$out"
out=$("$run" --entry strings_main "$progs/strings.o" 2>&1)
check "unknown helper named" grep -q "unknown helper 'record_str'" <<<"$out"
# .data counter 41 -> 42 at the first run; --repeat keeps the same program.
first=$("$run" "$progs/data.o")
# MEMHEX and PROGRAM in either order (pluglet-run(1) shows both):
# r0 = *(u8 *)(r1 + 0); exit
printf '\x71\x10\0\0\0\0\0\0\x95\0\0\0\0\0\0\0' >"$T_DIR/load_byte.bin"
check_eq "MEMHEX then PROGRAM" "$("$run" 2a "$T_DIR/load_byte.bin")" "2a"
check_eq "PROGRAM then MEMHEX" "$("$run" "$T_DIR/load_byte.bin" 2a)" "2a"
check_eq "first run sees the initialised .data" "$first" "$(printf '%x' 42000000)"
finish

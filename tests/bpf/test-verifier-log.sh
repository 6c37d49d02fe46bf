#!/usr/bin/env bash
# Verifier messages point at the user's code (docs/plugfs.8, "log"): a
# program the verifier refuses fails `cp` with EINVAL, and the verifier log
# in `log` gives the instruction indexes of the object's own disassembly
# (llvm-objdump -d), not those of the program as loaded after the chain
# rewrite's prologue, with the source line of the instruction it stopped at.
# Once in the program's own section, once in a subprogram in .text.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_cmd llvm-objdump
. "$PLUGFS_SRC/tests/bpf/lib-bpf.sh"

x=$IF/xdp
src=$PLUGFS_SRC/tests/bpf/progs
# first_insn OBJ SECTION PATTERN: index of the first instruction of SECTION
# in OBJ's disassembly whose text matches PATTERN (grep -E)
first_insn() {
	llvm-objdump -d --no-show-raw-insn "$1" |
		awk -v sec="$2" '/^Disassembly of section/ { in_sec = ($4 == sec ":") } in_sec' |
		grep -E "$3" | head -n1 | sed -E 's/^ *([0-9]+):.*/\1/'
}
# src_line FILE TEXT: the number of the first line of FILE holding TEXT
src_line() { grep -nF "$2" "$1" | head -n1 | cut -d: -f1; }
# mark: remember where `log` ends; new_log -E|-F PATTERN: a line written since matches
mark() { n=$(wc -l < "$MNT/log"); }
new_log() { tail -n +"$((n + 1))" "$MNT/log" | grep -q "$1" -- "$2"; }

obj=$PROGS/reject.bpf.o
mark
check_eq "rejected program: EINVAL" "$(errno_of cp "$obj" "$x/10")" "Invalid argument"
idx=$(first_insn "$obj" xdp '= \*\(u8 \*\)\(r1 \+ 20\)')
line=$(src_line "$src/reject.bpf.c" 'data[20] == 1')
say "objdump: the faulting read is instruction $idx of section xdp; source line $line"
check "objdump and the source name it" test -n "$idx" -a -n "$line"
check "log shows the faulting instruction with the object's index ($idx)" \
	new_log -E "warn   $idx: \(71\) r1 = \*\(u8 \*\)\(r1 \+20\)"
check "log says where it stopped, with the source line" new_log -F \
	"the verifier stopped at instruction $idx (xdp_reject+$idx), reject.bpf.c:$line: return data[20] == 1"
check "the rewrite's own instructions are shown as plugfs:N" new_log -E "warn   plugfs:0: \(7b\)"
# A rejection on the hook's first load (which takes a spare chain map made
# ahead) is not mistaken for a spare that does not fit: verified once.
check "a rejection is not taken for a spare that does not fit" bash -c "! tail -n +$((n + 1)) '$MNT/log' | grep -qF 'does not fit'"
check_eq "the verifier ran once" "$(tail -n +"$((n + 1))" "$MNT/log" | grep -c 'the kernel refused program' || true)" 1
check "nothing left" no_leftovers

obj=$PROGS/reject_sub.bpf.o
mark
check_eq "rejected in a subprogram: EINVAL" "$(errno_of cp "$obj" "$x/10")" "Invalid argument"
idx=$(first_insn "$obj" .text '= \*\(u8 \*\)\(r1 \+ 0\)')
peek=$(llvm-objdump -d "$obj" | sed -n 's/^0*\([0-9a-f]*\) <peek>:$/\1/p')
off=$((idx - 0x${peek:-0} / 8))
line=$(src_line "$src/reject_sub.bpf.c" 'return data[off & 63]')
call=$(first_insn "$obj" xdp 'call')
say "objdump: the faulting read is instruction $idx of .text (peek+$off), source line $line;" \
	"the first call is instruction $call of xdp"
check "log shows it as .text:$idx" new_log -E "warn   \.text:$idx: \(71\) r0 = \*\(u8 \*\)\(r1 \+0\)"
check "log says where it stopped" new_log -F \
	"the verifier stopped at instruction .text:$idx (peek+$off), reject_sub.bpf.c:$line: return data[off & 63];"
check "the program's call has its own index" new_log -E "warn   $call: \(85\) call pc\+"
check "nothing left" no_leftovers

finish

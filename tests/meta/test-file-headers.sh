#!/bin/bash
# Fails when a source file does not open with a comment saying what it is for,
# or when a file uses words a reader of the tree cannot resolve (references
# to design notes outside the repository). Offenders are printed as file:line.
# --selftest runs both checks on small files with known answers.
#
# Opening comment, for every .c/.h/.sh under the checked directories:
#   C      within the first 3 lines, after an optional SPDX line (and one blank
#          line), a /* comment with more in it than the SPDX tag;
#   shell  after the #! line (and an optional "# SPDX" line), a # comment line.
# Words, in every text file under the checked directories:
#   "seed" as a word (any case): say what is meant instead ("libubpf's
#          ebpf_injecter", "bpfctl", ...). Fine: "seed corpus"/"seed_corpus"/
#          "seed input", seeding a random generator (the line says rand/rng/
#          random), and anything in a fuzzer (a path with "fuzz" in it), where
#          a seed is an input the fuzzer mutates;
#   "CONTRACT" in capitals, "SPEC §N".
# This script names the words, so it is the one file not read for them.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${PLUGFS_SRC:-$(cd "$here/../.." && pwd)}
DIRS=(common vm injector bpf fs include tests examples scripts)

# shellcheck source=tests/meta/lib-meta.sh
. "$here/lib-meta.sh"

# Prints "file:line: reason" when a C file lacks its opening comment.
check_c_header() {
	local f=$1 i=0 text="" line
	local -a l
	mapfile -t -n 16 l <"$f"
	if [[ "${l[0]:-}" == *SPDX-License-Identifier* ]] &&
	   [[ "${l[0]}" =~ ^// || "${l[0]}" =~ \*/[[:space:]]*$ ]]; then
		i=1
	fi
	if ((i < 2 && i + 1 < ${#l[@]})) && [[ "${l[$i]}" =~ ^[[:space:]]*$ ]]; then
		i=$((i + 1))
	fi
	if [[ ! "${l[$i]:-}" =~ ^[[:space:]]*/\* ]]; then
		echo "$f:$((i + 1)): no opening /* comment saying what the file is for"
		return
	fi
	for ((; i < ${#l[@]}; i++)); do
		line=${l[$i]}
		[[ "$line" == *SPDX-License-Identifier* ]] || text+=" ${line//[\/*]/ }"
		[[ "$line" == *'*/'* ]] && break
	done
	if [[ ! "$text" =~ [A-Za-z]{2} ]]; then
		echo "$f:1: the opening comment is only the SPDX tag; say what the file is for"
	fi
}

# Prints "file:line: reason" when a script lacks its opening comment.
check_sh_header() {
	local f=$1 i=0
	local -a l
	mapfile -t -n 4 l <"$f"
	[[ "${l[0]:-}" == '#!'* ]] && i=1
	[[ "${l[$i]:-}" =~ ^#[[:space:]]*SPDX ]] && i=$((i + 1))
	if [[ ! "${l[$i]:-}" =~ ^#[[:space:]]*[A-Za-z] || "${l[$i]}" =~ ^#[[:space:]]*shellcheck ]]; then
		echo "$f:$((i + 1)): no opening # comment saying what the script is for"
	fi
}

# Prints "file:line: words: text" for each line using a word listed above.
check_words() {
	perl -ne '
		my $l = $_;
		chomp $l;
		my @w;
		unless ($ARGV =~ /fuzz/ || $l =~ /rand|\brng\b/i) {
			(my $s = $l) =~ s/\bseed[ _](?:corpus|inputs?)\b//gi;
			push @w, $1 while $s =~ /((?:\bthe )?\bseed\b(?:\x27s\b)?(?: -?\w+| "\w+")?)/gi;
		}
		push @w, $1 while $l =~ /(\bCONTRACT(?: SECTION)?\b)/g;
		push @w, $1 while $l =~ /(\bSPEC \S*\d)/g;
		if (@w) {
			$l =~ s/^\s+//;
			printf "%s:%d: %s: %s\n", $ARGV, $., join(", ", @w), $l;
		}
		close ARGV if eof;
	' "$@"
}

check_tree() {
	local f out n_files=0
	out=$(cd "$src" && while IFS= read -r f; do
		[ -f "$f" ] || continue
		case "$f" in
		*.c | *.h) check_c_header "$f" ;;
		*.sh) check_sh_header "$f" ;;
		esac
	done < <(meta_files "${DIRS[@]}"))
	mapfile -t files < <(meta_files "${DIRS[@]}" | while IFS= read -r f; do
		[ "$f" != tests/meta/test-file-headers.sh ] && (cd "$src" && grep -Iq . "$f") && echo "$f"
	done)
	n_files=${#files[@]}
	out+=$'\n'$(cd "$src" && check_words "${files[@]}")
	out=$(echo "$out" | sed '/^$/d')
	if [ -n "$out" ]; then
		echo "Files without an opening comment, or with words a reader cannot resolve:"
		echo "$out"
		echo "file headers: $(echo "$out" | wc -l) problem(s) in $n_files files"
		return 1
	fi
	echo "file headers: ok ($n_files files)"
}

# ---- self-test ----

selftest_files() {
	local d=$1 s=se c=CONTR
	mkdir -p "$d/fs" "$d/tests/fuzz" "$d/scripts"
	printf '/* SPDX-License-Identifier: MIT */\n/* The daemon. */\nint x;\n' >"$d/fs/good.c"
	printf '// SPDX-License-Identifier: MIT\n\n/*\n * A program.\n */\n' >"$d/fs/good_blank.c"
	printf '/* SPDX-License-Identifier: MIT\n * Both in one comment.\n */\n' >"$d/fs/good_one.c"
	printf '/*\n * No SPDX line, a comment.\n */\n' >"$d/fs/good_nospdx.h"
	printf '/* SPDX-License-Identifier: MIT */\n#include <stdio.h>\n' >"$d/fs/bad_code.c"
	printf '/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */\n' >"$d/fs/bad_spdx_only.h"
	printf '/*\n * SPDX-License-Identifier: MIT\n */\nint y;\n' >"$d/fs/bad_spdx_block.c"
	printf '\n\n\n/* too late */\n' >"$d/fs/bad_late.c"
	printf '#!/bin/bash\n# Runs things.\nset -u\n' >"$d/scripts/good.sh"
	printf '# Helpers to source.\nx=1\n' >"$d/scripts/good_lib.sh"
	printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\n# Does a thing.\n' >"$d/scripts/good_spdx.sh"
	printf '#!/bin/bash\nset -u\n' >"$d/scripts/bad.sh"
	printf '#!/bin/bash\n# shellcheck disable=SC2034\nx=1\n' >"$d/scripts/bad_directive.sh"
	{
		printf '# A note.\n'
		printf '# as in %sed 000, here\n' "$s"
		printf '# in the %sed'\''s order\n' "$s"
		printf '# the %sed corpus and %sed_corpus are fine\n' "$s" "$s"
		printf '# srand(%sed) is fine\n' "$s"
		printf '# %sACT between two parts\n' "$c"
		printf '# %sed -s option\n' "$s"
		printf '# %seded runs and %seds are fine\n' "$s" "$s"
	} >"$d/scripts/words.sh"
	printf '/* A fuzzer. */\nstruct %sed { int x; };\n' "$s" >"$d/tests/fuzz/fuzz_x.c"
}

selftest() {
	local got want rc=0 s=se c=CONTR
	dir=$(mktemp -d /tmp/plugfs-headers.XXXXXX)
	trap 'rm -rf "$dir"' EXIT
	selftest_files "$dir"
	want="fs/bad_code.c:2: no opening /* comment saying what the file is for
fs/bad_late.c:2: no opening /* comment saying what the file is for
fs/bad_spdx_block.c:1: the opening comment is only the SPDX tag; say what the file is for
fs/bad_spdx_only.h:2: no opening /* comment saying what the file is for
scripts/bad.sh:2: no opening # comment saying what the script is for
scripts/bad_directive.sh:2: no opening # comment saying what the script is for
scripts/words.sh:2: ${s}ed 000: # as in ${s}ed 000, here
scripts/words.sh:3: the ${s}ed's order: # in the ${s}ed's order
scripts/words.sh:6: ${c}ACT: # ${c}ACT between two parts
scripts/words.sh:7: ${s}ed -s: # ${s}ed -s option"
	got=$(PLUGFS_SRC=$dir bash "$0" | grep -v '^Files without\|^file headers:' | LC_ALL=C sort)
	expect_output "headers and words on good and bad files" "$want" "$got" || rc=1
	if PLUGFS_SRC=$dir bash "$0" >/dev/null; then
		echo "not ok - the check fails on offenders"
		rc=1
	else
		echo "ok - the check fails on offenders"
	fi
	rm -f "$dir"/fs/bad* "$dir"/scripts/bad* "$dir"/scripts/words.sh
	if got=$(PLUGFS_SRC=$dir bash "$0"); then
		echo "ok - the check passes on good files"
	else
		echo "not ok - the check passes on good files"
		echo "$got" | sed 's/^/  /'
		rc=1
	fi
	return $rc
}

case "${1:-}" in
--selftest) selftest ;;
"") check_tree ;;
*) echo "usage: $0 [--selftest]" >&2; exit 2 ;;
esac

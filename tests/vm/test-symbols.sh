#!/usr/bin/env bash
# libpluglet.so exports exactly the public API: every dynamic symbol it
# defines is declared by a public header of include/pluglet/, and every
# function or variable those headers declare is in the .so. pluglet.h is
# left out: it is what pluglets (BPF programs) include, and its externs are
# helpers a host resolves, not library symbols.
#   test-symbols.sh [LIBPLUGLET_SO]
. "$PLUGFS_SRC/tests/lib.sh"

so=${1:-$PLUGFS_BUILD/vm/libpluglet.so}
[ -f "$so" ] || { echo "FAIL: $so not built" >&2; exit 1; }
need_cmd nm

# Top-level declarations, as written in these headers: a return type, then
# the name and '(' (functions) or '[' (arrays), first line only.
declared=$(cat "$PLUGFS_SRC"/include/pluglet/{vm,host,anchor}.h |
	grep -vE '^(static|typedef|struct [a-z_]+ \{|#)' |
	grep -oE '^(extern )?[a-z][a-z0-9_ ]*[ *]+[a-z_0-9]+[([]' |
	grep -oE '[a-z_0-9]+[([]$' | tr -d '([' | sort -u)
# Every defined dynamic symbol, a version node included (there must be none).
exported=$(nm -D --defined-only "$so" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u)

check "the headers declare some API" test "$(wc -l <<<"$declared")" -gt 30
while read -r s; do
	[ -n "$s" ] && fail "$so exports $s, which no public header declares"
done < <(comm -13 <(echo "$declared") <(echo "$exported"))
while read -r s; do
	[ -n "$s" ] && fail "public header declares $s, missing from $so"
done < <(comm -23 <(echo "$declared") <(echo "$exported"))
check_eq "exported symbols are the declared ones" "$(wc -l <<<"$exported")" "$(wc -l <<<"$declared")"
finish

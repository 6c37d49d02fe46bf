#!/usr/bin/env bash
# The files of bpf/ call each other only downwards in the order listed at the
# top of bpf/engine_internal.h (so there is no circle of calls): the calls
# are read from the symbols of the built objects. Prints the edges.
#   check-layers.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
src=$1 build=$2
order=$(sed -n 's/^ \*   \([a-z_]*\.c\) .*/\1/p' "$src/bpf/engine_internal.h")
[ -n "$order" ] || { echo "FAIL: no file list in bpf/engine_internal.h"; exit 1; }
rank() { echo "$order" | grep -nx "$1" | cut -d: -f1; }

declare -A def
objs=$(ls "$build"/bpf/libplugfs_bpf.a.p/*.c.o "$build"/bpf/libplugfs_bpf_rewrite.a.p/*.c.o |
	grep -v '_obj\.c\.o$')
for o in $objs; do
	f=$(basename "$o" .o)
	for s in $(nm --defined-only -g "$o" | awk '{print $3}'); do def[$s]=$f; done
done
fail=0
for o in $objs; do
	f=$(basename "$o" .o)
	[ -n "$(rank "$f")" ] || { echo "FAIL: $f is not in the list of bpf/engine_internal.h"; fail=1; continue; }
	callees=$(for s in $(nm -u "$o" | awk '{print $2}'); do
		c=${def[$s]:-}
		if [ -n "$c" ] && [ "$c" != "$f" ]; then echo "$c"; fi
	done | sort -u | tr '\n' ' ')
	echo "$f -> ${callees:-(nothing in bpf/)}"
	for c in $callees; do
		if [ "$(rank "$c")" -ge "$(rank "$f")" ]; then
			echo "FAIL: $f calls $c, which is not above it"
			fail=1
		fi
	done
done
exit $fail

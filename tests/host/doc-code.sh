#!/usr/bin/env bash
# The host code of libubpf's "Pluginize C functions" document, compiled as
# the document writes it and run against libpluglet: find_idx() behind
# VM_CALL (no `;` after it), process_packet() and the MED decision behind
# CALL_REPLACE_ONLY, and the helper int add_route(context_t *ctx, ...)
# registered with PLUGLET_HELPER(). The document is read where it lies,
# ../shared/seeds/ beside the source (or $PLUGLET_API_DOC); it is never
# copied into the tree. The code blocks are cut out of it at test time.
#
# Three places of the document are not C whatever a header defines, and
# are corrected here, each only if it is still exactly as below (else the
# test fails, so that a changed document is looked at again):
#   - find_idx: the bpf_args_t array's initializer has no `;` before VM_CALL;
#   - add_route: `struct *route` (the parameter's type lacks its tag);
#   - add_route: args[i] with no i (the text around it means args[1]).
# Everything else, the VM_CALL/CALL_REPLACE_ONLY forms included, is compiled
# as written, with doc_prelude.h for the names the document leaves undefined.
#   doc-code.sh CC...   (the C compiler command, from meson)
. "$PLUGFS_SRC/tests/lib.sh"

[ $# -ge 1 ] || { echo "usage: doc-code.sh CC..." >&2; exit 2; }
CC=("$@")
doc=${PLUGLET_API_DOC:-$PLUGFS_SRC/../shared/seeds/001_b8c96d33f984ad5a.txt}
[ -f "$doc" ] || skip "no $doc: the libubpf API document lives beside the source tree (../shared), not in it"
HOST_OBJ=$PLUGFS_BUILD/tests/host
EX_OBJ=$PLUGFS_BUILD/examples/pluglets
LIB=$PLUGFS_BUILD/vm
for f in "$HOST_OBJ/doc_add_route.o" "$EX_OBJ/replace_find_idx.o" "$LIB/libpluglet.so"; do
	[ -f "$f" ] || { echo "FAIL: $f not built" >&2; exit 1; }
done

# Every `.. code-block:: c` of the document, dedented, into $T_DIR/block-NN.c.
awk -v out="$T_DIR" '
/^[ \t]*\.\. code-block:: c[ \t]*$/ { match($0, /^[ \t]*/); ind = RLENGTH; inb = 1; n++; first = -1; next }
inb {
	if ($0 ~ /^[ \t]*$/) { if (first >= 0) buf[n] = buf[n] "\n"; next }
	match($0, /^[ \t]*/)
	if (RLENGTH <= ind) { inb = 0; next }
	if (first < 0) first = RLENGTH
	buf[n] = buf[n] substr($0, first + 1) "\n"
}
END { for (i = 1; i <= n; i++) printf "%s", buf[i] > sprintf("%s/block-%02d.c", out, i) }
' "$doc"
check "the document has code blocks" test -f "$T_DIR/block-01.c"

# block PATTERN: the one block containing PATTERN (fixed string)
block() {
	local m
	m=$(grep -lF -- "$1" "$T_DIR"/block-*.c 2>/dev/null)
	[ "$(wc -w <<<"$m")" = 1 ] || { echo "FAIL: the document has $(wc -w <<<"$m") blocks with '$1'" >&2; exit 1; }
	echo "$m"
}
# fix FILE OLD NEW: OLD (which is not C) must be in FILE exactly once
fix() {
	local text n
	n=$(grep -cF -- "$2" "$1")
	check_eq "the document still writes '$2' once" "$n" 1
	text=$(<"$1")
	printf '%s\n' "${text/"$2"/$3}" >"$1"
}

FIND_IDX=$(block 'VM_CALL(1, args, 3, {')
PROCESS=$(block 'int process_packet(')
ADD_ROUTE=$(block 'int add_route(context_t *ctx')
MED=$(block 'CALL_REPLACE_ONLY(BGP_MED_DECISION')
check "find_idx has no ';' after VM_CALL(...)" grep -qx '  })' "$FIND_IDX"
check "process_packet has no ';' after CALL_REPLACE_ONLY(...)" grep -qx '    })' "$PROCESS"
check "the MED example has no ';' after CALL_REPLACE_ONLY(...)" grep -qx '})' "$MED"

fix "$FIND_IDX" '  VM_CALL(1, args, 3, {' '  ;VM_CALL(1, args, 3, {'
fix "$ADD_ROUTE" 'struct *route)' 'struct route *route)'
fix "$ADD_ROUTE" 'fargs->args[i].arg' 'fargs->args[1].arg'

# unit NAME: doc_prelude.h, then the block as the document writes it
unit() { printf '#include "doc_prelude.h"\n#line 1 "%s"\n' "$1"; cat "$2"; }
unit find_idx "$FIND_IDX" >"$T_DIR/find_idx.c"
unit process_packet "$PROCESS" >"$T_DIR/process_packet.c"
{
	unit add_route "$ADD_ROUTE"
	echo 'PLUGLET_HELPER(add_route, struct route *)'
	echo 'const struct pluglet_helper_def doc_add_route = PLUGLET_HELPER_DEF(add_route);'
} >"$T_DIR/add_route.c"
# The MED example is a function, then statements: those go into a function.
{
	unit med "$MED" | awk '{ print } /^}$/ { exit }'
	echo 'int doc_med_decision(rte *new, rte *old, struct bgp_proto *new_bgp, struct bgp_proto *old_bgp)'
	echo '{'
	echo '	eattr *x, *y;'
	echo '	u32 n, o;'
	awk 'f { print } /^}$/ { f = 1 }' "$MED"
	echo '	return -1;'
	echo '}'
} >"$T_DIR/med.c"

# -Wno-return-type: the document's process_packet() and add_route() may end
# without a return.
CFLAGS=(-std=gnu11 -O2 -Wall -Werror -Wno-return-type -I"$PLUGFS_SRC/include" -I"$PLUGFS_SRC/tests/host")
objs=()
for u in find_idx process_packet add_route med; do
	if "${CC[@]}" "${CFLAGS[@]}" -c "$T_DIR/$u.c" -o "$T_DIR/$u.o" 2>"$T_DIR/$u.err"; then
		pass "the document's $u compiles"
		objs+=("$T_DIR/$u.o")
	else
		fail "the document's $u compiles: $(head -c 600 "$T_DIR/$u.err")"
	fi
done
[ "${#objs[@]}" = 4 ] || finish

check "the driver links with them" "${CC[@]}" "${CFLAGS[@]}" "$PLUGFS_SRC/tests/host/doc_driver.c" \
	"${objs[@]}" -L"$LIB" -Wl,-rpath,"$LIB" -lpluglet -o "$T_DIR/doc_driver"
cat >"$T_DIR/doc.ini" <<EOF
[faster_find_idx]
plugin = find_idx
anchor = replace
seq = 1
object = $EX_OBJ/replace_find_idx.o
[route_adder]
plugin = decode_attr
anchor = replace
seq = 1
object = $HOST_OBJ/doc_add_route.o
EOF
if [ -x "$T_DIR/doc_driver" ]; then
	"$T_DIR/doc_driver" "$T_DIR/doc.ini" >"$T_DIR/run.out" 2>&1
	cat "$T_DIR/run.out"
	check "the document's code runs with and without pluglets" grep -q '^ok - the route is' "$T_DIR/run.out"
	check_fails "no check of the run failed" grep -q '^not ok' "$T_DIR/run.out"
fi
finish

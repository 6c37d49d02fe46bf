#!/usr/bin/env bash
# Who may change the mount (plugfs(8), PERMISSIONS). The daemon checks the
# modes it reports itself (no default_permissions): a user who is neither
# root nor in [access] write_group reads everything and changes nothing (cp,
# rm, mv, mkdir, truncate, touch: EACCES; chmod: EPERM; nothing changed);
# a member of write_group, by its group or a supplementary one, may cp, mv
# and rm; access(2) (`test -w`) says the same.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_root; need_fuse; need_bpffs; need_cmd setpriv
OBJ=$PLUGFS_BUILD/tests/tracing/tp_getpid.bpf.o
[ -f "$OBJ" ] || { echo "FAIL: $OBJ not built" >&2; exit 1; }

# A group id nobody has here: the write group.
WG=$((40000 + T_ID % 20000))
while getent group "$WG" >/dev/null; do WG=$((WG + 1)); done
printf '[access]\nwrite_group = %s\n' "$WG" >"$T_DIR/plugfs.ini"
chmod 755 "$T_DIR"	# others reach the mount point and the object
cp "$OBJ" "$T_DIR/obj.o"
chmod 644 "$T_DIR/obj.o"
start_plugfs --config "$T_DIR/plugfs.ini"
T=$MNT/tracing
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
MEMBER=(setpriv --reuid=65534 --regid="$WG" --clear-groups)
SUPP=(setpriv --reuid=65534 --regid=65534 --groups="$WG")

check "the mount has no default_permissions" \
	bash -c "! grep -F ' $MNT ' /proc/mounts | grep -q default_permissions"
check "root: cp" cp "$OBJ" "$T/mine"

# refused DESC MESSAGE CMD...: CMD as nobody fails with MESSAGE
refused() {
	local d=$1 want=$2 out
	shift 2
	if out=$("${NOBODY[@]}" "$@" 2>&1); then
		fail "$d: it succeeded"
	elif [[ $out == *"$want"* ]]; then
		pass "$d"
	else
		fail "$d: '$out', want '$want'"
	fi
}
say "nobody changes nothing"
refused "cp of a new name: EACCES" "Permission denied" cp "$T_DIR/obj.o" "$T/x"
check_fails "  and no name is left" test -e "$T/x"
refused "cp over an entry: EACCES" "Permission denied" cp "$T_DIR/obj.o" "$T/mine"
refused "rm: EACCES" "Permission denied" rm -f "$T/mine"
refused "mv: EACCES" "Permission denied" mv "$T/mine" "$T/moved"
refused "mkdir: EACCES" "Permission denied" mkdir "$MNT/plugins/p$T_ID"
refused "truncate: EACCES" "Permission denied" truncate -s 0 "$T/mine"
refused "touch: EACCES" "Permission denied" touch "$T/mine"
refused "chmod: EPERM" "Operation not permitted" chmod 600 "$T/mine"
refused "rm of log: EACCES" "Permission denied" rm -f "$MNT/log"
check_fails "test -w of an entry is false" "${NOBODY[@]}" test -w "$T/mine"
check_fails "test -w of tracing/ is false" "${NOBODY[@]}" test -w "$T"
check "the entry is still there, loaded" grep -q "^Name: mine" "$T/mine"
check_eq "tracing/ holds only it" "$(ls "$T")" "mine"

say "nobody reads what it read before"
check "ls of the tree" "${NOBODY[@]}" ls "$MNT" "$T" "$MNT/maps" "$MNT/ifaces"
check "cat of an entry" bash -c "${NOBODY[*]} cat '$T/mine' | grep -q '^Name: mine'"
check "cat of its JSON view" bash -c "${NOBODY[*]} cat '$T/mine.json' | grep -q '\"name\"'"
check "cat of the log" bash -c "${NOBODY[*]} cat '$MNT/log' | grep -q 'started'"
check "test -r of an entry" "${NOBODY[@]}" test -r "$T/mine"

say "write_group members change what root may"
check "by their group: cp" "${MEMBER[@]}" cp "$T_DIR/obj.o" "$T/m1"
check "  it is loaded" grep -q "^Name: m1" "$T/m1"
check "  mv" "${MEMBER[@]}" mv "$T/m1" "$T/m2"
check "by a supplementary group: test -w" "${SUPP[@]}" test -w "$T/m2"
check "  rm" "${SUPP[@]}" rm "$T/m2"
check_fails "  it is gone" test -e "$T/m2"
check_fails "but not the log: test -w" "${SUPP[@]}" test -w "$MNT/log"
finish

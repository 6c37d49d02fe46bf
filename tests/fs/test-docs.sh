#!/usr/bin/env bash
# Documentation stays in step with the code: every man page renders without
# warnings, every option of `--help` and every config/manifest key the code
# parses appears in the man page.
. "${PLUGFS_SRC:?}/tests/lib.sh"
need_cmd groff

for page in "$PLUGFS_SRC"/docs/*.[18]; do
	out=$(groff -ww -z -man "$page" 2>&1)
	check_eq "$(basename "$page") renders without warnings" "$out" ""
done

# Long options of plugfs --help.
man8=$(groff -man -Tutf8 "$PLUGFS_SRC/docs/plugfs.8" 2>/dev/null | sed 's/.\x08//g')
for opt in $("$PLUGFS_BUILD/fs/plugfs" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	check "plugfs(8) documents $opt" grep -qF -- "$opt" <<<"$man8"
done
for opt in $("$PLUGFS_BUILD/fs/plugfs" --help | grep -oE -- '^  -[a-zA-Z]' | sort -u); do
	check "plugfs(8) documents ${opt# }" grep -qE -- "${opt# }" <<<"$man8"
done

# Config keys: the strcmp(key, "...") of fs/daemon_config.c's handlers.
keys=$(grep -oE 'strcmp\(key, "[a-z_]+"\)' "$PLUGFS_SRC/fs/daemon_config.c" | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
check "config keys found in fs/daemon_config.c" test -n "$keys"
for key in $keys; do
	check "plugfs(8) documents config key $key" grep -qw -- "$key" <<<"$man8"
done
# Manifest keys: fs/manifest.c's handler.
for key in $(grep -oE 'str(n)?cmp\(name, "[a-z_.]+"' "$PLUGFS_SRC/fs/manifest.c" | grep -oE '"[a-z_.]+"' | tr -d '"' | sort -u); do
	check "plugfs(8) documents manifest key $key" grep -qF -- "$key" <<<"$man8"
done
# Errnos the tree returns: every -EXXX of fs/*.c is explained.
for e in $(grep -ohE -- '-E[A-Z]+' "$PLUGFS_SRC"/fs/*.c | tr -d - | sort -u); do
	case $e in ENOMEM|ESTALE|ENOTDIR|EISDIR|EIO|E2BIG|ENAMETOOLONG|EBADF|ENOTEMPTY|EPROTO) continue ;; esac
	check "plugfs(8) explains $e" grep -qw -- "$e" <<<"$man8"
done

finish

# Shared by the tree checks of tests/meta (sourced): which files they read,
# and how a self-test compares what a check printed with what it should.
# The caller sets src, the root of the tree to read.
# shellcheck shell=bash disable=SC2154

# meta_files DIR...: the files under $src/DIR... that git knows (committed or
# new and not ignored), or all of them outside git; relative to $src.
meta_files() {
	{
		if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
			git -C "$src" ls-files --cached --others --exclude-standard -- "$@"
		else
			(cd "$src" && find "$@" -type f 2>/dev/null)
		fi
	} | LC_ALL=C sort -u | (cd "$src" && while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done)
}

# expect_output NAME WANT GOT: "ok - NAME"; or "not ok - NAME", the
# difference, and status 1.
expect_output() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
		return 0
	fi
	echo "not ok - $1"
	diff <(echo "$2") <(echo "$3") | sed 's/^/  /'
	return 1
}

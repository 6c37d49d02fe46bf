#!/usr/bin/env bash
# Runs every bpf_conformance *.data file through pluglet-run in one mode.
#   run-conformance.sh PLUGLET_RUN MODE [FILTER]
# MODE is a pluglet-run option (--interpret, --jit). FILTER is a glob on the
# file name (default *). The files are read in place from $CONFORMANCE_DIR.
# A file passes when pluglet-run prints the `result` value (or fails when
# the file has an `error` section). Prints one line per failure and a
# summary; exits non-zero when any file fails or no file was found.
set -u
run=${1:?usage: run-conformance.sh PLUGLET_RUN MODE [FILTER]}
mode=${2:?usage: run-conformance.sh PLUGLET_RUN MODE [FILTER]}
filter=${3:-*}
dir=${CONFORMANCE_DIR:?CONFORMANCE_DIR is not set}

if [ ! -d "$dir" ]; then
	# shellcheck source=tests/lib.sh
	. "${PLUGFS_SRC:?PLUGFS_SRC is not set}/tests/lib.sh"
	skip "no bpf_conformance suite at $(realpath -m "$dir"); to run it, pass its tests directory to meson: meson configure build -Dconformance_dir=DIR (the VM's own vectors, tests/isa, run without it)"
fi

# Prints three lines for a .data file: program hex bytes, memory hex bytes,
# expected result; then "error" when the file expects a failure.
parse() {
	awk '
	function le_bytes(w,    h, out, i) {
		sub(/^0[xX]/, "", w)
		h = w
		while (length(h) < 16) h = "0" h
		out = ""
		for (i = 15; i >= 1; i -= 2) out = out substr(h, i, 2) " "
		return out
	}
	/^--/ { sec = $2; next }
	{ sub(/#.*/, "") }
	/^[ \t]*$/ { next }
	sec == "raw" { prog = prog le_bytes($1) }
	sec == "mem" { mem = mem $0 " " }
	sec == "result" && res == "" { res = $1 }
	sec == "error" { err = 1 }
	END {
		print prog
		print mem
		print res
		if (err) print "error"
	}' "$1"
}

# "0x1f" or "31" -> "1f" (bash arithmetic wraps to 64 bits like r0)
norm() { printf '%x' "$(($1))"; }

pass=0
fail=0
total=0
shopt -s nullglob
for f in "$dir"/$filter.data; do
	name=$(basename "$f" .data)
	total=$((total + 1))
	{ read -r prog; read -r mem; read -r want; read -r expect_err; } < <(parse "$f")
	out=$(printf '%s\n' "$prog" | "$run" "$mode" "$mem" 2>&1)
	rc=$?
	if [ "${expect_err:-}" = "error" ]; then
		if [ $rc -ne 0 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "not ok - $name: expected an error, got r0=$out"
		fi
		continue
	fi
	if [ $rc -ne 0 ]; then
		fail=$((fail + 1))
		echo "not ok - $name: exit $rc: $out"
	elif [ "$(norm "0x$out")" != "$(norm "$want")" ]; then
		fail=$((fail + 1))
		echo "not ok - $name: r0=0x$out, want $want"
	else
		pass=$((pass + 1))
	fi
done
echo "conformance ($mode): $pass passed, $fail failed, $total files in $dir"
[ "$total" -gt 0 ] && [ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD/tests/fuzz for FUZZ_SECONDS each,
# starting from the committed inputs of tests/fuzz/corpus/<target>/ (read
# only: new inputs go to a temporary directory). A crash, leak or sanitizer
# report fails the run: the targets are built with -fno-sanitize-recover=all.
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR}
secs=${FUZZ_SECONDS:-60}
committed=$(cd "$(dirname "$0")" && pwd)/corpus
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz-*)
ran=0
work=
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	work=$(mktemp -d)
	dirs=("$work")
	[ -d "$committed/$name" ] && dirs+=("$committed/$name")
	echo "fuzz: $name for ${secs}s (${#dirs[@]} corpus dir(s))"
	# the input of a finding is written next to the log, not in the cwd
	"$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$build/$name-" \
		"${dirs[@]}" 2>"$build/$name.log" || {
		tail -n 60 "$build/$name.log"
		echo "fuzz: $name FAILED (its input: $build/$name-crash-* or -leak-*, -timeout-*)"
		exit 1
	}
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$name.log" || true
	rm -rf "$work"
	ran=$((ran + 1))
done
echo "fuzz: $ran target(s), 0 crashes"

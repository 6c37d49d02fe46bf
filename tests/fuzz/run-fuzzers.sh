#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD/tests/fuzz for FUZZ_SECONDS each.
# A crash, leak or sanitizer report fails the run.
set -euo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR}
secs=${FUZZ_SECONDS:-60}
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz-*)
ran=0
for t in "${targets[@]}"; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	corpus=$(mktemp -d)
	trap 'rm -rf "$corpus"' EXIT
	echo "fuzz: $name for ${secs}s"
	"$t" -max_total_time="$secs" -print_final_stats=1 "$corpus" 2>"$build/$name.log" || {
		tail -n 60 "$build/$name.log"
		echo "fuzz: $name FAILED"
		exit 1
	}
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$name.log" || true
	rm -rf "$corpus"
	ran=$((ran + 1))
done
echo "fuzz: $ran target(s), 0 crashes"

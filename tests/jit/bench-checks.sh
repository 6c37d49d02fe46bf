#!/usr/bin/env bash
# What the JIT's memory checks cost: runs bench_vm's JIT mode with the
# normal JIT and with the benchmark-only variant built without checks,
# interleaved (A B, five times) so that machine load hits both alike, and prints
# per program the best ns/run of each and their ratio, then the geomean.
#   bench-checks.sh BENCH_VM BENCH_VM_NOCHECKS [runs]
set -euo pipefail
with=${1:?usage: bench-checks.sh BENCH_VM BENCH_VM_NOCHECKS [runs]}
without=${2:?usage: bench-checks.sh BENCH_VM BENCH_VM_NOCHECKS [runs]}
runs=${3:-31}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in 1 2 3 4 5; do
	"$with" jit "$runs" >"$out/with.$round"
	"$without" jit "$runs" >"$out/without.$round"
done
if grep -q 'n/a' "$out/with.1"; then
	echo "jit: n/a"
	exit 0
fi
# Rows of bench_vm: program, vm ns/run, insns, ns/insn, native ns, vm/native.
awk '
FNR == 1 { side = (FILENAME ~ /without/) ? "off" : "on" }
$2 ~ /^[0-9]+$/ && NF == 6 {
	if (!(($1, side) in best) || $2 < best[$1, side]) best[$1, side] = $2
	if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 }
}
END {
	printf "%-14s %14s %14s %8s\n", "program", "checks ns/run", "no-checks ns", "ratio"
	for (i = 0; i < n; i++) {
		p = order[i]; r = best[p, "on"] / best[p, "off"]
		printf "%-14s %14d %14d %8.2f\n", p, best[p, "on"], best[p, "off"], r
		s += log(r)
	}
	printf "geomean checks/no-checks: %.2f (target <= 1.1)\n", exp(s / n)
}' "$out"/with.* "$out"/without.*

#!/usr/bin/env bash
# The JIT against native code, with and without its memory checks, and the
# interpreter, in one run: bench_vm's JIT mode with the normal JIT, with the
# benchmark-only variant built without checks, and bench_vm's interpreter
# mode, interleaved (five rounds) so that machine load hits all alike. Per
# program: each side's best ns/run, the fastest native time of the rounds,
# each side against it, and what the checks cost (checks on / off); then
# the geometric means.
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
	"$with" interp 5 >"$out/interp.$round"
done
if grep -q 'n/a' "$out/with.1"; then
	echo "jit: n/a"
	exit 0
fi
# Rows of bench_vm: program, vm ns/run, insns, ns/insn, native ns, vm/native.
awk '
FNR == 1 { side = FILENAME ~ /without/ ? "off" : FILENAME ~ /interp/ ? "int" : "on" }
$2 ~ /^[0-9]+$/ && NF == 6 {
	if (!(($1, side) in best) || $2 < best[$1, side]) best[$1, side] = $2
	if (!($1 in nat) || $5 < nat[$1]) nat[$1] = $5
	if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 }
}
END {
	printf "%-14s %10s %10s %10s %10s %8s %8s %8s %8s\n", "program", "jit ns", "no-chk ns",
	       "interp ns", "native ns", "jit/nat", "nochk/nat", "int/nat", "checks"
	for (i = 0; i < n; i++) {
		p = order[i]
		a = best[p, "on"] / nat[p]; b = best[p, "off"] / nat[p]
		c = best[p, "int"] / nat[p]; r = best[p, "on"] / best[p, "off"]
		printf "%-14s %10d %10d %10d %10d %8.2f %8.2f %8.1f %8.2f\n", p, best[p, "on"],
		       best[p, "off"], best[p, "int"], nat[p], a, b, c, r
		sa += log(a); sb += log(b); sc += log(c); s += log(r)
	}
	printf "geomean: JIT/native %.2f (target <= 1.6), no checks/native %.2f, interpreter/native %.1f\n",
	       exp(sa / n), exp(sb / n), exp(sc / n)
	printf "geomean checks/no-checks: %.2f (target <= 1.1)\n", exp(s / n)
}' "$out"/with.* "$out"/without.* "$out"/interp.*

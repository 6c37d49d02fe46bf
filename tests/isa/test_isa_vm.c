/* SPDX-License-Identifier: MIT */
/*
 * Unit test: every instruction-set test vector of tests/isa/vectors.isa in
 * one VM mode, against the result or fault the vector expects.
 *   test_isa_vm VECTORS interp|jit
 * Prints one line per vector that fails and a summary; exits 1 on any
 * failure. It first checks that a wrong expectation is caught, so a runner
 * that compared nothing could not pass.
 */
#include <stdio.h>
#include <string.h>

#include "isa_vm.h"

/* The checker must reject a changed expectation of each kind. */
static int check_checker(const struct isa_set *set, enum pluglet_vm_mode mode)
{
	bool seen_result = false, seen_fault = false;
	char why[512];
	unsigned i;

	for (i = 0; i < set->n && !(seen_result && seen_fault); i++) {
		struct isa_vector wrong = set->v[i];

		if (wrong.is_fault ? seen_fault : seen_result)
			continue;
		if (wrong.is_fault)
			snprintf(wrong.fault, sizeof(wrong.fault), "%s",
				 strcmp(wrong.fault, "budget") ? "budget" : "oob-load");
		else
			wrong.result ^= 1;
		if (isa_vm__check(&wrong, mode, why, sizeof(why))) {
			printf("not ok - %s with a changed expectation still passes\n", wrong.name);
			return 1;
		}
		*(wrong.is_fault ? &seen_fault : &seen_result) = true;
	}
	if (!seen_result || !seen_fault) {
		printf("not ok - the vectors need at least one result and one fault\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum pluglet_vm_mode mode;
	unsigned i, failed = 0, faults = 0;
	int checker;
	struct isa_set set;
	char err[512];

	if (argc != 3 || (strcmp(argv[2], "interp") && strcmp(argv[2], "jit"))) {
		fprintf(stderr, "usage: %s VECTORS interp|jit\n", argv[0]);
		return 2;
	}
	mode = strcmp(argv[2], "jit") ? PLUGLET_VM_INTERP : PLUGLET_VM_JIT;
	if (isa_set__load(&set, argv[1], err, sizeof(err))) {
		printf("not ok - %s\n", err);
		return 1;
	}
	checker = check_checker(&set, mode);
	for (i = 0; i < set.n; i++) {
		const struct isa_vector *v = &set.v[i];

		faults += v->is_fault;
		if (!isa_vm__check(v, mode, err, sizeof(err))) {
			printf("not ok - %s (line %u): %s\n", v->name, v->line, err);
			failed++;
		}
	}
	printf("isa (%s): %u vectors (%u results, %u faults), %u passed, %u failed\n", argv[2],
	       set.n, set.n - faults, faults, set.n - failed, failed);
	isa_set__free(&set);
	return failed || checker ? 1 : 0;
}

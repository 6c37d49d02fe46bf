/* SPDX-License-Identifier: MIT */
/*
 * The kinds of fault that end a pluglet run, and their names. Shared by
 * the VM (<pluglet/vm.h>) and the control protocol (injector/), which
 * carries per-kind counts in a host's status and names them in texts.
 */
#ifndef PLUGLET_FAULT_H
#define PLUGLET_FAULT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Values travel on the control channel: never renumber, only append. */
enum pluglet_fault_kind {
	PLUGLET_FAULT_NONE = 0,
	PLUGLET_FAULT_OOB_LOAD,		/* load outside every region */
	PLUGLET_FAULT_OOB_STORE,	/* store outside every region */
	PLUGLET_FAULT_READONLY,		/* store into a region without WRITE */
	PLUGLET_FAULT_STACK_OVERFLOW,	/* local calls nested deeper than allowed */
	PLUGLET_FAULT_BUDGET,		/* instruction budget exhausted */
	PLUGLET_FAULT_BAD_HELPER,	/* call of a helper id with no function */
	PLUGLET_FAULT_HELPER,		/* a helper reported misuse (bad pointer, ...) */
	PLUGLET_FAULT_BAD_CALLX,	/* callx target is not a valid helper */
	PLUGLET_FAULT_ABORTED,		/* a helper ended the run on purpose (unwind, next()) */
	PLUGLET_FAULT__MAX,
};

/* Name of a fault kind ("oob-load", "budget", ...; "unknown" past the end).
 * Inline so that the protocol library names kinds without the VM. */
static inline const char *pluglet_fault_kind_name(unsigned int kind)
{
	static const char *const names[PLUGLET_FAULT__MAX] = {
		"none", "oob-load", "oob-store", "readonly", "stack-overflow",
		"budget", "bad-helper", "helper", "bad-callx", "aborted",
	};

	return kind < PLUGLET_FAULT__MAX ? names[kind] : "unknown";
}

#ifdef __cplusplus
}
#endif

#endif /* PLUGLET_FAULT_H */

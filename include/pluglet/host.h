/* SPDX-License-Identifier: MIT */
/*
 * What a pluginized host program includes (seed "Pluginize C functions").
 *
 * CONTRACT SECTION (fixed, used by the control channel and the daemon):
 * the pluglet_host__add/replace/remove/remove_plugin/report functions and
 * enum pluglet_anchor below. The rest of this header (bpf_args_t, VM_CALL
 * family, init options, helpers) belongs to the host runtime.
 */
#ifndef PLUGLET_HOST_H
#define PLUGLET_HOST_H

#include <pluglet/vm.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pluglet_anchor {
	PLUGLET_ANCHOR_PRE = 0,
	PLUGLET_ANCHOR_REPLACE = 1,
	PLUGLET_ANCHOR_POST = 2,
	PLUGLET_ANCHOR__MAX,
};

/* "pre", "replace", "post" <-> enum; parse returns -EINVAL for others. */
const char *pluglet_anchor_str(enum pluglet_anchor a);
int pluglet_anchor_parse(const char *s);

struct pluglet_host;

struct pluglet_inject_opts {
	size_t sz;			/* sizeof(struct pluglet_inject_opts) */
	bool jit;			/* seed -j */
	uint32_t extra_mem;		/* seed -e: private memory for ctx_malloc, bytes */
	uint32_t shared_mem;		/* seed -s: plugin shared memory, bytes */
	const char *entry;		/* function in the object; NULL: the only global one */
};

/*
 * Programmatic management of pluglets (control channel, tests).
 * All return 0 or -errno and write a human readable reason into err:
 * -ENOENT unknown plugin (not registered by this host) or no such pluglet,
 * -EEXIST seq already used / REPLACE already taken, -EINVAL bad object or
 * verifier rejection (message names the instruction index), -ENOMEM.
 * Safe to call while other threads run the insertion points.
 */
int pluglet_host__add(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
		      uint32_t seq, const void *obj, size_t len,
		      const struct pluglet_inject_opts *opts, char *err, size_t err_size);
int pluglet_host__replace(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			  uint32_t seq, const void *obj, size_t len,
			  const struct pluglet_inject_opts *opts, char *err, size_t err_size);
int pluglet_host__remove(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			 uint32_t seq, char *err, size_t err_size);
int pluglet_host__remove_plugin(struct pluglet_host *h, const char *plugin,
				char *err, size_t err_size);

/*
 * Text report of the host ("key: value" lines): name, pid, insertion
 * points, then one block per pluglet with plugin, anchor, seq, mode
 * (jit/interpreter), runs, faults, last fault. Returns the length written
 * (like snprintf) or -errno.
 */
int pluglet_host__report(struct pluglet_host *h, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* PLUGLET_HOST_H */

/* SPDX-License-Identifier: MIT */
/*
 * A host's status as structured fields: what its control thread answers to
 * INJ_ACT_HOST_STATUS (encoded record), and the one formatter of the
 * "key: value" text that pluglet_host__report(), the STATUS reply and the
 * daemon's reports show.
 *
 * Encoding (little-endian, fixed-size records, no padding on the wire):
 *   header:  magic "PLGS" u32, version u16, header size u16,
 *            point record size u32, pluglet record size u32,
 *            name[INJ_NAME_MAX], pid i32, msqid i32, nr_points u32,
 *            nr_pluglets u32
 *   then nr_points point records, then nr_pluglets pluglet records.
 * Sizes are sent so that a later version may append fields to a record; a
 * reader takes the fields it knows and skips the rest. The pluglet record
 * grew origin u64, gen u64, sender pid i32, sender[16] (who installed it);
 * a record of the first size reads as origin 0 from an unknown sender.
 * It then grew timed runs u64, last fault instruction u32, last fault time
 * u64 (wall clock, ns), and INJ_STATUS_FAULT_KINDS u64 counts of faults per
 * kind; an older record reads as zeros there.
 */
#ifndef PLUGFS_INJECTOR_STATUS_H
#define PLUGFS_INJECTOR_STATUS_H

#include "client.h"
#include "wire.h"

#include <plugfs/strbuf.h>
#include <pluglet/fault.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INJ_STATUS_MAGIC	0x53474c50u	/* "PLGS" */
#define INJ_STATUS_VERSION	1
/* Bounds a decoder accepts (a record never needs more). */
#define INJ_STATUS_MAX_POINTS	65536u
#define INJ_STATUS_MAX_PLUGLETS	65536u
/* Fault kinds are the host's enum pluglet_fault_kind: passed through, bounded. */
#define INJ_STATUS_MAX_FAULT_KIND 255u
/* Per-kind fault counts a record carries (enum pluglet_fault_kind values). */
#define INJ_STATUS_FAULT_KINDS	16u

struct inj_point_status {
	char name[INJ_NAME_MAX];
	uint32_t id;
};

struct inj_pluglet_status {
	char plugin[INJ_NAME_MAX];	/* insertion point (plugin) name */
	uint32_t anchor;		/* enum pluglet_anchor */
	uint32_t seq;
	bool jit;			/* running JIT code (else interpreter) */
	uint64_t obj_size;
	uint32_t extra_mem, shared_mem;
	uint64_t runs, faults;
	bool has_run_ns;		/* host keeps run time (opts.stats_time) */
	uint64_t run_ns;
	uint32_t last_fault_kind;	/* enum pluglet_fault_kind */
	char last_fault[160];		/* "" if none */
	uint64_t origin;		/* wire.h: 0 = a client without desired state */
	uint64_t gen;			/* generation in that origin */
	int32_t sender_pid;		/* the process that installed it (0: unknown) */
	char sender[16];		/* its name (/proc/<pid>/comm), "" if unknown */
	uint64_t timed_runs;		/* runs whose time is in run_ns */
	uint32_t last_fault_insn;	/* instruction index of the last fault */
	uint64_t last_fault_time_ns;	/* wall clock (CLOCK_REALTIME) of it, 0: none */
	uint64_t fault_kinds[INJ_STATUS_FAULT_KINDS];	/* faults per kind */
};

struct inj_host_status {
	char name[INJ_NAME_MAX];
	int32_t pid, msqid;
	uint32_t nr_points, nr_pluglets;
	struct inj_point_status *points;	/* malloc'ed by decode */
	struct inj_pluglet_status *pluglets;	/* malloc'ed by decode */
};

/* Serialises s into out (the layout above). 0 or -EINVAL (a count over the
 * bounds, an anchor out of range), -ENOMEM. */
int inj_host_status__encode(const struct inj_host_status *s, struct strbuf *out);
/*
 * 0 or -EPROTO/-ENOMEM with the reason in err; validates everything (the
 * buffer comes from another process): sizes, counts, NUL-terminated names,
 * anchors, flags.
 */
int inj_host_status__decode(const void *buf, size_t len, struct inj_host_status *s, char *err,
			    size_t err_size);
/* Frees the arrays; s is empty after. */
void inj_host_status__fini(struct inj_host_status *s);
/* The "key: value" text of pluglet_host__report(), from the fields. */
int inj_host_status__format(const struct inj_host_status *s, struct strbuf *out);
/*
 * One pluglet's lines as the daemon's plugin report shows them under a
 * host: its block without the plugin/anchor/seq lines, each line prefixed
 * by indent.
 */
int inj_pluglet_status__format(const struct inj_pluglet_status *p, const char *indent,
			       struct strbuf *out);
/*
 * The "origin:" line of a pluglet (part of inj_pluglet_status__format()):
 * "plugfs <origin in hex> generation <gen>" for a pluglet of a daemon,
 * "<sender> (pid <pid>)" for one injected by another program.
 */
int inj_pluglet_origin__format(const struct inj_pluglet_status *p, const char *indent,
			       struct strbuf *out);
struct jsonw;
/*
 * One pluglet's fields as members of the JSON object being written (the
 * caller opens and closes it): mode, sizes, runs, faults and faults_by_kind,
 * last_fault (or null), run time fields (null where the host does not
 * measure), origin. The schema is in docs/json.md.
 */
void inj_pluglet_status__json(const struct inj_pluglet_status *p, struct jsonw *w);

/*
 * Client side: sends INJ_ACT_HOST_STATUS and decodes the answer. Same
 * return conventions as inj_client__request(); -EPROTO for an answer that
 * does not decode. out is empty (fini'ed) on failure.
 */
int inj_client__status(struct inj_client *c, struct inj_host_status *out, int timeout_ms);

#endif /* PLUGFS_INJECTOR_STATUS_H */

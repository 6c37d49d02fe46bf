/* SPDX-License-Identifier: MIT */
/*
 * What the host code in libubpf's "Pluginize C functions" document uses
 * without defining it: ids, argument types, a RIB, and the BIRD names of
 * its MED example. doc-code.sh puts this before each piece of that code it
 * compiles; the code itself is taken from the document as written.
 */
#ifndef PLUGFS_TESTS_DOC_PRELUDE_H
#define PLUGFS_TESTS_DOC_PRELUDE_H

#include <pluglet/host.h>

#include <stdint.h>

/* insertion point ids (find_idx is 1 in the document itself) */
#define BGP_DECODE_ATTR 3
#define BGP_MED_DECISION 7

/* bpf_args_t.type values */
enum { STREAM = 1, RIB = 2, BGP_ROUTE = 3 };
enum { RTE_UNK = 0, RTE_NEW = 1, RTE_OLD = 2 };

/* process_packet() hides this as the RIB argument (doc_driver.c) */
extern int flags;

struct route {
	uint32_t prefix;
	uint32_t next_hop;
};
struct routing_table;
/* What the document's add_route() hands the route to (doc_driver.c). */
int add_route_to_rib_internal(struct routing_table *rib, struct route *route);
/* The check process_packet() names; 1 = the pluglet's answer is usable. */
int check_ret_val(uint64_t val);

/* The BIRD routing daemon's names in the MED example. */
typedef uint32_t u32;
typedef struct eattr {
	union {
		u32 data;
	} u;
} eattr;
typedef struct ea_list ea_list;
typedef struct rta {
	ea_list *eattrs;
} rta;
typedef struct rte {
	rta *attrs;
} rte;
struct bgp_config {
	u32 default_med;
};
struct bgp_proto {
	struct bgp_config *cf;
};
#define PROTOCOL_BGP 1
#define BA_MULTI_EXIT_DISC 4
#define EA_CODE(proto, id) (((proto) << 8) | (id))
eattr *ea_find(ea_list *l, unsigned code);
/* The function doc-code.sh wraps the example's statements in. */
int doc_med_decision(rte *new, rte *old, struct bgp_proto *new_bgp, struct bgp_proto *old_bgp);

#endif

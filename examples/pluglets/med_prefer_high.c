/*
 * REPLACE pluglet for med_host's BGP_MED_DECISION (CALL_REPLACE_ONLY):
 * prefers the route with the HIGHER MED (the host's own code prefers the
 * lower one), and records the winner in the host's RIB through the host
 * helper add_route(). The RIB is a kind_hidden argument: the pluglet never
 * sees it, only the helper reaches it through the call context.
 * Returns RTE_NEW (1), RTE_OLD (2), or RTE_UNK (0) on a tie, which the
 * host's check refuses so its own code decides.
 *
 * Run:
 *   med_host --run-dir /tmp/run &
 *   ebpf_injecter -a add -i bgp_med_decision -m <msqid> -p med_prefer_high.o -h replace -n 1
 */
#include <pluglet/pluglet.h>

struct route {
	uint32_t id;
	uint32_t med;
};

/* Offered by med_host (examples/hosts/med_host.c). */
extern int64_t add_route(const struct route *r);

#define RTE_UNK 0
#define RTE_NEW 1
#define RTE_OLD 2

uint64_t med_prefer_high(const struct pluglet_args *args)
{
	const struct route *n = get_arg(0), *o = get_arg(1);

	if (!n || !o || n->med == o->med)
		return RTE_UNK;
	add_route(n->med > o->med ? n : o);
	return n->med > o->med ? RTE_NEW : RTE_OLD;
}

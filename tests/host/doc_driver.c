/* SPDX-License-Identifier: MIT */
/*
 * Runs the host code of libubpf's "Pluginize C functions" document, which
 * doc-code.sh compiled as written: its find_idx() with and without a
 * REPLACE pluglet, its process_packet() with a pluglet that calls the
 * document's add_route() helper (registered with PLUGLET_HELPER), its MED
 * decision with the host's own code. Prints one line per check; exits 1
 * if one fails.
 *   doc_driver MANIFEST   (find_idx: replace_find_idx.o, decode_attr: doc_add_route.o)
 */
#include "doc_prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int find_idx(int *array, int key, size_t len);
int process_packet(uint8_t *stream);
/* PLUGLET_HELPER_DEF(add_route), next to the document's add_route() */
extern const struct pluglet_helper_def doc_add_route;

int flags;
static int failures;
static struct route last_route;
static int nr_routes;

int add_route_to_rib_internal(struct routing_table *rib, struct route *route)
{
	if ((void *)rib != (void *)&flags)
		return -1;
	last_route = *route;
	return ++nr_routes;
}

int check_ret_val(uint64_t val)
{
	return val == 1;
}

eattr *ea_find(ea_list *l, unsigned code)
{
	return code == EA_CODE(PROTOCOL_BGP, BA_MULTI_EXIT_DISC) ? (eattr *)l : NULL;
}

static void check(const char *what, long got, long want)
{
	printf("%s - %s: %ld%s%ld\n", got == want ? "ok" : "not ok", what, got,
	       got == want ? " == " : ", want ", want);
	failures += got != want;
}

int main(int argc, char **argv)
{
	static const struct pluglet_point_def points[] = {
		{ "find_idx", 1 }, { "decode_attr", BGP_DECODE_ATTR }, { "med", BGP_MED_DECISION },
	};
	struct pluglet_host_opts o = {
		.sz = sizeof(o), .name = "doc_driver", .points = points, .nr_points = 3,
		.helpers = &doc_add_route, .nr_helpers = 1, .no_control = true,
	};
	int array[16];
	uint8_t stream[1] = { 0 };
	eattr med10 = { .u.data = 10 }, med20 = { .u.data = 20 };
	rta a10 = { .eattrs = (ea_list *)&med10 }, a20 = { .eattrs = (ea_list *)&med20 };
	rte r10 = { .attrs = &a10 }, r20 = { .attrs = &a20 };
	struct bgp_config cf = { .default_med = 0 };
	struct bgp_proto bgp = { .cf = &cf };
	struct pluglet_host *h;
	char err[256] = "";

	if (argc != 2) {
		fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < 16; i++)
		array[i] = 10 * (i + 1);
	h = pluglet_host__new(&o);
	if (!h) {
		perror("pluglet_host__new");
		return 1;
	}
	check("find_idx, the host's body", find_idx(array, 70, 16), 6);
	check("MED: the host's code prefers the lower MED", doc_med_decision(&r10, &r20, &bgp, &bgp), 1);
	check("process_packet with no pluglet adds no route", (process_packet(stream), nr_routes), 0);
	if (pluglet_host__load_manifest(h, argv[1], err, sizeof(err))) {
		fprintf(stderr, "cannot load %s: %s\n", argv[1], err);
		return 1;
	}
	check("find_idx, the REPLACE pluglet", find_idx(array, 70, 16), 1006);
	process_packet(stream);
	check("the pluglet's route reached the hidden RIB through add_route()", nr_routes, 1);
	check("the route is the pluglet's", last_route.next_hop, 0xa9fe0001);
	pluglet_host__free(h);
	return failures ? 1 : 0;
}

/*
 * Test pluglet for the process_packet() example of libubpf's "Pluginize C
 * functions" document: hands a route to the host helper add_route(), which
 * the document writes as int add_route(context_t *ctx, struct route *),
 * and answers 1 (the host's check_ret_val accepts it) when it was added.
 */
#include <pluglet/pluglet.h>

struct route {
	uint32_t prefix;
	uint32_t next_hop;
};

extern int64_t add_route(struct route *r);

uint64_t doc_add_route(const struct pluglet_args *args)
{
	struct route r = { .prefix = 0xa9fe0000, .next_hop = 0xa9fe0001 };

	return add_route(&r) > 0;
}

/* Test pluglet: calls a helper only plug_host --helper provides. */
#include <pluglet/pluglet.h>

extern uint64_t host_only(void);

uint64_t use_host_only(const struct pluglet_args *args)
{
	return host_only() + 1000;
}

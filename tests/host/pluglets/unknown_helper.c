/* Test pluglet: calls a helper no host offers (load must fail naming it). */
#include <pluglet/pluglet.h>

extern uint64_t no_such_helper(void);

uint64_t unknown_helper(const struct pluglet_args *args)
{
	return no_such_helper();
}

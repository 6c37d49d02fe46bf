/* Test pluglet: calls next(), so the host runs its original body. */
#include <pluglet/pluglet.h>

extern uint64_t test_mark(uint64_t v);

uint64_t give_up(const struct pluglet_args *args)
{
	test_mark(77);
	next();
	return 1234;	/* never reached */
}

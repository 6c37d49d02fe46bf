/* Test pluglet: a POST that reports the function's return value. */
#include <pluglet/pluglet.h>

extern uint64_t test_mark(uint64_t v);

uint64_t post_ret(const struct pluglet_args *args)
{
	test_mark(get_retval());
	return 0;
}

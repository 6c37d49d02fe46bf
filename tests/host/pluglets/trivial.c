/* Test and benchmark pluglet: returns MARK, nothing else. */
#include <pluglet/pluglet.h>

uint64_t trivial(const struct pluglet_args *args)
{
	return MARK;
}

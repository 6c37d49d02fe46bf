/* Test REPLACE pluglet: the function returns RET (built with -DRET=n). */
#include <pluglet/pluglet.h>

uint64_t ret(const struct pluglet_args *args)
{
	return RET;
}

/* Test pluglet: reads past the end of argument 0 (a fault). */
#include <pluglet/pluglet.h>

uint64_t oob(const struct pluglet_args *args)
{
	volatile int *v = get_arg(0);

	return v[1000];
}

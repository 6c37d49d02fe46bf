/* Test pluglet: writes 42 into argument 0 (read-only in PRE/POST, so it
 * faults there; a REPLACE may do it) and returns 7. */
#include <pluglet/pluglet.h>

uint64_t write_arg(const struct pluglet_args *args)
{
	int *v = (int *)args->arg[0].ptr;

	*v = 42;
	return 7;
}

/* Test pluglet: asks the host (through a test helper) to remove its own
 * plugin while it runs; the host must refuse (-EDEADLK), not hang. */
#include <pluglet/pluglet.h>

extern int64_t test_manage(void);

uint64_t manage(const struct pluglet_args *args)
{
	return (uint64_t)test_manage();
}

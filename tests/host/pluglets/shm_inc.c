/* Test pluglet: increments a counter kept in the plugin's shared memory
 * (key 1) and returns its new value. */
#include <pluglet/pluglet.h>

uint64_t shm_inc(const struct pluglet_args *args)
{
	uint64_t *c = ctx_shmget(1);

	if (!c)
		c = ctx_shmnew(1, sizeof(*c));
	if (!c)
		return 0;
	return ++*c;
}

/* Test pluglet: takes all of its 256 bytes of private memory. Returns 1
 * only if the heap is fresh (zeroed, everything available) on every run. */
#include <pluglet/pluglet.h>

uint64_t heap(const struct pluglet_args *args)
{
	uint8_t *p = ctx_malloc(256);

	if (!p)
		return 2;
	for (int i = 0; i < 256; i++) {
		if (p[i])
			return 3;
		p[i] = 0xaa;
	}
	if (ctx_malloc(1))
		return 4;
	return 1;
}

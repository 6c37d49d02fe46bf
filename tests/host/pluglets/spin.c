/* Stress pluglet: spins a little (so that host threads are inside it when
 * the writer swaps it out) and returns MARK. */
#include <pluglet/pluglet.h>

uint64_t spin(const struct pluglet_args *args)
{
	volatile uint64_t n = 0;

	for (int i = 0; i < 200; i++)
		n += i;
	return n ? MARK : 0;
}

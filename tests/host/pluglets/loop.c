/* Test pluglet: never ends (stopped by the instruction budget). */
#include <pluglet/pluglet.h>

uint64_t loop(const struct pluglet_args *args)
{
	volatile uint64_t n = 0;

	for (;;)
		n++;
	return n;
}

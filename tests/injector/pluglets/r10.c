/* Test pluglet the verifier must refuse: it writes the read-only frame
 * pointer r10 (the message names the instruction index). */
#include <pluglet/pluglet.h>

uint64_t r10(const struct pluglet_args *args)
{
	asm volatile("r10 = 0");
	return 0;
}

/* Test pluglet: hands a helper a pointer it does not own (a fault). */
#include <pluglet/pluglet.h>

uint64_t bad_ptr(const struct pluglet_args *args)
{
	char b[8];

	ebpf_memcpy(b, (void *)0x1000, 8);
	return b[0];
}

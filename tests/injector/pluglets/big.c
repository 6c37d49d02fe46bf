/* Test pluglet of about 1 MiB (BIG_SIZE bytes of .rodata plus ~800 bytes
 * of ELF): a constant table read at run time so it stays in the object.
 * As REPLACE, the function returns 3007: proof the table arrived whole. */
#include <pluglet/pluglet.h>


static const volatile unsigned char big[BIG_SIZE] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };

uint64_t bigtab(const struct pluglet_args *args)
{
	return 3000 + big[7] + big[BIG_SIZE - 1];
}

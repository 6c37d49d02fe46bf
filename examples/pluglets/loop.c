/*
 * A pluglet that never ends. The VM's instruction budget stops it (a
 * "budget" fault); the host keeps running its original code.
 *
 * Run:
 *   ebpf_injecter -a add -i find_idx -m <msqid> -p loop.o -h replace -n 1
 */
#include <pluglet/pluglet.h>

uint64_t loop(const struct pluglet_args *args)
{
	volatile uint64_t n = 0;

	for (;;)
		n++;
	return n;
}

/*
 * A pluglet that faults on purpose: it writes into its first argument. As
 * a PRE or POST pluglet the write hits read-only memory; as a REPLACE it
 * then reads far past the argument. Either way the VM stops it, the host
 * counts the fault (`cat` the entry, or pluglet_host__report()) and goes
 * on: a PRE/POST is skipped, a faulting REPLACE falls back to the body.
 *
 * Run:
 *   ebpf_injecter -a add -i find_idx -m <msqid> -p fault.o -h pre -n 2
 *   ebpf_injecter -a add -i find_idx -m <msqid> -p fault.o -h replace -n 1
 */
#include <pluglet/pluglet.h>

uint64_t fault(const struct pluglet_args *args)
{
	volatile int *a = get_arg(0);

	a[0] = a[0];		/* read-only outside REPLACE */
	return a[1 << 20];	/* out of bounds everywhere */
}

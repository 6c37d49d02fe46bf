/*
 * PRE pluglet: counts the calls of its insertion point in the plugin's
 * shared memory (kept across runs and shared with the plugin's other
 * pluglets) and logs every 10th one. It only reads the arguments: a PRE
 * pluglet cannot change them.
 *
 * Run (needs shared memory, ebpf_injecter -s):
 *   find_idx_host --run-dir /tmp/run &
 *   ebpf_injecter -a add -i find_idx -m <msqid> -p pre_counter.o -h pre -n 1 -s 64
 * or from C: pluglet_host__add(h, "find_idx", PLUGLET_ANCHOR_PRE, 1, obj, len,
 *   &(struct pluglet_inject_opts){ .sz = ..., .shared_mem = 64 }, err, sizeof(err));
 */
#include <pluglet/pluglet.h>

#define COUNTER_KEY 1

uint64_t pre_counter(const struct pluglet_args *args)
{
	uint64_t *n = ctx_shmget(COUNTER_KEY);

	if (!n)
		n = ctx_shmnew(COUNTER_KEY, sizeof(*n));
	if (!n)
		return 0;	/* no shared memory given at injection */
	__sync_fetch_and_add(n, 1);
	if (*n % 10 == 0)
		ebpf_print("pre_counter: %lu calls\n", *n);
	return 0;
}

/*
 * REPLACE pluglet for libubpf's find_idx(array, key, len) example: a
 * binary search of the sorted array instead of the host's linear scan. To
 * make the swap visible it answers index + 1000 (find_idx_host prints
 * find_idx=1006 instead of find_idx=6); -1 stays -1.
 *
 * Arguments (see examples/hosts/find_idx_host.c): 0 = the array (kind_ptr,
 * read-write here), 1 = key (kind_primitive), 2 = len (kind_primitive).
 *
 * Run:
 *   ebpf_injecter -a add -i find_idx -m <msqid> -p replace_find_idx.o -h replace -n 1 [-j]
 */
#include <pluglet/pluglet.h>

uint64_t replace_find_idx(const struct pluglet_args *args)
{
	const int *array = get_arg(0);
	const int *key = get_arg(1);
	const uint64_t *len = get_arg(2);
	uint64_t lo = 0, hi;

	if (!array || !key || !len)
		next();		/* not the arguments we expect: let the host do it */
	hi = *len;
	/* never trust len: the array region is what we may read */
	if (hi > get_arg_len(0) / sizeof(int))
		next();
	while (lo < hi) {	/* [lo, hi) */
		uint64_t mid = lo + (hi - lo) / 2;

		if (array[mid] == *key)
			return mid + 1000;
		if (array[mid] < *key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint64_t)-1;
}

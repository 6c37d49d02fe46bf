/*
 * REPLACE pluglet for find_idx(array, key, len), the second version of
 * replace_find_idx.c: a scan from the end of the array that answers
 * index + 2000 (find_idx_host prints find_idx=2006), so that an atomic
 * replace of one REPLACE pluglet by another is visible in the output.
 *
 * Shows: overwriting a pluglet (cp over plugins/find_idx/replace/0, or
 * ebpf_injecter -a replace) with no call seeing neither version; next()
 * when the arguments are not the expected ones.
 *
 * Run:
 *   cp build/examples/pluglets/replace_find_idx.o $MNT/plugins/find_idx/replace/0
 *   cp build/examples/pluglets/replace_from_end.o $MNT/plugins/find_idx/replace/0
 *   or: ebpf_injecter -a replace -i find_idx -m <msqid> -h replace -p replace_from_end.o
 */
#include <pluglet/pluglet.h>

uint64_t replace_from_end(const struct pluglet_args *args)
{
	const int *array = get_arg(0);
	const int *key = get_arg(1);
	const uint64_t *len = get_arg(2);
	uint64_t n;

	if (!array || !key || !len)
		next();
	n = *len;
	if (n > get_arg_len(0) / sizeof(int))
		next();		/* len claims more than the array region holds */
	while (n > 0) {
		n--;
		if (array[n] == *key)
			return n + 2000;
	}
	return (uint64_t)-1;
}

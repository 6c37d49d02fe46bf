/*
 * POST pluglet: logs the key and the value the function returns (through
 * ebpf_print, to the host's log on stderr) just before the host returns.
 *
 * Run:
 *   ebpf_injecter -a add -i find_idx -m <msqid> -p post_logger.o -h post -n 1
 */
#include <pluglet/pluglet.h>

uint64_t post_logger(const struct pluglet_args *args)
{
	const int *key = get_arg(1);

	if (key)
		ebpf_print("post_logger: find_idx(key=%d) returns %ld\n", *key, (int64_t)get_retval());
	return 0;
}

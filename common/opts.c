/* SPDX-License-Identifier: MIT */
/* The size rule of options structs (include/plugfs/opts.h). */
#include <plugfs/opts.h>

#include <errno.h>

bool plugfs_opts_valid(const void *opts, size_t user_sz, size_t ours_sz)
{
	const unsigned char *p = opts;

	if (!opts)
		return true;
	if (user_sz < sizeof(size_t))
		return false;
	for (size_t i = ours_sz; i < user_sz; i++)
		if (p[i])
			return false;
	return true;
}

int plugfs_opts_copy(void *ours, size_t ours_sz, const void *opts)
{
	size_t user_sz, keep = *(const size_t *)ours;

	if (!opts)
		return 0;
	user_sz = *(const size_t *)opts;
	if (!plugfs_opts_valid(opts, user_sz, ours_sz))
		return -EINVAL;
	memcpy(ours, opts, user_sz < ours_sz ? user_sz : ours_sz);
	*(size_t *)ours = keep;
	return 0;
}

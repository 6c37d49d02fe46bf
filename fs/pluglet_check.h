/* SPDX-License-Identifier: MIT */
/* The daemon's check of a pluglet with the VM's own loader and verifier. */
#ifndef PLUGFS_FS_PLUGLET_CHECK_H
#define PLUGFS_FS_PLUGLET_CHECK_H

#include <stddef.h>

/* 0, or -EINVAL with the loader's/verifier's reason in err. */
int pluglet_precheck(const void *obj, size_t len, const char *entry, char *err, size_t err_size);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * ifaces/: read-only placeholder until the kernel engine lands: lists the
 * network interfaces of the daemon's network namespace with their hook
 * directories, and refuses writes with EROFS.
 */
#include "backend.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

static const char *const hooks[] = { "xdp", "tc-ingress", "tc-egress", NULL };

static int list_groups(void *priv, fs_name_cb cb, void *arg)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int err = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && !err; i++)
		err = cb(i->if_name, arg);
	if_freenameindex(ifs);
	return err;
}

static int group_exists(void *priv, const char *group)
{
	return strlen(group) < IF_NAMESIZE && if_nametoindex(group) ? 0 : -ENOENT;
}

static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	return group_exists(priv, group);
}

static int entry_exists(void *priv, const char *group, unsigned int sub, const char *name)
{
	return -ENOENT;
}

static int report(void *priv, const char *group, unsigned int sub, const char *name,
		  struct fs_report *out)
{
	return -ENOENT;
}

static const struct fs_backend_ops ifaces_ops = {
	.list_groups = list_groups,
	.group_exists = group_exists,
	.list_entries = list_entries,
	.entry_exists = entry_exists,
	.report = report,
};

int ifaces_domain_init(struct fs_domain *d, const struct plugfs_config *cfg)
{
	d->name = "ifaces";
	d->subdirs = hooks;
	d->ops = &ifaces_ops;
	d->priv = NULL;
	return 0;
}

void ifaces_domain_fini(struct fs_domain *d) { }

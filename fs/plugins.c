/* SPDX-License-Identifier: MIT */
/* plugins/ and hosts/: read-only placeholder until the plugins work lands. */
#include "backend.h"

#include <errno.h>

static const char *const anchors[] = { "pre", "replace", "post", NULL };

static int list_groups(void *priv, fs_name_cb cb, void *arg) { return 0; }
static int group_exists(void *priv, const char *group) { return -ENOENT; }
static int list_entries(void *priv, const char *group, unsigned int sub, fs_name_cb cb, void *arg)
{
	return -ENOENT;
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

static const struct fs_backend_ops plugins_ops = {
	.list_groups = list_groups,
	.group_exists = group_exists,
	.list_entries = list_entries,
	.entry_exists = entry_exists,
	.report = report,
};

int plugins_domain_init(struct fs_domain *d, const struct plugfs_config *cfg)
{
	d->name = "plugins";
	d->subdirs = anchors;
	d->ops = &plugins_ops;
	d->priv = NULL;
	return 0;
}

void plugins_domain_fini(struct fs_domain *d) { }

static int hosts_list(void *priv, fs_name_cb cb, void *arg) { return 0; }
static int hosts_exists(void *priv, const char *name) { return -ENOENT; }
static int hosts_report(void *priv, const char *name, struct fs_report *out) { return -ENOENT; }

static const struct fs_flatdir_ops hosts_ops = {
	.list = hosts_list,
	.exists = hosts_exists,
	.report = hosts_report,
};

int hosts_flatdir_get(const struct fs_domain *plugins, const struct fs_flatdir_ops **ops, void **priv)
{
	*ops = &hosts_ops;
	*priv = NULL;
	return 0;
}

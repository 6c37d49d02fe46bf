/* SPDX-License-Identifier: MIT */
/*
 * Helper tables: a helper has a number (what `call imm` uses) and
 * optionally a name (what the ELF loader resolves relocations by and what
 * hosts register their own helpers under). A vm copies the functions at
 * load, so a table may be freed or changed after loading.
 */
#include "vm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pluglet_helpers {
	pluglet_helper_fn fn[PLUGLET_MAX_HELPERS];
	char *name[PLUGLET_MAX_HELPERS];
};

struct pluglet_helpers *pluglet_helpers__new(void)
{
	struct pluglet_helpers *h = calloc(1, sizeof(*h));

	if (!h)
		errno = ENOMEM;
	return h;
}

void pluglet_helpers__free(struct pluglet_helpers *h)
{
	uint32_t i;

	if (!h)
		return;
	for (i = 0; i < PLUGLET_MAX_HELPERS; i++)
		free(h->name[i]);
	free(h);
}

int pluglet_helpers__find(const struct pluglet_helpers *h, const char *name)
{
	uint32_t i;

	if (!h || !name)
		return -ENOENT;
	for (i = 0; i < PLUGLET_MAX_HELPERS; i++)
		if (h->name[i] && !strcmp(h->name[i], name))
			return (int)i;
	return -ENOENT;
}

int pluglet_helpers__add(struct pluglet_helpers *h, uint32_t id, const char *name, pluglet_helper_fn fn)
{
	char *copy = NULL;

	if (!h || !fn || id >= PLUGLET_MAX_HELPERS || (name && !name[0]))
		return -EINVAL;
	if (h->fn[id] || (name && pluglet_helpers__find(h, name) >= 0))
		return -EEXIST;
	if (name) {
		copy = strdup(name);
		if (!copy)
			return -ENOMEM;
	}
	h->fn[id] = fn;
	h->name[id] = copy;
	return 0;
}

int pluglet_helpers__add_named(struct pluglet_helpers *h, const char *name, pluglet_helper_fn fn)
{
	uint32_t id;
	int err;

	if (!h || !name)
		return -EINVAL;
	for (id = 0; id < PLUGLET_MAX_HELPERS; id++) {
		if (h->fn[id])
			continue;
		err = pluglet_helpers__add(h, id, name, fn);
		return err ? err : (int)id;
	}
	return -ENOSPC;
}

pluglet_helper_fn pluglet_helpers__fn(const struct pluglet_helpers *h, uint32_t id)
{
	if (!h || id >= PLUGLET_MAX_HELPERS)
		return NULL;
	return h->fn[id];
}

const char *pluglet_helpers__name(const struct pluglet_helpers *h, uint32_t id)
{
	if (!h || id >= PLUGLET_MAX_HELPERS)
		return NULL;
	return h->name[id];
}

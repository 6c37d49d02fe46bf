/* SPDX-License-Identifier: MIT */
/*
 * The daemon's own check of a pluglet before it is sent anywhere: the VM's
 * ELF loader and verifier, so a bad object fails at `cp` even when no host
 * is connected. Helpers are host-specific, so every helper the object names
 * is accepted here (each host resolves them again on arrival); everything
 * else — the ELF, relocations, the verifier — is checked for real.
 */
#include "pluglet_check.h"

#include <pluglet/vm.h>

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

static uint64_t any_helper(struct pluglet_exec *ex, uint64_t a1, uint64_t a2, uint64_t a3,
			   uint64_t a4, uint64_t a5)
{
	return 0;
}

/* Registers every undefined symbol of the object as a helper. */
static int add_undefined(struct pluglet_helpers *h, const void *obj, size_t len)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	int rc = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_memory((char *)obj, len);
	if (!elf)
		return 0;	/* the loader reports the real problem */
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = data->d_size / sh.sh_entsize;
		for (i = 1; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx != SHN_UNDEF ||
			    GELF_ST_BIND(sym.st_info) == STB_LOCAL)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name || pluglet_helpers__find(h, name) >= 0)
				continue;
			if (pluglet_helpers__add_named(h, name, any_helper) < 0) {
				rc = -E2BIG;
				goto out;
			}
		}
	}
out:
	elf_end(elf);
	return rc;
}

int pluglet_precheck(const void *obj, size_t len, const char *entry, char *err, size_t err_size)
{
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts),
		.mode = PLUGLET_VM_INTERP,
		.entry = entry && *entry ? entry : NULL,
		.log_buf = err,
		.log_size = err_size,
	};
	struct pluglet_helpers *h;
	struct pluglet_vm *vm;
	int rc;

	if (!pluglet_is_elf(obj, len)) {
		snprintf(err, err_size, "not an ELF object");
		return -EINVAL;
	}
	h = pluglet_helpers__new();
	if (!h)
		return -ENOMEM;
	rc = add_undefined(h, obj, len);
	if (rc) {
		snprintf(err, err_size, "too many helpers named by the object");
		goto out;
	}
	opts.helpers = h;
	err[0] = '\0';
	vm = pluglet_vm__load_elf(obj, len, &opts);
	if (!vm) {
		rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
		if (!err[0])
			snprintf(err, err_size, "rejected by the VM loader");
		goto out;
	}
	pluglet_vm__free(vm);
out:
	pluglet_helpers__free(h);
	return rc;
}

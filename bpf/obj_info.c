/* SPDX-License-Identifier: MIT */
/* An object's name and functions from its ELF symbols (obj_info.h). */
#include "obj_info.h"

#include <plugfs/strbuf.h>

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define INSN_SZ 8

static const char *section_name(Elf *elf, size_t shstrndx, size_t shndx)
{
	Elf_Scn *scn = elf_getscn(elf, shndx);
	GElf_Shdr sh;
	const char *n;

	if (!scn || !gelf_getshdr(scn, &sh))
		return NULL;
	n = elf_strptr(elf, shstrndx, sh.sh_name);
	return n && (sh.sh_flags & SHF_EXECINSTR) ? n : NULL;
}

static int add_func(struct obj_info *oi, const char *name, const char *sec, uint64_t value)
{
	struct obj_func *f;

	if (oi->n_funcs % 16 == 0) {
		f = realloc(oi->funcs, (oi->n_funcs + 16) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		oi->funcs = f;
	}
	f = &oi->funcs[oi->n_funcs++];
	plugfs_snprintf(f->name, sizeof(f->name), "%s", name);
	plugfs_snprintf(f->section, sizeof(f->section), "%s", sec);
	f->insn = value / INSN_SZ;
	return 0;
}

static int read_symbols(Elf *elf, Elf_Scn *symscn, size_t strndx, size_t shstrndx,
			struct obj_info *oi)
{
	Elf_Data *d = elf_getdata(symscn, NULL);
	GElf_Sym sym;
	int i, err;

	for (i = 0; d && gelf_getsym(d, i, &sym); i++) {
		const char *name = elf_strptr(elf, strndx, sym.st_name), *sec;

		if (!name || !*name)
			continue;
		if (GELF_ST_TYPE(sym.st_info) == STT_FILE && !oi->file[0]) {
			plugfs_snprintf(oi->file, sizeof(oi->file), "%s", name);
			continue;
		}
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		sec = section_name(elf, shstrndx, sym.st_shndx);
		if (!sec)
			continue;
		if (!oi->first_global[0] && GELF_ST_BIND(sym.st_info) == STB_GLOBAL &&
		    strcmp(sec, ".text"))
			plugfs_snprintf(oi->first_global, sizeof(oi->first_global), "%s", name);
		err = add_func(oi, name, sec, sym.st_value);
		if (err)
			return err;
	}
	return 0;
}

void obj_info_fini(struct obj_info *oi)
{
	free(oi->funcs);
	memset(oi, 0, sizeof(*oi));
}

int obj_info_read(const void *obj, size_t len, struct obj_info *oi)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf *elf;
	int err = -EINVAL;

	memset(oi, 0, sizeof(*oi));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	/* libelf only reads an image opened for ELF_C_READ: the cast is safe */
	elf = elf_memory((char *)obj, len);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) == ELF_K_ELF && !elf_getshdrstrndx(elf, &shstrndx)) {
		while ((scn = elf_nextscn(elf, scn))) {
			if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
				err = read_symbols(elf, scn, sh.sh_link, shstrndx, oi);
				break;
			}
		}
	}
	elf_end(elf);
	if (err)
		obj_info_fini(oi);
	return err;
}

const struct obj_func *obj_info_func(const struct obj_info *oi, const char *name)
{
	size_t i;

	for (i = 0; name && i < oi->n_funcs; i++)
		if (!strcmp(oi->funcs[i].name, name))
			return &oi->funcs[i];
	return NULL;
}

void obj_name_from_path(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n > 15)
		n = 15;		/* BPF_OBJ_NAME_LEN - 1, as libbpf keeps */
	plugfs_snprintf(out, size, "%.*s", (int)n, base);
}

void obj_info_object_name(const struct obj_info *oi, const char *object_path, char *out,
			  size_t size)
{
	out[0] = '\0';
	if (object_path && *object_path && strcmp(object_path, "-"))
		obj_name_from_path(object_path, out, size);
	if (!out[0] && oi->file[0])
		obj_name_from_path(oi->file, out, size);
	if (!out[0] && oi->first_global[0])
		obj_name_from_path(oi->first_global, out, size);
	if (!out[0])
		plugfs_snprintf(out, size, "plugfs");
}

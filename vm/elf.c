/* SPDX-License-Identifier: MIT */
/*
 * ELF loader: turns a relocatable eBPF object (clang -target bpf -c) into one
 * flat program for vm_load_common().
 *
 * The entry function is laid out first; every function it reaches through
 * local calls is appended after it, once, and the call immediates are
 * rewritten for the new layout. Helper calls name an undefined symbol and
 * become `call <id>`. The allocated data sections are copied into a single
 * block (read-only sections first, then the writable ones) and every lddw
 * that refers to them receives the absolute host address.
 *
 * The input is hostile: every offset, size, index and count is checked
 * before it is used, and every rejection says which section, symbol or
 * relocation is wrong.
 */
#include "vm_internal.h"

#include <plugfs/log.h>
#include <plugfs/opts.h>

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif
/* elf.h only names the two code relocations. */
#define RELOC_BPF_NONE	0
#define RELOC_BPF_64_64	1	/* lddw: 64-bit absolute address */
#define RELOC_BPF_ABS64	2	/* data: 64-bit absolute address */
#define RELOC_BPF_64_32	10	/* call: pc-relative in instructions */

#define INSN_SZ		sizeof(struct pluglet_insn)
#define OPC_CALL	(CLS_JMP | JMP_CALL)
#define OPC_LDDW	(CLS_LD | SZ_DW | MODE_IMM)

/* A pluglet's data is small; a huge .bss is a hostile or broken object. */
#define ELF_MAX_DATA	(16u << 20)
#define ELF_ALIGN_MAX	64u
#define NO_RELOC	UINT32_MAX

enum esec_kind {
	SEC_OTHER = 0,
	SEC_CODE,
	SEC_RODATA,
	SEC_RWDATA,
};

struct esec {
	const char *name;
	GElf_Shdr sh;
	enum esec_kind kind;
	const uint8_t *bytes;	/* code and PROGBITS data: sh_size bytes */
	uint32_t nr_insns;	/* code */
	size_t rel;		/* index of the SHT_REL section applying to it, 0: none */
	uint32_t *rel_at;	/* code: relocation index per instruction, NO_RELOC */
	uint64_t mem_off;	/* data: offset inside the data block */
};

struct efunc {
	const char *name;
	size_t sec;
	uint32_t start;		/* first instruction inside the section */
	uint32_t len;		/* instructions */
	bool global;
	bool placed;
	uint32_t out;		/* first instruction in the output program */
};

struct eload {
	Elf *elf;
	size_t file_len;
	char *log;
	size_t log_size;
	const struct pluglet_helpers *helpers;

	struct esec *secs;
	size_t nr_secs;
	size_t symtab;		/* section index, 0: none */
	size_t strtab;
	Elf_Data *syms;
	size_t nr_syms;

	struct efunc *funcs;	/* sorted by (sec, start) */
	size_t nr_funcs;

	struct pluglet_insn *out;
	uint32_t nr_out;
	uint32_t *queue;	/* placed functions in placement order */
	uint32_t nr_queue;

	uint8_t *mem;
	size_t mem_size;
	struct pluglet_region regions[2];
	uint32_t nr_regions;
};

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ok;

static void elf_init(void)
{
	elf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

__attribute__((format(printf, 2, 3)))
static int elf_fail(struct eload *L, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vm_log(L->log, L->log_size, "ELF: %s", msg);
	pr_debug("pluglet ELF rejected: %s", msg);
	return -EINVAL;
}

static const char *sec_name(const struct eload *L, size_t idx)
{
	if (idx < L->nr_secs && L->secs[idx].name)
		return L->secs[idx].name;
	return "?";
}

/* Header checks on the raw bytes, before libelf sees them. */
static int check_ehdr(struct eload *L, const uint8_t *buf, size_t len)
{
	Elf64_Ehdr eh;

	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return elf_fail(L, "not an ELF file");
	if (buf[EI_CLASS] != ELFCLASS64)
		return elf_fail(L, "class %u is not ELFCLASS64", buf[EI_CLASS]);
	if (buf[EI_DATA] != ELFDATA2LSB)
		return elf_fail(L, "data encoding %u is not little endian", buf[EI_DATA]);
	if (len < sizeof(eh))
		return elf_fail(L, "truncated ELF header (%zu of %zu bytes)", len, sizeof(eh));
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_machine != EM_BPF)
		return elf_fail(L, "e_machine %u is not EM_BPF (%u)", eh.e_machine, EM_BPF);
	if (eh.e_type != ET_REL)
		return elf_fail(L, "e_type %u is not a relocatable object (compile with clang -c)",
				eh.e_type);
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return elf_fail(L, "e_shentsize %u is not %zu", eh.e_shentsize, sizeof(Elf64_Shdr));
	if (eh.e_shoff < sizeof(eh) || eh.e_shoff > len || len - eh.e_shoff < sizeof(Elf64_Shdr))
		return elf_fail(L, "section header table offset 0x%llx outside the file (%zu bytes)",
				(unsigned long long)eh.e_shoff, len);
	return 0;
}

static bool range_in(uint64_t off, uint64_t size, uint64_t total)
{
	return off <= total && size <= total - off;
}

/* Section data as libelf gives it, checked against the header. */
static int sec_bytes(struct eload *L, size_t idx, const void **out, size_t want_size)
{
	Elf_Scn *scn = elf_getscn(L->elf, idx);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

	if (want_size == 0) {
		*out = NULL;
		return 0;
	}
	if (!d || !d->d_buf || d->d_size != want_size)
		return elf_fail(L, "section '%s': cannot read its %zu bytes (%s)", sec_name(L, idx),
				want_size, elf_errmsg(-1));
	*out = d->d_buf;
	return 0;
}

static bool is_maps_name(const char *name)
{
	return !strcmp(name, ".maps") || !strcmp(name, "maps") || !strncmp(name, "maps/", 5) ||
	       !strncmp(name, ".maps.", 6);
}

/* The section header table: every header read, named and inside the file. */
static int read_headers(struct eload *L)
{
	size_t shnum, shstrndx, i;
	GElf_Ehdr eh;

	if (elf_getshdrnum(L->elf, &shnum) || elf_getshdrstrndx(L->elf, &shstrndx))
		return elf_fail(L, "bad section header table (%s)", elf_errmsg(-1));
	if (shnum < 2)
		return elf_fail(L, "no sections");
	if (!gelf_getehdr(L->elf, &eh))
		return elf_fail(L, "bad ELF header (%s)", elf_errmsg(-1));
	if (shnum > (L->file_len - eh.e_shoff) / sizeof(Elf64_Shdr))
		return elf_fail(L, "%zu section headers at 0x%llx do not fit in the file (%zu bytes)",
				shnum, (unsigned long long)eh.e_shoff, L->file_len);
	if (shstrndx >= shnum)
		return elf_fail(L, "section name table index %zu out of range (%zu sections)",
				shstrndx, shnum);
	L->secs = calloc(shnum, sizeof(*L->secs));
	if (!L->secs)
		return -ENOMEM;
	L->nr_secs = shnum;

	for (i = 1; i < shnum; i++) {
		struct esec *s = &L->secs[i];
		Elf_Scn *scn = elf_getscn(L->elf, i);

		if (!scn || !gelf_getshdr(scn, &s->sh))
			return elf_fail(L, "section %zu: bad header (%s)", i, elf_errmsg(-1));
		s->name = elf_strptr(L->elf, shstrndx, s->sh.sh_name);
		if (!s->name)
			return elf_fail(L, "section %zu: name offset %u outside the name table", i,
					s->sh.sh_name);
		if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_type != SHT_NULL &&
		    !range_in(s->sh.sh_offset, s->sh.sh_size, L->file_len))
			return elf_fail(L, "section '%s': offset 0x%llx size 0x%llx outside the file (%zu bytes)",
					s->name, (unsigned long long)s->sh.sh_offset,
					(unsigned long long)s->sh.sh_size, L->file_len);
	}
	return 0;
}

/* What section i holds: code, data, the symbol table, relocations. */
static int classify_section(struct eload *L, size_t i)
{
	struct esec *s = &L->secs[i];
	const GElf_Shdr *sh = &s->sh;
	bool alloc = sh->sh_flags & SHF_ALLOC;

	if (is_maps_name(s->name) && sh->sh_size)
		return elf_fail(L, "section '%s': BPF maps are not supported in pluglets "
				"(use .data/.bss globals or shared memory helpers)", s->name);
	switch (sh->sh_type) {
	case SHT_PROGBITS:
		if (sh->sh_flags & SHF_EXECINSTR) {
			if (sh->sh_size % INSN_SZ)
				return elf_fail(L, "section '%s': size %llu is not a multiple of %zu",
						s->name, (unsigned long long)sh->sh_size, INSN_SZ);
			if (sh->sh_size / INSN_SZ > UINT32_MAX / 2)
				return elf_fail(L, "section '%s': too large", s->name);
			s->kind = SEC_CODE;
			s->nr_insns = sh->sh_size / INSN_SZ;
		} else if (alloc) {
			s->kind = (sh->sh_flags & SHF_WRITE) ? SEC_RWDATA : SEC_RODATA;
		}
		break;
	case SHT_NOBITS:
		if (alloc)
			s->kind = (sh->sh_flags & SHF_WRITE) ? SEC_RWDATA : SEC_RODATA;
		break;
	case SHT_SYMTAB:
		if (L->symtab)
			return elf_fail(L, "section '%s': second symbol table", s->name);
		if (sh->sh_entsize != sizeof(Elf64_Sym))
			return elf_fail(L, "section '%s': entry size %llu is not %zu", s->name,
					(unsigned long long)sh->sh_entsize, sizeof(Elf64_Sym));
		if (sh->sh_link == 0 || sh->sh_link >= L->nr_secs ||
		    L->secs[sh->sh_link].sh.sh_type != SHT_STRTAB)
			return elf_fail(L, "section '%s': string table index %u is not a string table",
					s->name, sh->sh_link);
		L->symtab = i;
		L->strtab = sh->sh_link;
		break;
	case SHT_REL:
	case SHT_RELA:
		/* Only relocations of code and data matter; debug info is ignored. */
		if (sh->sh_info == 0 || sh->sh_info >= L->nr_secs)
			return elf_fail(L, "section '%s': target section %u out of range",
					s->name, sh->sh_info);
		break;
	default:
		break;
	}
	return 0;
}

/* Binds relocation sections once every section is classified. */
static int bind_relocations(struct eload *L)
{
	for (size_t i = 1; i < L->nr_secs; i++) {
		const GElf_Shdr *sh = &L->secs[i].sh;
		struct esec *t;

		if (sh->sh_type != SHT_REL && sh->sh_type != SHT_RELA)
			continue;
		t = &L->secs[sh->sh_info];
		if (t->kind == SEC_OTHER)
			continue;
		if (sh->sh_type == SHT_RELA)
			return elf_fail(L, "section '%s': RELA relocations are not produced by clang for BPF",
					L->secs[i].name);
		if (t->rel)
			return elf_fail(L, "section '%s': second relocation section for '%s'",
					L->secs[i].name, t->name);
		if (sh->sh_entsize != sizeof(Elf64_Rel))
			return elf_fail(L, "section '%s': entry size %llu is not %zu", L->secs[i].name,
					(unsigned long long)sh->sh_entsize, sizeof(Elf64_Rel));
		if (sh->sh_link != L->symtab || !L->symtab)
			return elf_fail(L, "section '%s': symbol table index %u is not the symbol table",
					L->secs[i].name, sh->sh_link);
		t->rel = i;
	}
	return 0;
}

static int read_sections(struct eload *L)
{
	int err = read_headers(L);

	for (size_t i = 1; !err && i < L->nr_secs; i++)
		err = classify_section(L, i);
	if (!err)
		err = bind_relocations(L);
	if (!err && !L->symtab)
		err = elf_fail(L, "no symbol table");
	return err;
}

static int read_code(struct eload *L)
{
	size_t i;
	int err;

	for (i = 1; i < L->nr_secs; i++) {
		struct esec *s = &L->secs[i];
		const void *p;

		if (s->kind != SEC_CODE)
			continue;
		err = sec_bytes(L, i, &p, s->sh.sh_size);
		if (err)
			return err;
		s->bytes = p;
	}
	return 0;
}

static int read_symbols(struct eload *L)
{
	Elf_Scn *scn = elf_getscn(L->elf, L->symtab);
	const GElf_Shdr *sh = &L->secs[L->symtab].sh;

	L->syms = scn ? elf_getdata(scn, NULL) : NULL;
	if (!L->syms || L->syms->d_size != sh->sh_size)
		return elf_fail(L, "section '%s': cannot read the symbols (%s)",
				L->secs[L->symtab].name, elf_errmsg(-1));
	L->nr_syms = sh->sh_size / sizeof(Elf64_Sym);
	return 0;
}

static int get_sym(struct eload *L, size_t idx, GElf_Sym *sym, const char **name)
{
	if (idx >= L->nr_syms || !gelf_getsym(L->syms, idx, sym))
		return elf_fail(L, "symbol %zu out of range (%zu symbols)", idx, L->nr_syms);
	*name = elf_strptr(L->elf, L->strtab, sym->st_name);
	if (!*name)
		return elf_fail(L, "symbol %zu: name offset %u outside the string table", idx,
				sym->st_name);
	if (GELF_ST_TYPE(sym->st_info) == STT_SECTION && sym->st_shndx < L->nr_secs)
		*name = sec_name(L, sym->st_shndx);
	return 0;
}

static int func_cmp(const void *a, const void *b)
{
	const struct efunc *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->len > y->len) - (x->len < y->len);
}

static int read_functions(struct eload *L)
{
	size_t i, n = 0, w;
	bool *has_func;
	int err = 0;

	/* One slot per symbol plus one per code section without symbols. */
	L->funcs = calloc(L->nr_syms + L->nr_secs, sizeof(*L->funcs));
	has_func = calloc(L->nr_secs, sizeof(*has_func));
	if (!L->funcs || !has_func) {
		free(has_func);
		return -ENOMEM;
	}
	for (i = 1; i < L->nr_syms; i++) {
		const struct esec *s;
		struct efunc *f;
		const char *name;
		GElf_Sym sym;

		err = get_sym(L, i, &sym, &name);
		if (err)
			goto out;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
		    sym.st_shndx >= L->nr_secs || L->secs[sym.st_shndx].kind != SEC_CODE)
			continue;
		s = &L->secs[sym.st_shndx];
		if (sym.st_value % INSN_SZ || sym.st_size % INSN_SZ || !sym.st_size ||
		    !range_in(sym.st_value, sym.st_size, s->sh.sh_size)) {
			err = elf_fail(L, "symbol '%s': [0x%llx, +0x%llx) is not a whole number of "
				       "instructions inside section '%s' (%llu bytes)", name,
				       (unsigned long long)sym.st_value, (unsigned long long)sym.st_size,
				       s->name, (unsigned long long)s->sh.sh_size);
			goto out;
		}
		f = &L->funcs[n++];
		f->name = name;
		f->sec = sym.st_shndx;
		f->start = sym.st_value / INSN_SZ;
		f->len = sym.st_size / INSN_SZ;
		f->global = GELF_ST_BIND(sym.st_info) == STB_GLOBAL;
		has_func[sym.st_shndx] = true;
	}
	/* Hand-written code may have no function symbols: the section is one function. */
	for (i = 1; i < L->nr_secs; i++) {
		struct efunc *f;

		if (L->secs[i].kind != SEC_CODE || has_func[i] || !L->secs[i].nr_insns)
			continue;
		f = &L->funcs[n++];
		f->name = L->secs[i].name;
		f->sec = i;
		f->start = 0;
		f->len = L->secs[i].nr_insns;
	}
	qsort(L->funcs, n, sizeof(*L->funcs), func_cmp);
	/* Aliases (same range) collapse into one; partial overlaps are rejected. */
	for (i = 0, w = 0; i < n; i++) {
		struct efunc *prev = w ? &L->funcs[w - 1] : NULL;
		struct efunc *f = &L->funcs[i];

		if (prev && prev->sec == f->sec && f->start < prev->start + prev->len) {
			if (f->start != prev->start || f->len != prev->len) {
				err = elf_fail(L, "symbol '%s' overlaps '%s' in section '%s'", f->name,
					       prev->name, sec_name(L, f->sec));
				goto out;
			}
			if (f->global && !prev->global)
				*prev = *f;
			continue;
		}
		L->funcs[w++] = *f;
	}
	L->nr_funcs = w;
out:
	free(has_func);
	return err;
}

static struct efunc *func_at(struct eload *L, size_t sec, int64_t start)
{
	size_t lo = 0, hi = L->nr_funcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct efunc *f = &L->funcs[mid];

		if (f->sec == sec && f->start == start)
			return &L->funcs[mid];
		if (f->sec < sec || (f->sec == sec && f->start < start))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* "a, b, c" of the functions matching `only_global`, truncated with "...". */
static void list_funcs(const struct eload *L, bool only_global, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < L->nr_funcs; i++) {
		int n;

		if (only_global && !L->funcs[i].global)
			continue;
		n = snprintf(buf + used, size - used, "%s'%s'", used ? ", " : "", L->funcs[i].name);
		if (n < 0 || (size_t)n >= size - used) {
			if (size > 4)
				strcpy(buf + size - 4, "...");
			return;
		}
		used += n;
	}
}

static int pick_entry(struct eload *L, const char *want, struct efunc **entry)
{
	struct efunc *found = NULL;
	size_t i, nr_global = 0;
	char list[160];

	if (!L->nr_funcs)
		return elf_fail(L, "no function in any executable section");
	if (want) {
		for (i = 0; i < L->nr_funcs; i++) {
			if (strcmp(L->funcs[i].name, want))
				continue;
			if (!found || (L->funcs[i].global && !found->global))
				found = &L->funcs[i];
		}
		if (!found) {
			list_funcs(L, false, list, sizeof(list));
			return elf_fail(L, "entry function '%s' not found (functions: %s)", want, list);
		}
		*entry = found;
		return 0;
	}
	for (i = 0; i < L->nr_funcs; i++) {
		if (L->funcs[i].global) {
			nr_global++;
			found = &L->funcs[i];
		}
	}
	if (nr_global == 1) {
		*entry = found;
		return 0;
	}
	if (nr_global == 0 && L->nr_funcs == 1) {
		*entry = &L->funcs[0];
		return 0;
	}
	list_funcs(L, nr_global > 0, list, sizeof(list));
	if (nr_global == 0)
		return elf_fail(L, "no global function; name the entry (functions: %s)", list);
	return elf_fail(L, "%zu global functions (%s); name the entry", nr_global, list);
}

/* Per-instruction relocation index of every code section, with the structural checks. */
static int index_code_relocs(struct eload *L)
{
	size_t i;

	for (i = 1; i < L->nr_secs; i++) {
		struct esec *s = &L->secs[i];
		const struct esec *rs;
		Elf_Data *d;
		size_t r, nr;

		if (s->kind != SEC_CODE || !s->rel)
			continue;
		rs = &L->secs[s->rel];
		d = elf_getdata(elf_getscn(L->elf, s->rel), NULL);
		if (!d || d->d_size != rs->sh.sh_size)
			return elf_fail(L, "section '%s': cannot read the relocations (%s)", rs->name,
					elf_errmsg(-1));
		nr = d->d_size / sizeof(Elf64_Rel);
		if (nr >= NO_RELOC)
			return elf_fail(L, "section '%s': too many relocations", rs->name);
		s->rel_at = malloc((s->nr_insns ? s->nr_insns : 1) * sizeof(*s->rel_at));
		if (!s->rel_at)
			return -ENOMEM;
		memset(s->rel_at, 0xff, s->nr_insns * sizeof(*s->rel_at));
		for (r = 0; r < nr; r++) {
			uint32_t type;
			uint64_t at;
			GElf_Rel rel;

			if (!gelf_getrel(d, r, &rel))
				return elf_fail(L, "relocation %zu in %s: unreadable", r, rs->name);
			type = GELF_R_TYPE(rel.r_info);
			if (type == RELOC_BPF_NONE)
				continue;
			if (type != RELOC_BPF_64_64 && type != RELOC_BPF_64_32)
				return elf_fail(L, "relocation %zu in %s: unsupported type %u", r,
						rs->name, type);
			if (rel.r_offset % INSN_SZ || rel.r_offset / INSN_SZ >= s->nr_insns)
				return elf_fail(L, "relocation %zu in %s: offset 0x%llx is not an instruction of '%s'",
						r, rs->name, (unsigned long long)rel.r_offset, s->name);
			if (GELF_R_SYM(rel.r_info) >= L->nr_syms)
				return elf_fail(L, "relocation %zu in %s: symbol index %llu out of range (%zu symbols)",
						r, rs->name, (unsigned long long)GELF_R_SYM(rel.r_info),
						L->nr_syms);
			at = rel.r_offset / INSN_SZ;
			if (s->rel_at[at] != NO_RELOC)
				return elf_fail(L, "relocation %zu in %s: instruction %llu of '%s' is relocated twice",
						r, rs->name, (unsigned long long)at, s->name);
			s->rel_at[at] = r;
		}
	}
	return 0;
}

static bool is_data(const struct eload *L, size_t shndx)
{
	return shndx < L->nr_secs &&
	       (L->secs[shndx].kind == SEC_RODATA || L->secs[shndx].kind == SEC_RWDATA);
}

/*
 * Host address of `sym` + `addend` inside its data section. One past the end
 * is allowed (C pointers may point there); the VM checks every access anyway.
 */
static int data_addr(struct eload *L, const GElf_Sym *sym, const char *name, int64_t addend,
		     const char *where, uint64_t *addr)
{
	const struct esec *t;
	int64_t off;

	if (sym->st_shndx == SHN_UNDEF)
		return elf_fail(L, "%s: unresolved symbol '%s' (extern variables are not supported)",
				where, name);
	if (sym->st_shndx < L->nr_secs && L->secs[sym->st_shndx].kind == SEC_CODE)
		return elf_fail(L, "%s: address of function '%s' (function pointers are not supported)",
				where, name);
	if (!is_data(L, sym->st_shndx))
		return elf_fail(L, "%s: symbol '%s' is not in a data section", where, name);
	t = &L->secs[sym->st_shndx];
	if (sym->st_value > t->sh.sh_size)
		return elf_fail(L, "%s: symbol '%s' value 0x%llx outside section '%s'", where, name,
				(unsigned long long)sym->st_value, t->name);
	off = (int64_t)sym->st_value + addend;
	if (off < 0 || (uint64_t)off > t->sh.sh_size)
		return elf_fail(L, "%s: offset %lld outside section '%s' (%llu bytes)", where,
				(long long)off, t->name, (unsigned long long)t->sh.sh_size);
	/*
	 * Integer arithmetic: when every data section is empty there is no
	 * block (L->mem is NULL) and the address is only ever compared, never
	 * accessed (the VM checks each access against the regions).
	 */
	*addr = (uint64_t)(uintptr_t)L->mem + t->mem_off + (uint64_t)off;
	return 0;
}

static void align_up(uint64_t *v, uint64_t a)
{
	*v = (*v + a - 1) & ~(a - 1);
}

/* One block: read-only sections, then writable ones; one region each. */
static int layout_data(struct eload *L)
{
	uint64_t size = 0, ro_end = 0;
	size_t i;
	int pass;

	for (pass = SEC_RODATA; pass <= SEC_RWDATA; pass++) {
		for (i = 1; i < L->nr_secs; i++) {
			struct esec *s = &L->secs[i];
			uint64_t a = s->sh.sh_addralign;

			if (s->kind != (enum esec_kind)pass)
				continue;
			if (a < 8 || a > ELF_ALIGN_MAX || (a & (a - 1)))
				a = 8;
			align_up(&size, a);
			if (s->sh.sh_size > ELF_MAX_DATA || size + s->sh.sh_size > ELF_MAX_DATA)
				return elf_fail(L, "section '%s': data sections exceed %u bytes in total",
						s->name, ELF_MAX_DATA);
			s->mem_off = size;
			size += s->sh.sh_size;
		}
		if (pass == SEC_RODATA) {
			ro_end = size;
			align_up(&size, ELF_ALIGN_MAX);
		}
	}
	if (!size)
		return 0;
	L->mem = calloc(1, size);
	if (!L->mem)
		return -ENOMEM;
	L->mem_size = size;
	for (i = 1; i < L->nr_secs; i++) {
		struct esec *s = &L->secs[i];
		const void *p;
		int err;

		if ((s->kind != SEC_RODATA && s->kind != SEC_RWDATA) || s->sh.sh_type == SHT_NOBITS)
			continue;
		err = sec_bytes(L, i, &p, s->sh.sh_size);
		if (err)
			return err;
		if (s->sh.sh_size)
			memcpy(L->mem + s->mem_off, p, s->sh.sh_size);
	}
	if (ro_end) {
		L->regions[L->nr_regions++] = (struct pluglet_region){
			.start = (uintptr_t)L->mem, .len = ro_end, .perm = PLUGLET_PERM_READ,
		};
	}
	for (i = 1; i < L->nr_secs; i++) {
		if (L->secs[i].kind == SEC_RWDATA && L->secs[i].sh.sh_size) {
			uint64_t rw_start = ro_end;

			align_up(&rw_start, ELF_ALIGN_MAX);
			L->regions[L->nr_regions++] = (struct pluglet_region){
				.start = (uintptr_t)L->mem + rw_start, .len = size - rw_start,
				.perm = PLUGLET_PERM_RW,
			};
			break;
		}
	}
	return 0;
}

/* Pointers stored in data (e.g. tables of strings): 64-bit absolute relocations. */
static int reloc_data(struct eload *L)
{
	size_t i;

	for (i = 1; i < L->nr_secs; i++) {
		const struct esec *s = &L->secs[i], *rs;
		Elf_Data *d;
		size_t r, nr;

		if ((s->kind != SEC_RODATA && s->kind != SEC_RWDATA) || !s->rel)
			continue;
		rs = &L->secs[s->rel];
		if (s->sh.sh_type == SHT_NOBITS)
			return elf_fail(L, "section '%s': relocations against a section without bytes",
					rs->name);
		d = elf_getdata(elf_getscn(L->elf, s->rel), NULL);
		if (!d || d->d_size != rs->sh.sh_size)
			return elf_fail(L, "section '%s': cannot read the relocations (%s)", rs->name,
					elf_errmsg(-1));
		nr = d->d_size / sizeof(Elf64_Rel);
		for (r = 0; r < nr; r++) {
			char where[96];
			const char *name;
			uint64_t addr, val;
			GElf_Sym sym;
			GElf_Rel rel;
			uint32_t type;
			int err;

			if (!gelf_getrel(d, r, &rel))
				return elf_fail(L, "relocation %zu in %s: unreadable", r, rs->name);
			type = GELF_R_TYPE(rel.r_info);
			if (type == RELOC_BPF_NONE)
				continue;
			snprintf(where, sizeof(where), "relocation %zu in %s", r, rs->name);
			if (type != RELOC_BPF_ABS64)
				return elf_fail(L, "%s: unsupported type %u in a data section", where, type);
			if (!range_in(rel.r_offset, sizeof(val), s->sh.sh_size))
				return elf_fail(L, "%s: offset 0x%llx outside section '%s'", where,
						(unsigned long long)rel.r_offset, s->name);
			err = get_sym(L, GELF_R_SYM(rel.r_info), &sym, &name);
			if (err)
				return err;
			memcpy(&val, L->mem + s->mem_off + rel.r_offset, sizeof(val));
			err = data_addr(L, &sym, name, (int64_t)val, where, &addr);
			if (err)
				return err;
			memcpy(L->mem + s->mem_off + rel.r_offset, &addr, sizeof(addr));
		}
	}
	return 0;
}

/* Appends `f` to the output program (once) and queues it for relocation. */
static void place(struct eload *L, struct efunc *f)
{
	if (f->placed)
		return;
	f->placed = true;
	f->out = L->nr_out;
	memcpy(&L->out[L->nr_out], L->secs[f->sec].bytes + (size_t)f->start * INSN_SZ,
	       (size_t)f->len * INSN_SZ);
	L->nr_out += f->len;
	L->queue[L->nr_queue++] = f - L->funcs;
}

static int local_call(struct eload *L, struct pluglet_insn *insn, uint32_t pos, size_t sec,
		      int64_t target, const char *where, const char *what)
{
	struct efunc *t = NULL;

	if (target >= 0 && target < L->secs[sec].nr_insns)
		t = func_at(L, sec, target);
	if (!t)
		return elf_fail(L, "%s: call target %s (instruction %lld of '%s') is not the start of a function",
				where, what, (long long)target, sec_name(L, sec));
	place(L, t);
	insn->src_reg = CALL_SRC_LOCAL;
	insn->imm = (int32_t)((int64_t)t->out - ((int64_t)pos + 1));
	return 0;
}

static int apply_reloc(struct eload *L, const struct efunc *f, uint32_t k, uint32_t r)
{
	const struct esec *s = &L->secs[f->sec], *rs = &L->secs[s->rel];
	uint32_t pos = f->out + k;
	struct pluglet_insn *insn = &L->out[pos];
	char where[96];
	const char *name;
	Elf_Data *d = elf_getdata(elf_getscn(L->elf, s->rel), NULL);
	GElf_Sym sym;
	GElf_Rel rel;
	int err;

	snprintf(where, sizeof(where), "relocation %u in %s", r, rs->name);
	if (!d || !gelf_getrel(d, r, &rel))
		return elf_fail(L, "%s: unreadable", where);
	err = get_sym(L, GELF_R_SYM(rel.r_info), &sym, &name);
	if (err)
		return err;

	if (GELF_R_TYPE(rel.r_info) == RELOC_BPF_64_32) {
		char what[96];

		if (insn->code != OPC_CALL)
			return elf_fail(L, "%s: instruction %u of '%s' is not a call", where,
					f->start + k, s->name);
		if (sym.st_shndx == SHN_UNDEF) {
			int id = L->helpers ? pluglet_helpers__find(L->helpers, name) : -ENOENT;

			if (id < 0)
				return elf_fail(L, "unknown helper '%s' (%s)", name, where);
			insn->src_reg = CALL_SRC_HELPER;
			insn->imm = id;
			return 0;
		}
		if (sym.st_shndx >= L->nr_secs || L->secs[sym.st_shndx].kind != SEC_CODE)
			return elf_fail(L, "%s: call of '%s', which is not in an executable section",
					where, name);
		if (sym.st_value % INSN_SZ)
			return elf_fail(L, "%s: symbol '%s' is not instruction aligned", where, name);
		snprintf(what, sizeof(what), "'%s'%+lld", name, (long long)insn->imm + 1);
		return local_call(L, insn, pos, sym.st_shndx,
				  (int64_t)(sym.st_value / INSN_SZ) + insn->imm + 1, where, what);
	}

	/* RELOC_BPF_64_64 (index_code_relocs admits no other type). */
	{
		uint64_t addr;

		if (insn->code != OPC_LDDW || k + 1 >= f->len)
			return elf_fail(L, "%s: instruction %u of '%s' is not a complete lddw", where,
					f->start + k, s->name);
		err = data_addr(L, &sym, name, (int64_t)(uint32_t)insn->imm, where, &addr);
		if (err)
			return err;
		insn[0].src_reg = 0;
		insn[0].imm = (int32_t)(uint32_t)addr;
		insn[1].imm = (int32_t)(uint32_t)(addr >> 32);
	}
	return 0;
}

static int link_program(struct eload *L, struct efunc *entry)
{
	uint64_t total = 0;
	uint32_t q;
	size_t i;

	for (i = 0; i < L->nr_funcs; i++)
		total += L->funcs[i].len;
	L->out = malloc((total ? total : 1) * INSN_SZ);
	L->queue = malloc((L->nr_funcs ? L->nr_funcs : 1) * sizeof(*L->queue));
	if (!L->out || !L->queue)
		return -ENOMEM;
	place(L, entry);
	for (q = 0; q < L->nr_queue; q++) {
		const struct efunc *f = &L->funcs[L->queue[q]];
		const struct esec *s = &L->secs[f->sec];
		uint32_t k;

		for (k = 0; k < f->len; k++) {
			uint32_t at = f->start + k;
			uint32_t r = s->rel_at ? s->rel_at[at] : NO_RELOC;
			struct pluglet_insn *insn = &L->out[f->out + k];
			int err;

			if (r != NO_RELOC) {
				err = apply_reloc(L, f, k, r);
			} else if (insn->code == OPC_CALL && insn->src_reg == CALL_SRC_LOCAL) {
				char where[96];

				/* Resolved by the compiler inside one section. */
				snprintf(where, sizeof(where), "instruction %u of '%s' (in '%s')", at,
					 s->name, f->name);
				err = local_call(L, insn, f->out + k, f->sec,
						 (int64_t)at + insn->imm + 1, where, "");
			} else {
				continue;
			}
			if (err)
				return err;
		}
	}
	return 0;
}

static void eload_release(struct eload *L)
{
	size_t i;

	for (i = 0; i < L->nr_secs; i++)
		free(L->secs[i].rel_at);
	free(L->secs);
	free(L->funcs);
	free(L->out);
	free(L->queue);
	free(L->mem);
}

struct pluglet_vm *pluglet_vm__load_elf(const void *buf, size_t len,
					const struct pluglet_vm_opts *opts)
{
	struct pluglet_vm_opts o = { .sz = sizeof(o) };
	struct pluglet_vm *vm = NULL;
	struct eload L = { 0 };
	struct efunc *entry = NULL;
	char *copy = NULL;
	int err;

	if (PLUGFS_OPTS_COPY(&o, opts)) {
		errno = EINVAL;
		return NULL;
	}
	L.log = o.log_buf;
	L.log_size = o.log_size;
	L.helpers = o.helpers;
	L.file_len = len;
	if (L.log && L.log_size)
		L.log[0] = '\0';
	if (!buf) {
		err = elf_fail(&L, "no object");
		goto out;
	}
	err = check_ehdr(&L, buf, len);
	if (err)
		goto out;
	pthread_once(&elf_once, elf_init);
	if (!elf_ok) {
		err = elf_fail(&L, "libelf version mismatch");
		goto out;
	}
	/* libelf wants a writable image; never hand it the caller's buffer. */
	copy = malloc(len);
	if (!copy) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(copy, buf, len);
	L.elf = elf_memory(copy, len);
	if (!L.elf || elf_kind(L.elf) != ELF_K_ELF) {
		err = elf_fail(&L, "libelf cannot parse the object (%s)", elf_errmsg(-1));
		goto out;
	}
	err = read_sections(&L);
	if (!err)
		err = read_code(&L);
	if (!err)
		err = read_symbols(&L);
	if (!err)
		err = read_functions(&L);
	if (!err)
		err = pick_entry(&L, o.entry, &entry);
	if (!err)
		err = index_code_relocs(&L);
	if (!err)
		err = layout_data(&L);
	if (!err)
		err = reloc_data(&L);
	if (!err)
		err = link_program(&L, entry);
	if (err)
		goto out;
	if (!o.name)
		o.name = entry->name;
	vm = vm_load_common(L.out, L.nr_out, L.mem, L.regions, L.nr_regions, &o);
	if (!vm) {
		err = -errno;
		/* vm_load_common took the block either way. */
		L.mem = NULL;
		goto out;
	}
	L.mem = NULL;
out:
	if (L.elf)
		elf_end(L.elf);
	eload_release(&L);
	free(copy);
	if (!vm)
		errno = err ? -err : EINVAL;
	return vm;
}

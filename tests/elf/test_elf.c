/* SPDX-License-Identifier: MIT */
/*
 * ELF loader tests: pluglets compiled by clang at build time (tests/elf/progs) are
 * loaded and run (local calls, string constants, .data/.bss, entry
 * selection, helpers by name), then damaged in many ways (truncated, bytes
 * flipped, bad headers, offsets, symbols and relocations): every damaged
 * object must be refused with EINVAL and a message naming the culprit,
 * never crash. Run: meson test -C build elf
 */
#include "config.h"

#include <pluglet/vm.h>

#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct obj {
	uint8_t *buf;
	size_t len;
};

static struct pluglet_helpers *helpers;
static char recorded[4][64];
static int nr_recorded;
static char log_buf[512];
/* Execution mode of the programs the tests load (see use_jit). */
static enum pluglet_vm_mode mode = PLUGLET_VM_INTERP;

static struct obj load_file(const char *name)
{
	char path[512];
	struct obj o = { 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", ELF_PROGS_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	o.buf = malloc(n);
	assert_non_null(o.buf);
	assert_int_equal(fread(o.buf, 1, n, f), (size_t)n);
	fclose(f);
	o.len = n;
	return o;
}

static struct obj obj_dup(const struct obj *o)
{
	struct obj d = { .buf = malloc(o->len), .len = o->len };

	assert_non_null(d.buf);
	memcpy(d.buf, o->buf, o->len);
	return d;
}

/* Copies a NUL-terminated string out of pluglet memory, byte by checked byte. */
static uint64_t h_record_str(struct pluglet_exec *ex, uint64_t s, uint64_t a2, uint64_t a3,
			     uint64_t a4, uint64_t a5)
{
	char *dst;
	size_t i;

	if (nr_recorded >= 4)
		return 1;
	dst = recorded[nr_recorded++];
	for (i = 0; i + 1 < sizeof(recorded[0]); i++) {
		const char *p = pluglet_exec__check(ex, s + i, 1, PLUGLET_PERM_READ);

		if (!p) {
			pluglet_exec__abort(ex, PLUGLET_FAULT_HELPER, 0, "record_str: bad pointer");
			return 0;
		}
		dst[i] = *p;
		if (!*p)
			break;
	}
	dst[i] = '\0';
	return 0;
}

static uint64_t h_add3(struct pluglet_exec *ex, uint64_t a, uint64_t b, uint64_t c, uint64_t a4,
		       uint64_t a5)
{
	return a + b + c;
}

static struct pluglet_vm *load(const struct obj *o, const char *entry,
			       const struct pluglet_helpers *h)
{
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts),
		.mode = mode,
		.helpers = h,
		.entry = entry,
		.log_buf = log_buf,
		.log_size = sizeof(log_buf),
	};
	struct pluglet_vm *vm;

	log_buf[0] = '\0';
	errno = 0;
	vm = pluglet_vm__load_elf(o->buf, o->len, &opts);
	/* Data addresses patched into lddw must work in compiled code too. */
	if (vm && PLUGLET_HAVE_JIT)
		assert_int_equal(pluglet_vm__mode(vm), mode);
	return vm;
}

static int run(const struct pluglet_vm *vm, uint64_t r1, uint64_t r2, uint64_t *r0,
	       struct pluglet_exec *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->sz = sizeof(*ex);
	ex->budget = 1000000;
	return pluglet_vm__run(vm, ex, r1, r2, r0);
}

static uint64_t run_ok(const struct pluglet_vm *vm, uint64_t r1, uint64_t r2)
{
	struct pluglet_exec ex;
	uint64_t r0 = 0;
	int err = run(vm, r1, r2, &r0, &ex);

	if (err)
		fail_msg("run failed: %d (%s)", err, ex.fault.msg);
	return r0;
}

/* Expects a refusal with EINVAL whose message contains every given word. */
static void expect_refused(const struct obj *o, const char *entry, ...)
{
	struct pluglet_vm *vm = load(o, entry, helpers);
	const char *word;
	va_list ap;

	if (vm)
		fail_msg("loaded, expected a refusal");
	assert_int_equal(errno, EINVAL);
	assert_true(log_buf[0] != '\0');
	va_start(ap, entry);
	while ((word = va_arg(ap, const char *)) != NULL) {
		if (!strstr(log_buf, word))
			fail_msg("log \"%s\" does not name \"%s\"", log_buf, word);
	}
	va_end(ap);
}

/* ---- locating things inside a (valid) object, to damage them ---- */

static Elf64_Ehdr *ehdr(const struct obj *o)
{
	return (Elf64_Ehdr *)o->buf;
}

static Elf64_Shdr *shdr(const struct obj *o, size_t i)
{
	return (Elf64_Shdr *)(o->buf + ehdr(o)->e_shoff) + i;
}

static Elf64_Shdr *shdr_named(const struct obj *o, const char *name)
{
	const Elf64_Shdr *strs = shdr(o, ehdr(o)->e_shstrndx);
	size_t i;

	for (i = 1; i < ehdr(o)->e_shnum; i++) {
		if (!strcmp((const char *)o->buf + strs->sh_offset + shdr(o, i)->sh_name, name))
			return shdr(o, i);
	}
	fail_msg("no section '%s'", name);
	return NULL;
}

static Elf64_Sym *sym_named(const struct obj *o, const char *name)
{
	Elf64_Shdr *st = shdr_named(o, ".symtab");
	const char *strs = (const char *)o->buf + shdr(o, st->sh_link)->sh_offset;
	Elf64_Sym *syms = (Elf64_Sym *)(o->buf + st->sh_offset);
	size_t i;

	for (i = 1; i < st->sh_size / sizeof(*syms); i++) {
		if (!strcmp(strs + syms[i].st_name, name))
			return &syms[i];
	}
	fail_msg("no symbol '%s'", name);
	return NULL;
}

static Elf64_Rel *rel(const struct obj *o, const char *relsec, size_t i)
{
	Elf64_Shdr *rs = shdr_named(o, relsec);

	assert_true(i < rs->sh_size / sizeof(Elf64_Rel));
	return (Elf64_Rel *)(o->buf + rs->sh_offset) + i;
}

/* ---- what must work ---- */

static uint64_t mix(uint64_t x, uint64_t y)
{
	return x * 31 + (y ^ 0x5a);
}

static uint64_t square_plus(uint64_t x)
{
	return mix(x * x, x) + 1;
}

static uint64_t tri(uint64_t n)
{
	uint64_t s = 0;

	for (uint64_t i = 1; i <= n; i++)
		s += square_plus(i) & 0xff;
	return s;
}

static void test_local_calls(void **state)
{
	struct obj o = load_file("calls.o");
	struct pluglet_vm *vm = load(&o, NULL, helpers);

	if (!vm)
		fail_msg("load: %s", log_buf);
	/* The only global function is the entry, and names the program. */
	assert_string_equal(pluglet_vm__name(vm), "calls_main");
	assert_int_equal(run_ok(vm, 10, 3), tri(10) + mix(square_plus(3), 10));
	assert_int_equal(run_ok(vm, 0, 0), mix(square_plus(0), 0));
	pluglet_vm__free(vm);
	free(o.buf);
}

static void test_rodata_strings(void **state)
{
	struct obj o = load_file("strings.o");
	struct pluglet_vm *vm = load(&o, "strings_main", helpers);

	if (!vm)
		fail_msg("load: %s", log_buf);
	nr_recorded = 0;
	/* table[5] = 9, names[1] = "one" */
	assert_int_equal(run_ok(vm, 5, 0), 9 * 100 + 3);
	assert_int_equal(nr_recorded, 2);
	assert_string_equal(recorded[0], "hello, pluglet");
	assert_string_equal(recorded[1], "one");
	nr_recorded = 0;
	assert_int_equal(run_ok(vm, 3 + 16, 0), 1 * 100 + 5);
	assert_string_equal(recorded[1], "three");
	pluglet_vm__free(vm);
	free(o.buf);
}

static void test_rodata_is_read_only(void **state)
{
	struct obj o = load_file("strings.o");
	struct pluglet_vm *vm = load(&o, "write_rodata", helpers);
	struct pluglet_exec ex;
	uint64_t r0;

	if (!vm)
		fail_msg("load: %s", log_buf);
	assert_int_equal(run(vm, 2, 0, &r0, &ex), -EFAULT);
	assert_int_equal(ex.fault.kind, PLUGLET_FAULT_READONLY);
	pluglet_vm__free(vm);
	free(o.buf);
}

static void test_data_bss_persist(void **state)
{
	struct obj o = load_file("data.o");
	struct pluglet_vm *vm = load(&o, NULL, helpers), *vm2;

	if (!vm)
		fail_msg("load: %s", log_buf);
	/* counter starts at 41 (.data), slots[] at 0 (.bss); both survive a run. */
	assert_int_equal(run_ok(vm, 2, 5), 42000005);
	assert_int_equal(run_ok(vm, 3, 10), 43000015);
	assert_int_equal(run_ok(vm, 10, 1), 44000016);
	/* Another load of the same object has its own data. */
	vm2 = load(&o, NULL, helpers);
	assert_non_null(vm2);
	assert_int_equal(run_ok(vm2, 0, 7), 42000007);
	assert_int_equal(run_ok(vm, 0, 0), 45000016);
	pluglet_vm__free(vm2);
	pluglet_vm__free(vm);
	free(o.buf);
}

static void test_entry_by_name(void **state)
{
	struct obj o = load_file("multi.o");
	struct pluglet_vm *a = load(&o, "first", helpers);
	struct pluglet_vm *b = load(&o, "second", helpers);

	if (!a || !b)
		fail_msg("load: %s", log_buf);
	assert_string_equal(pluglet_vm__name(a), "first");
	assert_int_equal(run_ok(a, 5, 7), 1006);
	assert_int_equal(run_ok(b, 5, 7), 1009);
	pluglet_vm__free(a);
	pluglet_vm__free(b);
	free(o.buf);
}

static void test_ambiguous_entry(void **state)
{
	struct obj o = load_file("multi.o");

	expect_refused(&o, NULL, "first", "second", "entry", NULL);
	expect_refused(&o, "third", "'third'", "not found", NULL);
	free(o.buf);
}

static void test_helpers_by_name(void **state)
{
	struct obj o = load_file("helpers.o");
	struct pluglet_helpers *h = pluglet_helpers__new();
	struct pluglet_vm *vm;

	expect_refused(&o, NULL, "unknown helper 'missing_helper'", "relocation", ".relpluglet",
		       NULL);
	vm = load(&o, NULL, NULL);
	assert_null(vm);
	assert_non_null(strstr(log_buf, "unknown helper 'add3'"));

	assert_non_null(h);
	assert_true(pluglet_helpers__add_named(h, "missing_helper", h_add3) >= 0);
	assert_true(pluglet_helpers__add(h, 200, "add3", h_add3) == 0);
	vm = load(&o, NULL, h);
	if (!vm)
		fail_msg("load: %s", log_buf);
	assert_int_equal(run_ok(vm, 1, 2), 10);
	pluglet_vm__free(vm);
	pluglet_helpers__free(h);
	free(o.buf);
}

static void test_maps_refused(void **state)
{
	struct obj o = load_file("maps.o");

	expect_refused(&o, NULL, "'.maps'", "not supported", NULL);
	free(o.buf);
}

/* ---- hostile input ---- */

static void test_bad_headers(void **state)
{
	struct obj o = load_file("calls.o"), d;
	static const char junk[] = "hello, not an ELF file at all";
	struct obj j = { .buf = (uint8_t *)junk, .len = sizeof(junk) };

	expect_refused(&j, NULL, "not an ELF", NULL);

	d = obj_dup(&o);
	ehdr(&d)->e_machine = EM_X86_64;
	expect_refused(&d, NULL, "e_machine", "EM_BPF", NULL);
	free(d.buf);

	d = obj_dup(&o);
	d.buf[EI_CLASS] = ELFCLASS32;
	expect_refused(&d, NULL, "ELFCLASS64", NULL);
	free(d.buf);

	d = obj_dup(&o);
	d.buf[EI_DATA] = ELFDATA2MSB;
	expect_refused(&d, NULL, "little endian", NULL);
	free(d.buf);

	d = obj_dup(&o);
	ehdr(&d)->e_type = ET_EXEC;
	expect_refused(&d, NULL, "relocatable", NULL);
	free(d.buf);

	d = obj_dup(&o);
	ehdr(&d)->e_shoff = d.len - 8;
	expect_refused(&d, NULL, "section header", NULL);
	free(d.buf);

	d = obj_dup(&o);
	ehdr(&d)->e_shnum = 0xfff0;
	expect_refused(&d, NULL, "section", NULL);
	free(d.buf);

	d = obj_dup(&o);
	ehdr(&d)->e_shstrndx = ehdr(&d)->e_shnum + 3;
	expect_refused(&d, NULL, "section", NULL);
	free(d.buf);
	free(o.buf);
}

static void test_bad_sections(void **state)
{
	struct obj o = load_file("calls.o"), d;

	d = obj_dup(&o);
	shdr_named(&d, "pluglet/calls")->sh_offset = 0xffffff00;
	expect_refused(&d, NULL, "'pluglet/calls'", "outside the file", NULL);
	free(d.buf);

	d = obj_dup(&o);
	shdr_named(&d, "pluglet/calls")->sh_size = UINT64_MAX - 7;
	expect_refused(&d, NULL, "'pluglet/calls'", NULL);
	free(d.buf);

	d = obj_dup(&o);
	shdr_named(&d, ".text")->sh_size += 4;
	expect_refused(&d, NULL, "'.text'", "multiple", NULL);
	free(d.buf);

	d = obj_dup(&o);
	shdr_named(&d, ".symtab")->sh_link = 0;
	expect_refused(&d, NULL, "'.symtab'", "string table", NULL);
	free(d.buf);

	d = obj_dup(&o);
	shdr_named(&d, ".relpluglet/calls")->sh_entsize = 24;
	expect_refused(&d, NULL, "'.relpluglet/calls'", NULL);
	free(d.buf);

	d = obj_dup(&o);
	shdr_named(&d, ".symtab")->sh_type = SHT_PROGBITS;
	expect_refused(&d, NULL, "symbol table", NULL);
	free(d.buf);
	free(o.buf);

	/* .bss has no bytes in the file, so only a cap stops a huge one. */
	o = load_file("data.o");
	shdr_named(&o, ".bss")->sh_size = 1ull << 40;
	expect_refused(&o, NULL, "'.bss'", NULL);
	free(o.buf);
}

static void test_bad_symbols(void **state)
{
	struct obj o = load_file("calls.o"), d;

	d = obj_dup(&o);
	sym_named(&d, "calls_main")->st_value = 0x100000;
	expect_refused(&d, NULL, "'calls_main'", "'pluglet/calls'", NULL);
	free(d.buf);

	d = obj_dup(&o);
	sym_named(&d, "calls_main")->st_size = 3;
	expect_refused(&d, NULL, "'calls_main'", NULL);
	free(d.buf);

	d = obj_dup(&o);
	sym_named(&d, "calls_main")->st_name = 0x7fffffff;
	expect_refused(&d, NULL, "symbol", "name", NULL);
	free(d.buf);

	/* Two functions that partly overlap. */
	d = obj_dup(&o);
	sym_named(&d, "tri")->st_value += 8;
	expect_refused(&d, NULL, "overlaps", NULL);
	free(d.buf);
	free(o.buf);

	/* A string constant pointing past its section. */
	o = load_file("data.o");
	sym_named(&o, "counter")->st_value = 0x1000;
	expect_refused(&o, NULL, "'counter'", "'.data'", "relocation", NULL);
	free(o.buf);
}

static void test_bad_relocations(void **state)
{
	struct obj o = load_file("calls.o"), d;
	const char *rs = ".relpluglet/calls";
	Elf64_Rel *r;

	d = obj_dup(&o);
	rel(&d, rs, 0)->r_offset = 0xfffff8;
	expect_refused(&d, NULL, "relocation 0 in .relpluglet/calls", "offset", NULL);
	free(d.buf);

	d = obj_dup(&o);
	rel(&d, rs, 0)->r_offset = 4;
	expect_refused(&d, NULL, "relocation 0 in .relpluglet/calls", NULL);
	free(d.buf);

	d = obj_dup(&o);
	r = rel(&d, rs, 1);
	r->r_info = ELF64_R_INFO(0xffffff, ELF64_R_TYPE(r->r_info));
	expect_refused(&d, NULL, "relocation 1 in .relpluglet/calls", "symbol index", NULL);
	free(d.buf);

	d = obj_dup(&o);
	r = rel(&d, rs, 0);
	r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 77);
	expect_refused(&d, NULL, "relocation 0 in .relpluglet/calls", "type 77", NULL);
	free(d.buf);

	/* Relocating an instruction that is not a call (the entry's first one). */
	d = obj_dup(&o);
	rel(&d, rs, 0)->r_offset = 0;
	expect_refused(&d, NULL, "relocation 0 in .relpluglet/calls", "not a call", NULL);
	free(d.buf);

	/* Two relocations on one instruction. */
	d = obj_dup(&o);
	rel(&d, rs, 1)->r_offset = rel(&d, rs, 0)->r_offset;
	expect_refused(&d, NULL, "relocated twice", NULL);
	free(d.buf);

	/* A call into the middle of a function. */
	d = obj_dup(&o);
	{
		Elf64_Shdr *code = shdr_named(&d, "pluglet/calls");
		struct pluglet_insn *insn =
			(struct pluglet_insn *)(d.buf + code->sh_offset + rel(&d, rs, 0)->r_offset);

		assert_int_equal(insn->code, 0x85);
		insn->imm += 1;
	}
	expect_refused(&d, NULL, "relocation 0 in .relpluglet/calls", "not the start of a function",
		       NULL);
	free(d.buf);
	free(o.buf);
}

/* Every truncation of a valid object is refused cleanly. */
static void test_truncated(void **state)
{
	static const char *const names[] = { "calls.o", "strings.o", "data.o" };
	size_t k, len;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct obj o = load_file(names[k]);

		for (len = 0; len < o.len; len++) {
			/* A fresh allocation of the exact size lets ASan see any overread. */
			struct obj t = { .buf = malloc(len ? len : 1), .len = len };
			struct pluglet_vm *vm;

			memcpy(t.buf, o.buf, len);
			vm = load(&t, "strings_main", helpers);
			if (vm)
				fail_msg("%s truncated to %zu bytes was loaded", names[k], len);
			assert_int_equal(errno, EINVAL);
			assert_true(log_buf[0] != '\0');
			free(t.buf);
		}
		free(o.buf);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Random byte flips, aimed half of the time at the headers, symbols and
 * relocations where they hurt most. A mutant that still loads must run
 * without harming the host.
 */
static void test_flipped_bytes(void **state)
{
	static const char *const names[] = { "calls.o", "strings.o", "data.o", "helpers.o" };
	unsigned loaded = 0, refused = 0;
	size_t k;
	int i;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct obj o = load_file(names[k]);
		const Elf64_Shdr *hot[4] = {
			shdr_named(&o, ".symtab"), NULL, NULL, NULL,
		};
		size_t nr_hot = 1, s;

		for (s = 1; s < ehdr(&o)->e_shnum && nr_hot < 4; s++) {
			uint32_t t = shdr(&o, s)->sh_type;

			if (t == SHT_REL && shdr(&o, shdr(&o, s)->sh_info)->sh_flags & SHF_EXECINSTR)
				hot[nr_hot++] = shdr(&o, s);
			else if (t == SHT_PROGBITS && shdr(&o, s)->sh_flags & SHF_EXECINSTR &&
				 shdr(&o, s)->sh_size)
				hot[nr_hot++] = shdr(&o, s);
		}
		for (i = 0; i < 1500; i++) {
			struct obj d = obj_dup(&o);
			int flips = 1 + rng() % 4, f;
			struct pluglet_vm *vm;

			for (f = 0; f < flips; f++) {
				uint64_t x = rng();
				size_t at;

				switch (x % 4) {
				case 0:
					at = x / 4 % sizeof(Elf64_Ehdr);
					break;
				case 1:
					at = ehdr(&o)->e_shoff +
					     x / 4 % (ehdr(&o)->e_shnum * sizeof(Elf64_Shdr));
					break;
				case 2: {
					const Elf64_Shdr *h = hot[x / 4 % nr_hot];

					at = h->sh_offset + (x >> 20) % h->sh_size;
					break;
				}
				default:
					at = x / 4 % d.len;
				}
				d.buf[at % d.len] ^= (uint8_t)(1 + (x >> 40) % 255);
			}
			vm = load(&d, NULL, helpers);
			if (vm) {
				uint8_t mem[64] = { 0 };
				struct pluglet_region reg = {
					.start = (uintptr_t)mem, .len = sizeof(mem), .perm = PLUGLET_PERM_RW,
				};
				struct pluglet_exec ex = {
					.sz = sizeof(ex), .regions = &reg, .nr_regions = 1, .budget = 100000,
				};
				uint64_t r0;
				int err;

				nr_recorded = 0;
				err = pluglet_vm__run(vm, &ex, (uintptr_t)mem, sizeof(mem), &r0);
				assert_true(err == 0 || err == -EFAULT);
				pluglet_vm__free(vm);
				loaded++;
			} else {
				if (errno != EINVAL && errno != E2BIG)
					fail_msg("errno %d (%s) for a damaged object", errno, log_buf);
				assert_true(log_buf[0] != '\0');
				refused++;
			}
			free(d.buf);
		}
		free(o.buf);
	}
	print_message("flipped objects: %u refused, %u loaded and ran\n", refused, loaded);
	/* The flips must exercise the refusals, not only harmless bytes. */
	assert_true(refused > loaded / 4);
}

static int use_jit(void **state)
{
	mode = PLUGLET_VM_JIT;
	return 0;
}

static int use_interp(void **state)
{
	mode = PLUGLET_VM_INTERP;
	return 0;
}

static int setup(void **state)
{
	helpers = pluglet_helpers__new();
	if (!helpers)
		return -1;
	if (pluglet_helpers__add_named(helpers, "record_str", h_record_str) < 0 ||
	    pluglet_helpers__add_named(helpers, "add3", h_add3) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	pluglet_helpers__free(helpers);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_calls),
		cmocka_unit_test(test_rodata_strings),
		cmocka_unit_test(test_rodata_is_read_only),
		cmocka_unit_test(test_data_bss_persist),
		cmocka_unit_test(test_entry_by_name),
		cmocka_unit_test(test_ambiguous_entry),
		cmocka_unit_test(test_helpers_by_name),
		cmocka_unit_test(test_maps_refused),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_bad_symbols),
		cmocka_unit_test(test_bad_relocations),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped_bytes),
		/* The same programs and mutants through the JIT. */
		cmocka_unit_test_setup_teardown(test_local_calls, use_jit, use_interp),
		cmocka_unit_test_setup_teardown(test_rodata_strings, use_jit, use_interp),
		cmocka_unit_test_setup_teardown(test_rodata_is_read_only, use_jit, use_interp),
		cmocka_unit_test_setup_teardown(test_data_bss_persist, use_jit, use_interp),
		cmocka_unit_test_setup_teardown(test_entry_by_name, use_jit, use_interp),
		cmocka_unit_test_setup_teardown(test_helpers_by_name, use_jit, use_interp),
		cmocka_unit_test_setup_teardown(test_flipped_bytes, use_jit, use_interp),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

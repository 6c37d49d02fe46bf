/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the ELF loader (pluglet_vm__load_elf). An input that
 * starts with the ELF magic is an object, loaded as is with its first
 * program (tests/fuzz/corpus/fuzz-elf holds such objects). Otherwise the
 * first byte picks how the input becomes an object: used as is, or as byte
 * patches and a truncation applied to one of the valid test objects of
 * tests/elf (read at start-up), which reaches the symbol and relocation code
 * far sooner than random bytes. Whatever loads is run once with a small
 * budget.
 * Run: make fuzz (or BUILD-fuzz/tests/fuzz/fuzz-elf -max_total_time=60)
 */
#include <pluglet/vm.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS 8

struct seed {
	uint8_t *buf;
	size_t len;
};

static struct seed seeds[MAX_SEEDS];
static size_t nr_seeds;
static struct pluglet_helpers *helpers;

static uint64_t h_read(struct pluglet_exec *ex, uint64_t p, uint64_t len, uint64_t a3,
		       uint64_t a4, uint64_t a5)
{
	const uint8_t *m = pluglet_exec__check(ex, p, len & 0xff, PLUGLET_PERM_READ);
	uint64_t sum = 0;

	for (size_t i = 0; m && i < (len & 0xff); i++)
		sum += m[i];
	return sum;
}

static void read_seed(const char *name)
{
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", ELF_PROGS_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		return;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && nr_seeds < MAX_SEEDS) {
		struct seed *s = &seeds[nr_seeds];

		rewind(f);
		s->buf = malloc(n);
		if (s->buf && fread(s->buf, 1, n, f) == (size_t)n) {
			s->len = n;
			nr_seeds++;
		} else {
			free(s->buf);
		}
	}
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = { "calls.o", "strings.o", "data.o",
					     "multi.o", "helpers.o", "maps.o" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		read_seed(names[i]);
	helpers = pluglet_helpers__new();
	if (helpers) {
		pluglet_helpers__add_named(helpers, "record_str", h_read);
		pluglet_helpers__add_named(helpers, "add3", h_read);
	}
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Mutated seed: data = [mode, seed, cut(4), (off(4), val)*]; the object is
 * the seed truncated to `cut` modulo its length + 1, with each byte at
 * off modulo the length set to val.
 */
static uint8_t *mutate(const uint8_t *data, size_t size, size_t *len)
{
	const struct seed *s;
	uint8_t *buf;
	size_t i;

	if (size < 6 || !nr_seeds)
		return NULL;
	s = &seeds[data[1] % nr_seeds];
	*len = s->len;
	if (data[0] & 0x10)
		*len = le32(data + 2) % (s->len + 1);
	buf = malloc(*len ? *len : 1);
	if (!buf)
		return NULL;
	memcpy(buf, s->buf, *len);
	for (i = 6; *len && i + 5 <= size; i += 5)
		buf[le32(data + i) % *len] = data[i + 4];
	return buf;
}

static bool is_elf(const uint8_t *data, size_t size)
{
	return size >= 4 && !memcmp(data, "\x7f" "ELF", 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const entries[] = { NULL, "first", "strings_main", "nope" };
	char log[256];
	struct pluglet_vm_opts opts = {
		.sz = sizeof(opts), .helpers = helpers, .log_buf = log, .log_size = sizeof(log),
	};
	struct pluglet_vm *vm;
	uint8_t *buf = NULL;
	const uint8_t *obj = data;
	size_t len = size;

	if (is_elf(data, size)) {
		/* A whole object (e.g. from tests/fuzz/corpus/fuzz-elf): its first program. */
	} else if (size && (data[0] & 1)) {
		buf = mutate(data, size, &len);
		if (!buf)
			return 0;
		obj = buf;
		opts.entry = entries[(data[0] >> 1) & 3];
	} else if (size) {
		opts.entry = entries[(data[0] >> 1) & 3];
	}
	vm = pluglet_vm__load_elf(obj, len, &opts);
	if (vm) {
		uint8_t mem[64] = { 0 };
		struct pluglet_region reg = {
			.start = (uintptr_t)mem, .len = sizeof(mem), .perm = PLUGLET_PERM_RW,
		};
		struct pluglet_exec ex = {
			.sz = sizeof(ex), .regions = &reg, .nr_regions = 1, .budget = 20000,
		};
		uint64_t r0;

		pluglet_vm__run(vm, &ex, (uintptr_t)mem, sizeof(mem), &r0);
		pluglet_vm__free(vm);
	} else if (!log[0]) {
		/* A refusal must always say why. */
		__builtin_trap();
	}
	free(buf);
	return 0;
}

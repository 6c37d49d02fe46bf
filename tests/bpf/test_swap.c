// SPDX-License-Identifier: MIT
/*
 * Unit tests of swap-state's logic without the kernel: the `swap` list of
 * map names, and the swap fields of an entry's state file written and read
 * back (which copy is live survives a restart through them).
 */
#include "engine.h"
#include "engine_internal.h"
#include "state.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void swap_list(void **st)
{
	char n[SWAP_MAX_MAPS][16];

	(void)st;
	assert_int_equal(engine_parse_swap_maps("pkts", n, SWAP_MAX_MAPS), 1);
	assert_string_equal(n[0], "pkts");
	assert_int_equal(engine_parse_swap_maps(" pkts , pcpu\t", n, SWAP_MAX_MAPS), 2);
	assert_string_equal(n[0], "pkts");
	assert_string_equal(n[1], "pcpu");
	assert_int_equal(engine_parse_swap_maps("a,b,c", n, 2), -EINVAL);	/* too many */
	assert_int_equal(engine_parse_swap_maps("a,a", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps("a,,b", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps("a,", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps(",a", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps("", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps("  ", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps(NULL, n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps("a b", n, SWAP_MAX_MAPS), -EINVAL);
	assert_int_equal(engine_parse_swap_maps("x/y", n, SWAP_MAX_MAPS), -EINVAL);
	/* the kernel keeps 15 characters of a map name */
	assert_int_equal(engine_parse_swap_maps("abcdefghijklmno", n, SWAP_MAX_MAPS), 1);
	assert_int_equal(engine_parse_swap_maps("abcdefghijklmnop", n, SWAP_MAX_MAPS), -EINVAL);
}

static void swap_state_fields(void **st)
{
	static const char *const made[] = { "ifaces/eth0/xdp/10.ini", "ifaces/eth0/xdp",
					    "ifaces/eth0", "ifaces", "" };
	char dir[] = "/tmp/plugfs-test-swap-XXXXXX", hdir[PATH_MAX], path[PATH_MAX + 32];
	size_t i;
	struct engine *e = calloc(1, sizeof(*e));
	struct eng_hook *h = calloc(1, sizeof(*h));
	struct eng_entry *en = calloc(1, sizeof(*en));
	struct eng_swap *s = calloc(1, sizeof(*s));
	struct saved_entry *se;

	(void)st;
	assert_non_null(e);
	assert_non_null(h);
	assert_non_null(en);
	assert_non_null(s);
	assert_non_null(mkdtemp(dir));
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", dir);
	e->journal_fd = -1;
	snprintf(h->ifname, sizeof(h->ifname), "eth0");
	snprintf(h->mode, sizeof(h->mode), "native");
	en->prio = 10;
	en->prog_id = 42;
	en->prog_fd = -1;
	memset(en->sha256, '0', 64);
	snprintf(s->list, sizeof(s->list), "pkts,pcpu");
	s->empty = true;
	s->live = 1;
	s->id = 43;
	s->pending = 2;
	en->swap = s;
	h->ent[0] = en;
	h->n = 1;
	assert_int_equal(state_save_entry(e, h, en, NULL, 0), 0);
	assert_int_equal(state_hook_dir(e, "eth0", ENGINE_HOOK_XDP, hdir, sizeof(hdir)), 0);
	se = state_read_entry(hdir, 10);
	assert_non_null(se);
	assert_string_equal(se->swap, "pkts,pcpu");
	assert_true(se->swap_empty);
	assert_int_equal(se->swap_live, 1);
	assert_int_equal(se->swap_id, 43);
	assert_int_equal(se->swap_pending, 2);
	assert_int_equal(se->prog_id, 42);
	state_entry_free(se);

	/* an entry without swap maps writes none of the keys */
	en->swap = NULL;
	assert_int_equal(state_save_entry(e, h, en, NULL, 0), 0);
	se = state_read_entry(hdir, 10);
	assert_non_null(se);
	assert_string_equal(se->swap, "");
	assert_int_equal(se->swap_id, 0);
	state_entry_free(se);

	/* the file and the directories state_save_entry made, deepest first */
	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, made[i]);
		assert_int_equal(i ? rmdir(path) : unlink(path), 0);
	}
	free(s);
	free(en);
	free(h);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(swap_list),
		cmocka_unit_test(swap_state_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the host control thread (vm/control.c) over real SysV
 * queues, with the in-memory fake host (fake_host.c) in place of the
 * runtime: run file, every action, error texts, large objects, reply
 * matching after a timeout, hostile messages, concurrent clients, batches
 * of requests to several hosts at once, cleanup.
 * Run: meson test -C build --suite unit test_control
 */
#include "control.h"
#include "fake_host.h"
#include "proto.h"
#include "status.h"

#include <errno.h>
#include <plugfs/clock.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static const char *const plugins[] = { "find_idx", "p1", "p2", NULL };
static const char *const points[] = { "find_idx", "other" };
static const uint32_t point_ids[] = { 1, 7 };

struct fx {
	char dir[64];
	char path[256];
	struct pluglet_host *h;
	struct pluglet_ctl *ctl;
	struct inj_client *c;
	int qid;
};

static struct fx *fx_new(unsigned int delay_ms, size_t max_object)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pluglet_ctl_opts o = {
		.sz = sizeof(o), .name = "fake", .points = points, .point_ids = point_ids,
		.nr_points = 2, .max_object = max_object,
	};

	assert_non_null(f);
	strcpy(f->dir, "/tmp/plugfs-ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	o.run_dir = f->dir;
	f->h = fake_host__new(plugins, delay_ms);
	f->ctl = pluglet_ctl__start(f->h, &o);
	assert_non_null(f->ctl);
	f->qid = pluglet_ctl__msqid(f->ctl);
	snprintf(f->path, sizeof(f->path), "%s/hosts/fake.%d", f->dir, (int)getpid());
	f->c = inj_client__open(f->qid);
	assert_non_null(f->c);
	return f;
}

static void fx_free(struct fx *f)
{
	char hosts[128];

	inj_client__close(f->c);
	pluglet_ctl__stop(f->ctl);
	fake_host__free(f->h);
	snprintf(hosts, sizeof(hosts), "%s/hosts", f->dir);
	rmdir(hosts);
	rmdir(f->dir);
	free(f);
}

static unsigned char *elf(size_t len, unsigned char fill)
{
	unsigned char *b = malloc(len);

	assert_non_null(b);
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(fill + i * 31 + (i >> 9));
	memcpy(b, "\177ELF", 4);
	return b;
}

static int req(struct fx *f, enum inj_action a, const char *plugin, enum pluglet_anchor an,
	       uint32_t seq, const void *obj, size_t len, struct inj_reply *rep)
{
	struct inj_request r = {
		.sz = sizeof(r), .action = a, .plugin = plugin, .anchor = an, .seq = seq,
	};

	return inj_client__request(f->c, &r, obj, len, rep, 5000);
}

static void test_run_file(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct msqid_ds ds;
	struct stat st;
	char buf[1024], want[64];
	FILE *fp;
	size_t n;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "[host]\nname = fake\n"));
	snprintf(want, sizeof(want), "\npid = %d\n", (int)getpid());
	assert_non_null(strstr(buf, want));
	snprintf(want, sizeof(want), "\nmsqid = %d\n", f->qid);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "\nmax_object = 1048576\n"));
	assert_non_null(strstr(buf, "[points]\nfind_idx = 1\nother = 7\n"));

	assert_int_equal(msgctl(f->qid, IPC_STAT, &ds), 0);
	assert_int_equal(ds.msg_perm.mode & 0777, 0600);

	/* stop removes queue and file */
	inj_client__close(f->c);
	f->c = NULL;
	pluglet_ctl__stop(f->ctl);
	f->ctl = NULL;
	assert_true(msgctl(f->qid, IPC_STAT, &ds) < 0);
	assert_true(access(f->path, F_OK) < 0);
	fx_free(f);
}

/* The same state as fields (fake_host's status: runs = the object's sum). */
static void test_host_status(struct fx *f, const unsigned char *b)
{
	struct inj_host_status st;
	bool seen = false;

	assert_int_equal(inj_client__status(f->c, &st, 2000), 0);
	assert_string_equal(st.name, "fake");
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.nr_points, 3);
	assert_string_equal(st.points[2].name, "p2");
	assert_int_equal(st.nr_pluglets, 3);
	for (uint32_t i = 0; i < st.nr_pluglets; i++) {
		const struct inj_pluglet_status *p = &st.pluglets[i];

		if (p->anchor != PLUGLET_ANCHOR_POST)
			continue;
		assert_string_equal(p->plugin, "find_idx");
		assert_int_equal(p->seq, 1);
		assert_int_equal(p->obj_size, 5000);
		assert_int_equal(p->runs, fake_host__fnv(b, 5000));
		seen = true;
	}
	assert_true(seen);
	inj_host_status__fini(&st);
}

static void test_actions(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct inj_request r = {
		.sz = sizeof(r), .action = INJ_ACT_ADD, .plugin = "find_idx",
		.anchor = PLUGLET_ANCHOR_PRE, .seq = 10, .jit = true, .extra_mem = 4096,
		.shared_mem = 1024,
	};
	struct pluglet_inject_opts o;
	struct inj_reply rep;
	unsigned char *a = elf(4096, 1), *b = elf(5000, 2);
	size_t len;

	assert_int_equal(inj_client__request(f->c, &r, a, 4096, &rep, 5000), 0);
	assert_true(rep.from_host);
	inj_reply__fini(&rep);
	assert_int_equal(fake_host__sum(f->h, "find_idx", PLUGLET_ANCHOR_PRE, 10, &len, &o),
			 fake_host__fnv(a, 4096));
	assert_int_equal(len, 4096);
	assert_true(o.jit);
	assert_int_equal(o.extra_mem, 4096);
	assert_int_equal(o.shared_mem, 1024);

	/* same seq again: the host's error text comes back */
	assert_int_equal(inj_client__request(f->c, &r, a, 4096, &rep, 5000), -EEXIST);
	assert_true(rep.from_host);
	assert_non_null(strstr(rep.text, "already exists"));
	inj_reply__fini(&rep);

	assert_int_equal(req(f, INJ_ACT_ADD, "p9", PLUGLET_ANCHOR_PRE, 1, a, 4096, &rep), -ENOENT);
	assert_non_null(strstr(rep.text, "'p9' is not registered"));
	inj_reply__fini(&rep);

	memcpy(b + 100, "REJECT", 6);
	assert_int_equal(req(f, INJ_ACT_ADD, "find_idx", PLUGLET_ANCHOR_POST, 1, b, 5000, &rep), -EINVAL);
	assert_non_null(strstr(rep.text, "instruction 3"));
	inj_reply__fini(&rep);
	memcpy(b + 100, "ACCEPT", 6);

	assert_int_equal(req(f, INJ_ACT_ADD, "find_idx", PLUGLET_ANCHOR_POST, 1, b, 5000, &rep), 0);
	assert_int_equal(req(f, INJ_ACT_ADD, "find_idx", PLUGLET_ANCHOR_REPLACE, 0, a, 100, &rep), 0);
	assert_int_equal(fake_host__count(f->h), 3);

	/* replace swaps the object */
	assert_int_equal(req(f, INJ_ACT_REPLACE, "find_idx", PLUGLET_ANCHOR_PRE, 10, b, 5000, &rep), 0);
	assert_int_equal(fake_host__sum(f->h, "find_idx", PLUGLET_ANCHOR_PRE, 10, &len, NULL),
			 fake_host__fnv(b, 5000));
	assert_int_equal(req(f, INJ_ACT_REPLACE, "find_idx", PLUGLET_ANCHOR_PRE, 11, b, 5000, &rep), -ENOENT);
	inj_reply__fini(&rep);

	/* status returns the report */
	assert_int_equal(req(f, INJ_ACT_STATUS, NULL, 0, 0, NULL, 0, &rep), 0);
	assert_non_null(strstr(rep.text, "Entries: 3\n"));
	assert_non_null(strstr(rep.text, "pluglet: find_idx post 1 size=5000"));
	assert_int_equal(strlen(rep.text), rep.text_len);
	inj_reply__fini(&rep);
	test_host_status(f, b);

	/* rm_pluglet removes one, rm the rest */
	assert_int_equal(req(f, INJ_ACT_REMOVE, "find_idx", PLUGLET_ANCHOR_POST, 1, NULL, 0, &rep), 0);
	assert_int_equal(fake_host__count(f->h), 2);
	assert_int_equal(req(f, INJ_ACT_REMOVE, "find_idx", PLUGLET_ANCHOR_POST, 1, NULL, 0, &rep), -ENOENT);
	inj_reply__fini(&rep);
	assert_int_equal(req(f, INJ_ACT_REMOVE_PLUGIN, "find_idx", 0, 0, NULL, 0, &rep), 0);
	assert_int_equal(fake_host__count(f->h), 0);
	assert_int_equal(req(f, INJ_ACT_REMOVE_PLUGIN, "nope", 0, 0, NULL, 0, &rep), -ENOENT);
	inj_reply__fini(&rep);

	free(a);
	free(b);
	fx_free(f);
}

/* inj_request follows the options-size rule. */
static void test_request_size(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct {
		struct inj_request r;
		uint64_t tail;
	} big = { .r = { .sz = sizeof(big), .action = INJ_ACT_STATUS }, .tail = 1 };
	struct inj_reply rep;

	assert_int_equal(inj_client__request(f->c, &big.r, NULL, 0, &rep, 2000), -EINVAL);
	assert_false(rep.from_host);
	assert_string_equal(rep.text, "bad request structure");
	inj_reply__fini(&rep);
	big.tail = 0;
	assert_int_equal(inj_client__request(f->c, &big.r, NULL, 0, &rep, 2000), 0);
	inj_reply__fini(&rep);
	/* an older one, without entry: that field reads as NULL */
	big.r.sz = offsetof(struct inj_request, entry);
	big.r.entry = "not/a valid name";
	assert_int_equal(inj_client__request(f->c, &big.r, NULL, 0, &rep, 2000), 0);
	inj_reply__fini(&rep);
	fx_free(f);
}

static void test_big_objects(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct inj_reply rep;
	unsigned char *a = elf((1u << 20) + 1, 3);
	size_t len;

	/* exactly 1 MiB: through a queue of 16 KiB */
	assert_int_equal(req(f, INJ_ACT_ADD, "p1", PLUGLET_ANCHOR_PRE, 1, a, 1u << 20, &rep), 0);
	assert_int_equal(fake_host__sum(f->h, "p1", PLUGLET_ANCHOR_PRE, 1, &len, NULL),
			 fake_host__fnv(a, 1u << 20));
	assert_int_equal(len, 1u << 20);
	/* one byte more: refused by the host early, and the channel still works */
	assert_int_equal(req(f, INJ_ACT_ADD, "p1", PLUGLET_ANCHOR_PRE, 2, a, (1u << 20) + 1, &rep), -EFBIG);
	assert_true(rep.from_host);
	assert_non_null(strstr(rep.text, "limit"));
	inj_reply__fini(&rep);
	assert_int_equal(req(f, INJ_ACT_ADD, "p1", PLUGLET_ANCHOR_PRE, 3, a, 300000, &rep), 0);
	assert_int_equal(fake_host__count(f->h), 2);
	fx_free(f);

	/* the limit is configurable */
	f = fx_new(0, 2u << 20);
	assert_int_equal(req(f, INJ_ACT_ADD, "p1", PLUGLET_ANCHOR_PRE, 2, a, (1u << 20) + 1, &rep), 0);
	fx_free(f);
	free(a);
}

/* A late reply to a timed-out request must not be taken for the next one. */
static void test_late_reply(void **state)
{
	struct fx *f = fx_new(300, 0);
	struct inj_request r = { .sz = sizeof(r), .action = INJ_ACT_REMOVE_PLUGIN, .plugin = "p2" };
	struct inj_reply rep;

	assert_int_equal(inj_client__request(f->c, &r, NULL, 0, &rep, 50), -ETIMEDOUT);
	assert_false(rep.from_host);
	inj_reply__fini(&rep);
	r.plugin = "nope";
	/* the first reply (0) arrives while we wait for this one (-ENOENT) */
	assert_int_equal(inj_client__request(f->c, &r, NULL, 0, &rep, 5000), -ENOENT);
	assert_true(rep.from_host);
	assert_non_null(strstr(rep.text, "nope"));
	inj_reply__fini(&rep);
	fx_free(f);
}

static void test_hostile(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct {
		long mtype;
		unsigned char b[600];
	} junk;
	struct inj_reply rep;
	unsigned char *a = elf(64, 4);

	memset(&junk, 0x5a, sizeof(junk));
	for (int i = 0; i < 20; i++) {
		junk.mtype = 1 + i;
		assert_int_equal(msgsnd(f->qid, &junk, (size_t)(i * 29) % sizeof(junk.b), 0), 0);
	}
	assert_int_equal(req(f, INJ_ACT_ADD, "p1", PLUGLET_ANCHOR_POST, 4, a, 64, &rep), 0);
	assert_int_equal(fake_host__calls(f->h), 1);
	free(a);
	fx_free(f);
}

struct worker {
	struct fx *f;
	const char *plugin;
	int failures;
};

/* 100 operations whose outcome is known in advance. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct inj_client *c = inj_client__open(w->f->qid);
	unsigned char *obj = elf(3000, (unsigned char)w->plugin[1]);
	struct inj_reply rep;

	for (int i = 0; i < 100; i++) {
		struct inj_request r = { .sz = sizeof(r), .plugin = w->plugin,
					 .anchor = PLUGLET_ANCHOR_PRE, .seq = (uint32_t)(i / 3) };
		int want = 0, rc;

		switch (i % 3) {
		case 0: r.action = INJ_ACT_ADD; break;
		case 1: r.action = INJ_ACT_REPLACE; break;
		default:
			/* every 2nd entry is removed; every 4th removal hits a wrong seq */
			r.action = INJ_ACT_REMOVE;
			if ((i / 3) % 2)
				continue;
			if ((i / 3) % 4 == 2) {
				r.seq = 1000;
				want = -ENOENT;
			}
		}
		obj[4] = (unsigned char)i;
		rc = inj_client__request(c, &r, inj_action_has_object(r.action) ? obj : NULL,
					 inj_action_has_object(r.action) ? 3000 : 0, &rep, 5000);
		if (rc != want || !rep.from_host ||
		    (want && !strstr(rep.text, "1000")))
			w->failures++;
		inj_reply__fini(&rep);
	}
	free(obj);
	inj_client__close(c);
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct worker w[2] = { { f, "p1", 0 }, { f, "p2", 0 } };
	pthread_t t[2];
	int kept = 0;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].failures, 0);
	assert_int_equal(w[1].failures, 0);
	/* entries 0..33; odd ones kept, even ones removed unless seq%4 == 2 */
	for (int s = 0; s <= 33; s++)
		kept += (s % 2) || (s % 4 == 2);
	assert_int_equal(fake_host__count(f->h), 2 * kept);
	fx_free(f);
}

/*
 * A batch to four hosts: each call gets its own host's answer (one host
 * refuses its object, one request is refused before it is sent, one
 * client appears twice), and the hosts work at the same time: four hosts
 * that each take 150 ms answer in well under the 600 ms of one after the
 * other.
 */
static void test_batch(void **state)
{
	struct fx *f[4];
	struct inj_request add = { .sz = sizeof(add), .action = INJ_ACT_ADD, .plugin = "p1",
				   .anchor = PLUGLET_ANCHOR_PRE, .seq = 3 };
	struct inj_request bad = add;
	struct inj_call c[5];
	unsigned char *a = elf(4096, 7), *r = elf(4096, 8);
	uint64_t t0, ms;
	size_t len;
	int i;

	for (i = 0; i < 4; i++)
		f[i] = fx_new(150, 0);
	memcpy(r + 200, "REJECT", 6);
	bad.plugin = "bad name";
	for (i = 0; i < 4; i++)
		c[i] = (struct inj_call){ .c = f[i]->c, .req = &add, .obj = a, .len = 4096 };
	c[2].obj = r;
	c[3].req = &bad;
	c[4] = (struct inj_call){ .c = f[0]->c, .req = &add, .obj = a, .len = 4096 };
	t0 = plugfs_now_ns();
	assert_int_equal(inj_client__request_all(c, 5, 5000), 0);
	ms = (plugfs_now_ns() - t0) / 1000000;
	assert_true(ms < 450);
	/* c[0] or c[4] was sent (the same client): the other fails locally */
	assert_true((c[0].rc == 0 && c[4].rc == -EINVAL) || (c[0].rc == -EINVAL && c[4].rc == 0));
	assert_true(c[0].reply.from_host != c[4].reply.from_host);
	assert_int_equal(c[1].rc, 0);
	assert_true(c[1].reply.from_host);
	assert_int_equal(c[2].rc, -EINVAL);
	assert_true(c[2].reply.from_host);
	assert_non_null(strstr(c[2].reply.text, "instruction 3"));
	assert_int_equal(c[3].rc, -EINVAL);
	assert_false(c[3].reply.from_host);
	assert_non_null(strstr(c[3].reply.text, "bad plugin name"));
	for (i = 0; i < 5; i++)
		inj_reply__fini(&c[i].reply);
	assert_int_equal(fake_host__sum(f[1]->h, "p1", PLUGLET_ANCHOR_PRE, 3, &len, NULL),
			 fake_host__fnv(a, 4096));
	assert_int_equal(fake_host__count(f[2]->h), 0);
	assert_int_equal(fake_host__calls(f[3]->h), 0);
	free(a);
	free(r);
	for (i = 0; i < 4; i++)
		fx_free(f[i]);
}

/* In a batch, a host that does not answer in time fails its own call only,
 * and its late reply is not taken for the next request. */
static void test_batch_timeout(void **state)
{
	struct fx *slow = fx_new(400, 0), *fast = fx_new(0, 0);
	struct inj_request rm = { .sz = sizeof(rm), .action = INJ_ACT_REMOVE_PLUGIN, .plugin = "p2" };
	struct inj_call c[2] = {
		{ .c = slow->c, .req = &rm },
		{ .c = fast->c, .req = &rm },
	};
	struct inj_reply rep;

	assert_int_equal(inj_client__request_all(c, 2, 100), 0);
	assert_int_equal(c[0].rc, -ETIMEDOUT);
	assert_false(c[0].reply.from_host);
	assert_int_equal(c[1].rc, 0);
	assert_true(c[1].reply.from_host);
	inj_reply__fini(&c[0].reply);
	inj_reply__fini(&c[1].reply);
	/* the slow host's first answer (-ENOENT for p2) arrives meanwhile */
	rm.plugin = "nope";
	assert_int_equal(inj_client__request(slow->c, &rm, NULL, 0, &rep, 5000), -ENOENT);
	assert_non_null(strstr(rep.text, "nope"));
	inj_reply__fini(&rep);
	fx_free(slow);
	fx_free(fast);
}

static void test_bad_opts(void **state)
{
	struct pluglet_host *h = fake_host__new(plugins, 0);
	struct pluglet_ctl_opts o = { .sz = sizeof(o), .name = "a/b", .run_dir = "/nonexistent" };

	assert_null(pluglet_ctl__start(h, &o));
	assert_int_equal(errno, EINVAL);
	o.name = "";
	assert_null(pluglet_ctl__start(h, &o));
	/* a newer struct with something in its unknown tail */
	{
		struct {
			struct pluglet_ctl_opts o;
			uint64_t tail;
		} big = { .o = { .sz = sizeof(big), .name = "ok" }, .tail = 1 };

		errno = 0;
		assert_null(pluglet_ctl__start(h, &big.o));
		assert_int_equal(errno, EINVAL);
	}
	assert_null(pluglet_ctl__start(h, NULL));
	assert_null(pluglet_ctl__start(NULL, &o));
	pluglet_ctl__stop(NULL);
	assert_int_equal(pluglet_ctl__msqid(NULL), -1);
	fake_host__free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_file),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_request_size),
		cmocka_unit_test(test_big_objects),
		cmocka_unit_test(test_late_reply),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_timeout),
		cmocka_unit_test(test_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

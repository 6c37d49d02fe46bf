/* SPDX-License-Identifier: MIT */
/*
 * Host runtime: insertion points, PRE/REPLACE/POST anchors, hot swap.
 *
 * Hot swap uses liburcu's memb flavour: a reader (a host thread inside an
 * insertion point) only bumps a thread-local counter, never blocks and
 * never writes shared memory; writers publish a new immutable snapshot and
 * wait for a grace period before freeing the old one. QSBR would make the
 * read side free too, but it needs every host thread to announce quiescent
 * states, which we cannot ask of arbitrary host programs; memb only needs
 * the thread to be registered, which we do lazily on its first call.
 */
#include "host_internal.h"
#include "control.h"

#include <plugfs/clock.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define HOST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HOST_TSAN 1
#endif
#endif

/*
 * Inline read-side primitives (a thread-local counter and a compiler
 * barrier) instead of two library calls per critical section; liburcu
 * allows it for GPL-compatible code, which MIT is. Not under TSan: the
 * inline code synchronises with asm atomics TSan cannot see, the library
 * calls are simply not instrumented.
 */
#ifndef HOST_TSAN
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>

#ifdef HOST_TSAN
#include <sanitizer/tsan_interface.h>
/*
 * liburcu (0.13) synchronises through membarrier(), which ThreadSanitizer
 * cannot see: tell it that everything a reader did before leaving its
 * critical section happens before the writer's free after the grace period.
 */
static char tsan_grace;
#define TSAN_READER_DONE() __tsan_release(&tsan_grace)
#define TSAN_GRACE_DONE()  __tsan_acquire(&tsan_grace)
#else
#define TSAN_READER_DONE() do { } while (0)
#define TSAN_GRACE_DONE()  do { } while (0)
#endif

void *pluglet__points[PLUGLET_FAST_IDS];

static struct pluglet_host *default_host;
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- reader registration (lazy, once per thread) ---- */

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static __thread bool tl_registered __attribute__((tls_model("initial-exec")));

static void thread_exit(void *arg)
{
	if (tl_registered) {
		urcu_memb_unregister_thread();
		tl_registered = false;
	}
	host_heap_thread_exit();
}

static void thread_key_init(void)
{
	if (pthread_key_create(&thread_key, thread_exit))
		pr_warn("pluglet: cannot create the thread key; thread exit leaks its reader slot\n");
}

static void __attribute__((noinline)) reader_register(void)
{
	pthread_once(&thread_key_once, thread_key_init);
	urcu_memb_register_thread();
	tl_registered = true;
	pthread_setspecific(thread_key, (void *)1);
}

void pluglet_thread_register(void)
{
	if (!tl_registered)
		reader_register();
}

/* Nesting depth of this thread's read-side sections (helpers may re-enter). */
static __thread unsigned tl_depth __attribute__((tls_model("initial-exec")));

static inline void reader_enter(void)
{
	if (__builtin_expect(!tl_registered, 0))
		reader_register();
	urcu_memb_read_lock();
	tl_depth++;
}

static inline void reader_exit(void)
{
	tl_depth--;
	TSAN_READER_DONE();
	urcu_memb_read_unlock();
}

static void grace_period(void)
{
	urcu_memb_synchronize_rcu();
	TSAN_GRACE_DONE();
}

/* ---- small utilities ---- */

static void set_err(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static struct host_point *point_by_name(struct pluglet_host *h, const char *name)
{
	for (size_t i = 0; name && i < h->nr_points; i++)
		if (!strcmp(h->points[i].name, name))
			return &h->points[i];
	return NULL;
}

/* ---- snapshots ---- */

static void pluglet_free(struct host_pluglet *p)
{
	if (!p)
		return;
	pluglet_vm__free(p->vm);
	pthread_mutex_destroy(&p->fault_lock);
	free(p);
}

/* Builds the snapshot of the writer list; NULL with errno 0 when empty. */
static struct host_set *set_build(struct host_point *pt)
{
	struct host_pluglet *p;
	struct host_set *s;
	uint32_t n = 0, i = 0;

	errno = 0;
	if (!pt->pluglets)
		return NULL;
	for (p = pt->pluglets; p; p = p->next)
		n++;
	s = calloc(1, sizeof(*s) + n * sizeof(s->list[0]));
	if (!s)
		return NULL;
	s->shm = pt->shm;
	/* the list is sorted by (anchor, seq): PRE entries come before POST ones */
	for (p = pt->pluglets; p; p = p->next) {
		if (p->anchor == PLUGLET_ANCHOR_REPLACE) {
			s->replace = p;
			continue;
		}
		s->list[i++] = p;
		if (p->anchor == PLUGLET_ANCHOR_PRE)
			s->nr_pre++;
		else
			s->nr_post++;
	}
	return s;
}

/*
 * Publishes the writer list of pt (host->lock held), waits for readers of
 * the old snapshot, then frees it and `garbage` (a chain linked by ->next).
 * On ENOMEM nothing is published and the caller undoes its change.
 */
static int point_publish(struct host_point *pt, struct host_pluglet *garbage,
			 struct host_shm *old_shm)
{
	struct host_set *ns, *old;

	/* waiting for readers from inside a reader (a helper managing pluglets) never ends */
	if (tl_depth)
		return -EDEADLK;
	ns = set_build(pt);
	if (!ns && errno)
		return -ENOMEM;
	old = pt->set;
	__atomic_store_n(&pt->set, ns, __ATOMIC_RELEASE);
	if (pt->host->is_default && pt->id < PLUGLET_FAST_IDS)
		__atomic_store_n(&pluglet__points[pt->id], ns ? (void *)pt : NULL, __ATOMIC_RELEASE);
	grace_period();
	free(old);
	while (garbage) {
		struct host_pluglet *next = garbage->next;

		pluglet_free(garbage);
		garbage = next;
	}
	host_shm_free(old_shm);
	return 0;
}

/* Inserts p into the sorted writer list. */
static void list_insert(struct host_point *pt, struct host_pluglet *p)
{
	struct host_pluglet **pp = &pt->pluglets;

	while (*pp && ((*pp)->anchor < p->anchor ||
		       ((*pp)->anchor == p->anchor && (*pp)->seq < p->seq)))
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
}

static struct host_pluglet **list_find(struct host_point *pt, enum pluglet_anchor anchor, uint32_t seq)
{
	struct host_pluglet **pp;

	for (pp = &pt->pluglets; *pp; pp = &(*pp)->next)
		if ((*pp)->anchor == anchor && (*pp)->seq == seq)
			return pp;
	return NULL;
}

static struct host_pluglet *replace_of(struct host_point *pt)
{
	for (struct host_pluglet *p = pt->pluglets; p; p = p->next)
		if (p->anchor == PLUGLET_ANCHOR_REPLACE)
			return p;
	return NULL;
}

/* ---- loading ---- */

/* The name of the process that sends a pluglet, for the status. */
static void sender_name(int32_t pid, char *out, size_t size)
{
	char path[64];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	else
		out[0] = '\0';
	fclose(f);
}

static struct host_pluglet *pluglet_load(struct pluglet_host *h, struct host_point *pt,
					 enum pluglet_anchor anchor, uint32_t seq,
					 const void *obj, size_t len,
					 const struct pluglet_inject_opts *opts,
					 char *err, size_t err_size)
{
	struct pluglet_inject_opts o = { .sz = sizeof(o) };
	struct pluglet_vm_opts vo = { .sz = sizeof(vo) };
	struct host_pluglet *p;
	char name[96], log[512] = "";

	snprintf(name, sizeof(name), "%s/%s/%u", pt->name, pluglet_anchor_str(anchor), seq);
	if (PLUGFS_OPTS_COPY(&o, opts)) {
		set_err(err, err_size, "%s: bad injection options", name);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		set_err(err, err_size, "%s: out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	vo.mode = o.jit ? PLUGLET_VM_JIT : PLUGLET_VM_INTERP;
	vo.helpers = h->helpers;
	vo.budget = h->budget;
	vo.entry = o.entry;
	vo.log_buf = log;
	vo.log_size = sizeof(log);
	vo.name = name;
	if (!obj || !len) {
		errno = EINVAL;
		snprintf(log, sizeof(log), "empty object");
	} else if (pluglet_is_elf(obj, len)) {
		p->vm = pluglet_vm__load_elf(obj, len, &vo);
	} else if (len % sizeof(struct pluglet_insn) == 0) {
		p->vm = pluglet_vm__load(obj, (uint32_t)(len / sizeof(struct pluglet_insn)), &vo);
	} else {
		errno = EINVAL;
		snprintf(log, sizeof(log), "neither an ELF object nor raw bytecode (%zu bytes)", len);
	}
	if (!p->vm) {
		int e = errno ? errno : EINVAL;

		set_err(err, err_size, "%s: %s", name, log[0] ? log : strerror(e));
		pr_warn("pluglet host %s: cannot load %s: %s\n", h->name, name, log[0] ? log : strerror(e));
		free(p);
		errno = e;
		return NULL;
	}
	p->point = pt;
	p->anchor = anchor;
	p->seq = seq;
	p->jit = o.jit;
	p->extra_mem = o.extra_mem;
	p->shared_mem = o.shared_mem;
	p->obj_len = len;
	p->needs_exec = pluglet_vm__needs_exec(p->vm);
	p->origin = o.origin;
	p->gen = o.generation;
	p->sender_pid = o.sender_pid;
	if (o.sender_pid > 0)
		sender_name(o.sender_pid, p->sender, sizeof(p->sender));
	pthread_mutex_init(&p->fault_lock, NULL);
	return p;
}

/* Common checks of the management calls; returns the point or NULL with err set. */
static struct host_point *manage_point(struct pluglet_host *h, const char *plugin,
				       enum pluglet_anchor anchor, int *rc,
				       char *err, size_t err_size)
{
	struct host_point *pt;

	if (!h) {
		*rc = -EINVAL;
		set_err(err, err_size, "no host");
		return NULL;
	}
	if ((unsigned)anchor >= PLUGLET_ANCHOR__MAX) {
		*rc = -EINVAL;
		set_err(err, err_size, "host %s: bad anchor %d", h->name, (int)anchor);
		return NULL;
	}
	pt = point_by_name(h, plugin);
	if (!pt) {
		*rc = -ENOENT;
		set_err(err, err_size, "host %s does not register plugin '%s'", h->name,
			plugin ? plugin : "(null)");
	}
	return pt;
}

/* A point for a new pluglet: manage_point(), and only REPLACE at a CALL_REPLACE_ONLY. */
static struct host_point *load_point(struct pluglet_host *h, const char *plugin,
				     enum pluglet_anchor anchor, int *rc, char *err, size_t err_size)
{
	struct host_point *pt = manage_point(h, plugin, anchor, rc, err, err_size);

	if (pt && pt->replace_only && anchor != PLUGLET_ANCHOR_REPLACE) {
		*rc = -EINVAL;
		set_err(err, err_size, "host %s: %s is a replace-only point (CALL_REPLACE_ONLY): "
			"a %s pluglet would never run there", h->name, plugin, pluglet_anchor_str(anchor));
		return NULL;
	}
	return pt;
}

/* Gives the point its shared memory on first demand (host->lock held). */
static int point_ensure_shm(struct host_point *pt, uint32_t size, char *err, size_t err_size)
{
	if (!size)
		return 0;
	if (pt->shm) {
		if (pt->shm->size < size)
			pr_warn("pluglet host %s: plugin %s keeps its %llu bytes of shared memory (%u asked)\n",
				pt->host->name, pt->name, (unsigned long long)pt->shm->size, size);
		return 0;
	}
	pt->shm = host_shm_new(size);
	if (!pt->shm) {
		set_err(err, err_size, "plugin %s: cannot allocate %u bytes of shared memory",
			pt->name, size);
		return -ENOMEM;
	}
	return 0;
}

int pluglet_host__add(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
		      uint32_t seq, const void *obj, size_t len,
		      const struct pluglet_inject_opts *opts, char *err, size_t err_size)
{
	struct host_pluglet *p = NULL;
	struct host_point *pt;
	bool new_shm = false;
	int rc = 0;

	pt = load_point(h, plugin, anchor, &rc, err, err_size);
	if (!pt)
		return rc;
	pthread_mutex_lock(&h->lock);
	if (list_find(pt, anchor, seq)) {
		rc = -EEXIST;
		set_err(err, err_size, "%s/%s/%u already exists", plugin, pluglet_anchor_str(anchor), seq);
		goto out;
	}
	if (anchor == PLUGLET_ANCHOR_REPLACE && replace_of(pt)) {
		rc = -EEXIST;
		set_err(err, err_size, "plugin %s already has a replace pluglet (seq %u)",
			plugin, replace_of(pt)->seq);
		goto out;
	}
	p = pluglet_load(h, pt, anchor, seq, obj, len, opts, err, err_size);
	if (!p) {
		rc = -errno;
		goto out;
	}
	new_shm = !pt->shm;
	rc = point_ensure_shm(pt, p->shared_mem, err, err_size);
	if (rc)
		goto out;
	list_insert(pt, p);
	rc = point_publish(pt, NULL, NULL);
	if (rc) {
		*list_find(pt, anchor, seq) = p->next;
		set_err(err, err_size, "%s: cannot publish the change: %s", plugin, strerror(-rc));
		goto out;
	}
	pr_info("pluglet host %s: added %s/%s/%u (%s)\n", h->name, plugin, pluglet_anchor_str(anchor),
		seq, pluglet_vm__mode(p->vm) == PLUGLET_VM_JIT ? "jit" : "interpreter");
	p = NULL;
out:
	if (rc && new_shm && pt->shm && !pt->pluglets) {
		host_shm_free(pt->shm);	/* never published */
		pt->shm = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	pluglet_free(p);
	return rc;
}

int pluglet_host__replace(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			  uint32_t seq, const void *obj, size_t len,
			  const struct pluglet_inject_opts *opts, char *err, size_t err_size)
{
	struct host_pluglet *p = NULL, **pp, *old;
	struct host_point *pt;
	int rc = 0;

	pt = load_point(h, plugin, anchor, &rc, err, err_size);
	if (!pt)
		return rc;
	pthread_mutex_lock(&h->lock);
	pp = list_find(pt, anchor, seq);
	if (!pp) {
		rc = -ENOENT;
		set_err(err, err_size, "no pluglet %s/%s/%u to replace", plugin,
			pluglet_anchor_str(anchor), seq);
		goto out;
	}
	p = pluglet_load(h, pt, anchor, seq, obj, len, opts, err, err_size);
	if (!p) {
		rc = -errno;
		goto out;
	}
	rc = point_ensure_shm(pt, p->shared_mem, err, err_size);
	if (rc)
		goto out;
	old = *pp;
	p->next = old->next;
	*pp = p;
	old->next = NULL;
	rc = point_publish(pt, old, NULL);
	if (rc) {
		*pp = old;
		old->next = p->next;
		set_err(err, err_size, "%s: cannot publish the change: %s", plugin, strerror(-rc));
		goto out;
	}
	pr_info("pluglet host %s: replaced %s/%s/%u\n", h->name, plugin, pluglet_anchor_str(anchor), seq);
	p = NULL;
out:
	pthread_mutex_unlock(&h->lock);
	pluglet_free(p);
	return rc;
}

int pluglet_host__remove(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			 uint32_t seq, char *err, size_t err_size)
{
	struct host_pluglet **pp, *old;
	struct host_point *pt;
	int rc = 0;

	pt = manage_point(h, plugin, anchor, &rc, err, err_size);
	if (!pt)
		return rc;
	pthread_mutex_lock(&h->lock);
	pp = list_find(pt, anchor, seq);
	if (!pp) {
		rc = -ENOENT;
		set_err(err, err_size, "no pluglet %s/%s/%u", plugin, pluglet_anchor_str(anchor), seq);
		goto out;
	}
	old = *pp;
	*pp = old->next;
	old->next = NULL;
	rc = point_publish(pt, old, NULL);
	if (rc) {
		old->next = *pp;
		*pp = old;
		set_err(err, err_size, "%s: cannot publish the change: %s", plugin, strerror(-rc));
		goto out;
	}
	pr_info("pluglet host %s: removed %s/%s/%u\n", h->name, plugin, pluglet_anchor_str(anchor), seq);
out:
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Drops every pluglet and the shared memory of pt (host->lock held). */
static int point_clear(struct host_point *pt)
{
	struct host_pluglet *all = pt->pluglets;
	struct host_shm *shm = pt->shm;

	if (!all && !shm)
		return 0;
	if (tl_depth)
		return -EDEADLK;
	pt->pluglets = NULL;
	pt->shm = NULL;
	/* an empty list needs no allocation, so publishing cannot fail */
	return point_publish(pt, all, shm);
}

int pluglet_host__remove_plugin(struct pluglet_host *h, const char *plugin,
				char *err, size_t err_size)
{
	struct host_point *pt;
	int rc = 0;

	pt = manage_point(h, plugin, PLUGLET_ANCHOR_PRE, &rc, err, err_size);
	if (!pt)
		return rc;
	pthread_mutex_lock(&h->lock);
	rc = point_clear(pt);
	pthread_mutex_unlock(&h->lock);
	if (rc) {
		set_err(err, err_size, "plugin %s: %s", plugin, strerror(-rc));
		return rc;
	}
	pr_info("pluglet host %s: removed plugin %s\n", h->name, plugin);
	return 0;
}

/* ---- running ---- */

/* Same layout as struct pluglet_args of <pluglet/pluglet.h>. */
struct args_view {
	uint64_t nargs;
	struct {
		uint64_t ptr;
		uint64_t len;
		int32_t kind;
		int32_t type;
	} arg[PLUGLET_MAX_ARGS];
};

static void record_fault(struct host_pluglet *p, enum pluglet_fault_kind kind, uint32_t insn,
			 const char *msg)
{
	uint64_t n = __atomic_add_fetch(&p->faults, 1, __ATOMIC_RELAXED);
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&p->fault_lock);
	p->fault_kinds[(unsigned int)kind < PLUGLET_STATS_FAULT_KINDS ? kind : 0]++;
	p->last_kind = kind;
	p->last_insn = insn;
	p->last_time_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	snprintf(p->last_fault, sizeof(p->last_fault), "%s: %s", pluglet_fault_kind_str(kind), msg);
	pthread_mutex_unlock(&p->fault_lock);
	/* the first fault is worth a line in the log; the rest are counted */
	if (n == 1)
		pr_warn("pluglet host %s: %s/%s/%u faulted: %s: %s\n", p->point->host->name,
			p->point->name, pluglet_anchor_str(p->anchor), p->seq,
			pluglet_fault_kind_str(kind), msg);
	else
		pr_debug("pluglet %s/%s/%u faulted: %s\n", p->point->name,
			 pluglet_anchor_str(p->anchor), p->seq, msg);
}

/*
 * What a run can look at: the argument view (r1), one region per visible
 * argument, the view itself, the private heap and the plugin's shared
 * memory, and the context helpers reach through ex->user. Returns 0 or
 * -EFAULT (fault recorded) when the heap cannot be had.
 */
static int run_prepare(const struct host_set *s, struct host_pluglet *p, struct pluglet_call *c,
		       uint32_t ptr_perm, uint64_t retval, struct args_view *view,
		       struct pluglet_region *regs, struct host_run *run, struct pluglet_exec *ex)
{
	struct host_point *pt = p->point;
	struct pluglet_host *h = pt->host;
	int nargs = c->nargs;
	uint32_t nr = 1;

	/*
	 * The view first: nearly every pluglet starts by reading it, and the
	 * JIT compares the first region inline (the others are scanned).
	 */
	regs[0].start = (uint64_t)(uintptr_t)view;
	regs[0].len = sizeof(view->nargs) + (uint64_t)nargs * sizeof(view->arg[0]);
	regs[0].perm = PLUGLET_PERM_READ;
	regs[0].tag = UINT32_MAX;
	view->nargs = (uint64_t)nargs;
	for (int i = 0; i < nargs; i++) {
		const bpf_args_t *a = &c->args[i];

		view->arg[i].len = a->len;
		view->arg[i].kind = a->kind;
		view->arg[i].type = a->type;
		view->arg[i].ptr = 0;
		if (a->kind == kind_hidden || !a->arg || !a->len)
			continue;
		view->arg[i].ptr = (uint64_t)(uintptr_t)a->arg;
		regs[nr].start = (uint64_t)(uintptr_t)a->arg;
		regs[nr].len = a->len;
		regs[nr].perm = a->kind == kind_ptr ? ptr_perm : PLUGLET_PERM_READ;
		regs[nr].tag = (uint32_t)i;
		nr++;
	}

	run->pub.host = h;
	run->pub.args = &run->fargs;
	run->pub.point_id = pt->id;
	run->pub.plugin = pt->name;
	run->pub.anchor = p->anchor;
	run->pub.seq = p->seq;
	run->pub.host_data = h->host_data;
	run->pub.exec = ex;
	run->fargs.args = c->args;
	run->fargs.nargs = nargs;
	run->pluglet = p;
	run->shm = s->shm;
	run->retval = retval;
	run->heap_size = 0;
	run->heap_top = 0;
	if (p->extra_mem) {
		run->heap = host_heap_push(p->extra_mem);
		if (!run->heap) {
			__atomic_add_fetch(&p->runs, 1, __ATOMIC_RELAXED);
			record_fault(p, PLUGLET_FAULT_HELPER, 0, "no memory for the private heap");
			return -EFAULT;
		}
		run->heap_size = p->extra_mem;
		regs[nr].start = (uint64_t)(uintptr_t)run->heap;
		regs[nr].len = p->extra_mem;
		regs[nr].perm = PLUGLET_PERM_RW;
		regs[nr].tag = UINT32_MAX - 1;
		nr++;
	}
	if (s->shm) {
		regs[nr].start = (uint64_t)(uintptr_t)s->shm->mem;
		regs[nr].len = s->shm->size;
		regs[nr].perm = PLUGLET_PERM_RW;
		regs[nr].tag = UINT32_MAX - 2;
		nr++;
	}
	ex->regions = regs;
	ex->nr_regions = nr;
	ex->user = run;
	return 0;
}

/*
 * Runs one pluglet on the call's arguments. Returns 0 (r0 valid), 1 when
 * the pluglet gave up with next(), -EFAULT when it faulted.
 */
static inline __attribute__((always_inline)) int
run_one_inline(const struct host_set *s, struct host_pluglet *p, struct pluglet_call *c,
	       uint32_t ptr_perm, uint64_t retval, uint64_t *r0)
{
	struct pluglet_region regs[PLUGLET_MAX_ARGS + 3];
	struct args_view view;
	struct host_run run;
	struct pluglet_exec ex;
	uint64_t t0 = 0;
	int nargs = c->nargs, rc;
	bool timed;

	if (nargs < 0 || nargs > PLUGLET_MAX_ARGS || (nargs && !c->args)) {
		__atomic_add_fetch(&p->runs, 1, __ATOMIC_RELAXED);
		record_fault(p, PLUGLET_FAULT_HELPER, 0, "insertion point passes a bad argument array");
		return -EFAULT;
	}
	/* only the inputs: pluglet_vm__run() resets every output, and clearing
	 * the whole struct (fault text included) costs more than a trivial run */
	ex.sz = sizeof(ex);
	ex.budget = 0;
	ex.regions = NULL;
	ex.nr_regions = 0;
	ex.user = NULL;
	run.heap = NULL;
	/*
	 * A program that reaches neither memory outside its stack nor helpers
	 * cannot tell whether the view, the regions and the context exist; for
	 * a short pluglet building them is most of what the runtime costs.
	 */
	if (p->needs_exec && run_prepare(s, p, c, ptr_perm, retval, &view, regs, &run, &ex))
		return -EFAULT;
	timed = __atomic_load_n(&p->point->host->stats_time, __ATOMIC_RELAXED);
	if (timed)
		t0 = plugfs_now_ns();
	rc = pluglet_vm__run(p->vm, &ex, (uint64_t)(uintptr_t)&view, (uint64_t)nargs, r0);
	if (timed) {
		__atomic_add_fetch(&p->run_ns, plugfs_now_ns() - t0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&p->timed_runs, 1, __ATOMIC_RELAXED);
	}
	if (run.heap)
		host_heap_pop(run.heap, run.heap_size);
	__atomic_add_fetch(&p->runs, 1, __ATOMIC_RELAXED);
	if (rc) {
		enum pluglet_fault_kind k = ex.fault.kind;

		record_fault(p, k == PLUGLET_FAULT_NONE ? PLUGLET_FAULT_HELPER : k, ex.fault.insn,
			     ex.fault.msg[0] ? ex.fault.msg : strerror(-rc));
		return -EFAULT;
	}
	return ex.fault.kind == PLUGLET_FAULT_ABORTED ? 1 : 0;
}

/* PRE and POST loops call it out of line; the REPLACE call, alone in
 * the common case, has it inlined: one call frame less per call
 * (callgrind: 31 instructions fewer per REPLACE call of bench_host). */
static int __attribute__((noinline)) run_one(const struct host_set *s, struct host_pluglet *p,
					     struct pluglet_call *c, uint32_t ptr_perm,
					     uint64_t retval, uint64_t *r0)
{
	return run_one_inline(s, p, c, ptr_perm, retval, r0);
}

int pluglet__pre_replace(struct pluglet_call *c, uint64_t *ret)
{
	struct host_point *pt = c->point;
	const struct host_set *s;
	uint64_t r0 = 0;
	int rc = 1;

	/* one critical section for both: no host code runs in between */
	reader_enter();
	s = __atomic_load_n(&pt->set, __ATOMIC_ACQUIRE);
	c->post = s && s->nr_post;
	for (uint32_t i = 0; s && i < s->nr_pre; i++)
		run_one(s, s->list[i], c, PLUGLET_PERM_READ, 0, &r0);
	if (s && s->replace && run_one_inline(s, s->replace, c, PLUGLET_PERM_RW, 0, &r0) == 0) {
		*ret = r0;
		rc = 0;
	}
	reader_exit();
	return rc;
}

void pluglet__pre(struct pluglet_call *c)
{
	struct host_point *pt = c->point;
	const struct host_set *s;
	uint64_t r0;

	reader_enter();
	s = __atomic_load_n(&pt->set, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; s && i < s->nr_pre; i++)
		run_one(s, s->list[i], c, PLUGLET_PERM_READ, 0, &r0);
	reader_exit();
}

int pluglet__replace(struct pluglet_call *c, uint64_t *ret)
{
	struct host_point *pt = c->point;
	const struct host_set *s;
	uint64_t r0 = 0;
	int rc = 1;

	reader_enter();
	s = __atomic_load_n(&pt->set, __ATOMIC_ACQUIRE);
	if (s && s->replace && run_one(s, s->replace, c, PLUGLET_PERM_RW, 0, &r0) == 0) {
		*ret = r0;
		rc = 0;
	}
	reader_exit();
	return rc;
}

void pluglet__post(struct pluglet_call *c, uint64_t ret)
{
	struct host_point *pt = c->point;
	const struct host_set *s;
	uint64_t r0;

	reader_enter();
	s = __atomic_load_n(&pt->set, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; s && i < s->nr_post; i++)
		run_one(s, s->list[s->nr_pre + i], c, PLUGLET_PERM_READ, ret, &r0);
	reader_exit();
}

void *pluglet__point_slow(uint32_t id)
{
	struct pluglet_host *h = __atomic_load_n(&default_host, __ATOMIC_ACQUIRE);

	for (size_t i = 0; h && i < h->nr_points; i++)
		if (h->points[i].id == id)
			return __atomic_load_n(&h->points[i].set, __ATOMIC_RELAXED) ? &h->points[i] : NULL;
	return NULL;
}

/* ---- host life cycle ---- */

struct pluglet_host *pluglet_host__default(void)
{
	return __atomic_load_n(&default_host, __ATOMIC_ACQUIRE);
}

void pluglet_host__set_stats_time(struct pluglet_host *h, bool on)
{
	if (h)
		__atomic_store_n(&h->stats_time, on, __ATOMIC_RELAXED);
}

/* PLUGLET_STATS_TIME=1: timing for a host whose code does not ask for it. */
static bool env_stats_time(void)
{
	const char *v = getenv("PLUGLET_STATS_TIME");

	return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

const char *pluglet_host__name(const struct pluglet_host *h)
{
	return h ? h->name : NULL;
}

int pluglet_host__msqid(const struct pluglet_host *h)
{
	/* read by the control thread's status answers while the host starts it */
	const struct pluglet_ctl *c = h ? __atomic_load_n(&h->ctl, __ATOMIC_ACQUIRE) : NULL;

	return c ? pluglet_ctl__msqid(c) : -1;
}

int pluglet_host__add_helper(struct pluglet_host *h, const char *name, pluglet_helper_fn fn)
{
	int rc;

	if (!h || !name || !fn)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	rc = pluglet_helpers__add_named(h->helpers, name, fn);
	pthread_mutex_unlock(&h->lock);
	if (rc < 0)
		pr_warn("pluglet host %s: cannot add helper %s: %s\n", h->name, name, strerror(-rc));
	return rc;
}

static int host_check_points(const struct pluglet_host_opts *o)
{
	for (size_t i = 0; i < o->nr_points; i++) {
		if (!o->points[i].name || !o->points[i].name[0]) {
			pr_warn("pluglet host: insertion point %zu has no name\n", i);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(o->points[i].name, o->points[j].name) ||
			    o->points[i].id == o->points[j].id) {
				pr_warn("pluglet host: insertion points %s (%u) and %s (%u) clash\n",
					o->points[j].name, o->points[j].id, o->points[i].name,
					o->points[i].id);
				return -EEXIST;
			}
		}
	}
	return 0;
}

static void host_start_control(struct pluglet_host *h, const struct pluglet_host_opts *o)
{
	struct pluglet_ctl_opts co = { .sz = sizeof(co) };
	const char **names;
	uint32_t *ids;
	bool *replace_only;

	names = calloc(h->nr_points + 1, sizeof(*names));
	ids = calloc(h->nr_points + 1, sizeof(*ids));
	replace_only = calloc(h->nr_points + 1, sizeof(*replace_only));
	if (!names || !ids || !replace_only) {
		pr_warn("pluglet host %s: no memory to start the control thread\n", h->name);
		goto out;
	}
	for (size_t i = 0; i < h->nr_points; i++) {
		names[i] = h->points[i].name;
		ids[i] = h->points[i].id;
		replace_only[i] = h->points[i].replace_only;
	}
	co.run_dir = o->run_dir;
	co.name = h->name;
	co.points = names;
	co.point_ids = ids;
	co.point_replace_only = replace_only;
	co.nr_points = h->nr_points;
	__atomic_store_n(&h->ctl, pluglet_ctl__start(h, &co), __ATOMIC_RELEASE);
	if (!h->ctl)
		pr_warn("pluglet host %s: control thread not started: %s\n", h->name, strerror(errno));
out:
	free(names);
	free(ids);
	free(replace_only);
}

static void host_destroy(struct pluglet_host *h)
{
	if (!h)
		return;
	pluglet_ctl__stop(h->ctl);
	__atomic_store_n(&h->ctl, NULL, __ATOMIC_RELEASE);
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; h->points && i < h->nr_points; i++)
		point_clear(&h->points[i]);
	pthread_mutex_unlock(&h->lock);
	if (h->is_default) {
		pthread_mutex_lock(&default_lock);
		__atomic_store_n(&default_host, NULL, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&default_lock);
	}
	for (size_t i = 0; h->points && i < h->nr_points; i++)
		free(h->points[i].name);
	free(h->points);
	pluglet_helpers__free(h->helpers);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

struct pluglet_host *pluglet_host__new(const struct pluglet_host_opts *opts)
{
	struct pluglet_host_opts o = { .sz = sizeof(o) };
	struct pluglet_host *h;
	char err[512];
	int rc;

	/* opts describe the host: required, then the options-size rule */
	if (!opts || PLUGFS_OPTS_COPY(&o, opts) ||
	    (o.nr_points && !o.points) || (o.nr_helpers && !o.helpers)) {
		errno = EINVAL;
		return NULL;
	}
	rc = host_check_points(&o);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	snprintf(h->name, sizeof(h->name), "%s",
		 o.name && o.name[0] ? o.name : program_invocation_short_name);
	h->host_data = o.host_data;
	h->budget = o.budget;
	h->stats_time = o.stats_time || env_stats_time();
	h->points = calloc(o.nr_points ? o.nr_points : 1, sizeof(*h->points));
	h->helpers = pluglet_helpers__new();
	if (!h->points || !h->helpers) {
		rc = -ENOMEM;
		goto fail;
	}
	h->nr_points = o.nr_points;
	for (size_t i = 0; i < o.nr_points; i++) {
		h->points[i].host = h;
		h->points[i].id = o.points[i].id;
		h->points[i].replace_only = o.points[i].replace_only;
		h->points[i].name = strdup(o.points[i].name);
		if (!h->points[i].name) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	rc = host_helpers_register(h->helpers);
	if (rc)
		goto fail;
	for (size_t i = 0; i < o.nr_helpers; i++) {
		rc = pluglet_helpers__add_named(h->helpers, o.helpers[i].name, o.helpers[i].fn);
		if (rc < 0) {
			pr_warn("pluglet host %s: helper %s: %s\n", h->name,
				o.helpers[i].name ? o.helpers[i].name : "(null)", strerror(-rc));
			goto fail;
		}
	}
	if (!o.no_default) {
		pthread_mutex_lock(&default_lock);
		if (default_host) {
			rc = -EBUSY;
			pr_warn("pluglet host %s: another host (%s) already serves VM_CALL\n", h->name,
				default_host->name);
		} else {
			h->is_default = true;
			__atomic_store_n(&default_host, h, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&default_lock);
		if (rc < 0)
			goto fail;
	}
	if (o.manifest) {
		int failed = 0;

		/* a pluglet that does not load is logged; a broken manifest is an error */
		rc = host_manifest_apply(h, o.manifest, err, sizeof(err), &failed);
		if (rc) {
			pr_warn("pluglet host %s: manifest %s: %s\n", h->name, o.manifest, err);
			goto fail;
		}
	}
	if (!o.no_control)
		host_start_control(h, &o);
	return h;
fail:
	host_destroy(h);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

void pluglet_host__free(struct pluglet_host *h)
{
	host_destroy(h);
}

int pluglet_init(const struct pluglet_host_opts *opts)
{
	return pluglet_host__new(opts) ? 0 : -errno;
}

void pluglet_shutdown(void)
{
	host_destroy(pluglet_host__default());
}

/* ---- reports ---- */

static void pluglet_stats_fill(struct host_pluglet *p, struct pluglet_stats *st)
{
	st->runs = __atomic_load_n(&p->runs, __ATOMIC_RELAXED);
	st->faults = __atomic_load_n(&p->faults, __ATOMIC_RELAXED);
	st->run_ns = __atomic_load_n(&p->run_ns, __ATOMIC_RELAXED);
	st->timed_runs = __atomic_load_n(&p->timed_runs, __ATOMIC_RELAXED);
	st->jit = pluglet_vm__mode(p->vm) == PLUGLET_VM_JIT;
	pthread_mutex_lock(&p->fault_lock);
	st->last_fault_kind = p->last_kind;
	st->last_fault_insn = p->last_insn;
	st->last_fault_time_ns = p->last_time_ns;
	memcpy(st->fault_kinds, p->fault_kinds, sizeof(st->fault_kinds));
	snprintf(st->last_fault, sizeof(st->last_fault), "%s", p->last_fault);
	pthread_mutex_unlock(&p->fault_lock);
}

int pluglet_host__stats(struct pluglet_host *h, const char *plugin, enum pluglet_anchor anchor,
			uint32_t seq, struct pluglet_stats *st)
{
	struct pluglet_stats tmp = { 0 };
	struct host_pluglet **pp;
	struct host_point *pt;
	int rc = 0;

	pt = manage_point(h, plugin, anchor, &rc, NULL, 0);
	/* an output struct: the caller's size says how much it can take */
	if (!pt || !st || !plugfs_opts_valid(st, st->sz, sizeof(tmp)))
		return pt ? -EINVAL : rc;
	pthread_mutex_lock(&h->lock);
	pp = list_find(pt, anchor, seq);
	if (pp)
		pluglet_stats_fill(*pp, &tmp);
	pthread_mutex_unlock(&h->lock);
	if (!pp)
		return -ENOENT;
	tmp.sz = st->sz;
	memcpy(st, &tmp, st->sz < sizeof(tmp) ? st->sz : sizeof(tmp));
	return 0;
}

/* One pluglet's fields (host->lock held: the list does not change). */
static void pluglet_status_fill(const struct pluglet_host *h, const struct host_point *pt,
				struct host_pluglet *p, struct inj_pluglet_status *ps)
{
	struct pluglet_stats st = { .sz = sizeof(st) };

	pluglet_stats_fill(p, &st);
	snprintf(ps->plugin, sizeof(ps->plugin), "%s", pt->name);
	ps->anchor = p->anchor;
	ps->seq = p->seq;
	ps->jit = st.jit;
	ps->obj_size = p->obj_len;
	ps->extra_mem = p->extra_mem;
	ps->shared_mem = p->shared_mem;
	ps->runs = st.runs;
	ps->faults = st.faults;
	ps->has_run_ns = __atomic_load_n(&h->stats_time, __ATOMIC_RELAXED) || st.timed_runs;
	ps->run_ns = st.run_ns;
	ps->timed_runs = st.timed_runs;
	ps->last_fault_kind = st.last_fault_kind;
	ps->last_fault_insn = st.last_fault_insn;
	ps->last_fault_time_ns = st.last_fault_time_ns;
	memcpy(ps->fault_kinds, st.fault_kinds, sizeof(ps->fault_kinds));
	snprintf(ps->last_fault, sizeof(ps->last_fault), "%s", st.last_fault);
	ps->origin = p->origin;
	ps->gen = p->gen;
	ps->sender_pid = p->sender_pid;
	snprintf(ps->sender, sizeof(ps->sender), "%s", p->sender);
}

/* Allocates the arrays for the host's current points and pluglets (host->lock held). */
static int status_alloc(const struct pluglet_host *h, struct inj_host_status *s)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nr_points; i++)
		for (struct host_pluglet *p = h->points[i].pluglets; p; p = p->next)
			n++;
	s->points = calloc(h->nr_points ? h->nr_points : 1, sizeof(*s->points));
	s->pluglets = calloc(n ? n : 1, sizeof(*s->pluglets));
	if (!s->points || !s->pluglets)
		return -ENOMEM;
	s->nr_points = h->nr_points;
	s->nr_pluglets = n;
	return 0;
}

int host_status_fill(struct pluglet_host *h, struct inj_host_status *s)
{
	uint32_t k = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&h->lock);
	rc = status_alloc(h, s);
	if (rc)
		goto out;
	snprintf(s->name, sizeof(s->name), "%s", h->name);
	s->pid = (int32_t)getpid();
	s->msqid = pluglet_host__msqid(h);
	for (size_t i = 0; i < h->nr_points; i++) {
		struct host_point *pt = &h->points[i];

		snprintf(s->points[i].name, sizeof(s->points[i].name), "%s", pt->name);
		s->points[i].id = pt->id;
		for (struct host_pluglet *p = pt->pluglets; p; p = p->next)
			pluglet_status_fill(h, pt, p, &s->pluglets[k++]);
	}
out:
	pthread_mutex_unlock(&h->lock);
	if (rc)
		inj_host_status__fini(s);
	return rc;
}

int pluglet_host__report(struct pluglet_host *h, char *buf, size_t size)
{
	struct inj_host_status st;
	struct strbuf sb;
	int rc;

	if (!h || (!buf && size))
		return -EINVAL;
	strbuf__init_fixed(&sb, buf, size);
	rc = host_status_fill(h, &st);
	if (rc)
		return rc;
	rc = inj_host_status__format(&st, &sb);
	inj_host_status__fini(&st);
	if (rc)
		return rc;
	return sb.len > INT32_MAX ? -EOVERFLOW : (int)sb.len;
}

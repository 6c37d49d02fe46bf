/* SPDX-License-Identifier: MIT */
/*
 * tracing/<name> entries in the kernel: every program of an object (or
 * those a manifest names) loaded and attached where its SEC() says as
 * libbpf reads it, or where the manifest's keys say (bpfctl's flags).
 * Programs and links are pinned in <bpffs>/tracing/<name>/ (prog_<p>,
 * link_<p>), so a killed daemon detaches nothing; the options and the
 * object are kept in <state>/tracing/<name>.ini and the object store, so
 * the next engine adopts the pins with their ids, or loads again what
 * lost its pins. A replace attaches the new links before the old go.
 * A load may be begun at the write that completes its object (prepared
 * loads, below), and tracepoints' perf events are opened beside the load.
 */
#include "engine_tracing.h"
#include "background.h"
#include "hooks.h"
#include "journal.h"
#include "prog_load.h"
#include "report.h"
#include "state.h"
#include "tp_open.h"

#include <plugfs/fileutil.h>
#include <plugfs/hex.h>
#include <plugfs/ini.h>
#include <plugfs/json.h>
#include <plugfs/log.h>
#include <plugfs/opts.h>
#include <plugfs/sha256.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define TRACE_MAX_PROGS 16
#define TRACEFS_DIR "/sys/kernel/tracing"
#define TRACEFS_MAGIC_NR 0x74726163

struct trace_job {
	struct engine *e;
	const char *name;
	char what[300];			/* "tracing/<name>" */
	struct engine_trace_opts o;
	const void *obj;
	size_t obj_len;
	const char *restore_map_dir;	/* a restore: the maps it had */
	struct eng_trace *old;
	struct bpf_object *bo;
	struct bpf_program *prog[TRACE_MAX_PROGS];
	struct engine_trace_point pt[TRACE_MAX_PROGS];
	struct bpf_link *link[TRACE_MAX_PROGS];
	struct tp_open_req tpo[TRACE_MAX_PROGS];	/* tracepoints' perf events (bpf/tp_open.c) */
	size_t ntpo;			/* tpo[] handed to the opener (0: none)... */
	bool tpo_out;			/* ...and not waited for yet */
	size_t n;
	char map_dir[PATH_MAX];
	struct new_pins np;
	struct load_res res;
	char stage[PATH_MAX];		/* the new pins, until they take the entry's place */
	bool direct;			/* a new entry: pinned in its own dir at once */
	struct eng_trace *replaced;	/* freed (its links detached) after the lock */
	bool tramp;			/* fentry / fexit / lsm among the programs */
	bool prepared;			/* opened and picked by engine__trace_prepare() */
};

/* A load begun ahead of its close: the job with its own name and bytes. */
struct trace_prep {
	struct trace_job j;
	const void *owner;		/* engine__trace_prepare()'s, for the unprepare */
	char name[130];
	size_t len;
	unsigned char obj[];
};

static void prep_drop(struct engine *e);

/* ---- the entries in memory ---- */

static struct eng_trace *trace_find(struct engine *e, const char *name)
{
	struct eng_trace *t;

	for (t = e->traces; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static void trace_free(struct eng_trace *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_progs; i++) {
		if (t->progs[i].prog_fd >= 0)
			close(t->progs[i].prog_fd);
		/* an own link's fd goes with it */
		if (t->progs[i].link_fd >= 0 && !t->progs[i].own)
			close(t->progs[i].link_fd);
		bpf_link__destroy(t->progs[i].own);
		bpf_link__destroy(t->progs[i].held);
	}
	bpf_object__close(t->held_obj);
	free(t->progs);
	free(t->globals);
	free(t->metadata);
	free(t);
}

static void trace_unlink(struct engine *e, struct eng_trace *t)
{
	struct eng_trace **pp;

	for (pp = &e->traces; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
}

/* A libbpf object whose programs and maps are pinned or held by fds of
 * ours: closing it (its fds, its memory) is no part of the answer. */
struct trace_reap {
	struct bpf_object *bo;
	struct eng_trace *old;		/* a replaced entry: its links' detach waits
					 * for the kernel's grace period (~100 ms) */
	struct trace_reap *next;
};

static void reap_later(struct engine *e, struct bpf_object *bo, struct eng_trace *old)
{
	struct trace_reap *r = bo || old ? malloc(sizeof(*r)) : NULL;

	if (!r) {
		bpf_object__close(bo);
		trace_free(old);
		return;
	}
	r->bo = bo;
	r->old = old;
	r->next = __atomic_load_n(&e->trace_reap, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&e->trace_reap, &r->next, r, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

/* After an answer, and before a verb (outside the lock): an unload's
 * programs and links must be gone when it returns. */
static void reap_now(struct engine *e)
{
	struct trace_reap *r = __atomic_exchange_n(&e->trace_reap, NULL, __ATOMIC_ACQUIRE), *n;

	for (; r; r = n) {
		n = r->next;
		bpf_object__close(r->bo);
		trace_free(r->old);
		free(r);
	}
}

void engine__trace_answered(struct engine *e)
{
	reap_now(e);
	engine__kick(e);
}

void tracing_free_all(struct engine *e)
{
	struct eng_trace *t, *n;

	reap_now(e);
	prep_drop(e);

	for (t = e->traces; t; t = n) {
		n = t->next;
		trace_free(t);
	}
	e->traces = NULL;
}

/*
 * <bpffs>/tracing/<prefix><name>: bpffs refuses names with a '.', which a
 * tracing/ name may have: it is written as ':' there (no name has one).
 */
static void pin_dir_as(const struct engine *e, const char *prefix, const char *name, char *buf,
		       size_t size)
{
	size_t n;
	char *p;

	plugfs_snprintf(buf, size, "%s/tracing/%s", e->bpffs_dir, prefix);
	n = strlen(buf);
	plugfs_snprintf(buf + n, size - n, "%s", name);
	for (p = buf + n; *p; p++)
		if (*p == '.')
			*p = ':';
}

static void pin_dir(const struct engine *e, const char *name, char *buf, size_t size)
{
	pin_dir_as(e, "", name, buf, size);
}

/* ---- what the kernel has ---- */

/* tracefs where libbpf looks for tracepoint ids and probe events. */
static void mount_tracefs(void)
{
	struct statfs sf;

	if (!statfs(TRACEFS_DIR, &sf) && sf.f_type == TRACEFS_MAGIC_NR)
		return;
	if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL))
		pr_warn("bpf: cannot mount tracefs at %s: %s (tracepoints and probes need it)",
			TRACEFS_DIR, strerror(errno));
	else
		pr_info("bpf: mounted tracefs at %s", TRACEFS_DIR);
}

static bool kernel_has_kprobes(void)
{
	return !access(TRACEFS_DIR "/kprobe_events", F_OK) ||
	       !access("/sys/bus/event_source/devices/kprobe/type", F_OK);
}

static bool wrong_tree_type(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_XDP || t == BPF_PROG_TYPE_SCHED_CLS ||
	       t == BPF_PROG_TYPE_SCHED_ACT;
}

static bool tracing_type(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_TRACEPOINT || t == BPF_PROG_TYPE_RAW_TRACEPOINT ||
	       t == BPF_PROG_TYPE_KPROBE || t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM;
}

static const char *type_str(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

/* Is p among the comma separated names (function or section name)? */
static bool listed(const char *list, const struct bpf_program *p)
{
	const char *s = list, *end;
	size_t n;

	while (*s) {
		s += strspn(s, " ,");
		end = s + strcspn(s, ",");
		n = (size_t)(end - s);
		while (n && s[n - 1] == ' ')
			n--;
		if (n && ((strlen(bpf_program__name(p)) == n && !strncmp(bpf_program__name(p), s, n)) ||
			  (strlen(bpf_program__section_name(p)) == n &&
			   !strncmp(bpf_program__section_name(p), s, n))))
			return true;
		s = end;
	}
	return false;
}

/* The section's point with the manifest's keys over it. */
static int resolve_point(struct trace_job *j, struct bpf_program *p, struct engine_trace_point *tp)
{
	const struct engine_trace_opts *o = &j->o;
	const char *sec = bpf_program__section_name(p);
	char text[PATH_MAX + 300];

	if (o->attach && *o->attach) {
		if (engine_trace_point_parse(o->attach, tp)) {
			pr_warn("%s: attach = %s: not an attach point (tracepoint:CAT:EVENT, "
				"raw_tracepoint:EVENT, uprobe:PATH:SYMBOL[+OFF], usdt:PATH:PROVIDER:NAME, "
				"kprobe:FUNC[+OFF], fentry:FUNC, ...)", j->what, o->attach);
			return -EINVAL;
		}
	} else if (engine_trace_point_from_sec(sec, tp)) {
		pr_warn("%s: program '%s': section '%s' names no attach point libbpf knows; give "
			"`attach =` in a manifest", j->what, bpf_program__name(p), sec);
		return -EINVAL;
	}
	if (o->target && *o->target && plugfs_set_str(tp->where, sizeof(tp->where), o->target))
		return -ENAMETOOLONG;
	if (o->fn_name && *o->fn_name && plugfs_set_str(tp->what, sizeof(tp->what), o->fn_name))
		return -ENAMETOOLONG;
	if (o->offset >= 0)
		tp->offset = (uint64_t)o->offset;
	if (o->retprobe >= 0)
		tp->retprobe = o->retprobe;
	if (o->pid)
		tp->pid = o->pid;
	if (!engine_trace_point_complete(tp)) {
		engine_trace_point_format(tp, text, sizeof(text));
		pr_warn("%s: program '%s' (section %s): the attach point '%s' is incomplete; give "
			"`attach =` (or target / fn_name) in a manifest", j->what, bpf_program__name(p),
			sec, text);
		return -EINVAL;
	}
	return 0;
}

/* Kernel features the point needs: kprobes, trampolines (at load). */
static int check_point(struct trace_job *j, struct bpf_program *p, struct engine_trace_point *tp)
{
	if (tp->kind == ENGINE_TRACE_KPROBE && !kernel_has_kprobes()) {
		pr_warn("%s: program '%s' (%s %s): this kernel has no kprobes (CONFIG_KPROBES unset: "
			"%s/kprobe_events is absent)", j->what, bpf_program__name(p),
			tp->retprobe ? "kretprobe" : "kprobe", tp->what, TRACEFS_DIR);
		return -EOPNOTSUPP;
	}
	if (tp->kind == ENGINE_TRACE_FENTRY || tp->kind == ENGINE_TRACE_FEXIT ||
	    tp->kind == ENGINE_TRACE_LSM) {
		j->tramp = true;
		if (j->o.fn_name && *j->o.fn_name)
			return bpf_program__set_attach_target(p, 0, tp->what);
	}
	return 0;
}

/* Picks the programs, checks their types and attach points. */
static int pick_programs(struct trace_job *j)
{
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program(p, j->bo) {
		enum bpf_prog_type t = bpf_program__type(p);

		if (j->o.prog_names && *j->o.prog_names && !listed(j->o.prog_names, p)) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		if (wrong_tree_type(t)) {
			pr_warn("%s: program '%s' (section %s) is a %s program: it goes into "
				"ifaces/<interface>/%s/<priority>, not tracing/", j->what,
				bpf_program__name(p), bpf_program__section_name(p), type_str(t),
				t == BPF_PROG_TYPE_XDP ? "xdp" : "tc-ingress");
			return -EINVAL;
		}
		if (!tracing_type(t)) {
			pr_warn("%s: program '%s' (section %s) is a %s program, not a tracing one "
				"(tracepoint, raw_tracepoint, uprobe, usdt, kprobe, fentry, fexit)",
				j->what, bpf_program__name(p), bpf_program__section_name(p),
				type_str(t));
			return -EINVAL;
		}
		if (j->n == TRACE_MAX_PROGS) {
			pr_warn("%s: more than %d programs in the object", j->what, TRACE_MAX_PROGS);
			return -E2BIG;
		}
		err = resolve_point(j, p, &j->pt[j->n]);
		if (!err)
			err = check_point(j, p, &j->pt[j->n]);
		if (err)
			return err;
		j->prog[j->n++] = p;
	}
	if (!j->n) {
		pr_warn("%s: no %sprogram to load in the object", j->what,
			j->o.prog_names && *j->o.prog_names ? "named " : "");
		return -EINVAL;
	}
	return 0;
}

/* Maps: the owner's, the replaced entry's, a restored entry's, or new ones. */
static int resolve_maps(struct trace_job *j)
{
	const char *dir = NULL;

	if (j->o.map_owner_id) {
		if (owner_map_dir(j->e, j->o.map_owner_id, &dir)) {
			pr_warn("%s: map_owner: no program with id %u is loaded by plugfs", j->what,
				j->o.map_owner_id);
			return -ENOENT;
		}
		if (!dir[0] || map_dir_swapped(j->e, dir)) {
			pr_warn("%s: map_owner: program %u has %s", j->what, j->o.map_owner_id,
				dir[0] ? "swap maps (swap =): its maps are not shared" :
					 "no maps to share");
			return -EINVAL;
		}
	} else if (j->restore_map_dir) {
		dir = j->restore_map_dir;
	} else if (j->old) {
		dir = j->old->map_pin_path;
	}
	plugfs_snprintf(j->map_dir, sizeof(j->map_dir), "%s", dir ? dir : "");
	return 0;
}

static int open_object(struct trace_job *j)
{
	char oname[64];
	const char *base = j->o.object_path ? strrchr(j->o.object_path, '/') : NULL;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = oname);
	int err;

	plugfs_snprintf(oname, sizeof(oname), "%s", base && base[1] != '.' ? base + 1 : j->name);
	oname[strcspn(oname, ".")] = '\0';
	j->bo = bpf_object__open_mem(j->obj, j->obj_len, &oo);
	if (!j->bo) {
		err = -errno;
		pr_warn("%s: not a BPF object libbpf can open: %s", j->what, strerror(-err));
		return plugfs_errno_from_libbpf(err);
	}
	return 0;
}

/* Globals, maps, then the load; the kernel's EPERM for a trampoline is
 * this kernel's refusal of fentry / fexit / LSM. */
static int load_object(struct trace_job *j)
{
	struct load_req lr = { .what = j->what, .bpffs_dir = j->e->bpffs_dir };
	size_t i;
	int err = 0;

	for (i = 0; !err && i < j->o.n_globals; i++)
		err = load_apply_global(j->bo, &lr, &j->o.globals[i]);
	if (!err)
		err = resolve_maps(j);
	lr.map_dir = j->map_dir[0] ? j->map_dir : NULL;
	if (!err)
		err = load_setup_map_pins(j->bo, &lr, &j->np);
	if (err)
		return err;
	err = bpf_object__load(j->bo);
	if (err == -EPERM && j->tramp) {
		pr_warn("%s: this kernel refuses BPF trampolines: loading the fentry/fexit/LSM "
			"program answered EPERM", j->what);
		return -EOPNOTSUPP;
	}
	if (-err == ESRCH && j->tramp) {
		pr_warn("%s: no kernel function of that name for fentry/fexit/LSM (%s)", j->what,
			j->pt[0].what);
		return -ENOENT;
	}
	if (err) {
		pr_warn("%s: the kernel refused the object: %s (verifier log above)", j->what,
			strerror(-err));
		return plugfs_errno_from_libbpf(err);
	}
	j->res.prog_id = load_prog_id(bpf_program__fd(j->prog[0]));
	return load_pin_fresh_maps(j->bo, &lr, &j->res);
}

/* The tracepoints' perf events are opened on the engine's opener thread
 * while this one loads the object (bpf/tp_open.c says why). */
static void events_start(struct trace_job *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		bool tp = j->pt[i].kind == ENGINE_TRACE_TRACEPOINT;

		j->tpo[i].category = tp ? j->pt[i].where : NULL;
		j->tpo[i].event = j->pt[i].what;
	}
	if (!j->e->tp_opener)
		j->e->tp_opener = tp_opener__new();
	/* no thread: the events are opened at the wait, in this one */
	tp_opener__submit(j->e->tp_opener, j->tpo, j->n);
	j->ntpo = j->n;
	j->tpo_out = true;
}

static void events_wait(struct trace_job *j)
{
	if (!j->tpo_out)
		return;
	tp_opener__wait(j->e->tp_opener, j->tpo, j->ntpo);
	j->tpo_out = false;
}

/* Events no link took (the load failed): closed. */
static void events_close(struct trace_job *j)
{
	size_t i;

	events_wait(j);
	for (i = 0; i < j->ntpo; i++)
		if (j->tpo[i].fd >= 0) {
			close(j->tpo[i].fd);
			j->tpo[i].fd = -1;
		}
	j->ntpo = 0;
}

/* A tracepoint's perf event, opened while the object loaded, becomes the
 * link's (which closes it); libbpf's attach_tracepoint does the same with
 * one it opens then. */
static struct bpf_link *attach_tracepoint(struct bpf_program *p, struct tp_open_req *r)
{
	int fd = r->err ? r->err : r->fd;
	struct bpf_link *l;

	r->fd = -1;
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	l = bpf_program__attach_perf_event(p, fd);
	if (!l) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return l;
}

static struct bpf_link *attach_one(struct bpf_program *p, const struct engine_trace_point *tp,
				   struct tp_open_req *r)
{
	int pid = tp->pid ? tp->pid : -1;

	switch (tp->kind) {
	case ENGINE_TRACE_TRACEPOINT:
		return attach_tracepoint(p, r);
	case ENGINE_TRACE_RAW_TP:
		return bpf_program__attach_raw_tracepoint(p, tp->what);
	case ENGINE_TRACE_UPROBE: {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = tp->retprobe,
			    .func_name = tp->what[0] ? tp->what : NULL);
		return bpf_program__attach_uprobe_opts(p, pid, tp->where, tp->offset, &uo);
	}
	case ENGINE_TRACE_USDT:
		return bpf_program__attach_usdt(p, pid, tp->where, tp->what, tp->usdt_name, NULL);
	case ENGINE_TRACE_KPROBE: {
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .offset = tp->offset, .retprobe = tp->retprobe);
		return bpf_program__attach_kprobe_opts(p, tp->what, &ko);
	}
	case ENGINE_TRACE_LSM:
		return bpf_program__attach_lsm(p);
	default:
		return bpf_program__attach_trace(p);
	}
}

/* Attaches every program and pins it with its link in the stage dir. */
static int attach_all(struct trace_job *j)
{
	char at[PATH_MAX + 300], path[PATH_MAX + 160];
	size_t i;
	int err;

	events_wait(j);
	/* a replace pins beside the old pins; a new entry where it stays */
	j->direct = !j->old;
	pin_dir_as(j->e, j->direct ? "" : "new:", j->name, j->stage, sizeof(j->stage));
	/* pins left behind (a crash in a replace) are rare: cleared when
	 * they are there rather than looked for on every load */
	err = mkdir(j->stage, 0700) ? -errno : 0;
	if (err == -EEXIST)
		load_unpin_dir(j->stage);
	if (err)
		err = plugfs_mkdir_p(j->stage, 0700);
	if (err) {
		pr_warn("%s: cannot make %s: %s", j->what, j->stage, strerror(-err));
		return err;
	}
	for (i = 0; i < j->n; i++) {
		engine_trace_point_format(&j->pt[i], at, sizeof(at));
		j->link[i] = attach_one(j->prog[i], &j->pt[i], &j->tpo[i]);
		if (!j->link[i]) {
			err = -errno;
			pr_warn("%s: program '%s': cannot attach to %s: %s", j->what,
				bpf_program__name(j->prog[i]), at, strerror(-err));
			return -err == ESRCH ? -ENOENT : err;
		}
		plugfs_snprintf(path, sizeof(path), "%s/prog_%s", j->stage,
				bpf_program__name(j->prog[i]));
		/* the directory is ours and on bpffs: no libbpf checks of it per pin */
		err = bpf_obj_pin(bpf_program__fd(j->prog[i]), path) ? -errno : 0;
		plugfs_snprintf(path, sizeof(path), "%s/link_%s", j->stage,
				bpf_program__name(j->prog[i]));
		/* libbpf's USDT link is a set of uprobes with no fd of its own */
		if (!err && j->pt[i].kind != ENGINE_TRACE_USDT)
			err = bpf_obj_pin(bpf_link__fd(j->link[i]), path) ? -errno : 0;
		if (err) {
			pr_warn("%s: program '%s' attached to %s: cannot pin it in %s: %s", j->what,
				bpf_program__name(j->prog[i]), at, j->stage, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int dup_fd(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static uint32_t link_id_of(int fd)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

/* The options kept with the entry, to show and to load it again. */
static int trace_fill_opts(struct eng_trace *t, const struct engine_trace_opts *o)
{
	struct engine_kv none = { NULL, NULL };

	plugfs_snprintf(t->object_path, sizeof(t->object_path), "%s",
			o->object_path ? o->object_path : "-");
	plugfs_snprintf(t->prog_names, sizeof(t->prog_names), "%s",
			o->prog_names ? o->prog_names : "");
	plugfs_snprintf(t->attach, sizeof(t->attach), "%s", o->attach ? o->attach : "");
	plugfs_snprintf(t->target, sizeof(t->target), "%s", o->target ? o->target : "");
	plugfs_snprintf(t->fn_name, sizeof(t->fn_name), "%s", o->fn_name ? o->fn_name : "");
	t->offset = o->offset;
	t->retprobe = o->retprobe;
	t->pid = o->pid;
	t->map_owner_id = o->map_owner_id;
	t->globals = globals_dup(o->globals, o->n_globals);
	t->n_globals = t->globals ? o->n_globals : 0;
	t->metadata = kv_lines(o->n_metadata ? o->metadata : &none, o->n_metadata);
	if ((o->n_globals && !t->globals) || (o->n_metadata && !t->metadata))
		return -ENOMEM;
	return 0;
}

/* The entry as loaded: its programs' fds (ours now), ids and points. */
static struct eng_trace *trace_build(struct trace_job *j)
{
	struct eng_trace *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	t->progs = calloc(j->n, sizeof(*t->progs));
	if (!t->progs) {
		free(t);
		return NULL;
	}
	t->n_progs = j->n;
	for (i = 0; i < j->n; i++) {
		struct eng_trace_prog *tp = &t->progs[i];

		plugfs_snprintf(tp->name, sizeof(tp->name), "%s", bpf_program__name(j->prog[i]));
		plugfs_snprintf(tp->sec, sizeof(tp->sec), "%s", bpf_program__section_name(j->prog[i]));
		engine_trace_point_format(&j->pt[i], tp->attach, sizeof(tp->attach));
		tp->prog_fd = dup_fd(bpf_program__fd(j->prog[i]));
		if (j->pt[i].kind == ENGINE_TRACE_USDT) {
			/* its link needs the object's USDT state while it lives */
			tp->link_fd = dup_fd(bpf_link__fd(j->link[i]));
			tp->held = j->link[i];
			t->held_obj = j->bo;
		} else {
			tp->own = j->link[i];
			tp->link_fd = bpf_link__fd(tp->own);
		}
		j->link[i] = NULL;
		/* the first one's id is known from the load */
		tp->prog_id = i || !j->res.prog_id ? load_prog_id(tp->prog_fd) : j->res.prog_id;
		tp->link_id = link_id_of(tp->link_fd);
	}
	plugfs_snprintf(t->name, sizeof(t->name), "%s", j->name);
	if (j->o.sha256 && strlen(j->o.sha256) == 64)
		plugfs_snprintf(t->sha256, sizeof(t->sha256), "%s", j->o.sha256);
	else
		plugfs_sha256_hex(j->obj, j->obj_len, t->sha256);
	t->obj_size = j->obj_len;
	plugfs_snprintf(t->map_pin_path, sizeof(t->map_pin_path), "%s", j->res.map_dir);
	if (t->held_obj)
		j->bo = NULL;
	if (trace_fill_opts(t, &j->o)) {
		trace_free(t);
		return NULL;
	}
	return t;
}

/* ---- the state dir ---- */

static char *trace_text(const struct eng_trace *t, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf__printf(&sb, "[entry]\nobject_path = %s\nsha256 = %s\nobj_size = %zu\n"
			    "map_pin_path = %s\nmap_owner_id = %u\nprograms = %s\nattach = %s\n"
			    "target = %s\nfn_name = %s\noffset = %lld\nretprobe = %d\npid = %d\n",
		       t->object_path, t->sha256, t->obj_size, t->map_pin_path, t->map_owner_id,
		       t->prog_names, t->attach, t->target, t->fn_name, (long long)t->offset,
		       t->retprobe, t->pid);
	if (t->n_globals)
		strbuf__puts(&sb, "[global]\n");
	for (i = 0; i < t->n_globals; i++) {
		global_put(&sb, &t->globals[i], " = ");
		strbuf__puts(&sb, "\n");
	}
	state_add_lines(&sb, "metadata", t->metadata);
	for (i = 0; i < t->n_progs; i++)
		strbuf__printf(&sb, "[program.%s]\nsection = %s\nattach = %s\nprog_id = %u\n"
				    "link_id = %u\n",
			       t->progs[i].name, t->progs[i].sec, t->progs[i].attach,
			       t->progs[i].prog_id, t->progs[i].link_id);
	return strbuf__detach(&sb, len);
}

static int trace_save(struct engine *e, const struct eng_trace *t, const void *obj, size_t len)
{
	char rel[PATH_MAX];
	size_t tlen = 0;
	char *text = trace_text(t, &tlen);
	int err;

	if (!text)
		return -ENOMEM;
	plugfs_snprintf(rel, sizeof(rel), "tracing/%s.ini", t->name);
	err = state_put_file(e, rel, text, tlen, t->sha256, obj, len);
	free(text);
	return err;
}

/* ---- load, replace ---- */

static void job_undo(struct trace_job *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		bpf_link__destroy(j->link[i]);
		j->link[i] = NULL;
	}
	if (j->stage[0])
		load_unpin_dir(j->stage);
	load_unpin_new(&j->np);
	if (j->res.map_dir[0] && !j->map_dir[0])
		load_remove_map_dir(j->res.map_dir);
}

static void job_close(struct trace_job *j, int err)
{
	size_t i;

	events_close(j);
	for (i = 0; i < j->n; i++)
		if (j->link[i])
			bpf_link__destroy(j->link[i]);
	/* a failed load leaves nothing loaded when it answers */
	if (err)
		bpf_object__close(j->bo);
	else
		reap_later(j->e, j->bo, NULL);
}

/* The new pins take the entry's place; then the old links go. */
static int job_commit(struct trace_job *j, struct eng_trace *t)
{
	char dir[PATH_MAX], old_pins[PATH_MAX];
	struct eng_trace *old = j->old;
	bool store_obj;

	pin_dir(j->e, j->name, dir, sizeof(dir));
	pin_dir_as(j->e, "old:", j->name, old_pins, sizeof(old_pins));
	if (j->direct)
		goto placed;
	load_unpin_dir(old_pins);
	if (!access(dir, F_OK) && rename(dir, old_pins)) {
		pr_warn("%s: cannot move the pins of %s aside: %s", j->what, dir, strerror(errno));
		return -errno;
	}
	if (rename(j->stage, dir)) {
		int err = -errno;

		pr_warn("%s: cannot move the new pins to %s: %s", j->what, dir, strerror(-err));
		rename(old_pins, dir);
		return err;
	}
placed:
	j->stage[0] = '\0';
	store_obj = !object_used(j->e, t->sha256, NULL);
	if (old)
		trace_unlink(j->e, old);
	t->next = j->e->traces;
	j->e->traces = t;
	trace_save(j->e, t, store_obj ? j->obj : NULL, j->obj_len);
	if (old) {
		/* the old links are detached once their pins and fds are gone */
		load_unpin_dir(old_pins);
		if (strcmp(old->sha256, t->sha256) && !object_used(j->e, old->sha256, NULL))
			state_drop_object(j->e, old->sha256);
		if (strcmp(old->map_pin_path, t->map_pin_path))
			load_release_maps(j->e, old->map_pin_path, NULL, 0, NULL, 0);
		j->replaced = old;
	}
	return 0;
}

/* ---- loads begun ahead ---- */

/*
 * When a write completes an object in tracing/<name>, the daemon answers it
 * and calls engine__trace_prepare(): the object is opened, its programs
 * picked and its tracepoints' perf events started while the writer's close
 * is on its way; the close's load (same name, same bytes, no manifest) then
 * starts at the kernel load. Nothing of it is in the kernel's view but
 * perf events no program uses yet. One at a time: any other load drops it.
 */
static void prep_free(struct trace_prep *p)
{
	if (!p)
		return;
	events_close(&p->j);
	bpf_object__close(p->j.bo);
	free(p);
}

/* Under lock. */
static void prep_drop(struct engine *e)
{
	prep_free(e->trace_prep);
	e->trace_prep = NULL;
}

/* The options a prepared job was opened without. */
static bool prep_fits(const struct engine_trace_opts *o)
{
	return !o->object_path && !(o->prog_names && *o->prog_names) && !(o->attach && *o->attach) &&
	       !(o->target && *o->target) && !(o->fn_name && *o->fn_name) && o->offset < 0 &&
	       o->retprobe < 0 && !o->pid;
}

/* Under lock: the prepared job for this load, or NULL (and none left). */
static struct trace_job *prep_take(struct engine *e, const char *name, const void *obj,
				   size_t len, const struct engine_trace_opts *o)
{
	struct trace_prep *p = e->trace_prep;

	if (p && !strcmp(p->name, name) && p->len == len && !memcmp(p->obj, obj, len) &&
	    prep_fits(o)) {
		e->trace_prep = NULL;
		p->j.o = *o;
		return &p->j;
	}
	prep_drop(e);
	return NULL;
}

int engine__trace_prepare(struct engine *e, const char *name, const void *obj, size_t len,
			  const void *owner)
{
	struct trace_prep *p;
	int err;

	if (engine_trace_check_name(name) || len > e->max_object_size)
		return -EINVAL;
	p = calloc(1, sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	memcpy(p->obj, obj, len);
	p->len = len;
	p->owner = owner;
	plugfs_snprintf(p->name, sizeof(p->name), "%s", name);
	p->j = (struct trace_job){ .e = e, .name = p->name, .obj = p->obj, .obj_len = len,
				   .prepared = true };
	p->j.o = (struct engine_trace_opts){ .sz = sizeof(p->j.o), .offset = -1, .retprobe = -1 };
	plugfs_snprintf(p->j.what, sizeof(p->j.what), "tracing/%s", name);
	pthread_mutex_lock(&e->lock);
	prep_drop(e);
	/* the load at the close says what fails here */
	plog_mute(true);
	err = open_object(&p->j);
	if (!err)
		err = pick_programs(&p->j);
	plog_mute(false);
	if (!err) {
		/* here rather than before the open: it would take the CPU the
		 * writer needs to come back from its write and close */
		events_start(&p->j);
		e->trace_prep = p;
	}
	pthread_mutex_unlock(&e->lock);
	if (err)
		prep_free(p);
	return err;
}

void engine__trace_unprepare(struct engine *e, const void *owner)
{
	pthread_mutex_lock(&e->lock);
	if (e->trace_prep && e->trace_prep->owner == owner)
		prep_drop(e);
	pthread_mutex_unlock(&e->lock);
}

/* Under lock. */
static int trace_load(struct trace_job *j)
{
	struct eng_trace *t;
	int err = 0;

	plugfs_snprintf(j->what, sizeof(j->what), "tracing/%s", j->name);
	j->old = trace_find(j->e, j->name);
	if (j->obj_len > j->e->max_object_size) {
		pr_warn("%s: %zu bytes is over the size limit of %zu", j->what, j->obj_len,
			j->e->max_object_size);
		job_close(j, -EFBIG);
		return -EFBIG;
	}
	if (!j->prepared) {
		/* one batch at a time on the opener */
		prep_drop(j->e);
		err = open_object(j);
		if (!err)
			err = pick_programs(j);
		if (!err)
			events_start(j);
	}
	if (!err)
		err = load_object(j);
	if (!err)
		err = attach_all(j);
	t = err ? NULL : trace_build(j);
	if (!err && !t)
		err = -ENOMEM;
	if (!err)
		err = job_commit(j, t);
	if (err) {
		trace_free(t);
		job_undo(j);
	}
	job_close(j, err);
	return err;
}

static void verb_end(struct engine *e)
{
	bool fold = e->journal_dirty;

	pthread_mutex_unlock(&e->lock);
	background_note(e, false, fold);
}

int engine__trace_load(struct engine *e, const char *name, const void *obj, size_t obj_len,
		       const struct engine_trace_opts *opts)
{
	struct trace_job j = { .e = e, .name = name, .obj = obj, .obj_len = obj_len }, *jp;
	struct eng_trace *replaced;
	int err;

	j.o = (struct engine_trace_opts){ .sz = sizeof(j.o), .offset = -1, .retprobe = -1 };
	if (PLUGFS_OPTS_COPY(&j.o, opts)) {
		pr_warn("tracing/%s: engine_trace_opts asks for options this build does not know",
			name);
		return -EINVAL;
	}
	if (engine_trace_check_name(name))
		return -EINVAL;
	reap_now(e);
	pthread_mutex_lock(&e->lock);
	jp = prep_take(e, name, obj, obj_len, &j.o);
	if (jp)
		pr_debug("tracing/%s: opened at the write, loaded at the close", name);
	else
		jp = &j;
	err = trace_load(jp);
	replaced = jp->replaced;
	verb_end(e);
	if (jp != &j)
		free((struct trace_prep *)jp);	/* its first member */
	/* a perf link's detach waits for a grace period: not under the lock,
	 * and after the answer (engine__trace_answered) */
	if (replaced)
		reap_later(e, NULL, replaced);
	return err;
}

/* ---- remove, rename, list ---- */

int engine__trace_unload(struct engine *e, const char *name)
{
	char dir[PATH_MAX], rel[PATH_MAX];
	struct eng_trace *t;

	reap_now(e);
	pthread_mutex_lock(&e->lock);
	t = trace_find(e, name);
	if (!t) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	trace_unlink(e, t);
	pin_dir(e, name, dir, sizeof(dir));
	load_unpin_dir(dir);
	plugfs_snprintf(rel, sizeof(rel), "tracing/%s.ini", name);
	state_del_file(e, rel);
	if (!object_used(e, t->sha256, NULL))
		state_drop_object(e, t->sha256);
	/* the maps go with their last user; the programs and links with
	 * their last fd, after the lock (a detach waits for a grace period) */
	load_release_maps(e, t->map_pin_path, NULL, 0, NULL, 0);
	verb_end(e);
	trace_free(t);
	return 0;
}

int engine__trace_rename(struct engine *e, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
	struct eng_trace *t;
	int err = 0;

	if (engine_trace_check_name(to))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	t = trace_find(e, from);
	if (!t || trace_find(e, to)) {
		pthread_mutex_unlock(&e->lock);
		return t ? -EEXIST : -ENOENT;
	}
	pin_dir(e, from, a, sizeof(a));
	pin_dir(e, to, b, sizeof(b));
	if (rename(a, b)) {
		err = -errno;
		pr_warn("tracing/%s: cannot rename the pins %s to %s: %s", from, a, b,
			strerror(-err));
	} else {
		plugfs_snprintf(t->name, sizeof(t->name), "%s", to);
		plugfs_snprintf(ra, sizeof(ra), "tracing/%s.ini", from);
		plugfs_snprintf(rb, sizeof(rb), "tracing/%s.ini", to);
		state_mv_file(e, ra, rb);
	}
	verb_end(e);
	return err;
}

int engine__trace_list(struct engine *e, char ***names, size_t *n)
{
	struct eng_trace *t;
	size_t k = 0, cnt = 0;
	char **v;

	pthread_mutex_lock(&e->lock);
	for (t = e->traces; t; t = t->next)
		cnt++;
	v = calloc(cnt + 1, sizeof(*v));
	for (t = e->traces; v && t; t = t->next)
		if (!(v[k++] = strdup(t->name)))
			break;
	pthread_mutex_unlock(&e->lock);
	if (!v || (cnt && !v[cnt - 1])) {
		for (k = 0; v && v[k]; k++)
			free(v[k]);
		free(v);
		return -ENOMEM;
	}
	*names = v;
	*n = cnt;
	return 0;
}

bool engine__trace_exists(struct engine *e, const char *name)
{
	bool yes;

	pthread_mutex_lock(&e->lock);
	yes = trace_find(e, name) != NULL;
	pthread_mutex_unlock(&e->lock);
	return yes;
}

uint32_t engine__trace_prog_id(struct engine *e, const char *name)
{
	struct eng_trace *t;
	uint32_t id = 0;

	pthread_mutex_lock(&e->lock);
	t = trace_find(e, name);
	if (t && t->n_progs)
		id = t->progs[0].prog_id;
	pthread_mutex_unlock(&e->lock);
	return id;
}

int engine__trace_stats(struct engine *e, engine_trace_stats_cb cb, void *arg)
{
	struct eng_trace *t;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	for (t = e->traces; t && !rc; t = t->next) {
		for (i = 0; i < t->n_progs && !rc; i++) {
			const struct eng_trace_prog *p = &t->progs[i];
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);
			struct engine_trace_stats s = {
				.entry = t->name, .prog_name = p->name, .attach = p->attach,
				.prog_id = p->prog_id,
			};

			/* A program gone from under us reads as zeros, not as an error. */
			if (!bpf_obj_get_info_by_fd(p->prog_fd, &info, &len)) {
				s.runs = info.run_cnt;
				s.run_time_ns = info.run_time_ns;
			}
			rc = cb(&s, arg);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- report ---- */

static void link_lines(struct strbuf *sb, const struct eng_trace_prog *p)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	const char *type;

	if (p->held) {
		strbuf__printf(sb, "Link ID: None\nLink Type: usdt (uprobes held by the daemon, "
				   "not pinned)\n");
		return;
	}
	if (p->link_fd < 0 || bpf_obj_get_info_by_fd(p->link_fd, &info, &len)) {
		strbuf__printf(sb, "Link ID: None\nLink Type: None\n");
		return;
	}
	type = libbpf_bpf_link_type_str((enum bpf_link_type)info.type);
	strbuf__printf(sb, "Link ID: %u\nLink Type: %s\n", info.id, type ? type : "unknown");
}

static int report_text(const struct eng_trace *t, struct strbuf *sb)
{
	size_t i;
	int err;

	strbuf__printf(sb, "Plugfs State\nName: %s\nPath: %s\nGlobal: ", t->name, t->object_path);
	for (i = 0; i < t->n_globals; i++) {
		strbuf__puts(sb, i ? ", " : "");
		global_put(sb, &t->globals[i], "=");
	}
	strbuf__printf(sb, "%s\nMetadata: ", t->n_globals ? "" : "None");
	report_kv_list(sb, t->metadata);
	strbuf__printf(sb, "Map Pin Path: %s\n", t->map_pin_path[0] ? t->map_pin_path : "None");
	if (t->map_owner_id)
		strbuf__printf(sb, "Map Owner ID: %u\n", t->map_owner_id);
	else
		strbuf__puts(sb, "Map Owner ID: None\n");
	strbuf__printf(sb, "Object Size (bytes): %zu\nObject SHA256: %s\nPrograms: %zu\n",
		       t->obj_size, t->sha256, t->n_progs);
	for (i = 0; i < t->n_progs; i++) {
		const struct eng_trace_prog *p = &t->progs[i];

		strbuf__printf(sb, "\nProgram: %s\nSection: %s\nAttach Point: %s\n", p->name,
			       p->sec, p->attach);
		link_lines(sb, p);
		err = report_prog_kernel(p->prog_fd, sb, NULL);
		if (err)
			return err;
	}
	return 0;
}

static void prog_json(struct jsonw *w, const struct eng_trace_prog *p)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	const char *type;

	jsonw__begin_object(w, NULL);
	jsonw__string(w, "name", p->name);
	jsonw__string(w, "section", p->sec);
	jsonw__string(w, "attach_point", p->attach);
	if (p->held || p->link_fd < 0 || bpf_obj_get_info_by_fd(p->link_fd, &info, &len)) {
		jsonw__null(w, "link_id");
		jsonw__string(w, "link_type", p->held ? "usdt" : NULL);
	} else {
		type = libbpf_bpf_link_type_str((enum bpf_link_type)info.type);
		jsonw__u64(w, "link_id", info.id);
		jsonw__string(w, "link_type", type ? type : "unknown");
	}
	if (report_prog_kernel(p->prog_fd, NULL, w))
		jsonw__null(w, "kernel");
	jsonw__end(w);
}

static int report_json(const struct eng_trace *t, struct strbuf *sb)
{
	const char *l, *nl, *eq;
	char hex[2 * 256 + 1], key[128];
	struct jsonw w;
	size_t i;

	jsonw__init(&w, sb);
	jsonw__begin_object(&w, NULL);
	jsonw__string(&w, "name", t->name);
	jsonw__string(&w, "path", t->object_path);
	jsonw__begin_object(&w, "globals");
	for (i = 0; i < t->n_globals; i++) {
		plugfs_hex_encode(t->globals[i].data, t->globals[i].len < 256 ? t->globals[i].len : 256,
				  hex);
		jsonw__string(&w, t->globals[i].name, hex);
	}
	jsonw__end(&w);
	jsonw__begin_object(&w, "metadata");
	for (l = t->metadata; l && *l; l = *nl ? nl + 1 : nl) {
		nl = l + strcspn(l, "\n");
		eq = memchr(l, '=', (size_t)(nl - l));
		if (!eq)
			continue;
		plugfs_snprintf(key, sizeof(key), "%.*s", (int)(eq - l), l);
		jsonw__string_n(&w, key, eq + 1, (size_t)(nl - eq - 1));
	}
	jsonw__end(&w);
	jsonw__string(&w, "map_pin_path", t->map_pin_path[0] ? t->map_pin_path : NULL);
	if (t->map_owner_id)
		jsonw__u64(&w, "map_owner_id", t->map_owner_id);
	else
		jsonw__null(&w, "map_owner_id");
	jsonw__u64(&w, "object_size", t->obj_size);
	jsonw__string(&w, "object_sha256", t->sha256);
	jsonw__begin_array(&w, "programs");
	for (i = 0; i < t->n_progs; i++)
		prog_json(&w, &t->progs[i]);
	jsonw__end(&w);
	jsonw__end(&w);
	return jsonw__finish(&w);
}

int engine__trace_report(struct engine *e, const char *name, bool json, char **buf, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	struct eng_trace *t;
	int err;

	pthread_mutex_lock(&e->lock);
	t = trace_find(e, name);
	err = !t ? -ENOENT : json ? report_json(t, &sb) : report_text(t, &sb);
	pthread_mutex_unlock(&e->lock);
	if (err) {
		strbuf__fini(&sb);
		return err;
	}
	*buf = strbuf__detach(&sb, len);
	return *buf ? 0 : -ENOMEM;
}

/* ---- adoption at start ---- */

struct saved_trace {
	struct eng_trace *t;
	struct engine_global g[STATE_MAX_KV];
	uint8_t data[STATE_MAX_KV][256];
	size_t ng;
	struct strbuf md;
};

static struct eng_trace_prog *saved_prog(struct eng_trace *t, const char *name)
{
	struct eng_trace_prog *more;
	size_t i;

	for (i = 0; i < t->n_progs; i++)
		if (!strcmp(t->progs[i].name, name))
			return &t->progs[i];
	if (t->n_progs == TRACE_MAX_PROGS)
		return NULL;
	more = realloc(t->progs, (t->n_progs + 1) * sizeof(*more));
	if (!more)
		return NULL;
	t->progs = more;
	memset(&more[t->n_progs], 0, sizeof(*more));
	more[t->n_progs].prog_fd = more[t->n_progs].link_fd = -1;
	plugfs_snprintf(more[t->n_progs].name, sizeof(more->name), "%s", name);
	return &more[t->n_progs++];
}

static int saved_entry_key(struct eng_trace *t, const char *k, const char *v)
{
	uint64_t u = 0;

	if (!strcmp(k, "object_path"))
		return plugfs_set_str(t->object_path, sizeof(t->object_path), v);
	if (!strcmp(k, "sha256"))
		return plugfs_set_str(t->sha256, sizeof(t->sha256), v);
	if (!strcmp(k, "map_pin_path"))
		return plugfs_set_str(t->map_pin_path, sizeof(t->map_pin_path), v);
	if (!strcmp(k, "programs"))
		return plugfs_set_str(t->prog_names, sizeof(t->prog_names), v);
	if (!strcmp(k, "attach"))
		return plugfs_set_str(t->attach, sizeof(t->attach), v);
	if (!strcmp(k, "target"))
		return plugfs_set_str(t->target, sizeof(t->target), v);
	if (!strcmp(k, "fn_name"))
		return plugfs_set_str(t->fn_name, sizeof(t->fn_name), v);
	if (!strcmp(k, "offset"))
		return (t->offset = strtoll(v, NULL, 0)), 0;
	if (!strcmp(k, "retprobe"))
		return (t->retprobe = atoi(v)), 0;
	if (!strcmp(k, "pid"))
		return (t->pid = atoi(v)), 0;
	if (plugfs_parse_u64(v, UINT32_MAX, &u))
		return -EINVAL;
	if (!strcmp(k, "obj_size"))
		t->obj_size = (size_t)u;
	else if (!strcmp(k, "map_owner_id"))
		t->map_owner_id = (uint32_t)u;
	return 0;
}

static int saved_key(void *cookie, const char *sec, const char *k, const char *v, char *err,
		     size_t err_size)
{
	struct saved_trace *s = cookie;
	struct eng_trace_prog *p;
	ssize_t n;

	(void)err;
	(void)err_size;
	if (!strcmp(sec, "entry"))
		return saved_entry_key(s->t, k, v);
	if (!strcmp(sec, "metadata"))
		return strbuf__printf(&s->md, "%s=%s\n", k, v) < 0 ? -ENOMEM : 0;
	if (!strcmp(sec, "global") && s->ng < STATE_MAX_KV) {
		n = plugfs_hex_decode(v, s->data[s->ng], sizeof(s->data[0]));
		if (n <= 0)
			return -EINVAL;
		s->g[s->ng] = (struct engine_global){ strdup(k), s->data[s->ng], (size_t)n };
		s->ng++;
		return 0;
	}
	if (strncmp(sec, "program.", 8) || !(p = saved_prog(s->t, sec + 8)))
		return 0;
	if (!strcmp(k, "section"))
		return plugfs_set_str(p->sec, sizeof(p->sec), v);
	if (!strcmp(k, "attach"))
		return plugfs_set_str(p->attach, sizeof(p->attach), v);
	return 0;
}

/* Reads <state>/tracing/<name>.ini; NULL when it cannot be read. */
static struct eng_trace *read_saved(const char *path, const char *name)
{
	struct saved_trace s = { .md = STRBUF_INIT };
	char err[256] = "";
	size_t i;
	int rc;

	s.t = calloc(1, sizeof(*s.t));
	if (!s.t)
		return NULL;
	s.t->offset = -1;
	s.t->retprobe = -1;
	plugfs_snprintf(s.t->name, sizeof(s.t->name), "%s", name);
	rc = plugfs_ini_parse_file(path, saved_key, &s, err, sizeof(err));
	if (!rc && s.ng && !(s.t->globals = globals_dup(s.g, s.ng)))
		rc = -ENOMEM;
	s.t->n_globals = s.t->globals ? s.ng : 0;
	for (i = 0; i < s.ng; i++)
		free((char *)s.g[i].name);
	s.t->metadata = s.md.len ? strbuf__detach(&s.md, NULL) : NULL;
	strbuf__fini(&s.md);
	if (rc) {
		pr_warn("tracing/%s: cannot read %s: %s", name, path, err[0] ? err : strerror(-rc));
		trace_free(s.t);
		return NULL;
	}
	return s.t;
}

/* Opens the pins of every program; false when one is missing. */
static bool adopt_pins(struct engine *e, struct eng_trace *t)
{
	char dir[PATH_MAX], path[PATH_MAX + 160];
	size_t i;

	pin_dir(e, t->name, dir, sizeof(dir));
	for (i = 0; i < t->n_progs; i++) {
		struct eng_trace_prog *p = &t->progs[i];

		plugfs_snprintf(path, sizeof(path), "%s/prog_%s", dir, p->name);
		p->prog_fd = bpf_obj_get(path);
		plugfs_snprintf(path, sizeof(path), "%s/link_%s", dir, p->name);
		p->link_fd = bpf_obj_get(path);
		if (p->prog_fd < 0 || p->link_fd < 0)
			return false;
		p->prog_id = load_prog_id(p->prog_fd);
		p->link_id = link_id_of(p->link_fd);
	}
	return t->n_progs > 0;
}

/* Loads a lost entry again from the stored object and its options. */
static int restore(struct engine *e, struct eng_trace *t)
{
	struct engine_kv md[STATE_MAX_KV];
	struct trace_job j = { .e = e, .name = t->name };
	char dir[PATH_MAX], *p, *q, *line = t->metadata;
	struct eng_trace *restored;
	void *obj = NULL;
	size_t n = 0;
	int err;

	pin_dir(e, t->name, dir, sizeof(dir));
	load_unpin_dir(dir);
	err = state_read_object(e, t->sha256, t->name, &obj, &j.obj_len);
	if (err) {
		pr_warn("tracing/%s: lost its pins and its stored object: not restored", t->name);
		return err;
	}
	for (p = line; p && *p && n < STATE_MAX_KV; p = q ? q + 1 : NULL) {
		q = strchr(p, '\n');
		if (q)
			*q = '\0';
		if (strchr(p, '='))
			md[n++] = (struct engine_kv){ p, strchr(p, '=') + 1 };
		if (strchr(p, '='))
			*strchr(p, '=') = '\0';
	}
	j.obj = obj;
	j.o = (struct engine_trace_opts){ .sz = sizeof(j.o), .object_path = t->object_path,
		.prog_names = t->prog_names, .attach = t->attach, .target = t->target,
		.fn_name = t->fn_name, .offset = t->offset, .retprobe = t->retprobe, .pid = t->pid,
		.globals = t->globals, .n_globals = t->n_globals, .metadata = md, .n_metadata = n };
	j.restore_map_dir = t->map_pin_path;
	err = trace_load(&j);
	trace_free(j.replaced);
	restored = err ? NULL : trace_find(e, t->name);
	if (restored && t->map_owner_id) {
		/* still sharing the maps of the program it named */
		restored->map_owner_id = t->map_owner_id;
		trace_save(e, restored, NULL, 0);
	}
	if (!err)
		pr_info("tracing/%s: its pins were lost; loaded and attached again from the state "
			"directory", t->name);
	free(obj);
	return err;
}

/*
 * Pins no entry will adopt: a replace cut short by a crash (new:<name>,
 * old:<name>), or an entry whose state was never written. Their links
 * would stay attached with nobody to show or remove them.
 */
static void sweep_pins(struct engine *e)
{
	char dir[PATH_MAX], path[2 * PATH_MAX + 8], name[256], *c;
	struct dirent *d;
	DIR *dp;

	plugfs_snprintf(dir, sizeof(dir), "%s/tracing", e->bpffs_dir);
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		plugfs_snprintf(name, sizeof(name), "%s", d->d_name);
		for (c = name; *c; c++)
			if (*c == ':')
				*c = '.';
		plugfs_snprintf(path, sizeof(path), "%s/tracing/%s.ini", e->state_dir, name);
		if (strncmp(d->d_name, "new:", 4) && strncmp(d->d_name, "old:", 4) &&
		    !access(path, F_OK))
			continue;
		plugfs_snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		pr_warn("bpf: %s: pins of no tracing/ entry (a change cut short): removed", path);
		load_unpin_dir(path);
	}
	if (dp)
		closedir(dp);
}

void tracing_adopt(struct engine *e)
{
	char dir[PATH_MAX], path[2 * PATH_MAX], name[256];
	struct eng_trace *t;
	struct dirent *d;
	size_t n;
	DIR *dp;

	mount_tracefs();
	if (!e->state_dir[0])
		return;
	sweep_pins(e);
	plugfs_snprintf(dir, sizeof(dir), "%s/tracing", e->state_dir);
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		n = strlen(d->d_name);
		if (n < 5 || strcmp(d->d_name + n - 4, ".ini") || n - 4 >= sizeof(name))
			continue;
		plugfs_snprintf(name, sizeof(name), "%.*s", (int)(n - 4), d->d_name);
		plugfs_snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (engine_trace_check_name(name) || !(t = read_saved(path, name)))
			continue;
		if (adopt_pins(e, t)) {
			t->next = e->traces;
			e->traces = t;
			continue;
		}
		restore(e, t);
		trace_free(t);
	}
	if (dp)
		closedir(dp);
}

/* SPDX-License-Identifier: MIT */
/*
 * Programs into the kernel. A user's object: open from memory, pick the
 * program that fits the hook, set globals, share/pin maps, and rewrite the
 * program into a chain link from libbpf's prepare-load callback (the
 * instructions are final there: maps created, subprograms appended). Our
 * root programs (embedded objects, bpf/progs) and the stub a spare holds
 * in its slot 0.
 */
#include "prog_load.h"
#include "hooks.h"
#include "obj_info.h"
#include "rewrite.h"
#include "verifier_log.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>
#include <plugfs/strbuf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const unsigned char plugfs_root_xdp_obj[];
extern const size_t plugfs_root_xdp_obj_len;
extern const unsigned char plugfs_root_tc_obj[];
extern const size_t plugfs_root_tc_obj_len;

#define VERIFIER_LOG_SIZE LOAD_LOG_SIZE

/* The load in progress (the engine serialises loads under its lock). */
struct load_ctx {
	const struct bpf_program *prog;
	struct rewrite_params rp;
	bool rewritten;
	void *func_info;		/* as loaded (shifted past the prologue) */
	size_t func_info_cnt, func_info_rec;
	void *line_info;		/* as loaded; [0] is the prologue's copy */
	size_t line_info_cnt, line_info_rec;
	char err[256];
	int rc;
};

static __thread struct load_ctx *cur_load;

/*
 * A root program's final instructions, taken once from libbpf's load of the
 * embedded object: later roots are loaded from them with one BPF_PROG_LOAD
 * (the chain map's fd patched in), without opening the ELF or loading its
 * BTF again, which is most of the cost of a first load on a hook.
 */
struct root_code {
	struct bpf_insn *insns;
	size_t cnt;
	size_t map_insn;		/* the ld_imm64 of the chain map */
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
	char name[BPF_OBJ_NAME_LEN];
};

/* [xdp, tc][direct, indirect]: see bpf/progs/root_xdp.bpf.c */
static struct root_code root_code[2][2];
static __thread struct root_code *cur_root;

static const char *root_prog_name(enum engine_hook hook, bool indirect)
{
	if (hook == ENGINE_HOOK_XDP)
		return indirect ? "plugfs_xdp_ind" : "plugfs_xdp_root";
	return indirect ? "plugfs_tc_ind" : "plugfs_tc_root";
}

bool root_is_indirect(const char *prog_name)
{
	return !strcmp(prog_name, root_prog_name(ENGINE_HOOK_XDP, true)) ||
	       !strcmp(prog_name, root_prog_name(ENGINE_HOOK_TC_INGRESS, true));
}

static void capture_root(struct bpf_program *prog)
{
	struct root_code *rc = cur_root;
	const struct bpf_insn *in = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);

	rc->map_insn = root_map_insn(in, n);
	if (rc->map_insn == (size_t)-1)
		return;		/* not the shape expected: roots keep libbpf's path */
	rc->insns = malloc(n * sizeof(*in));
	if (!rc->insns)
		return;
	memcpy(rc->insns, in, n * sizeof(*in));
	rc->cnt = n;
	rc->type = bpf_program__type(prog);
	rc->attach = bpf_program__expected_attach_type(prog);
	plugfs_snprintf(rc->name, sizeof(rc->name), "%s", bpf_program__name(prog));
}

static int shift_btf_info(struct load_ctx *c, struct bpf_prog_load_opts *lo, size_t shift)
{
	size_t i;

	if (lo->func_info && lo->func_info_cnt) {
		size_t rs = lo->func_info_rec_size;

		c->func_info = malloc(rs * lo->func_info_cnt);
		if (!c->func_info)
			return -ENOMEM;
		memcpy(c->func_info, lo->func_info, rs * lo->func_info_cnt);
		/* main keeps offset 0: the prologue belongs to it */
		for (i = 1; i < lo->func_info_cnt; i++)
			*(uint32_t *)((char *)c->func_info + i * rs) += (uint32_t)shift;
		lo->func_info = c->func_info;
		c->func_info_cnt = lo->func_info_cnt;
		c->func_info_rec = rs;
	}
	if (lo->line_info && lo->line_info_cnt) {
		size_t rs = lo->line_info_rec_size;

		/* a copy of the first line covers the prologue and epilogue */
		c->line_info = malloc(rs * (lo->line_info_cnt + 1));
		if (!c->line_info)
			return -ENOMEM;
		memcpy(c->line_info, lo->line_info, rs);
		*(uint32_t *)c->line_info = 0;
		memcpy((char *)c->line_info + rs, lo->line_info, rs * lo->line_info_cnt);
		for (i = 1; i <= lo->line_info_cnt; i++)
			*(uint32_t *)((char *)c->line_info + i * rs) += (uint32_t)shift;
		lo->line_info = c->line_info;
		lo->line_info_cnt++;
		c->line_info_cnt = lo->line_info_cnt;
		c->line_info_rec = rs;
	}
	return 0;
}

static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *lo, long cookie)
{
	struct load_ctx *c = cur_load;
	struct bpf_insn *out = NULL;
	size_t out_cnt = 0;
	int err;

	if (!c && cur_root)
		capture_root(prog);
	if (!c || c->prog != prog)
		return 0;	/* our root programs, or programs not being chained */
	if (c->rp.timed && !rewrite_fits_timing(bpf_program__insns(prog),
						 bpf_program__insn_cnt(prog))) {
		pr_info("program '%s': no room on the stack for its start time: counted without "
			"run time", bpf_program__name(prog));
		c->rp.timed = false;
	}
	err = rewrite_chain(bpf_program__insns(prog), bpf_program__insn_cnt(prog), &c->rp, &out,
			    &out_cnt, c->err, sizeof(c->err));
	if (!err)
		err = bpf_program__set_insns(prog, out, out_cnt);
	free(out);
	if (!err)
		err = shift_btf_info(c, lo, rewrite_shift(&c->rp));
	if (err) {
		c->rc = err;
		return err;
	}
	c->rewritten = true;
	return 0;
}

static void register_once(void)
{
	static const struct {
		const char *sec;
		enum bpf_prog_type type;
		enum bpf_attach_type attach;
	} h[] = {
		{ "xdp+", BPF_PROG_TYPE_XDP, BPF_XDP },
		{ "tc+", BPF_PROG_TYPE_SCHED_CLS, 0 },
		{ "classifier+", BPF_PROG_TYPE_SCHED_CLS, 0 },
	};
	LIBBPF_OPTS(libbpf_prog_handler_opts, o, .prog_prepare_load_fn = prepare_load);
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (libbpf_register_prog_handler(h[i].sec, h[i].type, h[i].attach, &o) < 0)
			pr_warn("bpf: cannot register the section handler for %s", h[i].sec);
}

static void register_handlers(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_once);
}

/* Sections our handlers own: only those programs get the rewrite. */
static bool chainable_section(const char *sec)
{
	static const char *const pfx[] = { "xdp", "tc", "classifier" };
	size_t i, n;

	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		n = strlen(pfx[i]);
		if (!strncmp(sec, pfx[i], n) && (sec[n] == '\0' || sec[n] == '/'))
			return true;
	}
	return false;
}

static enum bpf_prog_type hook_type(enum engine_hook hook)
{
	return hook == ENGINE_HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
}

static const char *type_str(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

/* Program types that are attached through tracing/, not chained here. */
static bool tracing_type(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_TRACEPOINT || t == BPF_PROG_TYPE_RAW_TRACEPOINT ||
	       t == BPF_PROG_TYPE_KPROBE || t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM;
}

/* A tracing program copied into ifaces/: say where it belongs. */
static int wrong_tree(const struct load_req *r, const struct bpf_program *p)
{
	pr_warn("%s: program '%s' (section %s) is a %s program: tracing programs go into "
		"tracing/<name>, not ifaces/", r->what, bpf_program__name(p),
		bpf_program__section_name(p), type_str(bpf_program__type(p)));
	return -EINVAL;
}

static int pick_program(struct bpf_object *obj, const struct load_req *r, struct bpf_program **out)
{
	enum bpf_prog_type want = hook_type(r->hook);
	struct bpf_program *p, *found = NULL;
	char list[1024] = "";
	struct strbuf sb;
	int ncand = 0;

	strbuf__init_fixed(&sb, list, sizeof(list));

	bpf_object__for_each_program(p, obj) {
		const char *n = bpf_program__name(p), *s = bpf_program__section_name(p);

		if (r->prog_name && (!strcmp(n, r->prog_name) || !strcmp(s, r->prog_name))) {
			if (tracing_type(bpf_program__type(p)))
				return wrong_tree(r, p);
			if (bpf_program__type(p) != want) {
				pr_warn("%s: program '%s' (section %s) is of type %s, the hook needs %s",
					r->what, n, s, type_str(bpf_program__type(p)), type_str(want));
				return -EINVAL;
			}
			found = p;
			ncand = 1;
			break;
		}
		strbuf__printf(&sb, "%s%s (%s, %s)", sb.len ? ", " : "", n, s,
			       type_str(bpf_program__type(p)));
		if (!r->prog_name && bpf_program__type(p) == want) {
			found = p;
			ncand++;
		}
	}
	if (r->prog_name && !found) {
		pr_warn("%s: no program named '%s' in the object; it has: %s", r->what, r->prog_name,
			list[0] ? list : "no programs");
		return -EINVAL;
	}
	if (!ncand) {
		bpf_object__for_each_program(p, obj)
			if (tracing_type(bpf_program__type(p)))
				return wrong_tree(r, p);
		pr_warn("%s: no %s program in the object; it has: %s", r->what, type_str(want),
			list[0] ? list : "no programs");
		return -EINVAL;
	}
	if (ncand > 1) {
		pr_warn("%s: %d %s programs in the object, say which one with `name =` in a manifest: %s",
			r->what, ncand, type_str(want), list);
		return -EINVAL;
	}
	if (!chainable_section(bpf_program__section_name(found))) {
		pr_warn("%s: program '%s' is in section '%s'; only SEC(\"xdp\"), SEC(\"tc\") and "
			"SEC(\"classifier\") programs can be chained (no xdp.frags or devmap variants)",
			r->what, bpf_program__name(found), bpf_program__section_name(found));
		return -EINVAL;
	}
	*out = found;
	return 0;
}

/* Finds the internal map holding a data section (".rodata", ".data", ...). */
static struct bpf_map *section_map(struct bpf_object *obj, const char *sec)
{
	struct bpf_map *m;
	size_t sl = strlen(sec);

	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		size_t nl = strlen(n);

		if (!bpf_map__is_internal(m))
			continue;
		if (nl >= sl && !strcmp(n + nl - sl, sec))
			return m;
		/* libbpf truncates long section names to the object name size */
		if (sl >= BPF_OBJ_NAME_LEN - 1 && !strncmp(n, sec, nl))
			return m;
	}
	return NULL;
}

/* Sets the initial value of a global variable, found by name in the BTF. */
int load_apply_global(struct bpf_object *obj, const struct load_req *r,
		      const struct engine_global *g)
{
	struct btf *btf = bpf_object__btf(obj);
	const char *name = g->name;
	size_t len = g->len;
	__u32 id, cnt;

	if (!len) {
		pr_warn("%s: global.%s: no value", r->what, name);
		return -EINVAL;
	}
	if (!btf) {
		pr_warn("%s: global.%s: the object has no BTF to find globals in", r->what, name);
		return -EINVAL;
	}
	cnt = btf__type_cnt(btf);
	for (id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *vs;
		__u16 j;

		if (!btf_is_datasec(t))
			continue;
		vs = btf_var_secinfos(t);
		for (j = 0; j < btf_vlen(t); j++, vs++) {
			const struct btf_type *vt = btf__type_by_id(btf, vs->type);
			const char *sec = btf__name_by_offset(btf, t->name_off);
			struct bpf_map *m;
			size_t msz = 0;
			const void *cur;
			char *data;
			int err;

			if (!vt || strcmp(btf__name_by_offset(btf, vt->name_off), name))
				continue;
			if (vs->size != len) {
				pr_warn("%s: global.%s is %u bytes in the object, the value has %zu",
					r->what, name, vs->size, len);
				return -EINVAL;
			}
			m = section_map(obj, sec);
			cur = m ? bpf_map__initial_value(m, &msz) : NULL;
			if (!cur || vs->offset + len > msz) {
				pr_warn("%s: global.%s: section %s cannot be set before load", r->what,
					name, sec);
				return -EINVAL;
			}
			data = malloc(msz);
			if (!data)
				return -ENOMEM;
			memcpy(data, cur, msz);
			memcpy(data + vs->offset, g->data, len);
			err = bpf_map__set_initial_value(m, data, msz);
			free(data);
			return err;
		}
	}
	pr_warn("%s: global.%s: no such global variable in the object", r->what, name);
	return -EINVAL;
}

/* Where the instructions of the program as loaded come from. */
struct load_origin {
	const struct obj_info *oi;
	size_t main_len;		/* the program's own instructions */
	struct vlog_map map;
	struct vlog_func *funcs;
	struct vlog_line *lines;
};

static const char *btf_func_name(const struct btf *btf, uint32_t type_id)
{
	const struct btf_type *t = btf ? btf__type_by_id(btf, type_id) : NULL;

	return t ? btf__name_by_offset(btf, t->name_off) : NULL;
}

/* The functions of the program as loaded: BTF func info (main first, then
 * the subprograms libbpf appended), each placed in its ELF section. */
static void origin_funcs(struct load_origin *o, const struct load_ctx *c, const struct btf *btf)
{
	const struct bpf_program *prog = c->prog;
	size_t i, shift = o->map.shift, n = c->func_info_cnt ? c->func_info_cnt : 1;
	const struct obj_func *of;

	o->funcs = calloc(n, sizeof(*o->funcs));
	if (!o->funcs)
		return;
	for (i = 0; i < n; i++) {
		struct vlog_func *f = &o->funcs[i];
		const struct bpf_func_info *fi = c->func_info ?
			(const void *)((const char *)c->func_info + i * c->func_info_rec) : NULL;

		f->start = i && fi ? fi->insn_off - shift : 0;
		f->name = i && fi ? btf_func_name(btf, fi->type_id) : bpf_program__name(prog);
		of = obj_info_func(o->oi, f->name);
		f->section = of ? of->section : i ? NULL : bpf_program__section_name(prog);
		f->sec_insn = of ? of->insn : 0;
	}
	o->map.funcs = o->funcs;
	o->map.n_funcs = n;
}

/* The source lines (BTF line info), the prologue's copy left out. */
static void origin_lines(struct load_origin *o, const struct load_ctx *c, const struct btf *btf)
{
	size_t i, n = 0;

	if (!btf || c->line_info_cnt < 2)
		return;
	o->lines = calloc(c->line_info_cnt - 1, sizeof(*o->lines));
	if (!o->lines)
		return;
	for (i = 1; i < c->line_info_cnt; i++) {
		const struct bpf_line_info *li =
			(const void *)((const char *)c->line_info + i * c->line_info_rec);

		o->lines[n++] = (struct vlog_line){
			.insn = li->insn_off - o->map.shift,
			.file = btf__name_by_offset(btf, li->file_name_off),
			.src = btf__name_by_offset(btf, li->line_off),
			.line = BPF_LINE_INFO_LINE_NUM(li->line_col),
		};
	}
	o->map.lines = o->lines;
	o->map.n_lines = n;
}

/* The verifier log, one warning a line, with the object's own instruction
 * indexes when the program was rewritten (docs/plugfs.8, "log"). */
static void log_verifier(const char *what, const char *log, struct load_origin *o,
			 const struct load_ctx *c, struct bpf_object *obj)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = log, *nl;

	if (!log || !*log)
		return;
	if (c->rewritten) {
		o->map.shift = rewrite_shift(&c->rp);
		o->map.section = bpf_program__section_name(c->prog);
		o->map.main_len = o->main_len;
		origin_funcs(o, c, bpf_object__btf(obj));
		origin_lines(o, c, bpf_object__btf(obj));
		if (o->funcs) {
			vlog_rewrite(log, &o->map, &sb);
			if (!sb.err && sb.buf)
				p = sb.buf;
		}
	}
	pr_warn("%s: verifier log:", what);
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		pr_warn("  %.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
	strbuf__fini(&sb);
	free(o->funcs);
	free(o->lines);
}

int load_unpin_dir(const char *dir)
{
	char path[PATH_MAX + 256];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		plugfs_snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
	return 0;
}

void load_remove_map_dir(const char *dir)
{
	if (!dir || !*dir)
		return;
	if (load_unpin_dir(dir))
		rmdir(dir);
	/* maps/ itself stays (the next load with maps would make it again
	 * on its path); the engine's stop removes it when empty */
}

size_t load_prog_map_ids(int prog_fd, uint32_t *ids, size_t max)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	info.nr_map_ids = (__u32)max;
	info.map_ids = (__u64)(uintptr_t)ids;
	if (prog_fd < 0 || bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.nr_map_ids < max ? info.nr_map_ids : max;
}

static bool has_id(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Appends the maps of a program to *ids (grown); false when out of memory. */
static bool add_prog_maps(uint32_t **ids, size_t *cap, size_t *n, int prog_fd)
{
	uint32_t *more = realloc(*ids, (*cap + LOAD_MAX_MAPS) * sizeof(**ids));

	if (!more)
		return false;
	*ids = more;
	*cap += LOAD_MAX_MAPS;
	*n += load_prog_map_ids(prog_fd, more + *n, LOAD_MAX_MAPS);
	return true;
}

/* The maps the programs of a map directory use (chains and tracing/), as
 * the kernel lists them; NULL (nothing can be pruned) when that cannot be known. */
static uint32_t *dir_users_maps(const struct engine *e, const char *dir, size_t *n)
{
	const struct eng_hook *h;
	const struct eng_trace *t;
	uint32_t *ids = NULL;
	size_t cap = 0, k;
	unsigned int i;
	bool ok = true;

	*n = 0;
	for (h = e->hooks; ok && h; h = h->next)
		for (i = 0; ok && i < h->n; i++)
			if (!strcmp(h->ent[i]->map_pin_path, dir))
				ok = add_prog_maps(&ids, &cap, n, h->ent[i]->prog_fd) &&
				     /* and its idle copy's (bpf/swap.c) */
				     (!h->ent[i]->swap ||
				      add_prog_maps(&ids, &cap, n, h->ent[i]->swap->fd));
	for (t = e->traces; ok && t; t = t->next)
		for (k = 0; ok && k < t->n_progs && !strcmp(t->map_pin_path, dir); k++)
			ok = add_prog_maps(&ids, &cap, n, t->progs[k].prog_fd);
	if (!ok) {
		free(ids);
		return NULL;
	}
	return ids ? ids : calloc(1, sizeof(*ids));
}

uint32_t load_pinned_map_id(const char *path)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	uint32_t id = 0;

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.id;
	close(fd);
	return id;
}

void load_release_maps(const struct engine *e, const char *dir, const uint32_t *gone,
		       size_t n_gone, const uint32_t *keep, size_t n_keep)
{
	char path[PATH_MAX + 256];
	uint32_t *used, id;
	struct dirent *d;
	size_t n_used;
	DIR *dp;

	if (!dir || !*dir)
		return;
	if (!map_dir_used(e, dir, NULL)) {
		load_remove_map_dir(dir);
		return;
	}
	used = dir_users_maps(e, dir, &n_used);
	dp = used ? opendir(dir) : NULL;
	while (dp && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		plugfs_snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		id = load_pinned_map_id(path);
		if (!id || !has_id(gone, n_gone, id) || has_id(keep, n_keep, id) ||
		    has_id(used, n_used, id))
			continue;
		if (!unlink(path))
			pr_info("bpf: unpinned map %s (id %u): no program uses it any more", path, id);
	}
	if (dp)
		closedir(dp);
	free(used);
}

/* Is m one of the swap maps? Each of them must be a map of the object. */
static int swap_map_index(struct bpf_object *obj, const struct load_req *r, const struct bpf_map *m)
{
	size_t i;

	for (i = 0; m && i < r->n_swap; i++)
		if (!strcmp(bpf_map__name(m), r->swap_names[i]))
			return (int)i;
	for (i = 0; !m && i < r->n_swap; i++) {
		m = bpf_object__find_map_by_name(obj, r->swap_names[i]);
		if (!m || bpf_map__is_internal(m)) {
			pr_warn("%s: swap: the object has no map '%s' of its own (in .maps)", r->what,
				r->swap_names[i]);
			return -EINVAL;
		}
		m = NULL;
	}
	return -1;
}

int load_setup_map_pins(struct bpf_object *obj, const struct load_req *r, struct new_pins *np)
{
	struct bpf_map *m;
	char path[PATH_MAX + 64];
	int err;

	err = swap_map_index(obj, r, NULL);
	if (err == -EINVAL)
		return err;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		if (!r->map_dir) {
			/* LIBBPF_PIN_BY_NAME would pin under /sys/fs/bpf: maps are
			 * pinned in our own directory once the program id is known */
			err = bpf_map__set_pin_path(m, NULL);
			if (err)
				return err;
			continue;
		}
		plugfs_snprintf(path, sizeof(path), "%s/%s%s", r->map_dir, bpf_map__name(m),
				r->swap_instance && swap_map_index(obj, r, m) >= 0 ? ":1" : "");
		if (access(path, F_OK) && np->n < 16)
			plugfs_snprintf(np->path[np->n++], PATH_MAX, "%s", path);
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	return 0;
}

int load_pin_fresh_maps(struct bpf_object *obj, const struct load_req *r, struct load_res *res)
{
	struct bpf_map *m;
	char path[PATH_MAX + 64];
	bool any = false;
	int err;

	if (r->map_dir) {
		plugfs_snprintf(res->map_dir, sizeof(res->map_dir), "%s", r->map_dir);
		return 0;
	}
	bpf_object__for_each_map(m, obj)
		if (!bpf_map__is_internal(m))
			any = true;
	if (!any)
		return 0;
	plugfs_snprintf(res->map_dir, sizeof(res->map_dir), "%s/maps/%u", r->bpffs_dir, res->prog_id);
	err = plugfs_mkdir_p(res->map_dir, 0700);
	if (err)
		return err;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		plugfs_snprintf(path, sizeof(path), "%s/%s", res->map_dir, bpf_map__name(m));
		/* the directory is ours, just made on bpffs: no libbpf checks
		 * of it (a mkdir and a statfs per map) */
		err = bpf_obj_pin(bpf_map__fd(m), path) ? -errno : 0;
		if (err) {
			pr_warn("%s: cannot pin map %s at %s: %s", r->what, bpf_map__name(m), path,
				strerror(-err));
			load_remove_map_dir(res->map_dir);
			res->map_dir[0] = '\0';
			return err;
		}
	}
	return 0;
}

void load_unpin_new(const struct new_pins *np)
{
	int i;

	for (i = 0; i < np->n; i++)
		unlink(np->path[i]);
}

/* Same internal map name: the same section after the object's name, which
 * a program loaded before objects were named (plugfs.bss) may not share. */
static bool same_section_map(const char *kernel_name, const char *name)
{
	const char *a = strchr(kernel_name, '.'), *b = strchr(name, '.');

	if (!strncmp(kernel_name, name, BPF_OBJ_NAME_LEN - 1))
		return true;
	return a && b && !strcmp(a, b);
}

/* The map of the original's among ids (the maps it uses) that libbpf made
 * for m: the same section (bpf_map__name as the kernel keeps it), type and
 * sizes; -1: none. */
static int original_map(const __u32 *ids, __u32 n, const struct bpf_map *m)
{
	struct bpf_map_info mi;
	__u32 i, len;
	int fd;

	for (i = 0; i < n; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len) &&
		    same_section_map(mi.name, bpf_map__name(m)) &&
		    mi.type == bpf_map__type(m) && mi.value_size == bpf_map__value_size(m) &&
		    mi.max_entries == bpf_map__max_entries(m))
			return fd;
		close(fd);
	}
	return -1;
}

/* A copy's internal maps are the original's (user maps are shared through
 * their pins already). */
static int reuse_internal_maps(struct bpf_object *obj, const struct load_req *r)
{
	__u32 ids[64], len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info = { 0 };
	struct bpf_map *m;
	int fd, err;

	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(r->copy_of_fd, &info, &len))
		return -errno;
	if (info.nr_map_ids > sizeof(ids) / sizeof(ids[0]))
		info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	bpf_object__for_each_map(m, obj) {
		if (!bpf_map__is_internal(m))
			continue;
		fd = original_map(ids, info.nr_map_ids, m);
		if (fd < 0)
			continue;	/* a section the program does not use */
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err) {
			pr_warn("%s: cannot share map %s with the program copied: %s", r->what,
				bpf_map__name(m), strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Keeps the one program to load, sets the globals and where maps are pinned. */
static int prepare_object(struct bpf_object *obj, const struct load_req *r,
			  struct bpf_program **progp, struct new_pins *np)
{
	struct bpf_program *prog = NULL, *p;
	size_t i;
	int err;

	err = pick_program(obj, r, &prog);
	if (err)
		return err;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	for (i = 0; i < r->n_globals; i++) {
		err = load_apply_global(obj, r, &r->globals[i]);
		if (err)
			return err;
	}
	*progp = prog;
	err = r->copy_of_fd > 0 ? reuse_internal_maps(obj, r) : 0;
	return err ? err : load_setup_map_pins(obj, r, np);
}

/* The load, with the rewrite done from libbpf's callback; a failure is
 * explained (verifier log included) and the maps pinned for it go. */
static int load_rewritten(struct bpf_object *obj, struct bpf_program *prog,
			  const struct load_req *r, char *log, const struct new_pins *np,
			  const struct obj_info *oi, struct load_res *res)
{
	struct load_origin origin = { .oi = oi, .main_len = bpf_program__insn_cnt(prog) };
	struct load_ctx ctx = { 0 };
	int err;

	log[0] = '\0';
	bpf_program__set_log_buf(prog, log, VERIFIER_LOG_SIZE);
	ctx.prog = prog;
	ctx.rp.sz = sizeof(ctx.rp);
	ctx.rp.tc = r->hook != ENGINE_HOOK_XDP;
	ctx.rp.mask = r->mask;
	ctx.rp.chain_map_fd = r->chain_map_fd;
	ctx.rp.slot = r->slot;
	ctx.rp.counter = r->counts_map_fd >= 0 ? r->counter : 0;
	ctx.rp.counts_map_fd = r->counts_map_fd;
	ctx.rp.timed = ctx.rp.counter && r->time_map_fd >= 0;
	ctx.rp.time_map_fd = r->time_map_fd;
	cur_load = &ctx;
	err = bpf_object__load(obj);
	cur_load = NULL;
	if (err && !ctx.rc && r->spare && vlog_verified(log)) {
		/* verified, then refused: the map's owner (JIT) differs */
		res->spare_refused = true;
		err = -EINVAL;
	} else if (err || ctx.rc) {
		if (ctx.rc == -E2BIG || ctx.err[0])
			pr_warn("%s: program '%s' cannot be chained: %s", r->what,
				bpf_program__name(prog), ctx.err[0] ? ctx.err : strerror(-ctx.rc));
		else
			pr_warn("%s: the kernel refused program '%s': %s", r->what,
				bpf_program__name(prog), strerror(-err));
		log_verifier(r->what, log, &origin, &ctx, obj);
		err = ctx.rc ? ctx.rc : plugfs_errno_from_libbpf(err);
	}
	free(ctx.func_info);
	free(ctx.line_info);
	if (err) {
		load_unpin_new(np);
		return err;
	}
	if (!ctx.rewritten) {
		pr_warn("%s: program '%s' was not rewritten into a chain link", r->what,
			bpf_program__name(prog));
		return -EINVAL;
	}
	res->timed = ctx.rp.timed;
	return 0;
}

/* The ids of the object's own maps (not its internal ones). */
static void object_map_ids(struct bpf_object *obj, struct load_res *res)
{
	struct bpf_map_info info;
	struct bpf_map *m;
	__u32 len;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m) || res->n_map_ids >= LOAD_MAX_MAPS)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
			res->map_ids[res->n_map_ids++] = info.id;
	}
}

/* The loaded program outlives its object: its fd duplicated, its id, and
 * its maps pinned when they are new. */
static int take_program(struct bpf_object *obj, struct bpf_program *prog,
			const struct load_req *r, struct load_res *res)
{
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);
	int fd;

	fd = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	res->prog_fd = fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return -errno;
	res->prog_id = info.id;
	plugfs_snprintf(res->prog_name, sizeof(res->prog_name), "%s", bpf_program__name(prog));
	object_map_ids(obj, res);
	return load_pin_fresh_maps(obj, r, res);
}

int load_user_prog(const struct load_req *r, struct load_res *res)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct new_pins np = { .n = 0 };
	struct bpf_program *prog = NULL;
	struct bpf_object *obj;
	struct obj_info oi;
	char *log = NULL, name[BPF_OBJ_NAME_LEN];
	int err;

	memset(res, 0, sizeof(*res));
	res->prog_fd = -1;
	register_handlers();
	/* not an ELF object libelf reads: libbpf says why just below */
	obj_info_read(r->obj, r->obj_len, &oi);
	obj_info_object_name(&oi, r->object_path, name, sizeof(name));
	oo.object_name = name;
	obj = bpf_object__open_mem(r->obj, r->obj_len, &oo);
	if (!obj) {
		err = plugfs_errno_from_libbpf(-errno);
		pr_warn("%s: not a loadable BPF object (%s); see the libbpf messages above", r->what,
			strerror(-err));
		obj_info_fini(&oi);
		return err;
	}
	err = prepare_object(obj, r, &prog, &np);
	if (!err) {
		/* not calloc: zeroing 1 MiB on every load costs more than the load */
		log = r->log_buf ? r->log_buf : malloc(VERIFIER_LOG_SIZE);
		if (!log)
			err = -ENOMEM;
	}
	if (!err)
		err = load_rewritten(obj, prog, r, log, &np, &oi, res);
	if (!err)
		err = take_program(obj, prog, r, res);
	if (err && res->prog_fd >= 0) {
		close(res->prog_fd);
		res->prog_fd = -1;
	}
	bpf_object__close(obj);
	obj_info_fini(&oi);
	if (log != r->log_buf)
		free(log);
	return err;
}

static int load_root_libbpf(enum engine_hook hook, bool indirect, int chain_map_fd, int *prog_fd)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "plugfs_root");
	const void *bytes = hook == ENGINE_HOOK_XDP ? (const void *)plugfs_root_xdp_obj
						    : (const void *)plugfs_root_tc_obj;
	size_t len = hook == ENGINE_HOOK_XDP ? plugfs_root_xdp_obj_len : plugfs_root_tc_obj_len;
	struct bpf_object *obj;
	struct bpf_program *prog, *p;
	struct bpf_map *map;
	int err, fd;

	register_handlers();
	obj = bpf_object__open_mem(bytes, len, &oo);
	if (!obj)
		return -errno;
	map = bpf_object__find_map_by_name(obj, "plugfs_chain");
	prog = bpf_object__find_program_by_name(obj, root_prog_name(hook, indirect));
	if (!map || !prog) {
		err = -ENOENT;
		goto out;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	err = bpf_map__reuse_fd(map, chain_map_fd);
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		pr_warn("bpf: cannot load the %s root program: %s", engine_hook_name(hook),
			strerror(-err));
		goto out;
	}
	fd = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		err = -errno;
	else
		*prog_fd = fd;
out:
	bpf_object__close(obj);
	return err;
}

size_t root_map_insn(const struct bpf_insn *in, size_t n)
{
	size_t i, at = (size_t)-1;

	for (i = 0; i + 1 < n; i++) {
		if (in[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in[i].src_reg != BPF_PSEUDO_MAP_FD || at != (size_t)-1)
			return (size_t)-1;
		at = i++;
	}
	return at;
}

static void take_root_code(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	int k, v, map_fd, fd;

	for (k = 0; k < 2; k++) {
		map_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "plugfs_chain", 4, 4,
					CHAIN_MAP_ENTRIES, &mo);
		if (map_fd < 0)
			continue;
		for (v = 0; v < 2; v++) {
			cur_root = &root_code[k][v];
			fd = -1;
			if (!load_root_libbpf(k ? ENGINE_HOOK_TC_INGRESS : ENGINE_HOOK_XDP, v, map_fd,
					      &fd))
				close(fd);
			cur_root = NULL;
		}
		close(map_fd);
	}
}

void load_prepare_roots(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	register_handlers();
	pthread_once(&once, take_root_code);
}

int load_root_prog(enum engine_hook hook, bool indirect, int chain_map_fd, int *prog_fd)
{
	const struct root_code *rc = &root_code[hook == ENGINE_HOOK_XDP ? 0 : 1][indirect];
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = rc->attach);
	struct bpf_insn insns[64];
	int fd;

	if (!rc->insns || rc->cnt > sizeof(insns) / sizeof(insns[0]))
		return load_root_libbpf(hook, indirect, chain_map_fd, prog_fd);
	memcpy(insns, rc->insns, rc->cnt * sizeof(insns[0]));
	insns[rc->map_insn].imm = chain_map_fd;
	/* the license of bpf/progs/root_*.bpf.c */
	/* the kernel makes bpf fds close-on-exec, libbpf keeps them above 2 */
	fd = bpf_prog_load(rc->type, rc->name, "Dual MIT/GPL", insns, (__u32)rc->cnt, &lo);
	if (fd < 0) {
		pr_info("bpf: cannot load the %s root program from its instructions (%s): "
			"loading the object", engine_hook_name(hook), strerror(errno));
		return load_root_libbpf(hook, indirect, chain_map_fd, prog_fd);
	}
	*prog_fd = fd;
	return 0;
}

int load_stub_prog(enum engine_hook hook, int *prog_fd)
{
	const struct root_code *rc = &root_code[hook == ENGINE_HOOK_XDP ? 0 : 1][0];
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = rc->attach);
	/* what a root returns with an empty chain: XDP_PASS, TC_ACT_OK */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = hook == ENGINE_HOOK_XDP ? 2 : 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	if (!rc->insns)
		return -ENOENT;
	fd = bpf_prog_load(rc->type, "plugfs_stub", "Dual MIT/GPL", insns, 2, &lo);
	if (fd < 0)
		return -errno;
	*prog_fd = fd;
	return 0;
}

uint32_t load_prog_id(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

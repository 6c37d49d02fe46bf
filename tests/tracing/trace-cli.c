/* SPDX-License-Identifier: MIT */
/*
 * Test driver of tracing/ in the kernel engine (bpf/tracing.h) without the
 * FUSE layer. Exits with the errno of a failed verb, 0 on success.
 *
 *   trace-cli [-b BPFFS_DIR] [-s STATE_DIR] VERB ARGS
 *     load   NAME OBJ [name=a,b] [attach=..] [target=..] [fn_name=..] [offset=N]
 *                     [retprobe=0|1] [pid=N] [global.X=hex] [map_owner=ID]
 *     unload NAME
 *     rename FROM TO
 *     report NAME
 *     id     NAME
 */
#include "engine_tracing.h"

#include <plugfs/fileutil.h>
#include <plugfs/hex.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int set_opt(struct engine_trace_opts *o, struct engine_global *g, uint8_t *gbuf, char *arg)
{
	char *eq = strchr(arg, '=');
	ssize_t n;

	if (!eq)
		return -EINVAL;
	*eq++ = '\0';
	if (!strcmp(arg, "name"))
		o->prog_names = eq;
	else if (!strcmp(arg, "attach"))
		o->attach = eq;
	else if (!strcmp(arg, "target"))
		o->target = eq;
	else if (!strcmp(arg, "fn_name"))
		o->fn_name = eq;
	else if (!strcmp(arg, "offset"))
		o->offset = strtoll(eq, NULL, 0);
	else if (!strcmp(arg, "retprobe"))
		o->retprobe = atoi(eq);
	else if (!strcmp(arg, "pid"))
		o->pid = atoi(eq);
	else if (!strcmp(arg, "map_owner"))
		o->map_owner_id = (uint32_t)strtoul(eq, NULL, 10);
	else if (!strncmp(arg, "global.", 7) && o->n_globals < 16) {
		n = plugfs_hex_decode(eq, gbuf, 256);
		if (n <= 0)
			return -EINVAL;
		g[o->n_globals++] = (struct engine_global){ arg + 7, gbuf, (size_t)n };
	} else
		return -EINVAL;
	return 0;
}

static int do_load(struct engine *e, const char *name, const char *path, int argc, char **argv)
{
	static uint8_t gbuf[16][256];
	struct engine_trace_opts o = { .sz = sizeof(o), .object_path = path, .offset = -1,
				       .retprobe = -1 };
	struct engine_global g[16];
	size_t len = 0;
	void *obj;
	int i, err;

	for (i = 0; i < argc; i++) {
		err = set_opt(&o, g, gbuf[o.n_globals < 16 ? o.n_globals : 15], argv[i]);
		if (err)
			return err;
	}
	o.globals = g;
	err = plugfs_read_file(path, &obj, &len);
	if (err)
		return err;
	err = engine__trace_load(e, name, obj, len, &o);
	free(obj);
	return err;
}

int main(int argc, char **argv)
{
	struct engine_opts eo = { .sz = sizeof(eo), .no_spares = true };
	struct engine *e;
	char *buf = NULL;
	size_t len = 0;
	int opt, err = -EINVAL;

	while ((opt = getopt(argc, argv, "b:s:")) != -1) {
		switch (opt) {
		case 'b': eo.bpffs_dir = optarg; break;
		case 's': eo.state_dir = optarg; break;
		default: return EINVAL;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return EINVAL;
	e = engine__new(&eo);
	if (!e)
		return errno;
	if (!strcmp(argv[0], "load") && argc >= 3) {
		err = do_load(e, argv[1], argv[2], argc - 3, argv + 3);
	} else if (!strcmp(argv[0], "unload") && argc == 2) {
		err = engine__trace_unload(e, argv[1]);
	} else if (!strcmp(argv[0], "rename") && argc == 3) {
		err = engine__trace_rename(e, argv[1], argv[2]);
	} else if (!strcmp(argv[0], "report") && argc == 2) {
		err = engine__trace_report(e, argv[1], false, &buf, &len);
		if (!err)
			fwrite(buf, 1, len, stdout);
		free(buf);
	} else if (!strcmp(argv[0], "id") && argc == 2) {
		printf("%u\n", engine__trace_prog_id(e, argv[1]));
		err = 0;
	}
	engine__free(e);
	if (err)
		fprintf(stderr, "trace-cli: %s: %s\n", argv[0], strerror(-err));
	return -err;
}

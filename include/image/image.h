/* SPDX-License-Identifier: MIT */
/*
 * Where an object's bytes come from besides a file: OCI bytecode images
 * (bpfman's format) pulled from a registry or read from an OCI layout on
 * disk, and C sources compiled with clang. Used by the daemon's trees; the
 * library depends only on common/.
 */
#ifndef PLUGFS_IMAGE_H
#define PLUGFS_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

enum image_pull_policy {
	IMAGE_PULL_IF_NOT_PRESENT,	/* the default, as bpfctl's */
	IMAGE_PULL_ALWAYS,
	IMAGE_PULL_NEVER,
};

/* "Always", "IfNotPresent", "Never" (case as bpfctl writes them): 0 or -EINVAL. */
int image_pull_policy_parse(const char *s, enum image_pull_policy *out);
const char *image_pull_policy_name(enum image_pull_policy p);

/*
 * An image reference: HOST[:PORT]/REPO[:TAG][@sha256:HEX], or
 * oci:/abs/layout[:TAG] for an OCI layout on disk. A reference without a
 * tag or digest means ":latest".
 */
struct image_ref {
	bool is_layout;
	char registry[256];		/* host[:port] */
	char repo[256];
	char tag[128];			/* "" when only a digest is given */
	char digest[80];		/* "sha256:<64 hex>" or "" */
	char layout[4096];		/* oci: the directory */
};

int image_ref_parse(const char *s, struct image_ref *r);

#define IMAGE_MAX_PROGRAMS 16

struct image_label_item {
	char name[128];
	char type[32];
};

/* What the image's labels say (io.ebpf.programs / io.ebpf.maps, or the older
 * io.ebpf.program_type + io.ebpf.bpf_function_name / program_name). */
struct image_labels {
	unsigned int nr_programs;
	struct image_label_item programs[IMAGE_MAX_PROGRAMS];
	unsigned int nr_maps;
	struct image_label_item maps[IMAGE_MAX_PROGRAMS];
	char filename[256];		/* io.ebpf.filename, "" if absent */
};

struct image_pull_opts {
	size_t sz;
	const char *state_dir;		/* blobs cached in <state_dir>/objects/blobs/ */
	enum image_pull_policy policy;
	const char *auth_file;		/* docker-style config.json, or NULL */
	const char *insecure;		/* registries spoken to over plain HTTP: "h:p, h2" */
	const char *ca_files;		/* extra CA files (PEM) for TLS: "a.pem, b.pem" */
	unsigned int timeout_ms;	/* per request; 0: 30 s */
	size_t max_object;		/* largest object accepted; 0: 64 MiB */
};

struct image_bytecode {
	void *obj;			/* the ELF object from the layer (malloc'ed) */
	size_t len;
	char digest[80];		/* the image manifest's digest */
	bool pulled;			/* false: every byte came from the cache */
	struct image_labels labels;
};

/*
 * Resolves ref to a bytecode image and returns the object inside it.
 * Errors: -ENOENT unknown repository or tag (or not cached under Never),
 * -EACCES credentials refused or missing, -EBADMSG a digest that does not
 * match, -EHOSTUNREACH / -ETIMEDOUT registry unreachable, -EINVAL not a
 * bytecode image. The reason, with the registry's answer, is in err.
 */
int image_pull(const char *ref, const struct image_pull_opts *o, struct image_bytecode *out,
	       char *err, size_t err_size);
void image_bytecode_fini(struct image_bytecode *b);

/* The program a load should take when none is named: the only one of the
 * given type ("xdp", "tc", ...; NULL any), else NULL. */
const char *image_labels_program(const struct image_labels *l, const char *type);

/* Parses the labels of an image config (JSON text). 0, or -EINVAL. */
int image_labels_parse(const char *config_json, size_t len, struct image_labels *l, char *err,
		       size_t err_size);

/* Does the text look like C source (not ELF, not an ini manifest)? */
bool image_is_c_source(const void *buf, size_t len);

struct image_compile_opts {
	size_t sz;
	const char *compiler;		/* NULL: "clang" from PATH */
	const char *cflags;		/* extra flags, split at blanks; NULL none */
	unsigned int timeout_ms;	/* 0: 60 s */
	size_t max_object;		/* 0: 64 MiB */
};

/*
 * Compiles a C file with clang -O2 -g -target bpf into an object, with no
 * network and only the source's directory and the system's files readable
 * (bubblewrap). -EINVAL compile error (clang's messages in *log, malloc'ed),
 * -ENOEXEC no clang (or no bwrap), -ETIMEDOUT over the time limit.
 */
int image_compile(const char *src_path, const struct image_compile_opts *o, void **obj,
		  size_t *len, char **log);
/* The same for C text written into the tree: compiled in a directory of its own. */
int image_compile_text(const void *text, size_t text_len, const struct image_compile_opts *o,
		       void **obj, size_t *len, char **log);

#endif

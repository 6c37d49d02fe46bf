// SPDX-License-Identifier: MIT
/*
 * opensnoop: counts the files each command opens (the openat system call)
 * and keeps the last file name each one opened, like bcc's opensnoop but
 * as counters a reader dumps when it likes.
 *
 * Shows: a tracepoint program in tracing/ (SEC() says where it attaches,
 * no manifest needed); a BTF-typed hash map that `bpftool map dump` prints
 * with its fields; a global (`only_pid`) a manifest can set, as bpfctl's -g.
 *
 * Run (MNT = the plugfs mount):
 *   cp build/examples/tracing/opensnoop.bpf.o $MNT/tracing/opensnoop
 *   or: make -C examples trace NAME=opensnoop OBJ=tracing/opensnoop
 *   bpftool map dump pinned "$(sed -n 's/^Map Pin Path: //p' $MNT/tracing/opensnoop)/opens"
 *   rm $MNT/tracing/opensnoop   (or make -C examples untrace NAME=opensnoop)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct comm_key {
	char comm[16];
};

struct opens {
	__u64 count;
	__u32 last_pid;
	char last_file[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct comm_key);
	__type(value, struct opens);
} opens SEC(".maps");

/* 0: every process; else only this one (a manifest's global.only_pid) */
const volatile __u32 only_pid = 0;

/* The tracepoint's fields, as /sys/kernel/tracing/events/syscalls/sys_enter_openat/format lists them. */
struct openat_args {
	__u64 common;
	__s64 nr;
	__u64 dfd;
	const char *filename;
	__u64 flags;
	__u64 mode;
};

SEC("tracepoint/syscalls/sys_enter_openat")
int opensnoop(struct openat_args *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct comm_key k = {};
	struct opens zero = {}, *v;

	if (only_pid && pid != only_pid)
		return 0;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	v = bpf_map_lookup_elem(&opens, &k);
	if (!v) {
		bpf_map_update_elem(&opens, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&opens, &k);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->count, 1);
	v->last_pid = pid;
	bpf_probe_read_user_str(v->last_file, sizeof(v->last_file), ctx->filename);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

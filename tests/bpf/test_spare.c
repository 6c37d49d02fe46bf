/* SPDX-License-Identifier: MIT */
/*
 * The engine's background thread (bpf/background.c, bpf/spare.c), in a private network
 * namespace on its own veth: the engine makes an xdp and a tc chain map with
 * their (indirect) roots ahead; a first load on a hook attaches that very
 * root with the program in slot 0 in place of the stub (packets reach it: a
 * drop program drops through the root); once the engine is idle the direct
 * root takes its place (same XDP link, root pin and attachment agree, the
 * spare's root freed) and the spare is made again; an engine stopped before
 * that leaves the indirect root, and the next one adopts and replaces it
 * without reloading the program; an engine without spares has none and
 * still loads; engine__free leaves no spare, root or stub in the kernel and
 * nothing in the bpffs dir.
 * Needs root (exit 77 without it, failure when CI=true).
 *   test_spare build/tests/bpf/drop.bpf.o
 */
#include "../tap.h"
#include "engine.h"

#include <plugfs/fileutil.h>
#include <plugfs/log.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The clsact filter of the engine (bpf/engine_internal.h). */
#define PLUGFS_TC_HANDLE 0x706c
#define PLUGFS_TC_PRIO 0x706c


static uint32_t xdp_prog_id(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	return bpf_xdp_query(ifindex, 0, &q) ? 0 : q.prog_id;
}

static uint32_t tc_prog_id(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, th, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = PLUGFS_TC_HANDLE, .priority = PLUGFS_TC_PRIO);

	return bpf_tc_query(&th, &to) ? 0 : to.prog_id;
}

/* Verdict of a pinned program for a 64-byte IPv4 frame, -1 on error. */
static int verdict(const char *pin)
{
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
	int fd = bpf_obj_get(pin), rc;

	pkt[12] = 0x08;
	if (fd < 0)
		return -1;
	rc = bpf_prog_test_run_opts(fd, &o) ? -1 : (int)o.retval;
	close(fd);
	return rc;
}

/* Kernel id and name of a program by id (name "" when gone). */
static uint32_t prog_name(uint32_t id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	close(fd);
	return info.id;
}

/* Id of what a pin holds: a program's, or for a link its own id. */
static uint32_t pin_id(const char *pin, bool link)
{
	struct bpf_link_info li = { 0 };
	struct bpf_prog_info pi = { 0 };
	__u32 len = link ? sizeof(li) : sizeof(pi);
	int fd = bpf_obj_get(pin), err;

	if (fd < 0)
		return 0;
	err = link ? bpf_obj_get_info_by_fd(fd, &li, &len) : bpf_obj_get_info_by_fd(fd, &pi, &len);
	close(fd);
	return err ? 0 : link ? li.id : pi.id;
}

static uint32_t chain_slot0(const char *pin)
{
	int fd = bpf_obj_get(pin);
	__u32 key = 0, val = 0;

	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &key, &val))
		val = 0;
	close(fd);
	return val;
}

/* Is a program id gone from the kernel? Frees are deferred: wait up to 2 s. */
static bool prog_gone(uint32_t id)
{
	int i, fd;

	for (i = 0; i < 200; i++) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0 && errno == ENOENT)
			return true;
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	return false;
}

/* How many spare:<kind>:* dirs hold <sub>/chain, <sub>/counts and <sub>/root. */
static int spare_pins(const char *bpffs, const char *kind, const char *sub)
{
	char prefix[32], path[512];
	struct dirent *d;
	DIR *dp = opendir(bpffs);
	int n = 0;

	if (!dp)
		return 0;
	snprintf(prefix, sizeof(prefix), "spare:%s:", kind);
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s/chain", bpffs, d->d_name, sub);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s/counts", bpffs, d->d_name, sub);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s/root", bpffs, d->d_name, sub);
		n += !access(path, F_OK);
	}
	closedir(dp);
	return n;
}

static int entries_in(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp)))
		n += d->d_name[0] != '.';
	closedir(dp);
	return n;
}

int main(int argc, char **argv)
{
	char bpffs[128], state[128], pin[256], cmd[400], name[BPF_OBJ_NAME_LEN];
	struct engine_opts eo = { .sz = sizeof(eo) };
	uint32_t ids[2], again[2], none[2], prog_id, seen[32], link_id, root_id;
	struct engine *e, *cold;
	size_t len = 0, nseen = 0, i;
	int ifindex, n;
	void *obj = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: %s drop.bpf.o\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root\n");
		return getenv("CI") && !strcmp(getenv("CI"), "true") ? 1 : 77;
	}
	if (plugfs_read_file(argv[1], &obj, &len) || unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && ip link add sA type veth peer name sB && "
		   "ip link set sA up && ip link set sB up")) {
		fprintf(stderr, "test_spare: set-up failed\n");
		return 1;
	}
	ifindex = (int)if_nametoindex("sA");
	snprintf(bpffs, sizeof(bpffs), "/sys/fs/bpf/plugfs-test-spare-%d", getpid());
	snprintf(state, sizeof(state), "/tmp/plugfs-test-spare-%d", getpid());
	eo.bpffs_dir = bpffs;
	eo.state_dir = state;
	plog_route_libbpf();

	e = engine__new(&eo);
	if (!e)
		return 1;
	n = engine__spares(e, 5000, ids);
	CHECK(n == 2 && ids[0] && ids[1] && ids[0] != ids[1],
	      "two spares made at start (xdp root %u, tc root %u)", ids[0], ids[1]);
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ids[0];
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ids[1];
	snprintf(pin, sizeof(pin), "%s/run_time", bpffs);
	CHECK(entries_in(bpffs) == 3 && !access(pin, F_OK) && spare_pins(bpffs, "xdp", "xdp") == 1 &&
	      spare_pins(bpffs, "tc", "tc-ingress") == 1,
	      "each spare pins its chain map, counts map and root in a spare: directory; "
	      "the run-time switch is pinned; nothing else");

	CHECK(prog_name(ids[0], name) && !strcmp(name, "plugfs_xdp_ind"),
	      "the xdp spare's root is the indirect build (%s)", name);
	CHECK(engine__load(e, "sA", ENGINE_HOOK_XDP, 10, obj, len, NULL) == 0, "xdp load");
	prog_id = engine__prog_id(e, "sA", ENGINE_HOOK_XDP, 10);
	snprintf(pin, sizeof(pin), "%s/sA/xdp/link", bpffs);
	link_id = pin_id(pin, true);
	snprintf(pin, sizeof(pin), "%s/sA/xdp/root", bpffs);
	CHECK(verdict(pin) == 1, "the root runs the program: XDP_DROP");
	CHECK(pin_id(pin, false) == ids[0], "the spare's pins were moved into place (root %u)",
	      pin_id(pin, false));
	CHECK(spare_pins(bpffs, "xdp", "xdp") == 0, "no xdp spare pins left until it is made again");
	snprintf(pin, sizeof(pin), "%s/sA/xdp/chain", bpffs);
	CHECK(prog_id && chain_slot0(pin) == prog_id, "slot 0 holds the program, not the stub");

	CHECK(engine__settle(e, 5000) == 0, "the engine settles");
	root_id = xdp_prog_id(ifindex);
	CHECK(root_id && root_id != ids[0] && prog_name(root_id, name) &&
	      !strcmp(name, "plugfs_xdp_root"), "then the direct root is attached (%u %s)",
	      root_id, name);
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = root_id;
	snprintf(pin, sizeof(pin), "%s/sA/xdp/root", bpffs);
	CHECK(pin_id(pin, false) == root_id, "and pinned as root");
	CHECK(verdict(pin) == 1, "the direct root runs the program: XDP_DROP");
	snprintf(pin, sizeof(pin), "%s/sA/xdp/link", bpffs);
	CHECK(link_id && pin_id(pin, true) == link_id, "through the same XDP link (%u)", link_id);
	snprintf(pin, sizeof(pin), "%s/sA/xdp/root_new", bpffs);
	CHECK(access(pin, F_OK) != 0, "no root_new pin left");
	CHECK(prog_gone(ids[0]), "the spare's indirect root is freed (%u)", ids[0]);

	n = engine__spares(e, 5000, again);
	CHECK(n == 2 && again[0] && again[0] != ids[0] && again[1] == ids[1],
	      "the xdp spare is made again after the load (%u), tc kept", again[0]);
	CHECK(spare_pins(bpffs, "xdp", "xdp") == 1, "and pinned");
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = again[0];

	CHECK(engine__load(e, "sA", ENGINE_HOOK_TC_INGRESS, 10, obj, len, NULL) == 0,
	      "tc-ingress load");
	snprintf(pin, sizeof(pin), "%s/sA/tc-ingress/root", bpffs);
	CHECK(verdict(pin) == 2, "the tc root runs the program: TC_ACT_SHOT");
	CHECK(engine__settle(e, 5000) == 0, "the engine settles");
	root_id = tc_prog_id(ifindex);
	CHECK(root_id && root_id != ids[1] && prog_name(root_id, name) &&
	      !strcmp(name, "plugfs_tc_root"), "then the direct tc root is our filter (%u %s)",
	      root_id, name);
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = root_id;
	CHECK(pin_id(pin, false) == root_id, "and pinned as root");
	CHECK(verdict(pin) == 2, "the direct tc root runs the program: TC_ACT_SHOT");
	CHECK(prog_gone(ids[1]), "the tc spare's indirect root is freed (%u)", ids[1]);
	n = engine__spares(e, 5000, again);
	CHECK(n == 2 && again[1] && again[1] != ids[1], "the tc spare is made again (%u)",
	      again[1]);
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = again[1];

	CHECK(engine__unload(e, "sA", ENGINE_HOOK_XDP, 10) == 0 &&
	      engine__unload(e, "sA", ENGINE_HOOK_TC_INGRESS, 10) == 0, "unload both");

	/*
	 * Stopped before it was idle long enough, the engine leaves the
	 * indirect root attached and pinned; the next engine on the same
	 * dirs adopts the hook (same program) and swaps the direct root in.
	 */
	engine__free(e);
	eo.idle_ms = 60000;
	e = engine__new(&eo);
	CHECK(e && engine__spares(e, 5000, ids) == 2, "an engine that waits a minute when idle");
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ids[0];
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ids[1];
	CHECK(e && engine__load(e, "sA", ENGINE_HOOK_XDP, 10, obj, len, NULL) == 0, "xdp load");
	prog_id = e ? engine__prog_id(e, "sA", ENGINE_HOOK_XDP, 10) : 0;
	engine__free(e);
	root_id = xdp_prog_id(ifindex);
	CHECK(root_id == ids[0] && prog_name(root_id, name) && !strcmp(name, "plugfs_xdp_ind"),
	      "stopped at once, it leaves the indirect root attached (%u %s)", root_id, name);
	eo.idle_ms = 0;
	e = engine__new(&eo);
	CHECK(e && engine__prog_id(e, "sA", ENGINE_HOOK_XDP, 10) == prog_id,
	      "the next engine adopts the program (%u)", prog_id);
	CHECK(e && engine__settle(e, 5000) == 0, "and settles");
	root_id = xdp_prog_id(ifindex);
	CHECK(root_id && root_id != ids[0] && prog_name(root_id, name) &&
	      !strcmp(name, "plugfs_xdp_root"), "with the direct root attached (%u %s)", root_id,
	      name);
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = root_id;
	snprintf(pin, sizeof(pin), "%s/sA/xdp/root", bpffs);
	CHECK(verdict(pin) == 1, "which runs the program: XDP_DROP");
	CHECK(e && engine__unload(e, "sA", ENGINE_HOOK_XDP, 10) == 0, "unload");
	engine__spares(e, 5000, again);
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = again[0];
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = again[1];
	engine__free(e);
	for (i = 0; i < nseen; i++)
		CHECK(prog_gone(seen[i]), "root %u gone after unload and engine__free", seen[i]);
	CHECK(entries_in(bpffs) == 0, "nothing left in %s", bpffs);

	/* spare pins of a daemon that died are removed by the next one */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/spare:xdp:99/xdp && bpftool map create "
		 "%s/spare:xdp:99/xdp/chain type prog_array key 4 value 4 entries 4 name stale",
		 bpffs, bpffs);
	CHECK(system(cmd) == 0, "a stale spare pin");
	eo.no_spares = false;
	e = engine__new(&eo);
	CHECK(e && engine__spares(e, 5000, ids) == 2, "a new engine makes its spares");
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ids[0];
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ids[1];
	snprintf(pin, sizeof(pin), "%s/spare:xdp:99", bpffs);
	CHECK(access(pin, F_OK) != 0, "and removes the stale spare's pins");
	engine__free(e);
	CHECK(entries_in(bpffs) == 0, "nothing left in %s", bpffs);
	CHECK(xdp_prog_id(ifindex) == 0 && tc_prog_id(ifindex) == 0, "nothing attached");

	/* no spares: nothing made ahead, the first load makes its own root */
	eo.no_spares = true;
	cold = engine__new(&eo);
	CHECK(cold && engine__spares(cold, 100, none) == 0 && !none[0] && !none[1],
	      "no_spares: none made");
	CHECK(cold && engine__load(cold, "sA", ENGINE_HOOK_XDP, 10, obj, len, NULL) == 0,
	      "no_spares: xdp load");
	prog_id = xdp_prog_id(ifindex);
	CHECK(prog_id && prog_id != ids[0] && prog_id != again[0], "no_spares: a root of its own");
	snprintf(pin, sizeof(pin), "%s/sA/xdp/root", bpffs);
	CHECK(verdict(pin) == 1, "no_spares: the root runs the program");
	if (cold)
		engine__unload(cold, "sA", ENGINE_HOOK_XDP, 10);
	engine__free(cold);
	CHECK(prog_id && prog_gone(prog_id), "no_spares: root gone");

	/*
	 * A daemon that dies right after a load leaves the entry in the state
	 * journal only (its files are written once the engine is idle): the
	 * next engine folds the journal before it reads the state, and adopts.
	 */
	{
		char ini[300], jpath[300];
		uint32_t child_id = 0;
		struct stat st;
		int pfd[2], status;
		pid_t pid;

		if (pipe(pfd))
			return 1;
		pid = fork();
		if (pid == 0) {
			struct engine *ce;
			uint32_t id = 0;

			eo.idle_ms = 60000;
			ce = engine__new(&eo);
			if (ce && !engine__load(ce, "sA", ENGINE_HOOK_XDP, 10, obj, len, NULL))
				id = engine__prog_id(ce, "sA", ENGINE_HOOK_XDP, 10);
			if (write(pfd[1], &id, sizeof(id)) != sizeof(id))
				_exit(1);
			_exit(0);	/* no engine__free: as if killed */
		}
		close(pfd[1]);
		if (read(pfd[0], &child_id, sizeof(child_id)) != sizeof(child_id))
			child_id = 0;
		close(pfd[0]);
		waitpid(pid, &status, 0);
		snprintf(jpath, sizeof(jpath), "%s/journal", state);
		snprintf(ini, sizeof(ini), "%s/ifaces/sA/xdp/10.ini", state);
		CHECK(child_id && !stat(jpath, &st) && st.st_size > 0 && access(ini, F_OK) != 0,
		      "a daemon killed after a load leaves the entry in the journal only "
		      "(program %u, %lld bytes)", child_id, (long long)st.st_size);
		eo.idle_ms = 0;
		e = engine__new(&eo);
		CHECK(e && engine__prog_id(e, "sA", ENGINE_HOOK_XDP, 10) == child_id,
		      "the next engine folds the journal and adopts the program");
		CHECK(access(ini, F_OK) == 0 && !stat(jpath, &st) && st.st_size == 0,
		      "the entry's file is written, the journal emptied");
		CHECK(e && engine__settle(e, 5000) == 0 && xdp_prog_id(ifindex) &&
		      prog_name(xdp_prog_id(ifindex), name) && !strcmp(name, "plugfs_xdp_root"),
		      "and swaps the direct root in (%s)", name);
		CHECK(e && engine__unload(e, "sA", ENGINE_HOOK_XDP, 10) == 0, "unload");
		engine__free(e);
		CHECK(entries_in(bpffs) == 0 && xdp_prog_id(ifindex) == 0,
		      "nothing left in %s, nothing attached", bpffs);
	}

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", bpffs, state);
	if (system(cmd))
		failures++;
	free(obj);
	printf("%s: %d failure(s)\n", argv[0], failures);
	return failures ? 1 : 0;
}

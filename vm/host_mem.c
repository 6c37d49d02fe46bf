/* SPDX-License-Identifier: MIT */
/*
 * Pluglet memory: the private heap of a run (extra_memory, ebpf_injecter
 * -e) and the shared memory of a plugin (shared_memory, ebpf_injecter -s).
 *
 * Private heaps come from a per-thread LIFO arena so that a run costs no
 * malloc: runs nest (a host helper may enter another insertion point) but
 * always end in reverse order on one thread.
 */
#include "host_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIN (64u * 1024u)
#define ALIGN8(x) (((x) + 7u) & ~(uint64_t)7u)

#define TLS_IE __attribute__((tls_model("initial-exec")))
static __thread uint8_t *tl_arena TLS_IE;
static __thread uint64_t tl_arena_size TLS_IE;
static __thread uint64_t tl_arena_top TLS_IE;

uint8_t *host_heap_push(uint64_t size)
{
	uint64_t need = ALIGN8(size);
	uint8_t *p;

	if (!tl_arena || (tl_arena_top == 0 && tl_arena_size < need)) {
		uint64_t sz = need > ARENA_MIN ? need : ARENA_MIN;

		free(tl_arena);
		tl_arena = malloc(sz);
		tl_arena_size = tl_arena ? sz : 0;
		tl_arena_top = 0;
	}
	if (tl_arena && tl_arena_size - tl_arena_top >= need) {
		p = tl_arena + tl_arena_top;
		tl_arena_top += need;
	} else {
		/* nested run that does not fit: its own allocation */
		p = malloc(need ? need : 1);
		if (!p)
			return NULL;
	}
	/* every run starts from a clean heap: nothing leaks between runs */
	memset(p, 0, size);
	return p;
}

void host_heap_pop(uint8_t *heap, uint64_t size)
{
	if (tl_arena && heap >= tl_arena && heap < tl_arena + tl_arena_size)
		tl_arena_top = (uint64_t)(heap - tl_arena);
	else
		free(heap);
}

void host_heap_thread_exit(void)
{
	free(tl_arena);
	tl_arena = NULL;
	tl_arena_size = 0;
	tl_arena_top = 0;
}

struct host_shm *host_shm_new(uint64_t size)
{
	struct host_shm *shm = calloc(1, sizeof(*shm));

	if (!shm)
		return NULL;
	shm->mem = calloc(1, size);
	if (!shm->mem) {
		free(shm);
		return NULL;
	}
	shm->size = size;
	pthread_mutex_init(&shm->lock, NULL);
	return shm;
}

void host_shm_free(struct host_shm *shm)
{
	if (!shm)
		return;
	pthread_mutex_destroy(&shm->lock);
	free(shm->mem);
	free(shm);
}

static int shm_find(const struct host_shm *shm, uint32_t key)
{
	for (uint32_t i = 0; i < shm->nr; i++)
		if (shm->blk[i].key == key)
			return (int)i;
	return -1;
}

/* Returns the host address of the block, 0 if it does not fit. */
uint64_t host_shm_alloc(struct host_shm *shm, uint32_t key, uint64_t size)
{
	uint64_t cur = 0, ret = 0;
	uint32_t i;
	int k;

	if (!size || size > shm->size)
		return 0;
	pthread_mutex_lock(&shm->lock);
	k = shm_find(shm, key);
	if (k >= 0) {
		if (shm->blk[k].len >= size)
			ret = (uint64_t)(uintptr_t)(shm->mem + shm->blk[k].off);
		goto out;
	}
	if (shm->nr == SHM_MAX_BLOCKS)
		goto out;
	/* first fit between the blocks, which are kept sorted by offset */
	for (i = 0; i < shm->nr; i++) {
		if (shm->blk[i].off - cur >= size)
			break;
		cur = ALIGN8(shm->blk[i].off + shm->blk[i].len);
	}
	if (cur > shm->size || shm->size - cur < size)
		goto out;
	memmove(&shm->blk[i + 1], &shm->blk[i], (shm->nr - i) * sizeof(shm->blk[0]));
	shm->blk[i].key = key;
	shm->blk[i].off = cur;
	shm->blk[i].len = size;
	shm->nr++;
	memset(shm->mem + cur, 0, size);
	ret = (uint64_t)(uintptr_t)(shm->mem + cur);
out:
	pthread_mutex_unlock(&shm->lock);
	return ret;
}

uint64_t host_shm_get(struct host_shm *shm, uint32_t key)
{
	uint64_t ret = 0;
	int k;

	pthread_mutex_lock(&shm->lock);
	k = shm_find(shm, key);
	if (k >= 0)
		ret = (uint64_t)(uintptr_t)(shm->mem + shm->blk[k].off);
	pthread_mutex_unlock(&shm->lock);
	return ret;
}

int host_shm_rm(struct host_shm *shm, uint32_t key)
{
	int k;

	pthread_mutex_lock(&shm->lock);
	k = shm_find(shm, key);
	if (k >= 0) {
		memmove(&shm->blk[k], &shm->blk[k + 1], (shm->nr - (uint32_t)k - 1) * sizeof(shm->blk[0]));
		shm->nr--;
	}
	pthread_mutex_unlock(&shm->lock);
	return k >= 0 ? 0 : -ENOENT;
}

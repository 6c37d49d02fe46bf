/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for the host runtime in control-channel tests: implements the
 * pluglet_host__* management calls of <pluglet/host.h> and the
 * host_status_fill() of vm/control.h over an in-memory table, so
 * the control thread and the protocol can be tested without the VM.
 * Objects must start with the ELF magic; one that contains "REJECT" is
 * refused like a verifier would (with an instruction index).
 */
#ifndef FAKE_HOST_H
#define FAKE_HOST_H

#include <pluglet/host.h>

#include <stdint.h>

struct pluglet_host *fake_host__new(const char *const *plugins, unsigned int delay_ms);
void fake_host__free(struct pluglet_host *h);
/* Entries in the table / calls received so far. */
int fake_host__count(struct pluglet_host *h);
int fake_host__calls(struct pluglet_host *h);
/* FNV-1a of the object of an entry, or 0 when there is no such entry. */
uint64_t fake_host__sum(struct pluglet_host *h, const char *plugin, enum pluglet_anchor a,
			uint32_t seq, size_t *len, struct pluglet_inject_opts *opts);
uint64_t fake_host__fnv(const void *p, size_t len);

#endif

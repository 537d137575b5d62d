/*
 * QEMU migration streams (what `migrate` to a file writes, what a libvirt
 * save image or a live libvirt dump holds): the guest's RAM, and each vCPU's
 * struct kvm_nested_state from QEMU's "cpu/nested_state" subsection.  Device
 * sections are walked with the vmstate description QEMU appends to the
 * stream (JSON after the EOF marker), as scripts/analyze-migration.py does.
 *
 * A stream is untrusted input: every length is checked against what is
 * left, the description's nesting and counts are bounded.
 */
#ifndef NESTSCOPE_MIGSTREAM_H
#define NESTSCOPE_MIGSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "nested_state.h"

#define NS_MIG_MAX_BLOCKS 32
#define NS_MIG_MAX_CPUS 1024
/* The largest blob QEMU's subsections rebuild: the header and two VMCS regions (VMX). */
#define NS_MIG_NESTED_MAX NS_NESTED_MAX_SIZE

struct ns_mig_block {
	char name[257];
	uint64_t length;
	uint8_t *data;           /* want_ram: the block's bytes (pages never sent are zero) */
	uint64_t pages;          /* pages the stream sent (a live migration sends some again) */
};

struct ns_mig_nested {
	uint32_t cpu;            /* the cpu section's instance id: the vCPU index */
	size_t len;              /* bytes of blob: the size QEMU recorded */
	uint8_t blob[NS_MIG_NESTED_MAX];
};

struct ns_migstream {
	uint64_t offset;         /* where the stream starts in the file (after a libvirt save header) */
	uint32_t page_size;
	char machine[64];        /* the configuration section's machine type */
	size_t ncpus;            /* cpu sections seen */
	size_t nblocks;
	struct ns_mig_block block[NS_MIG_MAX_BLOCKS];
	size_t nnested;
	struct ns_mig_nested *nested;  /* nnested entries */
};

/* Whether buf starts like a migration stream or a libvirt save image. */
bool ns_migstream_detect(const uint8_t *buf, size_t len);

/* Parses a stream; want_ram: keep the RAM blocks' bytes (else only count pages). */
int ns_migstream_parse(const uint8_t *buf, size_t len, bool want_ram, struct ns_migstream *m, struct ns_error *err);
void ns_migstream_free(struct ns_migstream *m);

/* The RAM block that is guest-physical memory from address 0 ("pc.ram", else the largest), or NULL. */
const struct ns_mig_block *ns_migstream_ram(const struct ns_migstream *m);

#endif

/*
 * A dump's pages scanned by several threads: what makes scan use every core
 * on a multi-GB raw image (reading and looking at pages) and on a compressed
 * kdump (each page inflated on its own, so pages inflate in parallel).
 *
 * The physical address space is cut into chunks of CHUNK_PAGES page frames,
 * handed out in ascending order from one counter; each thread reads through
 * its own handle on the dump (ns_dump_clone: libkdumpfile's kdump_clone, or
 * its own raw-block cache) into a part of the scan of its own, so the only
 * shared state is the counter, the walk budget and libkdumpfile's locked
 * cache.  Every thread takes its chunks in ascending order, which is all
 * ns_scan_merge needs to give exactly what one thread would.  The pairing
 * pass is cut the same way.  A gzip'ed image is inflated before this
 * (sources/input.c): deflate is one stream, inflated by one thread.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nestscope/nestscope.h"
#include "sources.h"

#define CHUNK_PAGES 1024ull /* 4 MiB: the raw reader's cache, and few enough chunks to count */
#define MAX_JOBS 16

struct scan_run {
	uint64_t next_chunk;                   /* the next chunk to take (atomic) */
	uint64_t walk_pool;                    /* the page walks all threads have done (atomic) */
	const struct ns_hwlayout *const *hw;
	size_t nhw;
	bool pairing;                          /* the second pass */
	const uint8_t *pointers;               /* the pairing pass: pages that may point (a bit each) */
	uint64_t nbits;
	bool all_pages;                        /* the bitmap could not grow: every page */
};

struct scan_job {
	struct scan_run *run;
	struct ns_dump *dump;                  /* this thread's handle */
	struct ns_scan *part;
	uint8_t *pointers;                     /* found in the first pass */
	uint64_t nbits;
	bool all_pages;
	pthread_t thread;
	bool started;
};

static bool job_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return ns_dump_read_phys(ctx, pa, buf, len);
}

/* Sets bit n, growing the map; false when it cannot grow. */
static bool bitmap_set(uint8_t **map, uint64_t *nbits, uint64_t n)
{
	if (n >= *nbits) {
		/* whole bytes, so the new ones start past every bit already set */
		uint64_t want = ((n + 1 > *nbits * 2 ? n + 1 : *nbits * 2) + 4096 + 7) & ~7ull;
		uint8_t *nm = want / 8 < (1ull << 32) ? realloc(*map, want / 8) : NULL;

		if (!nm)
			return false;
		memset(nm + *nbits / 8, 0, (want - *nbits) / 8);
		*map = nm;
		*nbits = want;
	}
	(*map)[n / 8] |= (uint8_t)(1u << (n % 8));
	return true;
}

static bool bit(const uint8_t *map, uint64_t nbits, uint64_t n)
{
	return n < nbits && map[n / 8] & (1u << (n % 8));
}

/* The next chunk with data, or false when the dump has no page past the last one taken. */
static bool take_chunk(struct scan_job *j, uint64_t *first, uint64_t *end)
{
	for (;;) {
		uint64_t c = __atomic_fetch_add(&j->run->next_chunk, 1, __ATOMIC_RELAXED), pfn = c * CHUNK_PAGES;
		uint64_t seen;

		if (c > UINT64_MAX / CHUNK_PAGES - 1 || !ns_dump_next_page(j->dump, &pfn))
			return false;
		if (pfn < (c + 1) * CHUNK_PAGES) {
			*first = pfn;
			*end = (c + 1) * CHUNK_PAGES;
			return true;
		}
		/* a hole: the chunks before pfn's have nothing, so nobody need take them */
		seen = __atomic_load_n(&j->run->next_chunk, __ATOMIC_RELAXED);
		while (seen < pfn / CHUNK_PAGES &&
		       !__atomic_compare_exchange_n(&j->run->next_chunk, &seen, pfn / CHUNK_PAGES, false,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
}

static void *scan_job_run(void *arg)
{
	struct scan_job *j = arg;
	const struct scan_run *r = j->run;
	struct ns_phys mem = { j->dump, job_read };
	uint8_t page[4096];
	uint64_t pfn, end;

	while (take_chunk(j, &pfn, &end))
		for (; pfn < end && ns_dump_next_page(j->dump, &pfn) && pfn < end; pfn++) {
			if (r->pairing && !r->all_pages && !bit(r->pointers, r->nbits, pfn))
				continue;
			if (!ns_dump_read_phys(j->dump, pfn << 12, page, 4096))
				continue;
			if (r->pairing) {
				ns_scan_pair_page(j->part, page, pfn << 12);
				continue;
			}
			ns_scan_page(j->part, page, pfn << 12, &mem, r->hw, r->nhw);
			if (!j->all_pages && ns_scan_may_point(page) && !bitmap_set(&j->pointers, &j->nbits, pfn))
				j->all_pages = true;
		}
	return NULL;
}

/* Runs one pass on every job: the first in threads of their own, the rest in this one. */
static void run_pass(struct scan_job *job, size_t n)
{
	for (size_t i = 1; i < n; i++)
		job[i].started = !pthread_create(&job[i].thread, NULL, scan_job_run, &job[i]);
	scan_job_run(&job[0]);
	for (size_t i = 1; i < n; i++)
		if (job[i].started)
			pthread_join(job[i].thread, NULL);
}

unsigned scan_default_jobs(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);

	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (unsigned)n;
}

int scan_dump_threads(struct ns_dump *dump, struct ns_scan *scan, const struct ns_hwlayout *const *hw, size_t nhw,
		      unsigned jobs, struct ns_error *err)
{
	struct scan_run run = { .hw = hw, .nhw = nhw };
	struct scan_job job[MAX_JOBS];
	struct ns_scan *parts[MAX_JOBS];
	struct ns_phys mem = { dump, job_read };
	size_t n = 0;

	if (!jobs)
		jobs = scan_default_jobs();
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	memset(job, 0, sizeof(job));
	/* as many as can have a handle and a part; the first uses the dump itself */
	for (; n < jobs; n++) {
		job[n].run = &run;
		if (!(parts[n] = job[n].part = calloc(1, sizeof(struct ns_scan))))
			break;
		job[n].part->walk_pool = &run.walk_pool;
		if (!n)
			job[n].dump = dump;
		else if (ns_dump_clone(dump, &job[n].dump, err)) {
			free(job[n].part);
			break;
		}
	}
	if (!n)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	run_pass(job, n);
	ns_scan_merge(scan, parts, n);
	ns_scan_relate(scan, &mem);
	if (ns_scan_want_pairs(scan)) {
		/* the pairing pass reads only pages that may hold a pointer: on a compressed dump each costs an inflate */
		uint8_t *pointers = NULL;
		uint64_t nbits = 0;

		for (size_t i = 0; i < n; i++) {
			run.all_pages |= job[i].all_pages;
			if (job[i].nbits > nbits)
				nbits = job[i].nbits;
		}
		if (!run.all_pages && nbits && !(pointers = calloc(1, nbits / 8)))
			run.all_pages = true;
		for (size_t i = 0; pointers && i < n; i++)
			for (uint64_t b = 0; b < job[i].nbits / 8; b++)
				pointers[b] |= job[i].pointers[b];
		run.pointers = pointers;
		run.nbits = nbits;
		run.pairing = true;
		run.next_chunk = 0;
		for (size_t i = 0; i < n; i++)
			ns_scan_pair_part(job[i].part, scan);
		run_pass(job, n);
		ns_scan_pair_merge(scan, parts, n);
		ns_scan_pair_finish(scan);
		free(pointers);
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			ns_dump_close(job[i].dump);
		free(job[i].pointers);
		free(job[i].part);
	}
	return NS_OK;
}

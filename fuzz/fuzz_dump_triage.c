/*
 * The KVM walker and triage on mutated real memory: the bundled 6.1 dump,
 * opened once with its profile as `nestscope triage` opens it, and each
 * execution a full triage (text; JSON too for an input of odd length) over a target whose reads see the
 * dump with the input's patches applied.  Patches are placed in what the
 * clean triage read (recorded on the first execution): records of 12 bytes,
 * a read's index (14 bits) and width (2 bits: 1, 2, 4 or 8 bytes), an offset
 * in that read (16 bits) and a value (64 bits, little-endian).  A patch is a
 * change of memory, seen by every later read of its address.  vm_list's
 * address is found once (the module walk over clean memory) and kept, as
 * the dump target keeps it.
 */
#include "dumpfuzz.h"

#include "nestscope/session.h"

#define FUZZ_DUMP "samples/6.1.0-56-amd64/dump/vmcore.kdump"
#define MAX_READS 16384
#define MAX_PATCHES 256
#define REC 12

static struct ns_dump_target dt;
static struct { uint64_t addr; size_t len; } reads[MAX_READS];
static size_t nreads;
static bool recording;
static struct { uint64_t addr, val; unsigned width; } patch[MAX_PATCHES];
static size_t npatch;

static bool patched_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint8_t *b = buf;

	if (!ns_dump_read(((struct ns_dump_target *)ctx)->dump, addr, buf, len))
		return false;
	if (recording && nreads < MAX_READS && len) {
		reads[nreads].addr = addr;
		reads[nreads++].len = len;
	}
	for (size_t i = 0; i < npatch; i++)
		for (unsigned k = 0; k < patch[i].width; k++) {
			uint64_t a = patch[i].addr + k;

			if (a >= addr && a - addr < len)
				b[a - addr] = (uint8_t)(patch[i].val >> (8 * k));
		}
	return true;
}

/* text, and JSON too for an input of odd length (the walk is the same: half the cost) */
static void triage(bool json_too)
{
	/* by name: a member the header gains (html, ...) starts false, and -Wextra has no missing initializer */
	struct ns_triage_info info = { .dump = "fuzz", .format = ns_dump_format(dt.dump),
				       .release = ns_dump_release(dt.dump), .types = "profile" };
	struct ns_triage_summary sum;
	struct ns_error err;
	struct ns_out o = fuzz_out();

	for (int json = 0; json < 1 + json_too; json++) {
		struct ns_session *s = ns_session_new(&dt.t, NESTSCOPE_DATADIR);

		if (!s)
			abort();
		info.json = json;
		ns_cmd_triage(s, &info, &o, &sum, &err);
		ns_session_free(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ns_dump *d;

	if (!d) {
		struct ns_error err;
		const struct ns_types *t = fuzz_types();

		if (ns_dump_open(FUZZ_DUMP, true, &d, &err) || ns_dump_use_types(d, t, &err)) {
			fprintf(stderr, "fuzz: %s (run from the source tree)\n", err.msg);
			abort();
		}
		ns_dump_target_init(&dt, d, t);
		dt.t.read = patched_read;
		recording = true;
		triage(true);
		recording = false;
		if (!nreads)
			abort();
	}
	npatch = 0;
	for (size_t at = 0; at + REC <= size && npatch < MAX_PATCHES; at += REC) {
		unsigned ix = (unsigned)data[at] | (unsigned)data[at + 1] << 8, off = (unsigned)data[at + 2] | (unsigned)data[at + 3] << 8;
		uint64_t val = 0;
		size_t r = (ix & 0x3fff) % nreads;

		for (int k = 7; k >= 0; k--)
			val = val << 8 | data[at + 4 + k];
		patch[npatch].width = 1u << (ix >> 14);
		patch[npatch].addr = reads[r].addr + off % reads[r].len;
		patch[npatch++].val = val;
	}
	triage(size % 2);
	return 0;
}

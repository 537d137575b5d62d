/*
 * Decode and render speed, as ratios against a baseline measured in the same
 * run: copying each blob's vmcs12 bytes and summing them as 64-bit words (the
 * least any decoder must do to touch the data).  Absolute times depend on the
 * machine; the ratios say what the decoding itself costs.  Also the bundled
 * profiles (ISF JSON) read from memory, as triage reads one: JSON parsing and
 * the type set built from it.
 *
 * usage: bench_decode DIR [PROFILES]   (reads the .bin files in DIR/basic and DIR/rich,
 *                                       the .json files in PROFILES, default profiles)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nestscope/nestscope.h"
#include "nestscope/types.h"
#include "render/report_doc.h"

#define MAXBLOBS 64

struct blob {
	uint8_t *data;
	size_t len;
};

static struct blob blobs[MAXBLOBS];
static size_t nblobs;
static volatile uint64_t sink;

/* This thread's CPU time: "per second on one core" whatever else shares the machine's cores. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && nblobs < MAXBLOBS) {
		char path[1024];
		FILE *f;
		size_t n = strlen(e->d_name);

		if (n < 4 || strcmp(e->d_name + n - 4, ".bin"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		blobs[nblobs].data = malloc(8320);
		blobs[nblobs].len = fread(blobs[nblobs].data, 1, 8320, f);
		fclose(f);
		nblobs++;
	}
	closedir(d);
}

static void null_write(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	sink += n + (uint8_t)s[0];
}

static void baseline(void)
{
	uint64_t words[4096 / 8];

	for (size_t i = 0; i < nblobs; i++) {
		size_t n = blobs[i].len > 128 ? blobs[i].len - 128 : 0;
		uint64_t s = 0;

		memcpy(words, blobs[i].data + (n ? 128 : 0), n < sizeof(words) ? n : sizeof(words));
		for (size_t w = 0; w < n / 8 && w < 512; w++)
			s += words[w];
		sink += s;
	}
}

static void decode_only(void)
{
	for (size_t i = 0; i < nblobs; i++) {
		struct ns_nested_state ns;
		struct ns_report r;
		struct ns_error err;

		sink += (uint64_t)ns_decode_buffer(blobs[i].data, blobs[i].len, NS_INPUT_AUTO, false, "bench", &ns,
						   &r, &err);
	}
}

static void decode_render(bool json)
{
	struct ns_out out = { null_write, NULL };
	struct ns_render_opts opt = { NS_SECT_ALL, false };
	struct ns_report_doc doc;

	for (size_t i = 0; i < nblobs; i++) {
		struct ns_nested_state ns;
		struct ns_report r;
		struct ns_error err;

		if (ns_decode_buffer(blobs[i].data, blobs[i].len, NS_INPUT_AUTO, false, "bench", &ns, &r, &err))
			continue;
		/* as decode prints it: a decode/2 document of the report, or its text */
		ns_render_doc_begin(&doc, &out, json, &opt);
		ns_render_doc_add(&doc, &r);
		ns_render_doc_end(&doc);
	}
}

static struct ns_vmx_caps caps;

/* The SDM checks on each blob's vmcs12 (a full vmcs12: the rule table over every field). */
static void checks(void)
{
	static struct ns_check_report rep;

	for (size_t i = 0; i < nblobs; i++) {
		struct ns_nested_state ns;
		struct ns_report r;
		struct ns_error err;

		if (ns_decode_buffer(blobs[i].data, blobs[i].len, NS_INPUT_AUTO, false, "bench", &ns, &r, &err) || !r.nvmcs)
			continue;
		ns_check_vmcs12(&r.vmcs[0].vmcs, &caps, NULL, &rep);
		sink += rep.fail;
	}
}

/* The blobs' vmcs12s decoded once, for the checks alone. */
static struct ns_report *decoded;
static size_t ndecoded;

static void decode_once(void)
{
	decoded = calloc(nblobs ? nblobs : 1, sizeof(*decoded));
	for (size_t i = 0; decoded && i < nblobs; i++) {
		struct ns_nested_state ns;
		struct ns_error err;

		if (!ns_decode_buffer(blobs[i].data, blobs[i].len, NS_INPUT_AUTO, false, "bench", &ns, &decoded[ndecoded], &err) &&
		    decoded[ndecoded].nvmcs)
			ndecoded++;
	}
}

static void checks_only(void)
{
	static struct ns_check_report rep;

	for (size_t i = 0; i < ndecoded; i++) {
		ns_check_vmcs12(&decoded[i].vmcs[0].vmcs, &caps, NULL, &rep);
		sink += rep.fail;
	}
}

static size_t blobs_with_vmcs12(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nblobs; i++)
		n += blobs[i].len > 128;
	return n;
}

/* the profiles' text, read once */
#define MAXPROFILES 16
static struct { char *text; size_t len; } profiles[MAXPROFILES];
static size_t nprofiles, profile_bytes;

static void load_profiles(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) && nprofiles < MAXPROFILES) {
		char path[1024];
		FILE *f;
		long n;

		if (!strstr(e->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
		    (profiles[nprofiles].text = malloc((size_t)n)) &&
		    fread(profiles[nprofiles].text, 1, (size_t)n, f) == (size_t)n) {
			profiles[nprofiles].len = (size_t)n;
			profile_bytes += (size_t)n;
			nprofiles++;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
}

static void profile_read(void)
{
	for (size_t i = 0; i < nprofiles; i++) {
		struct ns_types t;
		struct ns_error err;

		ns_types_init(&t);
		sink += (uint64_t)ns_profile_parse(profiles[i].text, profiles[i].len, "bench", &t, &err);
		sink += t.nsym;
		ns_types_free(&t);
	}
}

static void render_text(void) { decode_render(false); }
static void render_json(void) { decode_render(true); }

/* Runs fn enough times to take about `seconds`; returns seconds per call. */
static double measure(void (*fn)(void), double seconds)
{
	unsigned long iters = 1;
	double t0, t;

	for (;;) {
		t0 = now();
		for (unsigned long i = 0; i < iters; i++)
			fn();
		t = now() - t0;
		if (t >= seconds)
			return t / (double)iters;
		iters *= 2;
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "samples/blobs";
	char sub[1024];
	double base, dec, txt, js;

	snprintf(sub, sizeof(sub), "%s/basic", dir);
	load_dir(sub);
	snprintf(sub, sizeof(sub), "%s/rich", dir);
	load_dir(sub);
	if (!nblobs) {
		fprintf(stderr, "bench_decode: no .bin blobs under %s/basic or %s/rich\n", dir, dir);
		return 1;
	}
	ns_caps_profile("kvm-6.1-bochs-skylake-x", &caps);
	base = measure(baseline, 0.3);
	dec = measure(decode_only, 0.3);
	txt = measure(render_text, 0.5);
	js = measure(render_json, 0.5);
	printf("%zu real blobs per pass; baseline = copy and sum each vmcs12 (%.2f us/pass)\n", nblobs, base * 1e6);
	printf("%-34s %10s %10s\n", "operation", "us/pass", "x baseline");
	printf("%-34s %10.2f %10.1f\n", "parse + inspect (decode)", dec * 1e6, dec / base);
	printf("%-34s %10.2f %10.1f\n", "decode + text render", txt * 1e6, txt / base);
	printf("%-34s %10.2f %10.1f\n", "decode + JSON render", js * 1e6, js / base);
	{
		double ck = measure(checks, 0.5), per = ck / (double)blobs_with_vmcs12();
		printf("%-34s %10.2f %10.1f\n", "decode + SDM checks", ck * 1e6, ck / base);
		printf("decode + SDM checks: %.0f full vmcs12s per second on one core (%zu rules each)\n", 1.0 / per,
		       ns_rule_count());
		decode_once();
		if (ndecoded) {
			double only = measure(checks_only, 0.5) / (double)ndecoded;
			printf("SDM checks alone: %.0f full vmcs12s per second on one core (CPU time; %.2f us each)\n",
			       1.0 / only, only * 1e6);
		}
	}
	load_profiles(argc > 2 ? argv[2] : "profiles");
	if (nprofiles) {
		double pr = measure(profile_read, 0.5);

		printf("profile read (ISF JSON): %zu profiles, %zu KiB, in %.0f us (%.1f x baseline); %.0f MB/s\n",
		       nprofiles, profile_bytes >> 10, pr * 1e6, pr / base, (double)profile_bytes / pr / 1e6);
	}
	return 0;
}

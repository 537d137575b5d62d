/* What the CLI's command files share. */
#ifndef NESTSCOPE_CLI_H
#define NESTSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2
#define EXIT_PROBLEMS 3 /* triage: the image was read, and something in it is wrong */

extern const char *prog;

/* "nestscope: MESSAGE (see 'nestscope --help')" and exit 2. */
void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* nestscope.c: the directory of this executable (false: unknown), and the data directory: the
   install's share/nestscope next to it (bin/../share/nestscope), else the one compiled in */
bool exe_dir(char *buf, size_t n);
const char *datadir(void);

/* postmortem.c: commands on kernel dumps and debuginfo */
int cmd_triage(int argc, char **argv);
int cmd_profile(int argc, char **argv);
/* kvm, vmcs12, vmcs02, vmcs01, vmcs12-abi on a dump: argv[0] is the command */
int cmd_debugger(int argc, char **argv);
#include <stdio.h>
void usage_debugger(FILE *f, const char *cmd);

/* abi.c: a kernel's struct vmcs12 against the built-in table */
int cmd_abi(int argc, char **argv);

/* scanimage.c: scan, and scanning for capture */
int cmd_scan(int argc, char **argv);

struct ns_scan;
struct ns_dump;
struct ns_error;
/* An image scanned: the regions, and the bytes to read them again. */
struct scanned {
	struct ns_scan *scan;
	struct ns_dump *dump;        /* a dump (libkdumpfile), or a raw or gzip'ed image (sources/dump.c) */
	const uint8_t *data;         /* a migration stream's RAM block, in memory */
	size_t len;
	struct ns_migstream *mig;    /* a migration stream: data is its RAM block */
	const char *ram_block;       /* which RAM block, for a stream */
};
/* jobs: threads for a dump's pages (0: one per CPU this process may use) */
int scan_image(const char *path, const char *layout, unsigned jobs, struct scanned *sc, struct ns_error *err);
bool scanned_page(const struct scanned *sc, uint64_t pa, uint8_t *buf);
void scanned_close(struct scanned *sc);

/* scan_threads.c: a dump's pages scanned, related and paired by jobs threads (0: scan_default_jobs) */
struct ns_hwlayout;
int scan_dump_threads(struct ns_dump *dump, struct ns_scan *scan, const struct ns_hwlayout *const *hw, size_t nhw,
		      unsigned jobs, struct ns_error *err);
unsigned scan_default_jobs(void); /* the CPUs this process may run on, at most 16 */


/* capture.c: a libvirt domain's memory, scanned and decoded */
int cmd_capture(int argc, char **argv);

/* nestscope.c: how decode judges a blob's header (maxphyaddr 0: the architectural limit) */
struct ns_report;
struct blob_judging {
	unsigned maxphyaddr;
	bool strict;
};
/* Judges rep's blob header; with --strict, prints each broken rule and says true (nothing to render). */
bool blob_refused(const char *source, struct ns_report *rep, const struct blob_judging *bj);

/* migration.c: QEMU migration streams and libvirt save images */
struct ns_render_opts;
struct mapped_file {
	const uint8_t *data;
	size_t len;
};
struct ns_input;
int map_input(const struct ns_input *in, struct mapped_file *mf, struct ns_error *err);
void unmap_file(struct mapped_file *mf);
bool is_migration_stream(const struct ns_input *in);
/*
 * A stream's nested states (m, its bytes mapped in mf) for the commands that take one blob per vCPU;
 * 0, or EXIT_BAD_INPUT after one error line (a stream that does not parse, or holds no nested state).
 */
struct ns_migstream;
struct ns_mig_nested;
int read_migration(const struct ns_input *in, struct ns_migstream *m, struct mapped_file *mf);
/* The label of a vCPU's nested state in a stream, as every command names it ("FILE: vCPU 1") */
void migration_label(char *buf, size_t n, const char *path, const struct ns_mig_nested *nested);
int decode_migration(const struct ns_input *in, const struct ns_render_opts *ropt, bool json, bool force,
		     const struct blob_judging *bj);

#endif

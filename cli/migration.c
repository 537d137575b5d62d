/*
 * nestscope decode on a QEMU migration stream or a libvirt save image: each
 * vCPU's struct kvm_nested_state, as QEMU's "cpu/nested_state" subsection
 * holds it, decoded like a KVM_GET_NESTED_STATE blob.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nestscope/migstream.h"
#include "nestscope/nestscope.h"

int map_file(const char *path, struct mapped_file *mf, struct ns_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	mf->data = NULL;
	mf->len = 0;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		if (fd >= 0)
			close(fd);
		return ns_fail(err, NS_ERR_IO, "cannot read %s (not a non-empty regular file)", path);
	}
	mf->data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (mf->data == MAP_FAILED) {
		mf->data = NULL;
		return ns_fail(err, NS_ERR_IO, "cannot map %s", path);
	}
	mf->len = (size_t)st.st_size;
	return NS_OK;
}

void unmap_file(struct mapped_file *mf)
{
	if (mf->data)
		munmap((void *)mf->data, mf->len);
	mf->data = NULL;
}

bool is_migration_stream(const char *path)
{
	uint8_t head[16] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0;

	if (f)
		fclose(f);
	return ns_migstream_detect(head, n);
}

int decode_migration(const char *path, const struct ns_render_opts *ropt, bool json, bool force,
		     const struct blob_judging *bj)
{
	static struct ns_migstream m;
	struct mapped_file mf;
	struct ns_error err;
	struct ns_out out = ns_out_file(stdout);
	int status = 0;

	if (map_file(path, &mf, &err) || ns_migstream_parse(mf.data, mf.len, false, &m, &err)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, err.msg);
		unmap_file(&mf);
		ns_migstream_free(&m);
		return EXIT_BAD_INPUT;
	}
	if (!m.nnested) {
		fprintf(stderr, "%s: %s: %zu vCPU%s and no nested state (QEMU saves it only for a KVM guest that used VMX "
			"or SVM; TCG never does)\n", prog, path, m.ncpus, m.ncpus == 1 ? "" : "s");
		unmap_file(&mf);
		ns_migstream_free(&m);
		return EXIT_BAD_INPUT;
	}
	for (size_t i = 0; i < m.nnested; i++) {
		struct ns_nested_state ns;
		struct ns_report rep;
		char source[512];

		/* QEMU's stream leaves out hdr.vmx.flags and the preemption timer deadline: they read as 0 */
		snprintf(source, sizeof(source), "%s: vCPU %u (QEMU's cpu/nested_state; hdr.vmx.flags not in the stream)",
			 path, m.nested[i].cpu);
		if (ns_decode_buffer(m.nested[i].blob, m.nested[i].len, NS_INPUT_NESTED_STATE, force, source, &ns, &rep,
				     &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			status = EXIT_BAD_INPUT;
			continue;
		}
		if (blob_refused(source, &rep, bj)) {
			status = EXIT_BAD_INPUT;
			continue;
		}
		if (json)
			ns_render_json(&out, &rep, ropt);
		else
			ns_render_text(&out, &rep, ropt);
	}
	unmap_file(&mf);
	ns_migstream_free(&m);
	return status;
}

/*
 * nestscope decode on a QEMU migration stream or a libvirt save image: each
 * vCPU's struct kvm_nested_state, as QEMU's "cpu/nested_state" subsection
 * holds it, decoded like a KVM_GET_NESTED_STATE blob.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "cli.h"
#include "nestscope/migstream.h"
#include "nestscope/nestscope.h"
#include "render/report_doc.h"
#include "sources.h"

/* A stream's bytes, mapped: the parser reads it in place (an input is a regular file, or spooled to one). */
int map_input(const struct ns_input *in, struct mapped_file *mf, struct ns_error *err)
{
	void *m;

	mf->data = NULL;
	mf->len = 0;
	if (!in->size)
		return ns_fail(err, NS_ERR_FORMAT, "%s is empty", in->name);
	if ((m = mmap(NULL, (size_t)in->size, PROT_READ, MAP_PRIVATE, in->fd, 0)) == MAP_FAILED)
		return ns_fail(err, NS_ERR_IO, "cannot map %s", in->name);
	mf->data = m;
	mf->len = (size_t)in->size;
	return NS_OK;
}

void unmap_file(struct mapped_file *mf)
{
	if (mf->data)
		munmap((void *)mf->data, mf->len);
	mf->data = NULL;
}

bool is_migration_stream(const struct ns_input *in)
{
	uint8_t head[16] = { 0 };
	size_t n = in->size < sizeof(head) ? (size_t)in->size : sizeof(head);

	return ns_pread_full(in->fd, head, n, 0) && ns_migstream_detect(head, n);
}

int read_migration(const struct ns_input *in, struct ns_migstream *m, struct mapped_file *mf)
{
	struct ns_error err;

	if (map_input(in, mf, &err) || ns_migstream_parse(mf->data, mf->len, false, m, &err)) {
		fprintf(stderr, "%s: %s: %s\n", prog, in->name, err.msg);
		unmap_file(mf);
		ns_migstream_free(m);
		return EXIT_BAD_INPUT;
	}
	if (!m->nnested) {
		fprintf(stderr, "%s: %s: %zu vCPU%s and no nested state (QEMU saves it only for a KVM guest that used VMX "
			"or SVM, for SVM only in guest mode; TCG never does)\n", prog, in->name, m->ncpus,
			m->ncpus == 1 ? "" : "s");
		unmap_file(mf);
		ns_migstream_free(m);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

void migration_label(char *buf, size_t n, const char *path, const struct ns_mig_nested *nested)
{
	snprintf(buf, n, "%s: vCPU %u", path, nested->cpu);
}

int decode_migration(const struct ns_input *in, const struct ns_render_opts *ropt, bool json, bool force,
		     const struct blob_judging *bj)
{
	static struct ns_migstream m;
	struct mapped_file mf;
	struct ns_error err;
	struct ns_out out = ns_out_file(stdout);
	struct ns_report_doc doc;
	int status = 0;

	if (read_migration(in, &m, &mf))
		return EXIT_BAD_INPUT;
	/* one document: a report per vCPU */
	ns_render_doc_begin(&doc, &out, json, ropt);
	for (size_t i = 0; i < m.nnested; i++) {
		struct ns_nested_state ns;
		struct ns_report rep;
		char label[480], source[sizeof(label) + 64];
		/*
		 * QEMU's VMX subsection leaves out hdr.vmx.flags and the preemption timer deadline: they read as 0.
		 * Its SVM subsection carries all of kvm_svm_nested_state_hdr (vmcb_pa) and the vmcb12.
		 */
		bool svm = !ns_nested_state_parse(m.nested[i].blob, m.nested[i].len, &ns, &err) &&
			   ns.format == NS_NESTED_FORMAT_SVM;

		migration_label(label, sizeof(label), in->name, &m.nested[i]);
		snprintf(source, sizeof(source), "%s (QEMU's cpu/nested_state%s)", label,
			 svm ? "" : "; hdr.vmx.flags not in the stream");
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
		ns_render_doc_add(&doc, &rep);
	}
	ns_render_doc_end(&doc);
	unmap_file(&mf);
	ns_migstream_free(&m);
	return status;
}

/*
 * Symbolic decoding of VMCB values (decoders/svm/explain.c): each field by
 * its table's decoder (enum ns_vmcb_decoder), EXITINFO1/EXITINFO2 by the exit
 * code beside them.  A decoding is the same list of items VMX values give
 * (explain.h), so renderers and ns_decoding_format() take both.
 */
#ifndef NESTSCOPE_SVM_EXPLAIN_H
#define NESTSCOPE_SVM_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "explain.h"
#include "vmcb.h"

/*
 * Decodes value v with decoder dec.  EXIT_INFO_1/EXIT_INFO_2 mean something
 * only for an exit code: have_exit_code says whether exit_code is known.
 * Returns false when the decoder explains nothing (NONE, ADDRESS, BYTES).
 */
bool ns_svm_explain(enum ns_vmcb_decoder dec, uint64_t v, bool have_exit_code, uint64_t exit_code,
		    struct ns_decoding *out);

/* A field of a VMCB, decoded with the VMCB's own EXIT_CODE for the exit information; false: absent or plain. */
bool ns_vmcb_decode_field(const struct ns_vmcb *vmcb, enum ns_vmcb_field_id id, struct ns_decoding *out);

/* The same as one line of text into out (n bytes): its length, 0 when there is nothing to say. */
size_t ns_vmcb_explain(const struct ns_vmcb *vmcb, enum ns_vmcb_field_id id, char *out, size_t n);

/* EXITINFO1 (which 1) or EXITINFO2 (which 2) of exit code `exit_code`, decoded (APM 15.x, appendix C). */
bool ns_svm_exit_info_decode(uint64_t exit_code, unsigned which, uint64_t info, struct ns_decoding *out);

/* "EXITINFO1: ...; EXITINFO2: ..." for an exit, as one line into out; its length. */
size_t ns_svm_exit_info_explain(uint64_t exit_code, uint64_t info1, uint64_t info2, char *out, size_t n);


/*
 * For the debugger front ends' pretty-printers (part of the ABI, command.h):
 * one field of a VMCB by name (the table's, "EXIT_INFO_1", or KVM's member,
 * "exit_info_1") in buf, a VMCB's bytes from its start (shorter than a page
 * when the kernel's struct vmcb is): its value and its decoding as one line
 * into text ("" when the decoder has nothing to say), EXITINFO1/2 by the
 * page's own EXITCODE.  An unknown field, one past len or wider than 8 bytes
 * is an error naming it.
 */
int ns_vmcb_field_text(const uint8_t *buf, size_t len, const char *name, uint64_t *value, char *text, size_t n,
		       struct ns_error *err);
/*
 * A value of the VMCB field `name` held outside a VMCB (KVM's cache of
 * vmcb12's intercept words), decoded as one line into out; EXITINFO1/2 need
 * the exit code (have_exit_code).  Its length: 0 when no field has that name
 * or the decoder says nothing.
 */
size_t ns_svm_value_text(const char *name, uint64_t value, bool have_exit_code, uint64_t exit_code, char *out,
			 size_t n);

#endif

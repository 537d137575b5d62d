/*
 * The concepts several documents share, each written by one function so that
 * every document spells it the same way (docs/json-schema/common-v1.json's
 * $defs of the same names).  Private to render/.
 */
#ifndef NS_RENDER_COMMON_H
#define NS_RENDER_COMMON_H

#include "render/json.h"
#include "nestscope/checks.h"
#include "nestscope/diff.h"
#include "nestscope/model.h"

/* key: vcpu_ref, or null when r is NULL or not known */
void ns_emit_vcpu_ref(struct json *j, const char *key, const struct ns_vcpu_ref *r);
/* key: copy_ref */
void ns_emit_copy_ref(struct json *j, const char *key, const struct ns_copy_ref *c);
/* key: finding {id, message} */
void ns_emit_finding(struct json *j, const char *key, const char *id, const char *message);
/* key: check_counts {rules, pass, fail, not_applicable} */
void ns_emit_check_counts(struct json *j, const char *key, const struct ns_check_report *r);
/* key: capabilities {source, maxphyaddr, msrs[]}; caps may be NULL (source says why) */
void ns_emit_capabilities(struct json *j, const char *key, const char *source, const struct ns_vmx_caps *caps);
/* diff_counts' members {compared, equal, differ, counts{}} into the object being written */
void ns_emit_diff_counts(struct json *j, const struct ns_diff *d);

/* The names JSON gives the copy and address-space enums, and verdicts (never "n/a") */
const char *ns_copy_name_str(enum ns_copy_name n);
const char *ns_addr_space_str(enum ns_addr_space s);
const char *ns_verdict_str(enum ns_verdict v);

#endif

/*
 * triage's words (render/triage.c), shared by its text and JSON and the HTML
 * report (render/triage_html.c), so that the three say the same sentences.
 */
#ifndef NS_RENDER_TRIAGE_WORDS_H
#define NS_RENDER_TRIAGE_WORDS_H

#include <stddef.h>

#include "analyses/triage.h"

#define NS_STORY_MAX_EVENTS 5

/* The story's sentences, as text and JSON both say them. */
struct ns_triage_words {
	char where[200];        /* "L2 at RIP 0x1015e, 64-bit mode" */
	char where_src[120];
	char l0_exit[320];
	char l1[360];
	char failed[400];
	char events[NS_STORY_MAX_EVENTS][240];
	unsigned nevents;
	char line[1200];        /* the one-line story */
};

const char *ns_triage_state_phrase(enum ns_triage_state st);
const char *ns_triage_src_phrase(enum ns_triage_src src);
void ns_triage_story_words(const struct ns_triage_vcpu *vt, struct ns_triage_words *w);
void ns_triage_host_states(const struct ns_triage_host *h, char *buf, size_t n);
void ns_triage_host_common(const struct ns_triage_host *h, char *buf, size_t n);
void ns_triage_problem_where(const struct ns_triage_host_problem *p, char *buf, size_t n);
/* An AMD host's vCPU: its state, an exit code by name ("0x7b IOIO"), an EVENTINJ/EXITINTINFO event word */
const char *ns_triage_svm_state_phrase(enum ns_svm_state st);
void ns_triage_svm_exit_words(uint64_t code, char *buf, size_t n);
void ns_triage_svm_event_words(uint64_t ev, uint64_t err, char *buf, size_t n);
void ns_triage_layout_text(const struct ns_triage_layout *lv, char *buf, size_t n);

/* The HTML report's sink (render/triage_html.c). */
void ns_render_triage_html_sink(struct ns_triage_render *r, struct ns_triage_sink *sink);

#endif

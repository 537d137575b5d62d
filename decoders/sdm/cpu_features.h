/*
 * L1's CPUID as both architectures' checks read it: the feature table of
 * cpuid.def and the CR4 bits that need a feature, defined once in
 * sdm/checks.c and shared with svm/checks.c.  Core-internal (not ns_*: the
 * library does not export them).
 */
#ifndef NESTSCOPE_CPU_FEATURES_H
#define NESTSCOPE_CPU_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nestscope/checks.h"
#include "sdm/vmx_names.h"

/* Whether L1's CPUID (caps->cpuid) has the feature; a leaf caps lacks reads as zeros. */
bool cpuid_caps_has(const struct ns_vmx_caps *caps, enum cpuid_feature f);
const char *cpuid_feature_name(enum cpuid_feature f);  /* "LM" */
/* "CPUID.(EAX=80000001H,ECX=0):EDX[29] (LM)" */
void cpuid_feature_where(enum cpuid_feature f, char *buf, size_t n);
/* The CR4 bits that are reserved unless L1's CPUID has need (or or_need). */
size_t cr4_feature_count(void);
uint64_t cr4_feature_at(size_t i, enum cpuid_feature *need, enum cpuid_feature *or_need);

#endif

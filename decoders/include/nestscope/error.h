/* Errors: the core never prints and never exits; it fills one of these. */
#ifndef NESTSCOPE_ERROR_H
#define NESTSCOPE_ERROR_H

enum ns_errcode {
	NS_OK = 0,
	NS_ERR_IO = -1,        /* the source could not be read */
	NS_ERR_TRUNCATED = -2, /* fewer bytes than the format needs */
	NS_ERR_FORMAT = -3,    /* the bytes are not what they claim to be */
	NS_ERR_REVISION = -4,  /* a VMCS region with an unexpected revision id */
	NS_ERR_ARG = -5,       /* the caller asked for something that is not there */
	NS_ERR_TYPES = -6,     /* kvm-intel.ko's debug types are not loaded (the front end can load them) */
	NS_ERR_NOMEM = -7,     /* out of memory */
	NS_ERR_LAYOUT = -8,    /* the types lack a member nestscope needs: a kernel it does not know */
	NS_ERR_USAGE = -9,     /* a command line the grammar refuses (commands.def) */
	NS_ERR_NO_VCPU = -10,  /* the vCPU the user named is not on vm_list */
	NS_ERR_KVM_TYPES = -11, /* kvm.ko's debuginfo is not loaded (struct kvm, vm_list); the front end can load it */
};

/* One line: what went wrong, where, and what to do about it. */
struct ns_error {
	enum ns_errcode code;
	char msg[320];
};

/* Fills err (if not NULL) and returns code, so callers can `return ns_fail(...)`. */
int ns_fail(struct ns_error *err, enum ns_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

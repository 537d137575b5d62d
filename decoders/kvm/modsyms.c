/*
 * Module symbols without the module's debuginfo: every loaded module keeps
 * its symbol table in kernel memory (module->kallsyms: an Elf64_Sym array
 * and its string table, what /proc/kallsyms lists), with addresses already
 * relocated.  A dump may be corrupt: the list walk and every count are
 * bounded.
 */
#include <string.h>

#include "nestscope/locate.h"
#include "session_priv.h"

#define MAX_MODULES 8192
#define MAX_MODULE_SYMBOLS (1u << 20)
#define SYM_BATCH 128

/*
 * linux_banner names the kernel a profile is for; modules leads to vm_list;
 * linux_banner and init_top_pgt let a raw memory image be translated.
 */
const char *const ns_walker_symbols[] = { "modules", "page_offset_base", "linux_banner", "init_uts_ns", "init_top_pgt",
					  NULL };

struct elf64_sym {
	uint32_t st_name;
	uint8_t st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
};


static bool rd(const struct ns_target *t, uint64_t a, void *buf, size_t n)
{
	return t->read(t->ctx, a, buf, n);
}

/* Searches one module's table; 1 found, 0 not there, <0 error. */
static int search_module(const struct ns_target *t, const long *o, uint64_t mod, const char *name,
			 uint64_t *addr)
{
	uint64_t ks = 0, symtab = 0, strtab = 0, num = 0;
	size_t want = strlen(name) + 1;
	char buf[128];
	struct elf64_sym syms[SYM_BATCH];

	if (want > sizeof(buf) || !rd(t, mod + (uint64_t)o[NS_KM_MODULE_KALLSYMS], &ks, 8) || !ks ||
	    !rd(t, ks + (uint64_t)o[NS_KM_KALLSYMS_SYMTAB], &symtab, 8) ||
	    !rd(t, ks + (uint64_t)o[NS_KM_KALLSYMS_STRTAB], &strtab, 8) ||
	    !rd(t, ks + (uint64_t)o[NS_KM_KALLSYMS_NUM_SYMTAB], &num, (size_t)o[NS_KM_KALLSYMS_NUM_SIZE]))
		return -1;
	if (num > MAX_MODULE_SYMBOLS)
		return -1;
	for (uint64_t i = 0; i < num; i += SYM_BATCH) {
		size_t n = num - i < SYM_BATCH ? (size_t)(num - i) : SYM_BATCH;

		if (!rd(t, symtab + i * sizeof(struct elf64_sym), syms, n * sizeof(struct elf64_sym)))
			return -1;
		for (size_t k = 0; k < n; k++) {
			if (!syms[k].st_name || !rd(t, strtab + syms[k].st_name, buf, want))
				continue;
			if (!memcmp(buf, name, want)) {
				*addr = syms[k].st_value;
				return 1;
			}
		}
	}
	return 0;
}

/* struct module's and mod_kallsyms's offsets from the types into o (NS_KMG_MOD rows), for finding what. */
static int module_offsets(const struct ns_target *t, long *o, const char *what, struct ns_error *err)
{
	for (int id = 0; id < NS_KM_COUNT; id++)
		if (ns_kernel_members[id].group == NS_KMG_MOD) {
			o[id] = ns_km_resolve(t, (enum ns_km)id);
			if (o[id] < 0)
				return ns_fail(err, NS_ERR_LAYOUT, "vmlinux's types have no %s: cannot find %s",
					       ns_kernel_members[id].path[0], what);
		}
	if (o[NS_KM_MODULE_NAME_SIZE] <= 0 || (o[NS_KM_KALLSYMS_NUM_SIZE] != 4 && o[NS_KM_KALLSYMS_NUM_SIZE] != 8))
		return ns_fail(err, NS_ERR_LAYOUT, "struct module / mod_kallsyms sizes are not as any kernel has them: cannot find %s",
			       what);
	return NS_OK;
}

/*
 * Calls visit(mod, name) for each module on the list, bounded and checked;
 * a visit returning non-zero ends the walk with that value.
 */
static int walk_modules(const struct ns_target *t, const long *o, const char *what,
			int (*visit)(const struct ns_target *t, const long *o, uint64_t mod, const char *mname, void *arg),
			void *arg, struct ns_error *err)
{
	uint64_t head = t->symbol(t->ctx, "modules"), pos;

	if (!head)
		return ns_fail(err, NS_ERR_ARG, "no vmlinux symbol 'modules': cannot find %s", what);
	if (!rd(t, head, &pos, 8))
		return ns_fail(err, NS_ERR_IO, "the module list at 0x%llx cannot be read", (unsigned long long)head);
	for (size_t count = 0; pos != head; count++) {
		uint64_t mod = pos - (uint64_t)o[NS_KM_MODULE_LIST];
		char mname[64] = "";
		size_t nlen = o[NS_KM_MODULE_NAME_SIZE] < (long)sizeof(mname) ? (size_t)o[NS_KM_MODULE_NAME_SIZE] : sizeof(mname) - 1;
		int r;

		if (count > MAX_MODULES || pos < 0xffff800000000000ull)
			return ns_fail(err, NS_ERR_FORMAT, "the module list is corrupt (entry %zu at 0x%llx)", count,
				       (unsigned long long)pos);
		if (!rd(t, mod + (uint64_t)o[NS_KM_MODULE_NAME], mname, nlen))
			return ns_fail(err, NS_ERR_IO, "module at 0x%llx cannot be read", (unsigned long long)mod);
		mname[nlen] = '\0';
		if ((r = visit(t, o, mod, mname, arg)))
			return r;
		if (!rd(t, pos, &pos, 8))
			return ns_fail(err, NS_ERR_IO, "the module list breaks at 0x%llx", (unsigned long long)pos);
	}
	return 0;
}

struct symbol_search {
	const char *name;
	uint64_t *addr;
	bool kvm_pass;  /* the kvm modules first, as the walker's symbols are theirs */
};

static int visit_symbol(const struct ns_target *t, const long *o, uint64_t mod, const char *mname, void *arg)
{
	struct symbol_search *q = arg;
	bool kvm = !strcmp(mname, "kvm") || !strcmp(mname, "kvm_intel");

	return kvm == q->kvm_pass && search_module(t, o, mod, q->name, q->addr) > 0;
}

int ns_module_symbol(const struct ns_target *t, const char *name, uint64_t *addr, struct ns_error *err)
{
	long o[NS_KM_COUNT];
	struct symbol_search q = { name, addr, true };
	int rc;

	*addr = 0;
	if ((rc = module_offsets(t, o, name, err)))
		return rc;
	for (int pass = 0; pass < 2; pass++, q.kvm_pass = false) {
		if ((rc = walk_modules(t, o, name, visit_symbol, &q, err)) < 0)
			return rc;
		if (rc > 0)
			return NS_OK;
	}
	return ns_fail(err, NS_ERR_ARG, "no module symbol %s: is the module that defines it loaded?", name);
}

static int visit_name(const struct ns_target *t, const long *o, uint64_t mod, const char *mname, void *arg)
{
	(void)t, (void)o, (void)mod;
	return !strcmp(mname, arg);
}

int kvm_module_loaded(const struct ns_target *t, const char *module, struct ns_error *err)
{
	long o[NS_KM_COUNT];
	int rc = module_offsets(t, o, module, err);

	return rc ? rc : walk_modules(t, o, module, visit_name, (void *)module, err);
}

/*
 * Module symbols without the module's debuginfo: every loaded module keeps
 * its symbol table in kernel memory (module->kallsyms: an Elf64_Sym array
 * and its string table, what /proc/kallsyms lists), with addresses already
 * relocated.  A dump may be corrupt: the list walk and every count are
 * bounded.
 */
#include <string.h>

#include "nestscope/locate.h"

#define MAX_MODULES 8192
#define MAX_MODULE_SYMBOLS (1u << 20)
#define SYM_BATCH 128

/* The structs locate.c reads, and these; a profile is made of them. */
const char *const ns_walker_structs[] = {
	"kvm", "kvm_vcpu", "kvm_vcpu_arch", "kvm_memslots", "kvm_memory_slot", "vcpu_vmx", "vcpu_vt", "nested_vmx",
	"nested_vmx_msrs", "loaded_vmcs", "vmcs_controls_shadow", "vmcs_host_state", "xarray", "xa_node",
	"hlist_node", "mm_struct", "task_struct", "module", "mod_kallsyms", "list_head", "vmcs12", NULL,
};

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

struct modsym_offsets {
	long list, name, name_size, kallsyms, symtab, num_symtab, num_size, strtab;
};

static bool rd(const struct ns_target *t, uint64_t a, void *buf, size_t n)
{
	return t->read(t->ctx, a, buf, n);
}

/* Searches one module's table; 1 found, 0 not there, <0 error. */
static int search_module(const struct ns_target *t, const struct modsym_offsets *o, uint64_t mod, const char *name,
			 uint64_t *addr)
{
	uint64_t ks = 0, symtab = 0, strtab = 0, num = 0;
	size_t want = strlen(name) + 1;
	char buf[128];
	struct elf64_sym syms[SYM_BATCH];

	if (want > sizeof(buf) || !rd(t, mod + (uint64_t)o->kallsyms, &ks, 8) || !ks ||
	    !rd(t, ks + (uint64_t)o->symtab, &symtab, 8) || !rd(t, ks + (uint64_t)o->strtab, &strtab, 8) ||
	    !rd(t, ks + (uint64_t)o->num_symtab, &num, (size_t)o->num_size))
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

int ns_module_symbol(const struct ns_target *t, const char *name, uint64_t *addr, struct ns_error *err)
{
	struct modsym_offsets o;
	uint64_t head = t->symbol(t->ctx, "modules"), pos;
	long ks;
	size_t count = 0;

	*addr = 0;
	o.list = t->member_offset(t->ctx, "module", "list");
	o.name = t->member_offset(t->ctx, "module", "name");
	o.name_size = t->member_size(t->ctx, "module", "name");
	ks = t->member_offset(t->ctx, "module", "kallsyms");
	o.kallsyms = ks;
	o.symtab = t->member_offset(t->ctx, "mod_kallsyms", "symtab");
	o.num_symtab = t->member_offset(t->ctx, "mod_kallsyms", "num_symtab");
	o.num_size = t->member_size(t->ctx, "mod_kallsyms", "num_symtab");
	o.strtab = t->member_offset(t->ctx, "mod_kallsyms", "strtab");
	if (!head)
		return ns_fail(err, NS_ERR_ARG, "no vmlinux symbol 'modules': cannot find module symbols such as %s", name);
	if (o.list < 0 || o.name < 0 || o.name_size <= 0 || ks < 0 || o.symtab < 0 || o.num_symtab < 0 ||
	    (o.num_size != 4 && o.num_size != 8) || o.strtab < 0)
		return ns_fail(err, NS_ERR_ARG, "struct module / mod_kallsyms layout unknown: cannot find %s", name);
	/* two passes: the kvm modules first, as the walker's symbols are theirs */
	for (int pass = 0; pass < 2; pass++) {
		if (!rd(t, head, &pos, 8))
			return ns_fail(err, NS_ERR_IO, "the module list at 0x%llx cannot be read", (unsigned long long)head);
		for (count = 0; pos != head; count++) {
			uint64_t mod = pos - (uint64_t)o.list;
			char mname[64] = "";
			size_t nlen = o.name_size < (long)sizeof(mname) ? (size_t)o.name_size : sizeof(mname) - 1;
			bool kvm;
			int r;

			if (count > MAX_MODULES || pos < 0xffff800000000000ull)
				return ns_fail(err, NS_ERR_FORMAT, "the module list is corrupt (entry %zu at 0x%llx)", count,
					       (unsigned long long)pos);
			if (!rd(t, mod + (uint64_t)o.name, mname, nlen))
				return ns_fail(err, NS_ERR_IO, "module at 0x%llx cannot be read", (unsigned long long)mod);
			mname[nlen] = '\0';
			kvm = !strcmp(mname, "kvm") || !strcmp(mname, "kvm_intel");
			if (kvm == (pass == 0)) {
				r = search_module(t, &o, mod, name, addr);
				if (r > 0)
					return NS_OK;
			}
			if (!rd(t, pos, &pos, 8))
				return ns_fail(err, NS_ERR_IO, "the module list breaks at 0x%llx", (unsigned long long)pos);
		}
	}
	return ns_fail(err, NS_ERR_ARG, "no module symbol %s: is the module that defines it loaded?", name);
}

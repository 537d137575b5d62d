/*
 * vmlinux symbols from its ELF symbol table (libelf), the debuginfo files of
 * a kernel, and the type set triage and `nestscope profile` build from them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources.h"

/* linux_banner's text: the bytes of its section at its address. */
static void banner_from(Elf *e, const GElf_Sym *sym, struct ns_types *t)
{
	Elf_Scn *scn = elf_getscn(e, sym->st_shndx);
	GElf_Shdr sh;
	Elf_Data *d;
	char buf[sizeof(t->banner)];
	uint64_t off;
	size_t n;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || sym->st_value < sh.sh_addr)
		return;
	off = sym->st_value - sh.sh_addr;
	if (!(d = elf_getdata(scn, NULL)) || off >= d->d_size)
		return;
	n = d->d_size - off < sizeof(buf) - 1 ? d->d_size - off : sizeof(buf) - 1;
	memcpy(buf, (const char *)d->d_buf + off, n);
	buf[n] = '\0';
	ns_types_set_banner(t, buf);
}

int ns_elf_symbols(struct ns_types *t, const char *vmlinux, const char *const *names, struct ns_error *err)
{
	int fd = open(vmlinux, O_RDONLY);
	Elf *e;
	Elf_Scn *scn = NULL;
	int rc = NS_OK;

	if (fd < 0)
		return ns_fail(err, NS_ERR_IO, "cannot open %s: %s", vmlinux, strerror(errno));
	elf_version(EV_CURRENT);
	if (!(e = elf_begin(fd, ELF_C_READ, NULL)) || elf_kind(e) != ELF_K_ELF) {
		rc = ns_fail(err, NS_ERR_FORMAT, "%s is not an ELF file", vmlinux);
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_name ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			for (const char *const *n = names; *n; n++)
				if (!strcmp(name, *n) && GELF_ST_TYPE(sym.st_info) != STT_FILE) {
					if (!ns_types_symbol_add(t, name, sym.st_value)) {
						rc = ns_fail(err, NS_ERR_NOMEM, "out of memory");
						goto out;
					}
					if (!strcmp(name, "linux_banner"))
						banner_from(e, &sym, t);
				}
		}
	}
	if (!t->nsym)
		rc = ns_fail(err, NS_ERR_FORMAT, "%s has no symbol table (a stripped vmlinux?)", vmlinux);
out:
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

static char *path_join(const char *a, const char *b)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", a, b) < 0 ? NULL : p;
}

static bool is_file(const char *p)
{
	struct stat st;

	return p && !stat(p, &st) && S_ISREG(st.st_mode);
}

/* The one directory under lib/modules (or release's); NULL if none or several. */
static char *module_release(const char *root, const char *release)
{
	char *mods = path_join(root, "lib/modules"), *found = NULL;
	DIR *d = mods ? opendir(mods) : NULL;
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (release && strcmp(de->d_name, release)))
			continue;
		if (!n++)
			found = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	free(mods);
	if (n != 1) {
		free(found);
		return NULL;
	}
	return found;
}

int ns_debuginfo_find(const char *dir, const char *release, struct ns_debuginfo *d, struct ns_error *err)
{
	static const char *const roots[] = { "usr/lib/debug", "." };
	char *rel = NULL, *root = NULL, *tmp;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < 2 && !rel; i++) {
		free(root);
		root = path_join(dir, roots[i]);
		rel = root ? module_release(root, release && *release ? release : NULL) : NULL;
	}
	if (!rel) {
		free(root);
		return ns_fail(err, NS_ERR_ARG,
			       "%s: no lib/modules/%s there (give the root of the kernel's -dbg package, or --vmlinux and --module)",
			       dir, release && *release ? release : "RELEASE");
	}
	if (asprintf(&tmp, "%s/boot/vmlinux-%s", root, rel) >= 0)
		d->vmlinux = tmp;
	if (asprintf(&tmp, "%s/lib/modules/%s/kernel/arch/x86/kvm/kvm.ko", root, rel) >= 0)
		d->kvm = tmp;
	if (asprintf(&tmp, "%s/lib/modules/%s/kernel/arch/x86/kvm/kvm-intel.ko", root, rel) >= 0)
		d->kvm_intel = tmp;
	if (asprintf(&tmp, "%s/lib/modules/%s/kernel/arch/x86/kvm/kvm-amd.ko", root, rel) >= 0)
		d->kvm_amd = tmp;
	free(root);
	free(rel);
	if (!is_file(d->vmlinux) || !is_file(d->kvm_intel)) {
		int rc = ns_fail(err, NS_ERR_ARG, "%s: missing %s", dir,
				 !is_file(d->vmlinux) ? "boot/vmlinux-RELEASE" : "the kvm-intel.ko debuginfo");

		ns_debuginfo_free(d);
		return rc;
	}
	if (!is_file(d->kvm)) {
		free(d->kvm);
		d->kvm = NULL;
	}
	if (!is_file(d->kvm_amd)) {
		free(d->kvm_amd);
		d->kvm_amd = NULL;
	}
	return NS_OK;
}

void ns_debuginfo_free(struct ns_debuginfo *d)
{
	free(d->vmlinux);
	free(d->kvm);
	free(d->kvm_intel);
	free(d->kvm_amd);
	memset(d, 0, sizeof(*d));
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "";
}

int ns_types_from_debuginfo(struct ns_types *t, const struct ns_debuginfo *d, struct ns_error *err)
{
	/* xa_node is only used by pointer in the modules: its definition is lib/xarray.c's */
	static const char *const vmlinux_cus[] = { "lib/xarray.c", NULL };
	/* the vendor modules first (each repeats kvm's headers), kvm.ko for what neither has */
	const char *files[] = { d->kvm_intel, d->kvm_amd, d->kvm };
	char names[NS_KSTRUCT_MAX][NS_KSTRUCT_NAME];
	const char *structs[NS_KSTRUCT_MAX + 1];
	size_t n = ns_kernel_structs(names, NS_KSTRUCT_MAX);
	int rc;

	/* the structs of the kernel-members table, each once */
	for (size_t i = 0; i < n && i < NS_KSTRUCT_MAX; i++)
		structs[i] = names[i];
	structs[n < NS_KSTRUCT_MAX ? n : NS_KSTRUCT_MAX] = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] && (rc = ns_dwarf_load(t, files[i], structs, NULL, err)))
			return rc;
	if (d->vmlinux && (rc = ns_dwarf_load(t, d->vmlinux, structs, vmlinux_cus, err)))
		return rc;
	if (d->vmlinux && (rc = ns_elf_symbols(t, d->vmlinux, ns_walker_symbols, err)))
		return rc;
	/* file names only: a profile must not carry the paths of the machine that made it */
	snprintf(t->origin, sizeof(t->origin), "DWARF of %s%s%s%s%s, symbols of %s", base_name(d->kvm_intel),
		 d->kvm_amd ? ", " : "", d->kvm_amd ? base_name(d->kvm_amd) : "",
		 d->kvm ? " and " : "", d->kvm ? base_name(d->kvm) : "", d->vmlinux ? base_name(d->vmlinux) : "(none)");
	return NS_OK;
}

/*
 * A module's .modinfo strings (libelf): the kernel release it was built for,
 * from vermagic ("7.2.13+deb14-amd64 SMP preempt mod_unload ").  Debian's
 * -dbg modules keep .modinfo, so the debuginfo of kvm-intel.ko alone says
 * which kernel it is.
 */
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

bool ns_module_release(const char *path, char *release, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	if (!n)
		return false;
	release[0] = '\0';
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	if (!(e = elf_begin(fd, ELF_C_READ, NULL)) || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx))
		goto out;
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(name = elf_strptr(e, shstrndx, sh.sh_name)) || strcmp(name, ".modinfo") ||
		    !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		/* NUL-separated key=value strings; the last one may lack its NUL */
		for (size_t off = 0; off < d->d_size;) {
			const char *s = (const char *)d->d_buf + off;
			size_t len = strnlen(s, d->d_size - off);

			if (len > 9 && !strncmp(s, "vermagic=", 9)) {
				const char *sp = memchr(s + 9, ' ', len - 9);
				size_t r = sp ? (size_t)(sp - (s + 9)) : len - 9;

				if (r && r < n) {
					memcpy(release, s + 9, r);
					release[r] = '\0';
					found = true;
				}
				break;
			}
			off += len + 1;
		}
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

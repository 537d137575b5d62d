// SPDX-License-Identifier: GPL-2.0
/*
 * nestscope_probe: discovers the hardware VMCS layout of the CPU it runs on
 * and prints it as a nestscope layout file (docs/layout-format.md) on the
 * kernel log, one "nsprobe: " line per statement.
 *
 * For every field of nestscope's catalog, on a fresh zeroed VMCS: VMCLEAR,
 * VMPTRLD, VMWRITE a marker that only this field uses, VMCLEAR again (which
 * forces the CPU to write the VMCS to memory), and look for the marker in
 * the region.  A field the CPU does not have fails its VMWRITE and is
 * reported as such.
 *
 * It refuses to run when CR4.VMXE is already set: another hypervisor (kvm_intel
 * with running VMs, for one) owns VMX operation on this CPU.  Unload it first.
 * The module does its work at load time and then stays loaded doing nothing.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>

#define W_W16 2
#define W_W32 4
#define W_W64 8
#define W_WNAT 8

struct field {
	u16 enc;
	u8 bytes;
	const char *name;
};

/* nestscope's field catalog, defined once (decoders/sdm/fields.def) */
static const struct field fields[] = {
#define FIELD(enc, name, linux, sdm, width, type, dec) { enc, W_##width, #name },
#include "fields.def"
#undef FIELD
};

static int vmx_op(const char *insn, u64 pa)
{
	u8 fail = 0;

	if (!strcmp(insn, "vmxon"))
		asm volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	else if (!strcmp(insn, "vmclear"))
		asm volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	else if (!strcmp(insn, "vmptrld"))
		asm volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail ? -EIO : 0;
}

static int vmwrite(u64 enc, u64 val)
{
	u8 fail;

	asm volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"(enc), "rm"(val) : "cc", "memory");
	return fail ? -EIO : 0;
}

static u64 vmread(u64 enc)
{
	u64 val = 0;

	asm volatile("vmread %1, %0" : "=rm"(val) : "r"(enc) : "cc");
	return val;
}

/* A marker only field i uses, every byte non-zero, as wide as the field. */
static u64 marker(unsigned int i, unsigned int bytes)
{
	u64 n = i + 1;

	if (bytes == 2)
		return 0xa500 | n;
	if (bytes == 4)
		return 0xc35a003cull | (n << 8);
	return 0x1122334455660077ull | (n << 8);
}

static u64 load(const u8 *p, unsigned int bytes)
{
	u64 v = 0;

	memcpy(&v, p, bytes);
	return v;
}

struct result {
	int offset;       /* -1: not found */
	bool rol8;
	int vmwrite_error; /* VM-instruction error when the VMWRITE failed, else 0 */
};

static int __init probe_init(void)
{
	u64 basic, fc;
	u32 revision;
	struct page *on_pg, *cs_pg;
	u8 *vmcs, *base;
	struct result *res;
	unsigned long flags;
	unsigned int i, found = 0;
	int ret = 0;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("nsprobe: this CPU has no VMX\n");
		return -ENODEV;
	}
	res = kcalloc(ARRAY_SIZE(fields), sizeof(*res), GFP_KERNEL);
	base = kmalloc(PAGE_SIZE, GFP_KERNEL);
	on_pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	cs_pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!res || !base || !on_pg || !cs_pg) {
		ret = -ENOMEM;
		goto out;
	}
	vmcs = page_address(cs_pg);
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	revision = basic & 0x7fffffff;

	local_irq_save(flags);
	if (__read_cr4() & X86_CR4_VMXE) {
		local_irq_restore(flags);
		pr_err("nsprobe: CR4.VMXE is set: another hypervisor owns VMX on this CPU (unload it first)\n");
		ret = -EBUSY;
		goto out;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FEAT_CTL_LOCKED))
		wrmsrl(MSR_IA32_FEAT_CTL, fc | FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
	else if (!(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		local_irq_restore(flags);
		pr_err("nsprobe: the firmware locked VMX off (IA32_FEATURE_CONTROL 0x%llx)\n", fc);
		ret = -EPERM;
		goto out;
	}
	cr4_set_bits(X86_CR4_VMXE);
	*(u32 *)page_address(on_pg) = revision;
	if (vmx_op("vmxon", page_to_phys(on_pg))) {
		cr4_clear_bits(X86_CR4_VMXE);
		local_irq_restore(flags);
		pr_err("nsprobe: VMXON failed\n");
		ret = -EIO;
		goto out;
	}
	/* what an untouched, cleared VMCS looks like */
	memset(vmcs, 0, PAGE_SIZE);
	*(u32 *)vmcs = revision;
	vmx_op("vmclear", page_to_phys(cs_pg));
	vmx_op("vmptrld", page_to_phys(cs_pg));
	vmx_op("vmclear", page_to_phys(cs_pg));
	memcpy(base, vmcs, PAGE_SIZE);

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		u64 m = marker(i, f->bytes);
		int first = -1, off;

		res[i].offset = -1;
		memset(vmcs, 0, PAGE_SIZE);
		*(u32 *)vmcs = revision;
		vmx_op("vmclear", page_to_phys(cs_pg));
		vmx_op("vmptrld", page_to_phys(cs_pg));
		if (vmwrite(f->enc, m)) {
			res[i].vmwrite_error = (int)vmread(0x4400); /* VM_INSTRUCTION_ERROR */
			vmx_op("vmclear", page_to_phys(cs_pg));
			continue;
		}
		vmx_op("vmclear", page_to_phys(cs_pg));
		for (off = 0; off < PAGE_SIZE && first < 0; off++)
			if (vmcs[off] != base[off])
				first = off;
		if (first < 0)
			continue;
		/* slots start on a multiple of the smaller of 4 and the field's size */
		off = first & ~(min_t(int, 4, f->bytes) - 1);
		if (off + f->bytes <= PAGE_SIZE && load(vmcs + off, f->bytes) == m) {
			res[i].offset = off;
		} else if (f->bytes == 4 && (off & ~3) + 4 <= PAGE_SIZE &&
			   load(vmcs + (off & ~3), 4) == (((m << 8) | (m >> 24)) & 0xffffffffull)) {
			res[i].offset = off & ~3;
			res[i].rol8 = true;
		}
		found += res[i].offset >= 0;
	}
	vmx_op("vmclear", page_to_phys(cs_pg));
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
	local_irq_restore(flags);

	pr_info("nsprobe: # nestscope hardware VMCS layout, found by nestscope_probe\n");
	pr_info("nsprobe: name probe-0x%x\n", revision);
	pr_info("nsprobe: revision 0x%x\n", revision);
	pr_info("nsprobe: size %llu\n", (basic >> 32) & 0x1fff);
	pr_info("nsprobe: header revision 0x0 4\n");
	pr_info("nsprobe: header abort 0x4 4\n");
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (res[i].offset >= 0)
			pr_info("nsprobe: field 0x%04x 0x%x %u%s\n", fields[i].enc, res[i].offset, fields[i].bytes,
				res[i].rol8 ? " rol8" : "");
		else if (res[i].vmwrite_error)
			pr_info("nsprobe: # 0x%04x %s: VMWRITE failed, VM-instruction error %d\n", fields[i].enc,
				fields[i].name, res[i].vmwrite_error);
		else
			pr_info("nsprobe: # 0x%04x %s: written, but not found in the region\n", fields[i].enc,
				fields[i].name);
	}
	pr_info("nsprobe: # %u of %zu fields located\n", found, ARRAY_SIZE(fields));
out:
	kfree(res);
	kfree(base);
	if (on_pg)
		__free_page(on_pg);
	if (cs_pg)
		__free_page(cs_pg);
	return ret;
}

static void __exit probe_exit(void)
{
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nestscope: discover the hardware VMCS layout of this CPU");

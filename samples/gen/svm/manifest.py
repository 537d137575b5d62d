#!/usr/bin/env python3
"""The ground truth of one kernel's nested-SVM samples, as manifest.json.

    manifest.py SAMPLES_DIR KVER CPU

SAMPLES_DIR is samples/svm/KVER as generate.sh wrote it: blobs/CONFIG/ and
dump/hold-CONFIG/ each hold svmharness's steps.txt and the files of every
step.  Everything here comes from what the harness recorded at the time
(KVM_GET_NESTED_STATE, KVM_GET_REGS/SREGS, the pages it read from L1's
memory and, through /proc/kcore, from KVM's), and the few VMCB fields named
below are read at the AMD64 APM's offsets (vol. 2, appendix B), not through
nestscope: the tests compare nestscope's output with this file.
"""
import json
import os
import re
import struct
import sys

# APM vol. 2 table B-1 (control area) and B-2 (save area, at 400h)
VMCB = {
    "intercept_cr": (0x000, 4), "intercept_exceptions": (0x008, 4), "intercept_word3": (0x00c, 4),
    "intercept_word4": (0x010, 4), "iopm_base_pa": (0x040, 8), "msrpm_base_pa": (0x048, 8),
    "tsc_offset": (0x050, 8), "asid": (0x058, 4), "tlb_control": (0x05c, 1), "int_ctl": (0x060, 4),
    "int_vector": (0x064, 4), "exit_code": (0x070, 8), "exit_info_1": (0x078, 8), "exit_info_2": (0x080, 8),
    "exit_int_info": (0x088, 4), "np_enable": (0x090, 8), "event_inj": (0x0a8, 4), "nested_cr3": (0x0b0, 8),
    "cs_selector": (0x400 + 0x010, 2), "cs_attrib": (0x400 + 0x012, 2), "cs_limit": (0x400 + 0x014, 4),
    "cs_base": (0x400 + 0x018, 8),
    "efer": (0x400 + 0x0d0, 8), "cr4": (0x400 + 0x148, 8), "cr3": (0x400 + 0x150, 8), "cr0": (0x400 + 0x158, 8),
    "rflags": (0x400 + 0x170, 8), "rip": (0x400 + 0x178, 8), "rsp": (0x400 + 0x1d8, 8), "rax": (0x400 + 0x1f8, 8),
    "g_pat": (0x400 + 0x268, 8),
}
CONFIG_BITS = {"npt": 1, "rich": 2, "hold": 4, "prot32": 16, "real": 32, "pending": 64}
# the mode l1svm.S starts L2 in, by configuration bit (the others: 64-bit mode, CS.L=1, on L1's 4-level tables)
L2_MODES = {16: "protected32-legacy-paging", 32: "real"}
# KVM_STATE_NESTED_GUEST_MODE, _RUN_PENDING, _GIF_SET (arch/x86/include/uapi/asm/kvm.h)
GUEST_MODE, RUN_PENDING, GIF_SET = 0x1, 0x2, 0x100
# what the harness's steps mean where the step's name alone does not say it
STEP_NOTES = {
    "run-pending": "KVM_RUN returned (a signal, KVM_EXIT_INTR) after KVM emulated L1's VMRUN and before it entered "
                   "L2: nested_run_pending is set; value is the interrupted runs it took",
    "no-run-pending": "no interrupted KVM_RUN of the bounded attempts (value) fell between L1's VMRUN and L2",
}


def vmcb_fields(path):
    data = open(path, "rb").read()
    return {name: hex(int.from_bytes(data[off:off + size], "little")) for name, (off, size) in VMCB.items()}


def steps(d):
    out = []
    for line in open(os.path.join(d, "steps.txt")):
        kv = dict(item.split("=", 1) for item in line.split())
        n = kv["step"]
        flags = int(kv["flags"], 16)
        step = {
            "step": int(n), "what": kv["what"], "port": kv["port"], "value": kv["value"],
            "blob": {"file": f"{n}-nested-state.bin", "flags": kv["flags"], "format": int(kv["format"]),
                     "size": int(kv["size"]), "vmcb_pa": kv["vmcb_pa"],
                     "guest_mode": bool(flags & GUEST_MODE), "run_pending": bool(flags & RUN_PENDING),
                     "gif_set": bool(flags & GIF_SET)},
            # KVM_GET_REGS/SREGS: L2's registers while the vCPU is in guest mode, L1's otherwise
            "registers": {k: kv[k] for k in ("rip", "rsp", "rax", "rflags", "cr0", "cr3", "cr4", "efer", "cs",
                                             "cs_base")},
            "vmcb12": {"file": f"{n}-vmcb12.bin", "gpa": "0x30000"},
        }
        if kv["what"] in STEP_NOTES:
            step["note"] = STEP_NOTES[kv["what"]]
        if "vcpu_svm" in kv:
            step["kvm"] = {"vcpu_svm": kv["vcpu_svm"], "current": kv["current"],
                           "vmcb01": {"address": kv["vmcb01"], "pa": kv["vmcb01_pa"]},
                           "vmcb02": {"address": kv["vmcb02"], "pa": kv["vmcb02_pa"]}}
            for which in ("vmcb01", "vmcb02"):
                f = os.path.join(d, f"{n}-{which}.bin")
                if os.path.exists(f):
                    step["kvm"][which].update(file=os.path.basename(f), fields=vmcb_fields(f))
        f = os.path.join(d, f"{n}-vmcb12.bin")
        step["vmcb12"]["fields"] = vmcb_fields(f)
        out.append(step)
    return out


def config(d, name):
    bits = 0
    for part, bit in CONFIG_BITS.items():
        if part in name.split("-"):
            bits |= bit
    mode = next((m for bit, m in L2_MODES.items() if bits & bit), "long64")
    return {"directory": os.path.relpath(d, top), "config_bits": bits, "l2_mode": mode, "steps": steps(d)}


def cpuid_svm(d):
    """L1's CPUID leaf 8000000Ah (SVM features: what KVM offered L1), as KVM_SET_CPUID2 got it."""
    for line in open(os.path.join(d, "cpuid.txt")):
        f = line.split()
        if int(f[1], 16) == 0x8000000A:
            return {"eax": f[3], "ebx": f[4], "ecx": f[5], "edx": f[6]}
    return None


def machine(path):
    params = {}
    for line in open(path):
        f = line.split()
        if f and f[0] == "kvm_amd":
            params[f[1]] = f[2]
    return params


top = sys.argv[1]
kver, cpu = sys.argv[2], sys.argv[3]
doc = {"kernel": kver, "generator": "samples/gen/svm/generate.sh", "qemu_cpu": cpu, "configs": {}, "dump": None}
blobs = os.path.join(top, "blobs")
for name in sorted(os.listdir(blobs)):
    if os.path.isdir(os.path.join(blobs, name)):
        doc["configs"][name] = config(os.path.join(blobs, name), name)
doc["kvm_amd"] = machine(os.path.join(blobs, "machine.txt"))
doc["l1_cpuid_8000000a"] = cpuid_svm(os.path.join(blobs, "basic"))
dump = os.path.join(top, "dump")
if os.path.exists(os.path.join(dump, "vmcore.kdump")):
    vms = []
    for name in sorted(os.listdir(dump)):
        d = os.path.join(dump, name)
        if not name.startswith("hold-"):
            continue
        pid = int(re.search(r"=== NS HOLD (\d+)", open(os.path.join(d, "harness.log")).read()).group(1))
        held = config(d, name[len("hold-"):] + "-hold")
        last = held["steps"][-1]
        vms.append({"config": name[len("hold-"):], "pid": pid, "vcpus": 1, "guest_mode": last["blob"]["guest_mode"],
                    "vmcb12_gpa": last["blob"]["vmcb_pa"], "l2_rip": last["registers"]["rip"],
                    "vcpu_svm": last.get("kvm", {}).get("vcpu_svm"),
                    "l0_exit_code": last.get("kvm", {}).get("vmcb02", {}).get("fields", {}).get("exit_code"),
                    "steps": held["steps"], "directory": held["directory"]})
    doc["dump"] = {"file": "dump/vmcore.kdump", "vms": vms}
json.dump(doc, open(os.path.join(top, "manifest.json"), "w"), indent=1)
print(f"manifest.py: {len(doc['configs'])} configurations, {len(doc['dump']['vms']) if doc['dump'] else 0} VMs in the dump")

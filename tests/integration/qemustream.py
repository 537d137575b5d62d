"""QEMU migration streams for the tests: a small reader of their own (section
boundaries, from the vmstate description), and the cpu/nested_state
subsection QEMU writes for a KVM_GET_NESTED_STATE blob (target/i386/machine.c)."""
import json
import struct


class Stream:
    """Walks a stream with its vmstate description; records where each device section's body ends."""

    def __init__(self, b):
        self.b, self.pos, self.ends = b, 8, {}
        nul = b.rfind(b"\0")
        js = b.find(b"{", nul)
        assert b[js - 5] == 6, "no vmstate description"
        self.desc_at = js - 5
        n = struct.unpack(">I", b[js - 4:js])[0]
        self.desc = json.loads(b[js:js + n])
        self.page = self.desc["page_size"]

    def take(self, n):
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u(self, n):
        return int.from_bytes(self.take(n), "big")

    def name(self):
        return self.take(self.u(1)).decode()

    def ram(self):
        while True:
            v = self.u(8)
            flags, addr = v & (self.page - 1), v & ~(self.page - 1)
            if flags & 0x04:
                while addr:
                    self.name()
                    addr -= self.u(8)
            if flags & 0x0a and not flags & 0x20:
                self.name()
            if flags & 0x02:
                self.take(1)
            if flags & 0x08:
                self.take(self.page)
            if flags & 0x10:
                return

    def vmsd(self, d):
        for f in d.get("fields", []):
            for _ in range(f.get("array_len", 1)):
                if f["type"] == "struct":
                    self.vmsd(f["struct"])
                elif f["type"] == "capability":
                    self.name()
                else:
                    self.take(f["size"])
        for s in d.get("subsections", []):
            assert self.u(1) == 5
            self.name()
            self.u(4)
            self.vmsd(s)

    def walk(self):
        devs = {(d["name"], d["instance_id"]): d for d in self.desc["devices"]}
        while True:
            t = self.u(1)
            if t == 0:
                return
            if t == 7:
                self.vmsd(self.desc["configuration"]) if "configuration" in self.desc else self.take(self.u(4))
            elif t in (1, 4):
                self.u(4)
                n = self.name()
                inst = self.u(4)
                self.u(4)
                if n == "ram":
                    self.ram()
                else:
                    self.vmsd(devs[(n, inst)])
                    self.ends[(n, inst)] = self.pos
            elif t in (2, 3):
                self.u(4)
                self.ram()
            elif t == 0x7e:
                self.u(4)
            elif t == 8:
                self.u(2)
                self.take(self.u(2))
            else:
                raise ValueError(f"section type {t}")


HDR = 128  # offsetof(struct kvm_nested_state, data) (arch/x86/include/uapi/asm/kvm.h)
VMX_VMCS_SIZE = 0x1000  # KVM_STATE_NESTED_VMX_VMCS_SIZE
SVM_VMCB_SIZE = 0x1000  # KVM_STATE_NESTED_SVM_VMCB_SIZE
FORMAT_SVM = 1  # KVM_STATE_NESTED_FORMAT_SVM


def nested_subsection(blob, fmt=None, size=None, vmcb_len=SVM_VMCB_SIZE, vendor=None):
    """The cpu/nested_state subsection for a blob, and its vmstate description, as QEMU writes them
    (target/i386/machine.c, QEMU 5.1 to 10.x): the struct's flags, format, size, then the vendor's
    subsection.  VMX: "cpu/kvm_nested_state/vmx" {hdr.vmx.vmxon_pa, vmcs12_pa, smm.flags} with the
    subsection ".../vmx/vmcs12" (4 KiB).  SVM: "cpu/kvm_nested_state/svm" {hdr.svm.vmcb_pa,
    data.svm[0].vmcb12 [KVM_STATE_NESTED_SVM_VMCB_SIZE]}, the vmcb12 a field, not a subsection.
    None where QEMU writes nothing: an SVM state of the header alone (svm_nested_state_needed() wants
    size > offsetof(data), and nested_state_needed() one of the vendors' conditions).
    fmt, size, vmcb_len and vendor ("vmx", "svm") override what is written, for hostile streams."""
    flags, bfmt, bsize = struct.unpack_from("<HHI", blob, 0)
    vendor = vendor or ("svm" if bfmt == FORMAT_SVM else "vmx")
    if vendor == "svm" and bfmt == FORMAT_SVM and bsize <= HDR and size is None:
        return None
    fmt, size = bfmt if fmt is None else fmt, bsize if size is None else size

    def sub(name, body):
        return bytes([5, len(name)]) + name.encode() + struct.pack(">I", 1) + body

    def fields(*rows):
        return [{"name": n, "type": t, "size": s} for n, t, s in rows]
    u = fields(("flags", "uint16", 2), ("format", "uint16", 2), ("size", "uint32", 4))
    if vendor == "svm":
        vmcb_pa, = struct.unpack_from("<Q", blob, 8)
        vmcb12 = (blob[HDR:HDR + SVM_VMCB_SIZE] + bytes(SVM_VMCB_SIZE))[:vmcb_len]
        vend = sub("cpu/kvm_nested_state/svm", struct.pack(">Q", vmcb_pa) + vmcb12)
        vdesc = {"vmsd_name": "cpu/kvm_nested_state/svm", "version": 1, "fields": fields(
            ("hdr.svm.vmcb_pa", "uint64", 8)) + [
            {"name": "data.svm[0].vmcb12", "array_len": vmcb_len, "type": "uint8", "size": 1}]}
    else:
        vmxon, vmcs12, smm = struct.unpack_from("<QQH", blob, 8)
        vend = sub("cpu/kvm_nested_state/vmx", struct.pack(">QQH", vmxon, vmcs12, smm) +
                   sub("cpu/kvm_nested_state/vmx/vmcs12", blob[HDR:HDR + VMX_VMCS_SIZE]))
        vdesc = {"vmsd_name": "cpu/kvm_nested_state/vmx", "version": 1, "fields": fields(
            ("hdr.vmx.vmxon_pa", "uint64", 8), ("hdr.vmx.vmcs12_pa", "uint64", 8), ("hdr.vmx.smm.flags", "uint16", 2)),
            "subsections": [{"vmsd_name": "cpu/kvm_nested_state/vmx/vmcs12", "version": 1, "fields": [
                {"name": "data.vmx[0].vmcs12", "array_len": VMX_VMCS_SIZE, "type": "uint8", "size": 1}]}]}
    data = sub("cpu/nested_state", struct.pack(">HHI", flags, fmt, size) + vend)
    desc = {"vmsd_name": "cpu/nested_state", "version": 1, "fields": [
        {"name": "env.nested_state", "type": "struct", "size": size, "struct": {
            "vmsd_name": "cpu/kvm_nested_state", "version": 1, "fields": u, "subsections": [vdesc]}}]}
    return data, desc


def with_nested(b, w, per_cpu):
    """The stream b (walked by w) with the subsections per_cpu {(cpu, instance): (data, desc) or None} added."""
    out, last = bytearray(), 0
    desc = json.loads(json.dumps(w.desc))
    devs = {(x["name"], x["instance_id"]): x for x in desc["devices"]}
    for cpu in sorted(per_cpu):
        if per_cpu[cpu] is None:
            continue
        sub, sd = per_cpu[cpu]
        out += b[last:w.ends[cpu]] + sub
        last = w.ends[cpu]
        devs[cpu].setdefault("subsections", []).append(sd)
    js = json.dumps(desc).encode()
    return bytes(out + b[last:w.desc_at] + bytes([6]) + struct.pack(">I", len(js)) + js)

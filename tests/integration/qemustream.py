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


def nested_subsection(blob):
    """The cpu/nested_state subsection for a blob, and its vmstate description, as QEMU writes them."""
    flags, fmt, size = struct.unpack_from("<HHI", blob, 0)
    vmxon, vmcs12, smm = struct.unpack_from("<QQH", blob, 8)

    def sub(name, body):
        return bytes([5, len(name)]) + name.encode() + struct.pack(">I", 1) + body
    u = [{"name": n, "type": t, "size": s} for n, t, s in (("flags", "uint16", 2), ("format", "uint16", 2),
                                                        ("size", "uint32", 4))]
    vmx = [{"name": n, "type": t, "size": s} for n, t, s in (("hdr.vmx.vmxon_pa", "uint64", 8),
                                                          ("hdr.vmx.vmcs12_pa", "uint64", 8),
                                                          ("hdr.vmx.smm.flags", "uint16", 2))]
    vmcs = [{"name": "data.vmx[0].vmcs12", "array_len": 4096, "type": "uint8", "size": 1}]
    data = sub("cpu/nested_state",
               struct.pack(">HHI", flags, fmt, size) +
               sub("cpu/kvm_nested_state/vmx", struct.pack(">QQH", vmxon, vmcs12, smm) +
                   sub("cpu/kvm_nested_state/vmx/vmcs12", blob[128:128 + 4096])))
    desc = {"vmsd_name": "cpu/nested_state", "version": 1, "fields": [
        {"name": "env.nested_state", "type": "struct", "size": size, "struct": {
            "vmsd_name": "cpu/kvm_nested_state", "version": 1, "fields": u, "subsections": [
                {"vmsd_name": "cpu/kvm_nested_state/vmx", "version": 1, "fields": vmx, "subsections": [
                    {"vmsd_name": "cpu/kvm_nested_state/vmx/vmcs12", "version": 1, "fields": vmcs}]}]}}]}
    return data, desc

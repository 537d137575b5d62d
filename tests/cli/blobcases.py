"""The blob header-rule cases (tests/data/blob-rule-cases.txt): reading them and
making each case's blob from its real base.  Used by blob_rules.py and by the
fuzz seeds (fuzz/seeds.py)."""
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

# header fields at their offsets in struct kvm_nested_state (the UAPI header)
FIELDS = {"flags": (0, "<H"), "format": (2, "<H"), "size": (4, "<I"), "vmxon_pa": (8, "<Q"),
          "vmcb_pa": (8, "<Q"), "vmcs12_pa": (16, "<Q"), "smm.flags": (24, "<H"), "vmx.pad": (26, "<H"),
          "vmx.flags": (28, "<I"), "preemption_timer_deadline": (32, "<Q")}


def load_cases():
    """(line number, rule or '-', base path under samples/<release>/, edits, why) per case."""
    text = (ROOT / "tests/data/blob-rule-cases.txt").read_text()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        rule, base, edits, why = (p.strip() for p in line.split("|", 3))
        yield lineno, rule, base, edits.split(), why


def kernels():
    """Each kernel's sample directory: samples/<release>/ with basic/ and rich/ blobs."""
    return sorted(p.parent.parent for p in ROOT.glob("samples/*/basic/nested_00_before_vmxon.bin"))


def mutate(data, edits):
    """The blob with the edits applied, and the decode options they ask for."""
    b, opts = bytearray(data), []
    for e in edits:
        name, value = e.split("=", 1)
        v = (1 << 64) - 1 if value == "-1" else int(value, 0)
        if name == "file":
            b = b[:v] + bytes(max(0, v - len(b)))
        elif name == "maxphyaddr":
            opts += ["--maxphyaddr", str(v)]
        elif name.startswith("byte@"):
            b[int(name[5:], 0)] = v
        else:
            off, fmt = FIELDS[name]
            struct.pack_into(fmt, b, off, v)
    return bytes(b), opts

"""The per-rule check cases (tests/data/check-cases.txt), shared by the rule
tests and the differential comparison: parsing, building each case's vmcs12
from the real base blob, and running `nestscope check` on it."""
import json
import pathlib
import subprocess
import tempfile

WIDTH = {"16": 2, "32": 4, "64": 8, "natural": 8}


def load(root=pathlib.Path(".")):
    """(line number, rule, expected verdict, mutations, the SDM's words) per case, from the tree at root."""
    out = []
    for n, line in enumerate((pathlib.Path(root) / "tests/data/check-cases.txt").read_text().splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            rule, want, muts, why = [p.strip() for p in line.split("|", 3)]
            out.append((n, rule, want, muts, why))
    return out


def field_table(ns):
    """Where each field is in struct vmcs12, as `nestscope fields` says: a slot function for mutate()."""
    r = subprocess.run([ns, "fields", "--json"], capture_output=True, text=True, check=True)
    fields = {f["name"]: f for f in json.loads(r.stdout)["fields"]}
    return lambda name: (fields[name]["vmcs12_offset"], WIDTH[fields[name]["width"]])


# vmcs12's header words, which have no VMCS field encoding (struct vmcs12_hdr)
HEADER = {"@revision": 0, "@abort": 4, "@launch_state": 8}
# tokens that are not a VMWRITE: a header word, a check option, a capability line
# (samples/gen/cases.py leaves the same ones out of the harness's cases)
NOT_VMWRITE = ("@", "--", "caps:", "mem64:")


def by_vmwrite(muts):
    """Whether L1 can set the case up with VMWRITEs alone."""
    return not any(m.startswith(NOT_VMWRITE) for m in muts.split())


def mutate(base, muts, slot):
    """The blob with each FIELD=VALUE written into its vmcs12 (which starts at byte
    128) where slot(FIELD) says: (offset in struct vmcs12, size); @revision, @abort,
    @launch_state write vmcs12's header.  Tokens naming a check option
    (--entry=..., caps:...) are left to check()."""
    blob = bytearray(base)
    for m in muts.split():
        name, value = m.split("=", 1)
        if name in HEADER:
            blob[128 + HEADER[name]:128 + HEADER[name] + 4] = int(value, 0).to_bytes(4, "little")
            continue
        if name.startswith(NOT_VMWRITE):
            continue
        off, size = slot(name)
        blob[128 + off:128 + off + size] = int(value, 0).to_bytes(size, "little")
    return bytes(blob)


def options(muts):
    """The check options a case names (--entry=INSN, --l1-efer=VALUE), and its extra capability
    lines (caps:KEY=VALUE; commas in VALUE become spaces: caps:cpuid=0x7,0,0,0x800,0,0)."""
    opts = [m for m in muts.split() if m.startswith("--")]
    caps = [m[len("caps:"):].replace("=", " ", 1).replace(",", " ") for m in muts.split() if m.startswith("caps:")]
    return opts, caps


def pokes(muts):
    """The writes to L1's memory a case names (mem64:GPA=VALUE): (GPA, VALUE) pairs."""
    return [tuple(int(x, 0) for x in m[len("mem64:"):].split("=", 1)) for m in muts.split() if m.startswith("mem64:")]


def profile_caps(ns, blob):
    """The default profile's capability lines, as a caps file would give them."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(blob)
        f.flush()
        r = subprocess.run([ns, "check", "--json", f.name], capture_output=True, text=True)
    rep = json.loads(r.stdout)
    caps = rep["capabilities"]
    return [f"{m['msr']} {m['value']}" for m in caps["msrs"]] + [f"maxphyaddr {caps['maxphyaddr']}"]


def caps_key(line):
    """What a caps line sets: ("cpuid", FUNCTION, INDEX) for a CPUID leaf, else its first word."""
    words = line.split()
    return ("cpuid", int(words[1], 0), int(words[2], 0)) if words[0] == "cpuid" else (words[0],)


def case_caps(muts):
    """The caps lines a case's caps:KEY=VALUE tokens give (options())."""
    return options(muts)[1]


def check(ns, blob, memory=None, muts="", caps=None, opts=()):
    """`nestscope check --json` on a blob: rule id -> result.  In muts, --OPTION=VALUE
    is passed on, caps:KEY=VALUE lines take the place of the lines that set the
    same (a CPUID leaf: the same function and index) in the capabilities, which
    are caps (a list of caps-file lines) or else the default profile's, given as
    a caps file (options()), and mem64:GPA=VALUE writes 8 bytes of L1's memory
    image (a copy) little-endian (pokes()).  opts: more options, before the
    case's own."""
    case_opts, extra = options(muts)
    opts = list(opts) + case_opts
    writes = pokes(muts)
    with tempfile.NamedTemporaryFile(suffix=".bin") as f, tempfile.NamedTemporaryFile("w", suffix=".caps") as c, \
            tempfile.NamedTemporaryFile(suffix=".img") as m:
        f.write(blob)
        f.flush()
        if writes:
            image = bytearray(pathlib.Path(memory).read_bytes())
            for gpa, value in writes:
                image[gpa:gpa + 8] = value.to_bytes(8, "little")
            m.write(image)
            m.flush()
            memory = m.name
        if extra or caps is not None:
            named = {caps_key(e) for e in extra}
            lines = [x for x in (profile_caps(ns, blob) if caps is None else caps) if caps_key(x) not in named]
            c.write("\n".join(lines + extra) + "\n")
            c.flush()
            opts += ["--caps", c.name]
        r = subprocess.run([ns, "check", "--json", f.name] + (["-m", memory] if memory else []) + opts,
                           capture_output=True, text=True)
    if r.returncode not in (0, 3):
        raise RuntimeError(r.stderr)
    return {x["id"]: x for x in json.loads(r.stdout)["results"]}

"""The per-rule check cases (tests/data/check-cases.txt), shared by the rule
tests and the differential comparison: parsing, building each case's vmcs12
from the real base blob, and running `nestscope check` on it."""
import json
import pathlib
import subprocess
import tempfile

WIDTH = {"16": 2, "32": 4, "64": 8, "natural": 8}


def load():
    """(line number, rule, expected verdict, mutations, the SDM's words) per case."""
    out = []
    for n, line in enumerate(pathlib.Path("tests/data/check-cases.txt").read_text().splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            rule, want, muts, why = [p.strip() for p in line.split("|", 3)]
            out.append((n, rule, want, muts, why))
    return out


def field_table(ns):
    r = subprocess.run([ns, "fields", "--json"], capture_output=True, text=True, check=True)
    return {f["name"]: f for f in json.loads(r.stdout)["fields"]}


def mutate(base, muts, fields):
    """The blob with each FIELD=VALUE written into its vmcs12 (which starts at byte 128)."""
    blob = bytearray(base)
    for m in muts.split():
        name, value = m.split("=")
        f = fields[name]
        off = 128 + f["vmcs12_offset"]
        blob[off:off + WIDTH[f["width"]]] = int(value, 0).to_bytes(WIDTH[f["width"]], "little")
    return bytes(blob)


def check(ns, blob, memory=None):
    """`nestscope check --json` on a blob: rule id -> result."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(blob)
        f.flush()
        r = subprocess.run([ns, "check", "--json", f.name] + (["-m", memory] if memory else []),
                           capture_output=True, text=True)
    if r.returncode not in (0, 3):
        raise RuntimeError(r.stderr)
    return {x["id"]: x for x in json.loads(r.stdout)["results"]}

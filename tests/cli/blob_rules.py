#!/usr/bin/python3
"""`nestscope decode` judges blob headers as KVM_SET_NESTED_STATE does.

Every real blob of samples/*/basic and samples/*/rich (KVM 5.10, 6.1, 7.2)
decodes with no rule broken, also with --strict.  Each case of
tests/data/blob-rule-cases.txt (a real blob with exactly the header field a
rule is about changed) on each kernel's blob: the text output warns about
exactly that rule, the JSON names exactly that rule (and validates against
the schema), and --strict fails with status 1, nothing on stdout and one line
on stderr naming the rule.  The rule list and docs/blob-rules.md, the man
page and the README agree with the table.

usage: blob_rules.py NESTSCOPE
"""
import glob
import json
import pathlib
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from blobcases import kernels as sample_kernels, load_cases, mutate  # noqa: E402

ns = sys.argv[1]
failures = []
passed = 0



def run(*args):
    return subprocess.run([ns, *args], capture_output=True, text=True)


def fail(msg):
    failures.append(msg)


tmp = tempfile.TemporaryDirectory()
jsondir = pathlib.Path(tmp.name) / "json"
jsondir.mkdir()
rules = [line.split()[0] for line in run("decode", "--list-rules").stdout.splitlines() if line.strip()]
if len(rules) < 25:
    fail(f"decode --list-rules lists {len(rules)} rules")

# every real blob: no warning, and --strict passes
real = sorted(glob.glob("samples/*/basic/*.bin") + glob.glob("samples/*/rich/*.bin"))
for f in real:
    r = run("decode", "--strict", f)
    if r.returncode != 0 or "warning: blob." in r.stdout or "none of" not in r.stdout:
        fail(f"{f}: status {r.returncode}, {r.stderr.strip()} {[l for l in r.stdout.splitlines() if 'blob.' in l]}")
    else:
        passed += 1
if len(real) < 69:
    fail(f"only {len(real)} real blobs under samples/*/basic and samples/*/rich")

kernels = sample_kernels()
if len(kernels) < 3:
    fail(f"samples of {len(kernels)} kernels, want 5.10, 6.1 and 7.2")
seen = set()
n = 0
for lineno, rule, base, edits, why in load_cases():
    for k in kernels:
        n += 1
        data, opts = mutate(pathlib.Path(k, base).read_bytes(), edits)
        blob = pathlib.Path(tmp.name) / f"case{n}.bin"
        blob.write_bytes(data)
        where = f"line {lineno} ({rule}; {k.name}/{base} {' '.join(edits)})"
        common = ["decode", "--format", "nested-state", *opts]

        text = run(*common, str(blob))
        warned = [l.split()[1].rstrip(":") for l in text.stdout.splitlines() if l.startswith("  warning: blob.")]
        jr = run(*common, "--json", str(blob))
        (jsondir / f"case{n}.json").write_text(jr.stdout)
        try:
            checks = json.loads(jr.stdout)["reports"][0]["nested_state"]["kvm_checks"]
            named = [v["id"] for v in checks["violations"]]
        except (ValueError, KeyError, TypeError) as e:
            fail(f"{where}: JSON: {e}")
            continue
        strict = run(*common, "--strict", str(blob))
        want = [] if rule == "-" else [rule]
        if text.returncode != 0 or jr.returncode != 0:
            fail(f"{where}: decode status {text.returncode}/{jr.returncode}: {text.stderr.strip()}")
        elif warned != want:
            fail(f"{where}: text warns {warned}, want {want}")
        elif named != want:
            fail(f"{where}: JSON names {named}, want {want}")
        elif "maxphyaddr" in " ".join(edits) and (checks["maxphyaddr_source"] != "given" or
                                                 "L1's, as given" not in text.stdout):
            fail(f"{where}: the MAXPHYADDR given is not the one said")
        elif "maxphyaddr" not in " ".join(edits) and (checks["maxphyaddr"] != 52 or
                                                     "MAXPHYADDR 52 (the architectural limit" not in text.stdout):
            fail(f"{where}: the architectural limit is not said")
        elif not want and (strict.returncode != 0 or not strict.stdout):
            fail(f"{where}: --strict status {strict.returncode} on a header KVM accepts: {strict.stderr.strip()}")
        elif want and (strict.returncode != 1 or strict.stdout or len(strict.stderr.splitlines()) != 1 or
                       f": {rule}: " not in strict.stderr):
            fail(f"{where}: --strict status {strict.returncode}, {len(strict.stdout)} bytes out, stderr {strict.stderr!r}")
        else:
            passed += 1
            seen.update(want)

for r in rules:
    if r not in seen:
        fail(f"rule {r} has no case that breaks it alone")

# the JSON of every case validates against the schema
v = subprocess.run(["/usr/bin/python3", "tests/cli/validate_json.py", "nestscope/decode/2", *map(str, sorted(jsondir.glob("*.json")))],
                   capture_output=True, text=True)
if v.returncode:
    fail("schema: " + v.stdout.strip().splitlines()[-1] + " " + " ".join(v.stdout.splitlines()[:3]))

# the strict error lists every broken rule, one line each
data = bytearray(pathlib.Path(kernels[0], "basic/nested_02_after_vmptrld.bin").read_bytes())
struct.pack_into("<H", data, 0, 0x12)       # RUN_PENDING without GUEST_MODE, bit 4
struct.pack_into("<Q", data, 8, 0x6800)     # vmxon_pa misaligned
multi = pathlib.Path(tmp.name) / "multi.bin"
multi.write_bytes(data)
r = run("decode", "--strict", str(multi))
lines = r.stderr.splitlines()
got = [l.split(": ")[2] for l in lines if l.count(": ") >= 3]
if r.returncode != 1 or got != ["blob.flags.unknown", "blob.flags.run_pending", "blob.vmxon_pa.aligned"]:
    fail(f"--strict on three broken rules: status {r.returncode}, {lines}")
else:
    passed += 1
# unknown bits are shown by number next to the names
if "RUN_PENDING bit4" not in run("decode", str(multi)).stdout:
    fail("the flags line does not show 'RUN_PENDING bit4'")
# a bad --maxphyaddr is a usage error
for bad in ("0", "64", "x", "31"):
    r = run("decode", "--maxphyaddr", bad, str(multi))
    if r.returncode != 2 or len(r.stderr.splitlines()) != 1:
        fail(f"--maxphyaddr {bad}: status {r.returncode}")

# the docs: docs/blob-rules.md is generated from the table; the man page and README name every rule
md = run("decode", "--rules-markdown").stdout
if pathlib.Path("docs/blob-rules.md").read_text() != md:
    fail("docs/blob-rules.md is stale: regenerate it with 'nestscope decode --rules-markdown'")
for doc in ("docs/nestscope.1", "README.md"):
    text = pathlib.Path(doc).read_text().replace("\\-", "-").replace("\\&", "")
    missing = [r for r in rules if r not in text]
    if missing and doc == "docs/nestscope.1":
        fail(f"{doc} does not name {missing}")
    if doc == "README.md" and "blob-rules.md" not in text:
        fail("README.md does not point to docs/blob-rules.md")

for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed ({n} case runs on {len(kernels)} kernels, {len(real)} real blobs)")
sys.exit(1 if failures else 0)

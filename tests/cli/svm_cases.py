#!/usr/bin/python3
"""samples/gen/svm/cases.py, which turns the SVM check cases into the
harness's vmcb12 writes: the absolute offsets and sizes it finds in
vmcb_fields.def are the APM's (vol. 2, appendix B: table B-1, the control
area; table B-2, the state save area at 400h, here as absolute offsets),
C integer values are read as C reads them, caps:/-- tokens are skipped, and
bad input gives one error line and a non-zero status.
"""
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "samples" / "gen" / "svm" / "cases.py"
DEF = ROOT / "decoders" / "include" / "nestscope" / "vmcb_fields.def"
# (field, APM absolute offset, size): typed from the APM's tables, not from vmcb_fields.def
APM = [("INTERCEPT_WORD4", 0x010, 4), ("IOPM_BASE_PA", 0x040, 8), ("ASID", 0x058, 4), ("TLB_CTL", 0x05c, 1),
       ("EVENT_INJ", 0x0a8, 4), ("NESTED_CR3", 0x0b0, 8), ("ES_SELECTOR", 0x400, 2), ("CS_ATTRIB", 0x412, 2),
       ("CS_LIMIT", 0x414, 4), ("TR_BASE", 0x498, 8), ("CPL", 0x4cb, 1), ("EFER", 0x4d0, 8), ("CR4", 0x548, 8),
       ("CR0", 0x558, 8), ("DR6", 0x568, 8), ("RIP", 0x578, 8), ("RAX", 0x5f8, 8), ("G_PAT", 0x668, 8)]
failed = 0


def run(text):
    with tempfile.TemporaryDirectory() as d:
        src, out = pathlib.Path(d, "c.txt"), pathlib.Path(d, "o.txt")
        src.write_text(text)
        p = subprocess.run([sys.executable, str(SCRIPT), str(src), str(DEF), str(out)], capture_output=True, text=True)
        lines = [ln for ln in out.read_text().splitlines() if not ln.startswith("#")] if out.exists() else None
        return p.returncode, p.stderr, lines


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    failed += not ok


text = "".join(f"r | pass | {name}=1 | w\n" for name, _, _ in APM)
rc, err, lines = run(text)
check(rc == 0 and len(lines) == len(APM), f"{len(APM)} one-field cases convert ({err.strip()})")
for (name, off, size), line in zip(APM, lines or []):
    check(line == f"{off:x} {size:x} 1", f"{name}: at {off:#x}, {size} bytes (got {line!r})")
rc, err, lines = run("r | fail | ASID=010 TLB_CTL=1u caps:cpuid=0x1 --entry=vmrun EFER=0x1500ULL | w\n"
                     "r | pass | | the base\n")
check(rc == 0 and lines == ["58 4 8 5c 1 1 4d0 8 1500", ""],
      f"C integers (010 octal, suffixes), caps:/-- skipped, an empty case kept ({lines})")
for bad, why in (("NOPE=1", "an unknown field"), ("ASID=0x1zz", "a value that is no C integer"),
                 ("TLB_CTL=0x100", "a value wider than the field"), ("INSN_BYTES=1", "a 15-byte field")):
    rc, err, lines = run(f"r | fail | {bad} | w\n")
    check(rc != 0 and len(err.strip().splitlines()) == 1 and err.startswith("cases.py: "),
          f"{why}: one error line, status {rc} ({err.strip()})")
rc, err, _ = run("r | perhaps | ASID=1 | w\n")
check(rc != 0 and err.startswith("cases.py: "), f"a verdict other than pass/fail is refused ({err.strip()})")
rc, err, _ = run("r | fail | " + " ".join(f"ASID={i}" for i in range(16)) + " | w\n")
check(rc != 0 and "at most" in err, f"more writes than the harness's case holds are refused ({err.strip()})")
print(f"{len(APM) + 8 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)

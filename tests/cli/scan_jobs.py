"""nestscope scan with its pages read by several threads (--jobs) finds what one thread finds, in the same order.

1. A sparse raw image of 40 GiB that this test writes: 5000 copies of the real vmcs12 page of the 6.1 sample's L1
   image (guest-physical 0x7000, where the generator's manifest says L1 put its vmcs12) at page frames drawn from
   a seeded generator.  Expected, from what was written and scan's documented limit of 4096 regions: exactly
   the 4096 lowest of those frames, all vmcs12, and "truncated": true, for 1, 2, 3 and 16 threads.  The copies
   cluster in a few places so that threads skip holes, race for chunks and overflow their parts' limits.
2. The bundled kdumps (5.10, 6.1, 7.2 and the many-VMs one, whose pairing pass reads vmcs02/vmcs01 pointers):
   the JSON of 2, 3 and 16 threads is the JSON of one, and a kdump on standard input (spooled, then read by
   every thread through one descriptor) gives the same regions.  What one thread finds is checked against
   crash and the manifests by tests/integration/scan_samples.py.

usage: scan_jobs.py NESTSCOPE
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import sparseimg

NS = sys.argv[1]
PAGE = 4096
L1 = "samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz"
MANIFEST = "samples/6.1.0-56-amd64/rich/manifest-harness.json"
KDUMPS = ["samples/5.10.0-46-amd64/dump/vmcore.kdump", "samples/6.1.0-56-amd64/dump/vmcore.kdump",
          "samples/7.2.13+deb14-amd64/dump/vmcore.kdump", "samples/many-vms/6.1.0-56-amd64/dump/vmcore.kdump"]
MAX_HITS = 4096  # NS_SCAN_MAX_HITS, documented in scan.h
failures = 0
checks = 0


def check(ok, what):
    global failures, checks
    checks += 1
    if not ok:
        failures += 1
    print(("ok   " if ok else "FAIL ") + what)


def scan(path, jobs, stdin=None):
    r = subprocess.run([NS, "scan", "--json", "--jobs", str(jobs), path], stdin=stdin, capture_output=True,
                       timeout=600)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace").strip()
    return json.loads(r.stdout), ""


with open(MANIFEST) as f:
    vmcs12_pa = int(json.load(f)["addresses"]["vmcs12_pa"], 16)
with gzip.open(L1) as f:
    f.seek(vmcs12_pa)
    vmcs12_page = f.read(PAGE)

with tempfile.TemporaryDirectory() as tmp:
    img = os.path.join(tmp, "sparse.img")
    frames = sparseimg.write(img, vmcs12_page)
    want = [hex(p * PAGE) for p in sorted(frames)[:MAX_HITS]]
    for jobs in (1, 2, 3, 16):
        doc, err = scan(img, jobs)
        if doc is None:
            check(False, f"sparse image, {jobs} thread(s): {err}")
            continue
        got = [r["physical"] for r in doc["regions"]]
        kinds = {r["kind"] for r in doc["regions"]}
        check(got == want and kinds == {"vmcs12"} and doc["truncated"] is True,
              f"sparse 40 GiB image, {len(frames)} vmcs12 pages written, {jobs} thread(s): the {MAX_HITS} lowest "
              f"({len(got)} vmcs12 regions, first {got[:1]}, last {got[-1:]}, truncated {doc['truncated']})")

for dump in KDUMPS:
    if not os.path.exists(dump):
        check(False, f"{dump}: missing")
        continue
    one, err = scan(dump, 1)
    if one is None:
        check(False, f"{dump}, 1 thread: {err}")
        continue
    paired = sum(1 for r in one["regions"] if r.get("role"))
    for jobs in (2, 3, 16):
        doc, err = scan(dump, jobs)
        check(doc == one, f"{dump}, {jobs} threads: the JSON of one thread ({len(one['regions'])} regions, "
              f"{paired} paired hardware VMCSs)"
              + (f": {err}" if err else ""))
    with open(dump, "rb") as f:
        doc, err = scan("-", 2, stdin=f)
    check(doc is not None and doc["regions"] == one["regions"],
          f"{dump} on standard input, 2 threads: the regions of the file" + (f": {err}" if err else ""))

print(f"{checks - failures} of {checks} checks passed")
sys.exit(1 if failures else 0)

"""Hostile dump inputs to triage, scan and decode: every one must end with no signal, in bounded time, and, where
the input is bad, with exit status 1 and exactly one line on stderr naming the cause.  The expected causes come
from how each file was made here (where it was cut, which field was changed), never from nestscope's own output.

usage: hostile_dumps.py NESTSCOPE [--sample N]
  --sample N  flip every Nth header byte only (the sanitizer build, where each run costs more)

The inputs, all made in a temporary directory from the bundled real 6.1 kdump:
  - the kdump cut at 13 points (header, sub-header, notes, bitmaps, page descriptors, page data);
  - an ELF core made from the same dump (its pages inflated here with zlib, its ELF notes copied), cut at 12 points;
  - every byte of the kdump's disk_dump_header and kdump_sub_header flipped, every byte of the ELF core's ELF
    header and program headers flipped, every byte of a nested-state blob's 128-byte header flipped;
  - ELF cores of AArch64, RISC-V, big-endian s390x and 32-bit Arm, a kdump of an aarch64 machine, a shared library;
    an i386 ELF32 core (QEMU writes those) is scanned;
  - gzip cut and corrupt; a FIFO, a pipe and a file on standard input, /dev/null and /dev/zero, a directory,
    a stream over the spool bound;
  - a 10 GiB sparse raw image (with 1 MiB of data in its middle) and a gzip bomb (1 GiB of zeros in 4 gzip
    members of 256 MiB, 1 MB: a ratio of 1000, kept to 1 GiB for time on a loaded machine; bench/memory_vs_cat.sh
    inflates 4 GiB): maximum resident set under 100 MB, from /usr/bin/time.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import kdumpelf

NS = sys.argv[1]
SAMPLE = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else 1
DUMP = "samples/6.1.0-56-amd64/dump/vmcore.kdump"
BLOB = "samples/6.1.0-56-amd64/basic/nested_05_l1_exit_1_reason_18.bin"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
TIMEOUT = 120 if SAMPLE == 1 else 300
MAX_RSS_KB = 100 * 1024
PAGE = 4096

passed = failed = 0
counts = {}


LOCK = threading.Lock()


def result(ok, what, detail=""):
    global passed, failed
    with LOCK:
        _result(ok, what, detail)


def _result(ok, what, detail):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}: {detail}")


def run(args, stdin=None, env=None, timed=False):
    """(exit status, stderr text, seconds, max RSS in KB or None); status 'timeout' past TIMEOUT."""
    cmd = [NS] + args
    rssfile = None
    if timed:
        rssfile = tempfile.mktemp(dir=T)
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rssfile] + cmd
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=stdin if stdin is not None else subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return "timeout", "", TIMEOUT, None
    secs = time.monotonic() - t0
    err = p.stderr.decode("utf-8", "replace")
    rc = p.returncode
    rss = None
    if timed:
        # /usr/bin/time reports a signal as "Command terminated by signal N" and exit status 128+N
        text = open(rssfile).read().strip().splitlines()
        rss = int(text[-1]) if text and text[-1].isdigit() else None
        if text and text[0].startswith("Command terminated by signal"):
            rc = 128 + int(text[0].split()[-1])
    return rc, err, secs, rss


def bad(what, args, expect, **kw):
    """A bad input: exit status 1, one stderr line, containing each string of expect."""
    rc, err, secs, _ = run(args, **kw)
    lines = err.splitlines()
    ok = rc == 1 and len(lines) == 1 and all(e in err for e in expect)
    result(ok, what, f"status {rc}, {len(lines)} stderr lines, want {expect!r}: {err.strip()[:300]}")
    return ok


def survives(what, args, **kw):
    """Any outcome but a crash: no signal, no timeout, status 0, 1 or 3, one stderr line when it fails."""
    rc, err, secs, _ = run(args, **kw)
    lines = err.splitlines()
    ok = rc in (0, 1, 3) and (rc != 1 or len(lines) == 1)
    result(ok, what, f"status {rc}, {len(lines)} stderr lines: {err.strip()[:300]}")
    with LOCK:
        counts[rc] = counts.get(rc, 0) + 1
    return rc


def good(what, args, statuses=(0, 3), **kw):
    rc, err, secs, _ = run(args, **kw)
    result(rc in statuses, what, f"status {rc}: {err.strip()[:300]}")


T = tempfile.mkdtemp(prefix="nestscope-hostile-")
START = time.monotonic()


def phase(text):
    print(f"[{time.monotonic() - START:6.1f} s] {text}", flush=True)


try:
    kd = open(DUMP, "rb").read()
    ksize = len(kd)

    # ---- the kdump's layout, read here (kdumpelf.py: makedumpfile's headers, x86-64) ----
    kdump = kdumpelf.Kdump(kd)

    # ---- the kdump cut short ----
    cuts = kdump.cuts()
    cut = os.path.join(T, "cut.kdump")
    for n in cuts:
        with open(cut, "wb") as f:
            f.write(kd[:n])
        want = [f"cut at byte {n} of " + (str(ksize) if n >= kdump.desc_end else "")]
        for cmd in ("triage", "scan"):
            bad(f"kdump cut at byte {n} ({cmd})", [cmd, cut], want)
    phase(f"kdump cut at {len(cuts)} points, triage and scan")

    # ---- an ELF core of the same memory: one PT_NOTE (the kdump's notes), a PT_LOAD per run of pages ----
    elf = os.path.join(T, "core.elf")
    core = kdumpelf.ElfCore(kdump, elf)
    ph_end, esize, nph = core.ph_end, core.size, core.nph
    good("the ELF core made from the kdump (triage)", ["triage", elf])
    good("the ELF core made from the kdump (scan)", ["scan", elf], (0,))

    ecuts = core.cuts()
    ecut = os.path.join(T, "cut.elf")
    shutil.copyfile(elf, ecut)
    for n in sorted(ecuts, reverse=True):
        os.truncate(ecut, n)
        want = [f"cut at byte {n} of " + (str(esize) if n >= ph_end else "")]
        for cmd in ("triage", "scan"):
            bad(f"ELF core cut at byte {n} ({cmd})", [cmd, ecut], want)
    phase(f"ELF core cut at {len(ecuts)} points, triage and scan")

    # ---- single bytes flipped: each header byte of the kdump and the ELF core, the blob's header ----
    def flips(path, offsets, label, scan_every, workers=2):
        """Flips each byte at offsets (every SAMPLEth) in place, runs triage (and scan on every scan_every-th), restores
        it; two workers, each on its own copy."""
        todo = [o for i, o in enumerate(offsets) if i % SAMPLE == 0]

        def work(k):
            copy = f"{path}.{k}"
            shutil.copyfile(path, copy)
            with open(copy, "r+b") as f:
                for i in range(k, len(todo), workers):
                    o = todo[i]
                    f.seek(o)
                    orig = f.read(1)
                    f.seek(o)
                    f.write(bytes([orig[0] ^ 0xff]))
                    f.flush()
                    survives(f"{label} byte {o} flipped (triage)", ["triage", copy])
                    if i % scan_every == 0:
                        survives(f"{label} byte {o} flipped (scan)", ["scan", copy])
                    f.seek(o)
                    f.write(orig)
                    f.flush()
            os.unlink(copy)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(todo)

    kflip = os.path.join(T, "flip.kdump")
    shutil.copyfile(DUMP, kflip)
    n = flips(kflip, list(range(0, 464)) + list(range(PAGE, PAGE + 104)), "kdump", 16)
    phase(f"kdump: {n} header bytes flipped (disk_dump_header, kdump_sub_header), triage each, scan every 16th")
    n = flips(elf, list(range(ph_end)), "ELF core", 16)
    phase(f"ELF core: {n} header bytes flipped (ELF header, {nph} program headers), triage each, scan every 16th")
    blob = open(BLOB, "rb").read()
    bflip = os.path.join(T, "flip.bin")
    nb = 0
    for o in range(0, 128, SAMPLE):
        b = bytearray(blob)
        b[o] ^= 0xff
        open(bflip, "wb").write(b)
        survives(f"blob byte {o} flipped (decode)", ["decode", bflip])
        nb += 1
    phase(f"nested-state blob: {nb} header bytes flipped, decode each")

    # ---- foreign files ----
    def elf_file(name, machine, cls, data):
        p = os.path.join(T, name)
        open(p, "wb").write(kdumpelf.elf_core_header(machine, cls, data) + os.urandom(PAGE))
        return p

    refusal = {"aarch64.core": "an AArch64 core", "riscv.core": "a RISC-V core",
               "s390x.core": "a big-endian s390x core", "arm.core": "an Arm core"}
    for name, machine, cls, data in kdumpelf.FOREIGN_CORES:
        p = elf_file(name, machine, cls, data)
        for cmd in ("triage", "scan"):
            bad(f"{name} ({cmd})", [cmd, p], [f"{refusal[name]}: nestscope reads x86-64 dumps"])
    # QEMU writes an i386 ELF32 core of an x86 guest outside long mode: its physical memory is scanned
    good("an i386 ELF32 core, as QEMU writes one (scan)", ["scan", elf_file(*kdumpelf.I386_CORE)], (0,))
    open(os.path.join(T, "aarch64.kdump"), "wb").write(kdumpelf.kdump_of_machine(kd, "aarch64"))
    bad("a kdump of an aarch64 machine", ["triage", os.path.join(T, "aarch64.kdump")],
        ["an AArch64 kdump: nestscope reads x86-64 dumps"])
    if os.path.exists(LIBC):
        for cmd in ("triage", "scan"):
            bad(f"a shared library ({cmd})", [cmd, LIBC], ["not a core file"])

    # ---- gzip: cut, corrupt ----
    img = open("samples/6.1.0-56-amd64/basic/l1-memory-after_vmclear.img.gz", "rb").read()
    gz = os.path.join(T, "cut.gz")
    for n in (10, 100, len(img) // 2, len(img) - 8, len(img) - 1):
        open(gz, "wb").write(img[:n])
        bad(f"gzip cut at byte {n}", ["scan", gz], [f"gzip data cut at byte {n}", "truncated"])
    crc = bytearray(img)
    crc[-6] ^= 0xff  # the CRC-32 in the trailer
    open(gz, "wb").write(crc)
    bad("gzip with a wrong CRC", ["scan", gz], ["corrupt gzip data", "incorrect data check"])

    # ---- not regular files ----
    for dev in ("/dev/null", "/dev/zero"):
        for cmd in ("triage", "scan", "decode"):
            bad(f"{dev} ({cmd})", [cmd, dev], ["is a character device"])
    bad("a directory", ["scan", T], ["is a directory"])
    with open("/dev/zero", "rb") as z:
        bad("/dev/zero on standard input", ["scan", "-"], ["standard input is a character device"], stdin=z)
    with open(DUMP, "rb") as f:
        good("the kdump as a file on standard input (triage)", ["triage", "-"], stdin=f)
    fifo = os.path.join(T, "fifo")
    for cmd, statuses in (("triage", (0, 3)), ("scan", (0,))):
        os.mkfifo(fifo)
        writer = threading.Thread(target=lambda: open(fifo, "wb").write(kd), daemon=True)
        writer.start()
        good(f"the kdump through a FIFO ({cmd})", [cmd, fifo], statuses)
        writer.join(TIMEOUT)
        os.unlink(fifo)
    # the writers' pipe ends are closed here once nestscope has them: a reader that stops early ends the writer
    cat = subprocess.Popen(["cat", DUMP], stdout=subprocess.PIPE)
    good("the kdump through a pipe (scan -)", ["scan", "-"], (0,), stdin=cat.stdout)
    cat.stdout.close()
    cat.wait(TIMEOUT)
    rnd = subprocess.Popen(["head", "-c", "3145728", "/dev/urandom"], stdout=subprocess.PIPE)
    bad("a pipe over NESTSCOPE_SPOOL_MAX", ["scan", "-"], ["more than 1048576 bytes from a stream"],
        stdin=rnd.stdout, env=dict(os.environ, NESTSCOPE_SPOOL_MAX="1M"))
    rnd.stdout.close()
    rnd.wait(TIMEOUT)

    # ---- memory follows the work: a 10 GiB sparse image, a gzip bomb ----
    sparse = os.path.join(T, "sparse.img")
    with open(sparse, "wb") as f:
        f.truncate(10 << 30)
        f.seek(5 << 30)
        f.write(os.urandom(1 << 20))
    for cmd, status in (("scan", 0), ("triage", 1)):
        rc, err, secs, rss = run([cmd, sparse], timed=True)
        ok = rc == status and rss is not None and rss < MAX_RSS_KB and (status == 0 or len(err.splitlines()) == 1)
        result(ok, f"10 GiB sparse image ({cmd})", f"status {rc}, {rss} KB, {secs:.1f} s: {err.strip()[:200]}")
        print(f"10 GiB sparse image ({cmd}): status {rc}, max RSS {rss} KB, {secs:.1f} s")
    os.unlink(sparse)
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    zpart = b"".join(member.compress(chunk) for _ in range(256)) + member.flush()
    bomb = os.path.join(T, "bomb.gz")
    with open(bomb, "wb") as f:
        for _ in range(4):
            f.write(zpart)
    rc, err, secs, rss = run(["scan", bomb], timed=True)
    result(rc == 0 and rss is not None and rss < MAX_RSS_KB, "gzip bomb (1 GiB of zeros)",
           f"status {rc}, {rss} KB, {secs:.1f} s: {err.strip()[:200]}")
    print(f"gzip bomb, {os.path.getsize(bomb)} bytes inflating to 1 GiB (scan): status {rc}, max RSS {rss} KB, "
          f"{secs:.1f} s")
    bad("gzip bomb over NESTSCOPE_SPOOL_MAX", ["scan", bomb], ["inflates to more than 268435456 bytes"],
        env=dict(os.environ, NESTSCOPE_SPOOL_MAX="256M"))
finally:
    shutil.rmtree(T, ignore_errors=True)

print(f"flipped-byte outcomes by exit status: {dict(sorted(counts.items()))}")
print(f"hostile_dumps: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

"""What the integration tests share: one ok/FAIL line per check and the
summary that sets the exit status, the sample kernels' debuginfo, the
debuggers to run (crash, its extension, gdb: from the environment, default
the machine's own), and the JSON documents a debugger session printed."""
import functools
import inspect
import json
import os
import pathlib
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import typing

GEN = pathlib.Path(__file__).resolve().parent.parent.parent / "samples" / "gen"
# the basic exit reason every sample VM stopped at (L2's OUT to the harness port): SDM Vol. 3, Appendix C
EXIT_REASON_IO_INSTRUCTION = 30
# the state triage/2 and kvm/2 give a vCPU of each manifest VMX state (its level, and whether L1 has a current VMCS)
VMX_STATE = {("L2", True): "l2",
             ("L1", True): "l1_vmcs12",
             ("L1", False): "l1_no_vmcs",
             ("no VMX", False): "l1_no_vmx"}
# vmcs12's controls by catalog name, and the manifests' names for them
MANIFEST_CONTROLS = {"PIN_BASED_VM_EXEC_CONTROL": "pin", "CPU_BASED_VM_EXEC_CONTROL": "proc",
                     "SECONDARY_VM_EXEC_CONTROL": "proc2", "VM_EXIT_CONTROLS": "exit", "VM_ENTRY_CONTROLS": "entry"}


def hexint(s):
    """A JSON number or a "0x..." string (nestscope's and the manifests' way of writing an address) as an int."""
    return int(s, 16) if isinstance(s, str) else s


def crash_command():
    """The argv that starts crash: NESTSCOPE_CRASH (a command line, e.g. "sh samples/gen/sidroot.sh run crash"
    for sid's crash 9), else the machine's crash.  tests/integration/passes.py sets it for each crash."""
    return shlex.split(os.environ.get("NESTSCOPE_CRASH", "")) or ["crash"]


def crash_extension(build):
    """The extension built for that crash: NESTSCOPE_CRASH_EXT, else BUILD/nestscope.so (built against the
    machine's crash's defs.h; sid's crash 9 needs BUILD/crash9/nestscope.so)."""
    return os.environ.get("NESTSCOPE_CRASH_EXT") or str(pathlib.Path(build) / "nestscope.so")


def gdb_package(build):
    """The gdb package's script, with NESTSCOPE_LIB set to BUILD's libnestscope.so for the gdb runs (the
    package refuses a library of another ABI version: the one this build made)."""
    os.environ["NESTSCOPE_LIB"] = str((pathlib.Path(build) / "libnestscope.so").resolve())
    return GEN.parent.parent / "plugin" / "gdb" / "nestscope-gdb.py"


def gdb_command():
    """The argv that starts gdb: NESTSCOPE_GDB (e.g. "sh samples/gen/sidroot.sh run gdb"), else the machine's."""
    return shlex.split(os.environ.get("NESTSCOPE_GDB", "")) or ["gdb"]


def repeat_pass():
    """True in a pass passes.py runs after the first, for another crash and gdb: a suite may leave out the checks
    that run no debugger (the CLI's), which the first pass made."""
    return os.environ.get("NESTSCOPE_REPEAT") == "1"


def _version(argv, name):
    """The version a debugger's --version names after its name ("crash 9.0.2", "GNU gdb (Debian 18.1-3) 18.1")."""
    r = subprocess.run(argv + ["--version"], capture_output=True, text=True)
    first = next((line.split() for line in r.stdout.splitlines() if line.strip()), [])
    if name == "crash":
        return first[1] if first[:1] == ["crash"] and len(first) > 1 else "0"
    return first[-1] if first[:1] == ["GNU"] else "0"


@functools.lru_cache(maxsize=None)
def crash_version():
    """The release of the crash crash_command() starts, e.g. "8.0.2" ("0" if it does not answer)."""
    return _version(crash_command(), "crash")


@functools.lru_cache(maxsize=None)
def gdb_version():
    """The release of the gdb gdb_command() starts, e.g. "13.1"."""
    return _version(gdb_command(), "gdb")


class Checks:
    """check(ok, what) prints one line; finish() prints the count and exits (0 only if all passed)."""

    def __init__(self):
        self.passed, self.failures = 0, []

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failures.append(what)
            print(f"FAIL {what}")

    def finish(self):
        print(f"{self.passed} passed, {len(self.failures)} failed")
        sys.exit(1 if self.failures or not self.passed else 0)


def debuginfo(kver, cache):
    """(vmlinux, modules directory) of a sample kernel's debuginfo package, fetched into cache; None if gone."""
    r = subprocess.run([str(GEN / "debian-kernel.sh"), "fetch-dbg", kver, str(pathlib.Path(cache) / kver)],
                       capture_output=True, text=True)
    if r.returncode:
        return None
    info = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    return info["vmlinux"], info["modules"]


class SampleDump(typing.NamedTuple):
    """A bundled dump (samples/KVER/) with its kernel's debuginfo."""
    kver: str
    manifest_path: pathlib.Path  # samples/KVER/manifest.json; the VMs' own manifests are beside it
    manifest: dict
    dump: pathlib.Path
    vmlinux: str
    modules: str


def sample_dumps(root, cache, kernels=None, skip=None, gone="skipped", missing=None):
    """Each bundled dump whose kernel's debuginfo can be fetched into cache, as a SampleDump, in release order.
    kernels: these releases only (default: each root/KVER/manifest.json).  skip(kver) gives a reason to leave a
    kernel out (printed as a note) or None.  A kernel with no manifest, or whose debuginfo is gone, is left out
    with a note ending in `gone`, or, for a suite that needs it, reported by missing(kver) instead."""
    root = pathlib.Path(root)
    for kver in kernels or sorted(mf.parent.name for mf in root.glob("*/manifest.json")):
        why = skip and skip(kver)
        if why:
            print(f"note: {why}")
            continue
        mf = root / kver / "manifest.json"
        found = mf.exists() and debuginfo(kver, cache)
        if not found:
            if missing:
                missing(kver)
            else:
                print(f"note: no {'debuginfo' if mf.exists() else 'manifest'} for {kver} any more; {gone}")
            continue
        man = json.loads(mf.read_text())
        yield SampleDump(kver, mf, man, mf.parent / man["dump"]["file"], *found)


def kernel_version(release):
    """(major, minor) of a kernel release such as 6.1.0-56-amd64 or 7.2.13+deb14-amd64."""
    return tuple(int(x) for x in release.split("-")[0].split("+")[0].split(".")[:2])


# The kernels a crash release cannot read.  crash reads the kernel's own structs while it starts, and stops at
# the first member it cannot find with "crash: invalid structure member offset: MEMBER"; which member is
# measured on the 7.2 sample (docs/compatibility.md), and crash_samples.sh holds each crash to it, so that a
# crash that opens the dump after all (a fixed build) fails there instead of being skipped unseen.
CRASH_LIMITS = (
    # (kernels from, crash releases up to, why, the member crash stops at on the 7.2 sample)
    ((6, 4), (8, 0, 3), "6.4+ needs crash 8.0.4 or later", "kmem_cache_s_num"),
    ((7, 1), (9, 0, 2), "no released crash opens 7.1+ (fixed upstream after 9.0.2)", "module_num_gpl_syms"),
)


def _crash_limit(kver):
    version = crash_version()
    crash_v = tuple(int(x) for x in version.split("-")[0].split(".")[:3] if x.isdigit())
    return next(((why, member) for kernels, upto, why, member in CRASH_LIMITS
                 if kernel_version(kver) >= kernels and crash_v <= upto), None)


def crash_cannot_open(kver):
    """Why the crash the tests run (crash_command()) cannot open a dump of kernel kver, or None when it can."""
    limit = _crash_limit(kver)
    return limit and (f"crash {crash_version()} cannot open Linux {kver}: {limit[0]}; it stops at "
                      f"'invalid structure member offset: {limit[1]}'")


def crash_stop(kver):
    """The error line crash prints when it stops on a dump of kver (crash_cannot_open), or None when it opens it."""
    limit = _crash_limit(kver)
    return limit and f"crash: invalid structure member offset: {limit[1]}"


def json_docs(text):
    """The one-line JSON documents in a session's output.

    Under tests/run.sh (NESTSCOPE_JSON_DIR set) each is also kept there, so that tests/json/validate_all.py checks
    the crash and gdb sessions' documents against their schemas as it does the CLI's."""
    lines = [line for line in text.splitlines() if line.startswith("{")]
    keep = os.environ.get("NESTSCOPE_JSON_DIR")
    if keep and lines:
        fd, path = tempfile.mkstemp(prefix="run.", suffix=".json", dir=keep)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        caller = inspect.stack()[1]
        pathlib.Path(path[:-len(".json")] + ".args").write_text(
            f"(a debugger session in {pathlib.Path(caller.filename).name}:{caller.lineno})\n")
    return [json.loads(line) for line in lines]


def kdump_tool(name, tmpdir):
    """Builds tests/integration/NAME.c, a small tool on libkdumpfile (kdump2raw, gdbcore), in tmpdir; its path."""
    exe = pathlib.Path(tmpdir) / name
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libkdumpfile"], capture_output=True,
                           text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-Wall", "-D_GNU_SOURCE", "-o", str(exe),
                    str(pathlib.Path(__file__).parent / f"{name}.c"), *flags], check=True)
    return str(exe)


def kdump2raw(tmpdir):
    """tests/integration/kdump2raw.c (a dump's physical memory as a raw image), built in tmpdir; its path."""
    return kdump_tool("kdump2raw", tmpdir)


def qmp(sock, cmd, args=None):
    """One QMP command on QEMU's monitor socket; its return value (RuntimeError on an error)."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile("rw")
    json.loads(f.readline())
    for c in ({"execute": "qmp_capabilities"}, {"execute": cmd, **({"arguments": args} if args else {})}):
        f.write(json.dumps(c) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break
    s.close()
    if "error" in r:
        raise RuntimeError(r["error"])
    return r["return"]


def qemu_holding(image, d, *extra):
    """A QEMU (TCG, pc, 64 MiB, stopped before its first instruction) whose RAM holds image from address 0,
    through loader devices around the legacy hole; its QMP socket in d.  Returns (process, socket path)."""
    d = pathlib.Path(d)
    (d / "low.bin").write_bytes(image[:0xa0000])
    (d / "high.bin").write_bytes(image[0x100000:])
    sock = str(d / "qmp.sock")
    qemu = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-m", "64", "-S",
                             "-nographic", "-nodefaults", "-qmp", f"unix:{sock},server=on,wait=off",
                             "-device", f"loader,file={d / 'low.bin'},addr=0,force-raw=on",
                             "-device", f"loader,file={d / 'high.bin'},addr=0x100000,force-raw=on", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if pathlib.Path(sock).exists():
            break
        time.sleep(0.1)
    return qemu, sock


def migrate_to_file(image, d, path, *extra):
    """QEMU holding image (qemu_holding) migrated to the file path with QMP `migrate`; QEMU stopped after."""
    qemu, sock = qemu_holding(image, d, *extra)
    try:
        qmp(sock, "migrate", {"uri": f"exec:cat > {path}"})
        for _ in range(300):
            if qmp(sock, "query-migrate").get("status") in ("completed", "failed"):
                break
            time.sleep(0.1)
    finally:
        qemu.kill()
        qemu.wait()

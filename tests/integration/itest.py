"""What the integration tests share: one ok/FAIL line per check and the
summary that sets the exit status, the sample kernels' debuginfo, and the
JSON documents a debugger session printed."""
import inspect
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

GEN = pathlib.Path(__file__).resolve().parent.parent.parent / "samples" / "gen"


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


def kernel_version(release):
    """(major, minor) of a kernel release such as 6.1.0-56-amd64 or 7.2.13+deb14-amd64."""
    return tuple(int(x) for x in release.split("-")[0].split("+")[0].split(".")[:2])


def crash_cannot_open(kver):
    """Why this machine's crash cannot open a dump of kernel kver, or None when it can.

    crash reads the kernel's own structs while it starts: 8.0.3 and older stop on
    6.4's struct module (mem[] replaced core/init layouts), and every release up
    to 9.0.2 stops on 7.1+ (module_num_gpl_syms; fixed upstream after 9.0.2)."""
    out = subprocess.run(["crash", "--version"], capture_output=True, text=True).stdout
    words = out.split()
    version = words[words.index("crash") + 1] if "crash" in words else "0"
    crash_v = tuple(int(x) for x in version.split("-")[0].split(".")[:3] if x.isdigit())
    k = kernel_version(kver)
    if k >= (6, 4) and crash_v < (8, 0, 4):
        return f"crash {version} cannot open Linux {kver} (6.4+ needs crash 8.0.4)"
    if k >= (7, 1) and crash_v <= (9, 0, 2):
        return f"crash {version} cannot open Linux {kver}: no released crash opens 7.1+"
    return None


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

#!/usr/bin/python3
"""The installed front ends, as a user runs them after `make install` (here into a DESTDIR), on the
bundled 6.1 dump with its kernel's real debuginfo:
  - crash finds the extension by name (`extend nestscope.so`) in CRASH_EXTENSIONS, the install's
    lib/crash/extensions (with PREFIX=/usr that is crash's own /usr/lib/crash/extensions), and its kvm
    command lists the manifest's VMs;
  - gdb auto-loads the gdb package when it reads kvm-intel.ko's debug file, through the link
    nestscope-gdb-autoload makes in an auto-load directory (gdb's is /usr/share/gdb/auto-load), and the
    package's command runs, on the installed libnestscope;
  - the ~/.gdbinit line the README gives (`source PREFIX/share/nestscope/gdb/nestscope-gdb.py`) loads it too.
Only the machine's crash and gdb: the installed extension is the one built against Debian 12's crash.

usage: installed.py BUILD_DIR SAMPLES_DIR CACHE_DIR
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import itest  # noqa: E402

build, root, cache = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]).resolve(), pathlib.Path(sys.argv[3])
repo = pathlib.Path(__file__).resolve().parent.parent.parent
check = itest.Checks()
KVER = "6.1.0-56-amd64"
KO = "kernel/arch/x86/kvm/kvm-intel.ko"


def printers_on_ko(text):
    """`info pretty-printer` lists nestscope under kvm-intel.ko's objfile and not under the global ones."""
    blocks = re.split(r"^(?=\S.*pretty-printers:$)", text, flags=re.M)
    glob = "".join(b for b in blocks if b.startswith("global pretty-printers:"))
    ko = "".join(b for b in blocks if re.match(r"objfile \S*/kvm-intel\.ko pretty-printers:", b))
    return re.search(r"^  nestscope$", ko, re.M) is not None and "nestscope" not in glob


# nothing of the build tree's: the installed package must find the installed library by itself
env = {k: v for k, v in os.environ.items() if k != "NESTSCOPE_LIB"}

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    dest = tmp / "dest"
    r = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={build}", f"DESTDIR={dest}", "install"],
                       cwd=repo, capture_output=True, text=True)
    check(r.returncode == 0, f"make install DESTDIR=... ({r.stderr.strip()[-300:]})")
    prefix = next(line[len("prefix="):] for line in (build / "nestscope.pc").read_text().splitlines()
                  if line.startswith("prefix="))
    inst = pathlib.Path(f"{dest}{prefix}")
    script = inst / "share/nestscope/gdb/nestscope-gdb.py"

    for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(root, cache, kernels=[KVER]):
        # crash: by name, from CRASH_EXTENSIONS; run in an empty directory (crash looks in the current one first)
        cmds = tmp / "crash.in"
        cmds.write_text(f"extend nestscope.so\nmod -S {mods}\nkvm -j\n")
        work = tmp / "cwd"
        work.mkdir()
        r = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump), "-i", str(cmds)], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=600, cwd=work,
                           env=dict(env, CRASH_EXTENSIONS=str(inst / "lib/crash/extensions")))
        ext = inst / "lib/crash/extensions/nestscope.so"
        check(f"{ext}: shared object loaded" in r.stdout,
              f"crash: `extend nestscope.so` loads {prefix}/lib/crash/extensions/nestscope.so through CRASH_EXTENSIONS")
        kvm = next((d for d in itest.json_docs(r.stdout) if d.get("schema") == "nestscope/kvm/2"), None)
        want = sorted(vm["pid"] for vm in man["dump"]["vms"])
        got = sorted(vm.get("pid") for vm in (kvm or {}).get("vms", []))
        check(got == want, f"crash: the installed extension's kvm lists the manifest's VMs (pids {want}; got {got})")

        # gdb: auto-loaded for kvm-intel.ko's debug file
        debug = pathlib.Path(mods).parent.parent.parent  # DEBUG_DIR/lib/modules/RELEASE
        ko = pathlib.Path(mods) / KO
        auto = tmp / "auto-load"
        r = subprocess.run([str(inst / "share/nestscope/gdb/nestscope-gdb-autoload"), str(auto), str(script), str(debug)],
                           capture_output=True, text=True)
        link = pathlib.Path(f"{auto}{ko.resolve()}-gdb.py")
        check(r.returncode == 0 and link.is_symlink(), f"nestscope-gdb-autoload links {KO}-gdb.py for {kver} ({r.stderr.strip()})")
        pyname = "python import nestscope_gdb.libns as l; print('lib:', l.lib._name)"
        r = subprocess.run([*itest.gdb_command(), "-nx", "-batch", "-iex", f"set auto-load scripts-directory {auto}",
                            "-iex", f"set auto-load safe-path {auto}", "-ex", f"add-symbol-file {ko}",
                            "-ex", "info auto-load python-scripts", "-ex", pyname, "-ex", "vmcs12-abi -j",
                            "-ex", "info pretty-printer"],
                           capture_output=True, text=True, timeout=600, env=env)
        loaded = [line for line in r.stdout.splitlines() if line.startswith("Yes") and str(link) in line]
        check(bool(loaded), f"gdb: reading {KO}'s debug file auto-loads the package ({r.stderr.strip()[-200:]})")
        libline = next((line for line in r.stdout.splitlines() if line.startswith("lib: ")), "")
        check(libline.startswith(f"lib: {inst}/lib/"), f"gdb: the package uses the installed libnestscope ({libline})")
        abi = next((d for d in itest.json_docs(r.stdout) if d.get("schema") == "nestscope/abi/2"), None)
        check(abi is not None, "gdb: the auto-loaded vmcs12-abi -j prints its document")
        check(printers_on_ko(r.stdout), f"gdb: the auto-loaded pretty-printers are {KO}'s objfile's, not global")

        # gdb: the ~/.gdbinit line
        gdbinit = tmp / "gdbinit"
        gdbinit.write_text(f"source {script}\n")
        r = subprocess.run([*itest.gdb_command(), "-nx", "-batch", "-x", str(gdbinit), "-ex", pyname, "-ex", "help vmcs12",
                            "-ex", "info pretty-printer", "-ex", "echo @@@ after kvm-intel.ko\\n",
                            "-ex", f"add-symbol-file {ko}", "-ex", "info pretty-printer"],
                           capture_output=True, text=True, timeout=600, env=env)
        libline = next((line for line in r.stdout.splitlines() if line.startswith("lib: ")), "")
        check(libline.startswith(f"lib: {inst}/lib/") and "vmcs12" in r.stdout,
              f"gdb: ~/.gdbinit's `source {prefix}/share/nestscope/gdb/nestscope-gdb.py` loads the package ({libline})")
        before, _, after = r.stdout.partition("@@@ after kvm-intel.ko")
        check(not re.search(r"^  nestscope$", before, re.M) and printers_on_ko(after),
              f"gdb: from ~/.gdbinit, the pretty-printers are registered when {KO} is read, for its objfile")
check.finish()

"""No write path to the target, proved on the built code rather than said:

- the crash extension calls into crash only through a known read-only set of
  its functions (readmem, symbol lookups, type info, module symbol loading,
  registration): no writemem, no command that could write or resume;
- the gdb package reads memory only through inferior.read_memory, never
  write_memory, and gives gdb only these commands: the QEMU gdbstub's
  memory-mode packets (saved and restored), a dcache flush, `set confirm`,
  and add-symbol-file (kvm-symbols);
- the core's target interface (struct ns_target) has a read callback and
  none that writes.
The gdb test on a real QEMU gdbstub adds the dynamic proof: guest memory's
checksum is unchanged after every command.
usage: read_only.py CRASH_EXTENSION
"""
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
import itest  # noqa: E402

check = itest.Checks()
ext = sys.argv[1]
READ_ONLY_CRASH = {"readmem", "symbol_value", "symbol_exists", "datatype_info", "load_module_symbols_helper",
                   "is_module_name", "register_extension", "cmd_usage", "htol", "argcnt", "argerrs", "args", "fp",
                   "pc", "kt", "__error",
                   # addresses the user typed (symbols, expressions) and the current context (set PID)
                   "can_eval", "evall", "task_tgid", "tt"}
nm = subprocess.run(["nm", "-D", "--undefined-only", ext], capture_output=True, text=True, check=True).stdout
# libc's symbols are versioned (name@GLIBC); the sanitizer build adds its runtime's
crash_syms = {line.split()[-1] for line in nm.splitlines()
              if "@" not in line.split()[-1] and not line.split()[-1].startswith(("__asan", "__ubsan", "__sanitizer",
                                                                                 "__lsan"))}
check(crash_syms and crash_syms <= READ_ONLY_CRASH and "writemem" not in crash_syms,
      f"the crash extension uses only crash's read-only functions: {sorted(crash_syms)}"
      + (f"; unexpected: {sorted(crash_syms - READ_ONLY_CRASH)}" if crash_syms - READ_ONLY_CRASH else ""))

allowed = ("maint packet qqemu.PhyMemMode", "maint packet Qqemu.PhyMemMode", "maint flush dcache", "set confirm",
           "add-symbol-file")
bad = []
for py in sorted(pathlib.Path("plugin/gdb").rglob("*.py")):
    src = py.read_text()
    if "write_memory" in src or "write_register" in src:
        bad.append(f"{py}: writes memory or registers")
    for m in re.finditer(r"gdb\.execute\(\s*(f?)\"([^\"]*)\"|gdb\.execute\(\s*(\w+)", src):
        text = m.group(2)
        if text is None:  # a command built elsewhere in the file: what is assigned to that name
            names = re.findall(rf"{m.group(3)}\s*=\s*f?\"([^\"]*)\"", src)
            text = names[0] if len(names) == 1 else f"<{m.group(3)}>"
        if not text.startswith(allowed):
            bad.append(f"{py}: gdb.execute({text!r})")
check(not bad, f"the gdb package reads only and gives gdb only the allowed commands {bad}")

hdr = pathlib.Path("decoders/include/nestscope/locate.h").read_text()
target = hdr[hdr.index("struct ns_target {"):hdr.index("};", hdr.index("struct ns_target {"))]
members = re.findall(r"\(\*(\w+)\)", target)
check(members and "read" in members and not any("write" in m for m in members),
      f"struct ns_target's callbacks: {members}")
hdr = pathlib.Path("decoders/include/nestscope/command.h").read_text()
fe = hdr[hdr.index("struct ns_frontend {"):hdr.index("};", hdr.index("struct ns_frontend {"))]
members = re.findall(r"\(\*(\w+)\)", fe)
check(members and not any("write" in m for m in members), f"struct ns_frontend's callbacks: {members}")
check.finish()

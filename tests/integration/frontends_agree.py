#!/usr/bin/python3
"""crash, gdb and the CLI give the same answer to the same command line.

The three front ends hand their argument vector to the core's one grammar
(decoders/commands.def); this runs every option combination the other tests
use (and the usage errors the grammar gives) through real crash with the
extension, real gdb with the package (the dump rewritten as an ELF core by
gdbcore, as gdb_dump.py does) and `nestscope COMMAND DUMP ...` with the
bundled profile, on each bundled dump, and compares the output byte for
byte.  Error lines are compared without the prefix each front end adds
(crash's "CMD: ", the CLI's "nestscope: ").  A kernel the crash cannot open
(itest.crash_cannot_open: 6.4+ on 8.0.2, 7.1+ on 9.0.2) is left to gdb and the
CLI.  passes.py runs it once per crash and gdb (Debian 12's 8.0.2 and 13.1,
sid's 9.0.x and 18), so that each extension and each gdb is held to the CLI's
output, and through it to each other.  In crash, `set PID` of a VMM then a
command without VCPU must answer for that VM, as the command with PID does.

usage: frontends_agree.py BUILD_DIR SAMPLES_DIR CACHE_DIR
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import itest  # noqa: E402

build, root, cache = (pathlib.Path(p).resolve() for p in sys.argv[1:4])
plugin = itest.gdb_package(build)
check = itest.Checks()
MARK = 0x5EED0000


def command_lines(pid, pid2, vcpu, cached):
    """The option combinations the integration tests use, and the grammar's refusals."""
    v = f"{pid}:0"
    lines = ["kvm", "kvm -v", "kvm -j", "kvm -v -j", "kvm --json -v"]
    for o in ("", "-j", "-A", "-g -x", "-gHc", "-s shadow", "-s cached -j", "-C", "-C -j", "-C -A", "-D",
              "-D -j", "-D -A", "-F -c"):
        lines.append(f"vmcs12 {o} {v}".replace("  ", " "))
    lines += [f"vmcs12 {pid}", f"vmcs12 -j {pid2}", f"vmcs12 {vcpu:x}", f"vmcs12 0x{vcpu:x} -x",
              f"vmcs12 -r {cached:x}", f"vmcs12 -r 0x{cached:x} -j", "vmcs12 -a -c", "vmcs12 -a -j",
              f"vmcs12 -s memory {v}", f"vmcs02 {v}", f"vmcs02 -j {v}", f"vmcs01 {v}", f"vmcs01 -j {v}",
              f"vmcs02 {pid2}",
              # refusals and missing vCPUs: one error line, the same in all three
              "vmcs12", "vmcs12 9999:0", "vmcs12 9999", "vmcs12 -C -D", f"vmcs12 -a {v}", "vmcs12 -q",
              f"vmcs12 -s bogus {v}", "kvm -a", "vmcs12 -r", f"vmcs12 -C -s shadow {v}", f"vmcs12 {v} {v}",
              "vmcs12 -r 0x100000000000", "vmcs12-abi extra"]
    return lines


def normalize_error(cmd, text):
    """An error line without the front end's own prefix."""
    text = text.strip()
    for prefix in ("nestscope: ", f"{cmd}: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def cli(dump, line):
    words = line.split()
    r = subprocess.run([str(build / "nestscope"), words[0], str(dump), *words[1:]], capture_output=True, text=True)
    return r.stdout, normalize_error(words[0], r.stderr) if r.returncode else ""


GDB_DRIVER = r'''
import json, gdb
results = []
for line in json.load(open(LINES)):
    try:
        results.append([gdb.execute(line, to_string=True), ""])
    except gdb.error as e:
        results.append(["", str(e)])
json.dump(results, open(OUT, "w"))
'''


def gdb_session(vmlinux, mods, core, lines, tmp):
    (tmp / "lines.json").write_text(json.dumps(lines))
    (tmp / "driver.py").write_text(f"LINES = {str(tmp / 'lines.json')!r}\nOUT = {str(tmp / 'gdb.json')!r}\n" +
                                   GDB_DRIVER)
    subprocess.run([*itest.gdb_command(), "-nx", "-batch", "-ex", "set pagination off", "-ex", "set width 0",
                    "-ex", f"file {vmlinux}", "-ex", f"core-file {core}", "-ex", f"source {plugin}",
                    "-ex", f"kvm-symbols {mods}", "-ex", f"source {tmp / 'driver.py'}"],
                   capture_output=True, text=True, timeout=900)
    got = json.loads((tmp / "gdb.json").read_text())
    return [(out, normalize_error(line.split()[0], err)) for line, (out, err) in zip(lines, got)]


def crash_session(vmlinux, mods, dump, lines):
    """One crash session; each command after an eval whose value marks where its output starts."""
    script = f"extend {itest.crash_extension(build)}\nmod -S {mods}\n" + "".join(
        f"eval 0x{MARK + i:x}\n{line}\n" for i, line in enumerate(lines)) + f"eval 0x{MARK + len(lines):x}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".in") as f:
        f.write(script)
        f.flush()
        with open(f.name) as stdin:
            r = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump)], stdin=stdin, capture_output=True,
                               text=True, timeout=900)
    # (eval may add a size, "(1518MB)", after a round value)
    parts = re.split(r"hexadecimal: 5eed([0-9a-f]{4})[^\n]*\n(?: *\w+: [0-9a-f]+ *\n){3}", r.stdout)
    found = {int(parts[k], 16): parts[k + 1] for k in range(1, len(parts) - 1, 2)}
    results = []
    for i, line in enumerate(lines):
        text = found.get(i, "(no output: the session stopped)\n")
        cmd = line.split()[0]
        # crash's error(INFO) line: "CMD: message"
        if text.count("\n") == 1 and text.startswith(f"{cmd}: "):
            results.append(("", normalize_error(cmd, text)))
        else:
            results.append((text, ""))
    return results


tmp = pathlib.Path(tempfile.mkdtemp())
gdbcore = itest.kdump_tool("gdbcore", tmp)
for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(root, cache):
    pids = [vm["pid"] for vm in man["dump"]["vms"]]
    kvm = json.loads(subprocess.run([str(build / "nestscope"), "kvm", str(dump), "-v", "-j"], capture_output=True,
                                    text=True).stdout)
    c = next(x for x in kvm["vms"] if x["pid"] == pids[0])["vcpus"][0]
    lines = command_lines(pids[0], pids[-1], int(c["vcpu_vmx"], 16), int(c["cached_vmcs12"], 16))
    want = [cli(dump, line) for line in lines]
    check(all(not err for (out, err), line in zip(want, lines) if line.startswith("kvm -v")),
          f"{kver}: the CLI answers {len(lines)} command lines on the dump")
    # a JSON output is one document, nothing else: vmcs02 -j, vmcs01 -j and vmcs12 -a -j (a report per vCPU) included
    single = [(line, out) for (out, err), line in zip(want, lines)
              if not err and re.search(r" (-j|--json)\b", line)]
    bad = [line for line, out in single if len(out.splitlines()) != 1 or not out.startswith("{")]
    check(single and not bad, f"{kver}: each of the {len(single)} -j command lines prints one JSON document "
                              f"(not: {bad})")
    core = tmp / f"{kver}.core"
    subprocess.run([gdbcore, str(dump), str(core)], check=True, stdout=subprocess.DEVNULL)
    sessions = [("gdb", gdb_session(vmlinux, mods, core, lines, tmp))]
    why = itest.crash_cannot_open(kver)
    if why:
        print(f"note: {why}: gdb and the CLI serve it")
    else:
        # crash's current context: after `set PID` of a VMM, no operand means that VM's vCPU
        ctx = [x for pid in pids for x in (f"set {pid}", "vmcs12 -x")]
        got = crash_session(vmlinux, mods, dump, lines + ctx)
        sessions.append(("crash", got[:len(lines)]))
        tried = [(pid, got[len(lines) + 2 * k + 1]) for k, pid in enumerate(pids)
                 if f"PID: {pid}\n" in got[len(lines) + 2 * k][0]]
        if tried:
            check(all(out == cli(dump, f"vmcs12 -x {pid}") for pid, out in tried),
                  f"{kver}: crash's vmcs12 without VCPU after set PID is that VM's vCPU, as 'vmcs12 -x PID' "
                  f"(pids crash has a task for: {[pid for pid, _ in tried]})")
        else:
            print(f"note: {kver}: crash has no task of any VMM (only the dumping CPU's is sure to be there)")
    for name, got in sessions:
        differ = [line for line, a, b in zip(lines, got, want) if a != b]
        check(not differ, f"{kver}: {name} and the CLI give the same output for {len(lines) - len(differ)} of "
                          f"{len(lines)} command lines")
        for line in differ[:3]:
            i = lines.index(line)
            print(f"  {line!r}\n    {name}: {got[i][0][:300]!r} {got[i][1]!r}\n    cli: {want[i][0][:300]!r} "
                  f"{want[i][1]!r}")
    core.unlink()

subprocess.run(["rm", "-rf", str(tmp)])
check.finish()

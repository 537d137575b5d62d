#!/usr/bin/python3
"""Golden outputs: a fixed list of command lines run with the programs of one
tree (its CLI, crash extension and gdb package) on every bundled sample, each
command's stdout, stderr and exit status stored in one file.  A refactoring
aid, not a test: see tests/golden/README.md.  run.sh drives it.

usage: golden.py run ROOT BUILD OUTDIR WORK [--jobs N] [--only REGEX]
       golden.py list [--only REGEX]      the command lines, one per output file
       golden.py inputs                   make the derived inputs (inputs.py) only

The command lines come from the test suite (tests/cli, tests/integration),
README.md and docs/nestscope.1; where each group comes from is said at its
builder below.  Samples, profiles and test data are read from the tree this
file is in (SRC), run from SRC (so sample paths print as samples/...); the
programs are ROOT's.  Derived inputs (inputs.py) are made once into the
golden cache.
"""
import concurrent.futures
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE.parent.parent
sys.path.insert(0, str(HERE))
import inputs as I  # noqa: E402

KERNELS, MANY, DUMPS = I.KERNELS, I.MANY, I.DUMPS
CRASH_KERNELS = ("5.10.0-46-amd64", "6.1.0-56-amd64")  # crash 8.0.2 cannot open 6.4+ (tests/integration/itest.py)
CRASH_DUMPS = ("5.10.0-46-amd64", "6.1.0-56-amd64", MANY)
CACHE = pathlib.Path(os.environ.get("NESTSCOPE_CACHE") or
                     pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "nestscope")
INPUTS = pathlib.Path(os.environ.get("GOLDEN_INPUTS") or CACHE / "golden" / "inputs")

# Addresses in the bundled dumps (kvm -v -j on them): the first VM's vCPU and its VMCS copies, for the
# commands that take an address.  Kernel direct-map addresses; physical = address - 0xffff888000000000.
ADDR = {
    "5.10.0-46-amd64": dict(pid=97, vcpu=0xffff88801fcf8000, vmcs12=0xffff8880054b3000, shadow=0xffff8880054b2000,
                            vmcs01=0xffff88801fcf3000, vmcs02=0xffff888005529000),
    "6.1.0-56-amd64": dict(pid=110, vcpu=0xffff888005ed2380, vmcs12=0xffff88801fb7d000, shadow=0xffff88801fb7c000,
                           vmcs01=0xffff88801fcbb000, vmcs02=0xffff88801fe77000),
    "7.2.13+deb14-amd64": dict(pid=130, vcpu=0xffff88800642a440, vmcs12=0xffff8880064f3000, shadow=0xffff8880064f7000,
                               vmcs01=0xffff888005d22000, vmcs02=0xffff888005d35000),
    # pid 239 vCPU 3: L1 in VMX operation with a current vmcs12 (vmcs02 left by L2's last run)
    MANY: dict(pid=239, vcpu=0xffff888006c90000, vmcs12=0xffff888006c0b000, shadow=0xffff888006c0e000,
               vmcs01=0xffff888006ccc000, vmcs02=0xffff888006d10000),
}


def pa(va):
    return va - I.DIRECT_MAP


def tag(sample):
    return sample.replace("/", "-")


def manifest(sample):
    return json.loads((SRC / "samples" / sample / "manifest.json").read_text())


def harness(k, cfg):
    return json.loads((SRC / "samples" / k / cfg / "manifest-harness.json").read_text())


def pids(sample):
    """The dump's VMs in the manifest's order: [(pid, [vCPU indices])]."""
    vms = manifest(sample)["dump"]["vms"]
    return [(vm["pid"], [v["index"] for v in vm["vcpus"]] if "vcpus" in vm else [0]) for vm in vms]


def blobs(k, cfg):
    return sorted((SRC / "samples" / k / cfg).glob("nested_*.bin"))


def rel(p):
    """A sample path as the commands name it (they run in SRC)."""
    return str(pathlib.Path(p).relative_to(SRC))


def dbg(k):
    """(vmlinux, modules dir, debuginfo root) of kernel k's -dbg package in the cache, or None."""
    root = CACHE / k / "dbg"
    v = root / "usr/lib/debug/boot" / f"vmlinux-{k}"
    m = root / "usr/lib/debug/lib/modules" / k
    if not v.exists():
        # as the integration tests do: fetch it (cached in ~/.cache/nestscope/KVER/dbg)
        r = subprocess.run(["sh", str(SRC / "samples/gen/debian-kernel.sh"), "fetch-dbg", k, str(CACHE / k)],
                           capture_output=True, text=True)
        if r.returncode or not v.exists():
            return None
    return v, m, root


# ---------------------------------------------------------------------------------------------------------------
# what a job is: one CLI command, a sequence of CLI commands with setup (flips, damaged images), or a debugger
# session of several commands (crash, gdb), each command of which gets its own output file

class Cli:
    """One nestscope command line.  args may hold pathlib.Path objects (inputs); stdin is None (/dev/null),
    ("file", P), ("pipe", P) (cat P |) or ("fifo", P) (P written into a FIFO given as the last argument)."""

    def __init__(self, name, args, stdin=None, env=None, timeout=120, files=(), needs=()):
        self.name, self.args, self.stdin, self.env, self.timeout = name, [str(a) for a in args], stdin, env or {}, timeout
        self.files = [pathlib.Path(f) for f in files]  # written by the command: shown after its output
        self.needs = [pathlib.Path(n) for n in needs] + [a for a in args if isinstance(a, pathlib.Path) and a not in self.files]

    def line(self):
        s = "$ " + " ".join(f"{k}={v}" for k, v in self.env.items()) + (" " if self.env else "")
        s += "nestscope " + shlex.join(self.args)
        if self.stdin:
            how, p = self.stdin
            s += {"file": f" < {p}", "pipe": f"   (stdin: cat {p} |)", "fifo": f"   (FIFO written from {p})"}[how]
        return s


class Job:
    weight = 1

    def commands(self):
        return []


class CliJob(Job):
    def __init__(self, cmd, weight=1):
        self.cmd, self.weight = cmd, weight

    def commands(self):
        return [(self.cmd.name, self.cmd.line())]

    def run(self, ctx):
        run_cli(ctx, self.cmd)


class SeqJob(Job):
    """CLI commands run in order by one worker; steps are (callable or None, Cli): the callable runs first."""

    def __init__(self, steps, setup=None, cleanup=None, weight=10):
        self.steps, self.setup, self.cleanup, self.weight = steps, setup, cleanup, weight

    def commands(self):
        return [(c.name, c.line()) for _f, c in self.steps]

    def run(self, ctx):
        try:
            if self.setup:
                self.setup(ctx)
            for f, c in self.steps:
                if f:
                    f(ctx)
                run_cli(ctx, c)
        finally:
            if self.cleanup:
                self.cleanup(ctx)


class Session(Job):
    """A crash or gdb session: setup, then each command between markers on stdout and stderr."""

    def __init__(self, kind, name, cmds, dump=None, core=None, k=None, mods=True, pre=(), weight=50,
                 timeout=1200, before=None, after=None, argv=None):
        self.kind, self.name, self.cmds, self.dump, self.core, self.k = kind, name, cmds, dump, core, k
        self.mods, self.pre, self.weight, self.timeout = mods, list(pre), weight, timeout
        self.before, self.after, self.argv = before, after, argv

    def prompt(self):
        return "crash> " if self.kind == "crash" else "(gdb) "

    def commands(self):
        return [(f"{self.name}/{f}", self.prompt() + c) for f, c in self.cmds]

    def run(self, ctx):
        run_session(ctx, self)


# ---------------------------------------------------------------------------------------------------------------
# running

def communicate(p, data, timeout):
    """Feeds data to p (started in its own session) and waits for it, killing its process group after timeout
    seconds: (stdout, stderr, the status line the output file records, whether it timed out)."""
    try:
        out, err = p.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return out, err, f"timeout: killed after {timeout} s", True
    status = f"exit status: {p.returncode}" if p.returncode >= 0 else f"killed by signal {-p.returncode}"
    return out, err, status, False


def env_for(ctx, extra=None):
    """A fixed environment: nothing of the caller's leaks in (layout search path, profiles, locale, pager)."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ctx.work / "home"), "TMPDIR": str(ctx.work / "tmp"),
         "LC_ALL": "C", "LANG": "C", "TERM": "dumb", "NESTSCOPE_LIB": str(ctx.build / "libnestscope.so")}
    e.update(extra or {})
    return e


def body(data):
    if not data:
        return b""
    return data if data.endswith(b"\n") else data + b"\n\\ no newline at end\n"


def write(ctx, name, text_head, sections):
    p = ctx.out / name
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "wb") as f:
        f.write(text_head.encode())
        for title, data in sections:
            f.write(f"--- {title}\n".encode())
            f.write(body(data))


def missing(ctx, cmd_or_needs):
    return [str(n) for n in cmd_or_needs if not n.exists()]


def run_cli(ctx, c):
    t0 = time.monotonic()
    gone = missing(ctx, c.needs)
    if gone:
        write(ctx, c.name, c.line() + "\n" + f"not run: input missing: {' '.join(gone)}\n", [])
        ctx.note_notrun(c.name, f"input missing: {' '.join(gone)}")
        return
    argv = [str(ctx.build / "nestscope")] + c.args
    stdin, feeder, fifo = subprocess.DEVNULL, None, None
    if c.stdin:
        how, path = c.stdin
        path = SRC / path  # relative: a sample
        if how == "file":
            stdin = open(path, "rb")
        elif how == "pipe":
            feeder = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
            stdin = feeder.stdout
        elif how == "fifo":
            fifo = ctx.work / "fifo" / c.name.replace("/", "_") / "fifo"  # a fixed path: it is printed
            fifo.parent.mkdir(parents=True, exist_ok=True)
            os.mkfifo(fifo)
            argv = argv + [str(fifo)]

            def feed():
                try:
                    with open(fifo, "wb") as w, open(path, "rb") as r:
                        shutil.copyfileobj(r, w)
                except OSError:
                    pass
            threading.Thread(target=feed, daemon=True).start()
    try:
        p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=SRC,
                             env=env_for(ctx, c.env), start_new_session=True)
        if feeder:
            feeder.stdout.close()
        out, err, status, timed_out = communicate(p, None, c.timeout)
        if timed_out:
            ctx.note_notrun(c.name, f"timed out after {c.timeout} s")
    finally:
        if c.stdin and c.stdin[0] == "file":
            stdin.close()
        if feeder:
            feeder.kill()
            feeder.wait()
        if fifo:
            # a reader that never opened the FIFO leaves the writer blocked: open it to let it finish
            try:
                fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                os.close(fd)
            except OSError:
                pass
            shutil.rmtree(fifo.parent, ignore_errors=True)
    sections = [("stdout", out), ("stderr", err)]
    for f in c.files:
        f = pathlib.Path(f)
        sections.append((f"file {f}", f.read_bytes() if f.exists() else b"(not written)\n"))
        if f.exists():
            f.unlink()
    write(ctx, c.name, c.line() + "\n" + status + "\n", sections)
    ctx.timed(c.name, time.monotonic() - t0)


MARK = re.compile(rb"^@@GOLDEN (\d+|END)@@$")


def split_marked(data, n):
    """Output before the first marker, per command, after the END marker."""
    parts, cur, pre, post = [[] for _ in range(n)], None, [], []
    for line in data.splitlines(keepends=True):
        m = MARK.match(line.rstrip(b"\n"))
        if m:
            cur = "END" if m.group(1) == b"END" else int(m.group(1))
            continue
        (pre if cur is None else post if cur == "END" else parts[cur]).append(line)
    return b"".join(pre), [b"".join(p) for p in parts], b"".join(post), cur


def run_session(ctx, s):
    t0 = time.monotonic()
    n = len(s.cmds)
    base = f"{s.name}/_session"
    need = [SRC / x for x in (s.dump, s.core) if x]
    info = dbg(I.DUMPS.get(s.k, s.k)) if s.k else None
    why = ", ".join(missing(ctx, need))
    if s.k and info is None:
        why = f"no debuginfo for {s.k} in {CACHE}/{s.k}/dbg (samples/gen/debian-kernel.sh fetch-dbg could not get it)"
    if why:
        for f, c in s.cmds:
            write(ctx, f"{s.name}/{f}", s.prompt() + c + "\n" + f"not run: {why}\n", [])
        write(ctx, base, f"session not run: {why}\n", [])
        ctx.note_notrun(s.name, why + f" ({n} commands)")
        return
    vmlinux, mods, _root = info if info else (None, None, None)
    if s.before:
        s.before(ctx, s)
    try:
        if s.kind == "crash":
            setup = ["set scroll off", f"extend {ctx.build / 'nestscope.so'}"] + \
                    ([f"mod -S {mods}"] if s.mods else []) + s.pre
            lines = list(setup)
            for i, (_f, c) in enumerate(s.cmds):
                lines += [f"echo @@GOLDEN {i}@@", f"!echo @@GOLDEN {i}@@ >&2", c.replace("@MODS@", str(mods))]
            lines += ["echo @@GOLDEN END@@", "!echo @@GOLDEN END@@ >&2", "q"]
            argv = ["crash", "-s", str(vmlinux), str(s.dump)]
            stdin_text = "".join(x + "\n" for x in lines)
            shown = "$ crash -s VMLINUX " + str(s.dump) + " < the commands below\n" + stdin_text
        else:
            argv = ["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set height 0",
                    "-ex", "set confirm off"]
            if s.argv is not None:
                argv += s.argv(ctx, s, vmlinux)
            else:
                argv += ["-ex", f"file {vmlinux}", "-ex", f"core-file {s.core}"]
            argv += ["-ex", f"source {ctx.root / 'plugin/gdb/nestscope-gdb.py'}"]
            for x in s.pre:
                argv += ["-ex", x.replace("@MODS@", str(mods))]
            for i, (_f, c) in enumerate(s.cmds):
                mk = f"@@GOLDEN {i}@@\\n"
                argv += ["-ex", f'python gdb.write("{mk}", gdb.STDOUT); gdb.write("{mk}", gdb.STDERR); '
                                'gdb.flush(gdb.STDOUT); gdb.flush(gdb.STDERR)', "-ex", c.replace("@MODS@", str(mods))]
            mk = "@@GOLDEN END@@\\n"
            argv += ["-ex", f'python gdb.write("{mk}", gdb.STDOUT); gdb.write("{mk}", gdb.STDERR)']
            stdin_text = None
            shown = "$ " + shlex.join(argv).replace(str(vmlinux), "VMLINUX") + "\n"
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=SRC, env=env_for(ctx),
                             start_new_session=True)
        out, err, status, timed_out = communicate(p, stdin_text.encode() if stdin_text is not None else None,
                                                  s.timeout)
        if timed_out:
            ctx.note_notrun(s.name, f"session timed out after {s.timeout} s")
    finally:
        if s.after:
            s.after(ctx, s)
    opre, oparts, opost, olast = split_marked(out, n)
    epre, eparts, epost, _ = split_marked(err, n)
    for i, (f, c) in enumerate(s.cmds):
        write(ctx, f"{s.name}/{f}", s.prompt() + c + "\n" + f"session: {s.name} (exit status in its _session)\n",
              [("stdout", oparts[i]), ("stderr", eparts[i])])
    ended = "all commands ran" if olast == "END" else f"the session ended after command {olast}"
    write(ctx, base, shown + status + "\n" + ended + "\n",
          [("stdout before the first command", opre), ("stdout after the last command", opost),
           ("stderr before the first command", epre), ("stderr after the last command", epost)])
    if olast != "END":
        ctx.note_notrun(s.name, f"session ended early: {ended}, {status}")
    ctx.timed(s.name, time.monotonic() - t0)


class Ctx:
    def __init__(self, root, build, out, work, jobs):
        self.root, self.build, self.out, self.work, self.jobs = root, build, out, work, jobs
        self.lock = threading.Lock()
        self.notrun, self.times = [], {}

    def note_notrun(self, name, why):
        with self.lock:
            self.notrun.append(f"{name}: {why}")

    def timed(self, name, secs):
        with self.lock:
            self.times[name] = secs


# ---------------------------------------------------------------------------------------------------------------
# the command list

def C(name, *args, **kw):
    return CliJob(Cli(name, list(args), **kw), weight=kw.get("timeout", 120) // 60 or 1)


def usage_jobs():
    """The CLI's usage and help texts (cli/*.c), and bad option combinations (tests/cli/*.sh)."""
    j = [C("cli/usage/no-arguments"), C("cli/usage/--help", "--help"), C("cli/usage/help", "help"),
         C("cli/usage/-h", "-h"), C("cli/usage/-V", "-V"), C("cli/usage/--version", "--version"),
         C("cli/usage/unknown-command", "bogus")]
    for c in ("decode", "fields", "explain", "diff", "check", "layout", "triage", "profile", "scan", "capture", "abi"):
        j.append(C(f"cli/usage/{c}--help", c, "--help"))
        j.append(C(f"cli/usage/{c}-no-arguments", c))
        j.append(C(f"cli/usage/{c}--bogus-option", c, "--bogus-option", "x"))
    for c in ("decode", "check", "triage", "scan"):
        j.append(C(f"cli/usage/{c}-two-files", c, "a", "b"))
    j += [C("cli/usage/decode-h", "decode", "-h"), C("cli/usage/fields-two-filters", "fields", "a", "b"),
          C("cli/usage/diff-one-file", "diff", "a"), C("cli/usage/explain-one-word", "explain", "cr0"),
          C("cli/usage/layout-bogus", "layout", "bogus"), C("cli/usage/layout-show-no-revision", "layout", "show"),
          C("cli/usage/profile-file-argument", "profile", "extra"),
          C("cli/usage/profile-vmlinux-without-module", "profile", "--vmlinux", "x"),
          C("cli/usage/profile-module-bad", "profile", "--vmlinux", "x", "--module", "nope"),
          C("cli/usage/triage-vmlinux-without-module", "triage", "--vmlinux", "x", "samples/6.1.0-56-amd64/dump/vmcore.kdump"),
          C("cli/usage/triage-two-type-sources", "triage", "--profile", "a", "--debuginfo", "b",
            "samples/6.1.0-56-amd64/dump/vmcore.kdump"),
          C("cli/usage/scan-jobs-0", "scan", "--jobs", "0", "x"), C("cli/usage/scan-jobs-17", "scan", "--jobs", "17", "x"),
          C("cli/usage/scan-jobs-word", "scan", "--jobs", "many", "x")]
    return j


def docs_jobs():
    """The generated documentation (tests/cli/docs_current.sh, blob_rules.py, check_rules.py) and listings."""
    return [C("cli/docs/check--rules-markdown", "check", "--rules-markdown"),
            C("cli/docs/check--list", "check", "--list"), C("cli/docs/check-l", "check", "-l"),
            C("cli/docs/decode--rules-markdown", "decode", "--rules-markdown"),
            C("cli/docs/decode--list-rules", "decode", "--list-rules"), C("cli/docs/decode-l", "decode", "-l"),
            C("cli/docs/profile--members-markdown", "profile", "--members-markdown"),
            C("cli/docs/explain--list", "explain", "--list"), C("cli/docs/explain--json--list", "explain", "--json", "--list")]


def fields_jobs():
    """nestscope fields (tests/cli/fields.sh, json_schema.sh, docs/nestscope.1)."""
    j = []
    for name, args in (("all", []), ("json", ["--json"]), ("high", ["--high"]), ("json-high", ["--json", "--high"]),
                       ("in-vmcs12", ["--in-vmcs12"]), ("not-in-vmcs12", ["--not-in-vmcs12"]),
                       ("json-not-in-vmcs12", ["--json", "--not-in-vmcs12"]),
                       ("type-control", ["-t", "control"]), ("type-exit-info", ["-t", "exit-info"]),
                       ("type-guest", ["--type", "guest"]), ("type-host", ["-t", "host"]),
                       ("type-bogus", ["-t", "bogus"]), ("json-type-host-in-vmcs12", ["--json", "-t", "host", "--in-vmcs12"]),
                       ("filter-GUEST", ["GUEST"]), ("filter-guest_rip", ["guest_rip"]), ("filter-0x681e", ["0x681e"]),
                       ("filter-0x681f", ["0x681f"]), ("filter-sdm-name", ["interruptibility"]),
                       ("high-0x2010", ["--high", "0x2010"]), ("high-0x2011", ["--high", "0x2011"]),
                       ("json-high-GUEST", ["--json", "--high", "GUEST"]), ("filter-CET", ["SSP"]),
                       ("no-such-field", ["NO_SUCH_FIELD_NAME"]), ("json-no-such-field", ["--json", "NO_SUCH_FIELD_NAME"])):
        j.append(C(f"cli/fields/{name}", "fields", *args))
    return j


EXPLAIN = [  # kind, value, options (README.md, docs/nestscope.1, tests/cli/json_schema.sh, bad_input.sh)
    ("exit-reason", "0x80000021"), ("exit-reason", "30"), ("exit-reason", "0x1e"), ("exit-reason", "0x20000012"),
    ("exit-reason", "0xffff"), ("exit-qual", "0x100048", "--reason", "30"), ("exit-qual", "0x100048"),
    ("exit-qual", "0x1c", "--reason", "28"), ("exit-qual", "0x10", "--reason", "29"), ("exit-qual", "0x181", "-r", "48"),
    ("exit-qual", "0x0", "--reason", "49"), ("exit-qual", "0x0", "--reason", "0", "--intr-info", "0x80000b0e"),
    ("exit-qual", "0x4000", "-r", "0", "-i", "0x80000301"), ("exit-qual", "0x7", "-r", "0", "-i", "0x80000e0e"),
    ("exit-qual", "0x3", "--reason", "33"), ("exit-qual", "0x80", "-r", "44"), ("exit-qual", "0x0", "-r", "18"),
    ("exit-qual", "0x0", "-r", "12"), ("exit-qual", "0x1", "-r", "55"), ("exit-qual", "0x0", "-r", "65535"),
    ("intr-info", "0x80000b0e"), ("intr-info", "0x800000ec"), ("intr-info", "0x80000202"), ("intr-info", "0x0"),
    ("insn-error", "7"), ("insn-error", "28"), ("insn-error", "99"),
    ("pin", "0x16"), ("pin", "0xff"), ("proc", "0x960061fa"), ("proc", "0xffffffff"), ("proc2", "0x4022"),
    ("proc2", "0xffffffff"), ("proc3", "0x1"), ("exit-ctls", "0x336ffb"), ("exit2-ctls", "0x1"),
    ("entry-ctls", "0x93fb"), ("vmfunc", "0x1"), ("exception-bitmap", "0x60042"), ("pfec", "0x7"),
    ("ar", "0xa09b"), ("ar", "0x10000"), ("ar", "0xc093"), ("ar", "0x8b"), ("selector", "0x10"), ("selector", "0x2b"),
    ("cr0", "0x80050033"), ("cr0", "0x80000033"), ("cr4", "0x3726e0"), ("efer", "0xd01"), ("rflags", "0x246"),
    ("dr7", "0x400"), ("pat", "0x7040600070406"), ("debugctl", "0x1"), ("activity", "0"), ("activity", "1"),
    ("activity", "7"), ("interruptibility", "0x3"), ("pending-dbg", "0x4000"), ("eptp", "0x1a05e"),
    ("intr-status", "0x1020"), ("vmx-basic", "0xd8100011e57ed0"), ("vmx-misc", "0x20000165"),
    ("ept-vpid-cap", "0xf0106334041"), ("vmx-vmfunc", "0x1"), ("pinbased-msr", "0x7f00000016"),
    ("procbased-msr", "0xf7f9fffe04006172"), ("procbased2-msr", "0x2037bff00000000"), ("procbased3-msr", "0x1"),
    ("exit-msr", "0x7fffff00036dfb"), ("exit2-msr", "0x1"), ("entry-msr", "0xf3ff000011fb"),
    ("cr0-fixed0", "0x80000021"), ("cr4-fixed0", "0x2000"), ("GUEST_CR0", "0x80000033"), ("GUEST_RIP", "0x10159"),
    ("guest_cs_ar_bytes", "0xa09b"), ("VM_EXIT_REASON", "0x1e"), ("CPU_BASED_VM_EXEC_CONTROL", "0x960061fa"),
    ("nosuchkind", "1"), ("exit-reason", "notanumber"), ("exit-qual", "0x1", "--reason", "bogus"),
    ("exit-qual", "0x1", "--intr-info", "bogus"), ("cr0", "010"), ("cr0", "12"),
]


def explain_jobs():
    j = []
    for kind, value, *opts in EXPLAIN:
        n = "_".join([kind, value] + [o.lstrip("-") for o in opts])
        j.append(C(f"cli/explain/{n}", "explain", kind, value, *opts))
        j.append(C(f"cli/explain/{n}.json", "explain", "--json", kind, value, *opts))
    return j


def decode_jobs():
    """nestscope decode: every real blob in text, JSON, --all, --strict (samples_manifest.py, blob_rules.py,
    json_schema.sh, decode_real_blob.sh), sections, raw vmcs12s, bad input (bad_input.sh), the per-rule header
    cases (tests/data/blob-rule-cases.txt, blob_rules.py), flipped header bytes (hostile_dumps.py)."""
    j = []
    every = [(k, cfg, b) for k in KERNELS for cfg in ("basic", "rich") for b in blobs(k, cfg)]
    every += [("blobs", cfg, b) for cfg in ("basic", "rich") for b in sorted((SRC / "samples/blobs" / cfg).glob("*.bin"))]
    for k, cfg, b in every:
        n = f"cli/decode/{k}/{cfg}/{b.name}"
        for v, args in (("text", []), ("json", ["--json"]), ("all", ["--all"]), ("json-all", ["--json", "--all"]),
                        ("strict", ["--strict"])):
            j.append(C(f"{n}/{v}", "decode", *args, rel(b)))
    for b in ("samples/blobs/basic/nested_l2_guestmode_1.bin", "samples/blobs/rich/nested_l2_guestmode_1.bin",
              "samples/6.1.0-56-amd64/rich/nested_08_l1_exit_3_reason_30.bin"):
        n = "cli/decode/sections/" + b.replace("samples/", "").replace("/", "_")
        for v, args in (("g", ["-g"]), ("H", ["-H"]), ("c", ["-c"]), ("x", ["-x"]), ("g-x", ["-g", "-x"]),
                        ("guest-host", ["--guest", "--host"]), ("controls-exit", ["--controls", "--exit"]),
                        ("json-g-x", ["--json", "-g", "-x"]), ("A-c", ["-A", "-c"]), ("F", ["-F"]),
                        ("format-nested-state", ["-f", "nested-state"]), ("format-auto", ["--format", "auto"]),
                        ("format-vmcs12", ["--format", "vmcs12"]), ("format-bogus", ["--format", "bogus"]),
                        ("maxphyaddr-46-strict", ["--strict", "--maxphyaddr", "46"]),
                        ("maxphyaddr-32", ["-m", "32"]), ("maxphyaddr-52", ["--maxphyaddr", "52"]),
                        ("json-maxphyaddr-36", ["--json", "--maxphyaddr", "36"]),
                        ("at-128-vmcs12-json", None), ("at-128-vmcs12", None)):
            if args is None:
                fmt = ["--json"] if "json" in v else []
                j.append(C(f"{n}/{v}", "decode", *fmt, "-f", "vmcs12", f"{b}@128"))
            else:
                j.append(C(f"{n}/{v}", "decode", *args, b))
    blob = INPUTS / "blob"
    for v, args in (("raw", [blob / "vmcs12.raw"]), ("raw-json", ["--json", blob / "vmcs12.raw"]),
                    ("raw-format-vmcs12", ["--format", "vmcs12", blob / "vmcs12.raw"]),
                    ("raw-format-nested-state", ["--format", "nested-state", blob / "vmcs12.raw"]),
                    ("raw-all", ["-A", blob / "vmcs12.raw"]), ("rich-final-raw-json", ["--json", blob / "rich-final-vmcs12.raw"]),
                    ("svm", [blob / "svm.bin"]), ("svm-json", ["--json", blob / "svm.bin"]),
                    ("findings", [blob / "findings.bin"]), ("findings-json", ["--json", blob / "findings.bin"]),
                    ("findings-json-g-x", ["--json", "-g", "-x", blob / "findings.bin"]),
                    ("findings-strict", ["--strict", blob / "findings.bin"]),
                    ("multi", [blob / "multi.bin"]), ("multi-strict", ["--strict", blob / "multi.bin"]),
                    ("multi-json", ["--json", blob / "multi.bin"])):
        j.append(C(f"cli/decode/derived/{v}", "decode", *args))
    for bad in ("0", "64", "x", "31"):
        j.append(C(f"cli/decode/derived/multi-maxphyaddr-{bad}", "decode", "--maxphyaddr", bad, blob / "multi.bin"))
    for v, args in (("empty", [blob / "empty"]), ("truncated-blob", [blob / "truncated"]),
                    ("size-lies", [blob / "size-lies"]), ("size-absurd", [blob / "size-absurd"]),
                    ("wrong-revision", [blob / "wrong-revision"]),
                    ("wrong-rev-forced-format", ["--format", "vmcs12", blob / "wrong-revision"]),
                    ("wrong-revision-force", ["--force", blob / "wrong-revision"]),
                    ("wrong-revision-force-json", ["--json", "-F", blob / "wrong-revision"]),
                    ("short-vmcs12", ["--format", "vmcs12", blob / "short-vmcs12"]), ("random-bytes", [blob / "random"]),
                    ("random-as-blob", ["--format", "nested-state", blob / "random"]),
                    ("directory", [blob / "a-directory"]), ("missing-file", [str(blob / "does-not-exist")]),
                    ("offset-past-end", [f"{blob / 'vmcs12.raw'}@0x999999"]),
                    ("offset-not-a-number", [f"{blob / 'vmcs12.raw'}@xyz"])):
        j.append(C(f"cli/decode/bad/{v}", "decode", *args, needs=[blob]))
    # the per-rule header cases, on each kernel's real blobs
    for lineno, rule, _base, edits in I.blob_rule_cases(SRC):
        for k in KERNELS:
            f = INPUTS / f"blobrule/L{lineno:03d}/{k}.bin"
            opts = (INPUTS / f"blobrule/L{lineno:03d}/{k}.opts")
            n = f"cli/decode/blob-rule/L{lineno:03d}-{rule}/{k}"
            common = ["decode", "--format", "nested-state"] + blob_opts(edits)
            j.append(C(f"{n}/text", *common, f, needs=[opts]))
            j.append(C(f"{n}/json", *common, "--json", f))
            j.append(C(f"{n}/strict", *common, "--strict", f))
    for o in range(128):
        j.append(C(f"cli/decode/header-byte-flipped/{o:03d}", "decode", blob / f"flip/{o:03d}.bin"))
    return j


def blob_opts(edits):
    return [x for e in edits if e.startswith("maxphyaddr=") for x in ("--maxphyaddr", e.split("=", 1)[1])]


def check_jobs():
    """nestscope check: every real blob (check_rules.py: its launch state judged for the instruction the harness
    ran next), the options, the per-rule cases (tests/data/check-cases.txt: check_rules.py, differential.py)."""
    j = []
    for k in KERNELS:
        for cfg in ("basic", "rich"):
            for b in blobs(k, cfg):
                n = f"cli/check/{k}/{cfg}/{b.name}"
                for v, args in (("text", []), ("json", ["--json"]), ("all", ["-A"]), ("vmlaunch", ["-e", "vmlaunch"]),
                                ("vmresume", ["--entry", "vmresume"]), ("json-all-vmresume", ["-j", "-A", "-e", "vmresume"])):
                    j.append(C(f"{n}/{v}", "check", *args, rel(b)))
            img = INPUTS / f"l1/{k}-{cfg}.img"
            b = next(x for x in blobs(k, cfg) if "after_vmwrites" in x.name)
            for v, args in (("l1-memory", ["-m", img]), ("l1-memory-json-all", ["--json", "-A", "--l1-memory", img]),
                            ("l1-memory-vmlaunch", ["-e", "vmlaunch", "-m", img])):
                j.append(C(f"cli/check/{k}/{cfg}/{b.name}/{v}", "check", *args, rel(b)))
    for cfg in ("basic", "rich"):
        for b in sorted((SRC / "samples/blobs" / cfg).glob("*.bin")):
            for v, args in (("text", []), ("json", ["--json"])):
                j.append(C(f"cli/check/blobs/{cfg}/{b.name}/{v}", "check", *args, rel(b)))
    b = "samples/6.1.0-56-amd64/rich/nested_03_after_vmwrites.bin"
    cc = INPUTS / "checkcase"
    for v, args in (("caps-file", ["--caps", cc / "l1-6.1.caps"]), ("caps-file-json", ["-j", "-c", cc / "l1-6.1.caps"]),
                    ("caps-builtin", ["-c", "kvm-6.1-bochs-skylake-x"]), ("caps-bad-file", ["-c", cc / "bad.caps"]),
                    ("caps-missing", ["-c", str(cc / "no-such.caps")]), ("entry-bogus", ["-e", "vmentry"]),
                    ("l1-memory-missing", ["-m", str(cc / "no-such.img")]), ("l1-memory-directory", ["-m", cc])):
        j.append(C(f"cli/check/options/{v}", "check", *args, b, needs=[cc / "l1-6.1.caps"]))
    j.append(C("cli/check/options/not-a-blob", "check", INPUTS / "blob/random"))
    j.append(C("cli/check/options/raw-vmcs12", "check", INPUTS / "blob/vmcs12.raw"))
    j.append(C("cli/check/options/svm", "check", INPUTS / "blob/svm.bin"))
    l1 = INPUTS / "l1/6.1.0-56-amd64-rich.img"
    for lineno, rule, want, muts in I.check_cases(SRC):
        f = INPUTS / f"checkcase/L{lineno:03d}.bin"
        opts, extra = I.check_options(muts)
        if extra:
            opts += ["--caps", INPUTS / f"checkcase/L{lineno:03d}.caps"]
        n = f"cli/check/rule-case/L{lineno:03d}-{rule}-{want}"
        j.append(C(f"{n}/json", "check", "--json", f, "-m", l1, *opts))
        j.append(C(f"{n}/text", "check", f, "-m", l1, *opts))
    return j


def diff_jobs():
    """nestscope diff (tests/cli/diff.sh): L1's region after VMCLEAR against the blob before it, two snapshots
    across an exit; vmcs12 against vmcs02 and vmcs01 in the dumps' memory (FILE@OFFSET); bad input."""
    j = []
    for k in KERNELS:
        for cfg in ("basic", "rich"):
            steps = harness(k, cfg)["steps"]
            clear = [s for s in steps if s["tag"] == "after_vmclear"][0]
            before = [s for s in steps if s["step"] == clear["step"] - 1][0]
            l2 = [s for s in steps if s["tag"] == "l2_out_1"][0]
            exit1 = [s for s in steps if s["step"] == l2["step"] + 1][0]
            d = f"samples/{k}/{cfg}"
            img = INPUTS / f"l1/{k}-{cfg}.img"
            n = f"cli/diff/{k}/{cfg}"
            j += [C(f"{n}/vmclear-region", "diff", f"{d}/{before['file']}", f"{img}@0x7000", needs=[img]),
                  C(f"{n}/vmclear-region-json", "diff", "-j", f"{d}/{before['file']}", f"{img}@0x7000", needs=[img]),
                  C(f"{n}/l2-to-exit", "diff", f"{d}/{l2['file']}", f"{d}/{exit1['file']}"),
                  C(f"{n}/l2-to-exit-json", "diff", "-j", f"{d}/{l2['file']}", f"{d}/{exit1['file']}"),
                  C(f"{n}/l2-to-exit-all", "diff", "-A", f"{d}/{l2['file']}", f"{d}/{exit1['file']}"),
                  C(f"{n}/vmwrites-to-clear", "diff", f"{d}/{blobs(k, cfg)[3].name}", f"{d}/{clear['file']}"),
                  C(f"{n}/same-blob", "diff", f"{d}/{l2['file']}", f"{d}/{l2['file']}")]
    lay = INPUTS / "layout/bochs-formula-0x2b.layout"
    for sample in DUMPS:
        a = ADDR[sample]
        raw = INPUTS / f"dump/{tag(sample)}.raw"
        r12, r02, r01, rsh = (f"{raw}@{pa(a[x]):#x}" for x in ("vmcs12", "vmcs02", "vmcs01", "shadow"))
        n = f"cli/diff/dump-{tag(sample)}"
        j += [C(f"{n}/vmcs12-vmcs02", "diff", r12, r02, needs=[raw]),
              C(f"{n}/vmcs12-vmcs02-json", "diff", "--json", r12, r02, needs=[raw]),
              C(f"{n}/vmcs12-vmcs02-all", "diff", "-A", r12, r02, needs=[raw]),
              C(f"{n}/vmcs12-vmcs02-l2", "diff", "--l2", r12, r02, needs=[raw]),
              C(f"{n}/vmcs12-vmcs02-l2-json-all", "diff", "--l2", "-j", "-A", r12, r02, needs=[raw]),
              C(f"{n}/vmcs12-vmcs02-layout", "diff", "-L", lay, r12, r02, needs=[raw]),
              C(f"{n}/vmcs02-vmcs01", "diff", r02, r01, needs=[raw]),
              C(f"{n}/vmcs01-vmcs02-json", "diff", "-j", r01, r02, needs=[raw]),
              C(f"{n}/vmcs12-shadow", "diff", r12, rsh, needs=[raw]),
              C(f"{n}/vmcs12-shadow-force", "diff", "-F", r12, rsh, needs=[raw]),
              C(f"{n}/vmcs12-l1-vmcs12", "diff", r12, f"{INPUTS / 'l1' / (I.DUMPS[sample] + '-rich.img')}@0x7000",
                needs=[raw])]
    blob = INPUTS / "blob"
    j += [C("cli/diff/bad/missing-files", "diff", str(blob / "none"), str(blob / "none2"), needs=[blob]),
          C("cli/diff/bad/offset-past-end", "diff", f"{blob / 'vmcs12.raw'}@0x999999999", blob / "vmcs12.raw"),
          C("cli/diff/bad/random", "diff", blob / "random", blob / "vmcs12.raw"),
          C("cli/diff/bad/layout-missing", "diff", "-L", str(blob / "no-such.layout"), blob / "vmcs12.raw", blob / "vmcs12.raw"),
          C("cli/diff/bad/layout-bad", "diff", "-L", INPUTS / "layout/bad-offset.layout", blob / "vmcs12.raw",
            blob / "vmcs12.raw")]
    return j


def layout_jobs():
    """nestscope layout (docs/layout-format.md, README.md)."""
    L = INPUTS / "layout"
    return [C("cli/layout/show-0x2b", "layout", "show", "0x2b"), C("cli/layout/show-43", "layout", "show", "43"),
            C("cli/layout/show-1-evmcs", "layout", "show", "1"), C("cli/layout/show-unknown", "layout", "show", "0x12345"),
            C("cli/layout/show-not-a-number", "layout", "show", "xyz"),
            C("cli/layout/check-formula", "layout", "check", L / "bochs-formula-0x2b.layout"),
            C("cli/layout/check-other", "layout", "check", L / "other-0x1234.layout"),
            C("cli/layout/check-bad-offset", "layout", "check", L / "bad-offset.layout"),
            C("cli/layout/check-bad-syntax", "layout", "check", L / "bad-syntax.layout"),
            C("cli/layout/check-missing", "layout", "check", str(L / "no-such.layout"), needs=[L]),
            C("cli/layout/check-not-a-layout", "layout", "check", INPUTS / "profile/text")]


def triage_jobs():
    """nestscope triage (triage_samples.py, many_vms.py, json_schema.sh, triage_bad_input.sh, hostile_dumps.py,
    damaged_dumps.py, README.md's demo): bundled profile, --profile, --debuginfo, --vmlinux/--module, raw
    images, standard input, bad input."""
    j = []
    lay = INPUTS / "layout/bochs-formula-0x2b.layout"
    for sample, k in DUMPS.items():
        dump = f"samples/{sample}/dump/vmcore.kdump"
        raw = INPUTS / f"dump/{tag(sample)}.raw"
        n = f"cli/triage/{tag(sample)}"
        j += [C(f"{n}/text", "triage", dump), C(f"{n}/json", "triage", "--json", dump),
              C(f"{n}/profile", "triage", "--profile", f"profiles/{k}.json", dump),
              C(f"{n}/profile-json", "triage", "-j", "--profile", f"profiles/{k}.json", dump),
              C(f"{n}/layout", "triage", "-L", lay, dump), C(f"{n}/force", "triage", "--force", dump),
              C(f"{n}/raw", "triage", raw), C(f"{n}/raw-json", "triage", "--json", raw),
              C(f"{n}/stdin", "triage", "-", stdin=("file", dump)),
              C(f"{n}/stdin-pipe-json", "triage", "--json", "-", stdin=("pipe", dump))]
        d = dbg(k)
        if d:
            v, m, root = d
            j += [C(f"{n}/debuginfo", "triage", "--debuginfo", root, dump, timeout=600),
                  C(f"{n}/debuginfo-json", "triage", "--json", "--debuginfo", root, dump, timeout=600),
                  C(f"{n}/vmlinux-module", "triage", "--vmlinux", v, "--module",
                    f"kvm_intel={m}/kernel/arch/x86/kvm/kvm-intel.ko", "--module", f"kvm={m}/kernel/arch/x86/kvm/kvm.ko",
                    dump, timeout=600)]
        else:
            j += [C(f"{n}/debuginfo", "triage", "--debuginfo", CACHE / k / "dbg", dump)]
    dump = "samples/6.1.0-56-amd64/dump/vmcore.kdump"
    P = INPUTS / "profile"
    for v, args in (("guest_rip-moved-profile", ["--profile", P / "6.1-guest_rip-moved.json", dump]),
                    ("guest_rip-moved-profile-json", ["--json", "--profile", P / "6.1-guest_rip-moved.json", dump]),
                    ("other-kernel-profile", ["--profile", P / "other-kernel.json", dump]),
                    ("other-kernel-profile-force", ["--force", "--profile", P / "other-kernel.json", dump]),
                    ("wrong-release-profile", ["--profile", "profiles/5.10.0-46-amd64.json", dump]),
                    ("not-a-dump", [P / "text"]), ("truncated-dump", [P / "truncated.kdump"]),
                    ("dump-cut-after-headers", [P / "headers-only.kdump"]), ("missing-dump", [str(P / "nonexistent")]),
                    ("banner-only-raw", [P / "banner-only.raw"]),
                    ("profile-not-isf", ["--profile", P / "not-isf.json", dump]),
                    ("profile-cut-short", ["--profile", P / "cut.json", dump]),
                    ("profile-nested-200-deep", ["--profile", P / "deep.json", dump]),
                    ("profile-member-outside", ["--profile", P / "outside.json", dump]),
                    ("profile-no-modules", ["--profile", P / "no-modules.json", dump]),
                    ("profile-missing", ["--profile", str(P / "no-such.json"), dump]),
                    ("debuginfo-empty-dir", ["--debuginfo", P / "empty-dir", dump]),
                    ("layout-bad", ["-L", INPUTS / "layout/bad-offset.layout", dump]),
                    ("elf-core", [INPUTS / "hostile/core.elf"]), ("elf-core-json", ["--json", INPUTS / "hostile/core.elf"])):
        j.append(C(f"cli/triage/bad/{v}", "triage", *args, needs=[P]))
    return j


def profile_jobs():
    """nestscope profile (triage_samples.py: byte for byte the bundled one, vmcs12_abi.py, triage_bad_input.sh)."""
    j = []
    for k in KERNELS:
        d = dbg(k)
        n = f"cli/profile/{k}"
        if not d:
            j.append(C(f"{n}/debuginfo", "profile", "--debuginfo", CACHE / k / "dbg"))
            continue
        v, m, root = d
        j += [C(f"{n}/debuginfo-stdout", "profile", "--debuginfo", root, timeout=600),
              C(f"{n}/debuginfo-release", "profile", "--debuginfo", root, "--release", k, timeout=600),
              C(f"{n}/vmlinux-module", "profile", "--vmlinux", v, "--module", f"kvm_intel={m}/kernel/arch/x86/kvm/kvm-intel.ko",
                "--module", f"kvm={m}/kernel/arch/x86/kvm/kvm.ko", timeout=600),
              C(f"{n}/release-unknown", "profile", "--debuginfo", root, "--release", "9.9.9-none", timeout=600)]
    P = INPUTS / "profile"
    j += [C("cli/profile/bad/vmlinux-not-elf", "profile", "--vmlinux", P / "text", "--module", f"kvm_intel={P / 'text'}")]
    return j


def profile_o_jobs(ctx):
    """profile -o FILE: the file written, shown after the command's output (it is written in WORK)."""
    j = []
    for k in KERNELS:
        d = dbg(k)
        if d:
            out = ctx.work / "out" / f"profile-{k}.json"
            j.append(CliJob(Cli(f"cli/profile/{k}/debuginfo-o", ["profile", "--debuginfo", d[2], "-o", out],
                                timeout=600, files=[out]), weight=5))
    out = ctx.work / "out" / "profile-none.json"
    j.append(CliJob(Cli("cli/profile/bad/no-debuginfo", ["profile", "--debuginfo", INPUTS / "profile/empty-dir", "-o", out],
                        files=[out])))
    return j


def abi_jobs():
    """nestscope abi (tests/cli/abi.sh, tests/integration/vmcs12_abi.py, docs/gen-vmcs12-abi.sh)."""
    j = []
    for k in KERNELS:
        n = f"cli/abi/{k}"
        d = dbg(k)
        j += [C(f"{n}/bundled-profile", "abi", "--profile", f"profiles/{k}.json"),
              C(f"{n}/bundled-profile-json", "abi", "--json", "--profile", f"profiles/{k}.json")]
        if d:
            v, m, root = d
            ko = m / "kernel/arch/x86/kvm/kvm-intel.ko"
            j += [C(f"{n}/debuginfo", "abi", "--debuginfo", root, timeout=300),
                  C(f"{n}/debuginfo-json", "abi", "--json", "--debuginfo", root, timeout=300),
                  C(f"{n}/debuginfo-release", "abi", "--debuginfo", root, "--release", k, timeout=300),
                  C(f"{n}/module", "abi", "--module", ko, timeout=300),
                  C(f"{n}/module-json", "abi", "-j", "--module", ko, timeout=300),
                  C(f"{n}/module-named", "abi", "--module", f"kvm_intel={ko}", timeout=300)]
    P = INPUTS / "profile"
    j += [C("cli/abi/pahole-6.1", "abi", "--profile", P / "p61-pahole.json"),
          C("cli/abi/pahole-6.1-json", "abi", "--json", "--profile", P / "p61-pahole.json"),
          C("cli/abi/guest_rip-moved", "abi", "--profile", P / "p61-pahole-moved.json"),
          C("cli/abi/guest_rip-moved-json", "abi", "--json", "--profile", P / "p61-pahole-moved.json"),
          C("cli/abi/no-vmcs12", "abi", "--profile", P / "no-vmcs12.json"),
          C("cli/abi/missing-file", "abi", "--profile", str(P / "nothere.json"), needs=[P]),
          C("cli/abi/kvm-ko-not-kvm-intel", "abi", "--module", "kvm=kvm.ko"),
          C("cli/abi/two-type-sources", "abi", "--profile", P / "p61-pahole.json", "--module", "x.ko"),
          C("cli/abi/stray-argument", "abi", "--profile", P / "p61-pahole.json", "extra"),
          C("cli/abi/release-without-debuginfo", "abi", "--profile", P / "p61-pahole.json", "--release", "6.1.0-56-amd64"),
          C("cli/abi/debuginfo-empty-dir", "abi", "--debuginfo", P / "empty-dir"),
          C("cli/abi/module-not-elf", "abi", "--module", P / "text")]
    return j


def scan_jobs():
    """nestscope scan (scan_samples.py, scan_jobs.py, json_schema.sh, migration_stream.py, hostile_dumps.py)."""
    j = []
    lay = INPUTS / "layout/bochs-formula-0x2b.layout"
    for sample in DUMPS:
        dump = f"samples/{sample}/dump/vmcore.kdump"
        n = f"cli/scan/{tag(sample)}"
        j += [C(f"{n}/text", "scan", dump), C(f"{n}/json", "scan", "--json", dump)]
        for jobs in (1, 2, 3, 16):
            j.append(C(f"{n}/json-jobs-{jobs}", "scan", "--json", "--jobs", str(jobs), dump))
        raw = INPUTS / f"dump/{tag(sample)}.raw"
        j += [C(f"{n}/stdin-jobs-2-json", "scan", "--json", "--jobs", "2", "-", stdin=("file", dump)),
              C(f"{n}/layout", "scan", "-L", lay, dump), C(f"{n}/raw", "scan", raw), C(f"{n}/raw-json", "scan", "-j", raw)]
    for k in KERNELS:
        for cfg in ("basic", "rich"):
            img = f"samples/{k}/{cfg}/l1-memory-after_vmclear.img.gz"
            n = f"cli/scan/{k}/{cfg}-l1-memory"
            j += [C(f"{n}/text", "scan", img), C(f"{n}/json", "scan", "--json", img),
                  C(f"{n}/inflated-json", "scan", "--json", INPUTS / f"l1/{k}-{cfg}.img")]
        ev = INPUTS / f"l1/{k}-rich-evmcs.img"
        j += [C(f"cli/scan/{k}/rich-evmcs/text", "scan", ev), C(f"cli/scan/{k}/rich-evmcs/json", "scan", "--json", ev)]
    big = INPUTS / "sparse/40g-5000-vmcs12.img"
    for jobs in (1, 2, 3, 16):
        j.append(C(f"cli/scan/sparse-40g-5000-vmcs12/json-jobs-{jobs}", "scan", "--json", "--jobs", str(jobs), big,
                   timeout=600))
    j.append(C("cli/scan/sparse-40g-5000-vmcs12/text", "scan", big, timeout=600))
    j.append(C("cli/scan/bad/layout-bad", "scan", "-L", INPUTS / "layout/bad-offset.layout",
               "samples/6.1.0-56-amd64/dump/vmcore.kdump"))
    j.append(C("cli/scan/bad/layout-other", "scan", "--json", "-L", INPUTS / "layout/other-0x1234.layout",
               "samples/6.1.0-56-amd64/dump/vmcore.kdump"))
    return j


def migration_jobs():
    """QEMU migration streams and libvirt save images (migration_stream.py); made once by inputs.py with QEMU."""
    M = INPUTS / "migration"
    return [C("cli/migration/stream-decode", "decode", M / "stream.bin"),
            C("cli/migration/stream-scan-json", "scan", "--json", M / "stream.bin"),
            C("cli/migration/stream-scan", "scan", M / "stream.bin"),
            C("cli/migration/nested-decode", "decode", M / "nested.stream"),
            C("cli/migration/nested-decode-json", "decode", "--json", M / "nested.stream"),
            C("cli/migration/nested-decode-strict", "decode", "--strict", M / "nested.stream"),
            C("cli/migration/nested-decode-g-x", "decode", "-g", "-x", M / "nested.stream"),
            C("cli/migration/nested-scan-json", "scan", "--json", M / "nested.stream"),
            C("cli/migration/saved-decode", "decode", M / "saved.img"),
            C("cli/migration/saved-decode-json", "decode", "--json", M / "saved.img"),
            C("cli/migration/saved-scan-json", "scan", "--json", M / "saved.img"),
            C("cli/migration/compressed-decode", "decode", M / "compressed.img"),
            C("cli/migration/cut-in-half-decode", "decode", M / "cut-in-half.stream"),
            C("cli/migration/no-description-decode", "decode", M / "no-description.stream"),
            C("cli/migration/nested-check", "check", M / "nested.stream")]


def capture_jobs():
    """nestscope capture: usage, and libvirt's error paths through its in-process test driver (no daemon).
    A real domain (tests/integration/capture_libvirt.py) needs a private libvirtd and QEMU: not run here."""
    return [C("cli/capture/no-domain", "capture"), C("cli/capture/two-domains", "capture", "a", "b"),
            C("cli/capture/format-bogus", "capture", "--format", "bogus", "d"),
            C("cli/capture/live-with-format", "capture", "--live", "--format", "elf", "d"),
            C("cli/capture/output-relative", "capture", "-o", "relative.elf", "d"),
            C("cli/capture/test-driver-domain", "capture", "--connect", "test:///default", "test"),
            C("cli/capture/test-driver-json", "capture", "--connect", "test:///default", "--json", "test"),
            C("cli/capture/test-driver-live", "capture", "--connect", "test:///default", "--live", "test"),
            C("cli/capture/test-driver-no-such-domain", "capture", "--connect", "test:///default", "nosuch"),
            C("cli/capture/unreachable-uri", "capture", "--connect", "qemu:///system?socket=/nonexistent/sock", "d")]


def hostile_jobs():
    """hostile_dumps.py: the kdump and an ELF core cut short, foreign files, gzip cut and corrupt, devices,
    standard input, a pipe, a FIFO, the spool bound, a 10 GiB sparse image and a gzip bomb."""
    j = []
    H = INPUTS / "hostile"
    for f in sorted((H / "kdump-cut").glob("*.kdump")) if (H / "kdump-cut").exists() else []:
        for cmd in ("triage", "scan"):
            j.append(C(f"cli/hostile/kdump-cut/{f.stem}-{cmd}", cmd, f))
    j += [C("cli/hostile/elf-core-triage", "triage", H / "core.elf"), C("cli/hostile/elf-core-scan", "scan", H / "core.elf")]
    for f in sorted((H / "elf-cut").glob("*.elf")) if (H / "elf-cut").exists() else []:
        for cmd in ("triage", "scan"):
            j.append(C(f"cli/hostile/elf-cut/{f.stem}-{cmd}", cmd, f))
    for name in ("aarch64.core", "riscv.core", "s390x.core", "arm.core", "i386.core", "aarch64.kdump"):
        for cmd in ("triage", "scan"):
            j.append(C(f"cli/hostile/foreign/{name}-{cmd}", cmd, H / "foreign" / name))
    libc = pathlib.Path("/lib/x86_64-linux-gnu/libc.so.6")
    for cmd in ("triage", "scan"):
        j.append(C(f"cli/hostile/foreign/shared-library-{cmd}", cmd, libc))
    for f in sorted((H / "gzip").glob("*.gz")) if (H / "gzip").exists() else []:
        j.append(C(f"cli/hostile/gzip/{f.stem}", "scan", f))
    for dev in ("/dev/null", "/dev/zero"):
        for cmd in ("triage", "scan", "decode"):
            j.append(C(f"cli/hostile/device/{dev[5:]}-{cmd}", cmd, dev))
    dump = "samples/6.1.0-56-amd64/dump/vmcore.kdump"
    j += [C("cli/hostile/directory-scan", "scan", H),
          C("cli/hostile/dev-zero-on-stdin-scan", "scan", "-", stdin=("file", "/dev/zero")),
          C("cli/hostile/kdump-on-stdin-triage", "triage", "-", stdin=("file", dump)),
          C("cli/hostile/kdump-fifo-triage", "triage", stdin=("fifo", dump)),
          C("cli/hostile/kdump-fifo-scan", "scan", stdin=("fifo", dump)),
          C("cli/hostile/kdump-pipe-scan", "scan", "-", stdin=("pipe", dump)),
          C("cli/hostile/pipe-over-spool-max", "scan", "-", stdin=("pipe", INPUTS / "l1/6.1.0-56-amd64-rich.img"),
            env={"NESTSCOPE_SPOOL_MAX": "1M"}),
          C("cli/hostile/gzip-pipe-over-spool-max", "scan", "-", stdin=("pipe", INPUTS / "sparse/bomb.gz"),
            env={"NESTSCOPE_SPOOL_MAX": "1M"}),
          C("cli/hostile/sparse-10g-scan", "scan", INPUTS / "sparse/10g.img", timeout=600),
          C("cli/hostile/sparse-10g-triage", "triage", INPUTS / "sparse/10g.img", timeout=600),
          C("cli/hostile/gzip-bomb-scan", "scan", INPUTS / "sparse/bomb.gz", timeout=600),
          C("cli/hostile/gzip-bomb-over-spool-max", "scan", INPUTS / "sparse/bomb.gz", env={"NESTSCOPE_SPOOL_MAX": "256M"},
            timeout=600)]
    return j


def flip_jobs(ctx):
    """hostile_dumps.py: each header byte of the kdump (disk_dump_header, kdump_sub_header) and of the ELF core
    (ELF header, program headers) flipped in a private copy, triage on each, scan on every 16th."""
    jobs = []
    src_k = SRC / "samples/6.1.0-56-amd64/dump/vmcore.kdump"
    src_e = INPUTS / "hostile/core.elf"
    phend_f = INPUTS / "hostile/core.elf.phend"
    ph_end = int(phend_f.read_text()) if phend_f.exists() else 0
    for label, src, offsets in (("kdump", src_k, list(range(0, 464)) + list(range(4096, 4096 + 104))),
                                ("elf-core", src_e, list(range(ph_end)))):
        chunk = 96
        for c0 in range(0, len(offsets), chunk):
            part = offsets[c0:c0 + chunk]
            copy = ctx.work / "flip" / f"{label}-{c0}"

            def setup(ctx, src=src, copy=copy):
                copy.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["cp", "--sparse=always", str(src), str(copy)], check=True)

            def cleanup(ctx, copy=copy):
                if copy.exists():
                    copy.unlink()
            state = {}

            def flip(o, copy=copy, state=state):
                def f(ctx):
                    with open(copy, "r+b") as fh:
                        if "o" in state:  # put the previous byte back
                            fh.seek(state["o"])
                            fh.write(state["b"])
                        fh.seek(o)
                        state["o"], state["b"] = o, fh.read(1)
                        fh.seek(o)
                        fh.write(bytes([state["b"][0] ^ 0xff]))
                return f
            steps = []
            for i, o in enumerate(part):
                steps.append((flip(o), Cli(f"cli/hostile/{label}-byte-flipped/{o:05d}-triage", ["triage", copy],
                                           timeout=120)))
                if (c0 + i) % 16 == 0:
                    steps.append((None, Cli(f"cli/hostile/{label}-byte-flipped/{o:05d}-scan", ["scan", copy], timeout=120)))
            jobs.append(SeqJob(steps, setup=setup, cleanup=cleanup, weight=20))
    return jobs


# ---- crash (crash_extension.py, crash_samples.sh, vmcs12_abi.py, gdb_dump.py, damaged_dumps.py, README.md) ----

def per_vcpu(v, layout):
    """What crash and gdb run on one vCPU (PID:INDEX)."""
    return [(f"vmcs12/{v}", f"vmcs12 {v}"), (f"vmcs12-j/{v}", f"vmcs12 -j {v}"), (f"vmcs12--json/{v}", f"vmcs12 --json {v}"),
            (f"vmcs12-A/{v}", f"vmcs12 -A {v}"), (f"vmcs12-A-j/{v}", f"vmcs12 -A -j {v}"),
            (f"vmcs12-g/{v}", f"vmcs12 -g {v}"), (f"vmcs12-H/{v}", f"vmcs12 -H {v}"), (f"vmcs12-c/{v}", f"vmcs12 -c {v}"),
            (f"vmcs12-x/{v}", f"vmcs12 -x {v}"), (f"vmcs12-g-x/{v}", f"vmcs12 -g -x {v}"), (f"vmcs12-F/{v}", f"vmcs12 -F {v}"),
            (f"vmcs12-s-cached/{v}", f"vmcs12 -s cached {v}"), (f"vmcs12-s-shadow/{v}", f"vmcs12 -s shadow {v}"),
            (f"vmcs12-s-shadow-j/{v}", f"vmcs12 -s shadow -j {v}"), (f"vmcs12-s-memory/{v}", f"vmcs12 -s memory {v}"),
            (f"vmcs12-C/{v}", f"vmcs12 -C {v}"), (f"vmcs12-C-A/{v}", f"vmcs12 -C -A {v}"), (f"vmcs12-C-j/{v}", f"vmcs12 -C -j {v}"),
            (f"vmcs12-D/{v}", f"vmcs12 -D {v}"), (f"vmcs12-D-A/{v}", f"vmcs12 -D -A {v}"), (f"vmcs12-D-j/{v}", f"vmcs12 -D -j {v}"),
            (f"vmcs12-D-L/{v}", f"vmcs12 -D -L {layout} {v}"),
            (f"vmcs02/{v}", f"vmcs02 {v}"), (f"vmcs02-j/{v}", f"vmcs02 -j {v}"), (f"vmcs02-L/{v}", f"vmcs02 -L {layout} {v}"),
            (f"vmcs01/{v}", f"vmcs01 {v}"), (f"vmcs01-j/{v}", f"vmcs01 --json {v}")]


def per_vcpu_short(v):
    return [(f"vmcs12/{v}", f"vmcs12 {v}"), (f"vmcs12-j/{v}", f"vmcs12 -j {v}"), (f"vmcs12-C/{v}", f"vmcs12 -C {v}"),
            (f"vmcs12-D/{v}", f"vmcs12 -D {v}"), (f"vmcs02/{v}", f"vmcs02 {v}"), (f"vmcs02-j/{v}", f"vmcs02 -j {v}"),
            (f"vmcs01/{v}", f"vmcs01 {v}")]


def common_cmds(sample, debugger):
    """The commands crash and gdb share, on one dump."""
    a = ADDR[sample]
    lay = INPUTS / "layout/bochs-formula-0x2b.layout"
    cmds = [("kvm", "kvm"), ("kvm-v", "kvm -v"), ("kvm-j", "kvm -j"), ("kvm--json", "kvm --json"),
            ("kvm-v-j", "kvm -v -j"), ("kvm-x-usage", "kvm -x"), ("kvm-extra-usage", "kvm extra"),
            ("vmcs12-no-vcpu", "vmcs12"), ("vmcs12-a", "vmcs12 -a"), ("vmcs12-a-g-x", "vmcs12 -a -g -x"),
            ("vmcs12-a-j", "vmcs12 -a -j"), ("vmcs12-a-A-c", "vmcs12 -a -A -c"),
            ("vmcs12-vcpu-address", f"vmcs12 {a['vcpu']:x}"), ("vmcs12-g-x-vcpu-address", f"vmcs12 -g -x {a['vcpu']:x}"),
            ("vmcs12-r", f"vmcs12 -r {a['vmcs12']:x}"), ("vmcs12-r-j", f"vmcs12 -r {a['vmcs12']:x} -j"),
            ("vmcs12-r-shadow", f"vmcs12 -r {a['shadow']:x}"), ("vmcs12-r-shadow-F", f"vmcs12 -F -r {a['shadow']:x}"),
            ("vmcs12-r-vmcs02", f"vmcs12 -r {a['vmcs02']:x}"), ("vmcs12-r-0", "vmcs12 -r 0"),
            ("vmcs12-r-unmapped", "vmcs12 -r 0x100000000000"), ("vmcs12-r-not-an-address", "vmcs12 -r xyz"),
            ("vmcs12-r-and-vcpu-usage", f"vmcs12 -r {a['vmcs12']:x} {a['pid']}:0"),
            ("vmcs12-s-bogus-usage", f"vmcs12 -s bogus {a['pid']}:0"), ("vmcs12-two-vcpus-usage", f"vmcs12 {a['pid']}:0 1:0"),
            ("vmcs12-unknown-pid", "vmcs12 9999:0"), ("vmcs12-unknown-index", f"vmcs12 {a['pid']}:7"),
            ("vmcs12-garbage-pointer", "vmcs12 ffff888000000000"), ("vmcs12-bad-vcpu-syntax", "vmcs12 12:x"),
            ("vmcs12-D-L-missing", f"vmcs12 -D -L /nonexistent.layout {a['pid']}:0"),
            ("vmcs12-D-L-bad", f"vmcs12 -D -L {INPUTS / 'layout/bad-offset.layout'} {a['pid']}:0"),
            ("vmcs02-no-vcpu", "vmcs02"), ("vmcs02-vcpu-address", f"vmcs02 {a['vcpu']:x}"),
            ("vmcs02-L-vcpu-address", f"vmcs02 -L {lay} {a['vcpu']:x}"), ("vmcs01-vcpu-address", f"vmcs01 {a['vcpu']:x}"),
            ("vmcs01-j-vcpu-address", f"vmcs01 -j {a['vcpu']:x}"), ("vmcs02-unknown-pid", "vmcs02 9999:0"),
            ("vmcs02-two-vcpus-usage", "vmcs02 1:0 2:0"), ("vmcs01-x-usage", "vmcs01 -x"),
            ("vmcs12-abi", "vmcs12-abi"), ("vmcs12-abi-j", "vmcs12-abi -j"), ("vmcs12-abi--json", "vmcs12-abi --json"),
            ("vmcs12-abi-extra-usage", "vmcs12-abi extra")]
    for pid, idx in pids(sample):
        for i in idx:
            cmds += per_vcpu(f"{pid}:{i}", lay) if sample != MANY else per_vcpu_short(f"{pid}:{i}")
    if sample == MANY:
        cmds += per_vcpu(f"{a['pid']}:3", lay)  # the L1 vCPU with a current vmcs12, every form
    seen = set()
    return [x for x in cmds if not (x[0] in seen or seen.add(x[0]))]


def crash_jobs():
    j = []
    for sample in CRASH_DUMPS:
        k = DUMPS[sample]
        dump = f"samples/{sample}/dump/vmcore.kdump"
        first = pids(sample)[0][0]
        helps = [(f"help-{c}", f"help {c}") for c in ("kvm", "vmcs12", "vmcs02", "vmcs01", "vmcs12-abi")]
        nomod = [("kvm", "kvm"), ("kvm-v", "kvm -v"), ("kvm-j", "kvm -j"), ("vmcs12", f"vmcs12 {first}:0"),
                 ("vmcs12-r", f"vmcs12 -r {ADDR[sample]['vmcs12']:x}"), ("vmcs02", f"vmcs02 {first}:0"),
                 ("vmcs12-abi", "vmcs12-abi"), ("vmcs12-abi-j", "vmcs12-abi -j")]
        j.append(Session("crash", f"crash/{tag(sample)}/without-mod-S", (helps if sample != MANY else []) + nomod,
                         dump=dump, k=sample, mods=False, weight=40))
        j.append(Session("crash", f"crash/{tag(sample)}/main", common_cmds(sample, "crash"), dump=dump,
                         k=sample, weight=200 if sample == MANY else 120))
    return j


def gdb_jobs():
    j = []
    for sample in DUMPS:
        core = INPUTS / f"dump/{tag(sample)}.core"
        a = ADDR[sample]
        pre = [("kvm-before-kvm-symbols", "kvm"), ("kvm-v-before-kvm-symbols", "kvm -v"),
               ("vmcs12-before-kvm-symbols", f"vmcs12 {pids(sample)[0][0]}:0"),
               ("vmcs12-abi-before-kvm-symbols", "vmcs12-abi"),
               ("vmcs12-r-unmapped-before-kvm-symbols", "vmcs12 -r 0x100000000000"),
               ("vmcs12-p-without-gdbstub", "vmcs12 -p 0x7000"),
               ("kvm-symbols-wrong-dir", f"kvm-symbols {INPUTS / 'profile/empty-dir'}"),
               ("kvm-symbols", "kvm-symbols @MODS@"), ("kvm-symbols-again", "kvm-symbols @MODS@")]
        if sample == "6.1.0-56-amd64":
            pre = [(f"help-{c}", f"help {c}") for c in ("kvm", "vmcs12", "vmcs02", "vmcs01", "vmcs12-abi", "kvm-symbols")] \
                + [("help-function-vmcs12_field", "help function vmcs12_field")] + pre
        cmds = [(f, c) for f, c in pre] + common_cmds(sample, "gdb") + [
            ("vmcs12-a-and-r", f"vmcs12 -a -r {a['vmcs12']:x}"), ("vmcs12-p-and-vcpu", "vmcs12 -p 0x7000 1:0"),
            ("vmcs12-r-expression", f"vmcs12 -r ((struct vcpu_vmx *){a['vcpu']:#x})->nested.cached_vmcs12"),
            ("vmcs12-r-bad-expression", "vmcs12 -r no_such_symbol"),
            ("vmcs12_field-guest_rip", f'p/x $vmcs12_field({a["vmcs12"]:#x}, "guest_rip")'),
            ("vmcs12_field-GUEST_CR3", f'p/x $vmcs12_field({a["vmcs12"]:#x}, "GUEST_CR3")'),
            ("vmcs12_field-pointer", f'p/x $vmcs12_field(((struct vcpu_vmx *){a["vcpu"]:#x})->nested.cached_vmcs12, '
                                     f'"PIN_BASED_VM_EXEC_CONTROL")'),
            ("vmcs12_field-unknown", f'p $vmcs12_field({a["vmcs12"]:#x}, "NO_SUCH_FIELD")'),
            ("vmcs12_field-unmapped", 'p $vmcs12_field(0x100000000000, "GUEST_RIP")'),
            ("print-vmcs12", f"p *(struct vmcs12 *){a['vmcs12']:#x}"),
            ("print-cached_vmcs12", f"p *((struct vcpu_vmx *){a['vcpu']:#x})->nested.cached_vmcs12"),
            ("print-shadow-vmcs12", f"p *(struct vmcs12 *){a['shadow']:#x}")]
        j.append(Session("gdb", f"gdb/{tag(sample)}/main", cmds, core=core, k=sample, pre=[],
                         weight=60 if sample == MANY else 30))
    # vmcs12_abi.py: gdb on kvm-intel.ko alone
    for k in KERNELS:
        def argv(ctx, s, vmlinux, k=k):
            d = dbg(k)
            return [str(d[1] / "kernel/arch/x86/kvm/kvm-intel.ko")] if d else []
        j.append(Session("gdb", f"gdb/{k}/kvm-intel.ko", [("vmcs12-abi", "vmcs12-abi"), ("vmcs12-abi-j", "vmcs12-abi -j"),
                                                           ("kvm", "kvm"), ("vmcs12", "vmcs12 1:0")],
                         k=k, argv=argv, weight=5))
    return j


def gdb_qemu_jobs():
    """gdb_qemu.py: vmcs12 -p through QEMU's gdbstub (TCG, stopped), RAM holding L1's rich image of each kernel."""
    j = []
    for k in KERNELS:
        img = INPUTS / f"l1/{k}-rich.img"
        mode = "maint packet qqemu.PhyMemMode"
        cmds = [("phymemmode-before", mode), ("vmcs12-p-j", "vmcs12 -p 0x7000 -j"), ("phymemmode-after", mode),
                ("set-phymemmode-1", "maint packet Qqemu.PhyMemMode:1"), ("vmcs12-p", "vmcs12 -p 0x7000"),
                ("phymemmode-kept-1", mode), ("set-phymemmode-0", "maint packet Qqemu.PhyMemMode:0"),
                ("vmcs12-p-g-x", "vmcs12 -p 0x7000 -g -x"), ("vmcs12-p-A-c", "vmcs12 -p 0x7000 -A -c"),
                ("vmcs12-p-vmxon-region", "vmcs12 -p 0x6000"), ("vmcs12-p-shadow", "vmcs12 -p 0x14000"),
                ("vmcs12-p-shadow-j", "vmcs12 -p 0x14000 -j"),
                ("vmcs12-p-no-vmcs", "vmcs12 -p 0xfffffffff000"), ("vmcs12-p-code", "vmcs12 -p 0x10000"),
                ("kvm", "kvm"), ("kvm-v", "kvm -v"), ("vmcs12-a", "vmcs12 -a"), ("vmcs02", "vmcs02"), ("vmcs01", "vmcs01"),
                ("vmcs12_field", 'p $vmcs12_field(0x7000, "GUEST_RIP")'), ("vmcs12-abi", "vmcs12-abi")]
        state = {}

        def before(ctx, s, img=img, state=state, k=k):
            d = ctx.work / "qemu" / k  # a fixed path: gdb prints the socket's
            d.mkdir(parents=True, exist_ok=True)
            image = img.read_bytes()[:64 << 20]
            (d / "low.bin").write_bytes(image[:0xa0000])
            (d / "high.bin").write_bytes(image[0x100000:])
            sock = d / "gdb.sock"
            state["d"], state["sock"] = d, sock
            state["qemu"] = subprocess.Popen(
                ["qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-m", "64", "-S", "-nographic", "-nodefaults",
                 "-gdb", f"unix:{sock},server=on,wait=off",
                 "-device", f"loader,file={d / 'low.bin'},addr=0,force-raw=on",
                 "-device", f"loader,file={d / 'high.bin'},addr=0x100000,force-raw=on"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(200):
                if sock.exists():
                    break
                time.sleep(0.05)

        def after(ctx, s, state=state):
            q = state.get("qemu")
            if q:
                q.kill()
                q.wait()
            shutil.rmtree(state.get("d", ""), ignore_errors=True)

        def argv(ctx, s, vmlinux, state=state):
            return ["-ex", f"target remote {state['sock']}"]
        j.append(Session("gdb", f"gdb/qemu-gdbstub/{k}-rich-l1", cmds, core=img, before=before, after=after, argv=argv,
                         weight=10, timeout=300, mods=False) if shutil.which("qemu-system-x86_64") else
                 NotRun(f"gdb/qemu-gdbstub/{k}-rich-l1", "qemu-system-x86_64 is not installed", cmds))
    return j


class NotRun(Job):
    def __init__(self, name, why, cmds):
        self.name, self.why, self.cmds = name, why, cmds

    def commands(self):
        return [(f"{self.name}/{f}", c) for f, c in self.cmds]

    def run(self, ctx):
        for f, c in self.cmds:
            write(ctx, f"{self.name}/{f}", c + "\n" + f"not run: {self.why}\n", [])
        ctx.note_notrun(self.name, self.why)


def damaged_jobs():
    """damaged_dumps.py: the 6.1 dump's memory damaged where KVM keeps its structures; triage on the raw image,
    crash's and gdb's kvm -v, vmcs12 -a, vmcs02 on it, each followed by a command that must still answer."""
    pf = INPUTS / "damaged/patches.json"
    if not pf.exists():
        return [NotRun("damaged", f"{pf} was not made", [])]
    patches = json.loads(pf.read_text())["patches"]
    raw = INPUTS / "dump/6.1.0-56-amd64.raw"
    machine = SRC / "samples/6.1.0-56-amd64/dump/machine.txt"
    j = []
    for name, ps in patches.items():
        state = {}

        def setup(ctx, name=name, ps=ps, state=state):
            d = ctx.work / "damaged" / name
            d.mkdir(parents=True, exist_ok=True)
            img = d / "image.raw"
            subprocess.run(["cp", "--sparse=always", str(raw), str(img)], check=True)
            if isinstance(ps, int):
                os.truncate(img, ps)
            else:
                with open(img, "r+b") as f:
                    for at, data in ps:
                        f.seek(at)
                        f.write(bytes.fromhex(data))
            state["d"] = d

        def cleanup(ctx, state=state):
            shutil.rmtree(state.get("d", ""), ignore_errors=True)
        class Damaged(Job):
            weight = 40

            def __init__(self, name):
                self.name = name
                self.sess_cmds = [("kvm-v", "kvm -v"), ("vmcs12-a", "vmcs12 -a"), ("vmcs02", "vmcs02"),
                                  ("kvm-v-j", "kvm -v -j"), ("p-6x7", "p 6*7")]

            def commands(self):
                out = [(f"cli/triage/damaged/{self.name}/text", "$ nestscope triage IMAGE"),
                       (f"cli/triage/damaged/{self.name}/json", "$ nestscope triage --json IMAGE")]
                if self.name != "cut-before-vcpus":
                    out += [(f"crash/damaged-6.1.0-56-amd64/{self.name}/{f}", "crash> " + c) for f, c in self.sess_cmds]
                    out += [(f"gdb/damaged-6.1.0-56-amd64/{self.name}/{f}", "(gdb) " + c) for f, c in self.sess_cmds]
                return out

            def run(self, ctx, setup=setup, cleanup=cleanup, state=state, name=name):
                try:
                    setup(ctx)
                    d = state["d"]
                    image = d / "image.raw"
                    run_cli(ctx, Cli(f"cli/triage/damaged/{name}/text", ["triage", image], timeout=120))
                    run_cli(ctx, Cli(f"cli/triage/damaged/{name}/json", ["triage", "--json", image], timeout=120))
                    if name == "cut-before-vcpus":
                        return
                    elf, core = d / "image.elf", d / "image.core"
                    subprocess.run([str(INPUTS / "tools/raw2elf"), str(image), str(machine), str(elf)], check=True,
                                   stdout=subprocess.DEVNULL)
                    image.unlink()
                    run_session(ctx, Session("crash", f"crash/damaged-6.1.0-56-amd64/{name}", self.sess_cmds, dump=elf,
                                             k="6.1.0-56-amd64", timeout=300))
                    g = subprocess.run([str(INPUTS / "tools/gdbcore"), str(elf), str(core)], capture_output=True)
                    elf.unlink()
                    if g.returncode:
                        for f, c in self.sess_cmds:
                            write(ctx, f"gdb/damaged-6.1.0-56-amd64/{name}/{f}", "(gdb) " + c + "\n" +
                                  "not run: gdbcore could not convert the image\n", [("gdbcore stderr", g.stderr)])
                        return
                    run_session(ctx, Session("gdb", f"gdb/damaged-6.1.0-56-amd64/{name}", self.sess_cmds, core=core,
                                             k="6.1.0-56-amd64", pre=["kvm-symbols @MODS@"], timeout=300))
                finally:
                    cleanup(ctx)
        j.append(Damaged(name))
    return j


def all_jobs(ctx):
    jobs = []
    for f in (usage_jobs, docs_jobs, fields_jobs, explain_jobs, decode_jobs, check_jobs, diff_jobs, layout_jobs,
              triage_jobs, profile_jobs, abi_jobs, scan_jobs, migration_jobs, capture_jobs, hostile_jobs,
              crash_jobs, gdb_jobs, gdb_qemu_jobs, damaged_jobs):
        jobs += f()
    jobs += profile_o_jobs(ctx) + flip_jobs(ctx)
    return jobs


# ---------------------------------------------------------------------------------------------------------------

def main():
    argv = sys.argv[1:]
    only = None
    jobs_n = os.cpu_count() or 2
    if "--only" in argv:
        i = argv.index("--only")
        only = re.compile(argv[i + 1])
        del argv[i:i + 2]
    if "--jobs" in argv:
        i = argv.index("--jobs")
        jobs_n = int(argv[i + 1])
        del argv[i:i + 2]
    mode = argv[0] if argv else "help"
    if mode == "inputs":
        for n in I.make(SRC, INPUTS, log=lambda s: print(s, file=sys.stderr)):
            print("note:", n)
        return 0
    if mode == "list":
        I.make(SRC, INPUTS, log=lambda s: print(s, file=sys.stderr))
        ctx = Ctx(pathlib.Path("ROOT"), pathlib.Path("ROOT/build"), pathlib.Path("OUT"), pathlib.Path("WORK"), 1)
        for job in all_jobs(ctx):
            for name, line in job.commands():
                if not only or only.search(name):
                    print(f"{name}\t{line}")
        return 0
    if mode != "run" or len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    root, build, out, work = (pathlib.Path(a).resolve() for a in argv[1:5])
    t0 = time.monotonic()
    notes = I.make(SRC, INPUTS, log=lambda s: print(s, file=sys.stderr))
    t_inputs = time.monotonic() - t0
    for d in ("home", "tmp", "out"):
        (work / d).mkdir(parents=True, exist_ok=True)
    ctx = Ctx(root, build, out, work, jobs_n)
    jobs = all_jobs(ctx)
    if only:
        jobs = [jb for jb in jobs if any(only.search(n) for n, _ in jb.commands())]
    listing = [f"{n}\t{line}" for jb in jobs for n, line in jb.commands()]
    out.mkdir(parents=True, exist_ok=True)
    (out / "_commands").write_text("".join(x + "\n" for x in sorted(listing)))
    man = (INPUTS / "MANIFEST").read_text() if (INPUTS / "MANIFEST").exists() else ""
    samp = []
    for p in sorted(x for x in (SRC / "samples").rglob("*") if x.is_file() and "gen" not in x.parts[len(SRC.parts):]
                    and x.suffix in (".bin", ".gz", ".kdump", ".json", ".txt")):
        samp.append(f"{I.sha256(p)}  {rel(p)}")
    for p in sorted((SRC / "profiles").glob("*.json")):
        samp.append(f"{I.sha256(p)}  {rel(p)}")
    (out / "_inputs").write_text("# the inputs read (samples and profiles of SRC; derived inputs in INPUTS)\n" +
                                 "\n".join(samp) + "\n" + "".join("INPUTS/" + x.split("  ", 1)[1] + "  " + x.split("  ")[0] + "\n"
                                                                  for x in man.splitlines() if "  " in x))
    print(f"golden: {len(listing)} command lines in {len(jobs)} jobs, {jobs_n} at a time; inputs ready in "
          f"{t_inputs:.0f} s", file=sys.stderr)
    done = [0]

    def go(jb):
        try:
            jb.run(ctx)
        except Exception as e:  # noqa: BLE001 - one broken job is reported, the others run
            ctx.note_notrun(getattr(jb, "name", str(jb.commands()[:1])), f"harness error: {type(e).__name__}: {e}")
        with ctx.lock:
            done[0] += 1
            if done[0] % 200 == 0:
                print(f"golden: {done[0]} of {len(jobs)} jobs done ({time.monotonic() - t0:.0f} s)", file=sys.stderr)
    t1 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_n) as ex:
        list(ex.map(go, sorted(jobs, key=lambda jb: -jb.weight)))
    took = time.monotonic() - t1
    files = sum(1 for p in out.rglob("*") if p.is_file() and not p.name.startswith("_"))
    log = out / "_log"
    log.mkdir(exist_ok=True)
    slow = sorted(ctx.times.items(), key=lambda x: -x[1])[:25]
    (log / "summary").write_text(
        f"root {root}\nbuild {build}\nsrc {SRC}\ninputs {INPUTS}\n"
        f"command lines {len(listing)}\nfiles {files}\njobs {len(jobs)} ({jobs_n} at a time)\n"
        f"inputs {t_inputs:.1f} s\nrun {took:.1f} s\n"
        f"not run or incomplete: {len(ctx.notrun)}\n" + "".join(f"  {x}\n" for x in sorted(ctx.notrun)) +
        f"inputs notes: {len(notes)}\n" + "".join(f"  {x}\n" for x in notes) +
        "slowest:\n" + "".join(f"  {s:7.1f} s  {n}\n" for n, s in slow))
    print(f"golden: {len(listing)} command lines run in {took:.0f} s (+{t_inputs:.0f} s inputs); "
          f"{len(ctx.notrun)} not run or incomplete (see {log / 'summary'})", file=sys.stderr)
    for x in sorted(ctx.notrun):
        print(f"golden: not run: {x}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

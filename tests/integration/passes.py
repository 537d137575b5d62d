#!/usr/bin/python3
"""Runs an integration suite once per set of debuggers it supports, and says which set each pass is for:

- Debian 12's, the machine's own: crash 8.0.2 with BUILD/nestscope.so (built against its defs.h), gdb 13.1;
- sid's, in the root ./setup.sh keeps in the cache (samples/gen/sidroot.sh): crash 9.0.x with
  BUILD/crash9/nestscope.so (built against its defs.h), gdb 18.

A pass sets NESTSCOPE_CRASH, NESTSCOPE_CRASH_EXT and NESTSCOPE_GDB (read by itest.py), NESTSCOPE_PASS (the
set's name) and NESTSCOPE_REPEAT (1 after the first pass: itest.repeat_pass(), where a suite may leave out
what runs no debugger, as the first pass did it).  A missing sid root or crash 9 extension fails that pass and
says what to run: the suites claim both.  When the caller already names a debugger (NESTSCOPE_CRASH or
NESTSCOPE_GDB set), the suite runs once, with those; NESTSCOPE_DEBUGGERS="debian12" (or "sid") runs only the
sets named.

usage: passes.py BUILD_DIR crash|gdb|crash,gdb -- COMMAND [ARG...]
       (the second word names the debuggers the suite runs, for the pass's title)
"""
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
SIDROOT = ROOT / "samples" / "gen" / "sidroot.sh"
CACHE = pathlib.Path(os.environ.get("NESTSCOPE_CACHE") or
                     pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "nestscope")

build, uses = pathlib.Path(sys.argv[1]).resolve(), sys.argv[2].split(",")
command = sys.argv[sys.argv.index("--") + 1:]


def debian12():
    """The machine's crash and gdb; None (nothing missing) or what is."""
    return {"NESTSCOPE_CRASH": "crash", "NESTSCOPE_CRASH_EXT": str(build / "nestscope.so"),
            "NESTSCOPE_GDB": "gdb"}, None


def sid():
    """sid's crash and gdb through the root in the cache."""
    run = f"sh {SIDROOT} run"
    env = {"NESTSCOPE_CRASH": f"{run} crash", "NESTSCOPE_CRASH_EXT": str(build / "crash9" / "nestscope.so"),
           "NESTSCOPE_GDB": f"{run} gdb"}
    tools = {"crash": "usr/bin/crash", "gdb": "usr/bin/gdb"}
    root = CACHE / "sid-root"
    if not (root / ".complete").exists() or any(not (root / tools[u]).exists() for u in uses):
        return env, f"no sid root with {' and '.join(uses)} in {root}: ./setup.sh makes it"
    if "crash" in uses and not pathlib.Path(env["NESTSCOPE_CRASH_EXT"]).exists():
        return env, f"no {env['NESTSCOPE_CRASH_EXT']}: make builds it once the sid root is there"
    return env, None


SETS = {"debian12": debian12, "sid": sid}

if os.environ.get("NESTSCOPE_CRASH") or os.environ.get("NESTSCOPE_GDB"):
    passes = [("as named", {}, None)]
else:
    passes = [(name, *SETS[name]()) for name in os.environ.get("NESTSCOPE_DEBUGGERS", "debian12 sid").split()]

results = []
for n, (name, env, missing) in enumerate(passes):
    os.environ.update(env)
    os.environ["NESTSCOPE_PASS"] = name
    os.environ["NESTSCOPE_REPEAT"] = "1" if n else "0"
    itest.crash_version.cache_clear()
    itest.gdb_version.cache_clear()
    if missing:
        title = f"{name}'s debuggers"
    else:
        versions = {"crash": lambda: f"crash {itest.crash_version()} with "
                                     f"{os.path.relpath(itest.crash_extension(build))}",
                    "gdb": lambda: f"gdb {itest.gdb_version()}"}
        title = f"{name}: " + ", ".join(versions[u]() for u in uses)
    print(f"==== pass for {title}", flush=True)
    if missing:
        print(f"FAIL {missing}")
        ok = False
    else:
        ok = subprocess.run(command).returncode == 0
    results.append(f"{title}: {'ok' if ok else 'FAILED'}")
print("passes: " + "; ".join(results))
sys.exit(0 if results and all(r.endswith(": ok") for r in results) else 1)

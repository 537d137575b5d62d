"""nestscope-drgn: the core's commands on a kernel drgn opens, for any drgn
(drgn before 0.0.31 has no command framework to register them with).

usage: python3 -m nestscope_drgn [-c CORE] [-s FILE]... [-d DIR] [-x FILE] [COMMAND [ARG...]]

-c CORE   the dump (kdump, ELF vmcore); default: the running kernel
-s FILE   debug info to load (vmlinux, modules); default: drgn's search
-d DIR    the KVM modules' debug info under DIR (load_kvm_debug_info)
-x FILE   command lines from FILE, one a line ('-' standard input), each
          error one line on standard error; then COMMAND if given
Exit status: 0, or 1 when a command failed, 2 when the kernel cannot be opened."""
import argparse
import shlex
import sys

import drgn

from . import load_kvm_debug_info
from .target import NestscopeError, prog_target


TYPES_HINT = "give their directory with -d DIR, or load them with kvm-symbols [DIR]"


def main(argv=None):
    p = argparse.ArgumentParser(prog="nestscope-drgn", usage=__doc__.split("usage: ")[1].split("\n")[0])
    p.add_argument("-c", dest="core")
    p.add_argument("-s", dest="symbols", action="append", default=[])
    p.add_argument("-d", dest="modules")
    p.add_argument("-x", dest="script")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    prog = drgn.Program()
    try:
        if a.core:
            prog.set_core_dump(a.core)
        else:
            prog.set_kernel()
    except (OSError, ValueError) as e:
        why = getattr(e, "strerror", None) or e
        print(f"nestscope-drgn: cannot open {a.core or 'the running kernel'}: {why}", file=sys.stderr)
        return 2
    try:
        prog.load_debug_info(a.symbols, default=not a.symbols)
    except drgn.MissingDebugInfoError as e:
        # drgn 0.0.22 on 6.4+ names the modules it cannot find (struct module changed); the files given were
        # loaded, and the core finds module symbols itself
        print(f"nestscope-drgn: note: {str(e).splitlines()[-1].strip()}", file=sys.stderr)
    if a.modules:
        try:
            load_kvm_debug_info(prog, a.modules)
        except LookupError as e:
            print(f"nestscope-drgn: {e}", file=sys.stderr)
            return 2
    lines = []
    if a.script:
        with (sys.stdin if a.script == "-" else open(a.script)) as f:
            lines = [shlex.split(line) for line in f if line.strip() and not line.lstrip().startswith("#")]
    if a.command:
        lines.append(a.command)
    failed = False
    t = prog_target(prog)
    for words in lines:
        try:
            if words[0] == "kvm-symbols":
                out = "loaded " + ", ".join(load_kvm_debug_info(prog, words[1] if len(words) > 1 else None)) + "\n"
            else:
                out = t.command(words, hint=TYPES_HINT)
            sys.stdout.write(out)
        except (NestscopeError, LookupError) as e:
            sys.stdout.flush()
            print(str(e).strip("'\""), file=sys.stderr)
            failed = True
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

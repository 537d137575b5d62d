"""The core's commands (kvm, vmcs12, vmcs02, vmcs01, vmcs12-abi: grammar and
help from libnestscope, commands.def) and kvm-symbols, registered with drgn's
command framework where drgn has one (drgn.commands, 0.0.31 and later): in
the drgn CLI as ``%kvm -v``, in its crash mode as ``kvm -v``, and through
drgn.commands.run_command().  Older drgn has none: there, nestscope-drgn
(``python3 -m nestscope_drgn``) runs the same commands."""
import sys

import drgn

from . import load_kvm_debug_info
from .target import NestscopeError, core, prog_target

try:
    from drgn.commands import DEFAULT_COMMAND_NAMESPACE, CommandError, parse_shell_command
except ImportError:  # drgn before the command framework
    DEFAULT_COMMAND_NAMESPACE = None


def _is_kernel(prog):
    return bool(prog.flags & drgn.ProgramFlags.IS_LINUX_KERNEL)


class _Command:
    """drgn.commands.Command for one command: the argument vector goes to the core's grammar as typed."""

    def __init__(self, name, help_text, run):
        self.name, self._help, self._run = name, help_text, run

    def description(self):
        return self._help.splitlines()[0].split(" - ", 1)[-1]

    def format_usage(self):
        usage = next((line for line in self._help.splitlines() if line.startswith("Usage: ")), self.name)
        return usage[len("Usage: "):]

    def format_help(self, *, indent=""):
        body = self._help.split("\n\n", 2)[-1].rstrip("\n")
        return "\n".join(indent + line if line else line for line in body.splitlines())

    def enabled(self, prog):
        return _is_kernel(prog)

    def parse(self, source):
        return parse_shell_command(source)

    def run(self, prog, name, args, *, globals=None, **_kwargs):
        try:
            sys.stdout.write(self._run(prog, [name] + list(args), globals))
        except (NestscopeError, LookupError) as e:
            raise CommandError(str(e)) from None


def _core_command(prog, argv, globals):
    return prog_target(prog).command(argv, hint=TYPES_HINT, globals=globals)


TYPES_HINT = "load them with: kvm-symbols [DIR]"


KVM_SYMBOLS_HELP = """kvm-symbols - load the debug info of the KVM modules in the target (kvm, kvm_intel)

Usage: kvm-symbols [DIR]

The types nestscope walks (struct kvm, vcpu_vmx, nested_vmx, vmcs12) live in
the modules, not in vmlinux.  This finds kvm.ko and kvm-intel.ko under DIR
(default: where Debian's linux-image-*-dbg installs them,
/usr/lib/debug/lib/modules/RELEASE) and loads them, as gdb's kvm-symbols does.
"""


def _kvm_symbols(prog, argv, _globals):
    if len(argv) > 2:
        raise NestscopeError("kvm-symbols: one directory at most")
    files = load_kvm_debug_info(prog, argv[1] if len(argv) > 1 else None)
    return "loaded " + ", ".join(files) + "\n"


def register():
    """Registers the commands with drgn (default namespace, and crash mode's); False when drgn has no
    command framework."""
    if DEFAULT_COMMAND_NAMESPACE is None:
        return False
    namespaces = [DEFAULT_COMMAND_NAMESPACE]
    try:
        from drgn.commands._crash.common import CRASH_COMMAND_NAMESPACE  # drgn's crash mode, where crash's
        namespaces.append(CRASH_COMMAND_NAMESPACE)                        # extension has the same commands
    except ImportError:
        pass
    cmds = [_Command(n, core().help_text(n), _core_command) for n in core().commands()]
    cmds.append(_Command("kvm-symbols", KVM_SYMBOLS_HELP, _kvm_symbols))
    for ns in namespaces:
        for c in cmds:
            ns.register(c.name, c)
    return True

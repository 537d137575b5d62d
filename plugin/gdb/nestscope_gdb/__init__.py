"""nestscope's gdb front end: thin commands over libnestscope (ctypes)."""


def register(objfile=None):
    """Commands and functions for gdb; the pretty-printers for kvm-intel.ko's objfile: objfile when gdb's
    auto-load runs the script for it, else each kvm-intel.ko gdb has or reads (printers.register)."""
    from . import commands, functions, printers
    commands.register()
    functions.register()
    printers.register(objfile)
